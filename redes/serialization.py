"""Serialization: every configurable object as plain JSON data, and back, through one registry.

The form is Keras 3's: ``{"module": ..., "class_name": ..., "config": obj.get_config()}``, with
``"registered_name"`` for a user class registered with :func:`register_serializable`. Layers,
models, initializers, regularizers, losses, metrics, optimizers and learning-rate schedules all
serialize this way; an activation is its name (``"relu"``), or, with parameters, the same dict
form with the activation's name as ``class_name``. Configs nest: a Dense's config holds its
activation, initializers and regularizers serialized, a Sequential's its layers.

Deserializing finds the class: a user class through ``custom_objects`` (an argument, or
:func:`custom_object_scope`) or the registry, and a redes class through its module, which must be
a redes module (a file can never make redes import anything else). Files written before the
``module`` key existed name only the class; ``kind`` ('layer', 'loss', ...) then says where to look.

This module imports nothing from redes at import time, so any module can use it.

Example:
    >>> from redes import layers
    >>> config = serialize(layers.Dense(3, activation="relu", name="d"))
    >>> config["module"], config["class_name"], config["config"]["activation"]
    ('redes.layers', 'Dense', 'relu')
    >>> deserialize(config).units
    3
"""

from __future__ import annotations

import contextlib
import importlib
import threading

__all__ = ["custom_object_scope", "deserialize", "get_custom_objects", "get_registered_name", "register_serializable",
           "serialize"]

_REGISTERED: dict[str, object] = {}          # "package>Name" -> class
_NAMES: dict[object, str] = {}               # class -> "package>Name"
_SCOPE = threading.local()                   # the custom_objects of the innermost custom_object_scope

# Where the classes of each kind live: the modules to search for a spec without a "module" key.
_KIND_MODULES = {
    "layer": ("redes.layers", "redes.models"),
    "activation": ("redes.activations",),
    "initializer": ("redes.initializers",),
    "regularizer": ("redes.regularizers",),
    "loss": ("redes.losses",),
    "metric": ("redes.metrics",),
    "optimizer": ("redes.optimizers",),
    "schedule": ("redes.optimizers.schedules",),
}


def register_serializable(package: str = "Custom", name: str | None = None):
    """Class decorator: save and load the class under ``"package>name"`` without ``custom_objects``.

    Args:
        package: a namespace for the name (Keras' default is 'Custom').
        name: default the class name.

    Example:
        >>> from redes.layers import Layer
        >>> @register_serializable(package="docs")
        ... class Identity(Layer):
        ...     def forward(self, x, training=False):
        ...         return x
        ...     def backward(self, grad):
        ...         return grad
        >>> get_registered_name(Identity)
        'docs>Identity'
        >>> type(deserialize(serialize(Identity()))).__name__
        'Identity'
    """
    if not isinstance(package, str) or not package or ">" in package:
        raise ValueError(f"`package` must be a non-empty string without '>'. Received: package={package!r}")

    def register(cls):
        if not isinstance(cls, type) or not hasattr(cls, "get_config"):
            raise TypeError(f"register_serializable decorates a class with get_config(). Received: {cls!r}")
        registered = f"{package}>{name or cls.__name__}"
        previous = _REGISTERED.get(registered)
        if previous is not None and previous is not cls and previous.__qualname__ != cls.__qualname__:
            raise ValueError(f"{registered!r} is already registered for {previous!r}.")
        _REGISTERED[registered] = cls
        _NAMES[cls] = registered
        return cls

    return register


def get_custom_objects() -> dict:
    """The global dict of custom classes (Keras' ``get_custom_objects``): ``deserialize`` finds a class put
    in it under its class name, and it holds every class registered with ``register_serializable``.

    Example:
        >>> from redes.layers import Layer
        >>> class Mine(Layer):
        ...     pass
        >>> get_custom_objects()["Mine"] = Mine
        >>> type(deserialize({"class_name": "Mine", "config": {"name": "m"}})).__name__
        'Mine'
    """
    return _REGISTERED


def find_custom_object(name: str):
    """The object named ``name`` in the innermost ``custom_object_scope`` or in ``get_custom_objects()``; None if neither
    holds it (for objects saved by name, such as a metric function: see ``metrics.MeanMetricWrapper``).

    Example:
        >>> with custom_object_scope({"double": abs}):
        ...     find_custom_object("double") is abs
        True
    """
    objects = getattr(_SCOPE, "objects", {})
    return objects.get(name, _REGISTERED.get(name))


def get_registered_object(name: str, custom_objects: dict | None = None, module_objects: dict | None = None):
    """The object registered (or in a ``custom_object_scope``) under ``name``, else in ``custom_objects`` or
    ``module_objects``; None if none holds it (Keras' ``get_registered_object``).

    Example:
        >>> get_registered_object("nothing here") is None
        True
    """
    found = find_custom_object(name)
    if found is not None:
        return found
    for objects in (custom_objects, module_objects):
        if objects and name in objects:
            return objects[name]
    return None


def kind_serializers(kind: str):
    """``(serialize, deserialize)`` for one kind of object, Keras' ``losses.serialize`` / ``losses.deserialize`` and
    their namesakes in the other modules: the config dict, and the object rebuilt from it.

    Example:
        >>> serialize_loss, deserialize_loss = kind_serializers("loss")
    """
    def serialize_kind(obj) -> dict:
        return serialize(obj)

    def deserialize_kind(config, custom_objects: dict | None = None):
        return deserialize(config, custom_objects=custom_objects, kind=kind)

    serialize_kind.__doc__ = (f"The plain-JSON config of a {kind} (``redes.serialization.serialize``), as Keras'.\n\n"
                              f"    Example:\n        >>> config = serialize(obj)\n")
    deserialize_kind.__doc__ = (f"The {kind} rebuilt from ``serialize``'s config (``custom_objects`` for your own "
                                f"classes), as Keras'.\n\n    Example:\n        >>> obj = deserialize(config)\n")
    serialize_kind.__name__, deserialize_kind.__name__ = "serialize", "deserialize"
    return serialize_kind, deserialize_kind


