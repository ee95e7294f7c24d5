"""The model description, translated between Keras 3's ``config.json`` and redes' own serialized form.

Both libraries write an object as ``{"module", "class_name", "config"}`` with Keras' class and argument
names, so most of the translation is the module (``keras.layers`` ↔ ``redes.layers``) and a few forms
that differ:
    * a layer's dtype: Keras writes a ``DTypePolicy`` dict, redes the dtype's name;
    * a Sequential's input: Keras lists an ``InputLayer`` (``batch_shape``) first, redes keeps ``input_shape``;
    * a functional graph: Keras lists each layer's calls as ``inbound_nodes`` of ``__keras_tensor__``
      references ``[layer, node, tensor]``, redes as ``[layer, call(, output)]`` lists beside the layers;
    * arguments one library has and the other has not: a Keras argument at its neutral value (None,
      False, 'channels_last', ...) is dropped on reading; any other value redes cannot honour is an error
      naming it, never silently ignored.
A file never makes redes import or run anything: classes are looked up among redes' own (or the user's
``custom_objects`` / registered classes), and a ``Lambda`` layer, which holds Python code, is refused.
"""

from __future__ import annotations

import importlib
import inspect

from .. import serialization

# Keras' module of each kind of object, and redes' own.
_MODULES = {"keras.layers": "redes.layers", "keras.initializers": "redes.initializers",
            "keras.regularizers": "redes.regularizers", "keras.losses": "redes.losses",
            "keras.metrics": "redes.metrics", "keras.optimizers": "redes.optimizers",
            "keras.optimizers.schedules": "redes.optimizers.schedules", "keras.activations": "redes.activations",
            "keras.models": "redes.models", "keras": "redes"}
_TO_KERAS = {redes: keras for keras, redes in _MODULES.items()}
_TO_KERAS["redes.models"] = "keras"  # Keras writes its models under the top-level module

# Keras arguments redes reads as their neutral value only: dropped when they hold it.
_NEUTRAL = {"data_format": ("channels_last",), "quantization_config": (None,), "lora_rank": (None,),
            "lora_alpha": (None,), "synchronized": (False,), "renorm": (False,), "sparse": (False,),
            "ragged": (False,), "optional": (False,), "autocast": (True,), "unroll": (False,),
            "reduction": ("sum_over_batch_size",), "dtype": ("float32", "float64"),
            "negative_slope": (0.0,), "threshold": (0.0,), "axis": (-1, [-1])}
# Keras' Bidirectional sets this on its inner layers; redes' Bidirectional gives masked steps zeros itself.
_IGNORED = ("zero_output_for_mask",)
# ... and those that only matter when another argument, at its neutral value here, switches them on.
_IDLE_UNLESS = {"renorm_clipping": "renorm", "renorm_momentum": "renorm", "fill_mode": "pad_to_aspect_ratio",
                "fill_value": "pad_to_aspect_ratio"}


def _snake_case(name: str) -> str:
    """Keras' ``naming.to_snake_case``: 'Conv2D' → 'conv2d', 'BatchNormalization' → 'batch_normalization'."""
    import re
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


# ====================================================================== Keras → redes
def from_keras(spec):
    """A Keras ``config.json`` object (any nesting) as redes' serialized form, for ``serialization.deserialize``."""
    if isinstance(spec, list):
        return [from_keras(item) for item in spec]
    if not isinstance(spec, dict):
        return spec
    if "class_name" not in spec or "config" not in spec:
        return {key: from_keras(value) for key, value in spec.items()}
    class_name, config = spec["class_name"], dict(spec.get("config") or {})
    if class_name == "DTypePolicy" or class_name == "FloatDTypePolicy":
        return config.get("name", "float32")
    if class_name == "__keras_tensor__":
        return spec
    if class_name == "Lambda":
        raise ValueError("The file holds a Lambda layer: its Python code would have to run to rebuild it, and a "
                         ".keras file never runs code in redes (Keras' safe_mode). Write the computation as a "
                         "layer class and register it with @redes.saving.register_keras_serializable().")
    module = spec.get("module")
    registered = spec.get("registered_name")
    if class_name == "Sequential" and module in ("keras", "keras.models", "keras.src.models.sequential"):
        return _sequential_from_keras(spec, config)
    if class_name in ("Functional", "Model") and module in ("keras", "keras.models", "keras.src.models.functional"):
        return _functional_from_keras(config)
    redes_module = _MODULES.get(module)
    result = {"module": redes_module, "class_name": class_name,
              "config": {key: from_keras(value) for key, value in config.items()}}
    if registered and redes_module is None:
        result["registered_name"] = registered
    if redes_module is not None and redes_module != "redes.activations":
        result["config"] = _redes_arguments(redes_module, class_name, result["config"])
    return result


