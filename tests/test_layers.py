"""Tests of deeplib.layers: forward maths, backward vs finite differences, modes, dtypes."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deeplib.layers import Activation, Dense, Dropout, Layer, PReLU, RReLU
from deeplib.parameter import Parameter
from tests.finite_differences import fd_grad, rel

SETTINGS = settings(max_examples=15, deadline=None)
TOL = 1e-6


# ------------------------------------------------------------------------ helpers


def away_from_zero(rng, shape, margin=0.1):
    """Normal samples with |x| >= margin (keeps finite differences off ReLU kinks)."""
    x = rng.standard_normal(shape)
    return np.where(x >= 0, x + margin, x - margin)


def check_backward(layer, x, rng, reseed=None):
    """Backward (input and every parameter) of layer vs finite differences of sum(out * R)."""
    def fwd():
        if reseed is not None:
            layer.rng = np.random.default_rng(reseed)
        return layer.forward(x)

    out = fwd()
    R = rng.standard_normal(out.shape)
    layer.zero_grad()
    grad_x = layer.backward(R)
    assert grad_x.shape == x.shape
    assert rel(grad_x, fd_grad(lambda: np.sum(fwd() * R), x)) < TOL
    for p in layer.parameters():
        analytic = p.grad.copy()
        assert rel(analytic, fd_grad(lambda: np.sum(fwd() * R), p.data)) < TOL, p.name


batch = st.integers(1, 5)
width = st.integers(1, 6)
seeds = st.integers(0, 2**32 - 1)


# -------------------------------------------------------------------------- base
def test_layer_base_protocol():
    layer = Layer()
    assert layer.training is True
    assert layer.parameters() == [] and layer.named_parameters() == []
    assert layer.eval() is layer and layer.training is False
    assert layer.train() is layer and layer.training is True
    assert layer.train(False).training is False
    with pytest.raises(NotImplementedError):
        layer(np.zeros((1, 1)))


@pytest.mark.parametrize("make", [
    lambda: Dense(3, 2, rng=np.random.default_rng(0)),
    lambda: Activation("tanh"),
    lambda: PReLU(),
    lambda: RReLU(rng=np.random.default_rng(0)),
    lambda: Dropout(0.5, rng=np.random.default_rng(0)),
])
def test_backward_before_forward_raises(make):
    with pytest.raises(RuntimeError, match="call forward first"):
        make().backward(np.ones((2, 3)))


def test_call_is_forward():
    layer = Dense(3, 2, rng=np.random.default_rng(0))
    x = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(layer(x), layer.forward(x))


# ------------------------------------------------------------------------- Dense
def test_dense_shapes_init_and_forward_by_hand():
    layer = Dense(3, 2, rng=np.random.default_rng(0))
    assert layer.W.data.shape == (3, 2) and layer.b.data.shape == (2,)
    assert np.all(layer.b.data == 0)
    assert isinstance(layer.W, Parameter) and layer.parameters() == [layer.W, layer.b]
    limit = np.sqrt(6 / (3 + 2))  # glorot_uniform
    assert np.all(np.abs(layer.W.data) <= limit)
    layer.W.data[...] = [[1, 2], [3, 4], [5, 6]]
    layer.b.data[...] = [0.5, -1]
    out = layer.forward(np.array([[1.0, 0.0, -1.0]]))
    np.testing.assert_allclose(out, [[1 - 5 + 0.5, 2 - 6 - 1]])


def test_dense_without_bias():
    layer = Dense(3, 2, rng=np.random.default_rng(0), bias=False)
    assert layer.b is None and layer.parameters() == [layer.W]
    x = np.ones((4, 3))
    np.testing.assert_allclose(layer.forward(x), x @ layer.W.data)


def test_dense_init_by_name_and_callable():
    layer = Dense(4, 3, init="zeros")
    assert np.all(layer.W.data == 0)
    layer = Dense(4, 3, init=lambda shape, rng=None, dtype=np.float64: np.full(shape, 2.0, dtype))
    assert np.all(layer.W.data == 2)


@SETTINGS
@given(n=batch, n_in=width, n_out=width, seed=seeds, bias=st.booleans())
def test_dense_backward_matches_finite_differences(n, n_in, n_out, seed, bias):
    rng = np.random.default_rng(seed)
    layer = Dense(n_in, n_out, rng=rng, bias=bias)
    if bias:
        layer.b.data[...] = rng.standard_normal(n_out)
    check_backward(layer, rng.standard_normal((n, n_in)), rng)


def test_dense_backward_formulas():
    rng = np.random.default_rng(1)
    layer = Dense(3, 4, rng=rng)
    x, g = rng.standard_normal((5, 3)), rng.standard_normal((5, 4))
    layer.forward(x)
    gx = layer.backward(g)
    # written with einsum, not the matmuls of the implementation
    np.testing.assert_allclose(layer.W.grad, np.einsum("ni,nj->ij", x, g))
    np.testing.assert_allclose(layer.b.grad, np.einsum("nj->j", g))
    np.testing.assert_allclose(gx, np.einsum("nj,ij->ni", g, layer.W.data))


@pytest.mark.parametrize("make, shape", [
    (lambda rng: Dense(3, 4, rng=rng), (5, 3)),
    (lambda rng: PReLU(4), (5, 4)),
])
def test_gradients_accumulate_across_backward_calls(make, shape):
    rng = np.random.default_rng(2)
    layer = make(rng)
    x = away_from_zero(rng, shape)
    g = rng.standard_normal(layer.forward(x).shape)
    layer.backward(g)
    once = [p.grad.copy() for p in layer.parameters()]
    assert all(np.any(o != 0) for o in once)
    layer.backward(g)
    for p, o in zip(layer.parameters(), once):
        np.testing.assert_allclose(p.grad, 2 * o)
    layer.zero_grad()
    assert all(np.all(p.grad == 0) for p in layer.parameters())


def test_dense_keeps_float32():
    rng = np.random.default_rng(0)
    layer = Dense(6, 4, rng=rng, dtype=np.float32)
    assert layer.W.data.dtype == np.float32 and layer.b.data.dtype == np.float32
    x = rng.standard_normal((3, 6)).astype(np.float32)
    out = layer.forward(x)
    assert out.dtype == np.float32
    gx = layer.backward(np.ones((3, 4), np.float32))
    assert gx.dtype == np.float32
    assert layer.W.grad.dtype == np.float32 and layer.b.grad.dtype == np.float32
    # float64 input to a float32 layer is computed in the layer's dtype
    assert layer.forward(x.astype(np.float64)).dtype == np.float32


def test_dense_input_errors():
    layer = Dense(4, 2, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="expected n_in=4 features, got 5"):
        layer.forward(np.zeros((3, 5)))
    with pytest.raises(ValueError, match=r"\(N, 4\)"):
        layer.forward(np.zeros(4))
    layer.forward(np.zeros((3, 4)))
    with pytest.raises(ValueError, match="grad_out"):
        layer.backward(np.zeros((3, 3)))
    with pytest.raises(ValueError, match="n_in"):
        Dense(0, 2, rng=np.random.default_rng(0))
    with pytest.raises(TypeError, match="rng"):
        Dense(4, 2)  # glorot_uniform is random
    with pytest.raises(TypeError, match="dtype"):
        Dense(4, 2, init="zeros", dtype=np.int32)


# -------------------------------------------------------------------- Activation
@SETTINGS
@given(n=batch, d=width, seed=seeds,
       name=st.sampled_from(["relu", "tanh", "sigmoid", "leaky_relu", "elu", "softmax"]))
def test_activation_layer_backward_matches_finite_differences(n, d, seed, name):
    rng = np.random.default_rng(seed)
    check_backward(Activation(name), away_from_zero(rng, (n, d)), rng)


def test_activation_layer_forward_and_hyper():
    layer = Activation("leaky_relu", negative_slope=0.2)
    x = np.array([[-2.0, 3.0]])
    np.testing.assert_allclose(layer.forward(x), [[-0.4, 3.0]])
    np.testing.assert_allclose(layer.backward(np.ones((1, 2))), [[0.2, 1.0]])
    assert layer.activation.name == "leaky_relu"
    assert repr(Activation("relu")) == "Activation(relu)"
    assert "negative_slope=0.2" in repr(layer)
    with pytest.raises(ValueError, match="unknown activation"):
        Activation("nope")


def test_activation_layer_keeps_float32():
    layer = Activation("tanh")
    x = np.linspace(-3, 3, 12, dtype=np.float32).reshape(3, 4)
    assert layer.forward(x).dtype == np.float32
    assert layer.backward(np.ones_like(x)).dtype == np.float32


# ------------------------------------------------------------------------- PReLU
def test_prelu_forward_by_hand_and_default_alpha():
    layer = PReLU()
    assert layer.alpha.data.shape == (1,) and layer.alpha.data[0] == 0.25
    assert layer.parameters() == [layer.alpha]
    np.testing.assert_allclose(layer.forward(np.array([[-4.0, 2.0, -1.0]])), [[-1.0, 2.0, -0.25]])
    per_feature = PReLU(2, init=0.5)
    per_feature.alpha.data[...] = [0.1, 0.3]
    np.testing.assert_allclose(per_feature.forward(np.array([[-1.0, -1.0], [2.0, -2.0]])),
                               [[-0.1, -0.3], [2.0, -0.6]])


@SETTINGS
@given(n=batch, d=width, seed=seeds, shared=st.booleans())
def test_prelu_backward_and_alpha_gradient_match_finite_differences(n, d, seed, shared):
    rng = np.random.default_rng(seed)
    layer = PReLU(1 if shared else d)
    layer.alpha.data[...] = rng.uniform(0.05, 0.5, size=layer.alpha.data.shape)
    check_backward(layer, away_from_zero(rng, (n, d)), rng)


def test_prelu_alpha_gradient_formula():
    layer = PReLU(3)
    x = np.array([[-1.0, 2.0, -3.0], [4.0, -5.0, -6.0]])
    g = np.array([[1.0, 1.0, 2.0], [1.0, 3.0, -1.0]])
    layer.forward(x)
    layer.backward(g)
    # column sums of g * x over negative x: [-1, -15, -6 + 6]
    np.testing.assert_allclose(layer.alpha.grad, [-1.0, -15.0, 0.0])


def test_prelu_errors_and_dtype():
    with pytest.raises(ValueError, match=r"\(\.\.\., 3\)"):
        PReLU(3).forward(np.zeros((2, 4)))
    layer = PReLU(dtype=np.float32)
    x = np.array([[-1.0, 2.0]], np.float32)
    assert layer.forward(x).dtype == np.float32
    assert layer.backward(np.ones_like(x)).dtype == np.float32
    assert layer.alpha.grad.dtype == np.float32


# ------------------------------------------------------------------------- RReLU
def test_rrelu_training_slopes_are_within_bounds_and_vary():
    lower, upper = 0.1, 0.4
    layer = RReLU(lower, upper, rng=np.random.default_rng(0))
    x = -np.linspace(0.5, 2.0, 10_000).reshape(100, 100)
    slopes = layer.forward(x) / x
    assert np.all((slopes >= lower) & (slopes <= upper))
    assert slopes.std() > 0.05            # really random, not one slope
    assert abs(slopes.mean() - (lower + upper) / 2) < 0.01
    pos = np.abs(x)
    np.testing.assert_array_equal(layer.forward(pos), pos)  # identity for x >= 0


def test_rrelu_backward_uses_the_forward_slopes():
    rng = np.random.default_rng(1)
    layer = RReLU(rng=rng)
    x = away_from_zero(rng, (20, 30))
    out = layer.forward(x)
    g = rng.standard_normal(x.shape)
    np.testing.assert_allclose(layer.backward(g), g * out / x)


@SETTINGS
@given(n=batch, d=width, seed=seeds, training=st.booleans())
def test_rrelu_backward_matches_finite_differences(n, d, seed, training):
    rng = np.random.default_rng(seed)
    layer = RReLU(rng=rng).train(training)
    check_backward(layer, away_from_zero(rng, (n, d)), rng, reseed=seed)


def test_rrelu_eval_uses_the_mean_slope():
    layer = RReLU(0.1, 0.3).eval()  # no rng needed in eval
    x = np.array([[-2.0, 1.0, -0.5]])
    np.testing.assert_allclose(layer.forward(x), [[-0.4, 1.0, -0.1]])
    np.testing.assert_allclose(layer.backward(np.ones((1, 3))), [[0.2, 1.0, 0.2]])


def test_rrelu_errors_and_dtype():
    with pytest.raises(ValueError, match="rng"):
        RReLU().forward(np.ones((2, 2)))
    with pytest.raises(ValueError, match="lower <= upper"):
        RReLU(0.5, 0.1)
    layer = RReLU(rng=np.random.default_rng(0))
    x = np.array([[-1.0, 2.0]], np.float32)
    assert layer.forward(x).dtype == np.float32
    assert layer.backward(np.ones_like(x)).dtype == np.float32


# ----------------------------------------------------------------------- Dropout
@pytest.mark.parametrize("p", [0.2, 0.5, 0.8])
def test_dropout_keeps_a_keep_prob_fraction_and_preserves_the_mean(p):
    n = 100_000
    keep_prob = 1 - p
    layer = Dropout(p, rng=np.random.default_rng(0))
    assert layer.p == p and layer.keep_prob == pytest.approx(keep_prob)
    x = np.ones((100, n // 100))
    out = layer.forward(x)
    kept = np.mean(out != 0)
    sigma = np.sqrt(keep_prob * (1 - keep_prob) / n)  # binomial standard deviation
    assert abs(kept - keep_prob) < 5 * sigma
    np.testing.assert_allclose(out[out != 0], 1 / keep_prob)  # inverted scaling
    assert abs(out.mean() - 1.0) < 5 * sigma / keep_prob


def test_dropout_backward_uses_the_forward_mask():
    rng = np.random.default_rng(3)
    layer = Dropout(0.3, rng=rng)
    x = away_from_zero(rng, (50, 40))  # no exact zeros in x
    out = layer.forward(x)
    g = rng.standard_normal(x.shape)
    gx = layer.backward(g)
    dropped = out == 0
    assert dropped.any() and (~dropped).any()
    assert np.all(gx[dropped] == 0)
    np.testing.assert_allclose(gx[~dropped], g[~dropped] / 0.7)


@SETTINGS
@given(n=batch, d=width, seed=seeds, p=st.sampled_from([0.0, 0.25, 0.5, 0.9]))
def test_dropout_backward_matches_finite_differences(n, d, seed, p):
    rng = np.random.default_rng(seed)
    check_backward(Dropout(p, rng=rng), rng.standard_normal((n, d)), rng, reseed=seed)


def test_dropout_is_identity_in_eval_and_for_p_zero():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((10, 10))
    layer = Dropout(0.5, rng=rng).eval()
    np.testing.assert_array_equal(layer.forward(x), x)
    np.testing.assert_array_equal(layer.backward(x), x)
    layer = Dropout(0.0, rng=rng)
    assert layer.training
    np.testing.assert_array_equal(layer.forward(x), x)
    np.testing.assert_array_equal(layer.backward(2 * x), 2 * x)
    layer = Dropout(0.5, rng=rng)
    layer.train()
    assert np.any(layer.forward(x) == 0)


def test_dropout_draws_a_new_mask_each_forward():
    layer = Dropout(0.5, rng=np.random.default_rng(0))
    x = np.ones((20, 20))
    assert np.any(layer.forward(x) != layer.forward(x))


def test_dropout_keeps_float32():
    layer = Dropout(0.5, rng=np.random.default_rng(0))
    x = np.ones((4, 5), np.float32)
    assert layer.forward(x).dtype == np.float32
    assert layer.backward(x).dtype == np.float32


@pytest.mark.parametrize("p", [-0.1, 1.0, 1.5])
def test_dropout_rejects_p_outside_0_1(p):
    with pytest.raises(ValueError, match="drop probability"):
        Dropout(p, rng=np.random.default_rng(0))


def test_dropout_needs_rng_in_training():
    with pytest.raises(ValueError, match="rng"):
        Dropout(0.5).forward(np.ones((2, 2)))
    np.testing.assert_array_equal(Dropout(0.5).eval().forward(np.ones((2, 2))), np.ones((2, 2)))


def test_reprs():
    assert repr(Dense(64, 32, rng=np.random.default_rng(0))) == "Dense(64→32)"
    assert repr(Dropout(0.25)) == "Dropout(p=0.25)"
    assert repr(PReLU()) == "PReLU(num_parameters=1)"
    assert repr(RReLU()).startswith("RReLU(lower=0.125")
