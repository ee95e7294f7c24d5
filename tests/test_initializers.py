import math

import numpy as np
import pytest

import redes
from helpers import import_tensorflow
from redes import initializers, layers

TRUNCATED_STD = 0.87962566103423978  # std of a unit normal truncated at ±2
RANDOM = ["glorot_uniform", "glorot_normal", "he_uniform", "he_normal"]
LARGE = (2000, 2000)  # 4e6 samples: the sample variance is within ~0.1% of the truth, far inside 2%


@pytest.mark.parametrize("shape,fans", [
    ((), (1, 1)),
    ((7,), (7, 7)),
    ((784, 10), (784, 10)),
    ((3, 3, 16, 32), (3 * 3 * 16, 3 * 3 * 32)),
    ((5, 2, 4), (5 * 2, 5 * 4)),
])
def test_compute_fans(shape, fans):
    assert initializers.compute_fans(shape) == fans


def expected_variance(name, shape):
    fan_in, fan_out = initializers.compute_fans(shape)
    return 2.0 / (fan_in + fan_out) if name.startswith("glorot") else 2.0 / fan_in


CONV = (5, 5, 80, 80)


@pytest.mark.parametrize("name,shape", [
    ("glorot_uniform", LARGE), ("he_uniform", LARGE), ("glorot_uniform", CONV), ("he_uniform", CONV),
])
def test_uniform_limits_and_variance(name, shape):
    w = initializers.get(name)(shape)
    fan_in, fan_out = initializers.compute_fans(shape)
    limit = math.sqrt(6 / (fan_in + fan_out)) if name == "glorot_uniform" else math.sqrt(6 / fan_in)
    assert np.abs(w).max() <= np.float32(limit)
    assert np.abs(w).max() > 0.999 * limit  # the whole range is used
    assert w.var(dtype="float64") == pytest.approx(expected_variance(name, shape), rel=0.02)
    assert abs(w.mean(dtype="float64")) < 0.02 * limit


@pytest.mark.parametrize("name,shape", [("glorot_normal", LARGE), ("he_normal", LARGE), ("glorot_normal", CONV)])
def test_truncated_normal_bounds_and_variance(name, shape):
    w = initializers.get(name)(shape, dtype="float64")
    variance = expected_variance(name, shape)
    std = math.sqrt(variance) / TRUNCATED_STD  # std before truncation
    assert np.abs(w).max() <= 2 * std
    assert np.abs(w).max() > 0.99 * 2 * std
    assert w.var() == pytest.approx(variance, rel=0.02)  # truncation and the 0.8796 factor cancel


@pytest.mark.parametrize("ours,theirs", [
    ("glorot_normal", "GlorotNormal"), ("he_normal", "HeNormal"),
    ("glorot_uniform", "GlorotUniform"), ("he_uniform", "HeUniform"),
])
@pytest.mark.parametrize("shape", [(1000, 1500), (3, 3, 64, 128)])
def test_statistics_match_keras(ours, theirs, shape):
    tf = import_tensorflow()
    reference = np.asarray(getattr(tf.keras.initializers, theirs)(seed=0)(shape))
    w = initializers.get(ours)(shape)
    assert w.std() == pytest.approx(reference.std(), rel=0.02)
    assert np.abs(w).max() == pytest.approx(np.abs(reference).max(), rel=0.02)


def test_seeded_initializers_repeat():
    for name in RANDOM:
        cls = type(initializers.get(name))
        first = cls(seed=42)((30, 20))
        initializer = cls(seed=42)
        np.testing.assert_array_equal(initializer((30, 20)), first)
        np.testing.assert_array_equal(initializer((30, 20)), first)  # every call, as Keras 3
        assert not np.array_equal(cls(seed=43)((30, 20)), first)
        assert cls(**initializer.get_config()).seed == 42


def test_set_random_seed_repeats_unseeded_initializations():
    redes.set_random_seed(0)
    first = [initializers.get(name)((10, 8)) for name in RANDOM]
    redes.set_random_seed(0)
    second = [initializers.get(name)((10, 8)) for name in RANDOM]
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[0], initializers.get("glorot_uniform")((10, 8)))  # the stream moves on


def test_set_random_seed_repeats_layer_weights():
    redes.set_random_seed(0)
    a = layers.Dense(5)(np.ones((1, 3), dtype="float32"))
    redes.set_random_seed(0)
    b = layers.Dense(5)(np.ones((1, 3), dtype="float32"))
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", RANDOM + ["zeros", "ones"])
def test_dtypes(name):
    initializer = initializers.get(name)
    assert initializer((4, 3)).dtype == np.float32
    assert initializer((4, 3), dtype="float64").dtype == np.float64
    assert initializer((4, 3), dtype=np.float16).dtype == np.float16
    assert initializer((2, 2, 3, 4)).shape == (2, 2, 3, 4)


def test_default_dtype_follows_floatx():
    redes.set_floatx("float64")
    try:
        assert initializers.get("he_normal")((3, 3)).dtype == np.float64
    finally:
        redes.set_floatx("float32")


def test_zeros_and_ones():
    np.testing.assert_array_equal(initializers.get("zeros")((3, 2)), np.zeros((3, 2)))
    np.testing.assert_array_equal(initializers.get("ones")((4,)), np.ones(4))
    assert initializers.Zeros().get_config() == {}


def test_get_accepts_instances_and_callables():
    initializer = initializers.HeUniform(seed=1)
    assert initializers.get(initializer) is initializer

    def constant(shape, dtype=None):
        return np.full(shape, 0.5, dtype=dtype)

    assert initializers.get(constant) is constant
    layer = layers.Dense(2, kernel_initializer=constant, dtype="float64")
    layer(np.ones((1, 3)))
    np.testing.assert_array_equal(layer.kernel, np.full((3, 2), 0.5))


def test_unknown_name_lists_valid_names():
    with pytest.raises(ValueError, match="Unknown initializer 'xavier'") as error:
        initializers.get("xavier")
    for name in RANDOM + ["zeros", "ones"]:
        assert name in str(error.value)


@pytest.mark.parametrize("bad", [3, None, 0.5])
def test_get_rejects_other_types(bad):
    with pytest.raises(TypeError, match="initializer"):
        initializers.get(bad)


@pytest.mark.parametrize("bad,error", [("1", TypeError), (1.5, TypeError), (True, TypeError), (-1, ValueError)])
def test_bad_seed(bad, error):
    with pytest.raises(error, match="seed"):
        initializers.GlorotUniform(seed=bad)


def test_bad_dtype():
    with pytest.raises(ValueError, match="dtype"):
        initializers.get("glorot_uniform")((2, 2), dtype="int32")
