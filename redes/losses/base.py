"""Loss: the base class every loss shares (checks, sample weights, reduction), and the clipping helpers."""

from __future__ import annotations

from .. import backend
from ..autodiff import tape
from ..autodiff.traced import detach
from ..backend import xp
from ..validation import check_str

_EPSILON = 1e-7


def _epsilon(dtype):
    """The clipping bound in ``dtype``: Keras' 1e-7, or float16's machine epsilon where 1e-7 is too small."""
    dtype = xp.dtype(dtype)
    return dtype.type(max(_EPSILON, xp.finfo(dtype).eps) if dtype == xp.float16 else _EPSILON)


def _clip(p):
    eps = _epsilon(p.dtype)
    return xp.clip(p, eps, 1 - eps)


def _not_clipped(p):
    """1 where ``_clip`` leaves p unchanged (bounds included, as TF's gradient), else 0."""
    eps = _epsilon(p.dtype)
    return ((p >= eps) & (p <= 1 - eps)).astype(p.dtype)


def _log_sum_exp(z):
    """log Σₖ exp(z) over the last axis, shifted by the maximum; keeps the axis."""
    top = z.max(axis=-1, keepdims=True)
    return top + xp.log(xp.exp(z - top).sum(axis=-1, keepdims=True))


def _as_numeric(array, name: str):
    array = xp.asarray(array)
    if array.dtype.kind not in "fiub":
        raise TypeError(f"`{name}` must hold real numbers. Received dtype {array.dtype}.")
    if array.ndim == 0:
        raise ValueError(f"`{name}` must have a batch axis: shape (batch, ...). Received a scalar.")
    return array


def _fits(shape: tuple, expected: tuple) -> bool:
    """Equal shapes, or equal up to one trailing axis of size 1 (Keras squeezes or expands it)."""
    return shape == expected or shape + (1,) == expected or shape == expected + (1,)


def _expand(weights, ndim: int):
    """``weights`` (N, ...) with trailing axes of size 1 up to ``ndim`` axes, to broadcast over values or rows."""
    return weights.reshape(weights.shape + (1,) * (ndim - weights.ndim))


