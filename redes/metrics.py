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

Metrics that are not running means keep their own state with the same three methods:
Precision, Recall and F1Score (per-class counts; ``average`` None gives one score per
class), and ConfusionMatrix (a K×K matrix of counts). RootMeanSquaredError is the root
of the running mean squared error; (Sparse)TopKCategoricalAccuracy counts a hit when the
target is among the k highest scores.
"""

from __future__ import annotations

import sys

import numpy

from . import losses
from .backend import xp

__all__ = [
    "AutoAccuracy", "BinaryAccuracy", "CategoricalAccuracy", "ConfusionMatrix", "F1Score", "Mean", "MeanAbsoluteError",
    "MeanSquaredError", "Metric", "Precision", "Recall", "RootMeanSquaredError", "SparseCategoricalAccuracy",
    "SparseTopKCategoricalAccuracy", "TopKCategoricalAccuracy", "get",
]


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

    Shapes: ``y_true`` and ``y_pred`` share the batch axis, (N, ...); ``values`` returns (N,) or (N, ...),
    and ``sample_weight`` is (N,). A subclass defines ``values``.

    Example:
        >>> class AbsoluteError(Metric):
        ...     def values(self, y_true, y_pred):
        ...         return abs(y_true - y_pred)
        >>> metric = AbsoluteError("absolute_error")
        >>> metric.update_state(np.array([1.0, 2.0]), np.array([1.5, 2.0]))
        >>> metric.result()
        0.25
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


def _check_k(k) -> int:
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"`k` must be a positive integer. Received: k={k!r}")
    return k


def _in_top_k(scores, labels, k: int):
    """[label among the k highest scores], ties at the boundary counted in (tf.math.in_top_k)."""
    rows = scores.reshape(-1, scores.shape[-1])
    target = rows[xp.arange(len(rows)), labels.reshape(-1)]
    higher = (rows > target[:, None]).sum(axis=-1)
    return ((higher < k) & xp.isfinite(target)).reshape(scores.shape[:-1])


class TopKCategoricalAccuracy(Metric):
    """How often the one-hot target's class is among the ``k`` highest predictions.

    Args:
        k: how many of the top predictions count (default 5).
        name: default 'top_k_categorical_accuracy'.

    Input shape: y_true and y_pred (N, ..., K).
    Equations: v = [#{j : p_j > p_y} < k] per sample, y = argmax t (ties at the k-th place count
    as in, as TensorFlow's ``in_top_k``); result = mean of v.

    Example:
        >>> m = TopKCategoricalAccuracy(k=2); m.update_state([[0, 0, 1]], [[0.5, 0.2, 0.3]]); m.result()
        1.0
    """

    def __init__(self, k: int = 5, name: str = "top_k_categorical_accuracy") -> None:
        self.k = _check_k(k)
        super().__init__(name)

    def values(self, y_true, y_pred):
        if y_true.shape != y_pred.shape:
            raise ValueError(
                f"{self.name}: `y_true` must be one-hot with the shape of `y_pred`. "
                f"Received: y_true.shape={y_true.shape}, y_pred.shape={y_pred.shape}"
            )
        return _in_top_k(y_pred, xp.argmax(y_true, axis=-1), self.k)

    def get_config(self) -> dict:
        return {**super().get_config(), "k": self.k}


class SparseTopKCategoricalAccuracy(TopKCategoricalAccuracy):
    """How often the integer label is among the ``k`` highest predictions.

    Args:
        k: how many of the top predictions count (default 5).
        name: default 'sparse_top_k_categorical_accuracy'.

    Input shape: y_pred (N, ..., K); y_true labels (N, ...) or (N, ..., 1).
    Equations: v = [#{j : p_j > p_y} < k] per sample; result = mean of v.

    Example:
        >>> m = SparseTopKCategoricalAccuracy(k=2); m.update_state([2], [[0.5, 0.2, 0.3]]); m.result()
        1.0
    """

    def __init__(self, k: int = 5, name: str = "sparse_top_k_categorical_accuracy") -> None:
        super().__init__(k, name)

    def values(self, y_true, y_pred):
        expected = y_pred.shape[:-1]
        if y_pred.ndim < 2 or y_true.shape not in (expected, expected + (1,)):
            raise ValueError(
                f"{self.name}: `y_true` must hold labels of shape {expected} for `y_pred` of shape "
                f"{y_pred.shape}. Received: y_true.shape={y_true.shape}"
            )
        return _in_top_k(y_pred, y_true.reshape(expected).astype(xp.intp), self.k)



class _ArrayResult(numpy.ndarray):
    """A metric's array result (per-class scores, a confusion matrix) that formats like a number.

    ``f"{result:.4f}"`` applies the format to each element on one line, so that progress
    bars and logs show it as they show scalar metrics; ``repr`` is the plain array's.
    """

    def __format__(self, spec: str) -> str:
        if not spec:
            return super().__format__(spec)
        text = numpy.array2string(numpy.asarray(self), formatter={"all": lambda v: format(v, spec)},
                                  max_line_width=sys.maxsize, separator=" ")
        return text.replace("\n", "")

    def __repr__(self) -> str:
        return repr(numpy.asarray(self))


def _weights_per_row(sample_weight, rows: int, batch: int):
    """Per-sample weights (N,) (or one number) repeated over the rows each sample spans; None stays None."""
    if sample_weight is None:
        return None
    weights = _as_float64(sample_weight, "sample_weight").reshape(-1)
    if weights.size not in (1, batch):
        raise ValueError(f"`sample_weight` must hold one weight per sample ({batch}). "
                         f"Received shape {xp.asarray(sample_weight).shape}.")
    return xp.broadcast_to(weights, (batch,)).repeat(rows // batch)


def _labels_to_one_hot(name: str, y_true, shape: tuple):
    """y_true of ``shape`` (one-hot), or integer labels of shape[:-1] (or with a trailing 1) as one-hot."""
    if y_true.shape == shape:
        return y_true
    if y_true.shape == shape[:-1] + (1,):
        y_true = y_true[..., 0]
    classes = shape[-1]
    if y_true.shape != shape[:-1]:
        raise ValueError(
            f"{name}: `y_true` must be one-hot of shape {shape} or labels of shape {shape[:-1]}. "
            f"Received: y_true.shape={y_true.shape}"
        )
    if y_true.size and (y_true.min() < 0 or y_true.max() >= classes or (y_true != xp.floor(y_true)).any()):
        raise ValueError(f"{name}: labels must be integers in [0, {classes}).")
    return xp.eye(classes)[y_true.astype(xp.intp)]


def _divide(numerator, denominator):
    """numerator / denominator, 0 where the denominator is 0 (TensorFlow's divide_no_nan)."""
    numerator, denominator = xp.asarray(numerator, dtype=xp.float64), xp.asarray(denominator, dtype=xp.float64)
    zero = denominator == 0
    return xp.where(zero, 0.0, numerator / xp.where(zero, 1.0, denominator))


class _ClassCounts(Metric):
    """Running per-class weighted counts TP, FP, FN and support (Σ t), and their scores averaged.

    Subclasses set ``_score(tp, fp, fn)`` and ``_epsilon`` (added to the support in the
    'weighted' average; 0 means 0/0 → 0).
    """

    _averages: tuple = (None, "micro", "macro", "weighted")
    _epsilon = 0.0

    def __init__(self, name: str, average, threshold) -> None:
        if average not in self._averages:
            raise ValueError(f"`average` must be one of {self._averages}. Received: average={average!r}")
        if threshold is not None and (isinstance(threshold, bool) or not isinstance(threshold, (int, float))):
            raise TypeError(f"`threshold` must be a number or None. Received: threshold={threshold!r}")
        self.average, self.threshold = average, None if threshold is None else float(threshold)
        super().__init__(name)

    def reset_state(self) -> None:
        self.counts = None  # (4, C): TP, FP, FN, support per class

    def _indicators(self, y_true, y_pred):
        """(t, p): 0/1 float64 arrays (M, C) of the target and predicted classes per row.

        y_pred (N, ..., K) holds scores, a single column (N, ..., 1) is two classes [1 − p, p];
        y_true is one-hot of that shape or integer labels. With ``threshold`` None the classes
        with the row's highest (non-zero) score are predicted, as Keras' F1Score; otherwise
        every class with score > threshold.
        """
        y_pred = _as_float64(y_pred, "y_pred")
        y_true = _as_float64(y_true, "y_true")
        if y_pred.ndim == 1 or y_pred.shape[-1] == 1:
            column = y_pred.reshape(y_pred.shape[:1] + y_pred.shape[1:-1] + (1,)) if y_pred.ndim > 1 \
                else y_pred[:, None]
            y_pred = xp.concatenate([1 - column, column], axis=-1)
        t = _labels_to_one_hot(self.name, y_true, y_pred.shape).reshape(-1, y_pred.shape[-1])
        p = y_pred.reshape(t.shape)
        if self.threshold is None:
            predicted = (p >= p.max(axis=-1, keepdims=True)) & (xp.abs(p) > 1e-9)
        else:
            predicted = p > self.threshold
        return t, predicted.astype(xp.float64)

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        """Add one batch to the counts (``sample_weight``: one weight per sample)."""
        y_true, y_pred = xp.asarray(y_true), xp.asarray(y_pred)
        _check_batch(y_true, y_pred)
        t, p = self._indicators(y_true, y_pred)
        weights = _weights_per_row(sample_weight, len(t), len(y_pred))
        t_w = t if weights is None else t * weights[:, None]
        p_w = p if weights is None else p * weights[:, None]
        counts = xp.stack([(t_w * p).sum(axis=0), (p_w * (1 - t)).sum(axis=0), (t_w * (1 - p)).sum(axis=0),
                           t_w.sum(axis=0)])
        if self.counts is None:
            self.counts = counts
        elif counts.shape != self.counts.shape:
            raise ValueError(f"{self.name}: {counts.shape[1]} classes in this batch, "
                             f"{self.counts.shape[1]} in the previous ones.")
        else:
            self.counts += counts

    def result(self):
        """The score: one float, or one per class (an array) when ``average`` is None."""
        if self.counts is None:
            return 0.0
        tp, fp, fn, support = self.counts.sum(axis=1, keepdims=True) if self.average == "micro" else self.counts
        scores = self._score(tp, fp, fn)
        if self.average is None:
            return xp.asarray(scores).view(_ArrayResult)  # "binary" has one column: its mean is its score
        if self.average == "weighted":
            return float(_divide((scores * support).sum(), support.sum() + self._epsilon))
        return float(scores.mean())

    def get_config(self) -> dict:
        return {**super().get_config(), "average": self.average, "threshold": self.threshold}


class F1Score(_ClassCounts):
    """F1 score per class, or averaged over the classes (Keras 3 ``F1Score``).

    Args:
        average: None (one score per class: an array), 'micro' (from the counts summed over
            the classes), 'macro' (the mean over classes) or 'weighted' (weighted by each
            class's support Σ t). By name, 'f1_score' is the macro average.
        threshold: None: the class(es) with the highest score in each row are predicted;
            a number: every class with score > threshold is predicted (multi-label).
        name: default 'f1_score'.

    Input shape: y_pred (N, ..., K) scores; y_true one-hot (N, ..., K) or, unlike Keras, integer
    labels (N, ...). A single column (N, 1) counts as two classes [1 − p, p].

    Equations, per class with weighted counts TP, FP, FN, ε = 1e-7 (Keras' formula):
        P = TP / (TP + FP + ε),  R = TP / (TP + FN + ε),  F1 = 2PR / (P + R + ε)
        weighted: Σ F1·support / (Σ support + ε)

    Example:
        >>> m = F1Score(average="macro"); m.update_state([0, 1, 1], [[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]])
        >>> round(m.result(), 4)
        0.6667
    """

    _epsilon = 1e-7

    def __init__(self, average: str | None = None, threshold: float | None = None, name: str = "f1_score") -> None:
        super().__init__(name, average, threshold)

    def _score(self, tp, fp, fn):
        eps = self._epsilon
        precision, recall = tp / (tp + fp + eps), tp / (tp + fn + eps)
        return 2 * precision * recall / (precision + recall + eps)


class Precision(_ClassCounts):
    """Precision TP / (TP + FP): Keras' thresholded binary precision, or a per-class / averaged one.

    Args:
        thresholds: with average='binary', the decision threshold (default 0.5: positive when
            p > 0.5). Otherwise None predicts each row's top class (as ``F1Score``), and a
            number predicts every class whose score is above it.
        class_id: average='binary' only: score that column of y_true / y_pred alone.
        average: 'binary' (default, Keras' ``Precision``: every element of y_pred is one 0/1
            decision against y_true), or for multi-class outputs, as scikit-learn's ``average``:
            None (one score per class: an array), 'micro', 'macro' (the mean over classes) or
            'weighted' (by support). By name with a categorical or sparse categorical
            cross-entropy loss, 'precision' is the macro average; otherwise binary.
        name: default 'precision'.

    Input shape: binary: y_true and y_pred (N, ...), the same shape; otherwise as ``F1Score``.
    Equations, with weighted counts: P = TP / (TP + FP), 0 when TP + FP = 0.

    Example:
        >>> m = Precision(); m.update_state([[0], [1], [1]], [[0.6], [0.9], [0.2]]); m.result()
        0.5
        >>> m = Precision(average="macro"); m.update_state([0, 1, 1], [[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]])
        >>> m.result()
        0.75
    """

    _averages = ("binary", None, "micro", "macro", "weighted")

    def __init__(self, thresholds: float | None = None, class_id: int | None = None, average: str | None = "binary",
                 name: str | None = None) -> None:
        if class_id is not None and (isinstance(class_id, bool) or not isinstance(class_id, int) or class_id < 0):
            raise ValueError(f"`class_id` must be a non-negative integer or None. Received: class_id={class_id!r}")
        if class_id is not None and average != "binary":
            raise ValueError(f"`class_id` only applies to average='binary'. Received: average={average!r}")
        self.class_id = class_id
        super().__init__(name or type(self).__name__.lower(), average, thresholds)

    def _indicators(self, y_true, y_pred):
        if self.average != "binary":
            return super()._indicators(y_true, y_pred)
        y_true, y_pred = _squeeze_or_expand(_as_float64(y_true, "y_true"), _as_float64(y_pred, "y_pred"))
        if y_true.shape != y_pred.shape:
            raise ValueError(f"{self.name}: `y_true` must have the shape of `y_pred` for average='binary'. "
                             f"Received: y_true.shape={y_true.shape}, y_pred.shape={y_pred.shape}")
        if self.class_id is not None:
            y_true, y_pred = y_true[..., self.class_id], y_pred[..., self.class_id]
        threshold = 0.5 if self.threshold is None else self.threshold
        return (y_true != 0).reshape(-1, 1).astype(xp.float64), (y_pred > threshold).reshape(-1, 1).astype(xp.float64)

    def _score(self, tp, fp, fn):
        return _divide(tp, tp + fp)

    def get_config(self) -> dict:
        return {**Metric.get_config(self), "thresholds": self.threshold, "class_id": self.class_id,
                "average": self.average}


class Recall(Precision):
    """Recall TP / (TP + FN): Keras' thresholded binary recall, or a per-class / averaged one.

    Args:
        thresholds, class_id, average: as ``Precision``. By name with a categorical or sparse
            categorical cross-entropy loss, 'recall' is the macro average; otherwise binary.
        name: default 'recall'.

    Input shape: as ``Precision``.
    Equations, with weighted counts: R = TP / (TP + FN), 0 when TP + FN = 0.

    Example:
        >>> m = Recall(); m.update_state([[0], [1], [1]], [[0.6], [0.9], [0.2]]); m.result()
        0.5
    """

    def _score(self, tp, fp, fn):
        return _divide(tp, tp + fn)


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
        if num_classes is not None and (isinstance(num_classes, bool) or not isinstance(num_classes, int)
                                        or num_classes < 1):
            raise ValueError(f"`num_classes` must be a positive integer or None. Received: num_classes={num_classes!r}")
        self.num_classes = num_classes
        super().__init__(name)

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

_REGISTRY = {
    "sparse_categorical_accuracy": SparseCategoricalAccuracy,
    "categorical_accuracy": CategoricalAccuracy,
    "binary_accuracy": BinaryAccuracy,
    "mean_squared_error": MeanSquaredError,
    "mse": MeanSquaredError,
    "mean_absolute_error": MeanAbsoluteError,
    "mae": MeanAbsoluteError,
    "root_mean_squared_error": RootMeanSquaredError,
    "rmse": RootMeanSquaredError,
    "top_k_categorical_accuracy": TopKCategoricalAccuracy,
    "sparse_top_k_categorical_accuracy": SparseTopKCategoricalAccuracy,
    "confusion_matrix": ConfusionMatrix,
}
_ACCURACY_NAMES = ("accuracy", "acc")
_CLASS_SCORE_NAMES = {"precision": Precision, "recall": Recall, "f1_score": F1Score}


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


def _class_score_for(name: str, loss) -> Metric:
    """'f1_score' is the macro F1; 'precision' and 'recall' are macro after a (sparse) categorical
    cross-entropy, where the outputs are one probability per class, and binary otherwise."""
    if name == "f1_score":
        return F1Score(average="macro", name=name)
    if isinstance(loss, str):
        loss = losses.get(loss)
    categorical = isinstance(loss, (losses.CategoricalCrossentropy, losses.SparseCategoricalCrossentropy))
    return _CLASS_SCORE_NAMES[name](average="macro" if categorical else "binary", name=name)


def get(identifier: str | Metric, loss=None) -> Metric:
    """Return a metric from a name or a Metric; the metric's ``name`` is the name given.

    'accuracy' (or 'acc') becomes the accuracy that fits ``loss``: binary for
    binary_crossentropy, categorical for categorical_crossentropy, sparse for
    sparse_categorical_crossentropy, else one that decides from each batch's shapes.
    (Keras 3 always decides from shapes, so with binary_crossentropy on K > 1
    outputs it reports categorical accuracy; here that case gets binary accuracy.)
    'f1_score' is the macro-averaged F1; 'precision' and 'recall' are macro-averaged
    after a categorical or sparse categorical cross-entropy, and binary (Keras') otherwise.

    Example:
        >>> get("accuracy", loss="sparse_categorical_crossentropy")
        SparseCategoricalAccuracy(name='accuracy', result=0)
    """
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, str):
        if identifier in _ACCURACY_NAMES:
            return _accuracy_for(loss)(name=identifier)
        if identifier in _CLASS_SCORE_NAMES:
            return _class_score_for(identifier, loss)
        if identifier in _REGISTRY:
            return _REGISTRY[identifier](name=identifier)
        valid = sorted(set(_REGISTRY) | set(_ACCURACY_NAMES) | set(_CLASS_SCORE_NAMES))
        raise ValueError(f"Unknown metric {identifier!r}. Valid names: {', '.join(valid)}.")
    raise TypeError(
        "A metric must be a name such as 'accuracy' or a Metric instance. "
        f"Received: {identifier!r} of type {type(identifier).__name__}"
    )
