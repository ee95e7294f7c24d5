"""Plots of training and results: learning curves, confusion matrix, predictions, filters, feature maps.

Every function returns the matplotlib ``Figure`` and, given ``save_path``, also writes it there
(PNG unless the path's extension names another format; missing folders are created). pyplot is
imported inside the functions only, so ``import redes`` stays fast and never needs a display;
in a script call ``matplotlib.pyplot.show()`` to open the windows, in a notebook the figure shows
itself.

Example:
    >>> history = model.fit(x, y, validation_split=0.1, epochs=10)
    >>> plotting.plot_history(history, save_path="curves.png")
    >>> plotting.plot_confusion_matrix(y_test, model.predict(x_test), class_names=names)
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence

import numpy as np

from .validation import check_int, check_path, check_positive_int

DEFAULT_METRICS = ("loss", "accuracy")
CORRECT_COLOR = "tab:blue"
MISTAKE_COLOR = "red"

__all__ = ["confusion_matrix", "plot_confusion_matrix", "plot_feature_maps", "plot_filters", "plot_history",
           "plot_predictions"]


def _pyplot():
    import matplotlib.pyplot as plt

    return plt


def _finish(fig, save_path):
    """Lay out, save if asked, and return ``fig``."""
    if save_path is not None:
        save_path = check_path("save_path", save_path)
        directory = os.path.dirname(save_path)
        if directory:
            os.makedirs(directory, exist_ok=True)
        fig.savefig(save_path, dpi=100, bbox_inches="tight")
    return fig


def _grid(count: int) -> tuple[int, int]:
    cols = math.ceil(math.sqrt(count))
    return math.ceil(count / cols), cols


def _subplots_grid(count: int, cell: float = 1.6):
    """A figure with exactly ``count`` image axes (no ticks) on a near-square grid."""
    rows, cols = _grid(count)
    fig, axes = _pyplot().subplots(rows, cols, figsize=(cols * cell, rows * cell), squeeze=False)
    axes = axes.ravel()
    for ax in axes[count:]:
        fig.delaxes(ax)
    for ax in axes[:count]:
        ax.set_xticks([])
        ax.set_yticks([])
    return fig, list(axes[:count])


def _rescale(image: np.ndarray) -> np.ndarray:
    """Min-max scale to [0, 1] (a constant image becomes 0.5)."""
    low, high = float(image.min()), float(image.max())
    if high == low:
        return np.full_like(image, 0.5, dtype=np.float64)
    return (image - low) / (high - low)


# ------------------------------------------------------------------------- history
SHORT_RUN_EPOCHS = 5  # fewer epochs than this: plot_history draws the training curves batch by batch


def plot_history(history, metrics: Sequence[str] = DEFAULT_METRICS, save_path=None, per_batch="auto"):
    """Learning curves: one panel per metric, training and validation values against the epoch.

    Args:
        history: the ``History`` that ``fit`` returns, or its ``history`` dict of lists.
        metrics: keys to plot; ``val_<key>`` is drawn beside each when present. With the default
            ('loss', 'accuracy') a missing 'accuracy' is left out; a key named explicitly must exist.
        save_path: where to save the figure (optional).
        per_batch: draw the training values batch by batch (a ``History``'s ``batch_history``: the
            running means of each epoch, at positions epoch + (batch + 1) / batches), the validation
            values at the end of each epoch. 'auto' (default): for runs of fewer than 5 epochs, where
            one point per epoch says little; True, False: always, never.

    Returns:
        the Figure, with one Axes per metric.

    Example:
        >>> fig = plot_history({"loss": [0.9, 0.5, 0.3], "val_loss": [1.0, 0.6, 0.4]})
        >>> len(fig.axes)   # 'accuracy' is absent, so only the loss panel
        1
    """
    logs = getattr(history, "history", history)
    if not isinstance(logs, Mapping):
        raise TypeError(f"`history` must be a History or a dict of lists. Received: {type(history).__name__}")
    if isinstance(metrics, str) or not all(isinstance(m, str) for m in metrics):
        raise TypeError(f"`metrics` must be a sequence of key names. Received: metrics={metrics!r}")
    if per_batch not in ("auto", True, False):
        raise ValueError(f"`per_batch` must be 'auto', True or False. Received: per_batch={per_batch!r}")
    missing = [m for m in metrics if m not in logs]
    if metrics is DEFAULT_METRICS:
        metrics = [m for m in metrics if m in logs]
    elif missing:
        raise ValueError(f"`metrics` names keys not in the history: {missing}. Available keys: {sorted(logs)}")
    if not metrics:
        raise ValueError(f"The history holds none of {list(DEFAULT_METRICS)}. Available keys: {sorted(logs)}")
    batches = _batch_curves(history, per_batch, len(logs[metrics[0]]))
    fig, axes = _pyplot().subplots(1, len(metrics), figsize=(5 * len(metrics), 3.8), squeeze=False)
    for ax, metric in zip(axes[0], metrics):
        train = np.asarray(logs[metric], dtype=np.float64)
        if train.ndim != 1 or train.size == 0:
            raise ValueError(f"history['{metric}'] must be a non-empty list of numbers, one per epoch.")
        epochs = np.arange(1, train.size + 1)
        if batches is not None and metric in batches[1]:
            ax.plot(batches[0], batches[1][metric], linewidth=1, label="train (running mean, per batch)")
        else:
            ax.plot(epochs, train, marker="o", markersize=3, label="train")
        if f"val_{metric}" in logs:
            val = np.asarray(logs[f"val_{metric}"], dtype=np.float64)
            if val.shape != train.shape:
                raise ValueError(f"history['val_{metric}'] has {val.size} values and history['{metric}'] "
                                 f"{train.size}: they must have one value per epoch each.")
            ax.plot(epochs, val, marker="o", markersize=5 if batches is not None else 3, label="validation")
        ax.set_title(metric.replace("_", " ").capitalize())
        ax.set_xlabel("Epoch")
        ax.set_ylabel(metric)
        if batches is not None:
            ax.set_xlim(0, 1.03 * max(train.size, batches[0][-1]))  # room for the last validation marker
        ax.grid(True, alpha=0.3)
        ax.legend()
    fig.tight_layout()
    return _finish(fig, save_path)


def _batch_curves(history, per_batch, epochs: int):
    """(positions in epochs, {key: values}) of a History's per-batch logs when they are to be drawn; else None."""
    positions = getattr(history, "batch_positions", None)
    if per_batch is False or not positions or (per_batch == "auto" and epochs >= SHORT_RUN_EPOCHS):
        return None
    epoch_of, batch_of = np.array(positions, dtype=np.float64).T
    batches_in = {e: 0 for e in epoch_of}
    for e, b in zip(epoch_of, batch_of):
        batches_in[e] = max(batches_in[e], b + 1)
    x = epoch_of + (batch_of + 1) / np.array([batches_in[e] for e in epoch_of])
    return x, {key: np.asarray(values, dtype=np.float64) for key, values in history.batch_history.items()
               if len(values) == len(positions) and np.ndim(values[0]) == 0}


