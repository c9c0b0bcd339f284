"""Build a folder of sample submissions, to try the grader before real students do.

    python -m autograder.demo OUT [--assignment 00_getting_started]
    make grade SUBMISSIONS=OUT

For one assignment it writes, in nbgrader's ``<student>/<assignment>/<notebook>.ipynb``
layout, the student version (from ``course/``) filled in three ways (``correct``: every
answer; ``blank``: untouched; ``partial``: only the first half of the answers) and one
submission for each kind of bad submission the grader knows (see ``autograder/README.md``):
corrupt JSON, an infinite loop, a loop that ignores interrupts, a memory hog, a deleted and
an edited test cell, a renamed and a missing notebook, rebinding what the tests use, huge
output, ``sys.exit()`` and ``os._exit()``. OUT must not exist yet: nothing is overwritten.
"""
from __future__ import annotations

import argparse
import copy
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
MARKER = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*$")

# extra code put in front of the first answer cell, one student each
PREFIXES = {
    "infinite_loop": "while True:\n    pass\n",
    "ignores_interrupts": ("while True:\n    try:\n        while True:\n            pass\n"
                           "    except KeyboardInterrupt:\n        pass\n"),
    "memory_hog": "import numpy as _np\n_hog = _np.ones(10**11)\n",
    "tampering": "import numpy as _np\n_np.testing.assert_allclose = lambda *a, **k: None\n",
    "huge_output": "print('\\n'.join(map(str, range(10**6))))\n",
    "sys_exit": "import sys\nsys.exit(1)\n",
    "os_exit": "import os\nos._exit(1)\n",
}


def _grade_id(cell):
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def answers(source_nb) -> dict[str, str]:
    """grade_id -> source of every answer cell of the solution, markers removed."""
    return {_grade_id(c): "\n".join(l for l in c.source.splitlines() if not MARKER.match(l))
            for c in source_nb.cells if c.metadata.get("nbgrader", {}).get("solution")}


def filled(student_nb, solution: dict[str, str], *, keep=None, prefix="", drop=(), edit=None):
    """A copy of the student notebook with the answers in ``keep`` (default: all) filled in."""
    nb = copy.deepcopy(student_nb)
    ids = [g for g in solution if keep is None or g in keep]
    first = next(iter(solution), None)
    cells = []
    for cell in nb.cells:
        gid = _grade_id(cell)
        if gid in drop:
            continue
        if gid in ids:
            cell.source = solution[gid]
        if gid == first and prefix:
            cell.source = prefix + cell.source
        if edit and gid == edit:
            cell.source = "print('all tests pass')  # a student's edit of a locked test cell"
        cells.append(cell)
    nb.cells = cells
    return nb


def build(out: Path, assignment: str) -> list[str]:
    if out.exists():
        raise SystemExit(f"{out} already exists: choose a new folder (nothing is overwritten)")
    source = nbformat.read(ROOT / "solutions" / assignment / f"{assignment}.ipynb", as_version=4)
    student = nbformat.read(ROOT / "course" / assignment / f"{assignment}.ipynb", as_version=4)
    solution = answers(source)
    tests = [_grade_id(c) for c in source.cells
             if c.metadata.get("nbgrader", {}).get("grade") and not
             c.metadata["nbgrader"].get("solution")]
    half = list(solution)[: max(1, len(solution) // 2)]
    made = {
        "correct": filled(student, solution),
        "blank": copy.deepcopy(student),
        "partial": filled(student, solution, keep=half),
        "deleted_test_cell": filled(student, solution, drop=tests[:1]),
        "edited_test_cell": filled(student, solution, keep=half, edit=tests[-1]),
        **{name: filled(student, solution, prefix=code) for name, code in PREFIXES.items()},
    }
    for name, nb in made.items():
        path = out / name / assignment / f"{assignment}.ipynb"
        path.parent.mkdir(parents=True)
        nbformat.write(nb, path)
    (out / "corrupt" / assignment).mkdir(parents=True)
    (out / "corrupt" / assignment / f"{assignment}.ipynb").write_text('{"cells": [ not json')
    (out / "renamed").mkdir()
    nbformat.write(made["correct"], out / "renamed" / "my homework (final).ipynb")
    (out / "missing").mkdir()
    (out / "missing" / "notes.txt").write_text("I forgot to upload my notebook\n")
    return sorted([*made, "corrupt", "renamed", "missing"])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="a folder that does not exist yet")
    parser.add_argument("--assignment", default="00_getting_started")
    args = parser.parse_args(argv)
    students = build(args.out, args.assignment)
    print(f"{len(students)} sample submissions of {args.assignment} in {args.out}: "
          + ", ".join(students))
    print(f"grade them with:  make grade SUBMISSIONS={args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
