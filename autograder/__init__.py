"""Instructor tools of the course: nbgrader configuration, release and parallel grading.

- ``python -m autograder.release``  regenerates ``course/`` from ``solutions/``.
- ``python -m autograder.grade SUBMISSIONS --workers N``  grades a folder or LMS zip.

See ``autograder/README.md``.
"""
