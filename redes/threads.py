"""How many threads NumPy's BLAS (the matrix products) uses while redes trains, evaluates and predicts.

redes' work is NumPy's, and NumPy's matrix products run on OpenBLAS (in the PyPI wheels), which
starts one thread per core. Measured on a 2-core Intel Xeon (benchmarks/README.md, "Threads"), two
threads against one: on a quiet machine the seed CNN's training step 1.00–1.08× faster, the MLP's
0.8–1.0× (slower), the MLP's predict 1.3–1.45× faster; with one other busy process on the machine,
the CNN's step 2.0–2.8× slower, the MLP's 2.2–3.1× slower and its predict 1.6–8× slower (the threads
wait on each other at every product; 10–25× in round 1). So ``fit``, ``evaluate``, ``predict`` and
the ``*_on_batch`` methods run with **one** BLAS thread unless told otherwise, and give the library
its own setting back when they return (about 5 µs a call):

    set_num_threads(n)      use n threads inside redes (n ≥ 1), e.g. the number of free cores
    set_num_threads(None)   leave the library's own setting alone (all cores, or the environment's)
    REDES_NUM_THREADS=n     the same from the environment; an explicit ``OPENBLAS_NUM_THREADS``,
                            ``OMP_NUM_THREADS`` or ``MKL_NUM_THREADS`` is respected as it is

Results do not depend on the thread count beyond float rounding (a product's sums are split
differently; tests/test_threads.py). The threads are set through the bundled OpenBLAS's own
``openblas_set_num_threads`` (found by ctypes, no dependency), or through ``threadpoolctl`` when it is
installed (``pip install redes[threads]``), which also knows MKL and BLIS.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
from pathlib import Path

from .validation import check_positive_int

_ENVIRONMENT = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
_unset = object()
_threads = _unset  # the user's choice; _unset: the default (see ``num_threads``)
_blas = None  # the controller of NumPy's BLAS, found on first use (``_controller``)


def set_num_threads(threads: int | None) -> None:
    """Use ``threads`` BLAS threads inside redes' training, evaluation and prediction (None: the library's own).

    Example:
        >>> set_num_threads(2); num_threads()
        2
        >>> set_num_threads(1)
    """
    global _threads
    if threads is not None:
        threads = check_positive_int("threads", threads)
        _controller(required=True)  # a clear error now if the threads cannot be set
    _threads = threads


def num_threads() -> int | None:
    """The BLAS threads redes uses (None: whatever the library has): ``set_num_threads``' value, else
    ``REDES_NUM_THREADS``, else None if the environment sets the library's own threads, else 1.

    Example:
        >>> set_num_threads(None); num_threads() is None
        True
        >>> set_num_threads(1)
    """
    if _threads is not _unset:
        return _threads
    value = os.environ.get("REDES_NUM_THREADS", "").strip()
    if value:
        if not value.isdigit() or int(value) < 1:
            raise ValueError(f"REDES_NUM_THREADS must be a positive integer. Received: {value!r}")
        return int(value)
    return None if any(os.environ.get(name) for name in _ENVIRONMENT) else 1


@contextlib.contextmanager
def limited():
    """Run the body with ``num_threads()`` BLAS threads, and give the library its setting back after."""
    threads = num_threads()
    blas = _controller(required=False) if threads is not None else None
    before = blas.get() if blas is not None else threads
    if before == threads:
        yield
        return
    blas.set(threads)
    try:
        yield
    finally:
        blas.set(before)


def limiting(method):
    """``method`` run inside ``limited()``: the decorator of the models' fit, evaluate, predict and *_on_batch."""
    @functools.wraps(method)
    def run(*args, **kwargs):
        with limited():
            return method(*args, **kwargs)
    return run


class _OpenBLAS:
    """``openblas_get_num_threads`` / ``openblas_set_num_threads`` of the OpenBLAS NumPy loaded (ctypes)."""

    _PREFIXES = ("scipy_openblas", "openblas")  # NumPy 2's wheels rename the symbols with their library
    _SUFFIXES = ("64_", "")  # the ILP64 build's suffix

    def __init__(self, library: ctypes.CDLL) -> None:
        for prefix in self._PREFIXES:
            for suffix in self._SUFFIXES:
                if hasattr(library, f"{prefix}_set_num_threads{suffix}"):
                    self._get = getattr(library, f"{prefix}_get_num_threads{suffix}")
                    self._set = getattr(library, f"{prefix}_set_num_threads{suffix}")
                    self._get.restype, self._set.argtypes = ctypes.c_int, [ctypes.c_int]
                    return
        raise LookupError("no openblas_set_num_threads in this library")

    def get(self) -> int:
        return self._get()

    def set(self, threads: int) -> None:
        self._set(threads)


class _Threadpoolctl:
    """The same two calls through threadpoolctl (OpenBLAS, MKL, BLIS), for the BLAS libraries NumPy loaded."""

    def __init__(self) -> None:
        import threadpoolctl
        self._controller = threadpoolctl.ThreadpoolController().select(user_api="blas")
        if not self._controller.lib_controllers:
            raise LookupError("threadpoolctl found no BLAS library")

    def get(self) -> int:
        return max(library.num_threads for library in self._controller.lib_controllers)

    def set(self, threads: int) -> None:
        for library in self._controller.lib_controllers:
            library.set_num_threads(threads)


def _loaded_openblas() -> list[Path]:
    """Paths of the OpenBLAS libraries in this process (Linux's /proc/self/maps), else next to NumPy (wheels)."""
    import numpy
    try:
        maps = Path("/proc/self/maps").read_text().split("\n")
        found = {Path(line.split(maxsplit=5)[-1]) for line in maps if "openblas" in line.lower() and "/" in line}
    except OSError:
        found = set()
    if not found:
        home = Path(numpy.__file__).parent
        found = {path for folder in (home.parent / "numpy.libs", home / ".dylibs")
                 for path in folder.glob("*openblas*")} if home.exists() else set()
    return sorted(found)


def _controller(required: bool):
    """The BLAS controller (threadpoolctl if installed, else the bundled OpenBLAS), or None / ImportError."""
    global _blas
    if _blas is None:
        for make in (_Threadpoolctl, lambda: _from_paths(_loaded_openblas())):
            try:
                _blas = make()
                break
            except (ImportError, LookupError, OSError):
                continue
        else:
            _blas = False
    if _blas is False and required:
        raise ImportError("redes cannot set the BLAS threads of this NumPy (no bundled OpenBLAS found): install "
                          "threadpoolctl (`pip install redes[threads]`), or set OPENBLAS_NUM_THREADS / "
                          "MKL_NUM_THREADS before starting Python.")
    return _blas or None


def _from_paths(paths: list[Path]) -> _OpenBLAS:
    for path in paths:
        try:
            return _OpenBLAS(ctypes.CDLL(str(path)))
        except (OSError, LookupError):
            continue
    raise LookupError("no OpenBLAS library found")
