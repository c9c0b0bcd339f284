"""A messy real-world batch (tests/fixtures/grading/make_messy.py) is graded as one batch:
the run finishes, every submitter gets exactly one row with the right score and flags,
skipped.txt gives every file not graded with its reason, nothing printed holds a control
character; then a rerun with --resume after a simulated crash grades only what was lost.
"""
import csv
import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from autograder.intake.names import CONTROL

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "grading"
SOURCE = FIXTURE / "source"
NAME = "00_mini"
MARKER = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*$")

pytestmark = pytest.mark.slow     # two grading runs of about 20 small notebooks

spec = importlib.util.spec_from_file_location("make_messy", FIXTURE / "make_messy.py")
make_messy = importlib.util.module_from_spec(spec)
spec.loader.exec_module(make_messy)


def run(*args):
    return subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True,
                          errors="surrogateescape", timeout=900)


@pytest.fixture(scope="module")
def messy(tmp_path_factory):
    course = tmp_path_factory.mktemp("course")
    proc = run("-m", "autograder.release", "--source", str(SOURCE), "--course-root", str(course))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    released = nbformat.read(course / NAME / f"{NAME}.ipynb", as_version=4)
    solution = nbformat.read(SOURCE / NAME / f"{NAME}.ipynb", as_version=4)
    answers = {c.metadata["nbgrader"]["grade_id"]: "\n".join(l for l in c.source.splitlines() if not MARKER.match(l))
               for c in solution.cells if c.metadata.get("nbgrader", {}).get("solution")}
    folder = tmp_path_factory.mktemp("messy")
    inputs, expected, skipped = make_messy.build(folder, released, answers, SOURCE / NAME / f"{NAME}.ipynb")
    out = folder / "out"
    args = ("-m", "autograder.grade", *map(str, inputs), "--source", str(SOURCE), "--out", str(out),
            "--workers", "2", "--max-file-mb", "1")
    proc = run(*args)
    return dict(proc=proc, out=out, expected=expected, skipped=skipped, args=args)


def rows(out):
    with open(out / "grades.csv", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_run_finishes(messy):
    assert messy["proc"].returncode == 0, messy["proc"].stdout + messy["proc"].stderr


def test_one_row_per_submitter_with_score_and_flags(messy):
    got = rows(messy["out"])
    students = [r["student"] for r in got]
    assert sorted(students) == sorted(messy["expected"]), "one row per submitter, none merged or lost"
    for r in got:
        score, flags = messy["expected"][r["student"]]
        have = set(filter(None, r["flags"].split(";")))
        assert float(r["score"]) == score and have == flags, (r["student"], r["score"], have, r["notes"])
        if flags:
            assert r["notes"], f"{r['student']}: a flagged row explains itself"


def test_repairs_are_noted(messy):
    notes = {r["student"]: r["notes"] for r in rows(messy["out"])}
    assert "second copy of 'relu'" in notes["dup"] and "second copy of 'setup'" in notes["dup"]
    assert "matched to 'relu' by id" in notes["renamed_ids"]
    assert "matched to 'test_square_sum' by id" in notes["renamed_ids"]
    assert "matched to 'mean_abs' by position" in notes["renamed_ids"]
    assert "another notebook" in notes["pasted"]
    assert "00_mini-Copy1.ipynb" in notes["copycat"] and "00_mini (1).ipynb" in notes["copycat"]


def test_skipped_lists_every_file_not_graded(messy):
    text = (messy["out"] / "skipped.txt").read_text(encoding="utf-8")
    lines = text.splitlines()
    for path in messy["skipped"]:
        hit = [ln for ln in lines if ln.startswith(path + ":")]
        assert hit and len(hit[0]) > len(path) + 3, f"{path} not in skipped.txt with a reason:\n{text}"
    assert "symbolic link" in text and "FIFO" in text and "larger than 1 MiB" in text
    assert not CONTROL.search(text.replace("\n", ""))


def test_nothing_printed_contains_a_control_character(messy):
    printed = messy["proc"].stdout + messy["proc"].stderr
    assert "%1b[2J" in printed                        # the crafted name is shown, escaped
    bad = {repr(ch) for ch in CONTROL.findall(printed.replace("\n", ""))}
    assert not bad, bad
    assert not re.search("[\udc80-\udcff]", printed), "undecodable bytes are shown as escapes"


def test_symlink_to_the_solution_is_not_graded(messy):
    r = {r["student"]: r for r in rows(messy["out"])}["mallory"]
    assert float(r["score"]) == 0 and "symlink" in r["flags"]


def test_resume_after_a_crash_grades_only_what_was_lost(messy):
    out = messy["out"]
    before = (out / "grades.csv").read_bytes()
    journal = out / "results.jsonl"
    lines = journal.read_text(encoding="utf-8").splitlines(keepends=True)
    journal.write_text("".join(lines[:-2]) + lines[-2][:40], encoding="utf-8")   # lost 2, one cut short
    (out / "grades.csv").unlink()
    proc = run(*messy["args"], "--resume")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"{len(lines) - 2} notebook(s) already graded" in proc.stdout, proc.stdout
    assert len(re.findall(r"^\[\d+/2\] ", proc.stdout, re.M)) == 2, proc.stdout
    assert (out / "grades.csv").read_bytes() == before


def test_output_folder_refused_without_resume_or_overwrite(messy):
    proc = run(*messy["args"])
    assert proc.returncode != 0 and "--resume" in proc.stdout + proc.stderr
