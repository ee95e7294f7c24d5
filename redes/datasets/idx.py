"""Reader for the IDX format of MNIST and Fashion-MNIST (optionally gzip-compressed)."""

from __future__ import annotations

import gzip
import hashlib
import os
import zlib

import numpy

_DTYPES = {0x08: numpy.uint8, 0x09: numpy.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def parse_idx(content: bytes, source: str = "<bytes>") -> numpy.ndarray:
    """Decode IDX bytes: magic 0x0000TTDD (T type, D dimensions), D big-endian uint32 sizes, then data.

    Returns an array of the shape the header gives (images (N, 28, 28), labels (N,)), in native byte order.

    Example:
        >>> parse_idx(bytes([0, 0, 0x08, 1, 0, 0, 0, 3, 7, 8, 9]))   # uint8, one dimension of size 3
        array([7, 8, 9], dtype=uint8)
    """
    if len(content) < 4 or content[0] != 0 or content[1] != 0 or content[2] not in _DTYPES:
        raise ValueError(f"{source} is not an IDX file: bad magic number {content[:4].hex() or 'none'}.")
    dtype = numpy.dtype(_DTYPES[content[2]])
    ndim = content[3]
    header = 4 + 4 * ndim
    if ndim == 0 or len(content) < header:
        raise ValueError(f"{source}: truncated IDX header ({len(content)} bytes for {ndim} dimensions).")
    shape = tuple(int(d) for d in numpy.frombuffer(content, dtype=">u4", count=ndim, offset=4))
    expected = header + dtype.itemsize * int(numpy.prod(shape))
    if len(content) != expected:
        raise ValueError(
            f"{source}: IDX data of shape {shape} needs {expected} bytes, the file has {len(content)}. "
            "The file is truncated or corrupt: delete it and download it again."
        )
    return numpy.frombuffer(content, dtype=dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def read_idx(path: str | os.PathLike, sha256: str | None = None) -> numpy.ndarray:
    """Read an ``.idx`` or ``.idx.gz`` file into an array (uint8 images (N, 28, 28) or labels (N,)).

    Args:
        path: the file; gzip-compressed or not (told by its first two bytes).
        sha256: if given, the expected SHA-256 of the (decompressed) IDX content.

    Raises:
        ValueError: the file cannot be decompressed, is not IDX, is truncated, or has another SHA-256;
            the message names the file and says to delete it and download it again.

    Example:
        >>> import gzip, os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "labels-idx1-ubyte.gz")
        >>> with gzip.open(path, "wb") as file:
        ...     _ = file.write(bytes([0, 0, 0x08, 1, 0, 0, 0, 3, 7, 8, 9]))
        >>> read_idx(path)
        array([7, 8, 9], dtype=uint8)
    """
    path = os.fspath(path)
    try:
        with open(path, "rb") as handle:
            content = handle.read()
        if content[:2] == b"\x1f\x8b":
            content = gzip.decompress(content)
    except (OSError, EOFError, zlib.error) as error:
        raise ValueError(f"Cannot read {path}: {error}. The file is truncated or corrupt: "
                         "delete it and download it again.") from error
    if sha256 is not None and (actual := hashlib.sha256(content).hexdigest()) != sha256:
        raise ValueError(f"{path}: the SHA-256 of its content is {actual}, expected {sha256}. The file is corrupt "
                         "or not the official one: delete it and download it again.")
    return parse_idx(content, source=path)
