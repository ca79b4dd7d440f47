"""Every speed trick in numnet._kernels equals the plain expression its docstring names."""
import warnings

import numpy as np
import pytest

import numnet.functional as F
from numnet import _kernels as kernels

DTYPES = [np.float32, np.float64]


@pytest.fixture
def rng():
    return np.random.default_rng(0)


# -- cached vectors -----------------------------------------------------------------
def test_ones_equals_np_ones_and_is_cached_read_only():
    vector = kernels.ones(5, np.dtype(np.float32).str)
    np.testing.assert_array_equal(vector, np.ones(5, np.float32))
    assert vector.dtype == np.float32 and not vector.flags.writeable
    assert kernels.ones(5, np.dtype(np.float32).str) is vector


def test_row_indices_equals_arange_and_is_cached_read_only():
    indices = kernels.row_indices(7)
    np.testing.assert_array_equal(indices, np.arange(7))
    assert not indices.flags.writeable and kernels.row_indices(7) is indices


# -- reductions -----------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
def test_column_sum_equals_sum_over_axis_0(rng, dtype):
    dY = rng.standard_normal((33, 5)).astype(dtype)
    out = np.empty(5, dtype)
    result = kernels.column_sum(dY, out=out)
    assert result is out
    np.testing.assert_allclose(result, dY.sum(axis=0), rtol=1e-5 if dtype == np.float32 else 1e-12)


@pytest.mark.parametrize("dtype", DTYPES)
def test_row_max_equals_max_over_axis_1_exactly(rng, dtype):
    X = rng.standard_normal((16, 4)).astype(dtype)
    X[3] = [-np.inf, -np.inf, -np.inf, -np.inf]
    X[4, :2] = 7.0  # a tie
    np.testing.assert_array_equal(kernels.row_max(X), X.max(axis=1, keepdims=True))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(1000, 10), (640, 10), (639, 10), (2000, 2), (2000, 17)])
def test_row_max_of_many_short_rows_equals_max_over_axis_1_exactly(rng, dtype, shape):
    X = rng.standard_normal(shape).astype(dtype)  # the first three take the column-by-column path
    X[3] = -np.inf
    X[4, :2] = 7.0       # a tie
    X[5, -1] = np.nan    # NaN wins, as in max
    X[6, 0] = np.inf
    with np.errstate(invalid="ignore"):
        np.testing.assert_array_equal(kernels.row_max(X), X.max(axis=1, keepdims=True))


def test_row_max_returns_a_new_array_the_caller_may_write(rng):
    X = rng.standard_normal((4, 3))
    top = kernels.row_max(X)
    top[:] = 0.0
    assert np.all(X.max(axis=1) != 0.0)


@pytest.mark.parametrize("dtype", DTYPES)
def test_row_sum_equals_sum_over_axis_1(rng, dtype):
    X = rng.random((20, 10)).astype(dtype)
    np.testing.assert_allclose(kernels.row_sum(X), X.sum(axis=1, keepdims=True),
                               rtol=1e-6 if dtype == np.float32 else 1e-14)
    assert kernels.row_sum(X).shape == (20, 1)


@pytest.mark.parametrize("shape, axis", [((6, 4), -1), ((6, 4), 1), ((6, 4), 0), ((2, 3, 4), -1),
                                         ((2, 3, 4), 1)])
def test_max_and_sum_along_equal_numpy_with_keepdims(rng, shape, axis):
    X = rng.standard_normal(shape)
    np.testing.assert_array_equal(kernels.max_along(X, axis), np.max(X, axis=axis, keepdims=True))
    np.testing.assert_allclose(kernels.sum_along(X, axis), np.sum(X, axis=axis, keepdims=True),
                               rtol=1e-14)


# -- subnormals -----------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
def test_exp_floor_is_0_7_log_tiny_and_its_exp_is_normal(dtype):
    floor = kernels.exp_floor(dtype)
    assert floor == 0.7 * float(np.log(np.finfo(dtype).tiny))
    assert np.exp(np.array(floor, dtype)) > np.finfo(dtype).tiny


