"""Dropout: inverted dropout, active only in training."""

from __future__ import annotations

import numbers

from .. import backend
from ..backend import xp
from ..tensor import Tensor4D
from .base import Layer


class Dropout(Layer):
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

    supports_masking = True  # works step by step: a sequence's mask passes through

    def __init__(self, rate: float, seed: int | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        if isinstance(rate, bool) or not isinstance(rate, numbers.Real):
            raise TypeError(f"`rate` must be a number in [0, 1). Received: rate={rate!r}")
        if not 0.0 <= rate < 1.0:
            raise ValueError(f"`rate` must be a number in [0, 1). Received: rate={rate!r}")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)):
            raise TypeError(f"`seed` must be None or a non-negative integer. Received: seed={seed!r}")
        if seed is not None and seed < 0:
            raise ValueError(f"`seed` must be None or a non-negative integer. Received: seed={seed!r}")
        self.rate = float(rate)
        self.seed = None if seed is None else int(seed)
        self._generator = None if seed is None else xp.random.default_rng(self.seed)
        self._mask = None

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        """Unchanged: the output has the input's shape."""
        return tuple(input_shape)

    def forward(self, x: Tensor4D, training: bool = False) -> Tensor4D:
        if not training or self.rate == 0.0:
            self._mask = None
            return x
        generator = self._generator if self._generator is not None else backend.rng()
        uniform_dtype = xp.float64 if x.dtype == xp.float64 else xp.float32
        mask = generator.random(x.shape, dtype=uniform_dtype)
        xp.greater_equal(mask, self.rate, out=mask)  # 1 where kept, 0 where dropped, in place
        mask *= 1.0 / (1.0 - self.rate)
        self._mask = mask.astype(x.dtype, copy=False)
        return Tensor4D(x.data * self._mask)

    def backward(self, grad: Tensor4D) -> Tensor4D:
        if self._mask is None:
            return grad
        return Tensor4D(grad.data * self._mask)

    def get_config(self) -> dict:
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}
