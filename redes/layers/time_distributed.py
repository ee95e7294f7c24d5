"""TimeDistributed: one layer applied to every time step of a sequence, as Keras' TimeDistributed."""

from __future__ import annotations

from ..serialization import deserialize, serialize
from ..tensor import Logits, LogitsGradient, Tensor4D
from .base import Layer, format_shape
from .wrapper import Wrapper


class TimeDistributed(Wrapper):
    """Apply ``layer`` to every time step of the input, the same weights at every step, as Keras.

    The step axis is folded into the batch — (batch, steps, *step) becomes (batch·steps, *step), a
    reshape without a copy for a contiguous input — the inner layer runs once on that batch, and its
    output is unfolded to (batch, steps, *out). As in Keras, the inner layer is ``layer`` itself (not a
    copy): its weights are the wrapper's.

    Limit: a Tensor4D holds at most 3 feature axes, so the input (steps, *step) has 2 or 3, i.e. the
    per-step input has 1 or 2 axes — Dense on (batch, steps, features), or a sequence layer (LSTM,
    ...) on (batch, steps, substeps, features) — and so has the per-step output. A per-step image
    (Conv2D on (batch, steps, h, w, c), a 5-D input) cannot be represented: it raises ValueError.

    Args:
        layer: the layer to apply to each step (a Layer instance taking one input).
        name, trainable, dtype: as ``Layer`` (dtype defaults to ``layer``'s and must equal it).

    Input shape: (batch, steps, *step), 1 or 2 step axes.
    Output shape: (batch, steps, *out), where ``out`` is ``layer``'s output shape for ``step``.
    Weights: ``layer``'s, in its order and under its names.

    Equations (f = layer, g = dL/dy):
        forward   yₜ = f(xₜ) for every step t, as one call f(X) on X = x reshaped to (batch·steps, *step)
        backward  dL/dxₜ = f's backward of gₜ, again one call on g reshaped to (batch·steps, *out); f stores
                  dL/dW = Σₜ (∂yₜ/∂W)ᵀ gₜ, the sum over the steps coming from the batch sum of f's own gradient.
        A LogitsGradient (a fused softmax/sigmoid + cross-entropy after an inner Dense with a softmax) is
        folded and passed on as one, and the inner output's logits are unfolded with it.

    Example:
        >>> TimeDistributed(Dense(4))(np.ones((2, 5, 3), dtype="float32")).shape
        (2, 5, 4)
    """

    def __init__(self, layer, **kwargs) -> None:
        if not isinstance(layer, Layer) or layer._takes_list:
            raise TypeError("`layer` must be a layer instance that takes one input (e.g. Dense(4)). "
                            f"Received: layer={layer!r}")
        if kwargs.get("dtype") is None:
            kwargs["dtype"] = layer.dtype
        super().__init__(**kwargs)
        if self.dtype != layer.dtype:
            raise ValueError(f"`dtype` must be the inner layer's dtype ({layer.dtype}): TimeDistributed runs "
                             f"'{layer.name}' itself. Received: dtype={self.dtype!r}")
        self.layer = layer
        self._set_inner([layer])

    def _step_shape(self, input_shape: tuple) -> tuple:
        if not 2 <= len(input_shape) <= 3:
            raise ValueError("TimeDistributed takes inputs of shape (batch, steps, *step) with 1 or 2 step axes "
                             "(a Tensor4D holds at most 3 feature axes; a per-step image, 5-D, is not available). "
                             f"Received input shape {format_shape(input_shape)}.")
        return tuple(input_shape[1:])

    def build(self, input_shape: tuple) -> None:
        out = self.layer.build_for(self._step_shape(input_shape))
        if isinstance(out, list) or len(out) > 2:
            raise ValueError(f"TimeDistributed: '{self.layer.name}' outputs {format_shape(out)} per step; an output "
                             "of more than 2 axes per step (more than 3 with the steps) cannot be held by a "
                             "Tensor4D.")

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return (input_shape[0],) + tuple(self.layer.compute_output_shape(self._step_shape(input_shape)))

    def forward(self, x: Tensor4D, training: bool = False) -> Tensor4D:
        steps_first = x.to_natural(self.input_shape)  # (N, T, *step), a view
        self._batch, self._steps = steps_first.shape[:2]
        folded = steps_first.reshape((-1,) + steps_first.shape[2:])
        y = self.layer(Tensor4D.from_natural(folded), training=training)
        self._keep_inner_state()
        logits = None if y.logits is None else Logits(self._unfold(y.logits.values), y.logits.activation)
        return Tensor4D(self._unfold(y.data), logits=logits)

    def _unfold(self, data):
        """(N·T, ...) Tensor4D data of the inner layer as the (N, 1 | T, ...) Tensor4D data of the wrapper."""
        per_step = tuple(self.layer.output_shape)
        natural = data.reshape((data.shape[0],) + data.shape[4 - len(per_step):])  # (N·T, *out)
        return Tensor4D.from_natural(natural.reshape((self._batch, self._steps) + natural.shape[1:])).data

    def backward(self, grad: Tensor4D) -> Tensor4D:
        steps_first = grad.to_natural((self._steps,) + tuple(self.layer.output_shape))
        folded = Tensor4D.from_natural(steps_first.reshape((-1,) + steps_first.shape[2:]))
        if isinstance(grad, LogitsGradient):
            folded = LogitsGradient(folded.data)
        with self._inner_backward():
            dx = self.layer.backward(folded)
        natural = dx.to_natural(self.layer.input_shape)  # (N·T, *step)
        return Tensor4D.from_natural(natural.reshape((self._batch, self._steps) + natural.shape[1:]))

    def get_config(self) -> dict:
        return {**super().get_config(), "layer": serialize(self.layer)}

    @classmethod
    def from_config(cls, config: dict) -> "TimeDistributed":
        return cls(**{**config, "layer": deserialize(config["layer"], kind="layer")})
