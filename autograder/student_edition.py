"""Write the student edition: a repository to publish for learners, with no answer in it.

    python -m autograder.student_edition DEST [--repo owner/name]      (make student-edition)

DEST (new or empty) receives what a learner needs and nothing an instructor keeps private:

- ``course/`` (the released notebooks), ``deeplib/``, ``environment.yml``, ``postBuild`` and
  ``start`` (Binder), ``jupyter-config/learner/`` and ``tools/validate.py`` (the learner's
  JupyterLab and Validate), ``docs/deeplib-api.md``;
- ``tests/``: deeplib's own tests (every ``tests/test_*.py`` that touches neither the
  solutions, the grader nor nbgrader) and a check that each notebook is intact and its
  setup runs; no solution, no hidden test, no ``tests/notebooks/``;
- from ``templates/student_edition/``: a README (what the course is, ``make lab``,
  ``make test``, the Binder link built from ``--repo``), a Makefile (lab, test, validate,
  check), ``.gitignore``; and a ``pyproject.toml`` derived from this one (same pins, the
  ``deeplib`` package only).

Then ``git init`` and one commit, when git is installed. It refuses a course/ that holds
someone's work (outputs or answers would be published) and a DEST that is not empty.
"""
from __future__ import annotations

import argparse
import re
import shutil
import string
import subprocess
import sys
import tomllib
from pathlib import Path

from autograder.release import ASSIGNMENT_PATTERN, IGNORED, discover_assignments, learner_work

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = Path(__file__).resolve().parent / "templates" / "student_edition"
#: Copied as they are (folders whole, minus caches).
COPIED = ["deeplib", "environment.yml", "postBuild", "start", "jupyter-config/learner", "jupyter-config/README.md",
          "tools/validate.py", "docs/deeplib-api.md"]
#: A test module mentioning one of these is about the solutions, the grader or nbgrader.
NOT_LIBRARY = re.compile(r"solutions|autograder|nbharness|nbgrader|course|audit_lib")
TEST_SUPPORT = ["tests/__init__.py", "tests/finite_differences.py", "tests/data"]
BINDER = "https://mybinder.org/v2/gh/{repo}/main?urlpath=lab/tree/course/00_getting_started/00_getting_started.ipynb"


def library_tests(root: Path = ROOT) -> list[Path]:
    """``tests/test_*.py`` modules that test deeplib only (see NOT_LIBRARY)."""
    return [p for p in sorted((root / "tests").glob("test_*.py"))
            if not NOT_LIBRARY.search(p.read_text(encoding="utf-8"))]


def student_pyproject(text: str) -> str:
    """This project's pyproject.toml for the edition: the ``deeplib`` package only, no scripts.

    The pins stay exactly as they are (pyproject.toml is the one dependency list).
    """
    out = re.sub(r'(?m)^include = \["deeplib\*", "autograder\*"\]$', 'include = ["deeplib*"]', text)
    out = re.sub(r"(?ms)^\[project\.scripts\]\n.*?(?=^\[|\Z)", "", out)
    before, after = tomllib.loads(text), tomllib.loads(out)
    if (after["tool"]["setuptools"]["packages"]["find"]["include"] != ["deeplib*"]
            or "scripts" in after["project"]
            or after["project"]["dependencies"] != before["project"]["dependencies"]
            or after["project"]["optional-dependencies"] != before["project"]["optional-dependencies"]):
        raise ValueError("pyproject.toml changed shape: update autograder.student_edition.student_pyproject")
    return out


def notebook_table(readme: str, assignments: list[str]) -> str:
    """The main README's table of notebooks (or a plain list of the assignments)."""
    m = re.search(r"(?m)^\| # \| Notebook .*\n(?:\|.*\n)+", readme)
    return m.group(0).rstrip("\n") if m else "\n".join(f"- `{a}`" for a in assignments)


def binder_text(repo: str | None) -> str:
    if not repo:
        return ("**No installation at all:** once this repository is on GitHub, Binder runs it "
                "in the browser (https://mybinder.org).")
    return (f"**No installation at all:** launch it on Binder:\n"
            f"[![Binder](https://mybinder.org/badge_logo.svg)]({BINDER.format(repo=repo)})\n"
            "Binder keeps nothing: download your notebooks before you leave; an idle session "
            "ends after about ten minutes.")


