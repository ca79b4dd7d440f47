"""Hostile input for numnet.gradcheck: bad settings and data are clear errors, and NaN or inf
anywhere in the derivatives is a failure, never a pass."""
import numpy as np
import pytest

from numnet import Dense, MeanSquaredError, Sequential, Softmax, Tanh, gradcheck

RNG = np.random.default_rng(7)
X = RNG.normal(size=(6, 3))
LABELS = RNG.integers(0, 2, size=6)


def model():
    return Sequential([Dense(3, 4), Tanh(), Dense(4, 2), Softmax()], random_state=0).compile(
        "categorical_crossentropy")


class NaNGradient:
    """A user layer whose backward returns NaN for one entry of dL/dX."""

    def __init__(self):
        self.params, self.grads = {}, {}

    def forward(self, X, training=False):
        return 2 * X

    def backward(self, dY):
        dX = 2 * dY
        dX[0, 0] = np.nan
        return dX


class WrongShape(NaNGradient):
    def backward(self, dY):
        return 2 * dY[:, :-1]


@pytest.mark.parametrize("kwargs, error, match", [
    ({"eps": float("nan")}, ValueError, r"eps must be a finite number >= 0, got nan"),
    ({"eps": float("inf")}, ValueError, r"eps must be a finite number >= 0, got inf"),
    ({"eps": -1e-6}, ValueError, r"eps must be a finite number >= 0, got -1e-06"),
    ({"eps": 0}, ValueError, r"eps must be > 0 \(the finite-difference step\), got 0"),
    ({"eps": "1e-6"}, TypeError, r"eps must be a number, got str"),
    ({"atol": float("nan")}, ValueError, r"atol must be a finite number >= 0, got nan"),
    ({"rtol": -1.0}, ValueError, r"rtol must be a finite number >= 0, got -1.0"),
    ({"tolerance": float("nan")}, ValueError, r"tolerance must be a finite number >= 0, got nan"),
    ({"max_entries": 0}, ValueError, r"max_entries must be > 0, got 0"),
    ({"max_entries": -3}, ValueError, r"max_entries must be > 0, got -3"),
    ({"max_entries": 2.5}, TypeError, r"max_entries must be an int, got float"),
    ({"random_state": "seed"}, TypeError, r"random_state must be"),
])
def test_invalid_settings_are_errors_that_name_the_setting(kwargs, error, match):
    with pytest.raises(error, match=match):
        gradcheck(Dense(3, 2, random_state=0), X, **kwargs)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_x_is_a_value_error_not_a_pass(bad):
    X_bad = X.copy()
    X_bad[2, 1] = bad
    with pytest.raises(ValueError, match=r"X contains (NaN|inf) .*first at \(2, 1\)"):
        gradcheck(Dense(3, 2, random_state=0), X_bad)
    with pytest.raises(ValueError, match=r"X contains"):
        gradcheck(model(), X_bad, LABELS)


@pytest.mark.parametrize("X_bad, error, match", [
    (np.zeros((0, 3)), ValueError, r"X must be a non-empty array .* got shape \(0, 3\)"),
    (3.0, ValueError, r"X must be a non-empty array .* got shape \(\)"),
    ([["a", "b", "c"]], TypeError, r"X must be a numeric array, got list"),
])
def test_empty_scalar_or_text_x_is_an_error(X_bad, error, match):
    with pytest.raises(error, match=match):
        gradcheck(Dense(3, 2, random_state=0), X_bad)


def test_y_of_the_wrong_length_is_numnets_own_error():
    with pytest.raises(ValueError, match=r"y must have one entry per sample: X has 6 rows, "
                                         r"y has shape \(5,\); pass 6 rows"):
        gradcheck(model(), X, LABELS[:5])
    with pytest.raises(ValueError, match=r"y must have one entry per sample: X \(y_pred\) has 6 rows"):
        gradcheck(MeanSquaredError(), X, X[:4])
    with pytest.raises(ValueError, match=r"sample_weight must have one entry per sample"):
        gradcheck(model(), X, LABELS, sample_weight=np.ones(7))


def test_non_finite_targets_or_weights_are_value_errors():
    with pytest.raises(ValueError, match=r"y contains NaN"):
        gradcheck(MeanSquaredError(), X, np.where(X > 1, np.nan, X))
    with pytest.raises(ValueError, match=r"sample_weight contains inf"):
        gradcheck(model(), X, LABELS, sample_weight=np.array([1, 1, np.inf, 1, 1, 1]))


def test_a_nan_in_the_analytic_gradient_is_a_failure():
    report = gradcheck(NaNGradient(), X)
    assert not report.passed
    assert [(e.array, e.index) for e in report.failures] == [("input", (0, 0))]
    assert report.kinks == [] and "nan" in str(report)


def test_nan_weights_make_every_entry_fail():
    broken = model()
    broken.build(3)
    broken.layers[2].params["weights"][0, 0] = np.nan
    report = gradcheck(broken, X, LABELS)
    assert not report.passed
    checked = sum(check.n_checked for check in report.arrays.values())
    assert len(report.failures) == checked and report.kinks == []


class Exp(NaNGradient):
    """exp(1000 x): overflows to inf for the inputs used here."""

    def forward(self, X, training=False):
        self.Y = np.exp(1000 * X)
        return self.Y

    def backward(self, dY):
        return 1000 * self.Y * dY


def test_an_objective_that_overflows_is_a_failure():
    with np.errstate(over="ignore", invalid="ignore"):
        report = gradcheck(Exp(), np.abs(X) + 1)
    assert not report.passed and report.kinks == []
    assert len(report.failures) == X.size


def test_an_analytic_gradient_of_the_wrong_shape_is_named():
    with pytest.raises(ValueError, match=r"the analytic gradient for 'input' has shape \(6, 2\), "
                                         r"but input has shape \(6, 3\)"):
        gradcheck(WrongShape(), X)


def test_an_eps_lost_in_rounding_is_an_error_not_a_zero_division():
    with pytest.raises(ValueError, match=r"eps=1e-09 is lost in rounding: input\[0, 0\] = 1e\+10"):
        gradcheck(Dense(3, 2, random_state=0), np.full((2, 3), 1e10), eps=1e-9)


def test_nothing_to_check_is_an_error():
    with pytest.raises(ValueError, match=r"gradcheck found nothing to check.*check_input=True"):
        gradcheck(Softmax(), X, check_input=False)


def test_a_tiny_max_entries_still_checks_every_array():
    report = gradcheck(model(), X, LABELS, max_entries=1)
    assert report.passed, str(report)
    assert all(check.n_checked == 1 for check in report.arrays.values())
