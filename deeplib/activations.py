"""Activation functions, their derivatives and their backward passes.

Every activation is a small object with

- ``forward(z) -> a``: the activation, same shape and dtype as ``z``;
- ``derivative(z) -> da/dz``: the elementwise derivative (not for softmax);
- ``backward(z, grad_out) -> grad_in``: the vector-Jacobian product
  ``dL/dz`` given ``grad_out = dL/da``. For an elementwise function it is
  ``grad_out * derivative(z)``; softmax overrides it.

``get(name, **hyper)`` builds one from its name, e.g. ``get("leaky_relu", negative_slope=0.2)``.
The same maths is also available as plain functions: ``sigmoid(z)``, ``relu(z)``, ...

Conventions
-----------
- ``z`` may have any shape. Floating dtypes are kept (float32 in, float32 out);
  integer and boolean inputs are converted to float64.
- At exactly ``z = 0`` the kinked functions use their *left* branch, as PyTorch does:
  ReLU'(0) = 0, LeakyReLU'(0) = negative_slope, ELU'(0) = alpha, SELU'(0) = lambda * alpha.
- Everything is overflow-safe: ``np.exp`` is only ever applied to a non-positive
  number (``exp(-|z|)``, ``expm1(min(z, 0))``), so no input of ±1e4, or ±1e30,
  produces an overflow warning, an ``inf`` or a ``nan``.
"""

import math

import numpy as np

from deeplib._arrays import as_float_array

__all__ = [
    "Activation", "Identity", "Sigmoid", "Tanh", "ReLU", "LeakyReLU", "ELU", "SELU",
    "Softplus", "Swish", "GELU", "Softmax",
    "sigmoid", "tanh", "relu", "leaky_relu", "elu", "selu", "softplus", "swish",
    "gelu", "softmax", "get",
]

# SELU constants (Klambauer et al., 2017), to more digits than a float64 holds.
SELU_LAMBDA = 1.0507009873554804934193349852946
SELU_ALPHA = 1.6732632423543772848170429916717


# --------------------------------------------------------------------------- helpers
def _as_float(z):
    """``z`` as a floating ndarray: floating dtypes kept, ints/bools -> float64."""
    return as_float_array(z, "the input of an activation")


def _as_grad(z, grad_out):
    """Check that ``grad_out`` matches ``z`` (the upstream gradient dL/da has a's shape)."""
    grad_out = _as_float(grad_out)
    if grad_out.shape != z.shape:
        raise ValueError(
            f"grad_out has shape {grad_out.shape} but z has shape {z.shape}; "
            "backward(z, grad_out) needs dL/da with the same shape as z"
        )
    return grad_out


