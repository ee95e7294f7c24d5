"""The sequence layers against Keras on the same weights: Conv1D, Max/AveragePooling1D, GlobalMax/AveragePooling1D,
Embedding.

Each layer: the output, the input gradient and every weight gradient of L = Σ y ⊙ R, in float32 and
float64, over a grid of configurations (strides, dilation, 'valid', 'same', 'causal'); then small
Sequentials of them trained 3 steps with Adam on both sides. Keras' Embedding gradient is an
IndexedSlices: it is compared in its dense form (tf.convert_to_tensor), which is what redes computes.
"""

from __future__ import annotations

import numpy as np
import pytest

from helpers import (assert_parity, assert_training_parity, import_tensorflow, keras_floatx, record_error, tf_vjp,
                     train_three_steps)
from redes import Tensor4D, layers
from tolerances import elementwise, tolerance

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


# ------------------------------------------------------------------ Embedding
# (input_dim, output_dim, index shape): repeated indices, rows never looked up, 2-D index arrays
EMBEDDING = [(10, 4, (3, 7)), (50, 8, (2, 5)), (5, 3, (2, 3, 4)), (1, 2, (2, 3))]


@DTYPES
@pytest.mark.parametrize("input_dim, output_dim, shape", EMBEDDING)
def test_embedding_matches_keras(input_dim, output_dim, shape, dtype):
    tf = import_tensorflow()
    rng = np.random.default_rng(input_dim)
    x = rng.integers(0, input_dim, shape).astype(dtype)  # indices in the float dtype, as a model feeds them
    ours = layers.Embedding(input_dim, output_dim, dtype=dtype)
    theirs = tf.keras.layers.Embedding(input_dim, output_dim, dtype=dtype)
    theirs.build(x.shape)
    table = rng.standard_normal((input_dim, output_dim)).astype(dtype)
    theirs.set_weights([table])
    ours.build_for(x.shape[1:])
    ours.set_weights(theirs.get_weights())
    y = ours(x)
    upstream = rng.standard_normal(y.shape).astype(dtype)
    with tf.GradientTape() as tape:
        y_tf = theirs(tf.constant(x))
        loss = tf.reduce_sum(y_tf * upstream)
    sparse = tape.gradient(loss, theirs.trainable_weights)[0]
    assert isinstance(sparse, tf.IndexedSlices)
    dense = tf.convert_to_tensor(sparse).numpy()
    input_grad = ours.backward(Tensor4D.from_natural(upstream))
    assert input_grad.data.size == x.size and not input_grad.data.any()  # indices: no gradient (Keras: None)
    what = "Embedding (vocabularies 1–50; repeated and unused indices; 1-D and 2-D index arrays)"
    assert y.dtype == ours.gradients[0].dtype == np.dtype(dtype)
    rtol, atol = elementwise(dtype)
    assert_parity(f"{what}: output", dtype, y, y_tf.numpy(), rtol=rtol, atol=atol)
    assert_parity(f"{what}: embeddings gradient (Keras' IndexedSlices made dense)", dtype, ours.gradients[0], dense,
                  rtol=rtol, atol=atol)


def embedding_model(module, dtype: str) -> list:
    """Embedding, causal dilated Conv1D, GlobalMaxPooling1D, Dense, from redes.layers or keras.layers."""
    kw = {"dtype": dtype}
    return [module.Input((12,)), module.Embedding(120, 8, **kw),
            module.Conv1D(6, 3, padding="causal", dilation_rate=2, activation="relu", **kw),
            module.GlobalMaxPooling1D(**kw), module.Dense(3, activation="softmax", **kw)]


def embedding_lstm_model(module, dtype: str) -> list:
    """Embedding(mask_zero) → LSTM(16) → Dense softmax, from redes.layers or keras.layers."""
    kw = {"dtype": dtype}
    return [module.Input((10,)), module.Embedding(30, 8, mask_zero=True, **kw), module.LSTM(16, **kw),
            module.Dense(3, activation="softmax", **kw)]


def train_embedding_model(dtype: str, x, y, dense_gradients: bool, model_fn=embedding_model, steps: int = 3) -> dict:
    if dtype == "float64":  # Keras' β in float64 and a float64 learning rate (see test_whole_models)
        with keras_floatx("float64") as tf:
            return train_three_steps(tf, model_fn, x, y, dtype, {"beta_1": np.float64(0.9), "beta_2": np.float64(0.999)},
                                     dense_gradients, steps)
    return train_three_steps(import_tensorflow(), model_fn, x, y, dtype, {}, dense_gradients, steps)


@DTYPES
def test_embedding_sequential_trains_as_keras(dtype):
    """3 Adam steps, train_on_batch on both sides, each batch looking up 96 distinct rows of the 120.

    Without repeated indices in a batch Keras' IndexedSlices gradient holds each row once, and its Adam
    matches the dense semantics exactly; rows never looked up still move (their moments decay), in both.
    """
    rng = np.random.default_rng(1)
    x = np.concatenate([rng.permutation(100)[:96].reshape(8, 12) for _ in range(3)]).astype(dtype)  # rows ≥ 100 unused
    y = rng.integers(0, 3, 24)
    assert_training_parity("Embedding (distinct indices per batch), Conv1D causal dilated, GlobalMaxPooling1D, "
                           "Dense; Adam(1e-2), train_on_batch", train_embedding_model(dtype, x, y, False), dtype)


@DTYPES
def test_embedding_with_repeated_indices_trains_as_keras_on_dense_gradients(dtype):
    """Repeated indices: against Keras' step on the dense gradient (tf.convert_to_tensor of its IndexedSlices).

    Keras' own train_on_batch differs there: its Adam squares each slice of the IndexedSlices before
    the duplicates are summed (v gets Σ g_r², not (Σ g_r)²), so it is not the dense gradient's Adam.
    redes computes and applies the dense gradient; that gap is recorded, not asserted.
    """
    rng = np.random.default_rng(1)
    x = rng.integers(0, 40, (24, 12)).astype(dtype)  # many repeats; rows 40–119 never looked up
    y = rng.integers(0, 3, 24)
    what = "Embedding (repeated indices), Conv1D causal dilated, GlobalMaxPooling1D, Dense; Adam(1e-2)"
    assert_training_parity(f"{what}, Keras on dense gradients", train_embedding_model(dtype, x, y, True), dtype)
    sparse = train_embedding_model(dtype, x, y, False)
    for ours, theirs in sparse["losses"]:
        record_error(f"{what}, Keras' train_on_batch (IndexedSlices): loss at steps 1–3", dtype, ours, theirs)


@DTYPES
def test_embedding_lstm_dense_trains_as_keras_for_20_adam_steps(dtype):
    """The issue's model: Embedding(mask_zero=True) → LSTM → Dense, 20 Adam steps of 8 padded sequences
    (index 0 pads the ends), against Keras' steps on the dense gradient of its embeddings."""
    rng = np.random.default_rng(2)
    x = rng.integers(1, 30, (160, 10))
    lengths = rng.integers(3, 11, 160)
    x[np.arange(10) >= lengths[:, None]] = 0  # padded after each sequence's length
    y = rng.integers(0, 3, 160)
    result = train_embedding_model(dtype, x.astype(dtype), y, True, embedding_lstm_model, steps=20)
    assert_training_parity("Embedding(mask_zero) → LSTM → Dense; Adam(1e-2), Keras on dense gradients", result, dtype)
