"""One or two BLAS threads, on a quiet machine and beside one busy process: why redes runs one by default.

    python -m benchmarks.threads [--repeats 2]

Each configuration runs in a fresh process with ``REDES_NUM_THREADS`` set (so redes applies it inside
``fit`` and ``predict``, see ``redes.threads``): the benchmark MLP (Nadam, batch 32) and seed CNN (Adam,
batch 128) trained with ``fit`` on random data (the best of three epochs, per step), and ``predict`` on
3,200 MLP and 640 CNN inputs. "busy": another process spins on one core meanwhile. Prints a Markdown table
in ms (benchmarks/README.md, "Threads").
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from ._harness import machine_info

ROOT = Path(__file__).parents[1]


def measure() -> dict:
    """The four timings of this process (``--worker``), in ms."""
    from .tasks import build_cnn, build_mlp
    rng = np.random.default_rng(0)
    timings = {}
    for name, build, shape, batch, samples in [("MLP", build_mlp, (784,), 32, 3200),
                                               ("CNN", build_cnn, (28, 28, 1), 128, 640)]:
        x, y = rng.random((samples, *shape), dtype=np.float32), rng.integers(0, 10, samples)
        model = build("redes")
        model.fit(x[:2 * batch], y[:2 * batch], batch_size=batch, verbose=0)
        epochs = []
        for _ in range(3):
            started = time.perf_counter()
            model.fit(x, y, batch_size=batch, verbose=0)
            epochs.append((time.perf_counter() - started) / (samples // batch))
        timings[f"{name} step"] = min(epochs) * 1e3
        model.predict(x[:256], verbose=0)
        started = time.perf_counter()
        model.predict(x, batch_size=128, verbose=0)
        timings[f"{name} predict"] = (time.perf_counter() - started) * 1e3
    return timings


def _run(threads: int, busy: bool) -> dict:
    environment = {key: value for key, value in os.environ.items()
                   if key not in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    environment.update(REDES_NUM_THREADS=str(threads), PYTHONPATH=str(ROOT))
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if busy else None
    try:
        result = subprocess.run([sys.executable, "-m", "benchmarks.threads", "--worker"], env=environment,
                                cwd=ROOT, capture_output=True, text=True, check=True, timeout=900)
    finally:
        if spinner is not None:
            spinner.kill()
            spinner.wait()
    return json.loads(result.stdout.splitlines()[-1])


def _span(values: list[float]) -> str:
    low, high = f"{min(values):.3g}", f"{max(values):.3g}"
    return low if low == high else f"{low}–{high}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2, help="fresh processes per configuration")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(measure()))
        return
    description = machine_info()
    print(f"CPU: {description.get('CPU')}, {description.get('cores')} cores\n")
    rows = []
    for busy in (False, True):
        for threads in (1, 2):
            runs = [_run(threads, busy) for _ in range(args.repeats)]
            cells = [_span([r[key] for r in runs]) for key in runs[0]]
            rows.append(f"| {'one busy process' if busy else 'quiet'}, {threads} thread{'s' * (threads > 1)} | "
                        + " | ".join(cells) + " |")
    print("| | " + " | ".join(runs[0]) + " |\n|---|" + "---|" * len(runs[0]))
    print("\n".join(rows))


if __name__ == "__main__":
    main()
