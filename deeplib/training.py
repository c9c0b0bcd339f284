"""Minibatches and the training loop, written as the PyTorch loop learners meet next:

    optimizer.zero_grad(); out = model.forward(Xb); l, g = loss(out, yb)
    model.backward(g); optimizer.step()

``fit`` returns a ``History`` of per-epoch train/validation loss and accuracy.
"""

import math
import sys
from dataclasses import asdict, dataclass, field

import numpy as np

from deeplib import losses as _losses
from deeplib.model import Sequential

__all__ = ["minibatches", "History", "fit", "evaluate", "predict"]


def _check_batch_size(batch_size, fname):
    if (isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer))
            or batch_size < 1):
        raise ValueError(f"{fname}: batch_size must be a positive integer, got {batch_size!r}")


def _check_rng(rng, fname):
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"{fname}: rng must be a numpy.random.Generator "
                        f"(e.g. rng=np.random.default_rng(0)), got {type(rng).__name__}")


def _check_xy(X, y, fname):
    if len(X) != len(y):
        raise ValueError(f"{fname}: X and y must have the same number of samples, "
                         f"got len(X) = {len(X)} and len(y) = {len(y)}")
    if len(X) == 0:
        raise ValueError(f"{fname}: X and y are empty")


def minibatches(X, y, batch_size, rng=None, shuffle=True):
    """Yield ``(X_batch, y_batch)`` pairs covering every sample exactly once.

    X : (N, ...) inputs, y : (N, ...) targets. With ``shuffle=True`` one permutation
    ``perm = rng.permutation(N)`` reorders X and y together (each batch is one fancy
    index ``X[perm[i:i + B]]``); with ``shuffle=False`` batches are slices (views) in order.
    The last batch has ``N mod B`` samples when B does not divide N (it is kept).
    ``batch_size = N`` gives batch gradient descent, ``1`` stochastic gradient descent.
    """
    _check_batch_size(batch_size, "minibatches")
    _check_xy(X, y, "minibatches")
    n = len(X)
    if shuffle:
        if rng is None:
            raise ValueError("minibatches: shuffle=True needs a random generator; pass "
                             "rng=np.random.default_rng(seed) (or shuffle=False)")
        _check_rng(rng, "minibatches")
        perm = rng.permutation(n)
        for start in range(0, n, batch_size):
            idx = perm[start:start + batch_size]
            yield X[idx], y[idx]
    else:
        for start in range(0, n, batch_size):
            yield X[start:start + batch_size], y[start:start + batch_size]


@dataclass
class History:
    """What ``fit`` measured.

    ``loss``, ``accuracy``: on the full training set after each epoch (eval mode);
    ``val_loss``, ``val_accuracy``: the same on the validation data (empty without it);
    ``step_loss``: the minibatch loss of every update (only with ``record_steps=True``);
    ``epochs``: the epoch numbers 1, 2, ... that were completed (the x axis of the curves);
    ``stopped_reason``: None, or why training stopped early (e.g. a non-finite loss).
    """

    loss: list = field(default_factory=list)
    accuracy: list = field(default_factory=list)
    val_loss: list = field(default_factory=list)
    val_accuracy: list = field(default_factory=list)
    step_loss: list = field(default_factory=list)
    epochs: list = field(default_factory=list)
    stopped_reason: str | None = None

    def as_dict(self):
        """A plain dict of every field (lists copied)."""
        return asdict(self)


def _resolve_loss(loss, fname):
    if isinstance(loss, str):
        return _losses.get(loss)
    if callable(loss):
        return loss
    raise TypeError(f"{fname}: loss must be a loss name such as 'softmax_cross_entropy' "
                    f"or a function (out, y) -> (loss, grad), got {type(loss).__name__}")


def _is_regression(loss_fn):
    return loss_fn is getattr(_losses, "mean_squared_error", None)


