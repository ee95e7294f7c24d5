"""The training API as a Keras user writes it: fit / evaluate / predict and the *_on_batch methods with
sample_weight, class_weight, weighted_metrics and the step arguments, every callback hook, LambdaCallback,
ProgbarLogger and BackupAndRestore. With TensorFlow, the same calls on the same weights and data in
Keras 3 give the same losses, weights, weighted metrics and hook sequence."""

from __future__ import annotations

import numpy as np
import pytest

import redes
from helpers import assert_parity, import_tensorflow
from redes import Sequential, callbacks, layers, losses, optimizers
from tolerances import MULTISTEP_FLOAT32_RTOL, WEIGHTS_ATOL

HOOKS = ["on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end", "on_train_batch_begin",
         "on_train_batch_end", "on_test_begin", "on_test_end", "on_test_batch_begin", "on_test_batch_end",
         "on_predict_begin", "on_predict_end", "on_predict_batch_begin", "on_predict_batch_end"]


def data(count=40, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((count, 4)).astype("float32")
    y = (x[:, 0] + x[:, 1] > 0).astype("int64") + (x[:, 2] > 1)
    weights = rng.uniform(0.2, 2.0, count).astype("float32")
    return x, y, weights


def pair(tf, metrics=None, weighted_metrics=None):
    """A Keras model and a redes twin with Keras' initial weights, both compiled with SGD(0.1)."""
    keras = tf.keras
    keras.utils.set_random_seed(0)
    theirs = keras.Sequential([keras.Input((4,)), keras.layers.Dense(5, activation="tanh"),
                               keras.layers.Dense(3, activation="softmax")])
    ours = Sequential([layers.Input((4,)), layers.Dense(5, activation="tanh"), layers.Dense(3, activation="softmax")])
    ours.set_weights(theirs.get_weights())
    compile_args = {"loss": "sparse_categorical_crossentropy", "metrics": metrics, "weighted_metrics": weighted_metrics}
    theirs.compile(keras.optimizers.SGD(0.1), **compile_args)
    ours.compile(optimizers.SGD(0.1), **compile_args)
    return ours, theirs


def small_model(loss="sparse_categorical_crossentropy", **compile_args):
    model = Sequential([layers.Input((4,)), layers.Dense(3, activation="softmax")])
    model.compile(optimizers.SGD(0.1), loss, **compile_args)
    return model


class Recorder(callbacks.Callback):
    """Records the name of every hook called, and checks that logs are always a dict."""

    def __init__(self):
        super().__init__()
        self.calls = []
        for name in HOOKS:
            setattr(self, name, self._recorder(name))

    def _recorder(self, name):
        def hook(*args):
            assert isinstance(args[-1], dict), f"{name} got logs={args[-1]!r}"
            self.calls.append(name)
        return hook


def keras_recorder(keras):
    calls = []
    return calls, keras.callbacks.LambdaCallback(**{name: (lambda *args, name=name, **kwargs: calls.append(name))
                                                    for name in HOOKS})


# ------------------------------------------------------------------ sample and class weights, TF parity
@pytest.mark.parametrize("weighting", ["sample_weight", "class_weight"])
def test_weighted_fit_matches_keras(weighting):
    tf = import_tensorflow()
    x, y, weights = data()
    given = {"sample_weight": weights} if weighting == "sample_weight" else {"class_weight": {0: 0.5, 2: 3.0}}
    ours, theirs = pair(tf)
    what = f"fit with {weighting}"
    mine = ours.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0, **given).history["loss"]
    keras_history = theirs.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0, **given).history["loss"]
    assert_parity(f"{what}: loss per epoch", "float32", mine, keras_history, MULTISTEP_FLOAT32_RTOL)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        assert_parity(f"{what}: weights after 10 steps", "float32", a, b, MULTISTEP_FLOAT32_RTOL, atol=WEIGHTS_ATOL)


