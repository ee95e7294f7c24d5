"""The running confusion matrix: a K×K matrix of (weighted) counts, rows the true classes and columns
the predicted ones, as ``tf.math.confusion_matrix``; K is fixed or grows with the labels seen.
"""

from __future__ import annotations

from ..backend import xp
from ..validation import check_positive_int
from .base import Metric
from .metrics_utils import _ArrayResult, _check_batch, _weights_per_row


class ConfusionMatrix(Metric):
    """Running confusion matrix: rows are the true classes, columns the predicted ones.

    Args:
        num_classes: K; None infers it from y_pred's last axis and grows with the largest label seen.
        name: default 'confusion_matrix'.

    Input shape: y_pred (N, ..., K) float scores: the predicted class is the argmax (a single
    column (N, ..., 1) is thresholded at 0.5); or predicted labels: integers, or 1-D.
    y_true: one-hot of y_pred's shape, or integer labels (N, ...).
    Equations: C[i, j] = Σ w · [true = i] · [predicted = j] (w = 1 without ``sample_weight``);
    the result is the K×K matrix, int64 unless weights were given (``tf.math.confusion_matrix``).

    Example:
        >>> m = ConfusionMatrix(); m.update_state([0, 1, 1], [[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]]); m.result()
        array([[1, 0],
               [1, 1]])
    """

    def __init__(self, num_classes: int | None = None, name: str = "confusion_matrix") -> None:
        self.num_classes = check_positive_int("num_classes", num_classes, allow_none=True)
        super().__init__(name)
        self.reset_state()

    def reset_state(self) -> None:
        size = self.num_classes or 0
        self.matrix = xp.zeros((size, size), dtype=xp.float64)
        self._weighted = False

    def _labels(self, y_true, y_pred):
        """(true labels, predicted labels, classes implied by the scores), flat."""
        classes = 0
        if y_pred.dtype.kind == "f" and y_pred.ndim >= 2:
            classes = max(y_pred.shape[-1], 2)
            if y_true.shape == y_pred.shape and y_pred.shape[-1] > 1:
                y_true = xp.argmax(y_true, axis=-1)
            y_pred = (y_pred[..., 0] > 0.5) if y_pred.shape[-1] == 1 else xp.argmax(y_pred, axis=-1)
        if y_true.shape == y_pred.shape + (1,):
            y_true = y_true[..., 0]
        if y_true.shape != y_pred.shape:
            raise ValueError(f"{self.name}: `y_true` must be labels of shape {y_pred.shape} or one-hot scores' "
                             f"shape. Received: y_true.shape={y_true.shape}")
        flat = []
        for labels in (y_true.reshape(-1), y_pred.reshape(-1)):
            if labels.size and ((labels < 0).any() or (labels != xp.floor(labels)).any()):
                raise ValueError(f"{self.name}: labels must be non-negative integers.")
            flat.append(labels.astype(xp.intp))
        return flat[0], flat[1], classes

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        """Add one batch: each sample adds its weight to C[true class, predicted class]."""
        y_true, y_pred = xp.asarray(y_true), xp.asarray(y_pred)
        _check_batch(y_true, y_pred)
        truth, predicted, classes = self._labels(y_true, y_pred)
        size = max(len(self.matrix), classes, int(max(truth.max(initial=-1), predicted.max(initial=-1))) + 1)
        if self.num_classes is not None and size > self.num_classes:
            raise ValueError(f"{self.name}: labels must be in [0, {self.num_classes}). Found {size - 1}.")
        if size > len(self.matrix):
            grown = xp.zeros((size, size), dtype=xp.float64)
            grown[:len(self.matrix), :len(self.matrix)] = self.matrix
            self.matrix = grown
        weights = _weights_per_row(sample_weight, len(truth), len(y_pred))
        self._weighted = self._weighted or weights is not None
        self.matrix += xp.bincount(truth * size + predicted, weights=weights, minlength=size * size).reshape(size, size)

    def result(self):
        """The K×K matrix (an array)."""
        return (self.matrix if self._weighted else self.matrix.astype(xp.int64)).view(_ArrayResult)

    def get_config(self) -> dict:
        return {**super().get_config(), "num_classes": self.num_classes}
