"""Keras 3's files, read and written: ``.keras`` models and ``.weights.h5`` weights (optional extra
``redes[keras]``, which is h5py).

``config`` translates the model description, ``weights`` knows where Keras keeps each array (and the
optimizer's state), ``archive`` reads and writes the files, ``legacy`` reads Keras 2's ``.h5`` files, ``convert``
turns a model into the other library's in memory. ``redes.load_model``, ``model.save``,
``model.save_weights`` and ``model.load_weights`` choose this format by the file's extension.
"""

from .archive import load_h5_model, load_keras, load_weights_h5, save_keras, save_weights_h5
from .convert import from_keras, to_keras

__all__ = ["from_keras", "load_h5_model", "load_keras", "load_weights_h5", "save_keras", "save_weights_h5", "to_keras"]
