"""``CSVLogger``: write each epoch's logs as a row of a CSV file, with the same bytes as Keras'
CSVLogger (sorted columns, 'NA' for missing ``val_`` values, a flush after each row).
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable

from ..backend import xp
from ..validation import check_bool, check_path, check_type
from .base import Callback


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

    writes_files = True

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
