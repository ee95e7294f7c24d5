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


def test_layer_input_and_output_make_a_feature_extractor_of_a_functional_model():
    i = redes.Input((6,), name="features").output  # the Input's symbolic tensor (Keras' keras.Input returns it)
    hidden = layers.Dense(4, activation="relu", name="hidden")(i)
    out = layers.Dense(3, activation="softmax", name="out")(hidden)
    model = redes.Model(inputs=i, outputs=out)
    assert model.input is i and model.output is out and model.inputs == [i] and model.outputs == [out]
    assert model.get_layer("hidden").input is i and model.get_layer("hidden").output is hidden
    assert model.get_layer("features").input is i and model.get_layer("features").output is i
    extractor = redes.Model(inputs=model.inputs, outputs=[layer.output for layer in model.layers])
    x = np.random.default_rng(1).standard_normal((5, 6)).astype("float32")
    features, hidden_values, probabilities = extractor.predict(x)
    np.testing.assert_array_equal(features, x)
    np.testing.assert_array_equal(probabilities, model.predict(x))
    assert hidden_values.shape == (5, 4) and (hidden_values >= 0).all()


def test_layer_input_and_output_of_a_built_sequential():
    model = small_model()
    assert len(model.inputs) == 1 and model.input is model.inputs[0] and model.input.shape == (3,)
    assert model.layers[0].input is model.input and model.layers[-1].output is model.output
    assert model.layers[1].input is model.layers[0].output
    extractor = redes.Model(inputs=model.inputs, outputs=[layer.output for layer in model.layers])
    x = np.random.default_rng(2).standard_normal((4, 3)).astype("float32")
    hidden, out = extractor.predict(x)
    assert hidden.shape == (4, 4) and (hidden >= 0).all()
    np.testing.assert_array_equal(out, model.predict(x))
    model.pop()  # the output follows the stack
    assert model.output is model.layers[0].output and model.output_shape == (4,)
    model.add(layers.Dense(5))
    assert model.output.shape == (5,) and model.layers[-1].input is model.layers[0].output


def test_a_sequential_built_on_data_gets_its_graph_and_unbuilt_layers_say_why_they_have_no_output():
    model = redes.Sequential([layers.Dense(4), layers.Dense(2)])
    with pytest.raises(AttributeError, match="Sequential model 'sequential.*' has no defined inputs yet"):
        model.inputs
    with pytest.raises(AttributeError, match="has never been called and thus has no defined output"):
        model.layers[0].output
    assert not hasattr(model.layers[0], "input")
    model.predict(np.ones((2, 5), dtype="float32"))
    assert model.input.shape == (5,) and model.layers[0].input is model.input and model.output.shape == (2,)


def test_a_shared_layer_reports_its_first_call_as_keras_does():
    a, b = redes.Input((3,)).output, redes.Input((3,)).output
    shared = layers.Dense(2)
    first, second = shared(a), shared(b)
    assert shared.input is a and shared.output is first and second is not first
    merged = layers.Concatenate()([first, second])
    assert isinstance(merged.layer.input, list) and merged.layer.input == [first, second]


def test_split_dataset_as_keras():
    x, y = np.arange(20).reshape(10, 2), np.arange(10)
    (x_left, y_left), (x_right, y_right) = redes.utils.split_dataset((x, y), left_size=0.7)
    np.testing.assert_array_equal(y_left, np.arange(7))
    np.testing.assert_array_equal(x_right, x[7:])
    left, right = redes.utils.split_dataset(y, left_size=3, right_size=4)
    assert left.tolist() == [0, 1, 2] and right.tolist() == [3, 4, 5, 6]
    (_, shuffled_left), (_, shuffled_right) = redes.utils.split_dataset((x, y), right_size=0.5, shuffle=True, seed=3)
    assert sorted(shuffled_left.tolist() + shuffled_right.tolist()) == list(range(10))
    assert shuffled_left.tolist() != [0, 1, 2, 3, 4]
    again = redes.utils.split_dataset((x, y), right_size=0.5, shuffle=True, seed=3)
    np.testing.assert_array_equal(again[0][1], shuffled_left)
    for kwargs, error, match in [({}, ValueError, "At least one"), ({"left_size": 1.5}, ValueError, "left_size"),
                                 ({"left_size": 10}, ValueError, "smaller than 10"),
                                 ({"left_size": "half"}, TypeError, "left_size"),
                                 ({"left_size": 0.6, "right_size": 0.6}, ValueError, "at most 10")]:
        with pytest.raises(error, match=match):
            redes.utils.split_dataset(y, **kwargs)
    with pytest.raises(ValueError, match="one length"):
        redes.utils.split_dataset((x, y[:5]), left_size=0.5)


