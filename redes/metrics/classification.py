"""Per-class count metrics: Precision, Recall and F1Score from running weighted counts TP, FP, FN
and support per class, scored per class (``average`` None gives an array) or averaged ('micro',
'macro', 'weighted'); Precision and Recall default to Keras' thresholded binary form.
"""

from __future__ import annotations

from ..backend import xp
from ..validation import check_float, check_non_negative_int, check_one_of
from .base import Metric
from .metrics_utils import _ArrayResult, _as_float64, _check_batch, _squeeze_or_expand, _weights_per_row


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
        self.average = check_one_of("average", average, self._averages)
        self.threshold = check_float("threshold", threshold, allow_none=True)
        super().__init__(name)
        self.reset_state()

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
        class_id = check_non_negative_int("class_id", class_id, allow_none=True)
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
