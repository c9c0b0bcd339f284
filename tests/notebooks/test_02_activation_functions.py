"""Known-wrong answers for notebook 02 (activation functions) must fail its test cells.

Each wrong answer is the reference answer cell with one plausible mistake swapped in
(``_swap``), so the test shows exactly which mistake each test cell catches. The
reference must pass every test cell; a few *correct* alternatives (tanh via sigmoid,
softplus via logaddexp, ...) must pass too, so that the tests accept every correct answer.
"""

import pytest

from tests.nbharness import Notebook

NB = Notebook("solutions/02_activation_functions/02_activation_functions.ipynb")


def _reference(grade_id):
    (cell,) = [c for c in NB.cells if c.grade_id == grade_id and c.solution]
    return cell.source


def _swap(grade_id, old, new):
    """The reference answer `grade_id` with the snippet `old` replaced by `new`."""
    source = _reference(grade_id)
    assert old in source, f"snippet not found in the reference {grade_id}: {old!r}"
    return {grade_id: source.replace(old, new)}


def _swap_all(grade_id, *pairs):
    """The reference answer `grade_id` with each (old, new) snippet pair replaced."""
    source = _reference(grade_id)
    for old, new in pairs:
        assert old in source, f"snippet not found in the reference {grade_id}: {old!r}"
        source = source.replace(old, new)
    return {grade_id: source}


TEST_IDS = ["test_sigmoid", "test_tanh", "test_relu", "test_leaky_relu", "test_elu", "test_selu",
            "test_softplus", "test_swish", "test_softmax", "test_PReLU", "test_RReLU",
            "test_dead_fraction"]


def test_every_exercise_is_listed():
    assert NB.test_ids() == TEST_IDS


@pytest.mark.parametrize("test_id", TEST_IDS)
def test_reference_passes(test_id):
    result = NB.assert_passes(test_id)
    assert "✓" in result.stdout


