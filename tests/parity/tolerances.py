"""Tolerances for TensorFlow parity, taken from /work/shared/KERAS_PARITY.md (one place for all parity tests).

Every error below is "relative to the max magnitude": max |ours − theirs| / max |theirs| over a whole
array (``max_relative``), unless a bound says it is element-wise (rtol, atol as in np.testing.assert_allclose).
"""

from __future__ import annotations

import numpy as np

FLOAT32_RTOL = 1e-5          # float32 element-wise ops
FLOAT32_ATOL = 1e-6
FLOAT32_MATMUL_RTOL = 1e-5   # float32 matmul/conv: error relative to the max magnitude (≈ 1e-5·√K absolute)
FLOAT64_RTOL = 1e-10         # float64 on both sides, forward and gradients
FLOAT64_ATOL = 1e-14         # float64 element-wise: one ulp of cancellation (1 − y², y + α) on both sides
MULTISTEP_FLOAT32_RTOL = 1e-5  # float32 losses over tens of training steps

# TensorFlow keeps some constants in float32 even when it computes in float64 (KERAS_PARITY.md):
# optimizer betas and rho, regularizer factors, leaky_relu's slope. Relative error ~1e-8 per use.
FLOAT64_KERAS_FLOAT32_CONSTANT_RTOL = 1e-7


def max_relative(ours, theirs) -> float:
    """max |ours − theirs| / max |theirs|: one error number for a whole array."""
    ours, theirs = np.asarray(ours, dtype="float64"), np.asarray(theirs, dtype="float64")
    return float(np.abs(ours - theirs).max(initial=0.0) / max(np.abs(theirs).max(initial=0.0), 1e-12))


def tolerance(dtype) -> float:
    """Relative-to-max-magnitude tolerance for a layer output or gradient in ``dtype``."""
    return FLOAT64_RTOL if np.dtype(dtype) == np.float64 else FLOAT32_MATMUL_RTOL


def elementwise(dtype) -> tuple[float, float]:
    """(rtol, atol) for an element-wise comparison in ``dtype``."""
    return (FLOAT64_RTOL, FLOAT64_ATOL) if np.dtype(dtype) == np.float64 else (FLOAT32_RTOL, FLOAT32_ATOL)


# ------------------------------------------------------------------ bounds that differ, and why
# Each measured error is in tests/parity/README.md (written by the suite).

# Dropout multiplies each kept unit once by 1/(1 − rate): a few ulps apart at most (stricter than the default).
SINGLE_MULTIPLY_RTOL = {"float32": 1e-6, "float64": 1e-12}

# Activations in float64: TensorFlow rounds leaky_relu's slope to float32 (an op attribute; relative
# error of the slope 1.5e-8) and gelu's 1/√2 to float32 (2e-8, which erfc amplifies by 2z² in the
# tail). Those two are also held to the exact formulas in float64 (test_gelu_float64_is_exact).
ACTIVATION_FLOAT64_RTOL = {"leaky_relu": FLOAT64_KERAS_FLOAT32_CONSTANT_RTOL, "gelu": 1e-5}

# tf.math.erf/erfc against redes' Cody rational approximations (ulps of each; erfc relative in its tail).
ERF_TOLERANCE = {"float32": 2e-6, "float64": 1e-15}
ERFC_RTOL_FACTOR = 5

# Keras computes log 2 in float32 for log_cosh even in float64: the value is off by ~1e-8 there.
LOSS_FLOAT64_VALUE_RTOL = {"log_cosh": FLOAT64_KERAS_FLOAT32_CONSTANT_RTOL}

# Losses at the clip bounds (1e-7 and 1 − 1e-7 exactly): a single clip and log, stricter than the default.
CLIP_BOUND_RTOL = 1e-6

# Optimizer trajectories in float32 (1, 2, 10, 100 steps): element-wise as KERAS_PARITY.md, and also
# 1e-6 relative to the max magnitude (stricter). In float64 Keras rounds β1, β2, ρ to float32, and
# the ~1e-8 error per step accumulates over 60 steps: 5e-6 relative there.
OPTIMIZER_FLOAT32_RTOL = 1e-6
OPTIMIZER_FLOAT64_RTOL = 5e-6

# Learning-rate schedules: Keras computes in float32. decay_rate rounded to float32 and raised to
# p = step / decay_steps carries a relative error of up to p · 6e-8 (3e-6 at p = 142); redes uses float64.
EXPONENTIAL_DECAY_RTOL = 5e-6
POLYNOMIAL_DECAY_RTOL, POLYNOMIAL_DECAY_ATOL = 2e-6, 1e-9
# Cosine schedules: float32 1 + cos(π·x) cancels near x = 1, so the error is bounded relative to the max
# (measured ~1e-8); InverseTimeDecay and PiecewiseConstantDecay are one float32 rounding element-wise.
COSINE_DECAY_TOL = 1e-6

# Catalogue losses at their edges (MSLE below ε, KLD at 0 and 1, hinge ties) in float32: gradients of
# order 1e-2..1 next to entries that are 0, element-wise rtol 1e-5 with atol 1e-7 (stricter than 1e-6).
EDGE_GRADIENT_ATOL = 1e-7

# Weights after tens of float32 training steps on the same batches (no dropout): element-wise atol 1e-5.
WEIGHTS_ATOL = 1e-5

# The MNIST CNN + BatchNormalization trained with Adam in float32 (test_whole_models): from step 2 on
# float32 rounding is amplified. Adam moves each weight by about ±lr whatever the size of its
# gradient, so rounding that flips the sign of a near-zero gradient moves that weight by 2·lr, and
# TensorFlow's float32 BatchNormalization gradients are ~700× less accurate than redes' (below).
# redes drifts from its own float64 run just as far (2e-2 in the loss at step 20 with Adam(1e-3)).
# With Adam(1e-4), measured: loss 3.5e-5 (steps 2 to 20), weights 4.2e-3, inference predictions 9e-6.
# The float64 run holds the same 20 steps at Adam(1e-3) to FLOAT64_RTOL.
ADAM_BATCH_NORM_FLOAT32_LOSS_RTOL = 1e-4
ADAM_BATCH_NORM_FLOAT32_WEIGHTS_RTOL = 1e-2
ADAM_BATCH_NORM_FLOAT32_PREDICTIONS_RTOL = 1e-4

# float32 gradients of that CNN against float64: BatchNormalization reduces over N·H·W = 32·26·26 values
# per channel and its gradient sums cancel. redes measured 9.2e-5 at worst over the 14 weights
# (TensorFlow's own float32 gradients: 6.8e-2).
BATCH_NORM_MODEL_FLOAT32_GRADIENT_RTOL = 2e-4

# UpSampling2D(interpolation='bilinear') in float64: TensorFlow's resize (ResizeBilinear and its gradient)
# computes its weights and sums in float32 whatever the dtype; redes computes in the layer's dtype.
RESIZE_FLOAT64_RTOL = 1e-6

# Rescaling in float64: Keras casts the Python-float scale through float32 (relative error up to 6e-8), and
# redes does not. Relative to max |y| that is 6e-8 · max |x · scale| / max |y|: 1.2e-7 for [0, 255] → [−1, 1].
RESCALING_FLOAT64_TOL = 2e-7
