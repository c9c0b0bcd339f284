"""A trainable array and its gradient."""

import numpy as np


class Parameter:
    """A trainable array ``data`` with a gradient ``grad`` of the same shape and dtype.

    Layers *accumulate* into ``grad`` in ``backward`` (``grad += ...``), like PyTorch;
    an optimizer's ``zero_grad()`` resets it to zeros.
    """

    def __init__(self, data, name=None):
        data = np.asarray(data)
        if not np.issubdtype(data.dtype, np.floating):
            data = data.astype(np.float64)
        self.data = data
        self.grad = np.zeros_like(data)
        self.name = name

    @property
    def shape(self):
        return self.data.shape

    @property
    def dtype(self):
        return self.data.dtype

    def zero_grad(self):
        """Set the gradient to zeros (in place, so views of it stay valid)."""
        self.grad[...] = 0

    def __repr__(self):
        name = f"{self.name!r}, " if self.name else ""
        return f"Parameter({name}shape={self.data.shape}, dtype={self.data.dtype})"
