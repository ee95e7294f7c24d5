"""Keras 3 files both ways: ``.keras`` models and ``.weights.h5`` weights, written by one library and read by
the other, with identical predictions and weights, and training that goes on with the same next step."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

import redes
from helpers import import_tensorflow

tf = import_tensorflow()
import keras  # noqa: E402  (Keras 3, after TensorFlow is known to be there)

RNG = np.random.default_rng(0)
INPUTS = {"flat": (6,), "image": (8, 8, 3), "sequence": (5, 3), "indices": (6,)}

# (id, input kind, the layers given a module `L` (keras.layers or redes.layers), trains deterministically)
CASES = [
    ("dense", "flat", lambda L: [L.Dense(5, activation="relu", kernel_regularizer="l2"), L.Dense(3, activation="softmax")], True),
    # (no bias before BatchNormalization: its gradient is zero up to rounding, which Adam would magnify)
    ("batch_norm", "flat", lambda L: [L.Dense(4, use_bias=False), L.BatchNormalization(momentum=0.9), L.Activation("tanh"),
                                      L.Dense(3, activation="softmax")], True),
    ("layer_norm_dropout", "flat", lambda L: [L.Dense(4), L.LayerNormalization(), L.Dropout(0.3), L.Dense(3, activation="softmax")], False),
    ("conv2d", "image", lambda L: [L.Conv2D(4, 3, strides=2, padding="same", activation="relu"),
                                   L.MaxPooling2D(), L.Flatten(), L.Dense(3, activation="softmax")], True),
    ("conv_family", "image", lambda L: [L.Conv2D(4, 3, dilation_rate=2), L.Conv2DTranspose(3, 3, strides=2),
                                        L.ZeroPadding2D(1), L.Cropping2D(2), L.AveragePooling2D(2),
                                        L.UpSampling2D(), L.GlobalAveragePooling2D(), L.Dense(3, activation="softmax")], True),
    ("reshaping", "image", lambda L: [L.Reshape((16, 12)), L.Permute((2, 1)), L.Conv1D(4, 3, padding="causal"),
                                      L.MaxPooling1D(), L.GlobalMaxPooling1D(), L.RepeatVector(2), L.Flatten(),
                                      L.Dense(3, activation="softmax")], True),
    ("lstm_gru", "sequence", lambda L: [L.LSTM(4, return_sequences=True), L.GRU(3, return_sequences=True),
                                        L.SimpleRNN(3), L.Dense(3, activation="softmax")], True),
    # Keras' Adam updates an embedding's slots on the rows a batch touches only (sparse gradients)
    ("embedding", "indices", lambda L: [L.Embedding(10, 4), L.Flatten(), L.Dense(3, activation="softmax")], False),
    ("wrappers", "sequence", lambda L: [L.Bidirectional(L.LSTM(3, return_sequences=True)),
                                        L.TimeDistributed(L.Dense(2)), L.Flatten(), L.Dense(3, activation="softmax")], True),
]


def make(library, kind: str, stack, seed: int = 0):
    if library is keras:
        keras.utils.set_random_seed(seed)
        return keras.Sequential([keras.Input(INPUTS[kind]), *stack(keras.layers)])
    redes.set_random_seed(seed)
    return redes.Sequential([redes.layers.Input(INPUTS[kind]), *stack(redes.layers)])


def data(kind: str, count: int = 16):
    if kind == "indices":
        return RNG.integers(0, 10, (count, *INPUTS[kind])), RNG.integers(0, 3, count)
    return RNG.standard_normal((count, *INPUTS[kind])).astype("float32"), RNG.integers(0, 3, count)


def compile_both(model) -> None:
    library = keras if isinstance(model, keras.Model) else redes
    model.compile(library.optimizers.Adam(0.01), "sparse_categorical_crossentropy", metrics=["accuracy"])


def assert_same(ours, theirs, x) -> None:
    np.testing.assert_allclose(ours.predict(x), theirs.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
    weights_ours, weights_theirs = ours.get_weights(), theirs.get_weights()
    assert len(weights_ours) == len(weights_theirs)
    for a, b in zip(weights_ours, weights_theirs):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("case", CASES, ids=[case[0] for case in CASES])
def test_keras_to_redes_to_keras(case, tmp_path):
    _, kind, stack, deterministic = case
    x, y = data(kind)
    theirs = make(keras, kind, stack)
    compile_both(theirs)
    theirs.fit(x, y, epochs=1, batch_size=8, verbose=0)
    theirs.save(tmp_path / "keras.keras")
    ours = redes.load_model(tmp_path / "keras.keras")
    assert_same(ours, theirs, x)
    assert ours.optimizer.iterations == int(theirs.optimizer.iterations.numpy())
    ours.save(tmp_path / "redes.keras")  # and back: Keras opens what redes wrote, optimizer state included
    again = keras.models.load_model(tmp_path / "redes.keras")
    assert_same(ours, again, x)
    if deterministic:  # training goes on with the same next step in both libraries
        ours.train_on_batch(x[:8], y[:8])
        again.train_on_batch(x[:8], y[:8])
        for a, b in zip(ours.get_weights(), again.get_weights()):
            np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)  # float32, after an Adam step of 0.01


@pytest.mark.parametrize("case", CASES, ids=[case[0] for case in CASES])
def test_redes_to_keras_to_redes(case, tmp_path):
    _, kind, stack, deterministic = case
    x, y = data(kind)
    ours = make(redes, kind, stack)
    compile_both(ours)
    ours.fit(x, y, epochs=1, batch_size=8, verbose=0)
    ours.save(tmp_path / "redes.keras")
    theirs = keras.models.load_model(tmp_path / "redes.keras")
    assert_same(ours, theirs, x)
    theirs.save(tmp_path / "keras.keras")
    back = redes.load_model(tmp_path / "keras.keras")
    np.testing.assert_array_equal(back.predict(x), ours.predict(x))
    if deterministic:  # Keras goes on from redes' optimizer state with redes' next step
        ours.train_on_batch(x[:8], y[:8])
        theirs.train_on_batch(x[:8], y[:8])
        for a, b in zip(ours.get_weights(), theirs.get_weights()):
            np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def functional(library):
    L = library.layers
    first, second = library.Input((6,)) if library is redes else keras.Input((6,)), \
        library.Input((4,)) if library is redes else keras.Input((4,))
    first, second = (first.output, second.output) if library is redes else (first, second)
    shared = L.Dense(4, activation="relu")
    merged = L.Concatenate()([shared(L.Dense(4)(first)), L.Add()([L.Dense(4)(second), shared(L.Dense(4)(second))])])
    return library.Model([first, second], [L.Dense(3, activation="softmax")(merged), L.Dense(1)(merged)])


def test_a_functional_model_with_two_inputs_two_outputs_and_a_shared_layer_both_ways(tmp_path):
    x = [RNG.standard_normal((16, 6)).astype("float32"), RNG.standard_normal((16, 4)).astype("float32")]
    y = [RNG.integers(0, 3, 16), RNG.standard_normal((16, 1)).astype("float32")]
    keras.utils.set_random_seed(1)
    theirs = functional(keras)
    theirs.compile("adam", ["sparse_categorical_crossentropy", "mse"])
    theirs.fit(x, y, epochs=1, verbose=0)
    theirs.save(tmp_path / "keras.keras")
    ours = redes.load_model(tmp_path / "keras.keras")
    for a, b in zip(ours.predict(x), theirs.predict(x, verbose=0)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    ours.save(tmp_path / "redes.keras")
    again = keras.models.load_model(tmp_path / "redes.keras")
    for a, b in zip(ours.predict(x), again.predict(x, verbose=0)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_every_optimizer_goes_on_training_as_keras(tmp_path):
    x, y = RNG.standard_normal((16, 6)).astype("float32"), RNG.integers(0, 3, 16)
    for name, arguments in [("SGD", {"momentum": 0.9, "nesterov": True}), ("SGD", {}), ("RMSprop", {"centered": True,
                            "momentum": 0.5}), ("Adam", {"amsgrad": True}), ("AdamW", {}), ("Nadam", {}),
                            ("Adagrad", {}), ("Adadelta", {}), ("Adamax", {}), ("Lion", {})]:
        keras.utils.set_random_seed(2)
        theirs = keras.Sequential([keras.Input((6,)), keras.layers.Dense(4, activation="tanh"),
                                   keras.layers.Dense(3, activation="softmax")])
        theirs.compile(getattr(keras.optimizers, name)(0.01, **arguments), "sparse_categorical_crossentropy")
        for _ in range(3):
            theirs.train_on_batch(x, y)
        theirs.save(tmp_path / "m.keras")
        ours = redes.load_model(tmp_path / "m.keras")
        assert type(ours.optimizer).__name__ == name and ours.optimizer.iterations == 3
        for model in (ours, theirs):
            model.train_on_batch(x, y)
        for a, b in zip(ours.get_weights(), theirs.get_weights()):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6, err_msg=name)


def test_weights_h5_both_ways(tmp_path):
    kind, stack = "image", next(case for case in CASES if case[0] == "conv2d")[2]
    theirs, ours = make(keras, kind, stack, seed=3), make(redes, kind, stack, seed=4)
    theirs.save_weights(tmp_path / "keras.weights.h5")
    ours.load_weights(tmp_path / "keras.weights.h5")
    x, _ = data(kind)
    assert_same(ours, theirs, x)
    other = make(redes, kind, stack, seed=5)
    other.save_weights(tmp_path / "redes.weights.h5")
    theirs.load_weights(tmp_path / "redes.weights.h5")
    assert_same(other, theirs, x)


def test_the_seed_cnn_trained_in_keras_predicts_the_same_classes_in_redes(tmp_path):
    (x_train, y_train), (x_test, y_test) = redes.datasets.load_mnist()
    x_train, x_test = (x_train[:6400, ..., None] / 255).astype("float32"), (x_test[..., None] / 255).astype("float32")
    keras.utils.set_random_seed(0)
    L = keras.layers
    # SEEDS §4's CNN, with §3's BatchNormalization(momentum=0.9), so that 200 steps settle the moving statistics
    theirs = keras.Sequential([keras.Input((28, 28, 1)), L.Conv2D(32, 3, activation="relu"),
                               L.BatchNormalization(momentum=0.9), L.Conv2D(64, 3, activation="relu"),
                               L.BatchNormalization(momentum=0.9), L.MaxPooling2D(), L.Flatten(),
                               L.Dense(128, activation="relu"), L.BatchNormalization(momentum=0.9),
                               L.Dense(10, activation="softmax")])
    theirs.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    theirs.fit(x_train, y_train[:6400], batch_size=32, epochs=1, verbose=0)  # 200 steps
    theirs.save(tmp_path / "cnn.keras")
    ours = redes.load_model(tmp_path / "cnn.keras")
    classes_ours = ours.predict(x_test, batch_size=500).argmax(-1)
    classes_theirs = theirs.predict(x_test, batch_size=500, verbose=0).argmax(-1)
    assert (classes_ours == classes_theirs).mean() > 0.999
    assert (classes_ours == y_test).mean() > 0.9
    assert ours.evaluate(x_test[:1000], y_test[:1000], verbose=0, return_dict=True)["accuracy"] == pytest.approx(
        theirs.evaluate(x_test[:1000], y_test[:1000], verbose=0, return_dict=True)["accuracy"], abs=2e-3)


# ---------------------------------------------------------------------------------------- bad files
@pytest.fixture
def keras_file(tmp_path):
    theirs = make(keras, "flat", CASES[0][2])
    compile_both(theirs)
    theirs.save(tmp_path / "good.keras")
    return tmp_path / "good.keras"


def rewrite(source, target, change) -> None:
    with zipfile.ZipFile(source) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    change(members)
    with zipfile.ZipFile(target, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def test_bad_keras_files_get_clear_errors(keras_file, tmp_path):
    truncated = tmp_path / "truncated.keras"
    truncated.write_bytes(keras_file.read_bytes()[:200])
    with pytest.raises(ValueError, match="not a valid .keras file|corrupt or truncated"):
        redes.load_model(truncated)
    no_weights = tmp_path / "no_weights.keras"
    rewrite(keras_file, no_weights, lambda members: members.pop("model.weights.h5"))
    with pytest.raises(ValueError, match="lacks model.weights.h5"):
        redes.load_model(no_weights)
    old = tmp_path / "old.keras"
    rewrite(keras_file, old, lambda members: members.update({"metadata.json": b'{"keras_version": "2.15.0"}'}))
    with pytest.raises(ValueError, match="written by Keras 2.15.0"):
        redes.load_model(old)

    def widen(members) -> None:  # a Dense of 7 units where the weights have 5
        config = json.loads(members["config.json"])
        config["config"]["layers"][1]["config"]["units"] = 7
        members["config.json"] = json.dumps(config).encode()
    mismatch = tmp_path / "mismatch.keras"
    rewrite(keras_file, mismatch, widen)
    with pytest.raises(ValueError, match="has shape .*5.*weight has shape .*7"):
        redes.load_model(mismatch)
    with pytest.raises(FileNotFoundError):
        redes.load_model(tmp_path / "missing.keras")


def test_a_lambda_layer_or_an_unknown_class_is_refused(tmp_path):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Lambda(lambda t: t * 2)])
    model.save(tmp_path / "lambda.keras")
    with pytest.raises(ValueError, match="Lambda layer.*never runs code"):
        redes.load_model(tmp_path / "lambda.keras")

    @keras.saving.register_keras_serializable(package="tests")
    class Twice(keras.layers.Layer):
        def call(self, inputs):
            return inputs * 2

    keras.Sequential([keras.Input((3,)), Twice()]).save(tmp_path / "custom.keras")
    with pytest.raises(ValueError, match="Unknown layer class 'tests>Twice'"):
        redes.load_model(tmp_path / "custom.keras")


def test_the_extension_chooses_the_format(tmp_path):
    model = make(redes, "flat", CASES[0][2])
    model.save(tmp_path / "m.redes")
    model.save(tmp_path / "m.keras")
    assert zipfile.ZipFile(tmp_path / "m.keras").namelist() == ["metadata.json", "config.json", "model.weights.h5"]
    assert "config.json" in zipfile.ZipFile(tmp_path / "m.redes").namelist()
    with pytest.raises(ValueError, match="saved as .keras .* or .redes"):
        model.save(tmp_path / "m.h5")

    class Subclassed(redes.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.dense = redes.layers.Dense(2)

        def call(self, inputs):
            return self.dense(inputs)
    subclassed = Subclassed()
    subclassed.build_for((3,))
    with pytest.raises(ValueError, match="the Keras format holds Sequential and functional models"):
        subclassed.save(tmp_path / "subclassed.keras")
    assert not (tmp_path / "subclassed.keras").exists()
    np.testing.assert_array_equal(redes.load_model(tmp_path / "m.keras").predict(np.ones((2, 6))),
                                  redes.load_model(tmp_path / "m.redes").predict(np.ones((2, 6))))


def test_a_keras_2_h5_model_file_loads_with_its_weights_and_compile_arguments(tmp_path):
    x, y = data("image")
    L = keras.layers
    inputs = keras.Input(INPUTS["image"])
    features = L.Flatten()(L.MaxPooling2D()(L.BatchNormalization()(L.Conv2D(4, 3, activation="relu")(inputs))))
    wrappers = next(case for case in CASES if case[0] == "wrappers")[2]
    for model in (make(keras, "sequence", wrappers), keras.Model(inputs, L.Dense(3, activation="softmax")(features))):
        model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
        batch = data("sequence")[0] if model.input_shape[1:] == INPUTS["sequence"] else x
        model.fit(batch, y, epochs=1, verbose=0)
        model.save(tmp_path / "legacy.h5")  # Keras 3 writes Keras 2's layout for .h5
        ours = redes.load_model(tmp_path / "legacy.h5")
        assert_same(ours, model, batch)
        assert ours.loss is not None and type(ours.optimizer).__name__ == "Adam"
        fresh = redes.models.clone_model(ours)
        fresh.load_weights(tmp_path / "legacy.h5")
        np.testing.assert_array_equal(fresh.predict(batch), ours.predict(batch))


def test_a_file_in_keras_2_15_s_own_form_loads(tmp_path):
    """Keras 2.15's config: no module keys, `batch_input_shape`, calls as [layer, node, tensor, kwargs]."""
    import h5py
    dense = {"class_name": "Dense", "config": {"name": "dense", "trainable": True, "dtype": "float32", "units": 2,
                                               "activation": "tanh", "use_bias": True,
                                               "kernel_initializer": {"class_name": "GlorotUniform",
                                                                      "config": {"seed": None}},
                                               "bias_initializer": {"class_name": "Zeros", "config": {}},
                                               "kernel_regularizer": None, "bias_regularizer": None,
                                               "activity_regularizer": None, "kernel_constraint": None,
                                               "bias_constraint": None}}
    functional = {"class_name": "Functional", "config": {
        "name": "model", "layers": [
            {"class_name": "InputLayer", "name": "input_1", "inbound_nodes": [],
             "config": {"batch_input_shape": [None, 3], "dtype": "float32", "sparse": False, "ragged": False,
                        "name": "input_1"}},
            {**dense, "name": "dense", "inbound_nodes": [[["input_1", 0, 0, {}]]]}],
        "input_layers": [["input_1", 0, 0]], "output_layers": [["dense", 0, 0]]}}
    sequential = {"class_name": "Sequential", "config": {"name": "sequential", "layers": [
        {**dense, "config": {**dense["config"], "batch_input_shape": [None, 3]}}]}}
    kernel, bias = RNG.standard_normal((3, 2)).astype("float32"), RNG.standard_normal(2).astype("float32")
    x = RNG.standard_normal((4, 3)).astype("float32")
    for config in (functional, sequential):
        with h5py.File(tmp_path / "k2.h5", "w") as file:
            file.attrs["keras_version"], file.attrs["backend"] = "2.15.0", "tensorflow"
            file.attrs["model_config"] = json.dumps(config)
            weights = file.create_group("model_weights")
            weights.attrs["layer_names"] = [b"input_1", b"dense"] if config is functional else [b"dense"]
            layer = weights.create_group("dense")
            layer.attrs["weight_names"] = [b"dense/kernel:0", b"dense/bias:0"]
            layer["dense/kernel:0"], layer["dense/bias:0"] = kernel, bias
        model = redes.load_model(tmp_path / "k2.h5")
        np.testing.assert_allclose(model.predict(x), np.tanh(x @ kernel + bias), rtol=1e-6)