def test_plot_model_draws_every_layer_and_connection_with_matplotlib(tmp_path):
    i = redes.Input((8, 8, 1)).output
    x = layers.Conv2D(4, 3, padding="same", activation="relu", name="first")(i)
    y = layers.Add(name="residual")([x, layers.Conv2D(4, 3, padding="same", name="second")(x)])
    pooled = layers.GlobalAveragePooling2D(name="pool")(y)
    model = redes.Model(i, [layers.Dense(3, name="classes")(pooled), layers.Dense(1, name="score")(pooled)])
    path = tmp_path / "model.png"
    fig = redes.utils.plot_model(model, to_file=path, show_shapes=True, show_layer_activations=True)
    assert path.stat().st_size > 0
    boxes = [text for text in fig.axes[0].texts if type(text).__name__ == "Text"]
    texts = [text.get_text() for text in boxes]
    assert len(texts) == len(model.layers)
    assert any(t.startswith("first (Conv2D)") and "activation: relu" in t and "(None, 8, 8, 4)" in t for t in texts)
    arrows = [text for text in fig.axes[0].texts if type(text).__name__ == "Annotation"]
    assert len(arrows) == 7  # input→first, first→second, first→residual, second→residual, residual→pool, pool→2 heads
    sequential = redes.Sequential([layers.Input((5, 3)), layers.LSTM(4), layers.Dense(2)])
    fig = redes.utils.plot_model(sequential, to_file=None, rankdir="LR", show_dtype=True)
    assert [t.get_text().split("\n")[0] for t in fig.axes[0].texts if type(t).__name__ == "Text"][1:] == \
        [f"{layer.name} ({type(layer).__name__})" for layer in sequential.layers]
    with pytest.raises(ValueError, match="needs a built model"):
        redes.utils.plot_model(redes.Sequential([layers.Dense(2)]), to_file=None)
    with pytest.raises(ValueError, match="rankdir"):
        redes.utils.plot_model(sequential, to_file=None, rankdir="BT")


class BinaryTruePositives(redes.metrics.Metric):
    """The Keras guide's custom metric, written with NumPy instead of keras.ops."""

    def __init__(self, name="binary_true_positives", **kwargs):
        super().__init__(name=name, **kwargs)
        self.true_positives = self.add_variable(shape=(), initializer="zeros", name="true_positives")

    def update_state(self, y_true, y_pred, sample_weight=None):
        values = np.logical_and(y_true == 1, y_pred.reshape(y_true.shape) > 0.5).astype(self.dtype)
        if sample_weight is not None:
            values = values * sample_weight
        self.true_positives.assign(self.true_positives + values.sum())

    def result(self):
        return self.true_positives


def test_a_keras_style_custom_metric_with_add_variable_matches_keras():
    from helpers import import_tensorflow

    tf = import_tensorflow()
    keras, ops = tf.keras, tf.keras.ops

    class KerasBinaryTruePositives(keras.metrics.Metric):
        def __init__(self, name="binary_true_positives", **kwargs):
            super().__init__(name=name, **kwargs)
            self.true_positives = self.add_variable(shape=(), initializer="zeros", name="true_positives")

        def update_state(self, y_true, y_pred, sample_weight=None):
            values = ops.logical_and(ops.equal(y_true, 1), ops.reshape(y_pred, ops.shape(y_true)) > 0.5)
            values = ops.cast(values, self.dtype)
            if sample_weight is not None:
                values = values * ops.cast(sample_weight, self.dtype)
            self.true_positives.assign(self.true_positives + ops.sum(values))

        def result(self):
            return self.true_positives

    ours, theirs = BinaryTruePositives(), KerasBinaryTruePositives()
    rng = np.random.default_rng(0)
    for _ in range(3):
        y_true, y_pred, weight = rng.integers(0, 2, 8), rng.random((8, 1)), rng.random(8)
        ours.update_state(y_true, y_pred, sample_weight=weight)
        theirs.update_state(y_true, y_pred, sample_weight=weight)
        np.testing.assert_allclose(float(ours.result()), float(theirs.result()), rtol=1e-6)
    assert ours.name == theirs.name and ours.dtype == "float32" and len(ours.variables) == 1
    ours.reset_state()
    theirs.reset_state()
    assert float(ours.result()) == float(theirs.result()) == 0.0


