"""RedeNeural conveniences from the Java API: print/summary, count_params, clone, seed, loss_history."""

import numpy as np
import pytest

from redes import RedeNeural, initializers, layers


def data(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((40, 4))
    return x, (x[:, :1] - 2 * x[:, 1:2] > 0).astype(int)[:, 0]


def test_print_shows_the_summary(capsys):
    net = RedeNeural([4, 8, 3], output_activation="softmax")
    net.summary()
    printed = capsys.readouterr().out
    assert str(net) == printed.rstrip("\n")
    print(net)
    assert capsys.readouterr().out == printed
    assert "Total params: 67" in str(net) and "dense" in str(net)


def test_count_params():
    net = RedeNeural([784, 128, 64, 10])
    assert net.count_params() == 784 * 128 + 128 + 128 * 64 + 64 + 64 * 10 + 10


def test_seed_makes_initial_weights_repeatable():
    first, second = RedeNeural([4, 8, 8, 3], seed=5), RedeNeural([4, 8, 8, 3], seed=5)
    for a, b in zip(first.get_weights(), second.get_weights()):
        np.testing.assert_array_equal(a, b)
    other = RedeNeural([4, 8, 8, 3], seed=6)
    assert not np.array_equal(first.get_weights()[0], other.get_weights()[0])
    square = RedeNeural([8, 8, 8], seed=5)  # each layer its own seed: equal shapes, different kernels
    assert not np.array_equal(square.get_weights()[0], square.get_weights()[2])
    seeded = RedeNeural([4, 8, 3], kernel_initializer=initializers.HeNormal(seed=99), seed=1)
    np.testing.assert_array_equal(seeded.get_weights()[0], initializers.HeNormal(seed=1)((4, 8)))
    identity = RedeNeural([4, 4, 4], kernel_initializer="identity", seed=1)
    np.testing.assert_array_equal(identity.get_weights()[0], np.eye(4))


@pytest.mark.parametrize("seed,kernel_initializer,error", [
    (-1, "glorot_uniform", ValueError), (1.5, "glorot_uniform", TypeError),
    (3, lambda shape, dtype=None: np.zeros(shape, dtype), TypeError),
])
def test_bad_seed(seed, kernel_initializer, error):
    with pytest.raises(error, match="seed"):
        RedeNeural([3, 2], kernel_initializer=kernel_initializer, seed=seed)


def test_loss_history_per_epoch_across_fits():
    x, y = data()
    net = RedeNeural([4, 8, 2], output_activation="softmax", seed=0)
    assert net.loss_history == []
    net.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    history = net.fit(x, y, epochs=3, batch_size=8, verbose=0)
    assert net.loss_history == history.history["loss"] and len(net.loss_history) == 3
    net.fit(x, y, epochs=2, batch_size=8, verbose=0)
    assert len(net.loss_history) == 5 and net.loss_history[3:] == net.history.history["loss"]


def test_full_batch_gd_one_step_per_epoch():
    x, y = data()
    net = RedeNeural([4, 6, 2], output_activation="softmax", seed=0)
    net.compile(optimizer="gd", loss="sparse_categorical_crossentropy")
    net.fit(x, y, batch_size=len(x), epochs=5, verbose=0)
    assert net.optimizer.iterations == 5 and len(net.loss_history) == 5


def test_clone_is_an_independent_copy():
    x, y = data()
    net = RedeNeural([4, 8, 2], output_activation="softmax", kernel_regularizer="l2", seed=0)
    net.add(layers.Dropout(0.1))
    net.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    net.fit(x, y, epochs=2, verbose=0)
    twin = net.clone()
    assert type(twin) is RedeNeural and twin.layer_sizes == net.layer_sizes and len(twin.layers) == 3
    assert twin.optimizer is None and twin.loss is None and twin.metrics == []
    assert twin.loss_history == net.loss_history and twin.loss_history is not net.loss_history
    for a, b in zip(net.get_weights(), twin.get_weights()):
        np.testing.assert_array_equal(a, b)
        assert not np.shares_memory(a, b)
    np.testing.assert_array_equal(twin.predict(x), net.predict(x))
    before = [w.copy() for w in net.get_weights()]
    twin.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    twin.fit(x, y, epochs=1, verbose=0)
    for a, b in zip(net.get_weights(), before):
        np.testing.assert_array_equal(a, b)  # training the clone leaves the original alone
    net.fit(x, y, epochs=1, verbose=0)  # and the original still trains with its own optimizer
    assert net.optimizer.iterations > 0 and len(net.loss_history) == 3
