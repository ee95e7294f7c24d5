"""Layers without weights as Keras classes: Flatten, ReLU, LeakyReLU (default slope 0.3), ELU, Softmax."""

import numpy as np
import pytest

from helpers import assert_parity, import_tensorflow, tf_vjp
from redes import Tensor4D, layers
from tolerances import ACTIVATION_FLOAT64_RTOL, elementwise

CLASSES = [("Flatten", {}), ("ReLU", {}), ("LeakyReLU", {}), ("LeakyReLU", {"negative_slope": 0.1}), ("ELU", {}),
           ("ELU", {"alpha": 0.5}), ("Softmax", {})]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name,kwargs", CLASSES)
def test_layer_class_matches_keras(name, kwargs, dtype):
    tf = import_tensorflow()
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((3, 4, 5, 6)) * 3).astype(dtype)
    x[0, 0, 0, :2] = 0.0  # the kinks
    ours = getattr(layers, name)(**kwargs, dtype=dtype)
    theirs = getattr(tf.keras.layers, name)(**kwargs, dtype=dtype)
    y = ours(x)
    upstream = rng.standard_normal(y.shape).astype(dtype)
    y_tf, grad_tf = tf_vjp(tf, theirs, x, upstream)
    grad = np.asarray(ours.backward(Tensor4D.from_natural(upstream))).reshape(x.shape)
    assert y.dtype == grad.dtype == np.dtype(dtype)
    rtol, atol = elementwise(dtype)
    if dtype == "float64" and name == "LeakyReLU":  # TensorFlow rounds the slope to float32
        rtol = ACTIVATION_FLOAT64_RTOL["leaky_relu"]
    what = f"{name}({', '.join(f'{key}={value}' for key, value in kwargs.items())}) layer"
    assert_parity(f"{what}: output", dtype, y, y_tf, rtol=rtol, atol=atol)
    assert_parity(f"{what}: input gradient", dtype, grad, grad_tf, rtol=rtol, atol=atol)
