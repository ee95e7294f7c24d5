"""Losses: the loss of a batch and its gradient with respect to the predictions.

A loss takes plain arrays in their natural shapes, ``y_pred`` (N, ...) and
``y_true`` of the same shape (or integer labels for the sparse loss), and
returns the mean over the batch as a Python float (Keras' reduction
'sum_over_batch_size'). ``gradient(y_true, y_pred)`` returns dL/dy_pred for
that mean, in y_pred's shape and dtype. The math runs in y_pred's dtype.

Sample weights (``value_and_gradient(..., sample_weight=w)``), as Keras: the loss has per-sample
values vᵢ (``_values``, Keras' ``call``: y_pred's shape without its last axis) and the weighted
loss is Σ wᵢ vᵢ / (number of values); its gradient is w times the unweighted one, row by row.

As in Keras, probabilities are clipped to [1e-7, 1 − 1e-7] before the log; the
gradient of a clipped entry is 0 (bounds included, as TensorFlow's gradient).
float16 can hold neither 1 − 1e-7 nor 1/1e-7 (its largest value is 65504), so
there the bound is float16's machine epsilon, 2⁻¹⁰ ≈ 9.8e-4 (Keras gives inf).
The cross-entropies also expose the fused path a model uses when its output
layer ends with the matching activation (``output_activation``):
``value_from_logits`` and ``gradient_from_logits`` take the pre-activation z,
stably (log-sum-exp, no clipping). With ``from_logits=True`` the loss calls
those same two methods. Each class docstring gives its equations.
"""

from __future__ import annotations

from . import backend
from .activations import sigmoid, softmax
from .backend import xp
from .validation import check_bool, check_float, check_str

__all__ = [
    "BinaryCrossentropy", "CategoricalCrossentropy", "CategoricalHinge", "Huber", "KLDivergence", "LogCosh", "Loss",
    "MeanAbsoluteError", "MeanSquaredError", "MeanSquaredLogarithmicError", "RootMeanSquaredError",
    "SparseCategoricalCrossentropy", "get",
]

_EPSILON = 1e-7


def _epsilon(dtype):
    """The clipping bound in ``dtype``: Keras' 1e-7, or float16's machine epsilon where 1e-7 is too small."""
    dtype = xp.dtype(dtype)
    return dtype.type(max(_EPSILON, xp.finfo(dtype).eps) if dtype == xp.float16 else _EPSILON)


def _clip(p):
    eps = _epsilon(p.dtype)
    return xp.clip(p, eps, 1 - eps)


def _not_clipped(p):
    """1 where ``_clip`` leaves p unchanged (bounds included, as TF's gradient), else 0."""
    eps = _epsilon(p.dtype)
    return ((p >= eps) & (p <= 1 - eps)).astype(p.dtype)


def _log_sum_exp(z):
    """log Σₖ exp(z) over the last axis, shifted by the maximum; keeps the axis."""
    top = z.max(axis=-1, keepdims=True)
    return top + xp.log(xp.exp(z - top).sum(axis=-1, keepdims=True))


def _as_numeric(array, name: str):
    array = xp.asarray(array)
    if array.dtype.kind not in "fiub":
        raise TypeError(f"`{name}` must hold real numbers. Received dtype {array.dtype}.")
    if array.ndim == 0:
        raise ValueError(f"`{name}` must have a batch axis: shape (batch, ...). Received a scalar.")
    return array


def _fits(shape: tuple, expected: tuple) -> bool:
    """Equal shapes, or equal up to one trailing axis of size 1 (Keras squeezes or expands it)."""
    return shape == expected or shape + (1,) == expected or shape == expected + (1,)


