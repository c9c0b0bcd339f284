"""Plots used across the course notebooks (the only deeplib module importing matplotlib).

Every function draws on the given ``ax`` (or a new figure) and returns the axes; none
calls ``plt.show()``: the notebook does, so the functions also work under the Agg backend.
"""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.ticker import MaxNLocator

__all__ = ["plot_function", "plot_history", "plot_layer_histograms",
           "plot_loss_surface", "plot_decision_boundary"]

_COLORS = plt.get_cmap("tab10").colors


def _axes(ax, figsize=(5.0, 3.5)):
    if ax is None:
        _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def _style(ax, xlabel, ylabel, title=None):
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.grid(True, alpha=0.3)


def _axes_grid(ax, n, size=(4.0, 3.0)):
    """n axes in one row: the given ones (an Axes or a sequence of them) or a new figure."""
    if ax is None:
        _, axes = plt.subplots(1, n, figsize=(size[0] * n, size[1]), layout="constrained",
                               squeeze=False)
        return list(axes[0])
    axes = list(np.ravel(ax)) if not hasattr(ax, "plot") else [ax]
    if len(axes) < n:
        raise ValueError(f"need {n} axes, got {len(axes)}")
    return axes[:n]


def plot_function(f, df=None, z=np.linspace(-5, 5, 401), name=None, ax=None):
    """Plot a = f(z) (solid) and, if given, its derivative df(z) (dashed) over z (M,).

    ``f`` is a function or an activation object (its ``forward`` is used and its ``name``
    labels the plot); ``df`` is a function or an activation object (its ``derivative``).
    Returns the axes (2 lines with df, else 1).
    """
    forward = getattr(f, "forward", f)
    if not callable(forward):
        raise TypeError(f"plot_function: f must be callable, got {type(f).__name__}")
    name = name or getattr(f, "name", None) or getattr(f, "__name__", "f")
    z = np.asarray(z)
    ax = _axes(ax)
    ax.plot(z, forward(z), color=_COLORS[0], lw=2, label=f"{name}(z)")
    if df is not None:
        derivative = getattr(df, "derivative", df)
        ax.plot(z, derivative(z), color=_COLORS[1], lw=2, ls="--", label=f"{name}'(z)")
    _style(ax, "z", "value", title=name)
    ax.legend()
    return ax


def _get(history, key):
    if isinstance(history, dict):
        return list(history.get(key, []) or [])
    return list(getattr(history, key, []) or [])


def plot_history(history, metrics=("loss", "accuracy"), ax=None):
    """One panel per metric: the training curve and, if recorded, the validation curve.

    ``history``: a ``training.History`` or its ``as_dict()``. The metric "step_loss"
    plots the per-update loss against the step. Losses use a log scale when positive.
    Returns the list of axes (``ax`` may be one Axes or a sequence of them).
    """
    if isinstance(metrics, str):
        metrics = (metrics,)
    axes = _axes_grid(ax, len(metrics))
    epochs = _get(history, "epochs")
    for axis, metric in zip(axes, metrics):
        train = np.asarray(_get(history, metric), dtype=float)
        if metric == "step_loss":
            x, xlabel = np.arange(1, len(train) + 1), "update step"
        else:
            x, xlabel = (np.asarray(epochs) if len(epochs) == len(train)
                         else np.arange(1, len(train) + 1)), "epoch"
        axis.plot(x, train, color=_COLORS[0], lw=1 if metric == "step_loss" else 2,
                  marker="o" if 0 < len(train) <= 20 else None, ms=3, label="train")
        val = np.asarray(_get(history, "val_" + metric), dtype=float)
        if len(val) and not np.all(np.isnan(val)):
            axis.plot(x[:len(val)], val, color=_COLORS[1], lw=2,
                      marker="o" if len(val) <= 20 else None, ms=3, label="validation")
        finite = np.concatenate([train, val])
        finite = finite[np.isfinite(finite)]
        if "loss" in metric and finite.size and finite.min() > 0:
            axis.set_yscale("log")
        _style(axis, xlabel, metric.replace("_", " "), title=metric.replace("_", " "))
        if xlabel == "epoch":                      # whole epochs only: no tick at 2.5
            axis.xaxis.set_major_locator(MaxNLocator(integer=True))
        axis.legend(loc="best")
    return axes


