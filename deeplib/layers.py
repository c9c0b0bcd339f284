"""Layers: the building blocks of a network, each with a forward and a backward pass.

Every layer follows the same protocol (like a PyTorch ``Module``):

- ``forward(x) -> out`` computes the output and caches what ``backward`` needs;
  ``layer(x)`` is the same as ``layer.forward(x)``;
- ``backward(grad_out) -> grad_in`` receives ``dL/d(out)`` and returns ``dL/dx``; it
  *accumulates* ``dL/dθ`` into each parameter's ``.grad`` (``+=``), so call
  ``zero_grad()`` (or the optimizer's) before each new backward pass;
- ``parameters()`` lists the trainable ``Parameter`` objects;
  ``named_parameters()`` the same as ``(name, Parameter)`` pairs;
- ``train(mode=True)`` / ``eval()`` switch the ``training`` flag (which Dropout and
  RReLU read) and return the layer.

dtype is kept: a float32 layer given float32 input returns float32 output and gradients.
"""

import math

import numpy as np

from deeplib._arrays import as_float_array

from deeplib import activations as _activations
from deeplib import initializers as _initializers
from deeplib.parameter import Parameter

__all__ = ["Layer", "Dense", "Activation", "PReLU", "RReLU", "Dropout"]


# --------------------------------------------------------------------------- helpers
def _float_dtype(dtype, who):
    dt = np.dtype(dtype)
    if dt.kind != "f":
        raise TypeError(f"{who}: dtype must be a floating type such as np.float32 or "
                        f"np.float64, got {dt}")
    return dt


def _as_float_array(x, who):
    """x as a floating ndarray (no copy if it already is one); ints/bools -> float64."""
    return as_float_array(x, f"{who}: the input")


def _positive_int(value, name, who):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{who}: {name} must be a positive integer, got {value!r}")
    return int(value)


