"""Special functions NumPy lacks."""

from __future__ import annotations

import math

from .backend import xp

_erf_scalar = xp.frompyfunc(math.erf, 1, 1)


def erf(x):
    """The error function, element-wise, in the dtype of ``x``."""
    return _erf_scalar(x).astype(x.dtype)
