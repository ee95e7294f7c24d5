import gzip
import os
import struct

import numpy as np
import pytest

from redes import datasets
from redes.datasets import parse_idx, read_idx


def idx_bytes(array: np.ndarray) -> bytes:
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(np.uint8).tobytes()


def test_parse_idx_round_trip_and_errors(tmp_path):
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    np.testing.assert_array_equal(parse_idx(idx_bytes(images)), images)
    path = tmp_path / "images.gz"
    path.write_bytes(gzip.compress(idx_bytes(images)))
    np.testing.assert_array_equal(read_idx(path), images)
    with pytest.raises(ValueError, match="bad magic number"):
        parse_idx(b"\x12\x34\x08\x01" + b"\x00" * 8)
    with pytest.raises(ValueError, match="truncated or corrupt"):
        parse_idx(idx_bytes(images)[:-5], source="images")
    path.write_bytes(gzip.compress(idx_bytes(images))[:-10])
    with pytest.raises(ValueError, match=str(path)):
        read_idx(path)


def test_missing_files_error_names_the_folders(tmp_path):
    with pytest.raises(FileNotFoundError, match=str(tmp_path)):
        datasets.load_mnist(path=tmp_path)


@pytest.mark.skipif(not os.environ.get("REDES_DATA") and not os.environ.get("CI"),
                    reason="REDES_DATA is not set (CI sets it to ../shared/datasets)")
@pytest.mark.parametrize("loader", [datasets.load_mnist, datasets.load_fashion_mnist])
def test_real_datasets_from_redes_data(loader):
    (x_train, y_train), (x_test, y_test) = loader(download=False)
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert x_train.dtype == np.uint8 and y_train.dtype == np.uint8
    assert set(np.unique(y_train)) == set(range(10)) and y_test.shape == (10000,)
