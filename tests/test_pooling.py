import itertools

import numpy as np
import pytest

from helpers import assert_parity, check_layer_gradients, import_tensorflow, tf_vjp
from tolerances import elementwise
from redes import Tensor4D, layers

POOLS = [2, 3, (2, 3)]
STRIDES = [None, 1, 2]
PADDINGS = ["valid", "same"]
SHAPES = [(2, 7, 7, 2), (2, 6, 6, 2), (1, 5, 8, 3)]  # odd, even, non-square
GRID = list(itertools.product(POOLS, STRIDES, PADDINGS, SHAPES))
GRID_IDS = [f"p{p}-s{s}-{pad}-{'x'.join(map(str, shape[1:3]))}" for p, s, pad, shape in GRID]
WINDOWED = {"max": layers.MaxPooling2D, "average": layers.AveragePooling2D}
GLOBAL = {"max": layers.GlobalMaxPooling2D, "average": layers.GlobalAveragePooling2D}


def naive_pool(x, kind, pool_size, strides, padding):
    """Direct loops over every output element; padding is −inf for max and left out of the average."""
    n, height, width, channels = x.shape
    (ph, pw), (sh, sw) = pool_size, strides
    if padding == "same":
        out_h, out_w = -(-height // sh), -(-width // sw)
        top = max((out_h - 1) * sh + ph - height, 0) // 2
        left = max((out_w - 1) * sw + pw - width, 0) // 2
    else:
        out_h, out_w, top, left = (height - ph) // sh + 1, (width - pw) // sw + 1, 0, 0
    y = np.zeros((n, out_h, out_w, channels))
    for p in range(out_h):
        for q in range(out_w):
            r0, c0 = p * sh - top, q * sw - left
            window = x[:, max(r0, 0):r0 + ph, max(c0, 0):c0 + pw, :]
            y[:, p, q, :] = window.max(axis=(1, 2)) if kind == "max" else window.mean(axis=(1, 2))
    return y


def sample(kind: str, shape: tuple, rng) -> np.ndarray:
    """Random data; 'ties' and 'constant' make windows with tied maxima."""
    if kind == "random":
        return rng.standard_normal(shape)
    if kind == "ties":
        return rng.integers(0, 3, shape).astype(float)
    return np.full(shape, 0.5)


def tf_forward_backward(tf, layer, x, upstream):
    return tuple(tf_vjp(tf, layer, x, upstream))


def assert_close(ours, theirs, dtype, what):
    assert ours.dtype == np.dtype(dtype), what
    rtol, atol = elementwise(dtype)
    assert_parity(what, dtype, ours, theirs, rtol=rtol, atol=atol)


@pytest.mark.parametrize("kind", list(WINDOWED))
@pytest.mark.parametrize("pool,stride,padding,shape", GRID, ids=GRID_IDS)
def test_pooling_gradients(kind, pool, stride, padding, shape):
    layer = WINDOWED[kind](pool, strides=stride, padding=padding, dtype="float64")
    check_layer_gradients(layer, np.random.default_rng(1).standard_normal(shape))


@pytest.mark.parametrize("kind", list(GLOBAL))
@pytest.mark.parametrize("keepdims", [False, True])
def test_global_pooling_gradients(kind, keepdims):
    layer = GLOBAL[kind](keepdims=keepdims, dtype="float64")
    check_layer_gradients(layer, np.random.default_rng(2).standard_normal((2, 5, 4, 3)))


@pytest.mark.parametrize("kind", list(WINDOWED))
@pytest.mark.parametrize("pool,stride,padding,shape", GRID, ids=GRID_IDS)
def test_pooling_matches_naive_loop(kind, pool, stride, padding, shape):
    layer = WINDOWED[kind](pool, strides=stride, padding=padding, dtype="float64")
    x = np.random.default_rng(3).standard_normal(shape)
    y = np.asarray(layer(Tensor4D(x)))
    expected = naive_pool(x, kind, layer.pool_size, layer.strides, padding)
    assert y.shape == expected.shape == (shape[0],) + layer.compute_output_shape(shape[1:])
    np.testing.assert_allclose(y, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("kind", list(WINDOWED))
@pytest.mark.parametrize("pool,stride,padding,shape", GRID, ids=GRID_IDS)
def test_pooling_tensorflow_parity(kind, pool, stride, padding, shape, dtype):
    tf = import_tensorflow()
    rng = np.random.default_rng(4)
    x = rng.standard_normal(shape).astype(dtype)
    ours = WINDOWED[kind](pool, strides=stride, padding=padding, dtype=dtype)
    theirs = getattr(tf.keras.layers, type(ours).__name__)(pool, strides=stride, padding=padding, dtype=dtype)
    y = np.asarray(ours(Tensor4D(x)))
    upstream = rng.standard_normal(y.shape).astype(dtype)
    y_tf, grad_tf = tf_forward_backward(tf, theirs, x, upstream)
    what = f"{type(ours).__name__} grid (pool 2, 3, 2×3; strides None, 1, 2; valid, same; 7×7, 6×6, 5×8)"
    assert_close(y, y_tf, dtype, f"{what}: output")
    assert_close(np.asarray(ours.backward(Tensor4D(upstream))), grad_tf, dtype, f"{what}: input gradient")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("data", ["ties", "constant"])
@pytest.mark.parametrize("pool,stride,padding,shape", GRID, ids=GRID_IDS)
def test_max_pooling_tied_maxima_match_tensorflow(pool, stride, padding, shape, data, dtype):
    tf = import_tensorflow()
    rng = np.random.default_rng(5)
    x = sample(data, shape, rng).astype(dtype)
    ours = layers.MaxPooling2D(pool, strides=stride, padding=padding, dtype=dtype)
    theirs = tf.keras.layers.MaxPooling2D(pool, strides=stride, padding=padding, dtype=dtype)
    y = np.asarray(ours(Tensor4D(x)))
    upstream = rng.standard_normal(y.shape).astype(dtype)
    y_tf, grad_tf = tf_forward_backward(tf, theirs, x, upstream)
    what = "MaxPooling2D grid, tied maxima (integer-valued and constant inputs)"
    assert_close(y, y_tf, dtype, f"{what}: output")
    assert_close(np.asarray(ours.backward(Tensor4D(upstream))), grad_tf, dtype, f"{what}: input gradient")


def test_max_pooling_ties_go_to_the_first_in_row_major_order():
    layer = layers.MaxPooling2D(2, strides=1, dtype="float64")
    layer(Tensor4D(np.ones((1, 3, 3, 1))))
    grad = np.asarray(layer.backward(Tensor4D(np.ones((1, 2, 2, 1)))))[0, :, :, 0]
    np.testing.assert_array_equal(grad, [[1, 1, 0], [1, 1, 0], [0, 0, 0]])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("data", ["random", "ties", "constant"])
@pytest.mark.parametrize("kind", list(GLOBAL))
@pytest.mark.parametrize("keepdims", [False, True])
def test_global_pooling_tensorflow_parity(kind, keepdims, data, dtype):
    tf = import_tensorflow()
    rng = np.random.default_rng(6)
    x = sample(data, (3, 5, 6, 4), rng).astype(dtype)
    ours = GLOBAL[kind](keepdims=keepdims, dtype=dtype)
    theirs = getattr(tf.keras.layers, type(ours).__name__)(keepdims=keepdims, dtype=dtype)
    y = ours(x)  # a natural array: (N, C), or (N, 1, 1, C) with keepdims
    upstream = rng.standard_normal(y.shape).astype(dtype)
    y_tf, grad_tf = tf_forward_backward(tf, theirs, x, upstream)
    what = f"{type(ours).__name__} (keepdims ±; random, tied, constant inputs)"
    assert_close(y, y_tf, dtype, f"{what}: output")
    grad = ours.backward(Tensor4D(upstream.reshape(3, 1, 1, 4)))
    assert_close(np.asarray(grad), grad_tf, dtype, f"{what}: input gradient")


@pytest.mark.parametrize("keepdims,feature_shape", [(False, (4,)), (True, (1, 1, 4))])
def test_global_pooling_shapes_and_naive_reference(keepdims, feature_shape):
    x = np.random.default_rng(7).standard_normal((2, 3, 5, 4)).astype("float32")
    for kind, reduce in [("max", np.max), ("average", np.mean)]:
        layer = GLOBAL[kind](keepdims=keepdims)
        assert layer.compute_output_shape((3, 5, 4)) == feature_shape
        y = layer(x)
        assert y.shape == (2,) + feature_shape and y.dtype == np.float32
        expected = [[reduce([x[n, i, j, c] for i in range(3) for j in range(5)]) for c in range(4)] for n in range(2)]
        np.testing.assert_allclose(y.reshape(2, 4), expected, rtol=1e-6)
        assert isinstance(layer(Tensor4D(x)), Tensor4D) and layer(Tensor4D(x)).shape == (2, 1, 1, 4)


@pytest.mark.parametrize("cls", [layers.MaxPooling2D, layers.AveragePooling2D, layers.GlobalMaxPooling2D,
                                 layers.GlobalAveragePooling2D])
def test_pooling_float32_stays_float32(cls):
    layer = cls()
    x = np.random.default_rng(8).standard_normal((2, 6, 5, 3)).astype("float32")
    y = layer(Tensor4D(x))
    grad = layer.backward(Tensor4D(np.ones(y.shape, dtype="float32")))
    assert y.dtype == np.float32 and grad.dtype == np.float32 and grad.shape == x.shape


def test_pooling_defaults_and_output_shapes():
    layer = layers.MaxPooling2D()
    assert layer.pool_size == (2, 2) and layer.strides == (2, 2) and layer.padding == "valid"
    assert layer(np.ones((2, 28, 28, 8), dtype="float32")).shape == (2, 14, 14, 8)
    assert layers.AveragePooling2D(3, strides=2)(np.ones((1, 7, 7, 1), dtype="float32")).shape == (1, 3, 3, 1)
    assert layers.MaxPooling2D(3, padding="same")(np.ones((1, 7, 8, 1), dtype="float32")).shape == (1, 3, 3, 1)


def test_pooling_output_shapes_match_tensorflow():
    tf = import_tensorflow()
    for pool, stride, padding, size in itertools.product([1, 2, 3], [None, 1, 2, 3], PADDINGS, [3, 4, 5, 6, 7]):
        ours = layers.MaxPooling2D(pool, strides=stride, padding=padding).compute_output_shape((size, size + 1, 3))
        theirs = tf.keras.layers.MaxPooling2D(pool, strides=stride, padding=padding).compute_output_shape(
            (None, size, size + 1, 3))
        assert (None,) + ours == tuple(theirs), (pool, stride, padding, size)


@pytest.mark.parametrize("cls", [layers.MaxPooling2D, layers.AveragePooling2D])
@pytest.mark.parametrize("kwargs,name", [
    ({"pool_size": 0}, "pool_size"),
    ({"pool_size": (2, 0)}, "pool_size"),
    ({"pool_size": (2, 2, 2)}, "pool_size"),
    ({"pool_size": 1.5}, "pool_size"),
    ({"strides": 0}, "strides"),
    ({"strides": (1, -1)}, "strides"),
    ({"padding": "full"}, "padding"),
    ({"padding": None}, "padding"),
])
def test_pooling_rejects_bad_arguments(cls, kwargs, name):
    with pytest.raises((TypeError, ValueError), match=f"`{name}`"):
        cls(**kwargs)


@pytest.mark.parametrize("cls", list(GLOBAL.values()))
def test_global_pooling_rejects_bad_keepdims(cls):
    with pytest.raises(TypeError, match="`keepdims`"):
        cls(keepdims="yes")


@pytest.mark.parametrize("cls", list(WINDOWED.values()) + list(GLOBAL.values()))
@pytest.mark.parametrize("shape", [(4, 10), (4, 5, 5)])
def test_pooling_rejects_inputs_without_channels(cls, shape):
    with pytest.raises(ValueError, match=r"expects inputs of shape \(None, H, W, C\)"):
        cls()(np.ones(shape, dtype="float32"))


def test_pooling_rejects_images_smaller_than_the_window():
    with pytest.raises(ValueError, match=r"padding='valid' needs inputs of shape \(None, H, W, C\) with H >= 3"):
        layers.MaxPooling2D(3)(np.ones((1, 2, 5, 1), dtype="float32"))
    assert layers.MaxPooling2D(3, padding="same")(np.ones((1, 2, 5, 1), dtype="float32")).shape == (1, 1, 2, 1)


@pytest.mark.parametrize("layer", [
    layers.MaxPooling2D((3, 2), strides=(1, 2), padding="same", name="pool_a"),
    layers.AveragePooling2D(3, name="pool_b", dtype="float64"),
    layers.GlobalMaxPooling2D(keepdims=True, name="pool_c"),
    layers.GlobalAveragePooling2D(name="pool_d"),
])
def test_pooling_get_config_round_trip(layer):
    config = layer.get_config()
    clone = type(layer)(**config)
    assert clone.get_config() == config
    x = np.random.default_rng(9).standard_normal((2, 6, 5, 3))
    np.testing.assert_array_equal(clone(x), layer(x))
