"""Data-parallel training over MPI: the same ``compile`` / ``fit`` / ``evaluate`` on N processes.

Run a script with ``mpiexec -n N python train.py`` after adding one line, ``redes.distributed.initialize()``
(optional extra ``redes[mpi]``: mpi4py and mpich from PyPI). Then, on every rank:

* ``fit`` starts from rank 0's weights and random-generator state (broadcast), so every rank draws the
  same shuffles and sees the same *global* batches of ``batch_size`` samples;
* each rank runs forward and backward on its shard of the global batch (rows ``shard_bounds``: equal
  parts, the first ranks one row more when the batch does not divide);
* the gradients, each weighted by the count cᵣ its shard's loss is a mean over (its rows, or for a masked
  sequence output its unmasked steps), are summed by **one** ``Allreduce`` over a single flat buffer
  (float32, or float64 in float64 mode), which also carries the loss (Σᵣ cᵣ Lᵣ), Σᵣ cᵣ, the non-trainable
  weights (BatchNormalization's moving statistics, averaged) and a stop flag (Ctrl-C on any rank).
  dL/dw = Σᵣ cᵣ dLᵣ/dw / Σᵣ cᵣ is the gradient of the global batch's mean loss, so N ranks reproduce one
  process with the same ``batch_size`` up to rounding;
* the optimizer then takes the same step on every rank; the metrics are updated with the predictions (and
  masks) of the whole global batch (gathered), so logs, callbacks' decisions and History agree on every rank;
* ``BatchNormalization(synchronized=True)`` (Keras' argument) sums its batch statistics over the ranks
  (two Allreduces of C numbers in forward, one in backward): it then equals one process's BatchNormalization
  on the global batch; without it each rank normalizes with its shard's statistics;
* the random layers (Dropout and its kin) draw their noise for the whole global batch and keep their
  shard's rows, so a run with dropout is the one-process run too;
* only rank 0 (``is_chief()``) shows progress bars and runs the callbacks that write files
  (``ModelCheckpoint``, ``CSVLogger``, ``TensorBoard``);
  ``BackupAndRestore`` backs up from rank 0 and every rank restores from the same file;
* an exception on one rank prints its traceback once and ends every rank (``MPI.Abort``): no rank waits
  forever in a collective call;
* ``predict`` runs whole on every rank (no communication; every rank gets every prediction). ``fit`` and
  ``evaluate`` are collective: every rank must call them (never inside ``if is_chief():``).
Not yet: a masked sequence output in a model with several outputs weighs each rank by its rows (exact for
one output); a synchronized BatchNormalization under a masked sequence loss likewise.
Without ``initialize`` (or with one process) nothing changes.

Example (``train.py``, run with ``mpiexec -n 2 python train.py``):
    >>> import redes
    >>> redes.distributed.initialize()
    >>> model.fit(x, y, batch_size=128, epochs=5, verbose=redes.distributed.is_chief())
"""

from __future__ import annotations

import os
import sys
import traceback
from contextlib import contextmanager
from collections.abc import Iterator

import numpy as np

_COMMUNICATOR = None  # MPI.COMM_WORLD once ``initialize`` ran
_SHARD = [(0, 1, 1)]  # (start, stop, count): this rank's rows of the global batch, in the step running now


def initialize():
    """Join the MPI job this process was started in (``mpiexec -n N``); return the communicator.

    Raises ImportError naming the extra when mpi4py is not installed."""
    global _COMMUNICATOR
    try:
        from mpi4py import MPI
    except ImportError:
        raise ImportError("redes.distributed needs mpi4py and an MPI: pip install 'redes[mpi]' "
                          "(mpi4py and mpich, both from PyPI).") from None
    _COMMUNICATOR = MPI.COMM_WORLD
    return _COMMUNICATOR


def launched_by_mpiexec() -> bool:
    """Whether this process was started by ``mpiexec`` with more than one process (MPICH's or Open MPI's
    environment says so): the command line then calls ``initialize`` itself."""
    for variable in ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE"):
        if os.environ.get(variable, "1").isdigit() and int(os.environ.get(variable, "1")) > 1:
            return True
    return False


def is_initialized() -> bool:
    """Whether ``initialize`` ran (in a job of any size)."""
    return _COMMUNICATOR is not None


def rank() -> int:
    """This process's index in the job, 0 … size() − 1 (0 without ``initialize``)."""
    return _COMMUNICATOR.Get_rank() if _COMMUNICATOR is not None else 0


def size() -> int:
    """The number of processes in the job (1 without ``initialize``)."""
    return _COMMUNICATOR.Get_size() if _COMMUNICATOR is not None else 1


def is_chief() -> bool:
    """Whether this is rank 0: the one that prints progress and writes files."""
    return rank() == 0


def active() -> bool:
    """Whether training is spread over several processes now."""
    return size() > 1


