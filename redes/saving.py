"""Saving and loading: one zip file holding a JSON description and ``.npy`` arrays, written atomically.

A model file (``model.save(path)``, ``load_model(path)``) holds:

    config.json        format_version, the architecture (class names and configs, nested),
                       the compile configuration (optimizer, loss, metrics), the training state
                       (epochs completed, random-generator states) and a manifest of the arrays
    weights/<i>.npy    every weight in ``model.get_weights()`` order
    optimizer/<i>.npy  the optimizer's ``variables`` (iterations, slots by position, extras)

A weights file (``save_weights`` / ``load_weights``) holds config.json and weights/ only.

No pickle anywhere: JSON for the description, and arrays read with ``allow_pickle=False``, so
opening a file cannot run code. Writes go to a temporary file in the same folder, which is
flushed, fsynced and then renamed over the target (``os.replace``): a failure or a kill in the
middle of a save leaves the previous file as it was. Loading restores the global random
generator (``redes.backend.rng()``) and seeded Dropout generators, so that training resumed
from a saved model draws the same shuffles and masks as training that was never interrupted.

Example:
    >>> model.save("mnist.redes")
    >>> same = redes.load_model("mnist.redes")
    >>> model.save_weights("mnist.weights.redes"); model.load_weights("mnist.weights.redes")
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from typing import TYPE_CHECKING

import numpy

from . import backend
from ._files import fsync_directory
from .serialization import (custom_object_scope, deserialize, get_custom_objects, get_registered_name,
                            get_registered_object, register_serializable, serialize)

__all__ = ["CustomObjectScope", "atomic_write", "custom_object_scope", "deserialize", "deserialize_keras_object",
    "get_custom_objects", "get_registered_name", "get_registered_object", "load_model", "load_weights",
    "register_keras_serializable", "register_serializable", "restore_training", "save_model", "save_weights",
    "serialize", "serialize_keras_object"]

# Keras 3's names (``keras.saving``) for the same functions.
register_keras_serializable = register_serializable
serialize_keras_object = serialize
deserialize_keras_object = deserialize
CustomObjectScope = custom_object_scope

if TYPE_CHECKING:  # models call saving; saving needs no model class at run time
    from .models import Model

FORMAT_VERSION = 1
_CONFIG = "config.json"


# --------------------------------------------------------------------- random state
def _seeded_layers(model: Model) -> list:
    """Leaf layers that own a random generator (Dropout with a seed), in model order."""
    found = []
    for layer in model.layers:
        if _is_model(layer):
            found += _seeded_layers(layer)
        elif getattr(layer, "_generator", None) is not None:
            found.append(layer)
    return found


def _training_state(model: Model) -> dict:
    return {"epochs_completed": model.epochs_completed,
            "global_rng": backend.rng().bit_generator.state,
            "layer_rngs": [layer._generator.bit_generator.state for layer in _seeded_layers(model)]}


def _restore_training_state(model: Model, state: dict) -> None:
    model.epochs_completed = int(state["epochs_completed"])
    backend.rng().bit_generator.state = state["global_rng"]
    seeded = _seeded_layers(model)
    if len(seeded) != len(state["layer_rngs"]):
        raise ValueError(f"The file holds {len(state['layer_rngs'])} layer random states; "
                         f"the model has {len(seeded)} seeded layers.")
    for layer, rng_state in zip(seeded, state["layer_rngs"]):
        layer._generator.bit_generator.state = rng_state


# --------------------------------------------------------------------------- writing
def _json_default(value):
    if isinstance(value, numpy.generic):
        return value.item()
    raise TypeError(f"Cannot save a value of type {type(value).__name__} in a config: {value!r}")


def _write_array(archive: zipfile.ZipFile, name: str, array) -> None:
    with archive.open(name, "w", force_zip64=True) as member:
        numpy.lib.format.write_array(member, numpy.asarray(array), allow_pickle=False)


def atomic_write(path, write) -> None:
    """Call ``write(file)`` on a temporary file beside ``path``, fsync it, then rename it to ``path``.

    On any exception the temporary file is removed and ``path`` is left as it was.
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    descriptor, temporary = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise
    fsync_directory(folder)


def _save(model: Model, path, include_optimizer: bool) -> None:
    weights = model.weights
    names = model.weight_names
    description = {
        "format_version": FORMAT_VERSION,
        "kind": "model" if include_optimizer else "weights",
        "model": serialize(model),
        "input_shape": model.input_shape,
        "weights": [{"name": name, "file": f"weights/{i}.npy", "shape": list(w.shape), "dtype": w.dtype.name}
                    for i, (name, w) in enumerate(zip(names, weights))],
    }
    state = []
    if include_optimizer:
        description["compile"] = model.get_compile_config()
        description["training"] = _training_state(model)
        if model.optimizer is not None:
            positions = {id(w): i for i, w in enumerate(weights)}
            tracked = model.optimizer._tracked
            if any(id(v) not in positions for v in tracked):
                raise ValueError(f"Optimizer '{model.optimizer.name}' tracks arrays that are not weights of model "
                                 f"'{model.name}'; its state cannot be saved with the model.")
            state = model.optimizer.variables
            description["optimizer"] = {"variables": [positions[id(v)] for v in tracked],
                                        "files": [f"optimizer/{i}.npy" for i in range(len(state))]}
    text = json.dumps(description, default=_json_default, indent=1)

    def write(file) -> None:
        with zipfile.ZipFile(file, "w", compression=zipfile.ZIP_STORED) as archive:
            archive.writestr(_CONFIG, text)
            for entry, array in zip(description["weights"], weights):
                _write_array(archive, entry["file"], array)
            for name, array in zip(description.get("optimizer", {}).get("files", []), state):
                _write_array(archive, name, array)

    atomic_write(path, write)


