"""Shared test tools: central-difference gradient checks and the TensorFlow import rule."""

from __future__ import annotations

import os

import numpy as np
import pytest

from redes import Tensor4D

GRADCHECK_TOLERANCE = 1e-6


def relative_error(analytic: np.ndarray, numeric: np.ndarray) -> float:
    """max |a − n| / max(|a|, |n|): one number for a whole gradient array."""
    scale = max(np.abs(analytic).max(initial=0.0), np.abs(numeric).max(initial=0.0), 1e-12)
    return float(np.abs(analytic - numeric).max(initial=0.0) / scale)


def numerical_gradient(loss, array: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """d loss() / d array by central differences, perturbing ``array`` in place."""
    grad = np.zeros_like(array)
    flat, flat_grad = array.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        original = flat[i]
        flat[i] = original + eps
        plus = loss()
        flat[i] = original - eps
        minus = loss()
        flat[i] = original
        flat_grad[i] = (plus - minus) / (2 * eps)
    return grad


def check_layer_gradients(layer, x: np.ndarray, training: bool = True, seed: int = 0,
                          before_forward=lambda: None) -> dict[str, float]:
    """Compare a layer's backward with central differences in float64.

    The scalar loss is L = Σ y ⊙ R for a fixed random R, so dL/dy = R. Checks
    dL/dx and dL/dw for every trainable weight; returns the relative errors by name.
    ``before_forward`` runs before each forward pass (e.g. to re-seed a dropout mask).
    """
    assert x.dtype == np.float64 and x.ndim == 4
    x = x.copy()

    def forward():
        before_forward()
        return np.asarray(layer(Tensor4D(x), training=training))

    upstream = np.random.default_rng(seed).standard_normal(forward().shape)

    def loss() -> float:
        return float((forward() * upstream).sum())

    forward()
    grad_x = np.asarray(layer.backward(Tensor4D(upstream.copy())))
    errors = {"input": relative_error(grad_x, numerical_gradient(loss, x))}
    names = [name for name in layer._trainable_names()]
    for name, weight, grad in zip(names, layer.trainable_weights, layer.gradients):
        errors[name] = relative_error(np.asarray(grad), numerical_gradient(loss, weight))
    for name, error in errors.items():
        assert error < GRADCHECK_TOLERANCE, f"gradient of {name}: relative error {error:.2e}\n{errors}"
    return errors


def import_tensorflow():
    """Import TensorFlow for a parity test: a failure in CI, a skip elsewhere."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        import tensorflow as tf
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("TensorFlow is required for parity tests in CI (pip install tensorflow-cpu==2.21.0)")
        pytest.skip("TensorFlow is not installed: pip install '.[tf]' to run the parity tests")
    return tf
