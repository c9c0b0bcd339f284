"""Small datasets for the course: the 8×8 digits (shipped, offline) and 2-D toy problems.

Every random function takes an explicit ``rng: numpy.random.Generator``; nothing is
downloaded. Toy sets return ``X`` of shape ``(N, 2)`` (float64) and ``y`` of shape
``(N,)`` (int64).
"""

from importlib import resources

import numpy as np

__all__ = ["load_digits", "make_spirals", "make_moons", "make_circles",
           "train_test_split", "standardize"]


def _check_rng(rng, fname):
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"{fname}: rng must be a numpy.random.Generator "
                        f"(e.g. np.random.default_rng(0)), got {type(rng).__name__}")


def _check_positive_int(value, name, fname):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{fname}: {name} must be a positive integer, got {value!r}")


def _check_noise(noise, fname):
    if not np.isfinite(noise) or noise < 0:
        raise ValueError(f"{fname}: noise must be a finite number >= 0, got {noise!r}")


def load_digits(dtype=np.float64):
    """The 8×8 handwritten digits (UCI, Alpaydin & Kaynak 1998; see ``deeplib/data/README.md``).

    Returns
    -------
    X : (1797, 64) array of ``dtype``, pixel intensities ``images / 16`` in [0, 1],
        each row an 8×8 image flattened row by row.
    y : (1797,) int64, the digit 0..9 (about 180 of each).
    """
    dtype = np.dtype(dtype)
    if not np.issubdtype(dtype, np.floating):
        raise TypeError(f"load_digits: dtype must be a floating dtype, got {dtype}")
    with resources.files("deeplib").joinpath("data", "digits.npz").open("rb") as fh:
        with np.load(fh) as data:
            images, target = data["images"], data["target"]
    X = (images.reshape(len(images), -1).astype(dtype)) / dtype.type(16)
    return X, target.astype(np.int64)


def make_spirals(n_per_class=100, n_classes=3, noise=0.2, rng=None):
    """Interleaved spiral arms, one per class (the CS231n toy problem).

    For class k and t = 0..n-1: radius r = t / (n - 1) (from 0 to 1) and angle
    θ = 4 r + 2π k / K + noise·ε, ε ~ N(0, 1); the point is (r sin θ, r cos θ).

    Returns X (n_per_class * n_classes, 2) float64 and y (same N,) int64, classes in blocks.
    """
    _check_positive_int(n_per_class, "n_per_class", "make_spirals")
    _check_positive_int(n_classes, "n_classes", "make_spirals")
    _check_noise(noise, "make_spirals")
    _check_rng(rng, "make_spirals")
    r = np.linspace(0.0, 1.0, n_per_class)
    X = np.empty((n_per_class * n_classes, 2))
    y = np.repeat(np.arange(n_classes, dtype=np.int64), n_per_class)
    for k in range(n_classes):
        theta = 4.0 * r + 2.0 * np.pi * k / n_classes + noise * rng.standard_normal(n_per_class)
        rows = slice(k * n_per_class, (k + 1) * n_per_class)
        X[rows, 0] = r * np.sin(theta)
        X[rows, 1] = r * np.cos(theta)
    return X, y


def make_moons(n=200, noise=0.1, rng=None):
    """Two interleaving half circles (as scikit-learn's ``make_moons``).

    Class 0: (cos t, sin t), class 1: (1 - cos t, 1/2 - sin t), t in [0, π]; then
    Gaussian noise of standard deviation ``noise`` is added to every coordinate.
    Class 0 gets ceil(n/2) points, class 1 floor(n/2).

    Returns X (n, 2) float64 and y (n,) int64.
    """
    _check_positive_int(n, "n", "make_moons")
    _check_noise(noise, "make_moons")
    _check_rng(rng, "make_moons")
    n1 = n // 2
    n0 = n - n1
    t0 = np.linspace(0.0, np.pi, n0)
    t1 = np.linspace(0.0, np.pi, n1)
    X = np.concatenate([np.column_stack([np.cos(t0), np.sin(t0)]),
                        np.column_stack([1.0 - np.cos(t1), 0.5 - np.sin(t1)])])
    y = np.concatenate([np.zeros(n0, np.int64), np.ones(n1, np.int64)])
    return X + noise * rng.standard_normal(X.shape), y


