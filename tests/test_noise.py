"""The training-only noise layers in training: GaussianNoise, GaussianDropout, SpatialDropout1D/2D.

Their draws cannot match TensorFlow's, so parity covers inference (tests/parity/test_simple_layers.py) and
these tests the statistics of the noise, that the gradient uses the same noise, and the seeding.
"""

import numpy as np
import pytest

import redes
from redes import Tensor4D, layers


def _backward(layer, upstream: np.ndarray) -> np.ndarray:
    return np.asarray(layer.backward(Tensor4D.from_natural(upstream))).reshape(upstream.shape)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_gaussian_noise_adds_zero_mean_noise_of_stddev(dtype):
    layer = layers.GaussianNoise(0.3, seed=0, dtype=dtype)
    x = np.full((400, 500), 2.0, dtype)
    noise = np.asarray(layer(x, training=True)) - x
    assert noise.dtype == np.dtype(dtype)
    assert abs(noise.mean()) < 3 * 0.3 / np.sqrt(noise.size)
    assert abs(noise.std() - 0.3) < 0.003
    upstream = Tensor4D.from_natural(np.ones_like(x))
    assert layer.backward(upstream) is upstream  # dL/dx = dL/dy
    np.testing.assert_array_equal(layer(x), x)  # inference: the identity


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_gaussian_dropout_multiplies_by_mean_one_noise_and_its_gradient_by_the_same(dtype):
    rate = 0.2
    layer = layers.GaussianDropout(rate, seed=0, dtype=dtype)
    x = np.random.default_rng(1).uniform(1.0, 2.0, (400, 500)).astype(dtype)
    factors = np.asarray(layer(x, training=True)) / x
    assert abs(factors.mean() - 1.0) < 3 * np.sqrt(rate / (1 - rate) / factors.size)
    assert abs(factors.var() / (rate / (1 - rate)) - 1.0) < 0.01
    upstream = np.random.default_rng(2).standard_normal(x.shape).astype(dtype)
    np.testing.assert_allclose(_backward(layer, upstream), upstream * factors, rtol=1e-5 if dtype == "float32" else 1e-12)
    np.testing.assert_array_equal(layer(x), x)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name,shape", [("SpatialDropout1D", (50, 20, 40)), ("SpatialDropout2D", (50, 4, 5, 40))])
def test_spatial_dropout_drops_whole_channels(name, shape, dtype):
    rate = 0.4
    layer = getattr(layers, name)(rate, seed=0, dtype=dtype)
    x = np.random.default_rng(1).uniform(1.0, 2.0, shape).astype(dtype)
    factors = (np.asarray(layer(x, training=True)) / x).reshape(shape[0], -1, shape[-1])  # (batch, positions, c)
    np.testing.assert_allclose(factors, factors[:, :1, :].repeat(factors.shape[1], axis=1), rtol=1e-6)
    kept = factors[:, 0, :]
    assert np.all(np.isclose(kept, 0.0) | np.isclose(kept, 1 / (1 - rate), rtol=1e-6))
    dropped = (kept == 0).mean()
    assert abs(dropped - rate) < 3 * np.sqrt(rate * (1 - rate) / kept.size)
    upstream = np.random.default_rng(2).standard_normal(shape).astype(dtype)
    np.testing.assert_allclose(_backward(layer, upstream).reshape(factors.shape), upstream.reshape(factors.shape)
                               * factors, rtol=1e-5 if dtype == "float32" else 1e-12)
    np.testing.assert_array_equal(layer(x), x)


@pytest.mark.parametrize("make", [lambda **kw: layers.GaussianNoise(0.5, **kw),
                                  lambda **kw: layers.GaussianDropout(0.5, **kw),
                                  lambda **kw: layers.SpatialDropout1D(0.5, **kw)])
def test_seeds_as_dropout(make):
    x = np.ones((4, 6, 8), "float32")
    first, second = make(seed=7), make(seed=7)
    a = first(x, training=True)
    np.testing.assert_array_equal(a, second(x, training=True))
    assert not np.array_equal(a, first(x, training=True)), "a seeded layer must draw new noise on each call"
    unseeded = make()
    redes.set_random_seed(8)
    c = unseeded(x, training=True)
    redes.set_random_seed(8)
    np.testing.assert_array_equal(c, unseeded(x, training=True))


def test_spatial_dropout_checks_the_rank():
    with pytest.raises(ValueError, match="feature axes"):
        layers.SpatialDropout1D(0.5)(np.ones((2, 3, 3, 2)))
    with pytest.raises(ValueError, match="feature axes"):
        layers.SpatialDropout2D(0.5)(np.ones((2, 3, 2)))
