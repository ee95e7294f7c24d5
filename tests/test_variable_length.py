"""Inputs of variable length: ``Input(shape=(None, ...))``, batches of different lengths between calls."""

from __future__ import annotations

import numpy as np
import pytest

import redes
from redes import Model, Sequential, layers
from redes.layers.base import same_shape


def batch(steps, features=3, count=16, seed=0):
    return np.random.default_rng(seed + steps).standard_normal((count, steps, features)).astype("float32")


def test_a_recurrent_model_built_on_none_takes_any_length():
    model = Sequential([layers.Input((None, 3)), layers.LSTM(4, return_sequences=True), layers.GRU(5),
                        layers.Dense(2, activation="softmax")])
    lines = []
    model.summary(print_fn=lines.append)
    assert any("(None, None, 4)" in line for line in lines) and model.input_shape == (None, 3)
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    labels = np.random.default_rng(1).integers(0, 2, 16)
    for steps in (4, 9, 1):
        history = model.fit(batch(steps), labels, batch_size=8, verbose=0)
        assert np.isfinite(history.history["loss"][0])
        assert model.predict(batch(steps)).shape == (16, 2)


def test_per_step_outputs_follow_the_length_of_each_batch():
    model = Sequential([layers.Input((None, 3)), layers.SimpleRNN(4, return_sequences=True),
                        layers.Dense(3, activation="softmax")])
    assert model.output_shape == (None, 3)
    model.compile("sgd", "sparse_categorical_crossentropy")
    for steps in (5, 7):
        labels = np.random.default_rng(steps).integers(0, 3, (16, steps))  # one label per step
        model.fit(batch(steps), labels, batch_size=8, verbose=0)
        assert model.predict(batch(steps)).shape == (16, steps, 3)
        y = model(batch(steps)[:2])
        assert y.shape == (2, steps, 3) and model.backward(np.ones_like(y)).shape == (2, steps, 3)


def test_embedding_and_convolutions_on_sequences_of_any_length():
    model = Sequential([layers.Input((None,)), layers.Embedding(50, 8), layers.Conv1D(4, 3, padding="same"),
                        layers.MaxPooling1D(), layers.Conv1D(4, 2), layers.GlobalMaxPooling1D(), layers.Dense(2)])
    assert [layer.output_shape for layer in model.layers[:4]] == [(None, 8), (None, 4), (None, 4), (None, 4)]
    model.compile("adam", "mse")
    rng = np.random.default_rng(0)
    for steps in (6, 11):
        model.fit(rng.integers(0, 50, (8, steps)), rng.standard_normal((8, 2)), verbose=0)
    with pytest.raises(ValueError, match="does not fit in an axis of length 1 with padding='valid'"):
        model.predict(rng.integers(0, 50, (2, 2)))  # after pooling, 1 step: too short for the window of 2


def test_functional_model_on_none_saves_and_loads(tmp_path):
    inputs = layers.Input((None, 3))
    outputs = layers.Dense(2)(layers.LSTM(3, return_sequences=True)(inputs))
    model = Model(inputs, outputs)
    assert model.output_shape == (None, 2)
    model.save(tmp_path / "variable.redes")
    loaded = redes.load_model(tmp_path / "variable.redes")
    for steps in (2, 8):
        np.testing.assert_array_equal(loaded.predict(batch(steps)), model.predict(batch(steps)))


def test_a_weight_that_would_depend_on_a_variable_length_is_a_clear_error():
    with pytest.raises(ValueError, match="weight's shape must be known.*None"):
        Sequential([layers.Input((None, 3)), layers.Flatten(), layers.Dense(2)])
    with pytest.raises(ValueError, match="use -1"):
        Sequential([layers.Input((None, 3)), layers.Reshape((6,))])
    assert Sequential([layers.Input((None, 3)), layers.Reshape((-1,))]).output_shape == (None,)


@pytest.mark.parametrize("shape", [(0,), (None, 0), ("3",), (2.5,), (True,)])
def test_input_takes_positive_lengths_or_none(shape):
    with pytest.raises(ValueError, match="positive integers or None"):
        layers.Input(shape)


def test_same_shape_treats_none_as_any_length():
    assert same_shape((None, 3), (7, 3)) and same_shape((5, 3), (None, 3)) and same_shape((3,), (1, 3))
    assert not same_shape((None, 3), (7, 4)) and not same_shape((None, 3), (2, 7, 3))