def _real(value, name):
    """A hyperparameter as a finite Python float (clear error otherwise)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return float(value)


# Coefficients of W. J. Cody's rational Chebyshev approximations of erf/erfc
# ("Rational Chebyshev approximations for the error function", Math. Comp. 23, 1969,
# as in Netlib's SPECFUN CALERF); accurate to float64 precision.
_ERF_A = (3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02,
          3.20937758913846947e03, 1.85777706184603153e-1)
_ERF_B = (2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03,
          2.84423683343917062e03)
_ERFC_C = (5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01,
           2.98635138197400131e02, 8.81952221241769090e02, 1.71204761263407058e03,
           2.05107837782607147e03, 1.23033935479799725e03, 2.15311535474403846e-8)
_ERFC_D = (1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02,
           1.62138957456669019e03, 3.29079923573345963e03, 4.36261909014324716e03,
           3.43936767414372164e03, 1.23033935480374942e03)
_ERFC_P = (3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1,
           1.60837851487422766e-2, 6.58749161529837803e-4, 1.63153871373020978e-2)
_ERFC_Q = (2.56852019228982242e00, 1.87295284992346047e00, 5.27905102951428412e-1,
           6.05183413124413191e-2, 2.33520497626869185e-3)
_INV_SQRT_PI = 0.56418958354775628695


def _erfc(x):
    """Complementary error function ``erfc(x) = 1 - erf(x)``, elementwise, any shape.

    NumPy has no ``erf``; this is Cody's algorithm, vectorized: three rational
    approximations on |x| <= 0.46875, 0.46875 < |x| <= 4 and |x| > 4, then
    ``erfc(-x) = 2 - erfc(x)``. Agrees with ``math.erfc`` to ~1e-15 relative.
    """
    x = _as_float(x)
    y = np.minimum(np.abs(x), 27.0)       # erfc(y) < 1e-308 beyond 26.5; clipping avoids overflow
    ysq = y * y
    # |x| <= 0.46875: erf(y) = y P(y^2) / Q(y^2)
    num, den = _ERF_A[4] * ysq, ysq
    for a, b in zip(_ERF_A[:3], _ERF_B[:3]):
        num, den = (num + a) * ysq, (den + b) * ysq
    small = 1.0 - y * (num + _ERF_A[3]) / (den + _ERF_B[3])
    # 0.46875 < |x| <= 4: erfc(y) = exp(-y^2) P(y) / Q(y)
    num, den = _ERFC_C[8] * y, y
    for c, d in zip(_ERFC_C[:7], _ERFC_D[:7]):
        num, den = (num + c) * y, (den + d) * y
    middle = (num + _ERFC_C[7]) / (den + _ERFC_D[7])
    # |x| > 4: erfc(y) = exp(-y^2) / y (1/sqrt(pi) - R(1/y^2) / y^2)
    y4 = np.maximum(y, 4.0)               # keeps 1/y^2 finite where this branch is unused
    inv = 1.0 / (y4 * y4)
    num, den = _ERFC_P[5] * inv, inv
    for p, q in zip(_ERFC_P[:4], _ERFC_Q[:4]):
        num, den = (num + p) * inv, (den + q) * inv
    large = (_INV_SQRT_PI - inv * (num + _ERFC_P[4]) / (den + _ERFC_Q[4])) / y4
    # exp(-y^2) computed as exp(-r^2) exp(-(y-r)(y+r)), r = y rounded down to 1/16, to keep precision
    r = np.trunc(y * 16.0) / 16.0
    gauss = np.exp(-r * r) * np.exp(-(y - r) * (y + r))
    result = np.where(y <= 0.46875, small, np.where(y <= 4.0, middle, large) * gauss)
    result = np.where(y < 26.543, result, 0.0)   # Cody's XBIG: erfc underflows to 0 beyond
    return np.where(x < 0, 2.0 - result, result)


def _normal_cdf(z):
    """Standard normal CDF ``Phi(z) = erfc(-z / sqrt(2)) / 2`` (accurate in both tails)."""
    return 0.5 * _erfc(-z * (1.0 / math.sqrt(2.0)))


def _normal_pdf(z):
    """Standard normal density ``phi(z) = exp(-z^2 / 2) / sqrt(2 pi)`` (0 for |z| > 40)."""
    zc = np.clip(z, -40.0, 40.0)          # squaring 1e30 would overflow in float32
    return np.exp(-0.5 * zc * zc) * (1.0 / math.sqrt(2.0 * math.pi))


# ------------------------------------------------------------------- plain functions
def sigmoid(z):
    """Logistic sigmoid ``s(z) = 1 / (1 + exp(-z))``, elementwise, shape of ``z``.

    Stable for both signs: with ``e = exp(-|z|)`` (never overflows),
    ``s = 1 / (1 + e)`` for z >= 0 and ``s = e / (1 + e)`` for z < 0.
    """
    z = _as_float(z)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def tanh(z):
    """Hyperbolic tangent ``tanh(z) = (e^z - e^-z) / (e^z + e^-z) = 2 s(2z) - 1``, shape of ``z``."""
    return np.tanh(_as_float(z))


def relu(z):
    """Rectified linear unit ``max(z, 0)``, elementwise, shape of ``z``."""
    z = _as_float(z)
    return np.maximum(z, 0)  # 3x faster than np.where; NaN stays NaN, as in PyTorch


def leaky_relu(z, negative_slope=0.01):
    """Leaky ReLU ``z if z > 0 else negative_slope * z``, elementwise, shape of ``z``."""
    z = _as_float(z)
    return np.where(z > 0, z, negative_slope * z)


def elu(z, alpha=1.0):
    """Exponential linear unit ``z if z > 0 else alpha (exp(z) - 1)``, shape of ``z``.

    ``expm1`` is applied to ``min(z, 0)`` only, so large positive z never reach ``exp``,
    and it stays accurate for small negative z.
    """
    z = _as_float(z)
    return np.where(z > 0, z, alpha * np.expm1(np.minimum(z, 0)))


def selu(z):
    """Scaled ELU ``lambda * (z if z > 0 else alpha (exp(z) - 1))``, shape of ``z``.

    lambda = 1.0507009873554804934..., alpha = 1.6732632423543772848... (self-normalizing).
    """
    return SELU_LAMBDA * elu(z, SELU_ALPHA)


def softplus(z):
    """Softplus ``log(1 + exp(z))``, elementwise, shape of ``z``.

    Computed as ``max(z, 0) + log1p(exp(-|z|))``, which never overflows.
    """
    z = _as_float(z)
    return np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))


def swish(z, beta=1.0):
    """Swish ``z * s(beta z)`` (SiLU when beta = 1), elementwise, shape of ``z``."""
    z = _as_float(z)
    return z * sigmoid(beta * z)


# tanh approximation of GELU: sqrt(2/pi) (z + 0.044715 z^3)
_GELU_C = math.sqrt(2.0 / math.pi)
_GELU_K = 0.044715


def _gelu_tanh_inner(z):
    """``u = sqrt(2/pi) (z + 0.044715 z^3)`` and ``du/dz``, on z clipped to [-25, 25].

    For |z| >= 25, |u| > 570 and ``s(-2|u|) = exp(-1140...)`` is exactly 0 in floating
    point, so clipping changes no result but keeps ``z^3`` from overflowing
    (1e30 cubed is inf in float32).
    """
    zc = np.clip(z, -25.0, 25.0)
    u = _GELU_C * (zc + _GELU_K * zc * zc * zc)
    du = _GELU_C * (1.0 + 3.0 * _GELU_K * zc * zc)
    return zc, u, du


def gelu(z, approximate="none"):
    """Gaussian error linear unit ``z * Phi(z)``, elementwise, shape of ``z``.

    ``approximate="none"``: exact, ``Phi(z) = (1 + erf(z / sqrt(2))) / 2`` the standard
    normal CDF. ``approximate="tanh"``: ``z/2 (1 + tanh(sqrt(2/pi) (z + 0.044715 z^3)))``,
    computed as ``z * s(2u)`` since ``(1 + tanh(u)) / 2 = s(2u)``.
    """
    z = _as_float(z)
    if _check_approximate(approximate) == "tanh":
        _, u, _ = _gelu_tanh_inner(z)
        return z * sigmoid(2.0 * u)
    return z * _normal_cdf(z)


def softmax(z):
    """Softmax over the last axis: ``a_i = exp(z_i - m) / sum_j exp(z_j - m)``.

    z: ``(..., C)`` -> a: ``(..., C)``, each row sums to 1. ``m = max_j z_j`` is
    subtracted first (softmax is unchanged by adding a constant), so ``exp`` never
    sees a positive number and cannot overflow.
    """
    z = _as_float(z)
    if z.ndim == 0:
        raise ValueError("softmax needs at least one axis (it normalizes over the last axis), got a scalar")
    e = np.exp(z - np.max(z, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def _check_approximate(approximate):
    if approximate not in ("none", "tanh"):
        raise ValueError(f'GELU approximate must be "none" or "tanh", got {approximate!r}')
    return approximate


# ------------------------------------------------------------------------- classes
class Activation:
    """Base class of the elementwise activations.

    Subclasses define ``forward(z)`` and ``derivative(z)``; ``backward`` applies the
    chain rule ``dL/dz = dL/da * da/dz`` elementwise. ``name`` is the name ``get``
    knows it by; hyperparameters are attributes listed in ``_hyper`` (for ``repr``).
    """

    name = "activation"
    _hyper = ()

    def forward(self, z):
        """a = f(z); z: any shape -> a: same shape and dtype."""
        raise NotImplementedError

    def derivative(self, z):
        """f'(z) elementwise; z: any shape -> same shape and dtype."""
        raise NotImplementedError

    def backward(self, z, grad_out):
        """Vector-Jacobian product ``dL/dz = grad_out * f'(z)``.

        z: the forward input, any shape; grad_out: ``dL/da``, same shape -> ``dL/dz``.
        """
        z = _as_float(z)
        return _as_grad(z, grad_out) * self.derivative(z)

    def __call__(self, z):
        return self.forward(z)

    def __repr__(self):
        args = ", ".join(f"{k}={getattr(self, k)!r}" for k in self._hyper)
        return f"{type(self).__name__}({args})"


