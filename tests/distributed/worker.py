"""One rank of a data-parallel run, started by tests/test_distributed.py under ``mpiexec -n N``.

Usage: python worker.py SCENARIO DTYPE OUTPUT_FOLDER. Every rank writes OUTPUT_FOLDER/rank<r>.npz: the
weights after ``fit``, the loss history and the epochs completed.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import warnings

import numpy as np

import redes
from redes import callbacks, layers

scenario, dtype, folder = sys.argv[1], sys.argv[2], sys.argv[3]
redes.distributed.initialize()
redes.set_floatx(dtype)
redes.set_random_seed(0 if redes.distributed.is_chief() else 100 + redes.distributed.rank())  # rank 0's wins


def data(count: int):
    rng = np.random.default_rng(1)  # the same data on every rank, as a user's script loads it
    x = rng.standard_normal((count, 12)).astype(dtype)
    return x, (x[:, :3].sum(axis=1) > 0).astype(int) + (x[:, 3] > 1)


class CtrlCOnRankOne(callbacks.Callback):
    """Ctrl-C reaching rank 1 alone, in the middle of the second epoch."""

    def on_train_batch_begin(self, batch, logs=None):
        if redes.distributed.rank() == 1 and batch == 2 and self.model.epochs_completed == 1:
            os.kill(os.getpid(), signal.SIGINT)


class CrashOnRankOneInTheThirdEpoch(callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        if redes.distributed.rank() == 1 and epoch == 2:
            raise RuntimeError("rank 1 crashed")


class FailOnRankOne(callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        if redes.distributed.rank() == 1 and batch == 3:
            raise RuntimeError("bad data on the shard of rank 1")


x, y = data(200 if scenario != "synchronized" else 210)
if scenario == "masked":  # padded sequences: the loss and metrics skip the padding
    rng = np.random.default_rng(2)
    x = rng.integers(1, 20, (200, 7)) * (np.arange(7) < rng.integers(2, 8, (200, 1)))
    y = (x % 3) * (x > 0)  # 180 training samples: no batch leaves a rank empty
stack = [layers.Input((12,)), layers.Dense(16, activation="tanh", kernel_regularizer="l2"), layers.Dense(3, activation="softmax")]
if scenario == "dropout":
    stack.insert(2, layers.Dropout(0.3))
if scenario in ("batchnorm", "synchronized"):
    stack.insert(2, layers.BatchNormalization(momentum=0.8, synchronized=scenario == "synchronized"))
if scenario == "masked":
    stack = [layers.Input((7,)), layers.Embedding(20, 4, mask_zero=True), layers.LSTM(5, return_sequences=True),
             layers.Dense(3, activation="softmax")]
model = redes.Sequential(stack)
model.compile(redes.optimizers.Adam(0.01), "sparse_categorical_crossentropy", metrics=["accuracy"])
extra = {"callbacks": [FailOnRankOne()]} if scenario == "fault" else {}
if scenario == "interrupt":
    extra = {"callbacks": [CtrlCOnRankOne()]}
if scenario.startswith("resume"):  # a crash, then the same script again: it resumes from the backup
    backup = callbacks.BackupAndRestore(f"{folder}/backup")
    extra = {"callbacks": [CrashOnRankOneInTheThirdEpoch(), backup] if scenario == "resume_crash" else [backup]}
if scenario == "early_stopping":
    extra = {"callbacks": [callbacks.EarlyStopping(monitor="val_loss", patience=0, min_delta=0.15)]}
train = 150 if scenario != "synchronized" else 180
warnings.simplefilter("ignore", RuntimeWarning)  # the interrupt's warning
history = model.fit(x[:train], y[:train], batch_size=32, epochs=4, validation_data=(x[train:], y[train:]),
                    sample_weight=None if scenario == "masked" else np.linspace(0.5, 1.5, train), verbose=0, **extra)
evaluation = model.evaluate(x[train:], y[train:], batch_size=16, verbose=0, return_dict=True)
np.savez(f"{folder}/rank{redes.distributed.rank()}.npz", *model.get_weights(),
         history=json.dumps(history.history), evaluation=json.dumps(evaluation), epochs=model.epochs_completed)
