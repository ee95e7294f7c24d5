"""The vision layers against Keras on the same weights: grouped and dilated Conv1D/Conv2D, Conv1DTranspose,
Conv2DTranspose, DepthwiseConv2D, SeparableConv2D, UpSampling1D/2D, ZeroPadding1D/2D, Cropping1D/2D.

Each: the output, the input gradient and every weight gradient of L = Σ y ⊙ R, in float32 and float64,
over a grid of configurations; then small Sequentials (one with a Conv2DTranspose, one with the
depthwise and separable convolutions) trained 3 Adam steps on both sides.

TensorFlow's CPU kernel of the transposed convolution (Conv2DBackpropInput) refuses a dilation above 1
in float64 (float32 goes through oneDNN, which has it). There the reference is Keras' Conv2DTranspose
with the zero-dilated kernel: taps W[i] at (i·d), zeros between, dilation 1; the same map, as the
output-size formula and TensorFlow's padding both use k_eff = (k − 1)·d + 1. Its kernel gradient,
read at the taps, is the dilated layer's.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from helpers import assert_parity, assert_training_parity, import_tensorflow, keras_floatx, tf_vjp, train_three_steps
from redes import Tensor4D, layers
from tolerances import RESIZE_FLOAT64_RTOL, elementwise, tolerance

DTYPES = pytest.mark.parametrize("dtype", ["float32", "float64"])
NAMES = ["output", "input gradient", "kernel gradient", "bias gradient"]


def compare(what: str, name: str, kwargs: dict, shape: tuple, dtype: str, seed: int, reference=None,
            names: list = NAMES) -> None:
    """Our layer ``name(**kwargs)`` and Keras' on the same weights: output, input and weight gradients."""
    tf = import_tensorflow()
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape).astype(dtype)
    ours = getattr(layers, name)(**kwargs, dtype=dtype)
    ours.build_for(shape[1:])
    weights = [rng.standard_normal(w.shape).astype(dtype) for w in ours.get_weights()]
    ours.set_weights(weights)
    y = ours(x)
    upstream = rng.standard_normal(y.shape).astype(dtype)
    got = [y, ours.backward(Tensor4D.from_natural(upstream)).data.reshape(x.shape), *ours.gradients]
    expected = (reference or keras_vjp)(tf, name, kwargs, x, weights, upstream)
    assert len(got) == len(expected)
    for label, a, b in zip(names, got, expected):  # no bias gradient without use_bias
        assert a.dtype == np.dtype(dtype), label
        assert_parity(f"{what}: {label}", dtype, a, b, tolerance(dtype))


def keras_vjp(tf, name: str, kwargs: dict, x, weights: list, upstream) -> list:
    theirs = getattr(tf.keras.layers, name)(**kwargs, dtype=x.dtype.name)
    theirs.build(x.shape)
    assert [w.shape for w in theirs.get_weights()] == [w.shape for w in weights]  # Keras' layout
    theirs.set_weights(weights)
    return tf_vjp(tf, theirs, x, upstream)


# ------------------------------------------------------------------ grouped and dilated convolutions
# (kernel_size, strides, padding, dilation_rate, groups, activation): 2 images 7×6 of 4 channels, 6 filters
CONV2D = [(3, 1, "valid", 1, 2, None), (3, 2, "same", 1, 2, "relu"), ((2, 3), (2, 1), "same", 1, 4, None),
          (1, 1, "valid", 1, 2, "tanh"), (3, 1, "same", 2, 1, None), ((2, 3), 1, "valid", (2, 1), 2, None),
          (3, 1, "same", 3, 2, "tanh"), (2, 1, "same", 2, 1, None)]


@DTYPES
@pytest.mark.parametrize("kernel, strides, padding, dilation, groups, activation", CONV2D)
def test_grouped_dilated_conv2d_matches_keras(kernel, strides, padding, dilation, groups, activation, dtype):
    kwargs = dict(filters=4 * (groups > 2) + 6 * (groups <= 2), kernel_size=kernel, strides=strides, padding=padding,
                  dilation_rate=dilation, groups=groups, activation=activation)
    compare("Conv2D (groups 1, 2, 4; dilation 1–3; strides 1, 2; valid, same)", "Conv2D", kwargs, (2, 7, 6, 4),
            dtype, seed=len(CONV2D) + groups)


