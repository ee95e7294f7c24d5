"""Probabilistic losses: the binary, categorical and sparse categorical cross-entropies (with their fused
paths from logits) the Kullback-Leibler divergence and the Poisson loss."""

from __future__ import annotations

from ..activations import sigmoid, softmax
from ..backend import xp
from ..validation import check_bool, check_float
from .base import _EPSILON, Loss, _clip, _epsilon, _fits, _log_sum_exp, _not_clipped


class _CrossEntropy(Loss):
    """What the three cross-entropies share: ``from_logits`` and the fused logits path."""

    output_activation = ""

    def __init__(self, from_logits: bool = False, name: str | None = None) -> None:
        super().__init__(name=name)
        self.from_logits = check_bool("from_logits", from_logits)

    def value_from_logits(self, y_true, logits) -> float:
        """The mean loss of the predictions ``activation(logits)``, computed stably from the logits."""
        return float(self._values_from_logits(*self._prepare(y_true, logits)).mean())

    def gradient_from_logits(self, y_true, logits):
        """dL/dlogits of the mean loss: the logits' shape and dtype."""
        return self._gradient_from_logits(*self._prepare(y_true, logits))

    def value_and_gradient_from_logits(self, y_true, logits, with_gradient: bool = True,
                                       checked: bool = False, sample_weight=None) -> tuple:
        """``value_and_gradient`` for the predictions ``activation(logits)``, from the logits: (loss, dL/dlogits)."""
        cls = type(self)
        if cls.value_from_logits is not _CrossEntropy.value_from_logits or (
                cls.gradient_from_logits is not _CrossEntropy.gradient_from_logits):
            self._require_values(sample_weight, overridden=True)
            return self.value_from_logits(y_true, logits), (
                self.gradient_from_logits(y_true, logits) if with_gradient else None)
        y_true, logits = self._convert(y_true, logits) if checked else self._prepare(y_true, logits)
        return self._reduce(lambda t, z: self._values_from_logits(t, z).mean(), self._values_from_logits,
                            self._gradient_from_logits, y_true, logits, with_gradient, sample_weight)

    def _values(self, y_true, y_pred):
        if self.from_logits:
            return self._values_from_logits(y_true, y_pred)
        return self._values_from_probabilities(y_true, y_pred)

    def _gradient(self, y_true, y_pred):
        if self.from_logits:
            return self._gradient_from_logits(y_true, y_pred)
        return self._gradient_from_probabilities(y_true, y_pred)

    def get_config(self) -> dict:
        return {**super().get_config(), "from_logits": self.from_logits}


class _SmoothedCrossEntropy(_CrossEntropy):
    """A cross-entropy on dense targets, with Keras' optional label smoothing."""

    def __init__(self, from_logits: bool = False, label_smoothing: float = 0.0, name: str | None = None) -> None:
        super().__init__(from_logits=from_logits, name=name)
        self.label_smoothing = check_float("label_smoothing", label_smoothing, 0.0, 1.0)

    def _convert_targets(self, y_true, y_pred):
        y_true = super()._convert_targets(y_true, y_pred)
        if self.label_smoothing:
            y_true = y_true * (1 - self.label_smoothing) + self._smoothing_target(y_pred) * self.label_smoothing
        return y_true

    def get_config(self) -> dict:
        return {**super().get_config(), "label_smoothing": self.label_smoothing}


