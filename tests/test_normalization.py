import numpy as np
import pytest

from helpers import assert_parity, check_layer_gradients, import_tensorflow, tf_vjp
from tolerances import tolerance
from redes import Tensor4D, layers, regularizers

SHAPES = [(5, 1, 1, 3), (2, 3, 2, 3)]
CENTER_SCALE = [(True, True), (True, False), (False, True), (False, False)]


def _randomize(layer, rng):
    """Random gamma, beta and moving statistics, so that every term of the math matters."""
    layer.set_weights([
        rng.uniform(0.5, 2.0, w.shape) if name == "moving_variance" else rng.standard_normal(w.shape)
        for name, w in layer._weights.items()
    ])


def _batch_norm_reference(x, gamma, beta, epsilon, mean=None, var=None):
    """Slow reference: one channel at a time, sums written out."""
    y = np.empty_like(x)
    for c in range(x.shape[-1]):
        values = x[..., c]
        m = values.sum() / values.size if mean is None else mean[c]
        v = ((values - m) ** 2).sum() / values.size if var is None else var[c]
        y[..., c] = gamma[c] * (values - m) / np.sqrt(v + epsilon) + beta[c]
    return y


# ------------------------------------------------------------------ BatchNormalization: gradients
@pytest.mark.parametrize("center,scale", CENTER_SCALE)
@pytest.mark.parametrize("shape", SHAPES)
def test_batch_norm_training_gradients(shape, center, scale):
    layer = layers.BatchNormalization(center=center, scale=scale, dtype="float64")
    x = np.random.default_rng(20).standard_normal(shape) * 2 + 1  # not seed 0: the upstream uses it
    layer(Tensor4D(x))
    _randomize(layer, np.random.default_rng(1))
    errors = check_layer_gradients(layer, x, training=True)
    assert list(errors) == ["input"] + ["gamma"] * scale + ["beta"] * center


@pytest.mark.parametrize("center,scale", [(True, True), (False, False)])
@pytest.mark.parametrize("shape", SHAPES)
def test_batch_norm_inference_gradients(shape, center, scale):
    layer = layers.BatchNormalization(center=center, scale=scale, dtype="float64")
    x = np.random.default_rng(2).standard_normal(shape)
    layer(Tensor4D(x))
    _randomize(layer, np.random.default_rng(3))
    check_layer_gradients(layer, x, training=False)


def test_batch_norm_frozen_gradients_use_moving_statistics():
    layer = layers.BatchNormalization(trainable=False, dtype="float64")
    x = np.random.default_rng(4).standard_normal((2, 3, 2, 3))
    layer(Tensor4D(x))
    _randomize(layer, np.random.default_rng(5))
    moving = [layer.moving_mean.copy(), layer.moving_variance.copy()]
    errors = check_layer_gradients(layer, x, training=True)
    assert set(errors) == {"input"} and layer.trainable_weights == []
    np.testing.assert_array_equal(layer.moving_mean, moving[0])
    np.testing.assert_array_equal(layer.moving_variance, moving[1])


def test_batch_norm_regularizer_adds_to_gradients():
    layer = layers.BatchNormalization(gamma_regularizer=regularizers.l2(0.1), beta_regularizer=regularizers.l1(0.2),
                                      dtype="float64")
    x = np.random.default_rng(6).standard_normal((4, 1, 1, 3))
    y = layer(Tensor4D(x), training=True)
    layer.backward(Tensor4D(np.zeros(y.shape)))
    gamma_grad, beta_grad = layer.gradients
    np.testing.assert_allclose(gamma_grad, 0.2 * layer.gamma, atol=1e-12)
    np.testing.assert_allclose(beta_grad, np.zeros(3), atol=1e-12)
    assert layer.losses == pytest.approx([0.1 * 3, 0.0])


