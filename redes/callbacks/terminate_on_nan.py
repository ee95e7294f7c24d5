"""``TerminateOnNaN``: stop training (or raise) when a batch's logged loss is NaN or infinite, as
Keras' TerminateOnNaN.
"""

from __future__ import annotations

import math

from ..validation import check_bool
from .base import Callback


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
