import numpy as np
import pytest

from helpers import GRADCHECK_TOLERANCE, assert_parity, import_tensorflow, numerical_gradient, relative_error
from tolerances import FLOAT32_RTOL, FLOAT64_KERAS_FLOAT32_CONSTANT_RTOL
from redes import Tensor4D, layers, regularizers

CASES = [
    (regularizers.L1(0.03), 0.03, 0.0),
    (regularizers.L2(0.02), 0.0, 0.02),
    (regularizers.L1L2(l1=0.01, l2=0.05), 0.01, 0.05),
    (regularizers.l1(), 0.01, 0.0),
    (regularizers.l2(), 0.0, 0.01),
    (regularizers.l1_l2(), 0.0, 0.0),
]
IDS = ["L1", "L2", "L1L2", "l1-default", "l2-default", "l1_l2-default"]


def weights(dtype="float64", shape=(4, 3, 5)):
    """Random weights at least 0.01 away from the kink of |w| at 0."""
    rng = np.random.default_rng(0)
    return (rng.uniform(0.01, 2.0, shape) * rng.choice([-1.0, 1.0], shape)).astype(dtype)


@pytest.mark.parametrize("regularizer,l1,l2", CASES, ids=IDS)
def test_penalty_and_gradient_formulas(regularizer, l1, l2):
    w = weights()
    assert (regularizer.l1, regularizer.l2) == (l1, l2)
    assert regularizer.penalty(w) == pytest.approx(l1 * np.abs(w).sum() + l2 * (w ** 2).sum(), rel=1e-14)
    assert regularizer(w) == regularizer.penalty(w)
    np.testing.assert_allclose(regularizer.gradient(w), l1 * np.sign(w) + 2 * l2 * w, rtol=1e-15)


@pytest.mark.parametrize("regularizer,l1,l2", CASES, ids=IDS)
def test_gradient_matches_central_differences(regularizer, l1, l2):
    w = weights()
    numeric = numerical_gradient(lambda: regularizer.penalty(w), w)
    assert relative_error(regularizer.gradient(w), numeric) < GRADCHECK_TOLERANCE


def test_l1_gradient_is_zero_at_zero():
    np.testing.assert_array_equal(regularizers.L1(0.5).gradient(np.array([0.0, -0.0, 2.0])), [0.0, 0.0, 0.5])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("regularizer,l1,l2", CASES, ids=IDS)
def test_gradient_keeps_dtype_and_penalty_is_a_float(regularizer, l1, l2, dtype):
    w = weights(dtype)
    assert regularizer.gradient(w).dtype == np.dtype(dtype)
    assert isinstance(regularizer.penalty(w), float)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("ours,theirs", [
    (regularizers.L1(0.03), ("L1", {"l1": 0.03})),
    (regularizers.L2(0.02), ("L2", {"l2": 0.02})),
    (regularizers.L1L2(0.01, 0.05), ("L1L2", {"l1": 0.01, "l2": 0.05})),
    (regularizers.l1(), ("L1", {})),
    (regularizers.l2(), ("L2", {})),
])
def test_tensorflow_parity(ours, theirs, dtype):
    tf = import_tensorflow()
    name, kwargs = theirs
    keras_regularizer = getattr(tf.keras.regularizers, name)(**kwargs)
    w = weights(dtype)
    w_tf = tf.Variable(w)
    with tf.GradientTape() as tape:
        penalty = keras_regularizer(w_tf)
    # Keras keeps its factors as float32, so float64 agrees to about 1e-8.
    rtol = FLOAT32_RTOL if dtype == "float32" else FLOAT64_KERAS_FLOAT32_CONSTANT_RTOL
    assert_parity(f"{name}: penalty", dtype, ours.penalty(w), float(penalty), rtol)
    assert_parity(f"{name}: penalty gradient", dtype, ours.gradient(w), tape.gradient(penalty, w_tf).numpy(),
                  rtol=rtol, atol=0.0)


@pytest.mark.parametrize("regularizer", [regularizers.L1(0.2), regularizers.L2(0.3), regularizers.L1L2(0.1, 0.4)])
def test_get_config_round_trip(regularizer):
    clone = type(regularizer)(**regularizer.get_config())
    assert (clone.l1, clone.l2) == (regularizer.l1, regularizer.l2)
    assert repr(clone) == repr(regularizer)


def test_keras_config_keys():
    assert regularizers.L1(0.2).get_config() == {"l1": 0.2}
    assert regularizers.L2(0.3).get_config() == {"l2": 0.3}
    assert regularizers.L1L2(0.1, 0.4).get_config() == {"l1": 0.1, "l2": 0.4}


def test_get():
    assert regularizers.get(None) is None
    l2 = regularizers.L2(0.5)
    assert regularizers.get(l2) is l2
    assert isinstance(regularizers.get("l1"), regularizers.L1) and regularizers.get("l1").l1 == 0.01
    assert isinstance(regularizers.get("l2"), regularizers.L2)
    assert isinstance(regularizers.get("l1_l2"), regularizers.L1L2)


def test_get_unknown_name_lists_valid_names():
    with pytest.raises(ValueError, match="Unknown regularizer 'l3'") as error:
        regularizers.get("l3")
    for name in ["l1", "l2", "l1_l2"]:
        assert name in str(error.value)


@pytest.mark.parametrize("bad", [0.01, 3, ["l2"]])
def test_get_rejects_other_types(bad):
    with pytest.raises(TypeError, match="regularizer"):
        regularizers.get(bad)


@pytest.mark.parametrize("make,name", [
    (lambda v: regularizers.L1(v), "l1"),
    (lambda v: regularizers.L2(v), "l2"),
    (lambda v: regularizers.L1L2(l1=v), "l1"),
    (lambda v: regularizers.L1L2(l2=v), "l2"),
])
@pytest.mark.parametrize("bad,error", [
    (-0.01, ValueError), (float("nan"), ValueError), (float("inf"), ValueError),
    ("0.01", TypeError), (None, TypeError), (True, TypeError), ([0.1], TypeError),
])
def test_bad_factors(make, name, bad, error):
    with pytest.raises(error, match=f"`{name}`"):
        make(bad)


def test_numpy_factors_are_accepted():
    assert regularizers.L2(np.float32(0.5)).l2 == 0.5
    assert regularizers.L1(np.int64(2)).l1 == 2.0


def test_layer_adds_penalty_and_gradient():
    layer = layers.Dense(3, kernel_regularizer=regularizers.L1L2(0.01, 0.02), bias_regularizer="l2",
                         bias_initializer="ones", dtype="float64")
    x = np.random.default_rng(1).standard_normal((4, 1, 1, 5))
    y = layer(Tensor4D(x))
    layer.backward(Tensor4D(np.zeros(y.shape)))
    kernel_grad, bias_grad = layer.gradients
    np.testing.assert_allclose(kernel_grad, 0.01 * np.sign(layer.kernel) + 0.04 * layer.kernel)
    np.testing.assert_allclose(bias_grad, 0.02 * np.ones(3))
    expected = [0.01 * np.abs(layer.kernel).sum() + 0.02 * (layer.kernel ** 2).sum(), 0.01 * 3]
    assert layer.losses == pytest.approx(expected)
