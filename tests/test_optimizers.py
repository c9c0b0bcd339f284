"""Tests of deeplib.optimizers.

The oracle is torch.optim: tests/data/optimizer_golden.json holds its float64
trajectories for every optimizer and option (made by tests/data/make_optimizer_golden.py;
PyTorch is not needed to run these tests). Other tests use known values and properties.
"""

import inspect
import json
import math
import pathlib

import numpy as np
import pytest

from deeplib import optimizers
from deeplib.optimizers import (SGD, Adagrad, Adam, Adamax, AdamW, NAdam, Optimizer,
                                RMSprop)
from deeplib.parameter import Parameter

GOLDEN = json.loads((pathlib.Path(__file__).parent / "data" / "optimizer_golden.json")
                    .read_text())
ALL = [SGD, Adagrad, RMSprop, Adam, NAdam, Adamax, AdamW]
# Options that switch on every branch of each rule, for the property tests.
RICH = {
    SGD: [{"lr": 0.1}, {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.1},
          {"lr": 0.1, "momentum": 0.9, "dampening": 0.3}],
    Adagrad: [{"lr": 0.1, "lr_decay": 0.1, "initial_accumulator_value": 0.2,
               "weight_decay": 0.1}],
    RMSprop: [{"lr": 0.01}, {"lr": 0.01, "momentum": 0.9, "centered": True,
                             "weight_decay": 0.1}],
    Adam: [{"lr": 0.1}, {"lr": 0.1, "amsgrad": True, "weight_decay": 0.1}],
    NAdam: [{"lr": 0.1, "weight_decay": 0.1}],
    Adamax: [{"lr": 0.1, "weight_decay": 0.1}],
    AdamW: [{"lr": 0.1, "amsgrad": True}],
}
RICH_CASES = [(cls, kw) for cls, kws in RICH.items() for kw in kws]
RICH_IDS = [f"{cls.__name__}-{i}" for cls, kws in RICH.items() for i in range(len(kws))]


def run(cls, kwargs, params, grads_per_step):
    """Step ``cls(params, **kwargs)`` once per entry of grads_per_step (a list of lists)."""
    opt = cls(params, **kwargs)
    for grads in grads_per_step:
        opt.zero_grad()
        for p, g in zip(params, grads):
            p.grad += g  # as a layer's backward does
        opt.step()
    return opt


def gradient_sequence(shape, steps=5, seed=0):
    """Deterministic gradients with sign changes and exact zeros (no random draws)."""
    idx = np.arange(int(np.prod(shape)))
    base = np.sin(idx * 1.3 + seed + 1)
    seq = []
    for t in range(steps):
        g = (base * math.cos(0.9 * t) * (t + 1)).round(2)
        g[(idx + t) % 4 == 0] = 0.0
        seq.append(g.reshape(shape))
    return seq


# ---------------------------------------------------------------- golden trajectories

@pytest.mark.parametrize("case", GOLDEN["cases"],
                         ids=[f"{c['optimizer']}-{c['case']}" for c in GOLDEN["cases"]])
def test_matches_torch_optim_at_every_step(case):
    cls = getattr(optimizers, case["optimizer"])
    kwargs = {k: tuple(v) if k == "betas" else v for k, v in case["kwargs"].items()}
    p = Parameter(np.array(GOLDEN["theta0"], dtype=np.float64))
    opt = cls([p], **kwargs)
    for t, (g, expected) in enumerate(zip(GOLDEN["grads"], case["trajectory"]), start=1):
        if case["lr_schedule"] is not None:
            opt.lr = case["lr_schedule"][t - 1]
        opt.zero_grad()
        p.grad += np.array(g)
        opt.step()
        expected = np.array(expected)
        err = np.abs(p.data - expected)
        assert err.max() <= 1e-12, (
            f"{case['optimizer']}({case['kwargs']}) [case '{case['case']}'] differs from "
            f"torch.optim after step {t}: max |error| = {err.max():.3g} at index "
            f"{err.argmax()}\n  got      {p.data.tolist()}\n  expected {expected.tolist()}")
        assert opt.state[id(p)]["step"] == t


