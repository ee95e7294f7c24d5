"""Optimizer: the base class every optimizer shares.

``apply_gradients(pairs)`` takes (gradient, variable) pairs, as in Keras. The
variables are NumPy arrays updated *in place*: an array keeps its identity for
the life of the model. Each optimizer keeps per-variable state ("slots":
momentum, velocity, ...) created on a variable's first update, in the order the
variables arrive, so the state saves and loads by position (``variables`` and
``set_weights``). One call is one step: ``iterations`` grows by one, and the
learning rate used is the schedule evaluated *before* the increment, so the
first update uses ``schedule(0)``.

Order of one step, as in Keras 3: drop pairs whose gradient is None (with a
warning), clip (``clipnorm`` per gradient, ``global_clipnorm`` over all of them
or ``clipvalue`` element-wise), then update each variable with ``_update``.

Updates compute in the variable's dtype: float32 stays float32, and scalars
(learning rate, bias corrections) are cast to that dtype as Keras casts them.
"""

from __future__ import annotations

import math
import warnings
from numbers import Real

from ..backend import xp
from ..validation import check_float, check_str
from . import schedules
from .schedules import LearningRateSchedule


def _check_learning_rate(learning_rate):
    if isinstance(learning_rate, LearningRateSchedule):
        return learning_rate
    if isinstance(learning_rate, bool) or not isinstance(learning_rate, Real):
        raise TypeError(
            "`learning_rate` must be a non-negative float or a LearningRateSchedule. "
            f"Received: learning_rate={learning_rate!r}"
        )
    return check_float("learning_rate", learning_rate, 0.0)


def _clip_by_norm(grad, clipnorm: float):
    """grad · clipnorm / max(‖grad‖₂, clipnorm) (tf.clip_by_norm); unchanged when ‖grad‖₂ <= clipnorm."""
    flat = grad.reshape(-1)
    norm = math.sqrt(float(xp.dot(flat, flat)))
    return grad * (clipnorm / norm) if norm > clipnorm else grad


def _clip_by_global_norm(grads: list, clipnorm: float) -> list:
    """Scale all gradients by clipnorm / max(N, clipnorm), N = sqrt(Σ‖g‖²); NaN everywhere if N is not finite."""
    norm = math.sqrt(sum(float(xp.dot(g.reshape(-1), g.reshape(-1))) for g in grads))
    if math.isfinite(norm) and norm <= clipnorm:
        return grads
    scale = clipnorm / norm if math.isfinite(norm) else math.nan
    return [g * scale for g in grads]


