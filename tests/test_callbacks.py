"""Callbacks: decisions against Keras 3 on synthetic logs, and behaviour inside a real ``fit``."""

import itertools
import math
import os

import numpy as np
import pytest

from helpers import import_tensorflow
from redes import Sequential, callbacks, layers, load_model, optimizers, set_random_seed


class FakeOptimizer:
    def __init__(self, learning_rate: float) -> None:
        self.learning_rate = learning_rate


class FakeModel:
    """What a callback touches: weights that name the epoch, an optimizer, save calls, stop_training."""

    def __init__(self, learning_rate: float = 0.1) -> None:
        self.metrics = []
        self.stop_training = False
        self.optimizer = FakeOptimizer(learning_rate)
        self.weights = [np.array(-1.0)]
        self.saved: list[tuple[str, str]] = []

    def get_weights(self):
        return [w.copy() for w in self.weights]

    def set_weights(self, weights):
        self.weights = [np.array(w) for w in weights]

    def save(self, path, **kwargs):
        self.saved.append(("model", path))

    def save_weights(self, path, **kwargs):
        self.saved.append(("weights", path))


def drive(callback, values, key="val_loss", learning_rate=0.1):
    """Run ``callback`` over epochs whose logs hold ``values`` under ``key``, as fit calls it.

    Returns (model, epochs run, logs of each epoch).
    """
    model = FakeModel(learning_rate)
    callback.set_model(model)
    callback.on_train_begin()
    all_logs = []
    for epoch, value in enumerate(values):
        model.weights = [np.array(float(epoch))]
        callback.on_epoch_begin(epoch)
        logs = {"loss": 1.0, key: value}
        callback.on_epoch_end(epoch, logs)
        all_logs.append(logs)
        if model.stop_training:
            break
    callback.on_train_end(all_logs[-1] if all_logs else None)
    return model, len(all_logs), all_logs


def value_sequences(count=12, length=10, seed=0):
    """Noisy decreasing sequences rounded to 2 decimals, so that ties and plateaus happen."""
    rng = np.random.default_rng(seed)
    sequences = [[1.0, 0.9, 0.8, 0.8, 0.85, 0.7, 0.71, 0.72, 0.73, 0.74],
                 [0.5] * length, [0.3, 0.4, 0.5, 0.6, 0.2, 0.1, 0.1, 0.1, 0.1, 0.1]]
    for _ in range(count):
        steps = rng.normal(-0.03, 0.06, size=length)
        sequences.append([round(float(v), 2) for v in 1.0 + np.cumsum(steps)])
    return sequences


@pytest.fixture(scope="module")
def keras_callbacks():
    return import_tensorflow().keras.callbacks


# ----------------------------------------------------------------------- EarlyStopping
EARLY_STOPPING_CASES = [
    dict(patience=p, min_delta=d, baseline=b, start_from_epoch=s, mode=m, restore_best_weights=True)
    for p, d, b, s, m in itertools.product((0, 1, 3), (0.0, 0.05), (None, 0.75), (0, 2), ("min", "max", "auto"))
]


@pytest.mark.parametrize("kwargs", EARLY_STOPPING_CASES, ids=lambda k: "-".join(f"{v}" for v in k.values()))
def test_early_stopping_decisions_match_keras(keras_callbacks, kwargs):
    for values in value_sequences():
        ours_model, ours_epochs, _ = drive(callbacks.EarlyStopping(**kwargs), values)
        theirs = keras_callbacks.EarlyStopping(**kwargs)
        keras_model, keras_epochs, _ = drive(theirs, values)
        assert ours_epochs == keras_epochs, values
        assert ours_model.weights[0] == keras_model.weights[0], values   # the restored epoch


def test_early_stopping_state_matches_keras(keras_callbacks):
    kwargs = dict(monitor="val_accuracy", mode="max", patience=2, min_delta=0.01)
    values = [0.5, 0.6, 0.605, 0.61, 0.62, 0.62, 0.63]
    ours, theirs = callbacks.EarlyStopping(**kwargs), keras_callbacks.EarlyStopping(**kwargs)
    _, ours_epochs, _ = drive(ours, values, key="val_accuracy")
    _, keras_epochs, _ = drive(theirs, values, key="val_accuracy")
    assert ours_epochs == keras_epochs == 4
    assert (ours.stopped_epoch, ours.best, ours.wait) == (theirs.stopped_epoch, theirs.best, theirs.wait)


def test_early_stopping_missing_monitor_warns():
    with pytest.warns(UserWarning, match="val_loss.*not available"):
        _, epochs, _ = drive(callbacks.EarlyStopping(), [0.5, 0.4, 0.3], key="loss_only")
    assert epochs == 3


