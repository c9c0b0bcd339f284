"""Tests of deeplib.datasets: the shipped digits (checked against values recorded from
scikit-learn's copy, see deeplib/data/README.md) and the synthetic sets by their geometry."""

import hashlib
from importlib import resources

import numpy as np
import pytest

from deeplib.datasets import (load_digits, make_circles, make_moons, make_spirals,
                              standardize, train_test_split)

# Recorded once from sklearn.datasets.load_digits() (scikit-learn 1.9.1): an independent oracle.
DIGITS_IMAGES_SHA256 = "8f26b2bd9d135c256808f68f14fdabddde6d9c7f869ae419704b051f0f14b3b3"
DIGITS_TARGET_SHA256 = "8ba4f891220f5e4c9c819638d1602d74b83618f167043c6da52a2a247841ddf0"
DIGITS_CLASS_COUNTS = [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
DIGITS_PIXEL_SUM = 561718  # sum of the 0..16 intensities
DIGITS_TARGET_SUM = 8070


def _sha256(a):
    return hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()


# ---------------------------------------------------------------------------- digits
def test_digits_file_matches_recorded_checksums():
    with resources.files("deeplib").joinpath("data", "digits.npz").open("rb") as fh:
        with np.load(fh) as data:
            assert sorted(data.files) == ["images", "target"]
            images, target = data["images"], data["target"]
    assert images.shape == (1797, 8, 8) and images.dtype == np.uint8
    assert target.shape == (1797,) and target.dtype == np.uint8
    assert _sha256(images) == DIGITS_IMAGES_SHA256
    assert _sha256(target) == DIGITS_TARGET_SHA256


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_load_digits_shape_dtype_range(dtype):
    X, y = load_digits(dtype)
    assert X.shape == (1797, 64) and X.dtype == dtype
    assert y.shape == (1797,) and y.dtype == np.int64
    assert X.min() == 0 and X.max() == 1
    # every value is k/16 for an integer k: recover the original intensities exactly
    k = X.astype(np.float64) * 16
    np.testing.assert_array_equal(k, np.round(k))
    assert int(k.sum()) == DIGITS_PIXEL_SUM
    assert int(y.sum()) == DIGITS_TARGET_SUM


def test_load_digits_rows_are_the_recorded_images():
    X, y = load_digits()
    images = np.round(X * 16).astype(np.uint8).reshape(1797, 8, 8)
    assert _sha256(images) == DIGITS_IMAGES_SHA256
    assert _sha256(y.astype(np.uint8)) == DIGITS_TARGET_SHA256


def test_load_digits_class_counts():
    _, y = load_digits()
    counts = np.bincount(y, minlength=10)
    assert counts.tolist() == DIGITS_CLASS_COUNTS
    assert np.all(np.abs(counts - 180) <= 6)


def test_load_digits_default_is_float64_and_rejects_int_dtype():
    X, _ = load_digits()
    assert X.dtype == np.float64
    with pytest.raises(TypeError, match="dtype"):
        load_digits(np.int32)


# ------------------------------------------------------------------- synthetic sets
GENERATORS = {
    "spirals": lambda rng: make_spirals(n_per_class=50, n_classes=3, rng=rng),
    "moons": lambda rng: make_moons(n=151, rng=rng),
    "circles": lambda rng: make_circles(n=151, rng=rng),
}


@pytest.mark.parametrize("name", GENERATORS)
def test_synthetic_shapes_dtypes_and_determinism(name):
    make = GENERATORS[name]
    X, y = make(np.random.default_rng(0))
    X2, y2 = make(np.random.default_rng(0))
    X3, _ = make(np.random.default_rng(1))
    assert X.ndim == 2 and X.shape[1] == 2 and X.dtype == np.float64
    assert y.shape == (len(X),) and y.dtype == np.int64
    assert np.all(np.isfinite(X))
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    assert not np.array_equal(X, X3)


def test_spirals_counts_and_noise_free_geometry():
    X, y = make_spirals(n_per_class=40, n_classes=4, noise=0.0, rng=np.random.default_rng(0))
    assert X.shape == (160, 2)
    assert np.bincount(y).tolist() == [40] * 4
    for k in range(4):
        pts = X[y == k]
        # noise only moves the angle: radii go 0, 1/39, ..., 1
        np.testing.assert_allclose(np.hypot(pts[:, 0], pts[:, 1]), np.linspace(0, 1, 40),
                                   atol=1e-12)
        # angle at the end of arm k is 4 + 2πk/4 (point = (r sinθ, r cosθ))
        end = pts[-1]
        np.testing.assert_allclose(end, [np.sin(4 + k * np.pi / 2), np.cos(4 + k * np.pi / 2)],
                                   atol=1e-12)


def test_moons_noise_free_geometry_and_counts():
    X, y = make_moons(n=101, noise=0.0, rng=np.random.default_rng(0))
    assert np.bincount(y).tolist() == [51, 50]
    np.testing.assert_allclose(np.hypot(*X[y == 0].T), 1.0)
    np.testing.assert_allclose(np.hypot(X[y == 1, 0] - 1.0, X[y == 1, 1] - 0.5), 1.0)
    assert np.all(X[y == 0, 1] >= -1e-12) and np.all(X[y == 1, 1] <= 0.5 + 1e-12)


def test_circles_noise_free_radii_and_noise_level():
    X, y = make_circles(n=200, noise=0.0, factor=0.3, rng=np.random.default_rng(0))
    assert np.bincount(y).tolist() == [100, 100]
    np.testing.assert_allclose(np.hypot(*X[y == 0].T), 1.0)
    np.testing.assert_allclose(np.hypot(*X[y == 1].T), 0.3)
    Xn, _ = make_circles(n=4000, noise=0.1, factor=0.3, rng=np.random.default_rng(1))
    clean, _ = make_circles(n=4000, noise=0.0, factor=0.3, rng=np.random.default_rng(1))
    assert abs((Xn - clean).std() - 0.1) < 0.005


@pytest.mark.parametrize("call", [
    lambda: make_spirals(rng=None), lambda: make_moons(rng=None), lambda: make_circles(rng=None),
    lambda: make_moons(n=10, rng=0),
])
def test_synthetic_need_a_generator(call):
    with pytest.raises(TypeError, match="Generator"):
        call()


def test_synthetic_bad_arguments():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="n_per_class"):
        make_spirals(n_per_class=0, rng=rng)
    with pytest.raises(ValueError, match="noise"):
        make_moons(noise=-1.0, rng=rng)
    with pytest.raises(ValueError, match="factor"):
        make_circles(factor=1.5, rng=rng)


