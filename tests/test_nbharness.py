"""Tests of tests/nbharness.py on a tiny nbgrader notebook built in tmp_path."""

import nbformat
import numpy as np
import pytest

from tests.nbharness import Notebook, Result


def _meta(grade_id, kind):
    base = {"schema_version": 3, "grade_id": grade_id}
    if kind == "answer":
        return {"grade": False, "solution": True, "locked": False, **base}
    if kind == "test":
        return {"grade": True, "solution": False, "locked": True, "points": 1, **base}
    return {"grade": False, "solution": False, "locked": True, **base}


def _code(source, grade_id=None, kind=None):
    cell = nbformat.v4.new_code_cell(source)
    if grade_id:
        cell.metadata["nbgrader"] = _meta(grade_id, kind)
    return cell


SETUP = """\
%matplotlib inline
import numpy as np
import matplotlib.pyplot as plt
from deeplib.checks import check_close
"""

DOUBLE = """\
def double(x):
    \"\"\"2 x.\"\"\"
    ### BEGIN SOLUTION
    return 2 * x
    ### END SOLUTION
"""

TEST_DOUBLE = """\
check_close(double(np.array([1.0, 2.0])), np.array([2.0, 4.0]), case="double([1, 2])",
            hint="multiply by 2")
print("✓ double passes the visible tests")
### BEGIN HIDDEN TESTS
check_close(double(np.array(-3.0)), -6.0, case="double(-3) hidden")
### END HIDDEN TESTS
"""

SAFE_EXP = """\
def safe_exp(z):
    ### BEGIN SOLUTION
    return np.exp(np.minimum(z, 50.0))
    ### END SOLUTION
"""

TEST_SAFE_EXP = """\
check_close(safe_exp(np.array([0.0])), np.array([1.0]), case="safe_exp(0)")
### BEGIN HIDDEN TESTS
safe_exp(np.array([1e4]))
### END HIDDEN TESTS
"""


@pytest.fixture()
def nb_path(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Tiny"),
        _code(SETUP, "setup", "readonly"),
        _code("EXPERIMENT_ONLY = 1\nraise RuntimeError('experiments are not run')"),
        _code(DOUBLE, "double", "answer"),
        _code(TEST_DOUBLE, "test_double", "test"),
        _code("fig, ax = plt.subplots()\nax.plot([1, 2])\nplt.show()"),
        _code(SAFE_EXP, "safe_exp", "answer"),
        _code(TEST_SAFE_EXP, "test_safe_exp", "test"),
        _code("def later():\n    return 1\n", "later", "answer"),
        _code("assert later() == 1", "test_later", "test"),
    ]
    path = tmp_path / "tiny.ipynb"
    nbformat.write(nb, path)
    return path


def test_reference_passes_and_prints(nb_path):
    nb = Notebook(nb_path)
    result = nb.run("test_double")
    assert result == Result(True, "", "✓ double passes the visible tests\n")
    nb.assert_passes("test_safe_exp")
    nb.assert_passes("test_later")


def test_lists_cells(nb_path):
    nb = Notebook(nb_path)
    assert nb.test_ids() == ["test_double", "test_safe_exp", "test_later"]
    assert nb.answer_ids() == ["double", "safe_exp", "later"]


def test_replacement_rejected_by_hidden_only(nb_path):
    nb = Notebook(nb_path)
    wrong = "def double(x):\n    return x + 2\n"      # right at x = 2, wrong at x = 1
    result = nb.assert_fails("test_double", double=wrong)
    assert "double([1, 2])" in result.message
    # a mistake only the hidden part catches
    wrong_sign = "def double(x):\n    return 2 * np.abs(x)\n"
    nb.assert_passes("test_double", visible_only=True, double=wrong_sign)
    result = nb.assert_fails("test_double", double=wrong_sign)
    assert "double(-3) hidden" in result.message and "expected -6" in result.message
    with pytest.raises(AssertionError, match="visible part"):
        nb.assert_fails("test_double", visible_only=True, double=wrong_sign)


def test_warning_in_test_cell_is_a_failure(nb_path):
    nb = Notebook(nb_path)
    unstable = "def safe_exp(z):\n    return np.exp(z)\n"
    nb.assert_passes("test_safe_exp", visible_only=True, safe_exp=unstable)
    result = nb.assert_fails("test_safe_exp", safe_exp=unstable)
    assert "overflow" in result.message and "RuntimeWarning" in result.message


def test_stderr_in_test_cell_is_a_failure(nb_path):
    noisy = "import sys\ndef double(x):\n    print('debug', file=sys.stderr)\n    return 2 * x\n"
    result = Notebook(nb_path).assert_fails("test_double", double=noisy)
    assert "stderr" in result.message and "debug" in result.message


def test_answer_cell_raising_is_reported(nb_path):
    result = Notebook(nb_path).run("test_double", double="raise ValueError('broken cell')")
    assert not result.passed
    assert "double" in result.message and "broken cell" in result.message


def test_not_implemented_stub_fails(nb_path):
    stub = "def double(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()\n"
    result = Notebook(nb_path).assert_fails("test_double", double=stub)
    assert "NotImplementedError" in result.message


def test_experiment_cells_are_not_run(nb_path):
    # the experiment cell raises; the test of a later answer still passes
    Notebook(nb_path).assert_passes("test_safe_exp")


def test_fresh_namespace_each_run(nb_path):
    nb = Notebook(nb_path)
    nb.assert_fails("test_double", double="def double(x):\n    return 3 * x\n")
    nb.assert_passes("test_double")


def test_tampering_with_numpy_does_not_leak(nb_path):
    tamper = "np.allclose = lambda *a, **k: True\ndef double(x):\n    return 2 * x\n"
    original = np.allclose
    Notebook(nb_path).assert_passes("test_double", double=tamper)
    assert np.allclose is original


def test_bad_names_are_errors(nb_path):
    nb = Notebook(nb_path)
    with pytest.raises(KeyError, match="test_double"):
        nb.run("test_nope")
    with pytest.raises(ValueError, match="later"):
        nb.run("test_double", later="def later():\n    return 2\n")
    with pytest.raises(ValueError):
        nb.assert_fails("test_double")


def test_missing_notebook():
    with pytest.raises(FileNotFoundError):
        Notebook("solutions/does_not_exist/does_not_exist.ipynb")
