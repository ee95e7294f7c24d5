"""Learning-rate schedules: the learning rate as a function of the optimizer's step.

An optimizer given a schedule evaluates it at its count of ``apply_gradients``
calls *before* each call, so the first update uses ``schedule(0)`` (as Keras
does; with gradient accumulation the count is of calls, not of updates).
Schedules compute in Python floats (float64); Keras computes them in float32,
so the two agree to about 1e-7 relative (the cosine schedules near their
minimum, where float32 1 + cos cancels, to about 1e-8 of the peak rate).

Example:
    >>> from redes import optimizers
    >>> schedule = optimizers.schedules.ExponentialDecay(0.1, decay_steps=100, decay_rate=0.5)
    >>> optimizer = optimizers.SGD(learning_rate=schedule)
    >>> schedule(100)
    0.05
"""

from __future__ import annotations

import bisect
import math

from ..validation import check_bool, check_float, check_type

__all__ = ["CosineDecay", "CosineDecayRestarts", "ExponentialDecay", "InverseTimeDecay", "LearningRateSchedule",
           "PiecewiseConstantDecay", "PolynomialDecay", "deserialize", "serialize"]


class LearningRateSchedule:
    """Base class of learning-rate schedules: ``schedule(step)`` returns the learning rate.

    Subclasses implement ``__call__(step) -> float`` and ``get_config()``;
    ``type(s).from_config(s.get_config())`` rebuilds a schedule.

    Example:
        >>> class InverseStep(LearningRateSchedule):
        ...     def __call__(self, step):
        ...         return 0.1 / (step + 1)
        ...     def get_config(self):
        ...         return {}
    """

    def __call__(self, step) -> float:
        raise NotImplementedError(f"Learning rate schedule '{type(self).__name__}' must override `__call__(step)`.")

    def get_config(self) -> dict:
        raise NotImplementedError(f"Learning rate schedule '{type(self).__name__}' must override `get_config()`.")

    @classmethod
    def from_config(cls, config: dict) -> LearningRateSchedule:
        return cls(**config)

    def __repr__(self) -> str:
        try:
            args = ", ".join(f"{key}={value!r}" for key, value in self.get_config().items())
        except NotImplementedError:
            args = ""
        return f"{type(self).__name__}({args})"


class ExponentialDecay(LearningRateSchedule):
    """Exponential decay of the learning rate (Keras' ``ExponentialDecay``).

    Args:
        initial_learning_rate: learning rate at step 0 (>= 0).
        decay_steps: steps over which the rate is multiplied by ``decay_rate`` once (> 0).
        decay_rate: factor per ``decay_steps`` (> 0).
        staircase: if True, decay in discrete jumps every ``decay_steps`` steps.
        name: name of the schedule.

    Equations:
        p = step / decay_steps            (staircase: p = floor(step / decay_steps))
        lr(step) = initial_learning_rate · decay_rate^p

    Example:
        >>> ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5, staircase=True)(19)
        0.05
    """

    def __init__(self, initial_learning_rate: float, decay_steps: float, decay_rate: float, staircase: bool = False,
                 name: str = "ExponentialDecay") -> None:
        self.initial_learning_rate = check_float("initial_learning_rate", initial_learning_rate, 0.0)
        self.decay_steps = check_float("decay_steps", decay_steps, 0.0, include_minimum=False)
        self.decay_rate = check_float("decay_rate", decay_rate, 0.0, include_minimum=False)
        self.staircase = check_bool("staircase", staircase)
        self.name = name

    def __call__(self, step) -> float:
        p = check_float("step", step, 0.0) / self.decay_steps
        if self.staircase:
            p = math.floor(p)
        return self.initial_learning_rate * self.decay_rate ** p

    def get_config(self) -> dict:
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "decay_rate": self.decay_rate, "staircase": self.staircase, "name": self.name}


