"""The sliding-window geometry shared by convolution and pooling (redes/layers/_windows.py), ranks 1 to 3."""

import itertools
import math

import numpy as np
import pytest

from redes import Tensor4D, layers
from redes.layers import _windows


def expected_axis(n, k, s, padding, d=1):
    """TensorFlow's output size and (before, after) padding, written out independently."""
    extent = (k - 1) * d + 1
    if padding == "valid":
        return (n - extent) // s + 1, 0, 0
    out = math.ceil(n / s)
    if padding == "causal":
        return out, extent - 1, 0
    total = max((out - 1) * s + extent - n, 0)
    return out, total // 2, total - total // 2


def axis_cases(padding):
    """(n, k, s, d) for lengths 1-9, windows 1-4, strides 1-3, dilations 1-3 (where 'valid' has an output)."""
    return [(n, k, s, d) for n, k, s, d in itertools.product(range(1, 10), [1, 2, 3, 4], [1, 2, 3], [1, 2, 3])
            if not (padding == "valid" and (k - 1) * d + 1 > n)]


@pytest.mark.parametrize("padding", ["valid", "same", "causal"])
def test_axis_size_and_padding_follow_tensorflow(padding):
    for n, k, s, d in axis_cases(padding):
        a = _windows.axis(n, k, s, padding, d)
        assert (a.out, a.pad_before, a.pad_after) == expected_axis(n, k, s, padding, d), (n, k, s, d)
        assert (a.size, a.stride, a.dilation) == (n, s, d)


@pytest.mark.parametrize("padding", ["valid", "same", "causal"])
def test_axis_window_lists_exactly_the_inputs_inside(padding):
    """For each offset i: the outputs o whose input o·s + i·d − pad_before is inside, and those inputs."""
    for n, k, s, d in axis_cases(padding):
        a = _windows.axis(n, k, s, padding, d)
        for i in range(k):
            outputs, inputs = a.window(i)
            wanted = [o for o in range(a.out) if 0 <= o * s + i * d - a.pad_before < n]
            assert list(range(a.out)[outputs]) == wanted, (n, k, s, d, i)
            assert list(range(n)[inputs]) == [o * s + i * d - a.pad_before for o in wanted], (n, k, s, d, i)


def test_same_padding_puts_the_smaller_half_before():
    assert _windows.axis(6, 4, 1, "same")[2:4] == (1, 2)
    assert _windows.axis(7, 2, 2, "same")[2:4] == (0, 1)
    assert _windows.axis(5, 3, 1, "same", dilation=2)[2:4] == (2, 2)


def test_causal_pads_before_only_and_keeps_the_length():
    a = _windows.axis(10, 3, 1, "causal", dilation=2)
    assert (a.out, a.pad_before, a.pad_after) == (10, 4, 0)


@pytest.mark.parametrize("rank", [1, 2, 3])
def test_geometry_is_one_axis_per_spatial_dimension(rank):
    spatial, window, strides, dilation = (7, 6, 8)[:rank], (3, 2, 4)[:rank], (2, 1, 3)[:rank], None
    axes = _windows.geometry(spatial, window, strides, "same", dilation)
    assert axes == tuple(_windows.axis(*args, "same") for args in zip(spatial, window, strides))
    assert _windows.output_shape(axes) == tuple(math.ceil(n / s) for n, s in zip(spatial, strides))
    dilated = _windows.geometry(spatial, window, (1,) * rank, "valid", (2,) * rank)
    assert _windows.output_shape(dilated) == tuple(n - 2 * (k - 1) for n, k in zip(spatial, window))


def test_geometry_rejects_bad_ranks_and_causal_images():
    with pytest.raises(ValueError, match="1 to 3 spatial axes"):
        _windows.geometry((2, 2, 2, 2), (1,) * 4, (1,) * 4, "valid")
    with pytest.raises(ValueError, match="1 to 3 spatial axes"):
        _windows.geometry((5, 5), (3,), (1, 1), "valid")
    with pytest.raises(ValueError, match="'causal' is for sequences"):
        _windows.geometry((5, 5), (3, 3), (1, 1), "causal")
    with pytest.raises(ValueError, match="`padding`"):
        _windows.geometry((5,), (3,), (1,), "full")


