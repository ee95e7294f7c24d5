"""Argument checks shared by every constructor: first the type, then the value.

Each check returns the value, converted (integers as ``int``, numbers as ``float``, options
lower-cased where Keras ignores their case), or raises:

    TypeError    the type is wrong: a str where a number is expected, a bool where an integer is
    ValueError   the value is wrong: negative, out of range, not finite, not one of the options

The message names the argument, says what it must be and echoes the value received:
"`units` must be a positive integer. Received: units='3'".

Example:
    >>> check_positive_int("units", 3)
    3
    >>> check_positive_int("units", "3")
    Traceback (most recent call last):
        ...
    TypeError: `units` must be a positive integer. Received: units='3'
"""

from __future__ import annotations

import math
import os
from numbers import Integral, Real

__all__ = [
    "check_bool", "check_float", "check_int", "check_int_sequence", "check_non_negative_int", "check_one_of", "check_path",
    "check_positive_int", "check_str", "check_stride_or_dilation", "check_type", "normalize_data_format", "normalize_padding", "normalize_tuple",
]


def _fail(error: type, name: str, expected: str, value, allow_none: bool = False):
    """``error`` with the house message: "`name` must be expected[ or None]. Received: name=value"."""
    return error(f"`{name}` must be {expected}{' or None' if allow_none else ''}. Received: {name}={value!r}")


def check_type(name: str, value, types, expected: str | None = None):
    """``value`` if it is an instance of ``types``; otherwise a TypeError naming ``expected``.

    ``expected`` describes the type in the message (default: "an instance of" the class names).

    Example:
        >>> check_type("schedule", 0.1, (int, float), "a number")
        0.1
        >>> check_type("layers", 3, list)
        Traceback (most recent call last):
            ...
        TypeError: `layers` must be an instance of list. Received: layers=3
    """
    if not isinstance(value, types):
        classes = types if isinstance(types, tuple) else (types,)
        raise _fail(TypeError, name, expected or f"an instance of {' or '.join(c.__name__ for c in classes)}", value)
    return value


def check_bool(name: str, value) -> bool:
    """``value`` if it is True or False; anything else (0, 1, 'yes', None) is a TypeError.

    Example:
        >>> check_bool("shuffle", True)
        True
        >>> check_bool("shuffle", 1)
        Traceback (most recent call last):
            ...
        TypeError: `shuffle` must be True or False. Received: shuffle=1
    """
    return check_type(name, value, bool, "True or False")


def _describe_range(kind: str, minimum, maximum, include_minimum: bool, include_maximum: bool) -> str:
    """'a positive integer', 'a number in [0, 1)', 'an integer >= 2', ... for the messages."""
    article = "an" if kind[0] in "aeiou" else "a"
    if maximum is None and minimum == 0:
        return f"{'a positive' if not include_minimum else 'a non-negative'} {kind}"
    if maximum is None and minimum == 1 and kind == "integer":
        return "a positive integer"
    if minimum is None and maximum is None:
        return f"a finite {kind}" if kind == "number" else f"{article} {kind}"
    if maximum is None:
        return f"{article} {kind} {'>=' if include_minimum else '>'} {minimum:g}"
    if minimum is None:
        return f"{article} {kind} {'<=' if include_maximum else '<'} {maximum:g}"
    left, right = "[" if include_minimum else "(", "]" if include_maximum else ")"
    return f"{article} {kind} in {left}{minimum:g}, {maximum:g}{right}"


def check_int(name: str, value, minimum: int | None = None, maximum: int | None = None,
              allow_none: bool = False) -> int | None:
    """``value`` as an int in [minimum, maximum] (either bound optional); None passes with ``allow_none``.

    A bool, a float (even 3.0) or a str is a TypeError; NumPy integers are accepted.

    Example:
        >>> check_int("verbose", 2, minimum=0, maximum=2)
        2
        >>> check_int("verbose", 3, minimum=0, maximum=2)
        Traceback (most recent call last):
            ...
        ValueError: `verbose` must be an integer in [0, 2]. Received: verbose=3
    """
    if value is None and allow_none:
        return None
    expected = _describe_range("integer", minimum, maximum, True, True)
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise _fail(TypeError, name, expected, value, allow_none)
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise _fail(ValueError, name, expected, value, allow_none)
    return int(value)


def check_positive_int(name: str, value, allow_none: bool = False) -> int | None:
    """``value`` as an int >= 1: a TypeError for a non-integer, a ValueError for 0 or less.

    Example:
        >>> check_positive_int("batch_size", None, allow_none=True) is None
        True
        >>> check_positive_int("batch_size", 0)
        Traceback (most recent call last):
            ...
        ValueError: `batch_size` must be a positive integer. Received: batch_size=0
    """
    return check_int(name, value, minimum=1, allow_none=allow_none)


