"""Hostile submissions of notebook 00 (tests/fixtures/hostile.py) graded in ONE batch, one worker.

For each: the attacker's own score and flags, every other student's score unchanged, grades.csv
identical 30 s after the grader exits, no process of the batch alive, the repository and the
submissions folder byte-identical, no hidden-test or solution line (raw or encoded) in feedback.
"""
import base64
import binascii
import csv
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest

from autograder.reporting.results import tree_hash
from tests.fixtures import hostile

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.skipif(shutil.which("bwrap") is None, reason=(
    "bubblewrap (bwrap) is not installed, so the sandbox cannot be tested: apt-get install -y bubblewrap"))
WAIT = 30          # seconds after the grader exits during which a surviving process could act
WATCHED_DIRS = ("deeplib", "solutions", "course", "autograder", "tests/fixtures", "docs")
PLANTED = ("hostile.txt", "deeplib/hostile.py", "autograder/hostile.py", "course/hostile.txt",
           "solutions/00_getting_started/hostile.txt")


def repo_state() -> dict[str, str]:
    """SHA-256 of every file of the watched folders (caches excluded); which planted names exist."""
    state = {}
    for d in WATCHED_DIRS:
        for p in sorted((ROOT / d).rglob("*")):
            if p.is_file() and not {"__pycache__", ".pytest_cache", ".ipynb_checkpoints"} & set(p.parts):
                state[str(p.relative_to(ROOT))] = hashlib.sha256(p.read_bytes()).hexdigest()
    for rel in PLANTED:
        state[rel] = str((ROOT / rel).exists())
    return state


def batch_processes(*fragments: str) -> list[str]:
    found = []
    for cmd in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            text = cmd.read_bytes().decode(errors="replace").replace("\0", " ")
        except OSError:
            continue
        if any(f in text for f in fragments) and str(os.getpid()) != cmd.parent.name:
            found.append(f"{cmd.parent.name}: {text[:200]}")
    return found


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    base = tmp_path_factory.mktemp("hostile")
    subs, out, tmp = base / "subs", base / "out", base / "t"
    tmp.mkdir()
    expected = hostile.build(subs)
    before = {"subs": tree_hash(subs), "repo": repo_state()}
    env = dict(os.environ, TMPDIR=str(tmp))   # the batch's temporary folders (and kernels' run folders)
    proc = subprocess.run([sys.executable, "-m", "autograder.grade", str(subs), "--out", str(out),
                           "--workers", "1", "--assignment", hostile.NAME, "--notebook-timeout", "240"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    grades = (out / "grades.csv").read_bytes()
    time.sleep(WAIT)
    with open(out / "grades.csv", encoding="utf-8") as fh:
        rows = {r["student"]: r for r in csv.DictReader(fh)}
    print(proc.stdout)
    return dict(out=out, subs=subs, tmp=tmp, before=before, proc=proc, rows=rows, expected=expected,
                grades=grades, grades_later=(out / "grades.csv").read_bytes(),
                survivors=batch_processes(hostile.MARKER, str(tmp), str(subs)))


def flags(row):
    return set(filter(None, row["flags"].split(";")))


@pytest.mark.parametrize("student", sorted(hostile.EXPECTED))
def test_score_and_flags(batch, student):
    score, must, must_not = batch["expected"][student]
    row = batch["rows"][student]
    assert float(row["score"]) == score, row
    assert must <= flags(row), row
    assert not (must_not & flags(row)), row


def test_grade_sheet_unchanged_after_the_grader_exits(batch):
    assert batch["grades_later"] == batch["grades"]


def test_no_process_of_the_batch_survives(batch):
    assert batch["survivors"] == []


def test_repository_and_submissions_untouched(batch):
    assert tree_hash(batch["subs"]) == batch["before"]["subs"]
    now, before = repo_state(), batch["before"]["repo"]
    assert [k for k in sorted(set(now) | set(before)) if now.get(k) != before.get(k)] == []
    assert not os.path.exists(hostile.ROOT_FILE)


B64 = re.compile(r"[A-Za-z0-9+/=\n]{24,}")
B85 = re.compile(r"[0-9A-Za-z!#$%&()*+\-;<=>?@^_`{|}~]{24,}")


def _decoded(text: str) -> list[str]:
    """Every run of the feedback that decodes (base64 / base85, then maybe zlib) to text."""
    out = []
    for rx, dec in ((B64, base64.b64decode), (B85, base64.b85decode)):
        for m in rx.finditer(text):
            for blob in (m.group(0), m.group(0).replace("\n", "")):
                try:
                    raw = dec(blob)
                except (binascii.Error, ValueError):
                    continue
                for data in (raw,):
                    try:
                        data = zlib.decompress(data)
                    except zlib.error:
                        pass
                    out.append(data.decode(errors="replace"))
    return out


def test_no_hidden_test_or_solution_in_feedback(batch):
    secrets = hostile.secret_lines()
    assert len(secrets) > 100, "the source notebooks' hidden tests and solutions were found"
    files = [*(batch["out"] / "feedback").rglob("*.html"), batch["out"] / "results.json", batch["out"] / "grades.csv"]
    import html
    for f in files:
        text = f.read_text(encoding="utf-8")
        texts = [text, html.unescape(text)]
        if f.suffix == ".json":
            texts.append(json.dumps(json.loads(text), ensure_ascii=False))
        texts += [d for t in texts for d in _decoded(t)]
        for t in texts:
            leaked = [s for s in secrets if s in t]
            assert not leaked, f"{f.name}: {leaked[:3]}"
    reader = (batch["out"] / "feedback" / "attack_reader" / f"{hostile.NAME}.html").read_text()
    assert "ValueError raised in your cell `relative_error`" in reader   # the learner still sees what failed


def test_warning_in_a_test_cell_fails_it(batch):
    details = {d["student"]: d for d in json.loads((batch["out"] / "results.json").read_text())}
    cell = details["warning_in_test"]["cells"]["test_relative_error"]
    assert cell["points"] == 0 and "UserWarning: two-element vectors are deprecated" in cell["message"]


def test_tampering_notes_give_evidence(batch):
    details = {d["student"]: d for d in json.loads((batch["out"] / "results.json").read_text())}
    assert "deeplib.checks._fail" in " ".join(details["attack_checks_patch"]["notes"])
    notes = " ".join(details["attack_transformer"]["notes"])
    assert "did not run as written" in notes and "input_transformers_cleanup" in notes
