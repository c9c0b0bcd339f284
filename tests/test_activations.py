"""Tests of deeplib.activations.

Expected values come from independent sources: the ``math`` module on scalars, known
values, finite differences, and properties (symmetries, limits, invariances).
"""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from deeplib import activations as A
from deeplib.activations import get

LAMBDA = 1.0507009873554804934193349852946
ALPHA = 1.6732632423543772848170429916717

# (get name, hyperparameters, kinked at 0?)
ELEMENTWISE = [
    ("identity", {}, False),
    ("sigmoid", {}, False),
    ("tanh", {}, False),
    ("relu", {}, True),
    ("leaky_relu", {}, True),
    ("leaky_relu", {"negative_slope": 0.2}, True),
    ("elu", {}, True),
    ("elu", {"alpha": 0.5}, True),
    ("selu", {}, True),
    ("softplus", {}, False),
    ("swish", {}, False),
    ("swish", {"beta": 1.7}, False),
    ("gelu", {}, False),
    ("gelu", {"approximate": "tanh"}, False),
]
ALL = ELEMENTWISE + [("softmax", {}, False)]
IDS = [f"{n}{h or ''}" for n, h, _ in ALL]

# Independent scalar formulas (the math module; written differently from the library).
def _scalar(name, hyper):
    if name == "identity":
        return lambda x: x
    if name == "sigmoid":
        return lambda x: 1.0 / (1.0 + math.exp(-x))
    if name == "tanh":
        return math.tanh
    if name == "relu":
        return lambda x: x if x > 0 else 0.0
    if name == "leaky_relu":
        s = hyper.get("negative_slope", 0.01)
        return lambda x: x if x > 0 else s * x
    if name == "elu":
        a = hyper.get("alpha", 1.0)
        return lambda x: x if x > 0 else a * math.expm1(x)
    if name == "selu":
        return lambda x: LAMBDA * (x if x > 0 else ALPHA * math.expm1(x))
    if name == "softplus":
        return lambda x: math.log1p(math.exp(x)) if x < 30 else x + math.log1p(math.exp(-x))
    if name == "swish":
        b = hyper.get("beta", 1.0)
        return lambda x: x / (1.0 + math.exp(-b * x))
    if name == "gelu" and hyper.get("approximate", "none") == "none":
        return lambda x: 0.5 * x * math.erfc(-x / math.sqrt(2.0))
    if name == "gelu":
        return _gelu_tanh_scalar
    raise KeyError(name)


def _gelu_tanh_scalar(x):
    """x (1 + tanh(u)) / 2 = x e^u / (e^u + e^-u), divided by the larger exponential."""
    u = math.sqrt(2.0 / math.pi) * (x + 0.044715 * x**3)
    return x / (1.0 + math.exp(-2 * u)) if u >= 0 else x * math.exp(2 * u) / (math.exp(2 * u) + 1.0)


def assert_grad_close(got, expected):
    """Relative error ||got - expected|| / (||got|| + ||expected||) below 1e-6.

    A floor of 1e-9 per entry covers gradients that are exactly 0 (the finite difference
    then only holds rounding noise, ~1e-12).
    """
    err = np.linalg.norm(got - expected)
    scale = np.linalg.norm(got) + np.linalg.norm(expected)
    assert err <= 1e-6 * scale + 1e-9 * math.sqrt(got.size), (
        f"relative error {rel_error(got, expected):.2e}\ngot      {got}\nexpected {expected}")


