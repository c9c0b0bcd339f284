"""`make release`: course/ is the reproducible, solution-free image of solutions/."""
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbgrader.nbgraderformat import MetadataValidator

from autograder.release import discover_assignments, stale_files

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "solutions"
FIXTURE = ROOT / "tests" / "fixtures" / "grading" / "source"
ASSIGNMENTS = discover_assignments(SOURCE)
PARAMS = ASSIGNMENTS or [pytest.param(None, marks=pytest.mark.skip(reason="no assignment in solutions/ yet"))]
MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
REGION = re.compile(r"### BEGIN (SOLUTION|HIDDEN TESTS)\n(.*?)### END \1", re.S)


def release(source, dest):
    proc = subprocess.run([sys.executable, "-m", "autograder.release", "--source", str(source),
                           "--course-root", str(dest)], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return dest


@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    """solutions/ released twice into temporary folders (plus the grading fixture)."""
    base = tmp_path_factory.mktemp("release")
    out = {}
    for run in ("a", "b"):
        if ASSIGNMENTS:
            release(SOURCE, base / run / "course")
        release(FIXTURE, base / run / "fixture")
        out[run] = base / run
    return out


def secret_lines(nb):
    """Non-trivial lines of solution / hidden-test bodies that appear nowhere else in the source."""
    hidden, public = set(), set()
    for cell in nb.cells:
        src = cell.source.replace("\r\n", "\n")
        for m in REGION.finditer(src):
            hidden |= {ln.strip() for ln in m.group(2).splitlines()}
        public |= {ln.strip() for ln in REGION.sub("", src).splitlines()}
    return {ln for ln in hidden - public if len(ln) >= 8 and not ln.startswith("#")}


def course_code(path):
    return "\n".join(c.source for c in nbformat.read(path, as_version=4).cells)


@pytest.mark.parametrize("assignment", PARAMS)
def test_committed_course_is_up_to_date(fresh, assignment):
    stale = stale_files(fresh["a"] / "course" / assignment, ROOT / "course" / assignment)
    assert not stale, f"course/{assignment} is stale ({', '.join(stale)}): run `make release`"


@pytest.mark.parametrize("assignment", PARAMS)
def test_release_is_reproducible(fresh, assignment):
    assert stale_files(fresh["a"] / "course" / assignment, fresh["b"] / "course" / assignment) == []


@pytest.mark.parametrize("assignment", PARAMS)
def test_no_solution_or_hidden_test_leaks(fresh, assignment):
    for src in sorted((SOURCE / assignment).glob("*.ipynb")):
        released = fresh["a"] / "course" / assignment / src.name
        text = course_code(released)
        assert not [m for m in MARKERS if m in text], f"{released.name} still has nbgrader markers"
        lines = {ln.strip() for ln in text.splitlines()}
        leaked = sorted(secret_lines(nbformat.read(src, as_version=4)) & lines)
        assert not leaked, f"{src.name}: solution / hidden-test lines in the course notebook: {leaked[:5]}"


@pytest.mark.parametrize("assignment", PARAMS)
def test_source_metadata_is_valid(assignment):
    for src in sorted((SOURCE / assignment).glob("*.ipynb")):
        MetadataValidator().validate_nb(nbformat.read(src, as_version=4))  # raises on a problem


def test_fixture_release_strips_solutions_and_is_reproducible(fresh):
    a, b = fresh["a"] / "fixture" / "00_mini", fresh["b"] / "fixture" / "00_mini"
    assert stale_files(a, b) == []
    text = course_code(a / "00_mini.ipynb")
    assert "np.maximum(z, 0)" not in text and "relu must keep float32" not in text
    assert 'raise NotImplementedError("Write your answer here")' in text
    nb = nbformat.read(a / "00_mini.ipynb", as_version=4)
    assert all(c.get("execution_count") is None and not c.get("outputs") for c in nb.cells if c.cell_type == "code")
    assert secret_lines(nbformat.read(FIXTURE / "00_mini" / "00_mini.ipynb", as_version=4))  # the check has teeth


def test_check_mode_reports_stale(tmp_path):
    course = release(FIXTURE, tmp_path / "course")
    nb_path = course / "00_mini" / "00_mini.ipynb"
    nb_path.write_text(nb_path.read_text().replace("Mini assignment", "Edited by hand"))
    proc = subprocess.run([sys.executable, "-m", "autograder.release", "--source", str(FIXTURE),
                           "--course-root", str(course), "--check"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 1 and "00_mini/00_mini.ipynb" in proc.stdout and "make release" in proc.stdout


def test_release_never_replaces_a_learners_work(tmp_path):
    course = release(FIXTURE, tmp_path / "course")
    nb_path = course / "00_mini" / "00_mini.ipynb"
    nb = nbformat.read(nb_path, as_version=4)
    answer = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution"))
    answer.source = "def relu(z):\n    return z * (z > 0)  # my answer"
    nbformat.write(nb, nb_path)  # saved as JupyterLab would: not in released form
    mine = nb_path.read_bytes()
    cmd = [sys.executable, "-m", "autograder.release", "--source", str(FIXTURE), "--course-root", str(course)]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 2 and "hold someone's work" in proc.stdout, proc.stdout + proc.stderr
    assert str(nb_path) in proc.stdout and nb_path.read_bytes() == mine
    proc = subprocess.run(cmd + ["--force"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    backup = Path(re.search(r"kept a copy of 1 notebook\(s\) in (\S+)", proc.stdout).group(1))
    assert (backup / "00_mini" / "00_mini.ipynb").read_bytes() == mine
    assert b"my answer" not in nb_path.read_bytes()
