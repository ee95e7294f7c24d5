import math
import warnings

import numpy as np
import pytest

from helpers import (GRADCHECK_TOLERANCE, assert_parity, check_layer_gradients, import_tensorflow, numerical_gradient,
                     relative_error, tf_vjp)
from tolerances import (ACTIVATION_FLOAT64_RTOL, ERF_TOLERANCE, ERFC_RTOL_FACTOR, FLOAT64_KERAS_FLOAT32_CONSTANT_RTOL,
                        elementwise)
from redes import Tensor4D, activations, layers
from redes._math import erf, erfc

NAMES = ["linear", "relu", "leaky_relu", "elu", "sigmoid", "tanh", "softmax", "softplus", "silu", "swish", "gelu"]
EXTREMES = [-1000.0, -88.0, -1e-30, 0.0, 1e-30, 88.0, 1000.0]


def away_from_kinks(shape, seed=0):
    """Random values in ±[0.05, 4]: more than 1e-4 from the kink at 0 of relu, leaky_relu and elu."""
    rng = np.random.default_rng(seed)
    return rng.uniform(0.05, 4.0, shape) * rng.choice([-1.0, 1.0], shape)


def forward_and_gradient(activation, z, upstream):
    y = activation.forward(z)
    return y, activation.backward(z, y, upstream)


def tf_forward_and_gradient(tf, name, z, upstream, **kwargs):
    return tuple(tf_vjp(tf, getattr(tf.keras.activations, name), z, upstream, **kwargs))


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
    layer = layers.Activation(name, dtype="float64")
    check_layer_gradients(layer, away_from_kinks((2, 2, 3, 4), seed=2))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", NAMES)
def test_tensorflow_parity(name, dtype):
    tf = import_tensorflow()
    rng = np.random.default_rng(3)
    z = (rng.standard_normal((4, 2, 3, 8)) * 4).astype(dtype)
    z[0, 0, 0, :6] = [0.0, -0.0, 12.0, -12.0, 40.0, -40.0]  # the kink, and the tails
    upstream = rng.standard_normal(z.shape).astype(dtype)
    y, grad = forward_and_gradient(activations.get(name), z, upstream)
    y_tf, grad_tf = tf_forward_and_gradient(tf, name, z, upstream)
    assert y.dtype == grad.dtype == np.dtype(dtype)
    # atol: 1 − y² (tanh) and y + α (elu) cancel to an absolute error of one ulp, on both sides.
    rtol, atol = elementwise(dtype)
    what = f"Activations ({', '.join(NAMES)})"
    if dtype == "float64" and name in ACTIVATION_FLOAT64_RTOL:  # TensorFlow rounds a constant to float32
        rtol, what = ACTIVATION_FLOAT64_RTOL[name], f"Activation {name}"
    assert_parity(f"{what}: output", dtype, y, y_tf, rtol=rtol, atol=atol)
    assert_parity(f"{what}: input gradient", dtype, grad, grad_tf, rtol=rtol, atol=atol)


