"""The Keras logits pitfall (KERAS_PARITY.md): a loss on a softmax/sigmoid layer's output uses its logits.

Keras attaches the logits to the output of a softmax or sigmoid layer, and a cross-entropy given that
output computes from the logits, without clipping. redes does the same inside compile/fit/evaluate
(the fused output), while its losses on plain arrays clip the probabilities like Keras on plain
arrays. With a saturated output (probabilities exactly 0) the two values differ by far more
than any tolerance, so each side must be compared with its own counterpart.
"""

import numpy as np
import pytest

from helpers import assert_parity, import_tensorflow
from redes import Sequential, layers, losses, optimizers
from tolerances import MULTISTEP_FLOAT32_RTOL, tolerance

CASES = [  # loss, output activation, units, Keras loss class
    ("sparse_categorical_crossentropy", "softmax", 4, "SparseCategoricalCrossentropy"),
    ("categorical_crossentropy", "softmax", 4, "CategoricalCrossentropy"),
    ("binary_crossentropy", "sigmoid", 3, "BinaryCrossentropy"),
]


@pytest.mark.parametrize("loss_name,activation,units,class_name", CASES)
def test_saturated_output_loss_comes_from_the_logits_as_in_keras(loss_name, activation, units, class_name):
    tf = import_tensorflow()
    keras = tf.keras
    rng = np.random.default_rng(0)
    x = rng.standard_normal((8, 5)).astype("float32")
    labels = rng.integers(0, units, 8)
    y = {"sparse_categorical_crossentropy": labels, "categorical_crossentropy": np.eye(units)[labels],
         "binary_crossentropy": rng.integers(0, 2, (8, units)).astype("float32")}[loss_name]
    weights = [(rng.standard_normal((5, units)) * 40).astype("float32"), np.zeros(units, "float32")]
    theirs = keras.Sequential([keras.Input((5,)), keras.layers.Dense(units, activation=activation)])
    ours = Sequential([layers.Input((5,)), layers.Dense(units, activation=activation)])
    theirs.set_weights(weights)
    ours.set_weights(weights)
    probabilities = theirs(x)
    assert (probabilities.numpy() == 0).any()  # saturated: exact zeros (and, for the sigmoid, exact ones)

    keras_loss = getattr(keras.losses, class_name)()
    from_logits = float(keras_loss(y, probabilities))              # Keras finds the logits on the output
    clipped = float(keras_loss(y, tf.identity(probabilities)))     # a plain tensor: clipped probabilities
    assert from_logits > 2 * clipped  # the pitfall: about −log(1e-7) = 16 per clipped entry, against the logits

    what = f"{class_name} on a saturated {activation} output"
    assert_parity(f"{what}, plain probabilities (clipped): value", "float32",
                  losses.get(loss_name)(y, probabilities.numpy()), clipped, tolerance("float32"))
    ours.compile(optimizer=optimizers.SGD(1e-3), loss=loss_name)
    theirs.compile(optimizer=keras.optimizers.SGD(1e-3), loss=loss_name)
    assert_parity(f"{what}, model.evaluate (from the logits): value", "float32", ours.evaluate(x, y, verbose=0),
                  theirs.evaluate(x, y, verbose=0), MULTISTEP_FLOAT32_RTOL)
    assert_parity(f"{what}, model.evaluate (from the logits): value", "float32", ours.evaluate(x, y, verbose=0),
                  from_logits, MULTISTEP_FLOAT32_RTOL)
    for _ in range(3):  # the gradient from the logits: the same SGD steps
        assert_parity(f"{what}, train_on_batch (from the logits): loss", "float32", ours.train_on_batch(x, y),
                      float(theirs.train_on_batch(x, y)), MULTISTEP_FLOAT32_RTOL)
    for ours_weight, their_weight in zip(ours.get_weights(), theirs.get_weights(), strict=True):
        assert_parity(f"{what}, train_on_batch (from the logits): weights after 3 steps", "float32", ours_weight,
                      their_weight, tolerance("float32"))
