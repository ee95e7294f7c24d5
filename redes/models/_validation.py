"""Checks that the model API runs on its inputs before any work starts."""

from __future__ import annotations

from ..backend import xp
from ..layers.base import padded_shape


def as_array(value, name: str):
    """Return ``value`` as a non-empty numeric ndarray with a batch axis and finite values, or raise."""
    if value is None:
        raise ValueError(f"`{name}` is required. Received: {name}=None")
    array = xp.asarray(value)
    kind = array.dtype.kind
    if kind in "OUSVc" or kind == "M" or kind == "m":
        raise TypeError(
            f"`{name}` must hold real numbers (float, int, uint or bool). Received dtype {array.dtype}."
        )
    if array.ndim == 0:
        raise ValueError(f"`{name}` must have a batch axis: shape (batch, ...). Received a scalar.")
    if array.shape[0] == 0:
        raise ValueError(f"`{name}` is empty: shape {array.shape}. Expected at least one sample.")
    if kind == "f" and not xp.isfinite(array).all():
        count = int((~xp.isfinite(array)).sum())
        raise ValueError(f"`{name}` contains {count} NaN or infinite values. Clean or impute them first.")
    return array


def check_input_shape(x, input_shape: tuple | None, name: str = "x") -> None:
    """Raise unless ``x`` is (batch, *input_shape), up to leading axes of size 1."""
    if not 2 <= x.ndim <= 4:
        raise ValueError(
            f"`{name}` must have shape (batch, features), (batch, height, width) or (batch, height, width, "
            f"channels). Received shape {x.shape}."
        )
    if input_shape is not None and padded_shape(x.shape[1:]) != padded_shape(input_shape):
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


def check_positive_int(name: str, value, allow_none: bool = False):
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"`{name}` must be a positive integer. Received: {name}={value!r}")
    return value


def check_non_negative_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"`{name}` must be a non-negative integer. Received: {name}={value!r}")
    return value
