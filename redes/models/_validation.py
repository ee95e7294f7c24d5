"""Checks that the model API runs on its inputs before any work starts, and ``Samples``, what they return
for a model of several inputs or outputs."""

from __future__ import annotations

from ..backend import xp
from ..layers.base import same_shape
from ..validation import check_float, check_type


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


def split_validation(x, y, validation_split: float, validation_data, check_data):
    """(x_train, y_train, (x_val, y_val) or None): the *last* samples held out, as views, or checked data."""
    if validation_data is not None:
        check_type("validation_data", validation_data, (tuple, list), "a tuple (x_val, y_val)")
        if len(validation_data) != 2:
            raise ValueError(f"`validation_data` must be a tuple (x_val, y_val). Received {len(validation_data)} items.")
        return x, y, check_data(*validation_data, x_name="x_val", y_name="y_val")
    validation_split = check_float("validation_split", validation_split, 0.0, 1.0, include_maximum=False)
    if validation_split == 0:
        return x, y, None
    split = int(len(x) * (1 - validation_split))
    if split == 0 or split == len(x):
        raise ValueError(
            f"`validation_split={validation_split}` leaves no samples for training or validation out of {len(x)}."
        )
    return x[:split], y[:split], (x[split:], y[split:])
