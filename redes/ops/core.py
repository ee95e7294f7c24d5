"""Core ops, as ``keras.ops``: cast, convert_to_tensor, convert_to_numpy, shape, stop_gradient."""

from __future__ import annotations

import numpy as np

from ..autodiff import tape
from ..autodiff.traced import detach
from ._define import op


def _cast_vjp(g, y, x, dtype):
    return [cast(g, np.asarray(x).dtype) if np.asarray(x).dtype.kind == "f" else None]


@op(_cast_vjp, method="cast")
def cast(x, dtype):
    """``x`` as ``dtype``. Gradient: dL/dy cast back to x's dtype (none to an integer x, nor from an integer y).

    Example:
        >>> cast(np.array([1.5]), "float32").dtype
        dtype('float32')
    """
    return np.asarray(x).astype(dtype)


def convert_to_tensor(x, dtype=None, sparse=None, ragged=None):
    """``x`` as a NumPy array of ``dtype`` (redes' tensors are arrays); a change of dtype is a ``cast``.

    Under a recording GradientTape, an array the tape watches comes back as a Traced view of it, so that
    Python's operators on the result are recorded too (``x * x`` on the plain watched array would not be:
    NumPy never calls redes for it). Outside a tape, an array of that dtype is returned as it is.

    Example:
        >>> convert_to_tensor([1, 2], dtype="float32")
        array([1., 2.], dtype=float32)
    """
    if sparse or ragged:
        raise ValueError(f"redes arrays are dense. Received: sparse={sparse!r}, ragged={ragged!r}")
    if isinstance(x, np.ndarray) and (dtype is None or np.dtype(dtype) == x.dtype):
        return tape.seen(x) if tape.RECORDING else x
    return np.asarray(x) if dtype is None else cast(x, dtype)


def convert_to_numpy(x) -> np.ndarray:
    """``x`` as a plain NumPy array: no longer traced, as a TensorFlow tensor made NumPy leaves the tape.

    Example:
        >>> convert_to_numpy([1.0, 2.0])
        array([1., 2.])
    """
    return np.asarray(detach(x))


def shape(x) -> tuple:
    """The shape of ``x`` as a tuple of ints.

    Example:
        >>> shape(np.zeros((2, 3)))
        (2, 3)
    """
    return tuple(np.shape(x))


def stop_gradient(variable):
    """The value of ``variable`` with no gradient flowing back through it (a plain array).

    Example:
        >>> stop_gradient(np.array([1.0]))
        array([1.])
    """
    return np.asarray(detach(variable))
