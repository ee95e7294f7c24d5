"""Helpers shared by the metrics: float64 conversion, Keras' squeeze-or-expand of a trailing axis,
the weighted reduction of a batch to (total, count), the batch-axis check, per-row sample weights,
and ``_ArrayResult``, the array that per-class scores and confusion matrices return so that logs
and progress bars format it like a number.
"""

from __future__ import annotations

import sys

import numpy

from ..backend import xp


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


def as_log_value(result):
    """A metric's result as the logs keep it: a float, or a copy of an array that formats like a number
    (a user's metric may return its own state variable, which the next ``reset_state`` changes)."""
    array = numpy.asarray(result)
    return float(array) if array.ndim == 0 else array.copy().view(_ArrayResult)


def _check_one_hot(name: str, y_true, y_pred) -> None:
    """ValueError unless ``y_true`` is one-hot targets of ``y_pred``'s shape (the categorical metrics)."""
    if y_true.shape != y_pred.shape:
        raise ValueError(f"{name}: `y_true` must be one-hot with the shape of `y_pred`. "
                         f"Received: y_true.shape={y_true.shape}, y_pred.shape={y_pred.shape}")


def _check_labels(name: str, y_true, y_pred) -> tuple:
    """The label shape y_pred.shape[:-1]; ValueError unless ``y_true`` holds labels of that shape (or with a
    trailing axis of 1), as the sparse metrics need."""
    expected = y_pred.shape[:-1]
    if y_pred.ndim < 2 or y_true.shape not in (expected, expected + (1,)):
        raise ValueError(f"{name}: `y_true` must hold labels of shape {expected} for `y_pred` of shape "
                         f"{y_pred.shape}. Received: y_true.shape={y_true.shape}")
    return expected


def _weights_per_row(sample_weight, rows: int, batch: int):
    """Per-sample weights (N,) (or one number) repeated over the rows each sample spans; None stays None."""
    if sample_weight is None:
        return None
    weights = _as_float64(sample_weight, "sample_weight").reshape(-1)
    if weights.size not in (1, batch):
        raise ValueError(f"`sample_weight` must hold one weight per sample ({batch}). "
                         f"Received shape {xp.asarray(sample_weight).shape}.")
    return xp.broadcast_to(weights, (batch,)).repeat(rows // batch)