def _is_model(layer) -> bool:
    """Whether ``layer`` is a model: it has layers of its own."""
    return hasattr(layer, "layers")


def _format(path) -> str:
    """'keras' for a '.keras' file, 'h5' for a '.h5' one (Keras' weights), else 'redes': the extension chooses."""
    name = os.fspath(path).lower()
    return "keras" if name.endswith(".keras") else "h5" if name.endswith(".h5") else "redes"


def save_model(model: Model, path) -> None:
    """Write the architecture, weights, compile configuration, optimizer and training state to ``path``;
    a '.keras' path gets Keras 3's format (``redes.keras_format``), which ``keras.models.load_model`` opens."""
    kind = _format(path)
    if kind == "h5":
        raise ValueError(f"'{path}': a whole model is saved as .keras (Keras 3) or .redes; .h5 holds weights "
                         "(model.save_weights).")
    if kind == "keras":
        from .keras_format import save_keras
        return save_keras(model, path)
    _save(model, path, include_optimizer=True)


def save_weights(model: Model, path) -> None:
    """Write the model's weights (and its description, to check it on load) to ``path``; a '.weights.h5'
    path gets Keras 3's layout, which ``keras_model.load_weights`` reads."""
    if _format(path) == "h5":
        from .keras_format import save_weights_h5
        return save_weights_h5(model, path)
    if _format(path) == "keras":
        raise ValueError(f"'{path}': weights alone are saved as .weights.h5 (Keras 3) or .redes.")
    _save(model, path, include_optimizer=False)


# --------------------------------------------------------------------------- reading
def _npy_shape(file) -> tuple:
    """The shape in a .npy header, read without the data."""
    version = numpy.lib.format.read_magic(file)
    read_header = numpy.lib.format.read_array_header_1_0 if version == (1, 0) \
        else numpy.lib.format.read_array_header_2_0
    return read_header(file)[0]


class _ShapeError(Exception):
    """An array's header gives another shape than the architecture's (turned into a ValueError)."""


class _Reader:
    """An open model file: its description, and arrays checked against the manifest."""

    def __init__(self, path) -> None:
        self.path = os.fspath(path)
        try:
            self.archive = zipfile.ZipFile(self.path, "r")
            self.description = json.loads(self._member(_CONFIG).decode("utf-8"))
        except zipfile.BadZipFile as error:
            raise ValueError(f"'{self.path}' is not a valid redes file: truncated or corrupt zip ({error}).") from None
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise ValueError(f"'{self.path}': {_CONFIG} is not valid JSON ({error}).") from None
        version = self.description.get("format_version") if isinstance(self.description, dict) else None
        if version != FORMAT_VERSION:
            raise ValueError(f"'{self.path}' has format_version {version!r}; this version of redes reads "
                             f"format_version {FORMAT_VERSION}.")

    def _member(self, name: str) -> bytes:
        try:
            return self.archive.read(name)
        except KeyError:
            raise ValueError(f"'{self.path}' is missing the member '{name}'.") from None
        except (zipfile.BadZipFile, OSError, EOFError) as error:
            raise ValueError(f"'{self.path}': member '{name}' is truncated or corrupt ({error}).") from None

    def field(self, key: str):
        if key not in self.description:
            raise ValueError(f"'{self.path}': {_CONFIG} has no '{key}' entry.")
        return self.description[key]

    def array(self, name: str, shape: tuple, what: str):
        """Read ``name`` without pickle; raise ValueError unless it has ``shape``."""
        try:
            with self.archive.open(name) as member:  # the header first: no allocation for a wrong shape
                stored_shape = _npy_shape(member)
            if stored_shape != tuple(shape):
                raise _ShapeError(stored_shape)
            with self.archive.open(name) as member:
                array = numpy.lib.format.read_array(member, allow_pickle=False)
        except KeyError:
            raise ValueError(f"'{self.path}' is missing the member '{name}'.") from None
        except _ShapeError as error:
            raise ValueError(f"'{self.path}': {what} has shape {error.args[0]}; the model expects "
                             f"{tuple(shape)}.") from None
        except (ValueError, zipfile.BadZipFile, OSError, EOFError) as error:
            raise ValueError(f"'{self.path}': member '{name}' is not a valid .npy array ({error}).") from None
        if array.dtype.kind not in "fiu":
            raise ValueError(f"'{self.path}': {what} has dtype {array.dtype}; expected a numeric array.")
        return array

    def close(self) -> None:
        self.archive.close()


