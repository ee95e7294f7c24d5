"""Preprocessing layers without trainable weights: Rescaling (a fixed affine map) and Normalization (a feature-wise
standardization with statistics given or learned by ``adapt``), as Keras'."""

from __future__ import annotations

from collections.abc import Iterable
from numbers import Integral

import numpy as np

from ..backend import xp
from ..tensor import Tensor4D
from ..validation import check_bool, check_float
from .base import Layer, padded_shape

_KERAS_EPSILON = 1e-7  # Keras' backend.epsilon(): the floor of the standard deviation


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


def _normalization_axes(axis) -> tuple:
    """``axis`` as Keras keeps it: None -> (), an int -> (axis,), a list or tuple -> a tuple of ints."""
    if axis is None:
        return ()
    values = (axis,) if isinstance(axis, Integral) and not isinstance(axis, bool) else axis
    if not isinstance(values, (tuple, list)) or any(isinstance(a, bool) or not isinstance(a, Integral)
                                                    for a in values):
        raise TypeError(f"`axis` must be an integer, a tuple of integers or None. Received: axis={axis!r}")
    return tuple(int(a) for a in values)


class Normalization(Layer):
    """Standardizes each feature with a mean and a variance, given or computed from data by ``adapt``, as Keras.

    Args:
        axis: the axes of the natural input (batch, *features) that keep their own statistics: an int (default
            −1, one mean and variance per feature of the last axis), a tuple of ints, or None (one scalar mean
            and variance). The statistics are taken over every other axis. The batch axis (0) cannot be kept.
        mean, variance: the statistics, given (a number or an array broadcast to the kept axes, their trailing
            axes aligned); both or neither. Not given, they are weights computed by ``adapt``.
        invert: if True, undo the normalization: y = mean + x · std.

    ``adapt(data)``: data is an array (batch, *features) or an iterable of such batches (a tuple (x, y) taken
    as its x); the mean and the biased variance over the non-kept axes, combined batch by batch as Keras does.

    Input shape / Output shape: (batch, *features), unchanged.
    Weights (when ``mean`` is not given), non-trainable, in Keras order: mean, variance, of the kept axes'
    shape (zeros and ones before ``adapt``). Keras' third, an integer ``count`` that it never updates, is left out.
    Equations, with std = max(√variance, 1e-7) (Keras' ``backend.epsilon()``) and g = dL/dy:
        forward   y = (x − mean) / std;            invert: y = mean + x · std
        backward  dL/dx = g / std;                 invert: dL/dx = g · std

    Example:
        >>> layer = Normalization()
        >>> layer.adapt(np.array([[0.0, 10.0], [2.0, 30.0]]))
        >>> layer(np.array([[1.0, 20.0]])).tolist()
        [[0.0, 0.0]]
    """

    supports_masking = True  # works element by element: a sequence's mask passes through

    def __init__(self, axis=-1, mean=None, variance=None, invert: bool = False, **kwargs) -> None:
        super().__init__(**kwargs)
        self.axis = _normalization_axes(axis)
        self.invert = check_bool("invert", invert)
        if (mean is None) != (variance is None):
            raise ValueError("`mean` and `variance` must be given together, or neither. "
                             f"Received: mean={mean!r}, variance={variance!r}")
        self.input_mean = None if mean is None else np.asarray(mean, dtype="float64")
        self.input_variance = None if variance is None else np.asarray(variance, dtype="float64")
        if mean is not None:
            if self.input_mean.shape != self.input_variance.shape:
                raise ValueError(f"`mean` and `variance` must have the same shape. Received: mean of shape "
                                 f"{self.input_mean.shape}, variance of shape {self.input_variance.shape}")
            if self.input_mean.ndim > len(self.axis):
                raise ValueError(f"`mean` must have at most as many axes as `axis` ({len(self.axis)}). "
                                 f"Received: mean of shape {self.input_mean.shape} for axis={self.axis}")
            if (self.input_variance < 0).any():
                raise ValueError(f"`variance` must be non-negative. Received: variance={variance!r}")

    def build(self, input_shape: tuple) -> None:
        ndim = len(input_shape) + 1
        if any(not -ndim <= a < ndim for a in self.axis):
            raise ValueError(f"`axis` must hold axes in [-{ndim}, {ndim}) for inputs of rank {ndim}. "
                             f"Received: axis={self.axis}")
        self._keep = tuple(sorted(a % ndim for a in self.axis))
        if 0 in self._keep:
            raise ValueError(f"`axis` cannot keep the batch axis 0. Received: axis={self.axis}")
        self._build_shape = tuple(input_shape)
        kept = tuple(input_shape[a - 1] for a in self._keep)
        # the statistics broadcast against the Tensor4D (N, *padded features)
        natural = tuple(input_shape[d - 1] if d in self._keep else 1 for d in range(1, ndim))
        self._broadcast = (1, *padded_shape(natural))
        if self.input_mean is None:
            self.add_weight(shape=kept, initializer="zeros", trainable=False, name="mean")
            self.add_weight(shape=kept, initializer="ones", trainable=False, name="variance")
            return
        expanded = [1] * (ndim - 1)  # the given statistics' trailing axes on the last kept axes
        for axis, size in zip(self._keep[::-1], self.input_mean.shape[::-1]):
            expanded[axis - 1] = size
        self._given = [xp.broadcast_to(s.reshape(expanded), natural).astype(self.dtype)
                       for s in (self.input_mean, self.input_variance)]

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return tuple(input_shape)

    def _statistics(self):
        """(mean, std) shaped to broadcast against the Tensor4D data."""
        mean, variance = self._given if self.input_mean is not None else (self.mean, self.variance)
        std = xp.maximum(xp.sqrt(variance), xp.asarray(_KERAS_EPSILON, dtype=self.dtype))
        return mean.reshape(self._broadcast), std.reshape(self._broadcast)

    def forward(self, x: Tensor4D, training: bool = False) -> Tensor4D:
        mean, self._std = self._statistics()
        return Tensor4D(mean + x.data * self._std if self.invert else (x.data - mean) / self._std)

    def backward(self, grad: Tensor4D) -> Tensor4D:
        return Tensor4D(grad.data * self._std if self.invert else grad.data / self._std)

    def adapt(self, data) -> None:
        """Set the mean and variance weights from ``data``: an array (batch, *features), or an iterable of batches.

        Example:
            >>> layer = Normalization(axis=None); layer.adapt(np.arange(4.0).reshape(2, 2))
            >>> float(layer.mean), float(layer.variance)
            (1.5, 1.25)
        """
        if self.input_mean is not None:
            raise ValueError("adapt() needs a Normalization without a given `mean` and `variance`.")
        if isinstance(data, np.ndarray) or not isinstance(data, Iterable):
            batches = iter([data])
        else:
            batches = iter(data)
        total_mean = total_var = None
        count = 0
        for batch in batches:
            batch = np.asarray(batch[0] if isinstance(batch, tuple) else batch, dtype="float64")
            if batch.ndim < 2:
                raise ValueError(f"adapt() needs batches of rank >= 2 (batch, *features). Received a batch of "
                                 f"shape {batch.shape}")
            if not self.built:
                self.build_for(batch.shape[1:])
            elif any(batch.shape[a] != self._build_shape[a - 1] for a in self._keep):
                raise ValueError(f"The layer was built for inputs of shape {self._build_shape}; adapt() received "
                                 f"a batch of shape {batch.shape} that differs on a kept axis {self._keep}.")
            reduce = tuple(d for d in range(batch.ndim) if d not in self._keep)
            mean, var = batch.mean(axis=reduce), batch.var(axis=reduce)
            size = int(np.prod([batch.shape[d] for d in reduce]))
            if total_mean is None:
                total_mean, total_var, count = mean, var, size
                continue
            count += size  # Keras' pairwise combination of the running and the batch statistics
            weight = size / count
            new_mean = total_mean * (1 - weight) + mean * weight
            total_var = ((total_var + (total_mean - new_mean) ** 2) * (1 - weight)
                         + (var + (mean - new_mean) ** 2) * weight)
            total_mean = new_mean
        if total_mean is None:
            raise ValueError("adapt() received no batches: pass an array or a non-empty iterable of arrays.")
        self.set_weights([total_mean, total_var])

    def get_config(self) -> dict:
        as_list = (lambda a: None if a is None else a.tolist())
        return {**super().get_config(), "axis": self.axis, "invert": self.invert,
                "mean": as_list(self.input_mean), "variance": as_list(self.input_variance)}
