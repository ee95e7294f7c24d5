"""Metrics: running means over the batches of an epoch, with Keras names and results.

Each metric keeps a float64 ``total`` and ``count`` (Python floats), so that a
long epoch in float32 does not drift. ``update_state`` adds a batch,
``result()`` returns ``total / count`` (0 before any update), ``reset_state()``
starts over. A model resets its metrics at the start of each epoch and logs
``{metric.name: metric.result()}``.

Per-sample values, reduced as Keras does (mean over the axes after the batch axis):
    sparse_categorical_accuracy  [argmax(p) = y]
    categorical_accuracy         [argmax(p) = argmax(t)]
    binary_accuracy              [(p > threshold) = t]
    mean_squared_error           mean over the last axis of (p − t)²
    mean_absolute_error          mean over the last axis of |p − t|
With per-sample weights w: result = Σ w·v / Σ w.

``get('accuracy', loss)`` picks the accuracy that fits the loss, as Keras does.
"""

from __future__ import annotations

from . import losses
from .backend import xp


def _as_float64(array, name: str):
    array = xp.asarray(array)
    if array.dtype.kind not in "fiub":
        raise TypeError(f"`{name}` must hold real numbers. Received dtype {array.dtype}.")
    return array.astype(xp.float64, copy=False)


def _squeeze_or_expand(x1, x2) -> tuple:
    """Keras' rule: when ranks differ by one and the longer shape ends in 1, match the ranks."""
    if x1.ndim == x2.ndim + 1 and x1.shape[-1] == 1:
        return (x1, x2[..., None]) if x2.ndim == 1 else (x1[..., 0], x2)
    if x2.ndim == x1.ndim + 1 and x2.shape[-1] == 1:
        return (x1[..., None], x2) if x1.ndim == 1 else (x1, x2[..., 0])
    return x1, x2


def _reduce(values, sample_weight) -> tuple[float, float]:
    """(Σ of the per-sample means of w·v, Σ of w) for one batch, as Keras' Mean reduces it."""
    if sample_weight is None:
        count = values.shape[0] if values.ndim else 1
    else:
        weights = _as_float64(sample_weight, "sample_weight")
        values, weights = _squeeze_or_expand(values, weights)
        if values.ndim > weights.ndim:
            values = values.mean(axis=tuple(range(weights.ndim, values.ndim)))
        try:
            weights = xp.broadcast_to(weights, values.shape)
        except ValueError as error:
            raise ValueError(
                f"`sample_weight` of shape {weights.shape} does not fit values of shape {values.shape}."
            ) from error
        values = values * weights
        if weights.ndim > 1:
            weights = weights.mean(axis=tuple(range(1, weights.ndim)))
        count = weights.sum()
    if values.ndim > 1:
        values = values.mean(axis=tuple(range(1, values.ndim)))
    return float(values.sum()), float(count)


def _check_batch(y_true, y_pred) -> None:
    if y_true.ndim == 0 or y_pred.ndim == 0 or y_true.shape[0] != y_pred.shape[0]:
        raise ValueError(
            "`y_true` and `y_pred` must have a batch axis of the same size. "
            f"Received: y_true.shape={y_true.shape}, y_pred.shape={y_pred.shape}"
        )


class Metric:
    """Base class: a running mean with ``update_state``, ``result`` and ``reset_state``.

    Args:
        name: the key of the metric in the logs and in ``History.history``.
    """

    def __init__(self, name: str) -> None:
        if not isinstance(name, str) or not name:
            raise ValueError(f"`name` must be a non-empty string. Received: name={name!r}")
        self.name = name
        self.reset_state()

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        """Add one batch: per-sample values ``values(y_true, y_pred)``, weighted by ``sample_weight``."""
        y_true, y_pred = xp.asarray(y_true), xp.asarray(y_pred)
        _check_batch(y_true, y_pred)
        self._add(xp.asarray(self.values(y_true, y_pred), dtype=xp.float64), sample_weight)

    def values(self, y_true, y_pred):
        """The per-sample (or per-element) values of one batch."""
        raise NotImplementedError

    def _add(self, values, sample_weight) -> None:
        total, count = _reduce(values, sample_weight)
        self.total += total
        self.count += count

    def result(self) -> float:
        return self.total / self.count if self.count else 0.0

    def reset_state(self) -> None:
        self.total = 0.0
        self.count = 0.0

    def get_config(self) -> dict:
        return {"name": self.name}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, result={self.result():.4g})"


