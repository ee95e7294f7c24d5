"""Layers written Keras' way: only ``build`` and ``call(inputs)`` with redes.ops; the backward comes from a tape."""

from __future__ import annotations

import numpy as np
import pytest

import redes
from helpers import check_layer_gradients
from redes import layers, ops


class OpsDense(layers.Layer):
    """Dense written with ops: tanh(x W + b)."""

    def __init__(self, units: int, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.add_weight(shape=(input_shape[-1], self.units), initializer="glorot_uniform", name="kernel")
        self.add_weight(shape=(self.units,), initializer="zeros", name="bias")

    def call(self, inputs):
        return ops.tanh(ops.matmul(inputs, self.kernel) + self.bias)

    def get_config(self):
        return {**super().get_config(), "units": self.units}


class OpsLayerNormalization(layers.Layer):
    """SEEDS §1's custom LayerNormalization, in ops."""

    def build(self, input_shape):
        self.add_weight(shape=input_shape[-1:], initializer="ones", name="gamma")
        self.add_weight(shape=input_shape[-1:], initializer="zeros", name="beta")

    def call(self, x):
        mean, var = ops.mean(x, axis=-1, keepdims=True), ops.var(x, axis=-1, keepdims=True)
        return (x - mean) / ops.sqrt(var + 1e-3) * self.gamma + self.beta


class NoisyInTraining(layers.Layer):
    """Uses Keras' ``training`` argument."""

    def call(self, inputs, training=None):
        return inputs * 2.0 if training else inputs


def twin_models(custom: bool):
    redes.set_random_seed(1)
    hidden = OpsDense(8) if custom else layers.Dense(8, activation="tanh")
    norm = OpsLayerNormalization() if custom else layers.LayerNormalization(epsilon=1e-3)
    model = redes.Sequential([layers.Input((5,)), hidden, norm, layers.Dense(3, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    return model


def test_call_layers_train_in_fit_as_the_built_in_layers_to_float64_rounding():
    redes.set_floatx("float64")
    try:
        rng = np.random.default_rng(0)
        x, y = rng.standard_normal((64, 5)), rng.integers(0, 3, 64)
        ours, builtin = twin_models(True), twin_models(False)
        builtin.set_weights(ours.get_weights())
        losses = [m.fit(x, y, epochs=3, batch_size=16, shuffle=False, verbose=0).history["loss"] for m in (ours, builtin)]
        np.testing.assert_allclose(losses[0], losses[1], rtol=1e-13)
        for a, b in zip(ours.get_weights(), builtin.get_weights()):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)
    finally:
        redes.set_floatx("float32")


@pytest.mark.parametrize("layer", [OpsDense(4, dtype="float64"), OpsLayerNormalization(dtype="float64")])
def test_call_layer_backward_matches_central_differences(layer):
    x = np.random.default_rng(2).standard_normal((3, 1, 1, 6))
    errors = check_layer_gradients(layer, x)
    assert set(errors) == {"input", *layer.weight_names}


def test_call_layers_in_a_functional_model_a_tape_loop_and_save_load(tmp_path):
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal((16, 5)).astype("float32"), rng.integers(0, 3, 16)
    i = redes.Input((5,)).output
    shared = OpsDense(6)
    merged = layers.Add()([shared(i), OpsDense(6)(i)])
    model = redes.Model(i, layers.Dense(3, activation="softmax")(OpsLayerNormalization()(merged)))
    model.compile("sgd", "sparse_categorical_crossentropy")
    before = model.evaluate(x, y, verbose=0)
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    assert model.evaluate(x, y, verbose=0) < before
    loss_fn, optimizer = redes.losses.SparseCategoricalCrossentropy(), redes.optimizers.SGD(0.1)
    with redes.GradientTape() as tape:
        loss = loss_fn(y, model(x, training=True))
    grads = tape.gradient(loss, model.trainable_weights)
    assert all(g is not None and g.shape == w.shape for g, w in zip(grads, model.trainable_weights))
    optimizer.apply_gradients(zip(grads, model.trainable_weights))
    model.save(tmp_path / "m.redes")
    custom = {"OpsDense": OpsDense, "OpsLayerNormalization": OpsLayerNormalization}
    loaded = redes.load_model(tmp_path / "m.redes", custom_objects=custom)
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))


def test_training_argument_and_errors():
    layer = NoisyInTraining()
    x = np.ones((2, 3), dtype="float32")
    assert layer(x, training=True).tolist() == [[2.0] * 3] * 2 and layer(x).tolist() == [[1.0] * 3] * 2

    class TwoOutputs(layers.Layer):
        def call(self, inputs):
            return inputs, inputs

    with pytest.raises(TypeError, match="returned 2 outputs"):
        TwoOutputs()(x)

    class Neither(layers.Layer):
        pass

    with pytest.raises(NotImplementedError, match="forward.*or Keras' call"):
        Neither()(x)


def ops_squared_error(y_true, y_pred):
    return ops.mean(ops.square(y_pred - y_true), axis=-1)


def ops_sparse_crossentropy(y_true, y_pred):
    picked = ops.take_along_axis(y_pred, ops.expand_dims(ops.cast(y_true, "int64"), -1), axis=-1)
    return -ops.log(ops.squeeze(picked, -1))


def test_a_loss_function_written_with_ops_trains_as_the_built_in_loss(tmp_path):
    redes.set_floatx("float64")
    try:
        rng = np.random.default_rng(4)
        x, y = rng.standard_normal((48, 4)), rng.integers(0, 3, 48)
        histories = []
        for loss in (ops_sparse_crossentropy, "sparse_categorical_crossentropy", ops_squared_error, "mse"):
            redes.set_random_seed(5)
            model = redes.Sequential([layers.Input((4,)), layers.Dense(3, activation="softmax")])
            model.compile("sgd", loss)
            target = y if "sparse" in getattr(loss, "__name__", loss) else np.eye(3)[y]
            histories.append(model.fit(x, target, epochs=2, batch_size=8, shuffle=False, verbose=0).history["loss"])
        np.testing.assert_allclose(histories[0], histories[1], rtol=1e-12)
        np.testing.assert_allclose(histories[2], histories[3], rtol=1e-12)
        model.compile("sgd", ops_squared_error)
        weighted = model.fit(x, np.eye(3)[y], sample_weight=np.linspace(0, 1, 48), epochs=1, verbose=0)
        assert np.isfinite(weighted.history["loss"][0])
    finally:
        redes.set_floatx("float32")
    model.save(tmp_path / "m.redes")
    with pytest.raises(ValueError, match="Unknown loss function 'ops_squared_error'"):
        redes.load_model(tmp_path / "m.redes")
    loaded = redes.load_model(tmp_path / "m.redes", custom_objects={"ops_squared_error": ops_squared_error})
    assert loaded.loss.name == "ops_squared_error"
