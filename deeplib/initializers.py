"""Weight initializers.

Every initializer has the signature ``init(shape, rng=None, dtype=np.float64) -> ndarray``.
Random ones need an explicit ``rng=np.random.default_rng(seed)``; deterministic ones
ignore it. Weights have shape ``(fan_in, fan_out)`` (a dense layer computes ``x @ W + b``).

Glorot, He and LeCun are one idea, ``variance_scaling``: draw weights with variance

    Var(W) = scale / n,   n = fan_in, fan_out or (fan_in + fan_out) / 2,

so that the variance of the signal (forward) or of the gradient (backward) stays
the same from layer to layer.

=================  =======  =========  ======================  =========================
initializer        scale    mode       Var(W)                  use with
=================  =======  =========  ======================  =========================
Glorot (Xavier)    1        fan_avg    2 / (fan_in + fan_out)  none, tanh, logistic, softmax
He (Kaiming)       2        fan_in     2 / fan_in              ReLU and its variants
LeCun              1        fan_in     1 / fan_in              SELU
=================  =======  =========  ======================  =========================

A uniform ``U(-r, r)`` has variance ``r^2 / 3``, so the uniform variants use ``r = sqrt(3 Var)``.
"""

import math

import numpy as np

__all__ = [
    "fans", "zeros", "ones", "constant", "random_normal", "random_uniform",
    "variance_scaling", "glorot_uniform", "glorot_normal", "he_uniform", "he_normal",
    "lecun_uniform", "lecun_normal", "get", "recommended_initializer",
]

# Standard deviation of a standard normal truncated to [-2, 2]: dividing the stddev by it
# gives the truncated distribution the intended variance.
TRUNCATED_NORMAL_STD = 0.87962566103423978


# --------------------------------------------------------------------------- helpers
def _shape(shape):
    """``shape`` as a tuple of non-negative ints (an int n means ``(n,)``)."""
    if isinstance(shape, (int, np.integer)) and not isinstance(shape, bool):
        shape = (shape,)
    try:
        dims = tuple(shape)
    except TypeError:
        raise TypeError(f"shape must be a tuple of ints, got {shape!r}") from None
    for d in dims:
        if isinstance(d, bool) or not isinstance(d, (int, np.integer)):
            raise TypeError(f"shape must be a tuple of ints, got {shape!r}")
        if d < 0:
            raise ValueError(f"shape dimensions must be >= 0, got {shape!r}")
    return tuple(int(d) for d in dims)


def _dtype(dtype):
    dtype = np.dtype(dtype)
    if not np.issubdtype(dtype, np.floating):
        raise TypeError(f"weights must have a floating dtype (e.g. np.float32), got {dtype}")
    return dtype


def _check_rng(rng, who):
    if rng is None:
        raise TypeError(f"{who} is random: pass rng=np.random.default_rng(seed)")
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"{who} needs rng to be a numpy.random.Generator "
                        f"(np.random.default_rng(seed)), got {type(rng).__name__}")
    return rng


def _positive(value, name):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return float(value)


def _finite(value, name):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return float(value)


def fans(shape):
    """``(fan_in, fan_out)`` of a weight of shape ``shape``.

    - 2-D ``(fan_in, fan_out)``: as is (dense weight, ``x @ W``);
    - 1-D ``(n,)``: ``(n, n)``;
    - more dimensions, e.g. a convolution kernel ``(kh, kw, c_in, c_out)`` (Keras order):
      with the receptive field ``rf = prod(shape[:-2])``,
      ``fan_in = shape[-2] * rf`` and ``fan_out = shape[-1] * rf``.
    """
    shape = _shape(shape)
    if len(shape) == 0:
        raise ValueError("fans of a scalar shape () are undefined; give at least one dimension")
    if len(shape) == 1:
        return shape[0], shape[0]
    rf = math.prod(shape[:-2])
    return shape[-2] * rf, shape[-1] * rf


# ------------------------------------------------------------------ deterministic
def zeros(shape, rng=None, dtype=np.float64):
    """All zeros, of ``shape``. Fine for biases; for weights it never breaks symmetry."""
    return np.zeros(_shape(shape), dtype=_dtype(dtype))


def ones(shape, rng=None, dtype=np.float64):
    """All ones, of ``shape``."""
    return np.ones(_shape(shape), dtype=_dtype(dtype))


def constant(value):
    """An initializer filling the array with ``value``."""
    value = _finite(value, "value")

    def init(shape, rng=None, dtype=np.float64):
        return np.full(_shape(shape), value, dtype=_dtype(dtype))

    init.__name__ = f"constant({value!r})"
    init.__doc__ = f"All entries equal to {value!r}."
    return init


