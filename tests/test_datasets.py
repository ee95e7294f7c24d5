import gzip
import hashlib
import http.server
import io
import os
import struct
import tarfile
import threading

import numpy as np
import pytest

from redes import datasets
from redes.datasets import _locate, cifar10, mnist
from redes.datasets import parse_idx, read_idx


def idx_bytes(array: np.ndarray) -> bytes:
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(np.uint8).tobytes()


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


# ------------------------------------------------------------------------------- IDX
def test_parse_idx_round_trip_and_errors(tmp_path):
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    np.testing.assert_array_equal(parse_idx(idx_bytes(images)), images)
    path = tmp_path / "images.gz"
    path.write_bytes(gzip.compress(idx_bytes(images)))
    np.testing.assert_array_equal(read_idx(path), images)
    np.testing.assert_array_equal(read_idx(path, sha256(idx_bytes(images))), images)
    with pytest.raises(ValueError, match="bad magic number"):
        parse_idx(b"\x12\x34\x08\x01" + b"\x00" * 8)
    with pytest.raises(ValueError, match="truncated or corrupt"):
        parse_idx(idx_bytes(images)[:-5], source="images")
    with pytest.raises(ValueError, match="truncated IDX header"):
        parse_idx(idx_bytes(images)[:9])
    with pytest.raises(ValueError, match="truncated or corrupt"):
        parse_idx(idx_bytes(images) + b"\x00")
    with pytest.raises(ValueError, match=f"{path}.*SHA-256.*delete it"):
        read_idx(path, "0" * 64)
    path.write_bytes(gzip.compress(idx_bytes(images))[:-10])
    with pytest.raises(ValueError, match=f"{path}.*delete it and download it again"):
        read_idx(path)


def test_missing_files_error_names_the_folders(tmp_path):
    with pytest.raises(FileNotFoundError, match=str(tmp_path)):
        datasets.load_mnist(path=tmp_path)


