"""Bidirectional and TimeDistributed: construction checks, weights, trainable, and what the contract test does not
cover (the contract test, tests/test_layer_contract.py, checks gradients, configs, saving and sharing)."""

from __future__ import annotations

import numpy as np
import pytest

import redes
from helpers import check_layer_gradients
from redes import Sequential, Tensor4D, layers


def test_bidirectional_makes_two_fresh_copies_with_flipped_go_backwards():
    template = layers.LSTM(3, return_sequences=True, name="encoder")
    wrapper = layers.Bidirectional(template)
    forward, backward = wrapper.layers
    assert (forward.name, backward.name) == ("forward_encoder", "backward_encoder")
    assert (forward.go_backwards, backward.go_backwards) == (False, True)
    assert forward is not template and not template.built
    wrapper.build_for((5, 2))
    assert wrapper.weight_names == [f"{side}_{name}" for side in ("forward", "backward")
                                    for name in ("kernel", "recurrent_kernel", "bias")]
    assert all(a is b for a, b in zip(wrapper.weights, forward.weights + backward.weights))
    reversed_template = layers.Bidirectional(layers.GRU(3, go_backwards=True))
    assert [layer.go_backwards for layer in reversed_template.layers] == [True, False]


@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave"])
@pytest.mark.parametrize("return_sequences", [False, True])
def test_bidirectional_merges_the_backward_output_in_forward_time(merge_mode, return_sequences):
    x = np.random.default_rng(0).standard_normal((2, 5, 3))
    wrapper = layers.Bidirectional(layers.SimpleRNN(4, return_sequences=return_sequences, dtype="float64"),
                                   merge_mode=merge_mode)
    y = wrapper(x)
    forward, backward = wrapper.layers
    a, b = forward(x), backward(x)
    if return_sequences:
        b = b[:, ::-1]
    expected = {"concat": np.concatenate([a, b], axis=-1), "sum": a + b, "mul": a * b, "ave": (a + b) / 2}
    np.testing.assert_allclose(y, expected[merge_mode], rtol=1e-12)
    check_layer_gradients(wrapper, Tensor4D.from_natural(x).data)


def test_bidirectional_weights_argument_and_backward_layer():
    forward_template = layers.LSTM(2)
    backward = layers.LSTM(2, go_backwards=True, activation="relu")
    probe = layers.Bidirectional(layers.LSTM(2))
    probe.build_for((4, 3))
    weights = [np.full(w.shape, 0.1 * k, "float32") for k, w in enumerate(probe.get_weights())]
    wrapper = layers.Bidirectional(forward_template, weights=weights, backward_layer=backward)
    wrapper.build_for((4, 3))
    assert wrapper.layers[1] is backward
    for ours, given in zip(wrapper.get_weights(), weights):
        np.testing.assert_array_equal(ours, given)
    config = wrapper.get_config()
    assert config["backward_layer"]["config"]["activation"] == "relu"
    assert layers.Bidirectional.from_config(config).layers[1].activation.name == "relu"


@pytest.mark.parametrize("kwargs, error, match", [
    ({"layer": layers.Dense(2)}, TypeError, "`layer`"),
    ({"layer": layers.LSTM(2, return_state=True)}, ValueError, "return_state"),
    ({"layer": layers.LSTM(2), "merge_mode": "max"}, ValueError, "merge_mode"),
    ({"layer": layers.LSTM(2), "weights": np.zeros(3)}, TypeError, "weights"),
    ({"layer": layers.LSTM(2), "backward_layer": "lstm"}, TypeError, "backward_layer"),
    ({"layer": layers.LSTM(2), "backward_layer": layers.LSTM(2)}, ValueError, "go_backwards"),
    ({"layer": layers.LSTM(2), "backward_layer": layers.LSTM(2, go_backwards=True, stateful=True)},
     ValueError, "stateful"),
    ({"layer": layers.LSTM(2), "backward_layer": layers.LSTM(2, go_backwards=True, dtype="float64")},
     ValueError, "dtype"),
])
def test_bidirectional_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        layers.Bidirectional(**kwargs)


def test_trainable_reaches_the_inner_layers():
    wrapper = layers.Bidirectional(layers.GRU(2), trainable=False)
    wrapper.build_for((3, 2))
    assert not any(layer.trainable for layer in wrapper.layers)
    assert wrapper.trainable_weights == [] and len(wrapper.non_trainable_weights) == 6
    wrapper.trainable = True
    assert all(layer.trainable for layer in wrapper.layers) and len(wrapper.trainable_weights) == 6
    distributed = layers.TimeDistributed(layers.Dense(2))
    distributed.trainable = False
    assert not distributed.layer.trainable


