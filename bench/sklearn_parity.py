"""numnet.sklearn against scikit-learn's own MLPs: scores, loss curves and fit times (issue 4).

Usage::

    python bench/sklearn_parity.py               # the full table (a few minutes)
    python bench/sklearn_parity.py --seeds 2     # fewer seeds
    python bench/sklearn_parity.py --threads 0   # leave BLAS threads at their default

Every dataset is split once (30 % test, stratified for classification,
``random_state=0``), its features standardised (and, for regression, its
target too, through ``TransformedTargetRegressor``), and both libraries fit
the same pipeline with the same parameters for each seed: scikit-learn's
defaults unless the table says otherwise. The table shows the mean test
score over the seeds, the mean number of epochs, and the median fit time.
By default BLAS runs on one thread, for steady timings: multi-threaded
float64 BLAS on small matrices is slow on some machines and swamps the rest.
"""
from __future__ import annotations

import argparse
import time
import warnings
from dataclasses import dataclass, field

import numpy as np
from sklearn.compose import TransformedTargetRegressor
from sklearn.datasets import (load_breast_cancer, load_diabetes, load_digits, load_iris,
                              make_regression)
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier as SkClassifier
from sklearn.neural_network import MLPRegressor as SkRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from numnet.sklearn import MLPClassifier as NnClassifier
from numnet.sklearn import MLPRegressor as NnRegressor


@dataclass
class Problem:
    """One dataset and the estimator parameters both libraries get."""

    name: str
    load: object
    task: str  # "classification" or "regression"
    params: dict = field(default_factory=dict)

    def split(self):
        X, y = self.load()
        stratify = y if self.task == "classification" else None
        return train_test_split(X, y, test_size=0.3, random_state=0, stratify=stratify)

    def estimator(self, library: str, seed: int):
        kinds = {("sklearn", "classification"): SkClassifier, ("numnet", "classification"): NnClassifier,
                 ("sklearn", "regression"): SkRegressor, ("numnet", "regression"): NnRegressor}
        model = kinds[library, self.task](random_state=seed, **self.params)
        pipeline = make_pipeline(StandardScaler(), model)
        if self.task == "regression":
            return TransformedTargetRegressor(pipeline, transformer=StandardScaler())
        return pipeline


def _make_regression():
    return make_regression(n_samples=500, n_features=20, n_informative=10, noise=10.0,
                           random_state=0)


PROBLEMS = [
    Problem("iris", lambda: load_iris(return_X_y=True), "classification"),
    Problem("digits", lambda: load_digits(return_X_y=True), "classification"),
    Problem("digits sgd", lambda: load_digits(return_X_y=True), "classification",
            {"solver": "sgd"}),
    Problem("digits lbfgs", lambda: load_digits(return_X_y=True), "classification",
            {"solver": "lbfgs"}),
    Problem("breast_cancer", lambda: load_breast_cancer(return_X_y=True), "classification"),
    Problem("diabetes", lambda: load_diabetes(return_X_y=True), "regression"),
    Problem("make_regression", _make_regression, "regression"),
]


def final_model(estimator):
    """The MLP inside the pipeline (and the target transformer)."""
    inner = getattr(estimator, "regressor_", estimator)
    return inner[-1]


def run(problem: Problem, library: str, seeds: int) -> dict:
    """Mean score, mean epochs, median fit time and the loss curves over ``seeds`` seeds."""
    X_train, X_test, y_train, y_test = problem.split()
    scores, epochs, times, curves = [], [], [], []
    for seed in range(seeds):
        estimator = problem.estimator(library, seed)
        start = time.perf_counter()
        estimator.fit(X_train, y_train)
        times.append(time.perf_counter() - start)
        scores.append(estimator.score(X_test, y_test))
        model = final_model(estimator)
        epochs.append(model.n_iter_)
        curves.append(np.asarray(getattr(model, "loss_curve_", [np.nan])))
    return {"score": float(np.mean(scores)), "epochs": float(np.mean(epochs)),
            "time": float(np.median(times)), "curves": curves}


def curve_gap(a: list, b: list) -> float:
    """Largest gap between the mean relative loss curves ``loss / loss[0]`` over common epochs."""
    if any(len(c) < 2 for c in a + b):
        return float("nan")  # L-BFGS keeps no loss curve
    n = min(min(len(c) for c in a), min(len(c) for c in b))
    mean_a = np.mean([c[:n] / c[0] for c in a], axis=0)
    mean_b = np.mean([c[:n] / c[0] for c in b], axis=0)
    return float(np.max(np.abs(mean_a - mean_b)))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1,
                        help="BLAS threads (0: leave the default)")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore", ConvergenceWarning)
    limit = _thread_limit(args.threads)
    print(f"{args.seeds} seeds, BLAS threads: {args.threads or 'default'}\n")
    header = (f"{'dataset':<16}{'metric':<9}{'sklearn':>9}{'numnet':>9}{'diff':>8}"
              f"{'epochs sk':>11}{'epochs nn':>11}{'curve gap':>11}{'fit s sk':>10}{'fit s nn':>10}")
    print(header)
    print("-" * len(header))
    with limit:
        for problem in PROBLEMS:
            sk, nn = run(problem, "sklearn", args.seeds), run(problem, "numnet", args.seeds)
            metric = "accuracy" if problem.task == "classification" else "R2"
            print(f"{problem.name:<16}{metric:<9}{sk['score']:>9.4f}{nn['score']:>9.4f}"
                  f"{nn['score'] - sk['score']:>+8.4f}{sk['epochs']:>11.1f}{nn['epochs']:>11.1f}"
                  f"{curve_gap(sk['curves'], nn['curves']):>11.3f}{sk['time']:>10.3f}"
                  f"{nn['time']:>10.3f}")
        print()
        digits_float32(args.seeds)


def digits_float32(seeds: int) -> None:
    """Fit times on digits in float32, which both libraries keep as float32."""
    X, y = load_digits(return_X_y=True)
    X = StandardScaler().fit_transform(X).astype(np.float32)
    for library, cls in (("sklearn", SkClassifier), ("numnet", NnClassifier)):
        times = []
        for seed in range(seeds):
            start = time.perf_counter()
            cls(random_state=seed).fit(X, y)
            times.append(time.perf_counter() - start)
        print(f"digits float32, all 1797 rows, defaults: {library:<8} median fit "
              f"{np.median(times):.3f} s")


def _thread_limit(threads: int):
    if threads <= 0:
        import contextlib

        return contextlib.nullcontext()
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=threads, user_api="blas")


if __name__ == "__main__":
    main()
