"""01_vanishing_exploding_gradients: the reference answers pass, known-wrong answers are rejected."""

import pytest

from tests.nbharness import Notebook

NB = Notebook("solutions/01_vanishing_exploding_gradients/01_vanishing_exploding_gradients.ipynb")

TEST_IDS = ["test_layer_gradient_norms", "test_clip_grad_norm"]


def test_notebook_has_the_expected_cells():
    assert NB.test_ids() == TEST_IDS
    assert NB.answer_ids() == ["layer_gradient_norms", "clip_grad_norm"]


@pytest.mark.parametrize("test_id", TEST_IDS)
def test_reference_passes(test_id):
    result = NB.assert_passes(test_id)
    assert "✓" in result.stdout


# --- layer_gradient_norms ----------------------------------------------------------
def _norms(zero="    for p in model.parameters():\n        p.zero_grad()\n",
           norm="np.linalg.norm(layer.W.grad)", order="model.layers", after=""):
    return ("def layer_gradient_norms(model, X, y):\n" + zero
            + "    logits = model.forward(X)\n"
            "    _, grad = softmax_cross_entropy(logits, y)\n"
            "    model.backward(grad)\n"
            f"    norms = np.array([{norm} for layer in {order} if isinstance(layer, Dense)])\n"
            + after + "    return norms\n")


NO_ZERO = _norms(zero="")
LAST_FIRST = _norms(order="reversed(model.layers)")
SPECTRAL = _norms(norm="np.linalg.norm(layer.W.grad, 2)")
WEIGHT_NORM = _norms(norm="np.linalg.norm(layer.W.data)")
ZERO_AFTER = _norms(zero="", after="    for p in model.parameters():\n        p.zero_grad()\n")
WITH_BIAS = '''
def layer_gradient_norms(model, X, y):
    for p in model.parameters():
        p.zero_grad()
    _, grad = softmax_cross_entropy(model.forward(X), y)
    model.backward(grad)
    return np.array([np.linalg.norm(p.grad) for p in model.parameters()])
'''
STUB = '''
def layer_gradient_norms(model, X, y):
    # YOUR CODE HERE
    raise NotImplementedError()
'''
DEEPLIB_REFERENCE = '''
from deeplib.diagnostics import gradient_norms

def layer_gradient_norms(model, X, y):
    return np.array([d["weight_grad_norm"]
                     for d in gradient_norms(model, softmax_cross_entropy, X, y)])
'''


def test_forgetting_to_zero_the_gradients_is_rejected_by_the_visible_tests():
    result = NB.assert_fails("test_layer_gradient_norms", visible_only=True,
                             layer_gradient_norms=NO_ZERO)
    assert "second call" in result.message and "zero" in result.message


def test_last_layer_first_is_rejected_by_the_visible_tests():
    result = NB.assert_fails("test_layer_gradient_norms", visible_only=True,
                             layer_gradient_norms=LAST_FIRST)
    assert "first layer first" in result.message


@pytest.mark.parametrize("wrong", [SPECTRAL, WEIGHT_NORM, WITH_BIAS],
                         ids=["spectral norm", "norm of W not of its gradient", "biases too"])
def test_wrong_norms_are_rejected_by_the_visible_tests(wrong):
    NB.assert_fails("test_layer_gradient_norms", visible_only=True, layer_gradient_norms=wrong)


@pytest.mark.parametrize("wrong", [NO_ZERO, LAST_FIRST, SPECTRAL, WEIGHT_NORM, WITH_BIAS, ZERO_AFTER],
                         ids=["no zero", "last first", "spectral", "W norm", "bias", "zero after"])
def test_wrong_layer_gradient_norms_are_rejected_by_the_hidden_tests(wrong):
    NB.assert_fails("test_layer_gradient_norms", layer_gradient_norms=wrong)


def test_zeroing_after_instead_of_before_is_caught_by_the_visible_tests():
    """Cleaning up after the backward pass passes the repeated call but not leftover grads."""
    result = NB.assert_fails("test_layer_gradient_norms", visible_only=True, layer_gradient_norms=ZERO_AFTER)
    assert "left gradients of 1" in result.message and "BEFORE" in result.message
    NB.assert_fails("test_layer_gradient_norms", layer_gradient_norms=ZERO_AFTER)


def test_stub_says_not_written_yet():
    result = NB.assert_fails("test_layer_gradient_norms", visible_only=True,
                             layer_gradient_norms=STUB)
    assert "not written this function yet" in result.message


def test_deeplib_reference_is_accepted():
    NB.assert_passes("test_layer_gradient_norms", layer_gradient_norms=DEEPLIB_REFERENCE)


# --- clip_grad_norm ----------------------------------------------------------------
def _clip(total="math.sqrt(sum(float(np.sum(g ** 2)) for g in grads))",
          scale="max_norm / (total + 1e-6)", condition="c < 1", apply="g *= c",
          ret="total"):
    return ("def clip_grad_norm(grads, max_norm):\n"
            f"    total = {total}\n"
            f"    c = {scale}\n"
            f"    if {condition}:\n"
            "        for g in grads:\n"
            f"            {apply}\n"
            f"    return {ret}\n")


