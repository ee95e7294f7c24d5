"""Shared test tools: central-difference gradient checks, the TensorFlow import rule, parity assertions."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pytest

import _shared
from redes import Tensor4D
from tolerances import FLOAT64_RTOL, MULTISTEP_FLOAT32_RTOL, max_relative

GRADCHECK_TOLERANCE = 1e-6

# One implementation, in notebooks/_shared.py (conftest puts notebooks/ on the path): notebooks 02 and 06 use them too.
numerical_gradient = _shared.numerical_gradient
tf_vjp = _shared.tf_vjp


def relative_error(analytic: np.ndarray, numeric: np.ndarray) -> float:
    """max |a − n| / max(|a|, |n|): one number for a whole gradient array."""
    scale = max(np.abs(analytic).max(initial=0.0), np.abs(numeric).max(initial=0.0), 1e-12)
    return float(np.abs(analytic - numeric).max(initial=0.0) / scale)


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


@contextmanager
def keras_floatx(dtype: str) -> Iterator:
    """TensorFlow with Keras' floatx set to ``dtype`` (e.g. its learning-rate variables), restored after."""
    tf = import_tensorflow()
    floatx = tf.keras.backend.floatx()
    tf.keras.backend.set_floatx(dtype)
    try:
        yield tf
    finally:
        tf.keras.backend.set_floatx(floatx)


def mnist_rows(count: int) -> tuple[np.ndarray, np.ndarray]:
    """The first ``count`` MNIST training images as sequences of 28 rows of 28 pixels in [0, 1], and labels."""
    from redes import datasets
    (x, y), _ = datasets.load_mnist()
    return (x[:count] / 255).astype("float32"), y[:count]


def train_beside_keras(stack, x, y, dtype: str, steps: int, batch: int, metrics=None) -> tuple:
    """(ours, theirs, our losses, Keras' losses): two Sequentials made by ``stack(layers module)``, ours given
    Keras' initial weights, trained with Adam(1e-2) by ``train_on_batch`` on the same ``steps`` batches.

    Under Keras' floatx ``dtype``; in float64 Keras gets float64 β1, β2 (it casts Python floats through
    float32: 0.9 becomes 0.9000000238...).
    """
    from redes import Sequential, layers, optimizers
    with keras_floatx(dtype) as tf:
        keras = tf.keras
        keras.utils.set_random_seed(0)
        theirs = keras.Sequential(stack(keras.layers))
        ours = Sequential(stack(layers))
        ours.set_weights(theirs.get_weights())
        constants = {"beta_1": np.float64(0.9), "beta_2": np.float64(0.999)} if dtype == "float64" else {}
        theirs.compile(keras.optimizers.Adam(1e-2, **constants), "sparse_categorical_crossentropy", metrics=metrics)
        ours.compile(optimizers.Adam(1e-2), "sparse_categorical_crossentropy", metrics=metrics)
        losses_ours, losses_theirs = [], []
        for step in range(steps):
            xb, yb = x[step * batch:(step + 1) * batch], y[step * batch:(step + 1) * batch]
            losses_ours.append(ours.train_on_batch(xb, yb, return_dict=True)["loss"])
            losses_theirs.append(float(np.atleast_1d(theirs.train_on_batch(xb, yb))[0]))  # [loss, *metrics]
    return ours, theirs, np.array(losses_ours), np.array(losses_theirs)


def train_three_steps(tf, model_fn, x, y, dtype: str, adam_constants: dict, dense_gradients: bool = False,
                      steps: int = 3) -> dict:
    """``steps`` (3) Adam steps of 8 samples on both sides; with ``dense_gradients`` Keras' step is a GradientTape
    loop that makes each gradient dense (tf.convert_to_tensor) before ``apply_gradients``, not ``train_on_batch``."""
    from redes import Sequential, layers, optimizers
    keras = tf.keras
    keras.utils.set_random_seed(0)
    theirs = keras.Sequential(model_fn(keras.layers, dtype))
    ours = Sequential(model_fn(layers, dtype))
    ours.set_weights(theirs.get_weights())
    their_optimizer = keras.optimizers.Adam(1e-2, **adam_constants)
    their_loss = keras.losses.SparseCategoricalCrossentropy(dtype=dtype)
    theirs.compile(optimizer=their_optimizer, loss=their_loss)
    ours.compile(optimizer=optimizers.Adam(1e-2), loss="sparse_categorical_crossentropy")
    result = {"losses": [], "weights": None}
    for step in range(steps):
        x_batch, y_batch = x[8 * step:8 * step + 8], y[8 * step:8 * step + 8]
        if dense_gradients:
            with tf.GradientTape() as tape:
                value = their_loss(y_batch, theirs(x_batch, training=True))
            grads = [tf.convert_to_tensor(g) for g in tape.gradient(value, theirs.trainable_weights)]
            their_optimizer.apply_gradients(zip(grads, theirs.trainable_weights))
        else:
            value = theirs.train_on_batch(x_batch, y_batch)
        result["losses"].append((ours.train_on_batch(x_batch, y_batch), float(value)))
    result["weights"] = list(zip(ours.get_weights(), theirs.get_weights(), strict=True))
    result["predictions"] = (ours.predict(x), theirs.predict(x, verbose=0))
    return result


