"""The course's checker helpers: assertions whose failure message teaches.

Visible and hidden test cells call these instead of bare ``assert`` or
``np.allclose`` so that a failure says

* which case failed (``case=...``, a short human description),
* what was expected and what was got (shapes, a few values, the worst index),
* the usual cause of that failure (``hint=...``).

Every helper raises ``AssertionError`` on failure and returns nothing useful on
success (``call`` and ``check_no_warnings`` return the function's result).

Robust to tampering: the NumPy functions used here are captured when this module
is imported, so a learner who rebinds ``np.allclose`` or ``np.testing.assert_allclose``
in an answer cell does not change any verdict. The closeness test itself is written
with ufuncs (``|got - expected| <= atol + rtol * |expected|``), not ``np.allclose``.
"""

import contextlib as _contextlib
import io as _io
import math as _math
import warnings as _warnings

import numpy as _np

__all__ = [
    "call",
    "check_close",
    "check_shape",
    "check_dtype",
    "check_finite",
    "check_true",
    "check_no_warnings",
    "check_returns_array",
    "check_uses_only_rng",
]

# ---------------------------------------------------------------------------
# NumPy internals captured at import time (a learner rebinding np.xxx later
# does not affect these references).
_asarray = _np.asarray
_ndarray = _np.ndarray
_dtype = _np.dtype
_errstate = _np.errstate
_unravel_index = _np.unravel_index
_issubdtype = _np.issubdtype
_number = _np.number
_bool_ = _np.bool_
_float64 = _np.float64
_complexfloating = _np.complexfloating
_ufunc_abs = _np.absolute
_ufunc_subtract = _np.subtract
_ufunc_multiply = _np.multiply
_ufunc_add = _np.add
_ufunc_less_equal = _np.less_equal
_ufunc_isnan = _np.isnan
_ufunc_isinf = _np.isinf
_ufunc_isfinite = _np.isfinite
_ufunc_equal = _np.equal
_ufunc_logical_and = _np.logical_and
_ufunc_logical_or = _np.logical_or
_ufunc_logical_not = _np.logical_not
_ufunc_signbit = _np.signbit
_ndarray_all = _np.ndarray.all
_ndarray_any = _np.ndarray.any
_ndarray_sum = _np.ndarray.sum
_ndarray_argmax = _np.ndarray.argmax
_ndarray_ravel = _np.ndarray.ravel
_ndarray_tolist = _np.ndarray.tolist
_ndarray_astype = _np.ndarray.astype
_ndarray_nonzero = _np.ndarray.nonzero
_where = _np.where
_catch_warnings = _warnings.catch_warnings
_simplefilter = _warnings.simplefilter
_redirect_stderr = _contextlib.redirect_stderr
_StringIO = _io.StringIO
# The legacy global generator behind np.random.normal, np.random.uniform, np.random.rand, ...
_global_random_state = _np.random.mtrand._rand
_global_get_state = _global_random_state.get_state

_NONE_MESSAGE = "your function returned None: did you forget `return`?"
_NOT_IMPLEMENTED = (
    "your function still raises NotImplementedError: you have not written this "
    "function yet (replace the `raise NotImplementedError()` line with your code)"
)

# Usual causes of the warnings NumPy emits, keyed by a fragment of the message.
_WARNING_HINTS = (
    ("overflow encountered in exp",
     "np.exp of a large positive number overflows: use a stable form that only "
     "exponentiates non-positive numbers (e.g. np.exp(-np.abs(z))), or np.logaddexp"),
    ("overflow",
     "an intermediate value became larger than the dtype can hold: rearrange the "
     "formula (factor out the largest term) or work on a smaller scale"),
    ("divide by zero",
     "a denominator was exactly 0: guard it (e.g. np.maximum(denominator, tiny)) "
     "or treat that case separately"),
    ("invalid value",
     "an operation produced NaN (0/0, inf - inf, inf * 0 or log of a negative "
     "number): compute the value in a form that never forms these"),
    ("underflow",
     "a value became too small for the dtype: this is usually harmless, but "
     "np.seterr was asked to warn about it"),
)


# ---------------------------------------------------------------------------
# Formatting helpers
def _fail(case, lines, hint=None):
    """Raise an AssertionError naming the case, with indented details and the hint."""
    text = [f"Check failed for case: {case}"]
    text += [f"  {line}" for line in lines]
    if hint:
        text.append(f"  Usual cause: {hint}")
    raise AssertionError("\n".join(text))


def _fmt_scalar(value, digits=6):
    """A short readable form of one number (6 significant digits by default)."""
    try:
        if isinstance(value, (bool, _bool_)):
            return str(bool(value))
        if isinstance(value, complex) or _issubdtype(type(value), _complexfloating):
            return f"{complex(value):.{digits}g}"
        return f"{float(value):.{digits}g}"
    except (TypeError, ValueError):
        return repr(value)