def test_train_on_batch_with_weights_matches_keras_and_differs_from_unweighted():
    tf = import_tensorflow()
    x, y, weights = data(16)
    ours, theirs = pair(tf)
    for _ in range(3):
        mine = ours.train_on_batch(x, y, sample_weight=weights)
        keras_loss = float(theirs.train_on_batch(x, y, sample_weight=weights))
        assert_parity("train_on_batch with sample_weight: loss", "float32", mine, keras_loss, MULTISTEP_FLOAT32_RTOL)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        assert_parity("train_on_batch with sample_weight: weights", "float32", a, b, MULTISTEP_FLOAT32_RTOL, atol=WEIGHTS_ATOL)
    assert ours.test_on_batch(x, y, sample_weight=weights) != ours.test_on_batch(x, y)


def test_weighted_metrics_and_weighted_evaluate_match_keras():
    tf = import_tensorflow()
    x, y, weights = data()
    ours, theirs = pair(tf, metrics=["accuracy"], weighted_metrics=["accuracy", "mae"])
    y_hot = np.eye(3, dtype="float32")[y]  # mae on the probabilities against one-hot targets
    ours.compile(optimizers.SGD(0.1), "categorical_crossentropy", metrics=["accuracy"],
                 weighted_metrics=["accuracy", "mae"])
    theirs.compile(tf.keras.optimizers.SGD(0.1), "categorical_crossentropy", metrics=["accuracy"],
                   weighted_metrics=["accuracy", "mae"])
    mine = ours.fit(x, y_hot, batch_size=8, epochs=2, shuffle=False, verbose=0, sample_weight=weights,
                    validation_data=(x[:24], y_hot[:24], weights[:24])).history
    keras_history = theirs.fit(x, y_hot, batch_size=8, epochs=2, shuffle=False, verbose=0, sample_weight=weights,
                               validation_data=(x[:24], y_hot[:24], weights[:24])).history
    assert sorted(mine) == sorted(keras_history)
    assert "weighted_accuracy" in mine and mine["weighted_accuracy"] != mine["accuracy"]
    for key in keras_history:
        assert_parity(f"fit with weighted_metrics: {key}", "float32", mine[key], keras_history[key],
                      MULTISTEP_FLOAT32_RTOL)
    for given in ({}, {"sample_weight": weights}):
        mine = ours.evaluate(x, y_hot, batch_size=16, verbose=0, return_dict=True, **given)
        keras_logs = theirs.evaluate(x, y_hot, batch_size=16, verbose=0, return_dict=True, **given)
        for key in keras_logs:
            assert_parity(f"evaluate {list(given)}: {key}", "float32", mine[key], keras_logs[key],
                          MULTISTEP_FLOAT32_RTOL)


def test_hook_sequence_matches_keras():
    tf = import_tensorflow()
    x, y, _ = data(20)
    ours, theirs = pair(tf)
    recorder = Recorder()
    keras_calls, keras_callback = keras_recorder(tf.keras)
    for model, callback in ((ours, recorder), (theirs, keras_callback)):
        model.fit(x, y, batch_size=8, epochs=2, validation_data=(x[:10], y[:10]), validation_batch_size=4,
                  validation_freq=[2], verbose=0, callbacks=[callback])
        model.evaluate(x, y, batch_size=8, verbose=0, callbacks=[callback])
        model.predict(x, batch_size=16, verbose=0, callbacks=[callback])
    assert recorder.calls == keras_calls
    assert recorder.calls.count("on_test_batch_end") == 3 + 3  # one validation of 3 batches, one evaluate of 3