def test_gelu_float64_is_exact():
    z = np.concatenate([np.linspace(-30, 30, 601), [-1e-30, 0.0, 1e-30]])
    cdf = np.array([0.5 * math.erfc(-v / math.sqrt(2)) for v in z])
    pdf = np.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)
    gelu = activations.get("gelu")
    y = gelu.forward(z)
    # Also the left tail, e.g. gelu(−30) ≈ −1.5e-196; there Φ's condition number is z², hence 1e-12.
    np.testing.assert_allclose(y, z * cdf, rtol=1e-12, atol=0)
    np.testing.assert_allclose(gelu.backward(z, y, np.ones_like(z)), cdf + z * pdf, rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name,kwargs", [("leaky_relu", {"negative_slope": 0.1}), ("elu", {"alpha": 0.5})])
def test_tensorflow_parity_with_arguments(name, kwargs, dtype):
    tf = import_tensorflow()
    z = np.array([[-3.0, -0.5, 0.0, 0.5, 3.0]], dtype=dtype)
    ours = getattr(activations, name)(z, **kwargs)
    theirs, _ = tf_forward_and_gradient(tf, name, z, np.ones_like(z), **kwargs)
    assert ours.dtype == np.dtype(dtype)
    rtol, atol = elementwise(dtype)
    if dtype == "float64":
        rtol = FLOAT64_KERAS_FLOAT32_CONSTANT_RTOL  # TensorFlow's leaky slope is a float32
    what = f"Activation {name} with {kwargs}"
    assert_parity(f"{what}: output", dtype, ours, theirs, rtol=rtol, atol=atol)
    function = activations.ActivationFunction(name, *activations._REGISTRY[name], **kwargs)
    y, grad = forward_and_gradient(function, z, np.ones_like(z))
    _, grad_tf = tf_forward_and_gradient(tf, name, z, np.ones_like(z), **kwargs)
    np.testing.assert_array_equal(y, ours)
    assert_parity(f"{what}: input gradient", dtype, grad, grad_tf, rtol=rtol, atol=atol)


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", NAMES)
def test_extreme_values_are_finite_without_warnings(name, dtype):
    # Overflow, division by zero and invalid operations raise; underflow (e^-1000 = 0) is the right answer.
    z = np.array([EXTREMES, EXTREMES[::-1]], dtype=dtype)
    activation = activations.get(name)
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        y, grad = forward_and_gradient(activation, z, np.ones_like(z))
    assert np.isfinite(y).all() and np.isfinite(grad).all()
    assert y.dtype == grad.dtype == np.dtype(dtype)


def test_extreme_values_have_the_right_limits():
    z = np.array([-1000.0, 1000.0])
    np.testing.assert_array_equal(activations.sigmoid(z), [0.0, 1.0])
    np.testing.assert_array_equal(activations.softplus(z), [0.0, 1000.0])
    np.testing.assert_array_equal(activations.elu(z), [-1.0, 1000.0])
    np.testing.assert_array_equal(activations.silu(z), [0.0, 1000.0])
    np.testing.assert_array_equal(activations.gelu(z), [0.0, 1000.0])
    np.testing.assert_allclose(activations.softmax(np.array([[1000.0, 0.0, -1000.0]])), [[1.0, 0.0, 0.0]])
    sigmoid = activations.get("sigmoid")
    np.testing.assert_array_equal(sigmoid.backward(z, sigmoid.forward(z), np.ones(2)), [0.0, 0.0])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", NAMES)
def test_dtype_preserved(name, dtype):
    z = away_from_kinks((2, 3)).astype(dtype)
    function = getattr(activations, name)
    assert function(z).dtype == np.dtype(dtype)
    y, grad = forward_and_gradient(activations.get(name), z, np.ones_like(z))
    assert y.dtype == grad.dtype == np.dtype(dtype)


@pytest.mark.parametrize("call", [lambda z: activations.leaky_relu(z, 0.3), lambda z: activations.elu(z, 0.7)])
def test_dtype_preserved_with_arguments(call):
    assert call(np.array([-1.0, 1.0], dtype="float32")).dtype == np.float32


def test_keras_defaults():
    z = np.array([-2.0, 1.0])
    np.testing.assert_allclose(activations.leaky_relu(z), [-0.4, 1.0])  # function default 0.2
    np.testing.assert_allclose(activations.elu(z), [math.expm1(-2.0), 1.0])  # alpha 1
    exact = [x * 0.5 * (1 + math.erf(x / math.sqrt(2))) for x in z]  # not the tanh approximation
    np.testing.assert_allclose(activations.gelu(z), exact, rtol=1e-15)


def test_softmax_is_over_the_last_axis():
    z = np.random.default_rng(4).standard_normal((2, 3, 4, 5))
    y = activations.softmax(z)
    np.testing.assert_allclose(y.sum(axis=-1), 1.0)
    np.testing.assert_allclose(activations.softmax(z + 100.0), y)
    np.testing.assert_allclose(y, np.exp(z) / np.exp(z).sum(axis=-1, keepdims=True))


def test_get_names_aliases_and_instances():
    assert activations.get(None).name == "linear"
    assert activations.get("swish").name == "silu"
    relu = activations.get("relu")
    assert activations.get(relu) is relu
    assert activations.serialize(relu) == "relu"
    assert activations.get(relu.name).name == "relu"
    assert "relu" in repr(relu)


def test_unknown_name_lists_valid_names():
    with pytest.raises(ValueError, match="Unknown activation 'relu6'") as error:
        activations.get("relu6")
    for name in NAMES:
        assert name in str(error.value)


@pytest.mark.parametrize("bad", [3, 2.5, ["relu"], b"relu", np.tanh])
def test_wrong_type_raises_type_error(bad):
    with pytest.raises(TypeError, match="activation"):
        activations.get(bad)


@pytest.mark.parametrize("name", NAMES)
def test_activation_layer(name):
    layer = layers.Activation(name)
    x = away_from_kinks((2, 3, 4, 5)).astype("float32")
    y = np.asarray(layer(Tensor4D(x)))
    assert y.dtype == np.float32
    np.testing.assert_allclose(y, getattr(activations, name)(x), rtol=1e-6)
    assert type(layer)(**layer.get_config()).activation.name == activations.get(name).name
    natural = layers.Activation(name)(x.reshape(2, 60))
    np.testing.assert_allclose(natural, getattr(activations, name)(x.reshape(2, 60)), rtol=1e-6)


def test_activation_layer_rejects_unknown_name():
    with pytest.raises(ValueError, match="Unknown activation"):
        layers.Activation("sinc")


# ------------------------------------------------------------------ erf / erfc
@pytest.fixture(scope="module")
def grid():
    x = np.concatenate([np.linspace(-10, 10, 200_001), [0.46875, -0.46875, 4.0, -4.0, 6.0, -6.0, 26.5, 27.0]])
    return x, np.array([math.erf(v) for v in x]), np.array([math.erfc(v) for v in x])


def test_erf_float64_matches_math_erf(grid):
    x, expected, _ = grid
    assert np.abs(erf(x) - expected).max() < 1e-15


def test_erfc_float64_relative_accuracy(grid):
    x, _, expected = grid
    normal = expected >= np.finfo(np.float64).tiny  # Cody's erfc flushes subnormal results to 0
    assert (np.abs(erfc(x) - expected)[normal] / expected[normal]).max() < 5e-15
    assert np.abs(erfc(x) - expected).max() < 5e-16


@pytest.mark.filterwarnings("error")
def test_erf_special_values():
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        values = erf(np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-300, -1e300]))
        complement = erfc(np.array([0.0, np.inf, -np.inf, np.nan, 1e300, -1e300]))
    np.testing.assert_array_equal(values, [0.0, -0.0, 1.0, -1.0, np.nan, 2 / math.sqrt(math.pi) * 1e-300, -1.0])
    assert np.signbit(values[1])
    np.testing.assert_array_equal(complement, [1.0, 0.0, 2.0, np.nan, 0.0, 2.0])