# ------------------------------------------------------------------ BatchNormalization: naive reference
@pytest.mark.parametrize("shape", [(6, 1, 1, 4), (3, 4, 5, 2)])
def test_batch_norm_matches_reference(shape):
    rng = np.random.default_rng(7)
    layer = layers.BatchNormalization(momentum=0.8, dtype="float64")
    x = rng.standard_normal(shape) * 3 - 1
    layer(Tensor4D(x))
    _randomize(layer, rng)
    gamma, beta, mean0, var0 = layer.get_weights()
    y = np.asarray(layer(Tensor4D(x), training=True))
    np.testing.assert_allclose(y, _batch_norm_reference(x, gamma, beta, 1e-3), rtol=1e-12, atol=1e-12)
    batch_mean = np.array([x[..., c].sum() / x[..., c].size for c in range(shape[-1])])
    batch_var = np.array([((x[..., c] - batch_mean[c]) ** 2).mean() for c in range(shape[-1])])
    np.testing.assert_allclose(layer.moving_mean, 0.8 * mean0 + 0.2 * batch_mean, rtol=1e-12)
    np.testing.assert_allclose(layer.moving_variance, 0.8 * var0 + 0.2 * batch_var, rtol=1e-12)
    y = np.asarray(layer(Tensor4D(x), training=False))
    expected = _batch_norm_reference(x, gamma, beta, 1e-3, layer.moving_mean, layer.moving_variance)
    np.testing.assert_allclose(y, expected, rtol=1e-12, atol=1e-12)


def test_batch_norm_training_false_leaves_moving_statistics():
    layer = layers.BatchNormalization()
    x = np.random.default_rng(8).standard_normal((4, 3)).astype("float32")
    layer(x)
    assert (layer.moving_mean == 0).all() and (layer.moving_variance == 1).all()
    np.testing.assert_allclose(layer(x), x / np.sqrt(1 + 1e-3), rtol=1e-6)


def test_batch_norm_weights_order_and_trainability():
    layer = layers.BatchNormalization()
    layer(np.ones((2, 4, 4, 5), dtype="float32"))
    assert list(layer._weights) == ["gamma", "beta", "moving_mean", "moving_variance"]
    assert [w.shape for w in layer.get_weights()] == [(5,)] * 4
    assert layer.trainable_weights[0] is layer.gamma and layer.trainable_weights[1] is layer.beta
    assert layer.non_trainable_weights[0] is layer.moving_mean and len(layer.non_trainable_weights) == 2
    assert layer.count_params() == 20
    layer.trainable = False
    assert layer.trainable_weights == [] and len(layer.non_trainable_weights) == 4
    no_affine = layers.BatchNormalization(center=False, scale=False)
    no_affine(np.ones((2, 3), dtype="float32"))
    assert list(no_affine._weights) == ["moving_mean", "moving_variance"] and no_affine.trainable_weights == []


def test_batch_norm_moving_statistics_update_in_place():
    layer = layers.BatchNormalization()
    layer(np.ones((2, 3), dtype="float32"))
    mean, var = layer.moving_mean, layer.moving_variance
    layer(np.random.default_rng(9).standard_normal((4, 3)).astype("float32"), training=True)
    assert layer.moving_mean is mean and layer.moving_variance is var
    assert not (mean == 0).all()


def test_batch_norm_float32_statistics_are_accurate_on_large_shifted_batches():
    layer = layers.BatchNormalization(momentum=0.0)
    x = (np.random.default_rng(18).standard_normal((64, 16, 16, 8)) * 3 + 5).astype("float32")
    layer(x, training=True)
    x64 = x.reshape(-1, 8).astype("float64")
    np.testing.assert_allclose(layer.moving_mean, x64.mean(axis=0), rtol=3e-6)
    np.testing.assert_allclose(layer.moving_variance, x64.var(axis=0), rtol=3e-6)


# ------------------------------------------------------------------ LayerNormalization
@pytest.mark.parametrize("center,scale", CENTER_SCALE)
@pytest.mark.parametrize("shape", SHAPES)
def test_layer_norm_gradients(shape, center, scale):
    layer = layers.LayerNormalization(center=center, scale=scale, dtype="float64")
    x = np.random.default_rng(10).standard_normal(shape) * 2 + 1
    layer(Tensor4D(x))
    _randomize(layer, np.random.default_rng(11))
    errors = check_layer_gradients(layer, x, training=True)
    assert list(errors) == ["input"] + ["gamma"] * scale + ["beta"] * center


@pytest.mark.parametrize("shape", [(4, 1, 1, 6), (2, 3, 4, 5)])
def test_layer_norm_matches_reference(shape):
    rng = np.random.default_rng(12)
    layer = layers.LayerNormalization(epsilon=1e-2, dtype="float64")
    x = rng.standard_normal(shape) * 3 + 2
    layer(Tensor4D(x))
    _randomize(layer, rng)
    gamma, beta = layer.get_weights()
    expected = np.empty_like(x)
    for n, h, w in np.ndindex(*shape[:3]):
        row = x[n, h, w]
        mean = row.sum() / row.size
        var = ((row - mean) ** 2).sum() / row.size
        expected[n, h, w] = gamma * (row - mean) / np.sqrt(var + 1e-2) + beta
    for training in (True, False):
        np.testing.assert_allclose(layer(Tensor4D(x), training=training), expected, rtol=1e-12, atol=1e-12)