class Loss:
    """Base class: ``loss(y_true, y_pred) -> float`` and ``loss.gradient(y_true, y_pred) -> array``.

    Args:
        name: name of the loss (defaults to the Keras name, e.g. 'mean_squared_error').

    Shapes: ``y_pred`` (N, ...), e.g. (batch, classes); ``y_true`` the same shape (integer labels (N,) for
    the sparse loss); ``gradient`` returns y_pred's shape and dtype. Subclasses define ``_gradient`` and
    either ``_values`` (the per-sample values, y_pred's shape without its last axis: the loss then takes
    sample weights) or only ``_value`` (the mean loss).

    Example:
        >>> loss = MeanSquaredError()
        >>> loss(np.array([[1.0], [0.0]]), np.array([[0.5], [0.5]]))
        0.25
        >>> loss.gradient(np.array([[1.0], [0.0]]), np.array([[0.5], [0.5]]))
        array([[-0.5],
               [ 0.5]])
    """

    default_name = "loss"
    _min_rank = 1

    def __init__(self, name: str | None = None) -> None:
        self.name = check_str("name", name, allow_none=True) or self.default_name

    def __call__(self, y_true, y_pred) -> float:
        """The mean loss over the batch, as a Python float."""
        return float(self._value(*self._prepare(y_true, y_pred)))

    def gradient(self, y_true, y_pred):
        """dL/dy_pred of the mean loss: y_pred's shape and dtype."""
        return self._gradient(*self._prepare(y_true, y_pred))

    def value_and_gradient(self, y_true, y_pred, with_gradient: bool = True, checked: bool = False,
                           sample_weight=None) -> tuple:
        """(the mean loss, dL/dy_pred or None) from one preparation of the arrays: what a training step needs.

        ``checked=True`` skips the checks of ``y_true`` against ``y_pred``, for a caller that made them
        once for all its batches (``fit`` calls ``check_targets`` on the whole y before the first batch).
        ``sample_weight``: None, or weights of shape (N,) or (N, steps) that scale the per-sample values
        (see the module docstring). A subclass that redefines ``__call__`` or ``gradient`` gets those,
        called as they are (and takes no sample weights).
        """
        if type(self).__call__ is not Loss.__call__ or type(self).gradient is not Loss.gradient:
            self._require_values(sample_weight, overridden=True)
            return self(y_true, y_pred), (self.gradient(y_true, y_pred) if with_gradient else None)
        y_true, y_pred = self._convert(y_true, y_pred) if checked else self._prepare(y_true, y_pred)
        return self._reduce(self._value, self._values, self._gradient, y_true, y_pred, with_gradient, sample_weight)

    def _reduce(self, value, values, gradient, y_true, y_pred, with_gradient: bool, sample_weight) -> tuple:
        """(loss, gradient or None): ``value`` and ``gradient`` unweighted; with ``sample_weight`` w, Keras'
        'sum_over_batch_size' Σ w·``values`` / (number of values) and w times ``gradient``."""
        if sample_weight is None:
            return float(value(y_true, y_pred)), (gradient(y_true, y_pred) if with_gradient else None)
        self._require_values(sample_weight)
        per_sample = values(y_true, y_pred)
        weights = _expand(xp.asarray(sample_weight).astype(per_sample.dtype, copy=False), per_sample.ndim)
        loss = float((per_sample * weights).sum() / per_sample.size)
        return loss, (gradient(y_true, y_pred) * _expand(weights, y_pred.ndim) if with_gradient else None)

    def _require_values(self, sample_weight, overridden: bool = False) -> None:
        """Raise ValueError if sample weights are given to a loss without per-sample values."""
        if sample_weight is not None and (overridden or type(self)._values is Loss._values):
            raise ValueError(f"`sample_weight` scales a loss's per-sample values, and {self.name} has none "
                             "(define `_values`, Keras' `call`). Received sample weights for it.")

    def _value(self, y_true, y_pred):
        """The mean loss: the mean of the per-sample values."""
        return self._values(y_true, y_pred).mean()

    def _values(self, y_true, y_pred):
        """The per-sample values, y_pred's shape without its last axis (Keras' ``call``)."""
        raise NotImplementedError(f"{type(self).__name__} must define `_values` or `_value`.")

    def check_targets(self, y_true, y_pred_shape: tuple) -> None:
        """Raise ValueError unless ``y_true`` fits predictions of shape ``y_pred_shape``."""
        y_true = _as_numeric(y_true, "y_true")
        y_pred_shape = tuple(y_pred_shape)
        if y_true.shape[0] != y_pred_shape[0]:
            raise ValueError(
                "`y_true` and `y_pred` must have the same batch size. "
                f"Received: y_true.shape={y_true.shape}, y_pred.shape={y_pred_shape}"
            )
        self._check_target_shape(y_true, y_pred_shape)

    def _check_target_shape(self, y_true, y_pred_shape: tuple) -> None:
        if not _fits(y_true.shape, y_pred_shape):
            raise ValueError(
                f"`y_true` must have the shape of `y_pred`, {y_pred_shape}, for {self.name}. "
                f"Received: y_true.shape={y_true.shape}, y_pred.shape={y_pred_shape}"
            )

    def _prepare(self, y_true, y_pred) -> tuple:
        """Validate; return y_true converted for the math and y_pred as a float array."""
        y_pred = _as_numeric(y_pred, "y_pred")
        if y_pred.dtype.kind != "f":
            y_pred = y_pred.astype(backend.floatx())
        if y_pred.ndim < self._min_rank:
            raise ValueError(
                f"`y_pred` must have shape (batch, ..., classes) for {self.name}. Received shape {y_pred.shape}."
            )
        y_true = _as_numeric(y_true, "y_true")
        self.check_targets(y_true, y_pred.shape)
        return self._convert_targets(y_true, y_pred), y_pred

    def _convert(self, y_true, y_pred) -> tuple:
        """``_prepare`` without the checks, for targets already checked against float predictions."""
        return self._convert_targets(xp.asarray(y_true), y_pred), y_pred

    def _convert_targets(self, y_true, y_pred):
        return y_true.reshape(y_pred.shape).astype(y_pred.dtype, copy=False)

    def get_config(self) -> dict:
        return {"name": self.name}

    def __repr__(self) -> str:
        args = ", ".join(f"{key}={value!r}" for key, value in self.get_config().items())
        return f"{type(self).__name__}({args})"


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

