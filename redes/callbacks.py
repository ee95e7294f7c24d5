"""Callbacks: hooks into ``fit``, with Keras names, arguments, call points and decisions.

EarlyStopping, ModelCheckpoint, LearningRateScheduler, ReduceLROnPlateau, CSVLogger and
TerminateOnNaN behave as their Keras 3 namesakes: fed the same logs they stop, save and
change the learning rate at the same epochs. The learning-rate callbacks add the rate to
the epoch's logs under 'learning_rate', so that ``History`` records it.
"""

from __future__ import annotations

import csv
import math
import os
import warnings
from collections.abc import Iterable

from .backend import xp
from .validation import (check_bool, check_float, check_non_negative_int, check_one_of, check_path, check_positive_int,
                         check_str, check_type)

__all__ = [
    "CSVLogger", "Callback", "CallbackList", "EarlyStopping", "History", "LearningRateScheduler", "ModelCheckpoint",
    "MonitorCallback", "ReduceLROnPlateau", "TerminateOnNaN",
]


class Callback:
    """Base class. Override the hooks you need; ``self.model`` is set by ``fit``.

    Hooks, in the order ``fit`` calls them: on_train_begin, then per epoch
    on_epoch_begin, on_train_batch_begin / on_train_batch_end per step,
    on_epoch_end (``logs`` holds the epoch's metrics, ``val_`` ones included),
    and finally on_train_end. Setting ``self.model.stop_training = True``
    ends training after the current epoch.

    Args of the hooks: ``epoch`` / ``batch`` (0-based int) and ``logs``, a dict of Python floats
    ({'loss': ..., 'accuracy': ..., 'val_loss': ...}; None where a hook has none).

    Example:
        >>> class PrintLoss(Callback):
        ...     def on_epoch_end(self, epoch, logs=None):
        ...         print(f"epoch {epoch}: loss {logs['loss']:.3f}")
        >>> PrintLoss().on_epoch_end(0, {"loss": 0.25})   # fit calls it: model.fit(..., callbacks=[PrintLoss()])
        epoch 0: loss 0.250
    """

    def __init__(self) -> None:
        self.model = None
        self.params: dict = {}

    def set_model(self, model) -> None:
        self.model = model

    def set_params(self, params: dict) -> None:
        self.params = params

    def on_train_begin(self, logs: dict | None = None) -> None:
        pass

    def on_train_end(self, logs: dict | None = None) -> None:
        pass

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        pass

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        pass

    def on_train_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        pass

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        pass


class History(Callback):
    """Records the metrics of every epoch: ``history.history['loss']`` is a list, one value per epoch.

    ``fit`` returns one; ``history.epoch`` lists the epoch indices (from 0).

    Example:
        >>> history = History()
        >>> history.on_train_begin()
        >>> history.on_epoch_end(0, {"loss": 0.5}); history.on_epoch_end(1, {"loss": 0.25})
        >>> history.history, history.epoch
        ({'loss': [0.5, 0.25]}, [0, 1])
    """

    def __init__(self) -> None:
        super().__init__()
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.history = {}
        self.epoch = []

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)


class CallbackList:
    """Calls the same hook on every callback in order (how ``fit`` drives its callbacks).

    Args:
        callbacks: an iterable of Callback instances (anything else raises TypeError).
        model: set on each callback as ``callback.model``.
        params: set as ``callback.params`` (``fit`` passes epochs, steps, batch_size and verbose).

    Example:
        >>> history = History()
        >>> callbacks = CallbackList([history], model=None, params={})
        >>> callbacks.call("on_epoch_end", 0, {"loss": 0.5})
        >>> history.history
        {'loss': [0.5]}
    """

    def __init__(self, callbacks, model, params: dict) -> None:
        self.callbacks = list(callbacks)
        for callback in self.callbacks:
            if not isinstance(callback, Callback):
                raise TypeError(f"`callbacks` must hold Callback instances. Received: {callback!r}")
            callback.set_model(model)
            callback.set_params(params)

    def call(self, hook: str, *args) -> None:
        for callback in self.callbacks:
            getattr(callback, hook)(*args)


