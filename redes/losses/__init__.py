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

from ..serialization import kind_serializers
from .base import Loss
from .functions import (LossFunctionWrapper, binary_crossentropy, categorical_crossentropy, categorical_hinge,
                        cosine_similarity, hinge, huber, kl_divergence, log_cosh, loss_of_function,
                        mean_absolute_error, mean_absolute_percentage_error, mean_squared_error,
                        mean_squared_logarithmic_error, poisson, sparse_categorical_crossentropy, squared_hinge)
from .hinge import CategoricalHinge, Hinge, SquaredHinge
from .probabilistic import (BinaryCrossentropy, CategoricalCrossentropy, KLDivergence, Poisson,
                            SparseCategoricalCrossentropy)
from .regression import (CosineSimilarity, Huber, LogCosh, MeanAbsoluteError, MeanAbsolutePercentageError,
                         MeanSquaredError, MeanSquaredLogarithmicError, RootMeanSquaredError)

__all__ = ["BinaryCrossentropy", "CategoricalCrossentropy", "CategoricalHinge", "CosineSimilarity", "Hinge",
    "Huber", "KLDivergence", "LogCosh", "Loss", "LossFunctionWrapper", "MeanAbsoluteError",
    "MeanAbsolutePercentageError", "MeanSquaredError", "MeanSquaredLogarithmicError", "Poisson",
    "RootMeanSquaredError", "SparseCategoricalCrossentropy", "SquaredHinge", "binary_crossentropy",
    "categorical_crossentropy", "categorical_hinge", "cosine_similarity", "deserialize", "get", "hinge", "huber",
    "kl_divergence", "log_cosh", "mean_absolute_error", "mean_absolute_percentage_error", "mean_squared_error",
    "mean_squared_logarithmic_error", "poisson", "serialize", "sparse_categorical_crossentropy", "squared_hinge"]

_REGISTRY = {
    cls.default_name: cls
    for cls in (MeanSquaredError, MeanAbsoluteError, BinaryCrossentropy, CategoricalCrossentropy,
                SparseCategoricalCrossentropy, MeanSquaredLogarithmicError, RootMeanSquaredError, Huber, LogCosh,
                KLDivergence, CategoricalHinge, Hinge, SquaredHinge, Poisson, MeanAbsolutePercentageError,
                CosineSimilarity)
}
_ALIASES = {"mse": "mean_squared_error", "mae": "mean_absolute_error", "msle": "mean_squared_logarithmic_error",
            "rmse": "root_mean_squared_error", "huber": "huber_loss", "logcosh": "log_cosh", "kld": "kl_divergence",
            "kullback_leibler_divergence": "kl_divergence", "mape": "mean_absolute_percentage_error"}


serialize, deserialize = kind_serializers("loss")  # Keras' names

def get(identifier) -> Loss:
    """Return a loss from its Keras name ('mse', 'sparse_categorical_crossentropy', ...), a Loss, or one of
    the loss functions (``losses.mean_squared_error``: its class with the default arguments).

    Example:
        >>> get("mse")
        MeanSquaredError(name='mean_squared_error')
        >>> get(mean_absolute_error)
        MeanAbsoluteError(name='mean_absolute_error')
    """
    if isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, str):
        name = _ALIASES.get(identifier, identifier)
        if name in _REGISTRY:
            return _REGISTRY[name]()
        valid = sorted(set(_REGISTRY) | set(_ALIASES))
        raise ValueError(f"Unknown loss {identifier!r}. Valid names: {', '.join(valid)}.")
    if callable(identifier) and not isinstance(identifier, type):
        return loss_of_function(identifier)
    raise TypeError(
        "`loss` must be a name such as 'mse', a Loss instance or a loss function. "
        f"Received: loss={identifier!r} of type {type(identifier).__name__}"
    )
