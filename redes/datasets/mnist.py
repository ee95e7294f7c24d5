"""MNIST and Fashion-MNIST: 28×28 grey images in 10 classes, read from the four IDX files of each."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy

from ._locate import locate
from .download import Checksum
from .idx import read_idx

_TRAIN = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz")
_TEST = ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")

SOURCES = {
    "mnist": ("https://storage.googleapis.com/cvdf-datasets/mnist/",),
    "fashion-mnist": ("https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
                      "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"),
}

# SHA-256 of the decompressed files: the .gz wrappers differ between mirrors, the content does not.
CHECKSUMS = {
    "mnist": {
        "train-images-idx3-ubyte.gz": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        "train-labels-idx1-ubyte.gz": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        "t10k-images-idx3-ubyte.gz": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        "t10k-labels-idx1-ubyte.gz": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    },
    "fashion-mnist": {
        "train-images-idx3-ubyte.gz": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        "train-labels-idx1-ubyte.gz": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        "t10k-images-idx3-ubyte.gz": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
        "t10k-labels-idx1-ubyte.gz": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    },
}

FASHION_MNIST_CLASS_NAMES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                             "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")


def _read_pair(directory, images_file: str, labels_file: str, sha256: Mapping[str, str]):
    """Images (N, H, W) and labels (N,) from two IDX files, with shapes checked against each other."""
    images = read_idx(directory / images_file, sha256[images_file])
    labels = read_idx(directory / labels_file, sha256[labels_file])
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels) or images.dtype != numpy.uint8:
        raise ValueError(f"{directory}: {images_file} must hold uint8 images (N, H, W) and {labels_file} the N "
                         f"labels. Received shapes {images.shape} and {labels.shape}: delete both files and "
                         "download them again.")
    return images, labels


def _load_idx_dataset(name: str, path, download: bool, verbose: bool, sources: Sequence[str],
                      sha256: Mapping[str, str]):
    """Locate (or download from ``sources``) and read the four IDX files, each verified by ``sha256``."""
    checksums = {file: Checksum(digest, decompressed=True) for file, digest in sha256.items()}
    directory = locate(name, checksums, sources, path, download, verbose)
    return _read_pair(directory, *_TRAIN, sha256), _read_pair(directory, *_TEST, sha256)


def load_mnist(path=None, download: bool = True, verbose: bool = True):
    """MNIST digits: ((x_train, y_train), (x_test, y_test)), as ``keras.datasets.mnist.load_data()``.

    Args:
        path: a folder holding the four ``.gz`` IDX files; without it they are looked for in
            ``$REDES_DATA/mnist/``, ``/usr/share/datasets/mnist/`` and the user cache
            (``$XDG_CACHE_HOME/redes/mnist`` or ``~/.cache/redes/mnist``).
        download: if the files are nowhere, download them into the cache (with a progress bar,
            falling back on the mirrors).
        verbose: show the download progress.

    Returns:
        x_train (60000, 28, 28) uint8, y_train (60000,) uint8, x_test (10000, 28, 28), y_test (10000,).
        Every file is checked by the SHA-256 of its content; a corrupt one raises a ValueError naming it.

    Example:
        >>> (x_train, y_train), (x_test, y_test) = load_mnist()
        >>> x_train = scale_images(add_channel_axis(x_train))   # (60000, 28, 28, 1) float32 in [0, 1]
    """
    return _load_idx_dataset("mnist", path, download, verbose, SOURCES["mnist"], CHECKSUMS["mnist"])


def load_fashion_mnist(path=None, download: bool = True, verbose: bool = True):
    """Fashion-MNIST (Zalando): the same shapes, search order and checks as ``load_mnist``.

    Class names, in label order: ``FASHION_MNIST_CLASS_NAMES``. The classic validation split keeps
    the last 5,000 training images apart: ``train_validation_split(x_train, y_train, 5000)``.

    Returns:
        x_train (60000, 28, 28) uint8, y_train (60000,) uint8, x_test (10000, 28, 28), y_test (10000,).

    Example:
        >>> (x_train, y_train), (x_test, y_test) = load_fashion_mnist()
        >>> x_train.shape, FASHION_MNIST_CLASS_NAMES[y_train[0]]
        ((60000, 28, 28), 'Ankle boot')
    """
    return _load_idx_dataset("fashion-mnist", path, download, verbose, SOURCES["fashion-mnist"],
                             CHECKSUMS["fashion-mnist"])


def load_data(path=None):
    """Keras' ``keras.datasets.mnist.load_data()``: ``load_mnist(path)``, the same arrays.

    Example:
        >>> (x_train, y_train), (x_test, y_test) = load_data()
    """
    return load_mnist(path)
