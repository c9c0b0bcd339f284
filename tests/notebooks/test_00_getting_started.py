"""00_getting_started: the reference answers pass, known-wrong answers are rejected."""

import pytest

from tests.nbharness import Notebook

NB = Notebook("solutions/00_getting_started/00_getting_started.ipynb")

TEST_IDS = ["test_numerical_gradient", "test_relative_error", "test_find_the_bug",
            "test_fixed_dense"]


def test_notebook_has_the_expected_test_cells():
    assert NB.test_ids() == TEST_IDS
    assert NB.answer_ids() == ["numerical_gradient", "relative_error", "find_the_bug",
                               "fixed_dense"]


@pytest.mark.parametrize("test_id", TEST_IDS)
def test_reference_passes(test_id):
    result = NB.assert_passes(test_id)
    assert "✓" in result.stdout


# --- numerical_gradient ------------------------------------------------------------
FORWARD_DIFFERENCE = '''
def numerical_gradient(f, x, eps=1e-6):
    grad = np.zeros_like(x)
    f0 = f(x)
    for i in np.ndindex(x.shape):
        old = x[i].copy()
        x[i] = old + eps
        grad[i] = (f(x) - f0) / eps
        x[i] = old
    return grad
'''

NOT_RESTORED = '''
def numerical_gradient(f, x, eps=1e-6):
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i].copy()
        x[i] = old + eps
        f_plus = f(x)
        x[i] = old - eps
        f_minus = f(x)
        grad[i] = (f_plus - f_minus) / (2 * eps)
    return grad
'''

ADD_SUBTRACT = '''
def numerical_gradient(f, x, eps=1e-6):
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        x[i] += eps
        f_plus = f(x)
        x[i] -= 2 * eps
        f_minus = f(x)
        x[i] += eps
        grad[i] = (f_plus - f_minus) / (2 * eps)
    return grad
'''

FLAT_ONLY = '''
def numerical_gradient(f, x, eps=1e-6):
    grad = np.zeros_like(x)
    for i in range(len(x)):
        old = x[i].copy()
        x[i] = old + eps
        f_plus = f(x)
        x[i] = old - eps
        f_minus = f(x)
        x[i] = old
        grad[i] = (f_plus - f_minus) / (2 * eps)
    return grad
'''

FLOAT64_RESULT = '''
def numerical_gradient(f, x, eps=1e-6):
    grad = np.zeros(x.shape)
    for i in np.ndindex(x.shape):
        old = x[i].copy()
        x[i] = old + eps
        f_plus = f(x)
        x[i] = old - eps
        f_minus = f(x)
        x[i] = old
        grad[i] = (f_plus - f_minus) / (2 * eps)
    return grad
'''

FIXED_EPS = FLOAT64_RESULT.replace("grad = np.zeros(x.shape)", "grad = np.zeros_like(x)\n"
                                   "    eps = 1e-6")

NO_RETURN = NOT_RESTORED.replace("    return grad\n", "")

STUB = '''
def numerical_gradient(f, x, eps=1e-6):
    # YOUR CODE HERE
    raise NotImplementedError()
'''


def test_forward_difference_is_rejected_by_the_visible_tests():
    result = NB.assert_fails("test_numerical_gradient", visible_only=True,
                             numerical_gradient=FORWARD_DIFFERENCE)
    assert "sum(x**2)" in result.message and "forward difference" in result.message


def test_not_restoring_x_is_rejected_by_the_visible_tests():
    result = NB.assert_fails("test_numerical_gradient", visible_only=True,
                             numerical_gradient=NOT_RESTORED)
    assert "x after numerical_gradient returned" in result.message
    assert "old" in result.message   # the hint


@pytest.mark.parametrize("wrong", [FLAT_ONLY, FLOAT64_RESULT, FIXED_EPS],
                         ids=["1-D loop", "float64 result", "eps ignored"])
def test_subtle_numerical_gradient_mistakes_are_rejected_by_the_visible_tests(wrong):
    """Each breaks a stated requirement (any shape, x's dtype, the eps given): visible since issue 12."""
    NB.assert_fails("test_numerical_gradient", visible_only=True, numerical_gradient=wrong)
    NB.assert_fails("test_numerical_gradient", numerical_gradient=wrong)


