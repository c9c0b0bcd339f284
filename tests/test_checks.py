"""Tests of deeplib.checks: passing cases pass, failing cases teach."""

import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from deeplib import checks
from deeplib.checks import (
    call,
    check_close,
    check_dtype,
    check_finite,
    check_no_warnings,
    check_returns_array,
    check_shape,
    check_true,
)


def failure(fn, *args, **kwargs):
    """The AssertionError message raised by fn(*args, **kwargs) (fails if none)."""
    with pytest.raises(AssertionError) as info:
        fn(*args, **kwargs)
    return str(info.value)


# --- check_close -----------------------------------------------------------
@pytest.mark.parametrize(
    "got, expected",
    [
        (np.array([1.0, 2.0, 3.0]), [1.0, 2.0, 3.0 + 1e-7]),   # within rtol
        (np.zeros((2, 3)), np.full((2, 3), 1e-9)),              # within atol
        (0.5, 0.5),
        (np.float32(1 / 3), 1 / 3),
        (np.array([np.nan, 1.0]), np.array([np.nan, 1.0])),     # NaN matches NaN
        (np.array([np.inf, -np.inf]), np.array([np.inf, -np.inf])),
        (np.array([1, 2]), np.array([1.0, 2.0])),               # ints are numbers
    ],
)
def test_check_close_passes(got, expected):
    check_close(got, expected, case="passing case")


def test_check_close_message_has_case_expected_got_hint_and_worst_index():
    expected = np.arange(12.0).reshape(3, 4)
    got = expected.copy()
    got[2, 1] += 0.5
    got[0, 0] += 0.01
    msg = failure(check_close, got, expected, case="relu on a 3x4 grid",
                  hint="a forgotten factor 2")
    assert "relu on a 3x4 grid" in msg
    assert "a forgotten factor 2" in msg
    assert "2 of 12" in msg
    assert "[2, 1]" in msg                     # worst index
    assert "expected 9" in msg and "got 9.5" in msg
    assert "(3, 4)" in msg


def test_check_close_scalar_message():
    msg = failure(check_close, 0.25, 0.5, case="relative error of equal vectors")
    assert "relative error of equal vectors" in msg
    assert "expected 0.5" in msg and "got 0.25" in msg


def test_check_close_none_says_forgot_return():
    msg = failure(check_close, None, np.ones(3), case="none case")
    assert "none case" in msg and "return" in msg and "None" in msg


def test_check_close_nan_where_number_expected():
    msg = failure(check_close, np.array([1.0, np.nan]), np.array([1.0, 2.0]), case="nan case")
    assert "nan case" in msg and "NaN" in msg and "[1]" in msg


def test_check_close_number_where_nan_expected_fails():
    failure(check_close, np.array([0.0]), np.array([np.nan]), case="x")


def test_check_close_wrong_infinity_fails():
    failure(check_close, np.array([-np.inf]), np.array([np.inf]), case="x")
    failure(check_close, np.array([1e308]), np.array([np.inf]), case="x")


def test_check_close_shape_mismatch_message():
    msg = failure(check_close, np.ones((2, 3)), np.ones((3, 2)), case="dense backward")
    assert "dense backward" in msg
    assert "(3, 2)" in msg and "(2, 3)" in msg
    assert "transpose" in msg


def test_check_close_does_not_broadcast():
    failure(check_close, np.ones((1, 3)), np.ones(3), case="x")


def test_check_close_rejects_non_numbers():
    msg = failure(check_close, "0.5", 0.5, case="string case")
    assert "string case" in msg and "not numeric" in msg


def test_check_close_respects_tolerances():
    check_close(1.001, 1.0, case="x", rtol=1e-2)
    failure(check_close, 1.001, 1.0, case="x", rtol=1e-6)
    check_close(1e-5, 0.0, case="x", atol=1e-4)


def test_check_close_is_symmetric_in_spirit_for_large_arrays():
    msg = failure(check_close, np.full(1000, 2.0), np.ones(1000), case="big")
    assert "1000 of 1000" in msg
    assert len(msg) < 2000                      # summarised, not the whole array


def test_checkers_emit_no_warnings():
    # pytest turns warnings into errors; also record explicitly.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with np.errstate(all="raise"):
            bad = np.array([np.inf, -np.inf, np.nan, 1e308, 0.0])
            for got in (bad, -bad, np.zeros(5)):
                try:
                    check_close(got, bad, case="inf/nan mix")
                except AssertionError:
                    pass
            try:
                check_finite(bad, case="finite")
            except AssertionError:
                pass
    assert caught == []


@pytest.mark.parametrize("name", ["allclose", "isclose", "abs", "all", "any", "asarray",
                                  "absolute", "where", "isfinite", "isnan"])
def test_rebinding_numpy_after_import_does_not_change_verdicts(monkeypatch, name):
    monkeypatch.setattr(np, name, lambda *a, **k: True)
    monkeypatch.setattr(np.testing, "assert_allclose", lambda *a, **k: None)
    with pytest.raises(AssertionError, match="tampered"):
        check_close(np.array([1.0, 2.0]), np.array([1.0, 3.0]), case="tampered")
    check_close(np.array([1.0, 2.0]), np.array([1.0, 2.0]), case="still passes")


