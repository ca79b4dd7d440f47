"""Tests for numnet.datasets: generators, label encoding, digits and splitting."""
import numpy as np
import pytest

from numnet.datasets import (
    from_one_hot,
    load_digits,
    one_hot,
    sine_data,
    spiral_data,
    train_test_split,
    vertical_data,
    xor,
)

GENERATORS = [spiral_data, vertical_data]


# -- spiral_data and vertical_data -------------------------------------------
@pytest.mark.parametrize("make", GENERATORS)
def test_generator_shapes_and_dtypes(make):
    X, y = make(samples=40, classes=4, random_state=0)
    assert X.shape == (160, 2) and X.dtype == np.float32
    assert y.shape == (160,) and y.dtype == np.int64


@pytest.mark.parametrize("make", GENERATORS)
def test_generator_labels_laid_out_class_after_class(make):
    _, y = make(samples=30, classes=3, random_state=0)
    np.testing.assert_array_equal(y, np.repeat([0, 1, 2], 30))


@pytest.mark.parametrize("make", GENERATORS)
def test_generator_same_seed_gives_same_data(make):
    X1, y1 = make(samples=50, random_state=42)
    X2, y2 = make(samples=50, random_state=42)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)


@pytest.mark.parametrize("make", GENERATORS)
def test_generator_differs_between_seeds_and_without_seed(make):
    assert not np.array_equal(make(random_state=1)[0], make(random_state=2)[0])
    assert not np.array_equal(make()[0], make()[0])


@pytest.mark.parametrize("make", GENERATORS)
def test_generator_accepts_a_generator_and_advances_it(make):
    rng = np.random.default_rng(0)
    assert not np.array_equal(make(random_state=rng)[0], make(random_state=rng)[0])


@pytest.mark.parametrize("make", GENERATORS)
def test_generator_leaves_numpy_global_state_alone(make):
    before = np.random.get_state()[1].copy()
    make(random_state=None)
    np.testing.assert_array_equal(np.random.get_state()[1], before)


def test_spiral_radius_runs_from_zero_to_one_in_every_class():
    X, y = spiral_data(samples=100, classes=3, random_state=0)
    radius = np.hypot(X[:, 0], X[:, 1])
    for k in range(3):
        r = radius[y == k]
        np.testing.assert_allclose(r, np.linspace(0, 1, 100), atol=1e-6)


def test_spiral_without_noise_gives_exact_points():
    X, _ = spiral_data(samples=5, classes=2, noise=0.0)
    r = np.linspace(0, 1, 5)
    for k in range(2):
        t = np.linspace(4 * k, 4 * (k + 1), 5)
        expected = np.c_[r * np.sin(t * 2.5), r * np.cos(t * 2.5)]
        np.testing.assert_allclose(X[5 * k:5 * (k + 1)], expected, atol=1e-6)


def test_spiral_without_noise_ignores_seed():
    np.testing.assert_array_equal(spiral_data(noise=0, random_state=1)[0],
                                  spiral_data(noise=0, random_state=2)[0])


def test_vertical_data_centres_each_class_at_k_over_3():
    X, y = vertical_data(samples=2000, classes=3, random_state=0)
    for k in range(3):
        np.testing.assert_allclose(X[y == k].mean(axis=0), [k / 3, 0.5], atol=0.01)
        np.testing.assert_allclose(X[y == k].std(axis=0), [0.1, 0.1], atol=0.01)


@pytest.mark.parametrize("make", GENERATORS)
@pytest.mark.parametrize("kwargs, error, match", [
    ({"samples": 0}, ValueError, "samples must be > 0, got 0"),
    ({"classes": -1}, ValueError, "classes must be > 0, got -1"),
    ({"samples": 2.5}, TypeError, "samples must be an int, got float"),
])
def test_generator_rejects_bad_sizes(make, kwargs, error, match):
    with pytest.raises(error, match=match):
        make(**kwargs)


@pytest.mark.parametrize("noise, error, match", [
    (-0.1, ValueError, r"noise must be a finite standard deviation >= 0, got -0.1"),
    (float("nan"), ValueError, "noise must be a finite"),
    ("0.2", TypeError, "noise must be a number, got str"),
])
def test_spiral_rejects_bad_noise(noise, error, match):
    with pytest.raises(error, match=match):
        spiral_data(noise=noise)


# -- sine_data and xor -------------------------------------------------------
def test_sine_data_shapes_dtypes_and_values():
    X, y = sine_data(samples=101)
    assert X.shape == y.shape == (101, 1)
    assert X.dtype == y.dtype == np.float32
    assert X[0, 0] == 0.0 and X[-1, 0] == 1.0
    assert np.all(np.diff(X[:, 0]) > 0)
    np.testing.assert_allclose(y, np.sin(2 * np.pi * X.astype(np.float64)), atol=1e-6)