def make_circles(n=200, noise=0.05, factor=0.5, rng=None):
    """A large circle (radius 1, class 0) around a small one (radius ``factor``, class 1).

    Points are equally spaced in angle on each circle, then Gaussian noise of standard
    deviation ``noise`` is added to every coordinate. Class 0 gets ceil(n/2) points.

    Returns X (n, 2) float64 and y (n,) int64.
    """
    _check_positive_int(n, "n", "make_circles")
    _check_noise(noise, "make_circles")
    if not 0 < factor < 1:
        raise ValueError(f"make_circles: factor must be in (0, 1), got {factor!r}")
    _check_rng(rng, "make_circles")
    n1 = n // 2
    n0 = n - n1
    t0 = np.linspace(0.0, 2 * np.pi, n0, endpoint=False)
    t1 = np.linspace(0.0, 2 * np.pi, n1, endpoint=False)
    X = np.concatenate([np.column_stack([np.cos(t0), np.sin(t0)]),
                        factor * np.column_stack([np.cos(t1), np.sin(t1)])])
    y = np.concatenate([np.zeros(n0, np.int64), np.ones(n1, np.int64)])
    return X + noise * rng.standard_normal(X.shape), y


def train_test_split(X, y, test_size=0.2, rng=None, stratify=True):
    """Random split into train and test parts.

    ``test_size`` is a fraction in (0, 1) or an int count. With ``stratify=True`` each
    class c with n_c samples puts round(test_size * n_c) of them in the test part, so
    the class proportions are kept; otherwise round(test_size * N) random samples.
    Both parts are shuffled.

    X : (N, ...) array, y : (N,) labels. Returns X_train, X_test, y_train, y_test.
    """
    X = np.asarray(X)
    y = np.asarray(y)
    if len(X) != len(y):
        raise ValueError(f"train_test_split: X and y must have the same length, "
                         f"got {len(X)} and {len(y)}")
    _check_rng(rng, "train_test_split")
    n = len(X)
    if isinstance(test_size, (int, np.integer)) and not isinstance(test_size, bool):
        if not 0 < test_size < n:
            raise ValueError(f"train_test_split: an int test_size must be in [1, {n - 1}], "
                             f"got {test_size}")
        fraction = test_size / n
    elif isinstance(test_size, (float, np.floating)) and 0.0 < test_size < 1.0:
        fraction = float(test_size)
    else:
        raise ValueError(f"train_test_split: test_size must be a float in (0, 1) or an int "
                         f"count, got {test_size!r}")

    if stratify:
        test_parts = []
        for c in np.unique(y):
            members = np.flatnonzero(y == c)
            k = int(round(fraction * len(members)))
            test_parts.append(rng.permutation(members)[:k])
        test_idx = np.concatenate(test_parts)
    else:
        test_idx = rng.permutation(n)[:int(round(fraction * n))]
    if len(test_idx) == 0 or len(test_idx) == n:
        raise ValueError(f"train_test_split: test_size={test_size!r} leaves an empty "
                         f"train or test part for {n} samples")
    is_test = np.zeros(n, dtype=bool)
    is_test[test_idx] = True
    train_idx = rng.permutation(np.flatnonzero(~is_test))
    test_idx = rng.permutation(test_idx)
    return X[train_idx], X[test_idx], y[train_idx], y[test_idx]


def standardize(X_train, *others):
    """Scale features with the training set's statistics: (X - μ) / σ.

    μ, σ: (D,) mean and standard deviation of ``X_train`` (N, D) over axis 0; a feature
    with σ = 0 is only centred (σ replaced by 1). The same μ, σ are applied to every
    array in ``others`` (M, D). dtype is kept.

    Returns a tuple ``(X_train_std, *others_std)``.
    """
    X_train = np.asarray(X_train)
    if X_train.ndim != 2 or len(X_train) == 0:
        raise ValueError(f"standardize: X_train must be a non-empty (N, D) array, "
                         f"got shape {X_train.shape}")
    mean = X_train.mean(axis=0)
    std = X_train.std(axis=0)
    std = np.where(std == 0, 1, std).astype(std.dtype)
    out = [(X_train - mean) / std]
    for i, X in enumerate(others):
        X = np.asarray(X)
        if X.ndim != 2 or X.shape[1] != X_train.shape[1]:
            raise ValueError(f"standardize: array {i + 1} of others has shape {X.shape}, "
                             f"expected (M, {X_train.shape[1]})")
        out.append((X - mean) / std)
    return tuple(out)
