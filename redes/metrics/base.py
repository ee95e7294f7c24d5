"""The base class of the metrics, their state variables, and the plain weighted mean.

A metric is written in one of two ways:
- as redes' own metrics are: define the per-sample ``values(y_true, y_pred)``; the base class keeps
  a float64 ``total`` and ``count`` (Python floats, so that a long epoch in float32 does not drift)
  and reduces as Keras does: with per-sample weights w, result = Σ w·v / Σ w;
- as a Keras user writes one: state created in ``__init__`` with ``add_variable`` (arrays with
  ``assign`` / ``assign_add``), and your own ``update_state`` and ``result``; ``reset_state`` sets
  every variable back to its initial value.
``update_state`` adds a batch, ``result()`` gives the value, ``reset_state()`` starts over (``fit``
does at each epoch, ``evaluate`` at its start).
"""

from __future__ import annotations

import re

from .. import backend, initializers
from ..backend import xp
from ..validation import check_one_of, check_str
from .metrics_utils import _as_float64, _check_batch, _reduce


class MetricVariable(xp.ndarray):
    """A metric's state: a NumPy array, with Keras' in-place ``assign``, ``assign_add``, ``assign_sub``.

    Example:
        >>> count = Metric("count").add_variable(shape=(), initializer="zeros", name="count")
        >>> count.assign_add(2.0); count.assign(count * 3); float(count)
        6.0
    """

    def assign(self, value) -> "MetricVariable":
        self[...] = value
        return self

    def assign_add(self, value) -> "MetricVariable":
        self[...] += value
        return self

    def assign_sub(self, value) -> "MetricVariable":
        self[...] -= value
        return self

    def numpy(self):
        """A plain NumPy copy of the value."""
        return xp.array(self)

    @property
    def value(self):
        return self.numpy()


class Metric:
    """Base class of the metrics: ``update_state``, ``result`` and ``reset_state``, as Keras' ``Metric``.

    Args:
        name: the key of the metric in the logs and in ``History.history`` (default: the class name in
            snake_case).
        dtype: of the variables made by ``add_variable`` (default ``redes.floatx()``).

    Shapes: ``y_true`` and ``y_pred`` share the batch axis, (N, ...); ``values`` returns (N,) or (N, ...),
    and ``sample_weight`` is (N,).

    Example (redes' way, per-sample values):
        >>> class AbsoluteError(Metric):
        ...     def values(self, y_true, y_pred):
        ...         return abs(y_true - y_pred)
        >>> metric = AbsoluteError("absolute_error")
        >>> metric.update_state(np.array([1.0, 2.0]), np.array([1.5, 2.0]))
        >>> metric.result()
        0.25

    Example (Keras' way, in ``compile(metrics=[BinaryTruePositives()])``):
        >>> class BinaryTruePositives(Metric):
        ...     def __init__(self, name="binary_true_positives", **kwargs):
        ...         super().__init__(name=name, **kwargs)
        ...         self.true_positives = self.add_variable(shape=(), initializer="zeros", name="tp")
        ...     def update_state(self, y_true, y_pred, sample_weight=None):
        ...         values = np.logical_and(y_true == 1, y_pred.reshape(y_true.shape) > 0.5).astype(self.dtype)
        ...         if sample_weight is not None:
        ...             values = values * sample_weight
        ...         self.true_positives.assign_add(values.sum())
        ...     def result(self):
        ...         return self.true_positives
    """

    def __init__(self, name: str | None = None, dtype=None) -> None:
        default = re.sub(r"(?<!^)(?=[A-Z])", "_", type(self).__name__).lower()
        self.name = default if name is None else check_str("name", name)
        self.dtype = backend.standardize_dtype(dtype)
        self._variables: list[tuple[MetricVariable, object]] = []  # (variable, its initializer)
        self.total = 0.0
        self.count = 0.0

    def add_variable(self, shape=(), initializer="zeros", dtype=None, aggregation: str = "sum",
                     name: str | None = None) -> MetricVariable:
        """A state array of ``shape``, set by ``initializer`` now and at every ``reset_state`` (Keras' ``add_variable``).

        ``aggregation`` ('sum', 'mean', 'only_first_replica', 'none') is how Keras combines replicas;
        kept for Keras code, it changes nothing in one process.
        """
        check_one_of("aggregation", aggregation, ("sum", "mean", "only_first_replica", "none"))
        check_str("name", name, allow_none=True)
        initializer = initializers.get(initializer)
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        dtype = backend.standardize_dtype(dtype) if dtype is not None else self.dtype
        variable = xp.asarray(initializer(shape, dtype=dtype), dtype=dtype).copy().view(MetricVariable)
        self._variables.append((variable, initializer))
        return variable

    add_weight = add_variable  # Keras' older name

    @property
    def variables(self) -> list[MetricVariable]:
        """The arrays made by ``add_variable``, in order."""
        return [variable for variable, _ in self._variables]

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
        """Start over: the running mean at 0, every ``add_variable`` array back to its initial value."""
        self.total = 0.0
        self.count = 0.0
        for variable, initializer in self._variables:
            variable[...] = initializer(variable.shape, dtype=variable.dtype)

    def __call__(self, y_true, y_pred, sample_weight=None):
        """``update_state`` (on arrays) then ``result``, as Keras' ``metric(y_true, y_pred)``."""
        self.update_state(xp.asarray(y_true), xp.asarray(y_pred), sample_weight=sample_weight)
        return self.result()

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


class MeanMetricWrapper(Metric):
    """The running mean of a function's per-sample values: ``compile(metrics=[fn])`` makes one, as Keras does.

    Args:
        fn: ``fn(y_true, y_pred, **kwargs)`` → per-sample (or per-element) values, e.g. your own NumPy function,
            or one of ``redes.metrics``' functions.
        name: default ``fn.__name__``.
        dtype: as ``Metric``.
        **kwargs: passed to ``fn`` on every call.

    Saved by the function's name: one of redes' functions, or a function in ``custom_objects`` (or
    ``get_custom_objects()``) when the model is loaded.

    Example:
        >>> def within_one(y_true, y_pred):
        ...     return np.abs(y_true - y_pred).max(axis=-1) <= 1
        >>> m = MeanMetricWrapper(within_one); m.update_state(np.array([[1.0], [5.0]]), np.array([[1.5], [2.0]]))
        >>> m.name, m.result()
        ('within_one', 0.5)
    """

    def __init__(self, fn, name: str | None = None, dtype=None, **kwargs) -> None:
        if not callable(fn):
            raise TypeError(f"`fn` must be a function fn(y_true, y_pred). Received: fn={fn!r}")
        super().__init__(name=name or getattr(fn, "__name__", None), dtype=dtype)
        self.fn = fn
        self.fn_kwargs = kwargs

    def values(self, y_true, y_pred):
        return self.fn(y_true, y_pred, **self.fn_kwargs)

    def get_config(self) -> dict:
        return {**super().get_config(), "fn": self.fn.__name__, **self.fn_kwargs}

    @classmethod
    def from_config(cls, config: dict) -> "MeanMetricWrapper":
        from .. import metrics
        from ..serialization import find_custom_object

        config = dict(config)
        name = config.pop("fn")
        fn = find_custom_object(name) or getattr(metrics, name, None)
        if not callable(fn):
            raise ValueError(f"Unknown metric function {name!r}: pass it as `custom_objects={{'{name}': {name}}}`, "
                             "or register it with redes.saving.get_custom_objects().")
        return cls(fn, **config)
