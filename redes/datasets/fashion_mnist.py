"""Keras' module name ``keras.datasets.fashion_mnist``: ``load_data()`` gives Fashion-MNIST (see ``mnist.py``)."""

from __future__ import annotations

from .mnist import load_fashion_mnist


def load_data(path=None):
    """Keras' ``keras.datasets.fashion_mnist.load_data()``: ``load_fashion_mnist(path)``, the same arrays.

    Example:
        >>> (x_train, y_train), (x_test, y_test) = load_data()
    """
    return load_fashion_mnist(path)
