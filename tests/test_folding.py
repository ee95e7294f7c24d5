"""predict and evaluate run a Sequential's BatchNormalizations folded into the linear layer before them
(redes/models/folding.py): the same outputs up to rounding, the model's own layers untouched."""

import numpy as np
import pytest

import redes
from redes import callbacks, layers
from redes.models import folding

RNG = np.random.default_rng(0)


def unfolded(model, x):
    """The model's layers called one by one in inference mode: no folding."""
    for layer in model.layers:
        x = layer(x, training=False)
    return x


def with_statistics(model):
    """Give every BatchNormalization non-trivial γ, β and moving statistics (Keras' weight order)."""
    for layer in model.layers:
        if isinstance(layer, layers.BatchNormalization):
            names = ["gamma"] * layer.scale + ["beta"] * layer.center + ["moving_mean", "moving_variance"]
            layer.set_weights([RNG.uniform(0.5, 2.0, w.shape) if name in ("gamma", "moving_variance")
                               else RNG.normal(size=w.shape) for w, name in zip(layer.get_weights(), names)])
    return model


LINEAR = [
    ("Dense", (6,), lambda bias, dtype: layers.Dense(5, use_bias=bias, dtype=dtype)),
    ("Dense on sequences", (4, 6), lambda bias, dtype: layers.Dense(5, use_bias=bias, dtype=dtype)),
    ("Conv1D", (9, 3), lambda bias, dtype: layers.Conv1D(4, 3, padding="same", use_bias=bias, dtype=dtype)),
    ("Conv2D", (7, 7, 3), lambda bias, dtype: layers.Conv2D(4, 3, use_bias=bias, dtype=dtype)),
    ("Conv2D groups, Winograd", (8, 8, 8), lambda bias, dtype: layers.Conv2D(8, 3, padding="same", use_bias=bias, dtype=dtype)),
    ("Conv2D groups 2, strides 2", (8, 8, 4), lambda bias, dtype: layers.Conv2D(6, 3, strides=2, groups=2, use_bias=bias, dtype=dtype)),
    ("DepthwiseConv2D x2", (7, 7, 3), lambda bias, dtype: layers.DepthwiseConv2D(3, depth_multiplier=2, use_bias=bias, dtype=dtype)),
    ("SeparableConv2D", (7, 7, 3), lambda bias, dtype: layers.SeparableConv2D(5, 3, padding="same", use_bias=bias, dtype=dtype)),
]


@pytest.mark.parametrize("dtype, rtol", [("float32", 1e-5), ("float64", 1e-12)])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("center, scale", [(True, True), (False, True), (True, False)])
@pytest.mark.parametrize("name, shape, make", LINEAR, ids=[case[0] for case in LINEAR])
def test_predict_and_evaluate_equal_the_unfolded_layers(name, shape, make, bias, center, scale, dtype, rtol):
    model = redes.Sequential([layers.Input(shape, dtype=dtype), make(bias, dtype),
                              layers.BatchNormalization(center=center, scale=scale, dtype=dtype),
                              layers.ReLU(dtype=dtype)], dtype=dtype)
    with_statistics(model)
    x = RNG.normal(size=(10, *shape)).astype(dtype)
    expected = unfolded(model, x)
    assert len(folding.Folding().layers(model.layers)) == 2  # the pair is folded
    np.testing.assert_allclose(model.predict(x, batch_size=4), expected, rtol=rtol, atol=rtol)
    model.compile(optimizer="sgd", loss="mse")
    loss = model.evaluate(x, np.zeros_like(expected), verbose=0)
    assert np.isclose(loss, np.mean(expected.astype("float64") ** 2), rtol=10 * rtol)


@pytest.mark.parametrize("stack", [
    [layers.Dense(5, activation="relu"), layers.BatchNormalization()],  # an activation in between
    [layers.Dense(5), layers.Dropout(0.5), layers.BatchNormalization()],  # not adjacent
    [layers.Conv2DTranspose(3, 3), layers.BatchNormalization()],  # kernel (kh, kw, F, C): not folded
    [layers.BatchNormalization(), layers.Dense(5)],  # the normalization first
], ids=["activation", "not adjacent", "transpose", "normalization first"])
def test_other_stacks_run_as_they_are(stack):
    shape = (6, 6, 2) if isinstance(stack[0], layers.Conv2DTranspose) else (6,)
    model = redes.Sequential([layers.Input(shape), *stack])
    assert folding.Folding().layers(model.layers) == model.layers


def test_the_model_and_its_layers_are_untouched_by_predict():
    model = with_statistics(redes.Sequential([layers.Input((5,)), layers.Dense(4, use_bias=False),
                                              layers.BatchNormalization(), layers.Dense(2)]))
    before = [w.copy() for w in model.get_weights()]
    counts = []
    probe = callbacks.LambdaCallback(on_predict_batch_end=lambda batch, logs: counts.append(len(model.weights)))
    model.predict(RNG.normal(size=(8, 5)), batch_size=4, callbacks=[probe])
    assert counts == [len(before)] * 2  # the folded copies are not the model's weights
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
    assert model.layers[0].use_bias is False and len(model.layers) == 3


def test_predict_folds_the_weights_of_the_moment():
    """Trained between two predicts, the second predict uses the new weights and statistics."""
    model = redes.Sequential([layers.Input((5,)), layers.Dense(4), layers.BatchNormalization(), layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    x, y = RNG.normal(size=(32, 5)), RNG.normal(size=(32, 1))
    first = model.predict(x)
    model.fit(x, y, epochs=3, verbose=0)
    second = model.predict(x)
    assert not np.allclose(first, second)
    np.testing.assert_allclose(second, unfolded(model, x), rtol=1e-5, atol=1e-6)


def test_a_pair_is_folded_only_when_its_activations_outweigh_its_weights():
    """Folding costs passes over the kernel: a Dense 288 → 8 is not folded for 10 samples (2,312 weights
    against 80 outputs), a 1×1 Conv2D's 32 weights against 2,880 outputs are."""
    model = redes.Sequential([layers.Input((6, 6, 3)), layers.Conv2D(8, 1), layers.BatchNormalization(),
                              layers.Flatten(), layers.Dense(8), layers.BatchNormalization()])
    conv, _, flatten, dense, _ = model.layers
    run = folding.Folding().layers(model.layers, samples=10)
    assert run[0] is not conv and run[1:] == [flatten, dense, model.layers[4]]
    assert len(folding.Folding().layers(model.layers, samples=1000)) == 3


def test_the_folded_copies_are_built_once_and_refolded_at_every_call():
    model = with_statistics(redes.Sequential([layers.Input((5,)), layers.Dense(4), layers.BatchNormalization()]))
    plan = folding.Folding()
    first = plan.layers(model.layers)[0]
    model.layers[0].set_weights([w + 1 for w in model.layers[0].get_weights()])
    second = plan.layers(model.layers)[0]
    assert second is first  # the same copy, its weights refolded
    x = RNG.normal(size=(3, 5))
    np.testing.assert_allclose(second(x), unfolded(model, x), rtol=1e-5, atol=1e-6)
