"""Tests of deeplib.model: Sequential and make_mlp."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deeplib.layers import Activation, Dense, Dropout, Layer, PReLU, RReLU
from deeplib.model import Sequential, make_mlp
from tests.finite_differences import fd_grad, rel




# -------------------------------------------------------------------- Sequential
def test_sequential_forward_is_the_composition():
    rng = np.random.default_rng(0)
    d1, d2 = Dense(3, 4, rng=rng), Dense(4, 2, rng=rng)
    model = Sequential(d1, Activation("tanh"), d2)
    x = rng.standard_normal((5, 3))
    expected = np.tanh(x @ d1.W.data + d1.b.data) @ d2.W.data + d2.b.data
    np.testing.assert_allclose(model.forward(x), expected, rtol=1e-12)
    np.testing.assert_allclose(model(x), expected, rtol=1e-12)


def test_sequential_accepts_a_list_indexing_len_iter():
    rng = np.random.default_rng(0)
    layers = [Dense(3, 4, rng=rng), Activation("relu"), Dense(4, 2, rng=rng)]
    model = Sequential(layers)
    assert model.layers == layers and len(model) == 3
    assert model[0] is layers[0] and model[-1] is layers[2]
    assert list(model) == layers
    head = model[:2]
    assert isinstance(head, Sequential) and head.layers == layers[:2]
    assert model.parameters() == [layers[0].W, layers[0].b, layers[2].W, layers[2].b]
    assert [n for n, _ in model.named_parameters()] == ["0.W", "0.b", "2.W", "2.b"]


def test_sequential_rejects_non_layers():
    with pytest.raises(TypeError, match="layer 1"):
        Sequential(Activation("relu"), "relu")


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 4),
       sizes=st.lists(st.integers(1, 5), min_size=2, max_size=4),
       activation=st.sampled_from(["tanh", "sigmoid", "elu", "prelu"]))
def test_sequential_backward_matches_finite_differences(seed, n, sizes, activation):
    rng = np.random.default_rng(seed)
    model = make_mlp(sizes, activation=activation, rng=rng)
    x = rng.standard_normal((n, sizes[0]))
    out = model.forward(x)
    R = rng.standard_normal(out.shape)
    model.zero_grad()
    gx = model.backward(R)

    def loss():
        return np.sum(model.forward(x) * R)
    assert rel(gx, fd_grad(loss, x)) < 1e-6
    for p in model.parameters():
        assert rel(p.grad.copy(), fd_grad(loss, p.data)) < 1e-6


def test_sequential_backward_before_forward_raises():
    with pytest.raises(RuntimeError, match="call forward first"):
        Sequential(Dense(2, 2, rng=np.random.default_rng(0))).backward(np.ones((1, 2)))


def test_train_eval_propagate_to_every_layer():
    model = make_mlp([3, 4, 4, 2], dropout=0.5, rng=np.random.default_rng(0))
    assert model.training and all(layer.training for layer in model)
    assert model.eval() is model
    assert not model.training and not any(layer.training for layer in model)
    assert model.train() is model
    assert all(layer.training for layer in model)
    model.train(False)
    assert not any(layer.training for layer in model)


def test_eval_mode_model_with_dropout_is_deterministic():
    model = make_mlp([3, 8, 2], dropout=0.5, rng=np.random.default_rng(0))
    x = np.random.default_rng(1).standard_normal((4, 3))
    model.eval()
    np.testing.assert_array_equal(model.forward(x), model.forward(x))
    model.train()
    assert np.any(model.forward(x) != model.forward(x))


def test_zero_grad_clears_every_parameter():
    model = make_mlp([3, 4, 2], activation="prelu", rng=np.random.default_rng(0))
    x = np.random.default_rng(1).standard_normal((5, 3))
    model.backward(np.ones_like(model.forward(x)))
    assert any(np.any(p.grad != 0) for p in model.parameters())
    model.zero_grad()
    assert all(np.all(p.grad == 0) for p in model.parameters())


def test_sequential_keeps_float32():
    rng = np.random.default_rng(0)
    model = make_mlp([6, 5, 5, 3], rng=rng, dtype=np.float32, dropout=0.2)
    x = rng.standard_normal((4, 6)).astype(np.float32)
    out = model.forward(x)
    assert out.dtype == np.float32
    assert model.backward(np.ones_like(out)).dtype == np.float32
    assert all(p.data.dtype == np.float32 and p.grad.dtype == np.float32
               for p in model.parameters())


def test_sequential_repr():
    rng = np.random.default_rng(0)
    model = Sequential(Dense(64, 32, rng=rng), Activation("relu"), Dense(32, 10, rng=rng))
    assert repr(model) == "Sequential(Dense(64→32), Activation(relu), Dense(32→10))"
    long = make_mlp([784, 256, 256, 256, 10], dropout=0.5, rng=rng)
    text = repr(long)
    assert text.count("Dense(") == 4 and "Dropout(p=0.5)" in text and "(0) Dense(784→256)" in text


def test_a_custom_layer_works_in_sequential():
    class Double(Layer):
        def forward(self, x):
            self._cache = True
            return 2 * x

        def backward(self, grad_out):
            self._cached()
            return 2 * grad_out

    model = Sequential(Double(), Double())
    np.testing.assert_array_equal(model.forward(np.ones((1, 2))), [[4.0, 4.0]])
    np.testing.assert_array_equal(model.backward(np.ones((1, 2))), [[4.0, 4.0]])
    assert model.parameters() == []


# ---------------------------------------------------------------------- make_mlp
def test_make_mlp_structure_and_parameter_count():
    model = make_mlp([784, 256, 128, 10], rng=np.random.default_rng(0))
    kinds = [type(layer).__name__ for layer in model]
    assert kinds == ["Dense", "Activation", "Dense", "Activation", "Dense"]
    assert model[1].activation.name == "relu"
    assert [(layer.W.data.shape) for layer in model if isinstance(layer, Dense)] == \
        [(784, 256), (256, 128), (128, 10)]
    n_params = sum(p.data.size for p in model.parameters())
    assert n_params == 784 * 256 + 256 + 256 * 128 + 128 + 128 * 10 + 10


def test_make_mlp_dropout_and_output_activation():
    model = make_mlp([4, 8, 8, 3], activation="tanh", dropout=0.3,
                     output_activation="softmax", rng=np.random.default_rng(0))
    kinds = [type(layer).__name__ for layer in model]
    assert kinds == ["Dense", "Activation", "Dropout", "Dense", "Activation", "Dropout",
                     "Dense", "Activation"]
    assert model[2].p == 0.3 and model[-1].activation.name == "softmax"
    out = model.eval().forward(np.ones((2, 4)))
    np.testing.assert_allclose(out.sum(axis=1), 1.0)


def test_make_mlp_prelu_rrelu_and_hyperparameters():
    rng = np.random.default_rng(0)
    model = make_mlp([3, 5, 5, 2], activation="prelu", rng=rng, num_parameters=5)
    prelus = [layer for layer in model if isinstance(layer, PReLU)]
    assert len(prelus) == 2 and all(p.alpha.data.shape == (5,) for p in prelus)
    assert sum(p.data.size for p in model.parameters()) == 3 * 5 + 5 + 5 * 5 + 5 + 5 * 2 + 2 + 10
    model = make_mlp([3, 5, 2], activation="rrelu", rng=rng, lower=0.05, upper=0.2)
    assert isinstance(model[1], RReLU) and model[1].upper == 0.2
    model.forward(np.ones((2, 3)))  # the rng is passed on: training mode works
    model = make_mlp([3, 5, 2], activation="leaky_relu", negative_slope=0.2, rng=rng)
    assert model[1].activation.negative_slope == 0.2


def test_make_mlp_uses_the_recommended_initializer():
    n_in, n_out = 400, 300
    relu = make_mlp([n_in, n_out, 1], activation="relu", rng=np.random.default_rng(0))
    tanh = make_mlp([n_in, n_out, 1], activation="tanh", rng=np.random.default_rng(0))
    selu = make_mlp([n_in, n_out, 1], activation="selu", rng=np.random.default_rng(0))
    # He normal: var 2/fan_in; Glorot uniform: var 2/(fan_in+fan_out); LeCun normal: 1/fan_in
    assert relu[0].W.data.var() == pytest.approx(2 / n_in, rel=0.05)
    assert tanh[0].W.data.var() == pytest.approx(2 / (n_in + n_out), rel=0.05)
    assert np.abs(tanh[0].W.data).max() <= np.sqrt(6 / (n_in + n_out))
    assert selu[0].W.data.var() == pytest.approx(1 / n_in, rel=0.05)
    explicit = make_mlp([n_in, n_out, 1], init="zeros")
    assert np.all(explicit[0].W.data == 0)


def test_make_mlp_without_hidden_layers_is_one_dense():
    model = make_mlp([3, 2], rng=np.random.default_rng(0))
    assert len(model) == 1 and isinstance(model[0], Dense)


@pytest.mark.parametrize("sizes", [[3], [3, 0, 2], "abc", [3, -1]])
def test_make_mlp_rejects_bad_sizes(sizes):
    with pytest.raises(ValueError, match="sizes"):
        make_mlp(sizes, rng=np.random.default_rng(0))


def test_make_mlp_rejects_bad_dropout():
    with pytest.raises(ValueError, match="drop probability"):
        make_mlp([3, 4, 2], dropout=1.0, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="drop probability"):
        make_mlp([3, 4, 2], dropout=-0.1, rng=np.random.default_rng(0))


def test_dropout_layer_of_make_mlp_is_a_dropout():
    model = make_mlp([3, 4, 2], dropout=0.5, rng=np.random.default_rng(0))
    assert isinstance(model[2], Dropout) and model[2].keep_prob == 0.5


@pytest.mark.parametrize("first", ["dense", "activation"])
def test_backward_without_input_grad_gives_the_same_parameter_grads(first):
    rng = np.random.default_rng(0)
    layers = [Dense(3, 4, rng=rng), Activation("tanh"), Dense(4, 2, rng=rng)]
    model = Sequential(layers if first == "dense" else [Activation("tanh")] + layers)
    x = rng.standard_normal((5, 3))
    g = rng.standard_normal((5, 2))
    model.forward(x)
    gx = model.backward(g)
    full = [p.grad.copy() for p in model.parameters()]
    model.zero_grad()
    assert model.backward(g, input_grad=False) is None
    for p, expected in zip(model.parameters(), full):
        np.testing.assert_array_equal(p.grad, expected)
    assert gx.shape == x.shape
