"""Optimizers with PyTorch 2.x names, arguments, defaults and update rules.

The base class ``Optimizer`` owns everything that is not maths: the list of parameters,
the loop over them, the step counter ``t`` and the per-parameter ``state`` dict,
``zero_grad`` and the validation of hyperparameters. A rule is then only its maths::

    class SignSGD(Optimizer):
        def __init__(self, params, lr=1e-2):
            super().__init__(params, lr=lr)

        def update(self, param, state):          # θ ← θ − γ sign(g)
            param.data -= self.lr * np.sign(param.grad)

Notation (as in ``docs/optimizer-equations.md``): θ = ``param.data`` (any shape),
g = ``param.grad`` (same shape), γ = ``lr``, t = ``state["step"]`` (1 at the first
step). Every array in ``state`` has θ's shape and dtype, so float32 stays float32.
Coupled weight decay λ (``weight_decay``) replaces g by g + λθ before the rule
(``grad_with_weight_decay``); AdamW instead shrinks θ ← θ(1 − γλ).
"""

import numbers

import numpy as np

__all__ = ["Optimizer", "SGD", "Adagrad", "RMSprop", "Adam", "NAdam", "Adamax", "AdamW"]


class Optimizer:
    """Base class: loops over the parameters and keeps one ``state`` dict per parameter.

    Subclasses call ``super().__init__(params, lr=lr, ...)`` with their hyperparameters,
    which become attributes (``self.lr``, ...; a schedule may change ``opt.lr`` between
    steps), and implement ``update(param, state)``.

    Parameters
    ----------
    params : iterable of Parameter
        The parameters to train (``model.parameters()``); the list is copied.
    **hyper
        Hyperparameters. Those with a usual name are validated: ``lr``, ``eps``,
        ``weight_decay``, ``momentum``, ``alpha``, ``lr_decay``,
        ``initial_accumulator_value`` and ``momentum_decay`` must be >= 0, and
        ``betas`` must be two numbers in [0, 1).
    """

    def __init__(self, params, **hyper):
        self.params = _parameter_list(params, type(self).__name__)
        self.hyper_names = tuple(hyper)
        for name, value in hyper.items():
            setattr(self, name, value)
        self._validate(hyper)
        self.state = {}  # id(param) -> {"step": t, ...}

    def zero_grad(self):
        """Set every parameter's gradient to zero, in place (layers accumulate with +=)."""
        for p in self.params:
            p.grad[...] = 0

    def step(self):
        """Apply one update to every parameter: t ← t + 1, then ``update(param, state)``."""
        for p in self.params:
            state = self.state.setdefault(id(p), {"step": 0})
            state["step"] += 1  # so t counts from 1 inside update
            self.update(p, state)

    def update(self, param, state):
        """Update ``param.data`` in place from ``param.grad``; the rule's maths only.

        ``state`` is this parameter's dict: ``state["step"]`` is t (1 at the first call);
        store running averages in it (create them when t == 1).
        """
        raise NotImplementedError(
            f"{type(self).__name__} must implement update(self, param, state): "
            "change param.data in place using param.grad and the hyperparameters")

    def grad_with_weight_decay(self, param):
        """g + λθ (coupled L2 weight decay, as PyTorch); λ = ``self.weight_decay`` or 0.

        Returns a new array when λ != 0, otherwise ``param.grad`` itself: read it,
        do not modify it in place.
        """
        weight_decay = getattr(self, "weight_decay", 0)
        if weight_decay == 0:
            return param.grad
        return param.grad + weight_decay * param.data

    def __repr__(self):
        hyper = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.hyper_names)
        n = len(self.params)
        return f"{type(self).__name__}({hyper}; {n} parameter{'s' if n != 1 else ''})"

    def _validate(self, hyper):
        cls = type(self).__name__
        for name in _NON_NEGATIVE:
            if name in hyper:
                value = hyper[name]
                if isinstance(value, bool) or not isinstance(value, numbers.Real):
                    raise TypeError(f"{cls}: {name} must be a number, got {value!r}")
                if not value >= 0:  # also rejects NaN
                    raise ValueError(f"{cls}: {name} must be >= 0, got {value!r}")
        if "betas" in hyper:
            betas = hyper["betas"]
            if not (isinstance(betas, (tuple, list)) and len(betas) == 2
                    and all(isinstance(b, numbers.Real) and not isinstance(b, bool)
                            for b in betas)):
                raise TypeError(f"{cls}: betas must be a pair of numbers (beta1, beta2), "
                                f"got {betas!r}")
            for i, beta in enumerate(betas):
                if not 0 <= beta < 1:
                    raise ValueError(f"{cls}: betas[{i}] must be in [0, 1), got {beta!r}")
            self.betas = tuple(betas)


