"""The rank-generic convolution and pooling cores in 1 and 3 spatial dimensions (and 2-D dilation).

Through tiny test-only subclasses: the public Conv1D/Conv3D and 1-D/3-D pooling layers come with
the sequence and vision issues. Each core is checked with float64 central differences and against
tf.nn.convolution / tf.nn.pool / tf.reduce_* (output and gradients). Inputs and outputs are natural
arrays (N, *spatial, C); the layers receive them folded into a Tensor4D, as ``_windows`` describes.
"""

import itertools

import numpy as np
import pytest

from helpers import assert_parity, import_tensorflow, numerical_gradient, relative_error, GRADCHECK_TOLERANCE
from tolerances import tolerance
from redes import Tensor4D
from redes.layers import _windows
from redes.layers.convolution.base import _Conv
from redes.layers.pooling.base import _AveragePooling, _GlobalAveragePooling, _GlobalMaxPooling, _MaxPooling


def conv(rank, filters, kernel_size, **kwargs):
    return _Conv(rank, filters, kernel_size, bias_initializer="glorot_uniform", **kwargs)


POOLS = {"max": _MaxPooling, "average": _AveragePooling}
GLOBAL_POOLS = {"max": _GlobalMaxPooling, "average": _GlobalAveragePooling}


def run(layer, x):
    """Build for the natural feature shape, then forward the folded Tensor4D; the output as (N, *out, F)."""
    if not layer.built:
        layer.build_for(x.shape[1:])
    y = layer.forward(Tensor4D(_windows.fold(x)), training=True)
    return y.data.reshape((x.shape[0],) + layer.compute_output_shape(x.shape[1:]))


def backward(layer, upstream, x_shape):
    """dL/dx as (N, *spatial, C) from dL/dy as (N, *out, F)."""
    folded = _windows.fold(upstream) if upstream.ndim > 2 else Tensor4D.from_natural(upstream).data
    return layer.backward(Tensor4D(folded)).data.reshape(x_shape)


def check_gradients(layer, x):
    """Analytic dL/dx and dL/dw against float64 central differences, L = Σ y ⊙ R."""
    upstream = np.random.default_rng(0).standard_normal(run(layer, x).shape)

    def loss():
        return float((run(layer, x) * upstream).sum())

    run(layer, x)
    errors = {"input": relative_error(backward(layer, upstream, x.shape), numerical_gradient(loss, x))}
    grads = layer.gradients
    for name, weight, grad in zip(layer._trainable_names(), layer.trainable_weights, grads):
        errors[name] = relative_error(grad, numerical_gradient(loss, weight))
    assert max(errors.values()) < GRADCHECK_TOLERANCE, errors


# (rank, kernel, strides, padding, dilation, spatial shape)
CONV_CASES = [
    (1, 3, 1, "valid", 1, (9,)), (1, 3, 2, "same", 1, (9,)), (1, 4, 3, "same", 1, (10,)),
    (1, 3, 1, "causal", 1, (7,)), (1, 3, 1, "causal", 2, (8,)), (1, 2, 2, "causal", 1, (7,)),
    (1, 3, 1, "valid", 2, (9,)), (1, 2, 1, "same", 3, (8,)), (1, 5, 1, "same", 1, (3,)),
    (2, (3, 2), 1, "same", (2, 1), (7, 6)), (2, 3, 1, "valid", 2, (7, 8)),
    (3, 2, 1, "valid", 1, (4, 5, 3)), (3, (3, 2, 2), (2, 1, 2), "same", 1, (5, 4, 5)),
    (3, (2, 3, 1), 1, "same", (2, 1, 1), (4, 5, 3)), (3, 1, 1, "valid", 1, (2, 3, 2)),
]
CONV_IDS = [f"r{r}-k{k}-s{s}-{p}-d{d}-{'x'.join(map(str, n))}" for r, k, s, p, d, n in CONV_CASES]


@pytest.mark.parametrize("rank,kernel,strides,padding,dilation,spatial", CONV_CASES, ids=CONV_IDS)
@pytest.mark.parametrize("use_bias,activation", [(True, None), (False, "tanh")])
def test_conv_core_gradients(rank, kernel, strides, padding, dilation, spatial, use_bias, activation):
    layer = conv(rank, 2, kernel, strides=strides, padding=padding, dilation_rate=dilation, use_bias=use_bias,
                 activation=activation, dtype="float64")
    check_gradients(layer, np.random.default_rng(rank).standard_normal((2, *spatial, 3)))


