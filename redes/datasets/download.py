"""Download of dataset files: progress bar, mirror fallback, checksum before the file appears, atomic write."""

from __future__ import annotations

import gzip
import hashlib
import http.client
import os
import tempfile
import urllib.error
import urllib.request
import zlib
from dataclasses import dataclass
from pathlib import Path

from tqdm.auto import tqdm

from .._files import fsync_directory

_CHUNK = 1 << 16
_TIMEOUT_SECONDS = 60


@dataclass(frozen=True)
class Checksum:
    """The expected digest of a file.

    Args:
        hexdigest: the digest in hexadecimal.
        algorithm: a ``hashlib`` name ('sha256').
        decompressed: digest of the gzip-decompressed content (the IDX ``.gz`` files, whose gzip
            wrappers differ between mirrors) rather than of the file's bytes (the CIFAR-10 archive).
    """

    hexdigest: str
    algorithm: str = "sha256"
    decompressed: bool = False

    def of(self, path: Path) -> str:
        """The digest of ``path`` by this rule; raises OSError/EOFError for a truncated gzip stream."""
        digest = hashlib.new(self.algorithm)
        opener = gzip.open if self.decompressed else open
        with opener(path, "rb") as handle:
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
        return digest.hexdigest()

    def describe(self) -> str:
        return f"{self.algorithm.upper()} of the {'decompressed content' if self.decompressed else 'file'}"


def _fetch(url: str, destination: Path, label: str, verbose: bool) -> None:
    """Stream ``url`` into ``destination`` (an already created temporary file) and fsync it; ``label`` names the bar."""
    with open(destination, "wb") as out, urllib.request.urlopen(url, timeout=_TIMEOUT_SECONDS) as response:
        total = int(response.headers.get("Content-Length") or 0) or None
        with tqdm(total=total, unit="B", unit_scale=True, desc=label, disable=not verbose) as bar:
            received = 0
            while chunk := response.read(_CHUNK):
                out.write(chunk)
                received += len(chunk)
                bar.update(len(chunk))
        if total is not None and received != total:
            raise OSError(f"the connection closed after {received} of {total} bytes")
        out.flush()
        os.fsync(out.fileno())


def download_verified(urls: list[str], destination: Path, checksum: Checksum, verbose: bool = True) -> Path:
    """Download ``destination`` from the first of ``urls`` that gives a file matching ``checksum``.

    Each attempt writes a temporary file in the destination's folder, checks it, and only then renames
    it to ``destination``: an interrupted or corrupt download never leaves a file under the final name.
    A failure (HTTP error, broken connection, truncated gzip, wrong digest) moves on to the next URL.

    Raises:
        OSError: no URL gave a correct file; the message lists each URL and why it failed.
    """
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    failures = []
    for url in urls:
        handle, name = tempfile.mkstemp(dir=destination.parent, prefix=f".{destination.name}.", suffix=".part")
        os.close(handle)
        temporary = Path(name)
        try:
            _fetch(url, temporary, destination.name, verbose)
            actual = checksum.of(temporary)
            if actual != checksum.hexdigest:
                failures.append(f"{url}: {checksum.describe()} is {actual}, expected {checksum.hexdigest}")
                continue
            os.replace(temporary, destination)
            fsync_directory(destination.parent)
            return destination
        except (urllib.error.URLError, http.client.HTTPException, OSError, EOFError, zlib.error) as error:
            failures.append(f"{url}: {error}")
        finally:
            temporary.unlink(missing_ok=True)
    raise OSError(f"Could not download {destination.name} into {destination.parent}. Tried:\n  "
                  + "\n  ".join(failures)
                  + f"\nCheck the network connection, or download the file by hand and put it in {destination.parent}.")
