"""Tests for action masking: MaskedSoftmax, masked_softmax, check_mask,
MaskedCategoricalCrossEntropy, masks through Sequential (fit, predict,
evaluate, validation, shuffling), gradient checks, property tests and the
masked_actions example."""
import json
import runpy
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.testing import assert_allclose, assert_array_equal

from numnet import (Dense, MaskedCategoricalCrossEntropy, MaskedSoftmax, ReLU, Sequential, Softmax,
                    gradcheck, masked_softmax, softmax)
from numnet.layers import check_mask
from numnet.losses import CategoricalCrossEntropy
from numnet.model.training import MaskWarning, _Batches, _BatchStep
from numnet.registry import LAYERS, LOSSES, deserialize, serialize

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "masked_actions.py"


def random_mask(rng, n, k, p=0.5, single=0, empty=0):
    """A bool mask with at least one allowed class per row, then ``single`` rows with
    exactly one allowed class and ``empty`` fully masked rows at the end."""
    M = rng.random((n, k)) < p
    M[np.arange(n), rng.integers(0, k, n)] = True
    for i in range(n - single - empty, n - empty):
        M[i] = False
        M[i, rng.integers(k)] = True
    M[n - empty:] = False
    return M


def allowed_labels(rng, M):
    """One allowed label per row (0 for fully masked rows)."""
    return np.array([rng.choice(np.flatnonzero(row)) if row.any() else 0 for row in M])


def masked_model(n_in, k, seed=0, last=None):
    return Sequential([Dense(n_in, 16, random_state=seed), ReLU(),
                       Dense(16, k, random_state=seed + 1), last or MaskedSoftmax()])


# -- the function and the layer ----------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_masked_entries_are_exactly_zero_and_allowed_sum_to_one(dtype):
    rng = np.random.default_rng(0)
    Z = rng.normal(size=(500, 10)).astype(dtype) * 5
    M = random_mask(rng, 500, 10, single=20)
    P = MaskedSoftmax().forward(Z, mask=M)
    assert P.dtype == dtype
    assert np.all(P[~M] == 0.0) and not np.signbit(P[~M]).any()
    assert np.abs(P.sum(axis=1) - 1.0).max() <= 4 * np.finfo(dtype).eps
    assert np.all(P[M] > 0) or np.all(P[M] >= 0)
    assert_array_equal(P[-20:][M[-20:]], 1.0)  # one allowed class takes all the mass


def test_renormalises_the_user_question_example():
    # The thread's mask [[0, 3, 0, 2, 0]] means "nonzero = allowed"; numnet takes only 0/1,
    # and says how to convert.
    logits = np.array([[0.1, 0.7, -0.3, 1.0, 0.2]])
    with pytest.raises(ValueError, match=r"only 0/1 or True/False, found \[2, 3\].*mask != 0"):
        masked_softmax(logits, np.array([[0, 3, 0, 2, 0]]))
    P = masked_softmax(logits, np.array([[0, 3, 0, 2, 0]]) != 0)
    e = np.exp([0.7, 1.0])
    assert_allclose(P, [[0, e[0] / e.sum(), 0, e[1] / e.sum(), 0]])


def test_batches_broadcast_per_row_not_over_the_batch():
    # The usual workaround divides by a sum without keepdims; each row must be normalised alone.
    Z = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    M = np.array([[1, 1, 0], [0, 1, 1]])
    P = masked_softmax(Z, M)
    assert_allclose(P[0], np.r_[softmax(Z[:1, :2])[0], 0])
    assert_allclose(P[1], [0, 0.5, 0.5])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_stable_for_logits_of_plus_minus_1e4(dtype):
    Z = np.array([[1e4, -1e4, 0.0, 1e4], [-1e4, -1e4, -1e4, 1e4], [1e4, 1e4, -1e4, -1e4]], dtype)
    M = np.array([[0, 1, 1, 1], [1, 1, 1, 0], [0, 0, 1, 1]])
    layer = MaskedSoftmax()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", divide="raise", invalid="raise"):  # underflow to 0 is fine
            P = layer.forward(Z, mask=M, training=True)
            dZ = layer.backward(np.ones_like(Z))
    assert_allclose(P, [[0, 0, 0, 1], [1 / 3, 1 / 3, 1 / 3, 0], [0, 0, 0.5, 0.5]], atol=1e-7)
    assert np.isfinite(dZ).all()


