"""Adamax: Adam with the infinity norm in place of the second moment (Keras 3)."""

from __future__ import annotations

from ..backend import xp
from .base import MomentOptimizer


class Adamax(MomentOptimizer):
    """Adamax (Keras 3 ``Adamax``).

    Args:
        learning_rate: a non-negative float or a LearningRateSchedule (default 0.001).
        beta_1: β1 in [0, 1), decay of the first moment (default 0.9).
        beta_2: β2 in [0, 1), decay of the infinity norm (default 0.999).
        epsilon: ε >= 0, added to u (default 1e-7).
        **kwargs: the base arguments (weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema,
            ema_momentum, ema_overwrite_frequency, loss_scale_factor, gradient_accumulation_steps, name):
            see ``Optimizer``.

    Equations, per variable w with gradient g, at step t = 1, 2, ... (m, u start at 0):
        m ← m + (g − m)·(1 − β1)
        u ← max(β2·u, |g|)
        w ← w − lr·m / ((1 − β1^t)·(u + ε))
    As in Keras, lr and β1^t are computed in the variable's dtype.

    Example:
        >>> opt = Adamax(learning_rate=1e-3)
        >>> w = np.ones(3, dtype="float32")
        >>> opt.apply_gradients([(np.full(3, 0.5, dtype="float32"), w)])
        1
    """

    slot_names = ("momentum", "norm")
    elementwise_update = True

    def __init__(self, learning_rate=0.001, beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-7,
                 **kwargs) -> None:
        super().__init__(learning_rate, beta_1, beta_2, epsilon, **kwargs)

    def _update(self, variable, gradient, slots, lr, step):
        m, u = slots
        dtype = variable.dtype.type
        scratch = gradient - m
        scratch *= 1 - self.beta_1
        m += scratch
        u *= self.beta_2
        xp.maximum(u, xp.abs(gradient), out=u)
        xp.add(u, self.epsilon, out=scratch)
        scratch *= 1 - dtype(self.beta_1) ** dtype(step)
        variable -= xp.divide(m * dtype(lr), scratch, out=scratch)