def test_conversions_in_memory_both_ways():
    x, y = data("sequence")
    theirs = make(keras, "sequence", next(case for case in CASES if case[0] == "lstm_gru")[2])
    compile_both(theirs)
    theirs.fit(x, y, verbose=0)
    ours = redes.from_keras(theirs)
    assert_same(ours, theirs, x)
    back = ours.to_keras()
    assert isinstance(back, keras.Model)
    assert_same(ours, back, x)
    assert int(back.optimizer.iterations.numpy()) == ours.optimizer.iterations == 1


def test_a_layer_redes_lacks_and_a_missing_h5py_get_clear_errors(tmp_path, monkeypatch):
    keras.Sequential([keras.Input((3,)), keras.layers.Dense(2), keras.layers.Discretization(bin_boundaries=[0.0])]) \
        .save(tmp_path / "discretization.keras")
    with pytest.raises(ValueError, match="Keras layer 'Discretization', which redes does not have"):
        redes.load_model(tmp_path / "discretization.keras")
    import builtins
    real_import = builtins.__import__

    def without_h5py(name, *args, **kwargs):
        if name == "h5py":
            raise ImportError("No module named 'h5py'")
        return real_import(name, *args, **kwargs)
    monkeypatch.setattr(builtins, "__import__", without_h5py)
    with pytest.raises(ImportError, match=r"needs h5py: pip install 'redes\[keras\]'"):
        make(redes, "flat", CASES[0][2]).save(tmp_path / "m.keras")
    assert not (tmp_path / "m.keras").exists()


