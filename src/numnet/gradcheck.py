"""Check analytic gradients against central finite differences, in float64.

``gradcheck`` answers "is my gradient right?" for a layer, a loss or a whole
model: it perturbs each input and parameter entry by ``±eps``, measures how a
scalar objective changes, and compares with what ``backward`` returned.
Any object following the layer contract (``forward``, ``backward``,
``params``, ``grads``) or the loss contract (``forward(y_pred, y_true)``,
``backward()``) can be checked, including your own.

An entry passes when ``|analytic - numeric| <= atol + rtol * |numeric|`` (the
test of ``numpy.testing.assert_allclose`` and ``torch.autograd.gradcheck``).
An entry whose probe ``x ± eps`` straddles a kink (ReLU at 0, the corner of
MAE or Huber, a max) has no derivative to compare with: it is reported as a
non-differentiable point, not as a wrong gradient.

Example
-------
>>> import numpy as np
>>> from numnet import Dense, gradcheck
>>> report = gradcheck(Dense(3, 2, random_state=0), np.random.default_rng(0).normal(size=(4, 3)))
>>> report.passed
True
"""
from __future__ import annotations

import copy
import dataclasses
import math
import numbers
from dataclasses import dataclass, field
from typing import Any
from typing import Callable

import numpy as np
from numpy.typing import ArrayLike

from numnet._validation import check_finite, check_positive_int, check_random_state

# Default tolerances, for float64 and the default eps = 1e-6 (u = 2.2e-16, unit round-off).
# A central difference errs by truncation, eps**2 * |f'''| / 6 (about 2e-13 for O(1)
# derivatives), plus round-off, about u * |f| / eps (about 2e-10 for an objective of
# magnitude 1; at most 2.8e-10 measured on a 20-layer tanh net); eps = 1e-6 sits near
# the cube root of u, where the two balance. ATOL is 50 times that floor: a
# gradient entry near or below it (vanishing gradients, an entry that happens to be ~0)
# cannot be resolved by finite differences, so a relative test alone fails correct
# networks. RTOL bounds the relative error where gradients are large: 1e5 times the
# truncation error above, and a wrong factor of 1.01 is 1000 times over it.
ATOL = 1e-8
RTOL = 1e-5
MAX_LISTED = 10  # failing or kinked entries that str(report) lists


@dataclass(frozen=True)
class EntryCheck:
    """One probed entry: its analytic and numeric derivative and how far apart they are.

    Attributes
    ----------
    array : str
        ``"input"``, ``"y_pred"`` or the parameter's name.
    index : tuple of int
        Position of the entry in that array.
    analytic, numeric : float
        What ``backward`` returned, and the central difference.
    abs_error, rel_error : float
        ``|analytic - numeric|`` and that divided by ``|numeric|`` (inf when numeric is 0).
    left, right : float
        One-sided differences ``(f(x) - f(x - eps)) / eps`` and ``(f(x + eps) - f(x)) / eps``;
        far apart at a kink.
    step : float
        The step of these differences: ``eps``, or ``eps / 10`` where the first step
        was too large for the curvature.
    at_kink : bool
        The probe crossed a non-differentiable point, so the entry is not judged.
    """

    array: str
    index: tuple
    analytic: float
    numeric: float
    left: float
    right: float
    step: float = 1e-6
    at_kink: bool = False

    @property
    def abs_error(self) -> float:
        """``|analytic - numeric|``."""
        return abs(self.analytic - self.numeric)

    @property
    def rel_error(self) -> float:
        """``abs_error / |numeric|`` (0 when both agree exactly, inf when numeric is 0 and they differ)."""
        if self.abs_error == 0:
            return 0.0
        return self.abs_error / abs(self.numeric) if self.numeric != 0 else math.inf

    def score(self, atol: float, rtol: float) -> float:
        """``abs_error / (atol + rtol * |numeric|)``: at most 1 passes, NaN scores inf."""
        bound = atol + rtol * abs(self.numeric)
        if self.abs_error == 0:
            return 0.0
        ratio = self.abs_error / bound if bound > 0 else math.inf
        return math.inf if math.isnan(ratio) else ratio

    def describe(self, one_sided: bool = False) -> str:
        """One line: where, both derivatives and the errors (and the one-sided differences)."""
        where = f"{self.array}[{', '.join(str(i) for i in self.index)}]"
        text = (f"{where}: analytic {self.analytic:.6e}, numeric {self.numeric:.6e}, "
                f"abs error {self.abs_error:.2e}, rel error {self.rel_error:.2e}")
        return text + (f", one-sided {self.left:.3e} / {self.right:.3e}" if one_sided else "")