# (test id, wrong answer, caught by the visible part already?)
# (test id, wrong answer, caught by the visible part already?). Every mistake here breaks a
# requirement the notebook states, so the visible tests reject each one too (issue 12).
WRONG = {
    # --- sigmoid
    "sigmoid_naive_overflows": ("test_sigmoid", _swap(
        "sigmoid", "e = np.exp(-np.abs(z))                     # in (0, 1]: never overflows\n"
                   "    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))",
        "return 1 / (1 + np.exp(-z))"), True),
    "sigmoid_derivative_naive_exp": ("test_sigmoid", _swap(
        "sigmoid", "s = sigmoid(z)\n    return s * (1 - s)",
        "return np.exp(-z) / (1 + np.exp(-z)) ** 2"), True),
    "sigmoid_derivative_forgets_1_minus_s": ("test_sigmoid", _swap(
        "sigmoid", "return s * (1 - s)", "return s"), True),
    "sigmoid_float32_upcast": ("test_sigmoid", _swap(
        "sigmoid", "return np.where(z >= 0, 1 / (1 + e), e / (1 + e))",
        "return np.where(z >= 0, 1 / (1 + e), e / (1 + e)).astype(np.float64)"), True),
    # --- tanh
    "tanh_exp_formula": ("test_tanh", _swap(
        "tanh", "return np.tanh(z)", "return (np.exp(z) - np.exp(-z)) / (np.exp(z) + np.exp(-z))"), True),
    "tanh_derivative_not_squared": ("test_tanh", _swap(
        "tanh", "return 1 - t * t", "return 1 - t"), True),
    # --- relu
    "relu_derivative_boolean": ("test_relu", _swap(
        "relu", "return (z > 0).astype(z.dtype)", "return z > 0"), True),
    "relu_modifies_input": ("test_relu", _swap(
        "relu", "return np.maximum(z, 0)", "z[z < 0] = 0\n    return z"), True),
    "relu_derivative_sign": ("test_relu", _swap(
        "relu", "return (z > 0).astype(z.dtype)", "return np.sign(z)"), True),
    # --- leaky relu
    "leaky_relu_hardcoded_slope": ("test_leaky_relu", _swap(
        "leaky_relu", "return np.where(z > 0, z, negative_slope * z)", "return np.where(z > 0, z, 0.01 * z)"), True),
    "leaky_relu_keras_default": ("test_leaky_relu", _swap(
        "leaky_relu", "def leaky_relu(z, negative_slope=0.01)", "def leaky_relu(z, negative_slope=0.3)"), True),
    "leaky_relu_derivative_float64": ("test_leaky_relu", _swap(
        "leaky_relu", "return np.where(z > 0, np.ones_like(z), np.full_like(z, negative_slope))",
        "return np.where(z > 0, 1.0, negative_slope)"), True),
    # --- elu
    "elu_ignores_alpha": ("test_elu", _swap(
        "elu", "return np.where(z > 0, z, alpha * np.expm1(np.minimum(z, 0)))",
        "return np.where(z > 0, z, np.expm1(np.minimum(z, 0)))"), True),
    "elu_where_overflows": ("test_elu", _swap(
        "elu", "return np.where(z > 0, z, alpha * np.expm1(np.minimum(z, 0)))",
        "return np.where(z > 0, z, alpha * (np.exp(z) - 1))"), True),
    "elu_derivative_where_overflows": ("test_elu", _swap(
        "elu", "alpha * np.exp(np.minimum(z, 0)))", "alpha * np.exp(z))"), True),
    "elu_derivative_ignores_alpha": ("test_elu", _swap(
        "elu", "alpha * np.exp(np.minimum(z, 0)))", "np.exp(np.minimum(z, 0)))"), True),
    # --- selu
    "selu_rounded_constants": ("test_selu", _swap(
        "selu", "SELU_LAMBDA = 1.0507009873554804934193349852946\nSELU_ALPHA = 1.6732632423543772848170429916717",
        "SELU_LAMBDA = 1.0507\nSELU_ALPHA = 1.67326"), True),
    "selu_lambda_only_on_negative_side": ("test_selu", _swap(
        "selu", "return SELU_LAMBDA * elu(z, SELU_ALPHA)",
        "return np.where(z > 0, z, SELU_LAMBDA * elu(z, SELU_ALPHA))"), True),
    # --- softplus
    "softplus_naive": ("test_softplus", _swap(
        "softplus", "return np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))", "return np.log(1 + np.exp(z))"), True),
    "softplus_log_instead_of_log1p": ("test_softplus", _swap(
        "softplus", "np.log1p(np.exp(-np.abs(z)))", "np.log(1 + np.exp(-np.abs(z)))"), True),
    "softplus_derivative_naive": ("test_softplus", _swap(
        "softplus", "return sigmoid(z)\n", "return np.exp(z) / (1 + np.exp(z))\n"), True),
    # --- swish
    "swish_ignores_beta": ("test_swish", _swap(
        "swish", "return z * sigmoid(beta * z)", "return z * sigmoid(z)"), True),
    "swish_derivative_missing_chain_factor": ("test_swish", _swap(
        "swish", "return s + beta * z * s * (1 - s)", "return s + z * s * (1 - s)"), True),
    "swish_naive_overflows": ("test_swish", _swap(
        "swish", "return z * sigmoid(beta * z)", "return z / (1 + np.exp(-beta * z))"), True),
    # --- softmax
    "softmax_no_max_shift": ("test_softmax", _swap(
        "softmax", "e = np.exp(z - np.max(z, axis=-1, keepdims=True))", "e = np.exp(z)"), True),
    "softmax_wrong_axis": ("test_softmax", _swap(
        "softmax", "return e / np.sum(e, axis=-1, keepdims=True)", "return e / np.sum(e, axis=0, keepdims=True)"), True),
    "softmax_global_max": ("test_softmax", _swap(
        "softmax", "e = np.exp(z - np.max(z, axis=-1, keepdims=True))", "e = np.exp(z - np.max(z))"), True),
    "softmax_backward_elementwise": ("test_softmax", _swap(
        "softmax", "return a * (grad_out - np.sum(grad_out * a, axis=-1, keepdims=True))",
        "return grad_out * a * (1 - a)"), True),
    "softmax_backward_sums_over_batch": ("test_softmax", _swap(
        "softmax", "return a * (grad_out - np.sum(grad_out * a, axis=-1, keepdims=True))",
        "return a * (grad_out - np.sum(grad_out * a))"), True),
    # --- PReLU
    "prelu_overwrites_grad": ("test_PReLU", _swap(
        "PReLU", "self.alpha.grad += gx.sum()", "self.alpha.grad = np.array([gx.sum()])"), True),
    "prelu_alpha_grad_over_all_x": ("test_PReLU", _swap(
        "PReLU", "gx = np.where(negative, grad_out * x, 0)", "gx = grad_out * x"), True),
    "prelu_per_feature_wrong_axis": ("test_PReLU", _swap(
        "PReLU", "self.alpha.grad += gx.reshape(-1, self.num_parameters).sum(axis=0)",
        "self.alpha.grad += gx.reshape(self.num_parameters, -1).sum(axis=1)"), True),
    "prelu_alpha_copied_at_init": ("test_PReLU", _swap_all(
        "PReLU", ("return np.where(x > 0, x, self.alpha.data * x)", "return np.where(x > 0, x, self.slope0 * x)"),
        ("self.x = None ", "self.slope0 = float(init)\n        self.x = None ")), True),
    # --- RReLU
    "rrelu_random_in_eval": ("test_RReLU", _swap(
        "RReLU", "if self.training:", "if True:"), True),
    "rrelu_one_slope_per_call": ("test_RReLU", _swap(
        "RReLU", "a = self.rng.uniform(self.lower, self.upper, size=x.shape).astype(x.dtype)",
        "a = np.full_like(x, self.rng.uniform(self.lower, self.upper))"), True),
    "rrelu_ignores_bounds": ("test_RReLU", _swap(
        "RReLU", "a = self.rng.uniform(self.lower, self.upper, size=x.shape).astype(x.dtype)",
        "a = self.rng.uniform(0, 1, size=x.shape).astype(x.dtype)"), True),
    "rrelu_backward_redraws": ("test_RReLU", _swap(
        "RReLU", "return grad_out * self.scale",
        "return self.forward(np.where(self.scale == 1, 1.0, -1.0)) * grad_out * "
        "np.where(self.scale == 1, 1.0, -1.0)"), True),
    "rrelu_global_numpy_random": ("test_RReLU", _swap(
        "RReLU", "a = self.rng.uniform(self.lower, self.upper, size=x.shape).astype(x.dtype)",
        "a = np.random.uniform(self.lower, self.upper, size=x.shape).astype(x.dtype)"), True),
    "rrelu_float64_slopes": ("test_RReLU", _swap(
        "RReLU", "a = self.rng.uniform(self.lower, self.upper, size=x.shape).astype(x.dtype)",
        "a = self.rng.uniform(self.lower, self.upper, size=x.shape)"), True),
    # --- dead units
    "dead_fraction_per_example": ("test_dead_fraction", _swap(
        "dead_fraction", "np.all(z <= 0, axis=0)", "np.all(z <= 0, axis=1)"), True),
    "dead_fraction_strict_inequality": ("test_dead_fraction", _swap(
        "dead_fraction", "np.all(z <= 0, axis=0)", "np.all(z < 0, axis=0)"), True),
    "dead_fraction_count": ("test_dead_fraction", _swap(
        "dead_fraction", "return float(np.mean(np.all(z <= 0, axis=0)))",
        "return float(np.sum(np.all(z <= 0, axis=0)))"), True),
    # --- natural first attempts from the learner trial (issue 12): all rejected visibly
    "sigmoid_where_both_branches_overflow": ("test_sigmoid", _swap(
        "sigmoid", "e = np.exp(-np.abs(z))                     # in (0, 1]: never overflows\n"
                   "    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))",
        "return np.where(z >= 0, 1 / (1 + np.exp(-z)), np.exp(z) / (1 + np.exp(z)))"), True),
    "relu_derivative_float64_constant": ("test_relu", _swap(
        "relu", "return (z > 0).astype(z.dtype)", "return np.where(z > 0, 1.0, 0.0)"), True),
    "prelu_shared_sum_per_feature": ("test_PReLU", _swap(
        "PReLU", "self.alpha.grad += gx.sum()", "self.alpha.grad += gx.sum(axis=0)"), True),
    "prelu_per_feature_assigns_new_grad": ("test_PReLU", _swap(
        "PReLU", "self.alpha.grad += gx.reshape(-1, self.num_parameters).sum(axis=0)",
        "self.alpha.grad = gx.reshape(-1, self.num_parameters).sum(axis=0)"), True),
    "prelu_forward_always_shared": ("test_PReLU", _swap(
        "PReLU", "return np.where(x > 0, x, self.alpha.data * x)",
        "return np.where(x > 0, x, self.alpha.data[0] * x)"), True),
    "rrelu_fresh_unseeded_generator": ("test_RReLU", _swap(
        "RReLU", "a = self.rng.uniform(self.lower, self.upper, size=x.shape).astype(x.dtype)",
        "a = np.random.default_rng().uniform(self.lower, self.upper, size=x.shape).astype(x.dtype)"), True),

}