# --------------------------------------------------------------------------- weights without TF
def test_sample_weight_scales_loss_and_gradient_as_sum_over_batch_size():
    x, y, weights = data(8)
    model = small_model()
    plain = model.test_on_batch(x, y)
    ones = model.test_on_batch(x, y, sample_weight=np.ones(8))
    doubled = model.test_on_batch(x, y, sample_weight=np.full(8, 2.0))
    assert ones == pytest.approx(plain, rel=1e-6) and doubled == pytest.approx(2 * plain, rel=1e-6)
    per_sample = np.array([model.test_on_batch(x[i:i + 1], y[i:i + 1]) for i in range(8)])
    assert model.test_on_batch(x, y, sample_weight=weights) == pytest.approx((per_sample * weights).sum() / 8,
                                                                              rel=1e-5)
    # the gradient: one SGD step with weights w equals a step on the per-sample losses scaled by w
    twin = small_model()
    twin.set_weights(model.get_weights())
    model.train_on_batch(x, y, sample_weight=np.where(np.arange(8) < 4, 2.0, 0.0))
    twin.train_on_batch(x[:4], y[:4])  # 2·Σ₄ loss / 8 = Σ₄ loss / 4
    for a, b in zip(model.get_weights(), twin.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)


def test_sample_weight_on_a_masked_sequence_counts_unmasked_steps():
    x = np.array([[1, 2, 0], [3, 0, 0]])
    y = np.array([[1, 0, 0], [1, 0, 0]])
    model = Sequential([layers.Input((3,)), layers.Embedding(4, 2, mask_zero=True),
                        layers.LSTM(3, return_sequences=True), layers.Dense(2, activation="softmax")])
    model.compile("sgd", "sparse_categorical_crossentropy", weighted_metrics=["accuracy"])
    weights = np.array([1.0, 3.0])
    steps = model.predict(x)
    per_step = -np.log(np.take_along_axis(steps, y[..., None], -1)[..., 0])
    expected = (per_step[0, 0] * 1 + per_step[0, 1] * 1 + per_step[1, 0] * 3) / 3  # Σ w·v over the unmasked / 3
    logs = model.test_on_batch(x, y, sample_weight=weights, return_dict=True)
    assert logs["loss"] == pytest.approx(expected, rel=1e-5)


def test_class_weight_becomes_sample_weights_as_keras():
    from redes.models._validation import class_weight_to_sample_weights
    np.testing.assert_array_equal(class_weight_to_sample_weights(np.array([0, 2, 1]), {2: 4.0}, (3,)), [1, 4, 1])
    np.testing.assert_array_equal(class_weight_to_sample_weights(np.eye(3)[[1, 0]], {1: 0.5}, (3,)), [0.5, 1])
    np.testing.assert_array_equal(class_weight_to_sample_weights(np.array([[1.0], [0.0]]), {1: 2}, (1,)), [2, 1])
    x, y, _ = data(8)
    model, twin = small_model(), small_model()
    twin.set_weights(model.get_weights())
    by_class = model.train_on_batch(x, y, class_weight={0: 5.0})
    by_sample = twin.train_on_batch(x, y, sample_weight=np.where(y == 0, 5.0, 1.0))
    assert by_class == by_sample
    for a, b in zip(model.get_weights(), twin.get_weights()):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("call, error, match", [
    (lambda m, x, y: m.fit(x, y, sample_weight=np.ones(7), verbose=0), ValueError,
     r"`sample_weight` must hold one weight per sample: 8. Received shape \(7,\)"),
    (lambda m, x, y: m.fit(x, y, sample_weight=np.ones((8, 2)), verbose=0), ValueError,
     r"`sample_weight` must have shape \(8,\).*Received shape \(8, 2\)"),
    (lambda m, x, y: m.evaluate(x, y, sample_weight=["a"] * 8, verbose=0), TypeError, "`sample_weight` must hold"),
    (lambda m, x, y: m.fit(x, y, class_weight={"0": 1.0}, verbose=0), TypeError,
     "`class_weight` keys must be integer class indices. Received the key '0'"),
    (lambda m, x, y: m.fit(x, y, class_weight={3: 1.0}, verbose=0), ValueError,
     r"in \[0, 3\).*Received the key 3"),
    (lambda m, x, y: m.fit(x, y, class_weight={1: "big"}, verbose=0), TypeError, "`class_weight` values"),
    (lambda m, x, y: m.fit(x, y, class_weight=[1.0, 2.0], verbose=0), TypeError, "`class_weight` must be a dict"),
    (lambda m, x, y: m.fit(x, y, class_weight={0: 1.0}, sample_weight=np.ones(8), verbose=0), ValueError,
     "cannot both"),
    (lambda m, x, y: m.fit(x, y, validation_data=(x, y), validation_freq=0, verbose=0), ValueError,
     "`validation_freq` must be"),
    (lambda m, x, y: m.fit(x, y, validation_freq="2", verbose=0), TypeError, "validation_freq='2'"),
    (lambda m, x, y: m.fit(x, y, steps_per_epoch=0, verbose=0), ValueError, "steps_per_epoch"),
    (lambda m, x, y: m.fit(x, y, validation_data=(x, y, np.ones(3)), verbose=0), ValueError,
     "`sample_weight_val` must hold one weight per sample"),
    (lambda m, x, y: m.evaluate(x, y, steps=-1, verbose=0), ValueError, "steps"),
    (lambda m, x, y: m.compile("sgd", "mse", jit_compile="yes"), ValueError, "jit_compile"),
    (lambda m, x, y: m.compile("sgd", "mse", weighted_metrics="mae"), TypeError, "`weighted_metrics` must be a list"),
])
def test_bad_arguments_name_themselves(call, error, match):
    x, y, _ = data(8)
    with pytest.raises(error, match=match):
        call(small_model(), x, y)


