"""03_weight_initialization: the reference answers pass, known-wrong answers are rejected."""

import pytest

from tests.nbharness import Notebook

NB = Notebook("solutions/03_weight_initialization/03_weight_initialization.ipynb")

ANSWERS = ["fans", "zeros_init", "random_normal_init", "glorot_uniform", "glorot_normal",
           "he_uniform", "he_normal", "lecun_normal", "initializer_for"]
TEST_IDS = [f"test_{name}" for name in ANSWERS]


def test_notebook_has_the_expected_cells():
    assert NB.test_ids() == TEST_IDS
    assert NB.answer_ids() == ANSWERS


@pytest.mark.parametrize("test_id", TEST_IDS)
def test_reference_passes(test_id):
    result = NB.assert_passes(test_id)
    assert "✓" in result.stdout


# --- fans --------------------------------------------------------------------------
FANS_SWAPPED = "def fans(shape):\n    return shape[1], shape[0]\n"
FANS_AVERAGE = "def fans(shape):\n    n = (shape[0] + shape[1]) // 2\n    return n, n\n"
FANS_LIST = "def fans(shape):\n    return [shape[0], shape[1]]\n"


def test_swapped_fans_are_rejected_by_the_visible_tests():
    result = NB.assert_fails("test_fans", visible_only=True, fans=FANS_SWAPPED)
    assert "fan_in = shape[0]" in result.message


@pytest.mark.parametrize("wrong", [FANS_SWAPPED, FANS_AVERAGE, FANS_LIST],
                         ids=["swapped", "average", "list"])
def test_wrong_fans_are_rejected_by_the_hidden_tests(wrong):
    NB.assert_fails("test_fans", fans=wrong)


def test_simple_fans_is_accepted():
    NB.assert_passes("test_fans", fans="def fans(shape):\n    return shape[0], shape[1]\n")


# --- zeros_init ----------------------------------------------------------------------
ZEROS_NO_DTYPE = "def zeros_init(shape, dtype=np.float64):\n    return np.zeros(shape)\n"
ZEROS_SHARED = ("_Z = {}\n"
                "def zeros_init(shape, dtype=np.float64):\n"
                "    key = (tuple(shape), np.dtype(dtype))\n"
                "    if key not in _Z:\n        _Z[key] = np.zeros(shape, dtype=dtype)\n"
                "    return _Z[key]\n")


@pytest.mark.parametrize("wrong", [ZEROS_NO_DTYPE, ZEROS_SHARED], ids=["dtype ignored", "shared"])
def test_wrong_zeros_are_rejected_by_the_visible_tests(wrong):
    NB.assert_fails("test_zeros_init", visible_only=True, zeros_init=wrong)
    NB.assert_fails("test_zeros_init", zeros_init=wrong)


# --- random_normal_init ----------------------------------------------------------------
def _rn(body):
    return f"def random_normal_init(shape, std, rng, dtype=np.float64):\n    return {body}\n"


RN_VARIANCE = _rn("rng.normal(0.0, std ** 2, size=shape).astype(dtype)")
RN_SQRT = _rn("rng.normal(0.0, np.sqrt(std), size=shape).astype(dtype)")
RN_GLOBAL = _rn("np.random.normal(0.0, std, size=shape).astype(dtype)")
RN_UNIFORM = _rn("rng.uniform(-np.sqrt(3) * std, np.sqrt(3) * std, size=shape).astype(dtype)")
RN_NO_DTYPE = _rn("rng.normal(0.0, std, size=shape)")


@pytest.mark.parametrize("wrong", [RN_VARIANCE, RN_SQRT], ids=["std squared", "sqrt(std)"])
def test_std_used_as_variance_is_rejected_by_the_visible_tests(wrong):
    result = NB.assert_fails("test_random_normal_init", visible_only=True, random_normal_init=wrong)
    assert "standard deviation" in result.message


@pytest.mark.parametrize("wrong", [RN_GLOBAL, RN_UNIFORM, RN_NO_DTYPE],
                         ids=["np.random", "uniform", "dtype ignored"])
def test_subtle_random_normal_mistakes_are_rejected_by_the_visible_tests(wrong):
    NB.assert_fails("test_random_normal_init", visible_only=True, random_normal_init=wrong)
    NB.assert_fails("test_random_normal_init", random_normal_init=wrong)


def test_standard_normal_times_std_is_accepted():
    NB.assert_passes("test_random_normal_init", random_normal_init=_rn(
        "(std * rng.standard_normal(shape)).astype(dtype)"))


