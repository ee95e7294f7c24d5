"""Utilities: seeding for repeatable runs, the plain-JSON form of configurable objects (``redes.serialization``),
Keras' ``to_categorical``, ``normalize``, ``split_dataset`` and ``plot_model``, ``PyDataset`` (data that does not
fit in memory, ``redes.py_dataset``), Ctrl-C deferral.

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

from numbers import Integral, Real

from .backend import rng, set_random_seed, xp
from .datasets.preprocessing import to_categorical
from .model_diagram import plot_model
from .progbar import Progbar
from .py_dataset import PyDataset
from .layers.node import SymbolicTensor
from .serialization import (custom_object_scope, deserialize, get_custom_objects, get_registered_name,
                            get_registered_object, register_serializable, serialize)
from .validation import check_bool, check_int, check_non_negative_int, check_one_of

__all__ = ["CustomObjectScope", "InterruptRequest", "Progbar", "PyDataset", "Sequence", "custom_object_scope",
    "deferred_interrupt", "deserialize_keras_object", "get_custom_objects", "get_registered_name",
    "get_registered_object", "is_keras_tensor", "normalize", "pack_x_y_sample_weight", "pad_sequences",
    "plot_model", "register_keras_serializable", "serialize", "serialize_keras_object", "set_random_seed",
    "split_dataset", "to_categorical", "unpack_x_y_sample_weight"]


# Keras' names (keras.utils) for what redes keeps elsewhere
register_keras_serializable, serialize_keras_object, deserialize_keras_object = register_serializable, serialize, deserialize
CustomObjectScope = custom_object_scope
Sequence = PyDataset  # Keras 2's name


def is_keras_tensor(x) -> bool:
    """Whether ``x`` is a symbolic tensor of a graph (an Input's, or a layer's output), as Keras'.

    Example:
        >>> from redes import Input
        >>> is_keras_tensor(Input((3,)).output), is_keras_tensor(np.zeros(3))
        (True, False)
    """
    return isinstance(x, SymbolicTensor)


def pack_x_y_sample_weight(x, y=None, sample_weight=None) -> tuple:
    """``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)``: a batch as ``fit`` takes it from a PyDataset (Keras').

    Example:
        >>> pack_x_y_sample_weight(1, 2)
        (1, 2)
    """
    if y is None:
        return (x,)
    return (x, y) if sample_weight is None else (x, y, sample_weight)


def unpack_x_y_sample_weight(data) -> tuple:
    """``(x, y, sample_weight)`` from a batch ``x``, ``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)``; None where absent.

    Example:
        >>> unpack_x_y_sample_weight((1, 2))
        (1, 2, None)
    """
    if not isinstance(data, tuple):
        return data, None, None
    if not 1 <= len(data) <= 3:
        raise ValueError(f"A batch is x, (x,), (x, y) or (x, y, sample_weight). Received a tuple of {len(data)}.")
    return (*data, *(None,) * (3 - len(data)))


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


def pad_sequences(sequences, maxlen: int | None = None, dtype="int32", padding: str = "pre", truncating: str = "pre",
                  value=0.0):
    """Sequences of different lengths as one array (samples, maxlen, ...), as Keras' ``pad_sequences``.

    Args:
        sequences: a list of sequences (lists or arrays; each step a number, or an array of one shape).
        maxlen: the length of every row (default the longest sequence's); longer sequences are cut.
        dtype: of the result (default 'int32', for word or character indices).
        padding: 'pre' (default) or 'post': where the ``value`` steps go, before or after each sequence.
        truncating: 'pre' (default) or 'post': cut a long sequence's first or last steps.
        value: the padding value (0: what ``Embedding(mask_zero=True)`` masks).

    Every sequence is placed with one scatter: no loop over the samples beyond reading the list.

    Example:
        >>> pad_sequences([[1], [2, 3], [4, 5, 6]])
        array([[0, 0, 1],
               [0, 2, 3],
               [4, 5, 6]], dtype=int32)
        >>> pad_sequences([[1], [2, 3], [4, 5, 6]], maxlen=2, padding="post", truncating="post")
        array([[1, 0],
               [2, 3],
               [4, 5]], dtype=int32)
    """
    if isinstance(sequences, (str, bytes)) or not hasattr(sequences, "__len__"):
        raise TypeError(f"`sequences` must be a list of sequences. Received: {type(sequences).__name__}")
    check_one_of("padding", padding, ("pre", "post"))
    check_one_of("truncating", truncating, ("pre", "post"))
    maxlen = check_non_negative_int("maxlen", maxlen, allow_none=True)
    arrays = []
    for index, sequence in enumerate(sequences):
        if not hasattr(sequence, "__len__") or isinstance(sequence, (str, bytes)):
            raise ValueError(f"`sequences` must be a list of sequences; item {index} is {sequence!r}.")
        arrays.append(xp.asarray(sequence, dtype=dtype))
    lengths = xp.array([len(array) for array in arrays], dtype=xp.int64)
    shapes = {array.shape[1:] for array in arrays if len(array)}
    if len(shapes) > 1:
        raise ValueError(f"Every step of every sequence must have one shape. Received step shapes {sorted(shapes)}.")
    step_shape = shapes.pop() if shapes else ()
    width = int(lengths.max(initial=0)) if maxlen is None else maxlen
    result = xp.full((len(arrays), width) + step_shape, value, dtype=dtype)
    kept = xp.minimum(lengths, width)
    if not kept.sum():
        return result
    flat = xp.concatenate([array.reshape((len(array),) + step_shape) for array in arrays])
    first_source = xp.cumsum(lengths) - lengths + (lengths - kept if truncating == "pre" else 0)
    first_column = width - kept if padding == "pre" else xp.zeros_like(kept)
    rows = xp.repeat(xp.arange(len(arrays)), kept)
    within = xp.arange(int(kept.sum())) - xp.repeat(xp.cumsum(kept) - kept, kept)
    result[rows, xp.repeat(first_column, kept) + within] = flat[xp.repeat(first_source, kept) + within]
    return result


def split_dataset(dataset, left_size=None, right_size=None, shuffle: bool = False, seed: int | None = None):
    """Split arrays into a left and a right part along their first axis (train / test), as Keras' ``split_dataset``.

    Args:
        dataset: an array, or a tuple or list of arrays of one length (e.g. ``(x, y)``).
        left_size, right_size: a float in (0, 1), the fraction of the samples, or an int, their number;
            either may be None, the complement of the other (at least one is given). The left part takes
            the first ``left_size`` samples, the right part the next ``right_size``.
        shuffle: shuffle the samples before splitting (the same permutation for every array).
        seed: the shuffle's seed (default the global generator, ``set_random_seed``). The permutation is
            NumPy's, so the parts hold other samples than Keras' tf.data shuffle would pick.

    Returns: ``(left, right)``, each of ``dataset``'s form (an array, or a tuple of arrays).

    Example:
        >>> left, right = split_dataset(np.arange(10), left_size=0.8)
        >>> left, right
        (array([0, 1, 2, 3, 4, 5, 6, 7]), array([8, 9]))
        >>> (x_left, y_left), (x_right, y_right) = split_dataset((np.zeros((5, 2)), np.ones(5)), right_size=2)
        >>> x_left.shape, y_right.shape
        ((3, 2), (2,))
    """
    several = isinstance(dataset, (tuple, list))
    arrays = [xp.asarray(array) for array in (dataset if several else [dataset])]
    if not arrays or any(array.ndim == 0 for array in arrays) or len({len(array) for array in arrays}) != 1:
        raise ValueError("`dataset` must be an array or a non-empty tuple or list of arrays with one length along "
                         f"their first axis. Received shapes {[array.shape for array in arrays]}")
    total = len(arrays[0])
    check_bool("shuffle", shuffle)
    left, right = _split_sizes(left_size, right_size, total)
    order = xp.arange(total)
    if shuffle:
        generator = rng() if seed is None else xp.random.default_rng(check_non_negative_int("seed", seed))
        order = generator.permutation(total)
    parts = [tuple(array[order[:left]] for array in arrays), tuple(array[order[left:left + right]] for array in arrays)]
    return tuple(part if several else part[0] for part in parts)


def _split_sizes(left_size, right_size, total: int) -> tuple[int, int]:
    """(left, right) sample counts from Keras' fraction-or-count arguments; errors as Keras raises them."""
    if left_size is None and right_size is None:
        raise ValueError("At least one of `left_size` or `right_size` must be given. Received: left_size=None and "
                         "right_size=None")
    counts = {}
    for name, size in (("left_size", left_size), ("right_size", right_size)):
        if size is None:
            continue
        if isinstance(size, bool) or not isinstance(size, Real):
            raise TypeError(f"`{name}` must be an int, a float or None. Received: {name}={size!r}")
        if isinstance(size, Integral) and not 0 < size < total or not isinstance(size, Integral) and not 0 < size < 1:
            raise ValueError(f"`{name}` must be a positive integer smaller than {total} (the number of samples) or a "
                             f"float in (0, 1). Received: {name}={size!r}")
        counts[name] = int(size) if isinstance(size, Integral) else round(size * total)
    left = counts.get("left_size", total - counts.get("right_size", 0))
    right = counts.get("right_size", total - left)
    if left + right > total or left == 0 or right == 0:
        raise ValueError(f"left_size={left_size!r} and right_size={right_size!r} give {left} and {right} of the "
                         f"{total} samples: each part must hold at least one sample, and both at most {total}.")
    return left, right


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
