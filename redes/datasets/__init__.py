"""Datasets in the shape of ``keras.datasets``: ((x_train, y_train), (x_test, y_test))."""

from __future__ import annotations

import os
from pathlib import Path

from .download import download_verified
from .idx import parse_idx, read_idx

_FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}

_SOURCES = {
    "mnist": ["https://storage.googleapis.com/cvdf-datasets/mnist/"],
    "fashion-mnist": ["https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
                      "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"],
}

# SHA-256 of the decompressed files (the .gz wrappers differ between mirrors, the content does not).
_SHA256 = {
    ("mnist", "train-images-idx3-ubyte.gz"): "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    ("mnist", "train-labels-idx1-ubyte.gz"): "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    ("mnist", "t10k-images-idx3-ubyte.gz"): "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    ("mnist", "t10k-labels-idx1-ubyte.gz"): "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    ("fashion-mnist", "train-images-idx3-ubyte.gz"): "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    ("fashion-mnist", "train-labels-idx1-ubyte.gz"): "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    ("fashion-mnist", "t10k-images-idx3-ubyte.gz"): "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    ("fashion-mnist", "t10k-labels-idx1-ubyte.gz"): "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
}

FASHION_MNIST_CLASS_NAMES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                             "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")


def _candidate_dirs(name: str, path) -> list[Path]:
    if path is not None:
        return [Path(path)]
    dirs = []
    if os.environ.get("REDES_DATA"):
        dirs.append(Path(os.environ["REDES_DATA"]) / name)
    dirs.append(Path("/usr/share/datasets") / name)
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "redes" / name
    dirs.append(cache)
    return dirs


def _find_or_download(name: str, path, download: bool, verbose: bool) -> Path:
    dirs = _candidate_dirs(name, path)
    needed = [file for pair in _FILES.values() for file in pair]
    for directory in dirs:
        if all((directory / file).is_file() for file in needed):
            return directory
    if not download or path is not None:
        searched = ", ".join(str(d) for d in dirs)
        raise FileNotFoundError(
            f"{name}: the four IDX files ({', '.join(needed)}) were not found in: {searched}. "
            f"Put them there, set REDES_DATA to a folder with a '{name}' subfolder, or pass download=True."
        )
    cache = dirs[-1]
    for file in needed:
        if not (cache / file).is_file():
            urls = [base + file for base in _SOURCES[name]]
            download_verified(urls, cache / file, _SHA256[(name, file)], verbose=verbose)
    return cache


def _load(name: str, path=None, download: bool = True, verbose: bool = True):
    directory = _find_or_download(name, path, download, verbose)
    (x_train, y_train), (x_test, y_test) = (
        tuple(read_idx(directory / file) for file in _FILES[split]) for split in ("train", "test"))
    return (x_train, y_train), (x_test, y_test)


def load_mnist(path=None, download: bool = True, verbose: bool = True):
    """MNIST digits: ((x_train (60000, 28, 28) uint8, y_train (60000,) uint8), (x_test, y_test)).

    Files are looked for in ``path``; else ``$REDES_DATA/mnist/``, ``/usr/share/datasets/mnist/``
    and the user cache (``$XDG_CACHE_HOME/redes`` or ``~/.cache/redes``); else downloaded into
    the cache and verified by SHA-256.
    """
    return _load("mnist", path, download, verbose)


def load_fashion_mnist(path=None, download: bool = True, verbose: bool = True):
    """Fashion-MNIST: same shapes and search order as ``load_mnist``; names in ``FASHION_MNIST_CLASS_NAMES``."""
    return _load("fashion-mnist", path, download, verbose)


__all__ = ["load_mnist", "load_fashion_mnist", "read_idx", "parse_idx", "FASHION_MNIST_CLASS_NAMES"]
