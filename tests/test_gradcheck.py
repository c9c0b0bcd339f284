"""Tests of deeplib.gradcheck: known derivatives, exact restoration, and bug detection."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deeplib.activations import Activation as ActivationFn
from deeplib.gradcheck import check_activation, check_layer, numerical_gradient, relative_error
from deeplib.layers import Activation, Dense, Dropout, Layer, PReLU, RReLU
from deeplib.model import Sequential, make_mlp
from deeplib.parameter import Parameter

seeds = st.integers(0, 2**32 - 1)


# ----------------------------------------------------------------- numerical_gradient
@settings(max_examples=20, deadline=None)
@given(seed=seeds, shape=st.sampled_from([(1,), (5,), (2, 3), (2, 2, 2)]))
def test_numerical_gradient_of_x_cubed(seed, shape):
    x = np.random.default_rng(seed).uniform(-2, 2, size=shape)
    grad = numerical_gradient(lambda v: np.sum(v ** 3), x)
    assert grad.shape == shape
    np.testing.assert_allclose(grad, 3 * x ** 2, rtol=1e-7, atol=1e-8)


def test_numerical_gradient_restores_x_exactly():
    x = np.random.default_rng(0).standard_normal((3, 4))
    before = x.copy()
    numerical_gradient(lambda v: np.sum(np.sin(v) * v), x)
    assert np.array_equal(x, before)
    # also when f raises mid-way
    with pytest.raises(ZeroDivisionError):
        numerical_gradient(lambda v: 1 / 0, x)
    assert np.array_equal(x, before)


def test_numerical_gradient_of_a_non_separable_function():
    x = np.array([1.0, 2.0, 3.0])
    # f = x0 * x1 * x2 -> grad = (x1 x2, x0 x2, x0 x1)
    grad = numerical_gradient(lambda v: v[0] * v[1] * v[2], x)
    np.testing.assert_allclose(grad, [6.0, 3.0, 2.0], rtol=1e-8)


def test_numerical_gradient_needs_a_float_array():
    with pytest.raises(TypeError, match="floating"):
        numerical_gradient(lambda v: v.sum(), np.array([1, 2]))
    with pytest.raises(TypeError, match="floating"):
        numerical_gradient(lambda v: v, 1.0)


# --------------------------------------------------------------------- relative_error
def test_relative_error_known_values():
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert relative_error(np.array([1.0, 2.0]), np.array([1.0, 2.0])) == 0.0
    # ||a-b|| = 1, ||a|| + ||b|| = 3 + 4
    assert relative_error(np.array([3.0, 0.0]), np.array([0.0, 4.0])) == pytest.approx(5 / 7)
    assert relative_error(np.array([1.0]), np.array([0.0])) == 1.0
    assert relative_error(np.array([1.0]), np.array([-1.0])) == 1.0
    with pytest.raises(ValueError, match="shapes"):
        relative_error(np.zeros(2), np.zeros(3))


# ------------------------------------------------------------------------ check_layer
def test_check_layer_dense_keys_and_small_errors():
    rng = np.random.default_rng(0)
    errors = check_layer(Dense(4, 3, rng=rng), rng.standard_normal((5, 4)), rng)
    assert set(errors) == {"input", "W", "b"}
    assert all(e < 1e-7 for e in errors.values())


def test_check_layer_names_sequential_parameters_and_passes_a_full_mlp():
    rng = np.random.default_rng(1)
    model = make_mlp([3, 4, 4, 2], activation="prelu", dropout=0.3, rng=rng)
    errors = check_layer(model, rng.standard_normal((6, 3)), rng)
    assert set(errors) == {"input", "0.W", "0.b", "1.alpha", "3.W", "3.b", "4.alpha",
                           "6.W", "6.b"}
    assert max(errors.values()) < 1e-6


@pytest.mark.parametrize("make", [
    lambda rng: Dropout(0.5, rng=rng),
    lambda rng: RReLU(rng=rng),
    lambda rng: Sequential(Dense(4, 4, rng=rng), RReLU(rng=rng), Dropout(0.4, rng=rng)),
])
def test_check_layer_makes_random_layers_deterministic(make):
    rng = np.random.default_rng(2)
    layer = make(rng)
    x = rng.standard_normal((8, 4))
    x = np.where(x >= 0, x + 0.1, x - 0.1)
    errors = check_layer(layer, x, rng)
    assert max(errors.values()) < 1e-6


def test_check_layer_has_no_side_effects():
    rng = np.random.default_rng(3)
    dropout_rng = np.random.default_rng(4)
    model = Sequential(Dense(3, 2, rng=rng), Dropout(0.5, rng=dropout_rng))
    for p in model.parameters():
        p.grad[...] = 7.0
    W = model[0].W.data.copy()
    x = rng.standard_normal((4, 3))
    x_before = x.copy()
    check_layer(model, x, rng)
    assert all(np.all(p.grad == 7.0) for p in model.parameters())
    assert np.array_equal(model[0].W.data, W) and np.array_equal(x, x_before)
    assert model[1].rng is dropout_rng


class BuggyDense(Dense):
    """A planted bug: the bias gradient is summed over the wrong axis (a mean instead)."""

    def backward(self, grad_out):
        gx = super().backward(grad_out)
        self.b.grad -= grad_out.sum(axis=0)
        self.b.grad += grad_out.mean(axis=0)
        return gx


class WrongInputGrad(Layer):
    """Square layer whose backward forgets the factor 2: returns g * x instead of 2 g x."""

    def forward(self, x):
        self._cache = x
        return x ** 2

    def backward(self, grad_out):
        return grad_out * self._cached()


class ScaleLayer(Layer):
    """out = x * s with a learned (d,) scale, but backward forgets to accumulate into s."""

    def __init__(self, d):
        super().__init__()
        self.s = Parameter(np.linspace(0.5, 2.0, d), name="s")

    def named_parameters(self):
        return [("s", self.s)]

    def forward(self, x):
        self._cache = x
        return x * self.s.data

    def backward(self, grad_out):
        x = self._cached()
        self.s.grad += (grad_out * x).sum(axis=0) * 0.5  # wrong factor
        return grad_out * self.s.data


def test_check_layer_detects_planted_bugs():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((6, 4))
    errors = check_layer(BuggyDense(4, 3, rng=rng), x, rng)
    assert errors["W"] < 1e-7 and errors["input"] < 1e-7
    assert errors["b"] > 0.1
    assert check_layer(WrongInputGrad(), x, rng)["input"] > 0.1
    errors = check_layer(ScaleLayer(4), x, rng)
    assert errors["input"] < 1e-7 and errors["s"] > 0.1
    # a bug deep inside a Sequential is reported under the layer's index
    errors = check_layer(Sequential(Dense(4, 3, rng=rng), Activation("tanh"),
                                    BuggyDense(3, 2, rng=rng)), x, rng)
    assert errors["2.b"] > 0.1 and errors["0.W"] < 1e-7  # the wrong b.grad does not touch 0.W
    assert errors["2.W"] < 1e-7


def test_check_layer_prelu_alpha():
    rng = np.random.default_rng(6)
    x = rng.standard_normal((5, 3))
    x = np.where(x >= 0, x + 0.1, x - 0.1)
    errors = check_layer(PReLU(3), x, rng)
    assert set(errors) == {"input", "alpha"} and max(errors.values()) < 1e-7


def test_check_layer_needs_a_generator():
    with pytest.raises(TypeError, match="Generator"):
        check_layer(Dense(2, 2, rng=np.random.default_rng(0)), np.ones((1, 2)), 0)


# ------------------------------------------------------------------- check_activation
@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu", "elu", "softplus", "gelu",
                                  "swish", "softmax"])
def test_check_activation_passes_the_library_activations(name):
    z = np.random.default_rng(7).standard_normal((4, 5))
    z = np.where(z >= 0, z + 0.1, z - 0.1)
    assert check_activation(name, z) < 1e-7


def test_check_activation_detects_a_wrong_derivative():
    class WrongTanh(ActivationFn):
        name = "wrong_tanh"

        def forward(self, z):
            return np.tanh(z)

        def derivative(self, z):
            return 1 - np.tanh(z)  # forgot the square

    assert check_activation(WrongTanh(), np.linspace(-2, 2, 9)) > 0.1
