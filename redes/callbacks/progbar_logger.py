"""``ProgbarLogger``: what ``verbose`` shows, as Keras' ProgbarLogger: a progress bar per epoch (verbose 1)
or one line per epoch (verbose 2) in ``fit``, a bar for ``evaluate`` and ``predict`` (verbose 1).
"""

from __future__ import annotations

import time

from tqdm.auto import tqdm

from .base import Callback


class ProgbarLogger(Callback):
    """Show the progress and the logs of ``fit``, ``evaluate`` and ``predict`` (Keras 3's ProgbarLogger).

    ``fit``, ``evaluate`` and ``predict`` add one when ``verbose`` is 1 or 2 (and the callbacks hold none);
    it reads 'verbose', 'epochs' and 'steps' from ``self.params``. verbose 1: a tqdm bar per epoch whose
    postfix shows the running logs, then the epoch's logs (``val_`` ones included); verbose 2: a line
    'Epoch 3/10 - 1.2s - loss: …' at each epoch's end. The validation inside ``fit`` shows no bar.

    Example:
        >>> model.fit(x, y, epochs=3, verbose=0, callbacks=[ProgbarLogger()])  # a bar although verbose=0
    """

    def __init__(self) -> None:
        super().__init__()
        self._bar = None
        self._in_fit = False
        self._started = 0.0

    @property
    def _verbose(self) -> int:
        return self.params.get("verbose", 1) or 1

    def _open(self, description: str) -> None:
        self._close()
        if self._verbose == 1:
            self._bar = tqdm(total=self.params.get("steps"), desc=description, unit="step", dynamic_ncols=True)

    def _advance(self, logs: dict | None) -> None:
        if self._bar is not None:
            self._bar.update(1)
            if logs:
                self._bar.set_postfix_str(format_logs(logs), refresh=False)

    def _close(self, logs: dict | None = None) -> None:
        if self._bar is not None:
            if logs:
                self._bar.set_postfix_str(format_logs(logs))
            self._bar.close()
            self._bar = None

    def on_train_begin(self, logs: dict | None = None) -> None:
        self._in_fit = True

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._started = time.perf_counter()
        self._open(f"Epoch {epoch + 1}/{self.params.get('epochs')}")

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self._advance(logs)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self._close(logs)
        if self._verbose == 2:
            print(f"Epoch {epoch + 1}/{self.params.get('epochs')} - {time.perf_counter() - self._started:.1f}s - "
                  f"{format_logs(logs or {})}")

    def on_train_end(self, logs: dict | None = None) -> None:
        self._close()
        self._in_fit = False

    def on_test_begin(self, logs: dict | None = None) -> None:
        if not self._in_fit:
            self._open("Evaluate")

    def on_test_batch_end(self, batch: int, logs: dict | None = None) -> None:
        if not self._in_fit:
            self._advance(logs)

    def on_test_end(self, logs: dict | None = None) -> None:
        if not self._in_fit:
            self._close(logs)

    def on_predict_begin(self, logs: dict | None = None) -> None:
        self._open("Predict")

    def on_predict_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self._advance(None)

    def on_predict_end(self, logs: dict | None = None) -> None:
        self._close()


def format_logs(logs: dict) -> str:
    """'loss: 0.2500 - accuracy: 0.9000': the logs as the bar and the verbose-2 line show them."""
    return " - ".join(f"{key}: {value:.4f}" for key, value in logs.items())