def plot_layer_histograms(stats, bins=50, title=None, ax=None):
    """Histogram of the values of each layer, one panel per layer, on a shared x range.

    ``stats``: the list returned by ``diagnostics.activation_stats`` (its ``values``,
    titled with the layer's name, mean and std), or a list of arrays. Non-finite values
    are skipped. Returns the list of axes (one filled histogram patch each).
    """
    arrays, labels = [], []
    for i, s in enumerate(stats):
        if isinstance(s, dict):
            values = np.asarray(s["values"], dtype=float).ravel()
            labels.append(f"layer {s.get('layer', i)} ({s.get('name', '')})")
        else:
            values = np.asarray(s, dtype=float).ravel()
            labels.append(f"layer {i}")
        arrays.append(values[np.isfinite(values)])
    if not arrays:
        raise ValueError("plot_layer_histograms: no layers to plot")
    nonempty = [a for a in arrays if a.size]
    lo = min((a.min() for a in nonempty), default=-1.0)
    hi = max((a.max() for a in nonempty), default=1.0)
    if lo == hi:
        lo, hi = lo - 0.5, hi + 0.5
    edges = np.linspace(lo, hi, bins + 1)
    axes = _axes_grid(ax, len(arrays), size=(2.6, 2.4))
    for k, (axis, values, label) in enumerate(zip(axes, arrays, labels)):
        axis.hist(values, bins=edges, density=True, histtype="stepfilled",
                  color=_COLORS[k % len(_COLORS)], alpha=0.8)
        spread = f"mean {values.mean():.2g}, std {values.std():.2g}" if values.size else "empty"
        axis.set_title(f"{label}\n{spread}", fontsize=9)
        axis.set_xlabel("value")
        axis.set_yticks([])
    axes[0].set_ylabel("density")
    if title:
        axes[0].figure.suptitle(title)
    return axes


def plot_loss_surface(f, xlim, ylim, paths=None, levels=30, ax=None, log=True):
    """Contours of a 2-D loss f(x, y) and optimizer trajectories on top.

    ``f(x, y)`` is evaluated elementwise on a 200×200 grid over ``xlim`` × ``ylim``.
    ``paths``: {name: (T, 2) array of points θ_0..θ_{T-1}}, each drawn as one line with
    markers, starting point first. With ``log=True`` the contour levels are spaced
    geometrically above the grid's minimum (min + range·10^-4 … min + range), which shows
    narrow valleys. Returns the axes (one line per path).
    """
    xs = np.linspace(*xlim, 200)
    ys = np.linspace(*ylim, 200)
    gx, gy = np.meshgrid(xs, ys)
    gz = np.asarray(f(gx, gy), dtype=float)
    ax = _axes(ax, figsize=(5.5, 4.5))
    zmin, zmax = float(np.nanmin(gz)), float(np.nanmax(gz))
    if log and zmax > zmin:
        span = zmax - zmin
        contour_levels = zmin + np.geomspace(span * 1e-4, span, levels)
    else:
        contour_levels = levels
    ax.contour(gx, gy, gz, levels=contour_levels, cmap="viridis", linewidths=0.8)
    for k, (name, path) in enumerate((paths or {}).items()):
        path = np.asarray(path, dtype=float)
        if path.ndim != 2 or path.shape[1] != 2:
            raise ValueError(f"plot_loss_surface: path {name!r} must have shape (T, 2), "
                             f"got {path.shape}")
        ax.plot(path[:, 0], path[:, 1], color=_COLORS[(k + 1) % len(_COLORS)], lw=1.5,
                marker="o", ms=2.5, label=name)
    ax.set_xlim(xlim)
    ax.set_ylim(ylim)
    _style(ax, "θ₁", "θ₂", title="loss surface")
    if paths:
        ax.legend(fontsize=8)
    return ax


def plot_decision_boundary(model, X, y, ax=None, resolution=200):
    """Predicted class regions of ``model`` over the plane, with the data points.

    X : (N, 2) inputs, y : (N,) int labels. The model is evaluated (eval mode, via
    ``training.predict``) on a resolution×resolution grid covering X with a 10% margin;
    the class is argmax of (M, C) outputs, or logit > 0 for (M,)/(M, 1) outputs.
    Returns the axes (filled regions and one scatter of the points).
    """
    from deeplib.training import predict

    X = np.asarray(X)
    y = np.asarray(y)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"plot_decision_boundary: X must have shape (N, 2), got {X.shape}")
    lo, hi = X.min(axis=0), X.max(axis=0)
    pad = 0.1 * np.where(hi > lo, hi - lo, 1.0)
    xs = np.linspace(lo[0] - pad[0], hi[0] + pad[0], resolution)
    ys = np.linspace(lo[1] - pad[1], hi[1] + pad[1], resolution)
    gx, gy = np.meshgrid(xs, ys)
    grid = np.column_stack([gx.ravel(), gy.ravel()]).astype(X.dtype, copy=False)
    out = predict(model, grid)
    if out.ndim == 2 and out.shape[1] > 1:
        cls = out.argmax(axis=1)
    else:
        cls = (out.reshape(len(out)) > 0).astype(int)
    n_classes = int(max(cls.max(), y.max() if y.size else 0)) + 1
    cmap = ListedColormap([_COLORS[k % len(_COLORS)] for k in range(n_classes)])
    ax = _axes(ax, figsize=(5.0, 4.5))
    ax.contourf(gx, gy, cls.reshape(gx.shape), levels=np.arange(n_classes + 1) - 0.5,
                cmap=cmap, alpha=0.3)
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap=cmap, vmin=-0.5, vmax=n_classes - 0.5,
               s=12, edgecolors="k", linewidths=0.3)
    _style(ax, "x₁", "x₂", title="decision boundary")
    ax.set_aspect("equal", adjustable="box")
    return ax
