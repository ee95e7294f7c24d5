"""File-system helpers shared by saving and the dataset downloads."""

from __future__ import annotations

import os


def fsync_directory(directory) -> None:
    """Make a rename inside ``directory`` durable (POSIX; a no-op where folders cannot be opened)."""
    if hasattr(os, "O_DIRECTORY"):
        handle = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(handle)
        finally:
            os.close(handle)
