"""SimpleRNN, LSTM and GRU beyond the contract test: dropout, stateful layers, models of sequences, errors.

TensorFlow parity is in tests/parity/test_recurrent_layers.py; float64 gradients without dropout in the
contract test (tests/test_layer_contract.py).
"""

from __future__ import annotations

import numpy as np
import pytest

import redes
from helpers import check_layer_gradients
from redes import Sequential, Tensor4D, datasets, layers, optimizers

CLASSES = [layers.SimpleRNN, layers.LSTM, layers.GRU]


def sequences(batch=3, steps=6, features=4, seed=0, dtype="float64"):
    return np.random.default_rng(seed).standard_normal((batch, steps, features)).astype(dtype)


@pytest.mark.parametrize("cls", CLASSES)
def test_gradients_with_dropout_and_recurrent_dropout(cls):
    layer = cls(5, dropout=0.3, recurrent_dropout=0.4, return_sequences=True, dtype="float64")
    x = sequences()
    layer.build_for(x.shape[1:])
    # the masks come from the global generator: re-seeded before each forward, every pass draws the same ones
    errors = check_layer_gradients(layer, x.reshape(3, 1, 6, 4), training=True,
                                   before_forward=lambda: redes.set_random_seed(7))
    assert set(errors) == {"input", "kernel", "recurrent_kernel", "bias"}


@pytest.mark.parametrize("cls", CLASSES)
def test_dropout_only_in_training(cls):
    x = sequences(dtype="float32")
    layer = cls(5, dropout=0.5, recurrent_dropout=0.5, seed=1)
    plain = cls(5)
    plain.build_for(x.shape[1:])
    layer.build_for(x.shape[1:])
    layer.set_weights(plain.get_weights())
    np.testing.assert_array_equal(layer(x), plain(x))  # inference: no dropout
    assert not np.allclose(layer(x, training=True), plain(x))


@pytest.mark.parametrize("cls", CLASSES)
def test_stateful_layer_continues_the_sequence_across_batches(cls):
    x = sequences(steps=8)
    whole = cls(4, return_sequences=True, dtype="float64")
    stateful = cls(4, return_sequences=True, stateful=True, dtype="float64")
    whole.build_for((8, 4))
    stateful.build_for((4, 4))
    stateful.set_weights(whole.get_weights())
    expected = whole(x)
    np.testing.assert_allclose(np.concatenate([stateful(x[:, :4]), stateful(x[:, 4:])], axis=1), expected,
                               rtol=1e-12, atol=1e-14)
    stateful.reset_states()
    np.testing.assert_allclose(stateful(x[:, :4]), expected[:, :4], rtol=1e-12, atol=1e-14)
    with pytest.raises(ValueError, match="batches of 3.*reset_states"):
        stateful(x[:2, :4])


def test_stateful_state_is_saved_in_the_layer_not_the_config():
    layer = layers.LSTM(2, stateful=True)
    layer(sequences(dtype="float32"))
    assert [s.shape for s in layer.states] == [(3, 2), (3, 2)]
    clone = layers.LSTM.from_config(layer.get_config())
    assert clone.stateful and clone.states is None


@pytest.mark.parametrize("cls", CLASSES)
def test_rejects_inputs_that_are_not_sequences(cls):
    with pytest.raises(ValueError, match=r"sequences of shape \(batch, steps, features\)"):
        cls(3)(np.ones((2, 5), dtype="float32"))


@pytest.mark.parametrize("reset_after", [True, False])
def test_gru_reset_after_or_before_with_masks_and_dropout_gradients(reset_after):
    layer = layers.GRU(4, reset_after=reset_after, recurrent_dropout=0.3, return_sequences=True, dtype="float64")
    x = sequences()
    layer.build_for(x.shape[1:])
    assert layer.bias.shape == ((2, 12) if reset_after else (12,))
    check_layer_gradients(layer, x.reshape(3, 1, 6, 4), training=True, before_forward=lambda: redes.set_random_seed(3))