class Loss:
    """Base class: ``loss(y_true, y_pred) -> float`` and ``loss.gradient(y_true, y_pred) -> array``.

    Args:
        name: name of the loss (defaults to the Keras name, e.g. 'mean_squared_error').

    Shapes: ``y_pred`` (N, ...), e.g. (batch, classes); ``y_true`` the same shape (integer labels (N,) for
    the sparse loss); ``gradient`` returns y_pred's shape and dtype. Subclasses define ``_gradient`` and
    either ``_values`` (the per-sample values, y_pred's shape without its last axis: the loss then takes
    sample weights) or only ``_value`` (the mean loss).

    Example:
        >>> loss = MeanSquaredError()
        >>> loss(np.array([[1.0], [0.0]]), np.array([[0.5], [0.5]]))
        0.25
        >>> loss.gradient(np.array([[1.0], [0.0]]), np.array([[0.5], [0.5]]))
        array([[-0.5],
               [ 0.5]])
    """

    default_name = "loss"
    _min_rank = 1

    def __init__(self, name: str | None = None) -> None:
        self.name = check_str("name", name, allow_none=True) or self.default_name

    def __call__(self, y_true, y_pred) -> float:
        """The mean loss over the batch, as a Python float; under a recording GradientTape that traces
        ``y_pred``, a 0-d traced array of y_pred's dtype (see ``_call_on_tape``)."""
        if tape.RECORDING and tape.recording_tapes([y_pred]):
            return self._call_on_tape(y_true, y_pred)
        return float(self._value(*self._prepare(y_true, y_pred)))

    def _call_on_tape(self, y_true, y_pred, per_sample: bool = False):
        """The mean loss (or, ``per_sample``, the values of ``call``) as one node of the recording tapes, its VJP
        the hand-written ``gradient``, computed with the value. Per sample, each entry of y_pred belongs to one
        value vᵢ and the mean's gradient is (1/M) ∂vᵢ/∂y_pred, so dL/dy_pred = M · gradient · gᵢ (g = dL/dv
        spread over the last axis). ``y_true`` is a constant: a traced one raises (no gradient reaches it),
        as second derivatives do."""
        if tape.recording_tapes([y_true]):
            raise NotImplementedError(f"{type(self).__name__} gives no gradient with respect to y_true, which a tape "
                                      "traces here. Pass ops.stop_gradient(y_true) if it is a constant target, or "
                                      "write the loss with redes.ops.")
        if per_sample and type(self)._value is not Loss._value:
            raise NotImplementedError(f"{type(self).__name__}'s mean is not the mean of its per-sample values, so "
                                      "its `call` has no gradient on a tape; call the loss object itself.")
        y_true, plain = detach(y_true), detach(y_pred)
        if per_sample:
            prepared = self._prepare(y_true, plain)
            value = self._values(*prepared)
            grad = self._gradient(*prepared) * xp.asarray(value.size, dtype=plain.dtype)
        else:
            value, grad = self.value_and_gradient(y_true, plain)

        def backward(grads: list) -> list:
            tape.check_first_order(f"the loss {self.name}", [y_pred, *grads])
            g = detach(grads[0])
            return [xp.reshape(g, xp.shape(g) + (1,) * (grad.ndim - xp.ndim(g))) * grad]
        return tape.record(xp.asarray(value, dtype=grad.dtype), [y_pred], backward)

    def gradient(self, y_true, y_pred):
        """dL/dy_pred of the mean loss: y_pred's shape and dtype."""
        return self._finite_in_float16(self._gradient(*self._prepare(y_true, y_pred)))

    def _finite_in_float16(self, grad):
        """``grad``, or a clear ValueError where float16 overflowed (e.g. y_true / ε with ε = 2⁻¹⁰)."""
        if grad.dtype == xp.float16 and not xp.isfinite(grad).all():
            raise ValueError(f"The gradient of {self.name} overflows float16 (largest value 65,504) for these "
                             f"targets: compute the loss in float32 (y_pred.astype('float32')).")
        return grad

    def value_and_gradient(self, y_true, y_pred, with_gradient: bool = True, checked: bool = False,
                           sample_weight=None) -> tuple:
        """(the mean loss, dL/dy_pred or None) from one preparation of the arrays: what a training step needs.

        ``checked=True`` skips the checks of ``y_true`` against ``y_pred``, for a caller that made them
        once for all its batches (``fit`` calls ``check_targets`` on the whole y before the first batch).
        ``sample_weight``: None, or weights of shape (N,) or (N, steps) that scale the per-sample values
        (see the module docstring). A subclass that redefines ``__call__`` or ``gradient`` gets those,
        called as they are (and takes no sample weights).
        """
        if type(self).__call__ is not Loss.__call__ or type(self).gradient is not Loss.gradient:
            self._require_values(sample_weight, overridden=True)
            return self(y_true, y_pred), (self.gradient(y_true, y_pred) if with_gradient else None)
        y_true, y_pred = self._convert(y_true, y_pred) if checked else self._prepare(y_true, y_pred)
        return self._reduce(self._value, self._values, self._gradient, y_true, y_pred, with_gradient, sample_weight)

    def _reduce(self, value, values, gradient, y_true, y_pred, with_gradient: bool, sample_weight) -> tuple:
        """(loss, gradient or None): ``value`` and ``gradient`` unweighted; with ``sample_weight`` w, Keras'
        'sum_over_batch_size' Σ w·``values`` / (number of values) and w times ``gradient``."""
        if sample_weight is None:
            return float(value(y_true, y_pred)), (self._finite_in_float16(gradient(y_true, y_pred))
                                                  if with_gradient else None)
        self._require_values(sample_weight)
        per_sample = values(y_true, y_pred)
        weights = _expand(xp.asarray(sample_weight).astype(per_sample.dtype, copy=False), per_sample.ndim)
        loss = float((per_sample * weights).sum() / per_sample.size)
        return loss, (self._finite_in_float16(gradient(y_true, y_pred)) * _expand(weights, y_pred.ndim)
                      if with_gradient else None)

    def _require_values(self, sample_weight, overridden: bool = False) -> None:
        """Raise ValueError if sample weights are given to a loss without per-sample values."""
        if sample_weight is not None and (overridden or type(self)._values is Loss._values):
            raise ValueError(f"`sample_weight` scales a loss's per-sample values, and {self.name} has none "
                             "(define `_values`, Keras' `call`). Received sample weights for it.")

    def call(self, y_true, y_pred):
        """The per-sample losses, unreduced: y_pred's shape without its last axis (Keras' ``Loss.call``).

        Example:
            >>> MeanSquaredError().call(np.array([[0.0, 2.0], [1.0, 1.0]]), np.zeros((2, 2)))
            array([2., 1.])
        """
        if tape.RECORDING and tape.recording_tapes([y_pred]):
            return self._call_on_tape(y_true, y_pred, per_sample=True)
        return self._values(*self._prepare(y_true, y_pred))

    def _value(self, y_true, y_pred):
        """The mean loss: the mean of the per-sample values."""
        return self._values(y_true, y_pred).mean()

    def _values(self, y_true, y_pred):
        """The per-sample values, y_pred's shape without its last axis (Keras' ``call``)."""
        raise NotImplementedError(f"{type(self).__name__} must define `_values` or `_value`.")

    def check_targets(self, y_true, y_pred_shape: tuple) -> None:
        """Raise ValueError unless ``y_true`` fits predictions of shape ``y_pred_shape``."""
        y_true = _as_numeric(y_true, "y_true")
        y_pred_shape = tuple(y_pred_shape)
        if y_true.shape[0] != y_pred_shape[0]:
            raise ValueError(
                "`y_true` and `y_pred` must have the same batch size. "
                f"Received: y_true.shape={y_true.shape}, y_pred.shape={y_pred_shape}"
            )
        self._check_target_shape(y_true, y_pred_shape)

    def _check_target_shape(self, y_true, y_pred_shape: tuple) -> None:
        if not _fits(y_true.shape, y_pred_shape):
            raise ValueError(
                f"`y_true` must have the shape of `y_pred`, {y_pred_shape}, for {self.name}. "
                f"Received: y_true.shape={y_true.shape}, y_pred.shape={y_pred_shape}"
            )

    def _prepare(self, y_true, y_pred) -> tuple:
        """Validate; return y_true converted for the math and y_pred as a float array."""
        y_pred = _as_numeric(y_pred, "y_pred")
        if y_pred.dtype.kind != "f":
            y_pred = y_pred.astype(backend.floatx())
        if y_pred.ndim < self._min_rank:
            raise ValueError(
                f"`y_pred` must have shape (batch, ..., classes) for {self.name}. Received shape {y_pred.shape}."
            )
        y_true = _as_numeric(y_true, "y_true")
        self.check_targets(y_true, y_pred.shape)
        return self._convert_targets(y_true, y_pred), y_pred

    def _convert(self, y_true, y_pred) -> tuple:
        """``_prepare`` without the checks, for targets already checked against float predictions."""
        return self._convert_targets(xp.asarray(y_true), y_pred), y_pred

    def _convert_targets(self, y_true, y_pred):
        return y_true.reshape(y_pred.shape).astype(y_pred.dtype, copy=False)

    def get_config(self) -> dict:
        return {"name": self.name}

    def __repr__(self) -> str:
        args = ", ".join(f"{key}={value!r}" for key, value in self.get_config().items())
        return f"{type(self).__name__}({args})"