def _redes_arguments(module: str, class_name: str, config: dict) -> dict:
    """The Keras arguments redes' class takes; an argument it lacks is dropped at its neutral value,
    and is an error at any other value."""
    cls = getattr(importlib.import_module(module), class_name, None)
    if not isinstance(cls, type):
        kind = module.split(".")[-1].rstrip("s")
        raise ValueError(f"The file uses the Keras {kind} '{class_name}', which redes does not have "
                         f"(see {module}.__all__ for what it reads).")
    accepted = _arguments(cls)
    kept = {}
    for key, value in config.items():
        if key in accepted:
            kept[key] = value[0] if key == "axis" and isinstance(value, list) and len(value) == 1 else value
        elif key in _IGNORED:
            continue
        elif value is None or value is False or value in _NEUTRAL.get(key, ()):
            continue
        elif key in _IDLE_UNLESS and not config.get(_IDLE_UNLESS[key]):
            continue
        else:
            raise ValueError(f"The Keras layer '{config.get('name', class_name)}' ({class_name}) sets "
                             f"{key}={value!r}, which redes' {class_name} does not support.")
    return kept


def _arguments(cls) -> set[str]:
    """The constructor's argument names, and its parents' as long as each passes ``**kwargs`` on."""
    names = set()
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        parameters = inspect.signature(init).parameters.values()
        names |= {p.name for p in parameters if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD) and p.name != "self"}
        if not any(p.kind == p.VAR_KEYWORD for p in parameters):
            break
    return names


def _sequential_from_keras(spec: dict, config: dict) -> dict:
    layers = list(config.get("layers", []))
    input_shape = None
    if layers and layers[0].get("class_name") == "InputLayer":
        input_shape = list(_batch_shape(layers.pop(0)["config"])[1:])
    elif spec.get("build_config", {}).get("input_shape") is not None:
        input_shape = list(spec["build_config"]["input_shape"][1:])
    return {"module": "redes", "class_name": "Sequential",
            "config": {"name": config.get("name"), "trainable": config.get("trainable", True),
                       "dtype": from_keras(config.get("dtype", "float32")) if config.get("dtype") else None,
                       "input_shape": input_shape, "layers": [from_keras(layer) for layer in layers]}}


def _batch_shape(config: dict) -> list:
    if "batch_shape" in config:
        return list(config["batch_shape"])
    return list(config.get("batch_input_shape"))  # Keras 2's name


def _functional_from_keras(config: dict) -> dict:
    layers, inbound = [], []
    for layer in config["layers"]:
        if layer["class_name"] == "InputLayer":
            keras_config = layer["config"]
            shape = _batch_shape(keras_config)
            layers.append({"module": "redes", "class_name": "Input",
                           "config": {"name": keras_config.get("name", layer.get("name")), "shape": shape[1:],
                                      "batch_size": shape[0],
                                      "dtype": from_keras(keras_config.get("dtype", "float32"))}})
            inbound.append([[]])
            continue
        layers.append(from_keras({key: value for key, value in layer.items() if key not in ("inbound_nodes", "name")}))
        inbound.append([[_reference(tensor) for tensor in _keras_tensors(node)]
                        for node in layer.get("inbound_nodes", [])])
    return {"module": "redes", "class_name": "Functional",
            "config": {"name": config.get("name"), "trainable": config.get("trainable", True),
                       "layers": layers, "inbound_nodes": inbound,
                       "input_layers": _references(config["input_layers"]),
                       "output_layers": _references(config["output_layers"])}}


def _keras_tensors(node) -> list:
    """The ``keras_history`` of each tensor a node takes, in order: a Keras 3 node is {'args': [...],
    'kwargs': {...}} holding ``__keras_tensor__`` entries, a Keras 2 node a list of [layer, node, tensor, kwargs]."""
    if isinstance(node, list):
        return [entry[:3] for entry in node]
    found = []

    def walk(value) -> None:
        if isinstance(value, dict) and value.get("class_name") == "__keras_tensor__":
            found.append(value["config"]["keras_history"])
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)
    walk(node.get("args", []))
    return found


def _reference(history: list) -> list:
    name, node, index = history
    return [name, node] + ([index] if index else [])


def _references(endpoints: list) -> list:
    """Keras writes one endpoint flat (['input', 0, 0]) and several as a list of them."""
    if endpoints and isinstance(endpoints[0], str):
        endpoints = [endpoints]
    return [_reference(endpoint) for endpoint in endpoints]


# ====================================================================== redes → Keras
def to_keras(model) -> dict:
    """The Keras 3 ``config.json`` object of a redes model (Sequential, functional or nested)."""
    from ..models import Functional, Sequential
    if isinstance(model, Sequential):
        return _sequential_to_keras(model)
    if isinstance(model, Functional):
        return _functional_to_keras(model)
    raise ValueError(f"Model '{model.name}' is a {type(model).__name__}: the Keras format holds Sequential and "
                     "functional models (a subclassed model's Python class would have to exist in Keras); save it "
                     "as .redes, or rebuild it as a functional model.")


