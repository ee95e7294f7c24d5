"""Tolerances for TensorFlow parity, taken from /work/shared/KERAS_PARITY.md (one place for all parity tests)."""

FLOAT32_RTOL = 1e-5          # float32 element-wise ops
FLOAT32_ATOL = 1e-6
FLOAT32_MATMUL_RTOL = 1e-5   # float32 matmul/conv: error relative to the max magnitude (≈ 1e-5·√K absolute)
FLOAT64_RTOL = 1e-10         # float64 on both sides, forward and gradients
MULTISTEP_FLOAT32_RTOL = 1e-5  # float32 losses over tens of training steps


def max_relative(ours, theirs) -> float:
    """max |ours − theirs| / max |theirs|: one error number for a whole array."""
    import numpy as np
    ours, theirs = np.asarray(ours, dtype="float64"), np.asarray(theirs, dtype="float64")
    return float(np.abs(ours - theirs).max(initial=0.0) / max(np.abs(theirs).max(initial=0.0), 1e-12))


def tolerance(dtype) -> float:
    """Relative-to-max-magnitude tolerance for a layer output or gradient in ``dtype``."""
    return FLOAT64_RTOL if str(dtype) == "float64" else FLOAT32_MATMUL_RTOL