# (kernel_size, strides, padding, dilation_rate, groups): 2 sequences of 11 steps, 6 channels, 6 filters
CONV1D = [(3, 1, "causal", 2, 2), (3, 1, "same", 3, 3), (2, 2, "valid", 1, 6), (4, 1, "causal", 1, 3),
          (1, 1, "valid", 1, 2), (5, 1, "same", 2, 1)]


@DTYPES
@pytest.mark.parametrize("kernel, strides, padding, dilation, groups", CONV1D)
def test_grouped_dilated_conv1d_matches_keras(kernel, strides, padding, dilation, groups, dtype):
    kwargs = dict(filters=6, kernel_size=kernel, strides=strides, padding=padding, dilation_rate=dilation,
                  groups=groups)
    compare("Conv1D (groups 1–6; dilation 1–3; valid, same, causal)", "Conv1D", kwargs, (2, 11, 6), dtype,
            seed=kernel + groups)


# ------------------------------------------------------------------ depthwise and separable convolutions
# (kernel_size, (strides, dilation_rate), padding, depth_multiplier): every combination, on 2 images of 3
# channels, 7×8 (odd height, even width) or 8×7, alternately; then a few with other kernels and activations
# (TensorFlow's depthwise kernel takes equal strides only: redes takes any, tested by the contract test's gradients)
DEPTHWISE = [(kernel, *step, padding, multiplier, None) for kernel, step, padding, multiplier in itertools.product(
    (2, 3), ((1, 1), (2, 1), (1, 2)), ("valid", "same"), (1, 2))]
DEPTHWISE += [(1, 1, 1, "valid", 3, "relu"), ((3, 2), 2, 1, "same", 2, "tanh"),
              ((2, 3), 1, (2, 1), "valid", 1, "tanh"), (5, 2, 1, "same", 1, None), (4, 1, 2, "same", 2, "relu")]
SEPARABLE_NAMES = ["output", "input gradient", "depthwise kernel gradient", "pointwise kernel gradient",
                   "bias gradient"]


@DTYPES
@pytest.mark.parametrize("kernel, strides, dilation, padding, multiplier, activation", DEPTHWISE)
def test_depthwise_conv2d_matches_keras(kernel, strides, dilation, padding, multiplier, activation, dtype):
    kwargs = dict(kernel_size=kernel, strides=strides, padding=padding, depth_multiplier=multiplier,
                  dilation_rate=dilation, activation=activation)
    index = DEPTHWISE.index((kernel, strides, dilation, padding, multiplier, activation))
    compare("DepthwiseConv2D (kernel 1–5; strides 1, 2; valid, same; dilation 1, 2; depth_multiplier 1–3)",
            "DepthwiseConv2D", kwargs, (2, 7, 8, 3) if index % 2 else (2, 8, 7, 3), dtype, seed=index)


@DTYPES
@pytest.mark.parametrize("kernel, strides, dilation, padding, multiplier, activation", DEPTHWISE)
def test_separable_conv2d_matches_keras(kernel, strides, dilation, padding, multiplier, activation, dtype):
    kwargs = dict(filters=4, kernel_size=kernel, strides=strides, padding=padding, depth_multiplier=multiplier,
                  dilation_rate=dilation, activation=activation)
    index = DEPTHWISE.index((kernel, strides, dilation, padding, multiplier, activation))
    compare("SeparableConv2D (kernel 1–5; strides 1, 2; valid, same; dilation 1, 2; depth_multiplier 1–3)",
            "SeparableConv2D", kwargs, (2, 8, 7, 3) if index % 2 else (2, 7, 8, 3), dtype, seed=100 + index,
            names=SEPARABLE_NAMES)


def separable_model(module, dtype: str) -> list:
    """DepthwiseConv2D (stride 2, same, depth_multiplier 2) and SeparableConv2D (dilation 2), then Dense."""
    kw = {"dtype": dtype}
    return [module.Input((9, 8, 3)),
            module.DepthwiseConv2D(3, strides=2, padding="same", depth_multiplier=2, activation="relu", **kw),
            module.SeparableConv2D(5, 2, dilation_rate=2, activation="tanh", **kw),
            module.SeparableConv2D(4, 3, padding="same", depth_multiplier=2, use_bias=False, **kw),
            module.GlobalAveragePooling2D(**kw), module.Dense(3, activation="softmax", **kw)]


