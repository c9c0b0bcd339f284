"""Look inside a network: per-layer activation statistics and gradient norms.

Both functions take a ``Sequential`` (anything with a ``layers`` list) and leave no trace:
the model's mode and every parameter's ``.grad`` are as they were before the call.
"""

import numpy as np

from deeplib.layers import Activation, Dense, PReLU, RReLU
from deeplib.training import _resolve_loss

__all__ = ["activation_stats", "gradient_norms", "SATURATION_THRESHOLD"]

#: an entry is "saturated" when its derivative is below this fraction of the maximum
SATURATION_THRESHOLD = 0.05

# Piecewise-linear activations: their derivative never shrinks gradually, so they are
# never "saturated"; a unit stuck at zero is counted as "dead" instead.
_PIECEWISE_LINEAR = {"identity", "relu", "leaky_relu", "prelu", "rrelu"}
_GRID = np.linspace(-20.0, 20.0, 8001)  # contains 0 exactly (step 0.005)


def _layers(model, fname):
    layers = getattr(model, "layers", None)
    if layers is None:
        raise TypeError(f"{fname}: model must be a Sequential (with a .layers list), "
                        f"got {type(model).__name__}")
    return list(layers)


def _saturated_fraction(activation, z):
    """Fraction of entries of z with f'(z) < 5% of max f' (max taken on a grid of [-20, 20]).

    E.g. sigmoid: f' < 0.0125; tanh: f' < 0.05. 0 for piecewise-linear activations,
    NaN for softmax (not elementwise)."""
    name = getattr(activation, "name", "")
    if name in _PIECEWISE_LINEAR:
        return 0.0
    if name == "softmax":
        return float("nan")
    with np.errstate(over="ignore", under="ignore"):
        max_derivative = float(np.max(activation.derivative(_GRID)))
        d = activation.derivative(z)
    return float(np.mean(d < SATURATION_THRESHOLD * max_derivative))


def activation_stats(model, X):
    """Statistics of the output of every ``Activation``/``PReLU``/``RReLU`` layer on X.

    X : (N, D) inputs; the forward pass runs in eval mode (mode restored afterwards).
    Returns one dict per such layer, in order:
      ``layer``: index in ``model.layers``; ``name``: activation name (e.g. "tanh");
      ``mean``, ``std``: of the activations a (N, H);
      ``saturated``: fraction of entries with f'(z) < 0.05 · max f' (sigmoid' < 0.0125,
      tanh' < 0.05, ELU/SELU/softplus/GELU/swish for large negative z); defined as 0 for
      the piecewise-linear identity/ReLU/leaky ReLU/PReLU/RReLU (see ``dead``), NaN for softmax;
      ``dead``: fraction of units (columns of a) that are exactly 0 for every sample,
      i.e. mean over h of [a[n, h] == 0 for all n];
      ``values``: the activation array a (N, H) itself, for histograms.
    """
    layers = _layers(model, "activation_stats")
    was_training = getattr(model, "training", True)
    model.eval()
    stats = []
    try:
        x = X
        for i, layer in enumerate(layers):
            z = x
            x = layer.forward(z)
            if isinstance(layer, Activation):
                name = layer.activation.name
                saturated = _saturated_fraction(layer.activation, z)
            elif isinstance(layer, (PReLU, RReLU)):
                name = "prelu" if isinstance(layer, PReLU) else "rrelu"
                saturated = 0.0
            else:
                continue
            a = np.asarray(x)
            columns = a.reshape(-1, a.shape[-1])
            stats.append({
                "layer": i,
                "name": name,
                "mean": float(a.mean(dtype=np.float64)),
                "std": float(a.std(dtype=np.float64)),
                "saturated": saturated,
                "dead": float(np.mean(np.all(columns == 0, axis=0))),
                "values": a,
            })
    finally:
        model.train(was_training)
    return stats


def gradient_norms(model, loss, X, y):
    """Gradient and weight norms of every ``Dense`` layer after one forward/backward on (X, y).

    X : (N, D) batch, y : its targets; ``loss`` is a name or a function (out, y) -> (loss, grad).
    Runs in the model's current mode. Returns one dict per Dense layer:
      ``layer`` (index in ``model.layers``), ``name`` ("Dense(n_in, n_out)"),
      ``weight_grad_norm`` = ||∂L/∂W||_F, ``bias_grad_norm`` = ||∂L/∂b||_2 (NaN without bias),
      ``weight_norm`` = ||W||_F.
    Every parameter's previous ``.grad`` is restored in place afterwards (no side effects).
    """
    layers = _layers(model, "gradient_norms")
    loss_fn = _resolve_loss(loss, "gradient_norms")
    params = model.parameters()
    saved = [p.grad.copy() for p in params]
    try:
        for p in params:
            p.grad[...] = 0
        out = model.forward(X)
        _, grad = loss_fn(out, y)
        model.backward(grad)
        result = []
        for i, layer in enumerate(layers):
            if not isinstance(layer, Dense):
                continue
            W, b = layer.W, getattr(layer, "b", None)
            result.append({
                "layer": i,
                "name": f"Dense({W.data.shape[0]}, {W.data.shape[1]})",
                "weight_grad_norm": float(np.linalg.norm(W.grad)),
                "bias_grad_norm": float(np.linalg.norm(b.grad)) if b is not None else float("nan"),
                "weight_norm": float(np.linalg.norm(W.data)),
            })
    finally:
        for p, g in zip(params, saved):
            p.grad[...] = g
    return result