def test_fully_masked_row_gives_zeros_and_zero_finite_gradient():
    Z = np.array([[1.0, 2.0, 3.0], [5.0, -1.0, 0.0]])
    M = np.array([[1, 0, 1], [0, 0, 0]])
    layer = MaskedSoftmax()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning from 0/0 or log(0)
        P = layer.forward(Z, mask=M, training=True)
        dZ = layer.backward(np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]))
    assert_array_equal(P[1], 0.0)
    assert_array_equal(dZ[1], 0.0)
    assert_array_equal(dZ[0, 1], 0.0)
    assert np.isfinite(dZ).all()
    doc = " ".join(MaskedSoftmax.__doc__.split())
    assert "all masked returns all zeros" in doc and "zero gradient" in doc


def test_logits_of_masked_entries_may_be_anything():
    Z = np.array([[1.0, np.inf, 2.0, np.nan, -np.inf]])
    M = np.array([[1, 0, 1, 0, 0]])
    P = masked_softmax(Z, M)
    assert_allclose(P, masked_softmax(np.array([[1.0, 0, 2.0, 0, 0]]), M))
    assert np.isfinite(P).all()


def test_no_mask_is_plain_softmax():
    Z = np.random.default_rng(1).normal(size=(7, 4))
    assert_allclose(MaskedSoftmax().forward(Z), Softmax().forward(Z))
    assert_allclose(masked_softmax(Z), softmax(Z))
    assert_allclose(masked_softmax(Z, np.ones((7, 4))), softmax(Z))


def test_function_works_along_another_axis_and_with_integer_logits():
    Z = np.arange(6).reshape(3, 2)
    M = np.array([[1, 0], [1, 1], [0, 1]])
    P = masked_softmax(Z, M, axis=0)
    assert P.dtype == np.float64
    assert_allclose(P.sum(axis=0), 1.0)
    assert_array_equal(P[~M.astype(bool)], 0.0)


def test_layer_call_and_config_round_trip():
    layer = LAYERS.get("masked_softmax")
    assert isinstance(layer, MaskedSoftmax) and layer.accepts_mask
    P = layer(np.zeros((1, 3)), mask=[[1, 1, 0]])
    assert_allclose(P, [[0.5, 0.5, 0.0]])
    again = deserialize(json.loads(json.dumps(serialize(MaskedSoftmax(axis=1)))), LAYERS)
    assert isinstance(again, MaskedSoftmax) and again.axis == 1


# -- mask validation -----------------------------------------------------------
def test_check_mask_returns_bool_and_passes_bool_arrays_through():
    M = np.array([[True, False]])
    assert check_mask(M, 1, 2) is M
    out = check_mask([[1.0, 0.0], [0, 1]], 2, 2)
    assert out.dtype == bool
    assert_array_equal(out, [[True, False], [False, True]])