def _expand(weights, ndim: int):
    """``weights`` (N, ...) with trailing axes of size 1 up to ``ndim`` axes, to broadcast over values or rows."""
    return weights.reshape(weights.shape + (1,) * (ndim - weights.ndim))


_REGISTRY = {
    cls.default_name: cls
    for cls in (MeanSquaredError, MeanAbsoluteError, BinaryCrossentropy, CategoricalCrossentropy,
                SparseCategoricalCrossentropy, MeanSquaredLogarithmicError, RootMeanSquaredError, Huber, LogCosh,
                KLDivergence, CategoricalHinge)
}
_ALIASES = {"mse": "mean_squared_error", "mae": "mean_absolute_error", "msle": "mean_squared_logarithmic_error",
            "rmse": "root_mean_squared_error", "huber": "huber_loss", "logcosh": "log_cosh", "kld": "kl_divergence",
            "kullback_leibler_divergence": "kl_divergence"}


def get(identifier: str | Loss) -> Loss:
    """Return a loss from its Keras name ('mse', 'sparse_categorical_crossentropy', ...) or a Loss.

    Example:
        >>> get("mse")
        MeanSquaredError(name='mean_squared_error')
    """
    if isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, str):
        name = _ALIASES.get(identifier, identifier)
        if name in _REGISTRY:
            return _REGISTRY[name]()
        valid = sorted(set(_REGISTRY) | set(_ALIASES))
        raise ValueError(f"Unknown loss {identifier!r}. Valid names: {', '.join(valid)}.")
    raise TypeError(
        "`loss` must be a name such as 'mse' or a Loss instance. "
        f"Received: loss={identifier!r} of type {type(identifier).__name__}"
    )
