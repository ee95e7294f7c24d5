"""Rescaling: an affine change of the input's scale, as Keras' preprocessing layer."""

from __future__ import annotations

from ..backend import xp
from ..tensor import Tensor4D
from ..validation import check_float
from .base import Layer


class Rescaling(Layer):
    """Multiplies the inputs by ``scale`` and adds ``offset`` (e.g. pixels in [0, 255] to [0, 1]); no weights.

    Args:
        scale: the factor, a number (``1 / 255`` maps [0, 255] to [0, 1]; ``1 / 127.5`` with
            ``offset=-1`` maps it to [−1, 1]).
        offset: the number added after scaling; default 0.

    Input shape / Output shape: (batch, *features), unchanged.
    Equations: forward y = x · scale + offset (both cast to the layer's dtype first, as Keras);
               backward dL/dx = dL/dy · scale.

    Example:
        >>> Rescaling(1 / 255)(np.full((1, 2), 255.0)).tolist()
        [[1.0, 1.0]]
    """

    supports_masking = True  # works element by element: a sequence's mask passes through

    def __init__(self, scale: float, offset: float = 0.0, **kwargs) -> None:
        super().__init__(**kwargs)
        self.scale = check_float("scale", scale)
        self.offset = check_float("offset", offset)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return tuple(input_shape)

    def forward(self, x: Tensor4D, training: bool = False) -> Tensor4D:
        y = x.data * xp.asarray(self.scale, dtype=x.dtype)
        y += xp.asarray(self.offset, dtype=x.dtype)
        return Tensor4D(y)

    def backward(self, grad: Tensor4D) -> Tensor4D:
        return Tensor4D(grad.data * xp.asarray(self.scale, dtype=grad.dtype))

    def get_config(self) -> dict:
        return {**super().get_config(), "scale": self.scale, "offset": self.offset}
