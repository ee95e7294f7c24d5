"""Whole models against Keras: identical initial weights, identical batches of real MNIST / Fashion-MNIST.

(a) The MNIST CNN with BatchNormalization (README quickstart), compiled with Adam and trained with
    train_on_batch. (b) The two-group MLP of the README's custom loop: SGD with Nesterov momentum on
    the lower Dense layer, Nadam on the upper one.
Each run compares the loss at every step, the final weights (moving statistics included) and the
inference-mode predictions on test images.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from helpers import assert_parity, import_tensorflow, keras_floatx, record_error
from redes import Sequential, datasets, layers, losses, optimizers
from tolerances import (ADAM_BATCH_NORM_FLOAT32_LOSS_RTOL, ADAM_BATCH_NORM_FLOAT32_PREDICTIONS_RTOL,
                        ADAM_BATCH_NORM_FLOAT32_WEIGHTS_RTOL, BATCH_NORM_MODEL_FLOAT32_GRADIENT_RTOL, FLOAT64_RTOL,
                        MULTISTEP_FLOAT32_RTOL, tolerance)

STEPS, BATCH = 20, 16


def images(loader, channels: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """STEPS·BATCH training images (scaled to [0, 1], float32), their labels, and 64 test images."""
    (x_train, y_train), (x_test, _) = loader()
    x_train, x_test = x_train[:STEPS * BATCH] / 255, x_test[:64] / 255
    if channels:
        x_train, x_test = x_train[..., None], x_test[..., None]
    return x_train.astype("float32"), y_train[:STEPS * BATCH], x_test.astype("float32")


def batches(x: np.ndarray, y: np.ndarray) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """The same STEPS batches, in order, for both frameworks."""
    for step in range(STEPS):
        yield x[step * BATCH:(step + 1) * BATCH], y[step * BATCH:(step + 1) * BATCH]


# ------------------------------------------------------------------ (a) MNIST CNN, BatchNormalization, Adam
def cnn(module, dtype: str) -> list:
    """The quickstart CNN, built from redes.layers or keras.layers (same names, same arguments)."""
    kwargs = {"dtype": dtype}
    return [module.Input((28, 28, 1)),
            module.Conv2D(32, 3, activation="relu", **kwargs), module.BatchNormalization(**kwargs),
            module.Conv2D(64, 3, activation="relu", **kwargs), module.BatchNormalization(**kwargs),
            module.MaxPooling2D(2, **kwargs), module.Flatten(**kwargs),
            module.Dense(128, activation="relu", **kwargs), module.BatchNormalization(**kwargs),
            module.Dense(10, activation="softmax", **kwargs)]


def train_cnn(tf, dtype: str, learning_rate: float, adam_constants: dict) -> dict[str, list]:
    """Train both CNNs STEPS steps with Adam; return losses, final weights and predictions of each side."""
    keras = tf.keras
    keras.utils.set_random_seed(0)
    x, y, x_test = images(datasets.load_mnist, channels=True)
    x, x_test = x.astype(dtype), x_test.astype(dtype)
    theirs = keras.Sequential(cnn(keras.layers, dtype))
    ours = Sequential(cnn(layers, dtype))
    ours.set_weights(theirs.get_weights())
    theirs.compile(optimizer=keras.optimizers.Adam(learning_rate, **adam_constants),
                   loss=keras.losses.SparseCategoricalCrossentropy(dtype=dtype))
    ours.compile(optimizer=optimizers.Adam(learning_rate), loss="sparse_categorical_crossentropy")
    result = {"ours": [], "theirs": []}
    for x_batch, y_batch in batches(x, y):
        result["theirs"].append(float(theirs.train_on_batch(x_batch, y_batch)))
        result["ours"].append(ours.train_on_batch(x_batch, y_batch))
    result["weights"] = list(zip(ours.get_weights(), theirs.get_weights(), strict=True))
    result["predictions"] = (ours.predict(x_test), theirs.predict(x_test, verbose=0))
    return result


def test_mnist_cnn_with_batch_norm_and_adam_float64():
    """The whole training loop (fused softmax cross-entropy, BatchNorm statistics, Adam) in float64."""
    # Keras casts Python floats through float32 (β1 = 0.9 becomes 0.9000000238...); float64 scalars stay
    # exact, and floatx float64 makes its learning-rate variable float64.
    with keras_floatx("float64") as tf:
        result = train_cnn(tf, "float64", 1e-3, {"beta_1": np.float64(0.9), "beta_2": np.float64(0.999)})
    what = "MNIST CNN + BatchNormalization, Adam(1e-3), 20 steps of 16 images (Keras' β in float64)"
    for ours, theirs in zip(result["ours"], result["theirs"], strict=True):
        assert_parity(f"{what}: loss at every step", "float64", ours, theirs, FLOAT64_RTOL)
    for ours, theirs in result["weights"]:
        assert_parity(f"{what}: final weights and moving statistics", "float64", ours, theirs,
                      FLOAT64_RTOL)
    assert_parity(f"{what}: inference predictions", "float64", *result["predictions"], FLOAT64_RTOL)


def test_mnist_cnn_with_batch_norm_and_adam_float32():
    """The same training in float32, where rounding is amplified from step 2 on (see tolerances.py)."""
    tf = import_tensorflow()
    # Adam(1e-4): at 1e-3 the float32 runs drift apart by 4e-2 in the loss at step 20, as redes does
    # from its own float64 run; the float64 test above checks the 1e-3 run.
    result = train_cnn(tf, "float32", 1e-4, {})
    what = "MNIST CNN + BatchNormalization, Adam(1e-4), 20 steps of 16 images"
    assert_parity(f"{what}: loss at step 1", "float32", result["ours"][0], result["theirs"][0], MULTISTEP_FLOAT32_RTOL)
    for ours, theirs in zip(result["ours"][1:], result["theirs"][1:], strict=True):
        assert_parity(f"{what}: loss at steps 2 to 20", "float32", ours, theirs, ADAM_BATCH_NORM_FLOAT32_LOSS_RTOL)
    for ours, theirs in result["weights"]:
        assert_parity(f"{what}: final weights and moving statistics", "float32", ours, theirs,
                      ADAM_BATCH_NORM_FLOAT32_WEIGHTS_RTOL)
    assert_parity(f"{what}: inference predictions", "float32", *result["predictions"],
                  ADAM_BATCH_NORM_FLOAT32_PREDICTIONS_RTOL)


def test_mnist_cnn_float32_gradients_against_float64_keras():
    """One batch: redes' and TensorFlow's float32 gradients, each against TensorFlow in float64."""
    tf = import_tensorflow()
    keras = tf.keras
    keras.utils.set_random_seed(0)
    x, y, _ = images(datasets.load_mnist, channels=True)
    x, y = x[:32], y[:32]
    weights = keras.Sequential(cnn(keras.layers, "float32")).get_weights()
    gradients = {}
    for dtype in ("float32", "float64"):
        theirs = keras.Sequential(cnn(keras.layers, dtype))
        theirs.set_weights([w.astype(dtype) for w in weights])
        with tf.GradientTape() as tape:
            loss = keras.losses.SparseCategoricalCrossentropy(dtype=dtype)(y, theirs(x.astype(dtype), training=True))
        gradients["tensorflow", dtype] = [g.numpy() for g in tape.gradient(loss, theirs.trainable_weights)]
    ours = Sequential(cnn(layers, "float32"))
    ours.set_weights(weights)
    ours.compile(optimizer=optimizers.SGD(0.0), loss="sparse_categorical_crossentropy")
    ours.train_on_batch(x, y)
    what = "MNIST CNN + BatchNormalization, one batch of 32: gradient of every weight against TensorFlow float64"
    for ours_grad, their_grad, exact in zip(ours.gradients, gradients["tensorflow", "float32"],
                                            gradients["tensorflow", "float64"], strict=True):
        assert_parity(f"{what}, redes", "float32", ours_grad, exact, BATCH_NORM_MODEL_FLOAT32_GRADIENT_RTOL)
        record_error(f"{what}, TensorFlow (for comparison)", "float32", their_grad, exact)


# ------------------------------------------------------------------ (b) two-group MLP, custom loop
# Keras' loss sees the softmax output and uses its logits; redes' custom loop differentiates the
# probabilities. The two agree while no probability is clipped, as here.
def mlp(module) -> list:
    return [module.Input((28, 28)), module.Flatten(), module.Dense(100, activation="relu"),
            module.Dense(10, activation="softmax")]


def test_fashion_mnist_two_group_mlp_custom_loop_float32():
    """The README's custom loop against the same loop written with tf.GradientTape."""
    tf = import_tensorflow()
    keras = tf.keras
    keras.utils.set_random_seed(1)
    x, y, x_test = images(datasets.load_fashion_mnist, channels=False)
    theirs = keras.Sequential(mlp(keras.layers))
    ours = Sequential(mlp(layers))
    ours.set_weights(theirs.get_weights())
    k = 2  # the lower group: Dense 100's kernel and bias
    their_lower = keras.optimizers.SGD(learning_rate=0.01, momentum=0.9, nesterov=True)
    their_upper = keras.optimizers.Nadam(learning_rate=1e-3)
    their_loss = keras.losses.SparseCategoricalCrossentropy()
    lower_opt = optimizers.SGD(learning_rate=0.01, momentum=0.9, nesterov=True)
    upper_opt = optimizers.Nadam(learning_rate=1e-3)
    loss_fn = losses.SparseCategoricalCrossentropy()
    what = "Fashion-MNIST MLP, SGD Nesterov (lower) + Nadam (upper), custom loop, 20 steps of 16 images"
    for x_batch, y_batch in batches(x, y):
        with tf.GradientTape() as tape:
            their_value = their_loss(y_batch, theirs(x_batch, training=True))
        grads = tape.gradient(their_value, theirs.trainable_weights)
        their_lower.apply_gradients(zip(grads[:k], theirs.trainable_weights[:k]))
        their_upper.apply_gradients(zip(grads[k:], theirs.trainable_weights[k:]))

        y_pred = ours(x_batch, training=True)
        value = loss_fn(y_batch, y_pred)
        ours.backward(loss_fn.gradient(y_batch, y_pred))
        grads = ours.gradients
        lower_opt.apply_gradients(zip(grads[:k], ours.trainable_weights[:k]))
        upper_opt.apply_gradients(zip(grads[k:], ours.trainable_weights[k:]))
        assert_parity(f"{what}: loss at every step", "float32", value, float(their_value), MULTISTEP_FLOAT32_RTOL)
    for ours_weight, their_weight in zip(ours.get_weights(), theirs.get_weights(), strict=True):
        assert_parity(f"{what}: final weights", "float32", ours_weight, their_weight, tolerance("float32"))
    assert_parity(f"{what}: inference predictions", "float32", ours.predict(x_test), theirs.predict(x_test, verbose=0),
                  tolerance("float32"))
