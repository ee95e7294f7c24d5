"""Optimizers: in-place gradient steps with Keras 3's update rules, and learning-rate schedules.

Example:
    >>> from redes import optimizers
    >>> optimizers.get("adam")
    Adam(name='adam', learning_rate=0.001, iterations=0)
    >>> schedule = optimizers.schedules.ExponentialDecay(0.01, decay_steps=1000, decay_rate=0.9)
    >>> opt = optimizers.SGD(learning_rate=schedule, momentum=0.9)

By name: 'sgd', 'gd' (plain full-batch gradient descent), 'adam', 'adamw', 'nadam', 'adamax', 'adadelta',
'adagrad', 'rmsprop', 'lion'; AMSGrad is ``Adam(amsgrad=True)``, as in Keras.
"""

from __future__ import annotations

from ..serialization import kind_serializers
from . import schedules
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam
from .adamax import Adamax
from .adamw import AdamW
from .base import Optimizer
from .gd import GD
from .lion import Lion
from .nadam import Nadam
from .rmsprop import RMSprop
from .sgd import SGD

_OPTIMIZERS = {"sgd": SGD, "adam": Adam, "adamw": AdamW, "nadam": Nadam, "rmsprop": RMSprop, "adagrad": Adagrad,
               "adadelta": Adadelta, "adamax": Adamax, "lion": Lion, "gd": GD}

__all__ = ["Adadelta", "Adagrad", "Adam", "AdamW", "Adamax", "GD", "Lion", "Nadam", "Optimizer", "RMSprop", "SGD",
    "deserialize", "get", "schedules", "serialize"]


serialize, deserialize = kind_serializers("optimizer")  # Keras' names

def get(identifier: str | Optimizer) -> Optimizer:
    """An optimizer from a name ('sgd', 'gd', 'adam', 'adamw', 'nadam', 'adamax', 'adadelta', 'adagrad', 'rmsprop',
    'lion'; any case), with Keras' default arguments, or the given Optimizer itself.

    Example:
        >>> get("RMSprop").learning_rate
        0.001
    """
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str):
        cls = _OPTIMIZERS.get(identifier.lower())
        if cls is None:
            raise ValueError(f"Unknown optimizer {identifier!r}. Valid names: {', '.join(sorted(_OPTIMIZERS))}.")
        return cls()
    raise TypeError(
        "`optimizer` must be a name such as 'adam' or an Optimizer instance. "
        f"Received: optimizer={identifier!r} of type {type(identifier).__name__}"
    )
