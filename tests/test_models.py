import numpy as np
import pytest

import redes
from helpers import assert_parity, import_tensorflow, numerical_gradient, relative_error
from tolerances import FLOAT32_ATOL, MULTISTEP_FLOAT32_RTOL, WEIGHTS_ATOL
from redes import RedeNeural, Sequential, Tensor4D, callbacks, layers, losses, optimizers, regularizers
from redes.models.objectives import takes_logits


def blobs(n=600, features=8, classes=3, seed=0):
    """Separable Gaussian clusters: a problem a small MLP must solve almost perfectly."""
    rng = np.random.default_rng(seed)
    centers = rng.standard_normal((classes, features)) * 3
    y = rng.integers(0, classes, n)
    x = centers[y] + rng.standard_normal((n, features))
    return x.astype("float32"), y


def small_mlp(features=8, classes=3, **kwargs):
    return Sequential([layers.Input((features,)), layers.Dense(16, activation="relu"),
                       layers.Dense(classes, activation="softmax")], **kwargs)


def test_fit_learns_separable_problem():
    x, y = blobs()
    model = small_mlp()
    model.compile(optimizer=optimizers.Adam(0.01), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, batch_size=32, epochs=15, validation_split=0.2, verbose=0)
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert len(history.history["loss"]) == 15
    assert history.history["loss"][-1] < history.history["loss"][0]
    loss, accuracy = model.evaluate(x, y, verbose=0)
    assert accuracy > 0.95
    predictions = model.predict(x)
    assert predictions.shape == (len(x), 3) and predictions.dtype == np.float32
    assert (predictions.argmax(axis=1) == y).mean() == pytest.approx(accuracy)


