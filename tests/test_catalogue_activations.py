"""The Java library's extra activations (selu, arctan, sine, hard_sigmoid, exponential, mish) and argmax."""

import math

import numpy as np
import pytest

from helpers import (GRADCHECK_TOLERANCE, assert_parity, check_layer_gradients, import_tensorflow, numerical_gradient,
                     relative_error, tf_vjp)
from tolerances import elementwise
from redes import activations, layers

NAMES = ["selu", "arctan", "sine", "hard_sigmoid", "exponential", "mish"]

# A naive per-element reference for each forward, from the formulas.
SELU_ALPHA, SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946


def naive(name: str, v: float) -> float:
    if name == "selu":
        return SELU_SCALE * (v if v > 0 else SELU_ALPHA * (math.exp(v) - 1))
    if name == "arctan":
        return math.atan(v)
    if name == "sine":
        return math.sin(v)
    if name == "hard_sigmoid":
        return min(max(v / 6 + 0.5, 0.0), 1.0)
    if name == "exponential":
        return math.exp(v)
    return v * math.tanh(math.log1p(math.exp(v)))  # mish


def away_from_kinks(shape, seed=0):
    """Values in ±[0.05, 2.9]: away from selu's kink at 0 and hard_sigmoid's at ±3."""
    rng = np.random.default_rng(seed)
    return rng.uniform(0.05, 2.9, shape) * rng.choice([-1.0, 1.0], shape)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("shape", [(3, 5), (2, 2, 3, 4)])
def test_backward_matches_central_differences(name, shape):
    activation = activations.get(name)
    z = away_from_kinks(shape)
    upstream = np.random.default_rng(1).standard_normal(shape)
    analytic = activation.backward(z, activation.forward(z), upstream)
    numeric = numerical_gradient(lambda: float((activation.forward(z) * upstream).sum()), z)
    assert relative_error(analytic, numeric) < GRADCHECK_TOLERANCE


@pytest.mark.parametrize("name", NAMES)
def test_activation_layer_gradients(name):
    check_layer_gradients(layers.Activation(name, dtype="float64"), away_from_kinks((2, 2, 3, 4), seed=2))


@pytest.mark.parametrize("name", NAMES)
def test_forward_matches_naive_formula(name):
    z = np.concatenate([np.linspace(-6, 6, 97), [-3.0, 3.0, 0.0, -1e-30, 1e-30]])
    expected = np.array([naive(name, v) for v in z])
    np.testing.assert_allclose(activations.get(name).forward(z), expected, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(getattr(activations, name)(z), expected, rtol=1e-12, atol=1e-15)


def tf_function(tf, name):
    if name == "arctan":
        return tf.math.atan
    if name == "sine":
        return tf.math.sin
    return getattr(tf.keras.activations, name)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", NAMES)
def test_tensorflow_parity(name, dtype):
    tf = import_tensorflow()
    rng = np.random.default_rng(3)
    z = (rng.standard_normal((4, 2, 3, 8)) * 4).astype(dtype)
    z[0, 0, 0, :8] = [0.0, -0.0, 3.0, -3.0, 12.0, -12.0, 40.0, -40.0]  # kinks and tails
    if name == "exponential":
        z = np.clip(z, -40, 20)
    upstream = rng.standard_normal(z.shape).astype(dtype)
    activation = activations.get(name)
    y = activation.forward(z)
    grad = activation.backward(z, y, upstream)
    y_tf, grad_tf = tf_vjp(tf, tf_function(tf, name), z, upstream)
    assert y.dtype == grad.dtype == np.dtype(dtype)
    rtol, atol = elementwise(dtype)
    what = f"Activations ({', '.join(NAMES)})"
    assert_parity(f"{what}: output", dtype, y, y_tf, rtol=rtol, atol=atol)
    assert_parity(f"{what}: input gradient", dtype, grad, grad_tf, rtol=rtol, atol=atol)


def test_selu_and_hard_sigmoid_kinks_follow_tensorflow():
    z, ones = np.array([0.0, -3.0, 3.0]), np.ones(3)
    selu, hard = activations.get("selu"), activations.get("hard_sigmoid")
    assert selu.backward(z[:1], selu.forward(z[:1]), ones[:1])[0] == pytest.approx(SELU_SCALE)
    np.testing.assert_array_equal(hard.backward(z, hard.forward(z), ones), [1 / 6, 0.0, 0.0])
    np.testing.assert_array_equal(hard.forward(np.array([-10.0, -3.0, 0.0, 3.0, 10.0])), [0, 0, 0.5, 1, 1])


def test_names_aliases_and_layers():
    assert activations.get("sin").name == "sine" and activations.sin is activations.sine
    dense = layers.Dense(3, activation="mish", dtype="float64")
    out = dense(np.ones((2, 4)))
    expected = activations.mish(np.ones((2, 4)) @ dense.kernel + dense.bias)
    np.testing.assert_allclose(np.asarray(out).reshape(2, 3), expected)
    with pytest.raises(ValueError, match="arctan.*exponential.*hard_sigmoid.*mish.*selu.*sin.*sine"):
        activations.get("arctanh")


def test_float32_stays_float32():
    z = np.linspace(-5, 5, 11, dtype=np.float32)
    for name in NAMES:
        activation = activations.get(name)
        y = activation.forward(z)
        assert y.dtype == np.float32 and activation.backward(z, y, np.ones_like(z)).dtype == np.float32


def test_argmax():
    p = np.array([[0.1, 0.7, 0.2], [0.8, 0.1, 0.1], [0.3, 0.3, 0.4]])
    np.testing.assert_array_equal(activations.argmax(p), [1, 0, 2])
    np.testing.assert_array_equal(activations.argmax(np.array([[0.9], [0.2], [0.5]])), [1, 0, 0])
    np.testing.assert_array_equal(activations.argmax(np.array([[0.5, 0.5]])), [0])  # ties: the first
    images = np.random.default_rng(0).random((2, 3, 3, 4))
    np.testing.assert_array_equal(activations.argmax(images), images.argmax(axis=-1))
    with pytest.raises(ValueError, match="probabilities"):
        activations.argmax(np.float64(0.3))