_NON_NEGATIVE = ("lr", "eps", "weight_decay", "momentum", "alpha", "lr_decay",
                 "initial_accumulator_value", "momentum_decay")


def _parameter_list(params, cls):
    if hasattr(params, "data") and hasattr(params, "grad"):
        raise TypeError(f"{cls}: params must be an iterable of Parameters, got a single "
                        "Parameter; pass [param] or model.parameters()")
    try:
        params = list(params)
    except TypeError:
        raise TypeError(f"{cls}: params must be an iterable of Parameters "
                        f"(e.g. model.parameters()), got {type(params).__name__}") from None
    if not params:
        raise ValueError(f"{cls}: got an empty parameter list")
    for p in params:
        if not (hasattr(p, "data") and hasattr(p, "grad")):
            raise TypeError(f"{cls}: params must be Parameters (with .data and .grad), got "
                            f"a {type(p).__name__}; did you pass model instead of "
                            "model.parameters()?")
    if len({id(p) for p in params}) != len(params):
        raise ValueError(f"{cls}: a parameter appears more than once in params")
    return params


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum μ, dampening τ and Nesterov.

        g ← g + λθ
        b_1 = g_1;  b_t = μ b_{t-1} + (1 − τ) g_t        (only if μ > 0)
        d_t = g_t + μ b_t if nesterov else b_t          (d_t = g_t if μ = 0)
        θ_t = θ_{t-1} − γ d_t

    With constant γ, b is the textbook velocity divided by −γ (v = −γb).
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0,
                 nesterov=False):
        super().__init__(params, lr=lr, momentum=momentum, dampening=dampening,
                         weight_decay=weight_decay, nesterov=nesterov)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("SGD: nesterov=True requires momentum > 0 and dampening = 0, "
                             f"got momentum={momentum!r}, dampening={dampening!r}")

    def update(self, param, state):
        g = self.grad_with_weight_decay(param)
        if self.momentum != 0:
            if state["step"] == 1:
                state["momentum_buffer"] = np.array(g)  # b_1 = g_1 (a copy)
            else:
                b = state["momentum_buffer"]
                b[...] = self.momentum * b + (1 - self.dampening) * g
            b = state["momentum_buffer"]
            g = g + self.momentum * b if self.nesterov else b
        param.data -= self.lr * g


class Adagrad(Optimizer):
    """AdaGrad: per-coordinate step sizes shrink with the sum of squared gradients.

        g ← g + λθ
        G_0 = initial_accumulator_value;  G_t = G_{t-1} + g_t²
        γ_t = γ / (1 + (t − 1) · lr_decay)
        θ_t = θ_{t-1} − γ_t g_t / (√G_t + ε)          (ε outside the root)
    """

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0,
                 initial_accumulator_value=0, eps=1e-10):
        super().__init__(params, lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                         initial_accumulator_value=initial_accumulator_value, eps=eps)

    def update(self, param, state):
        g = self.grad_with_weight_decay(param)
        t = state["step"]
        if t == 1:
            state["sum"] = np.full_like(param.data, self.initial_accumulator_value)
        G = state["sum"]
        G += g * g
        lr_t = self.lr / (1 + (t - 1) * self.lr_decay)
        param.data -= lr_t * g / (np.sqrt(G) + self.eps)


