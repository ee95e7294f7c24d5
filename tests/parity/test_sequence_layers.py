"""The 1-D layers against Keras on the same weights: Conv1D, Max/AveragePooling1D, GlobalMax/AveragePooling1D.

Each layer: the output, the input gradient and every weight gradient of L = Σ y ⊙ R, in float32 and
float64, over a grid of configurations (strides, dilation, 'valid', 'same', 'causal'); then a small
Sequential of them trained 3 steps with Adam on both sides.
"""

from __future__ import annotations

import numpy as np
import pytest

from helpers import assert_parity, import_tensorflow, keras_floatx, tf_vjp
from redes import Sequential, Tensor4D, layers, optimizers
from tolerances import FLOAT64_RTOL, MULTISTEP_FLOAT32_RTOL, elementwise, tolerance

DTYPES = pytest.mark.parametrize("dtype", ["float32", "float64"])

# (kernel_size, strides, padding, dilation_rate, use_bias, activation), on 2 sequences of 9 steps, 3 channels
CONV1D = [(1, 1, "valid", 1, True, None), (3, 1, "valid", 1, True, "relu"), (3, 2, "valid", 1, False, None),
          (4, 3, "same", 1, True, "tanh"), (3, 1, "same", 2, True, None), (2, 1, "causal", 1, True, None),
          (3, 1, "causal", 3, False, "relu"), (3, 2, "causal", 1, True, None), (5, 1, "valid", 2, True, None),
          (9, 1, "same", 1, True, "sigmoid")]


@DTYPES
@pytest.mark.parametrize("kernel, stride, padding, dilation, use_bias, activation", CONV1D)
def test_conv1d_matches_keras(kernel, stride, padding, dilation, use_bias, activation, dtype):
    tf = import_tensorflow()
    rng = np.random.default_rng(kernel * 100 + stride * 10 + dilation)
    x = rng.standard_normal((2, 9, 3)).astype(dtype)
    kwargs = dict(strides=stride, padding=padding, dilation_rate=dilation, use_bias=use_bias, activation=activation,
                  dtype=dtype)
    ours = layers.Conv1D(4, kernel, **kwargs)
    theirs = tf.keras.layers.Conv1D(4, kernel, **kwargs)
    theirs.build(x.shape)
    weights = [rng.standard_normal(w.shape).astype(dtype) for w in theirs.get_weights()]
    theirs.set_weights(weights)
    ours.build_for(x.shape[1:])
    ours.set_weights(theirs.get_weights())
    assert [w.shape for w in ours.get_weights()] == [w.shape for w in weights]  # kernel (k, C, F), bias (F,)
    y = ours(x)
    upstream = rng.standard_normal(y.shape).astype(dtype)
    expected = tf_vjp(tf, theirs, x, upstream)
    got = [y, ours.backward(Tensor4D.from_natural(upstream)).data.reshape(x.shape), *ours.gradients]
    assert len(got) == len(expected)
    what = "Conv1D (kernel 1–9; strides 1–3; dilation 1–3; valid, same, causal)"
    for name, a, b in zip(["output", "input gradient", "kernel gradient", "bias gradient"], got, expected):
        assert a.dtype == np.dtype(dtype), name
        assert_parity(f"{what}: {name}", dtype, a, b, tolerance(dtype))


POOLING = [(pool, stride, padding, steps) for pool in (2, 3) for stride in (None, 1, 2)
           for padding in ("valid", "same") for steps in (7, 8)]


@DTYPES
@pytest.mark.parametrize("kind", ["MaxPooling1D", "AveragePooling1D"])
def test_pooling1d_matches_keras(kind, dtype):
    tf = import_tensorflow()
    rtol, atol = elementwise(dtype)
    for pool, stride, padding, steps in POOLING:
        rng = np.random.default_rng(steps * 10 + pool)
        x = rng.standard_normal((2, steps, 3)).astype(dtype)
        ours = getattr(layers, kind)(pool, strides=stride, padding=padding, dtype=dtype)
        theirs = getattr(tf.keras.layers, kind)(pool, strides=stride, padding=padding, dtype=dtype)
        y = ours(x)
        upstream = rng.standard_normal(y.shape).astype(dtype)
        y_tf, grad_tf = tf_vjp(tf, theirs, x, upstream)
        grad = ours.backward(Tensor4D.from_natural(upstream)).data.reshape(x.shape)
        what = f"{kind} grid (pool 2, 3; strides None, 1, 2; valid, same; 7 and 8 steps)"
        assert_parity(f"{what}: output", dtype, y, y_tf, rtol=rtol, atol=atol)
        assert_parity(f"{what}: input gradient", dtype, grad, grad_tf, rtol=rtol, atol=atol)


