"""Traced: the NumPy array a GradientTape follows, and the routing of NumPy's calls on it to redes ops."""

from __future__ import annotations

import numpy as np

from . import tape

# Filled by ``redes.ops`` as it defines each op (see ``redes/ops/_define.py``).
UFUNCS: dict = {}      # NumPy ufunc -> the redes op it runs as on a traced array (np.multiply -> ops.multiply)
REDUCTIONS: dict = {}  # ufunc whose ``reduce`` is an op (np.add.reduce -> ops.sum)
FUNCTIONS: dict = {}   # NumPy function -> redes op (np.sum -> ops.sum)
METHODS: dict = {}     # the ops behind Traced's methods that take a varying argument form (reshape, transpose)

# Results that carry no gradient (booleans, indices, piecewise-constant values, formatting): computed on
# the plain array, returned plain.
CONSTANT_UFUNCS = {np.equal, np.not_equal, np.less, np.less_equal, np.greater, np.greater_equal, np.isnan,
                   np.isinf, np.isfinite, np.signbit, np.sign, np.floor, np.ceil, np.rint, np.trunc,
                   np.logical_and, np.logical_or, np.logical_not, np.logical_xor}
CONSTANT_FUNCTIONS = {np.shape, np.ndim, np.size, np.argmax, np.argmin, np.argsort, np.result_type, np.nonzero,
                      np.count_nonzero, np.array_equal, np.allclose, np.isclose, np.array_repr, np.array_str,
                      np.array2string, np.iscomplexobj, np.isrealobj, np.round, np.around}


def detach(x):
    """``x`` as a plain ``np.ndarray`` (the same memory) if it is Traced, else ``x`` unchanged."""
    return x.view(np.ndarray) if isinstance(x, Traced) else x


def _detach_all(value):
    if isinstance(value, (list, tuple)):
        return type(value)(_detach_all(v) for v in value)
    if isinstance(value, dict):
        return {key: _detach_all(v) for key, v in value.items()}
    return detach(value)


def _unsupported(what: str) -> TypeError:
    return TypeError(f"{what} has no differentiable counterpart in redes.ops, so it cannot be recorded on a "
                     "GradientTape. Use the redes.ops function for it, or make the value a constant first "
                     "(ops.stop_gradient(x) or np.asarray(x)) if no gradient must flow through it.")


class Traced(np.ndarray):
    """A NumPy array that recording GradientTapes follow: the output of a recorded op, or a watched weight.

    It is an ``np.ndarray`` (a view, no copy): shape, dtype, ``float()``, ``tolist()`` work as usual.
    A watched *plain* array is traced by identity, through redes ops only: ``x * x`` on it is NumPy's
    business and never reaches redes. ``ops.convert_to_tensor(x)`` under the tape gives its Traced view
    (a layer's weight read as ``layer.kernel`` is one already).
    NumPy's ufuncs and Python's operators on it (``+ - * / ** @``, unary minus, ``np.exp``, comparisons)
    and NumPy functions with a redes counterpart (``np.sum``, ``np.concatenate``, ...) run as the redes
    op, so the tape records them; indexing (``x[1:, 0]``) is recorded too. Anything else raises a TypeError
    while a tape records, as do in-place changes (``x += 1``, ``x[0] = 0``) at any time.

    Example:
        >>> from redes import GradientTape, ops
        >>> x = np.array([1.0, 2.0])
        >>> with GradientTape() as tape:
        ...     tape.watch(x)
        ...     t = ops.convert_to_tensor(x)  # the watched array as a Traced view
        ...     y = (t * t)[1]
        >>> type(y).__name__, tape.gradient(y, x)
        ('Traced', array([0., 4.]))
    """

    def __array_ufunc__(self, ufunc, method, *inputs, out=None, **kwargs):
        if out is not None and any(isinstance(o, Traced) for o in out):
            raise TypeError(f"np.{ufunc.__name__} with out= writes into a traced array in place, which would change "
                            "a value its gradient needs. Write y = f(x) instead of changing x.")
        recording = bool(tape.RECORDING)
        if recording and method == "__call__" and ufunc in UFUNCS and out is None:
            return UFUNCS[ufunc](*inputs, **kwargs)
        if recording and method == "reduce" and ufunc in REDUCTIONS and out is None:
            return REDUCTIONS[ufunc](*inputs, **kwargs)
        if recording and ufunc not in CONSTANT_UFUNCS:
            name = f"np.{ufunc.__name__}" + ("" if method == "__call__" else f".{method}")
            raise _unsupported(name)
        outputs = {} if out is None else {"out": _detach_all(out)}
        return getattr(ufunc, method)(*_detach_all(inputs), **outputs, **kwargs)

    def __array_function__(self, func, types, args, kwargs):
        recording = bool(tape.RECORDING)
        if recording and func in FUNCTIONS:
            return FUNCTIONS[func](*args, **kwargs)
        if recording and func not in CONSTANT_FUNCTIONS:
            raise _unsupported(f"np.{func.__name__}")
        return func(*_detach_all(args), **_detach_all(kwargs))

    # ------------------------------------------------------------------ methods recorded as ops
    def __getitem__(self, key):
        return METHODS["getitem"](self, key)

    def reshape(self, *shape, **kwargs):
        return METHODS["reshape"](self, shape[0] if len(shape) == 1 else shape)

    def transpose(self, *axes):
        return METHODS["transpose"](self, (axes[0] if len(axes) == 1 else axes) or None)

    @property
    def T(self):
        return METHODS["transpose"](self)

    def flatten(self, order="C"):
        return METHODS["reshape"](self, -1)

    ravel = flatten

    def astype(self, dtype, **kwargs):
        return METHODS["cast"](self, dtype)

    def copy(self, order="C"):
        return METHODS["getitem"](self, ...)

    def __setitem__(self, key, value):
        raise TypeError("Item assignment on a traced array changes in place a value its gradient needs. Build the "
                        "new array with ops (e.g. ops.where(mask, value, x), ops.concatenate) instead.")

    # ------------------------------------------------------------------ display
    def __repr__(self) -> str:
        return repr(detach(self)).replace("array", "Traced", 1)

    def __str__(self) -> str:
        return str(detach(self))

    def __format__(self, spec: str) -> str:
        return format(detach(self), spec)


def _unsupported_method(name: str):
    def method(self, *args, **kwargs):
        raise _unsupported(f"The method .{name}()")
    method.__name__ = name
    return method


# ndarray methods that would give an unrecorded result (a view or a reduction written in C) or change the
# array in place: refused, so that no gradient is silently wrong.
for _name in ("swapaxes", "diagonal", "repeat", "choose", "compress", "cumsum", "cumprod", "prod", "ptp", "trace",
              "conj", "conjugate", "resize", "sort", "partition", "fill", "put", "itemset", "setfield", "byteswap",
              "squeeze", "take", "clip", "dot", "sum", "mean", "max", "min", "var", "std"):
    setattr(Traced, _name, _unsupported_method(_name))
