"""Gradient clipping, as ``torch.nn.utils.clip_grad_norm_`` / ``clip_grad_value_``.

Both change ``param.grad`` in place (hence the trailing underscore) and are called
between ``model.backward(...)`` and ``optimizer.step()``.
"""

import math
import numbers

import numpy as np

__all__ = ["clip_grad_norm_", "clip_grad_value_"]


def _grads(params, fname):
    if hasattr(params, "grad"):  # a single Parameter, as PyTorch accepts a single tensor
        params = [params]
    try:
        params = list(params)
    except TypeError:
        raise TypeError(f"{fname}: params must be a Parameter or an iterable of Parameters "
                        f"(e.g. model.parameters()), got {type(params).__name__}") from None
    for p in params:
        if not hasattr(p, "grad"):
            raise TypeError(f"{fname}: params must be Parameters (with .grad), "
                            f"got a {type(p).__name__}")
    return [p.grad for p in params]


def _number(value, name, fname):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{fname}: {name} must be a number, got {value!r}")
    return float(value)


def _vector_norm(x, p):
    """||x||_p of all entries of x as one vector, in float64; 0 for an empty x."""
    x = np.abs(np.ravel(x)).astype(np.float64)
    if x.size == 0:
        return 0.0
    if p == math.inf:
        return float(x.max())
    return float(np.linalg.norm(x, ord=p))


def clip_grad_norm_(params, max_norm, norm_type=2.0, error_if_nonfinite=False):
    """Rescale all gradients together so that their joint norm is at most ``max_norm``.

    The gradients g_1, ..., g_k (any shapes) are treated as one long vector:

        total = ( Σ_i ||g_i||_p^p )^(1/p)          (p = norm_type; p = inf: max_i |g_i|)
        c = max_norm / (total + 1e-6);   if c < 1:  g_i ← c g_i  for every i

    so the direction of the update is kept and only its length is capped.

    Parameters
    ----------
    params : Parameter or iterable of Parameter
    max_norm : float >= 0
    norm_type : float > 0 or ``float("inf")`` (also the string ``"inf"``)
    error_if_nonfinite : bool
        If True, raise ``RuntimeError`` when the total norm is NaN or infinite
        (as PyTorch); otherwise the gradients are scaled anyway.

    Returns
    -------
    total : float
        The total norm of the gradients *before* clipping.
    """
    fname = "clip_grad_norm_"
    max_norm = _number(max_norm, "max_norm", fname)
    if norm_type in ("inf", "Inf"):
        norm_type = math.inf
    p = _number(norm_type, "norm_type", fname)
    if not max_norm >= 0:
        raise ValueError(f"{fname}: max_norm must be >= 0, got {max_norm!r}")
    if not p > 0:
        raise ValueError(f"{fname}: norm_type must be > 0 or inf, got {norm_type!r}")
    grads = _grads(params, fname)
    if not grads:
        return 0.0
    # Norms in float64 so that float32 gradients of size ~1e20 do not overflow.
    total = _vector_norm(np.array([_vector_norm(g, p) for g in grads]), p)
    if not math.isfinite(total):
        if error_if_nonfinite:
            raise RuntimeError(f"{fname}: the total norm of order {norm_type} of the "
                               f"gradients is non-finite ({total}), so it cannot be "
                               "clipped; set error_if_nonfinite=False to scale anyway")
    coef = max_norm / (total + 1e-6)
    if not coef >= 1:  # NaN total -> NaN gradients, as in PyTorch
        with np.errstate(invalid="ignore"):  # inf * 0 = nan, as in PyTorch
            for g in grads:
                g *= coef
    return total


def clip_grad_value_(params, clip_value):
    """Clamp every gradient entry to [−clip_value, clip_value], in place.

        g ← min(max(g, −c), c)      elementwise, c = clip_value >= 0

    Unlike ``clip_grad_norm_`` this can change the direction of the update.
    """
    fname = "clip_grad_value_"
    c = _number(clip_value, "clip_value", fname)
    if not c >= 0:
        raise ValueError(f"{fname}: clip_value must be >= 0, got {clip_value!r}")
    for g in _grads(params, fname):
        np.clip(g, -c, c, out=g)