class Mean(Metric):
    """The weighted running mean of the values it is given (e.g. the loss of each batch).

    Args:
        name: default 'mean'.

    Equations: result = Σ w·v / Σ w over all updates (w = 1 without ``sample_weight``).
    A (N, ...) array counts as N samples, each the mean over its other axes.

    Example:
        >>> m = Mean(); m.update_state(2.0, sample_weight=3); m.update_state([4.0]); m.result()
        2.5
    """

    def __init__(self, name: str = "mean") -> None:
        super().__init__(name)

    def update_state(self, values, sample_weight=None) -> None:
        self._add(_as_float64(values, "values"), sample_weight)


class SparseCategoricalAccuracy(Metric):
    """How often the class with the highest prediction is the integer label.

    Args:
        name: default 'sparse_categorical_accuracy'.

    Input shape: y_pred (N, ..., K); y_true labels (N, ...) or (N, ..., 1).
    Equations: v = [argmax_k p = y] per sample; result = mean of v.

    Example:
        >>> m = SparseCategoricalAccuracy(); m.update_state([1, 0], [[0.2, 0.8], [0.3, 0.7]]); m.result()
        0.5
    """

    def __init__(self, name: str = "sparse_categorical_accuracy") -> None:
        super().__init__(name)

    def values(self, y_true, y_pred):
        expected = y_pred.shape[:-1]
        if y_pred.ndim < 2 or y_true.shape not in (expected, expected + (1,)):
            raise ValueError(
                f"{self.name}: `y_true` must hold labels of shape {expected} for `y_pred` of shape "
                f"{y_pred.shape}. Received: y_true.shape={y_true.shape}"
            )
        return xp.argmax(y_pred, axis=-1) == y_true.reshape(expected)


class CategoricalAccuracy(Metric):
    """How often the class with the highest prediction is the class of the one-hot target.

    Args:
        name: default 'categorical_accuracy'.

    Input shape: y_true and y_pred (N, ..., K).
    Equations: v = [argmax_k p = argmax_k t] per sample; result = mean of v.

    Example:
        >>> m = CategoricalAccuracy(); m.update_state([[0, 1], [1, 0]], [[0.2, 0.8], [0.3, 0.7]]); m.result()
        0.5
    """

    def __init__(self, name: str = "categorical_accuracy") -> None:
        super().__init__(name)

    def values(self, y_true, y_pred):
        if y_true.shape != y_pred.shape:
            raise ValueError(
                f"{self.name}: `y_true` must be one-hot with the shape of `y_pred`. "
                f"Received: y_true.shape={y_true.shape}, y_pred.shape={y_pred.shape}"
            )
        return xp.argmax(y_pred, axis=-1) == xp.argmax(y_true, axis=-1)


class BinaryAccuracy(Metric):
    """How often ``y_pred > threshold`` equals the 0/1 target, over all elements.

    Args:
        name: default 'binary_accuracy'.
        threshold: the decision threshold on y_pred (default 0.5; strict ``>``, as Keras).

    Input shape: y_true and y_pred (N, ...), the same shape (up to a trailing axis of size 1).
    Equations: v = [(p > threshold) = t] per element; result = mean of v.

    Example:
        >>> m = BinaryAccuracy(); m.update_state([[1], [0]], [[0.9], [0.6]]); m.result()
        0.5
    """

    def __init__(self, name: str = "binary_accuracy", threshold: float = 0.5) -> None:
        if isinstance(threshold, bool) or not isinstance(threshold, (int, float)):
            raise TypeError(f"`threshold` must be a number. Received: threshold={threshold!r}")
        self.threshold = float(threshold)
        super().__init__(name)

    def values(self, y_true, y_pred):
        y_true, y_pred = _squeeze_or_expand(y_true, y_pred)
        if y_true.shape != y_pred.shape:
            raise ValueError(
                f"{self.name}: `y_true` must have the shape of `y_pred`. "
                f"Received: y_true.shape={y_true.shape}, y_pred.shape={y_pred.shape}"
            )
        return (y_pred > self.threshold) == y_true

    def get_config(self) -> dict:
        return {**super().get_config(), "threshold": self.threshold}