class Identity(Activation):
    """Identity (linear, no activation): ``f(z) = z``, ``f'(z) = 1``."""

    name = "identity"

    def forward(self, z):
        return _as_float(z).copy()

    def derivative(self, z):
        return np.ones_like(_as_float(z))


class Sigmoid(Activation):
    """Logistic sigmoid: ``s(z) = 1 / (1 + exp(-z))``, ``s'(z) = s(z) (1 - s(z))``."""

    name = "sigmoid"

    def forward(self, z):
        return sigmoid(z)

    def derivative(self, z):
        z = _as_float(z)
        return sigmoid(z) * sigmoid(-z)   # 1 - s(z) = s(-z), without cancellation


class Tanh(Activation):
    """Hyperbolic tangent: ``f(z) = tanh(z)``, ``f'(z) = 1 - tanh(z)^2``."""

    name = "tanh"

    def forward(self, z):
        return tanh(z)

    def derivative(self, z):
        t = tanh(z)
        return 1.0 - t * t


class ReLU(Activation):
    """ReLU: ``f(z) = max(z, 0)``, ``f'(z) = 1 if z > 0 else 0`` (0 at z = 0)."""

    name = "relu"

    def forward(self, z):
        return relu(z)

    def derivative(self, z):
        z = _as_float(z)
        return (z > 0).astype(z.dtype)