class BinaryCrossentropy(_SmoothedCrossEntropy):
    """Binary cross-entropy, averaged over all elements (the last axis, then the batch).

    Args:
        from_logits: whether y_pred holds logits z rather than probabilities.
        label_smoothing: t ← t (1 − s) + s / 2.
        name: default 'binary_crossentropy'.

    Input shape: y_true and y_pred (N, ...), the same shape; targets in [0, 1].
    Fused with a 'sigmoid' output layer (see ``value_from_logits``).

    Equations, with S the number of elements, p̂ = clip(p, 1e-7, 1 − 1e-7):
        forward   L = −Σ [t log p̂ + (1 − t) log(1 − p̂)] / S
        backward  dL/dp = [p not clipped] (−t / p̂ + (1 − t) / (1 − p̂)) / S
        logits    L = Σ [max(z, 0) − z t + log(1 + e^−|z|)] / S,   dL/dz = (σ(z) − t) / S

    Example:
        >>> BinaryCrossentropy()(np.array([[1.0]]), np.array([[0.5]]))
        0.6931...
    """

    default_name = "binary_crossentropy"
    output_activation = "sigmoid"

    def _smoothing_target(self, y_pred) -> float:
        return 0.5

    def _values_from_probabilities(self, y_true, y_pred):
        p = _clip(y_pred)
        return -(y_true * xp.log(p) + (1 - y_true) * xp.log(1 - p)).mean(axis=-1)

    def _gradient_from_probabilities(self, y_true, y_pred):
        p = _clip(y_pred)
        grad = (1 - y_true) / (1 - p) - y_true / p
        return grad * _not_clipped(y_pred) * (1 / y_pred.size)

    def _values_from_logits(self, y_true, logits):
        return (xp.maximum(logits, 0) - logits * y_true + xp.log1p(xp.exp(-xp.abs(logits)))).mean(axis=-1)

    def _gradient_from_logits(self, y_true, logits):
        grad = sigmoid(logits)  # a fresh array: updated in place
        grad -= y_true
        grad *= 1 / logits.size
        return grad