def tf_conv(tf, x, kernel, bias, upstream, strides, padding, dilation, activation):
    """tf.nn.convolution's output and gradients (input, kernel, bias); 'causal' as a left pad then 'VALID'.

    In a tf.function: TensorFlow's eager gradient of Conv3D fails (its mock op has no data_format).
    """
    @tf.function
    def reference(x_tf, k_tf, b_tf):
        with tf.GradientTape() as tape:
            tape.watch([x_tf, k_tf, b_tf])
            inputs = x_tf
            if padding == "causal":
                inputs = tf.pad(x_tf, [[0, 0], [(kernel.shape[0] - 1) * dilation[0], 0], [0, 0]])
            y = tf.nn.convolution(inputs, k_tf, strides=strides, padding="VALID" if padding == "causal" else
                                  padding.upper(), dilations=dilation) + b_tf
            y = tf.tanh(y) if activation == "tanh" else y
            loss = tf.reduce_sum(y * upstream)
        return [y] + tape.gradient(loss, [x_tf, k_tf, b_tf])

    return [t.numpy() for t in reference(tf.constant(x), tf.constant(kernel), tf.constant(bias))]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("rank,kernel,strides,padding,dilation,spatial", CONV_CASES, ids=CONV_IDS)
def test_conv_core_tensorflow_parity(rank, kernel, strides, padding, dilation, spatial, dtype):
    tf = import_tensorflow()
    rng = np.random.default_rng(11)
    layer = conv(rank, 4, kernel, strides=strides, padding=padding, dilation_rate=dilation, activation="tanh",
                 dtype=dtype)
    x = rng.standard_normal((3, *spatial, 2)).astype(dtype)
    y = run(layer, x)
    layer.set_weights([rng.standard_normal(w.shape).astype(dtype) for w in layer.get_weights()])
    upstream = rng.standard_normal(y.shape).astype(dtype)
    y = run(layer, x)
    got = [y, backward(layer, upstream, x.shape)] + layer.gradients
    expected = tf_conv(tf, x, layer.kernel, layer.bias, upstream, layer.strides, padding, layer.dilation_rate,
                       "tanh")
    for name, ours, theirs in zip(["output", "input", "kernel", "bias"], got, expected):
        assert ours.dtype == np.dtype(dtype) and ours.shape == theirs.shape, name
        assert_parity(f"convolution core, rank 1 and 3 (and 2-D dilation): {name}", dtype, ours, theirs,
                      tolerance(dtype))


def test_conv_core_weights_and_shapes_per_rank():
    assert conv(1, 8, 5).build_for((20, 3)) == (16, 8)
    layer = conv(1, 8, 5, padding="causal", dilation_rate=2)
    assert layer.build_for((1, 20, 3)) == (20, 8) and layer.kernel.shape == (5, 3, 8)  # Tensor4D form of a sequence
    layer = conv(3, 4, (3, 2, 2), strides=2, padding="same")
    assert layer.build_for((5, 6, 7, 2)) == (3, 3, 4, 4) and layer.kernel.shape == (3, 2, 2, 2, 4)
    y = layer.forward(Tensor4D(np.ones((2, 5 * 6, 7, 2), dtype="float32")))
    assert y.shape == (2, 3 * 3, 4, 4)  # (batch, D·H, W, F)


@pytest.mark.parametrize("kwargs,name", [
    ({"rank": 2, "padding": "causal"}, "padding"),
    ({"rank": 3, "padding": "causal"}, "padding"),
    ({"rank": 1, "kernel_size": (3, 3)}, "kernel_size"),
    ({"rank": 3, "strides": (1, 1)}, "strides"),
    ({"rank": 1, "dilation_rate": 0}, "dilation_rate"),
    ({"rank": 2, "strides": 2, "dilation_rate": 2}, "strides"),
])
def test_conv_core_rejects_bad_arguments(kwargs, name):
    arguments = {"filters": 2, "kernel_size": 3, **kwargs}
    with pytest.raises(ValueError, match=f"`{name}`"):
        _Conv(arguments.pop("rank"), **arguments)


# (rank, pool, strides, padding, spatial shape)
POOL_CASES = [
    (1, 2, None, "valid", (8,)), (1, 3, 2, "same", (9,)), (1, 3, 1, "same", (5,)), (1, 4, 3, "valid", (11,)),
    (3, 2, None, "valid", (4, 4, 6)), (3, (2, 3, 2), (1, 2, 1), "same", (3, 5, 4)),
    (3, 3, 2, "same", (5, 4, 3)), (3, (1, 2, 2), None, "same", (3, 5, 5)),
]
POOL_IDS = [f"r{r}-p{p}-s{s}-{pad}-{'x'.join(map(str, n))}" for r, p, s, pad, n in POOL_CASES]


@pytest.mark.parametrize("kind", list(POOLS))
@pytest.mark.parametrize("rank,pool,strides,padding,spatial", POOL_CASES, ids=POOL_IDS)
def test_pooling_core_gradients(kind, rank, pool, strides, padding, spatial):
    layer = POOLS[kind](rank, pool, strides, padding, dtype="float64")
    check_gradients(layer, np.random.default_rng(rank).standard_normal((2, *spatial, 3)))


def naive_pool(x, kind, axes, pool_size):
    """Direct loops over every output position; only the in-input part of each window counts."""
    y = np.zeros((x.shape[0], *(a.out for a in axes), x.shape[-1]))
    for o in itertools.product(*(range(a.out) for a in axes)):
        window = tuple(slice(max(p * a.stride - a.pad_before, 0), p * a.stride - a.pad_before + k)
                       for p, a, k in zip(o, axes, pool_size))
        block = x[(slice(None), *window)]
        spatial = tuple(range(1, len(axes) + 1))
        y[(slice(None), *o)] = block.max(axis=spatial) if kind == "max" else block.mean(axis=spatial)
    return y


