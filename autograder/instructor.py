"""The instructor's nbgrader: exchange, course id, gradebook URL, and ``make instructor``.

    python -m autograder.instructor [JUPYTER LAB OPTIONS]     # what `make instructor` runs

:func:`configure` adds the instructor-side settings to the course's nbgrader config
(``autograder/nbgrader_config.py`` calls it): the course id, the exchange folder, the
gradebook's URL, and feedback that shows no hidden test. Environment variables override
the defaults, so one checkout serves a laptop and a shared server alike:

================== ======================================== ===================================
variable           default                                  nbgrader setting
================== ======================================== ===================================
NBGRADER_EXCHANGE  ``autograder/work/exchange`` (git-ignored) ``Exchange.root``
NBGRADER_DB_URL    ``sqlite:///autograder/work/gradebook.db`` ``CourseDirectory.db_url`` (any SQLAlchemy URL)
NBGRADER_COURSE_ID ``training-dnn``                          ``CourseDirectory.course_id``
================== ======================================== ===================================

:func:`main` puts every assignment of ``solutions/`` into the gradebook (with its cells and
points, from a throw-away ``generate_assignment``; ``course/`` is left alone), then starts
JupyterLab at the repository root with ``JUPYTER_CONFIG_DIR=autograder/jupyter``: that
folder's ``nbgrader_config.py`` loads the course's config, so Formgrader finds the course.
The learner's ``make lab`` uses its own configuration; nothing goes to the user's home.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONFIG_DIR = ROOT / "autograder" / "jupyter"
COURSE_ID = "training-dnn"
#: nbgrader's feedback with the hidden tests and tracebacks removed (autograder.reporting.nbfeedback).
FEEDBACK_PREPROCESSORS = ["nbgrader.preprocessors.GetGrades", "autograder.reporting.nbfeedback.HideTests",
                          "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor"]


def exchange_root(root: str | os.PathLike = ROOT) -> str:
    """The exchange folder: $NBGRADER_EXCHANGE, else ``<root>/autograder/work/exchange``."""
    return os.path.abspath(os.environ.get("NBGRADER_EXCHANGE")
                           or os.path.join(root, "autograder", "work", "exchange"))


def configure(c, root: str | os.PathLike = ROOT):
    """Put the instructor-side settings on the traitlets Config ``c`` (see the module's table)."""
    c.CourseDirectory.course_id = os.environ.get("NBGRADER_COURSE_ID") or COURSE_ID
    c.Exchange.root = exchange_root(root)
    if os.environ.get("NBGRADER_DB_URL"):
        c.CourseDirectory.db_url = os.environ["NBGRADER_DB_URL"]
    c.GenerateFeedback.preprocessors = list(FEEDBACK_PREPROCESSORS)
    return c


def lab_command(args: list[str]) -> list[str]:
    """The JupyterLab command line: repository root, Formgrader opened first."""
    return [os.path.join(os.path.dirname(sys.executable), "jupyter"), "lab",
            f"--ServerApp.root_dir={ROOT}", "--LabApp.default_url=/formgrader", *args]


def lab_environment() -> dict:
    """Environment of the instructor's server: its own Jupyter config dir, the venv first on PATH."""
    env = dict(os.environ)
    env["JUPYTER_CONFIG_DIR"] = str(CONFIG_DIR)
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    return env


def main(argv: list[str] | None = None) -> int:
    from autograder.reporting import gradebook as gradebook_sync
    args = sys.argv[1:] if argv is None else argv
    added = gradebook_sync.init_course()
    if added:
        print(f"gradebook: added {', '.join(added)}")
    exchange = exchange_root()
    if not os.path.isdir(exchange):  # as nbgrader's release would make it: everyone may write
        os.makedirs(exchange)
        os.chmod(exchange, 0o777)
    print(f"exchange: {exchange}  (set NBGRADER_EXCHANGE to change it)")
    cmd = lab_command(args)
    os.chdir(ROOT)
    os.execvpe(cmd[0], cmd, lab_environment())
    return 0  # pragma: no cover - exec does not return


if __name__ == "__main__":
    sys.exit(main())