def _real(value, name, who):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{who}: {name} must be a real number, got {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{who}: {name} must be finite, got {value!r}")
    return value


def _check_rng(rng, who):
    if rng is not None and not isinstance(rng, np.random.Generator):
        raise TypeError(f"{who}: rng must be a numpy.random.Generator "
                        f"(np.random.default_rng(seed)), got {type(rng).__name__}")
    return rng


def _check_grad_shape(grad_out, expected_shape, who):
    if grad_out.shape != expected_shape:
        raise ValueError(f"{who}.backward: grad_out has shape {grad_out.shape} but the "
                         f"forward output had shape {expected_shape}; grad_out must be "
                         "dL/d(output), with the output's shape")


# ------------------------------------------------------------------------------ base
class Layer:
    """Base class of all layers (see the module docstring for the protocol).

    Subclasses implement ``forward`` and ``backward`` and, if they have parameters,
    ``named_parameters``. ``training`` is True at construction.
    """

    def __init__(self):
        self.training = True
        self._cache = None

    # -- the protocol
    def forward(self, x):
        """out = f(x); caches what ``backward`` needs."""
        raise NotImplementedError(f"{type(self).__name__} must implement forward(x)")

    def backward(self, grad_out):
        """grad_in = dL/dx given grad_out = dL/d(out); accumulates parameter grads."""
        raise NotImplementedError(f"{type(self).__name__} must implement backward(grad_out)")

    def __call__(self, x):
        return self.forward(x)

    def named_parameters(self):
        """``[(name, Parameter), ...]``; by default built from ``parameters()``."""
        return [(p.name or f"param{i}", p) for i, p in enumerate(self.parameters())]

    def parameters(self):
        """The trainable parameters, a flat list of ``Parameter`` (empty by default)."""
        own = type(self).named_parameters is not Layer.named_parameters
        return [p for _, p in self.named_parameters()] if own else []

    def zero_grad(self):
        """Set every parameter's gradient to zero (in place)."""
        for p in self.parameters():
            p.zero_grad()

    def train(self, mode=True):
        """Set training mode (``mode=True``) or evaluation mode; returns self."""
        self.training = bool(mode)
        return self

    def eval(self):
        """Evaluation mode (Dropout is the identity, RReLU uses its mean slope); returns self."""
        return self.train(False)

    # -- helpers for subclasses
    def _cached(self):
        """What ``forward`` cached; RuntimeError if ``forward`` has not run yet."""
        cache = getattr(self, "_cache", None)
        if cache is None:
            raise RuntimeError(f"{type(self).__name__}.backward called before forward: "
                               "call forward first (backward needs the values it caches)")
        return cache

    def __repr__(self):
        return f"{type(self).__name__}()"


# ----------------------------------------------------------------------------- Dense
class Dense(Layer):
    """Fully connected layer ``out = x @ W + b``.

    x: (N, n_in) -> out: (N, n_out). ``W``: Parameter (n_in, n_out) drawn by ``init``
    (a name for ``initializers.get`` or a callable ``init(shape, rng=, dtype=)``);
    ``b``: Parameter (n_out,) of zeros, or ``None`` when ``bias=False``.

    backward(g), g = dL/d(out) of shape (N, n_out):
        W.grad += x.T @ g      (n_in, n_out)
        b.grad += sum_n g[n]   (n_out,)
        returns g @ W.T        (N, n_in)

    Input of another dtype is cast to the layer's dtype, so a float32 layer computes,
    returns and accumulates in float32 throughout.
    """

    def __init__(self, n_in, n_out, init="glorot_uniform", rng=None, bias=True,
                 dtype=np.float64):
        super().__init__()
        self.n_in = _positive_int(n_in, "n_in", "Dense")
        self.n_out = _positive_int(n_out, "n_out", "Dense")
        self.dtype = _float_dtype(dtype, "Dense")
        _check_rng(rng, "Dense")
        init_fn = _initializers.get(init)
        try:
            W = np.asarray(init_fn((self.n_in, self.n_out), rng=rng, dtype=self.dtype))
        except TypeError as err:
            if rng is None:
                raise TypeError(f"Dense({self.n_in}, {self.n_out}): initializer {init!r} is "
                                "random: pass rng=np.random.default_rng(seed)") from err
            raise
        if W.shape != (self.n_in, self.n_out):
            raise ValueError(f"Dense: the initializer returned shape {W.shape}, "
                             f"expected {(self.n_in, self.n_out)}")
        self.W = Parameter(W.astype(self.dtype, copy=False), name="W")
        self.b = Parameter(np.zeros(self.n_out, dtype=self.dtype), name="b") if bias else None
        self.init = init

    def named_parameters(self):
        return [("W", self.W)] + ([("b", self.b)] if self.b is not None else [])

    def forward(self, x):
        """x: (N, n_in) -> x @ W + b: (N, n_out)."""
        x = np.asarray(x)
        if x.ndim != 2 or x.shape[1] != self.n_in:
            got = f"{x.shape[1]}" if x.ndim == 2 else f"an array of shape {x.shape}"
            raise ValueError(f"Dense(n_in={self.n_in}, n_out={self.n_out}) expects input of "
                             f"shape (N, {self.n_in}): expected n_in={self.n_in} features, "
                             f"got {got}")
        if x.dtype != self.dtype:
            if x.dtype.kind not in "fiub":
                raise TypeError(f"Dense: expected a real-valued input, got dtype {x.dtype}")
            x = x.astype(self.dtype)
        out = x @ self.W.data
        if self.b is not None:
            out += self.b.data
        self._cache = x
        return out

    def backward(self, grad_out, input_grad=True):
        """grad_out: (N, n_out) -> dL/dx: (N, n_in); accumulates W.grad and b.grad.

        ``input_grad=False`` skips the product ``g @ W.T`` and returns None: the first
        layer of a network needs no gradient for its input (the data), and that product
        is the most expensive one of a typical MLP's first layer.
        """
        x = self._cached()
        g = np.asarray(grad_out)
        _check_grad_shape(g, (x.shape[0], self.n_out), "Dense")
        if g.dtype != self.dtype:
            g = g.astype(self.dtype)
        self.W.grad += x.T @ g
        if self.b is not None:
            self.b.grad += g.sum(axis=0)
        return g @ self.W.data.T if input_grad else None

    def __repr__(self):
        extra = "" if self.b is not None else ", bias=False"
        extra += "" if self.dtype == np.float64 else f", dtype={self.dtype.name}"
        return f"Dense({self.n_in}→{self.n_out}{extra})"


# ------------------------------------------------------------------------ Activation
class Activation(Layer):
    """An activation function as a layer: ``out = f(z)``, elementwise (softmax: last axis).

    ``activation``: a name for ``activations.get`` (with its hyperparameters ``hyper``,
    e.g. ``Activation("leaky_relu", negative_slope=0.2)``) or an activation object.
    z: any shape -> out: same shape and dtype. backward: ``activation.backward(z, g)``.
    """

    def __init__(self, activation, **hyper):
        super().__init__()
        self.activation = _activations.get(activation, **hyper)

    def forward(self, x):
        z = _as_float_array(x, "Activation")
        self._cache = z
        return self.activation.forward(z)

    def backward(self, grad_out):
        z = self._cached()
        g = np.asarray(grad_out)
        _check_grad_shape(g, z.shape, f"Activation({self.activation.name})")
        return self.activation.backward(z, g)

    def __repr__(self):
        hyper = getattr(self.activation, "_hyper", ())
        args = "".join(f", {k}={getattr(self.activation, k)!r}" for k in hyper)
        return f"Activation({self.activation.name}{args})"


# ----------------------------------------------------------------------------- PReLU
class PReLU(Layer):
    """Parametric ReLU (He et al., 2015), PyTorch semantics.

    out = x if x > 0 else alpha * x, with ``alpha`` a *learned* Parameter of shape
    (num_parameters,), initialised to ``init`` (0.25). With ``num_parameters=1`` one
    slope is shared by every unit; otherwise there is one slope per feature of the
    **last** axis, so x must have shape (..., num_parameters).

    backward(g):  dL/dx = g if x > 0 else alpha * g
                  alpha.grad += sum of g * x over the entries with x <= 0
                  (over all entries if shared, per last-axis feature otherwise).
    """

    def __init__(self, num_parameters=1, init=0.25, dtype=np.float64):
        super().__init__()
        self.num_parameters = _positive_int(num_parameters, "num_parameters", "PReLU")
        self.init = _real(init, "init", "PReLU")
        dt = _float_dtype(dtype, "PReLU")
        self.alpha = Parameter(np.full(self.num_parameters, self.init, dtype=dt), name="alpha")

    def named_parameters(self):
        return [("alpha", self.alpha)]

    def forward(self, x):
        x = _as_float_array(x, "PReLU")
        if self.num_parameters > 1 and (x.ndim == 0 or x.shape[-1] != self.num_parameters):
            raise ValueError(f"PReLU(num_parameters={self.num_parameters}) expects input of "
                             f"shape (..., {self.num_parameters}) (one slope per feature of "
                             f"the last axis), got shape {x.shape}")
        alpha = self.alpha.data.astype(x.dtype, copy=False)
        positive = x > 0
        self._cache = (x, positive)
        return np.where(positive, x, alpha * x)

    def backward(self, grad_out):
        x, positive = self._cached()
        g = np.asarray(grad_out)
        _check_grad_shape(g, x.shape, "PReLU")
        alpha = self.alpha.data.astype(x.dtype, copy=False)
        gx_neg = np.where(positive, 0, g * x)
        if self.num_parameters == 1:
            self.alpha.grad += gx_neg.sum()
        else:
            self.alpha.grad += gx_neg.reshape(-1, self.num_parameters).sum(axis=0)
        return np.where(positive, g, alpha * g)

    def __repr__(self):
        return f"PReLU(num_parameters={self.num_parameters})"


# ----------------------------------------------------------------------------- RReLU
class RReLU(Layer):
    """Randomized leaky ReLU (Xu et al., 2015), PyTorch semantics.

    out = x if x >= 0 else a * x, where
      - training: a ~ U(lower, upper) drawn with ``rng`` independently for every entry
        of every forward call (kept for ``backward``);
      - eval: a = (lower + upper) / 2 for every entry (deterministic; no rng needed).
    backward(g): dL/dx = g * (1 if x >= 0 else a), with the same a as the forward.
    x: any shape -> out: same shape and dtype. No trainable parameters.
    ``rng`` may be None only if the layer is used in eval mode.
    """

    def __init__(self, lower=1 / 8, upper=1 / 3, rng=None):
        super().__init__()
        self.lower = _real(lower, "lower", "RReLU")
        self.upper = _real(upper, "upper", "RReLU")
        if not 0 <= self.lower <= self.upper:
            raise ValueError(f"RReLU: need 0 <= lower <= upper, got lower={self.lower}, "
                             f"upper={self.upper}")
        self.rng = _check_rng(rng, "RReLU")

    def forward(self, x):
        x = _as_float_array(x, "RReLU")
        if self.training:
            if self.rng is None:
                raise ValueError("RReLU in training mode draws random slopes: give it "
                                 "rng=np.random.default_rng(seed) (or call .eval())")
            u = self.rng.random(x.shape, dtype=np.float32 if x.dtype == np.float32
                                else np.float64).astype(x.dtype, copy=False)
            slope = self.lower + (self.upper - self.lower) * u
        else:
            slope = np.full(x.shape, (self.lower + self.upper) / 2, dtype=x.dtype)
        scale = np.where(x >= 0, np.ones((), dtype=x.dtype), slope)
        self._cache = scale
        return x * scale

    def backward(self, grad_out):
        scale = self._cached()
        g = np.asarray(grad_out)
        _check_grad_shape(g, scale.shape, "RReLU")
        return g * scale

    def __repr__(self):
        return f"RReLU(lower={self.lower:.4g}, upper={self.upper:.4g})"


# --------------------------------------------------------------------------- Dropout
class Dropout(Layer):
    """Inverted dropout (Srivastava et al., 2014).

    **p is the probability of DROPPING a unit**, as in PyTorch and Keras. The lecture
    writes the probability of *keeping* it, ``keep_prob``: the two are related by
        keep_prob = 1 - p      (lecture's keep_prob = 0.8  <->  Dropout(p=0.2)).
    Both are attributes: ``layer.p`` and ``layer.keep_prob``.

    Training: out = x * mask / keep_prob, mask ~ Bernoulli(keep_prob) drawn with ``rng``
    for every entry of every forward call, so E[out] = x. backward(g) = g * mask / keep_prob
    with the *same* mask. Eval mode, or p = 0: the identity (out = x, dL/dx = g).
    x: any shape -> out: same shape and dtype. p must be in [0, 1).
    """

    def __init__(self, p=0.5, rng=None):
        super().__init__()
        p = _real(p, "p", "Dropout")
        if not 0 <= p < 1:
            raise ValueError(f"Dropout: p is the drop probability and must be in [0, 1), "
                             f"got p={p} (the lecture's keep_prob is 1 - p)")
        self.p = p
        self.keep_prob = 1.0 - p
        self.rng = _check_rng(rng, "Dropout")
        self.mask = None

    def forward(self, x):
        x = _as_float_array(x, "Dropout")
        if not self.training or self.p == 0:
            self.mask = None
            self._cache = ("identity", x.shape)
            return x
        if self.rng is None:
            raise ValueError("Dropout in training mode draws a random mask: give it "
                             "rng=np.random.default_rng(seed) (or call .eval())")
        self.mask = self.rng.random(x.shape) < self.keep_prob
        scaled = self.mask.astype(x.dtype)
        scaled *= 1.0 / self.keep_prob
        self._cache = ("mask", scaled)
        return x * scaled

    def backward(self, grad_out):
        kind, value = self._cached()
        g = np.asarray(grad_out)
        _check_grad_shape(g, value if kind == "identity" else value.shape, "Dropout")
        return g if kind == "identity" else g * value

    def __repr__(self):
        return f"Dropout(p={self.p:g})"