# ------------------------------------------------------------------------- random
def random_normal(stddev=0.05, mean=0.0):
    """An initializer drawing ``W ~ N(mean, stddev^2)`` (fixed scale, ignores the fans)."""
    stddev = _positive(stddev, "stddev")
    mean = _finite(mean, "mean")

    def init(shape, rng=None, dtype=np.float64):
        rng = _check_rng(rng, "random_normal")
        return rng.normal(mean, stddev, size=_shape(shape)).astype(_dtype(dtype))

    init.__name__ = f"random_normal(stddev={stddev!r}, mean={mean!r})"
    init.__doc__ = f"W ~ N({mean!r}, {stddev!r}^2)."
    return init


def random_uniform(limit=0.05):
    """An initializer drawing ``W ~ U(-limit, limit)`` (fixed scale, ignores the fans)."""
    limit = _positive(limit, "limit")

    def init(shape, rng=None, dtype=np.float64):
        rng = _check_rng(rng, "random_uniform")
        return rng.uniform(-limit, limit, size=_shape(shape)).astype(_dtype(dtype))

    init.__name__ = f"random_uniform(limit={limit!r})"
    init.__doc__ = f"W ~ U(-{limit!r}, {limit!r})."
    return init


def _truncated_normal(rng, stddev, shape):
    """``N(0, stddev^2)`` restricted to ``[-2 stddev, 2 stddev]``: out-of-range draws are redrawn."""
    w = rng.normal(0.0, stddev, size=shape)
    outside = np.abs(w) > 2.0 * stddev
    while outside.any():          # ~4.6% redrawn each round
        w[outside] = rng.normal(0.0, stddev, size=int(outside.sum()))
        outside = np.abs(w) > 2.0 * stddev
    return w


_MODES = ("fan_in", "fan_out", "fan_avg")
_DISTRIBUTIONS = ("truncated_normal", "normal", "uniform")


def variance_scaling(scale=1.0, mode="fan_in", distribution="truncated_normal"):
    """An initializer with variance ``sigma^2 = scale / n``.

    ``n`` is ``fan_in``, ``fan_out`` or ``(fan_in + fan_out) / 2`` (``mode``, see ``fans``).
    ``distribution``:

    - ``"normal"``: ``W ~ N(0, sigma^2)``;
    - ``"uniform"``: ``W ~ U(-r, r)`` with ``r = sqrt(3 sigma^2)``;
    - ``"truncated_normal"``: ``N(0, s^2)`` with ``s = sigma / 0.8796...``, values beyond
      ``±2 s`` redrawn. Truncation shrinks the standard deviation by 0.8796, so the
      result has variance ``sigma^2``.
    """
    scale = _positive(scale, "scale")
    if mode not in _MODES:
        raise ValueError(f"mode must be one of {', '.join(_MODES)}; got {mode!r}")
    if distribution not in _DISTRIBUTIONS:
        raise ValueError(f"distribution must be one of {', '.join(_DISTRIBUTIONS)}; got {distribution!r}")

    def init(shape, rng=None, dtype=np.float64):
        shape, dtype = _shape(shape), _dtype(dtype)
        rng = _check_rng(rng, f"variance_scaling({distribution!r})")
        fan_in, fan_out = fans(shape)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode]
        if n == 0:
            raise ValueError(f"{mode} of shape {shape} is 0: cannot scale the variance by 1/{mode}")
        variance = scale / n
        if distribution == "uniform":
            limit = math.sqrt(3.0 * variance)
            w = rng.uniform(-limit, limit, size=shape)
        elif distribution == "normal":
            w = rng.normal(0.0, math.sqrt(variance), size=shape)
        else:
            w = _truncated_normal(rng, math.sqrt(variance) / TRUNCATED_NORMAL_STD, shape)
        return w.astype(dtype)

    init.__name__ = f"variance_scaling(scale={scale!r}, mode={mode!r}, distribution={distribution!r})"
    init.__doc__ = f"Var(W) = {scale!r} / {mode}, {distribution} distribution."
    return init


def glorot_uniform(shape, rng=None, dtype=np.float64):
    """Glorot (Xavier) uniform: ``U(-r, r)``, ``r = sqrt(6 / (fan_in + fan_out))``, Var = 2 / (fan_in + fan_out)."""
    return variance_scaling(1.0, "fan_avg", "uniform")(shape, rng, dtype)


def glorot_normal(shape, rng=None, dtype=np.float64):
    """Glorot (Xavier) normal: ``N(0, 2 / (fan_in + fan_out))``."""
    return variance_scaling(1.0, "fan_avg", "normal")(shape, rng, dtype)