def check_non_negative_int(name: str, value, allow_none: bool = False) -> int | None:
    """``value`` as an int >= 0: a TypeError for a non-integer, a ValueError below 0.

    Example:
        >>> check_non_negative_int("epochs", 0)
        0
        >>> check_non_negative_int("epochs", 1.5)
        Traceback (most recent call last):
            ...
        TypeError: `epochs` must be a non-negative integer. Received: epochs=1.5
    """
    return check_int(name, value, minimum=0, allow_none=allow_none)


def check_int_sequence(name: str, value, minimum: int | None = None, min_length: int = 0) -> list[int]:
    """``value`` (a list or tuple) as a list of ints, each >= ``minimum``, with at least ``min_length`` of them.

    Another container (a str, a set, a number) or an entry that is not an integer (a float, a bool, a
    str) is a TypeError; too few entries, or one below ``minimum``, a ValueError. The message echoes
    the whole sequence. NumPy integers are accepted.

    Example:
        >>> check_int_sequence("layer_sizes", (784, 10), minimum=1, min_length=2)
        [784, 10]
        >>> check_int_sequence("layer_sizes", [784, 0], minimum=1, min_length=2)
        Traceback (most recent call last):
            ...
        ValueError: `layer_sizes` must be a list of at least 2 positive integers. Received: layer_sizes=[784, 0]
    """
    entries = {None: "integers", 0: "non-negative integers", 1: "positive integers"}.get(minimum,
                                                                                      f"integers >= {minimum}")
    expected = f"a list of {f'at least {min_length} ' if min_length else ''}{entries}"
    if not isinstance(value, (list, tuple)) or any(isinstance(entry, bool) or not isinstance(entry, Integral)
                                                   for entry in value):
        raise _fail(TypeError, name, expected, value)
    if len(value) < min_length or (minimum is not None and any(entry < minimum for entry in value)):
        raise _fail(ValueError, name, expected, value)
    return [int(entry) for entry in value]


def check_float(name: str, value, minimum: float | None = None, maximum: float | None = None, *,
                include_minimum: bool = True, include_maximum: bool = True, allow_none: bool = False) -> float | None:
    """``value`` as a finite float within the bounds (each optional, inclusive unless told otherwise).

    Any real number passes the type check (int, float, NumPy scalars) except a bool; NaN and
    infinities are ValueErrors. None passes with ``allow_none``.

    Example:
        >>> check_float("beta_1", 0.9, 0.0, 1.0, include_maximum=False)
        0.9
        >>> check_float("beta_1", "x", 0.0, 1.0, include_maximum=False)
        Traceback (most recent call last):
            ...
        TypeError: `beta_1` must be a number in [0, 1). Received: beta_1='x'
        >>> check_float("delta", -1, 0.0, include_minimum=False)
        Traceback (most recent call last):
            ...
        ValueError: `delta` must be a positive number. Received: delta=-1
    """
    if value is None and allow_none:
        return None
    expected = _describe_range("number", minimum, maximum, include_minimum, include_maximum)
    if isinstance(value, bool) or not isinstance(value, Real):
        raise _fail(TypeError, name, expected, value, allow_none)
    number = float(value)
    below = minimum is not None and (number < minimum if include_minimum else number <= minimum)
    above = maximum is not None and (number > maximum if include_maximum else number >= maximum)
    if not math.isfinite(number) or below or above:
        raise _fail(ValueError, name, expected, value, allow_none)
    return number


def check_str(name: str, value, allow_none: bool = False) -> str | None:
    """``value`` if it is a non-empty string: a TypeError for another type, a ValueError for ''.

    Example:
        >>> check_str("monitor", "val_loss")
        'val_loss'
        >>> check_str("name", "")
        Traceback (most recent call last):
            ...
        ValueError: `name` must be a non-empty string. Received: name=''
    """
    if value is None and allow_none:
        return None
    if not isinstance(value, str):
        raise _fail(TypeError, name, "a non-empty string", value, allow_none)
    if not value:
        raise _fail(ValueError, name, "a non-empty string", value, allow_none)
    return value


