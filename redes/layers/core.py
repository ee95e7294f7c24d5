"""Small layers that shape the data: Input, Identity, Flatten, Reshape, Permute, RepeatVector."""

from __future__ import annotations

import math

from ..tensor import Tensor4D
from ..backend import xp
from ..validation import check_positive_int
from .base import Layer, format_shape, padded_shape, same_shape
from .node import Node


class Input(Layer):
    """Declares the feature shape of a model's input (without the batch axis).

    Args:
        shape: e.g. ``(784,)`` for flat vectors, ``(28, 28, 1)`` for images (H, W, C), ``(steps, features)``
            for sequences; None for an axis of variable length, e.g. ``(None, 8)``: sequences of any length,
            which may change from one batch to the next.
        batch_size: optional, kept and saved as Keras does (batches of any size are accepted).
        batch_shape: Keras' ``(batch, *shape)`` form, instead of ``shape`` and ``batch_size``.
        name, dtype: as any layer.

    Input shape / Output shape: (batch, *shape), unchanged.
    Equations: forward y = x;  backward dL/dx = dL/dy (the identity; it only checks the shape).

    It starts a Sequential model, or a functional graph: calling a layer on an Input calls it on
    ``output``, the Input's SymbolicTensor, and ``Model(inputs, outputs)`` collects the graph.

    Example:
        >>> from redes import Model, Sequential
        >>> from redes.layers import Dense
        >>> Sequential([Input((784,)), Dense(10)]).count_params()
        7850
        >>> i = Input((784,)); model = Model(i, Dense(10)(Dense(32, activation="relu")(i)))
    """

    supports_masking = True  # works step by step: a sequence's mask passes through

    def __init__(self, shape=None, batch_size: int | None = None, batch_shape=None, **kwargs) -> None:
        super().__init__(**kwargs)
        if batch_shape is not None:  # Keras' (batch, *shape) form
            if shape is not None or batch_size is not None or not isinstance(batch_shape, (tuple, list)) \
                    or len(batch_shape) < 2:
                raise ValueError("`batch_shape` is (batch, *shape) and replaces `shape` and `batch_size`. "
                                 f"Received: shape={shape!r}, batch_size={batch_size!r}, batch_shape={batch_shape!r}")
            batch_size, shape = batch_shape[0], tuple(batch_shape[1:])
        if shape is None:
            raise ValueError("`shape` is required, e.g. Input(shape=(784,)) or Input(batch_shape=(32, 784)).")
        self.batch_size = check_positive_int("batch_size", batch_size, allow_none=True)
        shape = (shape,) if isinstance(shape, int) or shape is None else tuple(shape)
        if not 1 <= len(shape) <= 3 or any(d is not None and (isinstance(d, bool) or not isinstance(d, int) or d <= 0)
                                           for d in shape):
            raise ValueError(
                "`shape` must be a tuple of 1 to 3 positive integers or None (a variable length) such as (784,), "
                f"(28, 28, 1) or (None, 8). Received: shape={shape!r}"
            )
        self.shape = shape
        Node(self, [], shape)  # where a graph starts: ``output`` is its symbolic tensor

    def build(self, input_shape: tuple) -> None:
        if not same_shape(input_shape, self.shape):
            raise ValueError(
                f"Input '{self.name}' expects arrays of shape {(None,) + self.shape}, "
                f"received shape {(None,) + tuple(input_shape)}."
            )

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return self.shape

    def forward(self, x: Tensor4D, training: bool = False) -> Tensor4D:
        return x

    def backward(self, grad: Tensor4D) -> Tensor4D:
        return grad

    def get_config(self) -> dict:
        return {**super().get_config(), "shape": self.shape, "batch_size": self.batch_size}


class Identity(Layer):
    """Returns its input unchanged: a placeholder where no operation is wanted, as Keras' Identity.

    Input shape / Output shape: (batch, *features), unchanged; a mask passes through.
    Equations: forward y = x;  backward dL/dx = dL/dy (the same objects).

    Example:
        >>> Identity()(np.ones((2, 3))).shape
        (2, 3)
    """

    supports_masking = True

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return tuple(input_shape)

    def forward(self, x: Tensor4D, training: bool = False) -> Tensor4D:
        return x

    def backward(self, grad: Tensor4D) -> Tensor4D:
        return grad


class Flatten(Layer):
    """Flattens the features of each sample, row-major over (H, W, C) as Keras.

    Input shape: (batch, h, w, c). Output shape: (batch, 1, 1, h·w·c); its feature shape is (h·w·c,).
    Equations: a reshape both ways; no copy.

    Example:
        >>> Flatten()(np.zeros((2, 4, 4, 3))).shape
        (2, 48)
    """

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return (None,) if None in input_shape else (math.prod(input_shape),)

    def forward(self, x: Tensor4D, training: bool = False) -> Tensor4D:
        self._input_shape = x.shape
        return Tensor4D(x.data.reshape(x.shape[0], 1, 1, -1))

    def backward(self, grad: Tensor4D) -> Tensor4D:
        return Tensor4D(grad.data.reshape(self._input_shape))


