"""The 1-D layers in use: Embedding's index checks, and Embedding → Conv1D → GlobalMaxPooling1D → Dense in fit.

The layer contract (tests/test_layer_contract.py) and the TensorFlow parity tests
(tests/parity/test_sequence_layers.py) cover gradients, configs and numerics; this file covers what
a user of the sequence layers meets: integer sequences through ``fit``, save/load, ``summary()``.
"""

import numpy as np
import pytest

import redes
from redes import Sequential, Tensor4D, layers, optimizers


@pytest.mark.parametrize("bad, shown", [(10, "10"), (-1, "-1"), (2.5, "2.5"), (np.nan, "nan"), (np.inf, "inf")])
def test_embedding_rejects_indices_outside_the_vocabulary(bad, shown):
    layer = layers.Embedding(10, 3, name="words")
    with pytest.raises(ValueError, match=rf"'words'.*\[0, 10\).*input_dim=10.*value {shown}\b"):
        layer(np.array([[1.0, bad, 3.0]]))


def test_embedding_looks_up_rows_and_scatters_gradients():
    layer = layers.Embedding(4, 2, dtype="float64")
    y = layer(np.array([[3, 1, 3]]))
    table = layer.get_weights()[0]
    np.testing.assert_array_equal(y, table[[[3, 1, 3]]])
    dx = layer.backward(Tensor4D.from_natural(np.array([[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]])))
    assert dx.shape == (1, 1, 1, 3) and not dx.data.any()
    np.testing.assert_array_equal(layer.gradients[0], [[0, 0], [3, 4], [0, 0], [6, 8]])


def test_embedding_takes_two_dimensional_index_arrays_and_refuses_more():
    layer = layers.Embedding(5, 3)
    assert layer(np.zeros((2, 4, 6))).shape == (2, 4, 6, 3)
    with pytest.raises(ValueError, match="expects indices of shape"):
        layers.Embedding(5, 3)(Tensor4D(np.zeros((2, 2, 4, 6), "float32")))


def test_embedding_default_initializer_is_keras_uniform():
    config = layers.Embedding(5, 3).get_config()["embeddings_initializer"]
    assert config["class_name"] == "RandomUniform"
    assert (config["config"]["minval"], config["config"]["maxval"]) == (-0.05, 0.05)


def _text_model() -> Sequential:
    return Sequential([layers.Input((20,)), layers.Embedding(30, 8),
                       layers.Conv1D(16, 3, padding="causal", dilation_rate=2, activation="relu"),
                       layers.GlobalMaxPooling1D(), layers.Dense(2, activation="softmax")])


def test_embedding_conv1d_model_trains_saves_loads_and_summarizes(tmp_path):
    """Class 1 when token 7 occurs in the sequence: learnable by a max over the steps."""
    redes.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.integers(8, 30, (256, 20))
    y = rng.integers(0, 2, 256)
    x[y == 1, rng.integers(0, 20, int(y.sum()))] = 7
    model = _text_model()
    model.compile(optimizers.Adam(1e-2), "sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, batch_size=32, epochs=10, verbose=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
    assert history.history["accuracy"][-1] > 0.9
    model.save(tmp_path / "text.redes")
    loaded = redes.load_model(tmp_path / "text.redes")
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    for shape in ["(None, 20, 8)", "(None, 20, 16)", "(None, 16)", "(None, 2)"]:
        assert shape in text, text
    assert "(Embedding)" in text and "(Conv1D)" in text and "global_max_pooling1d" in text
