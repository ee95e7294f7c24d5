"""What ``fit``, ``evaluate`` and ``predict`` loop over, epoch after epoch, as Keras' ``EpochIterator``:
the batches of arrays (``ArrayBatches``), of a ``PyDataset`` (``DatasetBatches``) or of a Python generator
(``GeneratorBatches``). ``batch_source`` picks one for the loops' ``x``, as Keras' ``get_data_adapter``.

All three share one interface: ``epoch()``, the batches of one epoch, and ``steps``, batches per epoch
(None: unknown until a generator runs out). A batch is a tuple like the data, e.g. (x, y, sample_weight),
with None where there is none. Arrays are checked once, whole; a dataset's or generator's batches are
checked one by one as they arrive, by the model's ``check`` (the same as for arrays), and an error names
the batch.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Callable, Iterator
from contextlib import closing

from ..backend import rng
from ..py_dataset import PyDataset, fetch

RAN_OUT = ("Your input ran out of data; interrupting training. Make sure that your dataset or generator can "
           "generate at least `steps_per_epoch * epochs` batches.")


class _Passes:
    """Epochs cut from passes over data of ``num_batches`` batches (None: without end), Keras' rules for
    ``steps``: None, an epoch is a pass; fewer than a pass, the next epoch goes on where this one stopped;
    more, the epoch ends with the pass, with a warning. Subclasses give a pass's keys (``_new_pass``) and
    turn keys into batches (``_batches``)."""

    def __init__(self, num_batches: int | None, steps: int | None) -> None:
        self.num_batches = num_batches
        self.steps = steps or num_batches
        self._pass: Iterator | None = None
        self._seen = 0

    def epoch(self) -> Iterator[tuple]:
        """The batches of one epoch."""
        if self._pass is None:
            self._pass, self._seen = self._new_pass(), 0
        count = self.steps if self.num_batches is None else min(self.steps, self.num_batches - self._seen)
        if count < self.steps:
            warnings.warn(f"The data ran out after {self.num_batches} batches: the epoch ends before its "
                          f"{self.steps} steps (steps_per_epoch, validation_steps or steps).", UserWarning, stacklevel=3)
        keys = list(itertools.islice(self._pass, count))
        self._seen += count
        if self.num_batches is not None and self._seen >= self.num_batches:
            self._pass = None
        with closing(self._batches(keys)) as batches:
            yield from batches

    def _new_pass(self) -> Iterator:
        raise NotImplementedError

    def _batches(self, keys: list) -> Iterator[tuple]:
        raise NotImplementedError


class ArrayBatches(_Passes):
    """The batches of arrays that share their first (sample) axis.

    Args:
        data: a tuple of arrays (or ``Samples``, or None) with the same number of samples, e.g. (x, y, sample_weight).
        batch_size: samples per batch; the last batch of a pass holds the rest.
        shuffle: draw a new order of the samples (redes' random generator, ``backend.rng()``) for each pass.
        steps: batches per epoch; None: one pass over the data (see ``_Passes`` for more or fewer).

    Attributes: ``steps`` (batches per epoch), ``num_batches`` (batches in one pass).

    A batch holds the rows of each array: a view for a slice, a gather for a shuffled pass.

    Example:
        >>> batches = ArrayBatches((np.arange(5), None), batch_size=2)
        >>> [(x.tolist(), w) for x, w in batches.epoch()]
        [([0, 1], None), ([2, 3], None), ([4], None)]
    """

    def __init__(self, data: tuple, batch_size: int, shuffle: bool = False, steps: int | None = None) -> None:
        self.data = data
        self.batch_size = batch_size
        self.shuffle = shuffle
        super().__init__(-(-len(data[0]) // batch_size), steps)

    @property
    def samples(self) -> int:
        """The samples the ``steps`` batches hold."""
        return min(len(self.data[0]), self.steps * self.batch_size)

    def _new_pass(self) -> Iterator:
        count, size = len(self.data[0]), self.batch_size
        order = rng().permutation(count) if self.shuffle else None
        for start in range(0, count, size):
            yield slice(start, start + size) if order is None else order[start:start + size]

    def _batches(self, keys: list) -> Iterator[tuple]:
        for index in keys:
            yield tuple(None if array is None else array[index] for array in self.data)


class DatasetBatches(_Passes):
    """The batches of a ``PyDataset``, read ahead by its workers (``py_dataset.fetch``), as Keras'
    ``PyDatasetAdapter``: ``shuffle`` draws a new order of the batches for each pass (``backend.rng()``),
    and the dataset's ``on_epoch_begin`` and ``on_epoch_end`` are called around each epoch.

    Example:
        >>> from redes.utils import PyDataset
        >>> class Pairs(PyDataset):
        ...     def __len__(self):
        ...         return 2
        ...     def __getitem__(self, index):
        ...         return np.full((2, 1), index), np.zeros(2)
        >>> batches = DatasetBatches(Pairs(), check=lambda x, y: (x, y))
        >>> [x[:, 0].tolist() for x, y in batches.epoch()]
        [[0, 0], [1, 1]]
    """

    def __init__(self, dataset: PyDataset, check: Callable[..., tuple], shuffle: bool = False,
                 steps: int | None = None) -> None:
        num_batches = dataset.num_batches
        if num_batches is None and steps is None:
            raise ValueError(f"{type(dataset).__name__} has no end (num_batches is None): pass `steps_per_epoch` "
                             "(fit) or `steps` (evaluate, predict).")
        if num_batches == 0:
            raise ValueError(f"The PyDataset has length 0: {type(dataset).__name__}.num_batches is 0.")
        if num_batches is None and shuffle:
            warnings.warn("`shuffle=True` was passed, but will be ignored since the data `x` was provided as an "
                          "infinite PyDataset. The PyDataset is expected to already be shuffled.", stacklevel=4)
        self.source = dataset
        self.shuffle = shuffle
        self._check = check
        super().__init__(num_batches, steps)

    def _new_pass(self) -> Iterator:
        if self.num_batches is None:
            return itertools.count()
        return iter(rng().permutation(self.num_batches).tolist() if self.shuffle else range(self.num_batches))

    def _batches(self, keys: list) -> Iterator[tuple]:
        self.source.on_epoch_begin()
        name = type(self.source).__name__
        with closing(fetch(self.source, keys)) as fetched:
            for index, batch in zip(keys, fetched):
                yield checked(batch, f"Batch {index} of the PyDataset ({name}[{index}])", self._check)
        self.source.on_epoch_end()


class GeneratorBatches:
    """The batches a Python generator (or any iterator) yields, as Keras' ``GeneratorDataAdapter``.

    ``steps`` None: an epoch ends when the generator is exhausted, so a generator that ends gives one epoch;
    an epoch that then gets no batch warns (Keras' message) and ``fit`` stops there. ``steps``: each
    epoch draws that many batches from the same generator, where the previous epoch stopped; an epoch
    cut short by the end warns.

    Example:
        >>> batches = GeneratorBatches((np.ones((2, 1)) * k for k in range(3)), check=lambda x: (x,), steps=2)
        >>> [[float(x[0, 0]) for x, in batches.epoch()] for epoch in range(2)]  # the second epoch warns
        [[0.0, 1.0], [2.0]]
    """

    num_batches = None

    def __init__(self, generator: Iterator, check: Callable[..., tuple], steps: int | None = None) -> None:
        first = next(generator, None)
        if first is None:
            raise ValueError("When passing a Python generator to a Keras model, the generator must yield at least "
                             "one batch. Received an empty generator.")
        self.source = generator
        self.steps = steps
        self._batches = itertools.chain([first], generator)
        self._check = check
        self._drawn = 0

    def epoch(self) -> Iterator[tuple]:
        """The batches of one epoch."""
        count = 0
        for batch in itertools.islice(self._batches, self.steps):
            self._drawn, count = self._drawn + 1, count + 1
            yield checked(batch, f"Batch {self._drawn - 1} of the generator", self._check)
        if count < (self.steps or 1):
            warnings.warn(RAN_OUT, UserWarning, stacklevel=3)


Batches = ArrayBatches | DatasetBatches | GeneratorBatches


def checked(batch, where: str, check: Callable[..., tuple]) -> tuple:
    """``check(*batch)`` for a batch as Keras reads one (a tuple (x,), (x, y) or (x, y, sample_weight); a
    list counts as a tuple, anything else as x alone); its errors begin with ``where``."""
    batch = tuple(batch) if isinstance(batch, list) else batch if isinstance(batch, tuple) else (batch,)
    if not 1 <= len(batch) <= 3:
        raise ValueError(f"{where} must be a tuple (x,), (x, y) or (x, y, sample_weight). Received a tuple of "
                         f"{len(batch)} items.")
    try:
        return check(*batch)
    except (TypeError, ValueError) as error:
        raise type(error)(f"{where}: {error}") from error


def is_batch_source(x) -> bool:
    """Whether ``x`` gives its own batches: a PyDataset or a generator (any iterator)."""
    return isinstance(x, (PyDataset, Iterator))


def batch_source(x, check: Callable[..., tuple], y=None, sample_weight=None, class_weight=None, batch_size=None,
                 shuffle: bool = False, steps: int | None = None) -> DatasetBatches | GeneratorBatches:
    """The batches of a PyDataset or a generator ``x``, with Keras' rules for the other arguments: y and the
    weights must come in the batches, and the batch size from the source; ``class_weight`` is applied per
    batch of a PyDataset (by ``check``) and refused for a generator; ``shuffle`` is ignored, with Keras'
    warning, for a generator."""
    kind = "PyDataset" if isinstance(x, PyDataset) else "generator"
    for name, value, description in (("y", y, "the targets"), ("sample_weight", sample_weight, "the sample weights")):
        if value is not None:
            raise ValueError(f"When providing `x` as a {kind}, `{name}` should not be passed. Instead, {description} "
                             f"should be included as part of the {kind}.")
    if batch_size is not None:
        raise ValueError(f"`batch_size` must be None when `x` is a {kind}: its batches are those it gives. "
                         f"Received: batch_size={batch_size!r}")
    if isinstance(x, PyDataset):
        return DatasetBatches(x, check, shuffle, steps)
    if class_weight is not None:
        raise ValueError(f"Argument `class_weight` is not supported for Python generator inputs. "
                         f"Received: class_weight={class_weight}")
    if shuffle:
        warnings.warn("`shuffle=True` was passed, but will be ignored since the data `x` was provided as a "
                      "generator. The generator is expected to yield already-shuffled data.", stacklevel=4)
    return GeneratorBatches(x, check, steps)
