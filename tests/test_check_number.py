"""The one number-validation helper behind optimizers, schedules and the scikit-learn wrapper."""
import numpy as np
import pytest

from numnet._validation import check_number, check_positive_int, describe_range
from numnet.optimizers import SGD, Adam, CosineDecay, RMSprop


@pytest.mark.parametrize("kwargs, expected", [
    ({}, "a finite number"),
    ({"low": 0}, ">= 0"),
    ({"low": 0, "low_open": True}, "> 0"),
    ({"high": 1, "high_open": True}, "< 1"),
    ({"low": 0, "high": 1}, "in [0, 1]"),
    ({"low": 0, "high": 1, "low_open": True, "high_open": True}, "in (0, 1)"),
    ({"low": 1e-3, "high": 2.5}, "in [0.001, 2.5]"),
])
def test_describe_range_writes_intervals_as_messages_show_them(kwargs, expected):
    assert describe_range(kwargs.pop("low", None), kwargs.pop("high", None), **kwargs) == expected


def test_check_number_returns_python_scalars_that_keep_float32_arrays_float32():
    value = check_number(np.float64(0.5), "momentum", low=0, high=1)
    assert type(value) is float and value == 0.5
    assert (np.ones(2, np.float32) * value).dtype == np.float32
    assert type(check_number(np.int64(3), "n", kind=int, low=1)) is int


@pytest.mark.parametrize("value, kwargs, error, message", [
    ("fast", {}, TypeError, r"^rate must be a real number, got str 'fast'$"),
    (True, {}, TypeError, r"^rate must be a real number, got bool True$"),
    (np.bool_(True), {}, TypeError, r"^rate must be a real number, got bool"),
    (None, {}, TypeError, r"^rate must be a real number, got NoneType None$"),
    ("x", {"allow_none": True}, TypeError, r"^rate must be a real number or None, got str 'x'$"),
    (float("nan"), {"low": 0}, ValueError, r"^rate must be >= 0, got nan$"),
    (float("inf"), {}, ValueError, r"^rate must be a finite number, got inf$"),
    (10**400, {}, ValueError, r"^rate must be a finite number, got inf$"),
    (0, {"low": 0, "low_open": True}, ValueError, r"^rate must be > 0, got 0\.0$"),
    (1, {"low": 0, "high": 1, "high_open": True}, ValueError, r"^rate must be in \[0, 1\), got 1\.0$"),
    (2.0, {"kind": int}, TypeError, r"^rate must be an int, got float 2\.0$"),
    (2.5, {"kind": int, "also": "'auto'"}, TypeError, r"^rate must be an int or 'auto', got float"),
    (0, {"kind": int, "low": 1, "also": "'auto'"}, ValueError,
     r"^rate must be an int >= 1 or 'auto', got 0$"),
])
def test_check_number_messages_say_what_was_expected_and_what_was_given(value, kwargs, error, message):
    with pytest.raises(error, match=message):
        check_number(value, "rate", **kwargs)


def test_check_number_passes_none_only_when_allowed():
    assert check_number(None, "clipnorm", allow_none=True) is None


def test_check_positive_int_is_check_number_for_counts():
    assert check_positive_int(0, "epochs", allow_zero=True) == 0
    with pytest.raises(ValueError, match=r"^batch_size must be > 0, got 0$"):
        check_positive_int(0, "batch_size")
    with pytest.raises(TypeError, match=r"^batch_size must be an int, got float 2\.5$"):
        check_positive_int(2.5, "batch_size")


@pytest.mark.parametrize("build, message", [
    (lambda: RMSprop(rho=1.0), r"rho must be in \[0, 1\), got 1\.0"),
    (lambda: SGD(momentum=np.float32(1.5)), r"momentum must be in \[0, 1\], got 1\.5"),
    (lambda: Adam(clipnorm="big"), r"clipnorm must be a real number or None, got str 'big'"),
    (lambda: CosineDecay(0.1, decay_steps=10, alpha=2), r"alpha must be in \[0, 1\], got 2\.0"),
])
def test_optimizers_and_schedules_share_the_generated_messages(build, message):
    with pytest.raises((TypeError, ValueError), match=message):
        build()


def test_sklearn_wrapper_raises_its_own_error_with_the_shared_message():
    pytest.importorskip("sklearn")
    from numnet.sklearn._params import InvalidParameterError, check_real

    with pytest.raises(InvalidParameterError, match=r"^beta_1 must be in \[0, 1\), got 1\.0$"):
        check_real(1.0, "beta_1", low=0, high=1, high_open=True)
    with pytest.raises(InvalidParameterError, match=r"^tol must be a real number, got str"):
        check_real("small", "tol", low=0)