def test_layer_norm_weights_order():
    layer = layers.LayerNormalization()
    layer(np.ones((2, 7), dtype="float32"))
    assert list(layer._weights) == ["gamma", "beta"] and layer.count_params() == 14
    assert len(layer.trainable_weights) == 2


# ------------------------------------------------------------------ TensorFlow parity
def _tf_run(tf, layer, x, upstream, training):
    y, *grads = tf_vjp(tf, layer, x, upstream, training=training)
    return y, grads


def _ours_run(layer, x, upstream, training):
    y = layer(x, training=training)
    grad_x = np.asarray(layer.backward(Tensor4D.from_natural(upstream))).reshape(x.shape)
    return y, [grad_x] + (layer.gradients if layer.trainable else [])


def _assert_close(what, dtype, ours, theirs):
    assert_parity(what, dtype, ours, theirs, tolerance(dtype))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", [(8, 5), (3, 4, 4, 3)])
@pytest.mark.parametrize("center,scale", [(True, True), (False, True), (True, False)])
def test_batch_norm_tensorflow_parity_training(dtype, shape, center, scale):
    tf = import_tensorflow()
    rng = np.random.default_rng(13)
    x = (rng.standard_normal(shape) * 2 + 0.5).astype(dtype)
    theirs = tf.keras.layers.BatchNormalization(center=center, scale=scale, dtype=dtype)
    ours = layers.BatchNormalization(center=center, scale=scale, dtype=dtype)
    theirs.build((None,) + shape[1:])
    ours(x)
    _randomize(ours, rng)
    theirs.set_weights(ours.get_weights())
    upstream = rng.standard_normal(shape).astype(dtype)
    y_tf, grads_tf = _tf_run(tf, theirs, x, upstream, training=True)
    y, grads = _ours_run(ours, x, upstream, training=True)
    assert y.dtype == dtype and all(g.dtype == dtype for g in grads)
    what = "BatchNormalization training (center, scale ±; dense and image inputs)"
    _assert_close(f"{what}: output", dtype, y, y_tf)
    for name, g, g_tf in zip(["input"] + ours._trainable_names(), grads, grads_tf, strict=True):
        _assert_close(f"{what}: {name} gradient", dtype, g, g_tf)
    for w, w_tf in zip(ours.non_trainable_weights, theirs.non_trainable_weights, strict=True):
        _assert_close(f"{what}: moving statistics after one step", dtype, w, w_tf.numpy())


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("momentum", [0.9, 0.99])
def test_batch_norm_tensorflow_parity_moving_statistics(dtype, momentum):
    tf = import_tensorflow()
    rng = np.random.default_rng(14)
    theirs = tf.keras.layers.BatchNormalization(momentum=momentum, dtype=dtype)
    ours = layers.BatchNormalization(momentum=momentum, dtype=dtype)
    theirs.build((None, 4, 4, 3))
    ours.build_for((4, 4, 3))
    what = f"BatchNormalization momentum {momentum}"
    for step in range(6):
        x = (rng.standard_normal((5, 4, 4, 3)) * (step + 1) + step).astype(dtype)
        y_tf = theirs(tf.constant(x), training=True).numpy()
        _assert_close(f"{what}: training output, steps 1–6", dtype, ours(x, training=True), y_tf)
    for w, w_tf in zip(ours.get_weights(), theirs.get_weights(), strict=True):
        assert w.dtype == dtype
        assert_parity(f"{what}: gamma, beta, moving statistics after 6 steps", dtype, w, w_tf, tolerance(dtype),
                      rtol=tolerance(dtype))
    x = (rng.standard_normal((5, 4, 4, 3)) * 3 + 2).astype(dtype)
    upstream = rng.standard_normal(x.shape).astype(dtype)
    y_tf, grads_tf = _tf_run(tf, theirs, x, upstream, training=False)
    y, grads = _ours_run(ours, x, upstream, training=False)
    _assert_close(f"{what}: inference output", dtype, y, y_tf)
    for name, g, g_tf in zip(["input"] + ours._trainable_names(), grads, grads_tf, strict=True):
        _assert_close(f"{what}: inference {name} gradient", dtype, g, g_tf)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_batch_norm_tensorflow_parity_frozen(dtype):
    tf = import_tensorflow()
    rng = np.random.default_rng(15)
    x = (rng.standard_normal((6, 2, 3, 4)) + 1).astype(dtype)
    theirs = tf.keras.layers.BatchNormalization(dtype=dtype)
    ours = layers.BatchNormalization(dtype=dtype)
    theirs.build((None, 2, 3, 4))
    ours(x)
    _randomize(ours, rng)
    theirs.set_weights(ours.get_weights())
    theirs.trainable = False
    ours.trainable = False
    upstream = rng.standard_normal(x.shape).astype(dtype)
    y_tf, grads_tf = _tf_run(tf, theirs, x, upstream, training=True)
    y, grads = _ours_run(ours, x, upstream, training=True)
    assert len(grads) == len(grads_tf) == 1
    what = "BatchNormalization trainable=False, training=True"
    _assert_close(f"{what}: output", dtype, y, y_tf)
    _assert_close(f"{what}: input gradient", dtype, grads[0], grads_tf[0])
    for w, w_tf in zip(ours.get_weights(), theirs.get_weights(), strict=True):
        np.testing.assert_array_equal(w, w_tf)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", [(6, 7), (2, 3, 4, 5)])
