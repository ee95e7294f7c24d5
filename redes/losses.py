"""Losses: the loss of a batch and its gradient with respect to the predictions.

A loss takes plain arrays in their natural shapes, ``y_pred`` (N, ...) and
``y_true`` of the same shape (or integer labels for the sparse loss), and
returns the mean over the batch as a Python float (Keras' reduction
'sum_over_batch_size'). ``gradient(y_true, y_pred)`` returns dL/dy_pred for
that mean, in y_pred's shape and dtype. The math runs in y_pred's dtype.

As in Keras, probabilities are clipped to [1e-7, 1 − 1e-7] before the log; the
gradient of a clipped entry is 0 (bounds included, as TensorFlow's gradient).
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

_EPSILON = 1e-7


def _clip(p):
    return xp.clip(p, p.dtype.type(_EPSILON), p.dtype.type(1 - _EPSILON))


def _not_clipped(p):
    """1 where ``_clip`` leaves p unchanged (bounds included, as TF's gradient), else 0."""
    return ((p >= p.dtype.type(_EPSILON)) & (p <= p.dtype.type(1 - _EPSILON))).astype(p.dtype)


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
    """

    default_name = "loss"
    _min_rank = 1

    def __init__(self, name: str | None = None) -> None:
        if name is not None and (not isinstance(name, str) or not name):
            raise ValueError(f"`name` must be a non-empty string. Received: name={name!r}")
        self.name = name or self.default_name

    def __call__(self, y_true, y_pred) -> float:
        """The mean loss over the batch, as a Python float."""
        return float(self._value(*self._prepare(y_true, y_pred)))

    def gradient(self, y_true, y_pred):
        """dL/dy_pred of the mean loss: y_pred's shape and dtype."""
        return self._gradient(*self._prepare(y_true, y_pred))

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

    def _value(self, y_true, y_pred):
        diff = y_pred - y_true
        return (diff * diff).mean()

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

    def _value(self, y_true, y_pred):
        return xp.abs(y_pred - y_true).mean()

    def _gradient(self, y_true, y_pred):
        return xp.sign(y_pred - y_true) * (1 / y_pred.size)


class _CrossEntropy(Loss):
    """What the three cross-entropies share: ``from_logits`` and the fused logits path."""

    output_activation = ""

    def __init__(self, from_logits: bool = False, name: str | None = None) -> None:
        super().__init__(name=name)
        if not isinstance(from_logits, bool):
            raise TypeError(f"`from_logits` must be True or False. Received: from_logits={from_logits!r}")
        self.from_logits = from_logits

    def value_from_logits(self, y_true, logits) -> float:
        """The mean loss of the predictions ``activation(logits)``, computed stably from the logits."""
        return float(self._value_from_logits(*self._prepare(y_true, logits)))

    def gradient_from_logits(self, y_true, logits):
        """dL/dlogits of the mean loss: the logits' shape and dtype."""
        return self._gradient_from_logits(*self._prepare(y_true, logits))

    def _value(self, y_true, y_pred):
        if self.from_logits:
            return self._value_from_logits(y_true, y_pred)
        return self._value_from_probabilities(y_true, y_pred)

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
        if isinstance(label_smoothing, bool) or not isinstance(label_smoothing, (int, float)) \
                or not 0 <= label_smoothing <= 1:
            raise ValueError(
                f"`label_smoothing` must be a number in [0, 1]. Received: label_smoothing={label_smoothing!r}"
            )
        self.label_smoothing = float(label_smoothing)

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

    def _value_from_probabilities(self, y_true, y_pred):
        p = _clip(y_pred)
        return -(y_true * xp.log(p) + (1 - y_true) * xp.log(1 - p)).mean()

    def _gradient_from_probabilities(self, y_true, y_pred):
        p = _clip(y_pred)
        grad = (1 - y_true) / (1 - p) - y_true / p
        return grad * _not_clipped(y_pred) * (1 / y_pred.size)

    def _value_from_logits(self, y_true, logits):
        return (xp.maximum(logits, 0) - logits * y_true + xp.log1p(xp.exp(-xp.abs(logits)))).mean()

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

    def _value_from_probabilities(self, y_true, y_pred):
        q = _clip(y_pred / y_pred.sum(axis=-1, keepdims=True))
        return -(y_true * xp.log(q)).sum() / (y_pred.size // y_pred.shape[-1])

    def _gradient_from_probabilities(self, y_true, y_pred):
        total = y_pred.sum(axis=-1, keepdims=True)
        q = y_pred / total
        g = -y_true / _clip(q) * _not_clipped(q) * (1 / (y_pred.size // y_pred.shape[-1]))
        return (g - (g * q).sum(axis=-1, keepdims=True)) / total

    def _value_from_logits(self, y_true, logits):
        log_probs = logits - _log_sum_exp(logits)
        return -(y_true * log_probs).sum() / (logits.size // logits.shape[-1])

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

    def _value_from_probabilities(self, labels, y_pred):
        p, p_label = self._picked(_clip(y_pred), labels)
        return (xp.log(p.sum(axis=-1)) - xp.log(p_label)).sum() / len(labels)

    def _gradient_from_probabilities(self, labels, y_pred):
        p, p_label = self._picked(_clip(y_pred), labels)
        grad = xp.broadcast_to(1 / p.sum(axis=-1, keepdims=True), p.shape).copy()
        grad[xp.arange(len(labels)), labels] -= 1 / p_label
        return (grad * _not_clipped(y_pred.reshape(p.shape)) * (1 / len(labels))).reshape(y_pred.shape)

    def _value_from_logits(self, labels, logits):
        z, z_label = self._picked(logits, labels)
        return (_log_sum_exp(z)[:, 0] - z_label).sum() / len(labels)

    def _gradient_from_logits(self, labels, logits):
        grad = softmax(logits.reshape(-1, logits.shape[-1]))  # (M, K), a fresh array: updated in place
        grad[xp.arange(len(labels)), labels] -= 1
        grad *= 1 / len(labels)
        return grad.reshape(logits.shape)


_REGISTRY = {
    cls.default_name: cls
    for cls in (MeanSquaredError, MeanAbsoluteError, BinaryCrossentropy, CategoricalCrossentropy,
                SparseCategoricalCrossentropy)
}
_ALIASES = {"mse": "mean_squared_error", "mae": "mean_absolute_error"}


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
