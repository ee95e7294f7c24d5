"""Optimizer: the base class every optimizer shares.

``apply_gradients(pairs)`` takes (gradient, variable) pairs, as in Keras. The
variables are NumPy arrays updated *in place*: an array keeps its identity for
the life of the model. Each optimizer keeps per-variable state ("slots":
momentum, velocity, ...) created on a variable's first update, in the order the
variables arrive, so the state saves and loads by position (``variables`` and
``set_weights``). One call is one step: ``iterations`` grows by one, and the
learning rate used is the schedule evaluated *before* the increment, so the
first update uses ``schedule(0)``.

Order of one call, as in Keras 3: drop pairs whose gradient is None (with a
warning); divide by ``loss_scale_factor``; with ``gradient_accumulation_steps``
= n, add the gradients to accumulators and stop there, except on every n-th call,
which goes on with (gradient + accumulator) / n and resets the accumulators;
clip (``clipnorm`` per gradient, ``global_clipnorm`` over all of them or
``clipvalue`` element-wise); decay the weights (``weight_decay``); update each
variable with ``_update``; then, with ``use_ema``, update the moving averages of
all the variables (every call) and, every ``ema_overwrite_frequency`` steps,
copy them into the variables.

Updates compute in the variable's dtype: float32 stays float32, and scalars
(learning rate, bias corrections) are cast to that dtype as Keras casts them.
"""

from __future__ import annotations

import math
import warnings
from numbers import Real