@pytest.mark.parametrize("rank", [1, 2, 3])
@pytest.mark.parametrize("padding", ["valid", "same"])
def test_windows_cover_every_window_position_once(rank, padding):
    """Summing the in-input blocks offset by offset reproduces a direct loop over output positions."""
    spatial, window, strides = (6, 5, 4)[:rank], (3, 2, 2)[:rank], (2, 1, 2)[:rank]
    axes = _windows.geometry(spatial, window, strides, padding)
    offsets = _windows.windows(axes, window)
    assert [offset for offset, _, _ in offsets] == list(itertools.product(*map(range, window)))
    x = np.random.default_rng(rank).standard_normal(spatial)
    total = np.zeros(_windows.output_shape(axes))
    for _, outs, ins in offsets:
        total[outs] += x[ins]
    expected = np.zeros_like(total)
    for o in itertools.product(*map(range, total.shape)):
        for offset in itertools.product(*map(range, window)):
            index = tuple(p * a.stride + i - a.pad_before for p, i, a in zip(o, offset, axes))
            if all(0 <= j < n for j, n in zip(index, spatial)):
                expected[o] += x[index]
    np.testing.assert_allclose(total, expected, rtol=1e-14)
    assert _windows.is_padded(axes) == (padding == "same" and any(a.pad_before + a.pad_after for a in axes))


@pytest.mark.parametrize("rank,shape,message", [
    (1, (5, 5, 2), r"\(None, steps, C\)"),
    (2, (10,), r"\(None, H, W, C\)"),
    (3, (4, 4, 2), r"\(None, D, H, W, C\)"),
])
def test_shape_check_names_the_expected_shape(rank, shape, message):
    layer = layers.MaxPooling2D(name="probe")
    with pytest.raises(ValueError, match=r"MaxPooling2D 'probe' expects inputs of shape " + message):
        _windows.check_spatial_shape(layer, shape, rank, (2,) * rank, "valid", "pool_size")


def test_shape_check_sizes_with_dilation_and_the_sequence_form():
    layer = layers.MaxPooling2D(name="probe")
    assert _windows.check_spatial_shape(layer, (1, 9, 4), 1, (3,), "valid", "kernel_size") == (9, 4)
    assert _windows.check_spatial_shape(layer, (9, 4), 1, (3,), "causal", "kernel_size") == (9, 4)
    with pytest.raises(ValueError, match=r"with steps >= 7 \(kernel_size=\(3,\)\)"):
        _windows.check_spatial_shape(layer, (6, 4), 1, (3,), "valid", "kernel_size", (3,))
    with pytest.raises(ValueError, match=r"with D >= 2 and H >= 3 and W >= 2"):
        _windows.check_spatial_shape(layer, (1, 5, 5, 1), 3, (2, 3, 2), "valid", "pool_size")
    assert _windows.check_spatial_shape(layer, (1, 5, 5, 1), 3, (2, 3, 2), "same", "pool_size") == (1, 5, 5, 1)


@pytest.mark.parametrize("spatial", [(7,), (5, 6), (3, 4, 5)])
def test_tensor4d_folds_and_unfolds_without_copies(spatial):
    """(N, *spatial, C) ↔ Tensor4D (N, prod(spatial[:-1]), spatial[-1], C): steps on axis 2, volumes as D·H."""
    x = np.random.default_rng(0).standard_normal((2, *spatial, 3))
    folded = _windows.fold(x)
    assert folded.shape == (2, math.prod(spatial[:-1]), spatial[-1], 3) and np.shares_memory(folded, x)
    t = Tensor4D(folded)
    view = _windows.spatial_view(t.data, len(spatial), spatial[1:] if len(spatial) == 3 else None)
    assert view.shape == x.shape and np.shares_memory(view, x)
    np.testing.assert_array_equal(view, x)
    if len(spatial) == 1:
        assert Tensor4D.from_natural(x).shape == t.shape  # a sequence is (batch, 1, steps, features)


def test_normalize_padding_lists_what_the_layer_accepts():
    from redes.validation import normalize_padding
    assert normalize_padding("SAME") == "same"
    assert normalize_padding("causal", ("valid", "same", "causal")) == "causal"
    with pytest.raises(ValueError, match=r"`padding` must be one of 'valid', 'same'. Received: padding='causal'"):
        normalize_padding("causal")
    with pytest.raises(TypeError, match=r"'valid', 'same', 'causal'. Received: padding=3"):
        normalize_padding(3, ("valid", "same", "causal"))


def test_a_window_longer_than_a_valid_axis_is_a_clear_error():
    with pytest.raises(ValueError, match="window of 7 .* does not fit in an axis of length 5 with padding='valid'"):
        _windows.axis(5, 4, 1, "valid", 2)
    assert _windows.output_lengths((None, 9), (3, 3), (1, 2), "valid") == (None, 4)
