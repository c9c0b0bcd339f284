"""Self-check for self-learners: grade your own course notebooks as the instructor would.

    make check              # every notebook in course/
    make check NB=02        # one notebook (02, 02_activation_functions or its path)
    python -m autograder.selfcheck 02 [--course DIR] [--source DIR] [--workers N]

With the instructor's sources present (``solutions/``, as in a clone of the repository),
your notebooks are copied into a temporary submissions folder and graded by
``autograder.grade`` (the same grader, sandbox and hidden tests as the course's), then
this prints, for every exercise, the points, passed/failed and the grader's message
(never the test source), and the path of the feedback page. Your notebooks are only read.

Without ``solutions/`` (a published student edition) the hidden tests are not available:
the notebook is run on a temporary copy and only its visible tests are reported, and the
output says so.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

import nbformat

from autograder.release import ROOT, discover_assignments, ensure_venv_on_path

STUDENT = "me"
MESSAGE_LINES = 12          # lines of a failure message printed in the terminal


def find_notebooks(course: Path, wanted: list[str]) -> list[tuple[str, Path]]:
    """(assignment, notebook path) for each wanted name ("02", "02_activation_functions"
    or a path to the notebook); every assignment folder of ``course`` when none is given."""
    folders = sorted(p for p in course.iterdir() if p.is_dir() and (p / f"{p.name}.ipynb").exists()) \
        if course.is_dir() else []
    if not wanted:
        return [(f.name, f / f"{f.name}.ipynb") for f in folders]
    found = []
    for name in wanted:
        path = Path(name)
        if path.suffix == ".ipynb" and path.exists():
            found.append((path.stem, path))
            continue
        matches = [f for f in folders if f.name == name or f.name.split("_", 1)[0] == name.zfill(2)]
        if len(matches) != 1:
            known = ", ".join(f.name.split("_", 1)[0] for f in folders) or "none"
            raise SystemExit(f"error: no single notebook {name!r} in {course} (known: {known})")
        found.append((matches[0].name, matches[0] / f"{matches[0].name}.ipynb"))
    return found


def _test_cells(path: Path) -> list[tuple[str, float]]:
    """(grade_id, points) of the notebook's test cells, in notebook order."""
    nb = nbformat.read(path, as_version=4)
    cells = []
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("grade"):
            cells.append((meta["grade_id"], float(meta.get("points", 0))))
    return cells


def _short(message: str) -> str:
    lines = (message or "").strip().splitlines()
    if len(lines) > MESSAGE_LINES:
        lines = lines[:MESSAGE_LINES] + [f"... ({len(lines) - MESSAGE_LINES} more lines in the feedback page)"]
    return "\n".join("      " + line for line in lines)


def report(assignment: str, notebook: Path, cells: dict, order: list[str], *, hidden: bool,
           feedback: Path | None) -> tuple[float, float]:
    """Print one notebook's per-exercise results; return (score, max)."""
    kind = "visible and hidden tests (the course's grader)" if hidden else "VISIBLE tests only"
    print(f"\n{assignment}  ({notebook})\n  checked with the {kind}")
    score = total = 0.0
    width = max([len(g) for g in order] + [10])
    for gid in order:
        c = cells.get(gid)
        if c is None:
            continue
        score, total = score + c["points"], total + c["max"]
        verdict = "passed" if c["passed"] else "FAILED"
        print(f"  {gid:{width}s}  {c['points']:g}/{c['max']:g}  {verdict}")
        if not c["passed"] and c.get("message"):
            print(_short(c["message"]))
    print(f"  score {score:g} / {total:g}")
    if feedback is not None:
        print(f"  feedback page: {feedback}")
    return score, total


def check_with_grader(items, source: Path, out: Path, workers: int) -> dict:
    """Grade copies of the notebooks with autograder.grade; return {assignment: results row}."""
    from autograder import grade

    with tempfile.TemporaryDirectory(prefix="selfcheck-") as tmp:
        submissions = Path(tmp) / "submissions"
        for assignment, path in items:
            target = submissions / STUDENT / assignment / f"{assignment}.ipynb"
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
        args = [str(submissions), "--out", str(out), "--overwrite", "--workers", str(workers),
                "--source", str(source)]
        for assignment, _ in items:
            args += ["--assignment", assignment]
        log = io.StringIO()
        with contextlib.redirect_stdout(log):
            status = grade.main(args)
        if status:
            print(log.getvalue())
            raise SystemExit(f"error: the grader stopped (exit status {status})")
    rows = json.loads((out / "results.json").read_text(encoding="utf-8"))
    return {row["assignment"]: row for row in rows if row["student"] == STUDENT}