# --- Glorot, He, LeCun -------------------------------------------------------------------
def _init(name, body):
    return (f"def {name}(shape, rng, dtype=np.float64):\n"
            "    fan_in, fan_out = fans(shape)\n"
            f"    return ({body}).astype(dtype)\n")


def _uniform(name, limit):
    return _init(name, f"rng.uniform(-({limit}), {limit}, size=shape)")


def _normal(name, std):
    return _init(name, f"rng.normal(0.0, {std}, size=shape)")


VISIBLE_WRONG = {
    "glorot_uniform": {
        "limit sqrt(1/fan_avg)": _uniform("glorot_uniform", "np.sqrt(2 / (fan_in + fan_out))"),
        "fan_in only": _uniform("glorot_uniform", "np.sqrt(6 / fan_in)"),
        "normal instead of uniform": _normal("glorot_uniform", "np.sqrt(2 / (fan_in + fan_out))"),
    },
    "glorot_normal": {
        "variance used as std": _normal("glorot_normal", "2 / (fan_in + fan_out)"),
        "fan_out only": _normal("glorot_normal", "np.sqrt(1 / fan_out)"),
    },
    "he_uniform": {
        "limit sqrt(2/fan_in)": _uniform("he_uniform", "np.sqrt(2 / fan_in)"),
        "fan_in and fan_out swapped": _uniform("he_uniform", "np.sqrt(6 / fan_out)"),
        "fan_avg": _uniform("he_uniform", "np.sqrt(6 / ((fan_in + fan_out) / 2))"),
    },
    "he_normal": {
        "fan_avg": _normal("he_normal", "np.sqrt(2 / ((fan_in + fan_out) / 2))"),
        "fan_in and fan_out swapped": _normal("he_normal", "np.sqrt(2 / fan_out)"),
        "variance used as std": _normal("he_normal", "2 / fan_in"),
        "LeCun's variance": _normal("he_normal", "np.sqrt(1 / fan_in)"),
    },
    "lecun_normal": {
        "fan_in and fan_out swapped": _normal("lecun_normal", "np.sqrt(1 / fan_out)"),
        "He's variance": _normal("lecun_normal", "np.sqrt(2 / fan_in)"),
        "variance used as std": _normal("lecun_normal", "1 / fan_in"),
    },
}
CASES = [(name, label, src) for name, wrongs in VISIBLE_WRONG.items()
         for label, src in wrongs.items()]


@pytest.mark.parametrize("name,label,src", CASES, ids=[f"{n}: {lab}" for n, lab, _ in CASES])
def test_wrong_scales_are_rejected_by_the_visible_tests(name, label, src):
    NB.assert_fails(f"test_{name}", visible_only=True, **{name: src})
    NB.assert_fails(f"test_{name}", **{name: src})


def test_swapped_fans_message_says_how_much():
    result = NB.assert_fails("test_he_normal", visible_only=True,
                             he_normal=VISIBLE_WRONG["he_normal"]["fan_in and fan_out swapped"])
    assert "times too small" in result.message and "fan_in only" in result.message


RIGHT_STD = {"glorot_normal": "np.sqrt(2 / (fan_in + fan_out))", "he_normal": "np.sqrt(2 / fan_in)",
             "lecun_normal": "np.sqrt(1 / fan_in)"}
RIGHT_LIMIT = {"glorot_uniform": "np.sqrt(6 / (fan_in + fan_out))", "he_uniform": "np.sqrt(6 / fan_in)"}


@pytest.mark.parametrize("name", list(RIGHT_STD) + list(RIGHT_LIMIT))
def test_ignoring_dtype_is_rejected_by_the_visible_tests(name):
    body = (f"rng.normal(0.0, {RIGHT_STD[name]}, size=shape)" if name in RIGHT_STD
            else f"rng.uniform(-{RIGHT_LIMIT[name]}, {RIGHT_LIMIT[name]}, size=shape)")
    wrong = (f"def {name}(shape, rng, dtype=np.float64):\n"
             "    fan_in, fan_out = fans(shape)\n"
             f"    return {body}\n")
    result = NB.assert_fails(f"test_{name}", visible_only=True, **{name: wrong})
    assert "float32" in result.message and "astype(dtype)" in result.message
    NB.assert_fails(f"test_{name}", **{name: wrong})


@pytest.mark.parametrize("name", list(RIGHT_STD))
def test_uniform_with_the_right_variance_is_rejected_for_normal_initializers(name):
    limit = f"np.sqrt(3) * {RIGHT_STD[name]}"
    wrong = _uniform(name, limit)
    result = NB.assert_fails(f"test_{name}", visible_only=True, **{name: wrong})
    assert "not normally distributed" in result.message


