"""Learning-rate schedules: the learning rate as a function of the optimizer's step.

An optimizer given a schedule evaluates it at its iteration count *before*
each update, so the first update uses ``schedule(0)`` (as Keras does).
Schedules compute in Python floats (float64); Keras computes them in float32,
so the two agree to about 1e-7 relative.

Example:
    >>> from redes import optimizers
    >>> schedule = optimizers.schedules.ExponentialDecay(0.1, decay_steps=100, decay_rate=0.5)
    >>> optimizer = optimizers.SGD(learning_rate=schedule)
    >>> schedule(100)
    0.05
"""

from __future__ import annotations

import math

from ..validation import check_bool, check_float, check_type

__all__ = ["ExponentialDecay", "LearningRateSchedule", "PolynomialDecay", "deserialize", "serialize"]


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