def _optimizer(model, callback: str):
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None or not hasattr(optimizer, "learning_rate"):
        raise RuntimeError(f"{callback} needs a compiled model whose optimizer has a `learning_rate`.")
    return optimizer


# -------------------------------------------------------------- monitoring
class MonitorCallback(Callback):
    """Base of the callbacks that watch one logged quantity (Keras' MonitorCallback).

    Args:
        monitor: key of ``logs`` to watch, e.g. 'val_loss' or 'val_accuracy'.
        mode: 'min', 'max', or 'auto' (losses and errors are minimised, accuracies maximised;
            any other name raises, as in Keras).
        baseline: the first "best" value (None: the first value seen).
        min_delta: an improvement must beat the best by more than |min_delta|.

    Equations: improvement  ⇔  current − |δ| > best  (max)   or   current + |δ| < best  (min).

    Example:
        >>> class PrintBest(MonitorCallback):
        ...     def on_epoch_end(self, epoch, logs=None):
        ...         current = self._monitor_value(logs, "PrintBest")
        ...         if current is not None and self._is_improvement(current, self.best):
        ...             self.best = current
        ...             print(f"epoch {epoch}: best {self.monitor} = {current}")
        >>> callback = PrintBest(monitor="val_loss")
        >>> for epoch, value in enumerate([0.5, 0.6, 0.4]):
        ...     callback.on_epoch_end(epoch, {"val_loss": value})
        epoch 0: best val_loss = 0.5
        epoch 2: best val_loss = 0.4
    """

    def __init__(self, monitor: str = "val_loss", mode: str = "auto", baseline: float | None = None,
                 min_delta: float = 0.0) -> None:
        super().__init__()
        self.monitor = check_str("monitor", monitor)
        self.mode = check_one_of("mode", mode, ("auto", "min", "max"))
        self.best = check_float("baseline", baseline, allow_none=True)
        self.min_delta = abs(check_float("min_delta", min_delta))
        self._maximize: bool | None = None

    def _direction(self) -> bool:
        """True to maximise the monitored quantity."""
        if self.mode != "auto":
            return self.mode == "max"
        name = self.monitor.removeprefix("val_")
        for metric in getattr(self.model, "metrics", None) or []:
            if getattr(metric, "name", None) == name:
                return "Accuracy" in type(metric).__name__
        if name.endswith(("loss", "error", "crossentropy", "hinge")) or name in ("mse", "mae"):
            return False
        if name.startswith(("acc", "auc", "precision", "recall", "f1")) or name.endswith("accuracy"):
            return True
        raise ValueError(
            f"{type(self).__name__} callback received monitor={self.monitor}, but cannot tell whether that "
            "metric should be maximized or minimized. Pass `mode='max'` in order to monitor based on the "
            "highest metric value, or pass `mode='min'` in order to use the lowest value."
        )

    def _is_improvement(self, current: float, reference: float | None) -> bool:
        if self._maximize is None:
            self._maximize = self._direction()
        if reference is None:
            return True
        if self._maximize:
            return current - self.min_delta > reference
        return current + self.min_delta < reference

    def _monitor_value(self, logs: dict | None, action: str):
        logs = logs or {}
        value = logs.get(self.monitor)
        if value is None:
            warnings.warn(
                f"{action} conditioned on metric `{self.monitor}` which is not available. "
                f"Available metrics are: {','.join(logs)}",
                stacklevel=3,
            )
        return value


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

    def __init__(self, filepath, monitor: str = "val_loss", verbose: int = 0, save_best_only: bool = False,
                 save_weights_only: bool = False, mode: str = "auto", save_freq="epoch",
                 initial_value_threshold: float | None = None) -> None:
        super().__init__(monitor, mode, initial_value_threshold)
        self.filepath = check_path("filepath", filepath)
        self.verbose = check_non_negative_int("verbose", verbose)
        self.save_best_only = check_bool("save_best_only", save_best_only)
        self.save_weights_only = check_bool("save_weights_only", save_weights_only)
        if isinstance(save_freq, str):
            self.save_freq = check_one_of("save_freq", save_freq, ("epoch",))
        else:
            self.save_freq = check_positive_int("save_freq", save_freq)
        self._current_epoch = 0
        self._batches_since_save = 0

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._current_epoch = epoch

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        if self.save_freq == "epoch":
            return
        self._batches_since_save += 1
        if self._batches_since_save >= self.save_freq:
            self._batches_since_save = 0
            self._save(self._current_epoch, batch, logs)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if self.save_freq == "epoch":
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