class LeakyReLU(Activation):
    """Leaky ReLU: ``f(z) = z if z > 0 else negative_slope * z``.

    ``f'(z) = 1 if z > 0 else negative_slope`` (negative_slope at z = 0).
    """

    name = "leaky_relu"
    _hyper = ("negative_slope",)

    def __init__(self, negative_slope=0.01):
        self.negative_slope = _real(negative_slope, "negative_slope")

    def forward(self, z):
        return leaky_relu(z, self.negative_slope)

    def derivative(self, z):
        z = _as_float(z)
        return np.where(z > 0, 1.0, self.negative_slope).astype(z.dtype)


class ELU(Activation):
    """ELU: ``f(z) = z if z > 0 else alpha (exp(z) - 1)``.

    ``f'(z) = 1 if z > 0 else alpha exp(z)`` (alpha at z = 0).
    """

    name = "elu"
    _hyper = ("alpha",)

    def __init__(self, alpha=1.0):
        self.alpha = _real(alpha, "alpha")

    def forward(self, z):
        return elu(z, self.alpha)

    def derivative(self, z):
        z = _as_float(z)
        return np.where(z > 0, 1.0, self.alpha * np.exp(np.minimum(z, 0))).astype(z.dtype)


class SELU(Activation):
    """SELU: ``f(z) = lambda * ELU_alpha(z)`` with fixed lambda ~ 1.0507 and alpha ~ 1.6733.

    ``f'(z) = lambda if z > 0 else lambda alpha exp(z)`` (lambda alpha at z = 0).
    The constants are the attributes ``scale`` (lambda) and ``alpha``.
    """

    name = "selu"
    scale = SELU_LAMBDA
    alpha = SELU_ALPHA

    def forward(self, z):
        return selu(z)

    def derivative(self, z):
        z = _as_float(z)
        neg = SELU_LAMBDA * SELU_ALPHA * np.exp(np.minimum(z, 0))
        return np.where(z > 0, SELU_LAMBDA, neg).astype(z.dtype)


class Softplus(Activation):
    """Softplus: ``f(z) = log(1 + exp(z))``, a smooth ReLU; ``f'(z) = s(z)`` the sigmoid."""

    name = "softplus"

    def forward(self, z):
        return softplus(z)

    def derivative(self, z):
        return sigmoid(z)


class Swish(Activation):
    """Swish: ``f(z) = z s(beta z)``; beta = 1 is SiLU.

    ``f'(z) = s(beta z) + beta z s(beta z) (1 - s(beta z))``, with ``1 - s(x)``
    computed as ``s(-x)`` (no cancellation, no overflow).
    """

    name = "swish"
    _hyper = ("beta",)

    def __init__(self, beta=1.0):
        self.beta = _real(beta, "beta")

    def forward(self, z):
        return swish(z, self.beta)

    def derivative(self, z):
        x = self.beta * _as_float(z)
        s = sigmoid(x)
        return s + x * s * sigmoid(-x)


