"""Reader for the IDX format of MNIST and Fashion-MNIST (optionally gzip-compressed)."""

from __future__ import annotations

import gzip
import os

import numpy

_DTYPES = {0x08: numpy.uint8, 0x09: numpy.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def parse_idx(content: bytes, source: str = "<bytes>") -> numpy.ndarray:
    """Decode IDX bytes: magic 0x0000TTDD (T type, D dimensions), D big-endian uint32 sizes, then data."""
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


def read_idx(path: str | os.PathLike) -> numpy.ndarray:
    """Read an ``.idx`` or ``.idx.gz`` file into an array (uint8 images (N, 28, 28) or labels (N,))."""
    path = os.fspath(path)
    try:
        with open(path, "rb") as handle:
            content = handle.read()
        if content[:2] == b"\x1f\x8b":
            content = gzip.decompress(content)
    except (OSError, EOFError) as error:
        raise ValueError(f"Cannot read {path}: {error}. Delete the file and download it again.") from error
    return parse_idx(content, source=path)
