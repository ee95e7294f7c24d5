"""Models: Sequential, RedeNeural and Functional share the Model base (compile, fit, evaluate, predict)."""

from ..saving import load_model, save_model
from .cloning import clone_model, model_from_json
from .functional import Functional
from .model import Model
from .rede_neural import RedeNeural
from .sequential import Sequential

__all__ = ["Functional", "Model", "RedeNeural", "Sequential", "clone_model", "load_model", "model_from_json", "save_model"]