def test_sine_data_noise_is_seeded():
    y1 = sine_data(samples=50, noise=0.1, random_state=3)[1]
    y2 = sine_data(samples=50, noise=0.1, random_state=3)[1]
    clean = sine_data(samples=50)[1]
    np.testing.assert_array_equal(y1, y2)
    assert not np.allclose(y1, clean)


def test_xor_truth_table():
    X, y = xor()
    assert X.shape == (4, 2) and X.dtype == np.float32 and y.dtype == np.int64
    np.testing.assert_array_equal(y, np.logical_xor(X[:, 0], X[:, 1]))
    assert xor(dtype=np.float64)[0].dtype == np.float64


# -- one_hot and from_one_hot -----------------------------------------------
def test_one_hot_round_trip():
    y = np.array([2, 0, 1, 1, 3])
    Y = one_hot(y)
    assert Y.shape == (5, 4) and Y.dtype == np.float32
    np.testing.assert_array_equal(Y.sum(axis=1), 1)
    np.testing.assert_array_equal(from_one_hot(Y), y)
    assert from_one_hot(Y).dtype == np.int64


def test_one_hot_with_explicit_n_classes_and_dtype():
    Y = one_hot([0, 1], n_classes=5, dtype=np.float64)
    assert Y.shape == (2, 5) and Y.dtype == np.float64


def test_one_hot_accepts_whole_floats():
    np.testing.assert_array_equal(one_hot([0.0, 2.0]), one_hot([0, 2]))


def test_one_hot_of_empty_labels_with_n_classes():
    assert one_hot(np.array([], dtype=int), n_classes=3).shape == (0, 3)


@pytest.mark.parametrize("y, kwargs, error, match", [
    ([0, 3, 5, 1], {"n_classes": 3}, ValueError,
     r"y holds labels \[3, 5\] outside the range \[0, 3\) for n_classes=3"),
    ([-1, 0], {}, ValueError, r"labels \[-1\] outside the range \[0, 1\)"),
    ([0.5, 1.0], {}, ValueError, r"whole-number class labels, got non-integer values \[0.5\]"),
    ([0.0, np.nan], {}, ValueError, "y contains NaN"),
    ([[0], [1]], {}, ValueError, r"y must be 1-D .* got shape \(2, 1\); use y.ravel\(\)"),
    (["a", "b"], {}, TypeError, "y must hold numbers, got dtype <U1"),
    ([], {}, ValueError, "y is empty, so n_classes cannot be inferred"),
    ([0, 1], {"n_classes": 0}, ValueError, "n_classes must be > 0, got 0"),
])
def test_one_hot_error_messages(y, kwargs, error, match):
    with pytest.raises(error, match=match):
        one_hot(y, **kwargs)


def test_one_hot_error_lists_only_first_five_bad_labels():
    with pytest.raises(ValueError, match=r"\[2, 3, 4, 5, 6\] and 2 more"):
        one_hot(np.arange(9), n_classes=2)


def test_from_one_hot_picks_largest_probability():
    P = np.array([[0.2, 0.5, 0.3], [0.9, 0.05, 0.05]])
    np.testing.assert_array_equal(from_one_hot(P), [1, 0])


@pytest.mark.parametrize("Y, error, match", [
    ([0, 1, 0], ValueError, r"Y must be 2-D of shape \(n_samples, n_classes\), got shape \(3,\)"),
    (np.zeros((2, 0)), ValueError, "Y has no columns"),
    ([[0.0, np.inf]], ValueError, "Y contains"),
    ([["a"]], TypeError, "Y must hold numbers"),
])
def test_from_one_hot_error_messages(Y, error, match):
    with pytest.raises(error, match=match):
        from_one_hot(Y)


# -- load_digits -------------------------------------------------------------
def test_load_digits_shapes_dtypes_and_range():
    X, y = load_digits()
    assert X.shape == (1797, 64) and X.dtype == np.float32
    assert y.shape == (1797,) and y.dtype == np.int64
    assert X.min() == 0.0 and X.max() == 1.0
    np.testing.assert_array_equal(np.unique(y), np.arange(10))


def test_load_digits_unscaled_is_integer_counts_up_to_16():
    X, _ = load_digits(scale=False)
    assert X.max() == 16.0
    np.testing.assert_array_equal(X, np.round(X))
    np.testing.assert_allclose(load_digits(scale=True)[0], X / 16)


def test_load_digits_shuffle_is_seeded_and_keeps_pairs():
    X, y = load_digits()
    Xs, ys = load_digits(shuffle=True, random_state=0)
    assert not np.array_equal(ys, y)
    np.testing.assert_array_equal(load_digits(shuffle=True, random_state=0)[1], ys)
    # Each shuffled row must still carry its own label: match rows back by content.
    order = np.lexsort(Xs.T[::-1])
    original = np.lexsort(X.T[::-1])
    np.testing.assert_array_equal(Xs[order], X[original])