class CategoricalCrossentropy(_SmoothedCrossEntropy):
    """Cross-entropy with one-hot (or probability) targets over the last axis, averaged over the batch.

    Args:
        from_logits: whether y_pred holds logits z rather than probabilities.
        label_smoothing: t ← t (1 − s) + s / K.
        name: default 'categorical_crossentropy'.

    Input shape: y_true and y_pred (N, ..., K), the same shape.
    Fused with a 'softmax' output layer (see ``value_from_logits``).

    Equations, with M = S / K terms: the probabilities are first renormalized, as Keras,
    q = p / Σₖ p, q̂ = clip(q, 1e-7, 1 − 1e-7):
        forward   L = −Σ t log q̂ / M
        backward  g = −[q not clipped] t / q̂ / M,  dL/dp = (g − Σₖ g q) / Σₖ p
        logits    L = −Σ t log_softmax(z) / M,  dL/dz = (softmax(z) Σₖ t − t) / M
                  (= (softmax(z) − t) / M for targets that sum to 1, TensorFlow's formula)

    Example:
        >>> CategoricalCrossentropy()(np.array([[0.0, 1.0]]), np.array([[0.5, 0.5]]))
        0.6931...
    """

    default_name = "categorical_crossentropy"
    output_activation = "softmax"
    _min_rank = 2

    def _smoothing_target(self, y_pred) -> float:
        return 1 / y_pred.shape[-1]

    def _check_target_shape(self, y_true, y_pred_shape: tuple) -> None:
        shape = y_true.shape
        if shape == y_pred_shape:
            return
        if len(shape) == len(y_pred_shape) and shape[:-1] == y_pred_shape[:-1]:
            raise ValueError(
                f"One-hot `y_true` must have {y_pred_shape[-1]} classes on its last axis, as `y_pred`. "
                f"Received: y_true.shape={shape}, y_pred.shape={y_pred_shape}"
            )
        hint = " For integer labels use sparse_categorical_crossentropy." if _fits(shape, y_pred_shape[:-1]) else ""
        raise ValueError(
            f"`y_true` must be one-hot with the shape of `y_pred`, {y_pred_shape}. "
            f"Received: y_true.shape={shape}, y_pred.shape={y_pred_shape}.{hint}"
        )

    @staticmethod
    def _row_totals(y_pred):
        """Σₖ p over the last axis; a row that sums to 0 (or less) is no distribution: a clear error, not NaN."""
        total = y_pred.sum(axis=-1, keepdims=True)
        if not (total > 0).all():
            raise ValueError(
                "`y_pred` must hold probabilities whose rows sum to a positive value; a row sums to "
                f"{total.min()}. Pass from_logits=True if `y_pred` holds logits."
            )
        return total

    def _values_from_probabilities(self, y_true, y_pred):
        q = _clip(y_pred / self._row_totals(y_pred))
        return -(y_true * xp.log(q)).sum(axis=-1)

    def _gradient_from_probabilities(self, y_true, y_pred):
        total = self._row_totals(y_pred)
        q = y_pred / total
        g = -y_true / _clip(q) * _not_clipped(q) * (1 / (y_pred.size // y_pred.shape[-1]))
        return (g - (g * q).sum(axis=-1, keepdims=True)) / total

    def _values_from_logits(self, y_true, logits):
        log_probs = logits - _log_sum_exp(logits)
        return -(y_true * log_probs).sum(axis=-1)

    def _gradient_from_logits(self, y_true, logits):
        grad = softmax(logits)  # a fresh array: updated in place
        grad *= y_true.sum(axis=-1, keepdims=True)
        grad -= y_true
        grad *= 1 / (logits.size // logits.shape[-1])
        return grad


class SparseCategoricalCrossentropy(_CrossEntropy):
    """Cross-entropy with integer class labels, averaged over the batch.

    Args:
        from_logits: whether y_pred holds logits z rather than probabilities.
        name: default 'sparse_categorical_crossentropy'.

    Input shape: y_pred (N, ..., K); y_true (N, ...) or (N, ..., 1): integers in [0, K)
    (floats that are whole numbers are accepted, as in Keras).
    Fused with a 'softmax' output layer (see ``value_from_logits``).

    Equations, with M = S / K terms, p̂ = clip(p, 1e-7, 1 − 1e-7), labels y:
        forward   L = Σ [log Σₖ p̂ − log p̂_y] / M   (TF's log_softmax(log p̂): −log p̂_y when Σₖ p̂ = 1)
        backward  dL/dp = [p not clipped] (1 / Σₖ p̂ − onehot(y) / p̂) / M
        logits    L = −Σ log_softmax(z)_y / M,  dL/dz = (softmax(z) − onehot(y)) / M

    Example:
        >>> SparseCategoricalCrossentropy()(np.array([1]), np.array([[0.5, 0.5]]))
        0.6931...
    """

    default_name = "sparse_categorical_crossentropy"
    output_activation = "softmax"
    _min_rank = 2

    def _check_target_shape(self, y_true, y_pred_shape: tuple) -> None:
        classes, expected = y_pred_shape[-1], y_pred_shape[:-1]
        if y_true.shape not in (expected, expected + (1,)):
            hint = " For one-hot targets use categorical_crossentropy." if y_true.shape == y_pred_shape else ""
            raise ValueError(
                f"`y_true` must hold integer labels of shape {expected} or {expected + (1,)} for `y_pred` of "
                f"shape {y_pred_shape}. Received: y_true.shape={y_true.shape}.{hint}"
            )
        fractional = y_true != xp.floor(y_true) if y_true.dtype.kind == "f" else None
        if fractional is not None and fractional.any():
            raise ValueError(f"`y_true` must hold integer class labels in [0, {classes}). "
                             f"Received the non-integer label {y_true[fractional][0].item()!r}.")
        low, high = (y_true.min().item(), y_true.max().item()) if y_true.size else (0, 0)
        if low < 0 or high >= classes:
            raise ValueError(f"`y_true` labels must be integers in [0, {classes}) for `y_pred` with {classes} "
                             f"classes. Received the label {low if low < 0 else high!r}.")

    def _convert_targets(self, y_true, y_pred):
        return y_true.reshape(-1).astype(xp.intp, copy=False)  # (M,) labels

    def _picked(self, array, labels):  # array as (M, K) rows, and its entries at the labels (M,)
        rows = array.reshape(-1, array.shape[-1])
        return rows, rows[xp.arange(len(labels)), labels]

    def _values_from_probabilities(self, labels, y_pred):
        p, p_label = self._picked(_clip(y_pred), labels)
        return (xp.log(p.sum(axis=-1)) - xp.log(p_label)).reshape(y_pred.shape[:-1])

    def _gradient_from_probabilities(self, labels, y_pred):
        p, p_label = self._picked(_clip(y_pred), labels)
        grad = xp.broadcast_to(1 / p.sum(axis=-1, keepdims=True), p.shape).copy()
        grad[xp.arange(len(labels)), labels] -= 1 / p_label
        return (grad * _not_clipped(y_pred.reshape(p.shape)) * (1 / len(labels))).reshape(y_pred.shape)

    def _values_from_logits(self, labels, logits):
        z, z_label = self._picked(logits, labels)
        return (_log_sum_exp(z)[:, 0] - z_label).reshape(logits.shape[:-1])

    def _gradient_from_logits(self, labels, logits):
        grad = softmax(logits.reshape(-1, logits.shape[-1]))  # (M, K), a fresh array: updated in place
        grad[xp.arange(len(labels)), labels] -= 1
        grad *= 1 / len(labels)
        return grad.reshape(logits.shape)


class KLDivergence(Loss):
    """Kullback-Leibler divergence of the predicted distribution from the target one (last axis).

    Args:
        name: default 'kl_divergence' (aliases 'kld', 'kullback_leibler_divergence').

    Input shape: y_true and y_pred (N, ..., K), the same shape: probability vectors.

    Equations, with M = S / K rows, t̂ = clip(t, 1e-7, 1), p̂ = clip(p, 1e-7, 1):
        forward   L = Σ t̂ log(t̂ / p̂) / M
        backward  dL/dp = −[1e-7 <= p <= 1] t̂ / p̂ / M

    Example:
        >>> KLDivergence()(np.array([[0.5, 0.5]]), np.array([[0.25, 0.75]]))
        0.1438...
    """

    default_name = "kl_divergence"
    _min_rank = 2

    def _clip_to_one(self, array):
        return xp.clip(array, _epsilon(array.dtype), array.dtype.type(1))

    def _values(self, y_true, y_pred):
        t = self._clip_to_one(y_true)
        return (t * xp.log(t / self._clip_to_one(y_pred))).sum(axis=-1)

    def _gradient(self, y_true, y_pred):
        eps, one = _epsilon(y_pred.dtype), y_pred.dtype.type(1)
        inside = (y_pred >= eps) & (y_pred <= one)
        grad = -self._clip_to_one(y_true) / self._clip_to_one(y_pred) * inside
        return grad * (1 / (y_pred.size // y_pred.shape[-1]))


class Poisson(Loss):
    """The Poisson loss p − t·log(p + ε), averaged (Keras' ``Poisson``): counts predicted as rates.

    Args:
        name: default 'poisson'.

    Input shape: y_true and y_pred (N, ...), the same shape; y_pred >= 0 (rates), y_true >= 0 (counts):
    other values are a ValueError (Keras returns NaN).

    Equations, with S the number of elements, ε = 1e-7:
        forward   L = Σ (p − t log(p + ε)) / S
        backward  dL/dp = (1 − t / (p + ε)) / S

    Example:
        >>> round(Poisson()(np.array([[1.0]]), np.array([[1.0]])), 6)
        1.0
    """

    default_name = "poisson"

    def _check_target_shape(self, y_true, y_pred_shape: tuple) -> None:
        super()._check_target_shape(y_true, y_pred_shape)
        if (y_true < 0).any():
            raise ValueError(f"poisson: `y_true` must hold counts >= 0. Received a minimum of {y_true.min()}.")

    def _prepare(self, y_true, y_pred) -> tuple:
        y_true, y_pred = super()._prepare(y_true, y_pred)
        if (y_pred <= -_EPSILON).any():  # the log of p + ε would be NaN, where Keras returns NaN
            raise ValueError(f"poisson: `y_pred` must hold rates >= 0 (e.g. an exponential or softplus output). "
                             f"Received a minimum of {y_pred.min()}.")
        return y_true, y_pred

    def _values(self, y_true, y_pred):
        return (y_pred - y_true * xp.log(y_pred + y_pred.dtype.type(_EPSILON))).mean(axis=-1)

    def _gradient(self, y_true, y_pred):
        return (1 - y_true / (y_pred + y_pred.dtype.type(_EPSILON))) * (1 / y_pred.size)