def test_rmse_loss_refuses_sample_weights():
    x, y, weights = data(8)
    model = small_model(loss="rmse")
    with pytest.raises(ValueError, match="root_mean_squared_error has none"):
        model.fit(x, np.eye(3)[y], sample_weight=weights, verbose=0)


# ----------------------------------------------------------------------------- the loops' arguments
def test_steps_validation_freq_and_batch_methods():
    x, y, _ = data(40)
    model = small_model(metrics=["accuracy"])
    with pytest.warns(UserWarning, match="ran out after 4 batches"):  # Keras warns too
        history = model.fit(x, y, batch_size=10, epochs=4, steps_per_epoch=3, validation_data=(x, y),
                            validation_freq=2, validation_steps=1, validation_batch_size=5, verbose=0)
    assert model.optimizer.iterations == 3 + 1 + 3 + 1  # epochs 2 and 4 end the pass of 4 batches (Keras)
    assert "val_loss" in history.history and len(history.history["val_loss"]) == 2
    assert len(model.predict(x, batch_size=16, steps=2)) == 32
    assert isinstance(model.evaluate(x, y, steps=2, verbose=0), list)
    assert set(model.test_on_batch(x, y, return_dict=True)) == {"loss", "accuracy"}
    np.testing.assert_array_equal(model.predict_on_batch(x[:5]), model.predict(x[:5]))
    loss, accuracy = model.train_on_batch(x, y)
    assert isinstance(loss, float) and 0 <= accuracy <= 1
    model.compile("sgd", "sparse_categorical_crossentropy", run_eagerly=True, steps_per_execution=4,
                  jit_compile=False, auto_scale_loss=False)
    assert model.steps_per_execution == 4 and not model.jit_compile


def test_stop_training_ends_fit_after_the_batch():
    x, y, _ = data(40)
    model = small_model()
    stopper = callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: setattr(
        model, "stop_training", batch == 1))
    history = model.fit(x, y, batch_size=8, epochs=5, verbose=0, callbacks=[stopper])
    assert model.optimizer.iterations == 2 and history.epoch == [0]


