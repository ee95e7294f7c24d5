"""``ModelCheckpoint``: save the model or its weights every epoch or every ``save_freq`` batches, to a
path formatted with the epoch and the logs, optionally only when the monitored quantity improves.
"""

from __future__ import annotations

import os
import warnings

from ..validation import check_bool, check_non_negative_int, check_path
from .base import SaveSchedule
from .monitor import MonitorCallback


class ModelCheckpoint(MonitorCallback):
    """Save the model (or its weights) at the end of each epoch (Keras' ModelCheckpoint).

    Args:
        filepath: where to save; may hold ``str.format`` fields filled with ``epoch`` (1-based) and the
            logs, e.g. 'ckpt/{epoch:02d}-{val_loss:.2f}.redes'.
        monitor: quantity compared when ``save_best_only``.
        verbose: 1 prints each decision.
        save_best_only: save only when the monitored quantity improves on the best so far.
        save_weights_only: call ``model.save_weights(path)`` instead of ``model.save(path)``.
        mode: 'auto', 'min' or 'max' (see MonitorCallback).
        save_freq: 'epoch', or save every that many training batches.
        initial_value_threshold: the best value to beat before the first save (with ``save_best_only``).

    Example:
        >>> checkpoint = ModelCheckpoint("best.redes", monitor="val_accuracy", save_best_only=True)
        >>> model.fit(x, y, validation_split=0.1, epochs=10, callbacks=[checkpoint])
    """

    writes_files = True

    def __init__(self, filepath, monitor: str = "val_loss", verbose: int = 0, save_best_only: bool = False,
                 save_weights_only: bool = False, mode: str = "auto", save_freq="epoch",
                 initial_value_threshold: float | None = None) -> None:
        super().__init__(monitor, mode, initial_value_threshold)
        self.filepath = check_path("filepath", filepath)
        self.verbose = check_non_negative_int("verbose", verbose)
        self.save_best_only = check_bool("save_best_only", save_best_only)
        self.save_weights_only = check_bool("save_weights_only", save_weights_only)
        self._schedule = SaveSchedule(save_freq)
        self.save_freq = self._schedule.save_freq
        self._current_epoch = 0

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._current_epoch = epoch

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        if self._schedule.batch_done():
            self._save(self._current_epoch, batch, logs)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if self._schedule.per_epoch:
            self._save(epoch, None, logs)

    def _file_path(self, epoch: int, batch: int | None, logs: dict) -> str:
        fields = dict(logs)
        if batch is not None:
            fields.setdefault("batch", batch + 1)
        try:
            return self.filepath.format(epoch=epoch + 1, **fields)
        except KeyError as error:
            raise KeyError(
                f'Failed to format this callback filepath: "{self.filepath}". Reason: {error}. '
                f"Available keys: epoch, {', '.join(fields)}"
            ) from None

    def _should_save(self, epoch: int, logs: dict, path: str) -> bool:
        if not self.save_best_only:
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: saving model to {path}")
            return True
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(f"Can save best model only with {self.monitor} available.", stacklevel=3)
            return True
        best = "None" if self.best is None else f"{self.best:.5f}"
        if self._is_improvement(current, self.best):
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: {self.monitor} improved from {best} to {current:.5f}, "
                      f"saving model to {path}")
            self.best = current
            return True
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {best}")
        return False

    def _save(self, epoch: int, batch: int | None, logs: dict | None) -> None:
        logs = logs or {}
        path = self._file_path(epoch, batch, logs)
        if not self._should_save(epoch, logs, path):
            return
        if os.path.isdir(path):
            raise IsADirectoryError(
                f"Please specify a non-directory filepath for ModelCheckpoint. Filepath used is an existing "
                f"directory: {path}"
            )
        directory = os.path.dirname(path)
        if directory:
            os.makedirs(directory, exist_ok=True)
        if self.save_weights_only:
            self.model.save_weights(path)
        else:
            self.model.save(path)
