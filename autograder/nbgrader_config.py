"""nbgrader configuration of the course (read by ``nbgrader ...`` run from ``autograder/``).

The course root is the repository root: sources are in ``solutions/``, the student
versions in ``course/``; everything nbgrader writes while grading (submitted/,
autograded/, feedback/, the sqlite gradebook) lives in the git-ignored
``autograder/work/``. ``autograder.release`` and ``autograder.grade`` build their
temporary configurations with :func:`autograder.settings.apply` so the same settings apply.
:func:`autograder.instructor.configure` adds the instructor's side (course id, exchange,
$NBGRADER_DB_URL, feedback without hidden tests); `make instructor` reads this file through
``autograder/jupyter/nbgrader_config.py``.
"""
import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
_ROOT = os.path.dirname(_HERE)
if _ROOT not in sys.path:  # so that `import autograder` works when nbgrader loads this file
    sys.path.insert(0, _ROOT)

from autograder.instructor import configure  # noqa: E402
from autograder.settings import apply  # noqa: E402

c = get_config()  # noqa: F821  (provided by traitlets when nbgrader loads this file)
apply(c, root=_ROOT, work_dir=os.path.join("autograder", "work"))
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "course"
configure(c, _ROOT)  # course id, exchange, gradebook URL, feedback without hidden tests
