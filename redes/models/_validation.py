"""Checks that the model API runs on its inputs before any work starts, and ``Samples``, what they return
for a model of several inputs or outputs."""

from __future__ import annotations

from ..backend import xp
from ..layers.base import same_shape
from ..validation import check_float, check_type
from .batches import ArrayBatches, is_batch_source


class Samples:
    """Several arrays with one sample axis, indexed together: the x (or y) of several inputs (or outputs).

    Example:
        >>> y = Samples([np.zeros((4, 2)), np.arange(4)])
        >>> len(y), [a.shape for a in y[1:3].arrays]
        (4, [(2, 2), (2,)])
    """

    __slots__ = ("arrays",)

    def __init__(self, arrays: list) -> None:
        self.arrays = list(arrays)

    def __len__(self) -> int:
        return len(self.arrays[0])

    def __getitem__(self, index) -> "Samples":
        return Samples([array[index] for array in self.arrays])


def per_endpoint(name: str, value, names: list[str], kind: str) -> list:
    """``value`` for several inputs (or outputs): a list in order or a dict keyed by layer name."""
    if isinstance(value, dict):
        if sorted(value) != sorted(names):
            raise ValueError(f"`{name}` must be keyed by the {kind} names {names}. Received keys {list(value)}.")
        return [value[key] for key in names]
    if not isinstance(value, (list, tuple)) or len(value) != len(names):
        count = len(value) if isinstance(value, (list, tuple)) else "not a list"
        raise ValueError(f"`{name}` must be a list with one array per {kind} ({len(names)}: {names}), or a dict "
                         f"keyed by their names. Received: {count}.")
    return list(value)


def as_array(value, name: str, dtype: str | None = None):
    """Return ``value`` as a non-empty numeric ndarray with a batch axis and finite values, or raise.

    With ``dtype`` (the model's), float values must also stay finite once cast to it (1e300 overflows float32).
    The checks read the data twice (min and max) and never copy it.
    """
    if value is None:
        raise ValueError(f"`{name}` is required. Received: {name}=None")
    try:
        array = xp.asarray(value)
    except ValueError as error:
        raise ValueError(f"`{name}` must be a rectangular array: every sample with the same shape ({error})") from None
    kind = array.dtype.kind
    if kind in "OUSVcMm":
        raise TypeError(
            f"`{name}` must hold real numbers (float, int, uint or bool). Received dtype {array.dtype}."
        )
    if array.ndim == 0:
        raise ValueError(f"`{name}` must have a batch axis: shape (batch, ...). Received a scalar.")
    if array.size == 0:
        raise ValueError(f"`{name}` is empty: shape {array.shape}. Expected at least one sample.")
    if kind == "f":
        low, high = float(array.min()), float(array.max())
        if not (xp.isfinite(low) and xp.isfinite(high)):
            count = int((~xp.isfinite(array)).sum())
            raise ValueError(f"`{name}` contains {count} NaN or infinite values. Clean or impute them first.")
        limit = float(xp.finfo(dtype).max) if dtype is not None else float("inf")
        if max(-low, high) > limit:
            raise ValueError(f"`{name}` holds values up to {max(-low, high):g}, beyond the largest {dtype} "
                             f"({limit:g}) that the model computes in. Rescale the data.")
    return array


def check_input_shape(x, input_shape: tuple | None, name: str = "x") -> None:
    """Raise unless ``x`` is (batch, *input_shape), up to leading axes of size 1."""
    if not 2 <= x.ndim <= 4:
        raise ValueError(
            f"`{name}` must have shape (batch, features), (batch, height, width) or (batch, height, width, "
            f"channels). Received shape {x.shape}."
        )
    if input_shape is not None and not same_shape(x.shape[1:], input_shape):
        raise ValueError(
            f"The model expects input of shape {(None,) + tuple(input_shape)}. "
            f"Received `{name}` of shape {x.shape}."
        )


def check_same_length(x, y, x_name: str = "x", y_name: str = "y") -> None:
    if len(x) != len(y):
        raise ValueError(
            f"`{x_name}` and `{y_name}` must have the same number of samples. "
            f"Received {len(x)} and {len(y)}."
        )