def test_stateful_bidirectional_carries_and_resets_both_states():
    wrapper = layers.Bidirectional(layers.SimpleRNN(2, stateful=True, dtype="float64"))
    x = np.random.default_rng(1).standard_normal((2, 3, 2))
    first = wrapper(x)
    assert not np.allclose(wrapper(x), first)
    wrapper.reset_states()
    np.testing.assert_array_equal(wrapper(x), first)


def test_time_distributed_folds_steps_into_the_batch():
    dense = layers.Dense(3, dtype="float64")
    wrapper = layers.TimeDistributed(dense)
    x = np.random.default_rng(2).standard_normal((2, 4, 5))
    y = wrapper(x)
    assert y.shape == (2, 4, 3) and wrapper.weights == dense.weights and wrapper.layer is dense
    np.testing.assert_allclose(y, (x.reshape(8, 5) @ dense.kernel + dense.bias).reshape(2, 4, 3), rtol=1e-12)
    check_layer_gradients(wrapper, Tensor4D.from_natural(x).data)


def test_time_distributed_sequence_layer_per_step():
    wrapper = layers.TimeDistributed(layers.LSTM(3, dtype="float64"))
    x = np.random.default_rng(3).standard_normal((2, 4, 5, 2))  # (batch, steps, substeps, features)
    assert wrapper(x).shape == (2, 4, 3)
    check_layer_gradients(wrapper, Tensor4D.from_natural(x).data)


def test_time_distributed_limits():
    with pytest.raises(TypeError, match="`layer`"):
        layers.TimeDistributed(layers.Add())
    with pytest.raises(ValueError, match="dtype"):
        layers.TimeDistributed(layers.Dense(2), dtype="float64")
    with pytest.raises(ValueError, match="1 or 2 step axes"):
        layers.TimeDistributed(layers.Dense(2)).build_for((4, 3, 3, 2))
    with pytest.raises(ValueError, match="1 or 2 step axes"):
        layers.TimeDistributed(layers.Dense(2)).build_for((4,))
    with pytest.raises(ValueError, match="cannot be held"):
        layers.TimeDistributed(layers.Reshape((2, 2, 1))).build_for((3, 4))


def test_time_distributed_softmax_trains_with_the_fused_loss():
    model = Sequential([layers.Input((6, 4)), layers.Bidirectional(layers.LSTM(5, return_sequences=True)),
                        layers.TimeDistributed(layers.Dense(3, activation="softmax"))])
    model.compile("adam", "sparse_categorical_crossentropy")
    rng = np.random.default_rng(4)
    x, y = rng.standard_normal((16, 6, 4)).astype("float32"), rng.integers(0, 3, (16, 6))
    out = model.forward(Tensor4D.from_natural(x))
    assert out.logits is not None and out.logits.activation == "softmax"
    history = model.fit(x, y, epochs=3, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_saved_with_wrappers_keeps_inner_names_and_predictions(tmp_path):
    model = Sequential([layers.Input((5, 3)), layers.Bidirectional(layers.GRU(2, return_sequences=True), "ave"),
                        layers.TimeDistributed(layers.Dense(2))])
    model.compile("adam", "mse")
    x = np.random.default_rng(5).standard_normal((4, 5, 3)).astype("float32")
    model.save(tmp_path / "m.redes")
    loaded = redes.load_model(tmp_path / "m.redes")
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    assert [type(layer).__name__ for layer in loaded.layers] == ["Bidirectional", "TimeDistributed"]
    assert loaded.layers[0].merge_mode == "ave"


def test_bidirectional_backward_layer_of_other_units():
    wrapper = layers.Bidirectional(layers.LSTM(3, dtype="float64"),
                                   backward_layer=layers.GRU(2, go_backwards=True, dtype="float64"))
    x = np.random.default_rng(6).standard_normal((2, 4, 3))
    assert wrapper(x).shape == (2, 5)
    check_layer_gradients(wrapper, Tensor4D.from_natural(x).data)
    with pytest.raises(ValueError, match="merge_mode='concat'"):
        layers.Bidirectional(layers.LSTM(3), merge_mode="sum",
                             backward_layer=layers.GRU(2, go_backwards=True)).build_for((4, 3))


def test_bidirectional_weights_argument_of_the_wrong_length():
    with pytest.raises(ValueError, match="`weights` must hold 6 arrays"):
        layers.Bidirectional(layers.LSTM(2), weights=[np.zeros((2, 8))]).build_for((3, 2))


def test_time_distributed_folds_without_a_copy():
    class Probe(layers.Layer):
        def forward(self, x, training=False):
            self.received = x.data
            return Tensor4D(x.data)

        def backward(self, grad):
            return grad

    probe = Probe()
    wrapper = layers.TimeDistributed(probe)
    x = Tensor4D.from_natural(np.arange(60, dtype="float32").reshape(3, 4, 5))
    y = wrapper(x)
    assert probe.received.shape == (12, 1, 1, 5) and np.shares_memory(probe.received, x.data)
    np.testing.assert_array_equal(y.data, x.data)
