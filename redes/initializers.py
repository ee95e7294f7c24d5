"""Weight initializers with Keras names, arguments and fan computations.

For a Dense kernel ``(in, out)``: fan_in = in, fan_out = out. For a Conv2D
kernel ``(kh, kw, in, out)``: fan_in = kh·kw·in, fan_out = kh·kw·out.

    glorot_uniform  U(−l, l),  l = √(6 / (fan_in + fan_out))      (Keras' default)
    glorot_normal   truncated N(0, σ²), σ = √(2 / (fan_in + fan_out)) / 0.8796
    he_uniform      U(−l, l),  l = √(6 / fan_in)
    he_normal       truncated N(0, σ²), σ = √(2 / fan_in) / 0.8796
    zeros, ones     constants

The truncated normals redraw values beyond two standard deviations, and the
0.8796 factor (the std of a unit normal truncated at ±2) restores the variance,
as Keras' ``VarianceScaling`` does.

Randomness, as Keras 3: an initializer built with ``seed`` returns the same
values at every call; without one it draws from the global generator, which
``redes.set_random_seed`` makes repeatable. Values are drawn in the requested
dtype (float16 via float32), without a float64 intermediate.

Example:
    >>> GlorotUniform(seed=0)((784, 10)).dtype
    dtype('float32')
"""

from __future__ import annotations

import math

import numpy

from . import backend
from .backend import xp

_TRUNCATED_STD = 0.87962566103423978


def compute_fans(shape: tuple) -> tuple[int, int]:
    """Return (fan_in, fan_out) for a kernel shape, as Keras computes them."""
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive_field = math.prod(shape[:-2])
    return shape[-2] * receptive_field, shape[-1] * receptive_field


class Initializer:
    """Base class: ``initializer(shape, dtype) -> array``.

    Args:
        seed: a non-negative integer makes every call return the same values; None draws
            from the global generator (see ``redes.set_random_seed``).
    """

    def __init__(self, seed: int | None = None) -> None:
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, numpy.integer))):
            raise TypeError(f"`seed` must be an integer or None. Received: seed={seed!r}")
        if seed is not None and seed < 0:
            raise ValueError(f"`seed` must be a non-negative integer. Received: seed={seed!r}")
        self.seed = seed

    def _generator(self) -> numpy.random.Generator:
        return numpy.random.default_rng(self.seed) if self.seed is not None else backend.rng()

    def __call__(self, shape: tuple, dtype=None):
        raise NotImplementedError

    def get_config(self) -> dict:
        return {"seed": self.seed}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(seed={self.seed})"


class Zeros(Initializer):
    """All zeros."""

    def __call__(self, shape, dtype=None):
        return xp.zeros(shape, dtype=backend.standardize_dtype(dtype))

    def get_config(self) -> dict:
        return {}


class Ones(Initializer):
    """All ones."""

    def __call__(self, shape, dtype=None):
        return xp.ones(shape, dtype=backend.standardize_dtype(dtype))

    def get_config(self) -> dict:
        return {}


class _VarianceScaling(Initializer):
    """Scale 'scale / fan' where fan is fan_in or the mean of fan_in and fan_out."""

    scale = 1.0
    mode = "fan_in"
    distribution = "uniform"

    def __call__(self, shape, dtype=None):
        fan_in, fan_out = compute_fans(tuple(shape))
        fan = fan_in if self.mode == "fan_in" else (fan_in + fan_out) / 2
        variance = self.scale / max(1.0, fan)
        dtype = backend.standardize_dtype(dtype)
        draw_dtype = "float64" if dtype == "float64" else "float32"  # the generator has no float16
        generator = self._generator()
        if self.distribution == "uniform":
            limit = math.sqrt(3.0 * variance)
            values = generator.random(size=shape, dtype=draw_dtype)  # U[0, 1)
            values *= 2 * limit
            values -= limit
        else:
            values = _truncated_normal(generator, shape, draw_dtype)
            values *= math.sqrt(variance) / _TRUNCATED_STD
        return xp.asarray(values.astype(dtype, copy=False))


def _truncated_normal(generator: numpy.random.Generator, shape, dtype: str):
    """Standard normal samples with |x| <= 2, by redrawing the ones outside."""
    values = generator.standard_normal(size=shape, dtype=dtype)
    outside = numpy.abs(values) > 2
    while outside.any():
        values[outside] = generator.standard_normal(size=int(outside.sum()), dtype=dtype)
        outside = numpy.abs(values) > 2
    return values


class GlorotUniform(_VarianceScaling):
    """Glorot (Xavier) uniform: U(−l, l) with l = √(6 / (fan_in + fan_out))."""

    mode, distribution = "fan_avg", "uniform"


class GlorotNormal(_VarianceScaling):
    """Glorot (Xavier) normal: truncated N(0, 2 / (fan_in + fan_out))."""

    mode, distribution = "fan_avg", "normal"


class HeUniform(_VarianceScaling):
    """He uniform: U(−l, l) with l = √(6 / fan_in)."""

    scale, mode, distribution = 2.0, "fan_in", "uniform"


class HeNormal(_VarianceScaling):
    """He normal: truncated N(0, 2 / fan_in)."""

    scale, mode, distribution = 2.0, "fan_in", "normal"


_REGISTRY = {
    "glorot_uniform": GlorotUniform,
    "glorot_normal": GlorotNormal,
    "he_uniform": HeUniform,
    "he_normal": HeNormal,
    "zeros": Zeros,
    "ones": Ones,
}


def get(identifier) -> Initializer:
    """Return an initializer from a name ('he_normal'), an Initializer, or a callable(shape, dtype)."""
    if isinstance(identifier, Initializer):
        return identifier
    if isinstance(identifier, str):
        if identifier in _REGISTRY:
            return _REGISTRY[identifier]()
        raise ValueError(f"Unknown initializer {identifier!r}. Valid names: {', '.join(sorted(_REGISTRY))}.")
    if callable(identifier):
        return identifier
    raise TypeError(
        "An initializer must be a name such as 'glorot_uniform', an Initializer, or a callable(shape, dtype). "
        f"Received: {identifier!r}"
    )
