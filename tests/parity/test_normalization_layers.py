"""GroupNormalization, RMSNormalization and the preprocessing Normalization against Keras on the same weights.

Each: the output, the input gradient and every weight gradient of L = Σ y ⊙ R, in float32 and float64, on
inputs of rank 2, 3 and 4; Normalization also adapted on the same data as Keras' (same mean, variance, outputs).
"""

from __future__ import annotations

import numpy as np
import pytest

from helpers import assert_parity, import_tensorflow, tf_vjp
from redes import Tensor4D, layers
from tolerances import tolerance

DTYPES = pytest.mark.parametrize("dtype", ["float32", "float64"])
SHAPES = [(3, 8), (3, 5, 8), (2, 4, 3, 8)]


def compare(what: str, name: str, kwargs: dict, shape: tuple, dtype: str, seed: int) -> None:
    """Our layer ``name(**kwargs)`` and Keras' on the same (random) weights: output, input and weight gradients."""
    tf = import_tensorflow()
    rng = np.random.default_rng(seed)
    x = (3 * rng.standard_normal(shape) + 1).astype(dtype)
    ours = getattr(layers, name)(**kwargs, dtype=dtype)
    ours.build_for(shape[1:])
    weights = [rng.standard_normal(w.shape).astype(dtype) for w in ours.get_weights()]
    ours.set_weights(weights)
    y = ours(x)
    upstream = rng.standard_normal(y.shape).astype(dtype)
    got = [y, ours.backward(Tensor4D.from_natural(upstream)).data.reshape(x.shape), *ours.gradients]
    theirs = getattr(tf.keras.layers, name)(**kwargs, dtype=dtype)
    theirs.build(x.shape)
    assert [w.shape for w in theirs.get_weights()] == [w.shape for w in weights]  # Keras' layout
    theirs.set_weights(weights)
    expected = tf_vjp(tf, theirs, x, upstream)
    labels = ["output", "input gradient", *(f"{w.name} gradient" for w in theirs.trainable_weights)]
    assert len(got) == len(expected) == len(labels)
    for label, a, b in zip(labels, got, expected):
        assert a.dtype == np.dtype(dtype), label
        assert_parity(f"{what}: {label}", dtype, a, b, tolerance(dtype))


GROUPS = [{"groups": 1}, {"groups": 2}, {"groups": 8}, {"groups": -1}, {"groups": 2, "center": False},
          {"groups": 2, "scale": False, "epsilon": 0.1}]
# one value per group (flat inputs, groups = C) is left to test_group_normalization_of_single_values_is_beta
GROUP_CASES = [(kwargs, shape) for kwargs in GROUPS for shape in SHAPES
               if not (len(shape) == 2 and kwargs["groups"] in (8, -1))]


@DTYPES
@pytest.mark.parametrize("kwargs, shape", GROUP_CASES)
def test_group_normalization_matches_keras(kwargs, shape, dtype):
    compare("GroupNormalization (groups 1, 2, C, -1; rank 2–4)", "GroupNormalization", kwargs, shape, dtype,
            seed=len(shape) + kwargs["groups"])


@DTYPES
def test_group_normalization_of_single_values_is_beta(dtype):
    """Groups of one value (flat inputs, groups = C): x̂ = 0, so y = β exactly here. Keras computes
    x·γ/√(σ² + ε) + (β − μ·γ/√(σ² + ε)), whose cancellation leaves ~|x|·γ/√ε ulps (7e-6 of the output in float32)."""
    tf = import_tensorflow()
    rng = np.random.default_rng(0)
    x = (3 * rng.standard_normal((3, 8)) + 1).astype(dtype)
    weights = [rng.standard_normal(8).astype(dtype) for _ in range(2)]
    ours = layers.GroupNormalization(groups=-1, dtype=dtype)
    ours.build_for((8,))
    ours.set_weights(weights)
    np.testing.assert_array_equal(ours(x), np.broadcast_to(weights[1], x.shape))
    theirs = tf.keras.layers.GroupNormalization(groups=-1, dtype=dtype)
    theirs.build(x.shape)
    theirs.set_weights(weights)
    assert_parity("GroupNormalization (one value per group): output, against y = β", dtype,
                  theirs(x).numpy(), ours(x), 1e-4 if dtype == "float32" else 1e-12)


