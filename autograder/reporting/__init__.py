"""Reporting: grades.csv, results, feedback pages, redaction, the nbgrader gradebook and LMS exports."""
