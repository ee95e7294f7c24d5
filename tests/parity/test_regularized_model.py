"""L1, L2 and L1L2 inside a model: the penalties in the loss and in the gradients, against Keras."""

import numpy as np
import pytest

from helpers import assert_parity, keras_floatx
from redes import Sequential, layers, losses, optimizers, regularizers
from tolerances import FLOAT64_KERAS_FLOAT32_CONSTANT_RTOL, tolerance


def model(module, regularizer_module, dtype: str) -> list:
    """A small CNN with every kind of penalty, built from redes or Keras (same names, same arguments)."""
    kwargs = {"dtype": dtype}
    return [module.Input((6, 6, 2)),
            module.Conv2D(3, 3, activation="tanh", kernel_regularizer=regularizer_module.L2(0.03),
                          bias_regularizer=regularizer_module.L1(0.02), **kwargs),
            module.BatchNormalization(gamma_regularizer=regularizer_module.L1L2(0.01, 0.02), **kwargs),
            module.Flatten(**kwargs),
            module.Dense(5, activation="relu", kernel_regularizer=regularizer_module.L1(0.01), **kwargs),
            module.Dense(3, activation="softmax", kernel_regularizer=regularizer_module.L1L2(0.01, 0.02),
                         bias_regularizer=regularizer_module.L2(0.05), **kwargs)]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_penalties_in_loss_and_gradients_match_keras(dtype):
    with keras_floatx(dtype) as tf:  # Keras' compiled loss adds the penalties in floatx
        compare_penalties(tf, dtype)


def compare_penalties(tf, dtype: str) -> None:
    keras = tf.keras
    rng = np.random.default_rng(0)
    x = rng.standard_normal((8, 6, 6, 2)).astype(dtype)
    y = rng.integers(0, 3, 8)
    theirs = keras.Sequential(model(keras.layers, keras.regularizers, dtype))
    ours = Sequential(model(layers, regularizers, dtype))
    # Random weights everywhere (biases too), so that every penalty and its gradient is non-zero.
    weights = [(rng.standard_normal(w.shape) * 0.5 + (1.0 if w.ndim == 1 else 0.0)).astype(dtype)
               for w in theirs.get_weights()]
    theirs.set_weights(weights)
    ours.set_weights(weights)
    # Keras keeps the regularization factors in float32: ~1e-8 relative in float64.
    tol = tolerance(dtype) if dtype == "float32" else FLOAT64_KERAS_FLOAT32_CONSTANT_RTOL
    what = "Conv2D, BatchNormalization, Dense with L1, L2, L1L2 penalties"

    loss_fn = keras.losses.SparseCategoricalCrossentropy(dtype=dtype)
    with tf.GradientTape() as tape:
        their_penalty = tf.add_n(theirs.losses)
        their_total = loss_fn(y, tf.identity(theirs(x, training=True))) + their_penalty
    their_grads = tape.gradient(their_total, theirs.trainable_weights)
    ours_loss = losses.SparseCategoricalCrossentropy()
    y_pred = ours(x, training=True)
    total = ours_loss(y, y_pred) + sum(ours.losses)
    ours.backward(ours_loss.gradient(y, y_pred))
    assert len(ours.losses) == len(theirs.losses) == 6
    assert_parity(f"{what}: sum of the penalties", dtype, sum(ours.losses), float(their_penalty), tol)
    assert_parity(f"{what}: loss plus penalties", dtype, total, float(their_total), tol)
    for ours_grad, their_grad in zip(ours.gradients, their_grads, strict=True):
        assert_parity(f"{what}: gradient of every weight, penalties included", dtype, ours_grad, their_grad.numpy(),
                      tol)

    theirs.compile(optimizer=keras.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy")
    ours.compile(optimizer=optimizers.SGD(0.1), loss="sparse_categorical_crossentropy")
    for _ in range(3):
        assert_parity(f"{what}: train_on_batch loss (penalties included)", dtype, ours.train_on_batch(x, y),
                      float(theirs.train_on_batch(x, y)), tol)
    for ours_weight, their_weight in zip(ours.get_weights(), theirs.get_weights(), strict=True):
        assert_parity(f"{what}: weights after 3 SGD steps", dtype, ours_weight, their_weight, tol)
