"""Documentation: every public class and function has a docstring with an example; every layer its equations.

The public API is ``redes.__all__`` and the ``__all__`` of each public submodule. Imported helpers
(``typing``, ``numbers``, internal checks) stay out of it because each module lists its names.
"""

import importlib
import inspect

import pytest

import redes
from redes.layers import Layer, SymbolicTensor

PUBLIC_MODULES = ["layers", "losses", "metrics", "ops", "optimizers", "optimizers.schedules", "activations",
                  "initializers", "regularizers", "callbacks", "datasets", "plotting", "random", "utils",
                  "validation"]


def _modules():
    return {"redes": redes, **{name: importlib.import_module(f"redes.{name}") for name in PUBLIC_MODULES}}


def _own_doc(obj) -> str:
    """The object's own docstring: ``inspect.getdoc`` would hand a subclass its base class's."""
    return inspect.cleandoc(obj.__doc__ or "")


def _public_objects():
    """(qualified name, object) for each public class and function, once each."""
    seen, found = set(), []
    for module_name, module in _modules().items():
        for name in module.__all__:
            obj = getattr(module, name)
            if (inspect.isclass(obj) or inspect.isfunction(obj)) and id(obj) not in seen:
                seen.add(id(obj))
                found.append((f"{module_name}.{name}", obj))
    return found


@pytest.mark.parametrize("module_name", ["redes", *PUBLIC_MODULES])
def test_module_lists_its_public_names(module_name):
    module = _modules()[module_name]
    assert isinstance(getattr(module, "__all__", None), list), f"redes.{module_name} has no __all__ list"
    missing = [name for name in module.__all__ if not hasattr(module, name)]
    assert not missing, f"redes.{module_name}.__all__ names what it lacks: {missing}"


def test_public_api_is_not_empty():
    assert len(_public_objects()) > 100


def test_every_public_class_and_function_has_an_example():
    undocumented = [name for name, obj in _public_objects() if not _own_doc(obj)]
    without_example = [name for name, obj in _public_objects() if ">>>" not in _own_doc(obj)]
    assert not undocumented, f"no docstring: {undocumented}"
    assert not without_example, f"no '>>>' example in the docstring: {without_example}"


def test_every_layer_gives_its_equations():
    layer_classes = [obj for name in redes.layers.__all__ if inspect.isclass(obj := getattr(redes.layers, name))
                     and issubclass(obj, Layer) and obj is not SymbolicTensor]
    assert len(layer_classes) > 20
    missing = [cls.__name__ for cls in layer_classes if "Equations" not in _own_doc(cls)]
    assert not missing, f"layers without an Equations block: {missing}"


def test_the_checks_catch_what_lacks_documentation(monkeypatch):
    def undocumented_helper(x):
        """Returns x, with no example."""
        return x

    class UndocumentedLayer(Layer):
        pass

    monkeypatch.setattr(redes.utils, "undocumented_helper", undocumented_helper, raising=False)
    monkeypatch.setattr(redes.utils, "__all__", [*redes.utils.__all__, "undocumented_helper"])
    with pytest.raises(AssertionError, match="utils.undocumented_helper"):
        test_every_public_class_and_function_has_an_example()
    monkeypatch.setattr(redes.layers, "UndocumentedLayer", UndocumentedLayer, raising=False)
    monkeypatch.setattr(redes.layers, "__all__", [*redes.layers.__all__, "UndocumentedLayer"])
    with pytest.raises(AssertionError, match="UndocumentedLayer"):
        test_every_layer_gives_its_equations()