# -------------------------------------------------------------------- confusion
def _labels(y, name: str) -> np.ndarray:
    """Integer labels from labels (N,) or (N, 1), or from one-hot rows / probabilities (N, C) by argmax."""
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] > 1:
        return y.argmax(axis=1)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError(f"`{name}` must be labels (N,) or one-hot/probabilities (N, C). Received shape {y.shape}.")
    if y.dtype.kind not in "iub":
        if y.dtype.kind != "f" or not np.all(np.isfinite(y)) or not np.all(y == np.round(y)):
            raise ValueError(f"`{name}` must hold integer class labels. Received dtype {y.dtype}.")
    if y.size and y.min() < 0:
        raise ValueError(f"`{name}` must hold labels >= 0. Received a label {y.min()}.")
    return y.astype(np.int64)


def _paired_labels(y_true, y_pred) -> tuple[np.ndarray, np.ndarray]:
    y_true, y_pred = _labels(y_true, "y_true"), _labels(y_pred, "y_pred")
    if y_true.shape != y_pred.shape:
        raise ValueError(f"`y_true` and `y_pred` must have one entry per sample each. "
                         f"Received {y_true.size} and {y_pred.size} samples.")
    if y_true.size == 0:
        raise ValueError("`y_true` and `y_pred` are empty.")
    return y_true, y_pred


