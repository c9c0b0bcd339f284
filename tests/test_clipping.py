"""Tests of deeplib.clipping against independent maths (math.fsum, known values)."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from deeplib.clipping import clip_grad_norm_, clip_grad_value_
from deeplib.parameter import Parameter


def params_with_grads(*grads, dtype=np.float64):
    params = []
    for g in grads:
        p = Parameter(np.zeros(np.shape(g), dtype=dtype))
        p.grad[...] = g
        params.append(p)
    return params


def test_total_norm_is_the_norm_of_all_gradients_as_one_vector():
    # 3-4-12 gives 13: sqrt(9 + 16 + 144)
    params = params_with_grads([3.0, 0.0], [[4.0], [-12.0]])
    assert clip_grad_norm_(params, max_norm=100.0) == pytest.approx(13.0, rel=1e-15)
    np.testing.assert_array_equal(params[0].grad, [3.0, 0.0])  # below max_norm: unchanged
    np.testing.assert_array_equal(params[1].grad, [[4.0], [-12.0]])


def test_clipping_scales_by_max_norm_over_total_plus_1e_minus_6():
    params = params_with_grads([3.0, 0.0], [[4.0], [-12.0]])
    total = clip_grad_norm_(params, max_norm=1.0)
    assert total == pytest.approx(13.0, rel=1e-15)  # the norm *before* clipping
    c = 1.0 / (13.0 + 1e-6)  # PyTorch's coefficient
    np.testing.assert_allclose(params[0].grad, [3 * c, 0.0], rtol=1e-14)
    np.testing.assert_allclose(params[1].grad, [[4 * c], [-12 * c]], rtol=1e-14)


@pytest.mark.parametrize(("norm_type", "expected"), [
    (1.0, 3 + 4 + 12 + 1),
    (2.0, math.sqrt(9 + 16 + 144 + 1)),
    (3, (27 + 64 + 1728 + 1) ** (1 / 3)),
    (float("inf"), 12.0),
    ("inf", 12.0),
])
def test_other_norm_types(norm_type, expected):
    params = params_with_grads([3.0, -1.0], [[4.0], [-12.0]])
    total = clip_grad_norm_(params, max_norm=2.0, norm_type=norm_type)
    assert total == pytest.approx(expected, rel=1e-14)
    c = 2.0 / (expected + 1e-6)
    np.testing.assert_allclose(params[1].grad.ravel(), [4 * c, -12 * c], rtol=1e-13)


@settings(max_examples=40, deadline=None)
@given(grads=st.lists(hnp.arrays(np.float64, hnp.array_shapes(min_dims=0, max_dims=3,
                                                                 max_side=4),
                                 elements=st.floats(-1e3, 1e3)), min_size=1, max_size=4),
       max_norm=st.floats(0.01, 100.0))
def test_after_clipping_the_norm_is_at_most_max_norm_and_direction_is_kept(grads, max_norm):
    params = params_with_grads(*grads)
    total = clip_grad_norm_(params, max_norm)
    flat = np.concatenate([np.ravel(g) for g in grads])
    assert total == pytest.approx(math.sqrt(math.fsum(flat * flat)), rel=1e-12, abs=1e-300)
    new = np.concatenate([np.ravel(p.grad) for p in params])
    new_norm = math.sqrt(math.fsum(new * new))
    assert new_norm <= max_norm * (1 + 1e-12) or total <= max_norm
    scale = min(1.0, max_norm / (total + 1e-6))
    np.testing.assert_allclose(new, flat * scale, rtol=1e-13, atol=1e-300)


def test_float32_is_kept_and_huge_float32_gradients_do_not_overflow():
    params = params_with_grads([3e30, -4e30], [0.0], dtype=np.float32)
    total = clip_grad_norm_(params, max_norm=1.0)  # squares overflow float32 (warnings = errors)
    assert total == pytest.approx(5e30, rel=1e-6)
    assert params[0].grad.dtype == np.float32
    np.testing.assert_allclose(params[0].grad, [0.6, -0.8], rtol=1e-6)


def test_single_parameter_generator_and_empty_list():
    (p,) = params_with_grads([0.0, 10.0])
    assert clip_grad_norm_(p, 5.0) == 10.0
    np.testing.assert_allclose(p.grad, [0.0, 5.0 * 10 / (10 + 1e-6)])
    (q,) = params_with_grads([-6.0, 8.0])
    assert clip_grad_norm_((x for x in [q]), 100.0) == 10.0
    assert clip_grad_norm_([], 1.0) == 0.0


def test_non_finite_norm():
    (p,) = params_with_grads([np.inf, 1.0])
    with pytest.raises(RuntimeError, match="non-finite"):
        clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    np.testing.assert_array_equal(p.grad, [np.inf, 1.0])
    assert clip_grad_norm_([p], 1.0) == np.inf  # PyTorch scales by 0 anyway: no warning
    assert p.grad[1] == 0.0


def test_clip_grad_norm_errors():
    (p,) = params_with_grads([1.0])
    with pytest.raises(ValueError, match="max_norm"):
        clip_grad_norm_([p], -1.0)
    with pytest.raises(ValueError, match="norm_type"):
        clip_grad_norm_([p], 1.0, norm_type=0)
    with pytest.raises(TypeError, match="max_norm"):
        clip_grad_norm_([p], "1")
    with pytest.raises(TypeError, match="Parameters"):
        clip_grad_norm_([np.ones(2)], 1.0)


def test_clip_grad_value_clamps_in_place():
    params = params_with_grads([-3.0, -0.5, 0.0, 0.5, 3.0], [[7.0]], dtype=np.float32)
    views = [p.grad for p in params]
    assert clip_grad_value_(params, 1.0) is None
    assert params[0].grad is views[0]
    np.testing.assert_array_equal(params[0].grad, [-1.0, -0.5, 0.0, 0.5, 1.0])
    np.testing.assert_array_equal(params[1].grad, [[1.0]])
    assert params[0].grad.dtype == np.float32
    (p,) = params_with_grads([2.0, -2.0])
    clip_grad_value_(p, 0)
    np.testing.assert_array_equal(p.grad, [0.0, 0.0])


def test_clip_grad_value_errors():
    (p,) = params_with_grads([1.0])
    with pytest.raises(ValueError, match="clip_value"):
        clip_grad_value_([p], -0.1)
    with pytest.raises(TypeError, match="clip_value"):
        clip_grad_value_([p], None)
