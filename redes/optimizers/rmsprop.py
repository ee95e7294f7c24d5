"""RMSprop: steps divided by a running root mean square of the gradients, as in Keras 3."""

from __future__ import annotations

from ..backend import xp
from ..validation import check_bool, check_float
from .base import Optimizer


class RMSprop(Optimizer):
    """RMSprop (Keras 3 ``RMSprop``), optionally centered and with momentum.

    Args:
        learning_rate: a non-negative float or a LearningRateSchedule (default 0.001).
        rho: ρ in [0, 1), decay of the moving average of g² (default 0.9).
        momentum: μ in [0, 1] (default 0: no momentum slot).
        epsilon: ε >= 0, added inside the square root (default 1e-7).
        centered: if True, divide by an estimate of the gradient's variance instead of its second moment.
        **kwargs: the base arguments (weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema,
            ema_momentum, ema_overwrite_frequency, loss_scale_factor, gradient_accumulation_steps, name):
            see ``Optimizer``.

    Equations, per variable w with gradient g (all slots start at 0):
        v ← ρ·v + (1 − ρ)·g²
        centered:   ḡ ← ρ·ḡ + (1 − ρ)·g,   d = v − ḡ² + ε
        otherwise:  d = v + ε
        Δ = lr·g / √d
        μ > 0:  m ← μ·m + Δ,  w ← w − m
        μ = 0:  w ← w − Δ

    Example:
        >>> opt = RMSprop(learning_rate=0.001, centered=True)
        >>> w = np.ones(3, dtype="float32")
        >>> opt.apply_gradients([(np.full(3, 0.5, dtype="float32"), w)])
        1
    """

    elementwise_update = True

    def __init__(self, learning_rate=0.001, rho: float = 0.9, momentum: float = 0.0, epsilon: float = 1e-7,
                 centered: bool = False, **kwargs) -> None:
        super().__init__(learning_rate, **kwargs)
        self.rho = check_float("rho", rho, 0.0, 1.0, include_maximum=False)
        self.momentum = check_float("momentum", momentum, 0.0, 1.0)
        self.epsilon = check_float("epsilon", epsilon, 0.0)
        self.centered = check_bool("centered", centered)
        self.slot_names = ("velocity",) + (("momentum",) if self.momentum > 0 else ()) \
            + (("average_gradient",) if self.centered else ())

    def _update(self, variable, gradient, slots, lr, step):
        velocity = slots[0]
        rho = self.rho
        scratch = xp.square(gradient)
        scratch *= 1 - rho
        velocity *= rho
        velocity += scratch
        if self.centered:
            average = slots[-1]
            average *= rho
            xp.multiply(gradient, 1 - rho, out=scratch)
            average += scratch
            xp.square(average, out=scratch)
            xp.subtract(velocity, scratch, out=scratch)
            scratch += self.epsilon
        else:
            xp.add(velocity, self.epsilon, out=scratch)
        xp.sqrt(scratch, out=scratch)
        xp.divide(gradient, scratch, out=scratch)
        scratch *= lr
        if self.momentum > 0:
            momentum = slots[1]
            momentum *= self.momentum
            momentum += scratch
            variable -= momentum
        else:
            variable -= scratch

    def get_config(self) -> dict:
        return {**super().get_config(), "rho": self.rho, "momentum": self.momentum, "epsilon": self.epsilon,
                "centered": self.centered}