def _layer_specs():
    from test_layer_contract import SPECS
    return SPECS


@pytest.mark.parametrize("layer_name", list(_layer_specs()))
def test_every_layer_goes_to_keras_and_back_with_the_same_outputs(layer_name, tmp_path):
    """Each layer of the contract test, in a functional model: redes → .keras → Keras → .keras → redes."""
    spec = _layer_specs()[layer_name]
    shapes = spec.input_shape if isinstance(spec.input_shape, list) else [spec.input_shape]
    inputs = [redes.Input(shape).output for shape in shapes]
    model = redes.Model(inputs if len(inputs) > 1 else inputs[0], spec.make()(inputs if len(inputs) > 1 else inputs[0]))
    rng = np.random.default_rng(0)
    xs = [(rng.integers(0, spec.indices, (4, *shape)) if spec.indices else rng.standard_normal((4, *shape)))
          .astype("float32") for shape in shapes]
    xs = xs if len(xs) > 1 else xs[0]
    model.save(tmp_path / "redes.keras")
    theirs = keras.models.load_model(tmp_path / "redes.keras")
    np.testing.assert_allclose(np.asarray(theirs.predict(xs, verbose=0)), model.predict(xs), rtol=1e-5, atol=1e-6)
    theirs.save(tmp_path / "keras.keras")
    back = redes.load_model(tmp_path / "keras.keras")
    np.testing.assert_array_equal(back.predict(xs), model.predict(xs))
    assert type(back.layers[-1]).__name__ == layer_name