PER_TENSOR = '''
def clip_grad_norm(grads, max_norm):
    total = math.sqrt(sum(float(np.sum(g ** 2)) for g in grads))
    for g in grads:
        c = max_norm / (np.linalg.norm(g) + 1e-6)
        if c < 1:
            g *= c
    return total
'''
ALWAYS = _clip(condition="True")
NOT_IN_PLACE = _clip(apply="g = g * c")
CLIPPED_NORM_RETURNED = _clip(ret="min(total, max_norm)")
SUM_OF_NORMS = _clip(total="sum(float(np.linalg.norm(g)) for g in grads)")
SQUARED = _clip(total="sum(float(np.sum(g ** 2)) for g in grads)")
DIVIDES_BY_TOTAL = _clip(total="np.sqrt(sum(np.sum(g ** 2) for g in grads))",
                         scale="max_norm / total")
CLIP_VALUE = '''
def clip_grad_norm(grads, max_norm):
    total = math.sqrt(sum(float(np.sum(g ** 2)) for g in grads))
    for g in grads:
        np.clip(g, -max_norm, max_norm, out=g)
    return total
'''
STRICT_THRESHOLD = _clip(scale="max_norm / total if total > 0 else 1.0",
                         condition="total > max_norm")
DEEPLIB_REFERENCE_CLIP = '''
from deeplib.clipping import clip_grad_norm_
from deeplib.parameter import Parameter

def clip_grad_norm(grads, max_norm):
    params = []
    for g in grads:
        p = Parameter(np.zeros_like(g))
        p.grad = g
        params.append(p)
    return clip_grad_norm_(params, max_norm)
'''


def test_per_tensor_clipping_is_rejected_by_the_visible_tests():
    result = NB.assert_fails("test_clip_grad_norm", visible_only=True, clip_grad_norm=PER_TENSOR)
    assert "a after clipping" in result.message and "same c" in result.message


def test_clipping_always_is_rejected_by_the_visible_tests():
    result = NB.assert_fails("test_clip_grad_norm", visible_only=True, clip_grad_norm=ALWAYS)
    assert "must not change" in result.message


def test_not_in_place_is_rejected_by_the_visible_tests():
    result = NB.assert_fails("test_clip_grad_norm", visible_only=True, clip_grad_norm=NOT_IN_PLACE)
    assert "in place" in result.message


@pytest.mark.parametrize("wrong", [CLIPPED_NORM_RETURNED, SUM_OF_NORMS, SQUARED, CLIP_VALUE],
                         ids=["clipped norm returned", "sum of norms", "no sqrt", "clip values"])
def test_wrong_totals_are_rejected_by_the_visible_tests(wrong):
    NB.assert_fails("test_clip_grad_norm", visible_only=True, clip_grad_norm=wrong)


@pytest.mark.parametrize("wrong", [PER_TENSOR, ALWAYS, NOT_IN_PLACE, CLIPPED_NORM_RETURNED,
                                   SUM_OF_NORMS, SQUARED, CLIP_VALUE, DIVIDES_BY_TOTAL],
                         ids=["per tensor", "always", "not in place", "clipped norm",
                              "sum of norms", "no sqrt", "clip values", "0/0"])
def test_wrong_clip_grad_norms_are_rejected_by_the_hidden_tests(wrong):
    NB.assert_fails("test_clip_grad_norm", clip_grad_norm=wrong)


def test_division_by_zero_is_caught_by_the_visible_tests():
    result = NB.assert_fails("test_clip_grad_norm", visible_only=True, clip_grad_norm=DIVIDES_BY_TOTAL)
    assert "all-zero gradients" in result.message and "total + 1e-6" in result.message
    NB.assert_fails("test_clip_grad_norm", clip_grad_norm=DIVIDES_BY_TOTAL)


NEW_ARRAYS = '''
def clip_grad_norm(grads, max_norm):
    total = float(np.sqrt(sum(np.sum(np.square(g, dtype=np.float64)) for g in grads)))
    c = max_norm / (total + 1e-6)
    if c < 1:
        for i in range(len(grads)):
            grads[i] = grads[i] * c
    return total
'''


def test_replacing_the_list_entries_is_rejected_by_the_visible_tests():
    """grads[i] = ... replaces the list's entries: the caller's arrays are unchanged."""
    NB.assert_fails("test_clip_grad_norm", visible_only=True, clip_grad_norm=NEW_ARRAYS)


@pytest.mark.parametrize("right", [STRICT_THRESHOLD, DEEPLIB_REFERENCE_CLIP],
                         ids=["total > max_norm, no epsilon", "deeplib.clipping"])
def test_other_correct_clippings_are_accepted(right):
    NB.assert_passes("test_clip_grad_norm", clip_grad_norm=right)
