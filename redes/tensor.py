"""Tensor4D: the NHWC container that every layer receives and returns."""

from __future__ import annotations

from typing import NamedTuple, Sequence

from .backend import xp


class Logits(NamedTuple):
    """The pre-activation ``z`` of an output ``y = activation(z)``, carried with ``y`` (Keras keeps it too).

    A loss that expects the probabilities this activation makes (a cross-entropy after a softmax or a
    sigmoid) starts from ``values`` instead of ``y``: the loss and its gradient dL/dz = (p − y) / N stay
    finite where p saturates. See ``Layer.activate``.

    Args:
        values: z, an array of the output's shape.
        activation: the name of the activation that made the output from z, e.g. 'softmax'.

    Example:
        >>> z = np.zeros((1, 1, 1, 2))
        >>> Tensor4D(z + 0.5, logits=Logits(z, "softmax")).logits.activation
        'softmax'
    """

    values: object
    activation: str


class Tensor4D:
    """A zero-copy view of a C-contiguous 4-D array in NHWC layout.

    Layout: ``(batch, height, width, channels)``. Flat features are stored as
    ``(batch, 1, 1, features)``; a sequence of vectors as ``(batch, 1, steps, features)``.
    Wrapping and unwrapping are O(1): ``np.asarray(t)`` shares memory with ``t``.

    An output made by an activation may carry its pre-activation as ``logits`` (a :class:`Logits`);
    every other tensor has ``logits=None``. A sequence may carry a ``mask``, a boolean array
    (batch, steps), True where a step holds data and False where it is padding (Keras' mask: made
    by ``Embedding(mask_zero=True)`` or ``Masking``, passed on by the layers that support it, read by
    the recurrent layers, GlobalAveragePooling1D and the losses). Wrapping a Tensor4D again keeps the
    data and the mask, not the logits.

    Every layer receives and returns a Tensor4D, whatever the rank of its data. The rule for
    windowed layers (convolution and pooling of 1, 2 or 3 spatial axes): the channels are the last
    axis, the last spatial axis is the width (axis 2), and the spatial axes before it are folded
    into the height (axis 1), a zero-copy reshape of the C-contiguous array:
        sequence  (batch, steps, C)     →  (batch, 1, steps, C)    rank-1 layers read axis 2 as steps
        image     (batch, H, W, C)      →  (batch, H, W, C)
        volume    (batch, D, H, W, C)   →  (batch, D·H, W, C)      rank-3 layers take H (and W) from
                                                                   the feature shape (D, H, W, C) they
                                                                   were built with
    Layers that work on the channels alone (Dense, BatchNormalization, activations) see the same
    channel axis in every case.

    Example:
        >>> t = Tensor4D(np.zeros((2, 28, 28, 1), dtype="float32"))
        >>> t.shape
        (2, 28, 28, 1)
        >>> Tensor4D.from_natural(np.ones((2, 10))).shape
        (2, 1, 1, 10)
    """

    __slots__ = ("data", "logits", "mask")

    def __init__(self, data, logits: Logits | None = None, mask=None) -> None:
        if isinstance(data, Tensor4D):
            mask = data.mask if mask is None else mask
            data = data.data
        if not hasattr(data, "ndim") or data.ndim != 4:
            shape = getattr(data, "shape", None)
            raise ValueError(
                "Tensor4D wraps a 4-D array (batch, height, width, channels). "
                f"Received an array of shape {shape}; use Tensor4D.from_natural for (batch, features)."
            )
        if not data.flags.c_contiguous:
            data = xp.ascontiguousarray(data)
        if logits is not None and getattr(logits.values, "shape", None) != data.shape:
            raise ValueError(f"`logits` must have the output's shape {data.shape}. "
                             f"Received shape {getattr(logits.values, 'shape', None)}.")
        if mask is not None and (getattr(mask, "ndim", 0) < 2 or mask.shape[0] != data.shape[0]):
            raise ValueError(f"`mask` must be a boolean array (batch, steps) for data of shape {data.shape}. "
                             f"Received shape {getattr(mask, 'shape', None)}.")
        self.data = data
        self.logits = logits
        self.mask = mask

    @classmethod
    def from_natural(cls, array) -> "Tensor4D":
        """Wrap ``(batch, *features)`` with 1 to 3 feature axes, padding axes of size 1 on the left.

        ``(N, F)`` becomes ``(N, 1, 1, F)``, ``(N, H, W)`` becomes ``(N, 1, H, W)``,
        ``(N, H, W, C)`` stays. Zero copy for contiguous input.
        """
        array = xp.asarray(array)
        if not 2 <= array.ndim <= 4:
            raise ValueError(
                "Expected an array of shape (batch, features), (batch, height, width) or "
                f"(batch, height, width, channels). Received shape {array.shape}."
            )
        padded = (array.shape[0],) + (1,) * (4 - array.ndim) + array.shape[1:]
        return cls(xp.ascontiguousarray(array).reshape(padded))

    def to_natural(self, feature_shape: Sequence[int | None]) -> object:
        """Return the data reshaped to ``(batch, *feature_shape)`` (a view, no copy).

        A None in ``feature_shape`` (an axis of variable length) takes this tensor's length on that axis.
        """
        return natural_view(self.data, feature_shape)

    @property
    def shape(self) -> tuple:
        return self.data.shape

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def batch_size(self) -> int:
        return self.data.shape[0]

    def __array__(self, dtype=None, copy=None):
        if dtype is not None and dtype != self.data.dtype:
            return self.data.astype(dtype)
        return self.data.copy() if copy else self.data

    def __len__(self) -> int:
        return self.data.shape[0]

    def __getitem__(self, index):
        """Index like the array; a 4-D result stays a Tensor4D (e.g. ``t[:32]``)."""
        result = self.data[index]
        return Tensor4D(result) if getattr(result, "ndim", 0) == 4 else result

    def __repr__(self) -> str:
        return f"Tensor4D(shape={self.shape}, dtype={self.dtype.name})"


class LogitsGradient(Tensor4D):
    """A gradient already taken with respect to the output's pre-activation (its ``logits``).

    A cross-entropy loss after a softmax (or sigmoid) output differentiates
    through both at once, dL/dz = (p − y) / N, which stays finite where p
    saturates. The layer that made the output receives this type in backward,
    and ``Layer.activation_backward`` returns it as dL/dz without the
    activation's derivative. A layer that returns its input unchanged from
    ``forward`` returns the gradient unchanged (the same object) from ``backward``.

    Example:
        >>> g = LogitsGradient(np.ones((2, 1, 1, 3)))
        >>> isinstance(g, Tensor4D), g.shape
        (True, (2, 1, 1, 3))
    """

    __slots__ = ()


def natural_view(data, feature_shape: Sequence[int | None]):
    """``data`` (batch, h, w, c) viewed as ``(batch, *feature_shape)``; each None takes data's length there.

    The natural axes are the last ones of the Tensor4D layout (``Tensor4D.from_natural`` pads on the
    left), so a None at position k of an n-axis feature shape is axis 4 − n + k of ``data``.

    Example:
        >>> natural_view(np.zeros((2, 1, 7, 3)), (None, 3)).shape
        (2, 7, 3)
    """
    shape = tuple(feature_shape)
    if None in shape:
        offset = 4 - len(shape)
        shape = tuple(data.shape[offset + k] if d is None else d for k, d in enumerate(shape))
    return data.reshape((data.shape[0],) + shape)
