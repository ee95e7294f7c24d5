"""Data-parallel scaling on this machine, and a model of it on a cluster (``redes.distributed``).

    python -m benchmarks.distributed            # about 2 minutes; needs mpi4py and mpich (pip install "redes[mpi]")

Measures, each configuration in fresh processes started by ``mpiexec``:
  * the time per epoch of ``fit`` for the MLP (784-300-100-10, Nadam, batch 64) and the seed CNN (SEEDS §4,
    Adam, batch 128) on MNIST subsets, as 1 process × 1 BLAS thread, 1 process × 2 threads and
    2 processes × 1 thread; the scaling efficiency is T(1×1) / (N · T(N×1));
  * the time of one ``Allreduce`` of a float32 buffer of the seed CNN's size (what each step adds) on 2 ranks;
and models the step time on 4, 8 and 16 ranks from them: compute(B/N) from the one-process step time, plus
a ring Allreduce of S bytes taking 2 (N − 1)/N · S / bandwidth, the bandwidth measured here (shared memory)
and, for a cluster, 10 Gbit/s Ethernet (1.25 GB/s).
Prints a Markdown table; the numbers go to benchmarks/README.md with the CPU's name.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ._harness import machine_info

WORKER = r'''
import json, os, sys, time
import numpy as np
import redes
from benchmarks.tasks import build_cnn, build_mlp
redes.distributed.initialize()
model_name, samples, batch, output = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
(x, y), _ = redes.datasets.load_mnist()
x = (x[:samples] / 255).astype("float32")
x = x[..., None] if model_name == "cnn" else x.reshape(len(x), -1)
model = build_cnn("redes") if model_name == "cnn" else build_mlp("redes")
model.fit(x[:batch * 2], y[:batch * 2], batch_size=batch, epochs=1, verbose=0)  # warm-up
times = []
for _ in range(3):
    started = time.perf_counter()
    model.fit(x, y[:samples], batch_size=batch, epochs=1, verbose=0)
    times.append(time.perf_counter() - started)
if redes.distributed.is_chief():
    json.dump({"epoch": min(times), "parameters": model.count_params()}, open(output, "w"))
'''

ALLREDUCE = r'''
import json, sys, time
import numpy as np
from mpi4py import MPI
comm = MPI.COMM_WORLD
buffer = np.ones(int(sys.argv[1]), dtype="float32")
for _ in range(5):
    comm.Allreduce(MPI.IN_PLACE, buffer, op=MPI.SUM)
times = []
for _ in range(50):
    comm.Barrier()
    started = time.perf_counter()
    comm.Allreduce(MPI.IN_PLACE, buffer, op=MPI.SUM)
    times.append(time.perf_counter() - started)
if comm.Get_rank() == 0:
    json.dump({"seconds": float(np.median(times))}, open(sys.argv[2], "w"))
'''


def _mpiexec() -> str:
    candidate = Path(sys.executable).parent / "mpiexec"
    return str(candidate) if candidate.exists() else "mpiexec"


def _run(script: str, ranks: int, threads: int, *arguments: str) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        path, output = Path(folder) / "worker.py", Path(folder) / "out.json"
        path.write_text(script)
        environment = {**os.environ, "OMP_NUM_THREADS": str(threads), "OPENBLAS_NUM_THREADS": str(threads),
                       "PYTHONPATH": str(Path(__file__).parents[1])}
        subprocess.run([_mpiexec(), "-n", str(ranks), sys.executable, str(path), *arguments, str(output)],
                       check=True, env=environment, timeout=1800)
        return json.loads(output.read_text())


def main() -> None:
    epochs = {}
    for model, samples, batch in (("mlp", 6400, 64), ("cnn", 1280, 128)):
        for ranks, threads in ((1, 1), (1, 2), (2, 1)):
            result = _run(WORKER, ranks, threads, model, str(samples), str(batch))
            epochs[(model, ranks, threads)] = result
    parameters = epochs[("cnn", 1, 1)]["parameters"]
    allreduce = _run(ALLREDUCE, 2, 1, str(parameters))["seconds"]
    size = parameters * 4
    bandwidth = size / allreduce  # the 2-rank ring moves 2·(N−1)/N · S = S bytes
    print(f"CPU: {machine_info()['CPU']}; {time.strftime('%Y-%m-%d')}\n")
    print("| model (samples, batch) | 1 × 1 thread | 1 × 2 threads | 2 × 1 thread | efficiency 2 × 1 |")
    print("|---|---|---|---|---|")
    for model, samples, batch in (("mlp", 6400, 64), ("cnn", 1280, 128)):
        one, two_threads, two_ranks = (epochs[(model, r, t)]["epoch"] for r, t in ((1, 1), (1, 2), (2, 1)))
        print(f"| {model} ({samples}, {batch}) | {one:.2f} s | {two_threads:.2f} s | {two_ranks:.2f} s | "
              f"{one / (2 * two_ranks):.0%} |")
    step = epochs[("cnn", 1, 1)]["epoch"] / (1280 / 128)
    print(f"\nAllreduce of the seed CNN's {parameters:,} float32 parameters ({size / 2**20:.1f} MiB) on 2 ranks: "
          f"{allreduce * 1e3:.2f} ms (≈ {bandwidth / 1e9:.1f} GB/s); one-process CNN step {step * 1e3:.0f} ms\n")
    print("| ranks | compute (B/N) | Allreduce, shared memory | step, shared memory | Allreduce, 10 GbE | "
          "step, 10 GbE | speed-up, 10 GbE |")
    print("|---|---|---|---|---|---|---|")
    for ranks in (2, 4, 8, 16):
        compute = step / ranks
        ring = 2 * (ranks - 1) / ranks * size
        local, ethernet = ring / bandwidth, ring / 1.25e9
        print(f"| {ranks} | {compute * 1e3:.1f} ms | {local * 1e3:.2f} ms | {(compute + local) * 1e3:.1f} ms | "
              f"{ethernet * 1e3:.2f} ms | {(compute + ethernet) * 1e3:.1f} ms | {step / (compute + ethernet):.1f}× |")


if __name__ == "__main__":
    main()
