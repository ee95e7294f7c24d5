"""BatchNormalization folded into the Dense or convolution before it, for ``predict`` and ``evaluate``.

In inference a BatchNormalization is the per-channel affine map y = s ⊙ z + t (``inference_affine``:
s = γ / √(σ² + ε), t = β − s ⊙ μ from its moving statistics). Right after a layer whose output channel f is
a linear function of its input with kernel slice W[..., f] and bias b[f] — Dense, Conv1D, Conv2D,
SeparableConv2D (its pointwise kernel), DepthwiseConv2D (channel c·D + m from W[..., c, m]) — with no
activation, the pair is one such layer:

    y = s ⊙ (x ⋆ W + b) + t = x ⋆ (W ⊙ s) + (s ⊙ b + t)        (s broadcast over W's output channels)

exact up to rounding, and the BatchNormalization's two passes over the activations are gone (the
Conv2D(use_bias=False) → BatchNormalization → ReLU block of most Keras CNNs). ``folded(layers)`` returns
the list to run: each such pair replaced by a new layer of the first one's class holding the folded
weights, built when asked (so always from the weights of the moment). The model's own layers are never
changed; training runs them as they are.
"""

from __future__ import annotations

from ..backend import xp
from ..layers import BatchNormalization, Conv1D, Conv2D, Dense, DepthwiseConv2D, SeparableConv2D
from ..layers.base import Layer

_FOLDABLE = (Dense, Conv1D, Conv2D, DepthwiseConv2D, SeparableConv2D)


def folded(layers: list[Layer]) -> list[Layer]:
    """``layers`` with every (linear layer, BatchNormalization) pair replaced by one folded layer."""
    result, index = [], 0
    while index < len(layers):
        layer = layers[index]
        following = layers[index + 1] if index + 1 < len(layers) else None
        if _foldable(layer, following):
            result.append(_fold(layer, following))
            index += 2
        else:
            result.append(layer)
            index += 1
    return result


def _foldable(layer: Layer, following: Layer | None) -> bool:
    return (type(layer) in _FOLDABLE and type(following) is BatchNormalization and layer.built
            and following.built and layer.activation.name == "linear" and layer.dtype == following.dtype)


def _fold(layer: Layer, normalization: BatchNormalization) -> Layer:
    """A new layer of ``layer``'s class whose output is ``normalization(layer(x))`` in inference."""
    scale, shift = normalization.inference_affine()
    weights = layer.get_weights()
    bias = weights.pop() if layer.use_bias else xp.zeros_like(scale)
    kernel = weights[-1]  # the kernel whose last axes are the output channels
    if type(layer) is DepthwiseConv2D:  # (kh, kw, C, D): output channel c·D + m
        weights[-1] = kernel * scale.reshape(kernel.shape[-2:])
    else:
        weights[-1] = kernel * scale
    clone = type(layer).from_config({**layer.get_config(), "use_bias": True, "name": f"{layer.name}_folded"})
    clone.build_for(layer.input_shape)
    clone.set_weights([*weights, bias * scale + shift])
    return clone
