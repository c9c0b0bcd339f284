"""Every real assignment: the solution notebook scores full marks under the grader, and the
untouched course notebook scores 0 failing only where an answer is missing.

One grading run (2 workers) grades all of them, solutions and course versions together.
"""
import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.release import discover_assignments

ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENTS = discover_assignments(ROOT / "solutions")
PARAMS = ASSIGNMENTS or [pytest.param(None, marks=pytest.mark.skip(reason="no assignment in solutions/ yet"))]
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    subs = tmp_path_factory.mktemp("subs")
    course = tmp_path_factory.mktemp("course")   # a fresh release (test_release checks course/ equals it)
    proc = subprocess.run([sys.executable, "-m", "autograder.release", "--course-root", str(course)],
                          cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for a in ASSIGNMENTS:
        for who, tree in (("solution", ROOT / "solutions"), ("course", course)):
            (subs / who / a).mkdir(parents=True, exist_ok=True)
            shutil.copy(tree / a / f"{a}.ipynb", subs / who / a / f"{a}.ipynb")
    out = tmp_path_factory.mktemp("out") / "run"
    proc = subprocess.run([sys.executable, "-m", "autograder.grade", str(subs), "--out", str(out),
                           "--workers", "2"], cwd=ROOT, capture_output=True, text=True, timeout=1200)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    with open(out / "grades.csv", encoding="utf-8") as fh:
        rows = {(r["student"], r["assignment"]): r for r in csv.DictReader(fh)}
    details = {(d["student"], d["assignment"]): d for d in json.loads((out / "results.json").read_text())}
    return rows, details


@pytest.mark.parametrize("assignment", PARAMS)
def test_solution_gets_full_marks(graded, assignment):
    rows, details = graded
    row, d = rows[("solution", assignment)], details[("solution", assignment)]
    failing = {g: c["message"] for g, c in d["cells"].items() if not c["passed"]}
    assert float(row["score"]) == float(row["max_score"]) > 0, f"failing test cells: {failing}"
    assert row["flags"] == "", row["flags"] + " " + row["notes"]


@pytest.mark.parametrize("assignment", PARAMS)
def test_course_notebook_fails_only_where_answers_are_missing(graded, assignment):
    rows, details = graded
    row, d = rows[("course", assignment)], details[("course", assignment)]
    assert float(row["score"]) == 0, f"the untouched course notebook scores {row['score']}"
    bad = [e for e in d["errors"] if not (e["kind"] == "answer" and e["ename"] == "NotImplementedError")]
    assert not bad, f"cells other than test cells fail in the untouched course notebook: {bad}"
    assert set(row["flags"].split(";")) <= {""}, row["flags"] + " " + row["notes"]
