import itertools

import numpy as np
import pytest

from helpers import assert_parity, check_layer_gradients, import_tensorflow, tf_vjp
from tolerances import tolerance
from redes import Tensor4D, layers, regularizers

KERNELS = [1, 2, 3, 5]
STRIDES = [1, 2]
PADDINGS = ["valid", "same"]
SHAPES = [(2, 7, 7, 2), (2, 6, 6, 2), (1, 5, 8, 2)]  # odd, even, non-square
# Bias and activation cycle through their four combinations along the grid.
VARIANTS = [(True, None), (False, "tanh"), (True, "tanh"), (False, None)]
GRID = [
    (kernel, stride, padding, shape) + VARIANTS[index % len(VARIANTS)]
    for index, (kernel, stride, padding, shape) in enumerate(itertools.product(KERNELS, STRIDES, PADDINGS, SHAPES))
]
GRID_IDS = [f"k{k}-s{s}-{p}-{'x'.join(map(str, shape[1:3]))}-bias{b}-{a}" for k, s, p, shape, b, a in GRID]


def naive_conv2d(x, kernel, bias, strides, padding):
    """Direct loops over every output element, with explicit zero padding."""
    n, height, width, _ = x.shape
    kh, kw, _, filters = kernel.shape
    sh, sw = strides
    if padding == "same":
        out_h, out_w = -(-height // sh), -(-width // sw)
        pad_h = max((out_h - 1) * sh + kh - height, 0)
        pad_w = max((out_w - 1) * sw + kw - width, 0)
        x = np.pad(x, ((0, 0), (pad_h // 2, pad_h - pad_h // 2), (pad_w // 2, pad_w - pad_w // 2), (0, 0)))
    else:
        out_h, out_w = (height - kh) // sh + 1, (width - kw) // sw + 1
    y = np.zeros((n, out_h, out_w, filters))
    for b in range(n):
        for p in range(out_h):
            for q in range(out_w):
                window = x[b, p * sh:p * sh + kh, q * sw:q * sw + kw, :]
                for f in range(filters):
                    y[b, p, q, f] = (window * kernel[..., f]).sum() + bias[f]
    return y


def tf_conv2d(tf, x, kernel, bias, upstream, **kwargs):
    """TensorFlow's output and gradients (input, kernel, bias) for L = Σ y ⊙ upstream."""
    layer = tf.keras.layers.Conv2D(kernel.shape[-1], kernel.shape[:2], use_bias=bias is not None,
                                   dtype=x.dtype.name, **kwargs)
    layer.build((None,) + x.shape[1:])
    layer.set_weights([kernel] + ([bias] if bias is not None else []))
    return tf_vjp(tf, layer, x, upstream)


@pytest.mark.parametrize("kernel,stride,padding,shape,use_bias,activation", GRID, ids=GRID_IDS)
def test_conv_gradients(kernel, stride, padding, shape, use_bias, activation):
    layer = layers.Conv2D(3, kernel, strides=stride, padding=padding, use_bias=use_bias, activation=activation,
                          bias_initializer="glorot_uniform", dtype="float64")
    x = np.random.default_rng(kernel * 10 + stride).standard_normal(shape)
    check_layer_gradients(layer, x)


@pytest.mark.parametrize("use_bias", [True, False])
@pytest.mark.parametrize("activation", [None, "tanh", "sigmoid"])
def test_conv_gradients_rectangular_kernel_and_strides(use_bias, activation):
    layer = layers.Conv2D(2, (2, 3), strides=(2, 1), padding="same", use_bias=use_bias, activation=activation,
                          dtype="float64")
    x = np.random.default_rng(5).standard_normal((2, 5, 6, 3))
    check_layer_gradients(layer, x)


def test_conv_regularizer_gradient_and_penalty():
    layer = layers.Conv2D(2, 3, kernel_regularizer=regularizers.l2(0.1), bias_regularizer=regularizers.l1(0.01),
                          bias_initializer="ones", dtype="float64")
    y = layer(Tensor4D(np.random.default_rng(6).standard_normal((2, 5, 5, 2))))
    layer.backward(Tensor4D(np.zeros(y.shape)))
    kernel_grad, bias_grad = layer.gradients
    np.testing.assert_allclose(kernel_grad, 2 * 0.1 * layer.kernel)
    np.testing.assert_allclose(bias_grad, 0.01 * np.ones(2))
    assert layer.losses == pytest.approx([0.1 * (layer.kernel ** 2).sum(), 0.01 * 2])


@pytest.mark.parametrize("kernel,strides,padding,shape", [
    (3, (1, 1), "valid", (2, 6, 7, 3)),
    (3, (2, 2), "same", (2, 7, 6, 3)),
    ((2, 4), (1, 3), "same", (1, 6, 8, 2)),
    (5, (2, 1), "valid", (1, 9, 5, 2)),
    (1, (1, 1), "same", (2, 3, 4, 5)),
    (5, (1, 1), "same", (1, 3, 2, 2)),  # the kernel is larger than the image
])
def test_conv_matches_naive_loop(kernel, strides, padding, shape):
    rng = np.random.default_rng(7)
    layer = layers.Conv2D(4, kernel, strides=strides, padding=padding, bias_initializer="glorot_uniform",
                          dtype="float64")
    x = rng.standard_normal(shape)
    y = np.asarray(layer(Tensor4D(x)))
    expected = naive_conv2d(x, layer.kernel, layer.bias, layer.strides, padding)
    assert y.shape == expected.shape == (shape[0],) + layer.compute_output_shape(shape[1:])
    np.testing.assert_allclose(y, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("kernel,stride,padding,shape,use_bias,activation", GRID, ids=GRID_IDS)
def test_conv_tensorflow_parity(kernel, stride, padding, shape, use_bias, activation, dtype):
    tf = import_tensorflow()
    rng = np.random.default_rng(8)
    x = rng.standard_normal(shape).astype(dtype)
    ours = layers.Conv2D(3, kernel, strides=stride, padding=padding, use_bias=use_bias, activation=activation,
                         dtype=dtype)
    y = np.asarray(ours(Tensor4D(x)))
    weights = [rng.standard_normal(w.shape).astype(dtype) for w in ours.get_weights()]
    ours.set_weights(weights)
    upstream = rng.standard_normal(y.shape).astype(dtype)
    expected = tf_conv2d(tf, x, weights[0], weights[1] if use_bias else None, upstream,
                         strides=stride, padding=padding, activation=activation)
    y = np.asarray(ours(Tensor4D(x)))
    got = [y, np.asarray(ours.backward(Tensor4D(upstream)))] + ours.gradients
    assert len(got) == len(expected)
    for name, ours_value, their_value in zip(["output", "input", "kernel", "bias"], got, expected):
        assert ours_value.dtype == np.dtype(dtype), name
        what = "Conv2D grid (kernel 1, 2, 3, 5; stride 1, 2; valid, same; 7×7, 6×6, 5×8; ±bias, ±tanh)"
        assert_parity(f"{what}: {name if name == 'output' else name + ' gradient'}", dtype, ours_value, their_value,
                      tolerance(dtype))


def test_conv_float32_stays_float32():
    layer = layers.Conv2D(4, 3, padding="same", activation="relu")
    x = np.random.default_rng(9).standard_normal((2, 6, 6, 3)).astype("float32")
    y = layer(Tensor4D(x))
    grad_x = layer.backward(Tensor4D(np.ones(y.shape, dtype="float32")))
    assert y.dtype == np.float32 and grad_x.dtype == np.float32
    assert all(g.dtype == np.float32 for g in layer.gradients)
    assert all(w.dtype == np.float32 for w in layer.weights)


def test_conv_weights_shapes_and_natural_arrays():
    layer = layers.Conv2D(8, 3, strides=2, padding="same")
    out = layer(np.ones((2, 28, 28, 1), dtype="float32"))
    assert out.shape == (2, 14, 14, 8)
    kernel, bias = layer.get_weights()
    assert kernel.shape == (3, 3, 1, 8) and bias.shape == (8,)
    assert layer.count_params() == 3 * 3 * 8 + 8
    assert layers.Conv2D(8, 3, use_bias=False)(np.ones((1, 5, 5, 2), dtype="float32")).shape == (1, 3, 3, 8)


def test_conv_output_shapes_match_tensorflow():
    tf = import_tensorflow()
    for kernel, stride, padding, size in itertools.product([1, 2, 3, 4, 5], [1, 2, 3], PADDINGS, [5, 6, 7, 8]):
        if padding == "valid" and kernel > size:
            continue
        ours = layers.Conv2D(2, kernel, strides=stride, padding=padding).compute_output_shape((size, size + 1, 3))
        theirs = tf.keras.layers.Conv2D(2, kernel, strides=stride, padding=padding).compute_output_shape(
            (None, size, size + 1, 3))
        assert (None,) + ours == tuple(theirs), (kernel, stride, padding, size)


@pytest.mark.parametrize("kwargs,name", [
    ({"filters": 0}, "filters"),
    ({"filters": -2}, "filters"),
    ({"filters": 2.5}, "filters"),
    ({"filters": "8"}, "filters"),
    ({"kernel_size": 0}, "kernel_size"),
    ({"kernel_size": (3, 0)}, "kernel_size"),
    ({"kernel_size": (3, 3, 3)}, "kernel_size"),
    ({"kernel_size": -1}, "kernel_size"),
    ({"strides": 0}, "strides"),
    ({"strides": (1, 0)}, "strides"),
    ({"strides": (2,)}, "strides"),
    ({"padding": "full"}, "padding"),
    ({"padding": "causal"}, "padding"),
    ({"padding": 1}, "padding"),
])
def test_conv_rejects_bad_arguments(kwargs, name):
    arguments = {"filters": 4, "kernel_size": 3, **kwargs}
    with pytest.raises((TypeError, ValueError), match=f"`{name}`"):
        layers.Conv2D(**arguments)


@pytest.mark.parametrize("shape", [(4, 10), (4, 5, 5)])
def test_conv_rejects_inputs_without_channels(shape):
    with pytest.raises(ValueError, match=r"expects inputs of shape \(None, H, W, C\)"):
        layers.Conv2D(2, 3)(np.ones(shape, dtype="float32"))


def test_conv_rejects_images_smaller_than_the_kernel():
    with pytest.raises(ValueError, match=r"padding='valid' needs inputs of shape \(None, H, W, C\) with H >= 3"):
        layers.Conv2D(2, 3)(np.ones((1, 2, 5, 1), dtype="float32"))
    assert layers.Conv2D(2, 3, padding="same")(np.ones((1, 2, 5, 1), dtype="float32")).shape == (1, 2, 5, 2)


def test_conv_get_config_round_trip():
    layer = layers.Conv2D(6, (3, 2), strides=(2, 1), padding="same", activation="relu", use_bias=False,
                          name="conv_a", dtype="float64")
    config = layer.get_config()
    clone = layers.Conv2D(**config)
    assert clone.get_config() == config
    assert config["kernel_size"] == (3, 2) and config["strides"] == (2, 1) and config["padding"] == "same"
    x = np.random.default_rng(10).standard_normal((2, 5, 4, 3))
    layer(x)
    clone(x)
    clone.set_weights(layer.get_weights())
    np.testing.assert_array_equal(clone(x), layer(x))


# ------------------------------------------------------------------ groups, dilation, transposed convolutions
def naive_grouped_conv2d(x, kernel, groups, dilation):
    """The 'valid' convolution of each group's channels with its filters, loops over the kernel's taps."""
    kh, kw, group_channels, filters = kernel.shape
    dh, dw = dilation
    out_h, out_w = x.shape[1] - (kh - 1) * dh, x.shape[2] - (kw - 1) * dw
    y = np.zeros((x.shape[0], out_h, out_w, filters))
    per_group = filters // groups
    for f in range(filters):
        channels = slice(f // per_group * group_channels, (f // per_group + 1) * group_channels)
        for i in range(kh):
            for j in range(kw):
                y[..., f] += x[:, i * dh:i * dh + out_h, j * dw:j * dw + out_w, channels] @ kernel[i, j, :, f]
    return y


@pytest.mark.parametrize("groups, dilation", [(1, (2, 2)), (2, (1, 1)), (3, (2, 1)), (6, (1, 3))])
def test_grouped_dilated_conv_matches_naive_loop(groups, dilation):
    layer = layers.Conv2D(6, (2, 3), dilation_rate=dilation, groups=groups, use_bias=False, dtype="float64")
    x = np.random.default_rng(11).standard_normal((2, 8, 9, 6))
    y = np.asarray(layer(Tensor4D(x)))
    assert layer.kernel.shape == (2, 3, 6 // groups, 6)
    np.testing.assert_allclose(y, naive_grouped_conv2d(x, layer.kernel, groups, dilation), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kwargs, shape", [
    ({"groups": 2, "padding": "same", "strides": 2}, (2, 5, 6, 4)),
    ({"groups": 4, "dilation_rate": 2, "padding": "same", "activation": "tanh"}, (1, 6, 5, 4)),
    ({"groups": 2, "kernel_size": 1}, (2, 3, 3, 4)),
    ({"dilation_rate": (1, 2)}, (2, 5, 7, 2)),
])
def test_grouped_dilated_conv_gradients(kwargs, shape):
    layer = layers.Conv2D(4, **{"kernel_size": 3, **kwargs}, bias_initializer="glorot_uniform", dtype="float64")
    check_layer_gradients(layer, np.random.default_rng(12).standard_normal(shape))


def test_conv_rejects_groups_that_do_not_divide_the_channels():
    with pytest.raises(ValueError, match=r"`groups` must divide the input channels. Received: groups=2"):
        layers.Conv2D(4, 3, groups=2)(np.ones((1, 5, 5, 3), dtype="float32"))


@pytest.mark.parametrize("kwargs, shape", [
    ({}, (2, 3, 4, 2)),
    ({"strides": 2, "padding": "same", "activation": "tanh"}, (2, 3, 4, 2)),
    ({"strides": (2, 3), "output_padding": (1, 2), "kernel_size": (2, 3)}, (1, 3, 2, 3)),
    ({"dilation_rate": 2, "padding": "same"}, (2, 4, 3, 2)),
    ({"strides": 3, "kernel_size": 2}, (1, 2, 3, 2)),
    ({"kernel_size": 1, "use_bias": False}, (2, 3, 3, 2)),
])
def test_conv2d_transpose_gradients(kwargs, shape):
    layer = layers.Conv2DTranspose(3, **{"kernel_size": 3, **kwargs}, bias_initializer="glorot_uniform",
                                   dtype="float64")
    check_layer_gradients(layer, np.random.default_rng(13).standard_normal(shape))


@pytest.mark.parametrize("strides, padding, output_padding", [(1, "valid", None), (2, "same", None), (2, "valid", 1),
                                                              (3, "same", 2), ((1, 2), "valid", (0, 1))])
def test_conv2d_transpose_is_the_adjoint_of_conv2d(strides, padding, output_padding):
    """⟨Convᵀ(x), u⟩ = ⟨x, Conv(u)⟩ with the same kernel: (kh, kw, F, C) is the Conv2D's from F to C channels."""
    rng = np.random.default_rng(14)
    transpose = layers.Conv2DTranspose(3, 3, strides=strides, padding=padding, output_padding=output_padding,
                                       use_bias=False, dtype="float64")
    x = rng.standard_normal((2, 4, 5, 2))
    y = np.asarray(transpose(Tensor4D(x)))
    conv = layers.Conv2D(2, 3, strides=strides, padding=padding, use_bias=False, dtype="float64")
    u = rng.standard_normal(y.shape)
    v = np.asarray(conv(Tensor4D(u)))
    conv.set_weights(transpose.get_weights())
    v = np.asarray(conv(Tensor4D(u)))
    assert v.shape == x.shape
    np.testing.assert_allclose((y * u).sum(), (x * v).sum(), rtol=1e-12)


def test_conv1d_transpose_gradients_and_shape():
    layer = layers.Conv1DTranspose(2, 4, strides=2, padding="same", activation="tanh", dtype="float64")
    check_layer_gradients(layer, np.random.default_rng(15).standard_normal((2, 1, 5, 3)))
    assert layer.compute_output_shape((5, 3)) == (10, 2) and layer.kernel.shape == (4, 2, 3)
    assert layers.Conv1DTranspose(2, 3).compute_output_shape((None, 3)) == (None, 2)


def test_conv_transpose_rejects_an_output_padding_that_does_not_invert():
    """'same', an even kernel and output_padding 0: the output would not map back to the input (Keras errors too)."""
    with pytest.raises(ValueError, match=r"output_padding=\(0, 0\).*Use another `output_padding`"):
        layers.Conv2DTranspose(2, 4, strides=2, padding="same", output_padding=0)(np.ones((1, 3, 3, 1), "float32"))


@pytest.mark.parametrize("kwargs, error, name", [
    ({"output_padding": 2, "strides": 2}, ValueError, "output_padding"),
    ({"output_padding": "1"}, TypeError, "output_padding"),
    ({"padding": "causal"}, ValueError, "padding"),
    ({"data_format": "channels_first"}, ValueError, "data_format"),
    ({"data_format": 1}, TypeError, "data_format"),
    ({"groups": 2}, TypeError, "groups"),
])
def test_conv_transpose_rejects_bad_arguments(kwargs, error, name):
    with pytest.raises(error, match=name):
        layers.Conv2DTranspose(4, 3, **kwargs)


def test_conv_transpose_config_round_trip():
    layer = layers.Conv2DTranspose(4, (3, 2), strides=(2, 1), padding="same", output_padding=(1, 0), name="up")
    config = layer.get_config()
    assert "groups" not in config and config["output_padding"] == (1, 0) and config["data_format"] == "channels_last"
    assert layers.Conv2DTranspose.from_config(config).get_config() == config


# ------------------------------------------------------------------ depthwise and separable convolutions
DEPTHWISE_CASES = [dict(kernel_size=3, strides=(2, 1), padding="same", depth_multiplier=2),
                   dict(kernel_size=(2, 3), strides=(1, 3), padding="valid"),
                   dict(kernel_size=3, dilation_rate=(1, 2), padding="same", depth_multiplier=3)]


@pytest.mark.parametrize("kwargs", DEPTHWISE_CASES)
def test_depthwise_conv2d_is_the_grouped_conv2d_with_one_group_per_channel(kwargs):
    """Unequal strides too, which TensorFlow's depthwise kernel refuses (the parity tests cannot reach them)."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 7, 8, 3))
    depthwise = layers.DepthwiseConv2D(**kwargs, dtype="float64")
    depthwise.build_for(x.shape[1:])
    multiplier = depthwise.depth_multiplier
    grouped = layers.Conv2D(3 * multiplier, groups=3, dtype="float64",
                            **{key: value for key, value in kwargs.items() if key != "depth_multiplier"})
    grouped.build_for(x.shape[1:])
    kernel = rng.standard_normal(depthwise.kernel.shape)
    bias = rng.standard_normal(depthwise.bias.shape)
    depthwise.set_weights([kernel, bias])
    grouped.set_weights([kernel.reshape(*kernel.shape[:2], 1, -1), bias])  # filter c·D + m in group c
    np.testing.assert_allclose(depthwise(x), grouped(x), rtol=1e-12, atol=1e-12)
    check_layer_gradients(layers.DepthwiseConv2D(**kwargs, activation="tanh", dtype="float64"), x)


def test_separable_conv2d_is_the_depthwise_then_a_1x1_conv2d():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 9, 6, 2))
    kwargs = dict(kernel_size=3, strides=(1, 2), padding="same", depth_multiplier=2)
    separable = layers.SeparableConv2D(4, **kwargs, activation="relu", dtype="float64")
    separable.build_for(x.shape[1:])
    depthwise = layers.DepthwiseConv2D(**kwargs, use_bias=False, dtype="float64")
    pointwise = layers.Conv2D(4, 1, activation="relu", dtype="float64")
    depthwise.build_for(x.shape[1:])
    pointwise.build_for((9, 3, 4))
    weights = [rng.standard_normal(w.shape) for w in separable.get_weights()]
    separable.set_weights(weights)
    depthwise.set_weights(weights[:1])
    pointwise.set_weights(weights[1:])
    assert [w.shape for w in weights] == [(3, 3, 2, 2), (1, 1, 4, 4), (4,)]
    np.testing.assert_allclose(separable(x), pointwise(depthwise(x)), rtol=1e-12, atol=1e-12)
    check_layer_gradients(layers.SeparableConv2D(3, **kwargs, dtype="float64"), x)
