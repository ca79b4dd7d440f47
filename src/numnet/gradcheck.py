"""Check analytic gradients against central finite differences, in float64.

``gradcheck`` answers "is my gradient right?" for a layer, a loss or a whole
model: it perturbs each input and parameter entry by ``±eps``, measures how a
scalar objective changes, and compares with what ``backward`` returned.
Any object following the layer contract (``forward``, ``backward``,
``params``, ``grads``) or the loss contract (``forward(y_pred, y_true)``,
``backward()``) can be checked, including your own.

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
from dataclasses import dataclass, field

import numpy as np


@dataclass
class GradcheckReport:
    """Largest relative error per checked array, and whether all are within ``tolerance``.

    Attributes
    ----------
    errors : dict of str to float
        ``"input"`` and each parameter name -> max relative error
        ``|analytic - numeric| / max(|analytic| + |numeric|, floor)``.
    tolerance : float
    passed : bool
    """

    errors: dict = field(default_factory=dict)
    tolerance: float = 1e-6

    @property
    def passed(self) -> bool:
        return all(error <= self.tolerance for error in self.errors.values())

    def __bool__(self):
        return self.passed

    def __str__(self):
        width = max([len(name) for name in self.errors] + [9])
        lines = [f"{'array':<{width}}  max rel. error  ok"]
        for name, error in self.errors.items():
            lines.append(f"{name:<{width}}  {error:14.3e}  {'yes' if error <= self.tolerance else 'NO'}")
        lines.append(f"{'passed' if self.passed else 'FAILED'} (tolerance {self.tolerance:g})")
        return "\n".join(lines)


def gradcheck(obj, X, y=None, *, eps: float = 1e-6, tolerance: float = 1e-6, random_state=0,
              training: bool = False, sample_weight=None, mask=None, check_input: bool = True,
              max_entries: int | None = 2000) -> GradcheckReport:
    """Compare ``obj``'s analytic gradients with central finite differences.

    Parameters
    ----------
    obj : Layer, Loss or Sequential
        A layer (anything with ``forward(X, training)``/``backward(dY)``), a loss
        (``forward(y_pred, y_true)``/``backward()``) or a compiled model.
    X : array-like
        Layer or model input (n_samples, n_features), or ``y_pred`` for a loss.
    y : array-like, optional
        Targets: required for a loss and for a model (which uses its compiled loss).
    eps : float
        Finite-difference step.
    tolerance : float
        Largest accepted relative error.
    training : bool
        Pass ``training=True`` to forward (BatchNorm's batch statistics). Dropout is
        random in training mode and cannot be checked that way.
    max_entries : int or None
        Check at most this many entries per array (chosen at random) to keep it fast.

    Returns
    -------
    GradcheckReport
        ``report.passed`` and ``print(report)`` for the table.

    Notes
    -----
    Everything runs on a float64 deep copy, so ``obj`` itself is untouched.
    A layer's objective is ``sum(forward(X) * G)`` for a fixed random ``G``,
    whose gradient with respect to the output is exactly ``G``.
    """
    rng = np.random.default_rng(random_state)
    X = np.array(X, dtype=np.float64)
    report = GradcheckReport(tolerance=tolerance)
    kind = _kind(obj)
    obj = copy.deepcopy(obj)
    if kind == "loss":
        objective, analytic = _loss_problem(obj, X, y, sample_weight, mask)
        report.errors["y_pred"] = _compare(objective, X, analytic(), eps, rng, max_entries)
        return report
    _to_float64(obj, kind, X)
    objective, grads = _network_problem(obj, kind, X, y, rng, training, sample_weight, mask)
    analytic_input, analytic_params = grads()
    if check_input and analytic_input is not None:
        report.errors["input"] = _compare(objective, X, analytic_input, eps, rng, max_entries)
    for name, (param, grad) in analytic_params.items():
        report.errors[name] = _compare(objective, param, grad, eps, rng, max_entries)
    return report


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
                    store[key] = store[key].astype(np.float64)


def _loss_problem(loss, y_pred, y_true, sample_weight, mask):
    if y_true is None:
        raise ValueError("gradcheck on a loss needs y (the targets)")
    y_true = np.asarray(y_true)
    kwargs = {"mask": mask} if mask is not None else {}

    def objective():
        return loss.forward(y_pred, y_true, sample_weight, **kwargs)

    def analytic():
        objective()
        return np.array(loss.backward(), dtype=np.float64)

    return objective, analytic


def _network_problem(obj, kind, X, y, rng, training, sample_weight, mask):
    def run():
        if kind == "model":
            return obj.forward(X, training=training, mask=mask)
        if mask is not None:
            return obj.forward(X, mask=mask, training=training)
        return obj.forward(X, training=training)

    if kind == "model":
        if obj.loss is None or y is None:
            raise ValueError("gradcheck on a model needs a compiled loss and y")
        targets = obj.loss.prepare_targets(np.asarray(y), obj.n_outputs, np.float64)
        loss_kwargs = {"mask": mask} if getattr(obj.loss, "accepts_mask", False) else {}

        def objective():
            return obj.loss.forward(run(), targets, sample_weight, **loss_kwargs) + obj.regularization_loss()

        def grads():
            objective()
            dX = obj.backward(obj.loss.backward())
            return dX, {name: (obj.params[name], obj.grads[name].copy()) for name in obj.params}
    else:
        # G comes from a stream of its own: users often draw X with the same seed as
        # random_state, and G == X can sit near a stationary point of sum(f(X) * G)
        # (BatchNorm's is one) where every gradient is tiny and round-off dominates.
        G = np.random.default_rng(rng.integers(2**63)).standard_normal(run().shape)
        has_reg = hasattr(obj, "regularization_loss")

        def objective():
            value = float(np.sum(run() * G))
            return value + (obj.regularization_loss() if has_reg else 0.0)

        def grads():
            run()
            dX = obj.backward(G.copy())
            return dX, {name: (obj.params[name], obj.grads[name].copy()) for name in obj.params}
    return objective, grads


def _compare(objective, array, analytic, eps, rng, max_entries) -> float:
    """Max relative error between ``analytic`` and central differences of ``objective`` in ``array``."""
    analytic = np.asarray(analytic, dtype=np.float64).reshape(array.shape)
    flat = array.reshape(-1)  # a view: perturbing it perturbs what objective() reads
    entries = np.arange(flat.size)
    if max_entries is not None and flat.size > max_entries:
        entries = rng.choice(flat.size, size=max_entries, replace=False)
    worst = 0.0
    for i in entries:
        original = flat[i]
        flat[i] = original + eps
        plus = objective()
        flat[i] = original - eps
        minus = objective()
        flat[i] = original
        numeric = (plus - minus) / (2 * eps)
        a = analytic.reshape(-1)[i]
        scale = max(abs(a) + abs(numeric), 1e-8)
        worst = max(worst, abs(a - numeric) / scale)
    return float(worst)
