"""Training-only noise: Dropout, SpatialDropout1D/2D, GaussianDropout, GaussianNoise.

Each is the identity in inference (``training=False``) and draws new noise on every training call, from
its own generator when given a ``seed``, else from the global one. ``backward`` applies the noise of the
last forward, so the gradient sees the same mask or factors.
"""

from __future__ import annotations

import math

from .. import backend, distributed
from ..backend import xp
from ..tensor import Tensor4D
from ..validation import check_float, check_int, normalize_data_format
from .base import Layer


class _TrainingNoise(Layer):
    """Shared mechanics: the seed and its generator, the unchanged shape, masks passing through."""

    supports_masking = True  # works element by element: a sequence's mask passes through

    def __init__(self, seed: int | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.seed = check_int("seed", seed, minimum=0, allow_none=True)
        self._generator = None if seed is None else xp.random.default_rng(self.seed)

    def _rng(self):
        """The layer's own generator if seeded, else the global one (``redes.set_random_seed``)."""
        return self._generator if self._generator is not None else backend.rng()

    def _draw(self, distribution: str, shape: tuple, dtype):
        """``self._rng().<distribution>(shape)``; in a step over several processes (``redes.distributed``),
        this rank's rows of the draw for the whole global batch, so that N ranks draw what one process does."""
        start, stop, count = distributed.batch_rows(shape[0])
        values = getattr(self._rng(), distribution)((count, *shape[1:]), dtype=dtype)
        return values if count == stop - start else values[start:stop]

    @staticmethod
    def _draw_dtype(x: Tensor4D):
        """Draws are made in float64 for float64 inputs, in float32 otherwise."""
        return xp.float64 if x.dtype == xp.float64 else xp.float32

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        """Unchanged: the output has the input's shape."""
        return tuple(input_shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "seed": self.seed}


class _MultiplicativeNoise(_TrainingNoise):
    """A layer that multiplies its input by random factors m in training: y = x ⊙ m, dL/dx = g ⊙ m."""

    _mask = None  # the factors of the last training forward; None: the identity

    def _factors(self, x: Tensor4D):
        """The factors m for input x (an array broadcastable to x.shape), or None for none (identity)."""
        raise NotImplementedError

    def forward(self, x: Tensor4D, training: bool = False) -> Tensor4D:
        self._mask = self._factors(x) if training else None
        if self._mask is None:
            return x
        self._mask = self._mask.astype(x.dtype, copy=False)
        return Tensor4D(x.data * self._mask)

    def backward(self, grad: Tensor4D) -> Tensor4D:
        if self._mask is None:
            return grad
        return Tensor4D(grad.data * self._mask)


class Dropout(_MultiplicativeNoise):
    """Sets a random fraction ``rate`` of the inputs to zero in training and scales the rest by 1/(1 − rate).

    Args:
        rate: fraction of the inputs to drop, in [0, 1).
        seed: optional non-negative integer; the layer then draws its masks from its own generator,
            ``numpy.random.default_rng(seed)``. Without it, masks come from the global generator
            (``redes.backend.rng()``, seeded by ``redes.set_random_seed``).

    Input shape / Output shape: (batch, h, w, c), unchanged.
    With ``training=False`` (or ``rate == 0``) the layer returns its input as is, with no copy.

    Equations, with u ~ U[0, 1) drawn per element and g = dL/dy:
        forward   m = [u ≥ rate] / (1 − rate),  y = x ⊙ m
        backward  dL/dx = g ⊙ m  (the same mask)

    Example:
        >>> drop = Dropout(0.5, seed=0)
        >>> drop(np.ones((1, 6), dtype="float32"), training=True)  # zeros and 2.0s
        >>> drop(np.ones((1, 6), dtype="float32"))  # inference: unchanged
    """

    def __init__(self, rate: float, seed: int | None = None, **kwargs) -> None:
        self.rate = check_float("rate", rate, 0.0, 1.0, include_maximum=False)
        super().__init__(seed, **kwargs)

    def _noise_shape(self, shape: tuple) -> tuple:
        """The shape of the mask drawn for an input of Tensor4D ``shape`` (one draw per element)."""
        return shape

    def _factors(self, x: Tensor4D):
        if self.rate == 0.0:
            return None
        mask = self._draw("random", self._noise_shape(x.shape), self._draw_dtype(x))
        xp.greater_equal(mask, self.rate, out=mask)  # 1 where kept, 0 where dropped, in place
        mask *= 1.0 / (1.0 - self.rate)
        return mask

    def get_config(self) -> dict:
        return {**super().get_config(), "rate": self.rate}


class SpatialDropout1D(Dropout):
    """Dropout of whole feature channels of a sequence: each (sample, channel) is kept or dropped at every step.

    Args:
        rate: fraction of the channels to drop, in [0, 1).
        seed: optional non-negative integer, as ``Dropout``.

    Input shape / Output shape: (batch, steps, channels), unchanged. Identity with ``training=False``.
    Equations, with u ~ U[0, 1) drawn per (sample, channel) and g = dL/dy:
        forward   m = [u ≥ rate] / (1 − rate),  y[b, t, c] = x[b, t, c] · m[b, c]
        backward  dL/dx[b, t, c] = g[b, t, c] · m[b, c]

    Example:
        >>> SpatialDropout1D(0.5, seed=0)(np.ones((2, 4, 3)), training=True)  # whole columns zero or 2.0
    """

    _rank = 1  # the rank of (steps, channels) less one: the axes the mask is shared over

    def build(self, input_shape: tuple) -> None:
        if len(input_shape) != self._rank + 1:
            raise ValueError(f"{type(self).__name__} '{self.name}' needs inputs with {self._rank + 1} feature "
                             f"axes. Received shape {(None,) + tuple(input_shape)}.")

    def _noise_shape(self, shape: tuple) -> tuple:
        return (shape[0], 1, 1, shape[3])  # one draw per (sample, channel), shared over steps or pixels


class SpatialDropout2D(SpatialDropout1D):
    """Dropout of whole feature maps of an image: each (sample, channel) is kept or dropped at every pixel.

    Args:
        rate: fraction of the channels to drop, in [0, 1).
        data_format: "channels_last" or None (redes is channels last).
        seed: optional non-negative integer, as ``Dropout``.

    Input shape / Output shape: (batch, h, w, channels), unchanged. Identity with ``training=False``.
    Equations, with u ~ U[0, 1) drawn per (sample, channel) and g = dL/dy:
        forward   m = [u ≥ rate] / (1 − rate),  y[b, i, j, c] = x[b, i, j, c] · m[b, c]
        backward  dL/dx[b, i, j, c] = g[b, i, j, c] · m[b, c]

    Example:
        >>> SpatialDropout2D(0.5, seed=0)(np.ones((2, 4, 4, 3)), training=True)  # whole maps zero or 2.0
    """

    _rank = 2

    def __init__(self, rate: float, data_format: str | None = None, seed: int | None = None, **kwargs) -> None:
        super().__init__(rate, seed, **kwargs)
        self.data_format = normalize_data_format(data_format)

    def get_config(self) -> dict:
        return {**super().get_config(), "data_format": self.data_format}


class GaussianDropout(_MultiplicativeNoise):
    """Multiplies the inputs by noise of mean 1 and variance rate/(1 − rate) in training (Keras' Gaussian dropout).

    Args:
        rate: the drop probability whose variance the noise matches, in [0, 1).
        seed: optional non-negative integer, as ``Dropout``.

    Input shape / Output shape: unchanged. Identity with ``training=False`` or ``rate == 0``.
    Equations, with n ~ N(0, 1) drawn per element, σ = √(rate / (1 − rate)) and g = dL/dy:
        forward   m = 1 + σ·n,  y = x ⊙ m
        backward  dL/dx = g ⊙ m  (the same noise)

    Example:
        >>> GaussianDropout(0.2, seed=0)(np.ones((1, 4)), training=True)  # values around 1
    """

    def __init__(self, rate: float, seed: int | None = None, **kwargs) -> None:
        self.rate = check_float("rate", rate, 0.0, 1.0, include_maximum=False)
        super().__init__(seed, **kwargs)

    def _factors(self, x: Tensor4D):
        if self.rate == 0.0:
            return None
        factors = self._draw("standard_normal", x.shape, self._draw_dtype(x))
        factors *= math.sqrt(self.rate / (1.0 - self.rate))
        factors += 1.0
        return factors

    def get_config(self) -> dict:
        return {**super().get_config(), "rate": self.rate}


class GaussianNoise(_TrainingNoise):
    """Adds zero-mean Gaussian noise of standard deviation ``stddev`` to the inputs in training.

    Args:
        stddev: the noise's standard deviation, in [0, 1] (Keras' range).
        seed: optional non-negative integer, as ``Dropout``.

    Input shape / Output shape: unchanged. Identity with ``training=False`` or ``stddev == 0``.
    Equations, with n ~ N(0, 1) drawn per element and g = dL/dy:
        forward   y = x + stddev · n
        backward  dL/dx = g  (the noise does not depend on x)

    Example:
        >>> GaussianNoise(0.1, seed=0)(np.zeros((1, 4)), training=True)  # small values around 0
    """

    def __init__(self, stddev: float, seed: int | None = None, **kwargs) -> None:
        self.stddev = check_float("stddev", stddev, 0.0, 1.0)
        super().__init__(seed, **kwargs)

    def forward(self, x: Tensor4D, training: bool = False) -> Tensor4D:
        if not training or self.stddev == 0.0:
            return x
        noise = self._draw("standard_normal", x.shape, self._draw_dtype(x))
        noise *= self.stddev
        return Tensor4D(x.data + noise.astype(x.dtype, copy=False))

    def backward(self, grad: Tensor4D) -> Tensor4D:
        return grad

    def get_config(self) -> dict:
        return {**super().get_config(), "stddev": self.stddev}
