"""The grader (autograder.grade) on the small fixture assignment tests/fixtures/grading/source/00_mini.

Bad submissions are built from the fixture's solution in temporary folders and graded in
two batches (one subprocess run each, like `make grade`), then each test checks its row.
"""
import csv
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from autograder.reporting.results import tree_hash
from autograder.intake.submissions import extract_zip, identify

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "grading" / "source"
NAME = "00_mini"
MAX = 5.0
MARKER = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*$")


def run(*args, check=True, timeout=600):
    proc = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode:
        raise AssertionError(f"{args} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def solutions():
    """Answer cells of the fixture's source with the markers removed: grade_id -> code."""
    nb = nbformat.read(FIXTURE / NAME / f"{NAME}.ipynb", as_version=4)
    return {c.metadata["nbgrader"]["grade_id"]: "\n".join(l for l in c.source.splitlines() if not MARKER.match(l))
            for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")}


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    course = tmp_path_factory.mktemp("course")
    run("-m", "autograder.release", "--source", str(FIXTURE), "--course-root", str(course))
    return nbformat.read(course / NAME / f"{NAME}.ipynb", as_version=4)


def student_nb(released, *, answers=None, prefix=None, drop=(), edit=None):
    """The released notebook with correct answers, some replaced / prefixed; test cells dropped or edited."""
    nb = nbformat.from_dict(json.loads(json.dumps(released)))
    code = {**solutions(), **(answers or {})}
    cells = []
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid in drop:
            continue
        if gid in code:
            cell.source = (prefix or {}).get(gid, "") + code[gid]
        if edit and gid in edit:
            cell.source = edit[gid]
        cells.append(cell)
    nb.cells = cells
    return nb


def write(root, rel, nb):
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(nb, str):
        path.write_text(nb)
    else:
        nbformat.write(nb, path)


def grade(subs, out, *extra):
    proc = run("-m", "autograder.grade", str(subs), "--source", str(FIXTURE), "--out", str(out),
               "--workers", "2", *extra)
    with open(out / "grades.csv", encoding="utf-8") as fh:
        rows = {r["student"]: r for r in csv.DictReader(fh)}
    details = {d["student"]: d for d in json.loads((out / "results.json").read_text())}
    return proc, rows, details


WRONG_RELU = "def relu(z):\n    return z"

FAST = {
    "good": dict(),
    "deleted_test": dict(drop=("test_square_sum",)),
    "edited_test": dict(answers={"relu": WRONG_RELU}, edit={"test_relu": "print('all good')"}),
    "tamper_testing": dict(answers={"relu": WRONG_RELU + "\nnp.testing.assert_allclose = lambda *a, **k: None"}),
    "tamper_allclose": dict(answers={"square_sum": "def square_sum(x):\n    return 0.0\n"
                                                   "np.allclose = lambda *a, **k: True"}),
    "tamper_deeplib": dict(answers={"relu": WRONG_RELU + "\nimport deeplib.checks\n"
                                            "deeplib.checks.check_close = lambda *a, **k: None"}),
    # evades the static scan (no assignment): only the run-time check sees it
    "tamper_dynamic": dict(answers={"relu": WRONG_RELU + "\ngetattr(__import__('numpy'), 'testing')"
                                            ".__dict__.update(assert_allclose=lambda *a, **k: None)"}),
    "huge_output": dict(prefix={"relu": "print('\\n'.join(map(str, range(10**5))))\n"}),
    "sys_exit": dict(prefix={"mean_abs": "import sys\nsys.exit(1)\n"}),
    "os_exit": dict(prefix={"mean_abs": "import os\nos._exit(1)\n"}),
}


@pytest.fixture(scope="module")
def fast_batch(released, tmp_path_factory):
    subs = tmp_path_factory.mktemp("subs")
    for student, kw in FAST.items():
        write(subs, f"{student}/{NAME}/{NAME}.ipynb", student_nb(released, **kw))
    write(subs, f"corrupt/{NAME}/{NAME}.ipynb", '{"cells": [ this is not json')
    write(subs, "renamed/my homework (final).ipynb", student_nb(released))
    write(subs, "missing/notes.txt", "I forgot to upload it")
    before = tree_hash(subs)
    out = tmp_path_factory.mktemp("out") / "run"
    proc, rows, details = grade(subs, out)
    print(proc.stdout)
    return dict(subs=subs, before=before, out=out, proc=proc, rows=rows, details=details)


def flags(row):
    return set(filter(None, row["flags"].split(";")))


def test_good_submission_gets_full_marks(fast_batch):
    row = fast_batch["rows"]["good"]
    assert float(row["score"]) == MAX and flags(row) == set(), row


@pytest.mark.parametrize("student, score, flag", [
    ("corrupt", 0, "corrupt_notebook"),
    ("deleted_test", MAX, "test_cell_restored"),
    ("edited_test", MAX - 2, "test_cell_edited"),      # restored test rejects the wrong relu
    ("renamed", MAX, "renamed_notebook"),
    ("missing", 0, "missing_notebook"),
    ("tamper_testing", 0, "tampering"),
    ("tamper_allclose", 0, "tampering"),
    ("tamper_deeplib", 0, "tampering"),
    ("tamper_dynamic", 0, "tampering"),
    ("huge_output", MAX, "huge_output"),
    ("sys_exit", MAX - 2, "sys_exit"),                 # mean_abs never defined
    ("os_exit", MAX - 2, "kernel_died"),               # rest graded without the killing cell
])
def test_bad_submission(fast_batch, student, score, flag):
    row = fast_batch["rows"][student]
    assert float(row["score"]) == score, row
    assert flag in flags(row), row
    assert row["notes"], "a flagged row explains itself in notes"


def test_dynamic_check_catches_what_static_scan_misses(fast_batch):
    notes = " ".join(fast_batch["details"]["tamper_dynamic"]["notes"])
    assert "rebound at run time" in notes and "numpy.testing.assert_allclose" in notes


def test_csv_columns_and_order(fast_batch):
    lines = (fast_batch["out"] / "grades.csv").read_text().splitlines()
    assert lines[0] == ("student,assignment,score,max_score,00_mini:test_relu,00_mini:test_square_sum,"
                        "00_mini:test_mean_abs,flags,notes")
    students = [line.split(",")[0] for line in lines[1:]]
    assert students == sorted(students) and len(students) == len(FAST) + 3


def test_feedback_shows_messages_not_hidden_tests(fast_batch):
    fb = fast_batch["out"] / "feedback" / "edited_test" / f"{NAME}.html"
    text = fb.read_text()
    assert "AssertionError" in text and "Not equal to tolerance" in text  # visible failure message
    assert "relu(-3) must be 0" not in text or "relu(np.array([-3.0]))" not in text
    assert "BEGIN HIDDEN TESTS" not in text and "float32" not in text.replace("relu must keep float32", "")
    huge = (fast_batch["out"] / "feedback" / "huge_output" / f"{NAME}.html").stat().st_size
    assert huge < 50_000


def test_submissions_are_never_modified(fast_batch):
    assert tree_hash(fast_batch["subs"]) == fast_batch["before"]


def test_progress_and_summary_printed(fast_batch):
    out = fast_batch["proc"].stdout
    assert re.search(r"^\[\d+/\d+\] good/00_mini 5/5 \d+\.\d+s$", out, re.M), out
    assert "mean score" in out and "tampering" in out and "skipped missing/notes.txt" in out


def test_existing_output_is_not_clobbered(fast_batch):
    proc = run("-m", "autograder.grade", str(fast_batch["subs"]), "--source", str(FIXTURE),
               "--out", str(fast_batch["out"]), check=False)
    assert proc.returncode != 0 and "--overwrite" in proc.stderr + proc.stdout


@pytest.mark.slow
def test_rerun_gives_identical_csv(released, tmp_path):
    subs = tmp_path / "subs"
    write(subs, f"a/{NAME}/{NAME}.ipynb", student_nb(released))
    write(subs, f"b/{NAME}.ipynb", student_nb(released, answers={"relu": WRONG_RELU}))
    _, rows, _ = grade(subs, tmp_path / "o1")
    grade(subs, tmp_path / "o2")
    assert (tmp_path / "o1" / "grades.csv").read_bytes() == (tmp_path / "o2" / "grades.csv").read_bytes()
    assert float(rows["b"]["score"]) == MAX - 2 and rows["b"]["00_mini:test_relu"] == "0"


@pytest.mark.slow
def test_timeouts_and_memory(released, tmp_path):
    subs = tmp_path / "subs"
    hogs = {
        "good": dict(),
        "loop": dict(prefix={"square_sum": "while True:\n    pass\n"}),
        "stubborn": dict(prefix={"square_sum": "while True:\n    try:\n        while True:\n"
                                               "            pass\n    except KeyboardInterrupt:\n        pass\n"}),
        "memhog": dict(prefix={"square_sum": "x = np.ones(10**11)\n"}),
        "growing": dict(prefix={"square_sum": "a = []\nwhile True:\n    a.append(bytearray(10**7))\n"}),
    }
    for student, kw in hogs.items():
        write(subs, f"{student}/{NAME}/{NAME}.ipynb", student_nb(released, **kw))
    # the notebook budget (wall clock) only has to stop "stubborn"; 45 s leaves the others room on a loaded machine
    _, rows, _ = grade(subs, tmp_path / "out", "--cell-timeout", "3", "--notebook-timeout", "45",
                       "--memory-mb", "2000")
    assert float(rows["good"]["score"]) == MAX and not flags(rows["good"])
    assert float(rows["loop"]["score"]) == MAX - 1 and "cell_timeout" in flags(rows["loop"])
    assert float(rows["stubborn"]["score"]) == 0 and "killed_timeout" in flags(rows["stubborn"])
    assert "memory_limit" in flags(rows["memhog"]), rows["memhog"]
    # a list that keeps its ~2 GB after the MemoryError can leave the sandboxed kernel unable to
    # run the grader's final integrity check: the notebook is then not graded (killed_timeout, 0)
    # and the note says why; it never affects another notebook (known limit, autograder/README.md)
    assert flags(rows["growing"]) & {"memory_limit", "cell_timeout", "killed_timeout"}, rows["growing"]
    if "killed_timeout" in flags(rows["growing"]):
        assert float(rows["growing"]["score"]) == 0 and "final check could not run" in rows["growing"]["notes"]
    else:
        assert float(rows["growing"]["score"]) == MAX - 1
    assert float(rows["memhog"]["score"]) == MAX - 1


# ----------------------------------------------------------- identification (no grading)
NOTEBOOKS = {NAME: (NAME, {"relu", "test_relu", "square_sum", "test_square_sum", "setup"}),
             "01_other": ("01_other", {"other", "test_other"})}


def test_identify_lms_layouts(released, tmp_path):
    good = student_nb(released)
    write(tmp_path, f"doejane_LATE_123_456_{NAME}-1.ipynb", good)                # Canvas, resubmitted
    write(tmp_path, "smithjohn_789_1011_homework.ipynb", good)                   # Canvas, renamed
    write(tmp_path, f"Ana María López_55_assignsubmission_file_/{NAME}.ipynb", good)  # Moodle
    write(tmp_path, f"bob/{NAME}/{NAME}.ipynb", good)                            # nbgrader
    write(tmp_path, f"bob/{NAME}/.ipynb_checkpoints/{NAME}-checkpoint.ipynb", good)
    write(tmp_path, f"carl/{NAME}.ipynb", good)
    write(tmp_path, "carl/copy of it.ipynb", good)                               # second one, same assignment
    write(tmp_path, "stray.ipynb", good)
    write(tmp_path, "dave/unrelated.ipynb", nbformat.v4.new_notebook())
    found, skipped, students = identify(tmp_path, NOTEBOOKS)
    got = {(f.student, f.assignment, tuple(f.flags)) for f in found}
    assert got == {("doejane", NAME, ()), ("smithjohn", NAME, ("renamed_notebook",)),
                   ("Ana María López", NAME, ()), ("bob", NAME, ()), ("carl", NAME, ("several_notebooks",))}, got
    reasons = dict(skipped)
    assert "another notebook of carl" in reasons["carl/copy of it.ipynb"]
    assert "whose" in reasons["stray.ipynb"] and "matches no assignment" in reasons["dave/unrelated.ipynb"]


def test_zip_extraction_refuses_unsafe_paths(tmp_path):
    z = tmp_path / "subs.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr(f"alice_1_2_{NAME}.ipynb", "{}")
        zf.writestr("../evil.ipynb", "{}")
    skipped = []
    extract_zip(z, tmp_path / "x", skipped)
    assert (tmp_path / "x" / f"alice_1_2_{NAME}.ipynb").exists()
    assert not (tmp_path / "evil.ipynb").exists() and "unsafe" in skipped[0][1]