def confusion_matrix(y_true, y_pred, num_classes: int | None = None) -> np.ndarray:
    """Counts of (true class, predicted class) pairs: rows are true classes, columns predictions.

    Args:
        y_true, y_pred: integer labels (N,), or one-hot rows / probabilities (N, C) (argmax taken).
        num_classes: size C of the matrix (default: the largest label + 1).

    Returns:
        an int64 array (C, C); ``m[i, j]`` is the number of samples of class i predicted as j.

    Equations: m = bincount(C · y_true + y_pred, minlength=C²) reshaped to (C, C).

    Example:
        >>> confusion_matrix([0, 1, 1], [0, 0, 1])
        array([[1, 0],
               [1, 1]])
    """
    y_true, y_pred = _paired_labels(y_true, y_pred)
    largest = int(max(y_true.max(), y_pred.max()))
    num_classes = check_positive_int("num_classes", num_classes, allow_none=True)
    if num_classes is None:
        num_classes = largest + 1
    elif largest >= num_classes:
        raise ValueError(f"Labels must be < num_classes={num_classes}. Received a label {largest}.")
    counts = np.bincount(num_classes * y_true + y_pred, minlength=num_classes * num_classes)
    return counts.reshape(num_classes, num_classes)


def _class_names(class_names, num_classes: int) -> list[str]:
    if class_names is None:
        return [str(i) for i in range(num_classes)]
    if isinstance(class_names, str) or not isinstance(class_names, Sequence):
        raise TypeError(f"`class_names` must be a list of names. Received: class_names={class_names!r}")
    if len(class_names) < num_classes:
        raise ValueError(f"`class_names` has {len(class_names)} names, but the labels go up to "
                         f"{num_classes - 1}. Give one name per class.")
    return [str(name) for name in class_names]


def plot_confusion_matrix(y_true, y_pred, class_names: Sequence[str] | None = None, normalize: bool = False,
                          save_path=None):
    """Confusion matrix as a heat map with the count (or the fraction) written in each cell.

    Args:
        y_true, y_pred: labels (N,) or one-hot rows / probabilities (N, C), e.g. ``model.predict(x)``.
        class_names: names of the classes, in label order (default: the labels).
        normalize: divide each row by its total, so a cell is the fraction of that true class
            (the diagonal is the recall per class).
        save_path: where to save the figure (optional).

    Returns:
        the Figure (the matrix Axes and its colour bar).

    Example:
        >>> fig = plot_confusion_matrix([0, 1, 1], [0, 1, 0], class_names=["cat", "dog"])
        >>> len(fig.axes)
        2
    """
    y_true, y_pred = _paired_labels(y_true, y_pred)
    num_classes = int(max(y_true.max(), y_pred.max())) + 1
    if class_names is not None:
        num_classes = max(num_classes, len(class_names))
    names = _class_names(class_names, num_classes)
    matrix = confusion_matrix(y_true, y_pred, num_classes).astype(np.float64)
    if normalize:
        totals = matrix.sum(axis=1, keepdims=True)
        matrix = np.divide(matrix, totals, out=np.zeros_like(matrix), where=totals > 0)
    size = max(4.0, 0.6 * num_classes + 2)
    fig, ax = _pyplot().subplots(figsize=(size + 1, size))
    image = ax.imshow(matrix, cmap="Blues", vmin=0, vmax=1 if normalize else None)
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    ticks = np.arange(num_classes)
    ax.set_xticks(ticks, names, rotation=45, ha="right", rotation_mode="anchor")
    ax.set_yticks(ticks, names)
    ax.set_xlabel("Predicted label")
    ax.set_ylabel("True label")
    accuracy = np.trace(confusion_matrix(y_true, y_pred, num_classes)) / y_true.size
    ax.set_title(f"Confusion matrix{' (normalized)' if normalize else ''} — accuracy {accuracy:.2%}")
    threshold = matrix.max() / 2
    for (i, j), value in np.ndenumerate(matrix):           # one label per cell
        text = f"{value:.2f}" if normalize else f"{int(value)}"
        ax.text(j, i, text, ha="center", va="center", fontsize=8,
                color="white" if value > threshold else "black")
    fig.tight_layout()
    return _finish(fig, save_path)


