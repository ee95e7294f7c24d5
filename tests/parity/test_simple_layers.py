"""Keras' simple layers against TensorFlow: Maximum, Minimum (ties included), Dot (and layers.dot), Permute, RepeatVector, Rescaling,
UnitNormalization, and the noise layers in inference, forward and input gradients in float32 and float64."""

import numpy as np
import pytest

from helpers import assert_parity, import_tensorflow, tf_vjp
from redes import Tensor4D, layers
from tolerances import RESCALING_FLOAT64_TOL, elementwise, tolerance


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", ["Maximum", "Minimum"])
def test_extremum_merge_matches_keras_ties_included(name, dtype):
    tf = import_tensorflow()
    rng = np.random.default_rng(0)
    xs = [rng.integers(-2, 3, (4, 3, 5)).astype(dtype) for _ in range(3)]  # small integers: many ties
    xs[1][0] += 0.5
    upstream = rng.standard_normal((4, 3, 5)).astype(dtype)
    ours = getattr(layers, name)(dtype=dtype)
    y = ours(xs)
    grads = [np.asarray(g).reshape(upstream.shape) for g in ours.backward(Tensor4D.from_natural(upstream))]
    tensors = [tf.constant(x) for x in xs]
    with tf.GradientTape() as tape:
        tape.watch(tensors)
        y_tf = getattr(tf.keras.layers, name)(dtype=dtype)(tensors)
        loss = tf.reduce_sum(y_tf * upstream)
    grads_tf = tape.gradient(loss, tensors)
    rtol, atol = elementwise(dtype)
    assert_parity(f"{name}() of 3 inputs with ties: output", dtype, y, y_tf.numpy(), rtol=rtol, atol=atol)
    for k, (grad, grad_tf) in enumerate(zip(grads, grads_tf)):
        assert_parity(f"{name}() of 3 inputs with ties: gradient of input {k + 1}", dtype, grad, grad_tf.numpy(),
                      rtol=rtol, atol=atol)


# (shape of x₁, shape of x₂, axes): ranks 2–4, int and pair axes, negative axes, a (batch, 1) output
DOT = [((4,), (4,), 1), ((3, 4), (4,), (2, 1)), ((3, 4), (5, 4), -1), ((3, 4), (3, 5), 1),
       ((2, 3, 4), (4, 2), (3, 1)), ((3,), (2, 3), (1, -1))]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("normalize", [False, True])
@pytest.mark.parametrize("first, second, axes", DOT)
def test_dot_matches_keras(first, second, axes, normalize, dtype):
    tf = import_tensorflow()
    rng = np.random.default_rng(len(first) + len(second))
    xs = [rng.standard_normal((3, *first)).astype(dtype), rng.standard_normal((3, *second)).astype(dtype)]
    xs[0][0] = 0.0  # a zero vector: normalize caps its inverse norm at 1/ε
    ours = layers.Dot(axes=axes, normalize=normalize, dtype=dtype)
    y = ours(xs)
    upstream = rng.standard_normal(y.shape).astype(dtype)
    grads = [g.data.reshape(x.shape) for g, x in zip(ours.backward(Tensor4D.from_natural(upstream)), xs)]
    tensors = [tf.constant(x) for x in xs]
    with tf.GradientTape() as tape:
        tape.watch(tensors)
        y_tf = tf.keras.layers.Dot(axes=axes, normalize=normalize, dtype=dtype)(tensors)
        loss = tf.reduce_sum(y_tf * upstream)
    grads_tf = tape.gradient(loss, tensors)
    what = f"Dot (ranks 2–4, int, pair and negative axes, normalize={normalize})"
    assert y.dtype == np.dtype(dtype)
    assert_parity(f"{what}: output", dtype, y, y_tf.numpy(), tolerance(dtype))
    for k, (grad, grad_tf) in enumerate(zip(grads, grads_tf)):
        assert_parity(f"{what}: gradient of input {k + 1}", dtype, grad, grad_tf.numpy(), tolerance(dtype))


def check_layer(tf, name: str, kwargs: dict, x: np.ndarray, dtype: str, float64_tol: float | None = None,
                **call_kwargs) -> None:
    """One layer's forward and input gradient against Keras' on the same input: element-wise bounds, or in
    float64 ``float64_tol`` relative to the max magnitude where Keras rounds a constant to float32."""
    ours = getattr(layers, name)(**kwargs, dtype=dtype)
    theirs = getattr(tf.keras.layers, name)(**kwargs, dtype=dtype)
    y = ours(x, **call_kwargs)
    upstream = np.random.default_rng(1).standard_normal(y.shape).astype(dtype)
    y_tf, grad_tf = tf_vjp(tf, theirs, x, upstream, **call_kwargs)
    grad = np.asarray(ours.backward(Tensor4D.from_natural(upstream))).reshape(x.shape)
    assert y.dtype == grad.dtype == np.dtype(dtype)
    rtol, atol = elementwise(dtype)
    bounds = {"tol": float64_tol} if dtype == "float64" and float64_tol is not None else {"rtol": rtol, "atol": atol}
    what = f"{name}({', '.join(f'{key}={value}' for key, value in kwargs.items())}) layer on {x.shape[1:]}"
    assert_parity(f"{what}: output", dtype, y, y_tf, **bounds)
    assert_parity(f"{what}: input gradient", dtype, grad, grad_tf, **bounds)


SHAPING = [("Permute", {"dims": (2, 1)}, (3, 5, 4)), ("Permute", {"dims": (3, 1, 2)}, (2, 3, 4, 5)),
           ("Permute", {"dims": (1,)}, (3, 4)), ("RepeatVector", {"n": 3}, (4, 5))]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name,kwargs,shape", SHAPING)
def test_shaping_layer_matches_keras(name, kwargs, shape, dtype):
    tf = import_tensorflow()
    x = np.random.default_rng(0).standard_normal(shape).astype(dtype)
    check_layer(tf, name, kwargs, x, dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("kwargs", [{"scale": 1 / 255}, {"scale": 1 / 127.5, "offset": -1.0}])
def test_rescaling_matches_keras(kwargs, dtype):
    tf = import_tensorflow()
    x = np.random.default_rng(0).integers(0, 256, (3, 4, 4, 3)).astype(dtype)  # pixels
    check_layer(tf, "Rescaling", kwargs, x, dtype, float64_tol=RESCALING_FLOAT64_TOL)  # Keras' float32 scale


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", [(4, 6), (3, 5, 4), (2, 3, 4, 5)])
def test_unit_normalization_matches_keras(shape, dtype):
    tf = import_tensorflow()
    x = np.random.default_rng(0).standard_normal(shape).astype(dtype)
    x[0] = 0.0  # a zero vector: the inverse norm capped at 1/ε
    x[1, ..., :] = 1e-14  # a tiny one: capped too
    check_layer(tf, "UnitNormalization", {}, x, dtype)


NOISE = [("GaussianNoise", {"stddev": 0.5}, (3, 4)), ("GaussianDropout", {"rate": 0.3}, (3, 4)),
         ("SpatialDropout1D", {"rate": 0.4}, (3, 5, 4)), ("SpatialDropout2D", {"rate": 0.4}, (2, 3, 3, 4))]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name,kwargs,shape", NOISE)
def test_noise_layer_in_inference_matches_keras(name, kwargs, shape, dtype):
    """In inference each is the identity, in Keras as here (the training draws are checked in tests/test_noise.py)."""
    tf = import_tensorflow()
    x = np.random.default_rng(0).standard_normal(shape).astype(dtype)
    check_layer(tf, name, kwargs, x, dtype, training=False)
