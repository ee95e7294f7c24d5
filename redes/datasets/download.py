"""Download of dataset files over HTTPS: progress bar, mirror fallback, SHA-256 check, atomic write."""

from __future__ import annotations

import gzip
import hashlib
import os
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

from tqdm.auto import tqdm

_CHUNK = 1 << 16


def _fetch(url: str, destination: Path, verbose: bool) -> None:
    """Stream ``url`` into a temporary file beside ``destination``, then rename it into place."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=destination.parent, prefix=f".{destination.name}.", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as out, urllib.request.urlopen(url, timeout=60) as response:
            total = int(response.headers.get("Content-Length") or 0) or None
            with tqdm(total=total, unit="B", unit_scale=True, desc=destination.name, disable=not verbose) as bar:
                while chunk := response.read(_CHUNK):
                    out.write(chunk)
                    bar.update(len(chunk))
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, destination)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def content_sha256(path: Path) -> str:
    """SHA-256 of the decompressed content of a .gz file."""
    digest = hashlib.sha256()
    with gzip.open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def download_verified(urls: list[str], destination: Path, sha256: str, verbose: bool = True) -> Path:
    """Try each URL in turn until one gives a file whose decompressed content has ``sha256``."""
    failures = []
    for url in urls:
        try:
            _fetch(url, destination, verbose)
            actual = content_sha256(destination)
        except (urllib.error.URLError, OSError, EOFError) as error:
            failures.append(f"{url}: {error}")
            destination.unlink(missing_ok=True)
            continue
        if actual == sha256:
            return destination
        failures.append(f"{url}: SHA-256 of the content is {actual}, expected {sha256}")
        destination.unlink(missing_ok=True)
    raise OSError(f"Could not download {destination.name}. Tried:\n  " + "\n  ".join(failures))
