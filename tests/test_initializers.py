"""Tests of deeplib.initializers.

Random initializers are tested by statistics on large matrices (variance within a few
percent, bounds never exceeded), never by comparing to a particular draw. The expected
variances are the lecture's formulas, written out here independently.
"""

import math

import numpy as np
import pytest

from deeplib import initializers as I
from deeplib.initializers import fans, get, recommended_initializer

SHAPE = (500, 600)                       # fan_in = 500, fan_out = 600
FAN_IN, FAN_OUT = SHAPE
SEEDS = (0, 1)

# name -> (expected variance, uniform limit or None)
EXPECTED = {
    "glorot_uniform": (2 / (FAN_IN + FAN_OUT), math.sqrt(6 / (FAN_IN + FAN_OUT))),
    "glorot_normal": (2 / (FAN_IN + FAN_OUT), None),
    "he_uniform": (2 / FAN_IN, math.sqrt(6 / FAN_IN)),
    "he_normal": (2 / FAN_IN, None),
    "lecun_uniform": (1 / FAN_IN, math.sqrt(3 / FAN_IN)),
    "lecun_normal": (1 / FAN_IN, None),
}


def rng(seed=0):
    return np.random.default_rng(seed)


# -------------------------------------------------------------------------- fans
def test_fans_of_2d_1d_and_4d_shapes():
    assert fans((3, 7)) == (3, 7)
    assert fans((5,)) == (5, 5)
    assert fans(5) == (5, 5)
    # conv kernel (kh, kw, c_in, c_out): receptive field 3 * 3 = 9
    assert fans((3, 3, 16, 32)) == (16 * 9, 32 * 9)
    assert fans((2, 4, 6)) == (8, 12)


def test_fans_errors():
    with pytest.raises(ValueError, match="scalar"):
        fans(())
    with pytest.raises(ValueError, match=">= 0"):
        fans((3, -1))
    with pytest.raises(TypeError, match="ints"):
        fans((3.0, 4))


# ----------------------------------------------------------------------- variance
@pytest.mark.parametrize("name", sorted(EXPECTED))
@pytest.mark.parametrize("seed", SEEDS)
def test_named_initializers_variance_mean_and_shape(name, seed):
    variance, limit = EXPECTED[name]
    w = get(name)(SHAPE, rng=rng(seed))
    assert w.shape == SHAPE and w.dtype == np.float64
    assert w.var() == pytest.approx(variance, rel=0.03)
    assert abs(w.mean()) < 0.01 * math.sqrt(variance)
    if limit is not None:
        assert np.all(np.abs(w) <= limit)
        assert np.abs(w).max() > 0.99 * limit          # the whole range is used
    else:
        # untruncated normal: about 4.55% of the draws lie beyond 2 sigma
        frac = np.mean(np.abs(w) > 2 * math.sqrt(variance))
        assert 0.04 < frac < 0.051


@pytest.mark.parametrize("mode,n", [("fan_in", FAN_IN), ("fan_out", FAN_OUT),
                                    ("fan_avg", (FAN_IN + FAN_OUT) / 2)])
@pytest.mark.parametrize("distribution", ["truncated_normal", "normal", "uniform"])
@pytest.mark.parametrize("scale", [1.0, 2.0, 0.5])
def test_variance_scaling_modes_and_distributions(mode, n, distribution, scale):
    variance = scale / n
    w = I.variance_scaling(scale, mode, distribution)(SHAPE, rng=rng(3))
    assert w.shape == SHAPE
    assert w.var() == pytest.approx(variance, rel=0.03)
    if distribution == "uniform":
        assert np.all(np.abs(w) <= math.sqrt(3 * variance))
    if distribution == "truncated_normal":
        assert np.all(np.abs(w) <= 2 * math.sqrt(variance) / 0.87962566103423978)