class AutoAccuracy(Metric):
    """The accuracy that fits each batch's shapes: what 'accuracy' means when the loss does not decide.

    Args:
        name: the name the user gave ('accuracy' or 'acc').

    Per batch: y_pred's last axis of size 1 → binary accuracy; y_true of y_pred's shape →
    categorical accuracy; otherwise sparse categorical accuracy (Keras' rule).

    Example:
        >>> m = AutoAccuracy("accuracy"); m.update_state([1, 0], [[0.2, 0.8], [0.3, 0.7]]); m.result()
        0.5
    """

    def __init__(self, name: str = "accuracy") -> None:
        super().__init__(name)
        self._binary = BinaryAccuracy(name)
        self._categorical = CategoricalAccuracy(name)
        self._sparse = SparseCategoricalAccuracy(name)

    def values(self, y_true, y_pred):
        if y_pred.shape[-1] == 1:
            return self._binary.values(y_true, y_pred)
        if y_true.shape == y_pred.shape:
            return self._categorical.values(y_true, y_pred)
        return self._sparse.values(y_true, y_pred)


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


_REGISTRY = {
    "sparse_categorical_accuracy": SparseCategoricalAccuracy,
    "categorical_accuracy": CategoricalAccuracy,
    "binary_accuracy": BinaryAccuracy,
    "mean_squared_error": MeanSquaredError,
    "mse": MeanSquaredError,
    "mean_absolute_error": MeanAbsoluteError,
    "mae": MeanAbsoluteError,
}
_ACCURACY_NAMES = ("accuracy", "acc")


def _accuracy_for(loss) -> type:
    if isinstance(loss, str):
        loss = losses.get(loss)
    if isinstance(loss, losses.BinaryCrossentropy):
        return BinaryAccuracy
    if isinstance(loss, losses.CategoricalCrossentropy):
        return CategoricalAccuracy
    if isinstance(loss, losses.SparseCategoricalCrossentropy):
        return SparseCategoricalAccuracy
    return AutoAccuracy


def get(identifier: str | Metric, loss=None) -> Metric:
    """Return a metric from a name or a Metric; the metric's ``name`` is the name given.

    'accuracy' (or 'acc') becomes the accuracy that fits ``loss``: binary for
    binary_crossentropy, categorical for categorical_crossentropy, sparse for
    sparse_categorical_crossentropy, else one that decides from each batch's shapes.
    (Keras 3 always decides from shapes, so with binary_crossentropy on K > 1
    outputs it reports categorical accuracy; here that case gets binary accuracy.)

    Example:
        >>> get("accuracy", loss="sparse_categorical_crossentropy")
        SparseCategoricalAccuracy(name='accuracy', result=0)
    """
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, str):
        if identifier in _ACCURACY_NAMES:
            return _accuracy_for(loss)(name=identifier)
        if identifier in _REGISTRY:
            return _REGISTRY[identifier](name=identifier)
        valid = sorted(set(_REGISTRY) | set(_ACCURACY_NAMES))
        raise ValueError(f"Unknown metric {identifier!r}. Valid names: {', '.join(valid)}.")
    raise TypeError(
        "A metric must be a name such as 'accuracy' or a Metric instance. "
        f"Received: {identifier!r} of type {type(identifier).__name__}"
    )
