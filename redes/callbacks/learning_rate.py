"""Learning-rate callbacks: ``LearningRateScheduler`` sets the optimizer's rate from a schedule at each
epoch's start, ``ReduceLROnPlateau`` multiplies it by ``factor`` when a quantity stops improving;
both add the rate to the epoch's logs under 'learning_rate', so that ``History`` records it.
"""

from __future__ import annotations

from collections.abc import Callable

from ..backend import xp
from ..validation import check_float, check_non_negative_int, check_type
from .base import Callback
from .monitor import MonitorCallback


def _optimizer(model, callback: str):
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None or not hasattr(optimizer, "learning_rate"):
        raise RuntimeError(f"{callback} needs a compiled model whose optimizer has a `learning_rate`.")
    return optimizer


class LearningRateScheduler(Callback):
    """Set the optimizer's learning rate at the start of each epoch (Keras' LearningRateScheduler).

    Args:
        schedule: ``schedule(epoch, lr) -> float`` (epoch from 0, lr the current rate);
            a one-argument ``schedule(epoch)`` also works.
        verbose: 1 prints the rate set.

    Equations: at on_epoch_begin(e): lr ← schedule(e, lr); at on_epoch_end, logs['learning_rate'] = lr.

    Example:
        >>> scheduler = LearningRateScheduler(lambda epoch, lr: lr if epoch < 10 else lr * 0.9)
        >>> model.fit(x, y, epochs=20, callbacks=[scheduler]).history["learning_rate"]
    """

    def __init__(self, schedule, verbose: int = 0) -> None:
        super().__init__()
        self.schedule = check_type("schedule", schedule, Callable, "a callable schedule(epoch, lr)")
        self.verbose = check_non_negative_int("verbose", verbose)

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        optimizer = _optimizer(self.model, "LearningRateScheduler")
        try:
            learning_rate = self.schedule(epoch, float(optimizer.learning_rate))
        except TypeError:
            learning_rate = self.schedule(epoch)
        if isinstance(learning_rate, bool) or not isinstance(learning_rate, (float, xp.floating)):
            raise ValueError(f"The output of the `schedule` function should be a float. Got: {learning_rate!r}")
        optimizer.learning_rate = float(learning_rate)
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to {learning_rate}.")

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if logs is not None:
            logs["learning_rate"] = float(_optimizer(self.model, "LearningRateScheduler").learning_rate)


class ReduceLROnPlateau(MonitorCallback):
    """Multiply the learning rate by ``factor`` when a quantity stops improving (Keras' ReduceLROnPlateau).

    Args:
        monitor: quantity to watch (default 'val_loss').
        factor: new_lr = max(lr · factor, min_lr); in [0, 1).
        patience: epochs without improvement before a reduction.
        verbose: 1 prints each reduction.
        mode: 'auto', 'min' or 'max' (see MonitorCallback).
        min_delta: smallest change that counts as an improvement (default 1e-4).
        cooldown: epochs after a reduction during which no epoch counts toward ``patience``.
        min_lr: lower bound of the learning rate.

    Equations: each epoch, logs['learning_rate'] = lr (before any reduction); on an improvement
        wait ← 0, else (outside cooldown) wait ← wait + 1 and, when wait >= patience and lr > min_lr,
        lr ← max(lr · factor, min_lr), wait ← 0, cooldown counter ← cooldown.

    Example:
        >>> reduce = ReduceLROnPlateau(monitor="val_loss", factor=0.2, patience=5, min_lr=1e-5)
        >>> model.fit(x, y, validation_split=0.1, epochs=50, callbacks=[reduce])
    """

    def __init__(self, monitor: str = "val_loss", factor: float = 0.1, patience: int = 10, verbose: int = 0,
                 mode: str = "auto", min_delta: float = 1e-4, cooldown: int = 0, min_lr: float = 0.0) -> None:
        super().__init__(monitor, mode, min_delta=min_delta)
        self.factor = check_float("factor", factor, 0.0, 1.0, include_maximum=False)
        self.patience = check_non_negative_int("patience", patience)
        self.verbose = check_non_negative_int("verbose", verbose)
        self.cooldown = check_non_negative_int("cooldown", cooldown)
        self.min_lr = check_float("min_lr", min_lr, 0.0)
        self.cooldown_counter = 0
        self.wait = 0

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.best = None
        self.cooldown_counter = 0
        self.wait = 0

    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        optimizer = _optimizer(self.model, "ReduceLROnPlateau")
        logs = {} if logs is None else logs
        logs["learning_rate"] = float(optimizer.learning_rate)
        current = self._monitor_value(logs, "Learning rate reduction")
        if current is None:
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self._is_improvement(current, self.best):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience and self._reduce(optimizer, epoch):
                self.cooldown_counter = self.cooldown
                self.wait = 0

    def _reduce(self, optimizer, epoch: int) -> bool:
        old_lr = float(optimizer.learning_rate)
        if old_lr <= float(xp.float32(self.min_lr)):
            return False
        new_lr = max(old_lr * self.factor, self.min_lr)
        optimizer.learning_rate = new_lr
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new_lr}.")
        return True
