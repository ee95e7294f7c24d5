"""Weight initializers with Keras names, arguments and fan computations.

For a Dense kernel ``(in, out)``: fan_in = in, fan_out = out. For a Conv2D
kernel ``(kh, kw, in, out)``: fan_in = kh·kw·in, fan_out = kh·kw·out.

    glorot_uniform  U(−l, l),  l = √(6 / (fan_in + fan_out))      (Keras' default)
    glorot_normal   truncated N(0, σ²), σ = √(2 / (fan_in + fan_out)) / 0.8796
    he_uniform      U(−l, l),  l = √(6 / fan_in)
    he_normal       truncated N(0, σ²), σ = √(2 / fan_in) / 0.8796
    lecun_uniform   U(−l, l),  l = √(3 / fan_in)
    lecun_normal    truncated N(0, σ²), σ = √(1 / fan_in) / 0.8796
    zeros, ones     constants; constant(value) fills with ``value``
    random_uniform  U(minval, maxval)                  (default ±0.05)
    random_normal   N(mean, stddev²)                   (default 0, 0.05)
    truncated_normal N(mean, stddev²) redrawn beyond mean ± 2·stddev (not rescaled, as Keras)
    orthogonal      gain · Q from the QR decomposition of a normal matrix (rows or columns orthonormal)
    identity        gain · I (2-D kernels)

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

from .serialization import kind_serializers
import math

import numpy

from . import backend, serialization
from .backend import xp
from .validation import check_float, check_non_negative_int

__all__ = ["Constant", "GlorotNormal", "GlorotUniform", "HeNormal", "HeUniform", "Identity", "Initializer",
    "LecunNormal", "LecunUniform", "Ones", "Orthogonal", "RandomNormal", "RandomUniform", "TruncatedNormal",
    "Zeros", "compute_fans", "constant", "deserialize", "get", "glorot_normal", "glorot_uniform", "he_normal",
    "he_uniform", "identity", "lecun_normal", "lecun_uniform", "ones", "orthogonal", "random_normal",
    "random_uniform", "serialize", "truncated_normal", "zeros"]

_TRUNCATED_STD = 0.87962566103423978


def compute_fans(shape: tuple) -> tuple[int, int]:
    """Return (fan_in, fan_out) for a kernel shape, as Keras computes them.

    Args:
        shape: a Dense kernel (in, out), a Conv2D kernel (kh, kw, in, out), or a bias (n,).

    Example:
        >>> compute_fans((784, 10))
        (784, 10)
        >>> compute_fans((3, 3, 1, 8))
        (9, 72)
    """
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

    Shapes: ``shape`` is the weight's, e.g. a Dense kernel (in, out) or a Conv2D kernel (kh, kw, in, out);
    the result has that shape and ``dtype`` (default ``redes.floatx()``). A subclass defines ``__call__``.

    Example:
        >>> class Halves(Initializer):
        ...     def __call__(self, shape, dtype=None):
        ...         return np.full(shape, 0.5, dtype=dtype or "float32")
        >>> Halves()((2,)).tolist()
        [0.5, 0.5]
    """

    def __init__(self, seed: int | None = None) -> None:
        self.seed = check_non_negative_int("seed", seed, allow_none=True)

    def _generator(self) -> numpy.random.Generator:
        return numpy.random.default_rng(self.seed) if self.seed is not None else backend.rng()

    def __call__(self, shape: tuple, dtype=None):
        raise NotImplementedError

    def get_config(self) -> dict:
        return {"seed": self.seed}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(seed={self.seed})"


class Zeros(Initializer):
    """All zeros, in the requested shape and dtype.

    Example:
        >>> Zeros()((2,), dtype="float64")
        array([0., 0.])
    """

    def __call__(self, shape, dtype=None):
        return xp.zeros(shape, dtype=backend.standardize_dtype(dtype))

    def get_config(self) -> dict:
        return {}


class Ones(Initializer):
    """All ones, in the requested shape and dtype.

    Example:
        >>> Ones()((2,), dtype="float64")
        array([1., 1.])
    """

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
    """Glorot (Xavier) uniform: U(−l, l) with l = √(6 / (fan_in + fan_out)); Keras' default kernel initializer.

    Example:
        >>> w = GlorotUniform(seed=0)((784, 10))
        >>> w.shape, bool(np.abs(w).max() <= np.sqrt(6 / (784 + 10)))
        ((784, 10), True)
    """

    mode, distribution = "fan_avg", "uniform"


class GlorotNormal(_VarianceScaling):
    """Glorot (Xavier) normal: truncated N(0, 2 / (fan_in + fan_out)), in the shape asked for.

    Example:
        >>> round(float(GlorotNormal(seed=0)((784, 10)).std()), 2)  # √(2 / 794) ≈ 0.050
        0.05
    """

    mode, distribution = "fan_avg", "normal"