@pytest.mark.parametrize("dtype", DTYPES)
def test_floored_exp_equals_exp_of_maximum(dtype):
    X = np.array([-1e4, -800.0, -100.0, -1.0, 0.0, 3.0], dtype)
    expected = np.exp(np.maximum(X, kernels.exp_floor(dtype)))
    np.testing.assert_array_equal(kernels.floored_exp(X), expected)
    assert (kernels.floored_exp(X) >= np.finfo(dtype).tiny).all()  # never subnormal
    above = X >= kernels.exp_floor(dtype)
    np.testing.assert_array_equal(kernels.floored_exp(X)[above], np.exp(X[above]))


def test_flush_tiny_equals_the_plain_masked_assignment(rng):
    arrays = [rng.standard_normal(50).astype(np.float32) * 1e-30,
              rng.standard_normal((4, 5)) * 1e-300]
    expected = []
    for a in arrays:
        plain = a.copy()
        plain[np.abs(plain) < np.finfo(a.dtype).tiny * 2**24] = 0
        expected.append(plain)
    kernels.flush_tiny(arrays)
    for got, want in zip(arrays, expected):
        np.testing.assert_array_equal(got, want)
    assert any((w == 0).any() for w in expected) and any((w != 0).any() for w in expected)


def test_flush_tiny_into_scratch_and_mask_equals_the_plain_masked_assignment(rng):
    arrays = [rng.standard_normal((6, 7)).astype(np.float32) * 1e-30 for _ in range(3)]
    arrays[0][0, :3] = [np.nan, np.inf, -1e-45]  # NaN and inf stay; a subnormal goes
    expected = [a.copy() for a in arrays]
    for plain in expected:
        with np.errstate(invalid="ignore"):
            plain[np.abs(plain) < np.finfo(np.float32).tiny * 2**24] = 0
    scratch, mask = np.empty((6, 7), np.float32), np.empty((6, 7), bool)
    kernels.flush_tiny(arrays, scratch, mask)
    for got, want in zip(arrays, expected):
        np.testing.assert_array_equal(got, want)
    assert np.isnan(arrays[0][0, 0]) and arrays[0][0, 2] == 0


# -- in-place optimizer updates equal the pure steps bit for bit -------------------------
def _state(rng, dtype, n=37):
    param = rng.standard_normal(n).astype(dtype)
    grads = [rng.standard_normal(n).astype(dtype) for _ in range(3)]
    return param, grads


def test_moving_average_equals_its_expression(rng):
    average, value = rng.standard_normal(9), rng.standard_normal(9)
    expected = 0.9 * average + (1 - 0.9) * value
    kernels.moving_average(average, value, 0.9, np.empty(9))
    np.testing.assert_array_equal(average, expected)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("amsgrad", [False, True])
def test_adam_update_equals_functional_adam_step_bitwise(rng, dtype, amsgrad):
    param, grads = _state(rng, dtype)
    p, m, v = param.copy(), np.zeros_like(param), np.zeros_like(param)
    v_hat = np.zeros_like(param) if amsgrad else None
    pure = (param.copy(), m.copy(), v.copy()) + ((v_hat.copy(),) if amsgrad else ())
    for t, g in enumerate(grads, start=1):
        lr_t = F.adam_step_size(0.01, t, 0.9, 0.999)
        kernels.adam_update(p, g, m, v, np.empty_like(p), lr_t, 0.9, 0.999, 1e-7, v_hat)
        pure = F.adam_step(pure[0], g, pure[1], pure[2], t, 0.01, 0.9, 0.999, 1e-7,
                           v_hat=pure[3] if amsgrad else None)
    np.testing.assert_array_equal(p, pure[0])
    np.testing.assert_array_equal(m, pure[1])
    np.testing.assert_array_equal(v, pure[2])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("momentum, nesterov, weight_decay",
                         [(0.0, False, 0.0), (0.0, False, 0.01), (0.9, False, 0.0),
                          (0.9, True, 0.01)])