@dataclass
class ArrayCheck:
    """Summary for one checked array: how many entries were probed, failed or kinked.

    ``worst`` is the judged entry (not at a kink) with the largest
    ``abs_error / (atol + rtol * |numeric|)``; None when every probed entry sits at a kink.
    """

    n_checked: int
    n_failed: int
    n_kinks: int
    worst: EntryCheck | None


@dataclass
class GradcheckReport:
    """Result of :func:`gradcheck`: a summary per array and every failing entry.

    Attributes
    ----------
    arrays : dict of str to ArrayCheck
        ``"input"`` (``"y_pred"`` for a loss) and each parameter name -> its summary,
        with the worst entry's index, analytic and numeric value, abs and rel error.
    failures : list of EntryCheck
        Every entry with ``|analytic - numeric| > atol + rtol * |numeric|`` (NaN included).
    kinks : list of EntryCheck
        Entries whose probe crossed a non-differentiable point; not judged.
    atol, rtol, eps : float
        The settings of the check.
    passed : bool
        True when no entry failed; ``bool(report)`` is the same.
    """

    arrays: dict = field(default_factory=dict)
    failures: list = field(default_factory=list)
    kinks: list = field(default_factory=list)
    atol: float = ATOL
    rtol: float = RTOL
    eps: float = 1e-6

    @property
    def passed(self) -> bool:
        """True when every checked entry agreed with its finite difference."""
        return not self.failures

    def __bool__(self):
        return self.passed

    def add(self, name: str, entries: list) -> None:
        """Record the probed ``entries`` of array ``name``."""
        kinks = [e for e in entries if e.at_kink]
        judged = [e for e in entries if not e.at_kink]
        failed = [e for e in judged if e.score(self.atol, self.rtol) > 1]
        worst = max(judged, key=lambda e: e.score(self.atol, self.rtol), default=None)
        self.arrays[name] = ArrayCheck(len(entries), len(failed), len(kinks), worst)
        self.failures.extend(failed)
        self.kinks.extend(kinks)

    def __str__(self):
        return "\n".join(_table(self) + _listing(self) + [_verdict(self)])


def _table(report) -> list:
    width = max([len(name) for name in report.arrays] + [5])
    lines = [f"{'array':<{width}}  checked  failed  kinks  worst entry  {'analytic':>13}  "
             f"{'numeric':>13}  abs error  rel error"]
    for name, check in report.arrays.items():
        row = f"{name:<{width}}  {check.n_checked:7d}  {check.n_failed:6d}  {check.n_kinks:5d}  "
        worst = check.worst
        if worst is None:
            lines.append(row + "-")
            continue
        index = str(worst.index).replace(" ", "")
        lines.append(row + f"{index:<11}  {worst.analytic:13.6e}  {worst.numeric:13.6e}  "
                     f"{worst.abs_error:9.2e}  {worst.rel_error:9.2e}")
    return lines


def _listing(report) -> list:
    lines = []
    for title, entries in (("failing entries", report.failures),
                           ("non-differentiable points (a kink within ±eps; not judged)",
                            report.kinks)):
        if entries:
            lines.append(f"{len(entries)} {title}:")
            lines.extend("  " + e.describe(one_sided=entries is report.kinks)
                         for e in entries[:MAX_LISTED])
            if len(entries) > MAX_LISTED:
                lines.append(f"  ... and {len(entries) - MAX_LISTED} more")
    return lines


