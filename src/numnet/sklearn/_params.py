"""Checks of the estimators' hyper-parameters, run at the start of ``fit``.

scikit-learn's contract puts validation in ``fit``, never in ``__init__``,
so that ``set_params`` and ``clone`` never fail. Each check raises
:class:`InvalidParameterError` (both a ``ValueError`` and a ``TypeError``, as
scikit-learn's own is) whose message names the parameter, what was expected,
what was given and how to fix it.
"""
from __future__ import annotations

import numbers

import numpy as np

from numnet._validation import check_number
from numnet.registry import ACTIVATIONS

SKLEARN_ACTIVATIONS = ("identity", "logistic", "tanh", "relu")
SOLVERS = ("lbfgs", "sgd", "adam")
SCHEDULES = ("constant", "invscaling", "adaptive")


class InvalidParameterError(ValueError, TypeError):
    """A hyper-parameter of an estimator has a wrong type or value.

    It subclasses both ``ValueError`` and ``TypeError`` so that code written
    for scikit-learn's own ``InvalidParameterError`` catches it either way.
    """


# Bounds of the real-valued parameters, as keyword arguments of check_real.
_REALS = {
    "alpha": dict(low=0),
    "learning_rate_init": dict(low=0, low_open=True),
    "power_t": dict(low=0),
    "tol": dict(low=0),
    "momentum": dict(low=0, high=1),
    "beta_1": dict(low=0, high=1, high_open=True),
    "beta_2": dict(low=0, high=1, high_open=True),
    "epsilon": dict(low=0, low_open=True),
    "validation_fraction": dict(low=0, high=1, high_open=True),
}
_BOOLS = ("shuffle", "warm_start", "nesterovs_momentum", "early_stopping", "batch_norm")


def check_params(est) -> dict:
    """Check every shared hyper-parameter of ``est``; return the normalised ones.

    Returns
    -------
    dict
        ``hidden`` (list of int), ``activations`` (list of str, one per hidden
        layer) and ``dropout`` (list of float, one per hidden layer).
    """
    hidden = check_hidden_layer_sizes(est.hidden_layer_sizes)
    check_choice(est.solver, "solver", SOLVERS)
    check_choice(est.learning_rate, "learning_rate", SCHEDULES)
    for name, bounds in _REALS.items():
        check_real(getattr(est, name), name, **bounds)
    for name in _BOOLS:
        _check_bool(getattr(est, name), name)
    _check_counts(est)
    if est.early_stopping and est.validation_fraction == 0:
        raise InvalidParameterError("validation_fraction must be > 0 when early_stopping=True, "
                                    "got 0; pass for example validation_fraction=0.1")
    activations = check_activations(est.activation, len(hidden))
    dropout = check_dropout(est.dropout, len(hidden))
    if est.solver == "lbfgs" and any(dropout):
        raise InvalidParameterError(
            "dropout needs a stochastic solver, but solver='lbfgs': L-BFGS needs the same loss "
            "every time it evaluates the same weights; use solver='adam' or 'sgd', or dropout=0")
    return {"hidden": hidden, "activations": activations, "dropout": dropout}


def _check_counts(est) -> None:
    """The integer parameters (and ``verbose``, a bool or an int)."""
    _check_int(est.max_iter, "max_iter")
    _check_int(est.max_fun, "max_fun")
    if not (isinstance(est.n_iter_no_change, float) and est.n_iter_no_change == np.inf):
        _check_int(est.n_iter_no_change, "n_iter_no_change", also="np.inf")
    if not (isinstance(est.batch_size, str) and est.batch_size == "auto"):
        _check_int(est.batch_size, "batch_size", also="'auto'")
    if not isinstance(est.verbose, (bool, np.bool_, numbers.Integral)):
        raise InvalidParameterError(f"verbose must be a bool or an int, got {est.verbose!r}")


