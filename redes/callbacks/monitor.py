"""``MonitorCallback``: the shared logic of the callbacks that watch one logged quantity (monitor,
mode with Keras' 'auto' rule, baseline, min_delta and the improvement test), as Keras' MonitorCallback.
"""

from __future__ import annotations

import warnings

from ..validation import check_float, check_one_of, check_str
from .base import Callback


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