def test_a_custom_metric_in_compile_logs_floats_that_later_epochs_do_not_change():
    rng = np.random.default_rng(1)
    x = rng.random((64, 3)).astype("float32")
    y = (x.sum(axis=1) > 1.5).astype("int64")
    model = redes.Sequential([redes.Input((3,)), layers.Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy", metrics=[BinaryTruePositives()])
    history = model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    assert all(isinstance(v, float) for v in history.history["binary_true_positives"])
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    expected = np.logical_and(y == 1, model.predict(x)[:, 0] > 0.5).sum()
    assert logs["binary_true_positives"] == expected


def test_add_variable_arguments_and_reset_to_the_initializer():
    metric = redes.metrics.Metric(name="counts", dtype="float64")
    ones = metric.add_variable(shape=(2, 3), initializer="ones", name="ones")
    assert isinstance(ones, redes.metrics.MetricVariable) and ones.dtype == np.float64 and ones.shape == (2, 3)
    ones.assign_add(np.full((2, 3), 2.0)).assign_sub(1.0)
    np.testing.assert_array_equal(ones.numpy(), np.full((2, 3), 2.0))
    metric.reset_state()
    np.testing.assert_array_equal(ones, np.ones((2, 3)))
    assert redes.metrics.Metric().name == "metric" and BinaryTruePositives(dtype="float64").dtype == "float64"
    with pytest.raises(ValueError, match="aggregation"):
        metric.add_variable(shape=(), aggregation="max")


LOSS_FUNCTIONS = [  # (name, y_true kind, keyword arguments)
    ("mean_squared_error", "real", {}), ("mean_absolute_error", "real", {}),
    ("mean_squared_logarithmic_error", "positive", {}), ("huber", "real", {"delta": 0.5}), ("log_cosh", "real", {}),
    ("kl_divergence", "probabilities", {}), ("categorical_hinge", "one_hot", {}),
    ("binary_crossentropy", "binary", {"label_smoothing": 0.1}), ("binary_crossentropy", "binary", {"from_logits": True}),
    ("categorical_crossentropy", "one_hot", {}), ("categorical_crossentropy", "one_hot", {"from_logits": True}),
    ("sparse_categorical_crossentropy", "labels", {}), ("sparse_categorical_crossentropy", "labels", {"from_logits": True}),
    ("mean_absolute_percentage_error", "real", {}), ("cosine_similarity", "real", {}), ("hinge", "binary", {}),
    ("squared_hinge", "binary", {}), ("poisson", "positive", {}),
]
METRIC_FUNCTIONS = [("categorical_accuracy", "one_hot", {}), ("sparse_categorical_accuracy", "labels", {}),
                    ("binary_accuracy", "binary", {"threshold": 0.4}), ("top_k_categorical_accuracy", "one_hot", {"k": 2}),
                    ("sparse_top_k_categorical_accuracy", "labels", {"k": 2})]


def function_inputs(kind: str):
    rng = np.random.default_rng(5)
    scores = rng.random((6, 4))
    y_pred = scores / scores.sum(axis=1, keepdims=True) if kind in ("probabilities", "one_hot", "labels") else scores
    targets = {"real": rng.standard_normal((6, 4)), "positive": rng.random((6, 4)) * 3,
               "probabilities": rng.dirichlet(np.ones(4), 6), "one_hot": np.eye(4)[rng.integers(0, 4, 6)],
               "binary": rng.integers(0, 2, (6, 4)).astype(float), "labels": rng.integers(0, 4, 6)}
    return targets[kind], y_pred


@pytest.mark.parametrize("module,name,kind,kwargs", [("losses", *case) for case in LOSS_FUNCTIONS]
                         + [("metrics", *case) for case in METRIC_FUNCTIONS])
def test_loss_and_metric_functions_match_keras(module, name, kind, kwargs):
    from helpers import import_tensorflow

    import_tensorflow()
    import keras

    y_true, y_pred = function_inputs(kind)
    y_pred = y_pred.astype("float32")  # TensorFlow's in_top_k takes float32 only
    ours = getattr(getattr(redes, module), name)(y_true, y_pred, **kwargs)
    theirs = np.asarray(getattr(getattr(keras, module), name)(y_true, y_pred, **kwargs))
    assert ours.shape == theirs.shape == ((6, 4) if name == "binary_accuracy" else (6,))
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-7)


def test_functions_in_compile_train_as_their_classes_and_plain_metric_functions_save_by_name(tmp_path):
    rng = np.random.default_rng(6)
    x, y = rng.standard_normal((40, 3)).astype("float32"), rng.integers(0, 2, 40)

    def within_half(y_true, y_pred):
        return np.abs(np.eye(2)[y_true.astype(int).ravel()] - y_pred).max(axis=-1) <= 0.5

    histories = []
    for loss, metric in ((redes.losses.sparse_categorical_crossentropy, redes.metrics.sparse_categorical_accuracy),
                         ("sparse_categorical_crossentropy", "sparse_categorical_accuracy")):
        redes.set_random_seed(3)
        model = redes.Sequential([redes.Input((3,)), layers.Dense(2, activation="softmax")])
        model.compile("sgd", loss, metrics=[metric, within_half])
        histories.append(model.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0).history)
    assert histories[0]["loss"] == histories[1]["loss"]
    assert histories[0]["sparse_categorical_accuracy"] == histories[1]["sparse_categorical_accuracy"]
    assert 0.0 <= histories[0]["within_half"][-1] <= 1.0
    model.save(tmp_path / "m.redes")
    with pytest.raises(ValueError, match="Unknown metric function 'within_half'"):
        redes.load_model(tmp_path / "m.redes")
    loaded = redes.load_model(tmp_path / "m.redes", custom_objects={"within_half": within_half})
    assert loaded.evaluate(x, y, verbose=0, return_dict=True) == model.evaluate(x, y, verbose=0, return_dict=True)
    model.compile("sgd", lambda t, p: (t - p) ** 2)  # your own function: its gradient from a tape (test_call_layers)
    assert type(model.loss).__name__ == "LossFunctionWrapper"
    with pytest.raises(ValueError, match="axis"):
        redes.losses.categorical_crossentropy(np.eye(2), np.eye(2) * 0.5 + 0.25, axis=0)


