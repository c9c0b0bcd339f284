"""Tests of deeplib.diagnostics on hand-built networks whose answers are known."""

import math

import numpy as np
import pytest

from deeplib.diagnostics import activation_stats, gradient_norms
from deeplib.layers import Activation, Dense, Dropout, PReLU
from deeplib.model import Sequential


def _dense(W, b):
    layer = Dense(*np.shape(W), rng=np.random.default_rng(0))
    layer.W.data[...] = W
    layer.b.data[...] = b
    return layer


def _relu_net():
    # unit 0: z = -1 - x0 - x1 < 0 for x >= 0 -> dead; unit 1: z = 1 + x0 > 0 -> alive;
    # unit 2: z = x0 - x1 changes sign -> alive
    W = np.array([[-1.0, 1.0, 1.0], [-1.0, 0.0, -1.0]])
    b = np.array([-1.0, 1.0, 0.0])
    return Sequential(_dense(W, b), Activation("relu")), W, b


def test_relu_dead_unit_fraction_is_exact_and_values_are_the_activations():
    model, W, b = _relu_net()
    X = np.random.default_rng(0).uniform(0.0, 1.0, size=(64, 2))
    (s,) = activation_stats(model, X)
    a = np.maximum(X @ W + b, 0.0)
    assert s["layer"] == 1 and s["name"] == "relu"
    assert s["dead"] == pytest.approx(1 / 3, abs=0)  # exactly one of three units
    assert s["saturated"] == 0.0
    np.testing.assert_allclose(s["values"], a, rtol=1e-12)
    assert s["mean"] == pytest.approx(a.mean(), rel=1e-12)
    assert s["std"] == pytest.approx(a.std(), rel=1e-12)


def test_no_dead_units_when_every_unit_fires_somewhere():
    model, _, _ = _relu_net()
    X = np.array([[-5.0, 0.0], [1.0, 0.0]])  # unit 0 fires for the first sample
    (s,) = activation_stats(model, X)
    assert s["dead"] == 0.0


def _saturation_threshold_z(name):
    """|z| beyond which f'(z) < 5% of max f' (sigmoid' = s(1-s) <= 1/4, tanh' = 1 - t² <= 1)."""
    if name == "sigmoid":  # s(1 - s) = 0.0125 -> s = (1 - sqrt(1 - 0.05)) / 2
        s = (1 - math.sqrt(1 - 4 * 0.0125)) / 2
        return -math.log(s / (1 - s))
    return math.atanh(math.sqrt(1 - 0.05))  # tanh: 1 - t² = 0.05


@pytest.mark.parametrize("name", ["sigmoid", "tanh"])
def test_saturated_fraction_matches_closed_form_threshold(name):
    rng = np.random.default_rng(1)
    W = rng.standard_normal((3, 5))
    X = 4.0 * rng.standard_normal((200, 3))
    model = Sequential(_dense(W, np.zeros(5)), Activation(name))
    (s,) = activation_stats(model, X)
    z = X @ W
    expected = np.mean(np.abs(z) > _saturation_threshold_z(name))
    assert 0.2 < expected < 0.9  # a mix, so the test discriminates
    assert s["saturated"] == pytest.approx(expected, abs=1e-9)
    assert s["dead"] == 0.0


def test_sigmoid_with_huge_weights_is_almost_fully_saturated():
    rng = np.random.default_rng(2)
    model = Sequential(_dense(1000.0 * rng.standard_normal((4, 8)), np.zeros(8)),
                       Activation("sigmoid"))
    (s,) = activation_stats(model, rng.standard_normal((100, 4)))
    assert s["saturated"] > 0.99
    assert np.all((s["values"] >= 0) & (s["values"] <= 1))


def test_one_entry_per_activation_layer_in_order_in_eval_mode_and_mode_restored():
    rng = np.random.default_rng(3)
    model = Sequential(Dense(4, 6, rng=rng), Activation("tanh"), Dropout(0.5, rng=rng),
                       Dense(6, 5, rng=rng), PReLU(), Dense(5, 2, rng=rng))
    model.train()
    X = rng.standard_normal((30, 4))
    stats = activation_stats(model, X)
    assert [(s["layer"], s["name"]) for s in stats] == [(1, "tanh"), (4, "prelu")]
    assert model.training is True
    # eval mode: Dropout is the identity, so the PReLU output is computable by hand
    a1 = np.tanh(X @ model[0].W.data + model[0].b.data)
    z2 = a1 @ model[3].W.data + model[3].b.data
    np.testing.assert_allclose(stats[1]["values"], np.where(z2 > 0, z2, 0.25 * z2), rtol=1e-12)
    assert stats[1]["saturated"] == 0.0
    assert set(stats[0]) >= {"layer", "name", "mean", "std", "saturated", "dead", "values"}