@DTYPES
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("kwargs", [{}, {"epsilon": 1e-2}])
def test_rms_normalization_matches_keras(kwargs, shape, dtype):
    compare("RMSNormalization (rank 2–4)", "RMSNormalization", kwargs, shape, dtype, seed=len(shape))


# ------------------------------------------------------------------ the preprocessing Normalization
ADAPT = [(-1, (6, 8)), (-1, (6, 4, 5)), (None, (6, 4, 5)), ((1, 2), (6, 4, 5)), (1, (5, 3, 4, 2)), ((-3, -1), (5, 3, 4, 2))]


@DTYPES
@pytest.mark.parametrize("invert", [False, True])
@pytest.mark.parametrize("axis, shape", ADAPT)
def test_normalization_adapts_and_normalizes_as_keras(axis, shape, invert, dtype):
    """adapt on the whole array and on a list of batches: Keras' mean and variance; then output and dL/dx."""
    tf = import_tensorflow()
    rng = np.random.default_rng(len(shape))
    x = (3 * rng.standard_normal(shape) + 2).astype(dtype)
    x[:, ..., 0] *= 1e-5  # a feature of tiny variance: near the 1e-7 floor of the standard deviation
    batches = [x[:2], x[2:3], x[3:]]
    what = f"Normalization (axis -1, None, tuples; rank 2–4; invert={invert})"
    # Keras' batch-by-batch adapt starts from float32 zeros and fails on float64 batches: float32 only there
    for data in (x, batches) if dtype == "float32" else (x,):
        ours = layers.Normalization(axis=axis, invert=invert, dtype=dtype)
        ours.adapt(data)
        theirs = tf.keras.layers.Normalization(axis=axis, invert=invert, dtype=dtype)
        theirs.adapt(data)
        for label, a, b in zip(["adapted mean", "adapted variance"], ours.get_weights(), theirs.get_weights()):
            assert a.dtype == np.dtype(dtype)
            assert_parity(f"{what}: {label}", dtype, a, b, tolerance(dtype))
        y = ours(x)
        upstream = rng.standard_normal(y.shape).astype(dtype)
        y_tf, grad_tf = tf_vjp(tf, theirs, x, upstream)
        grad = ours.backward(Tensor4D.from_natural(upstream)).data.reshape(x.shape)
        assert y.dtype == grad.dtype == np.dtype(dtype)
        assert_parity(f"{what}: output", dtype, y, y_tf, tolerance(dtype))
        assert_parity(f"{what}: input gradient", dtype, grad, grad_tf, tolerance(dtype))


@DTYPES
@pytest.mark.parametrize("axis, mean, variance", [(-1, [1.0, -2.0, 0.5], [4.0, 0.0, 9.0]), (None, 3.0, 2.0),
                                                   ((1, 2), [1.0, -2.0, 0.5], [4.0, 1e-15, 9.0])])
def test_normalization_with_given_statistics_matches_keras(axis, mean, variance, dtype):
    tf = import_tensorflow()
    x = np.random.default_rng(1).standard_normal((4, 2, 3)).astype(dtype)
    for invert in (False, True):
        ours = layers.Normalization(axis=axis, mean=mean, variance=variance, invert=invert, dtype=dtype)
        theirs = tf.keras.layers.Normalization(axis=axis, mean=mean, variance=variance, invert=invert, dtype=dtype)
        y = ours(x)
        upstream = np.ones_like(y)
        y_tf, grad_tf = tf_vjp(tf, theirs, x, upstream)
        what = f"Normalization (given mean and variance, invert={invert})"
        assert_parity(f"{what}: output", dtype, y, y_tf, tolerance(dtype))
        assert_parity(f"{what}: input gradient", dtype, ours.backward(Tensor4D.from_natural(upstream)).data.reshape(
            x.shape), grad_tf, tolerance(dtype))