class PolynomialDecay(LearningRateSchedule):
    """Polynomial decay from ``initial_learning_rate`` to ``end_learning_rate`` (Keras' ``PolynomialDecay``).

    Args:
        initial_learning_rate: learning rate at step 0 (>= 0).
        decay_steps: steps to reach ``end_learning_rate`` (> 0).
        end_learning_rate: the final learning rate (>= 0).
        power: exponent of the polynomial (>= 0); 1 is linear decay.
        cycle: if True, restart the decay each time ``decay_steps`` is passed, over a
            period stretched to the next multiple of ``decay_steps``.
        name: name of the schedule.

    Equations:
        cycle=False:  s = min(step, decay_steps),  D = decay_steps
        cycle=True:   s = step,  D = decay_steps · max(1, ceil(step / decay_steps))
        lr(step) = (initial_learning_rate − end_learning_rate) · (1 − s / D)^power + end_learning_rate

    Example:
        >>> PolynomialDecay(0.1, decay_steps=10, end_learning_rate=0.0)(5)
        0.05
    """

    def __init__(self, initial_learning_rate: float, decay_steps: float, end_learning_rate: float = 0.0001,
                 power: float = 1.0, cycle: bool = False, name: str = "PolynomialDecay") -> None:
        self.initial_learning_rate = check_float("initial_learning_rate", initial_learning_rate, 0.0)
        self.decay_steps = check_float("decay_steps", decay_steps, 0.0, include_minimum=False)
        self.end_learning_rate = check_float("end_learning_rate", end_learning_rate, 0.0)
        self.power = check_float("power", power, 0.0)
        self.cycle = check_bool("cycle", cycle)
        self.name = name

    def __call__(self, step) -> float:
        step = check_float("step", step, 0.0)
        decay_steps = self.decay_steps
        if self.cycle:
            decay_steps *= 1.0 if step == 0 else math.ceil(step / self.decay_steps)
        else:
            step = min(step, decay_steps)
        fraction = 1.0 - step / decay_steps
        return (self.initial_learning_rate - self.end_learning_rate) * fraction ** self.power + self.end_learning_rate

    def get_config(self) -> dict:
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "end_learning_rate": self.end_learning_rate, "power": self.power, "cycle": self.cycle,
                "name": self.name}


class InverseTimeDecay(LearningRateSchedule):
    """Inverse-time decay of the learning rate (Keras' ``InverseTimeDecay``).

    Args:
        initial_learning_rate: learning rate at step 0 (>= 0).
        decay_steps: steps per unit of decay time (> 0).
        decay_rate: how fast the rate falls (>= 0).
        staircase: if True, decay in discrete jumps every ``decay_steps`` steps.
        name: name of the schedule.

    Equations:
        p = step / decay_steps            (staircase: p = floor(step / decay_steps))
        lr(step) = initial_learning_rate / (1 + decay_rate · p)

    Example:
        >>> InverseTimeDecay(0.1, decay_steps=10, decay_rate=0.5)(20)
        0.05
    """

    def __init__(self, initial_learning_rate: float, decay_steps: float, decay_rate: float, staircase: bool = False,
                 name: str = "InverseTimeDecay") -> None:
        self.initial_learning_rate = check_float("initial_learning_rate", initial_learning_rate, 0.0)
        self.decay_steps = check_float("decay_steps", decay_steps, 0.0, include_minimum=False)
        self.decay_rate = check_float("decay_rate", decay_rate, 0.0)
        self.staircase = check_bool("staircase", staircase)
        self.name = name

    def __call__(self, step) -> float:
        p = check_float("step", step, 0.0) / self.decay_steps
        if self.staircase:
            p = math.floor(p)
        return self.initial_learning_rate / (1 + self.decay_rate * p)

    def get_config(self) -> dict:
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "decay_rate": self.decay_rate, "staircase": self.staircase, "name": self.name}


