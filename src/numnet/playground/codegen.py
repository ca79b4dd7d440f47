""""Show the code": the numnet Python that rebuilds and trains a playground configuration.

The code uses numnet's public API only, and the playground's data helpers
(:mod:`numnet.playground.data`, plain NumPy) so that it draws the very same points.
"""
from __future__ import annotations

from numnet.playground.config import Settings, is_classification
from numnet.playground.network import MOMENTUM, penalty

_ACTIVATION_CLASSES = {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid", "linear": "Identity",
                       "gelu": "GELU", "leaky_relu": "LeakyReLU", "elu": "ELU"}
DEFAULT_EPOCHS = 200


def python_code(settings: Settings, epochs: int, n_outputs: int) -> str:
    """Python source that rebuilds ``settings``' data and network and trains it for ``epochs`` epochs.

    Parameters
    ----------
    settings : Settings
    epochs : int
        Epochs trained so far in the page (at least 1 is written; 0 writes :data:`DEFAULT_EPOCHS`).
    n_outputs : int
        Number of classes (ignored for regression).

    Returns
    -------
    str
    """
    parts = [_header(), _data(settings), _network(settings, n_outputs),
             _training(settings, epochs or DEFAULT_EPOCHS)]
    return "\n".join(parts)


def _header() -> str:
    return ('"""Rebuild and train the network from the numnet playground."""\n'
            "import numnet\n"
            "from numnet.playground.data import make_dataset, make_features, parse_csv, split\n")


def _data(s: Settings) -> str:
    if s.dataset == "csv":
        load = ('# The CSV file you uploaded: columns x1, x2, label.\n'
                'with open("your_data.csv", "rb") as file:\n'
                "    points, y, _ = parse_csv(file.read())\n")
    else:
        load = (f"points, y = make_dataset({s.dataset!r}, n_samples={s.n_samples}, noise={s.noise}, "
                f"classes={s.classes}, random_state={s.seed})\n")
    if not is_classification(s):
        load += 'y = y.astype("float32")  # regression: the labels are targets\n'
    stratify = is_classification(s)
    return (load + f"X = make_features(points, {s.features!r})  # shape (n_samples, {len(s.features)})\n"
            f"X_train, X_test, y_train, y_test = split(X, y, test_ratio={s.test_ratio}, "
            f"random_state={s.seed}, stratify={stratify})\n")


def _network(s: Settings, n_outputs: int) -> str:
    lines, width = [], len(s.features)
    reg = "".join(f", {key}={value}" for key, value in penalty(s).items())
    activation = _ACTIVATION_CLASSES[s.activation]
    for size in s.hidden:
        lines.append(f"    numnet.Dense({width}, {size}{reg}), numnet.{activation}(),  # W ({width}, {size})")
        if s.dropout > 0:
            lines.append(f"    numnet.Dropout({s.dropout}),")
        width = size
    if is_classification(s):
        lines.append(f"    numnet.Dense({width}, {n_outputs}), numnet.Softmax(),  # W ({width}, {n_outputs})")
    else:
        lines.append(f"    numnet.Dense({width}, 1),  # W ({width}, 1)")
    loss, metric = ("categorical_crossentropy", "accuracy") if is_classification(s) else ("mse", "mae")
    return ("model = numnet.Sequential([\n" + "\n".join(lines) + f"\n], random_state={s.seed})\n"
            f"model.compile(loss={loss!r}, optimizer={_optimizer(s)}, metrics=[{metric!r}])\n")


def _optimizer(s: Settings) -> str:
    if s.optimizer == "adam":
        return f"numnet.Adam(learning_rate={s.learning_rate})"
    momentum = f", momentum={MOMENTUM}" if s.optimizer == "momentum" else ""
    return f"numnet.SGD(learning_rate={s.learning_rate}{momentum})"


def _training(s: Settings, epochs: int) -> str:
    return (f"EPOCHS = {epochs}\n"
            f"model.fit(X_train, y_train, epochs=EPOCHS, batch_size={s.batch_size}, verbose=0, "
            f"random_state={s.seed})\n"
            'print("train:", model.evaluate(X_train, y_train))\n'
            'print("test:", model.evaluate(X_test, y_test))\n'
            '# model.save("playground.numnet")  # numnet.load("playground.numnet") reads it back\n')