def test_golden_file_covers_every_optimizer_and_moves_the_parameters():
    names = {c["optimizer"] for c in GOLDEN["cases"]}
    assert names == {cls.__name__ for cls in ALL}
    assert len(GOLDEN["grads"]) >= 6
    for case in GOLDEN["cases"]:
        traj = np.array(case["trajectory"])
        assert traj.shape == (len(GOLDEN["grads"]), len(GOLDEN["theta0"]))
        steps = np.diff(np.vstack([GOLDEN["theta0"], traj]), axis=0)
        assert (np.abs(steps).max(axis=1) > 1e-5).all(), case["case"]  # every step moves


# ---------------------------------------------------------------- known values

def test_sgd_momentum_first_steps_by_hand():
    p = Parameter(np.zeros(2))
    run(SGD, {"lr": 0.5, "momentum": 0.9}, [p], [[np.array([2.0, -4.0])]])
    np.testing.assert_allclose(p.data, [-1.0, 2.0], rtol=0, atol=1e-15)  # b_1 = g_1
    q = Parameter(np.zeros(1))
    run(SGD, {"lr": 0.5, "momentum": 0.9, "dampening": 0.5}, [q], [[np.ones(1)]] * 2)
    # b_1 = 1 (no dampening at t = 1), b_2 = 0.9 + 0.5 = 1.4: θ = -0.5 - 0.7
    np.testing.assert_allclose(q.data, [-1.2], rtol=0, atol=1e-15)


@pytest.mark.parametrize("cls", [Adam, AdamW, Adamax, NAdam])
def test_adam_family_first_step_is_about_lr_times_sign(cls):
    # With bias correction, step 1 of Adam/Adamax is lr g / (|g| + eps) whatever g's
    # scale; without it the step would be 10x (m) or 30x (v) off.
    g = np.array([3e-3, -5.0, 200.0, 0.0])
    p = Parameter(np.zeros(4))
    kwargs = {"lr": 0.1, "weight_decay": 0} if cls is AdamW else {"lr": 0.1}
    run(cls, kwargs, [p], [[g]])
    if cls is NAdam:
        # m̂_1 = μ2 (1-β1) g / (1 - μ1 μ2) + (1 - μ1) g / (1 - μ1), v̂_1 = g²
        mu1 = 0.9 * (1 - 0.5 * 0.96 ** 0.004)
        mu2 = 0.9 * (1 - 0.5 * 0.96 ** 0.008)
        factor = mu2 * 0.1 / (1 - mu1 * mu2) + 1
    else:
        factor = 1.0
    expected = -0.1 * factor * g / (np.abs(g) + 1e-8)  # ≈ -0.1 * factor * sign(g)
    np.testing.assert_allclose(p.data, expected, rtol=1e-12, atol=1e-15)


def test_adagrad_step_by_hand_with_lr_decay():
    p = Parameter(np.array([0.0]))
    run(Adagrad, {"lr": 1.0, "lr_decay": 1.0, "initial_accumulator_value": 5.0, "eps": 0},
        [p], [[np.array([2.0])], [np.array([-4.0])]])
    # step 1: G = 5 + 4 = 9, θ = -1 * 2/3; step 2: G = 25, lr = 1/2, θ += 0.5 * 4/5
    assert p.data[0] == pytest.approx(-2 / 3 + 0.4, abs=1e-15)


# ---------------------------------------------------------------- properties