@pytest.mark.parametrize("cls", [layers.LSTM, layers.GRU])
def test_mnist_rows_classifier_learns_saves_and_loads(cls, tmp_path):
    (x, y), _ = datasets.load_mnist()
    x, y = (x[:2000] / 255).astype("float32"), y[:2000]
    redes.set_random_seed(0)
    model = Sequential([layers.Input((28, 28)), cls(32), layers.Dense(10, activation="softmax")])
    model.compile(optimizers.Adam(1e-2), "sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x[:1500], y[:1500], batch_size=64, epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert model.evaluate(x[1500:], y[1500:], verbose=0)[1] > 0.6  # chance is 0.1; measured 0.79 (LSTM) and 0.75 (GRU)
    lines = []
    model.summary(print_fn=lines.append)
    assert any("(None, 32)" in line and cls.__name__ in line for line in lines)
    model.save(tmp_path / "rows.redes")
    np.testing.assert_array_equal(redes.load_model(tmp_path / "rows.redes").predict(x[:50]), model.predict(x[:50]))


def test_stacked_lstm_in_a_functional_model_with_sequence_outputs():
    inputs = layers.Input((6, 4))
    hidden = layers.LSTM(5, return_sequences=True)(inputs)
    outputs = layers.Dense(2)(layers.GRU(3)(hidden))
    model = redes.Model(inputs, outputs)
    assert hidden.shape == (6, 5) and model.output_shape == (2,)
    x = sequences(dtype="float32")
    y = model.predict(x)
    grad = model.backward(np.ones_like(y))
    assert grad.shape == x.shape and np.isfinite(grad).all()
    assert isinstance(model.forward(Tensor4D.from_natural(x)), Tensor4D)


def test_encoder_decoder_with_return_state_and_initial_state_trains_saves_and_loads(tmp_path):
    encoder_inputs, decoder_inputs = layers.Input((5, 3)), layers.Input((4, 2))
    _, h, c = layers.LSTM(6, return_state=True, name="encoder")(encoder_inputs)
    decoded = layers.LSTM(6, return_sequences=True)(decoder_inputs, initial_state=[h, c])
    model = redes.Model([encoder_inputs, decoder_inputs], layers.Dense(3, activation="softmax")(decoded))
    lines = []
    model.summary(print_fn=lines.append)
    assert any("encoder[0][1], encoder[0][2]" in line for line in lines)
    assert model.get_layer("encoder").output_shape == [(6,), (6,), (6,)]
    rng = np.random.default_rng(0)
    x = [rng.standard_normal((32, 5, 3)).astype("float32"), rng.standard_normal((32, 4, 2)).astype("float32")]
    y = rng.integers(0, 3, (32, 4))
    model.compile("adam", "sparse_categorical_crossentropy")
    history = model.fit(x, y, batch_size=8, epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    model.save(tmp_path / "seq2seq.redes")
    np.testing.assert_array_equal(redes.load_model(tmp_path / "seq2seq.redes").predict(x), model.predict(x))


def test_initial_state_gradients_reach_the_states():
    layer = layers.GRU(3, dtype="float64")
    x, h0 = sequences(), np.random.default_rng(5).standard_normal((3, 3))
    y = layer([x, h0])
    grad_x, grad_h0 = layer.backward([Tensor4D.from_natural(np.ones_like(y))][0])
    assert grad_x.shape == (3, 1, 6, 4) and grad_h0.shape == (3, 1, 1, 3)
    eps = 1e-6
    shifted = h0.copy()
    shifted[0, 1] += eps
    base = layer([x, h0]).sum()
    moved = layer([x, shifted]).sum()
    assert abs((moved - base) / eps - np.asarray(grad_h0)[0, 0, 0, 1]) < 1e-5


def test_initial_state_of_the_wrong_shape_is_a_clear_error():
    inputs = layers.Input((5, 3))
    with pytest.raises(ValueError, match=r"takes 2 initial state\(s\) of shape \(None, 4\)"):
        layers.LSTM(4)(inputs, initial_state=[layers.Input((4,))])
