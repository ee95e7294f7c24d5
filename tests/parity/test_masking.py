"""Masks against Keras: Masking and Embedding(mask_zero=True) feeding the recurrent layers,
GlobalAveragePooling1D and a loss on a masked sequence.

Keras' rules, matched here: a recurrent layer keeps its state over a masked step and repeats the
previous output there; GlobalAveragePooling1D averages the unmasked steps; a loss on a masked
sequence is the mean over its unmasked steps.
"""

from __future__ import annotations

import numpy as np
import pytest

from helpers import assert_parity, import_tensorflow, keras_floatx, train_beside_keras
import redes
from redes import Sequential, Tensor4D, layers
from tolerances import FLOAT64_RTOL, MULTISTEP_FLOAT32_RTOL, tolerance

CONFIGURATIONS = [{"return_sequences": True}, {}, {"go_backwards": True, "return_sequences": True},
                  {"go_backwards": True}]


def padded_sequences(dtype: str, batch=4, steps=6, features=3):
    """Random sequences whose tails (and one middle step) are padding rows of zeros."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, steps, features)).astype(dtype)
    x[0, 2:] = 0.0
    x[1, 4:] = 0.0
    x[2, 1] = 0.0  # a masked step in the middle
    return x


def forward_and_gradients(tf, stack, x, dtype):
    """Both sides' outputs, input gradients and weight gradients for the same upstream gradient."""
    keras = tf.keras
    theirs = keras.Sequential([keras.layers.Input(x.shape[1:], dtype=dtype)] + stack(keras.layers))
    ours = Sequential([layers.Input(x.shape[1:])] + stack(layers), dtype=dtype)
    rng = np.random.default_rng(1)
    weights = [(w + 0.1 * rng.standard_normal(w.shape)).astype(dtype) for w in theirs.get_weights()]
    theirs.set_weights(weights)
    ours.set_weights(weights)
    y = ours.forward(Tensor4D.from_natural(x), training=True)
    y_natural = y.to_natural(ours.output_shape)
    upstream = rng.standard_normal(y_natural.shape).astype(dtype)
    grad_x = ours.backward(Tensor4D.from_natural(upstream)).to_natural(x.shape[1:])
    x_tf = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(x_tf)
        y_tf = theirs(x_tf, training=True)
        target = tf.reduce_sum(y_tf * upstream)
    grad_x_tf, *grad_w_tf = tape.gradient(target, [x_tf, *theirs.trainable_variables])
    return (y_natural, y_tf.numpy()), (grad_x, grad_x_tf.numpy()), list(zip(ours.gradients,
                                                                           [g.numpy() for g in grad_w_tf]))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("config", CONFIGURATIONS, ids=lambda c: ",".join(c) or "last-output")
