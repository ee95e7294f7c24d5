"""Conversions in memory, when Keras is installed: ``redes.from_keras(keras_model)`` and ``model.to_keras()``,
through the same ``.keras`` format as the files (written to a temporary folder and read back)."""

from __future__ import annotations

import os
import tempfile

from .archive import load_keras, save_keras


def from_keras(keras_model, compile: bool = True, custom_objects: dict | None = None):
    """The redes model equal to ``keras_model`` (a Keras 3 Sequential or functional model): the same
    architecture and weights and, if ``compile``, its compile arguments and optimizer state.

    Example:
        >>> ours = redes.from_keras(keras_model)
        >>> np.allclose(ours.predict(x), keras_model.predict(x))
        True
    """
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.keras")
        keras_model.save(path)
        return load_keras(path, custom_objects, compile)


def to_keras(model, compile: bool = True):
    """The Keras 3 model equal to the redes ``model`` (see ``from_keras``); needs Keras (TensorFlow) installed."""
    try:
        import keras
    except ImportError:
        raise ImportError("model.to_keras() needs Keras 3: pip install 'redes[tf]' (or pip install keras "
                          "tensorflow).") from None
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.keras")
        save_keras(model, path)
        return keras.models.load_model(path, compile=compile)
