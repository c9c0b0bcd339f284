"""Instructor tools of the course: nbgrader configuration, release and grading.

Commands (``python -m autograder.<command>``): ``release`` (course/ from solutions/),
``grade`` (a folder or LMS zip of submissions), ``export`` (LMS import files), ``selfcheck``
(a learner's own notebooks), ``instructor`` (Formgrader), ``student_edition``, ``demo``.

The path of a submission through the grader, one folder per stage:

- ``intake/``     unzip, names, find each notebook's owner and assignment, repair copied cells;
- ``execution/``  run the learner's cells: the sandbox and the processes that run notebooks;
- ``verdict/``    decide each test cell's points from the trusted source (template, reduce, prepare, outcome);
- ``reporting/``  grades.csv and results, feedback, redaction, the nbgrader gradebook, LMS exports.

``authoring/`` holds what release uses to write the student notebooks. See ``autograder/README.md``.
"""