def _fmt_exact(value):
    """The shortest form that identifies the number exactly (Python's repr)."""
    try:
        return repr(complex(value) if _issubdtype(type(value), _complexfloating) else float(value))
    except (TypeError, ValueError):
        return repr(value)


def _fmt_array(arr, edge=3, limit=12):
    """A few values of an array: nested lists for small arrays, else first/last values.

    Written by hand (not np.array2string) so that no NumPy function is looked up
    while the message is built.
    """
    if arr.ndim == 0:
        return _fmt_scalar(arr[()])
    if arr.size <= limit and arr.ndim <= 2:
        def fmt(value):
            if isinstance(value, list):
                return "[" + ", ".join(fmt(v) for v in value) + "]"
            return _fmt_scalar(value)
        return fmt(_ndarray_tolist(arr))
    flat = _ndarray_tolist(_ndarray_ravel(arr))
    head = ", ".join(_fmt_scalar(v) for v in flat[:edge])
    tail = ", ".join(_fmt_scalar(v) for v in flat[-edge:])
    return f"[{head}, ..., {tail}] (flattened, {arr.size} values)"


def _fmt_index(index):
    """An index tuple written as Python would index the array."""
    if len(index) == 0:
        return "()"
    return "[" + ", ".join(str(int(i)) for i in index) + "]"


def _type_name(value):
    return type(value).__name__


def _as_numeric_array(got, case, what="your result", hint=None):
    """Convert got to a numeric ndarray, failing clearly for None and non-numbers."""
    if got is None:
        _fail(case, [_NONE_MESSAGE], hint)
    try:
        arr = _asarray(got)
    except Exception as exc:  # ragged lists and the like
        _fail(case, [f"{what} could not be read as an array ({_type_name(got)}): {exc}"], hint)
    if arr.dtype.kind == "O" or not (
        _issubdtype(arr.dtype, _number) or arr.dtype.kind == "b"
    ):
        _fail(case, [f"{what} is not numeric: got a {_type_name(got)} "
                     f"with dtype {arr.dtype}: {got!r:.200}"], hint)
    return arr


# ---------------------------------------------------------------------------
# Calling the learner's function
def call(fn, *args, case, **kwargs):
    """Call ``fn(*args, **kwargs)``; a NotImplementedError becomes a clear failure.

    Returns whatever fn returns (None included; the check_* helpers name that case).
    """
    try:
        return fn(*args, **kwargs)
    except NotImplementedError:
        pass
    _fail(case, [_NOT_IMPLEMENTED])  # outside the except: no chained traceback


def _warning_hint(message):
    for fragment, hint in _WARNING_HINTS:
        if fragment in message:
            return hint
    return None


def check_no_warnings(fn, *args, case, hint=None, **kwargs):
    """Call ``fn(*args, **kwargs)`` and fail if it warns or writes to stderr.

    NumPy floating-point errors (overflow, divide by zero, invalid value) are set
    to warn during the call, even if the learner silenced them with np.seterr.
    Under nbgrader any warning in a test cell scores 0, so this names the warning
    and its usual cause. Returns fn's result.
    """
    stderr = _StringIO()
    with _catch_warnings(record=True) as caught, _errstate(
        over="warn", divide="warn", invalid="warn"
    ), _redirect_stderr(stderr):
        _simplefilter("always")
        try:
            result = fn(*args, **kwargs)
        except NotImplementedError:
            result = None
            not_implemented = True
        else:
            not_implemented = False
    if not_implemented:
        _fail(case, [_NOT_IMPLEMENTED])
    if caught:
        first = caught[0]
        message = str(first.message)
        lines = [f"your code raised a warning: {first.category.__name__}: {message}"]
        if len(caught) > 1:
            others = sorted({f"{w.category.__name__}: {w.message}" for w in caught[1:]} - {
                f"{first.category.__name__}: {message}"})
            if others:
                lines.append("other warnings: " + "; ".join(others[:3]))
        lines.append("(a warning in a test cell scores 0 under nbgrader, even when the "
                     "values are right)")
        _fail(case, lines, hint or _warning_hint(message))
    written = stderr.getvalue()
    if written.strip():
        _fail(case, [f"your code wrote to stderr: {written.strip()[:300]!r}",
                     "(anything written to stderr in a test cell scores 0 under nbgrader)"],
              hint)
    return result