def test_load_digits_matches_scikit_learn():
    sk_datasets = pytest.importorskip("sklearn.datasets")
    reference = sk_datasets.load_digits()
    X, y = load_digits(scale=False)
    np.testing.assert_array_equal(X, reference.data)
    np.testing.assert_array_equal(y, reference.target)


# -- train_test_split --------------------------------------------------------
@pytest.mark.parametrize("test_size, n_test", [(0.25, 25), (0.3, 30), (0.01, 1), (10, 10),
                                               (0.99, 99)])
def test_split_sizes(test_size, n_test):
    X, y = np.arange(200).reshape(100, 2), np.arange(100)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=test_size,
                                                        random_state=0)
    assert len(X_test) == len(y_test) == n_test
    assert len(X_train) == len(y_train) == 100 - n_test


def test_split_rounds_fractional_test_size_up_without_float_error():
    X = np.zeros((10, 1))
    assert len(train_test_split(X, X, test_size=0.7, random_state=0)[1]) == 7
    assert len(train_test_split(X, X, test_size=0.15, random_state=0)[1]) == 2


def test_split_is_a_seeded_partition_keeping_rows_paired():
    X, y = np.arange(60).reshape(30, 2), np.arange(30)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=5)
    np.testing.assert_array_equal(np.sort(np.r_[y_train, y_test]), y)
    np.testing.assert_array_equal(X_train[:, 0], 2 * y_train)
    np.testing.assert_array_equal(X_test[:, 0], 2 * y_test)
    np.testing.assert_array_equal(train_test_split(X, y, random_state=5)[3], y_test)
    assert X_train.dtype == X.dtype


def test_split_shuffles_class_ordered_data():
    X, y = spiral_data(samples=50, classes=3, random_state=0)
    y_test = train_test_split(X, y, random_state=0)[3]
    assert len(np.unique(y_test)) == 3


def test_stratified_split_keeps_class_proportions():
    y = np.repeat([0, 1, 2], [60, 30, 10])
    X = np.arange(100, dtype=float).reshape(-1, 1)
    _, _, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=0, stratify=y)
    np.testing.assert_array_equal(np.bincount(y_test), [12, 6, 2])
    np.testing.assert_array_equal(np.bincount(y_train), [48, 24, 8])


def test_stratified_split_hits_test_size_exactly_when_shares_are_fractional():
    y = np.repeat([0, 1, 2], [7, 7, 7])
    _, _, y_train, y_test = train_test_split(y[:, None], y, test_size=5, random_state=0,
                                             stratify=y)
    assert len(y_test) == 5 and len(y_train) == 16
    assert set(np.bincount(y_test, minlength=3)) <= {1, 2}


def test_stratified_split_accepts_one_hot_targets_with_label_stratify():
    labels = np.repeat([0, 1], 10)
    Y = one_hot(labels)
    _, _, Y_train, Y_test = train_test_split(Y, Y, test_size=0.5, random_state=0,
                                             stratify=labels)
    np.testing.assert_array_equal(np.bincount(from_one_hot(Y_test)), [5, 5])


@pytest.mark.parametrize("kwargs, error, match", [
    ({"test_size": 0.0}, ValueError, r"test_size as a float must lie in \(0, 1\), got 0.0"),
    ({"test_size": 1.5}, ValueError, r"must lie in \(0, 1\), got 1.5"),
    ({"test_size": 10}, ValueError, "gives 10 test samples out of 10"),
    ({"test_size": 0}, ValueError, "gives 0 test samples out of 10"),
    ({"test_size": "0.2"}, TypeError, "test_size must be a float in"),
    ({"test_size": True}, TypeError, "test_size must be a float in"),
])
def test_split_rejects_bad_test_size(kwargs, error, match):
    X = np.zeros((10, 2))
    with pytest.raises(error, match=match):
        train_test_split(X, np.zeros(10), **kwargs)


def test_split_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match="X has 10 rows, y has 9"):
        train_test_split(np.zeros((10, 2)), np.zeros(9))


@pytest.mark.parametrize("stratify, test_size, match", [
    (np.r_[np.zeros(9), 1], 0.5, r"classes with a single sample \(\[1.0\]\)"),
    (np.repeat(np.arange(5), 2), 3, "smaller part would hold 3 samples, fewer than the 5"),
    (np.zeros((10, 2)), 0.5, r"stratify must be 1-D .*from_one_hot"),
    (np.zeros(9), 0.5, "X and stratify have different numbers of samples"),
])
def test_stratified_split_error_messages(stratify, test_size, match):
    with pytest.raises(ValueError, match=match):
        train_test_split(np.zeros((10, 1)), np.zeros(10), test_size=test_size,
                         stratify=stratify)
