"""Bidirectional and TimeDistributed against Keras: outputs, input and weight gradients, and training steps.

Both sides get the same weights (Keras' ``get_weights``, perturbed so the biases are not zero) and the
same upstream gradient; the input gradient and every weight gradient come from ``tf.GradientTape``.
Then ``Input((28, 28)) → Bidirectional(LSTM(16)) → Dense(10, softmax)`` takes 10 Adam steps on MNIST
images read as 28 rows of 28 pixels, in float32 and float64, its loss compared at every step.
"""

from __future__ import annotations

import numpy as np
import pytest

from helpers import assert_parity, import_tensorflow, mnist_rows, train_beside_keras
from redes import Tensor4D, layers
from tolerances import FLOAT64_RTOL, MULTISTEP_FLOAT32_RTOL, tolerance

CLASSES = ["SimpleRNN", "LSTM", "GRU"]
MERGE_MODES = ["concat", "sum", "mul", "ave"]
CASES = [(name, mode, sequences) for name in CLASSES for mode in MERGE_MODES for sequences in (False, True)]


def _compare(what, dtype, ours, theirs, x, input_shape, rng):
    """Forward, input gradient and weight gradients of ``ours`` and ``theirs`` (same weights) on ``x``."""
    tf = import_tensorflow()
    y = ours.forward(Tensor4D.from_natural(x), training=True).to_natural(ours.output_shape)
    upstream = rng.standard_normal(y.shape).astype(dtype)
    grad_x = ours.backward(Tensor4D.from_natural(upstream)).to_natural(input_shape)
    x_tf = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(x_tf)
        y_tf = theirs(x_tf)
        target = tf.reduce_sum(y_tf * upstream)
    grad_x_tf, *grad_w_tf = tape.gradient(target, [x_tf, *theirs.trainable_variables])
    assert y.dtype == grad_x.dtype == np.dtype(dtype)
    assert_parity(f"{what}: output", dtype, y, y_tf.numpy(), tolerance(dtype))
    assert_parity(f"{what}: input gradient", dtype, grad_x, grad_x_tf.numpy(), tolerance(dtype))
    assert len(ours.gradients) == len(grad_w_tf)
    for weight_name, ours_grad, theirs_grad in zip(ours.weight_names, ours.gradients, grad_w_tf):
        assert_parity(f"{what}: {weight_name} gradient", dtype, ours_grad, theirs_grad.numpy(), tolerance(dtype))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name,merge_mode,return_sequences", CASES,
                         ids=[f"{n}-{m}-{'sequences' if s else 'last'}" for n, m, s in CASES])
def test_bidirectional_matches_keras(name, merge_mode, return_sequences, dtype):
    tf = import_tensorflow()
    rng = np.random.default_rng(0)
    batch, steps, features, units = 4, 7, 5, 6
    x = rng.standard_normal((batch, steps, features)).astype(dtype)
    theirs = tf.keras.layers.Bidirectional(
        getattr(tf.keras.layers, name)(units, return_sequences=return_sequences, dtype=dtype),
        merge_mode=merge_mode, dtype=dtype)
    theirs.build((None, steps, features))
    weights = [(w + 0.1 * rng.standard_normal(w.shape)).astype(dtype) for w in theirs.get_weights()]
    theirs.set_weights(weights)
    ours = layers.Bidirectional(getattr(layers, name)(units, return_sequences=return_sequences, dtype=dtype),
                                merge_mode=merge_mode)
    ours.build_for((steps, features))
    assert [w.shape for w in ours.get_weights()] == [w.shape for w in weights]
    ours.set_weights(weights)
    what = f"Bidirectional({name}(return_sequences={return_sequences}), merge_mode={merge_mode!r})"
    _compare(what, dtype, ours, theirs, x, (steps, features), rng)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_bidirectional_with_a_backward_layer_matches_keras(dtype):
    tf = import_tensorflow()
    rng = np.random.default_rng(2)
    batch, steps, features = 3, 6, 4

    def make(module):
        return module.Bidirectional(module.LSTM(5, return_sequences=True, dtype=dtype),
                                    backward_layer=module.GRU(3, go_backwards=True, return_sequences=True,
                                                              activation="relu", dtype=dtype), dtype=dtype)

    theirs, ours = make(tf.keras.layers), make(layers)
    theirs.build((None, steps, features))
    ours.build_for((steps, features))
    weights = [(w + 0.1 * rng.standard_normal(w.shape)).astype(dtype) for w in theirs.get_weights()]
    theirs.set_weights(weights)
    ours.set_weights(weights)
    x = rng.standard_normal((batch, steps, features)).astype(dtype)
    _compare("Bidirectional(LSTM(5), backward_layer=GRU(3, relu), return_sequences)", dtype, ours, theirs, x,
             (steps, features), rng)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("step_shape", [(5,), (3, 5)], ids=["steps-features", "steps-rows-features"])
