"""Keras 2's ``.h5`` files (``model.save("x.h5")`` in Keras 2, or in Keras 3 with its legacy writer), read.

Such a file keeps the architecture as JSON in the root attribute ``model_config`` (Keras 2's form: no
``module`` keys, functional calls as ``[layer, node, tensor, kwargs]`` lists, a Sequential's input as the
first layer's ``batch_input_shape`` or an ``InputLayer``), the compile arguments in ``training_config``,
and the weights under ``model_weights/<layer name>/``, listed in order by that group's ``weight_names``
attribute. A weights-only ``.h5`` (Keras 2's ``save_weights``) is the ``model_weights`` part alone, at the
root. The optimizer's Keras 2 state is not read: a loaded model is compiled with a fresh optimizer.
"""

from __future__ import annotations

import json

import numpy as np

from .. import serialization
from .config import from_keras
from .weights import assign_all

# The module of an object in Keras 2's config, from the key that holds it.
_KEY_MODULES = (("_initializer", "keras.initializers"), ("_regularizer", "keras.regularizers"),
                ("_constraint", "keras.constraints"))


def is_legacy(file) -> bool:
    """Whether the open h5 ``file`` is in Keras 2's layout (a ``layer_names`` list of weight groups)."""
    return "model_config" in file.attrs or "layer_names" in file.attrs


def load_legacy_h5(file, where: str, custom_objects: dict | None = None, compile: bool = True):
    """The model a Keras 2 ``.h5`` file holds, with its weights (and compile arguments if ``compile``)."""
    if "model_config" not in file.attrs:
        raise ValueError(f"{where} holds weights only (no model_config); build the model and call "
                         "model.load_weights() with it.")
    config = json.loads(_text(file.attrs["model_config"]))
    with serialization.custom_object_scope(custom_objects):
        model = serialization.deserialize(from_keras(with_modules(config)), kind="layer")
        read_legacy_weights(model, file["model_weights"] if "model_weights" in file else file, where)
        training = file.attrs.get("training_config")
        if compile and training is not None:
            training = json.loads(_text(training))
            optimizer = with_modules(training["optimizer_config"], "keras.optimizers")
            model.compile_from_config(from_keras({"optimizer": optimizer, "loss": training.get("loss"),
                                                  "metrics": training.get("metrics"),
                                                  "loss_weights": training.get("loss_weights"),
                                                  "weighted_metrics": training.get("weighted_metrics")}))
    return model


def read_legacy_weights(model, group, where: str) -> None:
    """Every weight of ``model``, layer by top-level layer name, from Keras 2's ``model_weights`` group."""
    names = [_text(name) for name in group.attrs.get("layer_names", [])]
    values = []
    for layer in model.layers:
        arrays = layer.weights
        if not arrays:
            continue
        if layer.name not in names:
            raise ValueError(f"{where} has no weights for layer '{layer.name}' (it has {names}).")
        entry = group[layer.name]
        stored = [entry[_text(name)] for name in entry.attrs.get("weight_names", [])]
        if len(stored) != len(arrays):
            raise ValueError(f"{where} holds {len(stored)} arrays for layer '{layer.name}'; it has {len(arrays)}.")
        values += [(target, np.asarray(dataset), f"weight {index} of layer '{layer.name}'")
                   for index, (target, dataset) in enumerate(zip(arrays, stored))]
    assign_all(values, where)


def with_modules(spec, module: str | None = None):
    """Keras 2's config with Keras 3's ``module`` keys filled in from where each object sits."""
    if isinstance(spec, list):
        return [with_modules(item, module) for item in spec]
    if not isinstance(spec, dict):
        return spec
    if "class_name" in spec and "config" in spec and isinstance(spec.get("config"), dict):
        class_name = spec["class_name"]
        own = spec.get("module") or ("keras" if class_name in ("Sequential", "Functional", "Model")
                                     else module or "keras.layers")
        config = {}
        for key, value in spec["config"].items():
            inner = next((m for suffix, m in _KEY_MODULES if key.endswith(suffix)), "keras.layers")
            config[key] = with_modules(value, inner)
        if class_name == "Sequential":
            config["layers"] = _input_from_first_layer(config.get("layers", []))
        if class_name in ("Functional", "Model"):
            own = "keras"
        return {**spec, "module": own, "config": config}
    return {key: with_modules(value, module) for key, value in spec.items()}


def _input_from_first_layer(layers: list) -> list:
    """Keras 2 gives a Sequential's input as its first layer's ``batch_input_shape``: an InputLayer here."""
    if not layers or layers[0].get("class_name") == "InputLayer":
        return layers
    shape = layers[0]["config"].pop("batch_input_shape", None)
    for layer in layers[1:]:
        layer["config"].pop("batch_input_shape", None)
    if shape is None:
        return layers
    return [{"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": shape}}, *layers]


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
