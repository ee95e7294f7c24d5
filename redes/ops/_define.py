"""How an op is made: its NumPy forward and its vector-Jacobian product (VJP), side by side, in one place.

    @op(lambda g, y, x: [g * (1 - y * y)], ufunc=np.tanh)
    def tanh(x):
        '''... d/dx tanh x = 1 − y² ...'''
        return np.tanh(x)

``op`` turns the forward into the public function. While no GradientTape records, calling it *is* calling
the forward (one truth test more). While one records and an argument is traced, the forward runs on plain
arrays, and the call is recorded as a node whose backward calls ``vjp(g, y, *arguments)``: ``g`` is
dL/dy, ``y`` the output, the arguments as the op received them (defaults filled in). The VJP returns one
gradient per differentiable argument (a list for a list of arrays, None for none) and is written with
redes ops or Python's operators on those values, so a tape that records it gives second derivatives.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable

import numpy as np

from ..autodiff import tape
from ..autodiff.traced import FUNCTIONS, METHODS, REDUCTIONS, UFUNCS, Traced, detach


def op(vjp: Callable, *, differentiable: tuple[str, ...] | None = None, ufunc=None, reduce=None,
       functions: tuple = (), method: str | None = None) -> Callable:
    """Decorator: make ``forward`` a redes op with the vector-Jacobian product ``vjp``.

    Args:
        vjp: ``vjp(g, y, *arguments) -> [gradient per differentiable argument]``.
        differentiable: the names of the arguments that carry a gradient (default: the first one); an
            argument that holds a sequence of arrays (``*operands``, ``xs``) gets a list of gradients.
        ufunc, reduce: the NumPy ufunc that runs as this op on a Traced (``np.tanh``), or whose ``reduce``
            does (``np.add`` for ``sum``).
        functions: NumPy functions that run as this op on a Traced (``np.sum``).
        method: the name of the Traced method that runs as this op (``"sum"`` for ``x.sum(axis=0)``).
    """
    def define(forward: Callable) -> Callable:
        signature = inspect.signature(forward)
        parameters = signature.parameters
        names = differentiable or (next(iter(parameters)),)

        @functools.wraps(forward)
        def run(*args, **kwargs):
            if not tape.RECORDING:
                return forward(*args, **kwargs)
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            inputs = [x for name in names for x in _as_list(bound.arguments[name], parameters[name])]
            tapes = tape.recording_tapes(inputs)
            y = forward(*_plain(bound.args), **_plain(bound.kwargs))
            if not tapes or np.asarray(y).dtype.kind not in "fc":
                return y

            def backward(grads: list) -> list:
                arguments = [_as_seen(a) for a in bound.args]
                results = vjp(tape.seen(grads[0]), tape.seen(traced), *arguments, **_as_seen(bound.kwargs))
                return [g for name, grad in zip(names, results)
                        for g in _gradients(grad, bound.arguments[name], parameters[name])]

            traced = tape.record(y, inputs, backward, tapes)
            return traced

        run.vjp = vjp
        if ufunc is not None:
            UFUNCS[ufunc] = run
        if reduce is not None:
            REDUCTIONS[reduce] = run
        for function in functions:
            FUNCTIONS[function] = run
        if method is not None:
            METHODS[method] = run
            if method.isidentifier() and not method.startswith("_"):
                setattr(Traced, method, run)
        return run
    return define


def _is_sequence(value, parameter: inspect.Parameter) -> bool:
    return parameter.kind is parameter.VAR_POSITIONAL or (
        isinstance(value, (list, tuple)) and any(isinstance(v, np.ndarray) for v in value))


def _as_list(value, parameter) -> list:
    return list(value) if _is_sequence(value, parameter) else [value]


def _gradients(grad, value, parameter) -> list:
    if not _is_sequence(value, parameter):
        return [grad]
    return [None] * len(value) if grad is None else list(grad)


def _plain(value):
    """The arguments with every Traced made a plain array (the forward runs on NumPy alone)."""
    if isinstance(value, (list, tuple)):
        return type(value)(_plain(v) for v in value)
    if isinstance(value, dict):
        return {key: _plain(v) for key, v in value.items()}
    return detach(value)


def _as_seen(value):
    if isinstance(value, (list, tuple)):
        return type(value)(_as_seen(v) for v in value)
    if isinstance(value, dict):
        return {key: _as_seen(v) for key, v in value.items()}
    return tape.seen(value)
