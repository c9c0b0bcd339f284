"""Regenerate the student notebooks (``course/``) from the nbgrader sources (``solutions/``).

    python -m autograder.release            # rewrite course/NN_*/ for every assignment
    python -m autograder.release --check    # exit 1, listing what is stale, if course/ is out of date

Each assignment is a folder ``solutions/NN_name/`` (pattern ``NN_*``). nbgrader's
``generate_assignment`` runs in a throw-away course directory with a throw-away gradebook,
then every notebook is normalized (no outputs, no execution counts, no volatile
metadata; nbformat's sorted-key JSON) so the result is byte-for-byte reproducible. Its
metadata is what the course's kernel writes when JupyterLab opens it
(``autograder.authoring.kernel_metadata``), so opening a notebook does not modify it.
Non-notebook files of the assignment are copied as they are.
"""
from __future__ import annotations

import argparse
import copy
import filecmp
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

import nbformat

from autograder.authoring.kernel_metadata import notebook_metadata
from autograder.settings import CODE_STUB
from autograder.authoring.stubs import point_stubs_at_their_tests

ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENT_PATTERN = re.compile(r"^\d\d_[A-Za-z0-9_-]+$")
IGNORED = shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__", "*.pyc", ".DS_Store")
STUB_LINE = CODE_STUB.splitlines()[-1]  # raise NotImplementedError(...)
VOLATILE_CELL_METADATA = ("execution", "ExecuteTime", "collapsed", "scrolled", "jp-MarkdownHeadingCollapsed")


def ensure_venv_on_path() -> None:
    """nbgrader shells out to ``alembic``: put this interpreter's bin/ first on PATH."""
    bindir = os.path.dirname(sys.executable)
    if os.environ.get("PATH", "").split(os.pathsep)[0] != bindir:
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")


def discover_assignments(source: Path, pattern: re.Pattern = ASSIGNMENT_PATTERN) -> list[str]:
    """Sorted names of the folders of ``source`` that match ``NN_*`` and hold a notebook."""
    source = Path(source)
    if not source.is_dir():
        return []
    return sorted(p.name for p in source.iterdir()
                  if p.is_dir() and pattern.match(p.name) and any(p.glob("*.ipynb")))