# ---------------------------------------------------------------------------
# Checks on values
def check_returns_array(got, *, case, shape=None, dtype=None, hint=None):
    """Fail unless got is a NumPy array (optionally of the given shape and dtype)."""
    if got is None:
        _fail(case, [_NONE_MESSAGE], hint)
    if not isinstance(got, _ndarray):
        _fail(case, [f"expected a NumPy array, got a {_type_name(got)}: {got!r:.200}"],
              hint or "wrap the result with np.asarray(...) or build it with NumPy "
                      "operations instead of Python lists/loops")
    if shape is not None:
        check_shape(got, shape, case=case, hint=hint)
    if dtype is not None:
        check_dtype(got, dtype, case=case, hint=hint)


def check_shape(got, shape, *, case, hint=None):
    """Fail unless ``got`` has exactly the given shape."""
    if got is None:
        _fail(case, [_NONE_MESSAGE], hint)
    expected = tuple(int(s) for s in shape) if not isinstance(shape, int) else (int(shape),)
    try:
        actual = tuple(_asarray(got).shape)
    except Exception:
        actual = None
    if actual != expected:
        lines = [f"expected shape {expected}, got shape {actual} ({_type_name(got)})"]
        if actual is not None and sorted(actual) == sorted(expected) and len(expected) > 1:
            lines.append("the same sizes in another order: a missing or extra transpose?")
        _fail(case, lines, hint)


def check_dtype(got, dtype, *, case, hint=None):
    """Fail unless ``got`` is an array with the given dtype (float32 in, float32 out)."""
    if got is None:
        _fail(case, [_NONE_MESSAGE], hint)
    expected = _dtype(dtype)
    actual = getattr(got, "dtype", None)
    if actual is None:
        _fail(case, [f"expected an array of dtype {expected}, got a {_type_name(got)}"],
              hint)
    if _dtype(actual) != expected:
        _fail(case, [f"expected dtype {expected}, got dtype {actual}"],
              hint or "a Python float or a float64 constant mixed into the computation "
                      "can upcast the result; keep the input's dtype (e.g. x.dtype.type(0.5))")


def check_finite(got, *, case, hint=None):
    """Fail if ``got`` contains NaN or ±inf; name how many and where the first is."""
    arr = _as_numeric_array(got, case, hint=hint)
    bad = _asarray(_ufunc_logical_not(_ufunc_isfinite(arr)))
    n_bad = int(_ndarray_sum(bad))
    if n_bad:
        flat = _ndarray_ravel(_asarray(bad))
        first = int(_ndarray_argmax(flat))
        index = _unravel_index(first, arr.shape) if arr.ndim else ()
        value = arr[tuple(index)] if arr.ndim else arr[()]
        _fail(case, [
            f"expected only finite values, got {n_bad} non-finite of {arr.size} "
            f"(shape {arr.shape})",
            f"first at index {_fmt_index(index)}: {_fmt_scalar(value)}",
        ], hint or "NaN or inf usually comes from an overflow (exp of a large number), "
                   "a division by zero or log(0)")


def check_true(cond, *, case, message=None, hint=None):
    """Fail unless ``cond`` is true (an array counts as true when all entries are)."""
    if isinstance(cond, _ndarray):
        ok = bool(_ndarray_all(cond))
    else:
        ok = bool(cond)
    if not ok:
        _fail(case, [message or "the condition does not hold"], hint)


