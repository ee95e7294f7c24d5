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
    """Base class: ``initializer(shape, dtype) -> array``."""

    def __init__(self, seed: int | None = None) -> None:
        self.seed = seed
        self._rng = numpy.random.default_rng(seed) if seed is not None else None

    def _generator(self) -> numpy.random.Generator:
        return self._rng if self._rng is not None else backend.rng()

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
        generator = self._generator()
        if self.distribution == "uniform":
            limit = math.sqrt(3.0 * variance)
            values = generator.uniform(-limit, limit, size=shape)
        else:
            std = math.sqrt(variance) / _TRUNCATED_STD
            values = _truncated_normal(generator, shape, std)
        return xp.asarray(values, dtype=backend.standardize_dtype(dtype))


def _truncated_normal(generator: numpy.random.Generator, shape, std: float):
    """Normal samples with |x| <= 2·std, by redrawing the ones outside."""
    values = generator.standard_normal(size=shape)
    outside = numpy.abs(values) > 2
    while outside.any():
        values[outside] = generator.standard_normal(size=int(outside.sum()))
        outside = numpy.abs(values) > 2
    return values * std


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
