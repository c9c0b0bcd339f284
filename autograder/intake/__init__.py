"""Intake: from a folder or LMS zip to (student, assignment, notebook) pairs, safely read and repaired."""