def test_search_order(tmp_path, monkeypatch):
    monkeypatch.setenv("REDES_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    dirs = _locate.candidate_dirs("mnist")
    assert dirs == [tmp_path / "data" / "mnist", _locate.SYSTEM_DIR / "mnist", tmp_path / "cache" / "redes" / "mnist"]
    assert _locate.candidate_dirs("mnist", path=tmp_path) == [tmp_path]
    monkeypatch.delenv("REDES_DATA")
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert _locate.candidate_dirs("mnist")[-1] == _locate.Path.home() / ".cache" / "redes" / "mnist"


@pytest.mark.skipif(not os.environ.get("REDES_DATA") and not os.environ.get("CI"),
                    reason="REDES_DATA is not set (CI sets it to ../shared/datasets)")
@pytest.mark.parametrize("loader", [datasets.load_mnist, datasets.load_fashion_mnist])
def test_real_datasets_from_redes_data(loader):
    (x_train, y_train), (x_test, y_test) = loader(download=False)
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert x_train.dtype == np.uint8 and y_train.dtype == np.uint8
    assert set(np.unique(y_train)) == set(range(10)) and y_test.shape == (10000,)
    assert len(datasets.FASHION_MNIST_CLASS_NAMES) == 10


# --------------------------------------------------------------------- preprocessing
def test_preprocessing_helpers():
    images = np.array([[[0, 255], [51, 102]]] * 3, dtype=np.uint8)          # (3, 2, 2)
    scaled = datasets.scale_images(images)
    assert scaled.dtype == np.float32 and scaled.min() == 0.0 and scaled.max() == 1.0
    np.testing.assert_allclose(scaled[0], [[0, 1], [0.2, 0.4]], rtol=1e-6)
    assert datasets.add_channel_axis(images).shape == (3, 2, 2, 1)
    np.testing.assert_array_equal(datasets.to_categorical([2, 0], 3), [[0, 0, 1], [1, 0, 0]])
    assert datasets.to_categorical(np.array([1, 3], dtype=np.uint8)).shape == (2, 4)
    (x_train, y_train), (x_val, y_val) = datasets.train_validation_split(np.arange(10), np.arange(10), 3)
    np.testing.assert_array_equal(x_val, [7, 8, 9])
    np.testing.assert_array_equal(y_train, np.arange(7))
    with pytest.raises(TypeError, match="uint8"):
        datasets.scale_images(scaled)
    with pytest.raises(ValueError, match=r"\(N, H, W\)"):
        datasets.add_channel_axis(images[..., None])
    with pytest.raises(ValueError, match="num_classes=2"):
        datasets.to_categorical([2, 0], 2)
    with pytest.raises(ValueError, match="validation_size"):
        datasets.train_validation_split(np.arange(10), np.arange(10), 10)


# --------------------------------------------------------------------------- CIFAR-10
def cifar_batch(count: int, seed: int) -> tuple[bytes, np.ndarray, np.ndarray]:
    """``count`` records in the binary format, with the images (N, 32, 32, 3) and labels they encode."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, count, dtype=np.uint8)
    chw = rng.integers(0, 256, (count, 3, 32, 32), dtype=np.uint8)
    records = np.concatenate([labels[:, None], chw.reshape(count, -1)], axis=1)
    return records.tobytes(), chw.transpose(0, 2, 3, 1), labels


def cifar_archive(counts=(3, 2, 2, 2, 2, 4)) -> tuple[bytes, list]:
    """A small cifar-10-binary.tar.gz: five training batches and the test batch, plus batches.meta.txt."""
    names = [*cifar10.TRAIN_BATCHES, cifar10.TEST_BATCH]
    buffer, batches = io.BytesIO(), []
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        members = [(f"{cifar10.FOLDER}/batches.meta.txt", "\n".join(datasets.CIFAR10_CLASS_NAMES).encode())]
        for index, (name, count) in enumerate(zip(names, counts)):
            content, images, labels = cifar_batch(count, index)
            batches.append((images, labels))
            members.append((f"{cifar10.FOLDER}/{name}", content))
        for name, content in members:
            info = tarfile.TarInfo(name)
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))
    return buffer.getvalue(), batches


def test_cifar10_batch_layout_is_chw_records_to_nhwc():
    content, images, labels = cifar_batch(2, seed=0)
    x, y = datasets.parse_cifar10_batch(content)
    assert x.shape == (2, 32, 32, 3) and x.dtype == np.uint8 and y.dtype == np.uint8
    np.testing.assert_array_equal(y, labels)
    # pixel (h, w) of channel c is byte 1 + c*1024 + h*32 + w of the record
    record = np.frombuffer(content, np.uint8).reshape(2, 3073)[1]
    assert x[1, 5, 7, 2] == record[1 + 2 * 1024 + 5 * 32 + 7]
    np.testing.assert_array_equal(x, images)
    with pytest.raises(ValueError, match="3073-byte records"):
        datasets.parse_cifar10_batch(content[:-1], "batch")
    with pytest.raises(ValueError, match="labels must be in 0–9"):
        datasets.parse_cifar10_batch(b"\x0a" + content[1:])


def test_cifar10_from_a_generated_archive(tmp_path, monkeypatch):
    archive, batches = cifar_archive()
    (tmp_path / cifar10.ARCHIVE).write_bytes(archive)
    (x_train, y_train), (x_test, y_test) = cifar10._load_cifar10(tmp_path, False, False, (), sha256(archive))
    assert x_train.shape == (11, 32, 32, 3) and x_test.shape == (4, 32, 32, 3) and y_train.shape == (11,)
    np.testing.assert_array_equal(x_train, np.concatenate([images for images, _ in batches[:5]]))
    np.testing.assert_array_equal(y_test, batches[5][1])
    assert datasets.CIFAR10_CLASS_NAMES[0] == "airplane" and len(datasets.CIFAR10_CLASS_NAMES) == 10
    with pytest.raises(ValueError, match=f"{cifar10.ARCHIVE}.*SHA-256.*delete it"):
        cifar10._load_cifar10(tmp_path, False, False, (), "0" * 64)
    (tmp_path / cifar10.ARCHIVE).write_bytes(archive[: len(archive) // 2])
    with pytest.raises(ValueError, match=f"Cannot read .*{cifar10.ARCHIVE}.*truncated or corrupt"):
        datasets.read_cifar10_archive(tmp_path / cifar10.ARCHIVE)
    with pytest.raises(FileNotFoundError, match="cifar-10-binary.tar.gz"):
        datasets.load_cifar10(path=tmp_path / "empty")


def test_cifar10_archive_without_a_batch(tmp_path):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        content = cifar_batch(1, 0)[0]
        info = tarfile.TarInfo(f"{cifar10.FOLDER}/data_batch_1.bin")
        info.size = len(content)
        archive.addfile(info, io.BytesIO(content))
    (tmp_path / "a.tar.gz").write_bytes(buffer.getvalue())
    with pytest.raises(ValueError, match="lacks .*data_batch_2.bin"):
        datasets.read_cifar10_archive(tmp_path / "a.tar.gz")


# ------------------------------------------------------------- download (local server)
class Server:
    """An HTTP server on 127.0.0.1 serving ``routes``: path -> (status, body[, declared length])."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple] = {}
        self.requests: list[str] = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests.append(self.path)
                status, body, *length = server.routes.get(self.path, (404, b"not found"))
                self.send_response(status)
                self.send_header("Content-Length", str(length[0] if length else len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    running = Server()
    yield running
    running.close()


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """An empty user cache; REDES_DATA and /usr/share/datasets out of the way."""
    monkeypatch.delenv("REDES_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(_locate, "SYSTEM_DIR", tmp_path / "system")
    return tmp_path / "cache" / "redes"


def toy_idx_files() -> tuple[dict[str, bytes], dict[str, str], dict[str, np.ndarray]]:
    """Gzipped IDX files in the MNIST names (5 train and 3 test images of 4×4), their content hashes, arrays."""
    rng = np.random.default_rng(0)
    arrays = {"train-images-idx3-ubyte.gz": rng.integers(0, 256, (5, 4, 4)),
              "train-labels-idx1-ubyte.gz": rng.integers(0, 10, 5),
              "t10k-images-idx3-ubyte.gz": rng.integers(0, 256, (3, 4, 4)),
              "t10k-labels-idx1-ubyte.gz": rng.integers(0, 10, 3)}
    files = {name: gzip.compress(idx_bytes(a)) for name, a in arrays.items()}
    return files, {name: sha256(idx_bytes(a)) for name, a in arrays.items()}, arrays


def serve(server, folder: str, files: dict[str, bytes]) -> str:
    for name, body in files.items():
        server.routes[f"/{folder}/{name}"] = (200, body)
    return f"{server.url}/{folder}/"


def load_toy(sources, hashes):
    return mnist._load_idx_dataset("toy", None, True, False, sources, hashes)


def test_download_good_files_once_into_the_cache(server, cache):
    files, hashes, arrays = toy_idx_files()
    good = serve(server, "good", files)
    (x_train, y_train), (x_test, y_test) = load_toy([good], hashes)
    np.testing.assert_array_equal(x_train, arrays["train-images-idx3-ubyte.gz"])
    np.testing.assert_array_equal(y_test, arrays["t10k-labels-idx1-ubyte.gz"])
    assert sorted(p.name for p in (cache / "toy").iterdir()) == sorted(files)   # no temporary file left
    assert len(server.requests) == 4
    load_toy([good], hashes)
    assert len(server.requests) == 4                                              # read from the cache


def test_download_404_then_mirror(server, cache):
    files, hashes, _ = toy_idx_files()
    load_toy([f"{server.url}/missing/", serve(server, "mirror", files)], hashes)
    assert server.requests[:2] == ["/missing/train-images-idx3-ubyte.gz", "/mirror/train-images-idx3-ubyte.gz"]


@pytest.mark.parametrize("damage", ["corrupt", "truncated", "short"])
def test_download_damaged_file_falls_back_then_fails_clearly(server, cache, damage):
    files, hashes, arrays = toy_idx_files()
    name = "train-images-idx3-ubyte.gz"
    bad = dict(files)
    if damage == "corrupt":       # a valid gzip of other content: the checksum catches it
        bad[name] = gzip.compress(idx_bytes(arrays[name] ^ 1))
    bad_url = serve(server, "bad", bad)
    if damage == "truncated":     # the file at the source is cut: gzip reports it
        server.routes[f"/bad/{name}"] = (200, files[name][:-12])
    if damage == "short":         # the connection closes before Content-Length bytes
        server.routes[f"/bad/{name}"] = (200, files[name][:-12], len(files[name]))
    load_toy([bad_url, serve(server, "good", files)], hashes)
    assert f"/good/{name}" in server.requests
    for path in cache.glob("toy/*"):
        path.unlink()
    expected = {"corrupt": "SHA256 of the decompressed content is", "truncated": "bad/" + name,
                "short": "bad/" + name}[damage]
    with pytest.raises(OSError, match=f"Could not download {name}(.|\n)*{expected}(.|\n)*Check the network"):
        load_toy([bad_url], hashes)
    assert not (cache / "toy" / name).exists() and not list((cache / "toy").glob(".*part"))


def test_download_refused_when_asked_not_to(server, cache):
    _, hashes, _ = toy_idx_files()
    with pytest.raises(FileNotFoundError, match="download=True"):
        mnist._load_idx_dataset("toy", None, False, False, [server.url + "/"], hashes)
    assert server.requests == []


def test_cifar10_download_from_the_mirror(server, cache):
    archive, batches = cifar_archive()
    server.routes["/mirror/cifar-10-binary.tar.gz"] = (200, archive)
    (x_train, _), (_, y_test) = cifar10._load_cifar10(None, True, False, [f"{server.url}/gone/", f"{server.url}/mirror/"],
                                                     sha256(archive))
    assert x_train.shape == (11, 32, 32, 3)
    np.testing.assert_array_equal(y_test, batches[5][1])
    assert (cache / "cifar10" / cifar10.ARCHIVE).read_bytes() == archive


def test_real_loaders_keep_the_published_sources_and_hashes():
    assert mnist.SOURCES["mnist"] == ("https://storage.googleapis.com/cvdf-datasets/mnist/",)
    assert mnist.SOURCES["fashion-mnist"][0].startswith("https://raw.githubusercontent.com/zalandoresearch/")
    assert mnist.CHECKSUMS["mnist"]["t10k-labels-idx1-ubyte.gz"].startswith("ff7bcfd4")
    assert cifar10.SOURCES[0] == "https://www.cs.toronto.edu/~kriz/" and cifar10.SHA256.startswith("c4a38c50")
