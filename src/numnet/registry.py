"""One registry of names for every configurable kind of object.

``compile``, the command line, the scikit-learn wrapper and model files all
turn strings such as ``"relu"`` or ``"adam"`` into objects through the
registries below, and turn objects back into plain config dicts, so a name
means the same thing everywhere.

Example
-------
>>> from numnet.registry import OPTIMIZERS
>>> type(OPTIMIZERS.get("adam")).__name__
'Adam'
"""
from __future__ import annotations

import difflib
from typing import Any, Callable, TypeVar

T = TypeVar("T", bound=type)  # register's decorator returns the class it was given


class Registry:
    """A case-insensitive mapping from names to classes of one kind.

    Parameters
    ----------
    kind : str
        What the registry holds, used in error messages ("optimizer").
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._classes: dict[str, Any] = {}  # classes that carry a registry_name

    def register(self, *names: str) -> Callable[[T], T]:
        """Class decorator that registers ``cls`` under its own name and ``names``."""

        def decorator(cls):
            for name in (cls.__name__, *names):
                self._classes[_normalise(name)] = cls
            cls.registry_name = names[0] if names else cls.__name__.lower()
            return cls

        return decorator

    def names(self) -> list[str]:
        """The short names users type, sorted."""
        return sorted({cls.registry_name for cls in self._classes.values()})

    def lookup(self, name: str) -> type:
        """Return the class registered under ``name``.

        Raises
        ------
        ValueError
            If the name is unknown; the message lists the known names.
        """
        if not isinstance(name, str):
            raise TypeError(f"{self.kind} name must be a string, got {type(name).__name__}")
        try:
            return self._classes[_normalise(name)]
        except KeyError:
            known = self.names()
            close = difflib.get_close_matches(_normalise(name), known, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise ValueError(
                f"Unknown {self.kind} {name!r}. Known {_plural(self.kind)}: {', '.join(known)}.{hint}"
            ) from None

    def get(self, spec: Any, **kwargs: Any) -> Any:
        """Turn a name, a config dict or an instance into an instance.

        ``spec`` may be an instance (returned as is), a registered name
        (instantiated with ``kwargs``), or a dict ``{"class_name": ..., "config": {...}}``
        as written by :func:`serialize`.
        """
        if isinstance(spec, str):
            return self.lookup(spec)(**kwargs)
        if isinstance(spec, dict):
            return deserialize(spec, self)
        if isinstance(spec, type):
            return spec(**kwargs)
        return spec


def _plural(kind: str) -> str:
    return kind + ("es" if kind.endswith("s") else "s")  # "losses", not "losss"


def _normalise(name: str) -> str:
    return name.lower().replace("-", "_").replace(" ", "_")


def serialize(obj: Any) -> dict:
    """Return ``{"class_name": ..., "config": obj.get_config()}``, plain JSON data."""
    return {"class_name": type(obj).__name__, "config": obj.get_config()}


def deserialize(data: dict, registry: Registry) -> Any:
    """Build an object from the dict written by :func:`serialize`."""
    if not isinstance(data, dict) or "class_name" not in data:
        raise ValueError(
            f"a serialized {registry.kind} must be a dict with 'class_name' and 'config', got {data!r}"
        )
    cls = registry.lookup(data["class_name"])
    config = data.get("config", {})
    if hasattr(cls, "from_config"):
        return cls.from_config(config)
    return cls(**config)


LAYERS = Registry("layer")
ACTIVATIONS = Registry("activation")
LOSSES = Registry("loss")
OPTIMIZERS = Registry("optimizer")
SCHEDULES = Registry("schedule")
METRICS = Registry("metric")
INITIALIZERS = Registry("initializer")