def test_truncated_normal_is_truncated_and_corrected():
    sigma = math.sqrt(1 / 400)
    w = I.variance_scaling(1.0, "fan_in", "truncated_normal")((400, 1000), rng=rng(4))
    bound = 2 * sigma / 0.87962566103423978
    assert np.abs(w).max() <= bound
    assert np.abs(w).max() > 0.99 * bound              # really reaches the bound
    assert w.var() == pytest.approx(sigma**2, rel=0.02)
    # a truncated normal is denser near the bound than a uniform would be sparse: check the
    # share within one (uncorrected) stddev, P(|X| < 0.8796 s) / P(|X| < 2 s) for X ~ N(0, s^2)
    inner = math.erf(0.87962566103423978 / math.sqrt(2)) / math.erf(2 / math.sqrt(2))
    assert np.mean(np.abs(w) < sigma) == pytest.approx(inner, abs=0.01)


def test_variance_scaling_uses_conv_fans():
    shape = (3, 3, 20, 40)                       # fan_in = 180, fan_out = 360
    w = I.variance_scaling(2.0, "fan_out", "normal")(shape, rng=rng(5))
    assert w.shape == shape
    assert w.var() == pytest.approx(2 / 360, rel=0.05)


def test_random_normal_and_uniform():
    w = I.random_normal(stddev=0.2, mean=1.0)(SHAPE, rng=rng(6))
    assert w.mean() == pytest.approx(1.0, abs=0.002)
    assert w.std() == pytest.approx(0.2, rel=0.02)
    w = I.random_uniform(limit=0.3)(SHAPE, rng=rng(7))
    assert np.all(np.abs(w) <= 0.3) and np.abs(w).max() > 0.299
    assert w.var() == pytest.approx(0.3**2 / 3, rel=0.02)
    w = get("normal")(SHAPE, rng=rng(8))
    assert w.std() == pytest.approx(0.05, rel=0.02)
    w = get("uniform")(SHAPE, rng=rng(8))
    assert np.abs(w).max() <= 0.05


# ------------------------------------------------------------- deterministic behaviour
def test_deterministic_initializers():
    np.testing.assert_array_equal(I.zeros((2, 3)), np.zeros((2, 3)))
    np.testing.assert_array_equal(I.ones((4,)), np.ones(4))
    np.testing.assert_array_equal(I.constant(0.25)((2, 2)), np.full((2, 2), 0.25))
    np.testing.assert_array_equal(get("constant", value=-1.5)((3,)), [-1.5] * 3)
    assert I.zeros((2, 3), rng=rng()).shape == (2, 3)          # rng accepted, ignored


ALL_NAMES = ["zeros", "ones", "glorot_uniform", "glorot_normal", "he_uniform", "he_normal",
             "lecun_uniform", "lecun_normal", "random_normal", "random_uniform"]