def check_hidden_layer_sizes(value) -> list[int]:
    """``hidden_layer_sizes`` as a list of positive ints (an int means one layer)."""
    sizes = [value] if isinstance(value, (numbers.Integral, np.integer)) else value
    try:
        sizes = list(sizes)
    except TypeError:
        raise InvalidParameterError(
            f"hidden_layer_sizes must be an int or a sequence of ints such as (100,) or "
            f"(64, 32), got {value!r}") from None
    for size in sizes:
        if isinstance(size, (bool, np.bool_)) or not isinstance(size, (numbers.Integral, np.integer)):
            raise InvalidParameterError(
                f"hidden_layer_sizes must hold ints (neurons per hidden layer), got {value!r}")
        if size <= 0:
            raise InvalidParameterError(f"hidden_layer_sizes must be > 0, got {value!r}")
    return [int(size) for size in sizes]


def check_activations(value, n_hidden: int) -> list[str]:
    """One activation name per hidden layer, from a name or a list of names.

    Besides scikit-learn's four names, any numnet activation (such as
    ``"gelu"`` or ``"leaky_relu"``) may be named; softmax is not a hidden
    activation.
    """
    if isinstance(value, str):
        names = [value] * n_hidden
    elif isinstance(value, (list, tuple)):
        names = list(value)
        if len(names) != n_hidden:
            raise InvalidParameterError(
                f"activation has {len(names)} entries but hidden_layer_sizes has {n_hidden} "
                "layers; pass one activation name per hidden layer, or a single name for all")
    else:
        raise InvalidParameterError(
            f"activation must be one of {SKLEARN_ACTIVATIONS} or a list of such names, one per "
            f"hidden layer, got {value!r}")
    return [_check_activation_name(name) for name in names]


def _check_activation_name(name) -> str:
    if isinstance(name, str) and name in SKLEARN_ACTIVATIONS:
        return name
    if isinstance(name, str) and name.lower() in ACTIVATIONS.names() and name.lower() != "softmax":
        return name
    known = ", ".join(n for n in ACTIVATIONS.names() if n != "softmax")
    raise InvalidParameterError(
        f"activation must be one of {SKLEARN_ACTIVATIONS} (or a numnet activation: {known}), "
        f"got {name!r}")


def check_dropout(value, n_hidden: int) -> list[float]:
    """The dropped fraction after each hidden layer, from one rate or a list of rates."""
    rates = list(value) if isinstance(value, (list, tuple, np.ndarray)) else [value] * n_hidden
    if len(rates) != n_hidden:
        raise InvalidParameterError(
            f"dropout has {len(rates)} entries but hidden_layer_sizes has {n_hidden} layers; "
            "pass one rate per hidden layer, or a single rate for all")
    for rate in rates:
        check_real(rate, "dropout", low=0, high=1, high_open=True)
    return [float(rate) for rate in rates]


def check_choice(value, name: str, choices) -> str:
    """``value`` if it is one of the strings ``choices``, else raise."""
    if not isinstance(value, str) or value not in choices:
        options = ", ".join(repr(choice) for choice in choices)
        raise InvalidParameterError(f"{name} must be one of {options}, got {value!r}")
    return value


def check_real(value, name: str, **bounds) -> float:
    """``value`` as a float if it is a finite real within ``bounds`` (see ``check_number``)."""
    return _as_invalid_parameter(check_number, value, name, **bounds)


def _check_int(value, name, also=None) -> int:
    return _as_invalid_parameter(check_number, value, name, kind=int, low=1, also=also)


def _as_invalid_parameter(check, *args, **kwargs):
    """Run numnet's shared ``check``, raising scikit-learn's kind of error with its message."""
    try:
        return check(*args, **kwargs)
    except (TypeError, ValueError) as exc:
        raise InvalidParameterError(str(exc)) from None


def _check_bool(value, name) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise InvalidParameterError(f"{name} must be True or False, got {value!r}")
    return bool(value)