def check_visible_only(path: Path, timeout: int = 120) -> dict:
    """Run a copy of the notebook; {grade_id: {points, max, passed, message}} of its test cells."""
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    with tempfile.TemporaryDirectory(prefix="selfcheck-") as tmp:
        for f in path.parent.iterdir():          # data files next to the notebook
            if f.is_file() and f.suffix != ".ipynb":
                shutil.copy(f, tmp)
        client = NotebookClient(nb, timeout=timeout, allow_errors=True, kernel_name="python3",
                                resources={"metadata": {"path": tmp}})
        stopped = None
        try:
            client.execute()
        except Exception as exc:  # a cell that never finishes: report the cells not run
            stopped = f"not run: an earlier cell stopped the notebook ({type(exc).__name__})"
    cells = {}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code" or not meta.get("grade"):
            continue
        message = None
        for o in cell.get("outputs", []):
            if o.output_type == "error":
                message = f"{o.ename}: {o.evalue}"
            elif o.output_type == "stream" and o.name == "stderr" and o.text.strip() and message is None:
                message = "the cell wrote to stderr (a warning counts as a failure): " + o.text.strip()
        if message is None and stopped and cell.get("execution_count") is None:
            message = stopped
        points = float(meta.get("points", 0))
        cells[meta["grade_id"]] = {"points": 0.0 if message else points, "max": points,
                                   "passed": message is None, "message": message or ""}
    return cells


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m autograder.selfcheck", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("notebooks", nargs="*", help="02, 02_activation_functions or a notebook path "
                                                "(default: every notebook in --course)")
    p.add_argument("--course", type=Path, default=ROOT / "course", help="your notebooks (default course/)")
    p.add_argument("--source", type=Path, default=ROOT / "solutions",
                   help="the instructor's sources with the hidden tests (default solutions/)")
    p.add_argument("--out", type=Path, default=ROOT / "autograder" / "work" / "self-check",
                   help="where the feedback pages go (replaced at every run)")
    p.add_argument("--workers", type=int, default=2, help="notebooks graded at once (default 2)")
    opts = p.parse_args(argv)
    wanted = [n for n in opts.notebooks if n]
    items = find_notebooks(opts.course, wanted)
    if not items:
        raise SystemExit(f"error: no notebook found in {opts.course}")
    ensure_venv_on_path()
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):   # small matrices: one BLAS thread
        os.environ.setdefault(var, "1")
    sources = set(discover_assignments(opts.source)) if opts.source.is_dir() else set()
    graded = [(a, nb) for a, nb in items if a in sources]
    visible = [(a, nb) for a, nb in items if a not in sources]
    score = total = 0.0
    if graded:
        print(f"Grading {len(graded)} notebook(s) with the course's grader and its hidden tests "
              f"(about 20-40 s each, {opts.workers} at a time)...", flush=True)
        rows = check_with_grader(graded, opts.source, opts.out.resolve(), opts.workers)
        for assignment, path in graded:
            row = rows.get(assignment)
            if row is None:
                print(f"\n{assignment}: not graded (see {opts.out})")
                continue
            order = [g for g, _ in _test_cells(path)] or list(row["cells"])
            for note in row.get("notes", []):
                print(f"  note: {note}")
            s, t = report(assignment, path, row["cells"], order, hidden=True,
                          feedback=opts.out.resolve() / "feedback" / STUDENT / f"{assignment}.html")
            score, total = score + s, total + t
    if visible:
        print(f"\nNo instructor sources (hidden tests) for {', '.join(a for a, _ in visible)} in "
              f"{opts.source}: running the VISIBLE tests only. The course's grader adds hidden "
              "tests (other shapes, dtypes, seeds): passing here is necessary, not sufficient.")
        for assignment, path in visible:
            cells = check_visible_only(path)
            s, t = report(assignment, path, cells, list(cells), hidden=False, feedback=None)
            score, total = score + s, total + t
    if len(items) > 1:
        print(f"\nTotal: {score:g} / {total:g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