@pytest.mark.parametrize("mask, error, match", [
    (np.ones(4), ValueError, r"2-D of shape \(n_samples, n_classes\).*reshape\(1, -1\)"),
    (np.ones((2, 4, 1)), ValueError, r"2-D"),
    (np.ones((3, 4)), ValueError, r"3 rows, but there are 2 samples"),
    (np.ones((2, 5)), ValueError, r"5 columns, but the output has 4 classes"),
    (np.array([[1, 0.5, 0, 1], [1, 1, 1, 1]]), ValueError, r"only 0/1 or True/False, found \[0.5\]"),
    (np.array([[1, 2, 0, 1], [1, 1, -1, 1]]), ValueError, r"found \[-1, 2\] \(first at \(0, 1\)\)"),
    (np.array([[1, np.nan, 0, 1], [1, 1, 1, 1]]), ValueError, r"NaN \(1 entries, first at \(0, 1\)\)"),
    (np.array([[1, np.inf, 0, 1], [1, 1, 1, 1]]), ValueError, r"only 0/1"),
    (np.array([["a", "b", "c", "d"]] * 2), TypeError, r"0/1 or True/False, got dtype"),
    ("1010", TypeError, r"got a string"),
    (np.ones((2, 4), dtype=complex), TypeError, r"dtype complex"),
])
def test_check_mask_rejects_bad_masks_with_clear_messages(mask, error, match):
    with pytest.raises(error, match=match):
        check_mask(mask, 2, 4)
    with pytest.raises(error, match=match):
        MaskedSoftmax().forward(np.zeros((2, 4)), mask=mask)


def test_function_requires_the_logits_shape():
    with pytest.raises(ValueError, match=r"same shape as the logits, \(2, 3\), got \(3,\)"):
        masked_softmax(np.zeros((2, 3)), np.ones(3))


# -- gradients -------------------------------------------------------------------
def test_layer_gradcheck_with_random_masks_single_and_fully_masked_rows():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(12, 6)) * 3
    M = random_mask(rng, 12, 6, single=3, empty=2)
    report = gradcheck(MaskedSoftmax(), X, mask=M, eps=1e-4)
    assert report.passed, str(report)


def test_layer_gradcheck_at_extreme_logits():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(6, 5)) * 10
    X[:, 0] += 1e4  # huge but masked in half the rows
    M = random_mask(rng, 6, 5, single=1, empty=1)
    M[::2, 0] = False
    # z - max(z) at 1e4 loses ~1e-12 to rounding, which a 1e-4 step magnifies to ~1e-8.
    report = gradcheck(MaskedSoftmax(), X, mask=M, eps=1e-4, tolerance=1e-5)
    assert report.passed, str(report)


@pytest.mark.parametrize("label_smoothing", [0.0, 0.2])
@pytest.mark.parametrize("targets", ["labels", "one_hot", "soft"])
@pytest.mark.parametrize("weighted", [False, True])
def test_loss_gradcheck_from_logits(label_smoothing, targets, weighted):
    rng = np.random.default_rng(4)
    n, k = 14, 5
    Z = rng.normal(size=(n, k)) * 2
    M = random_mask(rng, n, k, single=3, empty=2)
    y = allowed_labels(rng, M)
    if targets != "labels":
        y = np.eye(k)[y]
    if targets == "soft":  # probability rows over the allowed classes
        y = np.where(M, rng.random((n, k)), 0.0)
        y[M.any(axis=1)] /= y[M.any(axis=1)].sum(axis=1, keepdims=True)
    w = rng.random(n) + 0.5 if weighted else None
    loss = MaskedCategoricalCrossEntropy(from_logits=True, label_smoothing=label_smoothing)
    report = gradcheck(loss, Z, y, mask=M, sample_weight=w, eps=1e-4)
    assert report.passed, str(report)


def test_loss_gradcheck_on_probabilities():
    rng = np.random.default_rng(5)
    M = random_mask(rng, 10, 4, single=2, empty=1)
    P = masked_softmax(rng.normal(size=(10, 4)), M)
    y = allowed_labels(rng, M)
    loss = MaskedCategoricalCrossEntropy(label_smoothing=0.1)
    report = gradcheck(loss, P, y, mask=M, eps=1e-5)
    assert report.passed, str(report)
    loss.forward(P, y, mask=M)
    assert_array_equal(loss.backward()[~M], 0.0)


def test_model_gradcheck_through_the_layer_with_a_mask():
    rng = np.random.default_rng(6)
    X = rng.normal(size=(9, 3))
    M = random_mask(rng, 9, 4, single=2)
    y = allowed_labels(rng, M)
    model = masked_model(3, 4, seed=6)
    model.compile(loss="categorical_crossentropy", optimizer="sgd")
    report = gradcheck(model, X, y, mask=M, eps=1e-4)
    assert report.passed, str(report)


