"""Models: Sequential, RedeNeural and Functional share the Model base (compile, fit, evaluate, predict)."""

from .functional import Functional
from .model import Model
from .rede_neural import RedeNeural
from .sequential import Sequential

__all__ = ["Functional", "Model", "RedeNeural", "Sequential"]