def _load_weights_into(model: Model, reader: _Reader) -> None:
    entries = reader.field("weights")
    if not model.built and reader.description.get("input_shape") is not None:
        model.build_for(tuple(reader.description["input_shape"]))
    names = model.weight_names
    weights = model.weights
    if len(entries) != len(weights):
        raise ValueError(f"'{reader.path}' holds {len(entries)} weight arrays; model '{model.name}' has "
                         f"{len(weights)}.")
    arrays = [reader.array(entry["file"], w.shape, f"weight {i} ({entry.get('name')}, for {name})")
              for i, (entry, w, name) in enumerate(zip(entries, weights, names))]
    model.set_weights(arrays)


def _load_optimizer(model: Model, reader: _Reader) -> None:
    spec = reader.description.get("optimizer")
    if spec is None or model.optimizer is None:
        return
    weights = model.weights
    if any(not isinstance(i, int) or not 0 <= i < len(weights) for i in spec["variables"]):
        raise ValueError(f"'{reader.path}': the optimizer state refers to weights the model does not have.")
    model.optimizer.build([weights[i] for i in spec["variables"]])
    current = model.optimizer.variables
    if len(current) != len(spec["files"]):
        raise ValueError(f"'{reader.path}' holds {len(spec['files'])} optimizer state arrays; optimizer "
                         f"'{model.optimizer.name}' has {len(current)}.")
    model.optimizer.set_weights([reader.array(name, target.shape, f"optimizer state array {i}")
                                 for i, (name, target) in enumerate(zip(spec["files"], current))])


def load_model(path, custom_objects: dict | None = None, compile: bool = True) -> Model:
    """Rebuild a model saved by ``model.save``: architecture, weights and, if ``compile``, the
    optimizer (with its state), loss, metrics and the training state (random generators included).

    Args:
        path: the file written by ``model.save``.
        custom_objects: ``{"ClassName": cls}`` for layers, losses, metrics or optimizers defined outside redes.
        compile: if False, return the model uncompiled and leave the random generators alone.

    Raises:
        ValueError: for an unknown format_version, a truncated or corrupt file, a missing member,
            or arrays whose shapes do not fit the architecture. FileNotFoundError if there is no file.

    Example:
        >>> from redes import Sequential, layers
        >>> model = Sequential([layers.Input((4,)), layers.Dense(2, activation="softmax")])
        >>> model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        >>> model.save("mlp.redes")
        >>> restored = load_model("mlp.redes")
        >>> restored.count_params(), restored.loss.name
        (10, 'sparse_categorical_crossentropy')
    """
    if _format(path) == "keras":
        from .keras_format import load_keras
        return load_keras(path, custom_objects, compile)
    if _format(path) == "h5":
        from .keras_format import load_h5_model
        return load_h5_model(path, custom_objects, compile)
    reader = _Reader(path)
    try:
        if reader.description.get("kind") != "model":
            raise ValueError(f"'{reader.path}' is a weights file; use model.load_weights() with it.")
        with custom_object_scope(custom_objects):
            model = deserialize(reader.field("model"), kind="layer")
            _load_weights_into(model, reader)
            compile_config = reader.description.get("compile")
            if compile and compile_config is not None:
                model.compile_from_config(compile_config)
                _load_optimizer(model, reader)
        if compile:
            _restore_training_state(model, reader.field("training"))
        return model
    except (KeyError, TypeError, AttributeError) as error:
        raise ValueError(f"'{reader.path}': the description in {_CONFIG} is invalid ({error!r}).") from None
    finally:
        reader.close()


def restore_training(model: Model, path) -> None:
    """Put the state that ``model.save`` wrote back into this compiled ``model``: the weights, the optimizer's
    state and the training state (``epochs_completed``, the global and the layers' random generators).

    What ``BackupAndRestore`` resumes from: the model goes on as if training had not stopped.
    """
    reader = _Reader(path)
    try:
        if reader.description.get("kind") != "model":
            raise ValueError(f"'{reader.path}' is a weights file; restore_training needs a file from model.save().")
        _load_weights_into(model, reader)
        _load_optimizer(model, reader)
        _restore_training_state(model, reader.field("training"))
    except (KeyError, TypeError, AttributeError) as error:
        raise ValueError(f"'{reader.path}': the description in {_CONFIG} is invalid ({error!r}).") from None
    finally:
        reader.close()


def load_weights(model: Model, path) -> None:
    """Load weights saved by ``save_weights`` (or ``save``) into ``model``, checking every shape; a '.h5' file
    is read in Keras 3's layout (``keras_model.save_weights``)."""
    if _format(path) == "h5":
        from .keras_format import load_weights_h5
        return load_weights_h5(model, path)
    reader = _Reader(path)
    try:
        _load_weights_into(model, reader)
    except (KeyError, TypeError, AttributeError) as error:
        raise ValueError(f"'{reader.path}': the description in {_CONFIG} is invalid ({error!r}).") from None
    finally:
        reader.close()