def test_erf_float32_stays_float32_and_is_accurate(grid):
    x = grid[0][::10].astype("float32")
    expected = np.array([math.erf(float(v)) for v in x])
    ours = erf(x)
    assert ours.dtype == np.float32 and erfc(x).dtype == np.float32
    assert np.abs(ours - expected).max() < 4e-7
    complement = np.array([math.erfc(float(v)) for v in x])
    normal = complement > 1e-37
    assert (np.abs(erfc(x) - complement)[normal] / complement[normal]).max() < 2e-6


def test_erf_scalars_and_shapes():
    assert erf(0.5) == pytest.approx(math.erf(0.5), abs=1e-16)
    assert erf(np.float32(0.5)).dtype == np.float32
    assert erf(np.zeros((2, 0, 3))).shape == (2, 0, 3)
    assert erf(np.ones((2, 3), dtype="float16")).dtype == np.float16
    assert erf(np.array([1, 2])).dtype == np.float64
    x = np.linspace(-3, 3, 12).reshape(3, 4)
    np.testing.assert_array_equal(erf(x.T), erf(x).T)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_erf_tensorflow_parity(dtype):
    tf = import_tensorflow()
    x = np.linspace(-7, 7, 1001).astype(dtype)
    tolerance = ERF_TOLERANCE[dtype]
    assert_parity("erf on [−7, 7]", dtype, erf(x), tf.math.erf(x).numpy(), rtol=tolerance, atol=tolerance)
    assert_parity("erfc on [−7, 7]", dtype, erfc(x), tf.math.erfc(x).numpy(), rtol=tolerance * ERFC_RTOL_FACTOR,
                  atol=0.0)


def test_no_warnings_on_regular_input():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        erf(np.random.default_rng(5).standard_normal(1000))