def _verdict(report) -> str:
    settings = f"|analytic - numeric| <= {report.atol:g} + {report.rtol:g} * |numeric|, eps {report.eps:g}"
    return f"{'passed' if report.passed else 'FAILED'} ({settings})"


def gradcheck(obj: Any, X: ArrayLike, y: ArrayLike | None = None, *, eps: float = 1e-6,
              atol: float = ATOL, rtol: float = RTOL, tolerance: float | None = None,
              random_state: int | np.random.Generator | None = 0, training: bool = True,
              sample_weight: ArrayLike | None = None, mask: ArrayLike | None = None,
              check_input: bool = True,
              max_entries: int | None = 2000) -> GradcheckReport:
    """Compare ``obj``'s analytic gradients with central finite differences.

    Parameters
    ----------
    obj : Layer, Loss or Sequential
        A layer (anything with ``forward(X, training)``/``backward(dY)`` and
        ``params``/``grads`` dicts, no base class needed), a loss
        (``forward(y_pred, y_true)``/``backward()``) or a compiled model.
    X : array-like of shape (n_samples, n_features)
        Layer or model input, or ``y_pred`` for a loss. Must be finite.
    y : array-like of shape (n_samples,) or (n_samples, n_outputs), optional
        Targets: required for a loss and for a model (which uses its compiled loss).
    eps : float, default 1e-6
        Finite-difference step, > 0.
    atol, rtol : float, default 1e-8 and 1e-5
        An entry passes when ``|analytic - numeric| <= atol + rtol * |numeric|``.
        ``atol`` covers gradients too small for finite differences to resolve
        (round-off is about ``2e-16 * |f| / eps``); see the module's comment.
    tolerance : float, optional
        Deprecated name for ``rtol`` (numnet 1 compared one relative error); when given
        it replaces ``rtol``.
    random_state : None, int or numpy.random.Generator
        Chooses the sampled entries and a layer's output weights ``G``.
    training : bool, default True
        Passed to every ``forward``. Layers keep what ``backward`` needs only in
        training mode, so the gradient checked is the training one (BatchNorm
        with batch statistics, Dropout with a fixed mask: every
        ``numpy.random.Generator`` on ``obj`` or its ``layers`` is rewound before
        each forward). ``training=False`` suits layers whose backward works after
        an inference forward.
    sample_weight : array-like of shape (n_samples,), optional
        Passed to the loss.
    mask : array-like, optional
        Passed to layers and losses that accept masks.
    check_input : bool, default True
        Also check the gradient with respect to ``X``.
    max_entries : int or None, default 2000
        Check at most this many entries per array (chosen at random) to keep it fast.

    Returns
    -------
    GradcheckReport
        ``report.passed``, ``report.failures`` and ``print(report)`` for the table.

    Raises
    ------
    ValueError
        For invalid settings, non-finite or mismatched ``X``/``y``/``sample_weight``,
        nothing to check, or a backward that fails after an inference-mode forward.
    TypeError
        For an ``obj`` that is neither a layer, a loss nor a model.

    Notes
    -----
    Everything runs on a float64 deep copy, so ``obj`` itself is untouched.
    A layer's objective is ``sum(forward(X) * G)`` for a fixed random ``G``,
    whose gradient with respect to the output is exactly ``G``. NaN or inf in
    an analytic or numeric derivative is a failure.
    """
    eps, atol, rtol, max_entries = _check_settings(eps, atol, rtol, tolerance, max_entries)
    X = _check_data(X, "X")
    kind = _kind(obj)
    obj = copy.deepcopy(obj)
    rng = check_random_state(random_state)
    if kind == "loss":
        problem = _loss_problem(obj, X, y, sample_weight, mask)
    else:
        _to_float64(obj, kind, X)
        problem = _network_problem(obj, kind, X, y, rng, training, sample_weight, mask)
    return _run_checks(problem, check_input, eps, atol, rtol, rng, max_entries)


