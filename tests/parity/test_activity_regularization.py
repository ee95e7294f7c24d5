"""ActivityRegularization beside Keras: the penalty in the loss (Keras 3 divides it by the batch size) and its
gradient in a few training steps, float32 and float64 (factors exact in float32: Keras rounds them to it)."""

from __future__ import annotations

import numpy as np
import pytest

import redes
from helpers import import_tensorflow, keras_floatx


@pytest.mark.parity
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_activity_regularization_trains_as_keras(dtype):
    import_tensorflow()
    import keras
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((24, 5)).astype(dtype), rng.integers(0, 3, 24)

    def stack(L):
        return [L.Dense(6, activation="tanh"), L.ActivityRegularization(l1=0.0625, l2=0.125),
                L.Dense(3, activation="softmax")]

    with keras_floatx(dtype):
        keras.config.set_dtype_policy(dtype)
        redes.set_floatx(dtype)
        try:
            keras.utils.set_random_seed(0)
            theirs = keras.Sequential([keras.Input((5,)), *stack(keras.layers)])
            ours = redes.Sequential([redes.layers.Input((5,)), *stack(redes.layers)])
            ours.set_weights(theirs.get_weights())
            theirs.compile(keras.optimizers.SGD(0.1), "sparse_categorical_crossentropy")
            ours.compile(redes.optimizers.SGD(0.1), "sparse_categorical_crossentropy")
            for step in range(4):
                batch = slice(6 * step, 6 * step + 6)
                loss_ours = ours.train_on_batch(x[batch], y[batch])
                loss_theirs = float(np.atleast_1d(theirs.train_on_batch(x[batch], y[batch]))[0])
                assert loss_ours == pytest.approx(loss_theirs, rel=1e-5 if dtype == "float32" else 1e-12)
        finally:
            keras.config.set_dtype_policy("float32")
            redes.set_floatx("float32")
    tolerance = 1e-5 if dtype == "float32" else 1e-12
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, rtol=tolerance, atol=tolerance)
