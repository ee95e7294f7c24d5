"""What the notebooks share: they import it (their kernel runs in notebooks/), and so does tests/helpers.py.

- ``QUICK``: REDES_QUICK=1 in the environment, for a little data and one epoch (CI runs the notebooks so).
- ``redes``: the installed package or, in a clone that was not installed, the repository's copy.
- ``tensorflow_or_none()``: TensorFlow, or None when it is not installed (the TensorFlow cells then skip).
- ``fashion_mnist_split()``: Fashion-MNIST in [0, 1], the classic split with 5,000 validation images.
- ``plot_learning_curves()``: the loss and accuracy per epoch of several models, in one figure (08, 10).
- ``numerical_gradient()``, ``tf_vjp()``: gradients by central differences and by TensorFlow's GradientTape,
  for notebooks 02 and 06 and for the gradient and parity tests.
"""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path

import numpy as np

QUICK = os.environ.get("REDES_QUICK") == "1"
warnings.filterwarnings("ignore", message="IProgress not found")  # plain-text progress bars without ipywidgets

try:
    import redes
except ImportError:  # a clone that was not installed: use the repository's copy
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import redes

__all__ = ["QUICK", "redes", "tensorflow_or_none", "fashion_mnist_split", "plot_learning_curves", "numerical_gradient", "tf_vjp"]


def tensorflow_or_none():
    """Import TensorFlow and print its version; None, said so, when it is not installed."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        import tensorflow as tf
    except ImportError:
        tf = None
    print("TensorFlow", tf.__version__ if tf is not None else "is not installed: the TensorFlow cells will skip")
    return tf


def fashion_mnist_split(validation: int = 5000):
    """Fashion-MNIST as ``(x_train, y_train), (x_val, y_val), (x_test, y_test)``, pixels scaled to [0, 1].

    ``datasets.load_fashion_mnist()`` (uint8 arrays shaped as in ``keras.datasets``), then
    ``datasets.scale_images`` and ``datasets.train_validation_split``: the last ``validation``
    training images validate. In quick mode: 2,000 training, 500 validation and 1,000 test images.
    """
    from redes import datasets

    (x_train_full, y_train_full), (x_test, y_test) = datasets.load_fashion_mnist()
    x_train_full, x_test = datasets.scale_images(x_train_full), datasets.scale_images(x_test)
    (x_train, y_train), (x_val, y_val) = datasets.train_validation_split(x_train_full, y_train_full, validation)
    if QUICK:
        x_train, y_train, x_val, y_val = x_train[:2000], y_train[:2000], x_val[:500], y_val[:500]
        x_test, y_test = x_test[:1000], y_test[:1000]
    return (x_train, y_train), (x_val, y_val), (x_test, y_test)


def plot_learning_curves(histories: dict, validation: str = "validation", marker: str = "o"):
    """Loss and accuracy per epoch, side by side, of each ``{name: History}``: one colour per model,
    dashed the training values, solid the validation ones (labelled ``validation``). Returns the Figure."""
    import matplotlib.pyplot as plt

    fig, (ax_loss, ax_accuracy) = plt.subplots(1, 2, figsize=(12, 4))
    for (name, history), color in zip(histories.items(), plt.rcParams["axes.prop_cycle"].by_key()["color"]):
        epochs = np.arange(1, len(history.history["loss"]) + 1)
        for prefix, style, split in (("", "--", "train"), ("val_", "-", validation)):
            for ax, metric in ((ax_loss, "loss"), (ax_accuracy, "accuracy")):
                ax.plot(epochs, history.history[f"{prefix}{metric}"], color=color, linestyle=style, marker=marker,
                        label=f"{name} ({split})")
    longest = max(len(history.history["loss"]) for history in histories.values())
    for ax, metric in ((ax_loss, "loss"), (ax_accuracy, "accuracy")):
        ax.set(title=f"{metric.capitalize()} per epoch", xlabel="Epoch", ylabel=metric, xticks=np.arange(1, longest + 1))
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def numerical_gradient(loss, array: np.ndarray, eps: float = 1e-6, indices=None) -> np.ndarray:
    """d loss() / d array by central differences, perturbing ``array`` in place (and restoring it).

    ``indices``: the flat indices of the entries to estimate, the others left at 0; all by default.
    """
    grad = np.zeros_like(array)
    for flat in range(array.size) if indices is None else indices:
        index = np.unravel_index(flat, array.shape)
        original = array[index]
        array[index] = original + eps
        plus = loss()
        array[index] = original - eps
        minus = loss()
        array[index] = original
        grad[index] = (plus - minus) / (2 * eps)
    return grad


def tf_vjp(tf, function, x: np.ndarray, upstream: np.ndarray, **call_kwargs) -> list[np.ndarray]:
    """TensorFlow's y = function(x) and the gradients of L = Σ y ⊙ upstream: [y, dL/dx, dL/dw for each w].

    The w are the trainable weights of ``function`` when it is a Keras layer (built by this call if
    need be), none for a plain function such as an activation.
    """
    x_tf = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(x_tf)
        y_tf = function(x_tf, **call_kwargs)
        loss = tf.reduce_sum(y_tf * upstream)
    gradients = tape.gradient(loss, [x_tf, *getattr(function, "trainable_weights", [])])
    return [y_tf.numpy(), *(g.numpy() for g in gradients)]
