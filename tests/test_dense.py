import numpy as np
import pytest

from helpers import assert_parity, check_layer_gradients, import_tensorflow, tf_vjp
from tolerances import tolerance
from redes import Tensor4D, layers, regularizers


@pytest.mark.parametrize("activation", ["linear", "relu", "tanh", "softmax", "sigmoid"])
@pytest.mark.parametrize("shape", [(4, 1, 1, 5), (2, 3, 2, 5)])
def test_dense_gradients(activation, shape):
    layer = layers.Dense(3, activation=activation, dtype="float64")
    x = np.random.default_rng(1).standard_normal(shape)
    check_layer_gradients(layer, x)


def test_dense_regularizer_gradient_and_penalty():
    layer = layers.Dense(3, kernel_regularizer=regularizers.l2(0.1), bias_regularizer=regularizers.l1(0.2),
                         bias_initializer="ones", dtype="float64")
    x = np.random.default_rng(2).standard_normal((4, 1, 1, 5))
    y = layer(Tensor4D(x))
    layer.backward(Tensor4D(np.zeros(y.shape)))
    kernel_grad, bias_grad = layer.gradients
    np.testing.assert_allclose(kernel_grad, 2 * 0.1 * layer.kernel)
    np.testing.assert_allclose(bias_grad, 0.2 * np.ones(3))
    assert layer.losses == pytest.approx([0.1 * (layer.kernel ** 2).sum(), 0.2 * 3])


def test_dense_matches_naive_loop_on_images():
    layer = layers.Dense(4)
    x = np.random.default_rng(3).standard_normal((2, 3, 5, 6)).astype("float32")
    y = np.asarray(layer(Tensor4D(x)))
    expected = np.einsum("nhwc,cu->nhwu", x, layer.kernel) + layer.bias
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-6)
    assert y.dtype == np.float32


def test_dense_natural_arrays_and_weights_order():
    layer = layers.Dense(7, use_bias=True)
    out = layer(np.ones((3, 5), dtype="float32"))
    assert out.shape == (3, 7)
    kernel, bias = layer.get_weights()
    assert kernel.shape == (5, 7) and bias.shape == (7,)
    assert layer.count_params() == 5 * 7 + 7


@pytest.mark.parametrize("bad", [0, -3, 2.5, "4"])
def test_dense_rejects_bad_units(bad):
    with pytest.raises((TypeError, ValueError), match="units"):
        layers.Dense(bad)


def test_dense_rejects_input_of_another_shape():
    layer = layers.Dense(2)
    layer(np.ones((1, 4), dtype="float32"))
    with pytest.raises(ValueError, match="built for inputs of shape"):
        layer(np.ones((1, 5), dtype="float32"))


def test_set_weights_checks_count_and_shapes():
    layer = layers.Dense(2)
    layer(np.ones((1, 3), dtype="float32"))
    with pytest.raises(ValueError, match="expects 2 weight arrays"):
        layer.set_weights([np.zeros((3, 2))])
    with pytest.raises(ValueError, match="has shape"):
        layer.set_weights([np.zeros((2, 3)), np.zeros(2)])
    kernel = layer.kernel
    layer.set_weights([np.ones((3, 2)), np.zeros(2)])
    assert layer.kernel is kernel and (kernel == 1).all()


@pytest.mark.parametrize("use_bias", [True, False])
@pytest.mark.parametrize("dtype,atol", [("float32", 1e-5), ("float64", 1e-12)])
def test_dense_tensorflow_parity(dtype, atol, use_bias):
    tf = import_tensorflow()
    rng = np.random.default_rng(4)
    x = rng.standard_normal((6, 8)).astype(dtype)
    ours = layers.Dense(5, activation="tanh", use_bias=use_bias, dtype=dtype)
    theirs = tf.keras.layers.Dense(5, activation="tanh", use_bias=use_bias, dtype=dtype)
    theirs.build((None, 8))
    theirs.set_weights([rng.standard_normal(w.shape).astype(dtype) * 0.5 for w in theirs.get_weights()])
    ours(x)
    ours.set_weights(theirs.get_weights())
    upstream = rng.standard_normal((6, 5)).astype(dtype)
    y_tf, *their_grads = tf_vjp(tf, theirs, x, upstream)
    y = ours(x)
    grad_x = np.asarray(ours.backward(Tensor4D.from_natural(upstream))).reshape(x.shape)
    got = {"output": (y, y_tf), "input gradient": (grad_x, their_grads[0])}
    got.update({f"{name} gradient": (ours_grad, their_grad)
                for name, ours_grad, their_grad in zip(["kernel", "bias"], ours.gradients, their_grads[1:])})
    for name, (ours_value, their_value) in got.items():
        assert ours_value.dtype == np.dtype(dtype), name
        weight_atol = atol * 10 if name in ("kernel gradient", "bias gradient") else atol
        assert_parity(f"Dense (tanh, with and without bias): {name}", dtype, ours_value, their_value,
                      tolerance(dtype), rtol=0.0, atol=weight_atol)