def copy(src: Path, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    if src.is_dir():
        shutil.copytree(src, dest, ignore=shutil.ignore_patterns(
            ".ipynb_checkpoints", "__pycache__", "*.pyc", ".DS_Store", "*.egg-info"))
    else:
        shutil.copy2(src, dest)


def build(dest: Path, repo: str | None = None, root: Path = ROOT) -> list[str]:
    """Write the edition into ``dest``; return its files (relative paths)."""
    dest = Path(dest).resolve()
    if dest.exists() and any(dest.iterdir()):
        raise FileExistsError(f"{dest} is not empty: give a new folder (nothing is overwritten)")
    if repo is not None and not re.fullmatch(r"[\w.-]+/[\w.-]+", repo):
        raise ValueError(f"REPO={repo!r}: expected owner/name, as on GitHub")
    assignments = discover_assignments(root / "course", ASSIGNMENT_PATTERN)
    worked = learner_work(root / "course", assignments)
    if worked:
        raise RuntimeError("these course notebooks hold outputs or answers, which would be published; "
                           "run `make release` first:\n" + "\n".join(f"  {p}" for p in worked))
    dest.mkdir(parents=True, exist_ok=True)
    for a in assignments:
        shutil.copytree(root / "course" / a, dest / "course" / a, ignore=IGNORED)
    for rel in COPIED + TEST_SUPPORT:
        copy(root / rel, dest / rel)
    for test in library_tests(root):
        copy(test, dest / "tests" / test.name)
    copy(TEMPLATES / "test_course_notebooks.py", dest / "tests" / "test_course_notebooks.py")
    copy(TEMPLATES / "Makefile", dest / "Makefile")
    copy(TEMPLATES / "gitignore", dest / ".gitignore")
    (dest / "pyproject.toml").write_text(
        student_pyproject((root / "pyproject.toml").read_text(encoding="utf-8")), encoding="utf-8")
    readme = string.Template((TEMPLATES / "README.md").read_text(encoding="utf-8")).substitute(
        notebooks=notebook_table((root / "README.md").read_text(encoding="utf-8"), assignments),
        binder=binder_text(repo))
    (dest / "README.md").write_text(readme, encoding="utf-8")
    files = sorted(str(p.relative_to(dest)) for p in dest.rglob("*") if p.is_file())
    commit(dest)
    return files


def commit(dest: Path) -> bool:
    """``git init`` + one commit of everything in ``dest``, when git is there."""
    git = shutil.which("git")
    if not git:
        return False
    def run(*args):
        subprocess.run([git, *args], cwd=dest, check=True, capture_output=True, text=True)
    run("init", "-q")
    run("symbolic-ref", "HEAD", "refs/heads/main")
    run("add", "-A")
    who = subprocess.run([git, "config", "user.email"], cwd=dest, capture_output=True, text=True).stdout
    ident = [] if who.strip() else ["-c", "user.name=Student edition", "-c", "user.email=student-edition@localhost"]
    run(*ident, "commit", "-q", "-m", "Student edition of the course 'Training Deep Neural Networks'")
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder.student_edition", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dest", type=Path, nargs="?", help="a new (or empty) folder")
    parser.add_argument("--repo", help="owner/name the edition will be published as (for the Binder link)")
    args = parser.parse_args(argv)
    if not args.dest or not str(args.dest).strip():
        print("Say where: make student-edition DEST=../course-2027 [REPO=owner/name]")
        return 2
    try:
        files = build(args.dest, args.repo)
    except (FileExistsError, RuntimeError, ValueError) as e:
        print(e)
        return 2
    print(f"student edition written to {args.dest.resolve()} ({len(files)} files"
          f"{', committed with git' if (args.dest / '.git').is_dir() else ''}).")
    print("Publish it (e.g. push it to GitHub" + (f" as {args.repo}" if args.repo else "") +
          "); `make test` there checks it installs and works.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