# -- arguments -----------------------------------------------------------------
def _check_settings(eps, atol, rtol, tolerance, max_entries) -> tuple:
    """The validated ``eps, atol, rtol, max_entries`` (``tolerance`` replaces ``rtol``)."""
    eps, atol = _check_float(eps, "eps"), _check_float(atol, "atol")
    rtol = _check_float(rtol, "rtol") if tolerance is None else _check_float(tolerance, "tolerance")
    if eps == 0:
        raise ValueError("eps must be > 0 (the finite-difference step), got 0; the default is 1e-6")
    if max_entries is not None:
        max_entries = check_positive_int(max_entries, "max_entries")
    return eps, atol, rtol, max_entries


def _check_float(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {type(value).__name__} {value!r}")
    if not math.isfinite(value) or value < 0:
        default = {"eps": 1e-6, "atol": ATOL}.get(name, RTOL)
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}; "
                         f"the default is {default:g}")
    return float(value)


def _check_data(values, name: str) -> np.ndarray:
    """``values`` as a finite, non-empty float64 array (a copy that gradcheck may perturb)."""
    try:
        arr = np.array(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a numeric array, got {type(values).__name__} that "
                        "cannot be converted to float64") from None
    if arr.ndim == 0 or arr.size == 0:
        raise ValueError(f"{name} must be a non-empty array of shape (n_samples, ...), "
                         f"got shape {arr.shape}")
    # Finite differences at a NaN or inf point measure nothing: refuse instead of "passing".
    check_finite(arr, name)
    return arr


def _check_length(values, name: str, n_samples: int, against: str):
    """``values`` as an array with one row per sample, finite where it is numeric."""
    arr = np.asarray(values)
    if arr.ndim == 0 or len(arr) != n_samples:
        raise ValueError(f"{name} must have one entry per sample: {against} has {n_samples} rows, "
                         f"{name} has shape {arr.shape}; pass {n_samples} rows")
    if arr.dtype.kind == "f":
        check_finite(arr, name)
    return arr


def _kind(obj) -> str:
    if hasattr(obj, "layers") and hasattr(obj, "loss"):
        return "model"
    if hasattr(obj, "params") and hasattr(obj, "backward"):
        return "layer"
    if hasattr(obj, "forward") and hasattr(obj, "backward"):
        return "loss"
    raise TypeError(f"gradcheck needs a layer, a loss or a model, got {type(obj).__name__}")


def _to_float64(obj, kind, X):
    if kind == "model":
        obj._ensure_built(X.shape[1])
        obj.set_dtype(np.float64)
    else:
        if not getattr(obj, "built", True) and hasattr(obj, "build"):
            obj.build(X.shape[1:], np.float64)
        if hasattr(obj, "set_dtype"):
            obj.set_dtype(np.float64)
        else:
            for store in (obj.params, obj.grads):
                for key in store:
                    store[key] = np.asarray(store[key], dtype=np.float64)


# -- the function to differentiate ---------------------------------------------
@dataclass
class _Problem:
    """``objective()`` -> float, and ``gradients()`` -> list of (name, get_array, analytic).

    ``get_array()`` returns the array that ``objective`` reads *now*: a model whose layer
    rebinds ``grads[name]`` repacks its flat buffer, which gives it new parameter views.
    """

    objective: Any  # a callable: objective() -> float
    gradients: object
    input_name: str = "input"


def _loss_problem(loss, y_pred, y_true, sample_weight, mask):
    if y_true is None:
        raise ValueError("gradcheck on a loss needs y (the targets)")
    y_true = _check_length(y_true, "y", len(y_pred), "X (y_pred)")
    if sample_weight is not None:
        sample_weight = _check_length(sample_weight, "sample_weight", len(y_pred), "X (y_pred)")
    kwargs = {"mask": mask} if mask is not None else {}

    def objective():
        return loss.forward(y_pred, y_true, sample_weight, **kwargs)

    def gradients():
        objective()
        return [("y_pred", lambda: y_pred, loss.backward())]

    return _Problem(objective, gradients, "y_pred")