from ..backend import xp
from ..validation import check_bool, check_float, check_int, check_str
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
    one variable) and ``get_config``. A subclass whose ``_update`` treats every entry
    on its own (no norm, sum or shape of the variable: all of redes' optimizers) sets
    ``elementwise_update = True``; a large variable is then updated in pieces of
    ``UPDATE_PIECE`` entries, whose arrays stay in cache through the update's dozen passes
    (Nadam on the MLP's 266 k weights: 1.04 → 0.83 ms per step, one thread).

    Args:
        learning_rate: a non-negative float, or a ``schedules.LearningRateSchedule``.
        name: name of the optimizer (default: the class name in lower case).
        clipnorm: if set, each gradient g becomes g · clipnorm / max(‖g‖₂, clipnorm).
        clipvalue: if set, each gradient is clipped element-wise to [−clipvalue, clipvalue].
        global_clipnorm: if set, all gradients are scaled by clipnorm / max(N, clipnorm),
            N the norm of all gradients concatenated. At most one of the three may be set.
        weight_decay: if set (>= 0), decoupled weight decay before each update:
            w ← w − w·weight_decay·lr (except the variables given to ``exclude_from_weight_decay``).
        use_ema: keep an exponential moving average of each variable:
            ema ← μ·ema + (1 − μ)·w after each call, with μ = 0 while ``iterations`` is 0, else
            ``ema_momentum``. ``finalize_variable_values`` copies it into the variables (``fit`` does,
            at its end).
        ema_momentum: μ in [0, 1] (default 0.99).
        ema_overwrite_frequency: with ``use_ema``, copy the averages into the variables every that
            many steps (a positive integer; None: only at ``finalize_variable_values``).
        loss_scale_factor: if set (> 0), ``scale_loss`` multiplies the loss by it and the gradients
            are divided by it (``Model.train_step`` scales its gradients, the same by linearity).
        gradient_accumulation_steps: n >= 2: update once every n calls with the mean of their
            gradients. ``iterations`` then counts updates (calls // n), the learning-rate
            schedule is evaluated at the number of calls, as in Keras.

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
    elementwise_update: bool = False
    UPDATE_PIECE = 2**15  # entries: 128 KiB per float32 array, the variable's, gradient's, slots' and scratch in L2
    FLUSH_EVERY = 32  # steps between two flushes of the slots' nearly subnormal entries (``_flush_subnormals``)

    def __init__(self, learning_rate, weight_decay: float | None = None, clipnorm: float | None = None,
                 clipvalue: float | None = None, global_clipnorm: float | None = None, use_ema: bool = False,
                 ema_momentum: float = 0.99, ema_overwrite_frequency: int | None = None,
                 loss_scale_factor: float | None = None, gradient_accumulation_steps: int | None = None,
                 name: str | None = None) -> None:
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
        self.weight_decay = check_float("weight_decay", weight_decay, 0.0, allow_none=True)
        self.use_ema = check_bool("use_ema", use_ema)
        self.ema_momentum = check_float("ema_momentum", ema_momentum, 0.0, 1.0)
        self.ema_overwrite_frequency = check_int("ema_overwrite_frequency", ema_overwrite_frequency, 1,
                                                 allow_none=True)
        self.loss_scale_factor = check_float("loss_scale_factor", loss_scale_factor, 0.0, include_minimum=False,
                                             allow_none=True)
        self.gradient_accumulation_steps = check_int("gradient_accumulation_steps", gradient_accumulation_steps, 2,
                                                     allow_none=True)
        self._calls = 0                       # apply_gradients calls (Keras' ``_iterations``)
        self._tracked: list = []              # the variables, kept alive so that their ids stay unique
        self._slots: list[tuple] = []         # per tracked variable, its slot arrays in ``slot_names`` order
        self._averages: list = []             # per tracked variable, its moving average (use_ema)
        self._accumulators: list = []         # per tracked variable, its gradient sum (gradient accumulation)
        self._slot_index: dict[int, int] = {}
        self._extra_variables: list = []      # scalar state saved after the slots (Nadam's product of u_t)
        self._no_weight_decay: set[int] = set()

    # ------------------------------------------------- iterations, learning rate
    @property
    def iterations(self) -> int:
        """The number of updates: the calls of ``apply_gradients``, divided by
        ``gradient_accumulation_steps`` (rounded down) when it is set."""
        return self._calls // (self.gradient_accumulation_steps or 1)

    @iterations.setter
    def iterations(self, value: int) -> None:
        self._calls = check_int("iterations", value, 0) * (self.gradient_accumulation_steps or 1)

    @property
    def learning_rate(self) -> float:
        """The learning rate of the next call: the schedule at the number of calls so far, or the constant."""
        if isinstance(self._learning_rate, LearningRateSchedule):
            return float(self._learning_rate(self._calls))
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
        if self.use_ema:
            self._averages.append(xp.zeros_like(variable))
        if self.gradient_accumulation_steps:
            self._accumulators.append(xp.zeros_like(variable))
        self._slot_index[id(variable)] = len(self._slots) - 1
        return len(self._slots) - 1

    def build(self, variables) -> None:
        """Create the slots of ``variables`` now (in that order), e.g. before ``set_weights``."""
        for variable in variables:
            if id(variable) not in self._slot_index:
                self._track(variable)

    @property
    def variables(self) -> list:
        """The optimizer's state by position: [calls of ``apply_gradients`` (0-d int64), each variable's
        slots..., moving averages..., gradient accumulators..., extras...].

        The arrays are the live ones; the count is a copy (it is ``iterations`` without gradient accumulation).
        """
        slots = [slot for group in self._slots for slot in group]
        return [xp.asarray(self._calls, dtype="int64"), *slots, *self._averages, *self._accumulators,
                *self._extra_variables]

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
        self._calls = int(weights[0])
        for target, value in zip(current[1:], weights[1:]):
            target[...] = value

    # ------------------------------------------------------------------ update
    def apply_gradients(self, grads_and_vars) -> int:
        """Update each variable in place from its gradient (see the module docstring for the order).
        Returns ``iterations``.

        Pairs whose gradient is None are skipped with a warning (their slots are still created,
        so that the state keeps the order of the variables); an empty list is a no-op.
        """
        grads, variables, indices, missing = [], [], [], []
        slot_index = self._slot_index
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
            indices.append(index)
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
        if self.loss_scale_factor is not None:
            grads = [g / self.loss_scale_factor for g in grads]
        steps = self.gradient_accumulation_steps
        if not steps:
            self._step(grads, variables, indices)
        elif (self._calls + 1) % steps == 0:
            accumulators = [self._accumulators[index] for index in indices]
            self._step([(g + a) / steps for g, a in zip(grads, accumulators)], variables, indices)
            for accumulator in accumulators:
                accumulator[...] = 0
        else:
            for g, index in zip(grads, indices):
                self._accumulators[index] += g
        if self.use_ema:
            self._update_averages()
        self._calls += 1
        return self.iterations

    def _step(self, grads: list, variables: list, indices: list) -> None:
        """One update: clip, decay the weights, then ``_update`` each variable."""
        grads = self._clip_gradients(grads)
        learning_rate = self.learning_rate
        if self.weight_decay is not None:
            self._apply_weight_decay(variables, learning_rate)
        step = self.iterations + 1
        self._begin_step(step)
        update, all_slots, piece = self._update, self._slots, self.UPDATE_PIECE
        for grad, variable, index in zip(grads, variables, indices):
            slots = all_slots[index]
            if not (self.elementwise_update and variable.size >= 2 * piece
                    and all(a.flags.c_contiguous for a in (variable, *slots))):
                update(variable, grad, slots, learning_rate, step)
                continue
            flat_variable, flat_grad, flat_slots = variable.reshape(-1), grad.reshape(-1), [s.reshape(-1) for s in slots]
            for start in range(0, variable.size, piece):  # views: the update lands in the variable and its slots
                part = slice(start, start + piece)
                update(flat_variable[part], flat_grad[part], tuple(s[part] for s in flat_slots), learning_rate, step)
        if step % self.FLUSH_EVERY == 0:
            self._flush_subnormals(indices)

    def _flush_subnormals(self, indices: list) -> None:
        """Set to 0 the slot entries below tiny·2^FLUSH_EVERY (float32: 5e-29; float64: 1e-298).

        A momentum whose gradient has stayed 0 (a dead ReLU's weights) decays as β1^t and reaches float32's
        subnormal range (below 1.2e-38) after about 800 steps of β1 = 0.9, where x86 arithmetic takes a slow
        path: Nadam's MLP step went from 2.0 to 6.7 ms once half of a kernel's momentum was subnormal.
        TensorFlow's CPU kernels flush subnormals to zero; here, every FLUSH_EVERY steps, the small entries
        are set to 0, so that one decaying from above the bound at β ≥ 0.5 is flushed before it turns
        subnormal (one that starts below it is subnormal until the next flush at most). Their effect on an
        update is below lr·5e-29/ε. float16 slots are left alone (NumPy computes them in float32).
        """
        for index in indices:
            for slot in self._slots[index]:
                if slot.dtype in (xp.float32, xp.float64):
                    slot[xp.abs(slot) < xp.finfo(slot.dtype).tiny * 2.0 ** self.FLUSH_EVERY] = 0

    def _clip_gradients(self, grads: list) -> list:
        if self.clipnorm is not None:
            return [_clip_by_norm(g, self.clipnorm) for g in grads]
        if self.global_clipnorm is not None:
            return _clip_by_global_norm(grads, self.global_clipnorm)
        if self.clipvalue is not None:
            return [xp.clip(g, -self.clipvalue, self.clipvalue) for g in grads]
        return grads

    # ------------------------------------------------------------ weight decay
    def exclude_from_weight_decay(self, var_list=None, var_names=None) -> None:
        """Leave the arrays of ``var_list`` (matched by identity) out of ``weight_decay``.

        A later call replaces the earlier list, as in Keras. ``var_names`` is not supported: the
        variables are bare NumPy arrays, so the optimizer does not know their names; pass the
        arrays themselves, e.g. ``var_list=[layer.bias for layer in model.layers if layer.weights]``.

        Example:
            >>> opt, w, b = SGD(0.1, weight_decay=0.5), np.ones(2), np.ones(2)
            >>> opt.exclude_from_weight_decay(var_list=[b])
            >>> _ = opt.apply_gradients([(np.zeros(2), w), (np.zeros(2), b)])
            >>> w, b
            (array([0.95, 0.95]), array([1., 1.]))
        """
        if var_names:
            raise NotImplementedError(
                "`var_names` is not supported: the optimizer's variables are NumPy arrays without names. "
                f"Pass the arrays themselves as `var_list`. Received: var_names={var_names!r}"
            )
        self._no_weight_decay = {id(variable) for variable in var_list or ()}

    def _apply_weight_decay(self, variables: list, learning_rate: float) -> None:
        """w ← w − w·weight_decay·lr, with both factors cast to w's dtype (Keras' ``_apply_weight_decay``)."""
        for variable in variables:
            if id(variable) not in self._no_weight_decay:
                dtype = variable.dtype.type
                variable -= variable * dtype(self.weight_decay) * dtype(learning_rate)

    # ---------------------------------------------------------- moving average
    def _update_averages(self) -> None:
        """ema ← μ·ema + (1 − μ)·w for every tracked variable, μ = 0 while ``iterations`` is 0 (so the
        first average is the variable itself); then, every ``ema_overwrite_frequency`` steps, w ← ema."""
        first = self.iterations == 0
        for variable, average in zip(self._tracked, self._averages):
            dtype = variable.dtype.type
            momentum = dtype(0.0) if first else dtype(self.ema_momentum)
            average *= momentum
            average += variable * (1 - momentum)
        frequency = self.ema_overwrite_frequency
        if frequency and (self.iterations + 1) % frequency == 0:
            self.finalize_variable_values(self._tracked)

    def finalize_variable_values(self, variables) -> None:
        """With ``use_ema``, copy each variable's moving average into it (in place); otherwise do nothing.

        A variable the optimizer has never seen has no average and is left as it is.
        ``Model.fit`` calls it at the end of training, as Keras' does.
        """
        if not self.use_ema:
            return
        for variable in variables:
            index = self._slot_index.get(id(variable))
            if index is not None:
                variable[...] = self._averages[index]

    def scale_loss(self, loss):
        """The loss times ``loss_scale_factor`` (unchanged when it is None), as Keras' ``scale_loss``."""
        return loss if self.loss_scale_factor is None else loss * self.loss_scale_factor

    def _begin_step(self, step: int) -> None:
        """Hook run once per step before the variables update (Nadam advances its momentum schedule here)."""

    def _scratch(self, variable, index: int = 0):
        """Work array number ``index`` shaped like ``variable``, reused by every variable of that shape and
        every step: a fresh temporary per variable and step costs page faults (a 1 MiB kernel's two
        temporaries were a quarter of Nadam's update at batch 32). Its contents are garbage on entry."""
        key = (variable.shape, variable.dtype, index)
        arrays = self.__dict__.setdefault("_scratch_arrays", {})
        if key not in arrays:
            arrays[key] = xp.empty(variable.shape, dtype=variable.dtype)
        return arrays[key]

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
        return {"name": self.name, "learning_rate": learning_rate, "weight_decay": self.weight_decay,
                "clipnorm": self.clipnorm, "clipvalue": self.clipvalue, "global_clipnorm": self.global_clipnorm,
                "use_ema": self.use_ema, "ema_momentum": self.ema_momentum,
                "ema_overwrite_frequency": self.ema_overwrite_frequency,
                "loss_scale_factor": self.loss_scale_factor,
                "gradient_accumulation_steps": self.gradient_accumulation_steps}

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
        **kwargs: the base arguments (``weight_decay``, ``clipnorm``, ``use_ema``, ..., ``name``: see ``Optimizer``).

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