@pytest.mark.parametrize("center,scale", [(True, True), (False, True), (True, False)])
def test_layer_norm_tensorflow_parity(dtype, shape, center, scale):
    tf = import_tensorflow()
    rng = np.random.default_rng(16)
    x = (rng.standard_normal(shape) * 2 + 0.5).astype(dtype)
    theirs = tf.keras.layers.LayerNormalization(center=center, scale=scale, dtype=dtype)
    ours = layers.LayerNormalization(center=center, scale=scale, dtype=dtype)
    theirs.build((None,) + shape[1:])
    ours(x)
    _randomize(ours, rng)
    theirs.set_weights(ours.get_weights())
    upstream = rng.standard_normal(shape).astype(dtype)
    y_tf, grads_tf = _tf_run(tf, theirs, x, upstream, training=True)
    y, grads = _ours_run(ours, x, upstream, training=True)
    assert y.dtype == dtype and all(g.dtype == dtype for g in grads)
    what = "LayerNormalization (center, scale ±; dense and image inputs)"
    _assert_close(f"{what}: output", dtype, y, y_tf)
    for name, g, g_tf in zip(["input"] + ours._trainable_names(), grads, grads_tf, strict=True):
        _assert_close(f"{what}: {name} gradient", dtype, g, g_tf)


# ------------------------------------------------------------------ arguments, config, dtypes
@pytest.mark.parametrize("kwargs,error,name", [
    ({"momentum": 1.5}, ValueError, "momentum"),
    ({"momentum": -0.1}, ValueError, "momentum"),
    ({"momentum": "0.9"}, TypeError, "momentum"),
    ({"epsilon": 0.0}, ValueError, "epsilon"),
    ({"epsilon": -1e-3}, ValueError, "epsilon"),
    ({"epsilon": None}, TypeError, "epsilon"),
    ({"axis": 1}, ValueError, "axis"),
    ({"axis": 3}, ValueError, "axis"),
    ({"axis": "last"}, TypeError, "axis"),
])
def test_batch_norm_rejects_bad_arguments(kwargs, error, name):
    with pytest.raises(error, match=name):
        layers.BatchNormalization(**kwargs)


@pytest.mark.parametrize("kwargs,error,name", [
    ({"epsilon": 0}, ValueError, "epsilon"),
    ({"epsilon": float("nan")}, ValueError, "epsilon"),
    ({"axis": 1}, ValueError, "axis"),
    ({"axis": 2.0}, TypeError, "axis"),
])
def test_layer_norm_rejects_bad_arguments(kwargs, error, name):
    with pytest.raises(error, match=name):
        layers.LayerNormalization(**kwargs)


@pytest.mark.parametrize("cls,kwargs", [
    (layers.BatchNormalization, {"momentum": 0.9, "epsilon": 1e-5, "center": False, "trainable": False}),
    (layers.LayerNormalization, {"epsilon": 1e-4, "scale": False, "dtype": "float64"}),
])
def test_normalization_config_round_trip(cls, kwargs):
    layer = cls(name=f"norm_{cls.__name__}", **kwargs)
    config = layer.get_config()
    clone = type(layer)(**config)
    assert clone.get_config() == config
    for key, value in kwargs.items():
        assert config[key] == value


