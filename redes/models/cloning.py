"""Keras' model helpers built on the config: ``clone_model`` and ``model_from_json`` (``Model.to_json``)."""

from __future__ import annotations

import json

from .. import serialization


def clone_model(model):
    """A new model with ``model``'s architecture and fresh weights (drawn by its initializers), as Keras'.

    The clone is not compiled and shares nothing with ``model``; copy the weights with
    ``clone.set_weights(model.get_weights())`` if you want them too.

    Example:
        >>> twin = clone_model(model)
        >>> twin.count_params() == model.count_params()
        True
    """
    return serialization.deserialize(serialization.serialize(model), kind="layer")


def model_from_json(json_string: str, custom_objects: dict | None = None):
    """The model that ``model.to_json()`` described (architecture only: fresh weights, not compiled).

    Example:
        >>> twin = model_from_json(model.to_json())
    """
    if not isinstance(json_string, str):
        raise TypeError(f"`json_string` must be the str that Model.to_json() returns. Received: "
                        f"{type(json_string).__name__}")
    try:
        spec = json.loads(json_string)
    except json.JSONDecodeError as error:
        raise ValueError(f"`json_string` is not valid JSON ({error}).") from None
    return serialization.deserialize(spec, custom_objects=custom_objects, kind="layer")
