"""Accuracy metrics: how often the prediction is the target, per sample, as a running mean.

sparse_categorical_accuracy [argmax(p) = y], categorical_accuracy [argmax(p) = argmax(t)],
binary_accuracy [(p > threshold) = t], and ``AutoAccuracy``, the one that 'accuracy' becomes
when the loss does not decide (it picks one of the three from each batch's shapes).
"""

from __future__ import annotations

from ..backend import xp
from ..validation import check_float
from .base import Metric
from .metrics_utils import _check_labels, _check_one_hot, _squeeze_or_expand


class SparseCategoricalAccuracy(Metric):
    """How often the class with the highest prediction is the integer label.

    Args:
        name: default 'sparse_categorical_accuracy'.

    Input shape: y_pred (N, ..., K); y_true labels (N, ...) or (N, ..., 1).
    Equations: v = [argmax_k p = y] per sample; result = mean of v.

    Example:
        >>> m = SparseCategoricalAccuracy(); m.update_state([1, 0], [[0.2, 0.8], [0.3, 0.7]]); m.result()
        0.5
    """

    def __init__(self, name: str = "sparse_categorical_accuracy") -> None:
        super().__init__(name)

    def values(self, y_true, y_pred):
        expected = _check_labels(self.name, y_true, y_pred)
        return xp.argmax(y_pred, axis=-1) == y_true.reshape(expected)


class CategoricalAccuracy(Metric):
    """How often the class with the highest prediction is the class of the one-hot target.

    Args:
        name: default 'categorical_accuracy'.

    Input shape: y_true and y_pred (N, ..., K).
    Equations: v = [argmax_k p = argmax_k t] per sample; result = mean of v.

    Example:
        >>> m = CategoricalAccuracy(); m.update_state([[0, 1], [1, 0]], [[0.2, 0.8], [0.3, 0.7]]); m.result()
        0.5
    """

    def __init__(self, name: str = "categorical_accuracy") -> None:
        super().__init__(name)

    def values(self, y_true, y_pred):
        _check_one_hot(self.name, y_true, y_pred)
        return xp.argmax(y_pred, axis=-1) == xp.argmax(y_true, axis=-1)


class BinaryAccuracy(Metric):
    """How often ``y_pred > threshold`` equals the 0/1 target, over all elements.

    Args:
        name: default 'binary_accuracy'.
        threshold: the decision threshold on y_pred (default 0.5; strict ``>``, as Keras).

    Input shape: y_true and y_pred (N, ...), the same shape (up to a trailing axis of size 1).
    Equations: v = [(p > threshold) = t] per element; result = mean of v.

    Example:
        >>> m = BinaryAccuracy(); m.update_state([[1], [0]], [[0.9], [0.6]]); m.result()
        0.5
    """

    def __init__(self, name: str = "binary_accuracy", threshold: float = 0.5) -> None:
        self.threshold = check_float("threshold", threshold)
        super().__init__(name)

    def values(self, y_true, y_pred):
        y_true, y_pred = _squeeze_or_expand(y_true, y_pred)
        if y_true.shape != y_pred.shape:
            raise ValueError(
                f"{self.name}: `y_true` must have the shape of `y_pred`. "
                f"Received: y_true.shape={y_true.shape}, y_pred.shape={y_pred.shape}"
            )
        return (y_pred > self.threshold) == y_true

    def get_config(self) -> dict:
        return {**super().get_config(), "threshold": self.threshold}


class AutoAccuracy(Metric):
    """The accuracy that fits each batch's shapes: what 'accuracy' means when the loss does not decide.

    Args:
        name: the name the user gave ('accuracy' or 'acc').

    Per batch: y_pred's last axis of size 1 → binary accuracy; y_true of y_pred's shape →
    categorical accuracy; otherwise sparse categorical accuracy (Keras' rule).

    Example:
        >>> m = AutoAccuracy("accuracy"); m.update_state([1, 0], [[0.2, 0.8], [0.3, 0.7]]); m.result()
        0.5
    """

    def __init__(self, name: str = "accuracy") -> None:
        super().__init__(name)
        self._binary = BinaryAccuracy(name)
        self._categorical = CategoricalAccuracy(name)
        self._sparse = SparseCategoricalAccuracy(name)

    def values(self, y_true, y_pred):
        if y_pred.shape[-1] == 1:
            return self._binary.values(y_true, y_pred)
        if y_true.shape == y_pred.shape:
            return self._categorical.values(y_true, y_pred)
        return self._sparse.values(y_true, y_pred)
