"""Keras 3's names for what redes has (the Keras-surface issue, first slice): a Keras user's calls, unchanged."""

from __future__ import annotations

import json

import numpy as np
import pytest

import redes
from redes import layers


def small_model():
    model = redes.Sequential([redes.Input((3,)), layers.Dense(4, activation="relu"), layers.Dense(2)])
    return model


def test_top_level_and_models_names():
    assert redes.Input is layers.Input and redes.models.Sequential is redes.Sequential
    assert redes.models.Model is redes.Model and redes.models.load_model is redes.load_model


def test_to_json_and_model_from_json_rebuild_the_architecture_with_fresh_weights():
    model = small_model()
    text = model.to_json(indent=1)
    assert json.loads(text)["class_name"] == "Sequential"
    twin = redes.models.model_from_json(text)
    assert [type(layer) for layer in twin.layers] == [type(layer) for layer in model.layers]
    assert twin.count_params() == model.count_params()
    twin.set_weights(model.get_weights())
    x = np.random.default_rng(0).standard_normal((5, 3)).astype("float32")
    np.testing.assert_array_equal(twin.predict(x), model.predict(x))
    with pytest.raises(ValueError, match="not valid JSON"):
        redes.models.model_from_json("{nope")
    with pytest.raises(TypeError, match="json_string"):
        redes.models.model_from_json({"class_name": "Sequential"})


def test_clone_model_has_the_architecture_and_new_weights():
    model = small_model()
    clone = redes.models.clone_model(model)
    assert clone is not model and clone.count_params() == model.count_params()
    assert not any(np.array_equal(a, b) for a, b in zip(clone.get_weights()[::2], model.get_weights()[::2]))
    assert clone.loss is None  # not compiled, as Keras


def test_utils_to_categorical_and_normalize():
    np.testing.assert_array_equal(redes.utils.to_categorical([0, 2], 3), [[1, 0, 0], [0, 0, 1]])
    x = np.array([[3.0, 4.0], [0.0, 0.0]])
    np.testing.assert_allclose(redes.utils.normalize(x), [[0.6, 0.8], [0.0, 0.0]])
    np.testing.assert_allclose(redes.utils.normalize(x, axis=0, order=1), [[1.0, 1.0], [0.0, 0.0]])
    with pytest.raises(TypeError, match="order"):
        redes.utils.normalize(x, order="2")


def test_keras_dataset_modules():
    (x_train, y_train), (x_test, y_test) = redes.datasets.mnist.load_data()
    assert x_train.shape == (60000, 28, 28) and x_train.dtype == np.uint8 and y_test.shape == (10000,)
    (x_train, _), _ = redes.datasets.fashion_mnist.load_data()
    assert x_train.shape == (60000, 28, 28)
    assert callable(redes.datasets.cifar10.load_data)


def test_saving_names_and_global_custom_objects(tmp_path):
    saving = redes.saving
    assert saving.serialize_keras_object is redes.serialization.serialize
    assert saving.deserialize_keras_object is redes.serialization.deserialize

    @saving.register_keras_serializable(package="tests")
    class Scale(layers.Layer):
        def forward(self, x, training=False):
            return redes.Tensor4D(2 * x.data)

        def backward(self, grad):
            return redes.Tensor4D(2 * grad.data)

    assert saving.get_custom_objects()["tests>Scale"] is Scale

    class Shift(layers.Layer):
        def forward(self, x, training=False):
            return redes.Tensor4D(x.data + 1)

        def backward(self, grad):
            return grad

    model = redes.Sequential([redes.Input((2,)), Scale(), Shift()])
    model.save(tmp_path / "custom.redes")
    with pytest.raises(ValueError, match="Unknown layer class 'Shift'"):
        redes.load_model(tmp_path / "custom.redes")
    saving.get_custom_objects()["Shift"] = Shift
    try:
        loaded = redes.load_model(tmp_path / "custom.redes")
    finally:
        del saving.get_custom_objects()["Shift"]
    np.testing.assert_array_equal(loaded.predict(np.ones((1, 2))), [[3.0, 3.0]])


def test_keras_2_input_shape_on_the_first_layer_and_sequential_pop():
    model = redes.Sequential([layers.Dense(4, activation="relu", input_shape=(3,)), layers.Dense(2)])
    assert model.built and model.input_shape == (3,) and model.output_shape == (2,)
    popped = model.pop()
    assert isinstance(popped, layers.Dense) and model.output_shape == (4,) and len(model.layers) == 1
    assert model.predict(np.ones((2, 3), "float32")).shape == (2, 4)
    with pytest.raises(ValueError, match="input_shape"):
        layers.Dense(2, input_shape=(0,))
    with pytest.raises(TypeError, match="unexpected keyword argument 'input_dims'"):
        layers.Dense(2, input_dims=3)
    with pytest.raises(ValueError, match="no layer to pop"):
        redes.Sequential().pop()


def test_input_batch_size_and_batch_shape():
    first = layers.Input(batch_shape=(32, 5))
    assert first.shape == (5,) and first.batch_size == 32
    assert layers.Input.from_config(first.get_config()).batch_size == 32
    assert layers.Input((5,), batch_size=8).batch_size == 8
    with pytest.raises(ValueError, match="batch_shape"):
        layers.Input((5,), batch_shape=(32, 5))
    with pytest.raises(TypeError, match="batch_size"):
        layers.Input((5,), batch_size="8")