def _network_problem(obj, kind, X, y, rng, training, sample_weight, mask):
    rewind = _rewinder(obj)

    def run():
        rewind()  # the same dropout mask in every forward
        if kind == "model":
            return obj.forward(X, training=training, mask=mask)
        if mask is not None:
            return obj.forward(X, mask=mask, training=training)
        return obj.forward(X, training=training)

    objective, output_gradient = (_model_objective(obj, X, y, sample_weight, mask, run)
                                  if kind == "model" else _layer_objective(obj, rng, run))

    def gradients():
        objective()
        dX = _backward(obj, output_gradient(), training)
        return ([("input", lambda: X, dX)] if dX is not None else []) + [
            (name, get, np.array(grads[key], dtype=np.float64))
            for name, get, grads, key in _parameters(obj, kind)]

    return _Problem(objective, gradients)


def _parameters(obj, kind):
    """(name, get_array, grads dict, key) for every parameter, named as ``obj.params`` names it."""
    owners = [(f"{layer.name}/", layer) for layer in obj.layers] if kind == "model" else [("", obj)]
    return [(prefix + key, lambda owner=owner, key=key: owner.params[key], owner.grads, key)
            for prefix, owner in owners for key in owner.params]


def _model_objective(model, X, y, sample_weight, mask, run):
    if model.loss is None or y is None:
        raise ValueError("gradcheck on a model needs a compiled loss and y")
    y = _check_length(y, "y", len(X), "X")
    if sample_weight is not None:
        sample_weight = _check_length(sample_weight, "sample_weight", len(X), "X")
    targets = model.loss.prepare_targets(y, model.n_outputs, np.float64)
    loss_kwargs = {"mask": mask} if getattr(model.loss, "accepts_mask", False) else {}

    def objective():
        return model.loss.forward(run(), targets, sample_weight, **loss_kwargs) \
            + model.regularization_loss()

    return objective, model.loss.backward


def _layer_objective(layer, rng, run):
    # G comes from a stream of its own: users often draw X with the same seed as
    # random_state, and G == X can sit near a stationary point of sum(f(X) * G)
    # (BatchNorm's is one) where every gradient is tiny and round-off dominates.
    G = np.random.default_rng(rng.integers(2**63)).standard_normal(np.shape(run()))
    has_reg = hasattr(layer, "regularization_loss")

    def objective():
        value = float(np.sum(run() * G))
        return value + (layer.regularization_loss() if has_reg else 0.0)

    return objective, G.copy


def _rewinder(obj):
    """A function that rewinds every random Generator on ``obj`` and its layers to now."""
    generators = {}
    for owner in [obj, *getattr(obj, "layers", [])]:
        for value in getattr(owner, "__dict__", {}).values():
            if isinstance(value, np.random.Generator):
                generators[id(value)] = (value, copy.deepcopy(value.bit_generator.state))

    def rewind():
        for generator, state in generators.values():
            generator.bit_generator.state = state

    return rewind


def _backward(obj, dY, training):
    if training:
        return obj.backward(dY)
    try:
        return obj.backward(dY)
    except (AttributeError, KeyError, TypeError, ValueError) as error:
        raise ValueError(
            f"{type(obj).__name__}.backward failed after forward(X, training=False): an "
            "inference-mode forward keeps no caches for backward (inference is stateless); "
            f"use gradcheck(..., training=True), the default ({type(error).__name__}: {error})"
        ) from error


# -- probing -------------------------------------------------------------------
def _run_checks(problem, check_input, eps, atol, rtol, rng, max_entries) -> GradcheckReport:
    report = GradcheckReport(atol=atol, rtol=rtol, eps=eps)
    targets = [t for t in problem.gradients() if check_input or t[0] != problem.input_name]
    if not any(get().size for _, get, _ in targets):
        raise ValueError("gradcheck found nothing to check: the object has no parameters and "
                         "check_input=False; pass check_input=True to check dL/dX")
    probe = _Prober(problem.objective, problem.objective(), eps, atol, rtol)
    for name, get_array, analytic in targets:
        analytic = _as_gradient(analytic, get_array().shape, name)
        entries = _pick_entries(analytic.size, max_entries, rng)
        report.add(name, [probe(name, get_array, np.unravel_index(i, analytic.shape), analytic)
                          for i in entries])
    return report


