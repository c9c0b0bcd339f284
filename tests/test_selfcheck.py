"""make check (autograder.selfcheck) on copies of untouched, half-done and finished notebooks."""
import shutil
import subprocess
import sys

import nbformat
import pytest

from autograder import selfcheck
from tests.nbharness import REPO

NAME = "00_getting_started"
HIDDEN_ONLY = "xr0 = np.array"          # a line of 00's hidden tests: must never be printed


def _course_copy(tmp_path, solved=()):
    """course/00 copied to tmp_path/course, with the answer cells `solved` filled in."""
    course = tmp_path / "course"
    shutil.copytree(REPO / "course" / NAME, course / NAME)
    path = course / NAME / f"{NAME}.ipynb"
    if solved:
        source = nbformat.read(REPO / "solutions" / NAME / f"{NAME}.ipynb", as_version=4)
        answers = {c.metadata["nbgrader"]["grade_id"]: c.source for c in source.cells
                   if c.metadata.get("nbgrader", {}).get("solution")}
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            gid = cell.metadata.get("nbgrader", {}).get("grade_id")
            if gid in solved:
                cell.source = "\n".join(line for line in answers[gid].splitlines()
                                        if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION"))
        nbformat.write(nb, path)
    return course, path


def test_find_notebooks_accepts_numbers_names_and_paths(tmp_path):
    course, path = _course_copy(tmp_path)
    assert selfcheck.find_notebooks(course, ["0"]) == [(NAME, course / NAME / f"{NAME}.ipynb")]
    assert selfcheck.find_notebooks(course, [NAME])[0][0] == NAME
    assert selfcheck.find_notebooks(course, [str(path)])[0] == (NAME, path)
    assert [a for a, _ in selfcheck.find_notebooks(course, [])] == [NAME]
    with pytest.raises(SystemExit, match="no single notebook"):
        selfcheck.find_notebooks(course, ["05"])


@pytest.mark.slow
def test_half_done_notebook_graded_with_hidden_tests(tmp_path):
    course, path = _course_copy(tmp_path, solved=("numerical_gradient", "relative_error"))
    before = path.read_bytes()
    out = tmp_path / "out"
    run = subprocess.run([sys.executable, "-m", "autograder.selfcheck", NAME, "--course", str(course),
                          "--out", str(out), "--workers", "1"], cwd=REPO, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    text = run.stdout
    assert "visible and hidden tests" in text
    assert "test_numerical_gradient  2/2  passed" in text
    assert "test_relative_error      1/1  passed" in text
    assert "test_fixed_dense         0/1  FAILED" in text and "NotImplementedError" in text
    assert "score 3 / 5" in text
    feedback = out / "feedback" / "me" / f"{NAME}.html"
    assert str(feedback) in text and feedback.exists()
    assert HIDDEN_ONLY not in text and HIDDEN_ONLY not in feedback.read_text(encoding="utf-8")
    assert "### BEGIN" not in text
    assert path.read_bytes() == before                     # the learner's notebook is only read


@pytest.mark.slow
def test_without_sources_only_visible_tests_run(tmp_path, capsys):
    course, _ = _course_copy(tmp_path, solved=("numerical_gradient", "relative_error", "find_the_bug",
                                               "fixed_dense"))
    assert selfcheck.main([NAME, "--course", str(course), "--source", str(tmp_path / "none")]) == 0
    text = capsys.readouterr().out
    assert "VISIBLE tests only" in text and "necessary, not sufficient" in text
    assert "score 5 / 5" in text and "FAILED" not in text


@pytest.mark.slow
def test_untouched_notebook_fails_every_exercise_visibly(tmp_path, capsys):
    course, _ = _course_copy(tmp_path)
    assert selfcheck.main([NAME, "--course", str(course), "--source", str(tmp_path / "none")]) == 0
    text = capsys.readouterr().out
    assert text.count("FAILED") == 4 and "score 0 / 5" in text
