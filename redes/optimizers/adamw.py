"""AdamW: Adam with decoupled weight decay, as in Keras 3."""

from __future__ import annotations

from .adam import Adam


class AdamW(Adam):
    """AdamW (Keras 3 ``AdamW``): Adam whose ``weight_decay`` is required, default 0.004.

    The decay is the base optimizer's (Loshchilov & Hutter's decoupled form): it shrinks the
    weights directly, before the Adam step, instead of adding λ·w to the gradient.

    Args:
        learning_rate: a non-negative float or a LearningRateSchedule (default 0.001).
        weight_decay: λ >= 0 (default 0.004); None is a ValueError.
        beta_1, beta_2, epsilon, amsgrad: as ``Adam`` (defaults 0.9, 0.999, 1e-7, False).
        **kwargs: the other base arguments (clipnorm, use_ema, ..., name): see ``Optimizer``.

    Equations, per variable w with gradient g, at step t (Adam's m, v, α as in ``Adam``):
        w ← w − w·λ·lr
        w ← w − α·m / (√v + ε)

    Example:
        >>> opt = AdamW(learning_rate=1e-3, weight_decay=0.01)
        >>> w = np.ones(3, dtype="float32")
        >>> opt.apply_gradients([(np.full(3, 0.5, dtype="float32"), w)])
        1
    """

    def __init__(self, learning_rate=0.001, weight_decay: float = 0.004, beta_1: float = 0.9,
                 beta_2: float = 0.999, epsilon: float = 1e-7, amsgrad: bool = False, **kwargs) -> None:
        if weight_decay is None:
            raise ValueError("Argument `weight_decay` must be a float. Received: weight_decay=None")
        super().__init__(learning_rate, beta_1, beta_2, epsilon, amsgrad, weight_decay=weight_decay, **kwargs)