class HeUniform(_VarianceScaling):
    """He uniform: U(−l, l) with l = √(6 / fan_in), in the shape asked for.

    Example:
        >>> w = HeUniform(seed=0)((784, 128))
        >>> w.shape, bool(np.abs(w).max() <= np.sqrt(6 / 784))
        ((784, 128), True)
    """

    scale, mode, distribution = 2.0, "fan_in", "uniform"


class HeNormal(_VarianceScaling):
    """He normal: truncated N(0, 2 / fan_in), in the shape asked for.

    Example:
        >>> round(float(HeNormal(seed=0)((784, 128)).std()), 2)  # √(2 / 784) ≈ 0.051
        0.05
    """

    scale, mode, distribution = 2.0, "fan_in", "normal"



class LecunUniform(_VarianceScaling):
    """LeCun uniform: U(−l, l) with l = √(3 / fan_in), in the shape asked for.

    Example:
        >>> w = LecunUniform(seed=0)((784, 128))
        >>> w.shape, bool(np.abs(w).max() <= np.sqrt(3 / 784))
        ((784, 128), True)
    """

    scale, mode, distribution = 1.0, "fan_in", "uniform"


class LecunNormal(_VarianceScaling):
    """LeCun normal: truncated N(0, 1 / fan_in) (SELU's initializer), in the shape asked for.

    Example:
        >>> round(float(LecunNormal(seed=0)((784, 128)).std()), 2)  # √(1 / 784) ≈ 0.036
        0.04
    """

    scale, mode, distribution = 1.0, "fan_in", "normal"


def _draw_dtype(dtype) -> tuple[str, str]:
    """(the requested dtype, the dtype to draw in: the generator has no float16)."""
    dtype = backend.standardize_dtype(dtype)
    return dtype, "float64" if dtype == "float64" else "float32"


class Constant(Initializer):
    """Every value equal to ``value`` (Keras ``Constant``).

    Args:
        value: the number to fill with (default 0.0).

    Example:
        >>> Constant(0.1)((2,), dtype="float64")
        array([0.1, 0.1])
    """

    def __init__(self, value: float = 0.0) -> None:
        super().__init__()
        self.value = check_float("value", value)

    def __call__(self, shape, dtype=None):
        return xp.full(shape, self.value, dtype=backend.standardize_dtype(dtype))

    def get_config(self) -> dict:
        return {"value": self.value}

    def __repr__(self) -> str:
        return f"Constant(value={self.value})"


class RandomUniform(Initializer):
    """Uniform values in [minval, maxval) (Keras ``RandomUniform``).

    Args:
        minval, maxval: the bounds (default −0.05, 0.05); minval < maxval.
        seed: see ``Initializer``.

    Example:
        >>> w = RandomUniform(-0.1, 0.1, seed=0)((3, 4))
        >>> w.shape, bool(((-0.1 <= w) & (w < 0.1)).all())
        ((3, 4), True)
    """

    def __init__(self, minval: float = -0.05, maxval: float = 0.05, seed: int | None = None) -> None:
        super().__init__(seed)
        self.minval, self.maxval = check_float("minval", minval), check_float("maxval", maxval)
        if not self.minval < self.maxval:
            raise ValueError(f"`minval` must be less than `maxval`. Received: minval={minval!r}, maxval={maxval!r}")

    def __call__(self, shape, dtype=None):
        dtype, draw_dtype = _draw_dtype(dtype)
        values = self._generator().random(size=shape, dtype=draw_dtype)
        values *= self.maxval - self.minval
        values += self.minval
        return xp.asarray(values.astype(dtype, copy=False))

    def get_config(self) -> dict:
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


class RandomNormal(Initializer):
    """Normal values N(mean, stddev²) (Keras ``RandomNormal``).

    Args:
        mean: the mean (default 0.0). stddev: the standard deviation, > 0 (default 0.05).
        seed: see ``Initializer``.

    Example:
        >>> round(float(RandomNormal(stddev=0.05, seed=0)((10000,)).std()), 2)
        0.05
    """

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: int | None = None) -> None:
        super().__init__(seed)
        self.mean, self.stddev = check_float("mean", mean), check_float("stddev", stddev, 0.0, include_minimum=False)

    def _standard(self, generator, shape, draw_dtype):
        return generator.standard_normal(size=shape, dtype=draw_dtype)

    def __call__(self, shape, dtype=None):
        dtype, draw_dtype = _draw_dtype(dtype)
        values = self._standard(self._generator(), shape, draw_dtype)
        values *= self.stddev
        values += self.mean
        return xp.asarray(values.astype(dtype, copy=False))

    def get_config(self) -> dict:
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class TruncatedNormal(RandomNormal):
    """Normal values N(mean, stddev²), redrawn beyond two standard deviations (Keras ``TruncatedNormal``).

    As in Keras the values are not rescaled: their standard deviation is about 0.88·stddev.

    Args:
        mean: the mean (default 0.0). stddev: the standard deviation before truncation, > 0 (default 0.05).
        seed: see ``Initializer``.

    Example:
        >>> w = TruncatedNormal(stddev=0.05, seed=0)((10000,))
        >>> bool(np.abs(w).max() <= 2 * 0.05)
        True
    """

    def _standard(self, generator, shape, draw_dtype):
        return _truncated_normal(generator, shape, draw_dtype)