class GELU(Activation):
    """GELU: ``f(z) = z Phi(z)``, Phi the standard normal CDF.

    Exact (``approximate="none"``): ``f'(z) = Phi(z) + z phi(z)``, phi the normal density.
    Tanh form (``approximate="tanh"``): ``f(z) = z s(2u)``, ``u = sqrt(2/pi) (z + 0.044715 z^3)``,
    ``f'(z) = s(2u) + 2 z s(2u) (1 - s(2u)) du/dz``.
    """

    name = "gelu"
    _hyper = ("approximate",)

    def __init__(self, approximate="none"):
        self.approximate = _check_approximate(approximate)

    def forward(self, z):
        return gelu(z, self.approximate)

    def derivative(self, z):
        z = _as_float(z)
        if self.approximate == "tanh":
            zc, u, du = _gelu_tanh_inner(z)
            s = sigmoid(2.0 * u)
            return s + 2.0 * zc * s * sigmoid(-2.0 * u) * du
        return _normal_cdf(z) + z * _normal_pdf(z)


class Softmax(Activation):
    """Softmax over the last axis, ``(..., C) -> (..., C)``.

    It is not elementwise: each output depends on the whole row, with Jacobian
    ``da_i/dz_j = a_i (delta_ij - a_j)``. ``backward`` computes the vector-Jacobian
    product without building it: ``dL/dz = a * (g - sum(g * a, axis=-1))``.
    """

    name = "softmax"

    def forward(self, z):
        return softmax(z)

    def derivative(self, z):
        raise TypeError(
            "softmax is not elementwise, so it has no elementwise derivative: "
            "each output depends on the whole row. Use backward(z, grad_out), "
            "the vector-Jacobian product a * (g - sum(g * a, axis=-1, keepdims=True))."
        )

    def backward(self, z, grad_out):
        """``dL/dz = a * (g - sum(g * a, axis=-1, keepdims=True))``; z, grad_out: ``(..., C)``."""
        z = _as_float(z)
        g = _as_grad(z, grad_out)
        a = softmax(z)
        return a * (g - np.sum(g * a, axis=-1, keepdims=True))


# ---------------------------------------------------------------------------- get
_REGISTRY = {
    "identity": Identity, "sigmoid": Sigmoid, "tanh": Tanh, "relu": ReLU,
    "leaky_relu": LeakyReLU, "elu": ELU, "selu": SELU, "softplus": Softplus,
    "swish": Swish, "gelu": GELU, "softmax": Softmax,
}
_ALIASES = {"linear": "identity", "none": "identity", "logistic": "sigmoid", "silu": "swish"}


def get(name, **hyper):
    """The activation called ``name``, built with hyperparameters ``hyper``.

    >>> get("leaky_relu", negative_slope=0.2)
    LeakyReLU(negative_slope=0.2)

    Names: identity (aliases linear, none, and ``None``), sigmoid (logistic), tanh, relu,
    leaky_relu, elu, selu, softplus, swish (silu: beta = 1), gelu, softmax.
    An ``Activation`` instance is returned unchanged.
    """
    if isinstance(name, Activation):
        if hyper:
            raise TypeError(f"got an activation instance {name!r} and hyperparameters {hyper}; "
                            "give hyperparameters only with a name")
        return name
    if name is None:
        name = "none"
    if not isinstance(name, str):
        raise TypeError(f"activation must be a name (str), None or an Activation, got {name!r}")
    key = _ALIASES.get(name.lower(), name.lower())
    if key not in _REGISTRY:
        known = ", ".join(sorted([*_REGISTRY, *_ALIASES]))
        raise ValueError(f"unknown activation {name!r}; known names: {known}")
    cls = _REGISTRY[key]
    unexpected = sorted(set(hyper) - set(cls._hyper))
    if unexpected:
        allowed = ", ".join(cls._hyper) or "none"
        raise TypeError(f"activation {name!r} got unexpected hyperparameters {unexpected}; "
                        f"it accepts: {allowed}")
    return cls(**hyper)
