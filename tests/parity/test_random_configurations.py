"""Random Conv2D / pooling configurations against TensorFlow (hypothesis, derandomized)."""

import sys
from pathlib import Path

import numpy as np
from hypothesis import given, settings, strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent))
from helpers import import_tensorflow  # noqa: E402
from tolerances import max_relative, tolerance  # noqa: E402
from redes import Tensor4D, layers  # noqa: E402

SETTINGS = settings(deadline=None, max_examples=25, derandomize=True)


@SETTINGS
@given(channels=st.integers(1, 3), filters=st.integers(1, 4), kh=st.integers(1, 5), kw=st.integers(1, 5),
       sh=st.integers(1, 2), sw=st.integers(1, 2), padding=st.sampled_from(["valid", "same"]),
       h=st.integers(5, 9), w=st.integers(5, 9), use_bias=st.booleans(),
       dtype=st.sampled_from(["float32", "float64"]), seed=st.integers(0, 2**16))
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
    tx = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(tx)
        ty = theirs(tx)
        loss = tf.reduce_sum(ty * upstream)
    expected = [ty.numpy()] + [g.numpy() for g in tape.gradient(loss, [tx] + theirs.trainable_weights)]
    y = np.asarray(ours(Tensor4D(x)))
    got = [y, np.asarray(ours.backward(Tensor4D(upstream)))] + ours.gradients
    assert len(got) == len(expected)
    for name, a, b in zip(["output", "input", "kernel", "bias"], got, expected):
        assert a.dtype == np.dtype(dtype) and a.shape == b.shape, name
        assert max_relative(a, b) < tolerance(dtype), name


@SETTINGS
@given(kind=st.sampled_from(["max", "average"]), ph=st.integers(1, 3), pw=st.integers(1, 3),
       sh=st.integers(1, 3), sw=st.integers(1, 3), padding=st.sampled_from(["valid", "same"]),
       h=st.integers(3, 8), w=st.integers(3, 8), channels=st.integers(1, 3),
       dtype=st.sampled_from(["float32", "float64"]), seed=st.integers(0, 2**16))
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
    tx = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(tx)
        ty = theirs(tx)
        loss = tf.reduce_sum(ty * upstream)
    gx = tape.gradient(loss, tx).numpy()
    assert y.shape == ty.shape
    assert max_relative(y, ty.numpy()) < tolerance(dtype)
    assert max_relative(np.asarray(ours.backward(Tensor4D(upstream))), gx) < tolerance(dtype)
