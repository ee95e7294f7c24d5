"""Metrics: running results over the batches of an epoch, with Keras names, arguments and results.

One concept per file, as Keras 3's ``keras/src/metrics/``: ``base`` (Metric, Mean: the running
weighted mean Σ w·v / Σ w, kept in float64), ``accuracy`` ((Sparse)Categorical, Binary and the
shape-driven AutoAccuracy), ``regression`` (MSE, MAE, RMSE), ``top_k`` ((Sparse)TopKCategoricalAccuracy),
``classification`` (Precision, Recall, F1Score from per-class counts), ``confusion_matrix``, and
``metrics_utils`` (the reductions and checks they share). A model resets its metrics at the start of
each epoch and logs ``{metric.name: metric.result()}``; ``get('accuracy', loss)`` picks the accuracy
that fits the loss, as Keras does. Every class is imported from here (``redes.metrics.Precision``),
and configs name this package as the module, so saved files do not depend on the file layout.
"""

from __future__ import annotations

from ..serialization import kind_serializers
from .. import losses
from ..losses import (binary_crossentropy, categorical_crossentropy, categorical_hinge, hinge, huber, kl_divergence,
                      log_cosh, mean_absolute_error, mean_absolute_percentage_error, mean_squared_error,
                      mean_squared_logarithmic_error, poisson, sparse_categorical_crossentropy, squared_hinge)
from .accuracy import AutoAccuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy
from .base import Mean, MeanMetricWrapper, Metric, MetricVariable
from .classification import F1Score, Precision, Recall
from .confusion_matrix import ConfusionMatrix
from .functions import (binary_accuracy, categorical_accuracy, sparse_categorical_accuracy,
                        sparse_top_k_categorical_accuracy, top_k_categorical_accuracy)
from .regression import MeanAbsoluteError, MeanSquaredError, RootMeanSquaredError
from .top_k import SparseTopKCategoricalAccuracy, TopKCategoricalAccuracy

__all__ = ["AutoAccuracy", "BinaryAccuracy", "CategoricalAccuracy", "ConfusionMatrix", "F1Score", "Mean",
    "MeanAbsoluteError", "MeanMetricWrapper", "MeanSquaredError", "Metric", "MetricVariable", "Precision",
    "Recall", "RootMeanSquaredError", "SparseCategoricalAccuracy", "SparseTopKCategoricalAccuracy",
    "TopKCategoricalAccuracy", "binary_accuracy", "binary_crossentropy", "categorical_accuracy",
    "categorical_crossentropy", "categorical_hinge", "deserialize", "get", "hinge", "huber", "kl_divergence",
    "log_cosh", "mean_absolute_error", "mean_absolute_percentage_error", "mean_squared_error",
    "mean_squared_logarithmic_error", "poisson", "serialize", "sparse_categorical_accuracy",
    "sparse_categorical_crossentropy", "sparse_top_k_categorical_accuracy", "squared_hinge",
    "top_k_categorical_accuracy"]

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


serialize, deserialize = kind_serializers("metric")  # Keras' names

def get(identifier, loss=None) -> Metric:
    """Return a metric from a name, a Metric, or a function ``fn(y_true, y_pred)`` of per-sample values
    (wrapped in a ``MeanMetricWrapper`` named after it, as Keras); a name's metric is named as given.

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
    if callable(identifier) and not isinstance(identifier, type):
        return MeanMetricWrapper(identifier)
    raise TypeError(
        "A metric must be a name such as 'accuracy', a Metric instance or a function fn(y_true, y_pred). "
        f"Received: {identifier!r} of type {type(identifier).__name__}"
    )