@pytest.mark.parametrize(("cls", "kwargs"), RICH_CASES, ids=RICH_IDS)
def test_float32_stays_float32(cls, kwargs):
    p = Parameter(np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3))
    opt = run(cls, kwargs, [p], [[g.astype(np.float32)] for g in gradient_sequence((2, 3))])
    assert p.data.dtype == np.float32 and p.grad.dtype == np.float32
    assert np.isfinite(p.data).all()
    for key, value in opt.state[id(p)].items():
        if isinstance(value, np.ndarray):
            assert value.dtype == np.float32, f"state[{key!r}] is {value.dtype}"
    # and agrees with the float64 run to float32 precision
    q = Parameter(np.linspace(-1, 1, 6).reshape(2, 3))
    run(cls, kwargs, [q], [[g] for g in gradient_sequence((2, 3))])
    np.testing.assert_allclose(p.data, q.data, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("cls", ALL)
def test_zero_grad_zeros_every_gradient_in_place(cls):
    params = [Parameter(np.ones((2, 3))), Parameter(np.ones(4))]
    for p in params:
        p.grad += 3.0
    views = [p.grad for p in params]
    cls(params).zero_grad()
    for p, view in zip(params, views):
        assert p.grad is view and not view.any()


@pytest.mark.parametrize(("cls", "kwargs"), RICH_CASES, ids=RICH_IDS)
def test_state_is_per_parameter_and_shapes_are_independent(cls, kwargs):
    # Optimizing several parameters of different shapes together gives exactly what
    # optimizing each flattened one alone gives: the rules are elementwise and the
    # state (step counter included) belongs to one parameter.
    shapes = [(), (3,), (2, 3), (2, 1, 4)]
    starts = [np.full(s, 0.5) + np.arange(np.prod(s, dtype=int)).reshape(s) * 0.1
              for s in shapes]
    seqs = [gradient_sequence(s, seed=i) for i, s in enumerate(shapes)]
    together = [Parameter(x.copy()) for x in starts]
    opt = run(cls, kwargs, together, list(zip(*seqs)))
    assert len(opt.state) == len(shapes)
    for i, (x, seq) in enumerate(zip(starts, seqs)):
        alone = Parameter(x.ravel().copy())
        run(cls, kwargs, [alone], [[g.ravel()] for g in seq])
        assert together[i].data.shape == shapes[i]
        np.testing.assert_allclose(together[i].data.ravel(), alone.data, rtol=0, atol=1e-15,
                                   err_msg=f"parameter {i} of shape {shapes[i]}")
        assert opt.state[id(together[i])]["step"] == len(seq)


@pytest.mark.parametrize(("cls", "kwargs"), RICH_CASES, ids=RICH_IDS)
def test_step_does_not_change_the_gradient(cls, kwargs):
    p = Parameter(np.array([1.0, -2.0, 3.0]))
    opt = cls([p], **kwargs)
    for _ in range(3):
        p.grad[...] = [0.5, 0.0, -1.5]
        opt.step()
        np.testing.assert_array_equal(p.grad, [0.5, 0.0, -1.5])


def test_grad_with_weight_decay_is_coupled_l2_and_leaves_grad_alone():
    p = Parameter(np.array([2.0, -1.0]))
    p.grad[...] = [1.0, 1.0]
    opt = SGD([p], lr=0.1, weight_decay=0.5)
    np.testing.assert_allclose(opt.grad_with_weight_decay(p), [2.0, 0.5])
    np.testing.assert_array_equal(p.grad, [1.0, 1.0])
    assert SGD([p]).grad_with_weight_decay(p) is p.grad


def test_lr_is_an_attribute_a_schedule_can_change():
    p = Parameter(np.array([1.0]))
    opt = SGD([p], lr=0.1)
    p.grad[...] = 1.0
    opt.lr = 0.0
    opt.step()
    assert p.data[0] == 1.0
    opt.lr = 0.5
    opt.step()
    assert p.data[0] == 0.5


def test_hyperparameters_are_attributes_and_in_repr():
    p = Parameter(np.zeros(3))
    opt = Adam([p, Parameter(np.zeros(2))], lr=0.01, betas=[0.8, 0.9], amsgrad=True)
    assert (opt.lr, opt.betas, opt.eps, opt.weight_decay, opt.amsgrad) == (
        0.01, (0.8, 0.9), 1e-8, 0, True)
    text = repr(opt)
    assert text.startswith("Adam(") and "lr=0.01" in text and "amsgrad=True" in text
    assert "2 parameters" in text


# The signatures in docs/deeplib-api.md (which follow PyTorch 2.x).
API_DEFAULTS = {
    SGD: dict(lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False),
    Adagrad: dict(lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
                  eps=1e-10),
    RMSprop: dict(lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                  centered=False),
    Adam: dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False),
    NAdam: dict(lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3),
    Adamax: dict(lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0),
    AdamW: dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False),
}


@pytest.mark.parametrize("cls", ALL)
def test_signature_and_defaults_follow_the_api(cls):
    sig = inspect.signature(cls)
    names = list(sig.parameters)
    assert names == ["params", *API_DEFAULTS[cls]]
    for name, default in API_DEFAULTS[cls].items():
        assert sig.parameters[name].default == default, name
    opt = cls([Parameter(np.zeros(1))])
    for name, default in API_DEFAULTS[cls].items():
        assert getattr(opt, name) == default