def test_fused_gradient_equals_the_chain_through_the_layer():
    rng = np.random.default_rng(7)
    Z = rng.normal(size=(20, 6))
    M = random_mask(rng, 20, 6, single=4)
    y = allowed_labels(rng, M)
    fused = MaskedCategoricalCrossEntropy(from_logits=True)
    fused.forward(Z, y, mask=M)
    G_fused = fused.backward()
    layer = MaskedSoftmax()
    P = layer.forward(Z, mask=M, training=True)
    unfused = MaskedCategoricalCrossEntropy()
    unfused.forward(P, y, mask=M)
    assert_allclose(G_fused, layer.backward(unfused.backward()), atol=1e-12)
    T = np.eye(6)[y]
    assert_allclose(G_fused, (P - T) / 20, atol=1e-15)
    assert_array_equal(G_fused[~M], 0.0)


# -- the loss ------------------------------------------------------------------
def test_loss_is_log_space_and_finite_for_huge_logits():
    Z = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 5.0]])
    M = np.array([[0, 1, 1], [1, 0, 1]])
    loss = MaskedCategoricalCrossEntropy(from_logits=True)
    value = loss.forward(Z, np.array([1, 0]), mask=M)
    assert_allclose(value, (1e4 + (1e4 + 5.0)) / 2)  # -log p = logsumexp(allowed) - z_target
    assert np.isfinite(loss.backward()).all()


