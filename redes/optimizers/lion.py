"""Lion: the sign of an interpolated momentum as the step (Keras 3)."""

from __future__ import annotations

from ..backend import xp
from ..validation import check_float
from .base import Optimizer


class Lion(Optimizer):
    """Lion, "evolved sign momentum" (Keras 3 ``Lion``).

    Every coordinate moves by exactly ±lr (or 0), so Lion usually wants a learning
    rate 3-10 times smaller than Adam's.

    Args:
        learning_rate: a non-negative float or a LearningRateSchedule (default 0.001).
        beta_1: β1 in (0, 1], weight of the momentum in the step's direction (default 0.9).
        beta_2: β2 in [0, 1), decay of the momentum (default 0.99).
        **kwargs: the base arguments (weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema,
            ema_momentum, ema_overwrite_frequency, loss_scale_factor, gradient_accumulation_steps, name):
            see ``Optimizer``.

    Equations, per variable w with gradient g (m starts at 0):
        w ← w − lr·sign(β1·m + (1 − β1)·g)
        m ← β2·m + (1 − β2)·g

    Example:
        >>> opt = Lion(learning_rate=1e-4)
        >>> w = np.ones(3, dtype="float32")
        >>> opt.apply_gradients([(np.full(3, 0.5, dtype="float32"), w)])
        1
    """

    slot_names = ("momentum",)
    elementwise_update = True

    def __init__(self, learning_rate=0.001, beta_1: float = 0.9, beta_2: float = 0.99, **kwargs) -> None:
        super().__init__(learning_rate, **kwargs)
        self.beta_1 = check_float("beta_1", beta_1, 0.0, 1.0, include_minimum=False)
        self.beta_2 = check_float("beta_2", beta_2, 0.0, 1.0, include_maximum=False)

    def _update(self, variable, gradient, slots, lr, step):
        (m,) = slots
        dtype = variable.dtype.type
        beta_1, beta_2 = dtype(self.beta_1), dtype(self.beta_2)
        direction = m * beta_1
        direction += gradient * (1 - beta_1)
        xp.sign(direction, out=direction)
        direction *= dtype(lr)
        variable -= direction
        m *= beta_2
        m += gradient * (1 - beta_2)

    def get_config(self) -> dict:
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2}
