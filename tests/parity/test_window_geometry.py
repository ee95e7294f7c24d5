"""The window geometry of ranks 1 to 3 against the output shapes of tf.nn.convolution and tf.nn.pool."""

import itertools

import numpy as np
import pytest

from helpers import import_tensorflow
from redes.layers import _windows

SPATIAL = {1: [(5,), (8,), (9,)], 2: [(5, 6), (7, 4)], 3: [(4, 5, 3), (5, 3, 6)]}
WINDOWS = {1: [1, 2, 3, 4], 2: [(1, 1), (2, 3), (3, 3)], 3: [(1, 1, 1), (2, 2, 3), (3, 1, 2)]}


def cases(rank):
    """(spatial, window, strides, dilation) with TensorFlow's rule: strides > 1 or dilation > 1, not both."""
    for spatial, window, step, dilated in itertools.product(SPATIAL[rank], WINDOWS[rank], [1, 2, 3], [False, True]):
        window = (window,) * rank if isinstance(window, int) else window
        if dilated and step == 1:
            continue
        yield spatial, window, (1 if dilated else step,) * rank, (step if dilated else 1,) * rank


@pytest.mark.parametrize("rank", [1, 2, 3])
@pytest.mark.parametrize("padding", ["valid", "same"])
def test_output_shapes_match_tf_nn_convolution_and_pool(rank, padding):
    tf = import_tensorflow()
    checked = 0
    for spatial, window, strides, dilations in cases(rank):
        extents = [(k - 1) * d + 1 for k, d in zip(window, dilations)]
        if padding == "valid" and any(e > n for e, n in zip(extents, spatial)):
            continue
        ours = _windows.output_shape(_windows.geometry(spatial, window, strides, padding, dilations))
        x = tf.zeros((1, *spatial, 1))
        conv = tf.nn.convolution(x, tf.zeros((*window, 1, 1)), strides=strides, padding=padding.upper(),
                                 dilations=dilations)
        assert ours == tuple(conv.shape[1:-1]), ("convolution", spatial, window, strides, dilations)
        # tf.nn.pool refuses strides > window_shape, and 'SAME' with dilation
        if all(s <= k for s, k in zip(strides, window)) and not (padding == "same" and max(dilations) > 1):
            pool = tf.nn.pool(x, window, "MAX", strides=strides, padding=padding.upper(), dilations=dilations)
            assert ours == tuple(pool.shape[1:-1]), ("pool", spatial, window, strides, dilations)
        checked += 1
    assert checked > 20


def test_causal_output_shape_matches_keras_conv1d():
    tf = import_tensorflow()
    for steps, kernel, stride, dilation in itertools.product([4, 7, 10], [1, 2, 3, 5], [1, 2, 3], [1, 2, 3]):
        if stride > 1 and dilation > 1:
            continue
        axis = _windows.axis(steps, kernel, stride, "causal", dilation)
        layer = tf.keras.layers.Conv1D(1, kernel, strides=stride, padding="causal", dilation_rate=dilation)
        y = layer(np.zeros((1, steps, 1), dtype="float32"))
        assert (axis.out,) == tuple(y.shape[1:-1]), (steps, kernel, stride, dilation)
        assert (axis.pad_before, axis.pad_after) == ((kernel - 1) * dilation, 0)
