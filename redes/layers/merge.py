"""Merge layers: combine several tensors into one (Add, Subtract, Multiply, Average, Maximum, Minimum,
Concatenate, Dot).

Each takes a list of inputs, in a functional graph (``Add()([x, y])`` on symbolic tensors) or
eagerly on arrays or Tensor4D; ``backward`` returns one gradient per input. Unlike Keras, the
element-wise layers do not broadcast: every input must have the same feature shape.
"""

from __future__ import annotations

from ..backend import xp
from ..tensor import Tensor4D
from ..validation import check_bool, check_int
from .base import Layer, format_shape, padded_shape
from .normalization import l2_normalize, l2_normalize_backward


class _Merge(Layer):
    """Shared checks of the merge layers: a list of at least ``_min_inputs`` inputs."""

    _takes_list = True
    _min_inputs = 2
    _max_inputs: int | None = None

    def _check_count(self, input_shape) -> None:
        count = len(input_shape) if isinstance(input_shape, list) else 1
        if not isinstance(input_shape, list) or count < self._min_inputs or (
                self._max_inputs is not None and count > self._max_inputs):
            exact = self._max_inputs == self._min_inputs
            expected = f"exactly {self._min_inputs}" if exact else f"at least {self._min_inputs}"
            raise ValueError(f"{type(self).__name__} must be called on a list of {expected} inputs. "
                             f"Received {count}: {format_shape(input_shape)}")


class _ElementWise(_Merge):
    """A merge of inputs that all have the same feature shape, element by element."""

    def compute_mask(self, xs: list[Tensor4D], mask):
        """A step is kept where some input keeps it (Keras' rule); None when an input has no mask."""
        return _combined_mask(xs)

    def build(self, input_shape: list) -> None:
        self._check_count(input_shape)
        first = padded_shape(input_shape[0])
        if any(padded_shape(shape) != first for shape in input_shape[1:]):
            raise ValueError(f"{type(self).__name__} needs inputs of one shape (it does not broadcast). "
                             f"Received shapes {format_shape(input_shape)}")

    def compute_output_shape(self, input_shape: list) -> tuple:
        return tuple(input_shape[0])


class Add(_ElementWise):
    """Sum of its inputs, ``y = x₁ + … + xₙ`` (a residual connection: ``Add()([x, f(x)])``).

    Input shape: a list of n ≥ 2 tensors of one shape (batch, h, w, c). Output shape: the same.
    Equations: forward y = Σᵢ xᵢ;  backward dL/dxᵢ = dL/dy for every i.

    Example:
        >>> Add()([np.ones((2, 3)), np.ones((2, 3))]).tolist()
        [[2.0, 2.0, 2.0], [2.0, 2.0, 2.0]]
    """

    def forward(self, xs: list[Tensor4D], training: bool = False) -> Tensor4D:
        self._count = len(xs)
        y = xs[0].data + xs[1].data
        for x in xs[2:]:
            y += x.data
        return Tensor4D(y)

    def backward(self, grad: Tensor4D) -> list[Tensor4D]:
        return [grad] * self._count


class Subtract(_ElementWise):
    """Difference of two inputs, ``y = x₁ − x₂``.

    Input shape: a list of 2 tensors of one shape. Output shape: the same.
    Equations: forward y = x₁ − x₂;  backward dL/dx₁ = dL/dy,  dL/dx₂ = −dL/dy.

    Example:
        >>> Subtract()([np.full((1, 2), 3.0), np.ones((1, 2))]).tolist()
        [[2.0, 2.0]]
    """

    _max_inputs = 2

    def forward(self, xs: list[Tensor4D], training: bool = False) -> Tensor4D:
        return Tensor4D(xs[0].data - xs[1].data)

    def backward(self, grad: Tensor4D) -> list[Tensor4D]:
        return [grad, Tensor4D(-grad.data)]


