"""Nadam: Adam with Nesterov momentum, in the Keras 3 variant (momentum schedule 0.96^t)."""

from __future__ import annotations

from ..backend import xp
from .base import MomentOptimizer


class Nadam(MomentOptimizer):
    """Nadam (Keras 3 ``Nadam``): Adam with a Nesterov look-ahead on the first moment.

    Keras 3's momentum schedule is u_t = β1·(1 − 0.5·0.96^t), with no 0.004
    factor in the exponent (the paper and Keras 2 use 0.96^(0.004·t)).

    Args:
        learning_rate: a non-negative float or a LearningRateSchedule (default 0.001).
        beta_1: β1 in [0, 1) (default 0.9).
        beta_2: β2 in [0, 1) (default 0.999).
        epsilon: ε >= 0, added to √v̂ (default 1e-7).
        **kwargs: the base arguments (weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema,
            ema_momentum, ema_overwrite_frequency, loss_scale_factor, gradient_accumulation_steps, name):
            see ``Optimizer``.

    Equations, per variable w with gradient g, at step t = 1, 2, ... (m, v start at 0):
        u_t = β1·(1 − 0.5·0.96^t),   u_{t+1} = β1·(1 − 0.5·0.96^(t+1))
        P_t = u_1·u_2·…·u_t          (one running product per optimizer, advanced once per step)
        m ← m + (g − m)·(1 − β1),    v ← v + (g² − v)·(1 − β2)
        m̂ = u_{t+1}·m / (1 − P_t·u_{t+1}) + (1 − u_t)·g / (1 − P_t)
        v̂ = v / (1 − β2^t)
        w ← w − lr·m̂ / (√v̂ + ε)
    As in Keras, the scalars are computed in the variable's dtype; P_t is kept in
    float64 (Keras keeps it in the first variable's dtype).

    Example:
        >>> opt = Nadam(learning_rate=1e-3)
        >>> w = np.ones(3, dtype="float32")
        >>> opt.apply_gradients([(np.full(3, 0.5, dtype="float32"), w)])
        1
    """

    slot_names = ("momentum", "velocity")
    elementwise_update = True

    def __init__(self, learning_rate=0.001, beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-7,
                 **kwargs) -> None:
        super().__init__(learning_rate, beta_1, beta_2, epsilon, **kwargs)
        self._u_product = xp.ones((), dtype="float64")
        self._extra_variables = [self._u_product]

    def _begin_step(self, step):
        self._u_product *= self.beta_1 * (1.0 - 0.5 * 0.96 ** step)

    def _update(self, variable, gradient, slots, lr, step):
        m, v = slots
        dtype = variable.dtype.type
        beta_1, beta_2, decay = dtype(self.beta_1), dtype(self.beta_2), dtype(0.96)
        u_t = beta_1 * (1 - dtype(0.5) * decay ** dtype(step))
        u_next = beta_1 * (1 - dtype(0.5) * decay ** dtype(step + 1))
        product = dtype(self._u_product)
        # lr·m̂ / (√v̂ + ε) with v̂ = v / c, c = 1 − β2^t, is lr·√c·m̂ / (√v + ε·√c): the scalars folded into
        # m̂'s two coefficients and ε, two passes fewer than computing lr·m̂ and v̂ as arrays
        root_c = xp.sqrt(1 - beta_2 ** dtype(step))
        m_coefficient = dtype(lr) * root_c * (u_next / (1 - product * u_next))
        g_coefficient = dtype(lr) * root_c * ((1 - u_t) / (1 - product))
        scratch, m_hat = self._scratch(variable, 0), self._scratch(variable, 1)
        xp.subtract(gradient, m, out=scratch)
        scratch *= 1 - beta_1
        m += scratch
        xp.square(gradient, out=scratch)
        scratch -= v
        scratch *= 1 - beta_2
        v += scratch
        xp.multiply(m, m_coefficient, out=m_hat)
        xp.multiply(gradient, g_coefficient, out=scratch)
        m_hat += scratch
        xp.sqrt(v, out=scratch)
        scratch += dtype(self.epsilon) * root_c
        m_hat /= scratch
        variable -= m_hat