# Arguments of redes' config that Keras' class does not take (its constructor would refuse them).
_NOT_IN_KERAS = {"SpatialDropout1D": ("trainable",), "SpatialDropout2D": ("trainable",)}


def _spec_to_keras(spec, layer=None):
    if isinstance(spec, list):
        return [_spec_to_keras(item) for item in spec]
    if not isinstance(spec, dict):
        return spec
    if "class_name" not in spec:
        return {key: _spec_to_keras(value) for key, value in spec.items()}
    module = spec.get("module")
    keras_module = _TO_KERAS.get(module)
    if keras_module is None and spec.get("registered_name") is None:
        raise ValueError(f"'{spec['class_name']}' (module {module!r}) has no Keras equivalent; register your own "
                         "classes with @redes.saving.register_keras_serializable() to write them by name.")
    config = {key: _spec_to_keras(value) for key, value in (spec.get("config") or {}).items()
              if key not in _NOT_IN_KERAS.get(spec["class_name"], ())}
    result = {"module": keras_module, "class_name": spec["class_name"], "config": config,
              "registered_name": spec.get("registered_name")}
    if layer is not None and getattr(layer, "built", False) and layer.input_shape is not None:
        result["build_config"] = {"input_shape": _batched(layer.input_shape)}
    return result


def _batched(shape):
    if isinstance(shape, list):
        return [_batched(s) for s in shape]
    return [None, *shape]


def _layer_to_keras(layer) -> dict:
    from ..models import Model
    if isinstance(layer, Model):
        return to_keras(layer)
    return _spec_to_keras(serialization.serialize(layer), layer)


def _base(model) -> dict:
    return {"name": model.name, "trainable": model.trainable, "dtype": model.dtype}


def _sequential_to_keras(model) -> dict:
    layers = [_layer_to_keras(layer) for layer in model.layers]
    if model.input_shape is not None:
        layers.insert(0, _input_layer(f"{model.name}_input", model.input_shape, None, model.dtype))
    result = {"module": "keras", "class_name": "Sequential", "config": {**_base(model), "layers": layers},
              "registered_name": None}
    if model.input_shape is not None:
        result["build_config"] = {"input_shape": _batched(model.input_shape)}
    return result


def _input_layer(name: str, shape, batch_size, dtype) -> dict:
    return {"module": "keras.layers", "class_name": "InputLayer", "registered_name": None,
            "config": {"batch_shape": [batch_size, *shape], "dtype": dtype, "sparse": False, "ragged": False,
                       "name": name}}


def _functional_to_keras(model) -> dict:
    from ..layers import Input
    config = model.get_config()
    by_name = {layer.name: layer for layer in model.layers}

    def tensor(reference: list) -> dict:
        name, call, *rest = reference
        index = rest[0] if rest else 0
        shape = by_name[name].output_shape
        shape = shape[index] if isinstance(shape, list) else shape
        return {"class_name": "__keras_tensor__",
                "config": {"shape": [None, *shape], "dtype": by_name[name].dtype, "keras_history": [name, call, index]}}

    layers = []
    for layer, nodes in zip(model.layers, config["inbound_nodes"]):
        if isinstance(layer, Input):
            entry = _input_layer(layer.name, layer.shape, layer.batch_size, layer.dtype)
            entry.update({"name": layer.name, "inbound_nodes": []})
        else:
            entry = {**_layer_to_keras(layer), "name": layer.name}
            entry["inbound_nodes"] = [
                {"args": [[tensor(r) for r in node] if layer._takes_list or len(node) > 1 else tensor(node[0])],
                 "kwargs": {}} for node in nodes]
        layers.append(entry)
    endpoints = [[r[0], r[1], r[2] if len(r) > 2 else 0] for r in config["input_layers"]]
    outputs = [[r[0], r[1], r[2] if len(r) > 2 else 0] for r in config["output_layers"]]
    return {"module": "keras.src.models.functional", "class_name": "Functional", "registered_name": "Functional",
            "config": {"name": model.name, "trainable": model.trainable, "layers": layers,
                       "input_layers": endpoints[0] if len(endpoints) == 1 else endpoints,
                       "output_layers": outputs[0] if len(outputs) == 1 else outputs},
            "build_config": {"input_shape": _batched(model.input_shape)}}


def keras_path_name(layer) -> str:
    """The name Keras gives ``layer`` in a weights file (its class in snake case, before any counter)."""
    from ..layers import Input
    return "input_layer" if isinstance(layer, Input) else _snake_case(type(layer).__name__)