def check_sample_weight(sample_weight, count: int, output_shapes: list, name: str = "sample_weight"):
    """``sample_weight`` as a float array of shape (count,) or (count, steps), or raise.

    One weight per sample, or (sequence outputs) one per sample and step: the shape must start the shape of
    the per-sample loss values, (count, *output_shape[:-1]), of every output; (count, 1) counts as (count,).
    """
    weights = as_array(sample_weight, name)
    if weights.ndim == 2 and weights.shape[1] == 1:
        weights = weights[:, 0]
    if len(weights) != count:
        raise ValueError(f"`{name}` must hold one weight per sample: {count}. Received shape {weights.shape}.")
    for shape in output_shapes:
        steps = tuple(shape[:-1])
        if weights.ndim - 1 > len(steps) or not same_shape(weights.shape[1:], steps[:weights.ndim - 1]):
            raise ValueError(f"`{name}` must have shape ({count},) or, for an output of shape {tuple(shape)}, "
                             f"({count}, *{steps}). Received shape {weights.shape}.")
    return weights.astype(xp.float32, copy=False) if weights.dtype.kind != "f" else weights


def class_weight_to_sample_weights(y, class_weight, output_shape: tuple):
    """Per-sample weights from a {class index: weight} dict, as Keras' ``class_weight_to_sample_weights``.

    The class of a sample is its label (y of shape (N,) or (N, 1)) or the argmax of its one-hot target;
    classes missing from the dict weigh 1. Keys must be integers in [0, classes), classes being the
    output's last axis (2 for a single sigmoid unit); values must be numbers.
    """
    check_type("class_weight", class_weight, dict, "a dict {class index: weight}")
    classes = output_shape[-1] if output_shape and output_shape[-1] not in (None, 1) else 2
    for key, value in class_weight.items():
        if isinstance(key, bool) or not isinstance(key, (int, xp.integer)):
            raise TypeError(f"`class_weight` keys must be integer class indices. Received the key {key!r} "
                            f"of type {type(key).__name__}.")
        if not 0 <= key < classes:
            raise ValueError(f"`class_weight` keys must be class indices in [0, {classes}) for an output with "
                             f"{classes} classes. Received the key {key!r}.")
        if isinstance(value, bool) or not isinstance(value, (int, float, xp.number)):
            raise TypeError(f"`class_weight` values must be numbers. Received {value!r} for class {key!r}.")
    y = xp.asarray(y)
    labels = xp.argmax(y, axis=-1) if y.ndim > 1 and y.shape[-1] != 1 else y.reshape(len(y), -1)[:, 0]
    table = xp.ones(classes, dtype=xp.float32)
    for key, value in class_weight.items():
        table[int(key)] = value
    labels = xp.rint(labels).astype(xp.intp)
    return xp.where((labels >= 0) & (labels < classes), table[xp.clip(labels, 0, classes - 1)], xp.float32(1))


def unpack_validation_data(validation_data) -> tuple:
    """(x_val, y_val, sample_weight_val) from fit's ``validation_data``: a tuple (x_val, y_val[, sample_weight_val]),
    or a PyDataset or generator of batches (then y and the weights are in its batches)."""
    if is_batch_source(validation_data):
        return validation_data, None, None
    check_type("validation_data", validation_data, (tuple, list), "a tuple (x_val, y_val), a PyDataset or a generator")
    if len(validation_data) not in (2, 3):
        raise ValueError("`validation_data` must be a tuple (x_val, y_val) or (x_val, y_val, sample_weight_val). "
                         f"Received {len(validation_data)} items.")
    return tuple(validation_data) + (None,) * (3 - len(validation_data))


def split_validation(batches, validation_split: float) -> tuple | None:
    """(training data, validation data), tuples of arrays (x, y[, sample_weight]): the *last*
    ``validation_split`` of the samples of ``batches`` (ArrayBatches) held out, as views, as Keras does;
    None when ``validation_split`` is 0."""
    validation_split = check_float("validation_split", validation_split, 0.0, 1.0, include_maximum=False)
    if validation_split == 0:
        return None
    if not isinstance(batches, ArrayBatches):
        raise ValueError("Argument `validation_split` is only supported for tensors or NumPy arrays. Found "
                         f"incompatible type in the input: [{type(batches.source).__name__}]. Pass `validation_data`.")
    data = batches.data
    count = len(data[0])
    split = int(count * (1 - validation_split))
    if split == 0 or split == count:
        raise ValueError(
            f"`validation_split={validation_split}` leaves no samples for training or validation out of {count}."
        )
    return (tuple(None if a is None else a[:split] for a in data),
            tuple(None if a is None else a[split:] for a in data))
