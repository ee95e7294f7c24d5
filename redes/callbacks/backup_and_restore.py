"""``BackupAndRestore``: resume a ``fit`` that was interrupted (an exception, a killed process) from its
last backup, as Keras' BackupAndRestore.
"""

from __future__ import annotations

import os
import shutil

from .. import distributed, saving
from ..validation import check_bool, check_path
from .base import Callback, SaveSchedule


class BackupAndRestore(Callback):
    """Back the training up in ``backup_dir``; a later ``fit`` with this callback resumes from the backup.

    At each epoch's end (or every ``save_freq`` batches) the callback writes, atomically, one file,
    ``backup_dir/latest.redes`` (``model.save``: the weights, the optimizer's state, ``epochs_completed``
    and the random generators: the global one, which shuffles the data, and the layers' own). At
    ``on_train_begin`` of a ``fit``, if a backup exists, it restores all of it into the model and the fit
    starts at epoch ``epochs_completed``: with ``save_freq='epoch'`` the resumed run then matches an
    uninterrupted one exactly. With a batch ``save_freq`` the fit restarts the epoch in progress from the
    weights of the last backup (Keras). Not restored: the other callbacks' state (as Keras).
    When ``fit`` ends normally the backup is deleted (``delete_checkpoint``); an exception leaves it.

    Args:
        backup_dir: the folder of the backup (made if missing); one per training run.
        save_freq: 'epoch', or back up every that many training batches.
        double_checkpoint: keep the previous backup too ('.bkp'), used if the latest cannot be read.
        delete_checkpoint: delete ``backup_dir`` when training ends without an exception.

    Example:
        >>> backup = BackupAndRestore("backups/run1")
        >>> model.fit(x, y, epochs=20, callbacks=[backup])   # interrupted at epoch 7 ...
        >>> model.fit(x, y, epochs=20, callbacks=[backup])   # ... goes on from epoch 7
    """

    def __init__(self, backup_dir, save_freq="epoch", double_checkpoint: bool = False,
                 delete_checkpoint: bool = True) -> None:
        super().__init__()
        if not backup_dir:
            raise ValueError(f"`backup_dir` must name a folder. Received: backup_dir={backup_dir!r}")
        self.backup_dir = check_path("backup_dir", backup_dir)
        self._schedule = SaveSchedule(save_freq)
        self.save_freq = self._schedule.save_freq
        self.double_checkpoint = check_bool("double_checkpoint", double_checkpoint)
        self.delete_checkpoint = check_bool("delete_checkpoint", delete_checkpoint)
        self._path = os.path.join(self.backup_dir, "latest.redes")

    def on_train_begin(self, logs: dict | None = None) -> None:
        self._schedule.reset()
        candidates = [self._path, self._path + ".bkp"] if self.double_checkpoint else [self._path]
        existing = [path for path in candidates if os.path.exists(path)]
        for index, path in enumerate(existing):
            try:
                saving.restore_training(self.model, path)
            except (OSError, ValueError):
                if index == len(existing) - 1:
                    raise
                continue
            self.model.resume_from_epoch = self.model.epochs_completed
            return

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        if self._schedule.batch_done():
            self._save()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if self._schedule.per_epoch:
            self._save()

    def on_train_end(self, logs: dict | None = None) -> None:
        if self.delete_checkpoint and os.path.isdir(self.backup_dir) and distributed.is_chief():
            shutil.rmtree(self.backup_dir)

    def _save(self) -> None:
        if not distributed.is_chief():  # several processes: rank 0 writes, every rank restores the same file
            return
        os.makedirs(self.backup_dir, exist_ok=True)
        if self.double_checkpoint and os.path.exists(self._path):
            os.replace(self._path, self._path + ".bkp")
        self.model.save(self._path)
