"""Session settings shared by every test file."""
import atexit
import os
import shutil
import tempfile

# `python -m autograder.grade` records what it grades in the course's nbgrader gradebook
# (autograder/gradebook_sync.py). Tests that grade the course's notebooks must not write
# into the instructor's autograder/work/gradebook.db: give them a throw-away one
# (subprocesses inherit it; a test that needs another gradebook sets its own).
_GRADEBOOK = tempfile.mkdtemp(prefix="test-gradebook-")
atexit.register(shutil.rmtree, _GRADEBOOK, True)
os.environ["NBGRADER_DB_URL"] = "sqlite:///" + os.path.join(_GRADEBOOK, "gradebook.db")
