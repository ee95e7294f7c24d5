"""Adam: adaptive moment estimation, as in Keras 3 (ε outside the bias correction)."""

from __future__ import annotations

import math

from ..backend import xp
from ..validation import check_bool
from .base import MomentOptimizer


class Adam(MomentOptimizer):
    """Adam (Keras 3 ``Adam``), optionally AMSGrad.

    Args:
        learning_rate: a non-negative float or a LearningRateSchedule (default 0.001).
        beta_1: β1 in [0, 1), decay of the first moment (default 0.9).
        beta_2: β2 in [0, 1), decay of the second moment (default 0.999).
        epsilon: ε >= 0 (default 1e-7). It is added to √v *outside* the bias
            correction (Keras' form, not the paper's ε̂ inside it).
        amsgrad: use the running maximum of v (AMSGrad).
        **kwargs: the base arguments (weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema,
            ema_momentum, ema_overwrite_frequency, loss_scale_factor, gradient_accumulation_steps, name):
            see ``Optimizer``.

    Equations, per variable w with gradient g, at step t = 1, 2, ... (m, v, v̂ start at 0):
        m ← m + (g − m)·(1 − β1)          (= β1·m + (1 − β1)·g)
        v ← v + (g² − v)·(1 − β2)
        amsgrad:  v̂ ← max(v̂, v), and v̂ replaces v below
        α = lr·√(1 − β2^t) / (1 − β1^t)
        w ← w − α·m / (√v + ε)
    As in Keras, lr, β1^t and β2^t are computed in the variable's dtype.

    Example:
        >>> opt = Adam(learning_rate=1e-3)
        >>> w = np.ones(3, dtype="float32")
        >>> opt.apply_gradients([(np.full(3, 0.5, dtype="float32"), w)])
        1
    """

    elementwise_update = True

    def __init__(self, learning_rate=0.001, beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-7,
                 amsgrad: bool = False, **kwargs) -> None:
        super().__init__(learning_rate, beta_1, beta_2, epsilon, **kwargs)
        self.amsgrad = check_bool("amsgrad", amsgrad)
        self.slot_names = ("momentum", "velocity", "velocity_hat") if amsgrad else ("momentum", "velocity")

    def _update(self, variable, gradient, slots, lr, step):
        m, v = slots[0], slots[1]
        dtype = variable.dtype.type
        t = dtype(step)
        alpha = dtype(lr) * math.sqrt(1 - dtype(self.beta_2) ** t) / (1 - dtype(self.beta_1) ** t)
        scratch = xp.subtract(gradient, m, out=self._scratch(variable))
        scratch *= 1 - self.beta_1
        m += scratch
        xp.square(gradient, out=scratch)
        scratch -= v
        scratch *= 1 - self.beta_2
        v += scratch
        if self.amsgrad:
            v_hat = slots[2]
            xp.maximum(v_hat, v, out=v_hat)
            v = v_hat
        xp.sqrt(v, out=scratch)
        scratch += self.epsilon
        xp.divide(m, scratch, out=scratch)
        scratch *= alpha
        variable -= scratch

    def get_config(self) -> dict:
        return {**super().get_config(), "amsgrad": self.amsgrad}