@pytest.mark.parametrize("kind", list(POOLS))
@pytest.mark.parametrize("rank,pool,strides,padding,spatial", POOL_CASES, ids=POOL_IDS)
def test_pooling_core_matches_naive_loop(kind, rank, pool, strides, padding, spatial):
    layer = POOLS[kind](rank, pool, strides, padding, dtype="float64")
    x = np.random.default_rng(15).standard_normal((2, *spatial, 3))
    axes = _windows.geometry(spatial, layer.pool_size, layer.strides, padding)
    np.testing.assert_allclose(run(layer, x), naive_pool(x, kind, axes, layer.pool_size), rtol=1e-14, atol=1e-15)


# TensorFlow's MaxPool3D and AvgPool3D take float16, bfloat16 and float32 only: rank 3 in float64 is
# checked against the naive loop above instead.
TF_POOL_CASES = [pytest.param(*case, dtype, id=f"{case_id}-{dtype}")
                 for case, case_id in zip(POOL_CASES, POOL_IDS) for dtype in ("float32", "float64")
                 if not (case[0] == 3 and dtype == "float64")]


@pytest.mark.parametrize("kind", list(POOLS))
@pytest.mark.parametrize("rank,pool,strides,padding,spatial,dtype", TF_POOL_CASES)
def test_pooling_core_tensorflow_parity(kind, rank, pool, strides, padding, spatial, dtype):
    tf = import_tensorflow()
    rng = np.random.default_rng(12)
    layer = POOLS[kind](rank, pool, strides, padding, dtype=dtype)
    x = rng.standard_normal((3, *spatial, 2)).astype(dtype)
    y = run(layer, x)
    upstream = rng.standard_normal(y.shape).astype(dtype)
    got = [y, backward(layer, upstream, x.shape)]

    @tf.function  # as for Conv3D, in a graph
    def reference(x_tf):
        with tf.GradientTape() as tape:
            tape.watch(x_tf)
            y_tf = tf.nn.pool(x_tf, layer.pool_size, kind.replace("average", "avg").upper(), strides=layer.strides,
                              padding=padding.upper())
            loss = tf.reduce_sum(y_tf * upstream)
        return y_tf, tape.gradient(loss, x_tf)

    expected = [t.numpy() for t in reference(tf.constant(x))]
    for name, ours, theirs in zip(["output", "input"], got, expected):
        assert ours.dtype == np.dtype(dtype) and ours.shape == theirs.shape, name
        assert_parity(f"{kind} pooling core, rank 1 and 3: {name}", dtype, ours, theirs, tolerance(dtype))


@pytest.mark.parametrize("kind", list(GLOBAL_POOLS))
@pytest.mark.parametrize("rank,spatial", [(1, (7,)), (3, (3, 4, 2))])
def test_global_pooling_core_gradients_and_tensorflow_parity(kind, rank, spatial):
    layer = GLOBAL_POOLS[kind](rank, dtype="float64")
    x = np.random.default_rng(13).standard_normal((2, *spatial, 3))
    check_gradients(layer, x)
    assert layer.compute_output_shape(x.shape[1:]) == (3,)
    assert GLOBAL_POOLS[kind](rank, keepdims=True).compute_output_shape(x.shape[1:]) == (1,) * rank + (3,)
    tf = import_tensorflow()
    upstream = np.random.default_rng(14).standard_normal((2, 3))
    x_tf = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(x_tf)
        y_tf = (tf.reduce_max if kind == "max" else tf.reduce_mean)(x_tf, axis=tuple(range(1, rank + 1)))
        loss = tf.reduce_sum(y_tf * upstream)
    ours = [run(layer, x), backward(layer, upstream, x.shape)]
    for name, value, theirs in zip(["output", "input"], ours, [y_tf.numpy(), tape.gradient(loss, x_tf).numpy()]):
        assert_parity(f"global {kind} pooling core, rank 1 and 3: {name}", "float64", value, theirs,
                      tolerance("float64"))


def test_pooling_core_shapes_and_bad_arguments():
    assert _MaxPooling(1, 2).build_for((1, 9, 4)) == (4, 4)
    assert _AveragePooling(3, 2, padding="same").build_for((3, 4, 5, 2)) == (2, 2, 3, 2)
    with pytest.raises(ValueError, match="`padding`"):
        _MaxPooling(1, 2, padding="causal")
    with pytest.raises(ValueError, match="`pool_size`"):
        _AveragePooling(3, (2, 2))
    with pytest.raises(ValueError, match=r"expects inputs of shape \(None, D, H, W, C\)"):
        _MaxPooling(3, 2).build_for((4, 4, 2))
    with pytest.raises(ValueError, match=r"expects inputs of shape \(None, steps, C\)"):
        _GlobalAveragePooling(1).build_for((4, 4, 2))