# ---------------------------------------------------------------- train_test_split
def _labelled(n_per_class=(50, 30, 20)):
    y = np.repeat(np.arange(len(n_per_class)), n_per_class)
    X = np.arange(len(y), dtype=np.float64)[:, None] * np.array([1.0, -1.0])
    return X, y


def test_split_is_a_partition_with_aligned_labels():
    X, y = _labelled()
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.2, rng=np.random.default_rng(0))
    ids = np.concatenate([Xtr[:, 0], Xte[:, 0]]).astype(int)
    assert sorted(ids.tolist()) == list(range(len(X)))  # every sample exactly once
    np.testing.assert_array_equal(ytr, y[Xtr[:, 0].astype(int)])
    np.testing.assert_array_equal(yte, y[Xte[:, 0].astype(int)])
    np.testing.assert_array_equal(Xtr[:, 1], -Xtr[:, 0])  # rows kept whole


def test_split_is_stratified_by_default():
    X, y = _labelled((50, 30, 20))
    _, _, ytr, yte = train_test_split(X, y, test_size=0.2, rng=np.random.default_rng(3))
    assert np.bincount(yte).tolist() == [10, 6, 4]
    assert np.bincount(ytr).tolist() == [40, 24, 16]


def test_split_unstratified_sizes_and_shuffling():
    X, y = _labelled((50, 30, 20))
    Xtr, Xte, _, _ = train_test_split(X, y, test_size=25, rng=np.random.default_rng(0),
                                      stratify=False)
    assert len(Xte) == 25 and len(Xtr) == 75
    assert not np.all(np.diff(Xtr[:, 0]) > 0)  # shuffled, not in the original order


def test_split_deterministic_given_rng_and_differs_across_seeds():
    X, y = _labelled()
    a = train_test_split(X, y, rng=np.random.default_rng(5))
    b = train_test_split(X, y, rng=np.random.default_rng(5))
    c = train_test_split(X, y, rng=np.random.default_rng(6))
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
    assert not np.array_equal(a[1], c[1])


def test_split_errors():
    X, y = _labelled()
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="same length"):
        train_test_split(X, y[:-1], rng=rng)
    with pytest.raises(ValueError, match="test_size"):
        train_test_split(X, y, test_size=1.5, rng=rng)
    with pytest.raises(ValueError, match="test_size"):
        train_test_split(X, y, test_size=0, rng=rng)
    with pytest.raises(TypeError, match="Generator"):
        train_test_split(X, y)


# --------------------------------------------------------------------- standardize
def test_standardize_uses_train_statistics():
    rng = np.random.default_rng(0)
    Xtr = rng.normal(3.0, 2.0, size=(200, 3))
    Xte = rng.normal(0.0, 1.0, size=(50, 3))
    Str, Ste = standardize(Xtr, Xte)
    np.testing.assert_allclose(Str.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(Str.std(axis=0), 1.0, rtol=1e-12)
    mu = Xtr.sum(axis=0) / len(Xtr)
    sd = np.sqrt(((Xtr - mu) ** 2).sum(axis=0) / len(Xtr))
    np.testing.assert_allclose(Ste, (Xte - mu) / sd, rtol=1e-12)


def test_standardize_constant_feature_is_only_centred_and_dtype_kept():
    Xtr = np.array([[1.0, 5.0], [3.0, 5.0]], dtype=np.float32)
    (Str,) = standardize(Xtr)  # no division by zero warning (warnings are errors)
    assert Str.dtype == np.float32
    np.testing.assert_array_equal(Str, np.array([[-1.0, 0.0], [1.0, 0.0]], np.float32))


def test_standardize_rejects_mismatched_features():
    with pytest.raises(ValueError, match="shape"):
        standardize(np.ones((4, 3)), np.ones((2, 2)))
