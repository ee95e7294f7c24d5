"""Invariants that keep redes fast: float32 stays float32, buffers are reused safely, memory stays bounded.

No timings here (they belong to benchmarks/, never to assertions): only properties that a
slow or wasteful change would break.
"""

import tracemalloc

import numpy as np
import pytest

from redes import Sequential, Tensor4D, layers, optimizers


def seed_cnn(dtype=None, filters=(8, 16), dense=32):
    """The seed CNN's architecture (SEEDS §4) with small widths, plus a Dropout."""
    kw = {} if dtype is None else {"dtype": dtype}
    model = Sequential([
        layers.Input((28, 28, 1)),
        layers.Conv2D(filters[0], 3, activation="relu", **kw), layers.BatchNormalization(**kw),
        layers.Conv2D(filters[1], 3, activation="relu", **kw), layers.BatchNormalization(**kw),
        layers.MaxPooling2D(2, **kw), layers.Flatten(**kw),
        layers.Dense(dense, activation="relu", **kw), layers.BatchNormalization(**kw), layers.Dropout(0.2, **kw),
        layers.Dense(10, activation="softmax", **kw),
    ], **kw)
    model.compile(optimizer=optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def float_arrays(obj):
    """(name, array) for every float ndarray an object holds as an attribute (its caches and weights)."""
    found = []
    for name, value in vars(obj).items():
        if isinstance(value, np.ndarray) and value.dtype.kind == "f":
            found.append((name, value))
        elif isinstance(value, dict):
            found += [(f"{name}[{key}]", item) for key, item in value.items()
                      if isinstance(item, np.ndarray) and item.dtype.kind == "f"]
    return found


@pytest.mark.parametrize("input_dtype", ["uint8", "float32", "float64"])
def test_float32_model_stays_float32_through_a_training_step(input_dtype):
    rng = np.random.default_rng(0)
    model = seed_cnn()
    x = (rng.random((8, 28, 28, 1)) * 255).astype(input_dtype)
    y = rng.integers(0, 10, 8)
    model.train_on_batch(x, y)
    model.train_on_batch(x, y)

    output = Tensor4D.from_natural(x.astype("float32"))
    for layer in model.layers:
        output = layer(output, training=True)
        assert output.dtype == np.float32, layer.name
    for layer in model.layers:
        for name, array in float_arrays(layer):
            assert array.dtype == np.float32, f"{layer.name}.{name} is {array.dtype}"
    assert all(g.dtype == np.float32 for g in model.gradients)
    assert all(w.dtype == np.float32 for w in model.weights)
    assert all(v.dtype == np.float32 for v in model.optimizer.variables[1:])
    assert model.predict(x).dtype == np.float32


def test_float64_model_stays_float64():
    rng = np.random.default_rng(1)
    model = seed_cnn(dtype="float64")
    x, y = rng.random((4, 28, 28, 1)).astype("float32"), rng.integers(0, 10, 4)
    model.train_on_batch(x, y)
    assert all(g.dtype == np.float64 for g in model.gradients)
    assert all(w.dtype == np.float64 for w in model.weights)
    for layer in model.layers:
        for name, array in float_arrays(layer):
            assert array.dtype == np.float64, f"{layer.name}.{name} is {array.dtype}"


@pytest.mark.parametrize("padding, strides", [("valid", 1), ("same", 1), ("same", 2)])
def test_conv_reused_im2col_buffer_gives_the_results_of_a_fresh_layer(padding, strides):
    rng = np.random.default_rng(2)
    layer = layers.Conv2D(4, 3, strides=strides, padding=padding, activation="relu")
    layer.build_for((7, 7, 3))
    inputs = [rng.standard_normal((n, 7, 7, 3)).astype("float32") for n in (5, 5, 2, 5)]
    buffers = []
    for x in inputs:  # same shape twice (reused), another batch size, then back
        fresh = layers.Conv2D(4, 3, strides=strides, padding=padding, activation="relu")
        fresh.build_for((7, 7, 3))
        fresh.set_weights(layer.get_weights())
        y = layer(Tensor4D(x), training=True)
        np.testing.assert_array_equal(y.data, fresh(Tensor4D(x), training=True).data)
        g = Tensor4D(rng.standard_normal(y.shape).astype("float32"))
        np.testing.assert_array_equal(layer.backward(g).data, fresh.backward(g).data)
        for ours, theirs in zip(layer.gradients, fresh.gradients):
            np.testing.assert_array_equal(ours, theirs)
        buffers.append(layer._buffer)
    assert buffers[0] is buffers[1]
    assert buffers[2].shape[0] == 2 and buffers[3].shape[0] == 5


def test_conv_output_does_not_alias_the_reused_buffer():
    rng = np.random.default_rng(3)
    layer = layers.Conv2D(2, 1, strides=1)
    x = rng.standard_normal((3, 4, 4, 2)).astype("float32")
    first = np.array(layer(x), copy=True)
    kept = layer(x)
    layer(rng.standard_normal((3, 4, 4, 2)).astype("float32"))
    np.testing.assert_array_equal(kept, first)


def test_training_step_peak_memory_is_bounded_by_activations_and_im2col():
    """Peak of the arrays one step allocates <= 2 × (all layer outputs + im2col buffers), after warm-up."""
    batch = 32
    rng = np.random.default_rng(4)
    model = seed_cnn(filters=(32, 64), dense=128)
    x, y = rng.random((batch, 28, 28, 1)).astype("float32"), rng.integers(0, 10, batch)
    model.train_on_batch(x, y)
    tracemalloc.start()
    try:
        model.train_on_batch(x, y)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    activations = sum(batch * int(np.prod(layer.output_shape)) * 4 for layer in model.layers)
    im2col = sum(batch * int(np.prod(layer.output_shape[:2])) * int(np.prod(layer.kernel.shape[:3])) * 4
                 for layer in model.layers if isinstance(layer, layers.Conv2D))
    assert peak <= 2 * (activations + im2col), (peak, activations, im2col)


def test_repeated_steps_do_not_accumulate_memory():
    rng = np.random.default_rng(5)
    model = seed_cnn()
    x, y = rng.random((16, 28, 28, 1)).astype("float32"), rng.integers(0, 10, 16)
    model.train_on_batch(x, y)
    tracemalloc.start()
    try:
        model.train_on_batch(x, y)
        after_one, _ = tracemalloc.get_traced_memory()
        for _ in range(3):
            model.train_on_batch(x, y)
        after_four, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert after_four <= after_one * 1.05 + 64 * 1024


def _weight_gradients_both_ways(model, x, y):
    """(gradients of the training step's backward, of the full backward, what the first layer returned)."""
    from redes import Tensor4D as T
    first = model._input_layers()
    returned = []
    for layer in first:
        original = layer.backward
        layer.backward = lambda grad, original=original: returned.append(original(grad)) or returned[-1]
    outputs = model._run(x, training=True)
    value, grads = model._compute_loss(model._targets(y, len(x)), outputs, with_gradient=True)
    model._backward_for_weights(grads)
    skipped = [np.array(g) for g in model.gradients]
    outputs = model._run(x, training=True)
    value, grads = model._compute_loss(model._targets(y, len(x)), outputs, with_gradient=True)
    dx = model._backward(grads[0])
    full = [np.array(g) for g in model.gradients]
    return skipped, full, returned, dx


@pytest.mark.parametrize("kind", ["sequential", "functional"])
def test_training_backward_skips_the_input_gradient_of_the_first_layer_only(kind):
    from redes import Model, Sequential, layers
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 8, 8, 3)).astype("float32")
    y = rng.integers(0, 5, 4)
    stack = [layers.Conv2D(8, 3, activation="relu"), layers.Conv2D(8, 3), layers.Flatten(), layers.Dense(5, activation="softmax")]
    if kind == "sequential":
        model = Sequential([layers.Input((8, 8, 3))] + stack)
    else:
        inputs = layers.Input((8, 8, 3))
        h = inputs
        for layer in stack:
            h = layer(h)
        model = Model(inputs, h)
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    assert model._input_layers() == [stack[0]]
    skipped, full, returned, dx = _weight_gradients_both_ways(model, x, y)
    for a, b in zip(skipped, full):
        np.testing.assert_array_equal(a, b)
    assert returned[0] is None and returned[1] is not None and np.asarray(dx).shape == x.shape
    assert stack[0].needs_input_gradient  # reset after the step


def test_a_shared_first_layer_keeps_its_input_gradient():
    from redes import Model, layers
    inputs = layers.Input((6,))
    shared = layers.Dense(6)
    model = Model(inputs, layers.Dense(2)(shared(shared(inputs))))
    assert shared not in model._input_layers()