def check_path(name: str, value) -> str:
    """``value`` (a str or an ``os.PathLike``) as a non-empty str path.

    Example:
        >>> import pathlib
        >>> check_path("filepath", pathlib.Path("logs") / "run.csv")
        'logs/run.csv'
    """
    if not isinstance(value, (str, os.PathLike)):
        raise _fail(TypeError, name, "a non-empty path", value)
    path = os.fspath(value)
    if not path:
        raise _fail(ValueError, name, "a non-empty path", value)
    return path


def check_one_of(name: str, value, choices: tuple, ignore_case: bool = False):
    """``value`` if it is one of ``choices`` (lower-cased first with ``ignore_case``, as Keras' padding).

    A value of another type than the choices (a number where names are expected) is a TypeError;
    a name that is not among them a ValueError. ``choices`` may include None.

    Example:
        >>> check_one_of("mode", "max", ("auto", "min", "max"))
        'max'
        >>> check_one_of("mode", "maximum", ("auto", "min", "max"))
        Traceback (most recent call last):
            ...
        ValueError: `mode` must be one of 'auto', 'min', 'max'. Received: mode='maximum'
    """
    key = value.lower() if ignore_case and isinstance(value, str) else value
    if any(key is choice or (type(key) is type(choice) and key == choice) for choice in choices):
        return key
    types = tuple({type(choice) for choice in choices if choice is not None})
    error = ValueError if isinstance(value, types) else TypeError
    raise _fail(error, name, f"one of {', '.join(map(repr, choices))}", value)


def normalize_tuple(name: str, value, length: int = 2, allow_zero: bool = False) -> tuple:
    """An int n as (n,) * length, or a tuple/list of ``length`` ints; every entry a positive integer
    (or non-negative, with ``allow_zero``).

    Another type (a float, a str) is a TypeError; a sequence of another length, or an entry
    below 1, a ValueError.

    Example:
        >>> normalize_tuple("kernel_size", 3, 2)
        (3, 3)
        >>> normalize_tuple("strides", [2, 1], 2)
        (2, 1)
        >>> normalize_tuple("pool_size", (2, 2, 2), 2)
        Traceback (most recent call last):
            ...
        ValueError: `pool_size` must be an integer or a tuple of 2 integers. Received: pool_size=(2, 2, 2)
    """
    if isinstance(value, Integral) and not isinstance(value, bool):
        values = (value,) * length
    elif isinstance(value, (tuple, list)):
        values = value
    else:
        raise _fail(TypeError, name, f"an integer or a tuple of {length} integers", value)
    if len(values) != length:
        raise _fail(ValueError, name, f"an integer or a tuple of {length} integers", value)
    check = check_non_negative_int if allow_zero else check_positive_int
    return tuple(check(name, entry) for entry in values)


def normalize_padding(padding, allowed: tuple = ("valid", "same")) -> str:
    """``padding`` lower-cased, if it is one of ``allowed`` (Keras ignores its case).

    Example:
        >>> normalize_padding("SAME")
        'same'
        >>> normalize_padding(1)
        Traceback (most recent call last):
            ...
        TypeError: `padding` must be one of 'valid', 'same'. Received: padding=1
    """
    return check_one_of("padding", padding, allowed, ignore_case=True)


def normalize_data_format(data_format) -> str:
    """'channels_last' for None or 'channels_last' (any case): redes computes in NHWC only.

    Example:
        >>> normalize_data_format(None)
        'channels_last'
        >>> normalize_data_format("channels_first")
        Traceback (most recent call last):
            ...
        ValueError: `data_format` must be 'channels_last' or None (redes is channels last). Received: data_format='channels_first'
    """
    if data_format is None:
        return "channels_last"
    if not isinstance(data_format, str):
        raise _fail(TypeError, "data_format", "'channels_last'", data_format, allow_none=True)
    if data_format.lower() != "channels_last":
        raise _fail(ValueError, "data_format", "'channels_last' or None (redes is channels last)", data_format)
    return "channels_last"


def check_stride_or_dilation(strides: tuple, dilation_rate: tuple) -> None:
    """Raise a ValueError naming both when a stride above 1 meets a dilation above 1 (as Keras and TensorFlow).

    Example:
        >>> check_stride_or_dilation((2, 2), (1, 1))
        >>> check_stride_or_dilation((2, 1), (1, 2))
        Traceback (most recent call last):
            ...
        ValueError: `strides` above 1 and `dilation_rate` above 1 cannot be combined. Received: strides=(2, 1), dilation_rate=(1, 2)
    """
    if max(strides) > 1 and max(dilation_rate) > 1:
        raise ValueError(f"`strides` above 1 and `dilation_rate` above 1 cannot be combined. "
                         f"Received: strides={strides}, dilation_rate={dilation_rate}")
