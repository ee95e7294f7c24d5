"""Keras' losses as functions: ``losses.mean_squared_error(y_true, y_pred)`` and the others.

Each returns the per-sample losses (y_pred's shape without its last axis), unreduced, as Keras'
functions do, from the class of the same loss (``Loss.call``); given to ``compile(loss=...)`` a
function stands for its class with the default arguments, so the model trains with that class's
hand-written gradient.

Example:
    >>> mean_squared_error(np.array([[0.0, 2.0]]), np.array([[1.0, 1.0]]))
    array([1.])
    >>> model.compile(optimizer="adam", loss=losses.sparse_categorical_crossentropy)
"""

from __future__ import annotations

from .. import ops
from ..autodiff import GradientTape
from ..autodiff.tape import paused, seen
from ..autodiff.traced import detach
from ..backend import xp
from .base import Loss
from .hinge import CategoricalHinge, Hinge, SquaredHinge
from .probabilistic import (BinaryCrossentropy, CategoricalCrossentropy, KLDivergence, Poisson,
                            SparseCategoricalCrossentropy)
from .regression import (CosineSimilarity, Huber, LogCosh, MeanAbsoluteError, MeanAbsolutePercentageError,
                         MeanSquaredError, MeanSquaredLogarithmicError)


def _last_axis(axis: int) -> None:
    if axis != -1:
        raise ValueError(f"redes' losses reduce the last axis (the classes or features). Received: axis={axis!r}")


def mean_squared_error(y_true, y_pred):
    """mean((y_pred − y_true)²) over the last axis, per sample (``MeanSquaredError``).

    Example:
        >>> mean_squared_error(np.array([[1.0, 3.0]]), np.array([[0.0, 1.0]]))
        array([2.5])
    """
    return MeanSquaredError().call(y_true, y_pred)


def mean_absolute_error(y_true, y_pred):
    """mean(|y_pred − y_true|) over the last axis, per sample (``MeanAbsoluteError``).

    Example:
        >>> mean_absolute_error(np.array([[1.0, 3.0]]), np.array([[0.0, 1.0]]))
        array([1.5])
    """
    return MeanAbsoluteError().call(y_true, y_pred)


def mean_squared_logarithmic_error(y_true, y_pred):
    """mean((log(1 + y_pred) − log(1 + y_true))²) over the last axis, per sample (``MeanSquaredLogarithmicError``).

    Example:
        >>> mean_squared_logarithmic_error(np.array([[0.0]]), np.array([[np.e - 1]])).round(4)
        array([1.])
    """
    return MeanSquaredLogarithmicError().call(y_true, y_pred)


def huber(y_true, y_pred, delta: float = 1.0):
    """The Huber loss (quadratic within ``delta``, linear beyond), per sample (``Huber``).

    Example:
        >>> huber(np.array([[0.0, 0.0]]), np.array([[0.5, 3.0]]))
        array([1.3125])
    """
    return Huber(delta=delta).call(y_true, y_pred)


def log_cosh(y_true, y_pred):
    """mean(log(cosh(y_pred − y_true))) over the last axis, per sample (``LogCosh``).

    Example:
        >>> log_cosh(np.array([[0.0]]), np.array([[0.0]]))
        array([0.])
    """
    return LogCosh().call(y_true, y_pred)


def kl_divergence(y_true, y_pred):
    """Σ y_true·log(y_true / y_pred) over the last axis, per sample, both clipped to [1e-7, 1] (``KLDivergence``).

    Example:
        >>> kl_divergence(np.array([[0.5, 0.5]]), np.array([[0.5, 0.5]]))
        array([0.])
    """
    return KLDivergence().call(y_true, y_pred)


def categorical_hinge(y_true, y_pred):
    """max(0, 1 + best other score − the target's score), per sample (``CategoricalHinge``).

    Example:
        >>> categorical_hinge(np.array([[0.0, 1.0]]), np.array([[0.2, 0.8]]))
        array([0.4])
    """
    return CategoricalHinge().call(y_true, y_pred)


def binary_crossentropy(y_true, y_pred, from_logits: bool = False, label_smoothing: float = 0.0, axis: int = -1):
    """−mean(t·log p + (1 − t)·log(1 − p)) over the last axis, per sample (``BinaryCrossentropy``).

    Example:
        >>> binary_crossentropy(np.array([[1.0]]), np.array([[0.5]])).round(4)
        array([0.6931])
    """
    _last_axis(axis)
    return BinaryCrossentropy(from_logits=from_logits, label_smoothing=label_smoothing).call(y_true, y_pred)


def categorical_crossentropy(y_true, y_pred, from_logits: bool = False, label_smoothing: float = 0.0,
                             axis: int = -1):
    """−Σ t·log p over the last axis (the classes), per sample (``CategoricalCrossentropy``).

    Example:
        >>> categorical_crossentropy(np.array([[0.0, 1.0]]), np.array([[0.5, 0.5]])).round(4)
        array([0.6931])
    """
    _last_axis(axis)
    return CategoricalCrossentropy(from_logits=from_logits, label_smoothing=label_smoothing).call(y_true, y_pred)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits: bool = False, ignore_class=None, axis: int = -1):
    """−log p[label] per sample, the labels integers (``SparseCategoricalCrossentropy``).

    Example:
        >>> sparse_categorical_crossentropy(np.array([1]), np.array([[0.5, 0.5]])).round(4)
        array([0.6931])
    """
    _last_axis(axis)
    if ignore_class is not None:
        raise ValueError("`ignore_class` is not supported: mask the ignored steps instead (Masking, "
                         f"Embedding(mask_zero=True)) or give them a sample weight of 0. Received: ignore_class={ignore_class!r}")
    return SparseCategoricalCrossentropy(from_logits=from_logits).call(y_true, y_pred)