def test_lambda_callback_and_params():
    x, y, _ = data(20)
    model = small_model()
    seen = []
    record = callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append((epoch, sorted(logs))),
                                      on_train_begin=lambda logs: seen.append(dict(record.params)),
                                      on_test_end=lambda logs: seen.append("test"))
    model.fit(x, y, batch_size=8, epochs=2, validation_split=0.5, verbose=0, callbacks=[record])
    assert seen == [{"verbose": 0, "epochs": 2, "steps": 2}, "test", (0, ["loss", "val_loss"]), "test",
                    (1, ["loss", "val_loss"])]
    with pytest.raises(TypeError, match="on_epoch_ends"):
        callbacks.LambdaCallback(on_epoch_ends=print)


def test_progbar_logger_shows_verbose_2_lines(capsys):
    x, y, _ = data(16)
    small_model().fit(x, y, batch_size=8, epochs=2, verbose=2)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(" - ")[0] for line in lines] == ["Epoch 1/2", "Epoch 2/2"] and "loss: " in lines[0]
    assert callbacks.ProgbarLogger().params == {}


# ---------------------------------------------------------------------------------- BackupAndRestore
class FailAt(callbacks.Callback):
    def __init__(self, epoch, batch):
        super().__init__()
        self.at, self.epoch = (epoch, batch), None

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if (self.epoch, batch) == self.at:
            raise RuntimeError("simulated crash")


def backup_run(tmp_path, crash: bool):
    redes.utils.set_random_seed(7)
    x, y, _ = data(40)
    model = Sequential([layers.Input((4,)), layers.Dense(6, activation="relu"), layers.Dropout(0.3),
                        layers.Dense(3, activation="softmax")])
    model.compile(optimizers.Adam(1e-2), "sparse_categorical_crossentropy")
    backup = callbacks.BackupAndRestore(tmp_path / "backup")
    if crash:
        with pytest.raises(RuntimeError, match="simulated crash"):
            model.fit(x, y, batch_size=8, epochs=5, verbose=0, callbacks=[backup, FailAt(2, 3)])
        assert (tmp_path / "backup" / "latest.redes").exists() and model.epochs_completed == 2
        redes.utils.set_random_seed(123)  # a fresh process: the generators are restored from the backup
        model.set_weights([np.zeros_like(w) for w in model.get_weights()])
    history = model.fit(x, y, batch_size=8, epochs=5, verbose=0, callbacks=[backup])
    assert not (tmp_path / "backup").exists()  # deleted after a normal end
    return model, history


def test_backup_and_restore_resumes_exactly(tmp_path):
    uninterrupted, full = backup_run(tmp_path / "a", crash=False)
    resumed, rest = backup_run(tmp_path / "b", crash=True)
    assert rest.epoch == [2, 3, 4] and full.epoch == [0, 1, 2, 3, 4]
    np.testing.assert_array_equal(rest.history["loss"], full.history["loss"][2:])
    for a, b in zip(uninterrupted.get_weights(), resumed.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert resumed.optimizer.iterations == uninterrupted.optimizer.iterations == 25


def test_backup_and_restore_arguments(tmp_path):
    with pytest.raises(ValueError, match="backup_dir"):
        callbacks.BackupAndRestore("")
    with pytest.raises(ValueError, match="save_freq"):
        callbacks.BackupAndRestore(tmp_path, save_freq="batch")
    x, y, _ = data(16)
    model = small_model()
    backup = callbacks.BackupAndRestore(tmp_path / "b", save_freq=1, double_checkpoint=True, delete_checkpoint=False)
    model.fit(x, y, batch_size=8, epochs=1, verbose=0, callbacks=[backup])
    assert (tmp_path / "b" / "latest.redes").exists() and (tmp_path / "b" / "latest.redes.bkp").exists()


def test_loss_sample_weight_direct():
    loss = losses.MeanSquaredError()
    value, grad = loss.value_and_gradient(np.zeros((2, 2)), np.ones((2, 2)), sample_weight=np.array([1.0, 0.0]))
    assert value == 0.5
    np.testing.assert_array_equal(grad, [[0.5, 0.5], [0.0, 0.0]])