class Multiply(_ElementWise):
    """Element-wise product of its inputs, ``y = x₁ ⊙ … ⊙ xₙ`` (e.g. a gate: ``Multiply()([x, sigmoid(g)])``).

    Input shape: a list of n ≥ 2 tensors of one shape. Output shape: the same.
    Equations: forward y = Πᵢ xᵢ;  backward dL/dxᵢ = dL/dy ⊙ Π_{j≠i} xⱼ,
    computed from prefix and suffix products, so a zero input gives no division by zero.

    Example:
        >>> Multiply()([np.full((1, 2), 3.0), np.full((1, 2), 2.0)]).tolist()
        [[6.0, 6.0]]
    """

    def forward(self, xs: list[Tensor4D], training: bool = False) -> Tensor4D:
        self._xs = [x.data for x in xs]
        y = self._xs[0] * self._xs[1]
        for x in self._xs[2:]:
            y *= x
        return Tensor4D(y)

    def backward(self, grad: Tensor4D) -> list[Tensor4D]:
        xs, g = self._xs, grad.data
        prefix = [g]  # prefix[i] = g ⊙ x₁ ⊙ … ⊙ x_{i−1}
        for x in xs[:-1]:
            prefix.append(prefix[-1] * x)
        grads, suffix = [None] * len(xs), None  # suffix = x_{i+1} ⊙ … ⊙ xₙ
        for i in range(len(xs) - 1, -1, -1):
            grads[i] = Tensor4D(prefix[i] if suffix is None else prefix[i] * suffix)
            suffix = xs[i] if suffix is None else suffix * xs[i]
        return grads


class Average(_ElementWise):
    """Mean of its inputs, ``y = (x₁ + … + xₙ) / n``.

    Input shape: a list of n ≥ 2 tensors of one shape. Output shape: the same.
    Equations: forward y = (1/n) Σᵢ xᵢ;  backward dL/dxᵢ = dL/dy / n.

    Example:
        >>> Average()([np.zeros((1, 2)), np.full((1, 2), 4.0)]).tolist()
        [[2.0, 2.0]]
    """

    def forward(self, xs: list[Tensor4D], training: bool = False) -> Tensor4D:
        self._count = len(xs)
        y = xs[0].data + xs[1].data
        for x in xs[2:]:
            y += x.data
        y *= 1.0 / self._count
        return Tensor4D(y)

    def backward(self, grad: Tensor4D) -> list[Tensor4D]:
        return [Tensor4D(grad.data * (1.0 / self._count))] * self._count


class _Extremum(_ElementWise):
    """Element-wise extremum of its inputs; the gradient goes to the input that holds it.

    ``_better(a, b)`` is True where a beats b strictly, so a tie goes to the earliest input, as
    TensorFlow's gradient of Keras' chain ``maximum(maximum(x₁, x₂), x₃)`` does.
    """

    _better = staticmethod(xp.greater)

    def forward(self, xs: list[Tensor4D], training: bool = False) -> Tensor4D:
        y = xs[0].data.copy()
        self._winner = xp.zeros(y.shape, dtype=xp.int32)  # index of the input that holds the extremum
        for i, x in enumerate(xs[1:], start=1):
            better = self._better(x.data, y)
            y[better] = x.data[better]
            self._winner[better] = i
        self._count = len(xs)
        return Tensor4D(y)

    def backward(self, grad: Tensor4D) -> list[Tensor4D]:
        zero = xp.zeros((), dtype=grad.dtype)
        return [Tensor4D(xp.where(self._winner == i, grad.data, zero)) for i in range(self._count)]


class Maximum(_Extremum):
    """Element-wise maximum of its inputs, ``y = max(x₁, …, xₙ)``.

    Input shape: a list of n ≥ 2 tensors of one shape. Output shape: the same.
    Equations: forward y = maxᵢ xᵢ;  backward dL/dxᵢ = dL/dy where xᵢ is the first input to reach
    the maximum, 0 elsewhere (a tie goes to the earliest input, as TensorFlow).

    Example:
        >>> Maximum()([np.array([[1.0, 5.0]]), np.array([[3.0, 2.0]])]).tolist()
        [[3.0, 5.0]]
    """