def test_sgd_update_equals_functional_sgd_step_bitwise(rng, dtype, momentum, nesterov,
                                                       weight_decay):
    param, grads = _state(rng, dtype)
    p, velocity = param.copy(), (np.zeros_like(param) if momentum else None)
    pure_p, pure_v = param.copy(), (np.zeros_like(param) if momentum else None)
    for g in grads:
        kernels.sgd_update(p, g, np.empty_like(p), 0.05, velocity, momentum, nesterov,
                           weight_decay)
        pure_p, pure_v = F.sgd_step(pure_p, g, 0.05, pure_v, momentum, nesterov, weight_decay)
    np.testing.assert_array_equal(p, pure_p)
    if momentum:
        np.testing.assert_array_equal(velocity, pure_v)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("momentum", [0.0, 0.5])
def test_rmsprop_update_equals_functional_rmsprop_step_bitwise(rng, dtype, momentum):
    param, grads = _state(rng, dtype)
    p, s = param.copy(), np.zeros_like(param)
    velocity = np.zeros_like(param) if momentum else None
    pure = (param.copy(), s.copy(), None if velocity is None else velocity.copy())
    for g in grads:
        kernels.rmsprop_update(p, g, s, np.empty_like(p), 0.01, 0.9, 1e-7, velocity, momentum)
        pure = F.rmsprop_step(pure[0], g, pure[1], 0.01, 0.9, 1e-7, pure[2], momentum)
    np.testing.assert_array_equal(p, pure[0])
    np.testing.assert_array_equal(s, pure[1])


@pytest.mark.parametrize("dtype", DTYPES)
def test_adagrad_update_equals_functional_adagrad_step_bitwise(rng, dtype):
    param, grads = _state(rng, dtype)
    p, a = param.copy(), np.full_like(param, 0.1)
    pure = (param.copy(), a.copy())
    for g in grads:
        kernels.adagrad_update(p, g, a, np.empty_like(p), 0.05, 1e-7)
        pure = F.adagrad_step(pure[0], g, pure[1], 0.05, 1e-7)
    np.testing.assert_array_equal(p, pure[0])
    np.testing.assert_array_equal(a, pure[1])


def test_in_place_updates_allocate_no_new_parameter_array(rng):
    param, grads = _state(rng, np.float32)
    view = param[:]  # a model's layers hold views like this one
    m, v = np.zeros_like(param), np.zeros_like(param)
    kernels.adam_update(param, grads[0], m, v, np.empty_like(param), 0.01, 0.9, 0.999, 1e-7)
    assert np.shares_memory(view, param) and not np.array_equal(view, _state(rng, np.float32)[0])


# -- the training step into preallocated buffers ----------------------------------------
@pytest.mark.parametrize("shape", [(6, 5), (1, 128), (100, 64), (3, 40, 50)])  # the last two: above 4096 entries
def test_relu_into_equals_maximum_with_zero_in_place(rng, shape):
    Z = rng.standard_normal(shape)
    Z.flat[:3] = [np.nan, -0.0, -np.inf]
    expected = np.maximum(Z, 0)
    assert kernels.relu_into(Z) is Z
    np.testing.assert_array_equal(Z, expected)
    assert np.signbit(Z.flat[1]) == np.signbit(expected.flat[1])