# ---------------------------------------------------------------------- what fit uses
def shard_bounds(count: int) -> tuple[int, int]:
    """The rows [start, stop) of a global batch of ``count`` rows that this rank computes: equal shares,
    the first ``count % size()`` ranks one row more (``np.array_split``'s rule)."""
    share, extra = divmod(count, size())
    start = rank() * share + min(rank(), extra)
    return start, start + share + (rank() < extra)


@contextmanager
def shard_of_batch(start: int, stop: int, count: int) -> Iterator[None]:
    """Within a step: this rank computes rows [start, stop) of a global batch of ``count`` rows (what a
    synchronized BatchNormalization and the random layers need to act as one process would)."""
    _SHARD.append((start, stop, count))
    try:
        yield
    finally:
        _SHARD.pop()


def batch_share() -> float:
    """This rank's share nᵣ/B of the global batch in the step running now (1 outside a step)."""
    start, stop, count = _SHARD[-1]
    return (stop - start) / count


def batch_rows(rows: int) -> tuple[int, int, int]:
    """(start, stop, count): where an array of ``rows`` rows (this rank's shard, in a step) sits in the global
    batch; (0, rows, rows) outside a step or for an array that is not the shard. A random layer draws its
    noise for all ``count`` rows and keeps [start, stop), so N ranks draw what one process draws."""
    start, stop, count = _SHARD[-1]
    return (start, stop, count) if stop - start == rows and count != rows else (0, rows, rows)


def summed(array: np.ndarray) -> np.ndarray:
    """A copy of ``array`` summed over the ranks (one Allreduce): a synchronized layer's statistics."""
    return sum_in_place(np.array(array, copy=True))


def broadcast_arrays(arrays: list) -> None:
    """Overwrite ``arrays`` in place with rank 0's values (weights before training)."""
    for array in arrays:
        _COMMUNICATOR.Bcast(np.ascontiguousarray(array) if not array.flags.c_contiguous else array, root=0)


def broadcast_object(value):
    """Rank 0's ``value`` (a picklable state, e.g. a random generator's) on every rank."""
    return _COMMUNICATOR.bcast(value, root=0)


def sum_in_place(buffer: np.ndarray) -> np.ndarray:
    """Sum ``buffer`` over the ranks, in place, with one ``Allreduce``."""
    from mpi4py import MPI
    _COMMUNICATOR.Allreduce(MPI.IN_PLACE, buffer, op=MPI.SUM)
    return buffer


def gather_rows(array: np.ndarray, count: int) -> np.ndarray:
    """The rows of every rank's ``array`` (its ``shard_bounds(count)`` shard of a global batch of ``count``
    rows), concatenated in rank order: the global batch's. One ``Allgatherv``; the shard sizes are known on
    every rank, so they are not sent."""
    array = np.ascontiguousarray(array)
    share, extra = divmod(count, size())
    row = int(np.prod(array.shape[1:], dtype=np.int64))
    counts = [(share + (r < extra)) * row for r in range(size())]
    result = np.empty((count, *array.shape[1:]), dtype=array.dtype)
    _COMMUNICATOR.Allgatherv(array, [result, counts])
    return result


@contextmanager
def ending_every_rank_on_error() -> Iterator[None]:
    """Around a collective computation: an exception on this rank is printed (once, by this rank) and ends
    the whole job at once, rather than leaving the other ranks waiting in a collective call."""
    if not active():
        yield
        return
    try:
        yield
    except Exception:
        sys.stderr.write(f"[redes.distributed] rank {rank()} of {size()} failed; ending every rank:\n"
                         f"{traceback.format_exc()}")
        sys.stderr.flush()
        _COMMUNICATOR.Abort(1)  # the process manager ends the job ...
        os._exit(1)  # ... and until it does, nothing more runs here (nor prints the error again)


class FlatBuffer:
    """One contiguous array holding several arrays back to back, for a single ``Allreduce`` per step:
    ``pack`` copies them in (each times a factor), ``unpack`` gives views of the summed values."""

    def __init__(self, shapes: list[tuple], dtype) -> None:
        self.shapes = [tuple(shape) for shape in shapes]
        self.sizes = [int(np.prod(shape, dtype=np.int64)) for shape in self.shapes]
        self.data = np.zeros(sum(self.sizes), dtype=dtype)

    def pack(self, arrays: list, factors: list) -> np.ndarray:
        start = 0
        for array, size_, factor in zip(arrays, self.sizes, factors):
            np.multiply(np.ravel(array), factor, out=self.data[start:start + size_], casting="unsafe")
            start += size_
        return self.data

    def unpack(self) -> list[np.ndarray]:
        views, start = [], 0
        for shape, size_ in zip(self.shapes, self.sizes):
            views.append(self.data[start:start + size_].reshape(shape))
            start += size_
        return views


__all__ = ["initialize", "is_chief", "is_initialized", "rank", "size"]