class PiecewiseConstantDecay(LearningRateSchedule):
    """A constant learning rate on each interval between boundaries (Keras' ``PiecewiseConstantDecay``).

    Args:
        boundaries: increasing step numbers b_0 < b_1 < ... < b_{n−1}.
        values: the n + 1 learning rates (each >= 0), one per interval.
        name: name of the schedule.

    Equations:
        lr(step) = values[0]    if step <= b_0
                   values[i]    if b_{i−1} < step <= b_i
                   values[n]    if step > b_{n−1}

    Example:
        >>> schedule = PiecewiseConstantDecay(boundaries=[100, 200], values=[1.0, 0.5, 0.1])
        >>> schedule(100), schedule(101), schedule(250)
        (1.0, 0.5, 0.1)
    """

    def __init__(self, boundaries, values, name: str = "PiecewiseConstant") -> None:
        check_type("boundaries", boundaries, (list, tuple), "a list of step numbers")
        check_type("values", values, (list, tuple), "a list of learning rates")
        self.boundaries = [check_float(f"boundaries[{i}]", b) for i, b in enumerate(boundaries)]
        self.values = [check_float(f"values[{i}]", v, 0.0) for i, v in enumerate(values)]
        if len(self.boundaries) != len(self.values) - 1:
            raise ValueError(
                "The length of `boundaries` must be 1 less than the length of `values`. "
                f"Received: boundaries={boundaries!r} of length {len(boundaries)}, "
                f"values={values!r} of length {len(values)}"
            )
        if any(low >= high for low, high in zip(self.boundaries, self.boundaries[1:])):
            raise ValueError(f"`boundaries` must be increasing. Received: boundaries={boundaries!r}")
        self.name = name

    def __call__(self, step) -> float:
        # the number of boundaries strictly below step is the interval's index
        return self.values[bisect.bisect_left(self.boundaries, check_float("step", step, 0.0))]

    def get_config(self) -> dict:
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


class CosineDecay(LearningRateSchedule):
    """Cosine decay, with an optional linear warmup before it (Keras' ``CosineDecay``).

    Args:
        initial_learning_rate: learning rate at step 0 (>= 0).
        decay_steps: steps of the cosine decay (> 0).
        alpha: the final learning rate as a fraction of the decay's starting rate, in [0, 1].
        name: name of the schedule.
        warmup_target: if set (>= 0), the rate first rises linearly from ``initial_learning_rate`` to
            ``warmup_target`` over ``warmup_steps``, then decays from ``warmup_target``.
        warmup_steps: steps of the warmup (>= 0; used only with ``warmup_target``).

    Equations (W = warmup_steps, 0 without warmup_target; top = warmup_target or initial_learning_rate):
        s = min(step, decay_steps + W)
        s < W:    lr = initial_learning_rate + (warmup_target − initial_learning_rate) · s / W
        s >= W:   lr = top · ((1 − alpha) · ½(1 + cos(π · (s − W) / decay_steps)) + alpha)

    Example:
        >>> schedule = CosineDecay(0.1, decay_steps=100, alpha=0.1)
        >>> round(schedule(50), 12), round(schedule(100), 12)
        (0.055, 0.01)
    """

    def __init__(self, initial_learning_rate: float, decay_steps: float, alpha: float = 0.0,
                 name: str = "CosineDecay", warmup_target: float | None = None, warmup_steps: float = 0) -> None:
        self.initial_learning_rate = check_float("initial_learning_rate", initial_learning_rate, 0.0)
        self.decay_steps = check_float("decay_steps", decay_steps, 0.0, include_minimum=False)
        self.alpha = check_float("alpha", alpha, 0.0, 1.0)
        self.name = name
        self.warmup_target = check_float("warmup_target", warmup_target, 0.0, allow_none=True)
        self.warmup_steps = check_float("warmup_steps", warmup_steps, 0.0)

    def __call__(self, step) -> float:
        step = check_float("step", step, 0.0)
        if self.warmup_target is None:
            return self.initial_learning_rate * _cosine(min(step, self.decay_steps) / self.decay_steps, self.alpha)
        warmup = self.warmup_steps
        step = min(step, self.decay_steps + warmup)
        if step < warmup:
            return (self.warmup_target - self.initial_learning_rate) * (step / warmup) + self.initial_learning_rate
        return self.warmup_target * _cosine((step - warmup) / self.decay_steps, self.alpha)

    def get_config(self) -> dict:
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "alpha": self.alpha, "name": self.name, "warmup_target": self.warmup_target,
                "warmup_steps": self.warmup_steps}


