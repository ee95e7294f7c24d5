"""Keras' metrics as functions: per-sample values, unreduced (``metrics.categorical_accuracy(y_true, y_pred)``).

Each comes from the class of the same metric (its ``values``; per element for ``binary_accuracy``, as Keras 3); ``compile(metrics=[fn])`` wraps a
function, these or your own, in a ``MeanMetricWrapper``, as Keras does. The loss functions
(``mean_squared_error``, the cross-entropies, ...) are metrics too, as in ``keras.metrics``.

Example:
    >>> categorical_accuracy(np.array([[0, 1], [1, 0]]), np.array([[0.3, 0.7], [0.2, 0.8]]))
    array([1., 0.])
"""

from __future__ import annotations

from ..backend import xp
from .accuracy import BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy
from .top_k import SparseTopKCategoricalAccuracy, TopKCategoricalAccuracy


def _values(metric, y_true, y_pred):
    return xp.asarray(metric.values(xp.asarray(y_true), xp.asarray(y_pred)), dtype=xp.float64)


def categorical_accuracy(y_true, y_pred):
    """1 where argmax y_pred is the one-hot target's class, per sample (``CategoricalAccuracy``).

    Example:
        >>> categorical_accuracy(np.array([[0, 1]]), np.array([[0.4, 0.6]]))
        array([1.])
    """
    return _values(CategoricalAccuracy(), y_true, y_pred)


def sparse_categorical_accuracy(y_true, y_pred):
    """1 where argmax y_pred is the integer label, per sample (``SparseCategoricalAccuracy``).

    Example:
        >>> sparse_categorical_accuracy(np.array([1, 0]), np.array([[0.4, 0.6], [0.4, 0.6]]))
        array([1., 0.])
    """
    return _values(SparseCategoricalAccuracy(), y_true, y_pred)


def binary_accuracy(y_true, y_pred, threshold: float = 0.5):
    """[(y_pred > threshold) = y_true] per element, as Keras 3 (``BinaryAccuracy`` averages them).

    Example:
        >>> binary_accuracy(np.array([[1, 0]]), np.array([[0.9, 0.8]]))
        array([[1., 0.]])
    """
    return _values(BinaryAccuracy(threshold=threshold), y_true, y_pred)


def top_k_categorical_accuracy(y_true, y_pred, k: int = 5):
    """1 where the one-hot target's class is among the k highest predictions, per sample.

    Example:
        >>> top_k_categorical_accuracy(np.array([[0, 0, 1]]), np.array([[0.5, 0.2, 0.3]]), k=2)
        array([1.])
    """
    return _values(TopKCategoricalAccuracy(k=k), y_true, y_pred)


def sparse_top_k_categorical_accuracy(y_true, y_pred, k: int = 5):
    """1 where the integer label is among the k highest predictions, per sample.

    Example:
        >>> sparse_top_k_categorical_accuracy(np.array([1]), np.array([[0.5, 0.2, 0.3]]), k=2)
        array([0.])
    """
    return _values(SparseTopKCategoricalAccuracy(k=k), y_true, y_pred)