def test_fit_learns_small_cnn_on_synthetic_images():
    redes.set_random_seed(1)
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 256)
    x = rng.standard_normal((256, 8, 8, 1)).astype("float32") * 0.3
    x[y == 1, 2:6, 3:5, 0] += 1.5  # class 1 has a bright vertical bar
    model = Sequential([layers.Input((8, 8, 1)), layers.Conv2D(4, 3, activation="relu"),
                        layers.BatchNormalization(), layers.MaxPooling2D(2), layers.Flatten(),
                        layers.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, batch_size=32, epochs=10, verbose=0)
    assert model.evaluate(x, y, verbose=0)[1] > 0.95


def test_one_hot_labels_and_regression():
    x, y = blobs()
    model = small_mlp()
    model.compile(optimizer=optimizers.SGD(0.1, momentum=0.9), loss="categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, np.eye(3)[y], epochs=10, verbose=0)
    assert history.history["accuracy"][-1] > 0.95

    rng = np.random.default_rng(2)
    xr = rng.uniform(-1, 1, (400, 2)).astype("float32")
    yr = (xr[:, :1] * 2 - xr[:, 1:] + 0.5).astype("float32")
    net = RedeNeural([2, 1])
    net.compile(optimizer=optimizers.Adam(0.05), loss="mse")
    net.fit(xr, yr, epochs=40, verbose=0)
    assert net.evaluate(xr, yr, verbose=0) < 1e-3


def test_fit_progress_bar_and_silence(capsys):
    x, y = blobs(n=64)
    model = small_mlp()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=1, verbose=0)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
    model.fit(x, y, epochs=2, verbose=1, validation_data=(x, y))
    err = capsys.readouterr().err
    assert "Epoch 2/2" in err and "loss:" in err and "val_accuracy:" in err
    model.fit(x, y, epochs=1, verbose=2)
    assert "Epoch 1/1" in capsys.readouterr().out


def test_custom_loop_with_two_optimizers_matches_manual_updates():
    x, y = blobs(n=32)
    model = Sequential([layers.Input((8,)), layers.Dense(6, activation="relu"),
                        layers.Dense(5, activation="relu"), layers.Dense(3, activation="softmax")])
    loss_fn = losses.SparseCategoricalCrossentropy()
    lower, upper = optimizers.SGD(0.1, momentum=0.9, nesterov=True), optimizers.Nadam(1e-2)
    before = model.get_weights()
    y_pred = model(x, training=True)
    assert isinstance(y_pred, np.ndarray) and y_pred.shape == (32, 3)
    loss = loss_fn(y, y_pred)
    assert isinstance(loss, float)
    grad_x = model.backward(loss_fn.gradient(y, y_pred))
    assert grad_x.shape == x.shape
    grads = model.gradients
    assert [g.shape for g in grads] == [w.shape for w in model.trainable_weights]
    k = 2
    lower.apply_gradients(zip(grads[:k], model.trainable_weights[:k]))
    upper.apply_gradients(zip(grads[k:], model.trainable_weights[k:]))
    after = model.get_weights()
    # Nesterov SGD from zero momentum moves w by −lr·g·(1 + μ); the upper weights moved too.
    np.testing.assert_allclose(after[0], before[0] - 0.1 * grads[0] * 1.9, rtol=1e-5, atol=1e-7)
    assert all(not np.array_equal(a, b) for a, b in zip(after[k:], before[k:]) if np.abs(a).sum())


def test_whole_model_gradient_check_float64():
    rng = np.random.default_rng(3)
    f64 = {"dtype": "float64"}
    model = Sequential([layers.Input((5, 5, 2)), layers.Conv2D(3, 3, padding="same", activation="tanh", **f64),
                        layers.BatchNormalization(**f64), layers.MaxPooling2D(2, **f64), layers.Flatten(**f64),
                        layers.Dense(4, activation="relu", kernel_regularizer=regularizers.l2(0.01), **f64),
                        layers.Dense(3, activation="softmax", **f64)])
    assert model.dtype == "float64"
    x = rng.standard_normal((4, 5, 5, 2))
    y = rng.integers(0, 3, 4)
    loss_fn = losses.SparseCategoricalCrossentropy()

    def total_loss():
        return loss_fn(y, model(x, training=True)) + sum(model.losses)

    y_pred = model(x, training=True)
    grad_x = model.backward(loss_fn.gradient(y, y_pred))
    assert relative_error(grad_x, numerical_gradient(total_loss, x)) < 1e-6
    for weight, grad in zip(model.trainable_weights, model.gradients):
        assert relative_error(grad, numerical_gradient(total_loss, weight)) < 1e-6


def float64_model():
    return Sequential([layers.Input((4,)), layers.Dense(5, activation="tanh", dtype="float64"),
                       layers.Dense(3, activation="softmax", dtype="float64")])


def test_fused_softmax_cross_entropy_gradient_equals_unfused():
    rng = np.random.default_rng(4)
    x, y = rng.standard_normal((6, 4)), rng.integers(0, 3, 6)
    model = float64_model()
    model.compile(optimizer=optimizers.SGD(0.0), loss="sparse_categorical_crossentropy")
    assert takes_logits(model.loss, model.forward(Tensor4D.from_natural(x)))
    model.train_on_batch(x, y)
    fused = [g.copy() for g in model.gradients]
    loss_fn = losses.SparseCategoricalCrossentropy()
    model.backward(loss_fn.gradient(y, model(x, training=True)))
    for a, b in zip(fused, model.gradients):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


def test_saturated_softmax_trains_without_nan():
    model = float64_model()
    model.compile(optimizer=optimizers.SGD(0.1), loss="sparse_categorical_crossentropy")
    model.build_for((4,))
    model.layers[1].kernel[...] = 1e3  # softmax outputs exactly 0 and 1
    x = np.ones((2, 4))
    loss = model.train_on_batch(x, np.array([0, 2]))
    assert np.isfinite(loss) and all(np.isfinite(w).all() for w in model.get_weights())


def test_nested_sequential_trainable_flag_and_weight_order():
    lower = Sequential([layers.Dense(6, activation="relu"), layers.Dense(4, activation="relu")], name="lower")
    model = Sequential([layers.Input((8,)), lower, layers.Dense(3, activation="softmax")])
    assert [w.shape for w in model.get_weights()] == [(8, 6), (6,), (6, 4), (4,), (4, 3), (3,)]
    assert len(model.trainable_weights) == 6
    lower.trainable = False
    assert len(model.trainable_weights) == 2 and not lower.layers[0].trainable
    frozen = lower.get_weights()
    x, y = blobs(n=64)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(x, y, epochs=2, verbose=0)
    for a, b in zip(frozen, lower.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert model.get_layer("lower") is lower and model.get_layer(index=1).units == 3


def test_built_model_first_builds_the_outer_sequential():
    """As in Keras, a first layer that is a built model gives the outer model its input shape."""
    lower = Sequential([layers.Input((28, 28)), layers.Flatten(), layers.Dense(100, activation="relu")])
    model = Sequential([lower, Sequential([layers.Dense(10, activation="softmax")])])
    assert model.built and model.input_shape == (28, 28) and model.output_shape == (10,)
    assert model.count_params() == 78_500 + 1_010
    assert model.predict(np.zeros((2, 28, 28), "float32")).shape == (2, 10)


def test_set_weights_round_trip_and_summary(capsys):
    model = Sequential([
        layers.Input((28, 28, 1)),
        layers.Conv2D(32, 3, activation="relu"), layers.BatchNormalization(),
        layers.Conv2D(64, 3, activation="relu"), layers.BatchNormalization(),
        layers.MaxPooling2D(2), layers.Flatten(),
        layers.Dense(128, activation="relu"), layers.BatchNormalization(),
        layers.Dense(10, activation="softmax"),
    ])
    # Parameter counts as Keras reports them for this model.
    assert [layer.count_params() for layer in model.layers] == [320, 128, 18496, 256, 0, 0, 1179776, 512, 1290]
    model.summary()
    out = capsys.readouterr().out
    assert "(None, 26, 26, 32)" in out and "(None, 9216)" in out and "Total params: 1,200,778" in out
    assert "Non-trainable params: 448" in out
    other = Sequential([layers.Input((28, 28, 1))] + [type(l).from_config(l.get_config()) for l in model.layers])
    other.set_weights(model.get_weights())
    x = np.random.default_rng(5).random((3, 28, 28, 1)).astype("float32")
    np.testing.assert_array_equal(model.predict(x), other.predict(x))


def test_rede_neural_builds_the_java_mlp():
    net = RedeNeural([784, 128, 64, 10], activation="relu", output_activation="softmax")
    assert [layer.units for layer in net.layers] == [128, 64, 10]
    assert net.layers[-1].activation.name == "softmax" and net.layers[0].activation.name == "relu"
    assert net.count_params() == 784 * 128 + 128 + 128 * 64 + 64 + 64 * 10 + 10
    with pytest.raises(ValueError, match="layer_sizes"):
        RedeNeural([784])


def test_callbacks_see_every_epoch_and_can_stop():
    class StopAfterTwo(callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.seen = []

        def on_epoch_end(self, epoch, logs=None):
            self.seen.append((epoch, sorted(logs)))
            if epoch == 1:
                self.model.stop_training = True

    x, y = blobs(n=64)
    model = small_mlp()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    stopper = StopAfterTwo()
    history = model.fit(x, y, epochs=10, verbose=0, callbacks=[stopper])
    assert stopper.seen == [(0, ["accuracy", "loss"]), (1, ["accuracy", "loss"])]
    assert history.epoch == [0, 1] and model.history is history


# ---------------------------------------------------------------- bad input
@pytest.fixture
def compiled():
    model = small_mlp()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def test_fit_before_compile():
    with pytest.raises(RuntimeError, match="compile"):
        small_mlp().fit(*blobs(n=8))


@pytest.mark.parametrize("x,match", [
    (np.zeros((4, 7), "float32"), r"expects input of shape \(None, 8\).*\(4, 7\)"),
    (np.zeros((4, 2, 8), "float32"), r"expects input of shape"),
    (np.zeros((0, 8), "float32"), "empty"),
    (np.full((4, 8), np.nan, "float32"), "NaN"),
    (np.zeros(4), "shape"),
])
def test_bad_inputs_are_named(compiled, x, match):
    with pytest.raises(ValueError, match=match):
        compiled.fit(x, np.zeros(len(x), int), verbose=0)


def test_bad_dtypes_and_lengths(compiled):
    with pytest.raises(TypeError, match="real numbers"):
        compiled.fit(np.array([["a"] * 8] * 2), np.zeros(2), verbose=0)
    with pytest.raises(ValueError, match="same number of samples"):
        compiled.fit(np.zeros((4, 8)), np.zeros(3), verbose=0)


def test_labels_out_of_range(compiled):
    with pytest.raises(ValueError, match="3"):
        compiled.fit(np.zeros((4, 8)), np.array([0, 1, 2, 3]), verbose=0)


@pytest.mark.parametrize("kwargs,match", [
    ({"batch_size": 0}, "batch_size"), ({"epochs": -1}, "epochs"), ({"verbose": 3}, "verbose"),
    ({"validation_split": 1.5}, "validation_split"),
])
def test_bad_fit_arguments(compiled, kwargs, match):
    with pytest.raises(ValueError, match=match):
        compiled.fit(*blobs(n=8), **kwargs)


def test_unknown_names():
    model = small_mlp()
    with pytest.raises(ValueError, match="Unknown.*adamm|adamm"):
        model.compile(optimizer="adamm", loss="mse")
    with pytest.raises(ValueError, match="msee"):
        model.compile(optimizer="adam", loss="msee")
    with pytest.raises(ValueError, match="relux"):
        layers.Dense(3, activation="relux")


def test_model_call_accepts_tensor4d_and_arrays():
    model = small_mlp()
    x = np.ones((2, 8), "float32")
    out = model(Tensor4D.from_natural(x))
    assert isinstance(out, Tensor4D) and out.shape == (2, 1, 1, 3)
    np.testing.assert_array_equal(np.asarray(out).reshape(2, 3), model(x))


def test_keras_model_parity_forward_and_training():
    tf = import_tensorflow()
    keras = tf.keras
    rng = np.random.default_rng(6)
    x = rng.random((16, 6, 6, 1)).astype("float32")
    y = rng.integers(0, 3, 16)
    keras.utils.set_random_seed(0)
    # The convolution has no bias: before a BatchNormalization its true gradient is 0, and Adam
    # would amplify the rounding noise of both frameworks into different steps.
    theirs = keras.Sequential([keras.Input((6, 6, 1)), keras.layers.Conv2D(2, 3, activation="relu", use_bias=False),
                               keras.layers.BatchNormalization(), keras.layers.MaxPooling2D(2),
                               keras.layers.Flatten(), keras.layers.Dense(3, activation="softmax")])
    ours = Sequential([layers.Input((6, 6, 1)), layers.Conv2D(2, 3, activation="relu", use_bias=False),
                       layers.BatchNormalization(), layers.MaxPooling2D(2), layers.Flatten(),
                       layers.Dense(3, activation="softmax")])
    ours.set_weights(theirs.get_weights())
    what = "Small CNN (Conv2D no bias, BatchNormalization, MaxPooling2D, Dense softmax), Adam, 5 steps"
    assert_parity(f"{what}: predictions before training", "float32", ours.predict(x), theirs.predict(x, verbose=0),
                  rtol=0.0, atol=FLOAT32_ATOL)
    theirs.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
    ours.compile(optimizer=optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
    for step in range(5):
        batch = slice(step * 8 % 16, step * 8 % 16 + 8)
        their_loss = float(theirs.train_on_batch(x[batch], y[batch]))
        our_loss = ours.train_on_batch(x[batch], y[batch])
        assert_parity(f"{what}: loss at every step", "float32", our_loss, their_loss, MULTISTEP_FLOAT32_RTOL)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        assert_parity(f"{what}: weights after training", "float32", a, b, rtol=0.0, atol=WEIGHTS_ATOL)


def test_fit_checks_the_targets_once_not_per_batch(monkeypatch):
    calls = []
    check = losses.MeanSquaredError.check_targets

    def counted(self, y_true, shape):
        calls.append(shape)
        return check(self, y_true, shape)

    monkeypatch.setattr(losses.MeanSquaredError, "check_targets", counted)
    rng = np.random.default_rng(0)
    x, y = rng.random((64, 3), dtype=np.float32), rng.random((64, 2), dtype=np.float32)
    model = Sequential([layers.Input((3,)), layers.Dense(2)])
    model.compile("sgd", "mse")
    model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    assert calls == [(64, 2)]  # once for all 16 steps
    model.train_step(x[:8], y[:8])  # a batch given directly is checked
    assert calls[-1] == (8, 2)
    with pytest.raises(ValueError, match="y_true"):
        model.train_step(x[:8], y[:8, :1].repeat(3, axis=1))
