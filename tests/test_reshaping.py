"""UpSampling, ZeroPadding and Cropping (1-D and 2-D) against direct NumPy versions, and their shapes."""

import numpy as np
import pytest

from helpers import check_layer_gradients
from redes import Tensor4D, layers


def naive_bilinear(x, size):
    """TensorFlow's bilinear resize (half-pixel centres, no antialias), pixel by pixel."""
    n, height, width, channels = x.shape
    y = np.zeros((n, height * size[0], width * size[1], channels))
    for p in range(height * size[0]):
        u = (p + 0.5) / size[0] - 0.5
        top, bottom, a = max(int(np.floor(u)), 0), min(int(np.ceil(u)), height - 1), u - np.floor(u)
        for q in range(width * size[1]):
            v = (q + 0.5) / size[1] - 0.5
            left, right, b = max(int(np.floor(v)), 0), min(int(np.ceil(v)), width - 1), v - np.floor(v)
            upper = x[:, top, left] + (x[:, top, right] - x[:, top, left]) * b
            lower = x[:, bottom, left] + (x[:, bottom, right] - x[:, bottom, left]) * b
            y[:, p, q] = upper + (lower - upper) * a
    return y


@pytest.mark.parametrize("size", [(2, 2), (3, 1), (1, 4), (3, 5)])
def test_bilinear_upsampling_matches_the_pixel_loop(size):
    x = np.random.default_rng(0).standard_normal((2, 4, 3, 2))
    y = np.asarray(layers.UpSampling2D(size, interpolation="bilinear", dtype="float64")(x))
    np.testing.assert_allclose(y, naive_bilinear(x, size), rtol=1e-12, atol=1e-12)


def test_nearest_upsampling_repeats_each_pixel():
    x = np.random.default_rng(1).standard_normal((2, 3, 4, 2))
    y = np.asarray(layers.UpSampling2D((2, 3), dtype="float64")(x))
    np.testing.assert_array_equal(y, x.repeat(2, axis=1).repeat(3, axis=2))
    steps = np.random.default_rng(2).standard_normal((2, 5, 3))
    np.testing.assert_array_equal(layers.UpSampling1D(3, dtype="float64")(steps), steps.repeat(3, axis=1))


@pytest.mark.parametrize("layer, shape", [
    (layers.UpSampling2D((2, 3), interpolation="BILINEAR"), (2, 3, 4, 2)),
    (layers.UpSampling2D(3), (1, 2, 3, 2)),
    (layers.UpSampling1D(2), (2, 1, 4, 3)),
    (layers.ZeroPadding2D((1, 2)), (2, 3, 2, 2)),
    (layers.ZeroPadding1D(3), (2, 1, 4, 2)),
    (layers.Cropping2D((1, 0)), (2, 4, 3, 2)),
    (layers.Cropping1D((0, 2)), (2, 1, 5, 2)),
], ids=lambda value: type(value).__name__ if isinstance(value, layers.Layer) else None)
def test_reshaping_gradients(layer, shape):
    layer.dtype = "float64"
    check_layer_gradients(layer, np.random.default_rng(3).standard_normal(shape))


def test_padding_and_cropping_are_inverse():
    x = np.random.default_rng(4).standard_normal((2, 4, 5, 3))
    pairs = ((2, 1), (0, 3))
    padded = np.asarray(layers.ZeroPadding2D(pairs, dtype="float64")(x))
    np.testing.assert_array_equal(padded, np.pad(x, ((0, 0), *pairs, (0, 0))))
    np.testing.assert_array_equal(layers.Cropping2D(pairs, dtype="float64")(padded), x)


@pytest.mark.parametrize("layer, input_shape, output_shape", [
    (layers.ZeroPadding2D(2), (3, 4, 1), (7, 8, 1)),
    (layers.ZeroPadding2D((1, 0)), (3, 4, 1), (5, 4, 1)),
    (layers.ZeroPadding1D((1, 3)), (None, 2), (None, 2)),
    (layers.Cropping2D(((1, 0), (1, 2))), (3, 4, 1), (2, 1, 1)),
    (layers.Cropping1D(), (5, 2), (3, 2)),
    (layers.UpSampling2D((2, 3)), (3, None, 1), (6, None, 1)),
    (layers.UpSampling1D(4), (5, 2), (20, 2)),
])
def test_output_shapes(layer, input_shape, output_shape):
    assert layer.compute_output_shape(input_shape) == output_shape


def test_cropping_everything_is_an_error():
    with pytest.raises(ValueError, match=r"cropping=\(\(2, 2\), \(0, 0\)\) leaves nothing"):
        layers.Cropping2D(((2, 2), (0, 0)))(np.ones((1, 4, 4, 1), dtype="float32"))


def test_configs_are_keras_shaped():
    assert layers.ZeroPadding1D(2).get_config()["padding"] == (2, 2)
    assert layers.Cropping2D(1).get_config()["cropping"] == ((1, 1), (1, 1))
    config = layers.UpSampling2D(interpolation="Bilinear").get_config()
    assert config["interpolation"] == "bilinear" and config["size"] == (2, 2)
    assert "interpolation" not in layers.UpSampling1D().get_config()
    upsampled = layers.UpSampling2D()(Tensor4D(np.ones((1, 2, 2, 1), dtype="float32")))
    assert upsampled.shape == (1, 4, 4, 1)
