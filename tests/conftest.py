"""Session settings shared by every test file, and one line per group of tests that could not run."""
import atexit
import os
import shutil
import tempfile

# `python -m autograder.grade` records what it grades in the course's nbgrader gradebook
# (autograder/reporting/gradebook.py). Tests that grade the course's notebooks must not write
# into the instructor's autograder/work/gradebook.db: give them a throw-away one
# (subprocesses inherit it; a test that needs another gradebook sets its own).
_GRADEBOOK = tempfile.mkdtemp(prefix="test-gradebook-")
atexit.register(shutil.rmtree, _GRADEBOOK, True)
os.environ["NBGRADER_DB_URL"] = "sqlite:///" + os.path.join(_GRADEBOOK, "gradebook.db")


def pytest_terminal_summary(terminalreporter):
    if shutil.which("bwrap") is None:
        terminalreporter.write_line(
            "NOT RUN: the sandbox tests (tests/test_sandbox.py, tests/test_hostile.py) need bubblewrap "
            "(bwrap), which is not installed: apt-get install -y bubblewrap")