@DTYPES
@pytest.mark.parametrize("kind", ["GlobalMaxPooling1D", "GlobalAveragePooling1D"])
@pytest.mark.parametrize("keepdims", [False, True])
def test_global_pooling1d_matches_keras(kind, keepdims, dtype):
    tf = import_tensorflow()
    rtol, atol = elementwise(dtype)
    rng = np.random.default_rng(3)
    for x in (rng.standard_normal((3, 6, 4)), rng.integers(0, 3, (3, 6, 4))):  # random, and with tied maxima
        x = x.astype(dtype)
        ours = getattr(layers, kind)(keepdims=keepdims, dtype=dtype)
        theirs = getattr(tf.keras.layers, kind)(keepdims=keepdims, dtype=dtype)
        y = ours(x)
        upstream = rng.standard_normal(y.shape).astype(dtype)
        y_tf, grad_tf = tf_vjp(tf, theirs, x, upstream)
        assert y.shape == y_tf.shape
        grad = ours.backward(Tensor4D.from_natural(upstream)).data.reshape(x.shape)
        what = f"{kind} (keepdims ±; random and tied inputs)"
        assert_parity(f"{what}: output", dtype, y, y_tf, rtol=rtol, atol=atol)
        assert_parity(f"{what}: input gradient", dtype, grad, grad_tf, rtol=rtol, atol=atol)


# ------------------------------------------------------------------ a small Sequential, 3 Adam steps
def sequence_model(module, dtype: str) -> list:
    """Conv1D (same, causal dilated, strided) and the 1-D poolings, from redes.layers or keras.layers."""
    kw = {"dtype": dtype}
    return [module.Input((16, 3)),
            module.Conv1D(6, 3, padding="same", activation="relu", **kw), module.MaxPooling1D(2, **kw),
            module.Conv1D(6, 3, padding="causal", dilation_rate=2, activation="tanh", **kw),
            module.AveragePooling1D(3, strides=1, padding="same", **kw),
            module.Conv1D(5, 2, strides=2, **kw), module.GlobalAveragePooling1D(**kw),
            module.Dense(3, activation="softmax", **kw)]


def train_three_steps(tf, model_fn, x, y, dtype: str, adam_constants: dict) -> dict:
    keras = tf.keras
    keras.utils.set_random_seed(0)
    theirs = keras.Sequential(model_fn(keras.layers, dtype))
    ours = Sequential(model_fn(layers, dtype))
    ours.set_weights(theirs.get_weights())
    theirs.compile(optimizer=keras.optimizers.Adam(1e-2, **adam_constants),
                   loss=keras.losses.SparseCategoricalCrossentropy(dtype=dtype))
    ours.compile(optimizer=optimizers.Adam(1e-2), loss="sparse_categorical_crossentropy")
    result = {"losses": [], "weights": None}
    for step in range(3):
        batch = slice(8 * step, 8 * step + 8)
        result["losses"].append((ours.train_on_batch(x[batch], y[batch]),
                                 float(theirs.train_on_batch(x[batch], y[batch]))))
    result["weights"] = list(zip(ours.get_weights(), theirs.get_weights(), strict=True))
    result["predictions"] = (ours.predict(x), theirs.predict(x, verbose=0))
    return result


def assert_training_parity(what: str, result: dict, dtype: str) -> None:
    tol = FLOAT64_RTOL if dtype == "float64" else MULTISTEP_FLOAT32_RTOL
    for ours, theirs in result["losses"]:
        assert_parity(f"{what}: loss at steps 1–3", dtype, ours, theirs, tol)
    for ours, theirs in result["weights"]:
        assert_parity(f"{what}: weights after 3 steps", dtype, ours, theirs, tol)
    assert_parity(f"{what}: predictions after 3 steps", dtype, *result["predictions"], tol)


@DTYPES
def test_conv1d_pooling_sequential_trains_as_keras(dtype):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((24, 16, 3)).astype(dtype)
    y = rng.integers(0, 3, 24)
    if dtype == "float64":  # Keras' β in float64 and a float64 learning rate (see test_whole_models)
        with keras_floatx("float64") as tf:
            result = train_three_steps(tf, sequence_model, x, y, dtype,
                                       {"beta_1": np.float64(0.9), "beta_2": np.float64(0.999)})
    else:
        result = train_three_steps(import_tensorflow(), sequence_model, x, y, dtype, {})
    assert_training_parity("Conv1D, MaxPooling1D, AveragePooling1D, GlobalAveragePooling1D, Dense; Adam(1e-2)",
                           result, dtype)