def test_functions_never_look_numpy_up_at_call_time():
    """Inside every function body, no attribute of the numpy module is read."""
    import ast

    tree = ast.parse(Path(checks.__file__).read_text(encoding="utf-8"))
    for func in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)):
        for node in ast.walk(func):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                assert node.value.id not in ("np", "_np", "numpy"), (
                    f"{func.name} reads {node.value.id}.{node.attr} at call time")


# --- other checkers ----------------------------------------------------------
def test_check_shape():
    check_shape(np.ones((2, 3)), (2, 3), case="ok")
    msg = failure(check_shape, np.ones((2, 3)), (3, 2), case="grad W")
    assert "grad W" in msg and "(3, 2)" in msg and "(2, 3)" in msg and "transpose" in msg
    assert "return" in failure(check_shape, None, (2,), case="x")


def test_check_dtype():
    check_dtype(np.ones(2, np.float32), np.float32, case="ok")
    msg = failure(check_dtype, np.ones(2), "float32", case="float32 in", hint="keep dtype")
    assert "float32 in" in msg and "float32" in msg and "float64" in msg and "keep dtype" in msg
    assert "list" in failure(check_dtype, [1.0], np.float64, case="x")


def test_check_finite():
    check_finite(np.array([1.0, -1e300]), case="ok")
    msg = failure(check_finite, np.array([0.0, np.inf, np.nan]), case="sigmoid(-1e4)",
                  hint="unstable exp")
    assert "sigmoid(-1e4)" in msg and "2 non-finite of 3" in msg and "[1]" in msg
    assert "unstable exp" in msg


def test_check_true():
    check_true(True, case="ok")
    check_true(np.array([True, True]), case="ok")
    msg = failure(check_true, np.array([True, False]), case="x restored",
                  message="x was changed by your function", hint="restore it")
    assert "x restored" in msg and "x was changed" in msg and "restore it" in msg


def test_check_returns_array():
    check_returns_array(np.ones(3), case="ok", shape=(3,), dtype=np.float64)
    assert "return" in failure(check_returns_array, None, case="x")
    msg = failure(check_returns_array, [1.0, 2.0], case="list case")
    assert "list case" in msg and "NumPy array" in msg and "list" in msg
    assert "(4,)" in failure(check_returns_array, np.ones(3), case="x", shape=(4,))


def test_call_names_not_implemented():
    def stub(x):
        # YOUR CODE HERE
        raise NotImplementedError()

    msg = failure(call, stub, 1.0, case="stub case")
    assert "stub case" in msg and "not written this function yet" in msg
    assert call(lambda x, y=0: x + y, 1, y=2, case="x") == 3


def test_call_lets_other_errors_through():
    with pytest.raises(ZeroDivisionError):
        call(lambda: 1 / 0, case="x")


def test_check_no_warnings_names_the_warning_and_the_usual_cause():
    msg = failure(check_no_warnings, np.exp, np.float32(1e4), case="sigmoid(-1e4) float32")
    assert "sigmoid(-1e4) float32" in msg
    assert "overflow encountered in exp" in msg
    assert "stable" in msg


def test_check_no_warnings_even_if_learner_silenced_numpy_earlier():
    with np.errstate():
        np.seterr(all="ignore")            # e.g. in an earlier answer cell
        msg = failure(check_no_warnings, np.exp, 1e4, case="silenced")
    assert "overflow" in msg


def test_check_no_warnings_other_warnings_and_stderr():
    def user_warning():
        warnings.warn("something odd", UserWarning)

    msg = failure(check_no_warnings, user_warning, case="uw")
    assert "UserWarning" in msg and "something odd" in msg

    def writes():
        print("debug", file=sys.stderr)

    msg = failure(check_no_warnings, writes, case="stderr case")
    assert "stderr case" in msg and "stderr" in msg and "debug" in msg


def test_check_no_warnings_returns_result_and_passes_kwargs():
    assert check_no_warnings(lambda a, b=1: a * b, 3, b=4, case="x") == 12


def test_check_no_warnings_not_implemented():
    def stub():
        raise NotImplementedError

    assert "not written" in failure(check_no_warnings, stub, case="x")


def test_messages_have_no_chained_traceback():
    def stub():
        raise NotImplementedError

    with pytest.raises(AssertionError) as info:
        call(stub, case="x")
    assert info.value.__context__ is None


def test_exact_comparison_shows_every_digit():
    msg = failure(check_close, np.array([1.0 + 2.0 ** -52]), np.array([1.0]), case="exact",
                  rtol=0, atol=0)
    assert "expected 1.0, got 1.0000000000000002" in msg


def test_check_uses_only_rng():
    from deeplib.checks import check_uses_only_rng

    assert check_uses_only_rng(lambda g: g.normal(size=3), np.random.default_rng(0),
                               case="ok").shape == (3,)
    msg = failure(check_uses_only_rng, lambda g: np.random.normal(size=3),
                  np.random.default_rng(0), case="glorot_normal")
    assert "glorot_normal" in msg and "global generator" in msg and "np.random" in msg
    assert "global generator" in failure(check_uses_only_rng, lambda: np.random.seed(3), case="seed")
    assert "not written this function yet" in failure(
        check_uses_only_rng, lambda: (_ for _ in ()).throw(NotImplementedError()), case="stub")