@DTYPES
def test_depthwise_and_separable_sequential_train_as_keras(dtype):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((24, 9, 8, 3)).astype(dtype)
    y = rng.integers(0, 3, 24)
    if dtype == "float64":  # Keras' β in float64 and a float64 learning rate (see test_whole_models)
        with keras_floatx("float64") as tf:
            result = train_three_steps(tf, separable_model, x, y, dtype,
                                       {"beta_1": np.float64(0.9), "beta_2": np.float64(0.999)})
    else:
        result = train_three_steps(import_tensorflow(), separable_model, x, y, dtype, {})
    assert_training_parity("DepthwiseConv2D, SeparableConv2D (strides 2, same; dilation 2), Dense; Adam(1e-2)",
                           result, dtype)


# ------------------------------------------------------------------ transposed convolutions
def dilated_kernel_vjp(tf, name: str, kwargs: dict, x, weights: list, upstream) -> list:
    """Keras' transposed convolution with the zero-dilated kernel (see the module docstring)."""
    kernel = weights[0]
    rank = kernel.ndim - 2
    dilation = kwargs["dilation_rate"]
    dilation = (dilation,) * rank if isinstance(dilation, int) else dilation
    taps = tuple(slice(None, None, d) for d in dilation)
    dilated = np.zeros(tuple((k - 1) * d + 1 for k, d in zip(kernel.shape, dilation)) + kernel.shape[rank:],
                       dtype=kernel.dtype)
    dilated[taps] = kernel
    plain = {**kwargs, "kernel_size": dilated.shape[:rank], "dilation_rate": 1}
    y, grad_x, grad_kernel, *rest = keras_vjp(tf, name, plain, x, [dilated, *weights[1:]], upstream)
    return [y, grad_x, grad_kernel[taps], *rest]


# (kernel_size, strides, padding, output_padding, dilation_rate, use_bias, activation)
CONV2D_TRANSPOSE = [(3, 1, "valid", None, 1, True, None), (3, 2, "same", None, 1, True, "relu"),
                    (3, 2, "valid", None, 1, False, None), (2, 2, "valid", None, 1, True, "tanh"),
                    (4, 2, "same", None, 1, True, None), ((2, 3), (2, 3), "valid", 1, 1, True, None),
                    (3, 2, "same", (0, 1), 1, True, None), (3, 3, "same", 2, 1, False, "tanh"),
                    (2, 3, "valid", None, 1, True, None), (1, 2, "valid", 1, 1, True, None),
                    (5, 1, "same", None, 1, True, None), (3, 1, "same", None, 2, True, None),
                    ((2, 3), 1, "valid", None, (2, 1), True, "relu"), (3, (2, 1), "same", (1, 0), 1, True, None)]


@DTYPES
@pytest.mark.parametrize("kernel, strides, padding, output_padding, dilation, use_bias, activation", CONV2D_TRANSPOSE)
def test_conv2d_transpose_matches_keras(kernel, strides, padding, output_padding, dilation, use_bias, activation,
                                        dtype):
    kwargs = dict(filters=3, kernel_size=kernel, strides=strides, padding=padding, output_padding=output_padding,
                  dilation_rate=dilation, use_bias=use_bias, activation=activation)
    dilated = dtype == "float64" and dilation != 1
    compare("Conv2DTranspose (kernel 1–5; strides 1–3; valid, same; output_padding; dilation 1, 2)",
            "Conv2DTranspose", kwargs, (2, 5, 4, 2), dtype, seed=len(str(kwargs)),
            reference=dilated_kernel_vjp if dilated else None)


# (kernel_size, strides, padding, output_padding, dilation_rate)
CONV1D_TRANSPOSE = [(3, 1, "valid", None, 1), (3, 2, "same", None, 1), (4, 2, "same", None, 1),
                    (2, 3, "valid", 2, 1), (5, 3, "same", 1, 1), (3, 1, "same", None, 3), (2, 1, "valid", 0, 2)]