# ------------------------------------------------------------------- predictions
def _images(images) -> np.ndarray:
    """(N, H, W) or (N, H, W, 3) arrays for imshow, from (N, H, W), (N, H, W, 1|3) or square flat (N, H·W)."""
    images = np.asarray(images)
    if images.ndim == 2:
        side = math.isqrt(images.shape[1])
        if side * side != images.shape[1]:
            raise ValueError(f"Flat `images` must have a square number of pixels. Received shape {images.shape}.")
        images = images.reshape(-1, side, side)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim not in (3, 4) or (images.ndim == 4 and images.shape[-1] != 3):
        raise ValueError("`images` must have shape (N, H, W), (N, H, W, 1), (N, H, W, 3) or (N, H·W). "
                         f"Received shape {images.shape}.")
    return images


def plot_predictions(images, y_true, y_pred, class_names: Sequence[str] | None = None, n: int = 25,
                     save_path=None):
    """A grid of the first ``n`` images titled with the predicted and the true label; mistakes in red.

    Args:
        images: (N, H, W), (N, H, W, 1), (N, H, W, 3), or flat (N, H·W) with square images.
        y_true: labels (N,) or one-hot rows (N, C).
        y_pred: labels (N,), or probabilities (N, C) (then the title also gives the confidence).
        class_names: names of the classes, in label order (default: the labels).
        n: how many images to show (at most N).
        save_path: where to save the figure (optional).

    Returns:
        the Figure, one Axes per image; titles read "predicted\\n(true)" (blue when right, red when wrong).

    Example:
        >>> fig = plot_predictions(np.zeros((4, 28, 28, 1)), [0, 1, 2, 3], [0, 1, 2, 0], n=4)
        >>> len(fig.axes)
        4
    """
    images = _images(images)
    y_true, labels = _paired_labels(y_true, y_pred)
    if len(images) != len(y_true):
        raise ValueError(f"`images` has {len(images)} samples but the labels have {len(y_true)}.")
    n = min(check_positive_int("n", n), len(images))
    names = _class_names(class_names, int(max(y_true.max(), labels.max())) + 1)
    probabilities = np.asarray(y_pred)
    confident = probabilities.ndim == 2 and probabilities.shape[1] > 1
    fig, axes = _subplots_grid(n, cell=1.7)
    for index, ax in enumerate(axes):
        image = images[index]
        if image.ndim == 3 and image.dtype.kind == "f" and (image.min() < 0 or image.max() > 1):
            image = _rescale(image)
        ax.imshow(image, cmap="gray" if image.ndim == 2 else None)
        predicted = names[labels[index]]
        if confident:
            predicted += f" {100 * probabilities[index, labels[index]]:.0f}%"
        wrong = labels[index] != y_true[index]
        ax.set_title(f"{predicted}\n({names[y_true[index]]})", fontsize=8,
                     color=MISTAKE_COLOR if wrong else CORRECT_COLOR)
        if wrong:
            for spine in ax.spines.values():
                spine.set_edgecolor(MISTAKE_COLOR)
                spine.set_linewidth(2)
    mistakes = int((labels[:n] != y_true[:n]).sum())
    fig.suptitle(f"Predicted (true) — {mistakes} mistake{'s' if mistakes != 1 else ''} in {n} images")
    fig.tight_layout()
    return _finish(fig, save_path)


# ---------------------------------------------------------- filters, feature maps
def _conv_layer(layer):
    """``layer`` if it has a 4-D kernel; for a model, its first such layer."""
    candidates = getattr(layer, "layers", None)
    if candidates is not None:
        for candidate in candidates:
            if np.ndim(getattr(candidate, "kernel", None)) == 4:
                return candidate
        raise ValueError(f"Model '{getattr(layer, 'name', layer)}' has no Conv2D layer (built) to plot.")
    kernel = getattr(layer, "kernel", None)
    if kernel is None or np.ndim(kernel) != 4:
        raise TypeError("`layer` must be a built Conv2D layer, with a kernel of shape (kh, kw, in, out). "
                        f"Received: {layer!r}")
    return layer


