"""``EarlyStopping``: stop training when a monitored quantity has stopped improving for ``patience``
epochs, optionally restoring the weights of the best epoch, as Keras' EarlyStopping.
"""

from __future__ import annotations

from ..validation import check_bool, check_float, check_non_negative_int
from .monitor import MonitorCallback


class EarlyStopping(MonitorCallback):
    """Stop training when a monitored quantity has stopped improving (Keras' EarlyStopping).

    Args:
        monitor: quantity to watch (default 'val_loss').
        min_delta: smallest change that counts as an improvement.
        patience: epochs without improvement after which training stops.
        verbose: 1 prints when it stops and when it restores weights.
        mode: 'auto', 'min' or 'max' (see MonitorCallback).
        baseline: training also stops if the quantity does not beat this value within ``patience`` epochs.
        restore_best_weights: at the end of training, set the weights of the best epoch
            (the weights of the first monitored epoch if none improved on the baseline).
        start_from_epoch: epochs of warm-up that are not monitored.

    Equations: wait ← wait + 1 each monitored epoch; wait ← 0 on an improvement of the best that also
        beats the baseline; stop at the end of epoch e when wait >= patience and e > 0.

    Example:
        >>> stop = EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True)
        >>> model.fit(x, y, validation_split=0.1, epochs=100, callbacks=[stop])
    """

    def __init__(self, monitor: str = "val_loss", min_delta: float = 0, patience: int = 0, verbose: int = 0,
                 mode: str = "auto", baseline: float | None = None, restore_best_weights: bool = False,
                 start_from_epoch: int = 0) -> None:
        super().__init__(monitor, mode, min_delta=min_delta)
        self.patience = check_non_negative_int("patience", patience)
        self.verbose = check_non_negative_int("verbose", verbose)
        self.baseline = check_float("baseline", baseline, allow_none=True)
        self.restore_best_weights = check_bool("restore_best_weights", restore_best_weights)
        self.start_from_epoch = check_non_negative_int("start_from_epoch", start_from_epoch)
        self.wait = 0
        self.stopped_epoch = 0
        self.best_epoch = 0
        self.best_weights: list | None = None

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_weights = None
        self.best_epoch = 0

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        current = self._monitor_value(logs, "Early stopping")
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = self.model.get_weights()
            self.best_epoch = epoch
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs: dict | None = None) -> None:
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print(f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)
