"""Callbacks: hooks into ``fit``, with Keras names, arguments, call points and decisions.

EarlyStopping, ModelCheckpoint, LearningRateScheduler, ReduceLROnPlateau, CSVLogger, TensorBoard,
TerminateOnNaN, LambdaCallback, ProgbarLogger and BackupAndRestore behave as their Keras 3 namesakes: fed the same
logs they stop, save and change the learning rate at the same epochs, and write the same files. One concept per
file, as Keras 3's ``keras/src/callbacks/``: ``base`` (Callback, CallbackList, History), ``monitor`` (the
monitor/mode/min_delta logic they share), ``early_stopping``, ``checkpoint``, ``learning_rate``
(LearningRateScheduler, ReduceLROnPlateau), ``csv_logger``, ``tensorboard``, ``terminate_on_nan``,
``lambda_callback``, ``progbar_logger`` and ``backup_and_restore``; every class is
imported from here (``redes.callbacks.EarlyStopping``).
"""

from __future__ import annotations

from .backup_and_restore import BackupAndRestore
from .base import Callback, CallbackList, History
from .checkpoint import ModelCheckpoint
from .csv_logger import CSVLogger
from .early_stopping import EarlyStopping
from .lambda_callback import LambdaCallback
from .learning_rate import LearningRateScheduler, ReduceLROnPlateau
from .monitor import MonitorCallback
from .progbar_logger import ProgbarLogger
from .tensorboard import TensorBoard
from .terminate_on_nan import TerminateOnNaN

__all__ = [
    "BackupAndRestore", "CSVLogger", "Callback", "CallbackList", "EarlyStopping", "History", "LambdaCallback",
    "LearningRateScheduler", "ModelCheckpoint", "MonitorCallback", "ProgbarLogger", "ReduceLROnPlateau",
    "TensorBoard", "TerminateOnNaN",
]
