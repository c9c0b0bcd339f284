"""The one input conversion deeplib's modules share."""

import numpy as np


def as_float_array(x, what):
    """``x`` as a floating ndarray: float dtypes kept (no copy), ints/bools -> float64.

    Anything else (complex, object, strings) raises ``TypeError`` naming ``what``.
    """
    x = np.asarray(x)
    if x.dtype.kind == "f":
        return x
    if x.dtype.kind in "biu":
        return x.astype(np.float64)
    raise TypeError(f"{what} must be a real-valued array, got dtype {x.dtype}")
