"""Conv2D's Winograd path (redes/layers/convolution/winograd.py): exact transforms, the choice of path,
float64 gradients, the naive loop, TensorFlow parity, and float32 error against float64."""

import numpy as np
import pytest

from helpers import assert_parity, check_layer_gradients, import_tensorflow
from test_conv import naive_conv2d, tf_conv2d
from tolerances import tolerance
from redes import Tensor4D, layers
from redes.layers.convolution import winograd

# Output sizes that divide m = 2 and 4, that divide 2 only, and that divide neither; 'same' pads a border.
CASES = [((2, 10, 10, 8), "valid", 8), ((2, 8, 9, 8), "valid", 16), ((2, 7, 6, 16), "same", 8),
         ((1, 5, 11, 12), "same", 10)]
CASE_IDS = [f"{'x'.join(map(str, s[1:]))}-{p}-F{f}" for s, p, f in CASES]


@pytest.mark.parametrize("m", [2, 4])
def test_transforms_reproduce_the_correlation(m):
    b_t, g, a_t = winograd.transforms(m)
    rng = np.random.default_rng(m)
    d, taps = rng.standard_normal(m + 2), rng.standard_normal(3)
    expected = np.array([d[o:o + 3] @ taps for o in range(m)])
    np.testing.assert_allclose(a_t @ ((g @ taps) * (b_t @ d)), expected, rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("kwargs,channels,takes", [
    ({}, 8, True), ({"padding": "same"}, 16, True), ({}, 4, False), ({"strides": 2}, 8, False),
    ({"dilation_rate": 2}, 8, False), ({"groups": 2}, 8, False), ({"kernel_size": 5}, 8, False),
])
def test_conv2d_takes_the_winograd_path_for_3x3_stride_1_only(kwargs, channels, takes):
    layer = layers.Conv2D(8, **{"kernel_size": 3, **kwargs})
    layer(Tensor4D(np.ones((1, 9, 9, channels), dtype="float32")))
    assert (layer._winograd is not None) == takes


@pytest.mark.parametrize("shape,padding,filters", CASES, ids=CASE_IDS)
@pytest.mark.parametrize("activation", [None, "tanh"])
def test_winograd_gradients(shape, padding, filters, activation):
    layer = layers.Conv2D(filters, 3, padding=padding, activation=activation, bias_initializer="glorot_uniform",
                          dtype="float64")
    check_layer_gradients(layer, np.random.default_rng(1).standard_normal(shape))
    assert layer._winograd is not None and layer._winograd.m == 4


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape,padding,filters", CASES, ids=CASE_IDS)
def test_winograd_matches_the_naive_loop(shape, padding, filters, dtype):
    layer = layers.Conv2D(filters, 3, padding=padding, bias_initializer="glorot_uniform", dtype=dtype)
    x = np.random.default_rng(2).standard_normal(shape).astype(dtype)
    y = np.asarray(layer(Tensor4D(x)))
    expected = naive_conv2d(x.astype("float64"), layer.kernel.astype("float64"), layer.bias.astype("float64"),
                            (1, 1), padding)
    error = np.abs(y - expected).max() / np.abs(expected).max()
    assert y.dtype == np.dtype(dtype) and error < (1e-6 if dtype == "float32" else 1e-13), error


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape,padding,filters", CASES, ids=CASE_IDS)
def test_winograd_tensorflow_parity(shape, padding, filters, dtype):
    tf = import_tensorflow()
    rng = np.random.default_rng(3)
    x = rng.standard_normal(shape).astype(dtype)
    ours = layers.Conv2D(filters, 3, padding=padding, activation="relu", dtype=dtype)
    y = np.asarray(ours(Tensor4D(x)))
    weights = [rng.standard_normal(w.shape).astype(dtype) for w in ours.get_weights()]
    ours.set_weights(weights)
    upstream = rng.standard_normal(y.shape).astype(dtype)
    expected = tf_conv2d(tf, x, weights[0], weights[1], upstream, strides=1, padding=padding, activation="relu")
    got = [np.asarray(ours(Tensor4D(x))), np.asarray(ours.backward(Tensor4D(upstream)))] + ours.gradients
    assert ours._winograd is not None
    for name, ours_value, their_value in zip(["output", "input gradient", "kernel gradient", "bias gradient"],
                                             got, expected):
        assert_parity(f"Conv2D 3×3 stride 1 on the Winograd path (C 8–16, sizes not divisible by m): {name}",
                      dtype, ours_value, their_value, tolerance(dtype))


def test_winograd_float32_error_against_float64_on_the_seed_cnn_layer():
    """The seed CNN's second convolution, 32 → 64 on 26×26: forward and both gradients within 1e-6 of float64."""
    rng = np.random.default_rng(4)
    x = rng.standard_normal((4, 26, 26, 32))
    kernel = rng.standard_normal((3, 3, 32, 64)) * np.sqrt(2 / 288)
    grad = rng.standard_normal((4, 24, 24, 64))
    plan64, plan32 = winograd.Winograd(x.shape, 0, "float64"), winograd.Winograd(x.shape, 0, "float32")
    exact = [plan64.forward(x, kernel), *plan64.backward(x, kernel, grad)]
    x32, kernel32, grad32 = (a.astype("float32") for a in (x, kernel, grad))
    rounded = [plan32.forward(x32, kernel32), *plan32.backward(x32, kernel32, grad32)]
    for name, a, b in zip(["output", "input gradient", "kernel gradient"], rounded, exact):
        assert a.dtype == np.float32
        assert np.abs(a - b).max() / np.abs(b).max() < 1e-6, name
