"""Loss functions. Each returns ``(loss, grad)``: the mean loss as a Python float and
its gradient with respect to the prediction (same shape and dtype as the prediction).

All of them take *logits* where a probability is involved, and are computed in a stable
way (log-sum-exp, ``log1p(exp(-|z|))``): no overflow or warning even at logits ±1e4.
"""

import numpy as np

from deeplib._arrays import as_float_array

__all__ = ["softmax_cross_entropy", "binary_cross_entropy", "mean_squared_error", "get"]


def _prediction(x, name, who):
    return as_float_array(x, f"{who}: {name}")


def _labels(y, n_classes, who):
    """y (N,) as int64 class indices in [0, n_classes); integral floats accepted."""
    if y.dtype.kind == "f":
        if not np.all(np.isfinite(y)) or np.any(y != np.round(y)):
            raise TypeError(f"{who}: 1-D y must be integer class labels, got non-integer "
                            f"values of dtype {y.dtype}")
        y = y.astype(np.int64)
    elif y.dtype.kind not in "iu":
        raise TypeError(f"{who}: 1-D y must be integer class labels, got dtype {y.dtype}")
    if y.size and (y.min() < 0 or y.max() >= n_classes):
        bad = y[(y < 0) | (y >= n_classes)][0]
        raise ValueError(f"{who}: labels must be in [0, {n_classes - 1}] for {n_classes} "
                         f"classes (logits have {n_classes} columns), found label {bad}")
    return y


def softmax_cross_entropy(logits, y):
    """Mean cross-entropy of softmax(logits) against the targets y.

    logits: (N, C). y: (N,) integer labels in [0, C), or (N, C) one-hot (or probability) rows.
      log p[n, c] = z[n, c] - m[n] - log sum_k exp(z[n, k] - m[n]),   m[n] = max_k z[n, k]
      loss = -(1/N) sum_n sum_c y[n, c] log p[n, c]
      grad = (softmax(logits) - y_onehot) / N,  shape (N, C), dtype of logits.
    """
    who = "softmax_cross_entropy"
    z = _prediction(logits, "logits", who)
    if z.ndim != 2:
        raise ValueError(f"{who}: logits must have shape (N, C), got shape {z.shape}")
    n, c = z.shape
    if n == 0:
        raise ValueError(f"{who}: empty batch (N = 0)")
    y = np.asarray(y)
    if y.ndim == 1 and y.shape[0] != n:
        raise ValueError(f"{who}: logits have N={n} rows but y has {y.shape[0]} labels")
    if y.ndim == 2 and y.shape != z.shape:
        raise ValueError(f"{who}: one-hot y must have the logits' shape {z.shape}, got {y.shape}")
    shifted = z - z.max(axis=1, keepdims=True)          # <= 0: exp cannot overflow
    grad = np.exp(shifted)
    total = grad.sum(axis=1, keepdims=True)             # in [1, C]
    log_total = np.log(total)
    grad /= total                                       # softmax(z)
    if y.ndim == 1:
        y = _labels(y, c, who)
        rows = np.arange(n)
        loss = (log_total[:, 0] - shifted[rows, y]).sum(dtype=np.float64) / n
        grad[rows, y] -= 1
    elif y.ndim == 2:
        y = _prediction(y, "y", who).astype(z.dtype, copy=False)
        loss = -(y * (shifted - log_total)).sum(dtype=np.float64) / n
        grad -= y
    else:
        raise ValueError(f"{who}: y must be (N,) integer labels or (N, C) one-hot, "
                         f"got shape {y.shape}")
    grad *= 1.0 / n
    return float(loss), grad


def _sigmoid(z):
    """1 / (1 + exp(-z)) computed with exp(-|z|) only (no overflow)."""
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def binary_cross_entropy(logits, y):
    """Mean binary cross-entropy of sigmoid(logits) against 0/1 (or [0, 1]) targets y.

    logits z: (N,) or (N, 1) (any shape works: the mean is over all entries);
    y: same shape ((N,) and (N, 1) are interchangeable), values in [0, 1].
      loss = mean( max(z, 0) - z*y + log(1 + exp(-|z|)) )   (= -y log s - (1-y) log(1-s))
      grad = (sigmoid(z) - y) / z.size,  shape and dtype of logits.
    """
    who = "binary_cross_entropy"
    z = _prediction(logits, "logits", who)
    y = _prediction(y, "y", who)
    if y.shape != z.shape:
        column = (z.ndim == 2 and z.shape[1] == 1 and y.shape == z.shape[:1]) or \
                 (y.ndim == 2 and y.shape[1] == 1 and z.shape == y.shape[:1])
        if not column:
            raise ValueError(f"{who}: y has shape {y.shape} but logits have shape {z.shape}; "
                             "they must match ((N,) and (N, 1) may be mixed)")
        y = y.reshape(z.shape)
    if z.size == 0:
        raise ValueError(f"{who}: empty batch")
    if np.any((y < 0) | (y > 1)) or not np.all(np.isfinite(y)):
        raise ValueError(f"{who}: targets y must be in [0, 1] (0/1 labels), got values in "
                         f"[{y.min()}, {y.max()}]")
    y = y.astype(z.dtype, copy=False)
    losses = np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))
    loss = losses.sum(dtype=np.float64) / z.size
    grad = (_sigmoid(z) - y) * (1.0 / z.size)
    return float(loss), grad.astype(z.dtype, copy=False)


def mean_squared_error(pred, target):
    """Mean squared error over all entries.

    pred, target: same shape (no broadcasting: a (N,) target against (N, 1) predictions is
    an error, not an (N, N) matrix).
      loss = mean((pred - target)^2);  grad = 2 (pred - target) / pred.size, like pred.
    """
    who = "mean_squared_error"
    p = _prediction(pred, "pred", who)
    t = _prediction(target, "target", who)
    if p.shape != t.shape:
        raise ValueError(f"{who}: pred has shape {p.shape} but target has shape {t.shape}; "
                         "they must be equal (reshape the target, e.g. y.reshape(-1, 1))")
    if p.size == 0:
        raise ValueError(f"{who}: empty input")
    diff = p - t.astype(p.dtype, copy=False)
    loss = np.square(diff).sum(dtype=np.float64) / p.size
    diff *= 2.0 / p.size
    return float(loss), diff


_LOSSES = {
    "softmax_cross_entropy": softmax_cross_entropy,
    "binary_cross_entropy": binary_cross_entropy,
    "mean_squared_error": mean_squared_error,
}
_ALIASES = {"cross_entropy": "softmax_cross_entropy", "mse": "mean_squared_error",
            "bce": "binary_cross_entropy"}


def get(name):
    """The loss function called ``name``; a callable is returned unchanged.

    Names: "softmax_cross_entropy" (alias "cross_entropy"), "binary_cross_entropy"
    (alias "bce"), "mse" (alias "mean_squared_error").
    """
    if callable(name):
        return name
    if not isinstance(name, str):
        raise TypeError(f"loss must be a name (str) or a function, got {name!r}")
    key = _ALIASES.get(name.lower(), name.lower())
    if key not in _LOSSES:
        known = ", ".join(sorted([*_LOSSES, *_ALIASES]))
        raise ValueError(f"unknown loss {name!r}; known names: {known}")
    return _LOSSES[key]