class Minimum(_Extremum):
    """Element-wise minimum of its inputs, ``y = min(x₁, …, xₙ)``.

    Input shape: a list of n ≥ 2 tensors of one shape. Output shape: the same.
    Equations: forward y = minᵢ xᵢ;  backward dL/dxᵢ = dL/dy where xᵢ is the first input to reach
    the minimum, 0 elsewhere (a tie goes to the earliest input, as TensorFlow).

    Example:
        >>> Minimum()([np.array([[1.0, 5.0]]), np.array([[3.0, 2.0]])]).tolist()
        [[1.0, 2.0]]
    """

    _better = staticmethod(xp.less)


class Concatenate(_Merge):
    """Joins its inputs along ``axis`` of their natural shape, as Keras.

    Args:
        axis: the axis of the natural shape (batch, *features) to join along; default −1, the
            features or channels. For images (batch, h, w, c) axis 1 is h, 2 is w, 3 (or −1) is c;
            for flat data (batch, f) only −1 (or 1) is allowed. The batch axis cannot be joined.

    Input shape: a list of n ≥ 2 tensors of one rank that agree on every axis but ``axis``.
    Output shape: the same, with ``axis`` the sum of the inputs' lengths along it.
    Equations: forward y = [x₁ | x₂ | … | xₙ] along ``axis``;
               backward dL/dxᵢ = the slice of dL/dy that xᵢ filled.

    Example:
        >>> Concatenate()([np.ones((2, 4, 4, 3)), np.zeros((2, 4, 4, 5))]).shape
        (2, 4, 4, 8)
    """

    def __init__(self, axis: int = -1, **kwargs) -> None:
        super().__init__(**kwargs)
        if check_int("axis", axis) == 0:
            raise ValueError(f"`axis` must be a non-zero integer (axis 0 is the batch). Received: axis={axis!r}")
        self.axis = axis

    def _feature_axis(self, rank: int) -> int:
        """``axis`` as an index into the feature shape of ``rank`` axes; ValueError if out of range."""
        axis = self.axis + rank + 1 if self.axis < 0 else self.axis
        if not 1 <= axis <= rank:
            raise ValueError(f"`axis` must name a feature axis of inputs of rank {rank + 1} (1 to {rank}, or "
                             f"-1 to -{rank}). Received: axis={self.axis}")
        return axis - 1

    def build(self, input_shape: list) -> None:
        self._check_count(input_shape)
        ranks = {len(shape) for shape in input_shape}
        if len(ranks) != 1:
            raise ValueError(f"Concatenate needs inputs of one rank. Received shapes "
                             f"{format_shape(input_shape)}")
        axis = self._feature_axis(ranks.pop())
        others = {shape[:axis] + shape[axis + 1:] for shape in input_shape}
        if len(others) != 1:
            raise ValueError(f"Concatenate with axis={self.axis} needs inputs that agree on every other "
                             f"axis. Received shapes {format_shape(input_shape)}")

    def compute_output_shape(self, input_shape: list) -> tuple:
        axis = self._feature_axis(len(input_shape[0]))
        shape = list(input_shape[0])
        shape[axis] = sum(s[axis] for s in input_shape)
        return tuple(shape)

    def compute_mask(self, xs: list[Tensor4D], mask):
        """Joined on the last axis (features), a step is kept where some input keeps it, as Keras; joined
        on another axis, the masks are dropped."""
        return _combined_mask(xs) if self.axis == -1 else None

    def forward(self, xs: list[Tensor4D], training: bool = False) -> Tensor4D:
        axis = 4 - len(self.output_shape) + self._feature_axis(len(self.output_shape))  # Tensor4D axis
        self._axis, self._sizes = axis, [x.shape[axis] for x in xs]
        return Tensor4D(xp.concatenate([x.data for x in xs], axis=axis))

    def backward(self, grad: Tensor4D) -> list[Tensor4D]:
        bounds = xp.cumsum(self._sizes)[:-1]
        return [Tensor4D(part) for part in xp.split(grad.data, bounds, axis=self._axis)]

    def get_config(self) -> dict:
        return {**super().get_config(), "axis": self.axis}


