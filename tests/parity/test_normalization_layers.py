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


@DTYPES
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("kwargs", [{"groups": 1}, {"groups": 2}, {"groups": 8}, {"groups": -1},
                                    {"groups": 2, "center": False}, {"groups": 2, "scale": False, "epsilon": 0.1}])
def test_group_normalization_matches_keras(kwargs, shape, dtype):
    compare("GroupNormalization (groups 1, 2, C, -1; rank 2–4)", "GroupNormalization", kwargs, shape, dtype,
            seed=len(shape) + kwargs["groups"])


@DTYPES
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("kwargs", [{}, {"epsilon": 1e-2}])
def test_rms_normalization_matches_keras(kwargs, shape, dtype):
    compare("RMSNormalization (rank 2–4)", "RMSNormalization", kwargs, shape, dtype, seed=len(shape))
