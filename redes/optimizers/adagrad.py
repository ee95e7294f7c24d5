"""Adagrad: per-coordinate learning rates from the sum of squared gradients, as in Keras 3."""

from __future__ import annotations

from ..backend import xp
from ..validation import check_float
from .base import Optimizer


class Adagrad(Optimizer):
    """Adagrad (Keras 3 ``Adagrad``): steps shrink with the accumulated squared gradients.

    Args:
        learning_rate: a non-negative float or a LearningRateSchedule (default 0.001).
        initial_accumulator_value: starting value of the accumulator (>= 0, default 0.1).
        epsilon: ε >= 0, added inside the square root (default 1e-7).
        **kwargs: the base arguments (weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema,
            ema_momentum, ema_overwrite_frequency, loss_scale_factor, gradient_accumulation_steps, name):
            see ``Optimizer``.

    Equations, per variable w with gradient g (a starts at ``initial_accumulator_value``):
        a ← a + g²
        w ← w − lr·g / √(a + ε)

    Example:
        >>> opt = Adagrad(learning_rate=0.01)
        >>> w = np.ones(3, dtype="float32")
        >>> opt.apply_gradients([(np.full(3, 0.5, dtype="float32"), w)])
        1
    """

    slot_names = ("accumulator",)
    elementwise_update = True

    def __init__(self, learning_rate=0.001, initial_accumulator_value: float = 0.1, epsilon: float = 1e-7,
                 **kwargs) -> None:
        super().__init__(learning_rate, **kwargs)
        self.initial_accumulator_value = check_float("initial_accumulator_value", initial_accumulator_value, 0.0)
        self.epsilon = check_float("epsilon", epsilon, 0.0)
        self.slot_initial_value = self.initial_accumulator_value

    def _update(self, variable, gradient, slots, lr, step):
        (accumulator,) = slots
        scratch = xp.square(gradient)
        accumulator += scratch
        xp.add(accumulator, self.epsilon, out=scratch)
        xp.sqrt(scratch, out=scratch)
        xp.divide(gradient, scratch, out=scratch)
        scratch *= lr
        variable -= scratch

    def get_config(self) -> dict:
        return {**super().get_config(), "initial_accumulator_value": self.initial_accumulator_value,
                "epsilon": self.epsilon}