def plot_filters(layer, save_path=None):
    """The filters of a Conv2D layer, one small image each (scaled to its own min and max).

    Args:
        layer: a built Conv2D layer (typically the first), or a model (its first Conv2D layer is used).
        save_path: where to save the figure (optional).

    Input: the kernel (kh, kw, C, F). A filter shows as RGB when C = 3, as grey levels when C = 1,
        and as the mean over its C input channels otherwise.

    Returns:
        the Figure, one Axes per filter (F).

    Example:
        >>> from redes import Sequential, layers
        >>> model = Sequential([layers.Input((28, 28, 1)), layers.Conv2D(8, 3), layers.MaxPooling2D()])
        >>> len(plot_filters(model).axes)   # kernel (3, 3, 1, 8): eight grey 3×3 filters
        8
    """
    layer = _conv_layer(layer)
    kernel = np.asarray(layer.kernel, dtype=np.float64)
    kh, kw, channels, filters = kernel.shape
    if channels == 3:
        pictures = kernel.transpose(3, 0, 1, 2)
    else:
        pictures = kernel.mean(axis=2).transpose(2, 0, 1)
    fig, axes = _subplots_grid(filters, cell=1.0)
    for index, ax in enumerate(axes):
        ax.imshow(_rescale(pictures[index]), cmap="gray" if channels != 3 else None, interpolation="nearest")
        ax.set_title(str(index), fontsize=7)
    note = "" if channels in (1, 3) else f", mean of {channels} input channels"
    fig.suptitle(f"Filters of '{layer.name}' ({filters} × {kh}×{kw}{note})")
    fig.tight_layout()
    return _finish(fig, save_path)


def plot_feature_maps(model, image, layer_index: int, save_path=None):
    """The output channels of one layer for one image: what that layer "sees".

    Args:
        model: a built model whose ``layers`` run in order (e.g. a Sequential).
        image: one input, with the model's input shape (H, W, C) (or (H, W) for one channel).
        layer_index: index in ``model.layers`` (negative counts from the end) of a layer whose output
            is an image (H', W', C'), such as Conv2D or MaxPooling2D.
        save_path: where to save the figure (optional).

    Returns:
        the Figure, one Axes per channel C'.

    Example:
        >>> from redes import Sequential, layers
        >>> model = Sequential([layers.Input((28, 28, 1)), layers.Conv2D(8, 3), layers.MaxPooling2D()])
        >>> len(plot_feature_maps(model, np.zeros((28, 28, 1)), layer_index=0).axes)   # Conv2D: (26, 26, 8)
        8
    """
    model_layers = getattr(model, "layers", None)
    if model_layers is None or not getattr(model, "built", False):
        raise TypeError(f"`model` must be a built model with layers. Received: {model!r}")
    layer_index = check_int("layer_index", layer_index, minimum=-len(model_layers),
                            maximum=len(model_layers) - 1) % len(model_layers)
    image = np.asarray(image)
    expected = tuple(model.input_shape)
    if image.shape != expected and image.shape + (1,) != expected and image.shape != (1, *expected):
        raise ValueError(f"`image` must have the model's input shape {expected}. Received shape {image.shape}.")
    x = image.reshape((1, *expected)).astype(model.dtype)
    for layer in model_layers[:layer_index + 1]:
        x = layer(x, training=False)
    if x.ndim != 4:
        layer = model_layers[layer_index]
        raise ValueError(f"Layer {layer_index} ('{layer.name}') outputs shape {x.shape[1:]}, not feature maps "
                         "(H, W, C): choose a convolution or pooling layer.")
    maps = np.asarray(x[0])
    fig, axes = _subplots_grid(maps.shape[-1], cell=1.3)
    for channel, ax in enumerate(axes):
        ax.imshow(maps[..., channel], cmap="viridis")
        ax.set_title(str(channel), fontsize=7)
    fig.suptitle(f"Feature maps of layer {layer_index} '{model_layers[layer_index].name}' "
                 f"({maps.shape[0]}×{maps.shape[1]}×{maps.shape[2]})")
    fig.tight_layout()
    return _finish(fig, save_path)
