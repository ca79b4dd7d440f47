"""What the page may ask for: the playground's settings, checked once with clear messages.

Every request from the browser goes through :func:`check_settings` before it
touches a model, so that a hand-written request with 1,000 layers gets a
ValueError naming the field, not a frozen server.
"""
from __future__ import annotations

import numbers
from dataclasses import asdict, dataclass, field

from numnet.playground.data import CLASSIFICATION_SETS, DATASETS, FEATURES

MAX_LAYERS, MAX_NEURONS = 6, 16
ACTIVATIONS = ("relu", "tanh", "sigmoid", "linear", "gelu", "leaky_relu", "elu")
OPTIMIZERS = ("sgd", "momentum", "adam")
REGULARIZATIONS = ("none", "l1", "l2")
PROBLEMS = ("classification", "regression")


@dataclass
class Settings:
    """One playground configuration (the page's controls), with their defaults."""

    dataset: str = "spiral"
    classes: int = 3
    noise: float = 0.1
    n_samples: int = 300
    test_ratio: float = 0.3
    seed: int = 0
    features: list = field(default_factory=lambda: ["x1", "x2"])
    hidden: list = field(default_factory=lambda: [8, 8])
    activation: str = "tanh"
    optimizer: str = "adam"
    learning_rate: float = 0.03
    batch_size: int = 10
    regularization: str = "none"
    reg_rate: float = 0.0
    dropout: float = 0.0
    problem: str = "classification"

    def to_dict(self) -> dict:
        """The settings as a plain dict (JSON data for the page)."""
        return asdict(self)


# field -> (kind, allowed): kind "choice" takes a tuple, "int"/"float" a (low, high) range.
_RULES = {
    "dataset": ("choice", DATASETS + ("csv",)),
    "classes": ("int", (2, 5)),
    "noise": ("float", (0.0, 0.5)),
    "n_samples": ("int", (50, 1000)),
    "test_ratio": ("float", (0.1, 0.9)),
    "seed": ("int", (0, 2**31 - 1)),
    "activation": ("choice", ACTIVATIONS),
    "optimizer": ("choice", OPTIMIZERS),
    "learning_rate": ("float", (1e-5, 10.0)),
    "batch_size": ("int", (1, 1000)),
    "regularization": ("choice", REGULARIZATIONS),
    "reg_rate": ("float", (0.0, 1.0)),
    "dropout": ("float", (0.0, 0.9)),
    "problem": ("choice", PROBLEMS),
}


def check_settings(data, base: Settings | None = None) -> Settings:
    """Validate a dict of settings from the page; missing keys keep ``base``'s values.

    Raises
    ------
    TypeError
        When ``data`` is not a dict or a value has the wrong type.
    ValueError
        For an unknown key or a value out of range; the message names the key,
        the allowed values and what was received.
    """
    if not isinstance(data, dict):
        raise TypeError(f"settings must be a JSON object, got {type(data).__name__}")
    values = (base or Settings()).to_dict()
    unknown = sorted(set(data) - set(values))
    if unknown:
        raise ValueError(f"unknown setting(s) {', '.join(map(repr, unknown))}; "
                         f"the settings are {', '.join(values)}")
    for key, value in data.items():
        values[key] = _check_list(key, value) if key in ("features", "hidden") else _check_one(key, value)
    settings = Settings(**values)
    if settings.dataset == "regression" and settings.problem != "regression":
        raise ValueError("problem must be 'regression' for the regression data set (its targets are "
                         "numbers, not classes); choose another data set for classification")
    return settings


def _check_one(key, value):
    kind, allowed = _RULES[key]
    if kind == "choice":
        if value not in allowed:
            raise ValueError(f"{key} must be one of {', '.join(allowed)}; got {value!r}")
        return value
    is_int = isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if not (is_int or (kind == "float" and isinstance(value, numbers.Real) and not isinstance(value, bool))):
        raise TypeError(f"{key} must be {'an integer' if kind == 'int' else 'a number'}, "
                        f"got {value!r} ({type(value).__name__})")
    low, high = allowed
    if not low <= value <= high:
        raise ValueError(f"{key} must be between {low} and {high}, got {value}; pick a value in that range")
    return int(value) if kind == "int" else float(value)


def _check_list(key, value):
    if not isinstance(value, list):
        raise TypeError(f"{key} must be a list, got {type(value).__name__}")
    if key == "features":
        bad = [name for name in value if name not in FEATURES]
        if bad or not value or len(set(value)) != len(value):
            raise ValueError(f"features must be a non-empty list of distinct names from "
                             f"{', '.join(FEATURES)}; got {value!r}")
        return [name for name in FEATURES if name in value]  # a fixed order: x1 first
    if len(value) > MAX_LAYERS:
        raise ValueError(f"hidden has {len(value)} layers, the limit is {MAX_LAYERS}; remove some layers")
    for size in value:
        if isinstance(size, bool) or not isinstance(size, numbers.Integral) or not 1 <= size <= MAX_NEURONS:
            raise ValueError(f"hidden layer sizes must be whole numbers from 1 to {MAX_NEURONS}; "
                             f"got {value!r}")
    return [int(size) for size in value]


def is_classification(settings: Settings) -> bool:
    """Whether the output is a softmax over classes (else one linear output, MSE)."""
    return settings.problem == "classification"


def n_classes(settings: Settings, y=None) -> int:
    """How many output classes the built-in data set (or the uploaded labels ``y``) has."""
    if settings.dataset == "spiral":
        return settings.classes
    if settings.dataset in CLASSIFICATION_SETS:
        return 2
    return int(y.max()) + 1 if y is not None and len(y) else 2