@pytest.mark.parametrize("kwargs", [{}, {"maxlen": 4}, {"padding": "post"}, {"maxlen": 4, "truncating": "post"},
                                    {"maxlen": 4, "truncating": "post", "padding": "post", "value": -1},
                                    {"dtype": "float32", "maxlen": 9}])
def test_pad_sequences_matches_keras(kwargs):
    from helpers import import_tensorflow

    import_tensorflow()
    import keras

    rng = np.random.default_rng(0)
    sequences = [list(rng.integers(1, 9, n)) for n in (0, 3, 7, 1, 5)]
    ours, theirs = redes.utils.pad_sequences(sequences, **kwargs), keras.utils.pad_sequences(sequences, **kwargs)
    np.testing.assert_array_equal(ours, theirs)
    assert ours.dtype == theirs.dtype
    steps = [rng.random((n, 2)) for n in (2, 4)]  # each step a vector
    kwargs = {**kwargs, "dtype": "float64"}
    np.testing.assert_array_equal(redes.utils.pad_sequences(steps, **kwargs), keras.utils.pad_sequences(steps, **kwargs))


def test_pad_sequences_errors():
    with pytest.raises(ValueError, match="padding"):
        redes.utils.pad_sequences([[1]], padding="middle")
    with pytest.raises(ValueError, match="item 1"):
        redes.utils.pad_sequences([[1], 2])
    with pytest.raises(ValueError, match="one shape"):
        redes.utils.pad_sequences([np.zeros((2, 3)), np.zeros((2, 4))], dtype="float32")
    assert redes.utils.pad_sequences([[], []]).shape == (2, 0)