@DTYPES
@pytest.mark.parametrize("kernel, strides, padding, output_padding, dilation", CONV1D_TRANSPOSE)
def test_conv1d_transpose_matches_keras(kernel, strides, padding, output_padding, dilation, dtype):
    kwargs = dict(filters=4, kernel_size=kernel, strides=strides, padding=padding, output_padding=output_padding,
                  dilation_rate=dilation)
    compare("Conv1DTranspose (kernel 2–5; strides 1–3; valid, same; output_padding; dilation 1–3)",
            "Conv1DTranspose", kwargs, (2, 6, 3), dtype, seed=kernel * 10 + strides,
            reference=dilated_kernel_vjp if dtype == "float64" and dilation != 1 else None)


def test_conv_transpose_output_shapes_match_keras():
    tf = import_tensorflow()
    checked = 0
    for kernel in (1, 2, 3, 4, 5):
        for stride in (1, 2, 3):
            for padding in ("valid", "same"):
                for output_padding in (None, *range(stride)):
                    for size in (1, 4, 5):
                        kwargs = dict(strides=stride, padding=padding, output_padding=output_padding)
                        theirs = tf.keras.layers.Conv2DTranspose(2, kernel, **kwargs)
                        shape = tuple(theirs.compute_output_shape((None, size, size + 1, 3)))
                        assert (None,) + layers.Conv2DTranspose(2, kernel, **kwargs).compute_output_shape(
                            (size, size + 1, 3)) == shape, (kernel, stride, padding, output_padding, size)
                        checked += 1
    assert checked > 100


# ------------------------------------------------------------------ reshaping layers
RESHAPING = [("UpSampling2D", {}), ("UpSampling2D", {"size": (3, 2)}), ("UpSampling2D", {"interpolation": "bilinear"}),
             ("UpSampling2D", {"size": (3, 4), "interpolation": "bilinear"}),
             ("UpSampling2D", {"size": (1, 5), "interpolation": "bilinear"}),
             ("UpSampling1D", {}), ("UpSampling1D", {"size": 3}),
             ("ZeroPadding2D", {}), ("ZeroPadding2D", {"padding": 2}), ("ZeroPadding2D", {"padding": ((1, 0), (0, 3))}),
             ("ZeroPadding1D", {"padding": (0, 2)}), ("Cropping2D", {"cropping": 1}),
             ("Cropping2D", {"cropping": ((2, 0), (1, 3))}), ("Cropping1D", {}), ("Cropping1D", {"cropping": (0, 3)})]


@DTYPES
@pytest.mark.parametrize("name, kwargs", RESHAPING)
def test_reshaping_layer_matches_keras(name, kwargs, dtype):
    tf = import_tensorflow()
    rng = np.random.default_rng(len(RESHAPING))
    x = rng.standard_normal((2, 6, 5, 3) if name.endswith("2D") else (2, 7, 3)).astype(dtype)
    y = getattr(layers, name)(**kwargs, dtype=dtype)
    ours = getattr(layers, name)(**kwargs, dtype=dtype)
    y = ours(x)
    upstream = rng.standard_normal(y.shape).astype(dtype)
    y_tf, grad_tf = tf_vjp(tf, getattr(tf.keras.layers, name)(**kwargs, dtype=dtype), x, upstream)
    grad = ours.backward(Tensor4D.from_natural(upstream)).data.reshape(x.shape)
    assert y.dtype == grad.dtype == np.dtype(dtype)
    what = f"{name}({', '.join(f'{key}={value}' for key, value in kwargs.items())})"
    if kwargs.get("interpolation") == "bilinear":
        # TensorFlow's resize computes in float32 whatever the dtype (its weights and its sums)
        bound = RESIZE_FLOAT64_RTOL if dtype == "float64" else tolerance(dtype)
        assert_parity(f"{what}: output", dtype, y, y_tf, bound)
        assert_parity(f"{what}: input gradient", dtype, grad, grad_tf, bound)
    else:  # copies and sums of copies
        rtol, atol = elementwise(dtype)
        assert_parity(f"{what}: output", dtype, y, y_tf, rtol=rtol, atol=atol)
        assert_parity(f"{what}: input gradient", dtype, grad, grad_tf, rtol=rtol, atol=atol)


