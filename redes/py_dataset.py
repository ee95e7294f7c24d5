"""``PyDataset``: data that does not fit in memory, as Keras 3's ``keras.utils.PyDataset``: a class that
gives its batches one at a time, and ``fetch``, which reads them ahead in a pool of workers.

``fit``, ``evaluate`` and ``predict`` take a PyDataset as ``x`` (``redes.models.batches.DatasetBatches``).
"""

from __future__ import annotations

import multiprocessing
import warnings
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor

from .validation import check_bool, check_non_negative_int, check_positive_int

_DEFAULTS = {"workers": 1, "use_multiprocessing": False, "max_queue_size": 10}


class PyDataset:
    """Base class of a dataset written in Python: subclass it with ``__len__`` (batches per epoch) and
    ``__getitem__(index)``, the batch ``index``: ``(x, y)``, ``(x, y, sample_weight)`` or, for ``predict``,
    ``x`` alone. A batch holds whole samples (its first axis), the last one may be smaller.

    Args:
        workers: how many batches ``fit``, ``evaluate`` and ``predict`` read at once: above 1, a pool of
            threads calls ``__getitem__`` ahead of training, in order, so that reading files overlaps
            with the steps (NumPy and file I/O release the GIL). 0 or 1: one batch at a time, in the loop.
        use_multiprocessing: read in a pool of ``workers`` processes instead (for work in Python that holds
            the GIL). They are started with 'spawn' (forking a process that runs threads is unsafe), so the
            dataset must be picklable and its class importable, e.g. defined in a module, not in ``__main__``
            of an interactive session.
        max_queue_size: the most batches read ahead and waiting (memory: that many batches).

    Override ``on_epoch_begin`` / ``on_epoch_end`` to act between epochs (reshuffle, load the next file);
    ``fit`` calls them around each epoch, ``evaluate`` and ``predict`` around their pass, after every
    read-ahead batch of the epoch has arrived. ``num_batches`` is ``len(self)``; a dataset without end
    overrides it to return None (then ``steps_per_epoch`` or ``steps`` is required).

    Example:
        >>> class Squares(PyDataset):
        ...     def __init__(self, **kwargs):
        ...         super().__init__(**kwargs)
        ...         self.x = np.arange(10, dtype="float32").reshape(5, 2)
        ...     def __len__(self):
        ...         return 3
        ...     def __getitem__(self, index):
        ...         x = self.x[2 * index:2 * index + 2]
        ...         return x, x ** 2
        >>> data = Squares(workers=2)
        >>> data.num_batches, [len(x) for x, y in data]
        (3, [2, 2, 1])
    """

    def __init__(self, workers: int = 1, use_multiprocessing: bool = False, max_queue_size: int = 10) -> None:
        self._workers = check_non_negative_int("workers", workers)
        self._use_multiprocessing = check_bool("use_multiprocessing", use_multiprocessing)
        self._max_queue_size = check_positive_int("max_queue_size", max_queue_size)

    def _setting(self, name: str):
        """A constructor argument; its default, with Keras' warning, when a subclass skipped ``super().__init__``."""
        if not hasattr(self, f"_{name}"):
            warnings.warn("Your `PyDataset` class should call `super().__init__(**kwargs)` in its constructor. "
                          "`**kwargs` can include `workers`, `use_multiprocessing`, `max_queue_size`. Do not pass "
                          "these arguments to `fit()`, as they will be ignored.", UserWarning, stacklevel=3)
            for key, value in _DEFAULTS.items():
                setattr(self, f"_{key}", getattr(self, f"_{key}", value))
        return getattr(self, f"_{name}")

    @property
    def workers(self) -> int:
        return self._setting("workers")

    @property
    def use_multiprocessing(self) -> bool:
        return self._setting("use_multiprocessing")

    @property
    def max_queue_size(self) -> int:
        return self._setting("max_queue_size")

    def __getitem__(self, index: int):
        """The batch at position ``index``."""
        raise NotImplementedError(f"{type(self).__name__} must define `__getitem__(self, index)`, returning a batch.")

    @property
    def num_batches(self) -> int | None:
        """Batches per epoch: ``len(self)``; None for a dataset without end."""
        if hasattr(self, "__len__"):
            return len(self)
        raise NotImplementedError(f"{type(self).__name__} must define `__len__` (its number of batches) or the "
                                  "`num_batches` property.")

    def __iter__(self) -> Iterator:
        """Its batches in order, read here, one at a time (the workers serve ``fit``, ``evaluate`` and ``predict``)."""
        count = self.num_batches
        index = 0
        while count is None or index < count:
            yield self[index]
            index += 1

    def on_epoch_begin(self) -> None:
        """Called at the beginning of every epoch."""

    def on_epoch_end(self) -> None:
        """Called at the end of every epoch."""


def fetch(dataset: PyDataset, indices: list[int]) -> Iterator:
    """``dataset[index]`` for each of ``indices``, in that order.

    With ``workers`` above 1 (or ``use_multiprocessing``, as Keras' OrderedEnqueuer) a pool reads up to
    ``max_queue_size`` batches ahead. An exception in ``__getitem__`` is raised here, in order, as it was
    raised there (a process pool attaches the worker's traceback). The pool is shut down (its workers
    joined, what was not started cancelled) when the iteration ends, fails or is closed.
    """
    workers = dataset.workers
    if workers <= 1 and not (workers and dataset.use_multiprocessing):
        for index in indices:
            yield dataset[index]
        return
    pool, read = _pool(dataset)
    pending: deque = deque()
    remaining = iter(indices)
    try:
        for index in remaining:
            pending.append(pool.submit(read, index))
            if len(pending) >= dataset.max_queue_size:
                break
        while pending:
            batch = pending.popleft().result()
            index = next(remaining, None)
            if index is not None:
                pending.append(pool.submit(read, index))
            yield batch
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _pool(dataset: PyDataset) -> tuple[Executor, Callable[[int], object]]:
    """A pool of ``workers`` threads or processes, and what it calls to read a batch."""
    if not dataset.use_multiprocessing:
        return ThreadPoolExecutor(dataset.workers, thread_name_prefix=f"{type(dataset).__name__}_worker"), \
            dataset.__getitem__
    pool = ProcessPoolExecutor(dataset.workers, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_receive, initargs=(dataset,))
    return pool, _read


_WORKER_DATASET: PyDataset | None = None  # in a worker process: the dataset it was sent when it started


def _receive(dataset: PyDataset) -> None:
    global _WORKER_DATASET
    _WORKER_DATASET = dataset


def _read(index: int):
    return _WORKER_DATASET[index]
