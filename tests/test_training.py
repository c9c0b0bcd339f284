"""Tests of deeplib.training: minibatch bookkeeping, the fit loop, evaluate and predict.

Expected values come from index bookkeeping (X = arange), hand-computed losses on a
model with known weights, and properties of the loop (call order, modes, counts)."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deeplib.layers import Activation, Dense, Dropout, Layer
from deeplib.losses import mean_squared_error, softmax_cross_entropy
from deeplib.model import Sequential, make_mlp
from deeplib.optimizers import SGD
from deeplib.training import History, evaluate, fit, minibatches, predict


# ------------------------------------------------------------------------ helpers
def _blobs(n_per_class=40, seed=0):
    """Two well separated Gaussian blobs in 2-D, labels 0/1."""
    rng = np.random.default_rng(seed)
    X = np.concatenate([rng.normal([-2.0, -2.0], 0.5, size=(n_per_class, 2)),
                        rng.normal([2.0, 2.0], 0.5, size=(n_per_class, 2))])
    y = np.repeat([0, 1], n_per_class)
    return X, y


def _dense(W, b):
    layer = Dense(*np.shape(W), rng=np.random.default_rng(0))
    layer.W.data[...] = W
    layer.b.data[...] = b
    return layer


class Probe(Layer):
    """Identity layer recording (training flag, batch size) of every forward call."""

    def __init__(self):
        super().__init__()
        self.calls = []

    def forward(self, x):
        self.calls.append((self.training, len(x)))
        return x

    def backward(self, grad_out):
        return grad_out

    def parameters(self):
        return []


def _logsumexp(z):
    m = z.max(axis=1, keepdims=True)
    return (m + np.log(np.exp(z - m).sum(axis=1, keepdims=True)))[:, 0]


# -------------------------------------------------------------------- minibatches
@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 60), batch_size=st.integers(1, 70), seed=st.integers(0, 2**32 - 1))
def test_minibatches_cover_every_sample_once_with_aligned_labels(n, batch_size, seed):
    X = np.arange(n)[:, None] * np.array([1, 10])  # row i is (i, 10 i)
    y = 100 * np.arange(n)
    batches = list(minibatches(X, y, batch_size, rng=np.random.default_rng(seed)))
    assert len(batches) == math.ceil(n / batch_size)
    sizes = [len(xb) for xb, _ in batches]
    assert all(s == batch_size for s in sizes[:-1])
    assert sizes[-1] == n - batch_size * (len(batches) - 1)  # last partial batch kept
    seen = np.concatenate([xb[:, 0] for xb, _ in batches])
    assert sorted(seen.tolist()) == list(range(n))
    for xb, yb in batches:
        np.testing.assert_array_equal(xb[:, 1], 10 * xb[:, 0])
        np.testing.assert_array_equal(yb, 100 * xb[:, 0])


def test_minibatches_batch_gd_and_sgd():
    X, y = np.arange(7.0)[:, None], np.arange(7)
    (full,) = list(minibatches(X, y, 7, rng=np.random.default_rng(0)))
    assert sorted(full[1].tolist()) == list(range(7))
    singles = list(minibatches(X, y, 1, rng=np.random.default_rng(0)))
    assert len(singles) == 7 and all(len(xb) == 1 for xb, _ in singles)


def test_minibatches_without_shuffle_keeps_order_and_needs_no_rng():
    X, y = np.arange(10.0)[:, None], np.arange(10)
    batches = list(minibatches(X, y, 4, shuffle=False))
    assert [b[1].tolist() for b in batches] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]


def test_minibatches_seeds_give_different_orders_and_same_seed_same_order():
    X, y = np.arange(50.0)[:, None], np.arange(50)

    def order(seed):
        return np.concatenate([yb for _, yb in minibatches(X, y, 8, rng=np.random.default_rng(seed))])

    np.testing.assert_array_equal(order(1), order(1))
    assert not np.array_equal(order(1), order(2))
    assert not np.array_equal(order(1), np.arange(50))


def test_minibatches_reshuffles_every_call_with_the_same_generator():
    X, y = np.arange(50.0)[:, None], np.arange(50)
    rng = np.random.default_rng(0)
    first = np.concatenate([yb for _, yb in minibatches(X, y, 50, rng=rng)])
    second = np.concatenate([yb for _, yb in minibatches(X, y, 50, rng=rng)])
    assert not np.array_equal(first, second)


@pytest.mark.parametrize("batch_size", [0, -3, 2.5, True, "8"])
def test_minibatches_bad_batch_size(batch_size):
    with pytest.raises(ValueError, match="batch_size"):
        list(minibatches(np.zeros((5, 2)), np.zeros(5), batch_size, rng=np.random.default_rng(0)))


def test_minibatches_errors():
    with pytest.raises(ValueError, match="same number of samples"):
        list(minibatches(np.zeros((5, 2)), np.zeros(4), 2, rng=np.random.default_rng(0)))
    with pytest.raises(ValueError, match="rng"):
        list(minibatches(np.zeros((5, 2)), np.zeros(5), 2))
    with pytest.raises(TypeError, match="Generator"):
        list(minibatches(np.zeros((5, 2)), np.zeros(5), 2, rng=42))


# ---------------------------------------------------------------------------- fit
def test_fit_learns_a_separable_problem_and_records_lengths():
    X, y = _blobs()
    Xv, yv = _blobs(seed=1)
    model = make_mlp([2, 8, 2], rng=np.random.default_rng(0))
    opt = SGD(model.parameters(), lr=0.1)
    h = fit(model, "softmax_cross_entropy", opt, X, y, epochs=6, batch_size=16,
            rng=np.random.default_rng(0), validation_data=(Xv, yv))
    assert isinstance(h, History)
    assert h.epochs == [1, 2, 3, 4, 5, 6]
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        assert len(getattr(h, key)) == 6, key
    assert h.step_loss == [] and h.stopped_reason is None
    assert h.loss[-1] < 0.5 * h.loss[0]
    assert h.accuracy[-1] == 1.0 and h.val_accuracy[-1] >= 0.95
    # the recorded epoch loss is the eval-mode loss of the final model on the full set
    loss_now, acc_now = evaluate(model, "softmax_cross_entropy", X, y)
    assert h.loss[-1] == pytest.approx(loss_now, rel=1e-12)
    d = h.as_dict()
    assert d["loss"] == h.loss and d["epochs"] == h.epochs and "val_accuracy" in d


def test_fit_without_validation_leaves_val_lists_empty():
    X, y = _blobs(10)
    model = make_mlp([2, 4, 2], rng=np.random.default_rng(0))
    h = fit(model, softmax_cross_entropy, SGD(model.parameters(), lr=0.1), X, y,
            epochs=2, batch_size=5, rng=np.random.default_rng(0))
    assert len(h.loss) == 2 and h.val_loss == [] and h.val_accuracy == []


@pytest.mark.parametrize("n, batch_size, epochs", [(50, 16, 3), (50, 50, 2), (7, 1, 2), (10, 64, 3)])
def test_fit_record_steps_counts_every_update(n, batch_size, epochs):
    X, y = _blobs(n // 2 + 1)
    X, y = X[:n], y[:n]
    model = make_mlp([2, 4, 2], rng=np.random.default_rng(0))
    h = fit(model, "cross_entropy", SGD(model.parameters(), lr=0.05), X, y, epochs=epochs,
            batch_size=batch_size, rng=np.random.default_rng(0), record_steps=True)
    assert len(h.step_loss) == math.ceil(n / batch_size) * epochs
    assert all(np.isfinite(h.step_loss))


def test_fit_runs_the_documented_step_sequence_and_modes():
    probe = Probe()
    model = Sequential(probe, Dense(2, 2, rng=np.random.default_rng(0)))
    model.eval()
    calls = []

    class RecordingSGD(SGD):
        def zero_grad(self):
            calls.append("zero_grad")
            super().zero_grad()

        def step(self):
            calls.append("step")
            super().step()

    def loss(out, yb):
        calls.append("loss")
        return softmax_cross_entropy(out, yb)

    X, y = _blobs(5)  # N = 10
    fit(model, loss, RecordingSGD(model.parameters(), lr=0.1), X, y, epochs=2, batch_size=4,
        rng=np.random.default_rng(0))
    train_calls = [c for c in probe.calls if c[0]]
    eval_calls = [c for c in probe.calls if not c[0]]
    assert [size for _, size in train_calls] == [4, 4, 2] * 2   # train mode for updates
    assert eval_calls == [(False, 10)] * 2                       # eval mode for measurements
    assert calls[:3] == ["zero_grad", "loss", "step"]
    assert calls.count("step") == 6 and calls.count("zero_grad") == 6
    assert model.training is False  # the mode it had before fit


def test_fit_is_deterministic_given_the_rng():
    X, y = _blobs(20)

    def run():
        model = make_mlp([2, 6, 2], rng=np.random.default_rng(3))
        return fit(model, "softmax_cross_entropy", SGD(model.parameters(), lr=0.1, momentum=0.9),
                   X, y, epochs=3, batch_size=7, rng=np.random.default_rng(4),
                   record_steps=True).as_dict()

    assert run() == run()


def test_fit_progress_writes_only_to_stdout(capsys):
    X, y = _blobs(10)
    model = make_mlp([2, 4, 2], rng=np.random.default_rng(0))
    fit(model, "softmax_cross_entropy", SGD(model.parameters(), lr=0.1), X, y, epochs=3,
        batch_size=8, rng=np.random.default_rng(0), validation_data=(X, y), progress=True)
    out, err = capsys.readouterr()
    assert err == ""
    assert out.count("\r") == 3 and out.endswith("\n")
    assert "epoch 3/3" in out and "val_loss" in out


def test_fit_silent_without_progress(capsys):
    X, y = _blobs(10)
    model = make_mlp([2, 4, 2], rng=np.random.default_rng(0))
    fit(model, "softmax_cross_entropy", SGD(model.parameters(), lr=0.1), X, y, epochs=2,
        batch_size=8, rng=np.random.default_rng(0))
    assert capsys.readouterr() == ("", "")


def test_fit_stops_on_nan_loss_without_applying_the_step():
    X, y = _blobs(10)  # N = 20, batch 5 -> 4 steps per epoch
    model = make_mlp([2, 4, 2], rng=np.random.default_rng(0))
    n_calls = []

    def loss(out, yb):  # NaN at the 7th update (the evaluations use the full set of 20)
        n_calls.append(len(yb) == 5)
        value, grad = softmax_cross_entropy(out, yb)
        return (float("nan"), grad) if sum(n_calls) == 7 and n_calls[-1] else (value, grad)

    steps = []

    class CountingSGD(SGD):
        def step(self):
            steps.append(1)
            super().step()

    h = fit(model, loss, CountingSGD(model.parameters(), lr=0.1), X, y, epochs=5, batch_size=5,
            rng=np.random.default_rng(0), record_steps=True)
    assert len(steps) == 6  # the diverged 7th update is not applied
    assert h.stopped_reason is not None and "non-finite" in h.stopped_reason
    assert "epoch 2, step 7" in h.stopped_reason
    assert h.epochs == [1] and len(h.loss) == 1
    assert len(h.step_loss) == 7 and math.isnan(h.step_loss[-1])


def test_fit_huge_learning_rate_diverges_and_stops_without_warning_or_error(capsys):
    rng = np.random.default_rng(0)
    X = 10.0 * rng.standard_normal((100, 3))
    t = X @ np.array([[1.0], [-2.0], [0.5]])
    model = Sequential(Dense(3, 1, rng=np.random.default_rng(0)))
    h = fit(model, "mse", SGD(model.parameters(), lr=1.0), X, t, epochs=200, batch_size=10,
            rng=np.random.default_rng(0), progress=True)
    assert h.stopped_reason is not None and "non-finite" in h.stopped_reason
    assert len(h.loss) < 200
    assert all(math.isnan(a) for a in h.accuracy)  # regression: accuracy is NaN
    assert capsys.readouterr().err == ""


def test_fit_clip_norm_bounds_each_update():
    pytest.importorskip("deeplib.clipping")
    X, y = _blobs(10)
    model = Sequential(Dense(2, 2, rng=np.random.default_rng(0)))
    before = np.concatenate([p.data.ravel() for p in model.parameters()])

    def steep(out, yb):  # gradient 1000 times the cross-entropy's
        value, grad = softmax_cross_entropy(out, yb)
        return value, 1000.0 * grad

    fit(model, steep, SGD(model.parameters(), lr=1.0), X, y, epochs=1, batch_size=len(X),
        rng=np.random.default_rng(0), clip_norm=0.5)
    after = np.concatenate([p.data.ravel() for p in model.parameters()])
    assert np.linalg.norm(after - before) == pytest.approx(0.5, rel=1e-4)


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(epochs=0, batch_size=4), ValueError, "epochs"),
    (dict(epochs=1, batch_size=0), ValueError, "batch_size"),
    (dict(epochs=1, batch_size=4, rng=None), TypeError, "Generator"),
    (dict(epochs=1, batch_size=4, validation_data=np.zeros(3)), TypeError, "validation_data"),
])
def test_fit_argument_errors(kwargs, exc, match):
    X, y = _blobs(5)
    model = make_mlp([2, 3, 2], rng=np.random.default_rng(0))
    kwargs.setdefault("rng", np.random.default_rng(0))
    with pytest.raises(exc, match=match):
        fit(model, "softmax_cross_entropy", SGD(model.parameters()), X, y, **kwargs)


def test_fit_rejects_a_bad_loss():
    X, y = _blobs(5)
    model = make_mlp([2, 3, 2], rng=np.random.default_rng(0))
    with pytest.raises(TypeError, match="loss"):
        fit(model, 3, SGD(model.parameters()), X, y, epochs=1, batch_size=2,
            rng=np.random.default_rng(0))


# -------------------------------------------------------------- evaluate, predict
W3 = np.array([[1.0, -1.0, 0.5], [0.5, 2.0, -1.0]])
B3 = np.array([0.1, -0.2, 0.3])


@pytest.mark.parametrize("start_training", [True, False])
def test_evaluate_multiclass_matches_hand_computation_and_restores_mode(start_training):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((11, 2))
    y = rng.integers(0, 3, size=11)
    model = Sequential(_dense(W3, B3), Dropout(0.5, rng=np.random.default_rng(1)))
    model.train(start_training)
    logits = X @ W3 + B3
    expected_loss = np.mean(_logsumexp(logits) - logits[np.arange(11), y])
    expected_acc = np.mean(np.argmax(logits, axis=1) == y)
    loss, acc = evaluate(model, "softmax_cross_entropy", X, y, batch_size=4)  # 4 + 4 + 3
    assert loss == pytest.approx(expected_loss, rel=1e-12)
    assert acc == pytest.approx(expected_acc)
    assert model.training is start_training


def test_evaluate_binary_uses_threshold_zero_on_logits():
    X = np.array([[2.0], [-1.0], [0.5], [-3.0], [1.0]])
    y = np.array([1, 1, 0, 0, 1])
    model = Sequential(_dense(np.array([[1.0]]), np.array([0.0])))
    # logits 2, -1, 0.5, -3, 1 -> predictions 1, 0, 1, 0, 1 -> 3 of 5 right
    z = X[:, 0]
    expected = np.mean(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z))))
    loss, acc = evaluate(model, "binary_cross_entropy", X, y.reshape(-1, 1), batch_size=2)
    assert acc == pytest.approx(0.6)
    assert loss == pytest.approx(expected, rel=1e-12)


def test_evaluate_regression_accuracy_is_nan():
    X = np.arange(6.0).reshape(3, 2)
    model = Sequential(_dense(np.array([[1.0], [1.0]]), np.array([0.0])))
    t = np.array([[1.0], [5.0], [9.0]])  # predictions 1, 5, 9
    loss, acc = evaluate(model, mean_squared_error, X, t + 2.0)
    assert loss == pytest.approx(4.0) and math.isnan(acc)


@pytest.mark.parametrize("start_training", [True, False])
def test_predict_returns_logits_in_eval_mode_and_restores_mode(start_training):
    X = np.random.default_rng(0).standard_normal((10, 2))
    model = Sequential(_dense(W3, B3), Dropout(0.5, rng=np.random.default_rng(1)),
                       Activation("identity"))
    model.train(start_training)
    out = predict(model, X, batch_size=3)
    np.testing.assert_allclose(out, X @ W3 + B3, rtol=1e-12)
    assert out.shape == (10, 3)
    assert model.training is start_training


def test_predict_and_evaluate_errors():
    model = Sequential(_dense(W3, B3))
    with pytest.raises(ValueError, match="batch_size"):
        predict(model, np.zeros((3, 2)), batch_size=0)
    with pytest.raises(ValueError, match="same number of samples"):
        evaluate(model, "softmax_cross_entropy", np.zeros((3, 2)), np.zeros(2, int))