@pytest.mark.parametrize("dtype", DTYPES)
def test_relu_with_mask_equals_maximum_and_the_positive_mask(rng, dtype):
    Z = rng.standard_normal((7, 4)).astype(dtype)
    Z[0, 0], Z[1, 1], Z[2, 2] = 0.0, -0.0, np.nan  # the kink, a signed zero, NaN propagates
    expected, expected_mask = np.maximum(Z, 0), (Z > 0).astype(dtype)
    mask = np.empty_like(Z)
    assert kernels.relu_with_mask(Z, mask) is Z
    np.testing.assert_array_equal(Z, expected)
    np.testing.assert_array_equal(mask, expected_mask)
    dA = rng.standard_normal((7, 4)).astype(dtype)
    np.testing.assert_array_equal(dA * mask, dA * (expected > 0))  # the backward pass's use
    Z2, out = rng.standard_normal((7, 4)).astype(dtype), np.ones((7, 5), dtype)
    before = Z2.copy()
    assert kernels.relu_with_mask(Z2, mask, out=out[:, :4]) is not Z2  # into a view, Z untouched
    np.testing.assert_array_equal(out[:, :4], np.maximum(before, 0))
    np.testing.assert_array_equal(Z2, before)
    assert (out[:, 4] == 1).all()


def test_relu_with_mask_turns_minus_infinity_into_nan_not_zero():
    # Documented difference from np.maximum: an overflowed pre-activation is not hidden.
    Z, mask = np.array([[-np.inf, 1.0]]), np.empty((1, 2))
    with np.errstate(invalid="ignore"):
        kernels.relu_with_mask(Z, mask)
    assert np.isnan(Z[0, 0]) and Z[0, 1] == 1.0


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_operand_equals_the_python_scalar_as_an_operand_and_is_read_only(rng, dtype):
    a = rng.standard_normal(50).astype(dtype)
    for value in (0.9, 1.0 - 0.999, 1e-7, 0):
        constant = kernels.operand(value, np.dtype(dtype))
        assert constant.shape == () and constant.dtype == dtype and not constant.flags.writeable
        np.testing.assert_array_equal(np.multiply(a, constant), np.multiply(a, value))
        np.testing.assert_array_equal(np.maximum(a, constant), np.maximum(a, value))
    assert kernels.operand(0.9, np.dtype(dtype)) is kernels.operand(0.9, np.dtype(dtype))  # cached


def test_eye_equals_np_eye_and_is_cached_read_only():
    identity = kernels.eye(4, np.dtype(np.float32).str)
    np.testing.assert_array_equal(identity, np.eye(4, dtype=np.float32))
    assert not identity.flags.writeable and kernels.eye(4, np.dtype(np.float32).str) is identity


@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_cross_entropy_gradient_equals_the_fused_loss(rng, dtype):
    m, k = 16, 5
    Z = (rng.standard_normal((m, k)) * 30).astype(dtype)  # some probabilities hit the floor
    labels = rng.integers(0, k, m)
    P, log_P = F.softmax_and_log(Z, floor=True)
    expected_grad = F.softmax_cross_entropy_grad(P, labels)
    expected_loss = F.nll(log_P, labels)
    buffers = kernels.SoftmaxCrossEntropyBuffers(m, k, dtype)
    buffers.T[...] = np.eye(k, dtype=dtype)[labels]
    loss = buffers.gradient(Z)
    np.testing.assert_array_equal(Z, expected_grad)  # Z now holds (P - T) / m, bit for bit
    np.testing.assert_array_equal(buffers.P, P)
    assert loss == pytest.approx(expected_loss, rel=1e-5 if dtype == np.float32 else 1e-12)


def test_gather_rows_equals_fancy_indexing(rng):
    a = rng.standard_normal((10, 3))
    index = rng.permutation(10)[:6]
    out = np.empty((6, 3))
    assert kernels.gather_rows(a, index, out) is out
    np.testing.assert_array_equal(out, a[index])


def test_in_parallel_runs_both_halves_and_raises_their_errors():
    seen = []
    kernels.in_parallel(seen.extend, [1, 2, 3, 4, 5])
    assert sorted(seen) == [1, 2, 3, 4, 5]

    def fail_on_five(items):
        if 5 in items:
            raise ValueError("five")

    with pytest.raises(ValueError, match="five"):
        kernels.in_parallel(fail_on_five, [1, 2, 3, 4, 5])


