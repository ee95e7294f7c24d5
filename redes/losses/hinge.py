"""Hinge losses: the hinge, the squared hinge and the categorical hinge."""

from __future__ import annotations

from ..backend import xp
from .base import Loss


class CategoricalHinge(Loss):
    """Hinge loss between the target class's score and the best other score, averaged over rows.

    Args:
        name: default 'categorical_hinge'.

    Input shape: y_true and y_pred (N, ..., K), the same shape; one-hot targets.

    Equations, per row with pos = Σₖ t p, q = (1 − t) p, neg = maxₖ q, M rows:
        forward   L = Σ max(neg − pos + 1, 0) / M
        backward  dL/dp = [neg − pos + 1 >= 0] ((1 − t) · [q = neg] / #{q = neg} − t) / M
                  (ties in the maximum share its gradient, as TensorFlow's reduce_max)

    Example:
        >>> CategoricalHinge()(np.array([[0.0, 1.0]]), np.array([[0.3, 0.6]]))
        0.7
    """

    default_name = "categorical_hinge"
    _min_rank = 2

    def _margin(self, y_true, y_pred):
        negatives = (1 - y_true) * y_pred
        best = negatives.max(axis=-1, keepdims=True)
        return best - (y_true * y_pred).sum(axis=-1, keepdims=True) + 1, negatives, best

    def _values(self, y_true, y_pred):
        margin, _, _ = self._margin(y_true, y_pred)
        return xp.maximum(margin[..., 0], 0)

    def _gradient(self, y_true, y_pred):
        margin, negatives, best = self._margin(y_true, y_pred)
        chosen = (negatives == best).astype(y_pred.dtype)
        chosen /= chosen.sum(axis=-1, keepdims=True)
        return (margin >= 0) * ((1 - y_true) * chosen - y_true) * (1 / margin.size)


def _signed_labels(y_true):
    """Labels in {−1, 1}: 0/1 labels become 2t − 1 (Keras' convert_binary_labels_to_hinge), others stay."""
    binary = ((y_true == 0) | (y_true == 1)).all()
    return 2 * y_true - 1 if binary else y_true


class Hinge(Loss):
    """The hinge loss max(0, 1 − t·p), averaged (Keras' ``Hinge``); 0/1 targets count as −1/1.

    Args:
        name: default 'hinge'.

    Input shape: y_true and y_pred (N, ...), the same shape; y_true in {−1, 1} (or {0, 1}).

    Equations, with S the number of elements:
        forward   L = Σ max(0, 1 − t p) / S
        backward  dL/dp = −t [1 − t p >= 0] / S   (the tie at 0 goes to the margin, as TensorFlow's maximum)

    Example:
        >>> Hinge()(np.array([[1.0, 0.0]]), np.array([[0.5, -2.0]]))
        0.25
    """

    default_name = "hinge"

    def _values(self, y_true, y_pred):
        return xp.maximum(1 - _signed_labels(y_true) * y_pred, 0).mean(axis=-1)

    def _gradient(self, y_true, y_pred):
        t = _signed_labels(y_true)
        return -t * (1 - t * y_pred >= 0) * (1 / y_pred.size)


class SquaredHinge(Loss):
    """The squared hinge loss max(0, 1 − t·p)², averaged (Keras' ``SquaredHinge``); 0/1 targets count as −1/1.

    Args:
        name: default 'squared_hinge'.

    Input shape: y_true and y_pred (N, ...), the same shape; y_true in {−1, 1} (or {0, 1}).

    Equations, with S the number of elements, m = max(0, 1 − t p):
        forward   L = Σ m² / S
        backward  dL/dp = −2 t m / S

    Example:
        >>> SquaredHinge()(np.array([[1.0, 0.0]]), np.array([[0.5, 0.0]]))
        0.625
    """

    default_name = "squared_hinge"

    def _values(self, y_true, y_pred):
        margin = xp.maximum(1 - _signed_labels(y_true) * y_pred, 0)
        return (margin * margin).mean(axis=-1)

    def _gradient(self, y_true, y_pred):
        t = _signed_labels(y_true)
        return -2 * t * xp.maximum(1 - t * y_pred, 0) * (1 / y_pred.size)
