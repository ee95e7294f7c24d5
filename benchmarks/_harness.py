"""Worker processes, interleaved timing, machine description and result files.

Each framework runs in its own worker process. In one process the two fight: TensorFlow's
thread pool and OpenBLAS's threads both spin-wait after their work, and a redes step
measured next to a live TensorFlow runtime came out ten times slower. The parent sends
the same task to each worker in turn, a block of repeats at a time, so that whatever
else loads the machine hits both alike; the medians of all blocks are compared.
"""

from __future__ import annotations

import csv
import datetime
import multiprocessing
import os
import platform
import statistics
import traceback
from pathlib import Path

import numpy as np

from . import peers, tasks


def _serve(connection, framework: str, threads: int | None) -> None:
    """Worker loop: receive (task name, kwargs), send back ('ok', result) or ('error', text)."""
    if framework == "tf":
        tf = tasks._tf()
        if threads:
            tf.config.threading.set_intra_op_parallelism_threads(threads)
            tf.config.threading.set_inter_op_parallelism_threads(threads)
    state: dict = {}
    while True:
        message = connection.recv()
        if message is None:
            return
        name, kwargs = message
        try:
            connection.send(("ok", getattr(tasks, name)(framework, state, **kwargs)))
        except Exception:  # reported to the parent, which marks the row as failed
            connection.send(("error", traceback.format_exc(limit=3)))


class Worker:
    """One framework in its own (spawned) process."""

    def __init__(self, framework: str, threads: int | None = None) -> None:
        self.framework = framework
        if threads:  # must be in the environment before NumPy loads OpenBLAS in the child
            os.environ["OPENBLAS_NUM_THREADS"] = os.environ["OMP_NUM_THREADS"] = str(threads)
        context = multiprocessing.get_context("spawn")
        self._connection, child = context.Pipe()
        self._process = context.Process(target=_serve, args=(child, framework, threads), daemon=True)
        self._process.start()
        try:
            self.call("ready")
        except RuntimeError:  # the framework failed to import: end the process, let the caller decide
            self.close()
            raise

    def call(self, task: str, **kwargs):
        """Run ``tasks.<task>`` in the worker; raise RuntimeError with its traceback if it failed."""
        self._connection.send((task, kwargs))
        status, result = self._connection.recv()
        if status != "ok":
            raise RuntimeError(f"{self.framework} {task} failed:\n{result}")
        return result

    def close(self) -> None:
        self._connection.send(None)
        self._process.join(timeout=30)


def interleaved(workers: dict, task: str, rounds: int, repeats: int, overrides: dict[str, dict] | None = None,
                **kwargs) -> dict[str, list[float]]:
    """Durations of ``task`` per framework, alternating blocks of ``repeats`` for ``rounds`` rounds.

    The first block of each worker includes the task's warm-up; later blocks skip it.
    The order within a round alternates too, so neither framework always runs first.
    ``overrides`` maps a worker to keyword arguments of its own (fewer repeats for a slow peer).
    """
    times: dict[str, list[float]] = {name: [] for name in workers}
    names = list(workers)
    for round_index in range(rounds):
        order = names if round_index % 2 == 0 else names[::-1]
        for name in order:
            call_kwargs = {**kwargs, "repeats": repeats, **(overrides or {}).get(name, {})}
            if round_index > 0:
                call_kwargs["warmup"] = 0
            times[name].extend(workers[name].call(task, **call_kwargs))
    return times


def median(values: list[float]) -> float:
    return statistics.median(values)


def _version(*distributions: str) -> str:
    """The installed version of the first of ``distributions`` that is installed."""
    from importlib.metadata import PackageNotFoundError, version
    for distribution in distributions:
        try:
            return version(distribution)
        except PackageNotFoundError:
            pass
    return "not installed"


def machine_info() -> dict[str, str]:
    """CPU, cores, load, Python, NumPy and its BLAS, TensorFlow, the peers: written at the top of every result file."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    blas = "unknown"
    try:
        config = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        blas = f"{config.get('name')} {config.get('version')}"
    except Exception:  # the layout of show_config differs between NumPy versions
        pass
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"
    return {
        "date (UTC)": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M"),
        "CPU": cpu,
        "cores": str(os.cpu_count()),
        "load average at start (1, 5, 15 min)": load,
        "Python": platform.python_version(),
        "NumPy": np.__version__,
        "BLAS": blas,
        "OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS", "unset (all cores)"),
        "TensorFlow": _version("tensorflow-cpu", "tensorflow"),
        **{package: _version(package) for package in peers.PEERS.values()},
    }


def tensorflow_available() -> bool:
    import importlib.util
    return importlib.util.find_spec("tensorflow") is not None


PEER_COLUMNS = [column for peer in peers.PEERS for column in (peer, f"{peer}/redes")]  # peer time / redes time


def write_results(directory: Path, stem: str, info: dict, rows: list[dict], notes: list[str]) -> tuple[Path, Path]:
    """Write ``stem.md`` (machine info, table, notes) and ``stem.csv`` (the rows, machine info as comments)."""
    directory.mkdir(parents=True, exist_ok=True)
    columns = ["section", "benchmark", "unit", "redes", "tf", "ratio", *PEER_COLUMNS, "target", "met"]
    md_path, csv_path = directory / f"{stem}.md", directory / f"{stem}.csv"
    lines = [f"# redes benchmark results ({stem})", ""]
    lines += [f"- {key}: {value}" for key, value in info.items()]
    lines += ["", "| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(format_cell(row.get(column)) for column in columns) + " |" for row in rows]
    if notes:
        lines += ["", "Notes:", ""] + [f"- {note}" for note in notes]
    md_path.write_text("\n".join(lines) + "\n")
    with csv_path.open("w", newline="") as handle:
        for key, value in info.items():
            handle.write(f"# {key}: {value}\n")
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        for row in rows:
            writer.writerow({column: row.get(column, "") for column in columns})
    return md_path, csv_path


def format_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 1000 else f"{value:.0f}"
    return str(value)