@pytest.mark.parametrize("name", ALL_NAMES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_and_shape_respected(name, dtype):
    w = get(name)((4, 6), rng=rng(), dtype=dtype)
    assert w.dtype == dtype and w.shape == (4, 6)


@pytest.mark.parametrize("dist", ["truncated_normal", "normal", "uniform"])
def test_float32_variance_scaling(dist):
    w = I.variance_scaling(1.0, "fan_in", dist)((8, 3), rng=rng(), dtype=np.float32)
    assert w.dtype == np.float32


@pytest.mark.parametrize("name", ALL_NAMES[2:])
def test_same_seed_same_array_different_seed_different(name):
    init = get(name)
    np.testing.assert_array_equal(init((30, 20), rng=rng(42)), init((30, 20), rng=rng(42)))
    assert not np.array_equal(init((30, 20), rng=rng(42)), init((30, 20), rng=rng(43)))
    w = init((30, 20), rng=rng(1))
    assert len(np.unique(w)) == w.size                 # symmetry broken: all entries differ


@pytest.mark.parametrize("name", ALL_NAMES[2:])
def test_random_initializers_need_an_rng(name):
    with pytest.raises(TypeError, match=r"rng=np\.random\.default_rng\(seed\)"):
        get(name)((3, 4))
    with pytest.raises(TypeError, match="Generator"):
        get(name)((3, 4), rng=np.random.RandomState(0))
    with pytest.raises(TypeError, match="Generator"):
        get(name)((3, 4), rng=0)


def test_truncated_normal_needs_an_rng_too():
    with pytest.raises(TypeError, match="rng"):
        I.variance_scaling()((3, 4))


# ---------------------------------------------------------------------------- get
def test_get_names_and_aliases():
    assert get("glorot_uniform") is I.glorot_uniform
    assert get("xavier_uniform") is I.glorot_uniform
    assert get("xavier_normal") is I.glorot_normal
    assert get("kaiming_uniform") is I.he_uniform
    assert get("kaiming_normal") is I.he_normal
    assert get("he_normal") is I.he_normal
    assert get("lecun_normal") is I.lecun_normal
    assert get("lecun_uniform") is I.lecun_uniform
    assert get("zeros") is I.zeros and get("ones") is I.ones
    assert get("He_Normal") is I.he_normal

    def my_init(shape, rng=None, dtype=np.float64):
        return np.zeros(shape, dtype)

    assert get(my_init) is my_init


def test_get_with_hyperparameters():
    w = get("random_normal", stddev=1e-3)((400, 500), rng=rng())
    assert w.std() == pytest.approx(1e-3, rel=0.02)
    w = get("random_uniform", limit=2.0)((100,), rng=rng())
    assert np.abs(w).max() <= 2.0 and np.abs(w).max() > 1.5
    w = get("variance_scaling", scale=3.0, mode="fan_out", distribution="uniform")(SHAPE, rng=rng())
    assert w.var() == pytest.approx(3 / FAN_OUT, rel=0.03)


def test_get_errors():
    with pytest.raises(ValueError, match="unknown initializer 'orthogonal'") as info:
        get("orthogonal")
    for known in ("glorot_uniform", "he_normal", "lecun_normal", "xavier_uniform", "kaiming_normal"):
        assert known in str(info.value)
    with pytest.raises(TypeError, match="no hyperparameters"):
        get("he_normal", scale=2)
    with pytest.raises(TypeError):
        get(3)
    with pytest.raises(TypeError):
        get(I.he_normal, scale=2)


def test_invalid_arguments():
    with pytest.raises(ValueError, match="mode"):
        I.variance_scaling(mode="fan_sum")
    with pytest.raises(ValueError, match="distribution"):
        I.variance_scaling(distribution="gamma")
    with pytest.raises(ValueError, match="scale"):
        I.variance_scaling(scale=0.0)
    with pytest.raises(ValueError, match="stddev"):
        I.random_normal(stddev=-1.0)
    with pytest.raises(ValueError, match="limit"):
        I.random_uniform(limit=0.0)
    with pytest.raises(TypeError, match="floating dtype"):
        I.he_normal((2, 2), rng=rng(), dtype=np.int64)
    with pytest.raises(ValueError, match="fan_in"):
        I.he_normal((0, 3), rng=rng())


# ---------------------------------------------------------------- recommended_initializer
@pytest.mark.parametrize("activation,expected", [
    ("none", "glorot_uniform"), (None, "glorot_uniform"), ("identity", "glorot_uniform"),
    ("linear", "glorot_uniform"), ("tanh", "glorot_uniform"), ("sigmoid", "glorot_uniform"),
    ("logistic", "glorot_uniform"), ("softmax", "glorot_uniform"),
    ("relu", "he_normal"), ("leaky_relu", "he_normal"), ("prelu", "he_normal"),
    ("rrelu", "he_normal"), ("elu", "he_normal"), ("gelu", "he_normal"),
    ("swish", "he_normal"), ("silu", "he_normal"), ("softplus", "he_normal"),
    ("selu", "lecun_normal"), ("SELU", "lecun_normal"),
])
def test_recommended_initializer_table(activation, expected):
    assert recommended_initializer(activation) == expected
    get(expected)                                        # the name is one get() knows


def test_recommended_initializer_accepts_activation_objects():
    from deeplib.activations import get as get_activation

    assert recommended_initializer(get_activation("selu")) == "lecun_normal"
    assert recommended_initializer(get_activation("leaky_relu", negative_slope=0.2)) == "he_normal"
    assert recommended_initializer(get_activation("tanh")) == "glorot_uniform"


def test_recommended_initializer_unknown():
    with pytest.raises(ValueError, match="'mish'") as info:
        recommended_initializer("mish")
    assert "selu" in str(info.value) and "relu" in str(info.value)
    with pytest.raises(TypeError):
        recommended_initializer(3)