def he_uniform(shape, rng=None, dtype=np.float64):
    """He (Kaiming) uniform: ``U(-r, r)``, ``r = sqrt(6 / fan_in)``, Var = 2 / fan_in."""
    return variance_scaling(2.0, "fan_in", "uniform")(shape, rng, dtype)


def he_normal(shape, rng=None, dtype=np.float64):
    """He (Kaiming) normal: ``N(0, 2 / fan_in)``."""
    return variance_scaling(2.0, "fan_in", "normal")(shape, rng, dtype)


def lecun_uniform(shape, rng=None, dtype=np.float64):
    """LeCun uniform: ``U(-r, r)``, ``r = sqrt(3 / fan_in)``, Var = 1 / fan_in."""
    return variance_scaling(1.0, "fan_in", "uniform")(shape, rng, dtype)


def lecun_normal(shape, rng=None, dtype=np.float64):
    """LeCun normal: ``N(0, 1 / fan_in)``."""
    return variance_scaling(1.0, "fan_in", "normal")(shape, rng, dtype)


# ---------------------------------------------------------------------------- get
_PLAIN = {
    "zeros": zeros, "ones": ones,
    "glorot_uniform": glorot_uniform, "glorot_normal": glorot_normal,
    "he_uniform": he_uniform, "he_normal": he_normal,
    "lecun_uniform": lecun_uniform, "lecun_normal": lecun_normal,
}
_FACTORIES = {
    "constant": constant, "random_normal": random_normal,
    "random_uniform": random_uniform, "variance_scaling": variance_scaling,
}
_ALIASES = {
    "normal": "random_normal", "uniform": "random_uniform",
    "xavier_uniform": "glorot_uniform", "xavier_normal": "glorot_normal",
    "kaiming_uniform": "he_uniform", "kaiming_normal": "he_normal",
}


def get(name, **hyper):
    """The initializer called ``name``; a callable is returned unchanged.

    >>> get("he_normal")((3, 4), rng=np.random.default_rng(0)).shape
    (3, 4)

    Plain initializers: zeros, ones, glorot_uniform, glorot_normal (aliases xavier_*),
    he_uniform, he_normal (aliases kaiming_*), lecun_uniform, lecun_normal.
    Built from hyperparameters: constant(value), random_normal(stddev, mean) (alias normal),
    random_uniform(limit) (alias uniform), variance_scaling(scale, mode, distribution).
    """
    if callable(name):
        if hyper:
            raise TypeError(f"got a callable initializer and hyperparameters {hyper}; "
                            "give hyperparameters only with a name")
        return name
    if not isinstance(name, str):
        raise TypeError(f"initializer must be a name (str) or a callable, got {name!r}")
    key = _ALIASES.get(name.lower(), name.lower())
    if key in _FACTORIES:
        return _FACTORIES[key](**hyper)
    if key in _PLAIN:
        if hyper:
            raise TypeError(f"initializer {name!r} takes no hyperparameters, got {sorted(hyper)}")
        return _PLAIN[key]
    known = ", ".join(sorted([*_PLAIN, *_FACTORIES, *_ALIASES]))
    raise ValueError(f"unknown initializer {name!r}; known names: {known}")


# ----------------------------------------------------------- which init for which activation
_RECOMMENDED = {
    "glorot_uniform": ("identity", "linear", "none", "tanh", "sigmoid", "logistic", "softmax"),
    "he_normal": ("relu", "leaky_relu", "prelu", "rrelu", "elu", "gelu", "swish", "silu", "softplus"),
    "lecun_normal": ("selu",),
}
_RECOMMENDATION = {act: init for init, acts in _RECOMMENDED.items() for act in acts}


def recommended_initializer(activation_name):
    """The lecture's table: the initializer name that suits an activation.

    Glorot for no activation, tanh, logistic and softmax -> ``"glorot_uniform"``;
    He for ReLU and its variants (leaky ReLU, PReLU, RReLU, ELU, GELU, Swish/SiLU,
    softplus) -> ``"he_normal"``; LeCun for SELU -> ``"lecun_normal"``.
    ``activation_name`` may be ``None`` (no activation) or an object with a ``name``.
    """
    if activation_name is None:
        activation_name = "none"
    name = getattr(activation_name, "name", activation_name)
    if not isinstance(name, str):
        raise TypeError(f"activation_name must be a str, got {activation_name!r}")
    try:
        return _RECOMMENDATION[name.lower()]
    except KeyError:
        known = ", ".join(sorted(_RECOMMENDATION))
        raise ValueError(f"no recommended initializer for activation {name!r}; "
                         f"known activations: {known}") from None
