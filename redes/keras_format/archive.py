"""The ``.keras`` file (a zip of ``metadata.json``, ``config.json`` and ``model.weights.h5``) and the
``.weights.h5`` file, read and written as Keras 3 does; h5py is the optional extra ``redes[keras]``."""

from __future__ import annotations

import datetime
import io
import json
import os
import zipfile

import numpy as np

from .. import serialization
from .config import from_keras, to_keras
from .legacy import is_legacy, load_legacy_h5, read_legacy_weights
from .weights import assign_all, keras_optimizer_state, set_optimizer_state, variable_groups

KERAS_VERSION = "3.15.1"  # the Keras version whose format redes writes (the metadata Keras checks)
_METADATA, _CONFIG, _WEIGHTS = "metadata.json", "config.json", "model.weights.h5"


def _h5py():
    try:
        import h5py
    except ImportError:
        raise ImportError("Reading and writing Keras files (.keras, .weights.h5, .h5) needs h5py: "
                          "pip install 'redes[keras]' (or pip install h5py).") from None
    return h5py


# ====================================================================== writing
def save_keras(model, path) -> None:
    """Write ``model`` as a ``.keras`` file that ``keras.models.load_model`` opens: the architecture, the
    compile configuration and the weights, with the optimizer's state when it has one."""
    from ..saving import atomic_write
    config = to_keras(model)
    compile_config = model.get_compile_config()
    if compile_config is not None:
        config["compile_config"] = {**_to_keras_compile(compile_config), "run_eagerly": False,
                                    "steps_per_execution": 1, "jit_compile": False}
    metadata = {"keras_version": KERAS_VERSION, "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S")}
    weights = _weights_file(model, include_optimizer=compile_config is not None)

    def write(file) -> None:
        with zipfile.ZipFile(file, "w", compression=zipfile.ZIP_STORED) as archive:
            archive.writestr(_METADATA, json.dumps(metadata))
            archive.writestr(_CONFIG, json.dumps(config))
            archive.writestr(_WEIGHTS, weights)

    atomic_write(path, write)


def save_weights_h5(model, path) -> None:
    """Write the weights alone in Keras 3's ``.weights.h5`` layout (``keras_model.load_weights`` reads it)."""
    from ..saving import atomic_write
    data = _weights_file(model, include_optimizer=False)
    atomic_write(path, lambda file: file.write(data))


def _weights_file(model, include_optimizer: bool) -> bytes:
    h5py = _h5py()
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as file:
        for path, arrays, keras_only in variable_groups(model):
            group = file.require_group(path)
            for index, array in enumerate([*arrays, *keras_only]):
                group.create_dataset(str(index), data=np.asarray(array))
        if include_optimizer and model.optimizer is not None and model.optimizer.variables[1:]:
            group = file.require_group("optimizer/vars")
            group.attrs["name"] = model.optimizer.name
            for index, array in enumerate(keras_optimizer_state(model.optimizer, model.trainable_weights)):
                group.create_dataset(str(index), data=np.asarray(array))
    return buffer.getvalue()


def _to_keras_compile(config: dict) -> dict:
    from .config import _spec_to_keras
    return {"optimizer": _spec_to_keras(config["optimizer"]), "loss": _spec_to_keras(config["loss"]),
            "loss_weights": config.get("loss_weights"), "metrics": _spec_to_keras(config.get("metrics")),
            "weighted_metrics": _spec_to_keras(config.get("weighted_metrics"))}


# ====================================================================== reading
def load_keras(path, custom_objects: dict | None = None, compile: bool = True):
    """The model a ``.keras`` file holds (saved by Keras 3 or by redes), with its weights and, if
    ``compile``, its compile configuration and optimizer state."""
    h5py = _h5py()
    try:
        archive = zipfile.ZipFile(path)
    except FileNotFoundError:
        raise
    except (zipfile.BadZipFile, OSError) as error:
        raise ValueError(f"'{path}' is not a valid .keras file (not a zip archive: {error}).") from None
    with archive:
        names = set(archive.namelist())
        missing = [name for name in (_CONFIG, _WEIGHTS) if name not in names]
        if missing:
            raise ValueError(f"'{path}' is not a complete .keras file: it lacks {', '.join(missing)}.")
        try:
            config = json.loads(archive.read(_CONFIG))
            metadata = json.loads(archive.read(_METADATA)) if _METADATA in names else {}
            weights = archive.read(_WEIGHTS)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as error:
            raise ValueError(f"'{path}' is corrupt or truncated ({error}).") from None
    version = str(metadata.get("keras_version", "3"))
    if not version.startswith("3"):
        raise ValueError(f"'{path}' was written by Keras {version}; redes reads the .keras format of Keras 3 "
                         "(a Keras 2 model is read from its .h5 file).")
    with serialization.custom_object_scope(custom_objects):
        model = serialization.deserialize(from_keras(config), kind="layer")
        try:
            file = h5py.File(io.BytesIO(weights), "r")
        except OSError as error:
            raise ValueError(f"'{path}': {_WEIGHTS} is corrupt or truncated ({error}).") from None
        with file:
            _read_weights(model, file, f"'{path}'")
            compile_config = config.get("compile_config")
            if compile and compile_config:
                model.compile_from_config(_from_keras_compile(compile_config))
                if "optimizer/vars" in file:
                    group = file["optimizer/vars"]
                    arrays = [np.asarray(group[str(i)]) for i in range(len(group))]
                    set_optimizer_state(model.optimizer, model.trainable_weights, arrays, f"'{path}'")
    return model


def load_weights_h5(model, path) -> None:
    """Read a ``.weights.h5`` file (``keras_model.save_weights`` in Keras 3) or a Keras 2 ``.h5`` (weights or
    a whole model) into ``model``."""
    with _open_h5(path) as file:
        if is_legacy(file):
            read_legacy_weights(model, file["model_weights"] if "model_weights" in file else file, f"'{path}'")
        else:
            _read_weights(model, file, f"'{path}'")


def load_h5_model(path, custom_objects: dict | None = None, compile: bool = True):
    """The model of a Keras 2 ``.h5`` file (see ``legacy``)."""
    with _open_h5(path) as file:
        return load_legacy_h5(file, f"'{path}'", custom_objects, compile)


def _open_h5(path):
    h5py = _h5py()
    try:
        return h5py.File(path, "r")
    except FileNotFoundError:
        raise
    except OSError as error:
        if not os.path.exists(path):
            raise FileNotFoundError(f"No such file: '{path}'") from None
        raise ValueError(f"'{path}' is not a valid .h5 file ({error}).") from None


def _read_weights(model, file, where: str) -> None:
    """Every weight of ``model`` from its Keras path in the h5 ``file``; all shapes checked before any is set."""
    values = []
    for path, arrays, keras_only in variable_groups(model):
        if path not in file:
            raise ValueError(f"{where} has no weights at '{path}' (expected {len(arrays)} arrays of shapes "
                             f"{[tuple(a.shape) for a in arrays]}): the file is for another architecture.")
        group = file[path]
        if len(group) != len(arrays) + len(keras_only):
            raise ValueError(f"{where} holds {len(group)} arrays at '{path}'; the layer has "
                             f"{len(arrays) + len(keras_only)}.")
        values += [(target, np.asarray(group[str(index)]), f"the array '{path}/{index}'")
                   for index, target in enumerate(arrays)]
    assign_all(values, where)


def _from_keras_compile(config: dict) -> dict:
    return {key: from_keras(value) for key, value in config.items()
            if key in ("optimizer", "loss", "loss_weights", "metrics", "weighted_metrics")}