def test_add_subtract_is_rejected_and_the_message_shows_the_tiny_difference():
    """x[i] += eps ... x[i] -= eps leaves 1 + 1e-16 behind: visible already rejects it."""
    result = NB.assert_fails("test_numerical_gradient", visible_only=True,
                             numerical_gradient=ADD_SUBTRACT)
    assert "x after numerical_gradient returned" in result.message
    assert "expected 1.0, got 0.9999999999999999" in result.message
    NB.assert_fails("test_numerical_gradient", numerical_gradient=ADD_SUBTRACT)


def test_forward_difference_is_rejected_by_the_hidden_tests_too():
    NB.assert_fails("test_numerical_gradient", numerical_gradient=FORWARD_DIFFERENCE)


def test_missing_return_and_stub_have_helpful_messages():
    result = NB.assert_fails("test_numerical_gradient", visible_only=True,
                             numerical_gradient=NO_RETURN)
    assert "return" in result.message and "None" in result.message
    result = NB.assert_fails("test_numerical_gradient", visible_only=True, numerical_gradient=STUB)
    assert "not written this function yet" in result.message


# --- relative_error ----------------------------------------------------------------
def _relative_error(body):
    return ("def relative_error(a, b):\n"
            "    a = np.asarray(a, dtype=np.float64)\n"
            "    b = np.asarray(b, dtype=np.float64)\n" + body)


NO_DENOMINATOR = _relative_error("    return float(np.linalg.norm(a - b))\n")
MAX_DENOMINATOR = _relative_error(
    "    den = max(np.linalg.norm(a), np.linalg.norm(b))\n"
    "    if den == 0:\n        return 0.0\n"
    "    return float(np.linalg.norm(a - b) / den)\n")
CRASHES_ON_ZEROS = _relative_error(
    "    return float(np.linalg.norm(a - b) / (np.linalg.norm(a) + np.linalg.norm(b)))\n")
PRECEDENCE = _relative_error(
    "    return float(np.linalg.norm(a - b) / np.linalg.norm(a) + np.linalg.norm(b))\n")
SQUARED_NORMS = _relative_error(
    "    den = np.sum(a ** 2) + np.sum(b ** 2)\n"
    "    if den == 0:\n        return 0.0\n"
    "    return float(np.sum((a - b) ** 2) / den)\n")
PER_AXIS = _relative_error(
    "    den = np.linalg.norm(a, axis=-1) + np.linalg.norm(b, axis=-1)\n"
    "    return np.where(den == 0, 0.0, np.linalg.norm(a - b, axis=-1) / np.where(den == 0, 1, den))\n")


def test_no_denominator_is_rejected_by_the_visible_tests():
    result = NB.assert_fails("test_relative_error", visible_only=True,
                             relative_error=NO_DENOMINATOR)
    assert "relative_error([3, 4], [0, 0])" in result.message
    assert "expected 1, got 5" in result.message
    assert "absolute error" in result.message


def test_precedence_mistake_is_rejected_by_the_visible_tests():
    result = NB.assert_fails("test_relative_error", visible_only=True, relative_error=PRECEDENCE)
    assert "relative_error([1, 0], [0, 1])" in result.message and "parentheses" in result.message


@pytest.mark.parametrize("wrong", [NO_DENOMINATOR, MAX_DENOMINATOR, CRASHES_ON_ZEROS,
                                   PRECEDENCE, SQUARED_NORMS, PER_AXIS],
                         ids=["no denominator", "max", "0/0", "precedence", "squared",
                              "per axis"])
def test_wrong_relative_errors_are_rejected_by_the_hidden_tests(wrong):
    NB.assert_fails("test_relative_error", relative_error=wrong)


def test_crash_on_zeros_is_named_by_the_visible_tests():
    result = NB.assert_fails("test_relative_error", visible_only=True, relative_error=CRASHES_ON_ZEROS)
    assert "two zero arrays" in result.message and "invalid value" in result.message
    assert "return 0.0 instead of dividing" in result.message
    NB.assert_fails("test_relative_error", relative_error=CRASHES_ON_ZEROS)


def test_max_denominator_is_rejected_with_the_2d_case():
    result = NB.assert_fails("test_relative_error", relative_error=MAX_DENOMINATOR)
    assert "relative_error([1, 0], [0, 1])" in result.message or "2-D" in result.message


def test_api_definition_is_accepted():
    """deeplib.gradcheck's definition (max(den, tiny)) is also a correct answer."""
    NB.assert_passes("test_relative_error",
                     relative_error="from deeplib.gradcheck import relative_error\n")


