"""CIFAR-10 from its binary distribution (``cifar-10-binary.tar.gz``): no pickle, read straight from the archive.

The archive holds ``cifar-10-batches-bin/`` with ``data_batch_1.bin`` … ``data_batch_5.bin`` (10,000
images each), ``test_batch.bin`` (10,000) and ``batches.meta.txt`` (the class names, one a line).
Each record is 3073 bytes: the label (one byte, 0–9), then the 32×32 image as 1024 red, 1024 green
and 1024 blue bytes, each plane row by row (CHW).
"""

from __future__ import annotations

import tarfile
import zlib
from collections.abc import Sequence

import numpy

from ._locate import locate
from .download import Checksum

ARCHIVE = "cifar-10-binary.tar.gz"
FOLDER = "cifar-10-batches-bin"
TRAIN_BATCHES = tuple(f"data_batch_{i}.bin" for i in range(1, 6))
TEST_BATCH = "test_batch.bin"
SOURCES = ("https://www.cs.toronto.edu/~kriz/",
           "https://storage.googleapis.com/s4tf-hosted-binaries/datasets/CIFAR10/")
# SHA-256 of the archive itself (170,052,171 bytes; its MD5, as published upstream, c32a1d4ab5d03f1284b67883e8d87530).
SHA256 = "c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd"

CIFAR10_CLASS_NAMES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")

_SIDE, _CHANNELS = 32, 3
_RECORD = 1 + _CHANNELS * _SIDE * _SIDE


def parse_cifar10_batch(content: bytes, source: str = "<bytes>") -> tuple[numpy.ndarray, numpy.ndarray]:
    """Decode one binary batch: images (N, 32, 32, 3) uint8 NHWC and labels (N,) uint8.

    Raises:
        ValueError: the size is not a whole number of 3073-byte records, or a label is not in 0–9.

    Example:
        >>> images, labels = parse_cifar10_batch(bytes([3]) + bytes(3072))   # one record: a black 'cat'
        >>> images.shape, labels
        ((1, 32, 32, 3), array([3], dtype=uint8))
    """
    if not content or len(content) % _RECORD:
        raise ValueError(f"{source}: a CIFAR-10 batch is a whole number of {_RECORD}-byte records; it has "
                         f"{len(content)} bytes. The archive is truncated or corrupt: delete it and download it again.")
    records = numpy.frombuffer(content, dtype=numpy.uint8).reshape(-1, _RECORD)
    labels = records[:, 0].copy()
    if labels.max() >= len(CIFAR10_CLASS_NAMES):
        raise ValueError(f"{source}: labels must be in 0–9. Received a label {labels.max()}: the archive is corrupt.")
    # (N, C·H·W) -> (N, C, H, W) -> (N, H, W, C)
    images = records[:, 1:].reshape(-1, _CHANNELS, _SIDE, _SIDE).transpose(0, 2, 3, 1)
    return numpy.ascontiguousarray(images), labels


def read_cifar10_archive(path):
    """((x_train, y_train), (x_test, y_test)) from a ``cifar-10-binary.tar.gz``, read in one pass, nothing extracted.

    Shapes as ``load_cifar10``: images (N, 32, 32, 3) uint8 NHWC, labels (N,) uint8.

    Example:
        >>> (x_train, y_train), (x_test, y_test) = read_cifar10_archive("cifar-10-binary.tar.gz")
        >>> x_train.shape, y_test.shape
        ((50000, 32, 32, 3), (10000,))
    """
    wanted = {f"{FOLDER}/{name}" for name in (*TRAIN_BATCHES, TEST_BATCH)}
    contents = {}
    try:
        with tarfile.open(path, "r:gz") as archive:
            for member in archive:
                if member.name in wanted and member.isfile():
                    contents[member.name.split("/")[-1]] = archive.extractfile(member).read()
    except (tarfile.TarError, OSError, EOFError, zlib.error) as error:
        raise ValueError(f"Cannot read {path}: {error}. The archive is truncated or corrupt: "
                         "delete it and download it again.") from error
    missing = sorted(name for name in wanted if name.split("/")[-1] not in contents)
    if missing:
        raise ValueError(f"{path} lacks {', '.join(missing)}: it is not the CIFAR-10 binary archive "
                         f"({ARCHIVE}). Delete it and download it again.")
    batches = [parse_cifar10_batch(contents[name], f"{path}:{name}") for name in TRAIN_BATCHES]
    x_train = numpy.concatenate([images for images, _ in batches])
    y_train = numpy.concatenate([labels for _, labels in batches])
    return (x_train, y_train), parse_cifar10_batch(contents[TEST_BATCH], f"{path}:{TEST_BATCH}")


def _load_cifar10(path, download: bool, verbose: bool, sources: Sequence[str], sha256: str):
    """Locate (or download from ``sources``) the archive, check its SHA-256, read it."""
    checksum = Checksum(sha256)
    directory = locate("cifar10", {ARCHIVE: checksum}, sources, path, download, verbose)
    archive = directory / ARCHIVE
    if (actual := checksum.of(archive)) != sha256:
        raise ValueError(f"{archive}: its SHA-256 is {actual}, expected {sha256}. The file is corrupt or not the "
                         "official archive: delete it and download it again.")
    return read_cifar10_archive(archive)


def load_cifar10(path=None, download: bool = True, verbose: bool = True):
    """CIFAR-10: ((x_train, y_train), (x_test, y_test)), as ``keras.datasets.cifar10.load_data()``.

    Args:
        path: a folder holding ``cifar-10-binary.tar.gz``; without it the archive is looked for in
            ``$REDES_DATA/cifar10/``, ``/usr/share/datasets/cifar10/`` and the user cache
            (``$XDG_CACHE_HOME/redes/cifar10`` or ``~/.cache/redes/cifar10``).
        download: if it is nowhere, download it (162 MB) into the cache.
        verbose: show the download progress.

    Returns:
        x_train (50000, 32, 32, 3) uint8 NHWC, y_train (50000,) uint8, x_test (10000, 32, 32, 3),
        y_test (10000,). Keras returns labels of shape (N, 1); here they are (N,), as for MNIST.
        Class names, in label order: ``CIFAR10_CLASS_NAMES``.

    Example:
        >>> (x_train, y_train), (x_test, y_test) = load_cifar10()
        >>> x_train.shape, y_train.shape
        ((50000, 32, 32, 3), (50000,))
        >>> x_train = scale_images(x_train)   # float32 in [0, 1], the same shape
    """
    return _load_cifar10(path, download, verbose, SOURCES, SHA256)


def load_data(path=None):
    """Keras' ``keras.datasets.cifar10.load_data()``: ``load_cifar10(path)``, the same arrays.

    Example:
        >>> (x_train, y_train), (x_test, y_test) = load_data()
    """
    return load_cifar10(path)