def check_close(got, expected, *, case, hint=None, rtol=1e-6, atol=1e-8):
    """Fail unless ``|got - expected| <= atol + rtol * |expected|`` everywhere.

    Shapes must match exactly (no broadcasting). NaN matches only NaN, and an
    infinity only the same infinity. The message gives the shapes, the number of
    mismatches, the worst index with both values, and a few values of each array.
    """
    got_arr = _as_numeric_array(got, case, hint=hint)
    exp_arr = _asarray(expected)
    if tuple(got_arr.shape) != tuple(exp_arr.shape):
        lines = [f"expected shape {tuple(exp_arr.shape)}, got shape {tuple(got_arr.shape)}"]
        if sorted(got_arr.shape) == sorted(exp_arr.shape) and got_arr.ndim > 1:
            lines.append("the same sizes in another order: a missing or extra transpose?")
        elif got_arr.size == exp_arr.size:
            lines.append("same number of values: a reshape, a missing keepdims or an "
                         "extra axis?")
        else:
            lines.append("a sum or mean over the wrong axis, or a missing/extra axis?")
        lines.append(f"expected: {_fmt_array(exp_arr)}")
        lines.append(f"got:      {_fmt_array(got_arr)}")
        _fail(case, lines, hint)

    complex_ = got_arr.dtype.kind == "c" or exp_arr.dtype.kind == "c"
    target = "complex128" if complex_ else _float64
    g = _ndarray_astype(got_arr, target)
    e = _ndarray_astype(_asarray(exp_arr), target)
    with _errstate(all="ignore"):
        diff = _ufunc_abs(_ufunc_subtract(g, e))
        bound = _ufunc_add(atol, _ufunc_multiply(rtol, _ufunc_abs(e)))
        ok = _ufunc_less_equal(diff, bound)
        # NaN matches NaN; an infinity matches only the same infinity.
        g_nan, e_nan = _ufunc_isnan(g), _ufunc_isnan(e)
        ok = _where(_ufunc_logical_or(g_nan, e_nan), _ufunc_logical_and(g_nan, e_nan), ok)
        g_inf, e_inf = _ufunc_isinf(g), _ufunc_isinf(e)
        both_inf = _ufunc_logical_and(g_inf, e_inf)
        same_inf = _ufunc_logical_and(both_inf, _ufunc_equal(g, e))
        ok = _where(_ufunc_logical_or(g_inf, e_inf), same_inf, ok)
    ok = _asarray(ok)
    if bool(_ndarray_all(ok)):
        return

    bad = _asarray(_ufunc_logical_not(ok))
    n_bad = int(_ndarray_sum(bad))
    # worst index: a NaN/inf mismatch first, otherwise the largest excess over the bound
    with _errstate(all="ignore"):
        excess = _asarray(_ufunc_subtract(diff, bound))
    excess = _where(bad, excess, -_math.inf)
    excess = _where(_ufunc_logical_and(bad, _ufunc_logical_not(_ufunc_isfinite(excess))),
                    _math.inf, excess)
    excess = _asarray(excess, dtype=_float64)
    flat_index = int(_ndarray_argmax(_ndarray_ravel(excess)))
    index = tuple(_unravel_index(flat_index, got_arr.shape)) if got_arr.ndim else ()
    g_val = got_arr[index] if got_arr.ndim else got_arr[()]
    e_val = exp_arr[index] if exp_arr.ndim else exp_arr[()]

    lines = []
    if got_arr.ndim:
        lines.append(f"shape {tuple(got_arr.shape)} as expected; {n_bad} of {got_arr.size} "
                     f"values differ (rtol={rtol:g}, atol={atol:g})")
        where = f"at index {_fmt_index(index)}"
    else:
        lines.append(f"the value differs (rtol={rtol:g}, atol={atol:g})")
        where = ""
    e_txt, g_txt = _fmt_scalar(e_val), _fmt_scalar(g_val)
    if e_txt == g_txt:  # too close for 6 digits: show every digit
        e_txt, g_txt = _fmt_exact(e_val), _fmt_exact(g_val)
    detail = f"expected {e_txt}, got {g_txt}"
    try:
        d = abs(complex(g_val) - complex(e_val)) if complex_ else abs(float(g_val) - float(e_val))
        if _math.isfinite(d):
            detail += f" (difference {d:.3g})"
    except (TypeError, ValueError, OverflowError):
        pass
    lines.append(("worst " + where + ": " if where else "") + detail)
    if bool(_ndarray_any(_asarray(_ufunc_logical_and(g_nan, _ufunc_logical_not(e_nan))))):
        lines.append("your result contains NaN where a number was expected")
    if got_arr.ndim:
        lines.append(f"expected: {_fmt_array(exp_arr)}")
        lines.append(f"got:      {_fmt_array(got_arr)}")
    _fail(case, lines, hint)


# ---------------------------------------------------------------------------
# Randomness
def check_uses_only_rng(fn, *args, case, hint=None, **kwargs):
    """Call ``fn(*args, **kwargs)``; fail if it drew from NumPy's global generator.

    The functions ``np.random.normal``, ``np.random.uniform``, ``np.random.rand``, ...
    (and ``np.random.seed``) all use one hidden global state: if it changed during the
    call, the code did not use (only) the Generator it was given. Returns fn's result.
    (A fresh unseeded ``np.random.default_rng()`` is not seen here; compare two calls
    with identically seeded generators for that.)
    """
    before = _global_get_state()
    result = call(fn, *args, case=case, **kwargs)
    after = _global_get_state()
    same = (before[2] == after[2] and before[3] == after[3] and before[4] == after[4]
            and bool(_ndarray_all(_asarray(_ufunc_equal(before[1], after[1])))))
    if not same:
        _fail(case, ["your code drew numbers from NumPy's global generator "
                     "(np.random.normal, np.random.uniform, np.random.rand, ... or np.random.seed)"],
              hint or "draw only with the Generator you are given (rng.normal(...), "
                      "rng.uniform(...), self.rng.uniform(...)), never with np.random.*: "
                      "the same seed must give the same numbers")
    return result