# ------------------------------------------------------------- learning rate
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
        if not callable(schedule):
            raise TypeError(f"`schedule` must be a callable schedule(epoch, lr). Received: schedule={schedule!r}")
        self.schedule = schedule
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


# -------------------------------------------------------------------- logging
class CSVLogger(Callback):
    """Write each epoch's logs as a row of a CSV file (Keras' CSVLogger, same bytes).

    Columns: 'epoch' (from 0), then the log keys sorted; when the first epoch has no ``val_`` key,
    a ``val_`` column is added for each key (written 'NA'). The file is flushed after each row.

    Args:
        filename: path of the CSV file.
        separator: the field separator.
        append: append to an existing file (without repeating its header) instead of overwriting it.

    Example:
        >>> model.fit(x, y, epochs=5, callbacks=[CSVLogger("training.csv")])
    """

    def __init__(self, filename, separator: str = ",", append: bool = False) -> None:
        super().__init__()
        self.filename = check_path("filename", filename)
        if len(check_type("separator", separator, str, "a one-character string")) != 1:
            raise ValueError(f"`separator` must be a one-character string. Received: separator={separator!r}")
        self.sep = separator
        self.append = check_bool("append", append)
        self.keys: list[str] | None = None
        self.writer = None
        self.csv_file = None
        self.append_header = True

    def on_train_begin(self, logs: dict | None = None) -> None:
        mode = "w"
        if self.append:
            mode = "a"
            if os.path.exists(self.filename):
                with open(self.filename, encoding="utf-8") as existing:
                    self.append_header = not existing.readline()
        self._close()
        self.csv_file = open(self.filename, mode, encoding="utf-8", newline="")
        self.writer = None
        self.keys = None

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
            if self.keys and not any(key.startswith("val_") for key in self.keys):
                self.keys.extend([f"val_{key}" for key in self.keys])
        if self.writer is None:
            dialect = type("RedesCSVDialect", (csv.excel,), {"delimiter": self.sep})
            self.writer = csv.DictWriter(self.csv_file, fieldnames=["epoch", *self.keys], dialect=dialect)
            if self.append_header:
                self.writer.writeheader()
        row = {"epoch": epoch}
        row.update((key, _csv_value(logs.get(key, "NA"))) for key in self.keys)
        self.writer.writerow(row)
        self.csv_file.flush()

    def on_train_end(self, logs: dict | None = None) -> None:
        self._close()
        self.writer = None

    def _close(self) -> None:
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()


def _csv_value(value):
    """A log value as Keras writes it: 1-D iterables as "[a, b]", everything else as is."""
    if isinstance(value, str) or (isinstance(value, xp.ndarray) and value.ndim == 0):
        return value
    if isinstance(value, Iterable):
        return f'"[{", ".join(map(str, value))}]"'
    return value


class TerminateOnNaN(Callback):
    """Stop training when a batch's logged loss is NaN or infinite (Keras' TerminateOnNaN).

    ``fit`` already stops by itself, with a warning, on a non-finite loss that it computes (before
    applying that step); this callback serves custom loops and losses changed by other callbacks.

    Args:
        raise_error: raise a RuntimeError at once instead of setting ``model.stop_training``.

    Example:
        >>> model.fit(x, y, epochs=10, callbacks=[TerminateOnNaN()])
    """

    def __init__(self, raise_error: bool = False) -> None:
        super().__init__()
        self.raise_error = check_bool("raise_error", raise_error)

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        loss = (logs or {}).get("loss")
        if loss is None or math.isfinite(loss):
            return
        if self.raise_error:
            raise RuntimeError(
                f"NaN or Inf loss encountered at batch {batch}. Loss value: {loss}. Terminating training immediately."
            )
        print(f"Batch {batch}: Invalid loss, terminating training")
        self.model.stop_training = True
