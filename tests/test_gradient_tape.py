"""redes.GradientTape: the semantics of tf.GradientTape, built-in layers and losses on the tape, and custom
training loops against the same loops in TensorFlow/Keras."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest

from helpers import assert_parity, import_tensorflow, keras_floatx
from redes import GradientTape, Sequential, floatx, layers, losses, ops, optimizers, set_floatx
from redes.layers import Layer
from tolerances import FLOAT64_RTOL, LOSS_FLOAT64_VALUE_RTOL, MULTISTEP_FLOAT32_RTOL


@pytest.fixture(autouse=True)
def float64_layers():
    """Layers made in these tests compute in float64 (redes' floatx), as Keras' under keras_floatx('float64')."""
    previous = floatx()
    set_floatx("float64")
    yield
    set_floatx(previous)


def _watched(*values):
    return [np.asarray(v, dtype="float64") for v in values]


# ---------------------------------------------------------------------- semantics
def test_gradient_keeps_the_structure_of_sources():
    a, b = _watched([1.0, 2.0], [3.0])
    with GradientTape(persistent=True) as tape:
        tape.watch([a, b])
        y = ops.sum(ops.multiply(a, b))
    assert isinstance(tape.gradient(y, [a, b]), list)
    assert isinstance(tape.gradient(y, (a, b)), tuple)
    grads = tape.gradient(y, {"a": a, "b": b})
    np.testing.assert_array_equal(grads["a"], [3.0, 3.0])
    np.testing.assert_array_equal(grads["b"], [3.0])
    np.testing.assert_array_equal(tape.gradient(y, a), [3.0, 3.0])


def test_a_non_persistent_tape_raises_on_a_second_gradient_and_releases_what_it_recorded():
    x, = _watched([1.0, 2.0])
    with GradientTape() as tape:
        tape.watch(x)
        hidden = ops.exp(x)
        y = ops.sum(hidden)
    reference = weakref.ref(hidden)
    del hidden
    tape.gradient(y, x)
    gc.collect()
    assert reference() is None, "the tape still holds its nodes after gradient()"
    with pytest.raises(RuntimeError, match="non-persistent"):
        tape.gradient(y, x)


def test_a_persistent_tape_gives_gradients_more_than_once():
    x, = _watched([1.0, 2.0])
    with GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = ops.sum(ops.square(x))
        z = ops.sum(ops.exp(x))
    np.testing.assert_allclose(tape.gradient(y, x), 2 * x)
    np.testing.assert_allclose(tape.gradient(z, x), np.exp(x))


def test_unwatched_and_unconnected_sources_get_none_or_zeros():
    x, w, other = _watched([1.0, 2.0], [3.0, 4.0], [5.0])
    with GradientTape(persistent=True) as tape:
        tape.watch([x, other])
        y = ops.sum(ops.multiply(x, w))
    assert tape.gradient(y, [w, other]) == [None, None]
    np.testing.assert_array_equal(tape.gradient(y, other, unconnected_gradients="zero"), [0.0])
    with pytest.raises(ValueError, match="unconnected_gradients"):
        tape.gradient(y, x, unconnected_gradients="nan")


def test_a_variable_used_twice_sums_its_gradients():
    w, = _watched([1.0, -2.0])
    with GradientTape() as tape:
        tape.watch(w)
        t = ops.convert_to_tensor(w)
        y = ops.sum(t * t) + ops.sum(ops.multiply(w, 3.0)) + t[0]
    np.testing.assert_allclose(tape.gradient(y, w), 2 * w + 3 + np.array([1.0, 0.0]))


def test_output_gradients_and_several_targets():
    x, = _watched([1.0, 2.0])
    with GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = ops.square(x)
        total, z = ops.sum(y), ops.sum(x)
    np.testing.assert_allclose(tape.gradient(y, x, output_gradients=np.array([10.0, 1.0])), [20.0, 4.0])
    np.testing.assert_allclose(tape.gradient([total, z], x), 2 * x + 1)


def test_nested_tapes_give_second_derivatives():
    x, = _watched([0.5, -1.5])
    with GradientTape() as outer:
        outer.watch(x)
        with GradientTape() as inner:
            inner.watch(x)
            y = ops.sum(ops.tanh(x) * ops.power(x, 3) + ops.softplus(x))
        dy = inner.gradient(y, x)
        s = ops.sum(dy)
    t, s_x = np.tanh(x), 1 / (1 + np.exp(-x))
    d2 = -2 * t * (1 - t * t) * x ** 3 + 2 * (1 - t * t) * 3 * x ** 2 + t * 6 * x + s_x * (1 - s_x)
    np.testing.assert_allclose(outer.gradient(s, x), d2, rtol=1e-12)


def test_stop_recording_and_stop_gradient():
    x, = _watched([1.0, 2.0])
    with GradientTape() as tape:
        tape.watch(x)
        with tape.stop_recording():
            constant = ops.exp(x)
        y = ops.sum(ops.multiply(x, constant) + ops.stop_gradient(ops.square(x)))
    assert type(constant) is np.ndarray
    np.testing.assert_allclose(tape.gradient(y, x), np.exp(x))


def test_not_differentiable_ops_leave_the_rest_differentiable():
    x, = _watched([[1.0, 5.0, 2.0]])
    with GradientTape() as tape:
        tape.watch(x)
        best = ops.argmax(x, axis=-1)
        y = ops.sum(ops.take_along_axis(ops.convert_to_tensor(x), best[:, None], axis=1) * 2.0)
    assert type(best) is np.ndarray
    np.testing.assert_array_equal(tape.gradient(y, x), [[0.0, 2.0, 0.0]])


def test_numpy_without_a_differentiable_counterpart_raises_under_a_tape():
    x, = _watched([1.0, 2.0])
    with GradientTape():
        pass
    with GradientTape() as tape:
        tape.watch(x)
        t = ops.convert_to_tensor(x)
        with pytest.raises(TypeError, match=r"np\.cbrt .*redes\.ops"):
            np.cbrt(t)
        with pytest.raises(TypeError, match=r"np\.nancumsum"):
            np.nancumsum(t)
        with pytest.raises(TypeError, match=r"\.ptp\(\)"):
            t.ptp()
        y = np.sum(np.exp(t) * 2)  # NumPy's own names for redes ops are recorded
    np.testing.assert_allclose(tape.gradient(y, x), 2 * np.exp(x))


def test_in_place_changes_of_traced_arrays_raise():
    x, = _watched([1.0, 2.0])
    with GradientTape() as tape:
        tape.watch(x)
        t = ops.exp(x)
        with pytest.raises(TypeError, match="in place"):
            t += 1
        with pytest.raises(TypeError, match="in place"):
            t[0] = 0.0
        with pytest.raises(TypeError, match="in place"):
            np.multiply(x, 2.0, out=t)


def test_watch_rejects_what_is_not_a_float_array():
    with GradientTape() as tape:
        with pytest.raises(TypeError, match="floating-point"):
            tape.watch(np.array([1, 2]))
        with pytest.raises(TypeError, match="floating-point"):
            tape.watch(3.0)


# ---------------------------------------------------------------------- built-in layers and losses on the tape
def _mlp(**dense):
    return Sequential([layers.Input((4,)), layers.Dense(5, activation="relu", **dense),
                       layers.Dense(3, activation="softmax")])


def _data(seed=0, n=8):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, 4)), rng.integers(0, 3, n)


def test_a_model_call_is_one_node_whose_gradients_are_the_models_backward():
    model, (x, y) = _mlp(), _data()
    loss_fn = losses.SparseCategoricalCrossentropy()
    with GradientTape() as tape:
        loss = loss_fn(y, model(x, training=True))
    grads = tape.gradient(loss, model.trainable_weights)
    model.backward(loss_fn.gradient(y, model(x, training=True)))
    for ours, expected in zip(grads, model.gradients):
        np.testing.assert_allclose(ours, expected, rtol=1e-13, atol=1e-16)


def test_layer_weights_are_watched_only_with_watch_accessed_variables():
    model, (x, _) = _mlp(), _data()
    with GradientTape(watch_accessed_variables=False) as tape:
        y = ops.sum(model(x))
    assert tape.gradient(y, model.trainable_weights) == [None] * 4
    with GradientTape() as tape:
        y = ops.sum(model(x))
    assert [id(w) for w in tape.watched_variables()] == [id(w) for w in model.trainable_weights]
    assert all(g is not None for g in tape.gradient(y, model.trainable_weights))


def test_a_built_in_layer_on_a_traced_input_passes_the_gradient_back():
    layer = layers.Dense(3, activation="tanh")
    x, = _watched(np.random.default_rng(0).standard_normal((2, 4)))
    with GradientTape() as tape:
        tape.watch(x)
        y = ops.sum(layer(ops.square(x)))
    grad = tape.gradient(y, x)
    z = np.tanh(np.square(x) @ layer.kernel + layer.bias)
    np.testing.assert_allclose(grad, ((1 - z * z) @ layer.kernel.T) * 2 * x, rtol=1e-12)


def test_a_layer_called_twice_under_one_tape_differentiates_each_call():
    layer = layers.Dense(2, activation="tanh", dtype="float64")
    x, = _watched(np.random.default_rng(5).standard_normal((3, 4)))
    with GradientTape() as tape:  # each call's own forward cache serves its own backward
        y = ops.sum(layer(x)) + ops.sum(ops.square(layer(x * 2)))
    kernel_grad = tape.gradient(y, layer.kernel)
    z1, z2 = np.tanh(x @ layer.kernel + layer.bias), np.tanh(2 * x @ layer.kernel + layer.bias)
    np.testing.assert_allclose(kernel_grad, x.T @ (1 - z1 ** 2) + (2 * x).T @ (2 * z2 * (1 - z2 ** 2)), rtol=1e-12)

    dropout = layers.Dropout(0.5, dtype="float64")
    with GradientTape() as tape:  # two masks, each differentiated with its own call
        tape.watch(x)
        first, second = dropout(x, training=True), dropout(x, training=True)
        y = ops.sum(first) + 3 * ops.sum(second)
    assert not np.array_equal(first, second)
    np.testing.assert_allclose(tape.gradient(y, x), (first + 3 * second) / x, rtol=1e-12)


def test_second_derivatives_through_a_built_in_layer_raise():
    layer, (x, _) = layers.Dense(2), _data()
    layer(x)
    with GradientTape() as outer:
        with GradientTape() as inner:
            y = ops.sum(layer(x))
        with pytest.raises(NotImplementedError, match="Second derivatives"):
            inner.gradient(y, layer.trainable_weights)
    del outer


def test_a_built_in_loss_refuses_a_traced_target():
    x, = _watched([[0.5, 0.2]])
    with GradientTape() as tape:
        tape.watch(x)
        with pytest.raises(NotImplementedError, match="y_true"):
            losses.MeanSquaredError()(ops.tanh(x), ops.square(x))
        loss = losses.MeanSquaredError()(ops.stop_gradient(ops.tanh(x)), ops.square(x))
    np.testing.assert_allclose(tape.gradient(loss, x), (x ** 2 - np.tanh(x)) * 2 * x, rtol=1e-14)


LOSS_FUNCTIONS = ["mean_squared_error", "mean_absolute_error", "mean_squared_logarithmic_error", "huber", "log_cosh",
                  "binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy",
                  "kl_divergence", "categorical_hinge"]


@pytest.mark.parametrize("name", LOSS_FUNCTIONS)
def test_loss_functions_are_differentiable_as_keras_loss_functions(name):
    """Per-sample values (Keras' loss functions) weighted by a random upstream, against keras.losses."""
    tf = import_tensorflow()
    import keras
    rng = np.random.default_rng(0)
    x = rng.standard_normal((6, 4))
    labels = rng.integers(0, 4, 6)
    targets = labels if name.startswith("sparse") else np.eye(4)[labels] * 0.8 + 0.05
    upstream = rng.standard_normal(6)
    with GradientTape() as tape:
        tape.watch(x)
        values = getattr(losses, name)(targets, ops.softmax(x))
        loss = ops.sum(values * upstream)
    x_tf = tf.constant(x)
    with tf.GradientTape() as tf_tape:
        tf_tape.watch(x_tf)
        values_tf = getattr(keras.losses, name)(targets, tf.nn.softmax(x_tf))
        loss_tf = tf.reduce_sum(values_tf * upstream)
    value_tol = LOSS_FLOAT64_VALUE_RTOL.get(name, FLOAT64_RTOL)  # log_cosh: Keras' log 2 in float32
    assert_parity(f"losses.{name} values on a tape", "float64", values, values_tf.numpy(), value_tol)
    assert_parity(f"losses.{name} gradient on a tape", "float64", tape.gradient(loss, x),
                  tf_tape.gradient(loss_tf, x_tf).numpy(), FLOAT64_RTOL)


def test_regularization_penalties_are_differentiable_through_model_losses():
    model, (x, y) = _mlp(kernel_regularizer="l2"), _data()
    loss_fn = losses.SparseCategoricalCrossentropy()
    with GradientTape() as tape:
        loss = loss_fn(y, model(x, training=True)) + sum(model.losses)
    grads = tape.gradient(loss, model.trainable_weights)
    model.backward(loss_fn.gradient(y, model(x, training=True)))  # fit's path: set_gradient adds the penalty
    for ours, expected in zip(grads, model.gradients):
        np.testing.assert_allclose(ours, expected, rtol=1e-13, atol=1e-16)


# ---------------------------------------------------------------------- training loops
class OpsDense(Layer):
    """Dense written with redes.ops, as a Keras user writes call(): relu(x W + b)."""

    def __init__(self, units, input_dim, **kwargs):
        super().__init__(**kwargs)
        self.add_weight(shape=(input_dim, units), name="kernel")
        self.add_weight(shape=(units,), initializer="zeros", name="bias")

    def call(self, x):
        return ops.relu(ops.matmul(x, self.kernel) + self.bias)


def test_an_ops_dense_trained_with_the_tape_equals_the_built_in_dense_trained_by_fit_steps():
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((16, 4)), rng.standard_normal((16, 3))
    built_in = Sequential([layers.Input((4,)), layers.Dense(3, activation="relu")])
    built_in.compile(optimizers.SGD(0.1), "mse")
    custom = OpsDense(3, 4)
    custom.set_weights(built_in.get_weights())
    optimizer, loss_fn = optimizers.SGD(0.1), losses.MeanSquaredError()
    for step in range(5):
        batch = slice(step * 3, step * 3 + 8)
        expected = built_in.train_on_batch(x[batch], y[batch])
        with GradientTape() as tape:
            loss = loss_fn(y[batch], custom.call(x[batch]))
        grads = tape.gradient(loss, custom.trainable_weights)
        optimizer.apply_gradients(zip(grads, custom.trainable_weights))
        np.testing.assert_allclose(float(loss), expected, rtol=1e-14)
    for ours, theirs in zip(custom.get_weights(), built_in.get_weights()):
        np.testing.assert_allclose(ours, theirs, rtol=1e-13, atol=1e-15)


def _cnn(module):
    return [module.Input((6, 6, 1)), module.Conv2D(2, 3, activation="relu"), module.Flatten(),
            module.Dense(4, activation="tanh"), module.Dense(3, activation="softmax")]


@pytest.mark.parametrize("stack", [
    lambda m: [m.Input((4,)), m.Dense(5, activation="relu"), m.Dense(3, activation="softmax")], _cnn],
    ids=["mlp", "cnn"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_a_custom_training_loop_matches_keras_with_tf_gradient_tape(stack, dtype):
    set_floatx(dtype)
    tol = FLOAT64_RTOL if dtype == "float64" else MULTISTEP_FLOAT32_RTOL
    with keras_floatx(dtype) as tf:
        keras = tf.keras
        keras.utils.set_random_seed(0)
        policy = keras.config.dtype_policy()  # Keras keeps the policy of its first use, whatever floatx is now
        keras.config.set_dtype_policy(dtype)
        try:
            theirs = keras.Sequential(stack(keras.layers))
        finally:
            keras.config.set_dtype_policy(policy)
        ours = Sequential(stack(layers))
        ours.set_weights(theirs.get_weights())
        shape = ours.input_shape
        rng = np.random.default_rng(0)
        x, y = rng.standard_normal((5, 8, *shape)).astype(dtype), rng.integers(0, 3, (5, 8))
        our_optimizer, their_optimizer = optimizers.SGD(0.5), keras.optimizers.SGD(0.5)
        our_loss, their_loss = losses.SparseCategoricalCrossentropy(), keras.losses.SparseCategoricalCrossentropy()
        for xb, yb in zip(x, y):
            with GradientTape() as tape:
                loss = our_loss(yb, ours(xb, training=True))
            grads = tape.gradient(loss, ours.trainable_weights)
            our_optimizer.apply_gradients(zip(grads, ours.trainable_weights))
            with tf.GradientTape() as tf_tape:
                tf_loss = their_loss(yb, theirs(xb, training=True))
            tf_grads = tf_tape.gradient(tf_loss, theirs.trainable_weights)
            their_optimizer.apply_gradients(zip(tf_grads, theirs.trainable_weights))
            assert loss.dtype == np.dtype(dtype) and all(g.dtype == np.dtype(dtype) for g in grads)
            assert_parity("custom training loop loss", dtype, loss, tf_loss.numpy(), tol)
            for g, g_tf in zip(grads, tf_grads):
                assert_parity("custom training loop gradient", dtype, g, g_tf.numpy(), tol)
        for w, w_tf in zip(ours.get_weights(), theirs.get_weights()):
            assert_parity("custom training loop weights", dtype, w, w_tf, tol)
