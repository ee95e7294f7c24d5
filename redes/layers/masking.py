"""Masking: marks the padded steps of a sequence, as Keras' Masking."""

from __future__ import annotations

from ..tensor import Tensor4D
from ..validation import check_float
from .base import Layer


class Masking(Layer):
    """Masks the steps whose features all equal ``mask_value`` (padding), and sets them to zero.

    Args:
        mask_value: the value that fills a padded step (default 0.0).

    Input shape / Output shape: (batch, steps, features), unchanged; the output carries the mask
    (batch, steps), True where a step holds data. The recurrent layers after it keep their state over
    masked steps, GlobalAveragePooling1D leaves them out, and a loss on the sequence ignores them.

    Equations, with m[n, t] = [some feature of x[n, t] ≠ mask_value] and g = dL/dy:
        forward   y[n, t, :] = m[n, t] · x[n, t, :]
        backward  dL/dx[n, t, :] = m[n, t] · g[n, t, :]

    Example:
        >>> x = np.array([[[1.0, 2.0], [0.0, 0.0], [3.0, 0.0]]], dtype="float32")
        >>> Masking().forward(Tensor4D.from_natural(x)).mask
        array([[ True, False,  True]])
    """

    supports_masking = True

    def __init__(self, mask_value: float = 0.0, **kwargs) -> None:
        super().__init__(**kwargs)
        self.mask_value = check_float("mask_value", mask_value)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        """Unchanged: the output has the input's shape."""
        return tuple(input_shape)

    def forward(self, x: Tensor4D, training: bool = False) -> Tensor4D:
        batch, _, steps, features = x.shape
        sequence = x.data.reshape(batch, steps, features)
        mask = (sequence != self.mask_value).any(axis=-1)  # (batch, steps)
        self._keep = mask[:, None, :, None].astype(x.dtype)  # broadcast over the Tensor4D layout
        return Tensor4D(x.data * self._keep, mask=mask)

    def backward(self, grad: Tensor4D) -> Tensor4D:
        return Tensor4D(grad.data * self._keep)

    def get_config(self) -> dict:
        return {**super().get_config(), "mask_value": self.mask_value}
