"""Utilities: seeding for repeatable runs, the plain-JSON form of configurable objects (``redes.serialization``), Ctrl-C deferral.

Example:
    >>> from redes import regularizers, utils
    >>> utils.set_random_seed(42)  # initializers, fit's shuffling and Dropout masks repeat
    >>> utils.serialize(regularizers.L2(0.01))  # redes.serialization.serialize
    {'module': 'redes.regularizers', 'class_name': 'L2', 'config': {'l2': 0.01}}
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading

from .backend import set_random_seed, xp
from .datasets.preprocessing import to_categorical
from .serialization import serialize
from .validation import check_int

__all__ = ["InterruptRequest", "deferred_interrupt", "normalize", "serialize", "set_random_seed", "to_categorical"]


def normalize(x, axis: int = -1, order: int = 2):
    """``x`` divided by its ``order``-norm along ``axis`` (a zero norm leaves the row as is), as Keras'.

    Example:
        >>> normalize(np.array([[3.0, 4.0], [0.0, 0.0]]))
        array([[0.6, 0.8],
               [0. , 0. ]])
    """
    x = xp.asarray(x)
    if x.dtype.kind not in "fiu":
        raise TypeError(f"`x` must hold real numbers. Received dtype {x.dtype}.")
    norm = xp.atleast_1d(xp.linalg.norm(x, check_int("order", order), axis))
    norm[norm == 0] = 1
    return x / xp.expand_dims(norm, axis)


class InterruptRequest:
    """Set by ``deferred_interrupt``: ``requested`` becomes True at the first Ctrl-C.

    Example:
        >>> with deferred_interrupt() as request:
        ...     pass
        >>> request.requested   # no Ctrl-C arrived inside the block
        False
    """

    def __init__(self) -> None:
        self.requested = False


@contextlib.contextmanager
def deferred_interrupt():
    """Inside the block a first Ctrl-C (SIGINT) only sets ``request.requested``; a second one interrupts at once.

    ``fit`` uses it to finish the current step before stopping, so that an update is never half applied.
    Outside the main thread, or when a program installed its own SIGINT handler, nothing changes.

    Example:
        >>> with deferred_interrupt() as request:
        ...     while not request.requested:
        ...         step()
    """
    request = InterruptRequest()
    if threading.current_thread() is not threading.main_thread() \
            or signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        yield request
        return

    def handler(signum, frame) -> None:
        if request.requested:
            signal.signal(signal.SIGINT, signal.default_int_handler)
            raise KeyboardInterrupt
        request.requested = True
        print("\nInterrupt: stopping after the current step (press Ctrl-C again to stop at once).",
              file=sys.stderr, flush=True)

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield request
    finally:
        signal.signal(signal.SIGINT, previous)
