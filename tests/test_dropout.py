import numpy as np
import pytest

import redes
from helpers import assert_parity, check_layer_gradients, import_tensorflow, tf_vjp
from tolerances import SINGLE_MULTIPLY_RTOL
from redes import Tensor4D, backend, layers


@pytest.mark.parametrize("rate", [0.2, 0.7])
@pytest.mark.parametrize("shape", [(4, 1, 1, 5), (2, 3, 2, 3)])
def test_dropout_gradients(rate, shape):
    layer = layers.Dropout(rate, dtype="float64")
    x = np.random.default_rng(1).standard_normal(shape)
    errors = check_layer_gradients(layer, x, before_forward=lambda: redes.set_random_seed(0))
    assert list(errors) == ["input"] and layer.trainable_weights == []


@pytest.mark.parametrize("rate", [0.25, 0.5])
def test_dropout_matches_reference_math(rate):
    redes.set_random_seed(3)
    layer = layers.Dropout(rate)
    x = np.random.default_rng(2).uniform(0.5, 1.5, (64, 8, 8, 4)).astype("float32")
    y = np.asarray(layer(Tensor4D(x), training=True))
    kept = np.random.default_rng(3).random(x.shape, dtype=np.float32) >= rate  # the layer's draw, redone here
    expected = np.where(kept, x * np.float32(1 / (1 - rate)), 0)
    np.testing.assert_array_equal(y, expected)
    grad = np.random.default_rng(4).standard_normal(x.shape).astype("float32")
    dx = np.asarray(layer.backward(Tensor4D(grad)))
    np.testing.assert_array_equal(dx, np.where(kept, grad * np.float32(1 / (1 - rate)), 0))
    assert y.dtype == dx.dtype == np.float32


@pytest.mark.parametrize("rate", [0.1, 0.5, 0.9])
def test_dropout_drops_the_expected_fraction(rate):
    layer = layers.Dropout(rate, seed=5)
    x = np.ones((100, 10, 10, 10), dtype="float32")
    y = np.asarray(layer(Tensor4D(x), training=True))
    n = x.size
    dropped = (y == 0).mean()
    assert abs(dropped - rate) < 5 * np.sqrt(rate * (1 - rate) / n)
    np.testing.assert_allclose(y[y != 0], 1 / (1 - rate), rtol=1e-6)
    assert abs(y.mean() - 1) < 5 * np.sqrt(rate / (1 - rate) / n)


def test_dropout_inference_and_rate_zero_are_identity_without_copy():
    x = Tensor4D(np.random.default_rng(6).standard_normal((3, 1, 1, 4)).astype("float32"))
    layer = layers.Dropout(0.5)
    assert layer(x) is x and layer(x, training=False) is x
    grad = Tensor4D(np.ones((3, 1, 1, 4), dtype="float32"))
    assert layer.backward(grad) is grad
    zero = layers.Dropout(0.0)
    assert zero(x, training=True) is x and zero.backward(grad) is grad


def test_dropout_seeds():
    x = np.ones((4, 50), dtype="float32")
    first, second = layers.Dropout(0.5, seed=7), layers.Dropout(0.5, seed=7)
    a, b = first(x, training=True), second(x, training=True)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, first(x, training=True)), "a seeded layer must draw a new mask on each call"
    unseeded = layers.Dropout(0.5)
    redes.set_random_seed(8)
    c = unseeded(x, training=True)
    redes.set_random_seed(8)
    np.testing.assert_array_equal(c, unseeded(x, training=True))
    assert not np.array_equal(c, unseeded(x, training=True))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", [(16, 12), (4, 5, 6, 3)])
def test_dropout_tensorflow_parity(dtype, shape, monkeypatch):
    tf = import_tensorflow()
    rate = 0.4
    rng = np.random.default_rng(9)
    x = rng.uniform(0.5, 2.0, shape).astype(dtype) * rng.choice([-1, 1], shape).astype(dtype)
    upstream = rng.standard_normal(shape).astype(dtype)
    y_tf, grad_tf = tf_vjp(tf, tf.keras.layers.Dropout(rate, dtype=dtype), x, upstream, training=True)
    kept = y_tf != 0  # TensorFlow's mask: x has no zeros

    class TensorFlowMask:
        """Stands in for the global generator: uniforms that reproduce TensorFlow's mask."""

        def random(self, size, dtype):
            return np.where(kept.reshape(size), (1 + rate) / 2, rate / 2).astype(dtype)

    monkeypatch.setattr(backend, "rng", TensorFlowMask)
    ours = layers.Dropout(rate, dtype=dtype)
    y = ours(x, training=True)
    grad_x = np.asarray(ours.backward(Tensor4D.from_natural(upstream))).reshape(shape)
    assert y.dtype == grad_x.dtype == dtype
    what = "Dropout 0.4, training (TensorFlow's mask recovered from its output)"
    assert_parity(f"{what}: output", dtype, y, y_tf, rtol=SINGLE_MULTIPLY_RTOL[dtype], atol=0.0)
    assert_parity(f"{what}: input gradient", dtype, grad_x, grad_tf, rtol=SINGLE_MULTIPLY_RTOL[dtype], atol=0.0)
    assert 0.2 < 1 - kept.mean() < 0.6


@pytest.mark.parametrize("kwargs,error", [
    ({"rate": 1.0}, ValueError),
    ({"rate": -0.1}, ValueError),
    ({"rate": 1.5}, ValueError),
    ({"rate": float("nan")}, ValueError),
    ({"rate": "0.5"}, TypeError),
    ({"rate": True}, TypeError),
    ({"rate": 0.5, "seed": -1}, ValueError),
    ({"rate": 0.5, "seed": 1.5}, TypeError),
])
def test_dropout_rejects_bad_arguments(kwargs, error):
    name = "seed" if "seed" in kwargs else "rate"
    with pytest.raises(error, match=name):
        layers.Dropout(**kwargs)


def test_dropout_config_round_trip():
    layer = layers.Dropout(0.3, seed=11, name="drop_config", dtype="float64")
    config = layer.get_config()
    assert config["rate"] == 0.3 and config["seed"] == 11
    clone = type(layer)(**config)
    assert clone.get_config() == config
    x = np.ones((2, 20))
    np.testing.assert_array_equal(layer(x, training=True), clone(x, training=True))
