"""Top-k accuracy metrics: a hit when the target class is among the ``k`` highest scores (ties at
the k-th place count as in, as TensorFlow's ``in_top_k``), for one-hot or integer targets.
"""

from __future__ import annotations

from ..backend import xp
from ..validation import check_positive_int
from .base import Metric
from .metrics_utils import _check_labels, _check_one_hot


def _in_top_k(scores, labels, k: int):
    """[label among the k highest scores], ties at the boundary counted in (tf.math.in_top_k)."""
    rows = scores.reshape(-1, scores.shape[-1])
    target = rows[xp.arange(len(rows)), labels.reshape(-1)]
    higher = (rows > target[:, None]).sum(axis=-1)
    return ((higher < k) & xp.isfinite(target)).reshape(scores.shape[:-1])


class TopKCategoricalAccuracy(Metric):
    """How often the one-hot target's class is among the ``k`` highest predictions.

    Args:
        k: how many of the top predictions count (default 5).
        name: default 'top_k_categorical_accuracy'.

    Input shape: y_true and y_pred (N, ..., K).
    Equations: v = [#{j : p_j > p_y} < k] per sample, y = argmax t (ties at the k-th place count
    as in, as TensorFlow's ``in_top_k``); result = mean of v.

    Example:
        >>> m = TopKCategoricalAccuracy(k=2); m.update_state([[0, 0, 1]], [[0.5, 0.2, 0.3]]); m.result()
        1.0
    """

    def __init__(self, k: int = 5, name: str = "top_k_categorical_accuracy") -> None:
        self.k = check_positive_int("k", k)
        super().__init__(name)

    def values(self, y_true, y_pred):
        _check_one_hot(self.name, y_true, y_pred)
        return _in_top_k(y_pred, xp.argmax(y_true, axis=-1), self.k)

    def get_config(self) -> dict:
        return {**super().get_config(), "k": self.k}


class SparseTopKCategoricalAccuracy(TopKCategoricalAccuracy):
    """How often the integer label is among the ``k`` highest predictions.

    Args:
        k: how many of the top predictions count (default 5).
        name: default 'sparse_top_k_categorical_accuracy'.

    Input shape: y_pred (N, ..., K); y_true labels (N, ...) or (N, ..., 1).
    Equations: v = [#{j : p_j > p_y} < k] per sample; result = mean of v.

    Example:
        >>> m = SparseTopKCategoricalAccuracy(k=2); m.update_state([2], [[0.5, 0.2, 0.3]]); m.result()
        1.0
    """

    def __init__(self, k: int = 5, name: str = "sparse_top_k_categorical_accuracy") -> None:
        super().__init__(k, name)

    def values(self, y_true, y_pred):
        expected = _check_labels(self.name, y_true, y_pred)
        return _in_top_k(y_pred, y_true.reshape(expected).astype(xp.intp), self.k)
