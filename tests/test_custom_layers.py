"""Custom layers written as a Keras user would: add_weight(shape=...), an activation, forward/backward.

The Layer contract these tests pin: Keras 3's ``add_weight`` keywords (and round 1's name-first form),
a clear TypeError for a Keras ``call``, output shapes traced from ``forward`` when a layer does not
give ``compute_output_shape``, natural ``input_shape`` whatever the call path, and the logits an
activated output carries (a layer without them trains on the unfused path).
"""

from __future__ import annotations

import numpy as np
import pytest

import redes
from redes import Model, Sequential, Tensor4D, activations, layers, losses, optimizers
from redes.layers import Layer
from redes.models.objectives import takes_logits


class KerasDense(Layer):
    """Dense as the Keras guide writes it: weights by add_weight(shape=...), an activation attribute."""

    def __init__(self, units: int, activation=None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.units = units
        self.activation = activations.get(activation)

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="random_normal", name="kernel")
        self.b = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")

    def forward(self, x, training=False):
        self.x = x.data.reshape(-1, x.shape[-1])
        return self.activate((self.x @ self.w + self.b).reshape(x.shape[:-1] + (self.units,)))

    def backward(self, grad):
        g = self.activation_backward(grad).reshape(-1, self.units)
        self.set_gradient(self.w, self.x.T @ g)
        self.set_gradient("bias", g.sum(axis=0))
        return Tensor4D((g @ self.w.T).reshape(grad.shape[:-1] + (self.w.shape[0],)))


