"""Where dataset files are looked for, and their download into the user cache when they are nowhere."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from .download import Checksum, download_verified

SYSTEM_DIR = Path("/usr/share/datasets")


def cache_dir(name: str) -> Path:
    """``$XDG_CACHE_HOME/redes/<name>``, or ``~/.cache/redes/<name>``."""
    root = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(root) / "redes" / name


def candidate_dirs(name: str, path=None) -> list[Path]:
    """The folders searched, in order: ``path`` alone if given; else ``$REDES_DATA/<name>``,
    ``/usr/share/datasets/<name>`` (Debian's dataset packages) and the user cache."""
    if path is not None:
        return [Path(path)]
    dirs = [Path(os.environ["REDES_DATA"]) / name] if os.environ.get("REDES_DATA") else []
    return [*dirs, SYSTEM_DIR / name, cache_dir(name)]


def locate(name: str, files: Mapping[str, Checksum], sources: Sequence[str], path=None,
           download: bool = True, verbose: bool = True) -> Path:
    """The first candidate folder holding every one of ``files``; else download them into the cache.

    Args:
        name: the dataset's folder name ('mnist').
        files: file name -> expected checksum.
        sources: base URLs, each followed by a file name; the first is tried first, then the mirrors.
        path: a folder to use instead of the search (nothing is downloaded then).
        download: whether to download missing files into the cache.
        verbose: show a progress bar per download.

    Raises:
        FileNotFoundError: the files are nowhere and ``download`` is False or ``path`` was given.
        OSError: a download failed from every source.
    """
    dirs = candidate_dirs(name, path)
    for directory in dirs:
        if all((directory / file).is_file() for file in files):
            return directory
    if not download or path is not None:
        raise FileNotFoundError(
            f"{name}: the files {', '.join(files)} were not found in: {', '.join(str(d) for d in dirs)}. "
            f"Put them in one of these folders, set REDES_DATA to a folder with a '{name}' subfolder"
            + (", or pass download=True." if path is None else ", or leave out `path` to search and download."))
    cache = dirs[-1]
    for file, checksum in files.items():
        if not (cache / file).is_file():
            download_verified([base + file for base in sources], cache / file, checksum, verbose=verbose)
    return cache