def rel_error(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    denom = np.linalg.norm(a) + np.linalg.norm(b)
    return 0.0 if denom == 0 else float(np.linalg.norm(a - b) / denom)


# Step h = 1e-4 on |z| <= 5: truncation error ~ h^2 |f'''| / 6 and rounding error
# ~ eps |f| / h both stay near 1e-8 relative, even where tanh or sigmoid saturate.
H = 1e-4


def fd_vjp(f, z, g, h=H):
    """Central finite differences of L(z) = sum(f(z) * g), one entry at a time."""
    grad = np.zeros_like(z)
    for i in np.ndindex(z.shape):
        zp, zm = z.copy(), z.copy()
        zp[i] += h
        zm[i] -= h
        grad[i] = np.sum((f(zp) - f(zm)) * g) / (2 * h)
    return grad


def z_arrays(kinked, lo=-5.0, hi=5.0, max_side=5):
    """Hypothesis float64 arrays, away from the kink at 0 when the function has one."""
    elements = st.floats(lo, hi, allow_nan=False, allow_infinity=False)
    if kinked:
        elements = elements.filter(lambda x: abs(x) > 1e-3)
    return arrays(np.float64, array_shapes(min_dims=1, max_dims=3, max_side=max_side), elements=elements)


# ----------------------------------------------------------------- finite differences
@pytest.mark.parametrize("name,hyper,kinked", ELEMENTWISE, ids=IDS[:-1])
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_derivative_matches_finite_differences(name, hyper, kinked, data):
    act = get(name, **hyper)
    z = data.draw(z_arrays(kinked))
    numeric = (act.forward(z + H) - act.forward(z - H)) / (2 * H)   # elementwise: one pass
    assert act.derivative(z).shape == z.shape
    assert_grad_close(act.derivative(z), numeric)


@pytest.mark.parametrize("name,hyper,kinked", ALL, ids=IDS)
@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_backward_matches_finite_differences(name, hyper, kinked, data):
    act = get(name, **hyper)
    z = data.draw(z_arrays(kinked, max_side=4))
    g = data.draw(arrays(np.float64, z.shape, elements=st.floats(-2, 2)))
    got = act.backward(z, g)
    assert got.shape == z.shape
    assert_grad_close(got, fd_vjp(act.forward, z, g))


def test_softmax_backward_is_the_full_jacobian_product():
    rng = np.random.default_rng(0)
    z, g = rng.normal(size=(3, 5)), rng.normal(size=(3, 5))
    s = A.softmax(z)
    expected = np.stack([(np.diag(si) - np.outer(si, si)) @ gi for si, gi in zip(s, g)])
    np.testing.assert_allclose(A.Softmax().backward(z, g), expected, rtol=1e-12, atol=1e-15)


def test_elementwise_backward_is_grad_times_derivative():
    z = np.linspace(-3, 3, 12).reshape(3, 4)
    g = np.arange(12.0).reshape(3, 4) - 5
    for name, hyper, _ in ELEMENTWISE:
        act = get(name, **hyper)
        np.testing.assert_allclose(act.backward(z, g), g * act.derivative(z), rtol=1e-15)


def test_backward_rejects_mismatched_grad_shape():
    for name in ("relu", "softmax"):
        with pytest.raises(ValueError, match="shape"):
            get(name).backward(np.zeros((2, 3)), np.zeros((3, 2)))


def test_softmax_has_no_elementwise_derivative():
    with pytest.raises(TypeError, match="not elementwise"):
        A.Softmax().derivative(np.zeros(3))


# --------------------------------------------------------------------- known values
@pytest.mark.parametrize("name,hyper,kinked", ELEMENTWISE, ids=IDS[:-1])
def test_forward_matches_math_module(name, hyper, kinked):
    z = np.array([-30.0, -7.5, -2.0, -1.0, -0.3, -1e-8, 0.0, 1e-8, 0.3, 1.0, 2.0, 7.5, 30.0])
    f = _scalar(name, hyper)
    expected = np.array([f(x) for x in z])
    np.testing.assert_allclose(get(name, **hyper).forward(z), expected, rtol=1e-13, atol=1e-300)


def test_known_values():
    assert A.sigmoid(0.0) == 0.5
    assert A.softplus(0.0) == pytest.approx(math.log(2), rel=1e-15)
    assert A.relu(-2.0) == 0 and A.relu(3.0) == 3.0
    assert A.selu(1.0) == pytest.approx(LAMBDA, rel=1e-15)
    assert A.selu(-50.0) == pytest.approx(-LAMBDA * ALPHA, rel=1e-15)
    assert A.elu(-50.0) == pytest.approx(-1.0, rel=1e-15)
    assert A.elu(-50.0, alpha=0.3) == pytest.approx(-0.3, rel=1e-15)
    assert A.gelu(1.0) == pytest.approx(0.5 * (1 + math.erf(1 / math.sqrt(2))), rel=1e-15)
    assert A.swish(2.0) == pytest.approx(2.0 / (1.0 + math.exp(-2.0)), rel=1e-15)
    np.testing.assert_allclose(A.softmax(np.log([1.0, 2.0, 5.0])), [0.125, 0.25, 0.625], rtol=1e-15)


def test_selu_constants_exact():
    assert A.SELU().scale == 1.0507009873554804934193349852946
    assert A.SELU().alpha == 1.6732632423543772848170429916717
    assert A.SELU().derivative(np.array([2.0, -50.0])) == pytest.approx([LAMBDA, 0.0])


def test_derivatives_at_kinks_follow_left_branch():
    zero = np.zeros(1)
    assert get("relu").derivative(zero)[0] == 0.0
    assert get("leaky_relu", negative_slope=0.2).derivative(zero)[0] == 0.2
    assert get("elu", alpha=0.5).derivative(zero)[0] == 0.5
    assert get("selu").derivative(zero)[0] == pytest.approx(LAMBDA * ALPHA, rel=1e-15)


def test_known_derivatives():
    z = np.array([-3.0, -0.5, 0.0, 0.5, 3.0])
    s = np.array([0.5 * (1 + math.tanh(x / 2)) for x in z])
    np.testing.assert_allclose(A.Sigmoid().derivative(z), s * (1 - s), rtol=1e-14)
    np.testing.assert_allclose(A.Softplus().derivative(z), s, rtol=1e-14)
    np.testing.assert_allclose(A.Tanh().derivative(z), [1 / math.cosh(x) ** 2 for x in z], rtol=1e-14)
    phi = [math.exp(-x * x / 2) / math.sqrt(2 * math.pi) for x in z]
    cdf = [0.5 * math.erfc(-x / math.sqrt(2)) for x in z]
    np.testing.assert_allclose(A.GELU().derivative(z), np.array(cdf) + z * phi, rtol=1e-14)
    assert A.Sigmoid().derivative(0.0) == 0.25
    assert A.Tanh().derivative(0.0) == 1.0


def test_erfc_matches_math_to_double_precision():
    x = np.concatenate([np.linspace(-27, 27, 20001), np.geomspace(1e-12, 26, 2000),
                        -np.geomspace(1e-12, 26, 2000), [0.46875, 4.0, -4.0]])
    expected = np.array([math.erfc(v) for v in x])
    np.testing.assert_allclose(A._erfc(x), expected, rtol=5e-15, atol=1e-300)
    # GELU as the lecture writes it, z (1 + erf(z / sqrt 2)) / 2; for z < -1 this form loses
    # digits to cancellation, so there the tail is checked with erfc (test above).
    xs = np.linspace(-1, 8, 1001)
    np.testing.assert_allclose(A.gelu(xs), [0.5 * v * (1 + math.erf(v / math.sqrt(2))) for v in xs],
                               rtol=1e-14, atol=1e-300)
    # (rtol 1e-12: in the far tail, rounding z / sqrt 2 alone changes erfc by ~z^2 eps)
    xs = np.linspace(-40, 40, 1001)
    np.testing.assert_allclose(A.gelu(xs), [0.5 * v * math.erfc(-v / math.sqrt(2)) for v in xs],
                               rtol=1e-12, atol=1e-300)


# --------------------------------------------------------------- limits and symmetries
@settings(max_examples=50, deadline=None)
@given(z=arrays(np.float64, array_shapes(max_dims=2), elements=st.floats(-1e3, 1e3)))
def test_symmetries(z):
    np.testing.assert_allclose(A.sigmoid(-z), 1 - A.sigmoid(z), atol=1e-15)
    np.testing.assert_array_equal(A.tanh(-z), -A.tanh(z))
    np.testing.assert_allclose(A.softplus(z) - A.softplus(-z), z, atol=1e-12)   # log(e^z) = z
    np.testing.assert_allclose(A.relu(z) - A.relu(-z), z, atol=0)
    np.testing.assert_allclose(A.gelu(z) - A.gelu(-z), z, atol=1e-12)             # Phi(z) + Phi(-z) = 1
    assert np.all((A.sigmoid(z) >= 0) & (A.sigmoid(z) <= 1))


def test_leaky_slope_and_elu_alpha_are_used():
    z = np.array([-4.0, -1.0, 2.0])
    np.testing.assert_array_equal(A.leaky_relu(z, 0.3), [-1.2, -0.3, 2.0])
    np.testing.assert_array_equal(get("leaky_relu").forward(z), [-0.04, -0.01, 2.0])
    np.testing.assert_array_equal(get("leaky_relu", negative_slope=0.3).derivative(z), [0.3, 0.3, 1.0])
    a1, a2 = A.elu(z, alpha=1.0), A.elu(z, alpha=2.5)
    np.testing.assert_allclose(a2[:2], 2.5 * a1[:2], rtol=1e-15)
    assert a2[2] == 2.0
    np.testing.assert_allclose(get("elu", alpha=2.5).derivative(z)[:2], 2.5 * np.exp(z[:2]), rtol=1e-15)
    # swish with a large beta tends to relu
    np.testing.assert_allclose(A.swish(z, beta=100.0), A.relu(z), atol=1e-12)


@settings(max_examples=50, deadline=None)
@given(z=arrays(np.float64, array_shapes(min_dims=1, max_dims=3), elements=st.floats(-50, 50)),
       c=st.floats(-100, 100))
def test_softmax_rows_sum_to_one_and_shift_invariant(z, c):
    s = A.softmax(z)
    assert s.shape == z.shape
    np.testing.assert_allclose(s.sum(axis=-1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(A.softmax(z + c), s, rtol=1e-9, atol=1e-15)
    assert np.all(s >= 0)


def test_softmax_is_over_last_axis():
    z = np.array([[1.0, 2.0], [3.0, 5.0], [0.0, 0.0]])
    np.testing.assert_allclose(A.softmax(z)[2], [0.5, 0.5])
    np.testing.assert_allclose(A.softmax(z)[0], A.softmax(z[0]))
    with pytest.raises(ValueError, match="axis"):
        A.softmax(3.0)


# --------------------------------------------------------------- extremes and dtypes
@pytest.mark.parametrize("name,hyper,kinked", ALL, ids=IDS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("big", [1e4, 1e30])
def test_extremes_no_warning_finite_dtype_kept(name, hyper, kinked, dtype, big):
    act = get(name, **hyper)
    z = np.array([[-big, -1.0, 0.0, 1.0, big], [big, -big, big / 2, -big / 2, 0.5]], dtype=dtype)
    with np.errstate(over="raise", invalid="raise", divide="raise"):   # (underflow to 0 is fine)
        outputs = [act.forward(z), act.backward(z, np.ones_like(z))]
        if name != "softmax":
            outputs.append(act.derivative(z))
    for out in outputs:
        assert out.dtype == dtype and out.shape == z.shape
        assert np.all(np.isfinite(out)), f"{name} gives non-finite values at ±{big:g} in {np.dtype(dtype)}"


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_saturated_limits(dtype):
    big = np.array([-1e4, 1e4], dtype=dtype)
    np.testing.assert_array_equal(A.sigmoid(big), [0.0, 1.0])
    np.testing.assert_array_equal(A.tanh(big), [-1.0, 1.0])
    np.testing.assert_array_equal(A.softplus(big), [0.0, 1e4])
    np.testing.assert_array_equal(A.elu(big), [-1.0, 1e4])
    np.testing.assert_array_equal(A.swish(big), [0.0, 1e4])
    np.testing.assert_array_equal(A.gelu(big), [0.0, 1e4])
    np.testing.assert_array_equal(A.gelu(big, approximate="tanh"), [0.0, 1e4])
    np.testing.assert_array_equal(A.softmax(np.array([1e4, -1e4, 1e4], dtype=dtype)), [0.5, 0.0, 0.5])
    np.testing.assert_array_equal(A.Sigmoid().derivative(big), [0.0, 0.0])
    np.testing.assert_array_equal(A.Swish().derivative(big), [0.0, 1.0])
    np.testing.assert_array_equal(A.GELU().derivative(big), [0.0, 1.0])


@pytest.mark.parametrize("name,hyper,kinked", ALL, ids=IDS)
def test_integer_input_becomes_float64_and_scalars_work(name, hyper, kinked):
    act = get(name, **hyper)
    out = act.forward(np.array([[-2, 0, 3]]))
    assert out.dtype == np.float64 and out.shape == (1, 3)
    np.testing.assert_allclose(out, act.forward(np.array([[-2.0, 0.0, 3.0]])))
    if name != "softmax":
        assert act.forward(0.5).shape == ()
        assert act.forward(np.float32(0.5)).dtype == np.float32


def test_identity_returns_a_copy():
    z = np.array([1.0, 2.0])
    out = A.Identity().forward(z)
    out[0] = 10
    assert z[0] == 1.0


def test_complex_input_rejected():
    with pytest.raises(TypeError, match="real"):
        A.sigmoid(np.array([1j]))


# ----------------------------------------------------------------------------- get
def test_get_names_and_aliases():
    expected = {
        "identity": A.Identity, "linear": A.Identity, "none": A.Identity, None: A.Identity,
        "sigmoid": A.Sigmoid, "logistic": A.Sigmoid, "tanh": A.Tanh, "relu": A.ReLU,
        "leaky_relu": A.LeakyReLU, "elu": A.ELU, "selu": A.SELU, "softplus": A.Softplus,
        "swish": A.Swish, "silu": A.Swish, "gelu": A.GELU, "softmax": A.Softmax,
    }
    for name, cls in expected.items():
        act = get(name)
        assert type(act) is cls, name
        assert act.name == ("identity" if cls is A.Identity else cls.name)
    assert get("silu").beta == 1.0
    assert get("ReLU").name == "relu"


def test_get_hyperparameters_and_repr():
    assert get("leaky_relu", negative_slope=0.2).negative_slope == 0.2
    assert get("elu", alpha=0.7).alpha == 0.7
    assert get("swish", beta=2.0).beta == 2.0
    assert get("gelu", approximate="tanh").approximate == "tanh"
    assert get("leaky_relu").negative_slope == 0.01 and get("elu").alpha == 1.0
    assert repr(get("leaky_relu", negative_slope=0.2)) == "LeakyReLU(negative_slope=0.2)"
    assert repr(get("relu")) == "ReLU()"
    assert repr(get("gelu")) == "GELU(approximate='none')"


def test_get_returns_instances_unchanged():
    act = A.ELU(alpha=0.3)
    assert get(act) is act
    with pytest.raises(TypeError):
        get(act, alpha=1.0)


def test_get_errors():
    with pytest.raises(ValueError, match="unknown activation 'relu6'") as info:
        get("relu6")
    for known in ("relu", "leaky_relu", "selu", "gelu", "softmax", "silu", "logistic"):
        assert known in str(info.value)
    with pytest.raises(TypeError, match="negative_slope"):
        get("relu", negative_slope=0.1)
    with pytest.raises(TypeError):
        get(3)
    with pytest.raises(ValueError, match="approximate"):
        get("gelu", approximate="sigmoid")
    with pytest.raises(ValueError, match="alpha"):
        A.ELU(alpha=float("nan"))
    with pytest.raises(TypeError, match="beta"):
        A.Swish(beta="one")


def test_module_functions_match_classes():
    z = np.linspace(-5, 5, 11)
    pairs = [(A.sigmoid, "sigmoid"), (A.tanh, "tanh"), (A.relu, "relu"), (A.selu, "selu"),
             (A.softplus, "softplus"), (A.softmax, "softmax")]
    for fn, name in pairs:
        np.testing.assert_array_equal(fn(z), get(name).forward(z))
    np.testing.assert_array_equal(A.leaky_relu(z, 0.1), A.LeakyReLU(0.1).forward(z))
    np.testing.assert_array_equal(A.elu(z, 0.1), A.ELU(0.1).forward(z))
    np.testing.assert_array_equal(A.swish(z, 2.0), A.Swish(2.0).forward(z))
    np.testing.assert_array_equal(A.gelu(z, "tanh"), A.GELU("tanh").forward(z))
    np.testing.assert_array_equal(get("relu")(z), A.relu(z))
