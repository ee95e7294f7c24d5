"""The base class of the metrics and the plain weighted mean.

Each metric keeps a float64 ``total`` and ``count`` (Python floats), so that a long epoch in
float32 does not drift. ``update_state`` adds a batch, ``result()`` returns ``total / count``
(0 before any update), ``reset_state()`` starts over; a subclass defines the per-sample
``values`` and inherits Keras' reduction: with per-sample weights w, result = Σ w·v / Σ w.
"""

from __future__ import annotations

from ..backend import xp
from ..validation import check_str
from .metrics_utils import _as_float64, _check_batch, _reduce


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
        self.name = check_str("name", name)
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
