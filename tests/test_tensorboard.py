"""The TensorBoard callback: event files TensorBoard reads back, with Keras 3's directories, tags and steps."""

from __future__ import annotations

import os

import numpy as np
import pytest

from helpers import import_tensorflow
from redes import Sequential, callbacks, layers, optimizers

try:  # TensorBoard's own reader, and tensorboardX for the callback: both in the test extra
    import tensorboardX
    from tensorboard.backend.event_processing import event_accumulator
except ImportError:
    if os.environ.get("CI"):
        raise
    pytest.skip("tensorboard and tensorboardX are not installed: pip install -e '.[test]'", allow_module_level=True)
assert tensorboardX.__version__  # the callback's writer

EPOCHS, SAMPLES, BATCH = 3, 40, 16  # 3 batches per epoch


def data():
    rng = np.random.default_rng(0)
    return rng.standard_normal((SAMPLES, 4)).astype("float32"), rng.integers(0, 3, SAMPLES)


def read(directory):
    """TensorBoard's own reader on one run's folder: {tag: [(step, value)]} of scalars, and the accumulator."""
    accumulator = event_accumulator.EventAccumulator(str(directory), size_guidance={"scalars": 0, "histograms": 0,
                                                                                      "tensors": 0, "images": 0})
    accumulator.Reload()
    scalars = {tag: [(event.step, event.value) for event in accumulator.Scalars(tag)]
               for tag in accumulator.Tags()["scalars"]}
    return scalars, accumulator


def train(log_dir, **kwargs):
    model = Sequential([layers.Input((4,)), layers.Dense(5, activation="relu", name="hidden"),
                        layers.Dense(3, activation="softmax", name="out")], name="mlp")
    model.compile(optimizer=optimizers.Adam(0.01), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x, y = data()
    history = model.fit(x, y, batch_size=BATCH, epochs=EPOCHS, validation_split=0.25, shuffle=False, verbose=0,
                        callbacks=[callbacks.TensorBoard(log_dir, **kwargs)])
    return model, history


def test_epoch_scalars_are_the_history_and_the_learning_rate(tmp_path):
    _, history = train(tmp_path)
    train_scalars, _ = read(tmp_path / "train")
    validation_scalars, _ = read(tmp_path / "validation")
    for name in ("loss", "accuracy"):
        assert [step for step, _ in train_scalars[f"epoch_{name}"]] == list(range(EPOCHS))
        np.testing.assert_allclose([v for _, v in train_scalars[f"epoch_{name}"]], history.history[name], rtol=1e-6)
        np.testing.assert_allclose([v for _, v in validation_scalars[f"epoch_{name}"]], history.history[f"val_{name}"],
                                   rtol=1e-6)
    np.testing.assert_allclose([v for _, v in train_scalars["epoch_learning_rate"]], [0.01] * EPOCHS, rtol=1e-6)
    assert not any(tag.startswith("batch_") for tag in train_scalars)  # update_freq='epoch'


def test_batch_scalars_histograms_images_and_the_summary(tmp_path):
    model, _ = train(tmp_path, update_freq=2, histogram_freq=2, write_images=True, write_steps_per_second=True)
    scalars, accumulator = read(tmp_path / "train")
    batches = EPOCHS * 2  # 30 training samples in batches of 16: 2 batches per epoch
    assert [step for step, _ in scalars["batch_loss"]] == list(range(2, batches + 1, 2))
    assert len(scalars["batch_steps_per_second"]) == batches and len(scalars["epoch_steps_per_second"]) == EPOCHS
    tags = accumulator.Tags()
    assert set(tags["histograms"]) == {"mlp/hidden/kernel/histogram", "mlp/hidden/bias/histogram",
                                       "mlp/out/kernel/histogram", "mlp/out/bias/histogram"}
    kernel = accumulator.Histograms("mlp/out/kernel/histogram")
    assert [event.step for event in kernel] == [0, 2]  # every second epoch
    final = model.get_layer("out").get_weights()[0]
    assert kernel[-1].histogram_value.num == final.size
    np.testing.assert_allclose([kernel[-1].histogram_value.min, kernel[-1].histogram_value.max],
                               [final.min(), final.max()], rtol=1e-6)
    assert "mlp/hidden/kernel/image" in tags["images"]
    assert "model_summary/text_summary" in tags["tensors"]


def test_scalar_tags_match_keras(tmp_path):
    tf = import_tensorflow()
    keras = tf.keras
    x, y = data()
    keras_model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(5, activation="relu", name="hidden"),
                                    keras.layers.Dense(3, activation="softmax", name="out")], name="mlp")
    keras_model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
                        metrics=["accuracy"])
    keras_model.fit(x, y, batch_size=BATCH, epochs=EPOCHS, validation_split=0.25, shuffle=False, verbose=0,
                    callbacks=[keras.callbacks.TensorBoard(str(tmp_path / "keras"), update_freq="batch",
                                                           histogram_freq=1)])
    train(tmp_path / "redes", update_freq="batch", histogram_freq=1)
    for split in ("train", "validation"):
        _, keras_events = read(tmp_path / "keras" / split)
        keras_tags = set(keras_events.Tags()["tensors"]) - {"keras"}  # Keras' model graph (redes writes its summary as text instead)
        scalars, ours = read(tmp_path / "redes" / split)
        our_tags = set(scalars) | set(ours.Tags()["histograms"])
        assert our_tags == keras_tags, split


def test_bad_arguments():
    with pytest.raises(ValueError, match="update_freq"):
        callbacks.TensorBoard(update_freq=0)
    with pytest.raises(TypeError, match="update_freq"):
        callbacks.TensorBoard(update_freq="sometimes")
    with pytest.raises(ValueError, match="profile_batch"):
        callbacks.TensorBoard(profile_batch=2)
    with pytest.raises(TypeError, match="histogram_freq"):
        callbacks.TensorBoard(histogram_freq=1.5)