# ------------------------------------------------------------------ masks
def padded_tokens():
    tokens = np.array([[3, 5, 0, 0], [7, 1, 2, 0], [4, 4, 4, 4]])
    return tokens, tokens != 0


def test_embedding_mask_flows_through_step_layers_and_stops_where_keras_stops_it():
    tokens, expected = padded_tokens()
    inputs = layers.Input((4,))
    embedded = layers.Embedding(10, 3, mask_zero=True)(inputs)
    sequence = layers.LSTM(2, return_sequences=True)(layers.Dropout(0.1)(layers.Dense(3)(embedded)))
    model = Model(inputs, [sequence, layers.Conv1D(2, 1)(sequence), layers.GRU(2)(sequence)])
    outputs = model.forward(redes.Tensor4D.from_natural(tokens.astype("float32")))
    np.testing.assert_array_equal(outputs[0].mask, expected)  # Embedding → Dense → Dropout → LSTM: kept
    assert outputs[1].mask is None and outputs[2].mask is None  # Conv1D does not support masks; GRU returns one step


def test_a_masked_step_keeps_the_state_and_repeats_the_output():
    tokens, _ = padded_tokens()
    model = Sequential([layers.Input((4,)), layers.Embedding(10, 3, mask_zero=True),
                        layers.SimpleRNN(2, return_sequences=True)])
    y = model.predict(tokens)
    np.testing.assert_array_equal(y[0, 2], y[0, 1])
    np.testing.assert_array_equal(y[0, 3], y[0, 1])
    last = Sequential([layers.Input((4,)), layers.Embedding(10, 3, mask_zero=True), layers.SimpleRNN(2)])
    last.set_weights(model.get_weights())
    np.testing.assert_array_equal(last.predict(tokens), y[:, -1])


def test_a_loss_on_a_masked_sequence_counts_the_unmasked_steps_only():
    tokens, mask = padded_tokens()
    model = Sequential([layers.Input((4,)), layers.Embedding(10, 3, mask_zero=True),
                        layers.LSTM(4, return_sequences=True), layers.Dense(3, activation="softmax")])
    model.compile("sgd", "sparse_categorical_crossentropy")
    labels = np.array([[0, 1, 2, 2], [1, 1, 0, 0], [2, 0, 1, 0]])
    p = model.predict(tokens)
    per_step = -np.log(np.take_along_axis(p, labels[..., None], -1))[..., 0]
    assert model.evaluate(tokens, labels, verbose=0) == pytest.approx(per_step[mask].mean(), rel=1e-6)
    labels[~mask] = (labels[~mask] + 1) % 3  # what the padded steps are labelled changes nothing
    assert model.evaluate(tokens, labels, verbose=0) == pytest.approx(per_step[mask].mean(), rel=1e-6)


def test_masking_layer_and_fully_masked_rows():
    x = np.zeros((2, 3, 2), "float32")
    x[0, 0] = 1.0
    model = Sequential([layers.Input((3, 2)), layers.Masking(), layers.GlobalAveragePooling1D()])
    np.testing.assert_array_equal(model.predict(x), [[1.0, 1.0], [0.0, 0.0]])  # a row all padding gives 0, not NaN
    assert layers.Masking.from_config(layers.Masking(-1.0).get_config()).mask_value == -1.0


def test_merge_layers_combine_the_masks_of_their_inputs():
    tokens = np.array([[3, 5, 0, 0], [7, 0, 2, 1]])
    other = np.array([[3, 5, 1, 0], [7, 1, 2, 1]])
    first, second = layers.Input((4,)), layers.Input((4,))
    a = layers.Embedding(10, 3, mask_zero=True)(first)
    b = layers.Embedding(10, 3, mask_zero=True)(second)
    model = Model([first, second], [layers.Add()([a, b]), layers.Concatenate()([a, b])])
    added, joined = model.forward([redes.Tensor4D.from_natural(t.astype("float32")) for t in (tokens, other)])
    expected = (tokens != 0) | (other != 0)  # Keras' merge layers: a step is kept where some input keeps it
    np.testing.assert_array_equal(added.mask, expected)
    np.testing.assert_array_equal(joined.mask, expected)
    unmasked = Model([first, second], layers.Add()([a, layers.Conv1D(3, 1)(b)]))  # Conv1D drops b's mask
    assert unmasked.forward([redes.Tensor4D.from_natural(t.astype("float32")) for t in (tokens, other)]).mask is None