class Reshape(Layer):
    """Gives each sample a new feature shape with the same number of values (row-major, as Keras).

    Args:
        target_shape: the new feature shape without the batch axis, e.g. (28, 28, 1); one entry may be -1.

    Input shape: (batch, *any). Output shape: (batch, *target_shape).
    Equations: a reshape both ways; no copy.

    Example:
        >>> Reshape((4, 4, 3))(np.zeros((2, 48))).shape
        (2, 4, 4, 3)
    """

    def __init__(self, target_shape, **kwargs) -> None:
        super().__init__(**kwargs)
        if not isinstance(target_shape, (int, tuple, list)) or isinstance(target_shape, bool):
            raise TypeError(f"`target_shape` must be a tuple of integers, such as (28, 28, 1). "
                            f"Received: target_shape={target_shape!r}")
        shape = (target_shape,) if isinstance(target_shape, int) else tuple(target_shape)
        if not 1 <= len(shape) <= 3 or sum(d == -1 for d in shape) > 1 or any(
                not isinstance(d, int) or (d <= 0 and d != -1) for d in shape):
            raise ValueError(
                "`target_shape` must be 1 to 3 positive integers (one may be -1), such as (28, 28, 1). "
                f"Received: target_shape={target_shape!r}"
            )
        self.target_shape = shape

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        if None in input_shape:  # a variable length: the size per sample is known only from the data
            if -1 not in self.target_shape:
                raise ValueError(f"Reshape '{self.name}' cannot give inputs of variable shape "
                                 f"{format_shape(input_shape)} the fixed shape {(None,) + self.target_shape}; "
                                 "use -1 for the variable axis.")
            return tuple(None if d == -1 else d for d in self.target_shape)
        size = math.prod(input_shape)
        known = math.prod(d for d in self.target_shape if d != -1)
        if size % known or (-1 not in self.target_shape and size != known):
            raise ValueError(
                f"Reshape '{self.name}' cannot turn {size} values per sample, shape {(None,) + tuple(input_shape)}, "
                f"into shape {(None,) + self.target_shape}."
            )
        return tuple(size // known if d == -1 else d for d in self.target_shape)

    def forward(self, x: Tensor4D, training: bool = False) -> Tensor4D:
        self._input_shape = x.shape
        shape = self.compute_output_shape(x.shape[1:])
        return Tensor4D(x.data.reshape((x.shape[0],) + padded_shape(shape)))

    def backward(self, grad: Tensor4D) -> Tensor4D:
        return Tensor4D(grad.data.reshape(self._input_shape))

    def get_config(self) -> dict:
        return {**super().get_config(), "target_shape": self.target_shape}


class Permute(Layer):
    """Permutes the feature axes of each sample, as Keras (e.g. (steps, features) to (features, steps)).

    Args:
        dims: a permutation of 1 … rank of the feature axes (1-based: the batch axis is not counted and
            never moves), e.g. (2, 1) swaps the two axes of a sequence; output axis i is input axis dims[i].

    Input shape: (batch, *features) with len(dims) feature axes. Output shape: (batch, *features permuted).
    Equations: forward y = transpose(x, (0, *dims));  backward dL/dx = transpose(dL/dy, inverse permutation).

    Example:
        >>> Permute((2, 1))(np.zeros((2, 5, 3))).shape
        (2, 3, 5)
    """

    def __init__(self, dims, **kwargs) -> None:
        super().__init__(**kwargs)
        if not isinstance(dims, (tuple, list)) or any(isinstance(d, bool) or not isinstance(d, int) for d in dims):
            raise TypeError(f"`dims` must be a tuple of integers, such as (2, 1). Received: dims={dims!r}")
        if sorted(dims) != list(range(1, len(dims) + 1)) or len(dims) > 3:
            raise ValueError("`dims` must be a permutation of 1 … n (the feature axes, 1-based, n ≤ 3), such as "
                             f"(2, 1). Received: dims={dims!r}")
        self.dims = tuple(dims)
        offset = 3 - len(self.dims)  # the Tensor4D axes before the natural feature axes
        self._axes = tuple(range(offset + 1)) + tuple(offset + d for d in self.dims)
        self._inverse = tuple(sorted(range(4), key=self._axes.__getitem__))

    def build(self, input_shape: tuple) -> None:
        if len(input_shape) != len(self.dims):
            raise ValueError(f"Permute '{self.name}' with dims={self.dims} needs inputs with {len(self.dims)} "
                             f"feature axes. Received shape {(None,) + tuple(input_shape)}.")

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return tuple(input_shape[d - 1] for d in self.dims)

    def forward(self, x: Tensor4D, training: bool = False) -> Tensor4D:
        return Tensor4D(xp.ascontiguousarray(x.data.transpose(self._axes)))

    def backward(self, grad: Tensor4D) -> Tensor4D:
        return Tensor4D(xp.ascontiguousarray(grad.data.transpose(self._inverse)))

    def get_config(self) -> dict:
        return {**super().get_config(), "dims": self.dims}


class RepeatVector(Layer):
    """Repeats each sample's feature vector ``n`` times, making a sequence (e.g. the input of a decoder RNN).

    Args:
        n: how many times to repeat, a positive integer.

    Input shape: (batch, features). Output shape: (batch, n, features).
    Equations: forward yₜ = x for t = 1 … n;  backward dL/dx = Σₜ dL/dyₜ.

    Example:
        >>> RepeatVector(4)(np.zeros((2, 3))).shape
        (2, 4, 3)
    """

    def __init__(self, n: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.n = check_positive_int("n", n)

    def build(self, input_shape: tuple) -> None:
        if len(input_shape) != 1:
            raise ValueError(f"RepeatVector '{self.name}' needs inputs of shape (batch, features). "
                             f"Received shape {(None,) + tuple(input_shape)}.")

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return (self.n, input_shape[0])

    def forward(self, x: Tensor4D, training: bool = False) -> Tensor4D:
        return Tensor4D(xp.repeat(x.data, self.n, axis=2))  # (batch, 1, 1, f) -> (batch, 1, n, f)

    def backward(self, grad: Tensor4D) -> Tensor4D:
        return Tensor4D(grad.data.sum(axis=2, keepdims=True))

    def get_config(self) -> dict:
        return {**super().get_config(), "n": self.n}
