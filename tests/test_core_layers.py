import numpy as np
import pytest

from helpers import check_layer_gradients, import_tensorflow, tf_vjp
from redes import Tensor4D, layers

ACTIVATION_LAYERS = [
    (lambda dt: layers.ReLU(dtype=dt), lambda k: k.layers.ReLU()),
    (lambda dt: layers.LeakyReLU(dtype=dt), lambda k: k.layers.LeakyReLU()),
    (lambda dt: layers.LeakyReLU(0.1, dtype=dt), lambda k: k.layers.LeakyReLU(negative_slope=0.1)),
    (lambda dt: layers.ELU(0.5, dtype=dt), lambda k: k.layers.ELU(alpha=0.5)),
    (lambda dt: layers.Softmax(dtype=dt), lambda k: k.layers.Softmax()),
]


@pytest.mark.parametrize("make,_", ACTIVATION_LAYERS)
def test_activation_layer_gradients(make, _):
    x = np.random.default_rng(7).standard_normal((3, 2, 2, 4))
    x[np.abs(x) < 1e-3] = 0.5  # keep away from the kink at 0
    check_layer_gradients(make("float64"), x)


@pytest.mark.parametrize("make,make_keras", ACTIVATION_LAYERS)
def test_activation_layer_tensorflow_parity(make, make_keras):
    tf = import_tensorflow()
    x = np.random.default_rng(8).standard_normal((4, 3, 5)).astype("float32")
    ours, theirs = make("float32"), make_keras(tf.keras)
    upstream = np.random.default_rng(9).standard_normal(x.shape).astype("float32")
    expected, expected_grad = tf_vjp(tf, theirs, x, upstream)
    y = ours(x)
    np.testing.assert_allclose(y, expected, rtol=1e-6, atol=1e-7)
    grad = np.asarray(ours.backward(Tensor4D.from_natural(upstream))).reshape(x.shape)
    np.testing.assert_allclose(grad, expected_grad, rtol=1e-5, atol=1e-6)


def test_leaky_relu_defaults_follow_keras():
    assert layers.LeakyReLU().negative_slope == 0.3
    assert layers.LeakyReLU().activation.config == {"negative_slope": 0.3}
    with pytest.raises(ValueError, match="negative_slope"):
        layers.LeakyReLU(-1)


def test_flatten_is_row_major_and_zero_copy():
    x = np.arange(2 * 3 * 4 * 5, dtype="float32").reshape(2, 3, 4, 5)
    flatten = layers.Flatten()
    t = Tensor4D(x)
    y = flatten(t)
    assert y.shape == (2, 1, 1, 60) and np.shares_memory(np.asarray(y), x)
    np.testing.assert_array_equal(np.asarray(y).reshape(2, 60), x.reshape(2, -1))
    back = flatten.backward(y)
    assert back.shape == x.shape
    assert flatten.compute_output_shape((3, 4, 5)) == (60,)


def test_reshape_forward_backward_and_errors():
    reshape = layers.Reshape((4, -1))
    x = np.arange(24, dtype="float32").reshape(2, 12)
    y = reshape(x)
    assert y.shape == (2, 4, 3)
    np.testing.assert_array_equal(y, x.reshape(2, 4, 3))
    grad = reshape.backward(Tensor4D.from_natural(y))
    np.testing.assert_array_equal(np.asarray(grad).reshape(2, 12), x)
    with pytest.raises(ValueError, match="cannot turn 12 values"):
        layers.Reshape((5,))(x)
    with pytest.raises(ValueError, match="target_shape"):
        layers.Reshape((-1, -1))


def test_input_checks_its_shape():
    with pytest.raises(ValueError, match="shape"):
        layers.Input((0, 3))
    with pytest.raises(ValueError, match=r"expects arrays of shape \(None, 4\)"):
        layers.Input((4,)).build_for((5,))


def test_tensor4d_wraps_without_copy():
    data = np.zeros((2, 3, 4, 5), dtype="float32")
    t = Tensor4D(data)
    assert np.asarray(t) is data and t.shape == data.shape and t.dtype == np.float32
    assert isinstance(t[:1], Tensor4D) and t[0].shape == (3, 4, 5)
    assert repr(t) == "Tensor4D(shape=(2, 3, 4, 5), dtype=float32)"
    flat = Tensor4D.from_natural(np.ones((2, 7)))
    assert flat.shape == (2, 1, 1, 7)
    with pytest.raises(ValueError, match="4-D"):
        Tensor4D(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="shape"):
        Tensor4D.from_natural(np.zeros(3))


@pytest.mark.parametrize("cls,args", [(layers.ReLU, ()), (layers.LeakyReLU, (0.2,)), (layers.ELU, (0.7,)),
                                      (layers.Softmax, ()), (layers.Reshape, ((2, 3),)), (layers.Flatten, ()),
                                      (layers.Activation, ("tanh",))])
def test_get_config_round_trip(cls, args):
    layer = cls(*args)
    config = layer.get_config()
    assert cls(**config).get_config() == config
