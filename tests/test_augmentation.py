import numpy as np
import pytest

import redes
from redes import Sequential, layers
from redes.layers import RandomFlip, RandomRotation, RandomTranslation, RandomZoom

ALL = [
    lambda seed=0, **kw: RandomFlip("horizontal", seed=seed, **kw),
    lambda seed=0, **kw: RandomTranslation(0.2, 0.3, seed=seed, **kw),
    lambda seed=0, **kw: RandomRotation(0.1, seed=seed, **kw),
    lambda seed=0, **kw: RandomZoom((-0.3, 0.2), seed=seed, **kw),
]
IDS = ["flip", "translation", "rotation", "zoom"]


@pytest.fixture(autouse=True)
def float64_layers():
    """Layers compute in float64 here, so that outputs compare exactly with the float64 inputs."""
    previous = redes.floatx()
    redes.set_floatx("float64")
    yield
    redes.set_floatx(previous)


def images(n=6, h=8, w=7, c=2, seed=0, dtype="float64"):
    return np.random.default_rng(seed).normal(size=(n, h, w, c)).astype(dtype)


@pytest.mark.parametrize("make", ALL, ids=IDS)
def test_shapes_identity_at_inference_and_determinism(make):
    x = images(dtype="float32")
    layer = make(dtype="float32")
    assert layer(x).shape == x.shape
    np.testing.assert_array_equal(layer(x), x)                       # training=False: unchanged
    np.testing.assert_array_equal(layer.backward(redes.Tensor4D(x)).data, x)
    y = layer(x, training=True)
    assert y.shape == x.shape and y.dtype == np.float32
    assert not np.allclose(y, x)
    np.testing.assert_array_equal(make(seed=0, dtype="float32")(x, training=True), y)  # same seed, same transforms
    assert not np.allclose(make(seed=1, dtype="float32")(x, training=True), y)
    assert not np.allclose(layer(x, training=True), y)                # fresh draws each call


@pytest.mark.parametrize("mode, flip", [("horizontal", lambda a: a[:, :, ::-1]), ("vertical", lambda a: a[:, ::-1]),
                                        ("horizontal_and_vertical", lambda a: a[:, ::-1, ::-1])])
def test_flip_is_exact(mode, flip):
    x = images(n=64)
    y = RandomFlip(mode, seed=3)(x, training=True)
    flipped = np.all(y == flip(x), axis=(1, 2, 3))
    kept = np.all(y == x, axis=(1, 2, 3))
    assert np.all(flipped ^ kept) and 16 < flipped.sum() < 48


@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
def test_translation_by_whole_pixels_is_a_roll_with_fill(interpolation):
    x = images(h=8, w=8)
    # 0.25·8 = 2 rows down, −0.125·8 = 1 column left, for every image
    def shifted(fill_mode):
        return RandomTranslation((0.25, 0.25), (-0.125, -0.125), fill_mode=fill_mode, interpolation=interpolation,
                                 fill_value=0.5)(x, training=True)
    rolled = np.roll(x, (2, -1), axis=(1, 2))
    np.testing.assert_allclose(shifted("wrap"), rolled, atol=1e-12)
    expected = rolled.copy()
    expected[:, :2], expected[:, :, -1] = 0.5, 0.5
    np.testing.assert_allclose(shifted("constant"), expected, atol=1e-12)
    rows, cols = np.arange(8) - 2, np.arange(8) + 1                  # the source of each output row / column
    np.testing.assert_allclose(shifted("nearest"), x[:, np.clip(rows, 0, 7)][:, :, np.clip(cols, 0, 7)], atol=1e-12)
    reflected_rows, reflected_cols = [1, 0, 0, 1, 2, 3, 4, 5], [1, 2, 3, 4, 5, 6, 7, 7]   # b a | a b ... g h | h
    np.testing.assert_allclose(shifted("reflect"), x[:, reflected_rows][:, :, reflected_cols], atol=1e-12)


def test_rotation_by_a_quarter_turn_and_zero_zoom():
    x = images(h=5, w=5)
    turned = RandomRotation((0.25, 0.25), interpolation="nearest")(x, training=True)
    np.testing.assert_array_equal(turned, np.rot90(x, k=1, axes=(1, 2)))      # counter-clockwise
    np.testing.assert_allclose(RandomRotation((0.25, 0.25))(x, training=True), turned, atol=1e-9)
    np.testing.assert_allclose(RandomZoom(0.0)(x, training=True), x, atol=1e-12)
    zoomed_in = RandomZoom((-0.5, -0.5), fill_mode="constant")(x, training=True)   # source ×0.5 about the centre
    np.testing.assert_allclose(zoomed_in[:, 2, 2], x[:, 2, 2])
    np.testing.assert_allclose(zoomed_in[:, 0, 0], x[:, 1, 1])                  # 0.5·(0 − 2) + 2 = 1
    np.testing.assert_allclose(zoomed_in[:, 1, 0], (x[:, 1, 1] + x[:, 2, 1]) / 2)   # row 1.5: half of each
    zoomed_out = RandomZoom((1.0, 1.0), width_factor=(0.0, 0.0), fill_mode="constant", fill_value=-9)(
        x, training=True)
    np.testing.assert_allclose(zoomed_out[:, 0], -9)                             # rows came from outside
    np.testing.assert_allclose(zoomed_out[:, 2], x[:, 2])                        # the width kept


