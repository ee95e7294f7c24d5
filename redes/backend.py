"""The array module and default float type, kept in one place.

Every layer, loss and optimizer does its math through ``xp`` (NumPy today).
A GPU backend such as CuPy, whose API mirrors NumPy's, can slot in here
without touching the layers' math.
"""

from __future__ import annotations

import numpy

xp = numpy

_FLOATX = "float32"
_VALID_FLOATX = ("float16", "float32", "float64")
_rng = numpy.random.default_rng()


def floatx() -> str:
    """Return the default float type of new weights and inputs ('float32').

    Example:
        >>> floatx()
        'float32'
    """
    return _FLOATX


def set_floatx(dtype: str) -> None:
    """Set the default float type: 'float16', 'float32' or 'float64'.

    Layers built afterwards create their weights in it, and inputs are cast to it.

    Example:
        >>> set_floatx("float64"); floatx()
        'float64'
        >>> set_floatx("float32")
    """
    global _FLOATX
    name = numpy.dtype(dtype).name if isinstance(dtype, (str, type, numpy.dtype)) else str(dtype)
    if name not in _VALID_FLOATX:
        raise ValueError(f"`dtype` must be one of {_VALID_FLOATX}. Received: dtype={dtype!r}")
    _FLOATX = name


def standardize_dtype(dtype) -> str:
    """Return the name of a float dtype (None means ``floatx()``), or raise."""
    if dtype is None:
        return _FLOATX
    try:
        name = numpy.dtype(dtype).name
    except TypeError as error:
        raise TypeError(f"`dtype` must be a float type such as 'float32'. Received: dtype={dtype!r}") from error
    if name not in _VALID_FLOATX:
        raise ValueError(f"`dtype` must be one of {_VALID_FLOATX}. Received: dtype={dtype!r}")
    return name


def rng() -> numpy.random.Generator:
    """The global random generator used where no seed is given."""
    return _rng


def set_random_seed(seed: int) -> None:
    """Seed the global generator: initializers, shuffling and dropout become repeatable.

    Example:
        >>> from redes import initializers
        >>> set_random_seed(0); a = initializers.HeNormal()((3, 2))
        >>> set_random_seed(0); b = initializers.HeNormal()((3, 2))
        >>> bool((a == b).all())
        True
    """
    global _rng
    _rng = numpy.random.default_rng(seed)