def _n_correct(out, y):
    """Number of correct predictions: argmax for (N, C) outputs, threshold 0 on logits
    for (N,) or (N, 1) outputs (binary); y is (N,) int labels, (N, C) one-hot or (N,)/(N, 1) 0/1."""
    if out.ndim == 2 and out.shape[1] > 1:
        labels = y.argmax(axis=1) if y.ndim == 2 else y
        return int(np.count_nonzero(out.argmax(axis=1) == labels))
    pred = out.reshape(len(out)) > 0
    return int(np.count_nonzero(pred == (np.reshape(y, len(y)) > 0.5)))


def _evaluate(model, loss_fn, X, y, batch_size):
    """Loss and accuracy over (X, y) in the model's current mode, batch by batch.

    The losses are means, so the total is the batch-size-weighted mean of batch losses."""
    n = len(X)
    total, correct = 0.0, 0
    regression = _is_regression(loss_fn)
    for start in range(0, n, batch_size):
        Xb, yb = X[start:start + batch_size], y[start:start + batch_size]
        out = model.forward(Xb)
        batch_loss, _ = loss_fn(out, yb)
        total += float(batch_loss) * len(Xb)
        if not regression:
            correct += _n_correct(out, yb)
    return total / n, (math.nan if regression else correct / n)


def evaluate(model, loss, X, y, batch_size=1024):
    """Mean loss and accuracy of ``model`` on X (N, ...) with targets y, in eval mode.

    Accuracy: argmax for multi-class outputs (N, C), threshold 0 on the logit for
    binary outputs (N,) or (N, 1), NaN for regression (mean squared error).
    The model's previous mode (train or eval) is restored. Returns ``(loss, accuracy)``.
    """
    _check_batch_size(batch_size, "evaluate")
    _check_xy(X, y, "evaluate")
    loss_fn = _resolve_loss(loss, "evaluate")
    was_training = getattr(model, "training", True)
    model.eval()
    try:
        return _evaluate(model, loss_fn, X, y, batch_size)
    finally:
        model.train(was_training)


def predict(model, X, batch_size=1024):
    """Outputs (logits) of ``model`` for X (N, ...) in eval mode, computed batch by batch.

    Returns an array (N, ...) (e.g. (N, C) logits); the previous mode is restored.
    """
    _check_batch_size(batch_size, "predict")
    if len(X) == 0:
        raise ValueError("predict: X is empty")
    was_training = getattr(model, "training", True)
    model.eval()
    try:
        outs = [model.forward(X[s:s + batch_size]) for s in range(0, len(X), batch_size)]
    finally:
        model.train(was_training)
    return outs[0] if len(outs) == 1 else np.concatenate(outs)


class _Progress:
    """One line updated in place: IPython display in a notebook kernel, else '\\r' on stdout."""

    def __init__(self):
        self.handle = None
        self.width = 0
        ipython = sys.modules.get("IPython")  # only if already imported (never import it here)
        shell = ipython.get_ipython() if ipython is not None else None
        if shell is not None and "IPKernelApp" in getattr(shell, "config", {}):
            from IPython.display import Pretty, display
            self._pretty = Pretty
            self.handle = display(Pretty(""), display_id=True)

    def update(self, line):
        if self.handle is not None:
            self.handle.update(self._pretty(line))
        else:
            sys.stdout.write("\r" + line.ljust(self.width))
            sys.stdout.flush()
            self.width = max(self.width, len(line))

    def close(self):
        if self.handle is None and self.width:
            sys.stdout.write("\n")
            sys.stdout.flush()


def _progress_line(history, epochs):
    parts = [f"epoch {history.epochs[-1]}/{epochs}", f"loss {history.loss[-1]:.4g}"]
    if not math.isnan(history.accuracy[-1]):
        parts.append(f"acc {history.accuracy[-1]:.3f}")
    if history.val_loss:
        parts.append(f"val_loss {history.val_loss[-1]:.4g}")
        if not math.isnan(history.val_accuracy[-1]):
            parts.append(f"val_acc {history.val_accuracy[-1]:.3f}")
    return "  ".join(parts)


