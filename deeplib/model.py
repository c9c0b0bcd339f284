"""Models: a stack of layers (``Sequential``) and a one-line MLP builder (``make_mlp``)."""

import numpy as np

from deeplib import initializers as _initializers
from deeplib.layers import Activation, Dense, Dropout, Layer, PReLU, RReLU

__all__ = ["Sequential", "make_mlp"]


class Sequential(Layer):
    """Layers applied one after the other: ``out = layers[-1](...layers[0](x))``.

    ``Sequential(l1, l2, ...)`` or ``Sequential([l1, l2, ...])``.
    forward: through the layers in order; backward(g): through them in reverse order,
    each layer accumulating its own parameter gradients; returns dL/dx.
    ``parameters()`` is the flat list of every layer's parameters, in order;
    ``named_parameters()`` names them ``"<index>.<name>"`` (e.g. ``"0.W"``, ``"3.alpha"``).
    ``train()``/``eval()`` set the mode of every layer. Supports ``len``, indexing
    (a slice gives a Sequential) and iteration over ``layers``.
    """

    def __init__(self, *layers):
        super().__init__()
        if len(layers) == 1 and isinstance(layers[0], (list, tuple)):
            layers = tuple(layers[0])
        for i, layer in enumerate(layers):
            if not (callable(getattr(layer, "forward", None))
                    and callable(getattr(layer, "backward", None))):
                raise TypeError(f"Sequential: layer {i} ({layer!r}) is not a layer "
                                "(it needs forward and backward methods)")
        self.layers = list(layers)

    def forward(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        self._cache = True
        return x

    def backward(self, grad_out, input_grad=True):
        """Backward through the layers in reverse order; returns dL/dx.

        ``input_grad=False``: the caller does not need dL/dx (e.g. a training step, where
        x is the data): returns None and lets a first ``Dense`` layer skip its most
        expensive product ``g @ W.T``. Parameter gradients are the same either way.
        """
        self._cached()
        g = grad_out
        last = len(self.layers) - 1
        for i, layer in enumerate(reversed(self.layers)):
            if i == last and not input_grad:
                if isinstance(layer, (Dense, Sequential)):
                    return layer.backward(g, input_grad=False)
                layer.backward(g)
                return None
            g = layer.backward(g)
        return g if input_grad else None

    def named_parameters(self):
        named = []
        for i, layer in enumerate(self.layers):
            if hasattr(layer, "named_parameters"):
                pairs = layer.named_parameters()
            else:
                pairs = [(p.name or f"param{j}", p) for j, p in enumerate(layer.parameters())]
            named.extend((f"{i}.{name}", p) for name, p in pairs)
        return named

    def parameters(self):
        return [p for layer in self.layers for p in layer.parameters()]

    def train(self, mode=True):
        self.training = bool(mode)
        for layer in self.layers:
            layer.train(mode)
        return self

    def __len__(self):
        return len(self.layers)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return Sequential(self.layers[index])
        return self.layers[index]

    def __iter__(self):
        return iter(self.layers)

    def __repr__(self):
        parts = [repr(layer) for layer in self.layers]
        one_line = f"Sequential({', '.join(parts)})"
        if len(one_line) <= 88:
            return one_line
        body = "".join(f"\n  ({i}) {p}," for i, p in enumerate(parts))
        return f"Sequential({body}\n)"


def _hidden_activation(activation, dtype, rng, hyper):
    """The layer for a hidden activation: PReLU/RReLU layers or an Activation."""
    if isinstance(activation, str) and activation.lower() == "prelu":
        return PReLU(dtype=dtype, **hyper)
    if isinstance(activation, str) and activation.lower() == "rrelu":
        return RReLU(rng=rng, **hyper)
    return Activation(activation, **hyper)


def make_mlp(sizes, activation="relu", init=None, dropout=0.0, rng=None,
             output_activation=None, dtype=np.float64, **activation_hyper):
    """A multilayer perceptron ``sizes = [n_in, h1, ..., n_out]`` as a ``Sequential``.

    For each hidden layer: ``Dense(n_prev, h)``, the activation (any name for
    ``activations.get``, with ``activation_hyper``, or the layer types ``"prelu"`` /
    ``"rrelu"``), then ``Dropout(dropout)`` if ``dropout > 0`` (drop probability, see
    ``Dropout``). Then a final ``Dense(h_last, n_out)``, followed by
    ``Activation(output_activation)`` only if one is given: by default the model returns
    logits, which is what the losses take.
    ``init=None`` uses ``initializers.recommended_initializer(activation)`` (He for ReLUs,
    LeCun for SELU, Glorot for tanh/sigmoid) for every Dense layer.
    ``rng`` draws the weights (and Dropout masks / RReLU slopes); ``dtype`` of the weights.

    >>> make_mlp([64, 32, 10], rng=np.random.default_rng(0))
    Sequential(Dense(64→32), Activation(relu), Dense(32→10))
    """
    try:
        ok = len(sizes) >= 2 and all(
            isinstance(s, (int, np.integer)) and not isinstance(s, bool) and s >= 1
            for s in sizes)
    except TypeError:
        ok = False
    if not ok:
        raise ValueError(f"make_mlp: sizes must be a list [n_in, h1, ..., n_out] of at least "
                         f"two positive integers, got {sizes!r}")
    if isinstance(dropout, bool) or not isinstance(dropout, (int, float, np.integer, np.floating)):
        raise TypeError(f"make_mlp: dropout must be a number (the drop probability), got {dropout!r}")
    if not 0 <= dropout < 1:
        raise ValueError(f"make_mlp: dropout is the drop probability and must be in [0, 1), "
                         f"got {dropout}")
    sizes = [int(s) for s in sizes]
    if init is None:
        init = _initializers.recommended_initializer(activation)
    layers = []
    for n_in, n_out in zip(sizes[:-2], sizes[1:-1]):
        layers.append(Dense(n_in, n_out, init=init, rng=rng, dtype=dtype))
        layers.append(_hidden_activation(activation, dtype, rng, activation_hyper))
        if dropout > 0:
            layers.append(Dropout(dropout, rng=rng))
    layers.append(Dense(sizes[-2], sizes[-1], init=init, rng=rng, dtype=dtype))
    if output_activation is not None:
        layers.append(Activation(output_activation))
    return Sequential(layers)