@pytest.mark.parametrize("make", [
    lambda: RandomFlip("horizontal_and_vertical", seed=5),
    lambda: RandomTranslation(0.3, (-0.4, 0.2), fill_mode="constant", fill_value=0.7, seed=5),
    lambda: RandomTranslation(0.3, 0.3, fill_mode="reflect", seed=5),
    lambda: RandomRotation(0.2, fill_mode="wrap", seed=5),
    lambda: RandomZoom(0.4, (-0.3, 0.3), fill_mode="nearest", interpolation="nearest", seed=5),
], ids=["flip", "translation-constant", "translation-reflect", "rotation-wrap", "zoom-nearest"])
def test_backward_is_the_adjoint_of_forward(make):
    # forward is y = S x + f (f the constant fill), so dL/dx for L = <y, g> must be Sᵀ g:
    # <S x, g> = <x, Sᵀ g>, and each component matches a central difference.
    x, g = images(seed=1), images(seed=2)
    layer = make()
    y = layer(x, training=True)
    dx = layer.backward(redes.Tensor4D(g)).data
    offset = make()(np.zeros_like(x), training=True)
    np.testing.assert_allclose(np.sum((y - offset) * g), np.sum(x * dx), rtol=1e-10)
    index = (1, 3, 2, 1)
    step = np.zeros_like(x)
    step[index] = 1e-4
    numeric = (np.sum(make()(x + step, training=True) * g) - np.sum(make()(x - step, training=True) * g)) / 2e-4
    np.testing.assert_allclose(dx[index], numeric, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("make, bad", [
    (lambda: RandomFlip("diagonal"), "`mode` must be one of"),
    (lambda: RandomFlip(seed=-1), "`seed` must be a non-negative integer or None"),
    (lambda: RandomTranslation(1.5, 0.1), "`height_factor` must be a number or a pair of numbers in \\[-1, 1\\]"),
    (lambda: RandomTranslation(0.1, (0.1, 0.2, 0.3)), "`width_factor`"),
    (lambda: RandomTranslation(0.1, "0.1"), "`width_factor`"),
    (lambda: RandomTranslation(0.1, 0.1, fill_mode="mirror"), "`fill_mode` must be one of"),
    (lambda: RandomRotation(0.1, interpolation="cubic"), "`interpolation` must be one of"),
    (lambda: RandomRotation(float("nan")), "`factor`"),
    (lambda: RandomZoom(0.1, fill_value="x"), "`fill_value` must be a number"),
])
def test_bad_arguments(make, bad):  # the exact TypeError / ValueError split: tests/test_layer_contract.py
    with pytest.raises((TypeError, ValueError), match=bad):
        make()


def test_needs_images():
    with pytest.raises(ValueError, match=r"expects images \(height, width, channels\). Received input shape"):
        RandomFlip()(np.zeros((2, 10)), training=True)


@pytest.mark.parametrize("make", ALL, ids=IDS)
def test_get_config_round_trips(make):
    layer = make(seed=4, name="aug")
    clone = type(layer).from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    x = images()
    np.testing.assert_array_equal(clone(x, training=True), layer(x, training=True))


def test_a_model_with_augmentation_trains_with_fit_and_saves(tmp_path):
    # class = which half (top or bottom) is bright: invariant to horizontal flips and small shifts
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 256)
    x = rng.uniform(0, 0.3, (256, 8, 8, 1)).astype("float32")
    x[y == 0, :4] += 0.7
    x[y == 1, 4:] += 0.7
    redes.set_random_seed(0)
    model = Sequential([layers.Input((8, 8, 1)), RandomFlip("horizontal", seed=1),
                        RandomTranslation(0.1, 0.1, fill_mode="nearest", seed=2), RandomRotation(0.03, seed=3),
                        RandomZoom(0.1, seed=4), layers.Flatten(), layers.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, batch_size=32, epochs=8, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert model.evaluate(x, y, verbose=0)[1] > 0.95
    predictions = model.predict(x)
    np.testing.assert_array_equal(model.predict(x), predictions)          # inference is deterministic
    model.save(tmp_path / "aug.redes")
    loaded = redes.load_model(tmp_path / "aug.redes")
    np.testing.assert_allclose(loaded.predict(x), predictions, rtol=1e-6)
    assert [type(layer).__name__ for layer in loaded.layers][:4] == ["RandomFlip", "RandomTranslation",
                                                                     "RandomRotation", "RandomZoom"]
