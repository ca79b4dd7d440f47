"""One small adapter per benchmarked system.

Every adapter has the same four methods, so ``run.py`` times them alike:

- ``missing()``: None when the system can run here, else why it cannot;
- ``prepare(X, y)``: the arrays in the form the system takes (done before timing);
- ``fit(workload, X, y, epochs, seed)``: build a fresh model and train it (this is timed);
- ``accuracy(model, X, y)``: final training accuracy (not timed);
- ``predictor(model, x_row)``: a no-argument callable predicting one row (for latency).

Each system trains ``workload.layers`` (ReLU hidden layers, softmax +
cross-entropy output) with Adam, learning rate 1e-3, the workload's batch
size, shuffling every epoch, for exactly ``epochs`` epochs.
"""
from __future__ import annotations

import warnings

import numpy as np

from floor import GemmFloor
from hand_loop import HandLoop


class NumnetSequential:
    key, title = "numnet", "numnet Sequential.fit (float32)"

    def missing(self):
        return None

    def prepare(self, X, y):
        return X.astype(np.float32, copy=False), y

    def fit(self, workload, X, y, epochs, seed):
        from numnet import Adam, Dense, ReLU, Sequential, Softmax

        sizes = workload.layers
        layers = []
        for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers.append(Dense(n_in, n_out))
            layers.append(ReLU() if i < len(sizes) - 2 else Softmax())
        model = Sequential(layers, dtype=np.float32, random_state=seed)
        model.compile(loss="categorical_crossentropy", optimizer=Adam(learning_rate=1e-3))
        model.fit(X, y, epochs=epochs, batch_size=workload.batch_size, shuffle=True,
                  verbose=0, random_state=seed)
        return model

    def accuracy(self, model, X, y):
        return float(np.mean(np.argmax(model.predict(X), axis=1) == y))

    def predictor(self, model, x_row):
        return lambda: model.predict(x_row)


def _sklearn_params(workload, epochs, seed):
    """scikit-learn's MLPClassifier settings that make it run every epoch like the others."""
    return dict(hidden_layer_sizes=tuple(workload.layers[1:-1]), activation="relu", solver="adam",
                learning_rate_init=1e-3, batch_size=workload.batch_size, max_iter=epochs,
                tol=0.0, n_iter_no_change=10**9, early_stopping=False, alpha=1e-4,
                shuffle=True, random_state=seed)


class _SklearnLike:
    """Shared code of scikit-learn's MLPClassifier and numnet's wrapper of the same API."""

    dtype = np.float32

    def prepare(self, X, y):
        return np.ascontiguousarray(X, dtype=self.dtype), y

    def _fit(self, estimator_class, workload, X, y, epochs, seed):
        clf = estimator_class(**_sklearn_params(workload, epochs, seed))
        with warnings.catch_warnings():
            # max_iter=epochs is reached on purpose: that is the benchmark's epoch count.
            warnings.filterwarnings("ignore", message=".*[Mm]aximum iterations.*")
            warnings.filterwarnings("ignore", category=_convergence_warning())
            clf.fit(X, y)
        return clf

    def accuracy(self, model, X, y):
        return float(np.mean(model.predict(X) == y))

    def predictor(self, model, x_row):
        x_row = x_row.astype(self.dtype)
        return lambda: model.predict_proba(x_row)


def _convergence_warning():
    try:
        from sklearn.exceptions import ConvergenceWarning
    except ImportError:
        return UserWarning
    return ConvergenceWarning


class SklearnMLP(_SklearnLike):
    def __init__(self, dtype):
        self.dtype = np.dtype(dtype)
        bits = self.dtype.itemsize * 8
        self.key = f"sklearn{bits}"
        self.title = f"scikit-learn MLPClassifier (float{bits})"

    def missing(self):
        try:
            import sklearn.neural_network  # noqa: F401
        except ImportError as exc:
            return f"scikit-learn not importable: {exc}"
        return None

    def fit(self, workload, X, y, epochs, seed):
        from sklearn.neural_network import MLPClassifier

        return self._fit(MLPClassifier, workload, X, y, epochs, seed)


class NumnetSklearn(_SklearnLike):
    key, title = "numnet-sklearn", "numnet.sklearn.MLPClassifier (float32 input)"

    def missing(self):
        try:
            from numnet.sklearn import MLPClassifier  # noqa: F401
        except Exception as exc:  # not written yet, or broken: report, do not crash the run
            return f"numnet.sklearn.MLPClassifier not importable: {type(exc).__name__}: {exc}"
        return None

    def fit(self, workload, X, y, epochs, seed):
        from numnet.sklearn import MLPClassifier

        return self._fit(MLPClassifier, workload, X, y, epochs, seed)


class TorchMLP:
    key, title = "torch", "PyTorch CPU, plain loop (float32)"

    def missing(self):
        try:
            import torch  # noqa: F401
        except ImportError as exc:
            return f"torch not importable: {exc}"
        return None

    def prepare(self, X, y):
        import torch

        return torch.from_numpy(np.ascontiguousarray(X, dtype=np.float32)), torch.from_numpy(y)

    def _network(self, sizes):
        from torch import nn

        modules = []
        for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            modules.append(nn.Linear(n_in, n_out))
            if i < len(sizes) - 2:
                modules.append(nn.ReLU())
        return nn.Sequential(*modules)  # logits; CrossEntropyLoss applies log-softmax

    def fit(self, workload, X, y, epochs, seed):
        import torch

        torch.manual_seed(seed)
        generator = torch.Generator().manual_seed(seed)
        net = self._network(workload.layers)
        optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
        criterion = torch.nn.CrossEntropyLoss()
        n, size = len(X), workload.batch_size
        for _ in range(epochs):
            order = torch.randperm(n, generator=generator)
            for start in range(0, n, size):
                index = order[start:start + size]
                optimizer.zero_grad()
                loss = criterion(net(X[index]), y[index])
                loss.backward()
                optimizer.step()
        return net

    def accuracy(self, model, X, y):
        import torch

        with torch.no_grad():
            return float((model(X).argmax(dim=1) == y).float().mean())

    def predictor(self, model, x_row):
        import torch

        x_row = x_row.astype(np.float32)

        def predict():
            with torch.no_grad():
                return torch.softmax(model(torch.from_numpy(x_row)), dim=1)
        return predict


SYSTEMS = {
    system.key: system for system in (
        GemmFloor(),
        HandLoop(),  # the same network in a hand-written NumPy loop: numnet's lower bound
        NumnetSequential(),
        NumnetSklearn(),
        SklearnMLP(np.float64),
        SklearnMLP(np.float32),
        TorchMLP(),
    )
}

# Systems with a single-row predict to time (the floor has no model).
PREDICT_SYSTEMS = ("numnet", "numnet-sklearn", "sklearn64", "sklearn32", "torch")