class Dot(_Merge):
    """Dot product of two inputs over one axis of each, sample by sample, as Keras' Dot (``batch_dot``).

    Args:
        axes: the axis of each input (of its natural shape (batch, *features); the batch axis 0 cannot be one)
            to sum over: an int for both, or a pair (axis of x₁, axis of x₂); negative counts from the end.
        normalize: if True, L2-normalize each input along its axis first (Keras' ``normalize``, the inverse
            norm capped at 1/ε, ε = 1e-7): the output is then the cosine similarity.

    Input shape: a list of 2 tensors (batch, *s₁), (batch, *s₂) with s₁[a₁] = s₂[a₂] = K.
    Output shape: (batch, *s₁ without a₁, *s₂ without a₂); (batch, 1) when that is only the batch axis.
    Equations, with X₁ (N, P, K) the first input with its axis moved last and the others flattened, X₂ (N, K, Q)
    the second with its axis moved first, and G (N, P, Q) = dL/dy:
        forward   y = X₁ X₂ (a batched matrix product; x̂ = l2_normalize(x) in place of x if ``normalize``)
        backward  dL/dX₁ = G X₂ᵀ,  dL/dX₂ = X₁ᵀ G  (moved back; through ``l2_normalize_backward`` if ``normalize``)

    Example:
        >>> Dot(axes=1)([np.array([[1.0, 2.0]]), np.array([[3.0, 4.0]])]).tolist()
        [[11.0]]
    """

    _min_inputs = _max_inputs = 2

    def __init__(self, axes, normalize: bool = False, **kwargs) -> None:
        super().__init__(**kwargs)
        if isinstance(axes, (tuple, list)):
            if len(axes) != 2:
                raise ValueError(f"`axes` must be an integer or a pair of integers. Received: axes={axes!r}")
            self.axes = tuple(check_int("axes", a) for a in axes)
        else:
            self.axes = check_int("axes", axes)
        self.normalize = check_bool("normalize", normalize)

    def _axes(self, input_shape: list) -> tuple[int, int]:
        """The summed axis of each input, as an index into its feature shape; ValueError if it is not one."""
        pair = self.axes if isinstance(self.axes, tuple) else (self.axes, self.axes)
        found = []
        for axis, shape in zip(pair, input_shape):
            rank = len(shape) + 1
            if not -rank <= axis < rank or axis % rank == 0:
                raise ValueError(f"`axes` must name a non-batch axis of each input (1 to {rank - 1}, or -1 to "
                                 f"-{rank - 1} for an input of rank {rank}). Received: axes={self.axes!r}")
            found.append(axis % rank - 1)
        return tuple(found)

    def build(self, input_shape: list) -> None:
        self._check_count(input_shape)
        first, second = self._axes(input_shape)
        if input_shape[0][first] != input_shape[1][second]:
            raise ValueError(f"Dot with axes={self.axes!r} needs inputs of one length on those axes. Received "
                             f"shapes {format_shape(input_shape)}")

    def compute_output_shape(self, input_shape: list) -> tuple:
        first, second = self._axes(input_shape)
        shape = (*input_shape[0][:first], *input_shape[0][first + 1:],
                 *input_shape[1][:second], *input_shape[1][second + 1:])
        return shape or (1,)

    def compute_mask(self, xs: list[Tensor4D], mask):
        return None

    def forward(self, xs: list[Tensor4D], training: bool = False) -> Tensor4D:
        first, second = self._axes(self.input_shape)
        self._shapes = [x.shape for x in xs]
        a = xs[0].data.reshape(-1, *self.input_shape[0])
        b = xs[1].data.reshape(-1, *self.input_shape[1])
        if self.normalize:
            self._raw = a, b
            a, *self._norm_a = l2_normalize(a, first + 1, 1e-7)
            b, *self._norm_b = l2_normalize(b, second + 1, 1e-7)
        self._a = xp.moveaxis(a, first + 1, -1)  # (N, *rest₁, K)
        self._b = xp.moveaxis(b, second + 1, 1)  # (N, K, *rest₂)
        n, k = a.shape[0], a.shape[first + 1]
        y = self._a.reshape(n, -1, k) @ self._b.reshape(n, k, -1)  # (N, P, Q)
        self._pq = y.shape[1:]
        return Tensor4D.from_natural(y.reshape(n, *self.output_shape))

    def backward(self, grad: Tensor4D) -> list[Tensor4D]:
        first, second = self._axes(self.input_shape)
        n, k = self._a.shape[0], self._a.shape[-1]
        g = grad.data.reshape(n, *self._pq)
        da = xp.moveaxis((g @ self._b.reshape(n, k, -1).transpose(0, 2, 1)).reshape(self._a.shape), -1, first + 1)
        db = xp.moveaxis((self._a.reshape(n, -1, k).transpose(0, 2, 1) @ g).reshape(self._b.shape), 1, second + 1)
        if self.normalize:
            da = l2_normalize_backward(da, self._raw[0], *self._norm_a, first + 1)
            db = l2_normalize_backward(db, self._raw[1], *self._norm_b, second + 1)
        return [Tensor4D(xp.ascontiguousarray(d).reshape(shape)) for d, shape in zip((da, db), self._shapes)]

    def get_config(self) -> dict:
        return {**super().get_config(), "axes": self.axes, "normalize": self.normalize}


