"""SEEDS §1 the Keras 3 way (notebook 11): a call() LayerNormalization written with ops, a two-part Sequential,
SGD-Nesterov for the lower part and Nadam for the upper one, a GradientTape loop; against the same loop in Keras."""

from __future__ import annotations

import numpy as np

import redes
from helpers import assert_parity, keras_floatx
from redes import GradientTape, layers, losses, ops, optimizers
from tolerances import FLOAT64_RTOL


class OpsLayerNormalization(layers.Layer):
    def build(self, input_shape):
        self.add_weight(shape=input_shape[-1:], initializer="ones", name="alpha")
        self.add_weight(shape=input_shape[-1:], initializer="zeros", name="beta")

    def call(self, inputs):
        mean, variance = ops.mean(inputs, axis=-1, keepdims=True), ops.var(inputs, axis=-1, keepdims=True)
        return self.alpha * (inputs - mean) / ops.sqrt(variance + 1e-3) + self.beta


def two_part_model(lib, normalization):
    lower = lib.Sequential([lib.layers.Flatten(), lib.layers.Dense(12, activation="relu"), normalization()])
    upper = lib.Sequential([lib.layers.Dense(4, activation="softmax")])
    return lib.Sequential([lib.layers.Input((3, 5)), lower, upper]), lower, upper


def train_step(tape_class, model, lower, upper, lower_optimizer, upper_optimizer, loss_fn, x, y):
    with tape_class() as tape:
        loss = loss_fn(y, model(x, training=True)) + sum(model.losses)
    grads = tape.gradient(loss, model.trainable_weights)
    n = len(lower.trainable_weights)
    lower_optimizer.apply_gradients(zip(grads[:n], lower.trainable_weights))
    upper_optimizer.apply_gradients(zip(grads[n:], upper.trainable_weights))
    return float(loss)


def test_seed1_gradient_tape_loop_with_two_optimizers_matches_keras_in_float64(monkeypatch):
    with keras_floatx("float64") as tf:
        keras = tf.keras
        # Keras' Nadam.update_step casts its Python 0.96 through float32 (its running product uses 0.96 exactly);
        # given as a float64 number here, as the betas are below, and as notebook 11 shows.
        from keras.src.optimizers import nadam

        class Ops:
            def __getattr__(self, name):
                return getattr(keras.ops, name)

            def cast(self, x, dtype):
                return keras.ops.cast(np.float64(x) if isinstance(x, float) else x, dtype)

        monkeypatch.setattr(nadam, "ops", Ops())
        policy = keras.config.dtype_policy()  # Keras keeps the policy of its first use, whatever floatx is now
        keras.config.set_dtype_policy("float64")
        redes.set_floatx("float64")
        try:
            redes.set_random_seed(0)
            ours = two_part_model(redes, OpsLayerNormalization)
            theirs = two_part_model(keras, KerasLayerNormalization(keras))
            theirs[0].set_weights(ours[0].get_weights())
            rng = np.random.default_rng(0)
            x, y = rng.random((64, 3, 5)), rng.integers(0, 4, 64)
            our_optimizers = (optimizers.SGD(learning_rate=0.05, momentum=0.9, nesterov=True),
                              optimizers.Nadam(learning_rate=1e-2))
            their_optimizers = (keras.optimizers.SGD(learning_rate=0.05, momentum=np.float64(0.9), nesterov=True),
                                keras.optimizers.Nadam(learning_rate=1e-2, beta_1=np.float64(0.9),
                                                       beta_2=np.float64(0.999)))
            for _ in range(6):
                index = rng.integers(len(x), size=16)
                loss = train_step(GradientTape, *ours, *our_optimizers, losses.SparseCategoricalCrossentropy(),
                                  x[index], y[index])
                their_loss = train_step(tf.GradientTape, *theirs, *their_optimizers,
                                        keras.losses.SparseCategoricalCrossentropy(dtype="float64"), x[index], y[index])
                assert_parity("SEEDS §1 tape loop (call() LayerNormalization, SGD-Nesterov + Nadam): loss", "float64",
                              loss, their_loss, FLOAT64_RTOL)
            for w, w_tf in zip(ours[0].get_weights(), theirs[0].get_weights(), strict=True):
                assert w.dtype == w_tf.dtype == np.float64
                assert np.abs(w - w_tf).max() < 1e-10
                assert_parity("SEEDS §1 tape loop (call() LayerNormalization, SGD-Nesterov + Nadam): weights",
                              "float64", w, w_tf, FLOAT64_RTOL)
        finally:
            keras.config.set_dtype_policy(policy)
            redes.set_floatx("float32")


def KerasLayerNormalization(keras):
    """The same layer in Keras 3, with keras.ops."""

    class KerasLayerNormalization(keras.layers.Layer):
        def build(self, input_shape):
            self.alpha = self.add_weight(shape=input_shape[-1:], initializer="ones", name="alpha")
            self.beta = self.add_weight(shape=input_shape[-1:], initializer="zeros", name="beta")

        def call(self, inputs):
            mean, variance = keras.ops.moments(inputs, axes=[-1], keepdims=True)
            return self.alpha * (inputs - mean) / keras.ops.sqrt(variance + 1e-3) + self.beta

    return KerasLayerNormalization