def fit(model, loss, optimizer, X, y, *, epochs, batch_size, rng, validation_data=None,
        record_steps=False, progress=False, clip_norm=None):
    """Train ``model`` with minibatch gradient descent and return a ``History``.

    X : (N, ...) inputs, y : (N,) int labels (or (N, C) / regression targets).
    Each epoch shuffles with ``rng`` (see ``minibatches``) and, for each batch, runs
    ``optimizer.zero_grad(); out = model.forward(Xb); l, g = loss(out, yb);
    model.backward(g); [clip_grad_norm_(params, clip_norm)]; optimizer.step()``
    with the model in train mode. After each epoch the loss and accuracy on the whole
    training set (and on ``validation_data = (X_val, y_val)``) are measured in eval mode.

    ``loss``: a name for ``deeplib.losses.get`` or a function ``(out, y) -> (loss, grad)``.
    ``record_steps=True`` stores every minibatch loss in ``History.step_loss``.
    ``progress=True`` shows one line updated in place (in a notebook, an IPython display;
    otherwise ``\\r`` on stdout); nothing is written to stderr.
    A non-finite loss (a step that diverged) stops training without applying that step and
    sets ``History.stopped_reason``; NumPy's overflow/invalid warnings are silenced inside
    ``fit`` so that divergence is reported there instead of raised. The model is left in
    the mode it had when ``fit`` was called.
    """
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 1:
        raise ValueError(f"fit: epochs must be a positive integer, got {epochs!r}")
    _check_batch_size(batch_size, "fit")
    _check_rng(rng, "fit")
    _check_xy(X, y, "fit")
    loss_fn = _resolve_loss(loss, "fit")
    if validation_data is not None:
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
            raise TypeError("fit: validation_data must be a pair (X_val, y_val)")
        _check_xy(*validation_data, "fit (validation_data)")
    if clip_norm is not None:
        from deeplib.clipping import clip_grad_norm_
        if not clip_norm > 0:
            raise ValueError(f"fit: clip_norm must be positive, got {clip_norm!r}")
        params = model.parameters()

    history = History()
    bar = _Progress() if progress else None
    was_training = getattr(model, "training", True)
    step = 0
    skip_input_grad = isinstance(model, Sequential)
    try:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            for epoch in range(1, epochs + 1):
                model.train()
                for Xb, yb in minibatches(X, y, batch_size, rng):
                    step += 1
                    optimizer.zero_grad()
                    out = model.forward(Xb)
                    batch_loss, grad = loss_fn(out, yb)
                    if record_steps:
                        history.step_loss.append(float(batch_loss))
                    if not math.isfinite(batch_loss):
                        history.stopped_reason = (
                            f"non-finite loss ({float(batch_loss)}) at epoch {epoch}, step "
                            f"{step}: training diverged; try a smaller learning rate, "
                            f"gradient clipping or a different initialization")
                        break
                    if skip_input_grad:  # the data needs no gradient: saves a matmul
                        model.backward(grad, input_grad=False)
                    else:
                        model.backward(grad)
                    if clip_norm is not None:
                        clip_grad_norm_(params, clip_norm)
                    optimizer.step()
                if history.stopped_reason is not None:
                    break
                model.eval()
                train_loss, train_acc = _evaluate(model, loss_fn, X, y, 1024)
                history.epochs.append(epoch)
                history.loss.append(train_loss)
                history.accuracy.append(train_acc)
                if validation_data is not None:
                    val_loss, val_acc = _evaluate(model, loss_fn, *validation_data, 1024)
                    history.val_loss.append(val_loss)
                    history.val_accuracy.append(val_acc)
                if bar is not None:
                    bar.update(_progress_line(history, epochs))
                if not math.isfinite(train_loss):
                    history.stopped_reason = (
                        f"non-finite training loss ({train_loss}) after epoch {epoch}: "
                        f"training diverged; try a smaller learning rate")
                    break
    finally:
        model.train(was_training)
        if bar is not None:
            if history.stopped_reason is not None:
                bar.update("stopped: " + history.stopped_reason)
            bar.close()
    return history