def test_activation_stats_needs_a_sequential():
    with pytest.raises(TypeError, match="Sequential"):
        activation_stats(Dense(2, 2, rng=np.random.default_rng(0)), np.zeros((1, 2)))


# -------------------------------------------------------------------- gradient_norms
def _manual_grads(X, y, W1, b1, W2, b2):
    """Softmax cross-entropy of Dense -> tanh -> Dense, backpropagated by hand."""
    a1 = np.tanh(X @ W1 + b1)
    z2 = a1 @ W2 + b2
    p = np.exp(z2 - z2.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    g = p.copy()
    g[np.arange(len(y)), y] -= 1.0
    g /= len(y)
    dW2, db2 = a1.T @ g, g.sum(axis=0)
    dz1 = (g @ W2.T) * (1.0 - a1 ** 2)
    dW1, db1 = X.T @ dz1, dz1.sum(axis=0)
    return dW1, db1, dW2, db2


@pytest.mark.parametrize("training", [True, False])
def test_gradient_norms_match_manual_backprop_and_leave_no_trace(training):
    rng = np.random.default_rng(4)
    W1, b1 = rng.standard_normal((3, 4)), rng.standard_normal(4)
    W2, b2 = rng.standard_normal((4, 2)), rng.standard_normal(2)
    model = Sequential(_dense(W1, b1), Activation("tanh"), _dense(W2, b2))
    model.train(training)
    X, y = rng.standard_normal((7, 3)), rng.integers(0, 2, size=7)
    params = model.parameters()
    previous = [rng.standard_normal(p.data.shape) for p in params]
    for p, g in zip(params, previous):
        p.grad[...] = g
    grad_arrays = [p.grad for p in params]
    data_before = [p.data.copy() for p in params]

    norms = gradient_norms(model, "softmax_cross_entropy", X, y)

    dW1, db1, dW2, db2 = _manual_grads(X, y, W1, b1, W2, b2)
    assert [(n["layer"], n["name"]) for n in norms] == [(0, "Dense(3, 4)"), (2, "Dense(4, 2)")]
    for n, dW, db, W in zip(norms, (dW1, dW2), (db1, db2), (W1, W2)):
        assert n["weight_grad_norm"] == pytest.approx(np.sqrt(np.sum(dW ** 2)), rel=1e-10)
        assert n["bias_grad_norm"] == pytest.approx(np.sqrt(np.sum(db ** 2)), rel=1e-10)
        assert n["weight_norm"] == pytest.approx(np.sqrt(np.sum(W ** 2)), rel=1e-12)
    for p, g, arr, d in zip(params, previous, grad_arrays, data_before):
        np.testing.assert_array_equal(p.grad, g)   # previous gradients restored
        assert p.grad is arr                        # in place: views stay valid
        np.testing.assert_array_equal(p.data, d)   # parameters untouched
    assert model.training is training


def test_gradient_norms_accumulated_grads_do_not_leak_in():
    rng = np.random.default_rng(5)
    model = Sequential(Dense(3, 2, rng=rng))
    X, y = rng.standard_normal((4, 3)), np.array([0, 1, 1, 0])
    clean = gradient_norms(model, "softmax_cross_entropy", X, y)
    for p in model.parameters():
        p.grad[...] = 1e6
    dirty = gradient_norms(model, "softmax_cross_entropy", X, y)
    assert dirty[0]["weight_grad_norm"] == pytest.approx(clean[0]["weight_grad_norm"], rel=1e-12)


def test_gradient_norms_without_bias_reports_nan_bias_norm():
    rng = np.random.default_rng(6)
    model = Sequential(Dense(3, 2, rng=rng, bias=False))
    (n,) = gradient_norms(model, "softmax_cross_entropy", rng.standard_normal((4, 3)),
                          np.array([0, 1, 1, 0]))
    assert math.isnan(n["bias_grad_norm"]) and n["weight_grad_norm"] > 0


def test_gradient_norms_needs_a_sequential():
    with pytest.raises(TypeError, match="Sequential"):
        gradient_norms(Dense(2, 2, rng=np.random.default_rng(0)), "mse",
                       np.zeros((1, 2)), np.zeros((1, 2)))