def test_time_distributed_dense_matches_keras(step_shape, dtype):
    tf = import_tensorflow()
    rng = np.random.default_rng(1)
    batch, steps, units = 4, 6, 3
    x = rng.standard_normal((batch, steps) + step_shape).astype(dtype)
    theirs = tf.keras.layers.TimeDistributed(tf.keras.layers.Dense(units, activation="tanh", dtype=dtype),
                                             dtype=dtype)
    theirs.build((None, steps) + step_shape)
    weights = [(w + 0.1 * rng.standard_normal(w.shape)).astype(dtype) for w in theirs.get_weights()]
    theirs.set_weights(weights)
    ours = layers.TimeDistributed(layers.Dense(units, activation="tanh", dtype=dtype))
    ours.build_for((steps,) + step_shape)
    ours.set_weights(weights)
    _compare(f"TimeDistributed(Dense({units}, tanh)) on {(None, steps) + step_shape}", dtype, ours, theirs, x,
             (steps,) + step_shape, rng)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_bidirectional_classifier_trains_as_keras(dtype):
    steps, batch = 10, 16
    x, y = mnist_rows(steps * batch)

    def model(module):
        return [module.Input((28, 28)), module.Bidirectional(module.LSTM(16, dtype=dtype), dtype=dtype),
                module.Dense(10, activation="softmax", dtype=dtype)]

    ours, theirs, losses_ours, losses_theirs = train_beside_keras(model, x.astype(dtype), y, dtype, steps, batch)
    bound = MULTISTEP_FLOAT32_RTOL if dtype == "float32" else FLOAT64_RTOL
    what = "Bidirectional(LSTM(16)) → Dense softmax, 10 Adam steps on MNIST rows"
    assert_parity(f"{what}: losses", dtype, losses_ours, losses_theirs, bound)
    assert losses_ours[-1] < losses_ours[0]
    for ours_weight, theirs_weight in zip(ours.get_weights(), theirs.get_weights()):
        assert_parity(f"{what}: weights", dtype, ours_weight, theirs_weight, bound * 10)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_time_distributed_lstm_matches_keras(dtype):
    tf = import_tensorflow()
    rng = np.random.default_rng(3)
    batch, steps, substeps, features = 3, 4, 5, 2
    theirs = tf.keras.layers.TimeDistributed(tf.keras.layers.LSTM(3, dtype=dtype), dtype=dtype)
    theirs.build((None, steps, substeps, features))
    weights = [(w + 0.1 * rng.standard_normal(w.shape)).astype(dtype) for w in theirs.get_weights()]
    theirs.set_weights(weights)
    ours = layers.TimeDistributed(layers.LSTM(3, dtype=dtype))
    ours.build_for((steps, substeps, features))
    ours.set_weights(weights)
    x = rng.standard_normal((batch, steps, substeps, features)).astype(dtype)
    _compare("TimeDistributed(LSTM(3)) on (None, 4, 5, 2)", dtype, ours, theirs, x, (steps, substeps, features), rng)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("return_sequences", [True, False])
def test_bidirectional_without_merge_returns_both_outputs_as_keras(return_sequences, dtype):
    tf = import_tensorflow()
    rng = np.random.default_rng(4)
    batch, steps, features, units = 3, 6, 4, 5
    x = rng.standard_normal((batch, steps, features)).astype(dtype)
    theirs = tf.keras.layers.Bidirectional(tf.keras.layers.GRU(units, return_sequences=return_sequences, dtype=dtype),
                                           merge_mode=None, dtype=dtype)
    theirs.build((None, steps, features))
    weights = [(w + 0.1 * rng.standard_normal(w.shape)).astype(dtype) for w in theirs.get_weights()]
    theirs.set_weights(weights)
    ours = layers.Bidirectional(layers.GRU(units, return_sequences=return_sequences, dtype=dtype), merge_mode=None)
    ours.build_for((steps, features))
    ours.set_weights(weights)
    outputs = ours.forward(Tensor4D.from_natural(x), training=True)
    shape = (batch, steps, units) if return_sequences else (batch, units)
    upstreams = [rng.standard_normal(shape).astype(dtype) for _ in outputs]
    grad_x = ours.backward([Tensor4D.from_natural(u) for u in upstreams]).to_natural((steps, features))
    x_tf = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(x_tf)
        outputs_tf = theirs(x_tf)
        target = sum(tf.reduce_sum(o * u) for o, u in zip(outputs_tf, upstreams))
    grad_x_tf, *grad_w_tf = tape.gradient(target, [x_tf, *theirs.trainable_variables])
    what = f"Bidirectional(GRU(return_sequences={return_sequences}), merge_mode=None)"
    for k, (ours_output, theirs_output) in enumerate(zip(outputs, outputs_tf)):
        assert_parity(f"{what}: output {k}", dtype, ours_output.to_natural(shape[1:]), theirs_output.numpy(),
                      tolerance(dtype))
    assert_parity(f"{what}: input gradient", dtype, grad_x, grad_x_tf.numpy(), tolerance(dtype))
    for ours_grad, theirs_grad in zip(ours.gradients, grad_w_tf):
        assert_parity(f"{what}: weight gradients", dtype, ours_grad, theirs_grad.numpy(), tolerance(dtype))