def assert_training_parity(what: str, result: dict, dtype: str) -> None:
    tol = FLOAT64_RTOL if dtype == "float64" else MULTISTEP_FLOAT32_RTOL
    steps = len(result["losses"])
    for ours, theirs in result["losses"]:
        assert_parity(f"{what}: loss at steps 1–{steps}", dtype, ours, theirs, tol)
    for ours, theirs in result["weights"]:
        assert_parity(f"{what}: weights after {steps} steps", dtype, ours, theirs, tol)
    assert_parity(f"{what}: predictions after {steps} steps", dtype, *result["predictions"], tol)


# ------------------------------------------------------------------ parity assertions and their record
@dataclass
class Measured:
    """The comparisons made for one (thing, dtype, bound): how many, and the largest error seen."""

    cases: int = 0
    largest: float = 0.0


PARITY_ERRORS: dict[tuple[str, str, str], Measured] = {}


def _bound(tol: float | None, rtol: float | None, atol: float) -> str:
    parts = [] if tol is None else [f"≤ {tol:.2g}"]
    if rtol:
        parts.append(f"element-wise rtol {rtol:.2g}, atol {atol:.2g}")
    elif rtol is not None:
        parts.append(f"element-wise atol {atol:.2g}")
    return "; ".join(parts)


def assert_parity(what: str, dtype, ours, theirs, tol: float | None = None, *, rtol: float | None = None,
                  atol: float = 0.0) -> float:
    """Compare a redes result with TensorFlow's, record the error for the parity report, and assert.

    The error recorded (and bounded by ``tol``) is max |ours − theirs| / max |theirs| over the whole
    array (tolerances.max_relative). ``rtol``/``atol`` add an element-wise bound, as
    np.testing.assert_allclose. ``what`` names the thing compared, as it appears in the report.
    Returns the error.
    """
    if tol is None and rtol is None:
        raise ValueError(f"assert_parity({what!r}) needs a bound: tol, or rtol (and atol).")
    ours, theirs = np.asarray(ours), np.asarray(theirs)
    error = record_error(what, dtype, ours, theirs, _bound(tol, rtol, atol))
    if tol is not None:
        assert error <= tol, f"{what} ({np.dtype(dtype).name}): error {error:.2e} relative to the max magnitude " \
                             f"{np.abs(theirs).max(initial=0.0):.2e}, bound {tol:.2g}"
    if rtol is not None:
        np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=atol, err_msg=f"{what} ({np.dtype(dtype).name})")
    return error


def record_error(what: str, dtype, ours, theirs, bound: str = "measured only") -> float:
    """Record max_relative(ours, theirs) for the parity report without asserting; returns it."""
    ours, theirs = np.asarray(ours), np.asarray(theirs)
    assert ours.shape == theirs.shape, f"{what}: shapes {ours.shape} and {theirs.shape}"
    error = max_relative(ours, theirs)
    measured = PARITY_ERRORS.setdefault((what, np.dtype(dtype).name, bound), Measured())
    measured.cases += 1
    measured.largest = max(measured.largest, error)
    return error


def parity_report(command: str, seconds: float) -> str:
    """The parity README: one row per (thing compared, dtype, bound) with the largest error measured."""
    lines = [
        "# TensorFlow parity suite",
        "",
        "redes against TensorFlow 2.21 (Keras 3) on the same weights and inputs. Each row is one thing",
        "compared, in one dtype: the number of comparisons, the largest error measured in them, and the",
        "bound the tests assert. Error = max |redes − TensorFlow| / max |TensorFlow| over the whole array",
        "(a scalar such as a loss value: its relative error). Bounds come from `tests/parity/tolerances.py`",
        "(taken from KERAS_PARITY.md); where a bound is looser, the test says why beside it.",
        "",
        "The parity suite is every test in `tests/parity/` and every test whose name says tensorflow,",
        "keras or parity (`-m parity`). This file is written by the suite itself, from a real run:",
        "",
        "```bash",
        command,
        "```",
        "",
        f"That run: {sum(m.cases for m in PARITY_ERRORS.values())} comparisons in {len(PARITY_ERRORS)} rows,"
        f" {seconds:.0f} s wall time.",
        "",
        "What the rows mean for the whole models:",
        "",
        "- The MNIST CNN with BatchNormalization, trained with Adam(1e-3), agrees with Keras over all 20",
        "  steps in float64 (Keras given float64 β1, β2 and floatx float64). In float32 the runs agree at",
        "  step 1, then rounding is amplified: Adam moves each weight by about ±lr whatever its gradient's",
        "  size, so rounding that flips the sign of a near-zero gradient moves that weight by 2·lr. At",
        "  Adam(1e-3) redes drifts as far from its own float64 run (2e-2 in the loss at step 20), so the",
        "  float32 run uses Adam(1e-4) and looser bounds, explained in `tolerances.py`.",
        "- On one batch of that CNN, TensorFlow's float32 gradients are far less accurate than redes'",
        "  (row \"TensorFlow (for comparison)\": its error against TensorFlow float64, not asserted).",
        "- In float64 Keras rounds Python-float constants through float32 (optimizer β and ρ,",
        "  regularization factors, leaky_relu's slope, gelu's 1/√2): rows with a 1e-7 or 5e-6 bound.",
        "",
        "| Compared | dtype | cases | largest error | bound |",
        "|---|---|---:|---:|---|",
    ]
    first_seen = {what: index for index, (what, _, _) in reversed(list(enumerate(PARITY_ERRORS)))}
    rows = sorted(PARITY_ERRORS.items(), key=lambda row: (first_seen[row[0][0]], row[0][1], row[0][2]))
    for (what, dtype, bound), measured in rows:
        lines.append(f"| {what} | {dtype} | {measured.cases} | {measured.largest:.1e} | {bound} |")
    return "\n".join(lines) + "\n"
