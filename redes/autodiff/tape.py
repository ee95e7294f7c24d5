"""GradientTape: record the ops run on traced arrays, then differentiate them in reverse.

How tracing works, in one place:
    * values are NumPy arrays; an op run while no tape records returns a plain ``np.ndarray``;
    * a tape *traces* the arrays it watches (matched by identity: the tape holds a reference, so the
      ``id`` stays unique) and the outputs of the ops it records;
    * an op with a traced input records a ``Node`` (its outputs, its inputs, its vector-Jacobian product)
      on every recording tape that traces one of those inputs, and returns its result as a ``Traced``
      view (an ``np.ndarray`` subclass), so that later ops, NumPy's ufuncs and Python's operators on it
      are recorded too;
    * ``gradient`` walks the nodes in reverse order of recording (a topological order: a node's inputs
      were made before it) and sums, per traced array, the gradients that reach it.
The VJPs are written with redes ops, and a tape records the VJPs that another tape runs: nested tapes
give second derivatives of the ops (not of the built-in layers and losses, whose backward is hand-written).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np

from .traced import Traced, detach

# The tapes recording now, innermost last. Mutated in place only, so that ``if not RECORDING`` is the
# whole cost of an op while no tape records.
RECORDING: list["GradientTape"] = []


class Node:
    """One recorded call: ``outputs`` (Traced), the ``inputs`` it differentiates, and ``backward``,
    which maps the gradients of the outputs (None where none reached it) to one per input (or None)."""

    __slots__ = ("outputs", "inputs", "backward")

    def __init__(self, outputs: list, inputs: list, backward: Callable[[list], list]) -> None:
        self.outputs, self.inputs, self.backward = outputs, inputs, backward


class GradientTape:
    """Record operations on traced arrays to compute gradients, as ``tf.GradientTape``.

    Args:
        persistent: whether ``gradient`` may be called more than once (TensorFlow's default: False, and the
            tape releases what it recorded after the first call).
        watch_accessed_variables: whether the trainable weights of the layers used under the tape are
            watched automatically: a layer called on data, or a weight read as ``layer.kernel``.

    Under a tape, use ``redes.ops`` (or NumPy's ufuncs and Python's operators on traced arrays, which are
    routed to them); a NumPy function with no differentiable counterpart on a traced array raises a
    TypeError. A watched plain array is matched by identity, so only redes ops see it: write
    ``ops.multiply(w, w)``, or take its Traced view ``t = ops.convert_to_tensor(w)`` and write ``t * t``
    (``w * w`` on the plain array is NumPy's alone, a constant to the tape). Layer weights read as
    ``layer.kernel`` under the tape are Traced views already. Built-in layers and losses are each one node whose VJP is their hand-written backward.
    Nested tapes: an inner tape's ops, and the VJPs it runs in ``gradient``, are recorded on the outer
    one, so second derivatives of ops work; through a built-in layer or loss they raise.

    Example:
        >>> from redes import ops
        >>> w = np.array([1.0, 2.0])
        >>> with GradientTape() as tape:
        ...     tape.watch(w)
        ...     loss = ops.sum(ops.square(w) * 3)
        >>> tape.gradient(loss, w)
        array([ 6., 12.])
    """

    def __init__(self, persistent: bool = False, watch_accessed_variables: bool = True) -> None:
        self.persistent = bool(persistent)
        self.watch_accessed_variables = bool(watch_accessed_variables)
        self._nodes: list[Node] | None = []
        self._traced: dict[int, np.ndarray] = {}  # id -> the array itself: the reference keeps the id unique
        self._watched: dict[int, np.ndarray] = {}

    def __enter__(self) -> "GradientTape":
        if self._nodes is None:
            raise RuntimeError("This non-persistent GradientTape was already used by gradient(); make a new one.")
        RECORDING.append(self)
        return self

    def __exit__(self, *exc_info) -> None:
        _remove(self)

    def __repr__(self) -> str:
        recorded = "released" if self._nodes is None else f"{len(self._nodes)} nodes"
        return f"<GradientTape persistent={self.persistent}, {recorded}>"

    # ------------------------------------------------------------------ what it traces
    def watch(self, tensor) -> None:
        """Trace ``tensor`` (an array, or a list, tuple or dict of arrays) from now on."""
        for array in _flatten(tensor):
            if not isinstance(array, np.ndarray) or array.dtype.kind != "f":
                raise TypeError("GradientTape.watch takes floating-point NumPy arrays (or a structure of them). "
                                f"Received an object of type {type(array).__name__}"
                                f"{'' if not isinstance(array, np.ndarray) else f' and dtype {array.dtype}'}.")
            self._traced[id(array)] = array
            self._watched[id(array)] = array

    def watched_variables(self) -> list:
        """The arrays watched so far (explicitly or as accessed weights), in the order first watched."""
        return list(self._watched.values())

    def traces(self, array) -> bool:
        """Whether this tape traces ``array`` (a watched array or the output of a recorded op)."""
        return id(array) in self._traced

    @contextmanager
    def stop_recording(self) -> Iterator[None]:
        """Run a block without recording on this tape (TensorFlow's ``stop_recording``)."""
        recording = self in RECORDING
        _remove(self)
        try:
            yield
        finally:
            if recording:
                RECORDING.append(self)

    def _add(self, node: Node) -> None:
        self._nodes.append(node)
        for output in node.outputs:
            self._traced[id(output)] = output

    # ------------------------------------------------------------------ the reverse pass
    def gradient(self, target, sources, output_gradients=None, unconnected_gradients: str = "none"):
        """d(target)/d(source) for each of ``sources``, in the same structure (an array, list, tuple or dict).

        Args:
            target: an array, or a list of them (their gradients are summed, as TensorFlow).
            sources: the arrays to differentiate with respect to: watched arrays (``model.trainable_weights``)
                or outputs of recorded ops.
            output_gradients: d(loss)/d(target), the same structure as ``target`` (default: ones).
            unconnected_gradients: 'none' (a source the target does not depend on gets None) or 'zero'.
        Returns: the gradients, each of its source's shape and dtype.
        """
        if unconnected_gradients not in ("none", "zero"):
            raise ValueError("`unconnected_gradients` must be 'none' or 'zero'. "
                             f"Received: unconnected_gradients={unconnected_gradients!r}")
        if self._nodes is None:
            raise RuntimeError("A non-persistent GradientTape can only be used to compute one set of gradients. "
                               "Use GradientTape(persistent=True) to call gradient() more than once.")
        targets = _flatten(target)
        seeds = [None] * len(targets) if output_gradients is None else _flatten(output_gradients)
        grads: dict[int, object] = {}
        with self.stop_recording():
            for value, seed in zip(targets, seeds):
                if self.traces(value):
                    _accumulate(grads, value, np.ones(np.shape(value), value.dtype) if seed is None else seed)
            for node in reversed(self._nodes):
                outputs = [grads.get(id(output)) for output in node.outputs]
                if all(g is None for g in outputs):
                    continue
                for value, grad in zip(node.inputs, node.backward(outputs)):
                    if grad is not None and self.traces(value):
                        _accumulate(grads, value, grad)
        result = _map(sources, lambda source: _final(grads.get(id(source)), source, unconnected_gradients))
        if not self.persistent:
            self._nodes, self._traced, self._watched = None, {}, {}
        return result


# ---------------------------------------------------------------------- recording, used by ops and layers
def recording_tapes(inputs) -> list[GradientTape]:
    """The recording tapes that trace one of ``inputs`` (empty at once when none records)."""
    if not RECORDING:
        return []
    return [tape for tape in RECORDING if any(tape.traces(x) for x in inputs)]


def record(outputs, inputs: list, backward: Callable[[list], list], tapes: list | None = None):
    """Record one node on the tapes that trace ``inputs``; return ``outputs`` as Traced views (plain if
    no tape traces an input). ``outputs`` is an array or a list of them; ``backward`` maps a list of
    output gradients to one gradient (or None) per input."""
    tapes = recording_tapes(inputs) if tapes is None else tapes
    if not tapes:
        return outputs
    several = isinstance(outputs, list)
    traced = [np.asarray(value).view(Traced) for value in (outputs if several else [outputs])]
    node = Node(traced, list(inputs), backward)
    for tape in tapes:
        tape._add(node)
    return traced if several else traced[0]


def seen(value):
    """``value`` as the recording tapes see it: itself if Traced and traced, a Traced view (recorded as an
    identity) if it is a plain array a recording tape watches, else a plain array (faster NumPy in a VJP)."""
    if not isinstance(value, np.ndarray):
        return value
    tapes = recording_tapes([value])
    if not tapes:
        return detach(value)
    if type(value) is Traced:
        return value
    return record(value, [value], lambda grads: grads, tapes)


def watch_accessed(variables) -> None:
    """Watch ``variables`` (a layer's trainable weights, used under the tapes) on the recording tapes that
    watch accessed variables."""
    for tape in RECORDING:
        if tape.watch_accessed_variables:
            for variable in variables:
                if not tape.traces(variable):
                    tape.watch(variable)


def check_first_order(what: str, values) -> None:
    """Raise if a recording tape traces one of ``values``: ``what`` (a hand-written backward) cannot be
    differentiated again, and returning its gradient untraced would make a second derivative wrong."""
    if recording_tapes(values):
        raise NotImplementedError(f"Second derivatives through {what} are not supported: its backward is written "
                                  "by hand, not with redes.ops. Write that part with redes.ops to nest tapes.")


@contextmanager
def paused() -> Iterator[None]:
    """Run a block with no tape recording (a built-in layer's forward: the call is one node already)."""
    saved = RECORDING[:]
    RECORDING.clear()
    try:
        yield
    finally:
        RECORDING[:] = saved


# ---------------------------------------------------------------------- helpers
def _remove(tape: GradientTape) -> None:
    for index in range(len(RECORDING) - 1, -1, -1):
        if RECORDING[index] is tape:
            del RECORDING[index]


def _accumulate(grads: dict, value, grad) -> None:
    grad = grad.astype(value.dtype) if isinstance(grad, np.ndarray) and grad.dtype != value.dtype else grad
    key = id(value)
    grads[key] = grad if key not in grads else seen(grads[key]) + seen(grad)


def _final(grad, source, unconnected: str):
    if grad is None:
        return np.zeros_like(detach(source)) if unconnected == "zero" else None
    return grad if RECORDING else np.asarray(detach(grad), dtype=source.dtype)


def _flatten(structure) -> list:
    if isinstance(structure, dict):
        return [x for value in structure.values() for x in _flatten(value)]
    if isinstance(structure, (list, tuple)):
        return [x for value in structure for x in _flatten(value)]
    return [structure]


def _map(structure, function):
    if isinstance(structure, dict):
        return {key: _map(value, function) for key, value in structure.items()}
    if isinstance(structure, (list, tuple)):
        return type(structure)(_map(value, function) for value in structure)
    return function(structure)