class Gated(Layer):
    """y = x ⊙ sigmoid(x·v): an ``activation`` attribute that does not go through ``activate``."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.activation = activations.get("sigmoid")

    def build(self, input_shape):
        self.add_weight(shape=(input_shape[-1],), initializer="ones", name="v")

    def forward(self, x, training=False):
        self.x = x.data
        self.s = self.activation(self.x * self.v)
        return Tensor4D(self.x * self.s)

    def backward(self, grad):
        g = grad.data
        ds = g * self.x * self.s * (1 - self.s)
        self.set_gradient("v", (ds * self.x).reshape(-1, self.x.shape[-1]).sum(axis=0))
        return Tensor4D(g * self.s + ds * self.v)


def _data(n=64, features=5, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, features)).astype("float32")
    return x, (x[:, :classes].argmax(axis=1)).astype("int64")


def test_add_weight_takes_keras_3_keywords():
    layer = Layer()
    w = layer.add_weight(shape=(3, 4), initializer="ones", trainable=False, name="w")
    assert w.shape == (3, 4) and w.dtype == np.float32 and layer.w is w
    assert layer.trainable_weights == [] and layer.non_trainable_weights[0] is w
    default = layer.add_weight(shape=(2, 2))  # Keras: glorot_uniform, an automatic name
    assert default.std() > 0 and list(layer._weights)[-1] == "variable"
    assert layer.add_weight(shape=5, initializer="zeros").shape == (5,)
    assert list(layer._weights)[-1] == "variable_1"


def test_add_weight_name_first_form_keeps_working():
    from redes import regularizers
    layer = Layer()
    layer.add_weight("kernel", (2, 3), "zeros", regularizers.L2(0.1))
    layer.add_weight("moving", (3,), "ones", trainable=False)
    layer.add_weight("gamma", (3,), "ones", None, False)
    assert [w.shape for w in layer.weights] == [(2, 3), (3,), (3,)]
    assert len(layer.trainable_weights) == 1 and layer.losses == [0.0]


@pytest.mark.parametrize("arguments, error, match", [
    ({"shape": (2, -1)}, ValueError, "non-negative integers"),
    ({"shape": (2.0, 3)}, TypeError, "tuple of integers"),
    ({"shape": "w"}, TypeError, "Received: shape=None"),  # a str first is a name: then the shape is missing
    ({"shape": (2,), "name": 3}, TypeError, "non-empty string"),
])
def test_add_weight_bad_arguments(arguments, error, match):
    with pytest.raises(error, match=match):
        Layer().add_weight(**arguments)


def test_add_weight_twice_under_one_name_is_refused():
    layer = Layer()
    layer.add_weight(shape=(2,), name="w")
    with pytest.raises(ValueError, match="already has a weight named 'w'"):
        layer.add_weight(shape=(2,), name="w")


def test_a_keras_call_method_runs_and_gets_its_backward_from_a_tape():
    class KerasStyle(Layer):
        def call(self, inputs):
            return inputs * 3.0

    layer = KerasStyle()
    np.testing.assert_array_equal(layer(np.ones((2, 3))), np.full((2, 3), 3.0))
    grad = layer.backward(Tensor4D.from_natural(np.ones((2, 3))))  # more in tests/test_call_layers.py
    np.testing.assert_array_equal(grad.to_natural((3,)), np.full((2, 3), 3.0))


def test_missing_backward_names_what_to_write():
    class ForwardOnly(Layer):
        def forward(self, x, training=False):
            return x

    layer = ForwardOnly()
    layer(np.ones((2, 3)))
    with pytest.raises(NotImplementedError, match="must define backward"):
        layer.backward(Tensor4D(np.ones((2, 1, 1, 3))))


def test_output_shape_is_traced_when_compute_output_shape_is_not_given():
    layer = KerasDense(4)
    assert layer.compute_output_shape.__func__ is Layer.compute_output_shape
    model = Sequential([layers.Input((5,)), layer, layers.Dense(2)])
    assert layer.output_shape == (4,) and model.output_shape == (2,)
    images = Sequential([layers.Input((6, 6, 3)), KerasDense(7)])
    assert images.output_shape == (6, 6, 7)


def test_input_shape_is_natural_whatever_the_call_path():
    from_array, from_tensor = layers.Dense(3), layers.Dense(3)
    from_array(np.ones((2, 5), "float32"))
    from_tensor(Tensor4D.from_natural(np.ones((2, 5), "float32")))
    assert from_array.input_shape == from_tensor.input_shape == (5,)
    assert from_array.output_shape == from_tensor.output_shape == (3,)
    conv = layers.Conv2D(2, 3)
    conv(Tensor4D(np.ones((1, 8, 8, 1), "float32")))
    assert conv.input_shape == (8, 8, 1)


def test_activated_output_carries_logits_and_a_plain_one_does_not():
    dense = layers.Dense(3, activation="softmax")
    out = dense(Tensor4D.from_natural(np.ones((2, 4), "float32")))
    assert out.logits is not None and out.logits.activation == "softmax"
    np.testing.assert_allclose(activations.softmax(out.logits.values), out.data, rtol=1e-6)
    assert layers.Dense(3)(Tensor4D.from_natural(np.ones((2, 4), "float32"))).logits is None
    gated = Gated()(Tensor4D.from_natural(np.ones((2, 4), "float32")))
    assert gated.logits is None and not takes_logits(losses.BinaryCrossentropy(), gated)


def test_custom_layers_train_in_fit_fused_and_unfused():
    x, y = _data()
    fused = Sequential([layers.Input((5,)), KerasDense(8, activation="tanh"), KerasDense(3, activation="softmax")])
    fused.compile(optimizers.Adam(0.01), "sparse_categorical_crossentropy", metrics=["accuracy"])
    assert takes_logits(fused.loss, fused.forward(Tensor4D.from_natural(x)))
    first = fused.evaluate(x, y, verbose=0)[0]
    fused.fit(x, y, batch_size=16, epochs=20, verbose=0)
    assert fused.evaluate(x, y, verbose=0)[0] < 0.5 * first

    binary = (y == 0).astype("float32")
    gated = Sequential([layers.Input((5,)), layers.Dense(4), Gated(), layers.Dense(1, activation="sigmoid"), Gated()])
    gated.compile(optimizers.Adam(0.01), "binary_crossentropy")
    assert not takes_logits(gated.loss, gated.forward(Tensor4D.from_natural(x)))
    before = gated.evaluate(x, binary, verbose=0)
    history = gated.fit(x, binary, batch_size=16, epochs=10, verbose=0)
    assert np.isfinite(history.history["loss"]).all() and gated.evaluate(x, binary, verbose=0) < before


def test_fused_and_unfused_gradients_agree_for_a_custom_output_layer():
    x, y = _data(n=8)
    model = Sequential([layers.Input((5,)), KerasDense(3, activation="softmax", dtype="float64")])
    model.compile(optimizers.SGD(0.0), "sparse_categorical_crossentropy")
    model.train_on_batch(x, y)
    fused = [g.copy() for g in model.gradients]
    loss = losses.SparseCategoricalCrossentropy()
    model.backward(loss.gradient(y, model(x.astype("float64"), training=True)))
    for a, b in zip(fused, model.gradients):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


@redes.serialization.register_serializable(package="tests")
class RegisteredDense(KerasDense):
    """KerasDense with a config: registered, so that load_model finds it without custom_objects."""

    def get_config(self):
        return {**super().get_config(), "units": self.units, "activation": redes.serialization.serialize(self.activation)}


def test_the_issue_done_when_a_keras_style_layer_trains_fused_is_shared_and_saves(tmp_path):
    x, y = _data(n=96)
    shared = RegisteredDense(6, activation="tanh", name="shared")
    left, right = layers.Input((5,), name="left"), layers.Input((5,), name="right")
    merged = layers.Concatenate()([shared(left), shared(right)])
    model = Model([left, right], RegisteredDense(3, activation="softmax", name="head")(merged))
    model.compile(optimizers.Adam(0.01), "sparse_categorical_crossentropy", metrics=["accuracy"])
    output = model.forward([Tensor4D.from_natural(x), Tensor4D.from_natural(x[::-1].copy())])
    assert takes_logits(model.loss, output)
    before = model.evaluate([x, x[::-1]], y, verbose=0)[0]
    model.fit([x, x[::-1]], y, batch_size=16, epochs=15, verbose=0)
    assert model.evaluate([x, x[::-1]], y, verbose=0)[0] < 0.7 * before
    assert len(shared.trainable_weights) == 2 and model.count_params() == 2 * 0 + (5 * 6 + 6) + (12 * 3 + 3)
    model.save(tmp_path / "custom.redes")
    loaded = redes.load_model(tmp_path / "custom.redes")
    assert type(loaded.get_layer("shared")) is RegisteredDense
    np.testing.assert_array_equal(loaded.predict([x, x[::-1]]), model.predict([x, x[::-1]]))