def mean_absolute_percentage_error(y_true, y_pred):
    """100 × mean(|p − t| / max(|t|, 1e-7)) over the last axis, per sample (``MeanAbsolutePercentageError``).

    Example:
        >>> mean_absolute_percentage_error(np.array([[2.0, 4.0]]), np.array([[1.0, 5.0]]))
        array([37.5])
    """
    return MeanAbsolutePercentageError().call(y_true, y_pred)


def cosine_similarity(y_true, y_pred, axis: int = -1):
    """−cos(t, p) along the last axis, per sample (``CosineSimilarity``).

    Example:
        >>> cosine_similarity(np.array([[0.0, 1.0]]), np.array([[0.0, 3.0]]))
        array([-1.])
    """
    _last_axis(axis)
    return CosineSimilarity().call(y_true, y_pred)


def hinge(y_true, y_pred):
    """mean(max(0, 1 − t·p)) over the last axis, per sample; 0/1 targets count as −1/1 (``Hinge``).

    Example:
        >>> hinge(np.array([[1.0, 0.0]]), np.array([[0.5, -2.0]]))
        array([0.25])
    """
    return Hinge().call(y_true, y_pred)


def squared_hinge(y_true, y_pred):
    """mean(max(0, 1 − t·p)²) over the last axis, per sample (``SquaredHinge``).

    Example:
        >>> squared_hinge(np.array([[1.0, 0.0]]), np.array([[0.5, 0.0]]))
        array([0.625])
    """
    return SquaredHinge().call(y_true, y_pred)


def poisson(y_true, y_pred):
    """mean(p − t·log(p + 1e-7)) over the last axis, per sample (``Poisson``).

    Example:
        >>> poisson(np.array([[1.0]]), np.array([[1.0]])).round(6)
        array([1.])
    """
    return Poisson().call(y_true, y_pred)


# the class each function stands for in compile(loss=...), with its default arguments
FUNCTION_CLASSES: dict = {
    mean_squared_error: MeanSquaredError, mean_absolute_error: MeanAbsoluteError,
    mean_squared_logarithmic_error: MeanSquaredLogarithmicError, huber: Huber, log_cosh: LogCosh,
    kl_divergence: KLDivergence, categorical_hinge: CategoricalHinge, binary_crossentropy: BinaryCrossentropy,
    categorical_crossentropy: CategoricalCrossentropy, sparse_categorical_crossentropy: SparseCategoricalCrossentropy,
    mean_absolute_percentage_error: MeanAbsolutePercentageError, cosine_similarity: CosineSimilarity, hinge: Hinge,
    squared_hinge: SquaredHinge, poisson: Poisson,
}


class LossFunctionWrapper(Loss):
    """A loss from your function ``fn(y_true, y_pred)`` → per-sample losses, written with ``redes.ops``; its
    gradient comes from a GradientTape (Keras' ``LossFunctionWrapper``, what ``compile(loss=fn)`` makes).

    Args:
        fn: the function; ``y_true`` reaches it as given (labels stay labels), ``y_pred`` as the model's output.
        name: default ``fn.__name__``.
        **kwargs: passed to ``fn`` on every call.

    Equations: L = mean over the batch of fn(t, p) (Keras' sum_over_batch_size), dL/dp by the tape's reverse pass.
    Saved by the function's name: pass it in ``custom_objects`` (or ``get_custom_objects()``) to load a model.

    Example:
        >>> def squared(y_true, y_pred):
        ...     return ops.mean(ops.square(y_pred - y_true), axis=-1)
        >>> model.compile(optimizer="adam", loss=squared)
    """

    def __init__(self, fn, name: str | None = None, **kwargs) -> None:
        if not callable(fn):
            raise TypeError(f"`fn` must be a function fn(y_true, y_pred). Received: fn={fn!r}")
        super().__init__(name=name or getattr(fn, "__name__", None))
        self.fn, self.fn_kwargs = fn, kwargs

    def _check_target_shape(self, y_true, y_pred_shape: tuple) -> None:
        """Any targets with the batch axis: the function decides what it takes (as Keras)."""

    def _convert_targets(self, y_true, y_pred):
        return y_true

    def _values(self, y_true, y_pred):
        return xp.asarray(detach(self.fn(y_true, y_pred, **self.fn_kwargs)))

    def _gradient(self, y_true, y_pred):
        own = GradientTape()
        with paused(), own:
            own.watch(y_pred)
            loss = ops.mean(self.fn(y_true, seen(y_pred), **self.fn_kwargs))
        grad = own.gradient(loss, y_pred)
        return xp.zeros_like(y_pred) if grad is None else detach(grad)

    def get_config(self) -> dict:
        return {"name": self.name, "fn": self.fn.__name__, **self.fn_kwargs}

    @classmethod
    def from_config(cls, config: dict) -> "LossFunctionWrapper":
        from ..serialization import find_custom_object

        config = dict(config)
        name = config.pop("fn")
        fn = find_custom_object(name)
        if not callable(fn):
            raise ValueError(f"Unknown loss function {name!r}: pass it as `custom_objects={{'{name}': {name}}}`, "
                             "or register it with redes.saving.get_custom_objects().")
        return cls(fn, **config)


def loss_of_function(function) -> Loss:
    """The Loss a function given to ``compile`` stands for: one of these functions' classes (its hand-written
    gradient), or a ``LossFunctionWrapper`` of your function (its gradient from a GradientTape)."""
    cls = FUNCTION_CLASSES.get(function)
    return LossFunctionWrapper(function) if cls is None else cls()
