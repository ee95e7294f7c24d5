"""Datasets in the shape of ``keras.datasets``: ((x_train, y_train), (x_test, y_test)), uint8 arrays.

Loaders: ``load_mnist``, ``load_fashion_mnist`` (IDX files) and ``load_cifar10`` (the binary archive).
Each looks for its files in ``path``, else in ``$REDES_DATA/<name>/``, ``/usr/share/datasets/<name>/`` and
the user cache (``$XDG_CACHE_HOME/redes/<name>`` or ``~/.cache/redes/<name>``), else downloads them into
the cache, and checks every file by SHA-256. The helpers in ``preprocessing`` prepare the arrays.

Example:
    >>> from redes import datasets
    >>> (x_train, y_train), (x_test, y_test) = datasets.load_fashion_mnist()
    >>> x_train = datasets.scale_images(datasets.add_channel_axis(x_train))   # (60000, 28, 28, 1) float32
    >>> (x_train, y_train), (x_val, y_val) = datasets.train_validation_split(x_train, y_train, 5000)
"""

from . import cifar10, fashion_mnist, mnist  # Keras' module names: mnist.load_data(), ...
from .cifar10 import CIFAR10_CLASS_NAMES, load_cifar10, parse_cifar10_batch, read_cifar10_archive
from .idx import parse_idx, read_idx
from .mnist import FASHION_MNIST_CLASS_NAMES, load_fashion_mnist, load_mnist
from .preprocessing import add_channel_axis, scale_images, to_categorical, train_validation_split

__all__ = [
    "CIFAR10_CLASS_NAMES", "FASHION_MNIST_CLASS_NAMES", "add_channel_axis", "cifar10", "fashion_mnist", "mnist", "load_cifar10", "load_fashion_mnist",
    "load_mnist", "parse_cifar10_batch", "parse_idx", "read_cifar10_archive", "read_idx", "scale_images",
    "to_categorical", "train_validation_split",
]
