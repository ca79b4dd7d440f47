"""Every public function, class and method numnet exports has a docstring and full annotations.

The walk starts from the names each public package exports (its ``__all__``, else every name
not starting with ``_``). For a class it checks the class docstring and every public method
defined in the class or in a numnet base class (methods inherited from NumPy, scikit-learn or
``object`` are not ours to document). A method needs a docstring unless it is ``__init__``
(numpydoc documents constructor parameters in the class docstring); an override without its
own docstring inherits its base method's (``inspect.getdoc``), as the docs site shows it;
every parameter except ``self``/``cls`` and the return need annotations. Optional edges
(plot, sklearn, onnx) are skipped where their extra is not installed.
"""
from __future__ import annotations

import importlib
import inspect
from typing import Any, Callable, Iterator

import pytest

PACKAGES = ["numnet", "numnet.functional", "numnet.data", "numnet.distributed", "numnet.layers",
            "numnet.losses", "numnet.optimizers", "numnet.plot", "numnet.sklearn", "numnet.onnx",
            "numnet.model", "numnet.datasets", "numnet.io", "numnet.registry"]
# Dunder methods whose signature is part of the public API; other dunders follow Python's protocols.
CHECKED_DUNDERS = {"__init__", "__call__"}


def _import_or_skip(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ImportError as error:  # an optional extra (matplotlib, scikit-learn, onnx) is missing
        pytest.skip(f"{name} needs an optional extra: {error}")


def _exported(module: Any) -> Iterator[tuple[str, Any]]:
    names = getattr(module, "__all__", [n for n in vars(module) if not n.startswith("_")])
    for name in names:
        yield f"{module.__name__}.{name}", getattr(module, name)


def _own_methods(cls: type) -> Iterator[tuple[str, Callable[..., Any], bool]]:
    """(name, function, is_method) for public methods defined by numnet classes in cls's MRO."""
    seen: set[str] = set()
    for klass in cls.__mro__:
        if not klass.__module__.startswith("numnet"):
            continue
        for name, attr in vars(klass).items():
            if name in seen or (name.startswith("_") and name not in CHECKED_DUNDERS):
                continue
            seen.add(name)
            if isinstance(attr, property):
                if attr.fget is not None:
                    yield name, attr.fget, True
            elif isinstance(attr, staticmethod):
                yield name, attr.__func__, False
            elif isinstance(attr, classmethod):
                yield name, attr.__func__, True
            elif inspect.isfunction(attr):
                yield name, attr, True


def _missing_annotations(func: Callable[..., Any], is_method: bool) -> list[str]:
    params = list(inspect.signature(func).parameters.values())
    if is_method and params:
        params = params[1:]  # self or cls
    missing = [p.name for p in params if p.annotation is inspect.Parameter.empty]
    if inspect.signature(func).return_annotation is inspect.Signature.empty:
        missing.append("return")
    return missing


def _problems(qualname: str, func: Callable[..., Any], is_method: bool,
              needs_doc: bool = True, doc: str | None = None) -> list[str]:
    found = []
    if needs_doc and not (doc if doc is not None else func.__doc__ or "").strip():
        found.append(f"{qualname}: no docstring")
    missing = _missing_annotations(func, is_method)
    if missing:
        found.append(f"{qualname}: no annotation for {', '.join(missing)}")
    return found


def _class_problems(qualname: str, cls: type) -> list[str]:
    found = [] if (cls.__doc__ or "").strip() else [f"{qualname}: no docstring"]
    for name, func, is_method in _own_methods(cls):
        # An override that keeps its base's contract inherits the base's docstring (getdoc).
        doc = inspect.getdoc(getattr(cls, name, func)) or ""
        found += _problems(f"{qualname}.{name}", func, is_method, needs_doc=name != "__init__",
                           doc=doc)
    return found


def public_api_problems(package: str) -> list[str]:
    """Every missing docstring or annotation among the names ``package`` exports."""
    found: list[str] = []
    for qualname, obj in _exported(_import_or_skip(package)):
        if inspect.isclass(obj):
            found += _class_problems(qualname, obj)
        elif inspect.isfunction(obj):
            found += _problems(qualname, obj, is_method=False)
    return sorted(set(found))


@pytest.mark.parametrize("package", PACKAGES)
def test_every_exported_name_has_a_docstring_and_annotations(package):
    problems = public_api_problems(package)
    assert not problems, f"{len(problems)} public names lack docs or types:\n" + "\n".join(problems)


def test_walker_reports_an_undocumented_unannotated_function():
    def bare(x, y=1):
        return x

    assert _problems("bare", bare, is_method=False) == [
        "bare: no docstring", "bare: no annotation for x, y, return"]



# Module-level (inspect.getdoc finds an override's base class through the qualified name);
# __module__ makes the walker treat them as numnet classes.
class _DocumentedBase:
    """A documented base."""

    __module__ = "numnet.fake"

    def step(self, x: int) -> int:
        """Documented once, here."""
        return x


class _Child(_DocumentedBase):
    """A documented child."""

    __module__ = "numnet.fake"

    def step(self, x: int) -> int:  # inherits _DocumentedBase.step's docstring
        return x

    def bare(self, y):
        return y


def test_walker_reports_class_methods_and_lets_overrides_inherit_docs():
    assert _class_problems("_Child", _Child) == [
        "_Child.bare: no docstring", "_Child.bare: no annotation for y, return"]
