"""SimpleRNN, LSTM and GRU against Keras: outputs, input and weight gradients, and training steps.

Both sides get the same weights (Keras' ``get_weights``, perturbed so the biases are not zero) and the
same upstream gradient; the input gradient and every weight gradient come from ``tf.GradientTape``.
Then a small sequence classifier (recurrent layer → Dense softmax) takes 20 Adam steps on MNIST images
read as 28 rows of 28 pixels, in float32 and float64, its loss compared at every step.
"""

from __future__ import annotations

import numpy as np
import pytest

from helpers import assert_parity, import_tensorflow, mnist_rows, train_beside_keras
from redes import Tensor4D, layers
from tolerances import FLOAT64_RTOL, MULTISTEP_FLOAT32_RTOL, tolerance

CLASSES = ["SimpleRNN", "LSTM", "GRU"]
CONFIGURATIONS = [
    {},
    {"return_sequences": True},
    {"go_backwards": True},
    {"go_backwards": True, "return_sequences": True},
    {"activation": "relu", "use_bias": False, "return_sequences": True},
    {"recurrent_activation": "hard_sigmoid"},
]


CASES = [(name, config) for name in CLASSES for config in CONFIGURATIONS
         if not (name == "SimpleRNN" and "recurrent_activation" in config)]  # SimpleRNN has no gates
CASES += [("GRU", {"reset_after": False}), ("GRU", {"reset_after": False, "return_sequences": True,
                                                   "go_backwards": True}),
          ("GRU", {"reset_after": False, "use_bias": False, "activation": "relu"})]  # Keras 2's GRU


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name,config", CASES,
                         ids=[f"{n}-{','.join(f'{k}={v}' for k, v in c.items()) or 'default'}" for n, c in CASES])
def test_recurrent_layer_matches_keras(name, config, dtype):
    tf = import_tensorflow()
    rng = np.random.default_rng(0)
    batch, steps, features, units = 4, 7, 5, 6
    x = rng.standard_normal((batch, steps, features)).astype(dtype)
    theirs = getattr(tf.keras.layers, name)(units, dtype=dtype, **config)
    theirs.build((None, steps, features))
    weights = [(w + 0.1 * rng.standard_normal(w.shape)).astype(dtype) for w in theirs.get_weights()]
    theirs.set_weights(weights)
    ours = getattr(layers, name)(units, dtype=dtype, **config)
    ours.build_for((steps, features))
    ours.set_weights(weights)

    y = ours.forward(Tensor4D.from_natural(x), training=True).to_natural(ours.output_shape)
    upstream = rng.standard_normal(y.shape).astype(dtype)
    grad_x = ours.backward(Tensor4D.from_natural(upstream)).to_natural((steps, features))
    x_tf = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(x_tf)
        y_tf = theirs(x_tf)
        target = tf.reduce_sum(y_tf * upstream)
    grad_x_tf, *grad_w_tf = tape.gradient(target, [x_tf, *theirs.trainable_variables])

    what = f"{name}({', '.join(f'{k}={v}' for k, v in config.items())})"
    assert y.dtype == grad_x.dtype == np.dtype(dtype)
    assert_parity(f"{what}: output", dtype, y, y_tf.numpy(), tolerance(dtype))
    assert_parity(f"{what}: input gradient", dtype, grad_x, grad_x_tf.numpy(), tolerance(dtype))
    for weight_name, ours_grad, theirs_grad in zip(ours.weight_names, ours.gradients, grad_w_tf):
        assert_parity(f"{what}: {weight_name} gradient", dtype, ours_grad, theirs_grad.numpy(), tolerance(dtype))


@pytest.mark.parametrize("name", CLASSES)
def test_initial_weights_have_keras_shapes_and_forget_bias(name):
    tf = import_tensorflow()
    ours, theirs = getattr(layers, name)(3), getattr(tf.keras.layers, name)(3)
    ours.build_for((4, 2))
    theirs.build((None, 4, 2))
    assert [w.shape for w in ours.get_weights()] == [w.shape for w in theirs.get_weights()]
    np.testing.assert_array_equal(ours.get_weights()[-1], theirs.get_weights()[-1])  # the bias: LSTM's forget gate at 1
    recurrent = ours.get_weights()[1]  # orthogonal rows, as Keras' default
    np.testing.assert_allclose(recurrent @ recurrent.T, np.eye(3), atol=1e-5)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", CLASSES)
