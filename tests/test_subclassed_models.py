"""Models and layers written Keras' subclassing way: layers held as attributes (tracked), ``call()`` with ops,
``add_loss``; trained with ``fit`` or a GradientTape, saved and loaded, beside Keras."""

from __future__ import annotations

import numpy as np
import pytest

import redes
from helpers import check_layer_gradients, import_tensorflow, keras_floatx
from redes import layers, ops


@redes.saving.register_serializable(package="tests")
class MLP(redes.Model):
    """Two Dense layers and an activity penalty on the hidden features (``add_loss``)."""

    def __init__(self, hidden: int = 8, classes: int = 3, penalty: float = 0.0, **kwargs):
        super().__init__(**kwargs)
        self.hidden_units, self.classes, self.penalty = hidden, classes, penalty
        self.hidden = layers.Dense(hidden, activation="tanh")
        self.head = layers.Dense(classes, activation="softmax")

    def call(self, inputs, training=None):
        features = self.hidden(inputs)
        if self.penalty:
            self.add_loss(self.penalty * ops.mean(ops.sum(ops.square(features), axis=-1)))
        return self.head(features)

    def get_config(self):
        return {**super().get_config(), "hidden": self.hidden_units, "classes": self.classes, "penalty": self.penalty}


class AttentionBlock(layers.Layer):
    """Single-head self-attention on (batch, steps, features), its projections Dense sublayers:
    softmax(q kᵀ / √d) v, then a residual and a mean over the steps."""

    def __init__(self, units: int, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.projections = [layers.Dense(units, use_bias=False) for _ in range(3)]

    def call(self, inputs):
        query, key, value = (projection(inputs) for projection in self.projections)
        scores = ops.matmul(query, ops.transpose(key, (0, 2, 1))) / np.sqrt(self.units)
        return ops.mean(ops.matmul(ops.softmax(scores, axis=-1), value) + query, axis=1)

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def data(dtype: str = "float64", count: int = 48, features: int = 5):
    rng = np.random.default_rng(0)
    return rng.standard_normal((count, features)).astype(dtype), rng.integers(0, 3, count)


def test_attribute_tracking_finds_layers_in_attributes_lists_and_dicts_in_assignment_order(tmp_path):
    class Blocks(redes.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.first = layers.Dense(4, name="first")
            self.stack = [layers.Dense(4, name="in_list")]
            self.stack.append(layers.Dense(4, name="appended"))  # found when asked, as Keras' tracked lists
            self.named = {"last": layers.Dense(2, name="in_dict")}
            self.scale = self.add_weight(shape=(), initializer="ones", name="scale")

        def call(self, x):
            for layer in [self.first, *self.stack, self.named["last"]]:
                x = layer(x)
            return x * self.scale

    model = Blocks()
    model.build_for((3,))
    assert [layer.name for layer in model.layers] == ["first", "in_list", "appended", "in_dict"]
    assert model.weight_names[:3] == ["scale", "first/kernel", "first/bias"]
    assert len(model.trainable_weights) == 1 + 2 * 4 and model.count_params() == 1 + 16 + 20 + 20 + 10
    model.compile("sgd", "mse")
    model.fit(np.ones((4, 3)), np.zeros((4, 2)), verbose=0)
    model.save(tmp_path / "blocks.redes")
    loaded = redes.load_model(tmp_path / "blocks.redes", custom_objects={"Blocks": Blocks})
    assert loaded.weight_names == model.weight_names
    np.testing.assert_array_equal(loaded.predict(np.ones((2, 3))), model.predict(np.ones((2, 3))))
    model.trainable = False  # freezing a model freezes the layers inside, as Keras
    assert model.trainable_weights == [] and not model.first.trainable
    assert len(model.non_trainable_weights) == 9


def test_a_subclassed_model_trains_in_fit_as_the_same_sequential_to_float64_rounding():
    x, y = data()
    redes.set_floatx("float64")
    try:
        ours = MLP()
        twin = redes.Sequential([layers.Input((5,)), layers.Dense(8, activation="tanh"),
                                 layers.Dense(3, activation="softmax")])
        ours.build_for((5,))
        twin.set_weights(ours.get_weights())
        histories = []
        for model in (ours, twin):
            model.compile(redes.optimizers.Nadam(0.01), "sparse_categorical_crossentropy", metrics=["accuracy"])
            histories.append(model.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0).history)
    finally:
        redes.set_floatx("float32")
    np.testing.assert_allclose(histories[0]["loss"], histories[1]["loss"], rtol=1e-13)
    assert histories[0]["accuracy"] == histories[1]["accuracy"]
    for a, b in zip(ours.get_weights(), twin.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)
    assert ours.output_shape == (3,) and ours.output_names == [ours.name]


def test_add_loss_is_in_the_loss_fit_minimizes_and_in_the_gradient():
    redes.set_floatx("float64")
    try:
        check_add_loss()
    finally:
        redes.set_floatx("float32")


def check_add_loss():
    x, y = data()
    model = MLP(penalty=0.1)
    model.compile("sgd", "sparse_categorical_crossentropy")
    model.build_for((5,))
    cross_entropy = redes.losses.SparseCategoricalCrossentropy()

    def total_loss() -> float:
        probabilities = model.predict(x, batch_size=len(x))
        return float(cross_entropy(y, probabilities)) + sum(float(loss) for loss in model.losses)

    model.predict(x)
    assert len(model.losses) == 1 and model.losses[0] > 0 and type(model.losses[0]).__name__ != "Traced"
    assert model.evaluate(x, y, batch_size=len(x), verbose=0) == pytest.approx(total_loss(), rel=1e-12)

    with redes.GradientTape() as tape:  # a user's loop adds model.losses to the loss, as in Keras
        loss = cross_entropy(y, model(x, training=True)) + sum(model.losses)
    taped = tape.gradient(loss, model.trainable_weights)
    outputs = model.forward(redes.Tensor4D.from_natural(x), training=True)  # fit's path: backward includes it
    _, upstream = model._compute_loss([y], [outputs], with_gradient=True)
    model._backward(upstream[0])
    for weight, tape_gradient, fit_gradient in zip(model.trainable_weights, taped, model.gradients):
        step = 1e-6
        numeric = np.zeros_like(weight)
        for index in np.ndindex(weight.shape):
            saved = weight[index]
            weight[index] = saved + step
            plus = total_loss()
            weight[index] = saved - step
            minus = total_loss()
            weight[index] = saved
            numeric[index] = (plus - minus) / (2 * step)
        np.testing.assert_allclose(tape_gradient, numeric, rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose(fit_gradient, numeric, rtol=1e-6, atol=1e-9)

    with redes.GradientTape() as tape:  # without model.losses in the loss, the penalty is not differentiated
        loss = cross_entropy(y, model(x, training=True))
    plain = tape.gradient(loss, model.trainable_weights)
    assert not np.allclose(plain[0], taped[0])


def test_a_call_layer_with_sublayers_trains_them_and_matches_central_differences():
    redes.set_floatx("float64")
    try:
        block = AttentionBlock(4)
        x = np.random.default_rng(1).standard_normal((3, 1, 5, 6))  # (batch, 1, steps, features): a sequence
        errors = check_layer_gradients(block, x)
    finally:
        redes.set_floatx("float32")
    assert set(errors) == {"input"}  # its own weights: none; the sublayers' are checked below
    assert [w.shape for w in block.trainable_weights] == [(6, 4)] * 3
    model = redes.Sequential([layers.Input((5, 6)), AttentionBlock(4), layers.Dense(3, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    rng = np.random.default_rng(2)
    xs, ys = rng.standard_normal((32, 5, 6)).astype("float32"), rng.integers(0, 3, 32)
    before = [w.copy() for w in model.layers[0].trainable_weights]
    history = model.fit(xs, ys, epochs=5, batch_size=8, verbose=0).history["loss"]
    assert history[-1] < history[0]
    assert all(not np.array_equal(a, b) for a, b in zip(before, model.layers[0].trainable_weights))


def test_sublayer_weights_of_a_call_layer_match_central_differences():
    redes.set_floatx("float64")
    try:
        check_sublayer_gradients()
    finally:
        redes.set_floatx("float32")


def check_sublayer_gradients():
    block = AttentionBlock(3)
    x = np.random.default_rng(3).standard_normal((2, 4, 5))
    upstream = np.random.default_rng(4).standard_normal((2, 3))
    block(x)
    block.backward(redes.Tensor4D.from_natural(upstream))
    for weight, gradient in zip(block.trainable_weights, block.gradients):
        numeric = np.zeros_like(weight)
        for index in np.ndindex(weight.shape):
            saved = weight[index]
            weight[index] = saved + 1e-6
            plus = float((block(x) * upstream).sum())
            weight[index] = saved - 1e-6
            minus = float((block(x) * upstream).sum())
            weight[index] = saved
            numeric[index] = (plus - minus) / 2e-6
        np.testing.assert_allclose(gradient, numeric, rtol=1e-6, atol=1e-9)


def test_a_subclassed_model_saves_and_loads_and_goes_on_training_identically(tmp_path):
    x, y = data("float32")
    model = MLP(hidden=6, penalty=0.01)
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    model.save(tmp_path / "mlp.redes")
    loaded = redes.load_model(tmp_path / "mlp.redes")
    assert type(loaded) is MLP and loaded.hidden_units == 6 and loaded.penalty == 0.01
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    redes.set_random_seed(7)
    after = model.fit(x, y, epochs=1, batch_size=16, verbose=0).history["loss"]
    redes.set_random_seed(7)
    assert loaded.fit(x, y, epochs=1, batch_size=16, verbose=0).history["loss"] == after
    for a, b in zip(loaded.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_bad_subclassed_models_get_clear_errors():
    class NoCall(redes.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(2)

    model = NoCall()
    with pytest.raises(NotImplementedError, match="call"):
        model.predict(np.zeros((2, 3)))
    bad = MLP(hidden=2)
    bad.build_for((3,))
    bad.predict(np.zeros((2, 3)))  # predict records no tape: nothing to differentiate
    with pytest.raises(RuntimeError, match="no recorded forward"):
        bad.backward(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"MLP 'mlp_?\d*' expects 4 weight arrays \(dense.*/kernel"):
        bad.set_weights([np.zeros((3, 2))])


class KerasTwin:
    """The Keras subclassed model of ``MLP`` (made under the caller's floatx)."""

    @staticmethod
    def make(keras, penalty: float):
        class KerasMLP(keras.Model):
            def __init__(self):
                super().__init__()
                self.hidden = keras.layers.Dense(8, activation="tanh")
                self.head = keras.layers.Dense(3, activation="softmax")

            def call(self, inputs):
                features = self.hidden(inputs)
                self.add_loss(penalty * keras.ops.mean(keras.ops.sum(keras.ops.square(features), axis=-1)))
                return self.head(features)
        return KerasMLP()


@pytest.mark.parity
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_a_subclassed_model_with_add_loss_trains_in_fit_as_keras(dtype):
    import_tensorflow()
    x, y = data(dtype)
    with keras_floatx(dtype) as tf:
        keras = tf.keras
        keras.config.set_dtype_policy(dtype)
        redes.set_floatx(dtype)  # the sublayers made in __init__ take floatx, as in Keras
        try:
            theirs = KerasTwin.make(keras, 0.05)
            theirs(x[:1])
            ours = MLP(penalty=0.05)
            ours.build_for((5,))
            ours.set_weights(theirs.get_weights())
            momentum = np.float64(0.9) if dtype == "float64" else 0.9  # else Keras rounds it through float32
            theirs.compile(keras.optimizers.SGD(0.1, momentum=momentum, nesterov=True), "sparse_categorical_crossentropy")
            ours.compile(redes.optimizers.SGD(0.1, momentum=0.9, nesterov=True), "sparse_categorical_crossentropy")
            for step in range(6):
                batch = slice(8 * step, 8 * step + 8)
                ours_loss = ours.train_on_batch(x[batch], y[batch])
                theirs_loss = float(np.atleast_1d(theirs.train_on_batch(x[batch], y[batch]))[0])
                assert ours_loss == pytest.approx(theirs_loss, rel=1e-5 if dtype == "float32" else 1e-12)
            tolerance = 1e-5 if dtype == "float32" else 1e-10
            for a, b in zip(ours.get_weights(), theirs.get_weights()):
                np.testing.assert_allclose(a, b, rtol=tolerance, atol=tolerance)
        finally:
            keras.config.set_dtype_policy("float32")
            redes.set_floatx("float32")


def test_a_layer_shared_inside_call_trains_as_the_same_functional_model():
    class Siamese(redes.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.encoder = layers.Dense(4, activation="tanh")
            self.head = layers.Dense(1)

        def call(self, inputs):
            left, right = inputs[:, :3], inputs[:, 3:]
            return self.head(ops.abs(self.encoder(left) - self.encoder(right)))

    redes.set_floatx("float64")
    try:
        rng = np.random.default_rng(6)
        x, y = rng.standard_normal((32, 6)), rng.standard_normal((32, 1))
        ours = Siamese()
        ours.build_for((6,))
        inputs = redes.Input((6,)).output
        encoder, head = layers.Dense(4, activation="tanh"), layers.Dense(1)
        halves = [layers.Cropping1D((0, 3)), layers.Cropping1D((3, 0))]
        reshaped = layers.Reshape((6, 1))(inputs)
        encoded = [encoder(layers.Flatten()(crop(reshaped))) for crop in halves]
        distance = layers.Maximum()([layers.Subtract()(encoded), layers.Subtract()(encoded[::-1])])  # |a − b|
        twin = redes.Model(inputs, head(distance))
        twin.set_weights(ours.get_weights())
        histories = []
        for model in (ours, twin):
            model.compile(redes.optimizers.Adam(0.01), "mse")
            histories.append(model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0).history["loss"])
    finally:
        redes.set_floatx("float32")
    np.testing.assert_allclose(histories[0], histories[1], rtol=1e-12)
    for a, b in zip(ours.get_weights(), twin.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-13)


@pytest.mark.parity
def test_the_attention_block_matches_the_same_keras_layer_in_float64():
    tf = import_tensorflow()
    import keras

    class KerasAttention(keras.layers.Layer):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.projections = [keras.layers.Dense(units, use_bias=False) for _ in range(3)]

        def call(self, inputs):
            query, key, value = (projection(inputs) for projection in self.projections)
            scores = keras.ops.matmul(query, keras.ops.transpose(key, (0, 2, 1))) / np.sqrt(self.units)
            return keras.ops.mean(keras.ops.matmul(keras.ops.softmax(scores, axis=-1), value) + query, axis=1)

    x = np.random.default_rng(7).standard_normal((3, 5, 6))
    upstream = np.random.default_rng(8).standard_normal((3, 4))
    with keras_floatx("float64"):
        keras.config.set_dtype_policy("float64")
        redes.set_floatx("float64")
        try:
            theirs, ours = KerasAttention(4), AttentionBlock(4)
            theirs(x)
            ours(x)
            ours.set_weights(theirs.get_weights())
            inputs = tf.constant(x)
            with tf.GradientTape() as tape:
                tape.watch(inputs)
                loss = tf.reduce_sum(theirs(inputs) * upstream)
            their_grads = tape.gradient(loss, [inputs, *theirs.trainable_weights])
            with redes.GradientTape() as tape:
                watched = ops.convert_to_tensor(x)
                tape.watch(watched)
                our_loss = ops.sum(ours(watched) * upstream)
            our_grads = tape.gradient(our_loss, [watched, *ours.trainable_weights])
        finally:
            keras.config.set_dtype_policy("float32")
            redes.set_floatx("float32")
    assert float(our_loss) == pytest.approx(float(loss), rel=1e-13)
    for ours_grad, theirs_grad in zip(our_grads, their_grads):
        np.testing.assert_allclose(ours_grad, np.asarray(theirs_grad), rtol=1e-11, atol=1e-13)