def test_a_subclass_only_writes_the_maths():
    class SignSGD(Optimizer):
        def __init__(self, params, lr=0.1):
            super().__init__(params, lr=lr)

        def update(self, param, state):
            state["seen"] = state["step"]
            param.data -= self.lr * np.sign(param.grad)

    p = Parameter(np.array([1.0, -1.0, 0.0]))
    opt = run(SignSGD, {"lr": 0.25}, [p], [[np.array([3.0, -0.1, 0.0])]] * 2)
    np.testing.assert_allclose(p.data, [0.5, -0.5, 0.0])
    assert opt.state[id(p)] == {"step": 2, "seen": 2}
    with pytest.raises(ValueError, match="lr"):
        SignSGD([p], lr=-1)
    with pytest.raises(NotImplementedError, match="update"):
        Optimizer([p], lr=0.1).step()


# ---------------------------------------------------------------- errors

@pytest.mark.parametrize("cls", ALL)
def test_negative_lr_is_rejected_naming_it(cls):
    with pytest.raises(ValueError, match="lr"):
        cls([Parameter(np.zeros(2))], lr=-0.1)


@pytest.mark.parametrize(("cls", "kwargs", "word"), [
    (SGD, {"momentum": -0.1}, "momentum"),
    (SGD, {"weight_decay": -1e-3}, "weight_decay"),
    (SGD, {"nesterov": True}, "nesterov"),
    (SGD, {"nesterov": True, "momentum": 0.9, "dampening": 0.1}, "dampening"),
    (Adagrad, {"lr_decay": -1.0}, "lr_decay"),
    (Adagrad, {"initial_accumulator_value": -0.1}, "initial_accumulator_value"),
    (Adagrad, {"eps": -1e-10}, "eps"),
    (RMSprop, {"alpha": -0.5}, "alpha"),
    (RMSprop, {"momentum": -0.5}, "momentum"),
    (Adam, {"betas": (1.0, 0.999)}, r"betas\[0\]"),
    (Adam, {"betas": (0.9, -0.1)}, r"betas\[1\]"),
    (Adam, {"eps": -1.0}, "eps"),
    (AdamW, {"weight_decay": -0.1}, "weight_decay"),
    (NAdam, {"momentum_decay": -0.1}, "momentum_decay"),
    (Adamax, {"betas": (0.9, 1.5)}, "betas"),
    (Adam, {"lr": float("nan")}, "lr"),
])
def test_bad_hyperparameters_raise_value_error(cls, kwargs, word):
    with pytest.raises(ValueError, match=word):
        cls([Parameter(np.zeros(2))], **kwargs)


def test_bad_types_raise_type_error():
    p = Parameter(np.zeros(2))
    with pytest.raises(TypeError, match="betas"):
        Adam([p], betas=0.9)
    with pytest.raises(TypeError, match="lr"):
        SGD([p], lr="0.1")
    with pytest.raises(TypeError, match="single Parameter"):
        SGD(p)
    with pytest.raises(TypeError, match="model.parameters"):
        SGD([np.zeros(3)])
    with pytest.raises(TypeError, match="iterable"):
        SGD(3)


def test_bad_parameter_lists_raise_value_error():
    p = Parameter(np.zeros(2))
    with pytest.raises(ValueError, match="empty"):
        Adam([])
    with pytest.raises(ValueError, match="more than once"):
        Adam([p, p])
    opt = Adam(iter([p]))  # a generator is copied into a list
    assert opt.params == [p]


# ---------------------------------------------------------------- training on the digits

def test_adam_trains_an_mlp_on_the_digits():
    pytest.importorskip("deeplib.layers", reason="deeplib.layers is not written yet")
    model_mod = pytest.importorskip("deeplib.model", reason="deeplib.model is not written yet")
    pytest.importorskip("deeplib.losses", reason="deeplib.losses is not written yet")
    training = pytest.importorskip("deeplib.training",
                                   reason="deeplib.training is not written yet")
    datasets = pytest.importorskip("deeplib.datasets",
                                   reason="deeplib.datasets is not written yet")
    X, y = datasets.load_digits()
    rng = np.random.default_rng(0)
    X_train, X_test, y_train, y_test = datasets.train_test_split(X, y, test_size=0.25,
                                                                 rng=rng)
    model = model_mod.make_mlp([64, 64, 10], rng=rng)
    opt = Adam(model.parameters(), lr=3e-3)
    history = training.fit(model, "softmax_cross_entropy", opt, X_train, y_train,
                           epochs=8, batch_size=32, rng=rng)
    assert history.loss[-1] < history.loss[0]
    _, test_accuracy = training.evaluate(model, "softmax_cross_entropy", X_test, y_test)
    assert test_accuracy >= 0.9, f"held-out accuracy {test_accuracy:.3f} after 8 epochs"
