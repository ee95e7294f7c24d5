"""SGD: gradient descent, with optional (Nesterov) momentum, as in Keras 3."""

from __future__ import annotations

from ..validation import check_bool, check_float
from .base import Optimizer


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum (Keras 3 ``SGD``).

    Args:
        learning_rate: a non-negative float or a LearningRateSchedule (default 0.01).
        momentum: μ in [0, 1] (default 0: plain gradient descent, no slot).
        nesterov: use Nesterov momentum.
        **kwargs: the base arguments (weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema,
            ema_momentum, ema_overwrite_frequency, loss_scale_factor, gradient_accumulation_steps, name):
            see ``Optimizer``.

    Equations, per variable w with gradient g (Keras' momentum sign: m is a velocity, added to w):
        μ = 0:          w ← w − lr·g
        μ > 0:          m ← μ·m − lr·g                  (m starts at 0)
            plain:      w ← w + m
            nesterov:   w ← w + μ·m − lr·g              (with the updated m)

    Example:
        >>> opt = SGD(learning_rate=0.1, momentum=0.9, nesterov=True)
        >>> w = np.ones(3, dtype="float32")
        >>> opt.apply_gradients([(np.full(3, 0.5, dtype="float32"), w)])
        1
    """

    elementwise_update = True

    def __init__(self, learning_rate=0.01, momentum: float = 0.0, nesterov: bool = False, **kwargs) -> None:
        super().__init__(learning_rate, **kwargs)
        self.momentum = check_float("momentum", momentum, 0.0, 1.0)
        self.nesterov = check_bool("nesterov", nesterov)
        self.slot_names = ("momentum",) if self.momentum != 0 else ()

    def _update(self, variable, gradient, slots, lr, step):
        if not slots:
            variable -= gradient * lr
            return
        (m,) = slots
        scaled = gradient * lr
        m *= self.momentum
        m -= scaled
        if self.nesterov:
            scaled *= -1
            scaled += m * self.momentum
            variable += scaled
        else:
            variable += m

    def get_config(self) -> dict:
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}