def test_sequence_classifier_trains_as_keras(name, dtype):
    steps, batch = 20, 16
    x, y = mnist_rows(steps * batch)

    def model(module):
        return [module.Input((28, 28)), getattr(module, name)(32, dtype=dtype),
                module.Dense(10, activation="softmax", dtype=dtype)]

    ours, theirs, losses_ours, losses_theirs = train_beside_keras(model, x.astype(dtype), y, dtype, steps, batch)
    bound = MULTISTEP_FLOAT32_RTOL if dtype == "float32" else FLOAT64_RTOL
    assert_parity(f"{name}(32) → Dense softmax, 20 Adam steps on MNIST rows: losses", dtype,
                  losses_ours, losses_theirs, bound)
    assert losses_ours[-1] < losses_ours[0]
    for ours_weight, theirs_weight in zip(ours.get_weights(), theirs.get_weights()):
        assert_parity(f"{name}(32) → Dense softmax, 20 Adam steps: weights", dtype, ours_weight, theirs_weight,
                      bound * 10)


STATE_CASES = [(name, config) for name in CLASSES for config in
               ({"return_sequences": True}, {}, {"go_backwards": True})]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name,config", STATE_CASES,
                         ids=[f"{n}-{','.join(c) or 'last'}" for n, c in STATE_CASES])
def test_initial_state_and_return_state_match_keras(name, config, dtype):
    """[output, *final states] = layer(x, initial_state=[...]): every output and every input's gradient."""
    tf = import_tensorflow()
    rng = np.random.default_rng(3)
    batch, steps, features, units = 3, 5, 4, 6
    count = 2 if name == "LSTM" else 1
    x = rng.standard_normal((batch, steps, features)).astype(dtype)
    states = [rng.standard_normal((batch, units)).astype(dtype) for _ in range(count)]
    theirs = getattr(tf.keras.layers, name)(units, return_state=True, dtype=dtype, **config)
    theirs.build((None, steps, features))
    weights = [(w + 0.1 * rng.standard_normal(w.shape)).astype(dtype) for w in theirs.get_weights()]
    theirs.set_weights(weights)
    ours = getattr(layers, name)(units, return_state=True, dtype=dtype, **config)
    ours([x, *states])  # builds for the sequence and its initial states
    ours.set_weights(weights)

    outputs = ours.forward([Tensor4D.from_natural(a) for a in (x, *states)], training=True)
    upstreams = [rng.standard_normal(np.asarray(o).shape).astype(dtype) for o in outputs]
    grads = ours.backward([Tensor4D(u) for u in upstreams])
    tensors = [tf.constant(a) for a in (x, *states)]
    with tf.GradientTape() as tape:
        for tensor in tensors:
            tape.watch(tensor)
        outputs_tf = theirs(tensors[0], initial_state=tensors[1:])
        target = sum(tf.reduce_sum(o * u.reshape(o.shape)) for o, u in zip(outputs_tf, upstreams))
    grads_tf = tape.gradient(target, tensors + list(theirs.trainable_variables))
    what = f"{name}(return_state, initial_state, {', '.join(config)})"
    for k, (ours_output, theirs_output) in enumerate(zip(outputs, outputs_tf)):
        assert_parity(f"{what}: output {k}", dtype, np.asarray(ours_output).reshape(theirs_output.shape),
                      theirs_output.numpy(), tolerance(dtype))
    for k, (ours_grad, theirs_grad) in enumerate(zip(grads, grads_tf)):
        assert_parity(f"{what}: gradient of input {k}", dtype, np.asarray(ours_grad).reshape(theirs_grad.shape),
                      theirs_grad.numpy(), tolerance(dtype))
    for ours_grad, theirs_grad in zip(ours.gradients, grads_tf[len(tensors):]):
        assert_parity(f"{what}: weight gradients", dtype, ours_grad, theirs_grad.numpy(), tolerance(dtype))