@pytest.mark.parametrize("cls", [layers.BatchNormalization, layers.LayerNormalization])
@pytest.mark.parametrize("training", [True, False])
def test_normalization_float32_stays_float32(cls, training):
    layer = cls()
    x = np.random.default_rng(17).standard_normal((4, 3, 3, 2)).astype("float32")
    y = layer(Tensor4D(x), training=training)
    dx = layer.backward(Tensor4D(np.ones(y.shape, dtype="float32")))
    assert y.dtype == dx.dtype == np.float32
    assert all(w.dtype == np.float32 for w in layer.weights)
    assert all(g.dtype == np.float32 for g in layer.gradients)


# ------------------------------------------------------------------ GroupNormalization, RMSNormalization
def test_group_normalization_of_one_group_and_of_one_channel_per_group():
    """groups=1: each sample standardized over all positions and channels; groups=-1: each channel alone."""
    x = np.random.default_rng(0).standard_normal((3, 4, 5, 6))
    whole = layers.GroupNormalization(groups=1, epsilon=1e-3, dtype="float64")(x)
    mean, var = x.mean(axis=(1, 2, 3), keepdims=True), x.var(axis=(1, 2, 3), keepdims=True)
    np.testing.assert_allclose(whole, (x - mean) / np.sqrt(var + 1e-3), rtol=1e-12, atol=1e-12)
    instance = layers.GroupNormalization(groups=-1, epsilon=1e-3, dtype="float64")
    mean, var = x.mean(axis=(1, 2), keepdims=True), x.var(axis=(1, 2), keepdims=True)
    np.testing.assert_allclose(instance(x), (x - mean) / np.sqrt(var + 1e-3), rtol=1e-12, atol=1e-12)
    assert instance.get_config()["groups"] == -1 and instance.gamma.shape == (6,)


def test_group_normalization_needs_groups_that_divide_the_channels():
    with pytest.raises(ValueError, match="groups"):
        layers.GroupNormalization(groups=4)(np.ones((2, 6)))


def test_rms_normalization_is_x_over_its_root_mean_square():
    x = np.random.default_rng(1).standard_normal((4, 3, 5))
    layer = layers.RMSNormalization(epsilon=1e-6, dtype="float64")
    np.testing.assert_allclose(layer(x), x / np.sqrt((x ** 2).mean(axis=-1, keepdims=True) + 1e-6), rtol=1e-12)
    assert layer.weight_names == ["scale"]


# ------------------------------------------------------------------ the preprocessing Normalization
def test_normalization_adapt_sets_the_statistics_and_saves_them(tmp_path):
    import redes

    rng = np.random.default_rng(2)
    x = (rng.standard_normal((50, 3)) * [1.0, 10.0, 0.1] + [0.0, 5.0, -2.0]).astype("float32")
    norm = layers.Normalization()
    norm.adapt(x)
    np.testing.assert_allclose(norm.mean, x.mean(axis=0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(norm.variance, x.var(axis=0), rtol=1e-5)
    batches = layers.Normalization()
    batches.adapt([(x[:20], None), (x[20:], None)])  # (x, y) batches, combined as one
    np.testing.assert_allclose(batches.get_weights(), norm.get_weights(), rtol=1e-5, atol=1e-6)
    model = redes.Sequential([redes.Input((3,)), norm, layers.Dense(2)])
    model.save(tmp_path / "norm.redes")
    loaded = redes.load_model(tmp_path / "norm.redes")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    y = norm(x)
    np.testing.assert_allclose(y.mean(axis=0), 0.0, atol=1e-5)
    inverse = layers.Normalization(mean=norm.mean, variance=norm.variance, invert=True)
    np.testing.assert_allclose(inverse(y), x, rtol=1e-5, atol=1e-5)


def test_normalization_rejects_bad_statistics_and_data():
    with pytest.raises(ValueError, match="mean"):
        layers.Normalization(mean=[1.0, 2.0], variance=[1.0])
    with pytest.raises(ValueError, match="axis"):
        layers.Normalization(axis=0).adapt(np.ones((4, 3)))
    adapted = layers.Normalization()
    adapted.adapt(np.ones((4, 3)))
    with pytest.raises(ValueError, match="kept axis"):
        adapted.adapt(np.ones((4, 2)))
    with pytest.raises(ValueError, match="adapt"):
        layers.Normalization(mean=0.0, variance=1.0).adapt(np.ones((4, 3)))