def add(inputs: list, **kwargs):
    """``Add(**kwargs)(inputs)``: Keras' functional form.

    Example:
        >>> a, b = Input((3,)), Input((3,)); y = add([a, b])
    """
    return Add(**kwargs)(inputs)


def subtract(inputs: list, **kwargs):
    """``Subtract(**kwargs)(inputs)``: Keras' functional form.

    Example:
        >>> a, b = Input((3,)), Input((3,)); y = subtract([a, b])
    """
    return Subtract(**kwargs)(inputs)


def multiply(inputs: list, **kwargs):
    """``Multiply(**kwargs)(inputs)``: Keras' functional form.

    Example:
        >>> a, b = Input((3,)), Input((3,)); y = multiply([a, b])
    """
    return Multiply(**kwargs)(inputs)


def average(inputs: list, **kwargs):
    """``Average(**kwargs)(inputs)``: Keras' functional form.

    Example:
        >>> a, b = Input((3,)), Input((3,)); y = average([a, b])
    """
    return Average(**kwargs)(inputs)


def maximum(inputs: list, **kwargs):
    """``Maximum(**kwargs)(inputs)``: Keras' functional form.

    Example:
        >>> a, b = Input((3,)), Input((3,)); y = maximum([a, b])
    """
    return Maximum(**kwargs)(inputs)


def minimum(inputs: list, **kwargs):
    """``Minimum(**kwargs)(inputs)``: Keras' functional form.

    Example:
        >>> a, b = Input((3,)), Input((3,)); y = minimum([a, b])
    """
    return Minimum(**kwargs)(inputs)


def concatenate(inputs: list, axis: int = -1, **kwargs):
    """``Concatenate(axis=axis, **kwargs)(inputs)``: Keras' functional form.

    Example:
        >>> a, b = Input((3,)), Input((2,)); y = concatenate([a, b])
    """
    return Concatenate(axis=axis, **kwargs)(inputs)


def dot(inputs: list, axes=-1, **kwargs):
    """``Dot(axes=axes, **kwargs)(inputs)``: Keras' functional form (``normalize=True`` passes through kwargs).

    Example:
        >>> a, b = Input((3,)), Input((3,)); y = dot([a, b], axes=1)
    """
    return Dot(axes=axes, **kwargs)(inputs)


def _combined_mask(xs: list[Tensor4D]):
    """The OR of the inputs' masks (a step is kept where some input keeps it), as Keras' merge layers;
    None when an input has no mask (it keeps every step)."""
    if any(x.mask is None for x in xs):
        return None
    combined = xs[0].mask
    for x in xs[1:]:
        combined = combined | x.mask
    return combined
