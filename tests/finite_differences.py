"""An independent finite-difference oracle for the tests (deliberately not deeplib.gradcheck)."""

import numpy as np


def fd_grad(f, x, eps=1e-6):
    """Central-difference gradient of a scalar ``f()`` with respect to ``x`` (changed in place, restored)."""
    g = np.zeros_like(x, dtype=np.float64)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + eps
        fp = f()
        x[idx] = old - eps
        fm = f()
        x[idx] = old
        g[idx] = (fp - fm) / (2 * eps)
    return g


def rel(a, b):
    """||a - b|| / (||a|| + ||b||), 0 for two zero arrays."""
    return np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-300)
