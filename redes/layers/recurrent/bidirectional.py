"""Bidirectional: a recurrent layer run over the sequence forwards and backwards, outputs merged, as Keras."""

from __future__ import annotations

from ...backend import xp
from ...serialization import deserialize, serialize
from ...tensor import Tensor4D
from ...validation import check_one_of
from ..base import Layer
from ..wrapper import Wrapper

MERGE_MODES = ("concat", "sum", "mul", "ave")


def _remove_prefix(name: str, prefix: str) -> str:
    return name[len(prefix):] if name.startswith(prefix) else name


def _check_recurrent(argument: str, layer) -> Layer:
    if not isinstance(layer, Layer) or not hasattr(layer, "go_backwards") or not hasattr(layer, "return_sequences"):
        raise TypeError(f"`{argument}` must be a recurrent layer instance (SimpleRNN, LSTM, GRU, or a layer with "
                        f"`go_backwards` and `return_sequences`). Received: {argument}={layer!r}")
    if getattr(layer, "return_state", False):
        raise ValueError(f"`{argument}` with return_state=True is not available inside Bidirectional yet: wrap the "
                         f"layer without it. Received: {argument}={layer!r}")
    return layer


class Bidirectional(Wrapper):
    """Bidirectional wrapper of a recurrent layer, as Keras' Bidirectional.

    Two copies of ``layer`` read the sequence: the forward layer in its order, the backward layer (the
    same configuration with ``go_backwards`` flipped, or ``backward_layer``) in reverse; their outputs are
    merged. Both copies are new layers with fresh weights, built from ``layer``'s config (Keras does the
    same: ``layer``'s own weights are not reused); they are named 'forward_<name>' and 'backward_<name>'.

    Args:
        layer: a recurrent layer (SimpleRNN, LSTM, GRU, or a layer with ``go_backwards`` and
            ``return_sequences``), the template of the forward layer.
        merge_mode: how the two outputs combine: 'concat' (default), 'sum', 'mul' or 'ave'; None returns
            the two outputs as a list [forward, backward] (the backward one back in forward time).
        weights: optional initial weights, forward layer's then backward layer's (set when built).
        backward_layer: optional recurrent layer for the backward direction; it must have the opposite
            ``go_backwards``, the same ``return_sequences`` and ``stateful``, and the wrapper's dtype.
        name, trainable, dtype: as ``Layer`` (dtype defaults to ``layer``'s).

    Input shape: (batch, steps, features), a Tensor4D (batch, 1, steps, features).
    Output shape: (batch, [steps,] units) of the layer; 'concat': the forward units + the backward units
    (2·units without ``backward_layer``). The other modes need the two outputs of one shape (ValueError).
    Weights: the forward layer's, then the backward layer's, each in its Keras order (LSTM: kernel,
    recurrent_kernel, bias): Keras' ``get_weights`` order, so ``set_weights(keras_layer.get_weights())``
    works. ``weight_names`` prefixes them 'forward_' and 'backward_'.

    Equations (y: the forward layer's output; r: the backward layer's, reversed in time with
    ``return_sequences`` so that rₜ is aligned with yₜ; g = dL/d(output)):
        forward   concat [y, r],  sum y + r,  ave (y + r)/2,  mul y ⊙ r
        backward  concat dL/dy = g[..., :units], dL/dr = g[..., units:];  sum dL/dy = dL/dr = g;
                  ave dL/dy = dL/dr = g/2;  mul dL/dy = g ⊙ r, dL/dr = g ⊙ y (product rule)
                  dL/dr is reversed back in time (``return_sequences``) before the backward layer's backward;
                  each layer's backward stores its weight gradients;  dL/dx = the sum of their dL/dx.

    Example:
        >>> Bidirectional(LSTM(4))(np.ones((2, 5, 3), dtype="float32")).shape
        (2, 8)
        >>> Bidirectional(GRU(4, return_sequences=True), merge_mode="sum")(np.ones((2, 5, 3), "float32")).shape
        (2, 5, 4)
    """

    def __init__(self, layer, merge_mode: str = "concat", weights=None, backward_layer=None, **kwargs) -> None:
        _check_recurrent("layer", layer)
        self.merge_mode = None if merge_mode is None else check_one_of("merge_mode", merge_mode, MERGE_MODES)
        if weights is not None and not isinstance(weights, (list, tuple)):
            raise TypeError(f"`weights` must be a list of arrays (the forward layer's, then the backward "
                            f"layer's) or None. Received: weights of type {type(weights).__name__}")
        if kwargs.get("dtype") is None:
            kwargs["dtype"] = layer.dtype
        super().__init__(**kwargs)
        config = layer.get_config()
        forward = type(layer).from_config({**config, "dtype": self.dtype,
                                           "name": "forward_" + _remove_prefix(layer.name, "forward_")})
        if backward_layer is None:
            backward_layer = type(layer).from_config({**config, "dtype": self.dtype,
                                                      "go_backwards": not config["go_backwards"],
                                                      "name": "backward_" + _remove_prefix(layer.name, "backward_")})
        else:
            _check_recurrent("backward_layer", backward_layer)
            if backward_layer.go_backwards == forward.go_backwards:
                raise ValueError("`backward_layer` must have the opposite `go_backwards` of `layer`. Received: "
                                 f"layer.go_backwards={forward.go_backwards}, "
                                 f"backward_layer.go_backwards={backward_layer.go_backwards}")
            for attribute in ("return_sequences", "stateful", "dtype"):
                ours, theirs = getattr(forward, attribute, None), getattr(backward_layer, attribute, None)
                if ours != theirs:
                    raise ValueError(f"`backward_layer` must have the same `{attribute}` as `layer` (and the "
                                     f"wrapper). Received: {ours!r} for layer, {theirs!r} for backward_layer")
        self.forward_layer, self.backward_layer = forward, backward_layer
        self._initial_weights = None if weights is None else list(weights)
        self.return_sequences = forward.return_sequences
        self.stateful = getattr(forward, "stateful", False)
        self._set_inner([forward, backward_layer], ["forward_", "backward_"])

    def build(self, input_shape: tuple) -> None:
        self.forward_layer.build_for(input_shape)
        self.backward_layer.build_for(input_shape)
        if self._initial_weights is not None:
            weights, self._initial_weights = self._initial_weights, None
            if len(weights) != len(self.weights):
                raise ValueError(f"`weights` must hold {len(self.weights)} arrays, the forward layer's then the "
                                 f"backward layer's ({', '.join(self.weight_names)}). Received {len(weights)}.")
            self.set_weights(weights)

    def compute_output_shape(self, input_shape: tuple) -> tuple | list:
        shape = tuple(self.forward_layer.compute_output_shape(input_shape))
        other = tuple(self.backward_layer.compute_output_shape(input_shape))
        if self.merge_mode is None:  # two outputs
            return [shape, other]
        if self.merge_mode == "concat":
            return shape[:-1] + (shape[-1] + other[-1],)
        if shape != other:
            raise ValueError(f"merge_mode={self.merge_mode!r} combines outputs of one shape; the forward layer "
                             f"gives {shape}, the backward layer {other}. Use merge_mode='concat'.")
        return shape

    def forward(self, x: Tensor4D, training: bool = False) -> Tensor4D:
        y = self.forward_layer(x, training=training).data  # (N, 1, T or 1, U)
        r = self.backward_layer(x, training=training).data
        if self.return_sequences:
            r = r[:, :, ::-1]  # the backward layer's sequence, back in forward time
        self._keep_inner_state()
        if self.merge_mode is None:
            self._output_shapes = (y.shape, r.shape)
            return [Tensor4D(y), Tensor4D(xp.ascontiguousarray(r))]
        if self.merge_mode == "concat":
            return Tensor4D(xp.concatenate([y, r], axis=-1))
        if self.merge_mode == "sum":
            return Tensor4D(y + r)
        if self.merge_mode == "ave":
            return Tensor4D((y + r) / 2)
        self._y, self._r = y, r  # mul: each factor's gradient is the other factor
        return Tensor4D(y * r)

    def compute_mask(self, x: Tensor4D, mask):
        """The input's mask for returned sequences (both directions read it), as Keras; else None."""
        return mask if self.return_sequences else None

    def backward(self, grad) -> Tensor4D:
        if self.merge_mode is None:  # [dL/dy, dL/dr]; None for an output nothing read (a zero gradient)
            dy, dr = (xp.zeros(shape, dtype=self.dtype) if g is None else g.data
                      for g, shape in zip(grad, self._output_shapes))
        elif self.merge_mode == "concat":
            units = self.forward_layer.output_shape[-1]
            dy, dr = grad.data[..., :units], grad.data[..., units:]
        elif self.merge_mode == "sum":
            dy = dr = grad.data
        elif self.merge_mode == "ave":
            dy = dr = grad.data / 2
        else:
            dy, dr = grad.data * self._r, grad.data * self._y
        if self.return_sequences:
            dr = dr[:, :, ::-1]
        with self._inner_backward():
            dx = self.forward_layer.backward(Tensor4D(dy)).data
            dx = dx + self.backward_layer.backward(Tensor4D(xp.ascontiguousarray(dr))).data
        return Tensor4D(dx)

    def get_config(self) -> dict:
        return {**super().get_config(), "layer": serialize(self.forward_layer), "merge_mode": self.merge_mode,
                "weights": None, "backward_layer": serialize(self.backward_layer)}

    @classmethod
    def from_config(cls, config: dict) -> "Bidirectional":
        config = dict(config)
        config["layer"] = deserialize(config["layer"], kind="layer")
        if config.get("backward_layer") is not None:
            config["backward_layer"] = deserialize(config["backward_layer"], kind="layer")
        return cls(**config)
