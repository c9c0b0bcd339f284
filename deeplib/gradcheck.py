"""Gradient checking: compare an analytic backward pass with finite differences.

Use float64 throughout: with eps = 1e-6 the central difference has an error of order
eps^2 (truncation) + machine_eps / eps (rounding) ~ 1e-10 in float64, but ~1e-1 in float32.
A relative error below ~1e-7 means the backward is right; above ~1e-2 it is wrong.
Keep inputs away from kinks (e.g. |x| > 10 eps for ReLU-like functions).
"""

import numpy as np

from deeplib import activations as _activations

__all__ = ["numerical_gradient", "relative_error", "check_layer", "check_activation"]

_TINY = np.finfo(np.float64).tiny


def numerical_gradient(f, x, eps=1e-6):
    """Central-difference gradient of a scalar function f at x.

    f: callable x -> scalar; x: float ndarray, any shape (perturbed *in place*, one entry at
    a time, and restored to its exact original value afterwards).
      grad[i] = (f(x + eps e_i) - f(x - eps e_i)) / (2 eps)
    Returns an ndarray of x's shape and dtype.
    """
    if not isinstance(x, np.ndarray) or x.dtype.kind != "f":
        raise TypeError("numerical_gradient: x must be a floating-point ndarray (it is "
                        f"perturbed in place), got {type(x).__name__}"
                        + (f" of dtype {x.dtype}" if isinstance(x, np.ndarray) else ""))
    if not eps > 0:
        raise ValueError(f"numerical_gradient: eps must be > 0, got {eps}")
    grad = np.zeros(x.shape, dtype=np.float64)
    for idx in np.ndindex(x.shape):
        old = x[idx].copy()
        try:
            x[idx] = old + eps
            f_plus = float(f(x))
            x[idx] = old - eps
            f_minus = float(f(x))
        finally:
            x[idx] = old
        grad[idx] = (f_plus - f_minus) / (2 * eps)
    return grad.astype(x.dtype, copy=False)


def relative_error(a, b):
    """``||a - b|| / max(||a|| + ||b||, tiny)`` (Frobenius norms, in float64); 0 if both are 0."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"relative_error: shapes differ: {a.shape} vs {b.shape}")
    num = np.linalg.norm(a - b)
    den = np.linalg.norm(a) + np.linalg.norm(b)
    if den == 0:
        return 0.0
    return float(num / max(den, _TINY))


def _named_parameters(layer):
    if hasattr(layer, "named_parameters"):
        pairs = list(layer.named_parameters())
    else:
        pairs = [(p.name or f"param{i}", p) for i, p in enumerate(layer.parameters())]
    names = [name for name, _ in pairs]
    if len(set(names)) != len(names):  # make names unique
        pairs = [(f"{name}{i}" if names.count(name) > 1 else name, p)
                 for i, (name, p) in enumerate(pairs)]
    return pairs


def _random_layers(layer):
    """Every (sub)layer holding a Generator in ``.rng`` (Dropout, RReLU, ...)."""
    found = [layer] if isinstance(getattr(layer, "rng", None), np.random.Generator) else []
    for sub in getattr(layer, "layers", ()):
        found.extend(_random_layers(sub))
    return found


def check_layer(layer, x, rng, eps=1e-6):
    """Relative errors of a layer's backward against finite differences.

    layer: any Layer or Sequential (float64 parameters); x: its input (e.g. (N, n_in)),
    used as float64; rng: Generator drawing the projection R.
    The scalar checked is ``L = sum(layer.forward(x) * R)``, R ~ N(0, 1) with the output's
    shape, so dL/d(out) = R. Returns ``{"input": err, name: err for every parameter}``
    with ``named_parameters()`` names (``"W"``, ``"b"``, ``"alpha"``; ``"0.W"`` in a
    Sequential; ``"param0"``... for unnamed ones).

    Random layers: every (sub)layer that has a ``numpy.random.Generator`` in its ``rng``
    attribute (Dropout, RReLU) gets a *fresh* ``np.random.default_rng(seed)``, with one
    ``seed`` drawn from ``rng``, before *every* forward, so each forward draws the same mask
    / slopes and L is a deterministic function. Their original generators are put back
    afterwards, as are the parameters' ``.grad``: the check has no side effects.
    The layer is checked in its current mode (train or eval).
    """
    if not isinstance(rng, np.random.Generator):
        raise TypeError("check_layer: rng must be a numpy.random.Generator, "
                        f"got {type(rng).__name__}")
    x = np.array(x, dtype=np.float64)  # a copy: numerical_gradient perturbs it
    random_layers = _random_layers(layer)
    saved_rngs = [lay.rng for lay in random_layers]
    seed = int(rng.integers(2**63 - 1))
    named = _named_parameters(layer)
    saved_grads = [p.grad.copy() for _, p in named]

    def forward(inp):
        for lay in random_layers:
            lay.rng = np.random.default_rng(seed)
        return layer.forward(inp)

    try:
        out = forward(x)
        R = rng.standard_normal(np.shape(out))

        def loss(_):
            return np.sum(forward(x) * R)

        for _, p in named:
            p.grad[...] = 0
        analytic_input = layer.backward(R.astype(np.asarray(out).dtype, copy=False))
        analytic = {name: p.grad.copy() for name, p in named}
        errors = {"input": relative_error(analytic_input, numerical_gradient(loss, x, eps))}
        for name, p in named:
            errors[name] = relative_error(analytic[name], numerical_gradient(loss, p.data, eps))
    finally:
        for lay, saved in zip(random_layers, saved_rngs):
            lay.rng = saved
        for (_, p), g in zip(named, saved_grads):
            p.grad[...] = g
    return errors


def check_activation(activation, z, eps=1e-6, rng=None):
    """Relative error of ``activation.backward(z, g)`` against finite differences.

    activation: a name for ``activations.get`` or an activation object; z: any shape
    (used as float64). The scalar is ``L = sum(forward(z) * g)`` with g ~ N(0, 1) drawn
    from ``rng`` (default ``np.random.default_rng(0)``), so dL/dz = backward(z, g).
    """
    act = _activations.get(activation)
    z = np.array(z, dtype=np.float64)
    rng = np.random.default_rng(0) if rng is None else rng
    g = rng.standard_normal(z.shape)
    analytic = act.backward(z.copy(), g)
    numeric = numerical_gradient(lambda zz: np.sum(act.forward(zz) * g), z, eps)
    return relative_error(analytic, numeric)