class CosineDecayRestarts(LearningRateSchedule):
    """Cosine decay with warm restarts, SGDR (Keras' ``CosineDecayRestarts``).

    Args:
        initial_learning_rate: learning rate at step 0 (>= 0).
        first_decay_steps: length of the first period (> 0).
        t_mul: each period is ``t_mul`` times longer than the one before (>= 1).
        m_mul: each restart begins at ``m_mul`` times the previous period's starting rate (>= 0).
        alpha: the final learning rate of each period as a fraction of its starting rate, in [0, 1].
        name: name of the schedule.

    Equations (f = step / first_decay_steps, the number of first periods elapsed):
        t_mul = 1:   i = floor(f),                          x = f − i
        t_mul > 1:   i = floor(log(1 + f·(t_mul − 1)) / log(t_mul)),
                     x = (f − (t_mul^i − 1) / (t_mul − 1)) / t_mul^i
        lr(step) = initial_learning_rate · ((1 − alpha) · m_mul^i · ½(1 + cos(π·x)) + alpha)
    (i is the period's index, x the fraction of it elapsed.)

    Example:
        >>> schedule = CosineDecayRestarts(0.1, first_decay_steps=10, t_mul=1.0, m_mul=0.5)
        >>> round(schedule(5), 12), round(schedule(10), 12), round(schedule(15), 12)
        (0.05, 0.05, 0.025)
    """

    def __init__(self, initial_learning_rate: float, first_decay_steps: float, t_mul: float = 2.0,
                 m_mul: float = 1.0, alpha: float = 0.0, name: str = "SGDRDecay") -> None:
        self.initial_learning_rate = check_float("initial_learning_rate", initial_learning_rate, 0.0)
        self.first_decay_steps = check_float("first_decay_steps", first_decay_steps, 0.0, include_minimum=False)
        self.t_mul = check_float("t_mul", t_mul, 1.0)
        self.m_mul = check_float("m_mul", m_mul, 0.0)
        self.alpha = check_float("alpha", alpha, 0.0, 1.0)
        self.name = name

    def __call__(self, step) -> float:
        fraction = check_float("step", step, 0.0) / self.first_decay_steps
        t_mul = self.t_mul
        if t_mul == 1.0:
            restart = math.floor(fraction)
            fraction -= restart
        else:
            restart = math.floor(math.log(1.0 - fraction * (1.0 - t_mul)) / math.log(t_mul))
            elapsed = (1.0 - t_mul ** restart) / (1.0 - t_mul)  # the earlier periods, in first periods
            fraction = (fraction - elapsed) / t_mul ** restart
        cosine = 0.5 * self.m_mul ** restart * (1.0 + math.cos(math.pi * fraction))
        return self.initial_learning_rate * ((1 - self.alpha) * cosine + self.alpha)

    def get_config(self) -> dict:
        return {"initial_learning_rate": self.initial_learning_rate, "first_decay_steps": self.first_decay_steps,
                "t_mul": self.t_mul, "m_mul": self.m_mul, "alpha": self.alpha, "name": self.name}


def _cosine(fraction: float, alpha: float) -> float:
    """(1 − alpha) · ½(1 + cos(π·fraction)) + alpha: from 1 at fraction 0 down to alpha at fraction 1."""
    return (1 - alpha) * 0.5 * (1.0 + math.cos(math.pi * fraction)) + alpha


def _subclasses(cls: type) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found


def serialize(schedule: LearningRateSchedule) -> dict:
    """A schedule as ``{"class_name": ..., "config": ...}`` (plain Python, JSON-ready).

    Example:
        >>> serialize(ExponentialDecay(0.1, decay_steps=100, decay_rate=0.5))["class_name"]
        'ExponentialDecay'
    """
    check_type("schedule", schedule, LearningRateSchedule, "a LearningRateSchedule")
    return {"class_name": type(schedule).__name__, "config": schedule.get_config()}


def deserialize(config: dict) -> LearningRateSchedule:
    """Rebuild a schedule from ``serialize``'s output (any subclass of LearningRateSchedule).

    Example:
        >>> schedule = deserialize(serialize(ExponentialDecay(0.1, decay_steps=100, decay_rate=0.5)))
        >>> schedule(100)
        0.05
    """
    check_type("config", config, dict, "a dict with keys 'class_name' and 'config'")
    if set(config) != {"class_name", "config"}:
        raise ValueError(f"`config` must be a dict with keys 'class_name' and 'config'. Received: config={config!r}")
    classes = {cls.__name__: cls for cls in _subclasses(LearningRateSchedule)}
    if config["class_name"] not in classes:
        raise ValueError(f"Unknown learning rate schedule {config['class_name']!r}. Known: {sorted(classes)}.")
    return classes[config["class_name"]].from_config(config["config"])
