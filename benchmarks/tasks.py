"""The timed work, identical for redes, TensorFlow and the NumPy peers; run inside a worker process (see _harness).

Each task takes the framework name ('redes', 'tf', or a peer of ``peers.PEERS`` for the MLP and
seed-CNN tasks), a dict of objects cached between
calls in that worker, and keyword arguments, and returns a list of durations in seconds
(one per repeat, after ``warmup`` untimed calls) or a dict of measurements.
"""

from __future__ import annotations

import os
import time

import numpy as np

from . import peers

MNIST_SHAPE = (28, 28, 1)
ROWS_SHAPE = (28, 28)  # an MNIST image as a sequence of 28 rows of 28 pixels


def _tf():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf
    return tf


def _api(framework: str):
    """(layers module, Sequential, optimizers module) of the framework."""
    if framework == "tf":
        tf = _tf()
        return tf.keras.layers, tf.keras.Sequential, tf.keras.optimizers
    from redes import Sequential, layers, optimizers
    return layers, Sequential, optimizers


def build_mlp(framework: str):
    """MLP 784-300-100-10 (ReLU, softmax), Nadam, sparse categorical cross-entropy."""
    if framework in peers.PEERS:
        return peers.build_mlp(framework)
    layers, Sequential, optimizers = _api(framework)
    model = Sequential([layers.Input((784,)), layers.Dense(300, activation="relu"),
                        layers.Dense(100, activation="relu"), layers.Dense(10, activation="softmax")])
    model.compile(optimizer=optimizers.Nadam(1e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def build_cnn(framework: str):
    """The seed CNN (SEEDS §4): Conv-BN-Conv-BN-MaxPool-Flatten-Dense128-BN-Dense10, Adam."""
    if framework in peers.PEERS:
        return peers.build_cnn(framework)
    layers, Sequential, optimizers = _api(framework)
    model = Sequential([
        layers.Input(MNIST_SHAPE),
        layers.Conv2D(32, 3, activation="relu"), layers.BatchNormalization(),
        layers.Conv2D(64, 3, activation="relu"), layers.BatchNormalization(),
        layers.MaxPooling2D(2), layers.Flatten(),
        layers.Dense(128, activation="relu"), layers.BatchNormalization(),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer=optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def build_recurrent(framework: str, kind: str):
    """MNIST rows as sequences: Input(28, 28) → LSTM(128) or GRU(128) → Dense(10, softmax), Adam."""
    layers, Sequential, optimizers = _api(framework)
    model = Sequential([layers.Input(ROWS_SHAPE), getattr(layers, kind.upper())(128),
                        layers.Dense(10, activation="softmax")])
    model.compile(optimizer=optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
    return model


def _builder(model: str):
    """The model's constructor and input shape (without the batch)."""
    if model in ("lstm", "gru"):
        return (lambda framework: build_recurrent(framework, model)), ROWS_SHAPE
    return (build_mlp, (784,)) if model == "mlp" else (build_cnn, MNIST_SHAPE)


def ready(framework: str, state: dict) -> str:
    """Import the framework, so that no worker is still starting while another is timed."""
    peers.load(framework) if framework in peers.PEERS else _api(framework)
    return framework


def _timed(call, repeats: int, warmup: int) -> list[float]:
    for _ in range(warmup):
        call()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return times


def _cached(state: dict, key, make):
    if key not in state:
        state[key] = make()
    return state[key]


def _random_batch(shape: tuple, batch: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    return rng.random((batch,) + shape, dtype=np.float32), rng.integers(0, 10, batch)


# ------------------------------------------------------------------ whole models
def train_step(framework: str, state: dict, model: str, batch: int, repeats: int, warmup: int = 3) -> list[float]:
    """One ``train_on_batch`` on a fixed random batch."""
    build, shape = _builder(model)
    net = _cached(state, (model, "train"), lambda: build(framework))
    x, y = _random_batch(shape, batch)
    return _timed(lambda: net.train_on_batch(x, y), repeats, warmup)


def _load(name: str, samples: int | None):
    from redes import datasets
    (x, y), _ = datasets.load_fashion_mnist() if name == "fashion_mnist" else datasets.load_mnist()
    x = x[:samples] if samples else x
    y = y[:samples] if samples else y
    return x.astype(np.float32) / 255, y


def train_epoch(framework: str, state: dict, model: str, batch: int, samples: int | None, repeats: int,
                warmup: int = 0) -> list[float]:
    """``fit`` for one epoch (verbose=0) on (the first ``samples`` of) Fashion-MNIST (MLP) or MNIST (CNN)."""
    if model == "mlp":
        x, y = _load("fashion_mnist", samples)
        x = x.reshape(len(x), 784)
    else:
        x, y = _load("mnist", samples)
        x = x[..., None]
    net = _cached(state, (model, "epoch"), lambda: (build_mlp if model == "mlp" else build_cnn)(framework))
    net.fit(x[:batch * 3], y[:batch * 3], batch_size=batch, epochs=1, verbose=0)  # build and trace outside timing
    return _timed(lambda: net.fit(x, y, batch_size=batch, epochs=1, verbose=0), repeats, warmup)


def inference(framework: str, state: dict, batch: int, samples: int, repeats: int, warmup: int = 1) -> list[float]:
    """``predict`` of the seed CNN on ``samples`` random images in batches of ``batch``."""
    net = _cached(state, ("cnn", "train"), lambda: build_cnn(framework))
    x, _ = _random_batch(MNIST_SHAPE, samples)
    return _timed(lambda: net.predict(x, batch_size=batch, verbose=0), repeats, warmup)


# -------------------------------------------------------------------- one layer
LAYER_CASES = {
    # name: (constructor keyword arguments, input shape with batch)
    "Conv2D 3x3 32->64, 26x26": (("Conv2D", {"filters": 64, "kernel_size": 3}), (128, 26, 26, 32)),
    "Conv2D 3x3 stride 2 same": (("Conv2D", {"filters": 64, "kernel_size": 3, "strides": 2, "padding": "same"}),
                                 (128, 26, 26, 32)),
    "Conv2DTranspose 3x3 stride 2 same 64->32, 13x13": (
        ("Conv2DTranspose", {"filters": 32, "kernel_size": 3, "strides": 2, "padding": "same"}), (128, 13, 13, 64)),
    "DepthwiseConv2D 3x3 same, 28x28x32": (("DepthwiseConv2D", {"kernel_size": 3, "padding": "same"}),
                                           (32, 28, 28, 32)),
    "DepthwiseConv2D 3x3 same x2, 14x14x64": (
        ("DepthwiseConv2D", {"kernel_size": 3, "padding": "same", "depth_multiplier": 2}), (32, 14, 14, 64)),
    "SeparableConv2D 3x3 same 32->64, 28x28": (
        ("SeparableConv2D", {"filters": 64, "kernel_size": 3, "padding": "same"}), (32, 28, 28, 32)),
    "MaxPooling2D 2x2": (("MaxPooling2D", {"pool_size": 2}), (128, 24, 24, 64)),
    "BatchNormalization": (("BatchNormalization", {}), (128, 24, 24, 64)),
    "Dense 1024->1024": (("Dense", {"units": 1024}), (256, 1024)),
    "Conv1D 5 64->64, 100 steps": (("Conv1D", {"filters": 64, "kernel_size": 5}), (64, 100, 64)),
    "LSTM(128), 28 steps of 28": (("LSTM", {"units": 128}), (64, 28, 28)),
    "GRU(128), 28 steps of 28": (("GRU", {"units": 128}), (64, 28, 28)),
    "Embedding 20000x128, 64x50 indices": (("Embedding", {"input_dim": 20000, "output_dim": 128}), (64, 50)),
}


def _layer_step(framework: str, case: str):
    """A callable running forward (training) and backward of one layer on fixed data."""
    (kind, kwargs), shape = LAYER_CASES[case]
    rng = np.random.default_rng(0)
    indices = kind == "Embedding"  # integer inputs: no input gradient, the table's only
    x = (rng.integers(0, kwargs["input_dim"], shape).astype(np.float32) if indices
         else rng.standard_normal(shape, dtype=np.float32))
    if framework == "tf":
        tf = _tf()
        layer = getattr(tf.keras.layers, kind)(**kwargs)
        layer.build(shape)
        x_tf = tf.constant(x)
        g_tf = tf.constant(rng.standard_normal(layer.compute_output_shape(shape), dtype=np.float32))

        @tf.function
        def step():
            with tf.GradientTape() as tape:
                tape.watch(x_tf)
                y = layer(x_tf, training=True)
            sources = ([] if indices else [x_tf]) + layer.trainable_weights
            return [tf.convert_to_tensor(g) for g in tape.gradient(y, sources, output_gradients=g_tf)]

        return lambda: [t.numpy() for t in step()]  # .numpy() waits for the result (a dense gradient)
    from redes import Tensor4D, layers
    layer = getattr(layers, kind)(**kwargs)
    layer(x[:1])  # build
    x4 = Tensor4D.from_natural(x)
    g4 = Tensor4D(rng.standard_normal(layer(x4, training=True).shape, dtype=np.float32))

    def step():
        layer(x4, training=True)
        layer.backward(g4)

    return step


def layer_step(framework: str, state: dict, case: str, repeats: int, warmup: int = 3) -> list[float]:
    """Forward (training mode) + backward, gradients of the input and of every trainable weight."""
    step = _cached(state, ("layer", case), lambda: _layer_step(framework, case))
    return _timed(step, repeats, warmup)


def layer_gemms(framework: str, state: dict, case: str, repeats: int, warmup: int = 2) -> dict:
    """``np.matmul`` on the float32 shapes of the layer's three GEMMs (forward, dW, dx), and their FLOPs."""
    (kind, kwargs), shape = LAYER_CASES[case]
    if kind == "Dense":
        m, k, f = shape[0], shape[1], kwargs["units"]
    else:
        from redes.layers import _windows
        size, stride = kwargs["kernel_size"], kwargs.get("strides", 1)
        rows, cols = _windows.geometry(shape[1:3], (size, size), (stride, stride), kwargs.get("padding", "valid"))
        m, k, f = shape[0] * rows.out * cols.out, size * size * shape[3], kwargs["filters"]
    rng = np.random.default_rng(0)
    a, w, g = (rng.random(s, dtype=np.float32) for s in ((m, k), (k, f), (m, f)))

    def gemms():
        np.matmul(a, w)
        np.matmul(a.T, g)
        np.matmul(g, w.T)

    times = _timed(gemms, repeats, warmup)
    return {"times": times, "flops": 3 * 2 * m * k * f}


def matmul_square(framework: str, state: dict, size: int, repeats: int, warmup: int = 2) -> dict:
    """``np.matmul`` of two float32 size×size matrices: the BLAS's peak on this machine."""
    rng = np.random.default_rng(0)
    a, b = rng.random((size, size), dtype=np.float32), rng.random((size, size), dtype=np.float32)
    return {"times": _timed(lambda: np.matmul(a, b), repeats, warmup), "flops": 2 * size ** 3}


# ----------------------------------------------------------------------- memory
def cnn_memory(framework: str, state: dict, batch: int) -> dict:
    """Peak memory of one seed-CNN training step (redes only), against its activations and im2col matrices.

    tracemalloc sees every NumPy allocation; the peak is measured over one step after a
    warm-up step (so the optimizer's slots and the reused buffers already exist) and
    counts the arrays that step allocates on top of what was already alive. RSS is the
    process' peak resident size (ru_maxrss) growth over the same step, and in total.
    """
    import resource
    import tracemalloc

    from redes.layers import Conv2D

    net = build_cnn("redes")
    x, y = _random_batch(MNIST_SHAPE, batch)
    rss_before_warmup = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    net.train_on_batch(x, y)
    rss_after_warmup = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    tracemalloc.start()
    baseline, _ = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    net.train_on_batch(x, y)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    itemsize = np.dtype(np.float32).itemsize
    activations = sum(batch * int(np.prod(layer.output_shape)) for layer in net.layers) * itemsize
    im2col = 0
    for layer in net.layers:
        if isinstance(layer, Conv2D):
            rows, cols, _ = layer.output_shape
            im2col += batch * rows * cols * int(np.prod(layer.kernel.shape[:3])) * itemsize
    weights = sum(w.nbytes for w in net.weights)
    held = sum(layer.__dict__["_buffer"].nbytes for layer in net.layers if "_buffer" in layer.__dict__)
    return {"tracemalloc_peak": peak - baseline, "activations": activations, "im2col_held": held,
            "im2col": im2col, "weights": weights, "rss_peak": rss_after_warmup,
            "rss_first_step": rss_after_warmup - rss_before_warmup}