# ------------------------------------------------------------------ a small Sequential, 3 Adam steps
def decoder_model(module, dtype: str) -> list:
    """Conv2D down, Conv2DTranspose up (same, valid with output_padding), the reshaping layers, Dense.

    UpSampling2D is the nearest one: TensorFlow's bilinear resize computes in float32 even in float64.
    """
    kw = {"dtype": dtype}
    return [module.Input((8, 8, 2)),
            module.Conv2D(4, 3, strides=2, padding="same", activation="relu", **kw),
            module.Conv2DTranspose(4, 3, strides=2, padding="same", activation="tanh", **kw),
            module.ZeroPadding2D(1, **kw), module.Cropping2D(((0, 2), (1, 1)), **kw),
            module.Conv2DTranspose(3, 2, strides=2, output_padding=1, **kw),
            module.UpSampling2D(**kw), module.GlobalAveragePooling2D(**kw),
            module.Dense(3, activation="softmax", **kw)]


@DTYPES
def test_conv2d_transpose_sequential_trains_as_keras(dtype):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((24, 8, 8, 2)).astype(dtype)
    y = rng.integers(0, 3, 24)
    if dtype == "float64":  # Keras' β in float64 and a float64 learning rate (see test_whole_models)
        with keras_floatx("float64") as tf:
            result = train_three_steps(tf, decoder_model, x, y, dtype,
                                       {"beta_1": np.float64(0.9), "beta_2": np.float64(0.999)})
    else:
        result = train_three_steps(import_tensorflow(), decoder_model, x, y, dtype, {})
    what = "Conv2D, Conv2DTranspose (same; valid, output_padding), ZeroPadding2D, Cropping2D, UpSampling2D"
    assert_training_parity(f"{what}, Dense; Adam(1e-2)", result, dtype)


# ------------------------------------------------------------------ Resizing and CenterCrop
# (layer, kwargs): 2 images 6×5 of 3 channels; sizes up, down, mixed, equal; CenterCrop smaller and larger
RESIZING = [("Resizing", {"height": 3, "width": 5}), ("Resizing", {"height": 9, "width": 11}),
            ("Resizing", {"height": 8, "width": 2}), ("Resizing", {"height": 4, "width": 7, "crop_to_aspect_ratio": True}),
            ("Resizing", {"height": 2, "width": 6, "crop_to_aspect_ratio": True}),
            ("Resizing", {"height": 4, "width": 3, "interpolation": "nearest"}),
            ("Resizing", {"height": 13, "width": 7, "interpolation": "nearest"}),
            ("Resizing", {"height": 5, "width": 9, "interpolation": "nearest", "crop_to_aspect_ratio": True}),
            ("CenterCrop", {"height": 3, "width": 4}), ("CenterCrop", {"height": 6, "width": 5}),
            ("CenterCrop", {"height": 8, "width": 3}), ("CenterCrop", {"height": 9, "width": 7})]


@DTYPES
@pytest.mark.parametrize("name, kwargs", RESIZING)
def test_resizing_layer_matches_keras(name, kwargs, dtype):
    tf = import_tensorflow()
    rng = np.random.default_rng(len(RESIZING))
    x = rng.standard_normal((2, 6, 5, 3)).astype(dtype)
    ours = getattr(layers, name)(**kwargs, dtype=dtype)
    y = ours(x)
    upstream = rng.standard_normal(y.shape).astype(dtype)
    y_tf, grad_tf = tf_vjp(tf, getattr(tf.keras.layers, name)(**kwargs, dtype=dtype), x, upstream)
    grad = ours.backward(Tensor4D.from_natural(upstream)).data.reshape(x.shape)
    assert y.dtype == grad.dtype == np.dtype(dtype)
    what = f"{name}({', '.join(f'{key}={value}' for key, value in kwargs.items())})"
    # TensorFlow's resize computes in float32 whatever the dtype (its weights and its sums)
    bound = RESIZE_FLOAT64_RTOL if dtype == "float64" else tolerance(dtype)
    assert_parity(f"{what}: output", dtype, y, y_tf, bound)
    assert_parity(f"{what}: input gradient", dtype, grad, grad_tf, bound)
