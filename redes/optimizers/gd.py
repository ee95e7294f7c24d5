"""GD: plain gradient descent, the Java library's default optimizer."""

from __future__ import annotations

from .base import Optimizer


class GD(Optimizer):
    """Plain gradient descent without momentum: ``w ← w − lr·g`` (by name: 'gd').

    It is ``SGD(learning_rate)`` with momentum 0 and no state. The name says how the
    Java library used it: one step per pass over the whole training set. With
    ``fit`` that is ``batch_size=len(x)``; with smaller batches it is mini-batch SGD.

    Args:
        learning_rate: a non-negative float or a LearningRateSchedule (default 0.01, as SGD).
        **kwargs: the base arguments (weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema,
            ema_momentum, ema_overwrite_frequency, loss_scale_factor, gradient_accumulation_steps, name):
            see ``Optimizer``.

    Equations, per variable w with gradient g:
        w ← w − lr·g

    Example:
        >>> model.compile(optimizer=GD(learning_rate=0.1), loss="mse")
        >>> model.fit(x, y, batch_size=len(x), epochs=100)   # full-batch gradient descent
    """

    elementwise_update = True

    def __init__(self, learning_rate=0.01, **kwargs) -> None:
        super().__init__(learning_rate, **kwargs)

    def _update(self, variable, gradient, slots, lr, step):
        variable -= gradient * variable.dtype.type(lr)