def make_classifier(features=6, classes=3):
    return Sequential([layers.Input((features,)), layers.Dense(32, activation="relu"),
                       layers.Dense(classes, activation="softmax")])


class WeightRecorder(callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.weights = []

    def on_epoch_end(self, epoch, logs=None):
        self.weights.append(self.model.get_weights())


def test_early_stopping_restores_best_weights_exactly_in_fit():
    set_random_seed(3)
    rng = np.random.default_rng(3)
    x = rng.normal(size=(48, 6)).astype("float32")
    y = rng.integers(0, 3, size=48)          # random labels: validation loss gets worse as it memorises
    model = make_classifier()
    model.compile(optimizer=optimizers.Adam(0.05), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    recorder = WeightRecorder()
    stop = callbacks.EarlyStopping(patience=3, restore_best_weights=True)
    history = model.fit(x, y, batch_size=16, epochs=40, validation_split=0.5, verbose=0,
                        callbacks=[recorder, stop])
    val_loss = history.history["val_loss"]
    best = int(np.argmin(val_loss))
    assert len(val_loss) < 40 and best == len(val_loss) - 4     # stopped after `patience` bad epochs
    assert stop.best_epoch == best and stop.best == val_loss[best]
    for restored, expected in zip(model.get_weights(), recorder.weights[best]):
        np.testing.assert_array_equal(restored, expected)
    assert not np.array_equal(recorder.weights[-1][0], recorder.weights[best][0])


# --------------------------------------------------------------------- ReduceLROnPlateau
@pytest.mark.parametrize("kwargs", [
    dict(), dict(patience=0), dict(patience=1, factor=0.5), dict(patience=1, cooldown=2, factor=0.5),
    dict(patience=2, min_delta=0.05, min_lr=0.02), dict(patience=0, mode="max", factor=0.3, min_lr=1e-3),
    dict(patience=1, cooldown=1, min_delta=0.0, factor=0.2),
])
def test_reduce_lr_on_plateau_matches_keras(keras_callbacks, kwargs):
    for values in value_sequences():
        _, _, ours = drive(callbacks.ReduceLROnPlateau(**kwargs), values)
        keras_model, _, theirs = drive(keras_callbacks.ReduceLROnPlateau(**kwargs), values)
        assert [logs["learning_rate"] for logs in ours] == [logs["learning_rate"] for logs in theirs], values


def test_reduce_lr_on_plateau_sequence():
    _, _, logs = drive(callbacks.ReduceLROnPlateau(patience=1, factor=0.5, min_lr=0.03),
                       [1.0, 1.0, 1.0, 1.0, 1.0, 1.0])
    assert [entry["learning_rate"] for entry in logs] == [0.1, 0.1, 0.05, 0.03, 0.03, 0.03]


def test_reduce_lr_on_plateau_in_fit_records_learning_rate():
    set_random_seed(0)
    x = np.random.default_rng(0).normal(size=(32, 6)).astype("float32")
    y = (x[:, 0] > 0).astype("int64")
    model = make_classifier(classes=2)
    model.compile(optimizer=optimizers.SGD(0.1), loss="sparse_categorical_crossentropy")
    reduce = callbacks.ReduceLROnPlateau(monitor="loss", patience=0, factor=0.5, min_delta=10.0)
    history = model.fit(x, y, batch_size=32, epochs=4, verbose=0, callbacks=[reduce])
    # min_delta=10 makes every epoch after the first a plateau: the rate halves each epoch.
    assert history.history["learning_rate"] == [0.1, 0.1, 0.05, 0.025]
    assert model.optimizer.learning_rate == 0.0125


# ------------------------------------------------------------------ LearningRateScheduler
def test_learning_rate_scheduler_matches_keras(keras_callbacks):
    def schedule(epoch, lr):
        return lr if epoch < 3 else lr * 0.5

    _, _, ours = drive(callbacks.LearningRateScheduler(schedule), [1.0] * 6)
    _, _, theirs = drive(keras_callbacks.LearningRateScheduler(schedule), [1.0] * 6)
    assert [logs["learning_rate"] for logs in ours] == [logs["learning_rate"] for logs in theirs]
    assert [logs["learning_rate"] for logs in ours] == [0.1, 0.1, 0.1, 0.05, 0.025, 0.0125]


def test_learning_rate_scheduler_one_argument_schedule_and_bad_output():
    _, _, logs = drive(callbacks.LearningRateScheduler(lambda epoch: 0.01 * (epoch + 1)), [1.0] * 3)
    assert [entry["learning_rate"] for entry in logs] == [0.01, 0.02, 0.03]
    with pytest.raises(ValueError, match="should be a float"):
        drive(callbacks.LearningRateScheduler(lambda epoch, lr: 1), [1.0])


def test_learning_rate_scheduler_drives_the_optimizer_in_fit():
    x = np.random.default_rng(1).normal(size=(16, 6)).astype("float32")
    y = np.arange(16) % 3
    model = make_classifier()
    model.compile(optimizer=optimizers.SGD(0.5), loss="sparse_categorical_crossentropy")
    before = model.get_weights()
    scheduler = callbacks.LearningRateScheduler(lambda epoch, lr: 0.0)
    history = model.fit(x, y, epochs=3, verbose=0, callbacks=[scheduler])
    assert history.history["learning_rate"] == [0.0, 0.0, 0.0]
    for after, start in zip(model.get_weights(), before):        # a zero rate leaves the weights alone
        np.testing.assert_array_equal(after, start)


def test_learning_rate_callbacks_need_an_optimizer():
    model = FakeModel()
    model.optimizer = None
    scheduler = callbacks.LearningRateScheduler(lambda epoch, lr: lr)
    scheduler.set_model(model)
    with pytest.raises(RuntimeError, match="compiled model"):
        scheduler.on_epoch_begin(0)


# ------------------------------------------------------------------------ ModelCheckpoint
@pytest.mark.parametrize("kwargs", [
    dict(), dict(save_best_only=True), dict(save_best_only=True, mode="max"),
    dict(save_best_only=True, initial_value_threshold=0.8), dict(save_weights_only=True),
])
def test_model_checkpoint_saves_like_keras(keras_callbacks, tmp_path, kwargs):
    suffix = ".weights.h5" if kwargs.get("save_weights_only") else ".keras"
    filepath = str(tmp_path / ("ckpt-{epoch:02d}-{val_loss:.2f}" + suffix))
    for values in value_sequences(count=4):
        ours_model, _, _ = drive(callbacks.ModelCheckpoint(filepath, **kwargs), values)
        keras_model, _, _ = drive(keras_callbacks.ModelCheckpoint(filepath, **kwargs), values)
        assert ours_model.saved == keras_model.saved


def test_model_checkpoint_formats_the_path_and_creates_directories(tmp_path):
    filepath = tmp_path / "run" / "{epoch:02d}-{val_loss:.2f}.redes"
    model, _, _ = drive(callbacks.ModelCheckpoint(filepath, save_best_only=True), [0.5, 0.7, 0.25])
    assert model.saved == [("model", str(tmp_path / "run" / "01-0.50.redes")),
                           ("model", str(tmp_path / "run" / "03-0.25.redes"))]
    assert (tmp_path / "run").is_dir()


def test_model_checkpoint_save_freq_and_bad_key(tmp_path):
    checkpoint = callbacks.ModelCheckpoint(tmp_path / "e{epoch}-b{batch}.redes", save_freq=2,
                                           save_weights_only=True)
    model = FakeModel()
    checkpoint.set_model(model)
    checkpoint.on_epoch_begin(0)
    for batch in range(5):
        checkpoint.on_train_batch_end(batch, {"loss": 1.0})
    assert [path for _, path in model.saved] == [str(tmp_path / "e1-b2.redes"), str(tmp_path / "e1-b4.redes")]
    with pytest.raises(KeyError, match="val_acc"):
        drive(callbacks.ModelCheckpoint(tmp_path / "{val_acc:.2f}.redes"), [0.5])


def test_model_checkpoint_with_a_real_model(tmp_path):
    set_random_seed(5)
    rng = np.random.default_rng(5)
    x = rng.normal(size=(40, 6)).astype("float32")
    y = rng.integers(0, 3, size=40)
    model = make_classifier()
    model.compile(optimizer=optimizers.Adam(0.05), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    recorder = WeightRecorder()
    every = callbacks.ModelCheckpoint(tmp_path / "all" / "model-{epoch:02d}.redes", monitor="loss")
    best = callbacks.ModelCheckpoint(tmp_path / "best.redes", save_best_only=True)
    weights = callbacks.ModelCheckpoint(tmp_path / "best.weights.redes", save_best_only=True, save_weights_only=True)
    history = model.fit(x, y, batch_size=10, epochs=6, validation_split=0.5, verbose=0,
                        callbacks=[recorder, every, best, weights])
    assert sorted(os.listdir(tmp_path / "all")) == [f"model-{e:02d}.redes" for e in range(1, 7)]
    best_epoch = int(np.argmin(history.history["val_loss"]))
    restored = load_model(tmp_path / "best.redes")
    fresh = make_classifier()
    fresh.load_weights(tmp_path / "best.weights.redes")
    for expected, from_model, from_weights in zip(recorder.weights[best_epoch], restored.get_weights(),
                                                  fresh.get_weights()):
        np.testing.assert_array_equal(from_model, expected)
        np.testing.assert_array_equal(from_weights, expected)


# ------------------------------------------------------------------------------ CSVLogger
def csv_bytes(callback_class, path, epochs_logs, **kwargs):
    logger = callback_class(str(path), **kwargs)
    logger.set_model(FakeModel())
    logger.on_train_begin()
    for epoch, logs in enumerate(epochs_logs):
        logger.on_epoch_end(epoch, dict(logs))
    logger.on_train_end()
    return path.read_bytes()


@pytest.mark.parametrize("logs", [
    [{"loss": 0.5, "accuracy": 0.25, "val_loss": 0.75, "val_accuracy": 0.125},
     {"loss": 0.1234567891234, "accuracy": 1 / 3, "val_loss": 0.7, "val_accuracy": 0.2}],
    [{"loss": 0.5, "accuracy": 0.25}, {"loss": 0.4, "accuracy": 0.5}],
    [{"loss": 0.5, "vector": np.array([1.0, 2.0])}],
])
@pytest.mark.parametrize("separator", [",", ";"])
def test_csv_logger_writes_the_bytes_keras_writes(keras_callbacks, tmp_path, logs, separator):
    ours = csv_bytes(callbacks.CSVLogger, tmp_path / "ours.csv", logs, separator=separator)
    theirs = csv_bytes(keras_callbacks.CSVLogger, tmp_path / "keras.csv", logs, separator=separator)
    assert ours == theirs


def test_csv_logger_contents_in_fit_and_append(tmp_path):
    x = np.random.default_rng(4).normal(size=(20, 6)).astype("float32")
    y = np.arange(20) % 3
    model = make_classifier()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    path = tmp_path / "log.csv"
    history = model.fit(x, y, epochs=2, verbose=0, validation_split=0.25, callbacks=[callbacks.CSVLogger(path)])
    model.fit(x, y, epochs=1, verbose=0, validation_split=0.25, callbacks=[callbacks.CSVLogger(path, append=True)])
    lines = path.read_text().splitlines()
    assert lines[0] == "epoch,accuracy,loss,val_accuracy,val_loss"
    assert len(lines) == 4
    first = lines[1].split(",")
    assert first[0] == "0"
    assert float(first[2]) == history.history["loss"][0]
    assert float(first[4]) == history.history["val_loss"][0]


# ------------------------------------------------------------------------- TerminateOnNaN
@pytest.mark.parametrize("loss", [math.nan, math.inf, -math.inf])
def test_terminate_on_nan_sets_stop_training(loss, capsys):
    model = FakeModel()
    callback = callbacks.TerminateOnNaN()
    callback.set_model(model)
    callback.on_train_batch_end(0, {"loss": 1.0})
    assert not model.stop_training
    callback.on_train_batch_end(1, {"loss": loss})
    assert model.stop_training
    assert "Batch 1: Invalid loss, terminating training" in capsys.readouterr().out


class CorruptLoss(callbacks.Callback):
    """Sets a batch's logged loss to NaN (fit itself already stops on a non-finite loss it computes)."""

    def __init__(self, batch):
        super().__init__()
        self.batch, self.batches_seen = batch, 0

    def on_train_batch_end(self, batch, logs=None):
        self.batches_seen += 1
        if batch == self.batch:
            logs["loss"] = math.nan


def test_terminate_on_nan_stops_fit_within_the_epoch():
    x = np.random.default_rng(6).normal(size=(16, 6)).astype("float32")
    y = np.arange(16) % 3
    model = make_classifier()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    corrupt = CorruptLoss(batch=1)
    history = model.fit(x, y, batch_size=4, epochs=5, verbose=0, callbacks=[corrupt, callbacks.TerminateOnNaN()])
    assert corrupt.batches_seen == 2 and len(history.history["loss"]) == 1
    with pytest.raises(RuntimeError, match="NaN or Inf loss encountered at batch 1"):
        model.fit(x, y, batch_size=4, epochs=5, verbose=0,
                  callbacks=[CorruptLoss(batch=1), callbacks.TerminateOnNaN(raise_error=True)])


# --------------------------------------------------------------------- monitor, arguments
@pytest.mark.parametrize("monitor, maximize", [
    ("val_loss", False), ("loss", False), ("val_accuracy", True), ("acc", True),
    ("mean_squared_error", False), ("val_mae", False),
])
def test_auto_mode_direction(monitor, maximize):
    callback = callbacks.EarlyStopping(monitor=monitor)
    callback.set_model(FakeModel())
    assert callback._direction() is maximize


def test_auto_mode_uses_the_model_metrics_and_rejects_unknown_names():
    model = make_classifier()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    callback = callbacks.EarlyStopping(monitor="val_accuracy")
    callback.set_model(model)
    assert callback._direction() is True
    unknown = callbacks.EarlyStopping(monitor="val_score")
    with pytest.raises(ValueError, match="mode='max'"):
        drive(unknown, [0.5], key="val_score")


@pytest.mark.parametrize("factory, name, error", [
    (lambda: callbacks.EarlyStopping(patience=-1), "patience", ValueError),
    (lambda: callbacks.EarlyStopping(patience=1.5), "patience", TypeError),
    (lambda: callbacks.EarlyStopping(mode="up"), "mode", ValueError),
    (lambda: callbacks.EarlyStopping(monitor=3), "monitor", TypeError),
    (lambda: callbacks.EarlyStopping(monitor=""), "monitor", ValueError),
    (lambda: callbacks.EarlyStopping(mode=1), "mode", TypeError),
    (lambda: callbacks.EarlyStopping(min_delta="a"), "min_delta", TypeError),
    (lambda: callbacks.EarlyStopping(baseline=math.nan), "baseline", ValueError),
    (lambda: callbacks.EarlyStopping(restore_best_weights=1), "restore_best_weights", TypeError),
    (lambda: callbacks.EarlyStopping(start_from_epoch=-2), "start_from_epoch", ValueError),
    (lambda: callbacks.ReduceLROnPlateau(factor=1.0), "factor", ValueError),
    (lambda: callbacks.ReduceLROnPlateau(factor=-0.5), "factor", ValueError),
    (lambda: callbacks.ReduceLROnPlateau(min_lr=-1), "min_lr", ValueError),
    (lambda: callbacks.ReduceLROnPlateau(cooldown=-1), "cooldown", ValueError),
    (lambda: callbacks.LearningRateScheduler(0.1), "schedule", TypeError),
    (lambda: callbacks.ModelCheckpoint(None), "filepath", TypeError),
    (lambda: callbacks.ModelCheckpoint("m.redes", save_freq=0), "save_freq", ValueError),
    (lambda: callbacks.ModelCheckpoint("m.redes", save_best_only="yes"), "save_best_only", TypeError),
    (lambda: callbacks.ModelCheckpoint("m.redes", save_freq="batch"), "save_freq", ValueError),
    (lambda: callbacks.ModelCheckpoint("m.redes", save_freq=1.5), "save_freq", TypeError),
    (lambda: callbacks.ModelCheckpoint("m.redes", verbose="1"), "verbose", TypeError),
    (lambda: callbacks.CSVLogger(""), "filename", ValueError),
    (lambda: callbacks.CSVLogger(3), "filename", TypeError),
    (lambda: callbacks.CSVLogger("log.csv", separator=",,"), "separator", ValueError),
    (lambda: callbacks.CSVLogger("log.csv", separator=0), "separator", TypeError),
    (lambda: callbacks.CSVLogger("log.csv", append="no"), "append", TypeError),
    (lambda: callbacks.TerminateOnNaN(raise_error=None), "raise_error", TypeError),
])
def test_bad_arguments(factory, name, error):
    with pytest.raises(error, match=f"`{name}`"):
        factory()


def test_logs_are_read_once_per_batch_for_every_callback_that_takes_them(monkeypatch):
    """History keeps per-batch logs (the learning curves of short runs), so they are read once per batch
    (3 µs against a step's hundreds), and only once however many callbacks take them."""
    from redes.models.objectives import Objectives
    reads = []
    logs = Objectives.logs
    monkeypatch.setattr(Objectives, "logs", lambda self: (reads.append(1), logs(self))[1])
    rng = np.random.default_rng(0)
    x, y = rng.random((64, 3), dtype=np.float32), rng.integers(0, 2, 64)
    model = Sequential([layers.Input((3,)), layers.Dense(2, activation="softmax")])
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    assert len(reads) == 16 + 2  # once per step (History), once per epoch

    class PerBatch(callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.seen = []

        def on_train_batch_end(self, batch, logs=None):
            self.seen.append(sorted(logs))

    reads.clear()
    per_batch = PerBatch()
    model.fit(x, y, batch_size=8, epochs=1, verbose=0, callbacks=[per_batch])
    assert per_batch.seen == [["accuracy", "loss"]] * 8 and len(reads) == 9  # the same logs for both callbacks
