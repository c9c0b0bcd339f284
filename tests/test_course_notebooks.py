"""Every real assignment: the solution notebook scores full marks under the grader, and the
untouched course notebook scores 0 failing only where an answer is missing; grading only
what tests need (the default, autograder.verdict.reduce) gives exactly the scores of running all.

Two grading runs (2 workers) grade all of them, solutions and course versions together:
the default one and one with --no-reduce.
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
    runs = {}
    for mode in ("reduced", "full"):      # the grader's default drops unchanged experiments; --no-reduce runs all
        out = tmp_path_factory.mktemp("out") / mode
        proc = subprocess.run([sys.executable, "-m", "autograder.grade", str(subs), "--out", str(out),
                               "--workers", "2", *(["--no-reduce"] if mode == "full" else [])],
                              cwd=ROOT, capture_output=True, text=True, timeout=1800)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        with open(out / "grades.csv", encoding="utf-8") as fh:
            rows = {(r["student"], r["assignment"]): r for r in csv.DictReader(fh)}
        details = {(d["student"], d["assignment"]): d for d in json.loads((out / "results.json").read_text())}
        runs[mode] = rows, details
    return runs


@pytest.mark.parametrize("assignment", PARAMS)
def test_solution_gets_full_marks(graded, assignment):
    rows, details = graded["reduced"]
    row, d = rows[("solution", assignment)], details[("solution", assignment)]
    failing = {g: c["message"] for g, c in d["cells"].items() if not c["passed"]}
    assert float(row["score"]) == float(row["max_score"]) > 0, f"failing test cells: {failing}"
    assert row["flags"] == "", row["flags"] + " " + row["notes"]


@pytest.mark.parametrize("assignment", PARAMS)
def test_course_notebook_fails_only_where_answers_are_missing(graded, assignment):
    rows, details = graded["full"]        # every cell run: experiments too must not fail
    row, d = rows[("course", assignment)], details[("course", assignment)]
    assert float(row["score"]) == 0, f"the untouched course notebook scores {row['score']}"
    bad = [e for e in d["errors"] if not (e["kind"] == "answer" and e["ename"] == "NotImplementedError")]
    assert not bad, f"cells other than test cells fail in the untouched course notebook: {bad}"
    assert set(row["flags"].split(";")) <= {""}, row["flags"] + " " + row["notes"]


@pytest.mark.parametrize("who", ["solution", "course"])
@pytest.mark.parametrize("assignment", PARAMS)
def test_reduced_notebook_scores_exactly_like_the_full_one(graded, assignment, who):
    """autograder.verdict.reduce drops unchanged experiment and Markdown cells: no test may notice."""
    (rows, details), (full_rows, full_details) = graded["reduced"], graded["full"]
    key = (who, assignment)
    reduced = {g: (c["points"], c["passed"]) for g, c in details[key]["cells"].items()}
    full = {g: (c["points"], c["passed"]) for g, c in full_details[key]["cells"].items()}
    assert reduced == full, {g: (reduced[g], full[g]) for g in full if reduced.get(g) != full[g]}
    assert rows[key]["score"] == full_rows[key]["score"] and rows[key]["flags"] == full_rows[key]["flags"]