def _as_gradient(analytic, shape, name) -> np.ndarray:
    analytic = np.asarray(analytic, dtype=np.float64)
    if analytic.size != int(np.prod(shape)):
        raise ValueError(f"the analytic gradient for {name!r} has shape {analytic.shape}, but "
                         f"{name} has shape {shape}; backward must give one derivative per entry")
    return analytic.reshape(shape)


def _pick_entries(size, max_entries, rng) -> np.ndarray:
    if max_entries is not None and size > max_entries:
        return np.sort(rng.choice(size, size=max_entries, replace=False))
    return np.arange(size)


# A failing entry is probed again with the step divided by this factor, to tell a kink
# and a step too large for the curvature from a wrong gradient (see _Prober.refine).
REFINE = 10


@dataclass
class _Prober:
    """Finite differences of ``objective`` (whose unperturbed value is ``f0``) per entry."""

    objective: Any  # a callable: objective() -> float
    f0: float
    eps: float
    atol: float
    rtol: float

    def __call__(self, name, get_array, index, analytic) -> EntryCheck:
        index = tuple(int(i) for i in index)
        differences = self.differences(name, get_array, index, self.eps)
        entry = EntryCheck(name, index, float(analytic[index]), *differences, step=self.eps)  # type: ignore[misc]  # differences fills the fields before step
        if entry.score(self.atol, self.rtol) <= 1:
            return entry
        return self.refine(entry, get_array)

    def differences(self, name, get_array, index, step) -> tuple:
        """Central, left and right differences of the objective in ``get_array()[index]``."""
        original = float(get_array()[index])
        values = {}
        for sign in (1, -1):
            get_array()[index] = original + sign * step
            # The step actually taken, after rounding x + step to float64.
            values[sign] = (self.objective(), float(get_array()[index]) - original)
            get_array()[index] = original
        (plus, h_plus), (minus, h_minus) = values[1], values[-1]
        if h_plus == 0 or h_minus == 0:
            raise ValueError(f"eps={step:g} is lost in rounding: {name}{list(index)} = {original:g} "
                             "and x + eps == x in float64; pass a larger eps")
        with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
            return (float((plus - minus) / (h_plus - h_minus)), float((self.f0 - minus) / -h_minus),
                    float((plus - self.f0) / h_plus))

    def refine(self, entry, get_array) -> EntryCheck:
        """Judge a failing ``entry`` again with the step ``eps / REFINE``.

        The one-sided differences of a smooth f differ by ``step * f''``: the gap shrinks
        with the step. If the smaller step then agrees with the analytic value, eps was
        too large for the curvature (the smaller step is judged) when the gap shrank so,
        and a kink between ``eps / REFINE`` and ``eps`` away was crossed when it did not.
        A kink at ``x`` keeps the gap (the jump in slope) at every step. A wrong gradient
        at a smooth point does none of these, so it stays a failure.
        """
        try:
            smaller = dataclasses.replace(entry, step=self.eps / REFINE, **dict(zip(
                ("numeric", "left", "right"),
                self.differences(entry.array, get_array, entry.index, self.eps / REFINE))))
        except ValueError:  # the smaller step is lost in rounding: keep the verdict
            return entry
        gap, kept_gap = abs(entry.right - entry.left), abs(smaller.right - smaller.left)
        noise = self.noise(smaller.step)
        if smaller.score(self.atol, self.rtol) <= 1:
            smooth = abs(kept_gap - gap / REFINE) <= 0.1 * gap / REFINE + noise
            return smaller if smooth else dataclasses.replace(entry, at_kink=True)
        keeps_gap = kept_gap >= gap / 2 and kept_gap > noise + self.rtol * abs(smaller.numeric)
        return dataclasses.replace(entry, at_kink=keeps_gap)  # False for NaN

    def noise(self, step) -> float:
        """A bound on round-off in a difference quotient: f(x ± step) err by a few ulp of f."""
        return max(self.atol * REFINE, 64 * np.finfo(np.float64).eps * max(1.0, abs(self.f0)) / step)