@pytest.mark.parametrize("name", sorted(WRONG))
def test_wrong_answer_is_rejected(name):
    test_id, answer, visible = WRONG[name]
    NB.assert_fails(test_id, **answer)
    if visible:
        NB.assert_fails(test_id, visible_only=True, **answer)


def test_every_exercise_has_a_wrong_answer_rejected_by_hidden_tests():
    covered = {test_id for test_id, _, _ in WRONG.values()}
    assert covered == set(TEST_IDS)


# Correct alternatives that must be accepted.
RIGHT = {
    "sigmoid_via_logaddexp": ("test_sigmoid", _swap(
        "sigmoid", "e = np.exp(-np.abs(z))                     # in (0, 1]: never overflows\n"
                   "    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))",
        "return np.exp(-np.logaddexp(0, -z))")),
    "tanh_via_sigmoid": ("test_tanh", _swap("tanh", "return np.tanh(z)", "return 2 * sigmoid(2 * z) - 1")),
    "relu_heaviside": ("test_relu", _swap(
        "relu", "return (z > 0).astype(z.dtype)", "return np.heaviside(z, 1).astype(z.dtype)")),
    "relu_where": ("test_relu", _swap("relu", "return np.maximum(z, 0)", "return np.where(z > 0, z, 0 * z)")),
    "leaky_relu_maximum": ("test_leaky_relu", _swap(
        "leaky_relu", "return np.where(z > 0, z, negative_slope * z)",
        "return np.maximum(z, negative_slope * z)")),
    "elu_exp_of_minimum": ("test_elu", _swap(
        "elu", "alpha * np.expm1(np.minimum(z, 0))", "alpha * (np.exp(np.minimum(z, 0)) - 1)")),
    "softplus_logaddexp": ("test_softplus", _swap(
        "softplus", "return np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))", "return np.logaddexp(0, z)")),
    "swish_derivative_factored": ("test_swish", _swap(
        "swish", "return s + beta * z * s * (1 - s)", "return s * (1 + beta * z * (1 - s))")),
    "softmax_backward_via_jacobian": ("test_softmax", _swap(
        "softmax", "return a * (grad_out - np.sum(grad_out * a, axis=-1, keepdims=True))",
        "J = a[..., :, None] * (np.eye(a.shape[-1], dtype=a.dtype) - a[..., None, :])\n"
        "    return np.einsum('...i,...ij->...j', grad_out, J)")),
    "rrelu_slopes_via_random": ("test_RReLU", _swap(
        "RReLU", "a = self.rng.uniform(self.lower, self.upper, size=x.shape).astype(x.dtype)",
        "u = self.rng.random(x.shape)\n"
        "            a = (self.lower + (self.upper - self.lower) * u).astype(x.dtype)")),
    # PyTorch's convention at the kink: x = 0 gets the random slope (any slope is accepted there)
    "rrelu_random_slope_at_zero": ("test_RReLU", _swap(
        "RReLU", "self.scale = np.where(x >= 0, np.ones_like(x), a)",
        "self.scale = np.where(x > 0, np.ones_like(x), a)")),
}


@pytest.mark.parametrize("name", sorted(RIGHT))
def test_correct_alternative_is_accepted(name):
    test_id, answer = RIGHT[name]
    NB.assert_passes(test_id, **answer)