# -- inference: predict's forward pass ---------------------------------------------------
def _finite_cases():
    big = np.finfo(np.float32).max
    yield np.zeros((1, 5), np.float32)
    yield np.array([[1.0, -2.0, 3.5]], np.float32)
    yield np.array([[big, big, 1.0]], np.float32)  # finite, but the float32 sum overflows
    yield np.array([[-big, -big]], np.float32)
    yield np.array([[np.nan, 1.0]], np.float32)
    yield np.array([[1.0, np.inf]], np.float32)
    yield np.array([[-np.inf, 2.0]], np.float64)
    yield np.array([[np.inf, -np.inf, 0.0]], np.float32)  # inf - inf: the sum is NaN
    yield np.array([[1e300, 1e300]], np.float64)
    yield np.array([[1.0, 2.0]], np.float16)
    yield np.array([[60000.0, 60000.0]], np.float16)  # overflows float16's sum, finite
    yield np.ones((4, 3), np.float32)
    yield np.array([[1.0, 2.0], [np.nan, 0.0]])
    yield np.array([1.0, np.inf])
    yield np.zeros((0, 3), np.float32)
    yield np.array([[1 + 2j, np.inf * 1j]])
    yield np.ones((1, 1)).T[:, :1]  # a non-contiguous one-row view
    big = np.ones((300, 256), np.float32)  # 76,800 entries: summed in float32
    yield big
    yield np.where(np.arange(big.size).reshape(big.shape) == 5000, np.nan, big)
    yield np.where(np.arange(big.size).reshape(big.shape) == 7, -np.inf, big).astype(np.float32)
    yield np.full((300, 256), np.finfo(np.float32).max, np.float32)  # the float32 sum overflows
    yield np.full((300, 256), 60000.0, np.float16)


@pytest.mark.parametrize("X", list(_finite_cases()), ids=str)
def test_all_finite_equals_isfinite_all(X):
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the complex case warns that the sum drops imaginary parts
        assert kernels.all_finite(X) is bool(np.isfinite(X).all())


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_all_finite_does_not_warn_on_large_finite_values(dtype):
    X = np.full((1, 4), np.finfo(dtype).max, dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert kernels.all_finite(X) and kernels.all_finite(np.repeat(X, 3, axis=0))
        assert kernels.all_finite(np.repeat(X, 20000, axis=0))  # large: its own precision, overflow silenced
        for n in (1, 2, 3, 64, 127, 128, 1000, 4097):  # one long row of the largest floats: no overflow
            assert kernels.all_finite(np.full((1, n), np.finfo(dtype).max, dtype))
            assert kernels.all_finite(np.full((1, n), -np.finfo(dtype).max, dtype))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("m", [1, 7])
def test_affine_equals_x_at_w_plus_b_bitwise_in_a_new_array(rng, dtype, m):
    X, W, b = (rng.standard_normal(s).astype(dtype) for s in ((m, 64), (64, 128), (128,)))
    Y = kernels.affine(X, W, b)
    np.testing.assert_array_equal(Y, X @ W + b)
    assert Y.shape == (m, 128) and not np.shares_memory(Y, X)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("m", [1, 2, 33])
def test_softmax_rows_into_equals_functional_softmax_bitwise_in_place(rng, dtype, m):
    Z = (rng.standard_normal((m, 10)) * 20).astype(dtype)
    Z[0, 3] = 1e4 if dtype != np.float16 else 6e4  # huge logits: exp must not overflow
    expected = F.softmax(Z)
    assert kernels.softmax_rows_into(Z) is Z
    np.testing.assert_array_equal(Z, expected)


def test_softmax_rows_into_handles_infinite_logits_as_softmax_does():
    Z = np.array([[-np.inf, 0.0, 1.0], [np.inf, 0.0, 1.0], [-np.inf, -np.inf, -np.inf]])
    for rows in (Z[:1], Z[1:2], Z[2:], Z):
        with np.errstate(invalid="ignore"):
            expected = F.softmax(rows)
            np.testing.assert_array_equal(kernels.softmax_rows_into(rows.copy()), expected)
