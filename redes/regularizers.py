"""Weight penalties: added to the loss, their gradients added to the weights' gradients.

    L1(l1)       penalty = l1 · Σ|w|           gradient = l1 · sign(w)
    L2(l2)       penalty = l2 · Σ w²           gradient = 2 · l2 · w
    L1L2(l1, l2) the sum of both

Keras' defaults: ``l1(0.01)``, ``l2(0.01)``, ``l1_l2(l1=0.0, l2=0.0)``.
"""

from __future__ import annotations

from . import serialization
from .backend import xp
from .validation import check_float

__all__ = ["L1", "L1L2", "L2", "Regularizer", "deserialize", "get", "l1", "l1_l2", "l2", "serialize"]


class Regularizer:
    """A penalty on one weight array: ``penalty(w) -> float``, ``gradient(w) -> array``.

    Args:
        l1, l2: non-negative factors of Σ|w| and Σ w².

    Equations:
        penalty   l1 · Σ|w| + l2 · Σ w²
        gradient  l1 · sign(w) + 2 · l2 · w   (0 at w = 0 for the L1 part, as TensorFlow)

    Example:
        >>> L2(0.01).penalty(np.array([1.0, -2.0]))
        0.05
    """

    def __init__(self, l1: float = 0.0, l2: float = 0.0) -> None:
        self.l1 = check_float("l1", l1, 0.0)
        self.l2 = check_float("l2", l2, 0.0)

    def penalty(self, w) -> float:
        total = 0.0
        if self.l1:
            total += self.l1 * float(xp.abs(w).sum())
        if self.l2:
            total += self.l2 * float((w * w).sum())
        return total

    def gradient(self, w):
        grad = xp.zeros_like(w)
        if self.l1:
            grad += xp.asarray(self.l1, dtype=w.dtype) * xp.sign(w)
        if self.l2:
            grad += xp.asarray(2 * self.l2, dtype=w.dtype) * w
        return grad

    __call__ = penalty

    def get_config(self) -> dict:
        return {"l1": self.l1, "l2": self.l2}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(l1={self.l1}, l2={self.l2})"


class L1(Regularizer):
    """L1 penalty ``l1 · Σ|w|``; its gradient ``l1 · sign(w)`` has the shape of ``w``.

    Args:
        l1: non-negative factor (Keras' default 0.01).

    Example:
        >>> L1(0.01).gradient(np.array([1.0, -2.0]))
        array([ 0.01, -0.01])
    """

    def __init__(self, l1: float = 0.01) -> None:
        super().__init__(l1=l1)

    def get_config(self) -> dict:
        return {"l1": self.l1}

    def __repr__(self) -> str:
        return f"L1(l1={self.l1})"


class L2(Regularizer):
    """L2 penalty ``l2 · Σ w²``; its gradient ``2 · l2 · w`` has the shape of ``w``.

    Args:
        l2: non-negative factor (Keras' default 0.01).

    Example:
        >>> L2(0.01).gradient(np.array([1.0, -2.0]))
        array([ 0.02, -0.04])
    """

    def __init__(self, l2: float = 0.01) -> None:
        super().__init__(l2=l2)

    def get_config(self) -> dict:
        return {"l2": self.l2}

    def __repr__(self) -> str:
        return f"L2(l2={self.l2})"


class L1L2(Regularizer):
    """Both penalties: ``l1 · Σ|w| + l2 · Σ w²``; the gradient has the shape of ``w``.

    Args:
        l1, l2: non-negative factors (Keras' defaults 0.0).

    Example:
        >>> L1L2(l1=0.01, l2=0.01).penalty(np.array([1.0, -2.0]))
        0.08
    """

    def __init__(self, l1: float = 0.0, l2: float = 0.0) -> None:
        super().__init__(l1=l1, l2=l2)


l1 = L1
l2 = L2
l1_l2 = L1L2

_REGISTRY = {"l1": L1, "l2": L2, "l1_l2": L1L2}


serialize, deserialize = serialization.kind_serializers("regularizer")  # Keras' names

def get(identifier) -> Regularizer | None:
    """Return a regularizer from None, a name ('l1', 'l2', 'l1_l2', with Keras' defaults) or a Regularizer.

    Example:
        >>> get("l2")
        L2(l2=0.01)
        >>> get(None) is None
        True
    """
    if identifier is None or isinstance(identifier, Regularizer):
        return identifier
    if isinstance(identifier, dict):  # a serialized regularizer, from a config
        return serialization.deserialize(identifier, kind="regularizer")
    if isinstance(identifier, str):
        if identifier in _REGISTRY:
            return _REGISTRY[identifier]()
        raise ValueError(f"Unknown regularizer {identifier!r}. Valid names: {', '.join(sorted(_REGISTRY))}.")
    raise TypeError(f"A regularizer must be None, a name such as 'l2', or a Regularizer. Received: {identifier!r}")
