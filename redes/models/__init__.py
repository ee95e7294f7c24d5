"""Models: Sequential and RedeNeural share the Model base (compile, fit, evaluate, predict)."""

from .model import Model
from .rede_neural import RedeNeural
from .sequential import Sequential
