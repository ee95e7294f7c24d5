"""The Java library's extra initializers: lecun_*, constant, random_*, truncated_normal, orthogonal, identity."""

import inspect
import math

import numpy as np
import pytest

from helpers import import_tensorflow
from redes import initializers, layers

TRUNCATED_STD = 0.87962566103423978
SHAPE = (600, 700)  # 4.2e5 samples: sample statistics well within 2%
NEW = ["lecun_uniform", "lecun_normal", "constant", "random_uniform", "random_normal", "truncated_normal",
       "orthogonal", "identity"]
KERAS = {"lecun_uniform": "LecunUniform", "lecun_normal": "LecunNormal", "constant": "Constant",
         "random_uniform": "RandomUniform", "random_normal": "RandomNormal", "truncated_normal": "TruncatedNormal",
         "orthogonal": "Orthogonal", "identity": "Identity"}


@pytest.mark.parametrize("shape", [SHAPE, (3, 3, 40, 50)])
def test_lecun_uniform(shape):
    w = initializers.LecunUniform(seed=1)(shape)
    limit = math.sqrt(3 / initializers.compute_fans(shape)[0])
    assert np.abs(w).max() <= np.float32(limit) and np.abs(w).max() > 0.999 * limit
    assert w.var(dtype="float64") == pytest.approx(limit ** 2 / 3, rel=0.02)


@pytest.mark.parametrize("shape", [SHAPE, (3, 3, 40, 50)])
def test_lecun_normal(shape):
    w = initializers.LecunNormal(seed=1)(shape, dtype="float64")
    variance = 1 / initializers.compute_fans(shape)[0]
    assert np.abs(w).max() <= 2 * math.sqrt(variance) / TRUNCATED_STD
    assert w.var() == pytest.approx(variance, rel=0.02)


def test_random_uniform_normal_and_truncated_normal():
    w = initializers.RandomUniform(minval=-0.5, maxval=1.5, seed=2)(SHAPE, dtype="float64")
    assert w.min() >= -0.5 and w.max() < 1.5 and w.mean() == pytest.approx(0.5, abs=0.01)
    assert w.var() == pytest.approx(4 / 12, rel=0.02)
    w = initializers.RandomNormal(mean=1.0, stddev=0.2, seed=2)(SHAPE, dtype="float64")
    assert w.mean() == pytest.approx(1.0, abs=1e-3) and w.std() == pytest.approx(0.2, rel=0.02)
    assert np.abs(w - 1).max() > 4 * 0.2  # not truncated
    w = initializers.TruncatedNormal(mean=1.0, stddev=0.2, seed=2)(SHAPE, dtype="float64")
    assert np.abs(w - 1).max() <= 0.4 and np.abs(w - 1).max() > 0.399
    assert w.std() == pytest.approx(0.2 * TRUNCATED_STD, rel=0.02)  # not rescaled, as Keras


@pytest.mark.parametrize("name,kwargs", [
    ("lecun_uniform", {}), ("lecun_normal", {}), ("random_uniform", {"minval": -0.2, "maxval": 0.6}),
    ("random_normal", {"mean": 0.3, "stddev": 0.1}), ("truncated_normal", {"mean": -0.3, "stddev": 0.1}),
])
def test_statistics_match_keras(name, kwargs):
    tf = import_tensorflow()
    reference = np.asarray(getattr(tf.keras.initializers, KERAS[name])(seed=0, **kwargs)(SHAPE))
    w = type(initializers.get(name))(seed=0, **kwargs)(SHAPE)
    assert w.mean() == pytest.approx(reference.mean(), abs=0.02 * float(reference.std()))
    assert w.std() == pytest.approx(reference.std(), rel=0.02)
    if name != "random_normal":  # bounded: the extremes are the bounds (a plain normal's are noisy)
        assert w.min() == pytest.approx(reference.min(), rel=0.02, abs=1e-3)
        assert w.max() == pytest.approx(reference.max(), rel=0.02, abs=1e-3)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_constant_and_identity_equal_keras(dtype):
    tf = import_tensorflow()
    for ours, theirs, shape in [(initializers.Constant(0.25), tf.keras.initializers.Constant(0.25), (3, 3, 2, 4)),
                                (initializers.Identity(), tf.keras.initializers.Identity(), (4, 4)),
                                (initializers.Identity(gain=0.5), tf.keras.initializers.Identity(gain=0.5), (3, 5)),
                                (initializers.Identity(gain=2.0), tf.keras.initializers.Identity(gain=2.0), (5, 3))]:
        w = ours(shape, dtype=dtype)
        assert w.dtype == dtype
        np.testing.assert_array_equal(w, np.asarray(theirs(shape, dtype=dtype)))


