"""Saving and loading: exact round trips, resume in a new process, atomic writes, clear errors on bad files."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import numpy as np
import pytest

import redes
from redes import RedeNeural, Sequential, activations, layers, optimizers, regularizers, saving

ROOT = Path(__file__).resolve().parents[1]


def image_model(dtype=None):
    """Every layer class, a nested Sequential and every kind of serialized argument."""
    f = {"dtype": dtype} if dtype else {}
    inner = Sequential([layers.Dense(12, activation=activations.get("leaky_relu", negative_slope=0.1), **f),
                        layers.LayerNormalization(epsilon=1e-4, gamma_regularizer=regularizers.L1(0.01), **f)],
                       name="inner", **f)
    return Sequential([
        layers.Input((8, 8, 2)),
        layers.Conv2D(4, 3, padding="same", activation="relu", kernel_regularizer=regularizers.L1L2(0.01, 0.02),
                      **f),
        layers.BatchNormalization(momentum=0.9, beta_regularizer="l2", **f),
        layers.MaxPooling2D(2, **f), layers.Conv2D(4, 2, strides=1, use_bias=False, **f),
        layers.AveragePooling2D(2, strides=1, padding="same", **f), layers.Activation("tanh", **f),
        layers.ReLU(**f), layers.LeakyReLU(0.2, **f), layers.ELU(0.5, **f),
        layers.Dropout(0.2, **f), layers.Dropout(0.1, seed=7, **f),
        layers.Reshape((3, 3, 4), **f), layers.Flatten(**f), inner,
        layers.Dense(3, activation="softmax", bias_regularizer=regularizers.L2(0.1), **f),
    ], name="image_model", **f)


def pooled_model():
    return Sequential([layers.Input((6, 6, 3)), layers.Conv2D(5, 3, activation="elu"),
                       layers.GlobalMaxPooling2D(keepdims=True), layers.Flatten(), layers.Softmax()])


def image_data(n=40, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, 8, 8, 2)).astype("float32"), rng.integers(0, 3, n)


def assert_same_state(a, b):
    assert a.get_config() == b.get_config()
    assert [w.dtype for w in a.weights] == [w.dtype for w in b.weights]
    for x, y in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(x, y)
    if a.optimizer is not None:
        assert type(a.optimizer) is type(b.optimizer) and a.optimizer.get_config() == b.optimizer.get_config()
        assert len(a.optimizer.variables) == len(b.optimizer.variables)
        for x, y in zip(a.optimizer.variables, b.optimizer.variables):
            np.testing.assert_array_equal(x, y)
        assert a.loss.get_config() == b.loss.get_config() and type(a.loss) is type(b.loss)
        assert [(type(m), m.name) for m in a.metrics] == [(type(m), m.name) for m in b.metrics]


@pytest.mark.parametrize("optimizer", [
    "sgd", "adam", "nadam", "rmsprop", "adagrad", "adadelta", "adamax", "lion", "gd",
    optimizers.SGD(optimizers.schedules.ExponentialDecay(0.05, 3, 0.5), momentum=0.9, nesterov=True, clipnorm=1.0),
])
def test_round_trip_is_bit_identical(tmp_path, optimizer):
    x, y = image_data()
    model = image_model()
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    path = tmp_path / "model.redes"
    model.save(path)
    loaded = redes.load_model(path)
    assert isinstance(loaded, Sequential) and isinstance(loaded.get_layer("inner"), Sequential)
    assert_same_state(model, loaded)
    assert loaded.epochs_completed == 1
    np.testing.assert_array_equal(model.predict(x), loaded.predict(x))
    assert model.evaluate(x, y, verbose=0) == loaded.evaluate(x, y, verbose=0)
    # The rebuilt objects carry every argument that affects computation.
    assert loaded.layers[0].kernel_regularizer.get_config() == {"l1": 0.01, "l2": 0.02}
    assert loaded.get_layer("inner").layers[0].activation.config == {"negative_slope": 0.1}
    assert loaded.layers[-1].bias_regularizer.l2 == 0.1


def test_float64_pooled_and_uncompiled_models(tmp_path):
    model = image_model(dtype="float64")
    x, _ = image_data()
    model.save(tmp_path / "f64.redes")
    loaded = redes.load_model(tmp_path / "f64.redes")
    assert loaded.dtype == "float64" and loaded.loss is None and loaded.optimizer is None
    np.testing.assert_array_equal(model.predict(x), loaded.predict(x))
    pooled = pooled_model()
    pooled.save(tmp_path / "pooled.redes")
    z = np.random.default_rng(1).standard_normal((5, 6, 6, 3)).astype("float32")
    np.testing.assert_array_equal(pooled.predict(z), redes.load_model(tmp_path / "pooled.redes").predict(z))
    unbuilt = Sequential([layers.Dense(3)])
    unbuilt.save(tmp_path / "unbuilt.redes")
    assert not redes.load_model(tmp_path / "unbuilt.redes").built


def test_rede_neural_round_trip_keeps_class_flags_and_additions(tmp_path):
    rng = np.random.default_rng(2)
    x, y = rng.standard_normal((30, 5)).astype("float32"), rng.integers(0, 4, 30)
    net = RedeNeural([5, 7, 6], activation="tanh", output_activation="relu", kernel_regularizer=regularizers.L2(0.05))
    net.add(layers.Dense(4, activation="softmax", name="head"))
    net.layers[0].trainable = False
    net.compile(optimizer=optimizers.Adam(0.01), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    net.fit(x, y, epochs=2, batch_size=8, verbose=0)
    net.save(tmp_path / "net.redes")
    loaded = redes.load_model(tmp_path / "net.redes")
    assert type(loaded) is RedeNeural and loaded.layer_sizes == [5, 7, 6]
    assert not loaded.layers[0].trainable and loaded.layers[-1].name == "head"
    assert loaded.layers[1].kernel_regularizer.l2 == 0.05
    assert_same_state(net, loaded)
    np.testing.assert_array_equal(net.predict(x), loaded.predict(x))
    assert RedeNeural.from_config(net.get_config()).get_config() == net.get_config()


def test_save_and_load_weights(tmp_path):
    x, _ = image_data()
    model = image_model()
    path = tmp_path / "w.weights.redes"
    model.save_weights(path)
    with zipfile.ZipFile(path) as archive:
        assert not any(name.startswith("optimizer/") for name in archive.namelist())
    other = image_model()
    other.load_weights(path)
    np.testing.assert_array_equal(model.predict(x), other.predict(x))
    lazy = Sequential([layers.Dense(4, activation="relu"), layers.Dense(2)])
    lazy(np.ones((1, 3), "float32"))
    lazy.save_weights(path)
    fresh = Sequential([layers.Dense(4, activation="relu"), layers.Dense(2)])
    fresh.load_weights(path)  # built from the shape stored in the file
    np.testing.assert_array_equal(lazy.predict(np.ones((2, 3))), fresh.predict(np.ones((2, 3))))
    with pytest.raises(ValueError, match=r"weight 0 .*shape \(3, 4\); the model expects \(5, 4\)"):
        Sequential([layers.Input((5,)), layers.Dense(4), layers.Dense(2)]).load_weights(path)
    with pytest.raises(ValueError, match="holds 4 weight arrays.*has 2"):
        Sequential([layers.Input((3,)), layers.Dense(2)]).load_weights(path)
    with pytest.raises(ValueError, match="weights file"):
        redes.load_model(path)


RESUME_SCRIPT = textwrap.dedent("""
    import sys
    import numpy as np
    import redes
    from redes import layers, optimizers

    mode, path = sys.argv[1], sys.argv[2]
    rng = np.random.default_rng(0)
    x = rng.standard_normal((100, 6)).astype("float32")
    y = rng.integers(0, 3, 100)
    if mode == "load":
        model = redes.load_model(path + ".redes")
        model.fit(x, y, batch_size=16, epochs=2, initial_epoch=model.epochs_completed, verbose=0)
    else:
        redes.utils.set_random_seed(123)
        model = redes.Sequential([layers.Input((6,)), layers.Dense(16, activation="relu"), layers.Dropout(0.3),
                                  layers.BatchNormalization(), layers.Dropout(0.2, seed=4),
                                  layers.Dense(3, activation="softmax")])
        schedule = optimizers.schedules.ExponentialDecay(0.01, decay_steps=5, decay_rate=0.8)
        model.compile(optimizer=optimizers.Nadam(schedule), loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        model.fit(x, y, batch_size=16, epochs=2 if mode == "straight" else 1, verbose=0)
        if mode == "first":
            model.save(path + ".redes")
    np.savez(path + "." + mode + ".npz", *model.get_weights(), *model.optimizer.variables)
""")


def run_python(script: str, *args, **kwargs):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-c", script, *args], env=env, capture_output=True, text=True,
                          timeout=120, **kwargs)


def test_resume_in_a_new_process_equals_uninterrupted_training(tmp_path):
    base = str(tmp_path / "run")
    for mode in ("straight", "first", "load"):
        result = run_python(RESUME_SCRIPT, mode, base)
        assert result.returncode == 0, result.stderr
    straight, resumed = np.load(base + ".straight.npz"), np.load(base + ".load.npz")
    assert len(straight.files) == len(resumed.files) > 10
    for key in straight.files:
        np.testing.assert_array_equal(straight[key], resumed[key])
    first = np.load(base + ".first.npz")
    assert not np.array_equal(first["arr_0"], straight["arr_0"])  # the second epoch did change the weights


def small_saved_model(path):
    model = Sequential([layers.Input((3,)), layers.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(np.ones((4, 3), "float32"), np.array([0, 1, 0, 1]), verbose=0)
    model.save(path)
    return model


def rewrite(path, replace: dict, drop=()):
    """Copy the zip at ``path`` with some members replaced (name -> bytes) or dropped."""
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    members.update(replace)
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            if name not in drop:
                archive.writestr(name, data)


def npy_bytes(array, allow_pickle=False):
    import io
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=allow_pickle)
    return buffer.getvalue()


def huge_header():
    """A .npy header announcing 4 TB of float32: rejected from the header, before any allocation."""
    import io
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": "<f4", "fortran_order": False, "shape": (10**12,)})
    return buffer.getvalue()


def edited_config(path, **changes):
    with zipfile.ZipFile(path) as archive:
        config = json.loads(archive.read("config.json"))
    config.update(changes)
    return json.dumps(config).encode()


@pytest.mark.parametrize("corrupt,match", [
    (lambda p: rewrite(p, {"config.json": edited_config(p, format_version=99)}), "format_version 99"),
    (lambda p: rewrite(p, {"config.json": edited_config(p, format_version=None)}), "format_version None"),
    (lambda p: p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 2]), "truncated or corrupt"),
    (lambda p: p.write_bytes(b"not a zip file at all"), "truncated or corrupt"),
    (lambda p: p.write_bytes(b""), "truncated or corrupt"),
    (lambda p: rewrite(p, {}, drop=("weights/1.npy",)), "missing the member 'weights/1.npy'"),
    (lambda p: rewrite(p, {}, drop=("config.json",)), "missing the member 'config.json'"),
    (lambda p: rewrite(p, {}, drop=("optimizer/2.npy",)), "missing the member 'optimizer/2.npy'"),
    (lambda p: rewrite(p, {"weights/0.npy": npy_bytes(np.zeros((3, 5), "float32"))}),
     r"weight 0 \(dense_?\d*/kernel.*shape \(3, 5\); the model expects \(3, 2\)"),
    (lambda p: rewrite(p, {"optimizer/1.npy": npy_bytes(np.zeros(7, "float32"))}),
     r"optimizer state array 1 has shape \(7,\)"),
    (lambda p: rewrite(p, {"weights/1.npy": npy_bytes(np.array([None, 1], dtype=object), allow_pickle=True)}),
     "not a valid .npy array.*allow_pickle"),
    (lambda p: rewrite(p, {"weights/1.npy": b"\x93NUMPY garbage"}), "not a valid .npy array"),
    (lambda p: rewrite(p, {"weights/1.npy": huge_header()}), r"weight 1 .*shape \(1000000000000,\)"),
    (lambda p: rewrite(p, {"config.json": b"{not json"}), "not valid JSON"),
    (lambda p: rewrite(p, {"config.json": edited_config(p, model={"class_name": "Evil", "config": {}})}),
     "Unknown layer class 'Evil'"),
])
def test_bad_files_give_clear_errors(tmp_path, corrupt, match):
    path = tmp_path / "model.redes"
    small_saved_model(path)
    corrupt(path)
    with pytest.raises(ValueError, match=match):
        redes.load_model(path)


def test_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        redes.load_model(tmp_path / "nothing.redes")


def test_exception_mid_write_leaves_previous_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "model.redes"
    small_saved_model(path)
    before = path.read_bytes()
    bigger = image_model()
    calls = []

    def failing_write(archive, name, array):
        calls.append(name)
        if len(calls) == 3:
            raise OSError("disk full (injected)")
        original(archive, name, array)

    original = saving._write_array
    monkeypatch.setattr(saving, "_write_array", failing_write)
    with pytest.raises(OSError, match="injected"):
        bigger.save(path)
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["model.redes"]
    with pytest.raises(KeyboardInterrupt):
        monkeypatch.setattr(saving, "_write_array", lambda *args: (_ for _ in ()).throw(KeyboardInterrupt()))
        bigger.save_weights(path)
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["model.redes"]
    assert redes.load_model(path).get_weights()[0].shape == (3, 2)


KILL_SCRIPT = textwrap.dedent("""
    import sys, time
    import numpy as np
    import redes
    from redes import layers, saving

    original = saving._write_array
    def slow_write(archive, name, array):
        original(archive, name, array)
        print("writing", name, flush=True)
        time.sleep(60)
    saving._write_array = slow_write
    model = redes.Sequential([layers.Input((512,)), layers.Dense(512), layers.Dense(10)])
    model.save(sys.argv[1])
""")


def test_killed_save_leaves_previous_file_intact(tmp_path):
    path = tmp_path / "model.redes"
    model = small_saved_model(path)
    before = path.read_bytes()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen([sys.executable, "-c", KILL_SCRIPT, str(path)], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()  # the first array is written, the file is incomplete
        assert line.startswith("writing weights/0.npy"), process.stderr.read()
        temporary = [name for name in os.listdir(tmp_path) if name.endswith(".tmp")]
        assert len(temporary) == 1 and os.path.getsize(tmp_path / temporary[0]) > 512 * 512 * 4
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    assert path.read_bytes() == before
    np.testing.assert_array_equal(redes.load_model(path).get_weights()[0], model.get_weights()[0])