def test_fully_masked_rows_add_zero_loss_and_zero_gradient():
    rng = np.random.default_rng(8)
    Z = rng.normal(size=(4, 3))
    M = np.array([[1, 1, 0], [0, 0, 0], [1, 0, 1], [0, 0, 0]])
    y = np.array([0, 2, 2, 1])  # any target on a fully masked row
    loss = MaskedCategoricalCrossEntropy(from_logits=True, label_smoothing=0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        full = loss.forward(Z, y, mask=M)
        G = loss.backward()
    kept = MaskedCategoricalCrossEntropy(from_logits=True, label_smoothing=0.1)
    part = kept.forward(Z[[0, 2]], y[[0, 2]], mask=M[[0, 2]])
    assert_allclose(full, part * 2 / 4)  # mean over all 4 samples, two of them add 0
    assert_array_equal(G[[1, 3]], 0.0)
    assert np.isfinite(G).all()


def test_target_on_a_masked_class_is_an_error_naming_the_rows():
    Z = np.zeros((5, 3))
    M = np.array([[1, 1, 0], [1, 0, 1], [0, 1, 1], [1, 1, 1], [0, 0, 0]])
    y = np.array([0, 1, 0, 2, 1])  # rows 1 and 2 are wrong; row 4 is fully masked (allowed)
    with pytest.raises(ValueError, match=r"2 sample\(s\).*rows \(\[1, 2\]\); row 1 has label 1, "
                                         r"but its mask allows only classes \[0, 2\].*'ignore'"):
        MaskedCategoricalCrossEntropy(from_logits=True).forward(Z, y, mask=M)
    with pytest.raises(ValueError, match=r"row 1 has target weight on classes \[1\]"):
        MaskedCategoricalCrossEntropy(from_logits=True).forward(Z, np.eye(3)[y], mask=M)


def test_ignore_policy_gives_offending_rows_zero_loss_and_gradient():
    rng = np.random.default_rng(9)
    Z = rng.normal(size=(4, 3))
    M = np.array([[1, 1, 0], [1, 0, 1], [0, 1, 1], [1, 1, 1]])
    y = np.array([0, 1, 2, 2])
    loss = MaskedCategoricalCrossEntropy(from_logits=True, masked_target="ignore")
    value = loss.forward(Z, y, mask=M)
    G = loss.backward()
    assert_array_equal(G[1], 0.0)
    rest = MaskedCategoricalCrossEntropy(from_logits=True).forward(Z[[0, 2, 3]], y[[0, 2, 3]],
                                                                   mask=M[[0, 2, 3]])
    assert_allclose(value, rest * 3 / 4)
    with pytest.raises(ValueError, match=r"masked_target must be one of \('error', 'ignore'\)"):
        MaskedCategoricalCrossEntropy(masked_target="skip")


def test_label_smoothing_spreads_over_allowed_classes_only():
    Z = np.array([[0.3, -1.0, 2.0, 0.5]])
    M = np.array([[1, 0, 1, 1]])
    s = 0.3
    loss = MaskedCategoricalCrossEntropy(from_logits=True, label_smoothing=s)
    value = loss.forward(Z, np.array([2]), mask=M)
    allowed = [0, 2, 3]
    log_p = Z[0, allowed] - np.log(np.exp(Z[0, allowed]).sum())
    T = np.array([s / 3, (1 - s) + s / 3, s / 3])
    assert_allclose(value, -(T * log_p).sum())
    G = loss.backward()
    assert G[0, 1] == 0.0
    assert_allclose(G.sum(), 0.0, atol=1e-15)


def test_no_mask_matches_plain_cross_entropy():
    rng = np.random.default_rng(10)
    Z, y = rng.normal(size=(8, 4)), rng.integers(0, 4, 8)
    masked, plain = (MaskedCategoricalCrossEntropy(from_logits=True, label_smoothing=0.1),
                     CategoricalCrossEntropy(from_logits=True, label_smoothing=0.1))
    assert_allclose(masked(Z, y), plain(Z, y))
    assert_allclose(masked.backward(), plain.backward())


def test_loss_registry_and_config_round_trip():
    loss = LOSSES.get("masked_categorical_crossentropy", label_smoothing=0.1, masked_target="ignore")
    again = deserialize(json.loads(json.dumps(serialize(loss))), LOSSES)
    assert isinstance(again, MaskedCategoricalCrossEntropy)
    assert (again.label_smoothing, again.masked_target, again.from_logits) == (0.1, "ignore", False)


# -- property tests ------------------------------------------------------------------
@st.composite
def logits_and_masks(draw):
    n = draw(st.integers(1, 6))
    k = draw(st.integers(1, 8))
    Z = draw(hnp.arrays(np.float64, (n, k), elements=st.floats(-50, 50)))
    M = draw(hnp.arrays(np.bool_, (n, k)))
    return Z, M


@settings(max_examples=80, deadline=None)
@given(logits_and_masks())
def test_property_masked_zero_allowed_sum_to_one(data):
    Z, M = data
    P = masked_softmax(Z, M)
    assert np.all(P[~M] == 0.0)
    has_any = M.any(axis=1)
    assert np.all(np.abs(P[has_any].sum(axis=1) - 1.0) <= 8 * np.finfo(np.float64).eps)
    assert np.all(P[~has_any] == 0.0)


@settings(max_examples=80, deadline=None)
@given(logits_and_masks(), st.floats(-1e3, 1e3))
def test_property_adding_a_constant_to_a_row_changes_nothing(data, c):
    Z, M = data
    shifts = c * np.arange(1, len(Z) + 1)[:, None] / len(Z)  # a different constant per row
    assert_allclose(masked_softmax(Z + shifts, M), masked_softmax(Z, M), atol=1e-12)


@settings(max_examples=80, deadline=None)
@given(logits_and_masks(), st.floats(-1e6, 1e6))
def test_property_logits_of_masked_entries_change_nothing(data, value):
    Z, M = data
    Z2 = np.where(M, Z, value)
    assert_array_equal(masked_softmax(Z2, M), masked_softmax(Z, M))
    y = np.array([np.flatnonzero(row)[0] if row.any() else 0 for row in M])
    loss = MaskedCategoricalCrossEntropy(from_logits=True)
    a, Ga = loss.forward(Z, y, mask=M), loss.backward()
    b, Gb = loss.forward(Z2, y, mask=M), loss.backward()
    assert a == b
    assert_array_equal(Ga, Gb)


# -- batch sizes ---------------------------------------------------------------------
@pytest.mark.parametrize("n", [1, 10_000])
def test_layer_and_loss_at_batch_sizes_1_and_10000(n):
    rng = np.random.default_rng(11)
    Z = (rng.normal(size=(n, 10)) * 3).astype(np.float32)
    M = random_mask(rng, n, 10)
    layer = MaskedSoftmax()
    P = layer.forward(Z, mask=M, training=True)
    assert P.shape == (n, 10)
    assert np.all(P[~M] == 0.0)
    assert np.abs(P.sum(axis=1) - 1).max() <= 4 * np.finfo(np.float32).eps
    for i in rng.choice(n, size=min(n, 5), replace=False):  # each row on its own gives the same
        assert_allclose(P[i], masked_softmax(Z[i:i + 1], M[i:i + 1])[0], rtol=1e-6)
    y = allowed_labels(rng, M)
    loss = MaskedCategoricalCrossEntropy(from_logits=True)
    assert np.isfinite(loss.forward(Z, y, mask=M))
    assert_array_equal(loss.backward()[~M], 0.0)


def test_fit_with_batch_size_1_and_predict_10000_rows():
    rng = np.random.default_rng(12)
    X = rng.normal(size=(40, 3))
    M = random_mask(rng, 40, 4)
    y = allowed_labels(rng, M)
    model = masked_model(3, 4, seed=12)
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    model.fit(X, y, mask=M, batch_size=1, epochs=2, verbose=0, random_state=0)
    X_big = rng.normal(size=(10_000, 3))
    M_big = random_mask(rng, 10_000, 4, empty=10)
    P = model.predict(X_big, mask=M_big)
    assert np.all(P[~M_big] == 0.0)
    sums = P.sum(axis=1)
    assert_allclose(sums[:-10], 1.0, atol=1e-6)
    assert_array_equal(sums[-10:], 0.0)
    assert_allclose(model.predict(X_big, mask=M_big, batch_size=333), P)


# -- Sequential carries the mask ---------------------------------------------------------
def test_compile_cross_entropy_fuses_with_the_masked_loss():
    model = masked_model(3, 4)
    model.compile(loss=CategoricalCrossEntropy(label_smoothing=0.2), optimizer="sgd")
    model.build(3)
    step = _BatchStep(model)
    assert isinstance(step.loss, MaskedCategoricalCrossEntropy) and step.fused
    assert step.loss.from_logits and step.loss.label_smoothing == 0.2
    model.compile(loss=MaskedCategoricalCrossEntropy(masked_target="ignore"), optimizer="sgd")
    step = _BatchStep(model)
    assert step.loss.masked_target == "ignore" and step.loss.from_logits and step.fused


def test_batches_keep_masks_aligned_with_their_rows_when_shuffled():
    n, k = 103, 5
    X = np.arange(n, dtype=np.float64).reshape(-1, 1)
    y = np.arange(n) % k
    M = np.eye(k, dtype=bool)[y] | (np.arange(n)[:, None] % 2 == 0)
    batches = _Batches(X, y, None, M, 16, True, np.random.default_rng(0))
    seen = []
    for epoch in range(2):
        for Xb, yb, _, Mb in batches.epoch():
            rows = Xb[:, 0].astype(int)
            assert_array_equal(yb, y[rows])
            assert_array_equal(Mb, M[rows])
            seen.extend(rows.tolist())
    assert sorted(seen) == sorted(list(range(n)) * 2)


def test_fit_shuffles_masks_with_rows():
    # Each row's only allowed class is its label, so a mask that slips off its row makes the
    # loss see a target on a masked class and raise.
    rng = np.random.default_rng(13)
    X = rng.normal(size=(200, 3))
    y = rng.integers(0, 4, 200)
    M = np.eye(4)[y]
    model = masked_model(3, 4, seed=13)
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    history = model.fit(X, y, mask=M, batch_size=7, epochs=3, shuffle=True, verbose=0, random_state=1)
    assert history.history["loss"][-1] == 0.0  # one allowed class: probability 1, loss 0
    assert history.history["accuracy"][-1] == 1.0


def test_fit_names_dataset_rows_whose_target_is_masked():
    rng = np.random.default_rng(14)
    X = rng.normal(size=(50, 3))
    M = np.ones((50, 4))
    y = np.zeros(50, dtype=int)
    M[[7, 31], 0] = 0
    model = masked_model(3, 4)
    model.compile(loss="categorical_crossentropy", optimizer="sgd")
    with pytest.raises(ValueError, match=r"rows \(\[7, 31\]\)"):
        model.fit(X, y, mask=M, epochs=1, verbose=0, random_state=0)
    with pytest.raises(ValueError, match=r"rows \(\[7, 31\]\)"):
        model.evaluate(X, y, mask=M)
    model.compile(loss=MaskedCategoricalCrossEntropy(masked_target="ignore"), optimizer="sgd")
    model.fit(X, y, mask=M, epochs=1, verbose=0, random_state=0)


def test_fit_predict_evaluate_reject_bad_masks():
    rng = np.random.default_rng(15)
    X = rng.normal(size=(10, 3))
    y = np.zeros(10, dtype=int)
    model = masked_model(3, 4)
    model.compile(loss="categorical_crossentropy", optimizer="sgd")
    with pytest.raises(ValueError, match=r"9 rows, but there are 10 samples"):
        model.fit(X, y, mask=np.ones((9, 4)), verbose=0)
    with pytest.raises(ValueError, match=r"3 columns, but the output has 4 classes"):
        model.predict(X, mask=np.ones((10, 3)))
    with pytest.raises(ValueError, match=r"only 0/1"):
        model.evaluate(X, y, mask=np.full((10, 4), 2))
    with pytest.raises(ValueError, match=r"NaN"):
        model.fit(X, y, mask=np.full((10, 4), np.nan), verbose=0)
    with pytest.raises(ValueError, match=r"2 rows, but there are 3 samples"):
        model.fit(X, y, mask=np.ones((10, 4)), validation_data=(X[:3], y[:3], np.ones((2, 4))),
                  verbose=0)


def test_validation_data_and_split_carry_masks():
    rng = np.random.default_rng(16)
    X = rng.normal(size=(60, 3))
    M = random_mask(rng, 60, 4)
    y = allowed_labels(rng, M)
    model = masked_model(3, 4)
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    with warnings.catch_warnings():
        warnings.simplefilter("error", MaskWarning)
        h = model.fit(X[:40], y[:40], mask=M[:40], validation_data=(X[40:], y[40:], M[40:]),
                      epochs=2, verbose=0, random_state=0)
        expected = model.evaluate(X[40:], y[40:], mask=M[40:])
        assert_allclose(h.history["val_loss"][-1], expected["loss"], rtol=1e-6)
        model.fit(X, y, mask=M, validation_split=0.25, epochs=1, verbose=0, random_state=0)


def test_evaluate_loss_matches_the_masked_loss_on_predictions():
    rng = np.random.default_rng(17)
    X = rng.normal(size=(30, 3))
    M = random_mask(rng, 30, 4, empty=3)
    y = allowed_labels(rng, M)
    model = masked_model(3, 4)
    model.compile(loss="categorical_crossentropy", optimizer="sgd", metrics=["accuracy"])
    result = model.evaluate(X, y, mask=M)
    P = model.predict(X, mask=M)
    expected = MaskedCategoricalCrossEntropy().forward(P.astype(np.float64), y, mask=M)
    assert_allclose(result["loss"], expected, rtol=1e-5)
    assert_allclose(result["accuracy"], np.mean(P.argmax(axis=1) == y))


def test_no_mask_warns_once_per_fit_and_predict_treats_all_as_allowed():
    rng = np.random.default_rng(18)
    X = rng.normal(size=(20, 3))
    y = rng.integers(0, 4, 20)
    model = masked_model(3, 4)
    model.compile(loss="categorical_crossentropy", optimizer="sgd")
    with pytest.warns(MaskWarning, match="every class is treated as allowed") as record:
        model.fit(X, y, validation_data=(X, y), epochs=3, verbose=0, random_state=0)
    assert len([w for w in record if issubclass(w.category, MaskWarning)]) == 1
    with pytest.warns(MaskWarning):
        model.evaluate(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", MaskWarning)
        P = model.predict(X)
    assert_allclose(P, model.predict(X, mask=np.ones((20, 4))))
    assert_allclose(P.sum(axis=1), 1.0, rtol=1e-6)


def test_forward_and_activations_take_a_mask():
    rng = np.random.default_rng(19)
    X = rng.normal(size=(5, 3))
    M = random_mask(rng, 5, 4)
    model = masked_model(3, 4)
    assert np.all(model.forward(X, mask=M)[~M] == 0.0)
    assert np.all(model.activations(X, mask=M)[model.layers[-1].name][~M] == 0.0)


def test_mask_on_a_model_without_masked_softmax_is_an_error():
    model = masked_model(3, 4, last=Softmax())
    model.build(3)
    with pytest.raises(ValueError, match="end the model with MaskedSoftmax"):
        model.predict(np.zeros((2, 3)), mask=np.ones((2, 4)))


def test_model_config_round_trip_keeps_the_masked_layer():
    model = masked_model(3, 4)
    model.compile(loss="categorical_crossentropy", optimizer="adam")
    model.build(3)
    again = Sequential.from_config(json.loads(json.dumps(model.get_config())))
    assert isinstance(again.layers[-1], MaskedSoftmax)
    again.set_weights(model.get_weights())
    M = np.array([[1, 0, 0, 1]])
    assert_allclose(again.predict(np.ones((1, 3)), mask=M), model.predict(np.ones((1, 3)), mask=M))


# -- training ----------------------------------------------------------------------
def test_masked_model_never_predicts_a_masked_class_while_an_unmasked_one_does():
    rng = np.random.default_rng(20)
    W = rng.normal(size=(5, 6))

    def data(n):
        X = rng.normal(size=(n, 5))
        M = random_mask(rng, n, 6, p=0.4)
        return X, M, np.argmax(np.where(M, X @ W, -np.inf), axis=1)

    X, M, y = data(1500)
    X_test, M_test, y_test = data(500)
    masked, plain = masked_model(5, 6, seed=1), masked_model(5, 6, seed=1, last=Softmax())
    for model, mask in ((masked, M), (plain, None)):
        model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
        model.fit(X, y, mask=mask, epochs=10, batch_size=32, verbose=0, random_state=0)
    rows = np.arange(len(y_test))
    chosen = masked.predict(X_test, mask=M_test).argmax(axis=1)
    plain_chosen = plain.predict(X_test).argmax(axis=1)
    assert not np.any(~M_test[rows, chosen])
    assert np.sum(~M_test[rows, plain_chosen]) > 50
    assert np.mean(chosen == y_test) > 0.8
    assert np.mean(chosen == y_test) > np.mean(plain_chosen == y_test) + 0.2


# -- the example -----------------------------------------------------------------------
def test_masked_actions_example_runs_and_reports(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(sys, "argv", [str(EXAMPLE), str(tmp_path)])
    runpy.run_path(str(EXAMPLE), run_name="__main__")
    out = capsys.readouterr().out
    assert "masked actions chosen, MaskedSoftmax: 0 of 1000" in out
    assert "largest probability of a masked action: 0.0 (exactly 0: True)" in out
    assert "fully masked row gives: [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]" in out
    results = json.loads((tmp_path / "masked_actions.json").read_text())
    assert results["test_accuracy_masked"] > 0.9
    assert results["masked_actions_chosen_masked"] == 0
    assert results["masked_actions_chosen_unmasked"] > 100
    assert results["largest_masked_probability"] == 0.0
    assert f"{results['test_accuracy_masked']:.3f}" in out
