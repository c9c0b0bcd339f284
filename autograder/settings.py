"""The nbgrader settings shared by ``nbgrader_config.py``, release and grade."""
from __future__ import annotations

import os

#: What replaces ``### BEGIN SOLUTION ... ### END SOLUTION`` in a student notebook.
CODE_STUB = (
    "# YOUR CODE HERE: replace this line with your answer, then run the test cell below.\n"
    'raise NotImplementedError("Write your answer here")'
)
#: Seconds one cell may run (a correct cell of a course notebook runs in a few seconds).
CELL_TIMEOUT = 30


def apply(c, *, root: str, work_dir: str = ".", cell_timeout: int = CELL_TIMEOUT):
    """Put the course's nbgrader settings on the traitlets Config ``c``.

    ``root`` is the course root; ``work_dir`` (relative to it) holds submitted/,
    autograded/, feedback/ and gradebook.db.
    """
    root = os.path.abspath(root)
    os.makedirs(os.path.join(root, work_dir), exist_ok=True)  # sqlite does not create folders
    c.CourseDirectory.root = root
    c.CourseDirectory.submitted_directory = os.path.join(work_dir, "submitted")
    c.CourseDirectory.autograded_directory = os.path.join(work_dir, "autograded")
    c.CourseDirectory.feedback_directory = os.path.join(work_dir, "feedback")
    c.CourseDirectory.db_url = "sqlite:///" + os.path.join(root, work_dir, "gradebook.db")
    c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", ".DS_Store"]
    c.ClearSolutions.code_stub = {"python": CODE_STUB}
    c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
    c.ClearOutput.remove_metadata_fields = {"collapsed", "scrolled", "execution", "ExecuteTime"}
    c.Execute.timeout = int(cell_timeout)
    c.Execute.interrupt_on_timeout = True
    c.Execute.extra_arguments = ["--HistoryManager.hist_file=:memory:"]
    c.OverwriteCells.add_missing_cells = True
    c.GenerateAssignment.create_assignment = True
    return c