class Orthogonal(Initializer):
    """A (semi-)orthogonal matrix times ``gain`` (Keras ``Orthogonal``).

    The kernel is seen as a matrix (prod(shape[:-1]), shape[-1]); a normal matrix of the
    taller of that shape and its transpose is QR-decomposed and Q (with the signs of R's
    diagonal, so that it is uniformly distributed) is used, so the rows or the columns,
    whichever are fewer, are orthonormal.

    Args:
        gain: the factor applied to Q (default 1.0).
        seed: see ``Initializer``.

    Example:
        >>> w = Orthogonal(seed=0)((4, 4)); np.allclose(w.T @ w, np.eye(4), atol=1e-6)
        True
    """

    def __init__(self, gain: float = 1.0, seed: int | None = None) -> None:
        super().__init__(seed)
        self.gain = check_float("gain", gain)

    def __call__(self, shape, dtype=None):
        shape = tuple(shape)
        if len(shape) < 2:
            raise ValueError(f"The orthogonal initializer needs a shape of rank 2 or more. Received: shape={shape}")
        dtype, draw_dtype = _draw_dtype(dtype)
        rows, columns = math.prod(shape[:-1]), shape[-1]
        normal = self._generator().standard_normal(size=(max(rows, columns), min(rows, columns)), dtype=draw_dtype)
        q, r = numpy.linalg.qr(normal)
        q *= numpy.sign(numpy.diag(r))
        if rows < columns:
            q = q.T
        return xp.asarray((self.gain * q).reshape(shape).astype(dtype, copy=False))

    def get_config(self) -> dict:
        return {"gain": self.gain, "seed": self.seed}


class Identity(Initializer):
    """``gain`` times the identity matrix, for 2-D kernels (Keras ``Identity``).

    A rectangular kernel gets ones on its main diagonal, as Keras' ``eye(rows, columns)``.

    Args:
        gain: the factor on the diagonal (default 1.0).

    Example:
        >>> Identity(gain=2.0)((2, 2)).tolist()
        [[2.0, 0.0], [0.0, 2.0]]
    """

    def __init__(self, gain: float = 1.0) -> None:
        super().__init__()
        self.gain = check_float("gain", gain)

    def __call__(self, shape, dtype=None):
        shape = tuple(shape)
        if len(shape) != 2:
            raise ValueError(f"The identity initializer needs a 2-D shape (a Dense kernel). Received: shape={shape} "
                             f"of rank {len(shape)}.")
        return xp.eye(*shape, dtype=backend.standardize_dtype(dtype)) * self.gain

    def get_config(self) -> dict:
        return {"gain": self.gain}

    def __repr__(self) -> str:
        return f"Identity(gain={self.gain})"

_REGISTRY = {
    "glorot_uniform": GlorotUniform,
    "glorot_normal": GlorotNormal,
    "he_uniform": HeUniform,
    "he_normal": HeNormal,
    "zeros": Zeros,
    "ones": Ones,
    "lecun_uniform": LecunUniform,
    "lecun_normal": LecunNormal,
    "constant": Constant,
    "random_uniform": RandomUniform,
    "random_normal": RandomNormal,
    "uniform": RandomUniform,  # Keras' short names (Embedding's default is 'uniform')
    "normal": RandomNormal,
    "truncated_normal": TruncatedNormal,
    "orthogonal": Orthogonal,
    "identity": Identity,
}


# Keras' lower-case names for the same classes (keras.initializers.glorot_uniform is GlorotUniform)
zeros, ones, constant, identity, orthogonal = Zeros, Ones, Constant, Identity, Orthogonal
glorot_uniform, glorot_normal, he_uniform, he_normal = GlorotUniform, GlorotNormal, HeUniform, HeNormal
lecun_uniform, lecun_normal = LecunUniform, LecunNormal
random_uniform, random_normal, truncated_normal = RandomUniform, RandomNormal, TruncatedNormal


serialize, deserialize = kind_serializers("initializer")  # Keras' names

def get(identifier) -> Initializer:
    """Return an initializer from a name ('he_normal'), an Initializer, or a callable(shape, dtype).

    Example:
        >>> get("he_normal")
        HeNormal(seed=None)
    """
    if isinstance(identifier, Initializer):
        return identifier
    if isinstance(identifier, dict):  # a serialized initializer, from a config
        return serialization.deserialize(identifier, kind="initializer")
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