@pytest.mark.parametrize("shape", [(5, 5), (8, 3), (3, 8), (3, 3, 4, 6), (2, 2, 1, 16)])
@pytest.mark.parametrize("gain", [1.0, 0.5])
def test_orthogonal_like_keras(shape, gain):
    tf = import_tensorflow()
    for w in (initializers.Orthogonal(gain=gain, seed=3)(shape, dtype="float64"),
              np.asarray(tf.keras.initializers.Orthogonal(gain=gain, seed=3)(shape, dtype="float64"))):
        matrix = w.reshape(-1, shape[-1])
        gram = matrix.T @ matrix if matrix.shape[0] >= matrix.shape[1] else matrix @ matrix.T
        np.testing.assert_allclose(gram, gain ** 2 * np.eye(len(gram)), atol=1e-12)
        assert w.shape == shape


@pytest.mark.parametrize("name", NEW)
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_dtypes_and_seeds(name, dtype):
    initializer = initializers.get(name)
    w = initializer((6, 6), dtype=dtype)
    assert w.dtype == dtype and w.shape == (6, 6)
    if "seed" in initializer.get_config():
        cls = type(initializer)
        np.testing.assert_array_equal(cls(seed=7)((6, 6), dtype=dtype), cls(seed=7)((6, 6), dtype=dtype))
        assert not np.array_equal(cls(seed=7)((6, 6)), cls(seed=8)((6, 6)))


@pytest.mark.parametrize("name", NEW)
def test_get_by_name_and_config_round_trip(name):
    initializer = initializers.get(name)
    assert type(initializer) is getattr(initializers, KERAS[name])
    config = initializer.get_config()
    assert type(initializer)(**config).get_config() == config
    tf = import_tensorflow()
    keras_arguments = inspect.signature(getattr(tf.keras.initializers, KERAS[name])).parameters
    assert set(config) <= set(keras_arguments)  # Keras' argument names


def test_dense_kernels():
    dense = layers.Dense(4, kernel_initializer="identity", dtype="float64")
    dense(np.ones((2, 4)))
    np.testing.assert_array_equal(dense.kernel, np.eye(4))
    dense = layers.Dense(3, kernel_initializer=initializers.Orthogonal(seed=0), dtype="float64")
    dense(np.ones((2, 5)))
    np.testing.assert_allclose(dense.kernel.T @ dense.kernel, np.eye(3), atol=1e-12)


@pytest.mark.parametrize("factory,kwargs,error,match", [
    (initializers.Constant, {"value": "1"}, TypeError, "value"),
    (initializers.RandomUniform, {"minval": 1.0, "maxval": 0.0}, ValueError, "minval"),
    (initializers.RandomNormal, {"stddev": 0.0}, ValueError, "stddev"),
    (initializers.TruncatedNormal, {"mean": float("nan")}, ValueError, "mean"),
    (initializers.Orthogonal, {"gain": None}, TypeError, "gain"),
    (initializers.Orthogonal, {"seed": -1}, ValueError, "seed"),
    (initializers.RandomNormal, {"seed": 1.5}, TypeError, "seed"),
])
def test_bad_arguments(factory, kwargs, error, match):
    with pytest.raises(error, match=match):
        factory(**kwargs)


def test_bad_shapes():
    with pytest.raises(ValueError, match="2-D"):
        initializers.Identity()((3, 3, 3))
    with pytest.raises(ValueError, match="rank 2"):
        initializers.Orthogonal()((5,))
