"""1-D zero padding, cropping and upsampling over sequences (batch, steps, C): rank-1 subclasses of ``base``."""

from __future__ import annotations

from .base import _Cropping, _UpSampling, _ZeroPadding


class ZeroPadding1D(_ZeroPadding):
    """Zeros added at the start and end of each sequence, as Keras' ZeroPadding1D.

    Args:
        padding: an integer p (p steps before and after) or a tuple (before, after) (default 1).
        data_format: 'channels_last' or None (redes computes channels last only).

    Input shape: (batch, steps, C); as a Tensor4D (batch, 1, steps, C).
    Output shape: (batch, before + steps + after, C).

    Equations: y[:, before + t] = x[:, t], zero elsewhere;  dL/dx[:, t] = dL/dy[:, before + t].

    Example:
        >>> ZeroPadding1D((1, 2))(np.ones((2, 5, 3), dtype="float32")).shape
        (2, 8, 3)
    """

    def __init__(self, padding=1, data_format=None, **kwargs) -> None:
        super().__init__(1, padding, data_format, **kwargs)

    def get_config(self) -> dict:
        return {**super().get_config(), "data_format": self.data_format}


class Cropping1D(_Cropping):
    """Steps removed at the start and end of each sequence, as Keras' Cropping1D.

    Args:
        cropping: an integer c or a tuple (before, after) (default (1, 1)).

    Input shape: (batch, steps, C); as a Tensor4D (batch, 1, steps, C).
    Output shape: (batch, steps − before − after, C).

    Equations: y[:, t] = x[:, before + t];  dL/dx[:, before + t] = dL/dy[:, t], zero on the cropped steps.

    Example:
        >>> Cropping1D((1, 2))(np.ones((2, 5, 3), dtype="float32")).shape
        (2, 2, 3)
    """

    def __init__(self, cropping=(1, 1), **kwargs) -> None:
        super().__init__(1, cropping, **kwargs)


class UpSampling1D(_UpSampling):
    """Each step repeated ``size`` times, as Keras' UpSampling1D.

    Args:
        size: the upsampling factor s, an integer (default 2).

    Input shape: (batch, steps, C); as a Tensor4D (batch, 1, steps, C).
    Output shape: (batch, steps·s, C).

    Equations: y[:, t] = x[:, ⌊t / s⌋];  dL/dx[:, i] = Σ_{t = i·s}^{i·s + s − 1} dL/dy[:, t].

    Example:
        >>> UpSampling1D(3)(np.ones((2, 5, 4), dtype="float32")).shape
        (2, 15, 4)
    """

    def __init__(self, size=2, **kwargs) -> None:
        super().__init__(1, size, **kwargs)
