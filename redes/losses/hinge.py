"""Hinge losses: the categorical hinge."""

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