def get_registered_name(cls) -> str:
    """The name a class is saved under: ``"package>Name"`` if registered, else its class name.

    Example:
        >>> from redes import layers
        >>> get_registered_name(layers.Dense)
        'Dense'
    """
    return _NAMES.get(cls, cls.__name__)


@contextlib.contextmanager
def custom_object_scope(custom_objects: dict | None):
    """Inside the block, ``deserialize`` (and so ``load_model`` and every ``from_config``) finds these classes.

    Example:
        >>> from redes.layers import Layer
        >>> class Mine(Layer):
        ...     pass
        >>> with custom_object_scope({"Mine": Mine}):
        ...     type(deserialize({"class_name": "Mine", "config": {"name": "m"}})).__name__
        'Mine'
    """
    if custom_objects is not None and not isinstance(custom_objects, dict):
        raise TypeError(f"`custom_objects` must be a dict {{'Name': class}}. Received: {custom_objects!r}")
    previous = getattr(_SCOPE, "objects", {})
    _SCOPE.objects = {**previous, **(custom_objects or {})}
    try:
        yield
    finally:
        _SCOPE.objects = previous


def _public_module(cls) -> str:
    """The shortest module path that exposes ``cls`` by its name: 'redes.layers' for Dense."""
    parts = cls.__module__.split(".")
    for end in range(1, len(parts) + 1):
        module = importlib.import_module(".".join(parts[:end]))
        if getattr(module, cls.__name__, None) is cls:
            return module.__name__
    return cls.__module__


def serialize(obj):
    """``obj`` as JSON data: None stays None, an activation its name (or dict), any other object a dict.

    Example:
        >>> from redes import activations, regularizers
        >>> serialize(regularizers.L2(0.01))
        {'module': 'redes.regularizers', 'class_name': 'L2', 'config': {'l2': 0.01}}
        >>> serialize(activations.get("leaky_relu", negative_slope=0.1))["config"]
        {'negative_slope': 0.1}
    """
    if obj is None:
        return None
    if type(obj).__name__ == "ActivationFunction" and type(obj).__module__ == "redes.activations":
        if not obj.config:
            return obj.name
        return {"module": "redes.activations", "class_name": obj.name, "config": dict(obj.config)}
    if not hasattr(obj, "get_config"):
        raise TypeError(f"Cannot serialize {obj!r}: it has no get_config().")
    cls = type(obj)
    spec = {"module": _public_module(cls), "class_name": cls.__name__, "config": obj.get_config()}
    if cls in _NAMES:
        spec["registered_name"] = _NAMES[cls]
    return spec


def deserialize(spec, custom_objects: dict | None = None, kind: str | None = None):
    """Rebuild the object ``serialize`` described (a class's ``from_config``, or an activation).

    Args:
        spec: what ``serialize`` returned: a dict, or an activation's name.
        custom_objects: ``{"Name": class}`` for classes defined outside redes (added to any active scope).
        kind: 'layer', 'activation', 'initializer', 'regularizer', 'loss', 'metric', 'optimizer' or
            'schedule': where to look when ``spec`` has no module (files from before the key existed).

    Raises ValueError naming the class and what to pass when it cannot be found.

    Example:
        >>> deserialize({"module": "redes.regularizers", "class_name": "L2", "config": {"l2": 0.5}})
        L2(l2=0.5)
    """
    if kind is not None and kind not in _KIND_MODULES:
        raise ValueError(f"`kind` must be one of {sorted(_KIND_MODULES)}. Received: kind={kind!r}")
    with custom_object_scope(custom_objects):
        if spec is None:
            return None
        if isinstance(spec, str):
            return _activation(spec, {})
        if not isinstance(spec, dict) or "class_name" not in spec:
            raise ValueError(f"A serialized object is a dict with 'class_name' and 'config'. Received: {spec!r}")
        config = spec.get("config") or {}
        module = spec.get("module")
        if module == "redes.activations" or (module is None and kind == "activation"):
            return _activation(spec["class_name"], config)
        cls = _find_class(spec, kind)
        return cls.from_config(config) if hasattr(cls, "from_config") else cls(**config)


def _activation(name: str, config: dict):
    objects = getattr(_SCOPE, "objects", {})
    if name in objects:
        return objects[name]
    return importlib.import_module("redes.activations").get(name, **config)


def _find_class(spec: dict, kind: str | None):
    class_name, module = spec["class_name"], spec.get("module")
    registered = spec.get("registered_name")
    objects = getattr(_SCOPE, "objects", {})
    for key in (registered, class_name):
        if key is not None and key in objects:
            return objects[key]
    for key in (registered, class_name):
        if key is not None and key in _REGISTERED:
            return _REGISTERED[key]
    modules = [module] if module is not None else list(_KIND_MODULES.get(kind, ()))
    for name in modules:
        if name == "redes" or name.startswith("redes."):  # never import a module a file names, but ours
            try:
                cls = getattr(importlib.import_module(name), class_name, None)
            except ImportError:
                cls = None
            if isinstance(cls, type) and hasattr(cls, "get_config"):
                return cls
    where = f" (module {module!r})" if module else ""
    raise ValueError(f"Unknown {kind or 'object'} class {registered or class_name!r}{where}. Pass custom classes "
                     f"with `custom_objects={{'{class_name}': {class_name}}}`, or register them with "
                     "@redes.serialization.register_serializable().")
