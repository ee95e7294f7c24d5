"""``ArrayBatches``: what ``fit``, ``evaluate`` and ``predict`` loop over, the batches of their arrays,
epoch after epoch, as Keras' ``EpochIterator`` over arrays.

A batch is a tuple like the data it comes from, e.g. (x, y, sample_weight), each entry the batch's rows
of that array (a view for a slice, a gather for a shuffled pass) or None where the data had None. The
loops only iterate ``epoch()``: any other iterable of such tuples (a generator of batches) can feed them.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator

from ..backend import rng


class ArrayBatches:
    """The batches of arrays that share their first (sample) axis.

    Args:
        data: a tuple of arrays (or ``Samples``, or None) with the same number of samples, e.g. (x, y, sample_weight).
        batch_size: samples per batch; the last batch of a pass holds the rest.
        shuffle: draw a new order of the samples (redes' random generator, ``backend.rng()``) for each pass.
        steps: batches per epoch; None: one pass over the data. Fewer than a pass: the next epoch goes on
            where this one stopped; more: the epoch ends with the pass, with a warning (Keras' rules).

    Attributes: ``steps`` (batches per epoch), ``num_batches`` (batches in one pass).

    Example:
        >>> batches = ArrayBatches((np.arange(5), None), batch_size=2)
        >>> [(x.tolist(), w) for x, w in batches.epoch()]
        [([0, 1], None), ([2, 3], None), ([4], None)]
    """

    def __init__(self, data: tuple, batch_size: int, shuffle: bool = False, steps: int | None = None) -> None:
        self.data = data
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.num_batches = -(-len(data[0]) // batch_size)
        self.steps = steps or self.num_batches
        self._limited = steps is not None
        self._pass: Iterator[tuple] | None = None
        self._seen = 0

    def epoch(self) -> Iterator[tuple]:
        """The batches of one epoch."""
        if self._pass is None:
            self._pass, self._seen = self._new_pass(), 0
        for _ in range(self.steps):
            if self._seen >= self.num_batches:
                if self._limited:
                    warnings.warn(f"The data ran out after {self.num_batches} batches: the epoch ends before its "
                                  f"{self.steps} steps (steps_per_epoch, validation_steps or steps).",
                                  UserWarning, stacklevel=3)
                break
            self._seen += 1
            yield next(self._pass)
        if self._seen >= self.num_batches:
            self._pass = None

    def _new_pass(self) -> Iterator[tuple]:
        count, size = len(self.data[0]), self.batch_size
        order = rng().permutation(count) if self.shuffle else None
        for start in range(0, count, size):
            index = slice(start, start + size) if order is None else order[start:start + size]
            yield tuple(None if array is None else array[index] for array in self.data)
