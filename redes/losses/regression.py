"""Regression losses: mean squared, absolute and squared-logarithmic errors, RMSE, Huber, log-cosh."""

from __future__ import annotations

from ..backend import xp
from ..validation import check_float
from .base import _EPSILON, Loss, _epsilon


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


class MeanAbsolutePercentageError(Loss):
    """100 × the mean of |p − t| / max(|t|, ε) over the last axis, then the batch (Keras' ``MeanAbsolutePercentageError``).

    Args:
        name: default 'mean_absolute_percentage_error' (alias 'mape').

    Input shape: y_true and y_pred (N, ...), the same shape.

    Equations, with S the number of elements, ε = 1e-7:
        forward   L = 100 Σ |p − t| / max(|t|, ε) / S
        backward  dL/dp = 100 sign(p − t) / max(|t|, ε) / S

    Example:
        >>> MeanAbsolutePercentageError()(np.array([[2.0, 4.0]]), np.array([[1.0, 5.0]]))
        37.5
    """

    default_name = "mean_absolute_percentage_error"

    def _scale(self, y_true):
        return 100 / xp.maximum(xp.abs(y_true), y_true.dtype.type(_EPSILON))

    def _values(self, y_true, y_pred):
        return (xp.abs(y_pred - y_true) * self._scale(y_true)).mean(axis=-1)

    def _gradient(self, y_true, y_pred):
        return xp.sign(y_pred - y_true) * self._scale(y_true) * (1 / y_pred.size)


class CosineSimilarity(Loss):
    """The negative cosine similarity of targets and predictions along the last axis (Keras' ``CosineSimilarity``).

    Args:
        name: default 'cosine_similarity'.

    Input shape: y_true and y_pred (N, ..., K), the same shape.

    Equations, per row, with n(x) = x · min(1/‖x‖, 1/ε) (Keras' normalize, ε = 1e-7), M rows:
        forward   L = −Σ_rows n(t) · n(p) / M   (between −1, the same direction, and 1)
        backward  dL/dp = −(n(t) − (n(t) · n(p)) n(p)) / ‖p‖ / M   where ‖p‖ > ε, −n(t)/ε / M elsewhere

    Example:
        >>> round(CosineSimilarity()(np.array([[0.0, 1.0], [1.0, 1.0]]), np.array([[1.0, 0.0], [2.0, 2.0]])), 6)
        -0.5
    """

    default_name = "cosine_similarity"
    _min_rank = 2

    @staticmethod
    def _normalized(x):
        """(n(x), ‖x‖) along the last axis; the norm keeps the axis."""
        norm = xp.sqrt((x * x).sum(axis=-1, keepdims=True))
        return x * xp.minimum(1 / xp.maximum(norm, x.dtype.type(1e-30)), x.dtype.type(1 / _EPSILON)), norm

    def _values(self, y_true, y_pred):
        return -(self._normalized(y_true)[0] * self._normalized(y_pred)[0]).sum(axis=-1)

    def _gradient(self, y_true, y_pred):
        t, _ = self._normalized(y_true)
        p, norm = self._normalized(y_pred)
        rows = y_pred.size // y_pred.shape[-1]
        large = norm > y_pred.dtype.type(_EPSILON)
        tangent = (t - (t * p).sum(axis=-1, keepdims=True) * p) / xp.where(large, norm, 1)
        return -xp.where(large, tangent, t / y_pred.dtype.type(_EPSILON)) * (1 / rows)
