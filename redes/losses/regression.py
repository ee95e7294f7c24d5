"""Regression losses: mean squared, absolute and squared-logarithmic errors, RMSE, Huber, log-cosh."""

from __future__ import annotations

from ..backend import xp
from ..validation import check_float
from .base import Loss, _epsilon


class MeanSquaredError(Loss):
    """Mean of the squared differences over all elements (the last axis, then the batch).

    Args:
        name: default 'mean_squared_error'.

    Input shape: y_true and y_pred (N, ...), the same shape (a trailing axis of size 1 may be missing on one).

    Equations, with S the number of elements:
        forward   L = Σ (p − t)² / S
        backward  dL/dp = 2 (p − t) / S

    Example:
        >>> MeanSquaredError()(np.array([[0.0, 1.0]]), np.array([[1.0, 1.0]]))
        0.5
    """

    default_name = "mean_squared_error"

    def _values(self, y_true, y_pred):
        diff = y_pred - y_true
        return (diff * diff).mean(axis=-1)

    def _gradient(self, y_true, y_pred):
        return (y_pred - y_true) * (2 / y_pred.size)


class MeanAbsoluteError(Loss):
    """Mean of the absolute differences over all elements (the last axis, then the batch).

    Args:
        name: default 'mean_absolute_error'.

    Input shape: y_true and y_pred (N, ...), the same shape.

    Equations, with S the number of elements:
        forward   L = Σ |p − t| / S
        backward  dL/dp = sign(p − t) / S   (0 where p = t, as TensorFlow)

    Example:
        >>> MeanAbsoluteError()(np.array([[0.0, 1.0]]), np.array([[1.0, 1.0]]))
        0.5
    """

    default_name = "mean_absolute_error"

    def _values(self, y_true, y_pred):
        return xp.abs(y_pred - y_true).mean(axis=-1)

    def _gradient(self, y_true, y_pred):
        return xp.sign(y_pred - y_true) * (1 / y_pred.size)


class MeanSquaredLogarithmicError(Loss):
    """Mean squared difference of log(1 + ·), over all elements (the last axis, then the batch).

    Args:
        name: default 'mean_squared_logarithmic_error' (alias 'msle').

    Input shape: y_true and y_pred (N, ...), the same shape; non-negative values.

    Equations, with S the number of elements, ε = 1e-7, a = log(max(p, ε) + 1), b = log(max(t, ε) + 1):
        forward   L = Σ (a − b)² / S
        backward  dL/dp = 2 (a − b) / (max(p, ε) + 1) · [p >= ε] / S

    Example:
        >>> MeanSquaredLogarithmicError()(np.array([[np.e - 1]]), np.array([[np.e ** 2 - 1]]))
        1.0
    """

    default_name = "mean_squared_logarithmic_error"

    def _log_difference(self, y_true, y_pred):
        eps = _epsilon(y_pred.dtype)
        shifted = xp.maximum(y_pred, eps) + 1
        return xp.log(shifted) - xp.log(xp.maximum(y_true, eps) + 1), shifted

    def _values(self, y_true, y_pred):
        diff, _ = self._log_difference(y_true, y_pred)
        return (diff * diff).mean(axis=-1)

    def _gradient(self, y_true, y_pred):
        diff, shifted = self._log_difference(y_true, y_pred)
        return diff / shifted * (y_pred >= _epsilon(y_pred.dtype)) * (2 / y_pred.size)


class RootMeanSquaredError(Loss):
    """Square root of the batch's mean squared error (Keras has it only as a metric).

    Args:
        name: default 'root_mean_squared_error' (alias 'rmse').

    Input shape: y_true and y_pred (N, ...), the same shape.

    Equations, with S the number of elements (the root of the *batch* mean, not a mean of roots):
        forward   L = √(Σ (p − t)² / S)
        backward  dL/dp = (p − t) / (S · L)   (0 when L = 0, where the root has no derivative)

    Example:
        >>> RootMeanSquaredError()(np.array([[0.0, 0.0]]), np.array([[3.0, 4.0]]))
        3.5355...
    """

    default_name = "root_mean_squared_error"

    def _value(self, y_true, y_pred):
        diff = y_pred - y_true
        return xp.sqrt((diff * diff).mean())

    def _gradient(self, y_true, y_pred):
        root = self._value(y_true, y_pred)
        if root == 0:
            return xp.zeros_like(y_pred)
        return (y_pred - y_true) / (root * y_pred.size)


class Huber(Loss):
    """Huber loss: quadratic for small errors, linear beyond ``delta``; mean over all elements.

    Args:
        delta: δ > 0, where the quadratic part ends (default 1.0).
        name: default 'huber_loss' (alias 'huber').

    Input shape: y_true and y_pred (N, ...), the same shape.

    Equations, with S the number of elements, e = p − t:
        forward   L = Σ h(e) / S,  h(e) = e²/2 if |e| <= δ else δ|e| − δ²/2
        backward  dL/dp = (e if |e| <= δ else δ·sign(e)) / S

    Example:
        >>> Huber()(np.array([[0.0, 0.0]]), np.array([[0.5, 3.0]]))
        1.3125
    """

    default_name = "huber_loss"

    def __init__(self, delta: float = 1.0, name: str | None = None) -> None:
        super().__init__(name=name)
        self.delta = check_float("delta", delta, 0.0, include_minimum=False)

    def _values(self, y_true, y_pred):
        error = y_pred - y_true
        magnitude, delta = xp.abs(error), y_pred.dtype.type(self.delta)
        return xp.where(magnitude <= delta, 0.5 * error * error, delta * magnitude - 0.5 * delta * delta).mean(axis=-1)

    def _gradient(self, y_true, y_pred):
        error = y_pred - y_true
        delta = y_pred.dtype.type(self.delta)
        return xp.clip(error, -delta, delta) * (1 / y_pred.size)

    def get_config(self) -> dict:
        return {**super().get_config(), "delta": self.delta}


class LogCosh(Loss):
    """Mean of log(cosh(p − t)) over all elements: like MSE/2 for small errors, MAE for large ones.

    Args:
        name: default 'log_cosh' (alias 'logcosh').

    Input shape: y_true and y_pred (N, ...), the same shape.

    Equations, with S the number of elements, e = p − t (computed as e + softplus(−2e) − log 2, without overflow):
        forward   L = Σ log cosh(e) / S
        backward  dL/dp = tanh(e) / S

    Example:
        >>> LogCosh()(np.array([[0.0]]), np.array([[1.0]]))
        0.4337...
    """

    default_name = "log_cosh"

    def _values(self, y_true, y_pred):
        error = y_pred - y_true
        log2 = y_pred.dtype.type(0.6931471805599453)
        return (error + xp.logaddexp(-2 * error, y_pred.dtype.type(0)) - log2).mean(axis=-1)

    def _gradient(self, y_true, y_pred):
        return xp.tanh(y_pred - y_true) * (1 / y_pred.size)