def test_an_adapted_normalization_layer_both_ways(tmp_path):
    """Keras keeps a sample count after Normalization's mean and variance: written as Keras writes it, skipped
    on reading."""
    x = RNG.standard_normal((20, 4)).astype("float32") * 3 + 1
    theirs_layer = keras.layers.Normalization()
    theirs_layer.adapt(x)
    keras.Sequential([keras.Input((4,)), theirs_layer]).save(tmp_path / "keras.keras")
    ours = redes.load_model(tmp_path / "keras.keras")
    np.testing.assert_allclose(ours.predict(x), theirs_layer(x), rtol=1e-5, atol=1e-6)
    ours.save(tmp_path / "redes.keras")
    np.testing.assert_allclose(keras.models.load_model(tmp_path / "redes.keras").predict(x, verbose=0),
                               ours.predict(x), rtol=1e-6, atol=1e-7)


def test_a_model_nested_in_a_functional_model_both_ways(tmp_path):
    x = RNG.standard_normal((5, 4)).astype("float32")
    inner = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="relu"),
                              keras.layers.BatchNormalization()])
    inputs = keras.Input((4,))
    theirs = keras.Model(inputs, keras.layers.Dense(2)(inner(inputs)))
    theirs.compile("adam", "mse")
    theirs.fit(x, np.zeros((5, 2)), verbose=0)
    theirs.save(tmp_path / "keras.keras")
    ours = redes.load_model(tmp_path / "keras.keras")
    assert_same(ours, theirs, x)
    ours.save(tmp_path / "redes.keras")
    assert_same(ours, keras.models.load_model(tmp_path / "redes.keras"), x)
