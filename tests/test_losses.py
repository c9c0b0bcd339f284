"""Tests of deeplib.losses against independent formulas, finite differences and extremes."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deeplib.losses import binary_cross_entropy, get, mean_squared_error, softmax_cross_entropy
from tests.finite_differences import fd_grad

SETTINGS = settings(max_examples=20, deadline=None)
seeds = st.integers(0, 2**32 - 1)



# ------------------------------------------------------------ softmax cross-entropy
def test_softmax_cross_entropy_known_value():
    # uniform logits: loss = log(C)
    loss, grad = softmax_cross_entropy(np.zeros((4, 5)), np.array([0, 1, 2, 4]))
    assert loss == pytest.approx(math.log(5), rel=1e-14)
    expected = np.full((4, 5), 0.2)
    expected[np.arange(4), [0, 1, 2, 4]] -= 1
    np.testing.assert_allclose(grad, expected / 4, atol=1e-15)


def test_softmax_cross_entropy_matches_math_module_on_small_inputs():
    logits = np.array([[1.0, 2.0, 0.5], [-1.0, 0.0, 3.0]])
    y = np.array([1, 0])
    # -log softmax, with scalar math (no max shift)
    expected = 0.0
    for row, label in zip(logits.tolist(), y):
        expected -= math.log(math.exp(row[label]) / sum(math.exp(v) for v in row))
    loss, grad = softmax_cross_entropy(logits, y)
    assert loss == pytest.approx(expected / 2, rel=1e-13)
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(grad, (probs - np.eye(3)[y]) / 2, rtol=1e-13)


@SETTINGS
@given(seed=seeds, n=st.integers(1, 5), c=st.integers(2, 6))
def test_softmax_cross_entropy_grad_matches_finite_differences(seed, n, c):
    rng = np.random.default_rng(seed)
    logits = 3 * rng.standard_normal((n, c))
    y = rng.integers(0, c, size=n)
    loss, grad = softmax_cross_entropy(logits, y)
    assert isinstance(loss, float)
    assert grad.shape == logits.shape
    numeric = fd_grad(lambda: softmax_cross_entropy(logits, y)[0], logits)
    np.testing.assert_allclose(grad, numeric, atol=1e-8)
    # one-hot targets give the same loss and gradient
    loss1, grad1 = softmax_cross_entropy(logits, np.eye(c)[y])
    assert loss1 == pytest.approx(loss, rel=1e-12)
    np.testing.assert_allclose(grad1, grad, atol=1e-15)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_cross_entropy_is_stable_at_extreme_logits(dtype):
    logits = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4]], dtype=dtype)
    loss, grad = softmax_cross_entropy(logits, np.array([1, 2]))  # warnings are errors
    # row 0: -log softmax = 1e4 - (-1e4) = 2e4; row 1: log 3
    assert loss == pytest.approx((2e4 + math.log(3)) / 2, rel=1e-6)
    assert grad.dtype == dtype and np.all(np.isfinite(grad))
    np.testing.assert_allclose(grad, np.array([[1, -1, 0], [1 / 3, 1 / 3, -2 / 3]]) / 2,
                               rtol=1e-6, atol=1e-7)


def test_softmax_cross_entropy_errors():
    with pytest.raises(ValueError, match=r"\[0, 2\]"):
        softmax_cross_entropy(np.zeros((2, 3)), np.array([0, 3]))
    with pytest.raises(ValueError, match=r"\[0, 2\]"):
        softmax_cross_entropy(np.zeros((2, 3)), np.array([-1, 0]))
    with pytest.raises(ValueError, match="N=2"):
        softmax_cross_entropy(np.zeros((2, 3)), np.array([0, 1, 2]))
    with pytest.raises(ValueError, match=r"\(N, C\)"):
        softmax_cross_entropy(np.zeros(3), np.array([0]))
    with pytest.raises(ValueError, match="one-hot"):
        softmax_cross_entropy(np.zeros((2, 3)), np.zeros((2, 4)))
    with pytest.raises(TypeError, match="integer"):
        softmax_cross_entropy(np.zeros((2, 3)), np.array([0.5, 1.0]))


# ------------------------------------------------------------- binary cross-entropy
def test_binary_cross_entropy_matches_the_probability_form():
    z = np.array([-2.0, -0.3, 0.0, 0.7, 3.0])
    y = np.array([0.0, 1.0, 1.0, 0.0, 1.0])
    s = np.array([1 / (1 + math.exp(-v)) for v in z])
    expected = -np.mean(y * np.log(s) + (1 - y) * np.log(1 - s))
    loss, grad = binary_cross_entropy(z, y)
    assert loss == pytest.approx(expected, rel=1e-13)
    np.testing.assert_allclose(grad, (s - y) / 5, rtol=1e-13)


@SETTINGS
@given(seed=seeds, n=st.integers(1, 6), column=st.booleans())
def test_binary_cross_entropy_grad_matches_finite_differences(seed, n, column):
    rng = np.random.default_rng(seed)
    shape = (n, 1) if column else (n,)
    z = 3 * rng.standard_normal(shape)
    y = rng.integers(0, 2, size=shape)
    _, grad = binary_cross_entropy(z, y)
    assert grad.shape == shape
    np.testing.assert_allclose(grad, fd_grad(lambda: binary_cross_entropy(z, y)[0], z),
                               atol=1e-8)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_binary_cross_entropy_is_stable_at_extreme_logits(dtype):
    z = np.array([[1e4], [-1e4], [1e4], [-1e4]], dtype=dtype)
    y = np.array([1, 0, 0, 1])  # (N,) labels with (N, 1) logits are accepted
    loss, grad = binary_cross_entropy(z, y)
    assert loss == pytest.approx(2e4 / 4, rel=1e-6)  # two right (0), two wrong (1e4 each)
    assert grad.dtype == dtype and grad.shape == (4, 1)
    np.testing.assert_allclose(grad[:, 0], [0, 0, 0.25, -0.25], atol=1e-7)


def test_binary_cross_entropy_errors():
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        binary_cross_entropy(np.zeros(3), np.array([0, 1, 2]))
    with pytest.raises(ValueError, match="shape"):
        binary_cross_entropy(np.zeros((3, 1)), np.zeros(4))


# ---------------------------------------------------------------- mean squared error
def test_mean_squared_error_by_hand():
    pred = np.array([[1.0, 2.0], [3.0, 4.0]])
    target = np.array([[1.0, 0.0], [0.0, 4.0]])
    loss, grad = mean_squared_error(pred, target)
    assert loss == pytest.approx((0 + 4 + 9 + 0) / 4)
    np.testing.assert_allclose(grad, [[0.0, 1.0], [1.5, 0.0]])


@SETTINGS
@given(seed=seeds, n=st.integers(1, 5), d=st.integers(1, 4))
def test_mean_squared_error_grad_matches_finite_differences(seed, n, d):
    rng = np.random.default_rng(seed)
    pred, target = rng.standard_normal((n, d)), rng.standard_normal((n, d))
    _, grad = mean_squared_error(pred, target)
    np.testing.assert_allclose(grad, fd_grad(lambda: mean_squared_error(pred, target)[0], pred),
                               atol=1e-8)


def test_mean_squared_error_refuses_broadcasting():
    with pytest.raises(ValueError, match="shape"):
        mean_squared_error(np.zeros((4, 1)), np.zeros(4))


@pytest.mark.parametrize("fn, args", [
    (softmax_cross_entropy, (np.zeros((3, 4)), np.array([0, 1, 3]))),
    (binary_cross_entropy, (np.zeros((3, 1)), np.ones((3, 1)))),
    (mean_squared_error, (np.zeros((3, 2)), np.ones((3, 2)))),
])
def test_losses_keep_float32(fn, args):
    pred = args[0].astype(np.float32)
    loss, grad = fn(pred, args[1])
    assert isinstance(loss, float) and grad.dtype == np.float32 and grad.shape == pred.shape


# ------------------------------------------------------------------------------ get
def test_get_names_and_aliases():
    assert get("softmax_cross_entropy") is softmax_cross_entropy
    assert get("cross_entropy") is softmax_cross_entropy
    assert get("binary_cross_entropy") is binary_cross_entropy
    assert get("mse") is mean_squared_error and get("mean_squared_error") is mean_squared_error
    assert get(mean_squared_error) is mean_squared_error
    with pytest.raises(ValueError, match="known names"):
        get("hinge")
