"""Random Conv2D / pooling configurations against TensorFlow (hypothesis, derandomized; 15 per dtype)."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from helpers import assert_parity, import_tensorflow, tf_vjp
from tolerances import tolerance
from redes import Tensor4D, layers

SETTINGS = settings(deadline=None, max_examples=15, derandomize=True)
DTYPES = pytest.mark.parametrize("dtype", ["float32", "float64"])


@DTYPES
@SETTINGS
@given(channels=st.integers(1, 3), filters=st.integers(1, 4), kh=st.integers(1, 5), kw=st.integers(1, 5),
       sh=st.integers(1, 2), sw=st.integers(1, 2), padding=st.sampled_from(["valid", "same"]),
       h=st.integers(5, 9), w=st.integers(5, 9), use_bias=st.booleans(), seed=st.integers(0, 2**16))
def test_conv2d_random_configuration(channels, filters, kh, kw, sh, sw, padding, h, w, use_bias, dtype, seed):
    tf = import_tensorflow()
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((2, h, w, channels)).astype(dtype)
    ours = layers.Conv2D(filters, (kh, kw), strides=(sh, sw), padding=padding, use_bias=use_bias, dtype=dtype)
    y = np.asarray(ours(Tensor4D(x)))
    weights = [rng.standard_normal(v.shape).astype(dtype) for v in ours.get_weights()]
    ours.set_weights(weights)
    theirs = tf.keras.layers.Conv2D(filters, (kh, kw), strides=(sh, sw), padding=padding, use_bias=use_bias,
                                    dtype=dtype)
    theirs.build(x.shape)
    theirs.set_weights(weights)
    upstream = rng.standard_normal(y.shape).astype(dtype)
    expected = tf_vjp(tf, theirs, x, upstream)
    y = np.asarray(ours(Tensor4D(x)))
    got = [y, np.asarray(ours.backward(Tensor4D(upstream)))] + ours.gradients
    assert len(got) == len(expected)
    for name, a, b in zip(["output", "input gradient", "kernel gradient", "bias gradient"], got, expected):
        assert a.dtype == np.dtype(dtype), name
        assert_parity(f"Conv2D random configurations (hypothesis): {name}", dtype, a, b, tolerance(dtype))


@DTYPES
@SETTINGS
@given(kind=st.sampled_from(["max", "average"]), ph=st.integers(1, 3), pw=st.integers(1, 3),
       sh=st.integers(1, 3), sw=st.integers(1, 3), padding=st.sampled_from(["valid", "same"]),
       h=st.integers(3, 8), w=st.integers(3, 8), channels=st.integers(1, 3), seed=st.integers(0, 2**16))
def test_pooling_random_configuration(kind, ph, pw, sh, sw, padding, h, w, channels, dtype, seed):
    tf = import_tensorflow()
    if padding == "valid" and (h < ph or w < pw):
        return
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((2, h, w, channels)).astype(dtype)
    ours_cls = layers.MaxPooling2D if kind == "max" else layers.AveragePooling2D
    tf_cls = tf.keras.layers.MaxPooling2D if kind == "max" else tf.keras.layers.AveragePooling2D
    ours = ours_cls((ph, pw), strides=(sh, sw), padding=padding, dtype=dtype)
    theirs = tf_cls((ph, pw), strides=(sh, sw), padding=padding, dtype=dtype)
    y = np.asarray(ours(Tensor4D(x)))
    upstream = rng.standard_normal(y.shape).astype(dtype)
    ty, gx = tf_vjp(tf, theirs, x, upstream)
    what = f"{type(ours).__name__} random configurations (hypothesis)"
    assert_parity(f"{what}: output", dtype, y, ty, tolerance(dtype))
    assert_parity(f"{what}: input gradient", dtype, np.asarray(ours.backward(Tensor4D(upstream))), gx,
                  tolerance(dtype))


def _compare_layer(tf, make, x, rng, dtype, what: str) -> None:
    """Build ``make(layers module)`` in both libraries with the same random weights; compare output, input
    gradient and weight gradients of L = Σ y ⊙ R."""
    ours = make(layers, dtype)
    y = np.asarray(ours(Tensor4D(x) if x.ndim == 4 else x))
    weights = [rng.standard_normal(v.shape).astype(dtype) for v in ours.get_weights()]
    ours.set_weights(weights)
    theirs = make(tf.keras.layers, dtype)
    theirs.build(x.shape)
    theirs.set_weights(weights)
    upstream = rng.standard_normal(y.shape).astype(dtype)
    expected = tf_vjp(tf, theirs, x, upstream)
    y = ours(Tensor4D(x))
    got = [np.asarray(y), np.asarray(ours.backward(Tensor4D(upstream.reshape(y.shape)))), *ours.gradients]
    assert len(got) == len(expected), what
    names = ["output", "input gradient", *(f"{name} gradient" for name in ours.weight_names)]
    for name, a, b in zip(names, got, expected):
        # element-wise, relative to max(|value|, 1): a sum of many unit terms that nearly cancel (a bias
        # gradient) keeps the rounding of its terms, not of its small result
        assert_parity(f"{what} random configurations (hypothesis): {name}", dtype, a.reshape(b.shape), b,
                      rtol=tolerance(dtype), atol=tolerance(dtype))


@DTYPES
@SETTINGS
@given(groups=st.sampled_from([1, 2, 3]), per_group=st.integers(1, 2), filters_per_group=st.integers(1, 2),
       k=st.integers(1, 3), dilation=st.integers(1, 2), stride=st.integers(1, 2),
       padding=st.sampled_from(["valid", "same"]), h=st.integers(6, 9), seed=st.integers(0, 2**16))
def test_grouped_dilated_conv2d_random_configuration(groups, per_group, filters_per_group, k, dilation, stride,
                                                     padding, h, dtype, seed):
    if dilation > 1 and stride > 1:  # Keras refuses both at once
        return
    tf = import_tensorflow()
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((2, h, h + 1, groups * per_group)).astype(dtype)
    _compare_layer(tf, lambda L, d: L.Conv2D(groups * filters_per_group, k, strides=stride, padding=padding,
                                             dilation_rate=dilation, groups=groups, dtype=d), x, rng, dtype,
                   "Conv2D groups/dilation")


@DTYPES
@SETTINGS
@given(filters=st.integers(1, 3), k=st.integers(1, 4), stride=st.integers(1, 3),
       padding=st.sampled_from(["valid", "same"]), h=st.integers(2, 6), channels=st.integers(1, 3),
       seed=st.integers(0, 2**16))
def test_conv2d_transpose_random_configuration(filters, k, stride, padding, h, channels, dtype, seed):
    tf = import_tensorflow()
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((2, h, h + 1, channels)).astype(dtype)
    _compare_layer(tf, lambda L, d: L.Conv2DTranspose(filters, k, strides=stride, padding=padding, dtype=d),
                   x, rng, dtype, "Conv2DTranspose")


@DTYPES
@SETTINGS
@given(groups=st.sampled_from([1, 2, 4, -1]), per_group=st.integers(1, 3), h=st.integers(1, 4),
       center=st.booleans(), scale=st.booleans(), seed=st.integers(0, 2**16))
def test_group_normalization_random_configuration(groups, per_group, h, center, scale, dtype, seed):
    tf = import_tensorflow()
    rng = np.random.default_rng(seed)
    channels = (4 if groups == -1 else groups) * per_group
    x = rng.standard_normal((3, h, h + 2, channels)).astype(dtype)
    _compare_layer(tf, lambda L, d: L.GroupNormalization(groups=groups, center=center, scale=scale, dtype=d),
                   x, rng, dtype, "GroupNormalization")
