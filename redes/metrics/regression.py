"""Regression metrics: running means of the per-sample mean squared and absolute errors, and the
root of the running mean squared error (mean over the last axis of (p − t)², of |p − t|).
"""

from __future__ import annotations

from ..backend import xp
from .base import Metric
from .metrics_utils import _as_float64, _squeeze_or_expand


class MeanSquaredError(Metric):
    """Running mean of the per-sample mean squared error (the MSE loss, averaged over the epoch).

    Args:
        name: default 'mean_squared_error'.

    Input shape: y_true and y_pred (N, ...), the same shape.
    Equations: v = mean over the last axis of (p − t)²; result = mean of v.

    Example:
        >>> m = MeanSquaredError(); m.update_state([[0.0, 1.0]], [[1.0, 1.0]]); m.result()
        0.5
    """

    def __init__(self, name: str = "mean_squared_error") -> None:
        super().__init__(name)

    def values(self, y_true, y_pred):
        diff = _difference(self.name, y_true, y_pred)
        return (diff * diff).mean(axis=-1)


class MeanAbsoluteError(Metric):
    """Running mean of the per-sample mean absolute error.

    Args:
        name: default 'mean_absolute_error'.

    Input shape: y_true and y_pred (N, ...), the same shape.
    Equations: v = mean over the last axis of |p − t|; result = mean of v.

    Example:
        >>> m = MeanAbsoluteError(); m.update_state([[0.0, 1.0]], [[1.0, 1.0]]); m.result()
        0.5
    """

    def __init__(self, name: str = "mean_absolute_error") -> None:
        super().__init__(name)

    def values(self, y_true, y_pred):
        return xp.abs(_difference(self.name, y_true, y_pred)).mean(axis=-1)


def _difference(name: str, y_true, y_pred):
    """p − t in float64, after Keras' squeeze-or-expand of a trailing axis of size 1."""
    y_true, y_pred = _squeeze_or_expand(_as_float64(y_true, "y_true"), _as_float64(y_pred, "y_pred"))
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"{name}: `y_true` must have the shape of `y_pred`. "
            f"Received: y_true.shape={y_true.shape}, y_pred.shape={y_pred.shape}"
        )
    return y_pred - y_true



class RootMeanSquaredError(Metric):
    """Square root of the running mean squared error (Keras' ``RootMeanSquaredError``).

    Args:
        name: default 'root_mean_squared_error' (by name also 'rmse').

    Input shape: y_true and y_pred (N, ...), the same shape.
    Equations: v = mean over the non-batch axes of (p − t)²; result = √(mean of v).

    Example:
        >>> m = RootMeanSquaredError(); m.update_state([[0.0, 0.0]], [[3.0, 4.0]]); m.result()
        3.5355...
    """

    def __init__(self, name: str = "root_mean_squared_error") -> None:
        super().__init__(name)

    def values(self, y_true, y_pred):
        diff = _difference(self.name, y_true, y_pred)
        return diff * diff

    def result(self) -> float:
        return super().result() ** 0.5
