"""BatchNormalization at the size of the MNIST CNN's first layer, against TensorFlow in float64.

At (32, 26, 26, 32) each channel's statistics and gradient sums run over 21,632 values. There
TensorFlow's own float32 gradients are up to 2e-5 off its float64 ones (rows "TensorFlow (for
comparison)", not asserted), above the 1e-5 that a float32 comparison allows, so redes' float32
result is held to TensorFlow's float64 one instead. gamma's gradient Σ dL/dy · x̂ is the hardest:
its terms' magnitudes sum to ~40× the largest result, so float32 rounding leaves ~1e-5 (redes: 8e-6).
"""

import numpy as np

from helpers import assert_parity, import_tensorflow, record_error, tf_vjp
from redes import Tensor4D, layers
from tolerances import tolerance


def test_batch_norm_float32_against_tensorflow_float64():
    tf = import_tensorflow()
    rng = np.random.default_rng(0)
    x = np.maximum(rng.standard_normal((32, 26, 26, 32)), 0.0) + 3.0  # shifted ReLU outputs: mean > std
    upstream = rng.standard_normal(x.shape)
    expected = {}
    for dtype in ("float32", "float64"):
        theirs = tf.keras.layers.BatchNormalization(dtype=dtype)
        expected[dtype] = tf_vjp(tf, theirs, x.astype(dtype), upstream.astype(dtype), training=True)
    ours = layers.BatchNormalization()
    y = np.asarray(ours(Tensor4D(x.astype("float32")), training=True))
    got = [y, np.asarray(ours.backward(Tensor4D(upstream.astype("float32"))))] + ours.gradients
    what = "BatchNormalization training on (32, 26, 26, 32) shifted ReLU outputs, against TensorFlow float64"
    for name, ours_value, theirs_32, exact in zip(["output", "input gradient", "gamma gradient", "beta gradient"],
                                                   got, expected["float32"], expected["float64"], strict=True):
        assert ours_value.dtype == np.float32
        assert_parity(f"{what}: {name}, redes", "float32", ours_value, exact, tolerance("float32"))
        record_error(f"{what}: {name}, TensorFlow (for comparison)", "float32", theirs_32, exact)