@pytest.mark.parametrize("name", ["SimpleRNN", "LSTM", "GRU"])
def test_masked_steps_keep_the_state_as_in_keras(name, config, dtype):
    tf = import_tensorflow()
    x = padded_sequences(dtype)
    outputs, input_grads, weight_grads = forward_and_gradients(
        tf, lambda module: [module.Masking(dtype=dtype), getattr(module, name)(5, dtype=dtype, **config)], x, dtype)
    what = f"Masking → {name}({', '.join(f'{k}={v}' for k, v in config.items())})"
    assert_parity(f"{what}: output", dtype, *outputs, tolerance(dtype))
    assert_parity(f"{what}: input gradient", dtype, *input_grads, tolerance(dtype))
    for ours, theirs in weight_grads:
        assert_parity(f"{what}: weight gradients", dtype, ours, theirs, tolerance(dtype))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_mask_through_bidirectional_as_in_keras(dtype):
    tf = import_tensorflow()
    x = padded_sequences(dtype)
    outputs, input_grads, weight_grads = forward_and_gradients(
        tf, lambda module: [module.Masking(dtype=dtype),
                            module.Bidirectional(module.GRU(4, return_sequences=True, dtype=dtype), dtype=dtype),
                            module.LSTM(3, dtype=dtype)], x, dtype)
    what = "Masking → Bidirectional(GRU(return_sequences)) → LSTM"
    assert_parity(f"{what}: output", dtype, *outputs, tolerance(dtype))
    assert_parity(f"{what}: input gradient", dtype, *input_grads, tolerance(dtype))
    for ours, theirs in weight_grads:
        assert_parity(f"{what}: weight gradients", dtype, ours, theirs, tolerance(dtype))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_masked_global_average_pooling_averages_unmasked_steps(dtype):
    tf = import_tensorflow()
    x = padded_sequences(dtype)
    outputs, input_grads, _ = forward_and_gradients(
        tf, lambda module: [module.Masking(dtype=dtype), module.GlobalAveragePooling1D(dtype=dtype)], x, dtype)
    assert_parity("Masking → GlobalAveragePooling1D: output", dtype, *outputs, tolerance(dtype))
    assert_parity("Masking → GlobalAveragePooling1D: input gradient", dtype, *input_grads, tolerance(dtype))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_per_step_loss_on_a_masked_sequence_trains_as_keras(dtype):
    """Masking → LSTM(return_sequences) → Dense softmax, one label per step, 10 Adam steps.

    (Masking rather than Embedding(mask_zero): padding repeats index 0 in every batch, where Keras'
    Adam on the embedding's IndexedSlices gradient is not Adam on the dense gradient; see
    tests/parity/test_sequence_layers.py.)
    """
    rng = np.random.default_rng(2)
    x = rng.standard_normal((80, 9, 5)).astype(dtype)
    for row, length in enumerate(rng.integers(3, 10, len(x))):
        x[row, length:] = 0.0  # padding
    labels = rng.integers(0, 4, x.shape[:2])

    def stack(module):
        return [module.Input((9, 5)), module.Masking(dtype=dtype), module.LSTM(8, return_sequences=True, dtype=dtype),
                module.Dense(4, activation="softmax", dtype=dtype)]

    ours, theirs, losses_ours, losses_theirs = train_beside_keras(stack, x, labels, dtype, 10, 8, ["accuracy"])
    with keras_floatx(dtype):
        accuracy_ours = ours.evaluate(x, labels, verbose=0)[1]
        accuracy_theirs = theirs.evaluate(x, labels, verbose=0)[1]
    bound = MULTISTEP_FLOAT32_RTOL if dtype == "float32" else FLOAT64_RTOL
    what = "Masking → LSTM(return_sequences) → Dense softmax, per-step labels, 10 Adam steps"
    assert_parity(f"{what}: losses", dtype, losses_ours, losses_theirs, bound)
    for ours_weight, theirs_weight in zip(ours.get_weights(), theirs.get_weights()):
        assert_parity(f"{what}: weights", dtype, ours_weight, theirs_weight, bound * 10)
    assert accuracy_ours == pytest.approx(accuracy_theirs, abs=1e-6)  # the unmasked steps only, on both sides


@pytest.mark.parametrize("merge", ["Add", "Concatenate"])
def test_merged_masks_as_in_keras(merge):
    """Two masked sequences merged, then an LSTM: a step counts where either input holds data (Keras' OR)."""
    dtype = "float64"
    a, b = padded_sequences(dtype), padded_sequences(dtype)[::-1].copy()

    def build(module):
        nn = module.layers
        first, second = nn.Input(a.shape[1:], dtype=dtype), nn.Input(b.shape[1:], dtype=dtype)
        merged = getattr(nn, merge)(dtype=dtype)([nn.Masking(dtype=dtype)(first), nn.Masking(dtype=dtype)(second)])
        return module.Model([first, second], nn.LSTM(4, return_sequences=True, dtype=dtype)(merged))

    with keras_floatx(dtype) as tf:  # Keras' Input layers follow floatx
        theirs, ours = build(tf.keras), build(redes)
        ours.set_weights(theirs.get_weights())
        expected = theirs.predict([a, b], verbose=0)
    assert_parity(f"Masking ×2 → {merge} → LSTM: output", dtype, ours.predict([a, b]), expected, tolerance(dtype))
