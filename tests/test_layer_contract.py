"""The layer contract: one test, parametrized over every public layer class in ``redes.layers.__all__``.

Each layer gets the same checks (CONTRIBUTING.md, "Adding a layer", walks through them):
    1. float64 central-difference gradients of the input(s) and of every trainable weight;
    2. config round trip: ``from_config(get_config())`` gives the same config, the same outputs with
       the same weights, and the same initial weights under the same seed;
    3. saved and loaded inside a model, bit-exact predictions;
    4. float32 in, float32 out (and float64 in a float64 layer);
    5. shared (called twice) in a functional model: its weight gradients are the sum of the two calls';
    6. as the output layer: an unfused loss trains; a layer made with a softmax carries logits and its
       fused gradient equals the unfused one;
    7. bad constructor arguments raise TypeError (wrong type) or ValueError (wrong value) naming the argument.

A new layer in ``__all__`` without a spec here fails ``test_every_public_layer_has_a_spec``: add a
``Spec`` (or list it in ``NOT_LAYERS`` with the reason).
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pytest

import redes
from helpers import GRADCHECK_TOLERANCE, numerical_gradient, relative_error
from redes import Model, Sequential, Tensor4D, layers, losses, optimizers
from redes.models.objectives import takes_logits

NOT_LAYERS = {
    "Layer": "the abstract base class",
    "SymbolicTensor": "a graph tensor, not a layer",
    "Input": "the graph's entry: no computation, tested in tests/test_functional.py and test_core_layers.py",
}


@dataclass
class Spec:
    """How the contract test makes and feeds one layer class."""

    make: Callable  # **kwargs (name, dtype) -> layer
    input_shape: tuple | list  # a list of shapes for a layer that takes several inputs
    bad: list = field(default_factory=list)  # (constructor kwargs, exception type, argument name)
    training: bool = True  # the mode of the gradient check (random layers: inference, where they are fixed)
    softmax: Callable | None = None  # **kwargs -> the layer with a softmax output, for the fused path
    # Integer inputs: draw whole numbers in [0, indices) (in the float dtype, as a model feeds them) instead of
    # normal values. Indices are not differentiable (an Embedding's backward returns zeros for them) and a
    # central difference would step off the integers, so the input-gradient check is left out; the
    # weight-gradient check stays.
    indices: int | None = None


SPECS = {
    "Dense": Spec(lambda **kw: layers.Dense(3, activation="tanh", kernel_regularizer="l2", **kw), (4,),
                  bad=[({"units": "3"}, TypeError, "units"), ({"units": 0}, ValueError, "units")],
                  softmax=lambda **kw: layers.Dense(3, activation="softmax", **kw)),
    "Conv2D": Spec(lambda **kw: layers.Conv2D(2, 3, strides=2, padding="same", activation="relu", **kw), (5, 5, 2),
                   bad=[({"filters": 3, "kernel_size": 3, "groups": 2}, ValueError, "groups"),
                        ({"filters": 2, "kernel_size": 3, "groups": 0}, ValueError, "groups"),
                        ({"filters": 2, "kernel_size": 3, "data_format": "channels_first"}, ValueError, "data_format"),
                        ({"filters": 2.5, "kernel_size": 3}, TypeError, "filters"),
                        ({"filters": 2, "kernel_size": -1}, ValueError, "kernel_size"),
                        ({"filters": 2, "kernel_size": 3, "padding": "full"}, ValueError, "padding")],
                   softmax=lambda **kw: layers.Conv2D(3, 2, activation="softmax", **kw)),
    "Conv1D": Spec(lambda **kw: layers.Conv1D(4, 3, padding="causal", dilation_rate=2, groups=2, activation="tanh",
                                              kernel_regularizer="l2", **kw), (7, 2),
                   bad=[({"filters": 2.5, "kernel_size": 3}, TypeError, "filters"),
                        ({"filters": 2, "kernel_size": 3, "dilation_rate": 0}, ValueError, "dilation_rate"),
                        ({"filters": 2, "kernel_size": 3, "strides": 2, "dilation_rate": 2}, ValueError,
                         "dilation_rate"),
                        ({"filters": 2, "kernel_size": 3, "padding": "full"}, ValueError, "padding")],
                   softmax=lambda **kw: layers.Conv1D(3, 2, strides=2, padding="same", activation="softmax", **kw)),
    "Conv2DTranspose": Spec(lambda **kw: layers.Conv2DTranspose(2, 3, strides=2, padding="same", output_padding=1,
                                                                activation="tanh", kernel_regularizer="l2", **kw),
                            (3, 4, 2),
                            bad=[({"filters": 2.5, "kernel_size": 3}, TypeError, "filters"),
                                 ({"filters": 2, "kernel_size": 3, "strides": 2, "output_padding": 2}, ValueError,
                                  "output_padding"),
                                 ({"filters": 2, "kernel_size": 3, "padding": "causal"}, ValueError, "padding"),
                                 ({"filters": 2, "kernel_size": 3, "data_format": "channels_first"}, ValueError,
                                  "data_format")],
                            softmax=lambda **kw: layers.Conv2DTranspose(3, 2, strides=2, activation="softmax", **kw)),
    "DepthwiseConv2D": Spec(lambda **kw: layers.DepthwiseConv2D(3, strides=2, padding="same", depth_multiplier=2,
                                                                activation="tanh", depthwise_regularizer="l2", **kw),
                            (5, 6, 2),
                            bad=[({"kernel_size": 3, "depth_multiplier": 0}, ValueError, "depth_multiplier"),
                                 ({"kernel_size": 3, "depth_multiplier": 1.5}, TypeError, "depth_multiplier"),
                                 ({"kernel_size": 0}, ValueError, "kernel_size"),
                                 ({"kernel_size": 3, "strides": 2, "dilation_rate": 2}, ValueError, "dilation_rate"),
                                 ({"kernel_size": 3, "padding": "causal"}, ValueError, "padding"),
                                 ({"kernel_size": 3, "data_format": "channels_first"}, ValueError, "data_format")],
                            softmax=lambda **kw: layers.DepthwiseConv2D(2, activation="softmax", **kw)),
    "SeparableConv2D": Spec(lambda **kw: layers.SeparableConv2D(3, 3, dilation_rate=2, padding="same",
                                                                depth_multiplier=2, activation="tanh",
                                                                pointwise_regularizer="l2", **kw),
                            (6, 5, 2),
                            bad=[({"filters": 0, "kernel_size": 3}, ValueError, "filters"),
                                 ({"filters": 2.5, "kernel_size": 3}, TypeError, "filters"),
                                 ({"filters": 2, "kernel_size": 3, "depth_multiplier": -1}, ValueError,
                                  "depth_multiplier"),
                                 ({"filters": 2, "kernel_size": (3, 3, 3)}, ValueError, "kernel_size"),
                                 ({"filters": 2, "kernel_size": 3, "strides": 2, "dilation_rate": 2}, ValueError,
                                  "dilation_rate"),
                                 ({"filters": 2, "kernel_size": 3, "data_format": "channels_first"}, ValueError,
                                  "data_format")],
                            softmax=lambda **kw: layers.SeparableConv2D(3, 2, strides=2, activation="softmax", **kw)),
    "Conv1DTranspose": Spec(lambda **kw: layers.Conv1DTranspose(2, 3, dilation_rate=2, padding="same",
                                                                bias_initializer="ones", **kw), (5, 3),
                            bad=[({"filters": 0, "kernel_size": 3}, ValueError, "filters"),
                                 ({"filters": 2, "kernel_size": 3, "output_padding": -1}, ValueError,
                                  "output_padding"),
                                 ({"filters": 2, "kernel_size": 3, "strides": 2, "dilation_rate": 2}, ValueError,
                                  "dilation_rate")]),
    "UpSampling2D": Spec(lambda **kw: layers.UpSampling2D((2, 3), interpolation="bilinear", **kw), (3, 2, 2),
                         bad=[({"size": 0}, ValueError, "size"), ({"interpolation": "bicubic"}, ValueError,
                                                                   "interpolation"),
                              ({"interpolation": 2}, TypeError, "interpolation")]),
    "UpSampling1D": Spec(lambda **kw: layers.UpSampling1D(3, **kw), (4, 2),
                         bad=[({"size": "2"}, TypeError, "size"), ({"size": (2, 2)}, ValueError, "size")]),
    "ZeroPadding2D": Spec(lambda **kw: layers.ZeroPadding2D(((1, 0), (2, 1)), **kw), (3, 3, 2),
                          bad=[({"padding": -1}, ValueError, "padding"), ({"padding": "1"}, TypeError, "padding"),
                               ({"padding": (1, 2, 3)}, ValueError, "padding")]),
    "ZeroPadding1D": Spec(lambda **kw: layers.ZeroPadding1D((2, 1), **kw), (4, 2),
                          bad=[({"padding": 1.5}, TypeError, "padding"), ({"padding": (1, 2, 3)}, ValueError,
                                                                        "padding")]),
    "Resizing": Spec(lambda **kw: layers.Resizing(3, 5, interpolation="bilinear", crop_to_aspect_ratio=True, **kw),
                     (4, 6, 2),
                     bad=[({"height": 0, "width": 2}, ValueError, "height"), ({"height": 2, "width": "2"}, TypeError,
                                                                              "width"),
                          ({"height": 2, "width": 2, "interpolation": "bicubic"}, ValueError, "interpolation"),
                          ({"height": 2, "width": 2, "crop_to_aspect_ratio": 1}, TypeError, "crop_to_aspect_ratio")]),
    "CenterCrop": Spec(lambda **kw: layers.CenterCrop(2, 3, **kw), (4, 6, 2),
                       bad=[({"height": 2, "width": 0}, ValueError, "width"),
                            ({"height": 2, "width": 2, "data_format": "channels_first"}, ValueError, "data_format")]),
    "Cropping2D": Spec(lambda **kw: layers.Cropping2D(((1, 0), (0, 2)), **kw), (4, 5, 2),
                       bad=[({"cropping": -1}, ValueError, "cropping"),
                            ({"cropping": ((1, 1),)}, ValueError, "cropping")]),
    "Cropping1D": Spec(lambda **kw: layers.Cropping1D((1, 2), **kw), (6, 2),
                       bad=[({"cropping": "1"}, TypeError, "cropping")]),
    "MaxPooling1D": Spec(lambda **kw: layers.MaxPooling1D(3, strides=2, **kw), (7, 2),
                         bad=[({"pool_size": 0}, ValueError, "pool_size"),
                              ({"pool_size": 2, "padding": "causal"}, ValueError, "padding")]),
    "AveragePooling1D": Spec(lambda **kw: layers.AveragePooling1D(3, strides=2, padding="same", **kw), (7, 2),
                             bad=[({"pool_size": "2"}, TypeError, "pool_size"),
                                  ({"pool_size": 2, "strides": (1, 1)}, ValueError, "strides")]),
    "GlobalMaxPooling1D": Spec(lambda **kw: layers.GlobalMaxPooling1D(**kw), (5, 2),
                               bad=[({"keepdims": 1}, TypeError, "keepdims")]),
    "GlobalAveragePooling1D": Spec(lambda **kw: layers.GlobalAveragePooling1D(keepdims=True, **kw), (5, 2),
                                   bad=[({"keepdims": "yes"}, TypeError, "keepdims")]),
    "MaxPooling2D": Spec(lambda **kw: layers.MaxPooling2D(2, **kw), (4, 4, 2),
                         bad=[({"pool_size": 0}, ValueError, "pool_size")]),
    "AveragePooling2D": Spec(lambda **kw: layers.AveragePooling2D(3, strides=2, padding="same", **kw), (5, 5, 2),
                             bad=[({"pool_size": "2"}, TypeError, "pool_size")]),
    "GlobalMaxPooling2D": Spec(lambda **kw: layers.GlobalMaxPooling2D(**kw), (3, 3, 2)),
    "GlobalAveragePooling2D": Spec(lambda **kw: layers.GlobalAveragePooling2D(keepdims=True, **kw), (3, 3, 2),
                                   bad=[({"keepdims": "yes"}, TypeError, "keepdims")]),
    "SimpleRNN": Spec(lambda **kw: layers.SimpleRNN(3, return_sequences=True, **kw), (4, 2),
                      bad=[({"units": "3"}, TypeError, "units"), ({"units": 0}, ValueError, "units"),
                           ({"units": 3, "dropout": 1.0}, ValueError, "dropout"),
                           ({"units": 3, "return_sequences": 1}, TypeError, "return_sequences")]),
    "LSTM": Spec(lambda **kw: layers.LSTM(3, kernel_regularizer="l2", **kw), (4, 2),
                 bad=[({"units": 3, "unit_forget_bias": 1}, TypeError, "unit_forget_bias"),
                      ({"units": 3, "recurrent_dropout": -0.1}, ValueError, "recurrent_dropout")]),
    "GRU": Spec(lambda **kw: layers.GRU(3, go_backwards=True, return_sequences=True, **kw), (4, 2),
                bad=[({"units": 3, "reset_after": "no"}, TypeError, "reset_after"),
                     ({"units": 3, "seed": -1}, ValueError, "seed")]),
    "Embedding": Spec(lambda **kw: layers.Embedding(6, 3, embeddings_regularizer="l2", mask_zero=True, **kw), (5,),
                      indices=6,
                      bad=[({"input_dim": "6", "output_dim": 3}, TypeError, "input_dim"),
                           ({"input_dim": 6, "output_dim": 0}, ValueError, "output_dim"),
                           ({"input_dim": 6, "output_dim": 3, "mask_zero": 1}, TypeError, "mask_zero"),
                           ({"input_dim": 6, "output_dim": 3, "embeddings_initializer": "nope"}, ValueError,
                            "initializer")]),
    "Masking": Spec(lambda **kw: layers.Masking(0.5, **kw), (4, 3),
                    bad=[({"mask_value": "0"}, TypeError, "mask_value")]),
    "Bidirectional": Spec(lambda **kw: layers.Bidirectional(layers.LSTM(3, kernel_regularizer="l2",
                                                                     return_sequences=True), merge_mode="mul", **kw),
                          (4, 2),
                          bad=[({"layer": layers.Dense(3)}, TypeError, "layer"),
                               ({"layer": layers.LSTM(3), "merge_mode": "max"}, ValueError, "merge_mode"),
                               ({"layer": layers.LSTM(3), "backward_layer": layers.LSTM(3)}, ValueError,
                                "go_backwards"),
                               ({"layer": layers.LSTM(3), "backward_layer": layers.GRU(3, go_backwards=True,
                                                                                       return_sequences=True)},
                                ValueError, "return_sequences")]),
    "TimeDistributed": Spec(lambda **kw: layers.TimeDistributed(
                                layers.Dense(3, activation="tanh", kernel_regularizer="l2", dtype=kw.get("dtype")),
                                **kw), (4, 2),
                            bad=[({"layer": "dense"}, TypeError, "layer")],
                            softmax=lambda **kw: layers.TimeDistributed(
                                layers.Dense(3, activation="softmax", dtype=kw.get("dtype")), **kw)),
    "Identity": Spec(lambda **kw: layers.Identity(**kw), (2, 3)),
    "Flatten": Spec(lambda **kw: layers.Flatten(**kw), (2, 3, 2)),
    "Reshape": Spec(lambda **kw: layers.Reshape((3, 4), **kw), (2, 6),
                    bad=[({"target_shape": "3"}, TypeError, "target_shape")]),
    "Permute": Spec(lambda **kw: layers.Permute((3, 1, 2), **kw), (2, 3, 4),
                    bad=[({"dims": (1, 3)}, ValueError, "dims"), ({"dims": (1.0, 2.0)}, TypeError, "dims"),
                         ({"dims": 1}, TypeError, "dims")]),
    "RepeatVector": Spec(lambda **kw: layers.RepeatVector(3, **kw), (4,),
                         bad=[({"n": 0}, ValueError, "n"), ({"n": 2.0}, TypeError, "n")]),
    "Rescaling": Spec(lambda **kw: layers.Rescaling(1 / 127.5, offset=-1.0, **kw), (3, 2),
                      bad=[({"scale": "1/255"}, TypeError, "scale"), ({"scale": 2.0, "offset": float("nan")},
                                                                        ValueError, "offset")]),
    "Normalization": Spec(lambda **kw: layers.Normalization(axis=(1, 2), mean=[0.5, -1.0, 2.0],
                                                            variance=[4.0, 0.25, 1.0], **kw), (2, 3),
                          bad=[({"axis": "last"}, TypeError, "axis"), ({"mean": 1.0}, ValueError, "mean"),
                               ({"invert": 1}, TypeError, "invert"),
                               ({"mean": [1.0], "variance": [-1.0]}, ValueError, "variance")]),
    "ActivityRegularization": Spec(lambda **kw: layers.ActivityRegularization(l1=0.01, l2=0.02, **kw), (3, 4),
                                   bad=[(dict(l1=-1.0), ValueError, "l1"), (dict(l2="x"), TypeError, "l2")]),
    "UnitNormalization": Spec(lambda **kw: layers.UnitNormalization(**kw), (2, 5),
                              bad=[({"axis": 1}, ValueError, "axis"), ({"axis": "last"}, TypeError, "axis")]),
    "SpatialDropout1D": Spec(lambda **kw: layers.SpatialDropout1D(0.3, seed=1, **kw), (4, 3), training=False,
                             bad=[({"rate": 1.0}, ValueError, "rate"), ({"rate": 0.5, "seed": 1.5}, TypeError, "seed")]),
    "SpatialDropout2D": Spec(lambda **kw: layers.SpatialDropout2D(0.3, seed=1, **kw), (3, 3, 2), training=False,
                             bad=[({"rate": "0.5"}, TypeError, "rate"),
                                  ({"rate": 0.5, "data_format": "channels_first"}, ValueError, "data_format")]),
    "GaussianDropout": Spec(lambda **kw: layers.GaussianDropout(0.2, seed=1, **kw), (5,), training=False,
                            bad=[({"rate": -0.1}, ValueError, "rate"), ({"rate": 0.5, "seed": -1}, ValueError, "seed")]),
    "GaussianNoise": Spec(lambda **kw: layers.GaussianNoise(0.1, seed=1, **kw), (2, 3), training=False,
                          bad=[({"stddev": 1.5}, ValueError, "stddev"), ({"stddev": None}, TypeError, "stddev")]),
    "Dropout": Spec(lambda **kw: layers.Dropout(0.3, seed=1, **kw), (5,), training=False,
                    bad=[({"rate": "0.5"}, TypeError, "rate"), ({"rate": 1.5}, ValueError, "rate")]),
    "BatchNormalization": Spec(lambda **kw: layers.BatchNormalization(momentum=0.9, **kw), (3, 3, 2),
                               bad=[({"momentum": "0.9"}, TypeError, "momentum"),
                                    ({"epsilon": -1.0}, ValueError, "epsilon")]),
    "LayerNormalization": Spec(lambda **kw: layers.LayerNormalization(epsilon=1e-2, **kw), (2, 4),
                               bad=[({"epsilon": "small"}, TypeError, "epsilon")]),
    "GroupNormalization": Spec(lambda **kw: layers.GroupNormalization(groups=4, epsilon=1e-2, gamma_regularizer="l2",
                                                                      **kw), (4, 4, 8),
                               bad=[({"groups": 0}, ValueError, "groups"), ({"groups": 2.0}, TypeError, "groups"),
                                    ({"center": "yes"}, TypeError, "center")]),
    "RMSNormalization": Spec(lambda **kw: layers.RMSNormalization(epsilon=1e-3, **kw), (3, 5),
                             bad=[({"epsilon": 0.0}, ValueError, "epsilon"), ({"axis": 1}, ValueError, "axis")]),
    "Activation": Spec(lambda **kw: layers.Activation("gelu", **kw), (5,),
                       bad=[({"activation": "nope"}, ValueError, "activation"),
                            ({"activation": 3}, TypeError, "activation")],
                       softmax=lambda **kw: layers.Activation("softmax", **kw)),
    "ReLU": Spec(lambda **kw: layers.ReLU(**kw), (5,)),
    "LeakyReLU": Spec(lambda **kw: layers.LeakyReLU(0.1, **kw), (5,),
                      bad=[({"negative_slope": "x"}, TypeError, "negative_slope"),
                           ({"negative_slope": -1.0}, ValueError, "negative_slope")]),
    "ELU": Spec(lambda **kw: layers.ELU(0.7, **kw), (5,), bad=[({"alpha": "x"}, TypeError, "alpha")]),
    "Softmax": Spec(lambda **kw: layers.Softmax(**kw), (4,), softmax=lambda **kw: layers.Softmax(**kw)),
    "Add": Spec(lambda **kw: layers.Add(**kw), [(4,), (4,)]),
    "Subtract": Spec(lambda **kw: layers.Subtract(**kw), [(4,), (4,)]),
    "Multiply": Spec(lambda **kw: layers.Multiply(**kw), [(4,), (4,)]),
    "Average": Spec(lambda **kw: layers.Average(**kw), [(4,), (4,)]),
    "Maximum": Spec(lambda **kw: layers.Maximum(**kw), [(4,), (4,), (4,)]),
    "Minimum": Spec(lambda **kw: layers.Minimum(**kw), [(2, 3), (2, 3)]),
    "Dot": Spec(lambda **kw: layers.Dot(axes=(2, 1), normalize=True, **kw), [(3, 4), (4, 2)],
                bad=[({"axes": "last"}, TypeError, "axes"), ({"axes": (1, 2, 3)}, ValueError, "axes"),
                     ({"axes": 1, "normalize": "yes"}, TypeError, "normalize")]),
    "Concatenate": Spec(lambda **kw: layers.Concatenate(**kw), [(2, 3), (2, 2)],
                        bad=[({"axis": "last"}, TypeError, "axis")]),
    "RandomFlip": Spec(lambda **kw: layers.RandomFlip(seed=3, **kw), (4, 4, 1), training=False,
                       bad=[({"mode": "diagonal"}, ValueError, "mode")]),
    "RandomTranslation": Spec(lambda **kw: layers.RandomTranslation(0.2, 0.2, seed=3, **kw), (4, 4, 1),
                              training=False, bad=[({"height_factor": "x", "width_factor": 0.1}, TypeError,
                                                    "height_factor")]),
    "RandomRotation": Spec(lambda **kw: layers.RandomRotation(0.1, seed=3, **kw), (4, 4, 1), training=False,
                           bad=[({"factor": "x"}, TypeError, "factor")]),
    "RandomZoom": Spec(lambda **kw: layers.RandomZoom(0.2, seed=3, **kw), (4, 4, 1), training=False,
                       bad=[({"height_factor": 0.2, "fill_mode": "mirror"}, ValueError, "fill_mode")]),
}

LAYER_NAMES = sorted(SPECS)


def _class(name: str) -> type:
    return getattr(layers, name)


def _shapes(spec: Spec) -> list[tuple]:
    return spec.input_shape if isinstance(spec.input_shape, list) else [spec.input_shape]


def _inputs(spec: Spec, dtype: str, seed: int = 0, batch: int = 3) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    if spec.indices is not None:
        return [rng.integers(0, spec.indices, (batch,) + shape).astype(dtype) for shape in _shapes(spec)]
    return [rng.standard_normal((batch,) + shape).astype(dtype) for shape in _shapes(spec)]


def _call(layer, xs: list, training: bool):
    """Forward on Tensor4D inputs (a list for a merge layer); the output Tensor4D."""
    tensors = [Tensor4D.from_natural(x) for x in xs]
    return layer(tensors if layer._takes_list else tensors[0], training=training)


def _backward(layer, upstream) -> list[np.ndarray]:
    grads = layer.backward(Tensor4D(upstream))
    return [np.asarray(g) for g in (grads if isinstance(grads, list) else [grads])]


def test_every_public_layer_has_a_spec():
    classes = {name: getattr(layers, name) for name in layers.__all__
               if name not in NOT_LAYERS and isinstance(getattr(layers, name), type)}
    public = {name for name, cls in classes.items() if cls.__name__ == name}  # Keras' other names are aliases
    assert public == set(SPECS), f"layers without a contract spec: {sorted(public - set(SPECS))}"
    assert {cls.__name__ for cls in classes.values()} <= set(SPECS) | set(NOT_LAYERS)
    for name in public:
        assert issubclass(_class(name), layers.Layer)


# ------------------------------------------------------------------------------------------------ 1
@pytest.mark.parametrize("name", LAYER_NAMES)
def test_float64_gradients_match_central_differences(name):
    spec = SPECS[name]
    layer = spec.make(dtype="float64")
    xs = _inputs(spec, "float64")
    y = _call(layer, xs, spec.training)
    upstream = np.random.default_rng(1).standard_normal(y.shape)

    def loss() -> float:  # Σ y ⊙ R plus the weights' penalties, whose gradients set_gradient adds
        return float((np.asarray(_call(layer, xs, spec.training)) * upstream).sum()) + sum(layer.losses)

    _call(layer, xs, spec.training)
    input_grads = _backward(layer, upstream.copy())
    errors = {f"input {k}": relative_error(g.reshape(x.shape), numerical_gradient(loss, x))
              for k, (g, x) in enumerate(zip(input_grads, xs)) if spec.indices is None}
    if spec.indices is not None:  # indices: not differentiable, the gradient is zero
        assert all(not g.any() and g.size == x.size for g, x in zip(input_grads, xs))
    weight_grads = [np.array(g) for g in layer.gradients]
    for weight_name, weight, grad in zip(layer.weight_names, layer.trainable_weights, weight_grads):
        errors[weight_name] = relative_error(grad, numerical_gradient(loss, weight))
    assert max(errors.values()) < GRADCHECK_TOLERANCE, errors


# ------------------------------------------------------------------------------------------------ 2
@pytest.mark.parametrize("name", LAYER_NAMES)
def test_config_round_trip_rebuilds_the_same_layer(name):
    spec = SPECS[name]
    redes.set_random_seed(11)
    layer = spec.make()
    xs = _inputs(spec, "float32")
    first = np.asarray(_call(layer, xs, training=False))
    config = layer.get_config()
    signature = inspect.signature(type(layer).__init__).parameters
    missing = [key for key, p in signature.items()
               if key != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL) and key not in config]
    assert not missing, f"get_config lacks constructor arguments {missing}"
    redes.set_random_seed(11)
    again = type(layer).from_config(config)
    assert again.get_config() == config
    np.testing.assert_array_equal(np.asarray(_call(again, xs, training=False)), first)  # same initial weights
    again.set_weights([w * 0.5 for w in layer.get_weights()])
    layer.set_weights([w * 0.5 for w in layer.get_weights()])
    np.testing.assert_array_equal(np.asarray(_call(again, xs, training=False)),
                                  np.asarray(_call(layer, xs, training=False)))
    assert type(redes.serialization.deserialize(redes.serialization.serialize(layer))) is type(layer)


# ------------------------------------------------------------------------------------------------ 3
def _model(spec: Spec, layer) -> Model:
    inputs = [layers.Input(shape) for shape in _shapes(spec)]
    output = layer(inputs if layer._takes_list else inputs[0])
    return Model(inputs if len(inputs) > 1 else inputs[0], output)


@pytest.mark.parametrize("name", LAYER_NAMES)
def test_saved_and_loaded_in_a_model_predicts_bit_exactly(name, tmp_path):
    spec = SPECS[name]
    model = _model(spec, spec.make())
    model.compile("adam", "mse")
    xs = _inputs(spec, "float32")
    x = xs if len(xs) > 1 else xs[0]
    model.save(tmp_path / "model.redes")
    loaded = redes.load_model(tmp_path / "model.redes")
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))


# ------------------------------------------------------------------------------------------------ 4
@pytest.mark.parametrize("name", LAYER_NAMES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_dtype_in_is_dtype_out(name, dtype):
    spec = SPECS[name]
    layer = spec.make(dtype=dtype)
    y = _call(layer, _inputs(spec, dtype), spec.training)
    assert y.dtype == np.dtype(dtype)
    assert all(g.dtype == np.dtype(dtype) for g in _backward(layer, np.ones(y.shape, dtype)))
    assert all(w.dtype == np.dtype(dtype) for w in layer.weights)


# ------------------------------------------------------------------------------------------------ 5
@pytest.mark.parametrize("name", LAYER_NAMES)
def test_shared_layer_sums_the_gradients_of_its_calls(name):
    spec = SPECS[name]
    shared = spec.make(dtype="float64")
    calls = [[layers.Input(shape, dtype="float64") for shape in _shapes(spec)] for _ in range(2)]
    outputs = [shared(inputs if shared._takes_list else inputs[0]) for inputs in calls]
    model = Model([i for inputs in calls for i in inputs], layers.Add(dtype="float64")(outputs))
    first, second = _inputs(spec, "float64", seed=2), _inputs(spec, "float64", seed=3)
    y = model.forward([Tensor4D.from_natural(x) for x in first + second], training=spec.training)
    upstream = np.random.default_rng(4).standard_normal(y.shape)
    model.backward(Tensor4D(upstream))
    summed = [np.array(g) for g in shared.gradients]
    separate = []
    for xs, g in ((first, upstream), (second, upstream), (first, np.zeros_like(upstream))):
        _call(shared, xs, spec.training)
        _backward(shared, g.copy())
        separate.append([np.array(g) for g in shared.gradients])
    assert len(summed) == len(shared.trainable_weights)
    for total, a, b, penalty in zip(summed, *separate):  # the penalty's gradient counts once
        np.testing.assert_allclose(total, a + b - penalty, rtol=1e-12, atol=1e-12)


# ------------------------------------------------------------------------------------------------ 6
@pytest.mark.parametrize("name", LAYER_NAMES)
def test_as_output_layer_an_unfused_loss_trains(name):
    spec = SPECS[name]
    model = _model(spec, spec.make())
    model.compile(optimizers.SGD(0.01), "mse")
    xs = _inputs(spec, "float32", batch=8)
    x = xs if len(xs) > 1 else xs[0]
    y = np.zeros((8,) + tuple(model.output_shape), "float32")
    before = [w.copy() for w in model.trainable_weights]
    history = model.fit(x, y, batch_size=4, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    assert all(not np.array_equal(b, w) for b, w in zip(before, model.trainable_weights))


SOFTMAX_LAYERS = [name for name in LAYER_NAMES if SPECS[name].softmax is not None]


@pytest.mark.parametrize("name", SOFTMAX_LAYERS)
def test_as_softmax_output_the_fused_gradient_equals_the_unfused(name):
    spec = SPECS[name]
    model = Sequential([layers.Input(spec.input_shape, dtype="float64"), spec.softmax(dtype="float64")])
    classes = model.output_shape[-1]
    x = _inputs(spec, "float64", batch=6)[0]
    y = np.random.default_rng(5).integers(0, classes, (6,) + tuple(model.output_shape[:-1]))
    model.compile(optimizers.SGD(0.0), "sparse_categorical_crossentropy")
    assert takes_logits(model.loss, model.forward(Tensor4D.from_natural(x)))
    model.train_on_batch(x, y)
    fused = [np.array(g) for g in model.gradients]
    model.backward(losses.SparseCategoricalCrossentropy().gradient(y, model(x, training=True)))
    for a, b in zip(fused, model.gradients):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


# ------------------------------------------------------------------------------------------------ 7
BAD_ARGUMENTS = [pytest.param(name, kwargs, error, argument, id=f"{name}-{argument}-{error.__name__}")
                 for name in LAYER_NAMES for kwargs, error, argument in SPECS[name].bad]


@pytest.mark.parametrize("name, kwargs, error, argument", BAD_ARGUMENTS)
def test_bad_constructor_arguments_name_the_argument(name, kwargs, error, argument):
    with pytest.raises(error, match=f"`?{argument}`?"):
        _class(name)(**kwargs)


@pytest.mark.parametrize("name", LAYER_NAMES)
def test_bad_common_arguments(name):
    spec = SPECS[name]
    with pytest.raises((TypeError, ValueError), match="name"):
        spec.make(name=3)
    with pytest.raises((TypeError, ValueError), match="dtype"):
        spec.make(dtype="complex128")
