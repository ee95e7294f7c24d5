"""Adadelta: per-coordinate step sizes from running averages of squared gradients and updates (Keras 3)."""

from __future__ import annotations

from ..backend import xp
from ..validation import check_float
from .base import Optimizer


class Adadelta(Optimizer):
    """Adadelta (Keras 3 ``Adadelta``).

    Args:
        learning_rate: a non-negative float or a LearningRateSchedule (default 0.001, Keras' default;
            the paper's method corresponds to 1.0).
        rho: ρ in [0, 1), decay of both running averages (default 0.95).
        epsilon: ε >= 0, added inside the square roots (default 1e-7).
        **kwargs: the base arguments (weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema,
            ema_momentum, ema_overwrite_frequency, loss_scale_factor, gradient_accumulation_steps, name):
            see ``Optimizer``.

    Equations, per variable w with gradient g (a and d start at 0):
        a ← ρ·a + (1 − ρ)·g²
        Δ = −√(d + ε) · g / √(a + ε)
        d ← ρ·d + (1 − ρ)·Δ²
        w ← w + lr·Δ

    Example:
        >>> opt = Adadelta(learning_rate=1.0)
        >>> w = np.ones(3, dtype="float32")
        >>> opt.apply_gradients([(np.full(3, 0.5, dtype="float32"), w)])
        1
    """

    slot_names = ("accumulated_grad", "accumulated_delta_var")
    elementwise_update = True

    def __init__(self, learning_rate=0.001, rho: float = 0.95, epsilon: float = 1e-7, **kwargs) -> None:
        super().__init__(learning_rate, **kwargs)
        self.rho = check_float("rho", rho, 0.0, 1.0, include_maximum=False)
        self.epsilon = check_float("epsilon", epsilon, 0.0)

    def _update(self, variable, gradient, slots, lr, step):
        accumulated_grad, accumulated_delta = slots
        rho = self.rho
        accumulated_grad *= rho
        accumulated_grad += (1 - rho) * xp.square(gradient)
        delta = accumulated_delta + self.epsilon
        xp.sqrt(delta, out=delta)
        delta *= gradient
        delta /= xp.sqrt(accumulated_grad + self.epsilon)
        delta *= -1
        accumulated_delta *= rho
        accumulated_delta += (1 - rho) * xp.square(delta)
        delta *= variable.dtype.type(lr)
        variable += delta

    def get_config(self) -> dict:
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}
