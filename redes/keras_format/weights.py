"""Where Keras 3 keeps each array in ``model.weights.h5``, and the optimizer's state in Keras' order.

Keras walks the objects of a model and stores each one's own variables under a path made of attribute
names: ``layers/<layer>/vars/<i>`` for the layers of a Sequential or functional model, where <layer> is
the layer's *class* in snake case with a counter per class (``dense``, ``dense_1``: never the layer's
name), ``.../cell/vars/<i>`` for a recurrent layer (its cell holds the weights), ``.../forward_layer/...``
and ``.../backward_layer/...`` for Bidirectional, ``.../layer/...`` for TimeDistributed, and
``optimizer/vars/<i>`` for the optimizer. A layer's variables are numbered in ``get_weights`` order,
which redes shares with Keras.

The optimizer's variables, in Keras 3's order: the iteration count, the learning rate (unless it is a
schedule), the moving averages (``use_ema``) and gradient accumulators, then the slots, created by groups:
for each group, for each trainable variable, that group's slots (Adam's momentum and velocity interleaved,
AMSGrad's velocity_hat after them all; RMSprop's velocity, momentum and average gradient each a group of
its own), then extras (Nadam's product of the momentum schedule).
"""

from __future__ import annotations

import numpy as np

from .config import keras_path_name

# Optimizers whose slots Keras creates in several groups (one add_optimizer_variables call each);
# every other optimizer creates all its slots in one group, interleaved per variable.
_SLOT_GROUPS = {"Adam": (("momentum", "velocity"), ("velocity_hat",)),
                "AdamW": (("momentum", "velocity"), ("velocity_hat",)),
                "RMSprop": (("velocity",), ("momentum",), ("average_gradient",))}


# Variables Keras keeps after a layer's weights and redes has no use for, written as Keras writes them
# and skipped on reading: Normalization's sample count (Keras creates it and never updates it).
KERAS_ONLY_VARIABLES = {"Normalization": (np.zeros((), dtype="int64"),)}


def keras_only_variables(layer) -> tuple:
    """What Keras stores after ``layer``'s weights in its ``vars`` group (see ``KERAS_ONLY_VARIABLES``)."""
    return KERAS_ONLY_VARIABLES.get(type(layer).__name__, ()) if layer.weights else ()


def variable_groups(layer, path: str = "") -> list[tuple[str, list, tuple]]:
    """[(h5 path of an object's ``vars`` group, its weights, the Keras-only variables after them)] for
    ``layer`` and everything inside it, in Keras' layout (see the module docstring). Objects without weights
    are left out (Keras reads none)."""
    from ..layers import GRU, LSTM, Bidirectional, SimpleRNN, TimeDistributed
    from ..models import Functional, Sequential

    def join(*parts: str) -> str:
        return "/".join(part for part in parts if part)

    if isinstance(layer, (Sequential, Functional)):
        groups, counts = [], {}
        for child in layer.layers:
            name = keras_path_name(child)
            counts[name] = counts.get(name, -1) + 1
            unique = name if counts[name] == 0 else f"{name}_{counts[name]}"
            groups += variable_groups(child, join(path, "layers", unique))
        return groups
    if isinstance(layer, Bidirectional):
        return (variable_groups(layer.forward_layer, join(path, "forward_layer"))
                + variable_groups(layer.backward_layer, join(path, "backward_layer")))
    if isinstance(layer, TimeDistributed):
        return variable_groups(layer.layer, join(path, "layer"))
    if isinstance(layer, (SimpleRNN, LSTM, GRU)):
        return [(join(path, "cell", "vars"), layer.weights, ())] if layer.weights else []
    return [(join(path, "vars"), layer.weights, keras_only_variables(layer))] if layer.weights else []


def assign_all(pairs: list, where: str) -> None:
    """Copy each value into its weight, ``pairs`` of (weight, value read from the file, what it is); every
    shape is checked before any weight changes, so a bad file leaves the model as it was."""
    for target, value, what in pairs:
        if value.shape != target.shape:
            raise ValueError(f"{where}: {what} has shape {value.shape}; the layer's weight has shape {target.shape}.")
    for target, value, _ in pairs:
        target[...] = value


def keras_optimizer_state(optimizer, variables: list) -> list[np.ndarray]:
    """The optimizer's state for ``variables`` (the model's trainable weights), in Keras' order."""
    state = optimizer.variables
    count = len(variables)
    names = list(optimizer.slot_names)
    slots = state[1:1 + count * len(names)]
    per_variable = [slots[i * len(names):(i + 1) * len(names)] for i in range(count)]
    rest = state[1 + count * len(names):]
    averages = rest[:count] if optimizer.use_ema else []
    rest = rest[len(averages):]
    accumulators = rest[:count] if optimizer.gradient_accumulation_steps else []
    extras = rest[len(accumulators):]
    ordered = [np.asarray(optimizer.iterations, dtype="int64")]
    if not _is_schedule(optimizer):
        ordered.append(np.asarray(optimizer.learning_rate, dtype="float32"))
    ordered += [*averages, *accumulators]
    for group in _groups(optimizer, names):
        for slots_of_variable in per_variable:
            ordered += [slots_of_variable[names.index(name)] for name in group]
    return ordered + list(extras)


def set_optimizer_state(optimizer, variables: list, arrays: list, where: str) -> None:
    """Load ``arrays``, in Keras' order (``keras_optimizer_state``), into the optimizer built on ``variables``."""
    optimizer.build(variables)
    current = keras_optimizer_state(optimizer, variables)
    if len(arrays) != len(current):
        raise ValueError(f"{where}: the optimizer state holds {len(arrays)} arrays; {type(optimizer).__name__} "
                         f"with these settings on {len(variables)} variables has {len(current)}.")
    for index, (target, value) in enumerate(zip(current, arrays)):
        if np.shape(value) != np.shape(target):
            raise ValueError(f"{where}: optimizer state array {index} has shape {np.shape(value)}; expected "
                             f"{np.shape(target)}.")
    iterations = int(arrays[0])
    position = 2 if not _is_schedule(optimizer) else 1
    for target, value in zip(current[position:], arrays[position:]):
        target[...] = value
    if position == 2:
        optimizer.learning_rate = float(arrays[1])
    optimizer.iterations = iterations


def _groups(optimizer, names: list[str]):
    groups = _SLOT_GROUPS.get(type(optimizer).__name__, (tuple(names),))
    return [tuple(name for name in group if name in names) for group in groups if any(n in names for n in group)]


def _is_schedule(optimizer) -> bool:
    """Whether the learning rate is a schedule (Keras then keeps no learning-rate variable)."""
    return isinstance(optimizer.get_config()["learning_rate"], dict)