def test_keras_other_names_for_the_same_objects():
    from redes import initializers, layers as L, saving, utils

    assert (redes.Layer, redes.Loss, redes.Metric) == (L.Layer, redes.losses.Loss, redes.metrics.Metric)
    assert (redes.Optimizer, redes.Initializer, redes.Regularizer) == (
        redes.optimizers.Optimizer, initializers.Initializer, redes.regularizers.Regularizer)
    assert redes.version() == redes.__version__ and redes.models.save_model is saving.save_model
    assert (L.Convolution2D, L.MaxPool2D, L.AvgPool1D, L.GlobalAvgPool2D, L.InputLayer) == (
        L.Conv2D, L.MaxPooling2D, L.AveragePooling1D, L.GlobalAveragePooling2D, L.Input)
    assert (initializers.glorot_uniform, initializers.zeros) == (initializers.GlorotUniform, initializers.Zeros)
    assert utils.Sequence is utils.PyDataset and utils.CustomObjectScope is saving.CustomObjectScope
    assert utils.register_keras_serializable is saving.register_keras_serializable
    a, b = redes.Input((3,)).output, redes.Input((3,)).output
    assert type(L.add([a, b]).layer) is L.Add and L.concatenate([a, b]).shape == (6,)
    assert L.average([a, b]).shape == L.multiply([a, b]).shape == L.subtract([a, b]).shape == (3,)
    assert utils.is_keras_tensor(a) and not utils.is_keras_tensor(np.zeros(3))
    assert utils.unpack_x_y_sample_weight(utils.pack_x_y_sample_weight(1, 2, 3)) == (1, 2, 3)
    assert utils.get_registered_object("nope", custom_objects={"nope": 5}) == 5
    for module, obj in ((redes.losses, redes.losses.Huber(0.3)), (redes.metrics, redes.metrics.BinaryAccuracy()),
                        (redes.optimizers, redes.optimizers.AdamW(2e-3)), (initializers, initializers.HeNormal(seed=1)),
                        (redes.regularizers, redes.regularizers.L2(0.1))):
        again = module.deserialize(module.serialize(obj))
        assert type(again) is type(obj) and again.get_config() == obj.get_config()


@pytest.mark.parametrize("kwargs", [{}, {"stateful_metrics": ["acc"]}, {"stateless_metrics": ["loss"]}])
def test_progbar_shows_the_values_keras_shows(kwargs, capsys):
    from helpers import import_tensorflow

    import_tensorflow()
    import keras

    rng = np.random.default_rng(0)
    ours, theirs = redes.utils.Progbar(10, verbose=0, **kwargs), keras.utils.Progbar(10, verbose=0, **kwargs)
    for step in (2, 5, 9, 10):
        values = [("loss", float(rng.random())), ("acc", float(rng.random()))]
        ours.update(step, values)
        theirs.update(step, values)
        expected = {name: total / max(1, count) for name, (total, count) in theirs._values.items()}
        assert ours.values == pytest.approx(expected, rel=1e-12)
    lines = redes.utils.Progbar(4, verbose=2)
    lines.add(2, [("loss", 1.0)])
    lines.add(2, [("loss", 3.0)])
    assert capsys.readouterr().out.strip() == "4/4 - loss: 3.0000"
    drawn = redes.utils.Progbar(None, verbose=1)  # unknown target: a tqdm counter
    drawn.update(3, [("loss", 0.5)], finalize=True)
    with pytest.raises(ValueError, match="verbose"):
        redes.utils.Progbar(3, verbose=3)


@pytest.mark.parametrize("name", ["GroupNormalization", "RMSNormalization", "Normalization", "Identity", "Resizing",
                                  "CenterCrop", "Dot"])
def test_issue_19_layers_have_keras_argument_names_and_defaults(name):
    """Every argument of ours is Keras' own, with its default (Keras may have more: e.g. constraints)."""
    import inspect

    from helpers import import_tensorflow

    keras_layer = getattr(import_tensorflow().keras.layers, name)
    theirs = inspect.signature(keras_layer.__init__).parameters
    for argument, parameter in inspect.signature(getattr(layers, name).__init__).parameters.items():
        if argument in ("self", "kwargs") or argument in inspect.signature(layers.Layer.__init__).parameters:
            continue
        assert argument in theirs, f"{name}: `{argument}` is not a Keras argument"
        assert parameter.default == theirs[argument].default, f"{name}: default of `{argument}`"
    assert callable(layers.dot)
