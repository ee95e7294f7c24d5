"""Turning raw datasets into training inputs: scale to [0, 1], add the channel axis, one-hot, validation split.

Example:
    >>> (x_train, y_train), (x_test, y_test) = load_fashion_mnist()
    >>> x_train, x_test = scale_images(add_channel_axis(x_train)), scale_images(add_channel_axis(x_test))
    >>> (x_train, y_train), (x_val, y_val) = train_validation_split(x_train, y_train, 5000)
    >>> x_train.shape, x_val.shape
    ((55000, 28, 28, 1), (5000, 28, 28, 1))
"""

from __future__ import annotations

import numpy

from ..validation import check_int, check_positive_int


def scale_images(images, dtype="float32") -> numpy.ndarray:
    """uint8 pixels (any shape) to floats in [0, 1]: ``images / 255``.

    Raises:
        TypeError: ``images`` is not uint8 (floats are likely scaled already).

    Example:
        >>> scale_images(np.array([[0, 51, 255]], dtype=np.uint8))
        array([[0. , 0.2, 1. ]], dtype=float32)
    """
    images = numpy.asarray(images)
    if images.dtype != numpy.uint8:
        raise TypeError(f"`images` must be uint8 pixels in 0–255. Received dtype {images.dtype}: "
                        "float images are probably scaled already.")
    return images.astype(dtype) / numpy.asarray(255, dtype=dtype)


def add_channel_axis(images) -> numpy.ndarray:
    """Grey images (N, H, W) to (N, H, W, 1), the NHWC shape Conv2D expects (a view, no copy).

    Example:
        >>> add_channel_axis(np.zeros((10, 28, 28), dtype=np.uint8)).shape
        (10, 28, 28, 1)
    """
    images = numpy.asarray(images)
    if images.ndim != 3:
        raise ValueError(f"`images` must be grey images of shape (N, H, W). Received shape {images.shape}.")
    return images[..., numpy.newaxis]


def to_categorical(labels, num_classes: int | None = None, dtype="float32") -> numpy.ndarray:
    """Integer labels (N,) to one-hot rows (N, num_classes), as ``keras.utils.to_categorical``.

    Args:
        labels: integers in [0, num_classes).
        num_classes: the number of columns (default: the largest label + 1).
        dtype: the type of the result.

    Example:
        >>> to_categorical([0, 2, 1])
        array([[1., 0., 0.],
               [0., 0., 1.],
               [0., 1., 0.]], dtype=float32)
    """
    labels = numpy.asarray(labels)
    if labels.ndim == 2 and labels.shape[1] == 1:
        labels = labels[:, 0]
    if labels.ndim != 1 or labels.dtype.kind not in "iu":
        raise ValueError(f"`labels` must be integer labels of shape (N,). Received shape {labels.shape}, "
                         f"dtype {labels.dtype}.")
    if labels.size and labels.min() < 0:
        raise ValueError(f"`labels` must be >= 0. Received a label {labels.min()}.")
    largest = int(labels.max()) if labels.size else -1
    num_classes = check_positive_int("num_classes", num_classes, allow_none=True)
    if num_classes is None:
        num_classes = largest + 1
    elif largest >= num_classes:
        raise ValueError(f"`labels` must be < num_classes={num_classes}. Received a label {largest}.")
    one_hot = numpy.zeros((labels.size, int(num_classes)), dtype=dtype)
    one_hot[numpy.arange(labels.size), labels] = 1
    return one_hot


def train_validation_split(x, y, validation_size: int = 5000):
    """Keep the last ``validation_size`` samples apart: ((x_train, y_train), (x_val, y_val)), views, no shuffle.

    With Fashion-MNIST's 60,000 training images and the default, this is the classic split:
    55,000 for training, the last 5,000 for validation.

    Args:
        x, y: arrays with the same first axis, e.g. images (N, H, W, C) and labels (N,).
        validation_size: how many of the last samples to keep apart, in [1, N − 1].

    Example:
        >>> (x_train, y_train), (x_val, y_val) = train_validation_split(np.arange(10), np.arange(10), 2)
        >>> x_train.shape, x_val.tolist()
        ((8,), [8, 9])
    """
    x, y = numpy.asarray(x), numpy.asarray(y)
    if len(x) != len(y):
        raise ValueError(f"`x` and `y` must have the same number of samples. Received {len(x)} and {len(y)}.")
    cut = len(x) - check_int("validation_size", validation_size, minimum=1, maximum=len(x) - 1)
    return (x[:cut], y[:cut]), (x[cut:], y[cut:])