class Optimizer:
    """Base class of optimizers: gradient steps applied in place to NumPy arrays.

    Subclasses set ``slot_names`` (one zero-initialised array per name and per
    variable, or ``slot_initial_value``), override ``_update`` (the update of
    one variable) and ``get_config``.

    Args:
        learning_rate: a non-negative float, or a ``schedules.LearningRateSchedule``.
        name: name of the optimizer (default: the class name in lower case).
        clipnorm: if set, each gradient g becomes g · clipnorm / max(‖g‖₂, clipnorm).
        clipvalue: if set, each gradient is clipped element-wise to [−clipvalue, clipvalue].
        global_clipnorm: if set, all gradients are scaled by clipnorm / max(N, clipnorm),
            N the norm of all gradients concatenated. At most one of the three may be set.

    Example:
        >>> opt = SGD(0.1)
        >>> w = np.array([1.0, 2.0])
        >>> opt.apply_gradients([(np.array([1.0, -1.0]), w)])
        1
        >>> w
        array([0.9, 2.1])
    """

    slot_names: tuple[str, ...] = ()
    slot_initial_value: float = 0.0

    def __init__(self, learning_rate, name: str | None = None, clipnorm: float | None = None,
                 clipvalue: float | None = None, global_clipnorm: float | None = None) -> None:
        self.name = check_str("name", name, allow_none=True) or type(self).__name__.lower()
        self._learning_rate = _check_learning_rate(learning_rate)
        self.clipnorm = check_float("clipnorm", clipnorm, 0.0, include_minimum=False, allow_none=True)
        self.clipvalue = check_float("clipvalue", clipvalue, 0.0, include_minimum=False, allow_none=True)
        self.global_clipnorm = check_float("global_clipnorm", global_clipnorm, 0.0, include_minimum=False,
                                           allow_none=True)
        if sum(value is not None for value in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError(
                "Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set. "
                f"Received: clipnorm={clipnorm}, clipvalue={clipvalue}, global_clipnorm={global_clipnorm}"
            )
        self.iterations = 0
        self._tracked: list = []              # the variables, kept alive so that their ids stay unique
        self._slots: list[tuple] = []         # per tracked variable, its slot arrays in ``slot_names`` order
        self._slot_index: dict[int, int] = {}
        self._extra_variables: list = []      # scalar state saved after the slots (Nadam's product of u_t)

    # ----------------------------------------------------------- learning rate
    @property
    def learning_rate(self) -> float:
        """The learning rate of the next update: the schedule at ``iterations``, or the constant."""
        if isinstance(self._learning_rate, LearningRateSchedule):
            return float(self._learning_rate(self.iterations))
        return self._learning_rate

    @learning_rate.setter
    def learning_rate(self, value) -> None:
        if isinstance(self._learning_rate, LearningRateSchedule) and not isinstance(value, LearningRateSchedule):
            raise TypeError(
                "This optimizer was created with a LearningRateSchedule, so its learning rate cannot be set "
                "to a number. Create it with a float `learning_rate` to make the rate settable."
            )
        self._learning_rate = _check_learning_rate(value)

    # -------------------------------------------------------------------- state
    def _track(self, variable) -> int:
        """Create the slots of a new variable; return their index."""
        if not isinstance(variable, xp.ndarray):
            raise TypeError(
                "Variables must be arrays that the optimizer updates in place. "
                f"Received a variable of type {type(variable).__name__}."
            )
        if variable.dtype.kind != "f":
            raise TypeError(f"Variables must have a float dtype. Received a variable of dtype {variable.dtype}.")
        self._tracked.append(variable)
        self._slots.append(tuple(xp.full(variable.shape, self.slot_initial_value, dtype=variable.dtype)
                                 for _ in self.slot_names))
        self._slot_index[id(variable)] = len(self._slots) - 1
        return len(self._slots) - 1

    def build(self, variables) -> None:
        """Create the slots of ``variables`` now (in that order), e.g. before ``set_weights``."""
        for variable in variables:
            if id(variable) not in self._slot_index:
                self._track(variable)

    @property
    def variables(self) -> list:
        """The optimizer's state by position: [iterations (0-d int64), each variable's slots..., extras...].

        Slot arrays are the live ones; ``iterations`` is a copy.
        """
        slots = [slot for group in self._slots for slot in group]
        return [xp.asarray(self.iterations, dtype="int64"), *slots, *self._extra_variables]

    def set_weights(self, weights) -> None:
        """Load state saved from ``variables`` (build the optimizer on the same variables first)."""
        weights = list(weights)
        current = self.variables
        if len(weights) != len(current):
            raise ValueError(
                f"Optimizer '{self.name}' has {len(current)} state arrays ({len(self._tracked)} variables tracked); "
                f"received {len(weights)}. Call build(variables) first."
            )
        for index, (target, value) in enumerate(zip(current, weights)):
            value = xp.asarray(value)
            if value.shape != target.shape:
                raise ValueError(f"State array {index} has shape {target.shape}; received shape {value.shape}.")
        self.iterations = int(weights[0])
        for target, value in zip(current[1:], weights[1:]):
            target[...] = value

    # ------------------------------------------------------------------ update
    def apply_gradients(self, grads_and_vars) -> int:
        """Update each variable in place from its gradient; one call is one step. Returns ``iterations``.

        Pairs whose gradient is None are skipped with a warning (their slots are still created,
        so that the state keeps the order of the variables); an empty list is a no-op.
        """
        grads, variables, slots, missing = [], [], [], []
        slot_index, all_slots = self._slot_index, self._slots
        for grad, variable in grads_and_vars:
            index = slot_index.get(id(variable))
            if index is None:
                index = self._track(variable)
            if grad is None:
                missing.append(variable.shape)
                continue
            grad = xp.asarray(grad)
            if grad.shape != variable.shape:
                raise ValueError(
                    f"Gradient shape {grad.shape} does not match variable shape {variable.shape}."
                )
            if grad.dtype != variable.dtype:
                grad = grad.astype(variable.dtype)
            grads.append(grad)
            variables.append(variable)
            slots.append(all_slots[index])
        if not grads:
            if missing:
                raise ValueError("No gradients provided for any variable.")
            return self.iterations
        if missing:
            warnings.warn(
                f"Gradients do not exist for {len(missing)} variable(s) with shapes {missing}; "
                "they were not updated.",
                stacklevel=2,
            )
        grads = self._clip_gradients(grads)
        learning_rate = self.learning_rate
        step = self.iterations + 1
        self._begin_step(step)
        update = self._update
        for grad, variable, variable_slots in zip(grads, variables, slots):
            update(variable, grad, variable_slots, learning_rate, step)
        self.iterations = step
        return step

    def _clip_gradients(self, grads: list) -> list:
        if self.clipnorm is not None:
            return [_clip_by_norm(g, self.clipnorm) for g in grads]
        if self.global_clipnorm is not None:
            return _clip_by_global_norm(grads, self.global_clipnorm)
        if self.clipvalue is not None:
            return [xp.clip(g, -self.clipvalue, self.clipvalue) for g in grads]
        return grads

    def _begin_step(self, step: int) -> None:
        """Hook run once per step before the variables update (Nadam advances its momentum schedule here)."""

    def _update(self, variable, gradient, slots: tuple, lr: float, step: int) -> None:
        """Update ``variable`` (and its ``slots``) in place; ``step`` = 1 on the first update."""
        raise NotImplementedError(f"{type(self).__name__} must implement `_update`.")

    # ------------------------------------------------------------------ config
    def get_config(self) -> dict:
        """The constructor arguments; ``type(opt).from_config(opt.get_config())`` rebuilds it (without state)."""
        if isinstance(self._learning_rate, LearningRateSchedule):
            learning_rate = schedules.serialize(self._learning_rate)
        else:
            learning_rate = self._learning_rate
        return {"name": self.name, "learning_rate": learning_rate, "clipnorm": self.clipnorm,
                "clipvalue": self.clipvalue, "global_clipnorm": self.global_clipnorm}

    @classmethod
    def from_config(cls, config: dict) -> Optimizer:
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = schedules.deserialize(config["learning_rate"])
        return cls(**config)

    def __repr__(self) -> str:
        rate = self._learning_rate if isinstance(self._learning_rate, LearningRateSchedule) else self.learning_rate
        return f"{type(self).__name__}(name={self.name!r}, learning_rate={rate!r}, iterations={self.iterations})"


class MomentOptimizer(Optimizer):
    """Base of the optimizers that keep moment estimates with decay rates β1, β2 and an ε (Adam, Adamax, Nadam).

    Args:
        learning_rate: a non-negative float or a LearningRateSchedule.
        beta_1, beta_2: decay rates in [0, 1).
        epsilon: ε >= 0, the denominator's guard.
        **kwargs: ``name``, ``clipnorm``, ``clipvalue``, ``global_clipnorm`` (see ``Optimizer``).

    Example:
        >>> from redes.optimizers import Adam
        >>> isinstance(Adam(beta_1=0.8), MomentOptimizer), Adam(beta_1=0.8).get_config()["beta_1"]
        (True, 0.8)
    """

    def __init__(self, learning_rate, beta_1: float, beta_2: float, epsilon: float, **kwargs) -> None:
        super().__init__(learning_rate, **kwargs)
        self.beta_1 = check_float("beta_1", beta_1, 0.0, 1.0, include_maximum=False)
        self.beta_2 = check_float("beta_2", beta_2, 0.0, 1.0, include_maximum=False)
        self.epsilon = check_float("epsilon", epsilon, 0.0)

    def get_config(self) -> dict:
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}
