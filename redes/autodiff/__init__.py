"""redes.autodiff: reverse-mode differentiation of code written with ``redes.ops`` (``GradientTape``).

``tape.py`` records and differentiates; ``traced.py`` is the array type a tape follows and the routing of
NumPy's calls on it. The ops themselves, forward and VJP side by side, are in ``redes/ops/``.
"""

from .tape import GradientTape  # first: traced.py reads the recording state from tape.py
from .traced import Traced

__all__ = ["GradientTape", "Traced"]