def normalize_notebook(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Strip what varies between runs: outputs, execution counts, timestamps, versions."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        for key in VOLATILE_CELL_METADATA:
            cell.metadata.pop(key, None)
    # What the course's kernel writes when JupyterLab connects: opening is not editing.
    nb.metadata = nbformat.from_dict(notebook_metadata())
    return nb


def write_notebook(nb: nbformat.NotebookNode, path: Path) -> None:
    nbformat.validate(nb)
    text = nbformat.writes(nb, version=4)
    if not text.endswith("\n"):
        text += "\n"
    Path(path).write_bytes(text.encode("utf-8"))


def generate(source: Path, assignment: str, workdir: Path, *, cell_timeout: int | None = None) -> Path:
    """Run nbgrader generate_assignment for ``assignment`` in course root ``workdir``.

    Copies ``source/assignment`` to ``workdir/source/assignment``; nbgrader writes the
    student version to ``workdir/release/assignment`` and the gradebook to
    ``workdir/gradebook.db`` (returned folder: the release). Raises RuntimeError on failure.
    """
    from traitlets.config import Config
    from nbgrader.apps import NbGraderAPI
    from autograder.settings import apply, CELL_TIMEOUT

    ensure_venv_on_path()
    workdir = Path(workdir)
    (workdir / "source").mkdir(parents=True, exist_ok=True)
    shutil.copytree(Path(source) / assignment, workdir / "source" / assignment, ignore=IGNORED,
                    dirs_exist_ok=True)
    c = Config()
    apply(c, root=str(workdir), cell_timeout=cell_timeout or CELL_TIMEOUT)
    api = NbGraderAPI(config=c)
    result = api.generate_assignment(assignment, force=True, create=True)
    if not result.get("success"):
        raise RuntimeError(f"nbgrader generate_assignment {assignment} failed:\n"
                           f"{result.get('error', '')}\n{result.get('log', '')}")
    return workdir / "release" / assignment


def holds_learner_work(path: Path) -> bool:
    """True if the notebook at ``path`` is not as release left it, so must not be replaced.

    A released notebook is normalized (no outputs, no execution counts, the course kernel's
    metadata) and each of its code answer cells still holds the stub. One that a learner
    ran is not normalized; one whose answers were typed in has lost a stub. The notebook's
    own metadata is not work: a kernel on another Python version rewrites
    ``language_info.version`` there. An unreadable file counts as someone's work too.
    """
    try:
        text = path.read_text(encoding="utf-8")
        nb = nbformat.reads(text, as_version=4)
    except Exception:
        return True
    answered = any(c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution")
                   and STUB_LINE not in c.source for c in nb.cells)
    as_released = nbformat.writes(normalize_notebook(copy.deepcopy(nb))) + "\n"
    nb.metadata = nbformat.from_dict(notebook_metadata())
    return answered or as_released != nbformat.writes(nb) + "\n"


def learner_work(dest: Path, assignments: list[str]) -> list[Path]:
    """Notebooks under ``dest/<assignment>/`` that hold someone's work (see holds_learner_work)."""
    return [p for a in assignments for p in sorted((Path(dest) / a).rglob("*.ipynb"))
            if ".ipynb_checkpoints" not in p.parts and holds_learner_work(p)]


def back_up(paths: list[Path], root: Path) -> Path:
    """Copy ``paths`` (relative to ``root``) to a new folder under autograder/work/backups/."""
    backups = ROOT / "autograder" / "work" / "backups"
    n = 1
    while (backups / f"before-release-{n:03d}").exists():
        n += 1
    folder = backups / f"before-release-{n:03d}"
    for p in paths:
        target = folder / p.relative_to(root)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(p, target)
    return folder


def release_assignment(source: Path, assignment: str, dest: Path) -> None:
    """Write the normalized student version of ``assignment`` to ``dest/assignment`` (replaced)."""
    with tempfile.TemporaryDirectory(prefix="release-") as tmp:
        released = generate(source, assignment, Path(tmp) / "course")
        staged = Path(tmp) / "out" / assignment
        shutil.copytree(released, staged, ignore=IGNORED)
        for path in sorted(staged.rglob("*.ipynb")):
            nb = point_stubs_at_their_tests(nbformat.read(path, as_version=4))  # 'test cell below' only where one is
            write_notebook(normalize_notebook(nb), path)
        target = Path(dest) / assignment
        if target.exists():
            shutil.rmtree(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(staged, target)


def stale_files(expected: Path, actual: Path) -> list[str]:
    """Relative paths that differ (missing, extra or different bytes) between two trees."""
    def files(root: Path) -> set[str]:
        return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()} if root.exists() else set()
    exp, act = files(expected), files(actual)
    out = sorted((exp ^ act) | {f for f in exp & act
                                if not filecmp.cmp(expected / f, actual / f, shallow=False)})
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder.release", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("assignments", nargs="*", help="assignment folders (default: every NN_* in --source)")
    parser.add_argument("--source", type=Path, default=ROOT / "solutions", help="nbgrader source folder")
    parser.add_argument("--course-root", type=Path, default=ROOT / "course",
                        help="where the student versions go (default: course/)")
    parser.add_argument("--force", action="store_true",
                        help="replace course notebooks that hold someone's work (a copy is kept "
                             "under autograder/work/backups/)")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 listing the stale files if course/ is out of date")
    args = parser.parse_args(argv)
    assignments = args.assignments or discover_assignments(args.source)
    if not assignments:
        print(f"no assignment (folder NN_name with a notebook) in {args.source}")
        return 0
    if args.check:
        stale = []
        with tempfile.TemporaryDirectory(prefix="release-check-") as tmp:
            for a in assignments:
                release_assignment(args.source, a, Path(tmp))
                stale += [f"{a}/{f}" for f in stale_files(Path(tmp) / a, args.course_root / a)]
        if stale:
            print(f"{args.course_root} is out of date with {args.source}; run `make release`. Stale files:")
            for f in stale:
                print("  " + f)
            return 1
        print(f"{args.course_root} is up to date ({len(assignments)} assignment(s))")
        return 0
    worked = learner_work(args.course_root, assignments)
    if worked and not args.force:
        print("These notebooks hold someone's work (outputs, or edits saved since the last release),\n"
              "so they were not replaced; nothing was written:")
        for p in worked:
            print(f"  {p}")
        print("Copy your work elsewhere (or commit it), then run `make release` again, or run\n"
              "`python -m autograder.release --force` to replace them after keeping a copy.")
        return 2
    if worked:
        print(f"kept a copy of {len(worked)} notebook(s) in {back_up(worked, args.course_root)}")
    for a in assignments:
        release_assignment(args.source, a, args.course_root)
        print(f"released {a} -> {args.course_root / a}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
