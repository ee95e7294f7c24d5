"""redes.random: random arrays with Keras 3's ``keras.random`` names and seeds (normal, uniform, dropout).

A seed is None (the global generator, ``redes.set_random_seed``), an int (the same values at every call,
as Keras' stateless integer seeds) or a ``SeedGenerator`` (a new draw at each call, repeatable from its
seed). NumPy's generators differ from TensorFlow's: the distributions are Keras', the values are not.

Example:
    >>> from redes import random
    >>> bool((random.normal((2, 3), seed=1) == random.normal((2, 3), seed=1)).all())
    True
"""

from __future__ import annotations

import numpy as np

from . import backend, ops

__all__ = ["SeedGenerator", "dropout", "normal", "uniform"]


class SeedGenerator:
    """A seeded stream of random draws, as ``keras.random.SeedGenerator``: each op given it draws anew.

    Args:
        seed: an int, or None for a seed drawn from the global generator.

    Example:
        >>> seeds = SeedGenerator(42)
        >>> bool((uniform((3,), seed=seeds) == uniform((3,), seed=seeds)).all())
        False
    """

    def __init__(self, seed: int | None = None) -> None:
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
            raise TypeError(f"`seed` must be an integer or None. Received: seed={seed!r}")
        self.seed = int(backend.rng().integers(2**31)) if seed is None else int(seed)
        self.generator = np.random.default_rng(self.seed)

    def __repr__(self) -> str:
        return f"<SeedGenerator seed={self.seed}>"


def _generator(seed) -> np.random.Generator:
    if seed is None:
        return backend.rng()
    if isinstance(seed, SeedGenerator):
        return seed.generator
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"`seed` must be None, an integer or a SeedGenerator. Received: seed={seed!r}")
    return np.random.default_rng(int(seed))


def normal(shape, mean: float = 0.0, stddev: float = 1.0, dtype=None, seed=None) -> np.ndarray:
    """Samples of N(mean, stddev²) of ``shape`` (floatx by default).

    Example:
        >>> normal((2, 3), seed=0).shape
        (2, 3)
    """
    values = _generator(seed).normal(mean, stddev, size=tuple(shape))
    return values.astype(dtype or backend.floatx())


def uniform(shape, minval: float = 0.0, maxval: float = 1.0, dtype=None, seed=None) -> np.ndarray:
    """Samples of U[minval, maxval) of ``shape`` (floatx by default).

    Example:
        >>> bool(((0 <= uniform((100,), seed=0)) & (uniform((100,), seed=0) < 1)).all())
        True
    """
    values = _generator(seed).uniform(minval, maxval, size=tuple(shape))
    return values.astype(dtype or backend.floatx())


def dropout(inputs, rate: float, noise_shape=None, seed=None):
    """``inputs`` with each entry zeroed with probability ``rate`` and the rest scaled by 1/(1 − rate), as
    ``keras.random.dropout``; ``noise_shape`` (broadcast against the inputs) shares one draw along its axes
    of length 1. A multiplication by the mask (an op), so dL/dx = mask / (1 − rate) · dL/dy.

    Example:
        >>> y = dropout(np.ones((2, 4)), 0.5, seed=0)
        >>> sorted(set(y.ravel().tolist())) in ([0.0, 2.0], [2.0], [0.0])
        True
    """
    if not 0 <= rate < 1:
        raise ValueError(f"`rate` must be in [0, 1). Received: rate={rate!r}")
    dtype = np.asarray(inputs).dtype
    keep = _generator(seed).uniform(size=tuple(noise_shape or np.shape(inputs))) >= rate
    return ops.multiply(inputs, (keep / (1 - rate)).astype(dtype))
