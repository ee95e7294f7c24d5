"""BatchNormalization folded into the Dense or convolution before it, for ``predict`` and ``evaluate``.

In inference a BatchNormalization is the per-channel affine map y = s ⊙ z + t (``inference_affine``:
s = γ / √(σ² + ε), t = β − s ⊙ μ from its moving statistics). Right after a layer whose output channel f is
a linear function of its input with kernel slice W[..., f] and bias b[f] — Dense, Conv1D, Conv2D,
SeparableConv2D (its pointwise kernel), DepthwiseConv2D (channel c·D + m from W[..., c, m]) — with no
activation, the pair is one such layer:

    y = s ⊙ (x ⋆ W + b) + t = x ⋆ (W ⊙ s) + (s ⊙ b + t)        (s broadcast over W's output channels)

exact up to rounding, and the BatchNormalization's two passes over the activations are gone (the
Conv2D(use_bias=False) → BatchNormalization → ReLU block of most Keras CNNs). ``Folding.layers(layers,
samples)`` returns the list to run: each such pair replaced by a layer of the first one's class holding
the folded weights, refolded at every call (so always from the weights of the moment). The model's own
layers are never changed; training runs them as they are. Folding costs a few passes over the kernel,
so a pair is folded only when the activations it saves outweigh it: ``samples`` × the layer's output
size ≥ 2 × its weights (a Dense 9216 → 128 is not folded for one sample: 1.2 M weights, 128 outputs).
"""

from __future__ import annotations

import contextlib
import math

from ..backend import xp
from ..layers import BatchNormalization, Conv1D, Conv2D, Dense, DepthwiseConv2D, SeparableConv2D
from ..layers.base import Layer

_FOLDABLE = (Dense, Conv1D, Conv2D, DepthwiseConv2D, SeparableConv2D)


class Folding:
    """The layers a model's ``predict`` and ``evaluate`` run; the folded copies are kept between calls (built
    once per pair, since a copy's structure never changes) and their weights refolded at every call."""

    def __init__(self) -> None:
        self._copies: dict = {}  # (id(layer), id(normalization)) -> (layer, normalization, the folded copy)
        self.running: list[Layer] | None = None  # inside ``folded``: the layers to run

    @contextlib.contextmanager
    def folded(self, layers: list[Layer], samples: int | None = None):
        """The block in which ``running`` holds ``self.layers(layers, samples)``."""
        self.running = self.layers(layers, samples)
        try:
            yield
        finally:
            self.running = None

    def layers(self, layers: list[Layer], samples: int | None = None) -> list[Layer]:
        """``layers`` with every (linear layer, BatchNormalization) pair replaced by one folded layer, for a
        ``predict`` or ``evaluate`` of ``samples`` inputs (None: many)."""
        result, index = [], 0
        while index < len(layers):
            layer = layers[index]
            following = layers[index + 1] if index + 1 < len(layers) else None
            if _foldable(layer, following) and _worth_it(layer, samples):
                result.append(self._folded(layer, following))
                index += 2
            else:
                result.append(layer)
                index += 1
        return result

    def _folded(self, layer: Layer, normalization: BatchNormalization) -> Layer:
        """The copy of ``layer`` whose output is ``normalization(layer(x))`` in inference, with today's weights."""
        key = (id(layer), id(normalization))  # the entry holds both, so their ids stay theirs while it lives
        entry = self._copies.get(key)
        if entry is None or entry[2].input_shape != layer.input_shape:
            entry = self._copies[key] = (layer, normalization, _copy_with_bias(layer))
        copy = entry[2]
        copy.set_weights(_folded_weights(layer, normalization))
        return copy


def _foldable(layer: Layer, following: Layer | None) -> bool:
    return (type(layer) in _FOLDABLE and type(following) is BatchNormalization and layer.built
            and following.built and layer.activation.name == "linear" and layer.dtype == following.dtype)


def _worth_it(layer: Layer, samples: int | None) -> bool:
    weights = sum(w.size for w in layer.weights)
    return samples is None or samples * math.prod(layer.output_shape) >= 2 * weights


def _copy_with_bias(layer: Layer) -> Layer:
    """A built layer of ``layer``'s class and configuration, with a bias (initialized to zeros: no random draws)."""
    config = {key: "zeros" if key.endswith("_initializer") else value for key, value in layer.get_config().items()}
    copy = type(layer).from_config({**config, "use_bias": True, "name": f"{layer.name}_folded"})
    copy.build_for(layer.input_shape)
    return copy


def _folded_weights(layer: Layer, normalization: BatchNormalization) -> list:
    """``layer``'s weights with the normalization's s and t folded in: [..., W ⊙ s, s ⊙ b + t]."""
    scale, shift = normalization.inference_affine()
    weights = layer.get_weights()
    bias = weights.pop() if layer.use_bias else xp.zeros_like(scale)
    kernel = weights[-1]  # the kernel whose last axes are the output channels
    if type(layer) is DepthwiseConv2D:  # (kh, kw, C, D): output channel c·D + m
        weights[-1] = kernel * scale.reshape(kernel.shape[-2:])
    else:
        weights[-1] = kernel * scale
    return [*weights, bias * scale + shift]