# --- the planted bug ---------------------------------------------------------------
FIND_THE_BUG = NB.cells[[c.grade_id for c in NB.cells].index("find_the_bug")].source


@pytest.mark.parametrize("answer", ["W", "b"])
def test_wrong_answer_to_the_planted_bug_is_rejected(answer):
    wrong = FIND_THE_BUG.replace("buggy = max(errors, key=errors.get)", f"buggy = {answer!r}")
    assert wrong != FIND_THE_BUG
    result = NB.assert_fails("test_find_the_bug", visible_only=True, find_the_bug=wrong)
    assert answer in result.message and "relative error is large" in result.message
    NB.assert_fails("test_find_the_bug", find_the_bug=wrong)


def test_malformed_answer_is_rejected_by_the_visible_tests():
    wrong = FIND_THE_BUG.replace("buggy = max(errors, key=errors.get)", "buggy = 'dW'")
    result = NB.assert_fails("test_find_the_bug", visible_only=True, find_the_bug=wrong)
    assert "'input', 'W' or 'b'" in result.message


def test_the_bug_is_found_with_deeplibs_reference_tools():
    """Independent of the learner's functions: deeplib.gradcheck sees the same bug."""
    with_reference = ("from deeplib.gradcheck import numerical_gradient, relative_error\n"
                      + FIND_THE_BUG)
    NB.assert_passes("test_find_the_bug", find_the_bug=with_reference)


# --- the fix -----------------------------------------------------------------------
def _fixed(body):
    return ("class FixedDense(BuggyDense):\n"
            "    def backward(self, grad_out):\n"
            "        x = self._cached()\n" + body)


STILL_BUGGY = _fixed("        self.W.grad += x.T @ grad_out\n"
                     "        self.b.grad += grad_out.sum(axis=0)\n"
                     "        return grad_out @ self.W.data\n")
OVERWRITES = _fixed("        self.W.grad[...] = x.T @ grad_out\n"
                    "        self.b.grad[...] = grad_out.sum(axis=0)\n"
                    "        return grad_out @ self.W.data.T\n")
MEAN_BIAS = _fixed("        self.W.grad += x.T @ grad_out\n"
                   "        self.b.grad += grad_out.mean(axis=0)\n"
                   "        return grad_out @ self.W.data.T\n")


def test_unfixed_backward_is_rejected_by_the_visible_tests():
    result = NB.assert_fails("test_fixed_dense", visible_only=True, fixed_dense=STILL_BUGGY)
    assert "FixedDense(5, 5)" in result.message and "input" in result.message


def test_mean_bias_is_rejected_by_the_visible_tests():
    result = NB.assert_fails("test_fixed_dense", visible_only=True, fixed_dense=MEAN_BIAS)
    assert ": b" in result.message


def test_overwriting_gradients_is_rejected_by_the_visible_tests():
    result = NB.assert_fails("test_fixed_dense", visible_only=True, fixed_dense=OVERWRITES)
    assert "two backward calls" in result.message and "+=" in result.message
    NB.assert_fails("test_fixed_dense", fixed_dense=OVERWRITES)



def test_gradients_of_copies_are_named_by_the_visible_tests():
    """Numerical gradients of copies of x, W, b are all zero: three errors of about 1."""
    wrong = FIND_THE_BUG.replace("numerical_gradient(loss_of, x)", "numerical_gradient(loss_of, x.copy())")
    wrong = wrong.replace("numerical_gradient(loss_of, layer.W.data)", "numerical_gradient(loss_of, layer.W.data.copy())")
    wrong = wrong.replace("numerical_gradient(loss_of, layer.b.data)", "numerical_gradient(loss_of, layer.b.data.copy())")
    assert wrong.count(".copy())") == 3
    result = NB.assert_fails("test_find_the_bug", visible_only=True, find_the_bug=wrong)
    assert "numerical gradients were all zero" in result.message


def test_unanswered_find_the_bug_says_what_to_do():
    stub = FIND_THE_BUG.split("### BEGIN SOLUTION")[0] + "# YOUR CODE HERE\nraise NotImplementedError()\n"
    result = NB.assert_fails("test_find_the_bug", visible_only=True, find_the_bug=stub)
    assert "NotImplementedError" in result.message   # the answer cell itself raised
