"""Data that does not fit in memory: a ``redes.utils.PyDataset`` or a Python generator of batches in fit,
evaluate and predict trains exactly as the same batches of arrays do (identical weights), with any
number of read-ahead workers; errors name the bad batch; worker threads never outlive the call. With
TensorFlow, the same PyDataset in Keras 3 gives the same loss history."""

from __future__ import annotations

import threading
import warnings

import numpy as np
import pytest

from helpers import assert_parity, import_tensorflow
from redes import Model, Sequential, callbacks, layers, optimizers
from redes.utils import PyDataset
from tolerances import MULTISTEP_FLOAT32_RTOL

BATCH = 16


def mnist_like(count=100, seed=0):
    """Images (count, 8, 8, 1) in [0, 1] and labels in [0, 10), like a small MNIST."""
    rng = np.random.default_rng(seed)
    return rng.uniform(0, 1, (count, 8, 8, 1)).astype("float32"), rng.integers(0, 10, count)


class Batches(PyDataset):
    """The BATCH-sized batches of (x, y[, weights]) in order; records the indices it was asked for."""

    def __init__(self, x, y, weights=None, **kwargs):
        super().__init__(**kwargs)
        self.x, self.y, self.weights = x, y, weights
        self.asked: list[int] = []
        self.epochs_ended = 0

    def __len__(self):
        return -(-len(self.x) // BATCH)

    def __getitem__(self, index):
        self.asked.append(index)
        rows = slice(index * BATCH, (index + 1) * BATCH)
        y = [part[rows] for part in self.y] if isinstance(self.y, list) else self.y[rows]
        return (self.x[rows], y) if self.weights is None else (self.x[rows], y, self.weights[rows])

    def on_epoch_end(self):
        self.epochs_ended += 1


def model(seed=0):
    model = Sequential([layers.Input((8, 8, 1)), layers.Conv2D(3, 3, activation="relu"), layers.Flatten(),
                        layers.Dense(10, activation="softmax")])
    model.set_weights([np.random.default_rng(seed).standard_normal(w.shape).astype("float32") * 0.3
                       for w in model.get_weights()])
    model.compile(optimizers.SGD(0.1), "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def assert_same_weights(first, second):
    for a, b in zip(first.get_weights(), second.get_weights()):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("workers", [1, 4])
def test_pydataset_fit_equals_array_fit(workers):
    x, y = mnist_like()
    weights = np.random.default_rng(1).uniform(0.5, 2, len(x)).astype("float32")
    on_arrays, on_dataset = model(), model()
    expected = on_arrays.fit(x, y, sample_weight=weights, batch_size=BATCH, epochs=3, shuffle=False, verbose=0)
    dataset = Batches(x, y, weights, workers=workers, max_queue_size=3)
    history = on_dataset.fit(dataset, epochs=3, shuffle=False, verbose=0)
    assert_same_weights(on_arrays, on_dataset)
    assert history.history == expected.history
    assert dataset.asked == list(range(len(dataset))) * 3 and dataset.epochs_ended == 3


def test_shuffle_draws_a_new_batch_order_per_epoch():
    x, y = mnist_like()
    dataset = Batches(x, y)
    model().fit(dataset, epochs=2, verbose=0)  # shuffle=True, the default, as Keras shuffles a PyDataset
    first, second = dataset.asked[:7], dataset.asked[7:]
    assert sorted(first) == sorted(second) == list(range(7)) and first != second


def test_generator_fit_equals_array_fit_and_steps_continue_across_epochs():
    x, y = mnist_like(96)
    on_arrays, on_generator = model(), model()
    on_arrays.fit(x, y, batch_size=BATCH, epochs=3, steps_per_epoch=2, shuffle=False, verbose=0)
    batches = ((x[k:k + BATCH], y[k:k + BATCH]) for k in range(0, 96, BATCH))
    history = on_generator.fit(batches, epochs=3, steps_per_epoch=2, shuffle=False, verbose=0)
    assert_same_weights(on_arrays, on_generator)
    assert len(history.history["loss"]) == 3 and next(batches, None) is None  # 6 batches drawn: all of them


def test_one_shot_generator_gives_one_epoch_then_stops_with_keras_warning():
    x, y = mnist_like(48)
    steps_seen: list = []
    recorder = callbacks.LambdaCallback(on_train_begin=lambda logs: steps_seen.append(recorder.params["steps"]))
    with pytest.warns(UserWarning, match="ran out of data"):
        history = model().fit(((x[k:k + BATCH], y[k:k + BATCH]) for k in range(0, 48, BATCH)), epochs=5,
                              shuffle=False, verbose=0, callbacks=[recorder])
    assert len(history.history["loss"]) == 1 and steps_seen == [None]


def test_validation_evaluate_and_predict_on_a_pydataset():
    x, y = mnist_like()
    x_val, y_val = mnist_like(40, seed=2)
    on_arrays, on_dataset = model(), model()
    expected = on_arrays.fit(x, y, batch_size=BATCH, epochs=2, shuffle=False, verbose=0,
                             validation_data=(x_val, y_val), validation_batch_size=BATCH)
    history = on_dataset.fit(Batches(x, y), epochs=2, shuffle=False, verbose=0,
                             validation_data=Batches(x_val, y_val, workers=2))
    assert history.history == expected.history
    assert on_dataset.evaluate(Batches(x_val, y_val), return_dict=True, verbose=0) == \
        on_arrays.evaluate(x_val, y_val, batch_size=BATCH, return_dict=True, verbose=0)
    np.testing.assert_array_equal(on_dataset.predict(Batches(x_val, y_val, workers=3)), on_arrays.predict(x_val))
    inputs_only = (x_val[k:k + BATCH] for k in range(0, 40, BATCH))
    np.testing.assert_array_equal(on_dataset.predict(inputs_only), on_arrays.predict(x_val))


def test_class_weight_applies_per_batch_of_a_pydataset():
    x, y = mnist_like()
    class_weight = {0: 3.0, 4: 0.5}
    on_arrays, on_dataset = model(), model()
    on_arrays.fit(x, y, batch_size=BATCH, epochs=1, shuffle=False, verbose=0, class_weight=class_weight)
    on_dataset.fit(Batches(x, y), epochs=1, shuffle=False, verbose=0, class_weight=class_weight)
    assert_same_weights(on_arrays, on_dataset)


def test_multi_output_model_and_padded_sequences():
    rng = np.random.default_rng(3)
    tokens = rng.integers(1, 20, (48, 6))
    tokens[::3, 4:] = 0  # padded: masked by Embedding(mask_zero=True)
    y_class, y_value = rng.integers(0, 3, 48), rng.standard_normal((48, 1)).astype("float32")

    def make():
        inputs = layers.Input((6,))
        hidden = layers.LSTM(4)(layers.Embedding(20, 5, mask_zero=True)(inputs))
        net = Model(inputs, [layers.Dense(3, activation="softmax", name="kind")(hidden),
                             layers.Dense(1, name="value")(hidden)])
        net.set_weights([np.random.default_rng(0).standard_normal(w.shape).astype("float32") * 0.3
                         for w in net.get_weights()])
        net.compile(optimizers.SGD(0.1), ["sparse_categorical_crossentropy", "mse"])
        return net

    on_arrays, on_dataset = make(), make()
    on_arrays.fit(tokens, [y_class, y_value], batch_size=BATCH, epochs=2, shuffle=False, verbose=0)
    on_dataset.fit(Batches(tokens, [y_class, y_value], workers=2), epochs=2, shuffle=False, verbose=0)
    assert_same_weights(on_arrays, on_dataset)


class Failing(Batches):
    def __getitem__(self, index):
        if index == 3:
            raise KeyError(f"no file for batch {index}")
        return super().__getitem__(index)


@pytest.mark.parametrize("workers", [1, 4])
def test_getitem_exception_propagates_and_worker_threads_are_joined(workers):
    x, y = mnist_like()
    threads = threading.active_count()
    with pytest.raises(KeyError, match="no file for batch 3"):
        model().fit(Failing(x, y, workers=workers), epochs=2, shuffle=False, verbose=0)
    assert threading.active_count() == threads
    model().fit(Batches(x, y, workers=workers), epochs=1, steps_per_epoch=2, verbose=0)  # stops mid-pass
    assert threading.active_count() == threads


def test_process_workers_give_the_same_batches():
    x, y = mnist_like(48)
    on_threads, on_processes = model(), model()
    on_threads.fit(Batches(x, y, workers=2), epochs=1, shuffle=False, verbose=0)
    on_processes.fit(Batches(x, y, workers=2, use_multiprocessing=True), epochs=1, shuffle=False, verbose=0)
    assert_same_weights(on_threads, on_processes)


class Wrong(Batches):
    def __getitem__(self, index):
        x, y = super().__getitem__(index)
        return (x[:, :5], y) if index == 2 else (x, y)


def test_bad_batches_raise_errors_naming_the_batch():
    x, y = mnist_like()
    with pytest.raises(ValueError, match=r"Batch 2 of the PyDataset \(Wrong\[2\]\).*expects input of shape"):
        model().fit(Wrong(x, y), epochs=1, shuffle=False, verbose=0)
    with pytest.raises(ValueError, match=r"Batch 1 of the generator.*same number of samples"):
        model().fit(iter([(x[:16], y[:16]), (x[:16], y[:8])]), verbose=0, shuffle=False)
    with pytest.raises(ValueError, match=r"Batch 0 of the generator: `y` is required"):
        model().fit(iter([x[:16]]), verbose=0, shuffle=False)
    with pytest.raises(ValueError, match="generator must yield at least one batch"):
        model().fit(iter([]), verbose=0, shuffle=False)


def test_keras_argument_rules_for_datasets_and_generators():
    x, y = mnist_like(32)
    net = model()
    with pytest.raises(ValueError, match="`batch_size` must be None"):
        net.fit(Batches(x, y), batch_size=16, verbose=0)
    with pytest.raises(ValueError, match="`validation_split` is only supported for tensors or NumPy arrays"):
        net.fit(Batches(x, y), validation_split=0.2, verbose=0)
    with pytest.raises(ValueError, match="`y` should not be passed"):
        net.fit(Batches(x, y), y, verbose=0)
    with pytest.raises(ValueError, match="`class_weight` is not supported for Python generator"):
        net.fit(iter([(x, y)]), class_weight={0: 2.0}, verbose=0, shuffle=False)
    with pytest.warns(UserWarning, match="`shuffle=True` was passed, but will be ignored"):
        net.fit(iter([(x, y)]), verbose=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        net.fit(Batches(x, y), verbose=0)


def test_pydataset_fit_matches_keras():
    tf = import_tensorflow()
    keras = tf.keras
    x, y = mnist_like()

    class KerasBatches(keras.utils.PyDataset):
        def __len__(self):
            return -(-len(x) // BATCH)

        def __getitem__(self, index):
            return x[index * BATCH:(index + 1) * BATCH], y[index * BATCH:(index + 1) * BATCH]

    keras.utils.set_random_seed(0)
    theirs = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(3, 3, activation="relu"),
                               keras.layers.Flatten(), keras.layers.Dense(10, activation="softmax")])
    ours = model()
    ours.set_weights(theirs.get_weights())
    theirs.compile(keras.optimizers.SGD(0.1), "sparse_categorical_crossentropy")
    keras_losses = theirs.fit(KerasBatches(), epochs=3, shuffle=False, verbose=0).history["loss"]
    losses = ours.fit(Batches(x, y, workers=2), epochs=3, shuffle=False, verbose=0).history["loss"]
    assert_parity("fit on a PyDataset: loss history", "float32", losses, keras_losses, MULTISTEP_FLOAT32_RTOL)