class RMSprop(Optimizer):
    """RMSprop: divide by a running root mean square of the gradients.

        g ← g + λθ
        v_t = α v_{t-1} + (1 − α) g_t²
        centered:  ḡ_t = α ḡ_{t-1} + (1 − α) g_t;  s_t = v_t − ḡ_t²   (else s_t = v_t)
        momentum μ > 0:  b_t = μ b_{t-1} + g_t / (√s_t + ε);  θ_t = θ_{t-1} − γ b_t
        otherwise:       θ_t = θ_{t-1} − γ g_t / (√s_t + ε)          (ε outside the root)
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False):
        super().__init__(params, lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                         momentum=momentum, centered=centered)

    def update(self, param, state):
        g = self.grad_with_weight_decay(param)
        a = self.alpha
        if state["step"] == 1:
            state["square_avg"] = np.zeros_like(param.data)
            if self.centered:
                state["grad_avg"] = np.zeros_like(param.data)
            if self.momentum > 0:
                state["momentum_buffer"] = np.zeros_like(param.data)
        v = state["square_avg"]
        v[...] = a * v + (1 - a) * g * g
        if self.centered:
            g_avg = state["grad_avg"]
            g_avg[...] = a * g_avg + (1 - a) * g
            s = np.maximum(v - g_avg * g_avg, 0)  # >= 0 in exact arithmetic
        else:
            s = v
        step = g / (np.sqrt(s) + self.eps)
        if self.momentum > 0:
            b = state["momentum_buffer"]
            b[...] = self.momentum * b + step
            step = b
        param.data -= self.lr * step


class Adam(Optimizer):
    """Adam: momentum on g and RMSprop on g², both bias-corrected.

        g ← g + λθ                                       (coupled; see AdamW)
        m_t = β1 m_{t-1} + (1 − β1) g_t
        v_t = β2 v_{t-1} + (1 − β2) g_t²
        m̂_t = m_t / (1 − β1^t);   v̂_t = v_t / (1 − β2^t)
        amsgrad:  v̂_t = max_{i≤t} v_i / (1 − β2^t)
        θ_t = θ_{t-1} − γ m̂_t / (√v̂_t + ε)
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                         amsgrad=amsgrad)

    def update(self, param, state):
        self.adam_step(param, state, self.grad_with_weight_decay(param))

    def adam_step(self, param, state, g):
        """The Adam update of ``param.data`` from the gradient ``g`` (θ's shape)."""
        beta1, beta2 = self.betas
        t = state["step"]
        if t == 1:
            state["exp_avg"] = np.zeros_like(param.data)
            state["exp_avg_sq"] = np.zeros_like(param.data)
            if self.amsgrad:
                state["max_exp_avg_sq"] = np.zeros_like(param.data)
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m[...] = beta1 * m + (1 - beta1) * g
        v[...] = beta2 * v + (1 - beta2) * g * g
        if self.amsgrad:
            np.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
            v = state["max_exp_avg_sq"]
        m_hat = m / (1 - beta1**t)
        v_hat = v / (1 - beta2**t)
        param.data -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter):

        θ ← θ (1 − γλ), then the Adam step with the plain gradient g (no λθ added).
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                         amsgrad=amsgrad)

    def update(self, param, state):
        param.data *= 1 - self.lr * self.weight_decay
        self.adam_step(param, state, param.grad)


class NAdam(Optimizer):
    """NAdam: Adam with Nesterov momentum and a warming-up momentum schedule μ_t.

        g ← g + λθ
        μ_t = β1 (1 − ½ · 0.96^(t ψ));   P_t = μ_1 μ_2 … μ_t     (ψ = momentum_decay)
        m_t, v_t as in Adam
        m̂_t = μ_{t+1} m_t / (1 − P_t μ_{t+1}) + (1 − μ_t) g_t / (1 − P_t)
        v̂_t = v_t / (1 − β2^t)
        θ_t = θ_{t-1} − γ m̂_t / (√v̂_t + ε)
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 momentum_decay=4e-3):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                         momentum_decay=momentum_decay)

    def update(self, param, state):
        g = self.grad_with_weight_decay(param)
        beta1, beta2 = self.betas
        t = state["step"]
        if t == 1:
            state["exp_avg"] = np.zeros_like(param.data)
            state["exp_avg_sq"] = np.zeros_like(param.data)
            state["mu_product"] = 1.0
        mu = beta1 * (1 - 0.5 * 0.96 ** (t * self.momentum_decay))
        mu_next = beta1 * (1 - 0.5 * 0.96 ** ((t + 1) * self.momentum_decay))
        state["mu_product"] *= mu
        P = state["mu_product"]
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m[...] = beta1 * m + (1 - beta1) * g
        v[...] = beta2 * v + (1 - beta2) * g * g
        m_hat = mu_next * m / (1 - P * mu_next) + (1 - mu) * g / (1 - P)
        v_hat = v / (1 - beta2**t)
        param.data -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


class Adamax(Optimizer):
    """Adamax: Adam with the infinity norm in place of the root mean square.

        g ← g + λθ
        m_t = β1 m_{t-1} + (1 − β1) g_t
        u_t = max(β2 u_{t-1}, |g_t| + ε)
        θ_t = θ_{t-1} − (γ / (1 − β1^t)) m_t / u_t
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)

    def update(self, param, state):
        g = self.grad_with_weight_decay(param)
        beta1, beta2 = self.betas
        t = state["step"]
        if t == 1:
            state["exp_avg"] = np.zeros_like(param.data)
            state["exp_inf"] = np.zeros_like(param.data)
        m, u = state["exp_avg"], state["exp_inf"]
        m[...] = beta1 * m + (1 - beta1) * g
        u[...] = np.maximum(beta2 * u, np.abs(g) + self.eps)
        param.data -= self.lr / (1 - beta1**t) * m / u