@pytest.mark.parametrize("name", list(RIGHT_STD) + list(RIGHT_LIMIT))
def test_global_random_state_is_rejected_by_the_visible_tests(name):
    body = (f"np.random.normal(0.0, {RIGHT_STD[name]}, size=shape)" if name in RIGHT_STD
            else f"np.random.uniform(-{RIGHT_LIMIT[name]}, {RIGHT_LIMIT[name]}, size=shape)")
    result = NB.assert_fails(f"test_{name}", visible_only=True, **{name: _init(name, body)})
    assert "global generator" in result.message
    NB.assert_fails(f"test_{name}", **{name: _init(name, body)})


@pytest.mark.parametrize("name", list(RIGHT_STD) + list(RIGHT_LIMIT))
def test_a_fresh_unseeded_generator_is_rejected_by_the_visible_tests(name):
    body = (f"np.random.default_rng().normal(0.0, {RIGHT_STD[name]}, size=shape)" if name in RIGHT_STD
            else f"np.random.default_rng().uniform(-{RIGHT_LIMIT[name]}, {RIGHT_LIMIT[name]}, size=shape)")
    result = NB.assert_fails(f"test_{name}", visible_only=True, **{name: _init(name, body)})
    assert "same seed" in result.message


@pytest.mark.parametrize("name", list(RIGHT_STD) + list(RIGHT_LIMIT))
def test_other_correct_ways_of_drawing_are_accepted(name):
    if name in RIGHT_STD:
        src = _init(name, f"{RIGHT_STD[name]} * rng.standard_normal(shape)")
    else:
        src = _init(name, f"(2 * rng.random(shape) - 1) * {RIGHT_LIMIT[name]}")
    NB.assert_passes(f"test_{name}", **{name: src})


def test_deeplib_reference_initializers_are_accepted():
    for name in RIGHT_STD | RIGHT_LIMIT:
        src = (f"import deeplib.initializers as _ref\n"
               f"def {name}(shape, rng, dtype=np.float64):\n"
               f"    return _ref.{name}(shape, rng=rng, dtype=dtype)\n")
        NB.assert_passes(f"test_{name}", **{name: src})


# --- initializer_for -------------------------------------------------------------------
REFERENCE_FOR = NB.cells[[c.grade_id for c in NB.cells].index("initializer_for")].source
SELU_HE = REFERENCE_FOR.replace('"softplus"):', '"softplus", "selu"):')
CASE_SENSITIVE = REFERENCE_FOR.replace("str(activation).lower()", "str(activation)")
NONE_FAILS = REFERENCE_FOR.replace('"none" if activation is None else str(activation).lower()',
                                   "activation.lower()")
DEFAULT_GLOROT = REFERENCE_FOR.replace(
    'raise ValueError(f"no recommended initialization for activation {activation!r}")',
    'return "glorot"')


def test_the_replacements_changed_the_reference():
    for wrong in (SELU_HE, CASE_SENSITIVE, NONE_FAILS, DEFAULT_GLOROT):
        assert wrong != REFERENCE_FOR


def test_selu_with_he_is_rejected_by_the_visible_tests():
    result = NB.assert_fails("test_initializer_for", visible_only=True, initializer_for=SELU_HE)
    assert "'selu'" in result.message and "LeCun for SELU" in result.message


@pytest.mark.parametrize("wrong", [CASE_SENSITIVE, NONE_FAILS, DEFAULT_GLOROT],
                         ids=["case-sensitive", "None crashes", "unknown -> glorot"])
def test_subtle_initializer_for_mistakes_are_rejected_by_the_visible_tests(wrong):
    NB.assert_fails("test_initializer_for", visible_only=True, initializer_for=wrong)
    NB.assert_fails("test_initializer_for", initializer_for=wrong)


def test_deeplib_table_agrees_with_the_reference():
    """deeplib.initializers.recommended_initializer maps to the same families."""
    src = ('from deeplib.initializers import recommended_initializer as _rec\n'
           'def initializer_for(activation):\n'
           '    try:\n'
           '        name = _rec(activation.lower() if isinstance(activation, str) else activation)\n'
           '    except ValueError:\n'
           '        raise\n'
           '    return name.split("_")[0]\n')
    NB.assert_passes("test_initializer_for", initializer_for=src)


def test_value_error_must_name_the_activation():
    wrong = REFERENCE_FOR.replace(
        'raise ValueError(f"no recommended initialization for activation {activation!r}")',
        'raise ValueError("unknown activation")')
    result = NB.assert_fails("test_initializer_for", visible_only=True, initializer_for=wrong)
    assert "does not name 'bogus'" in result.message
