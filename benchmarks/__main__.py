"""Run the redes benchmark suite, against TensorFlow and the NumPy peers DeZero and numpy-ml when installed.

    python -m benchmarks [--quick] [--no-tf] [--no-peers] [--threads N]
                         [--sections mlp,cnn,sequences,layers,efficiency,memory,scaling] [--cases NAME,...]

Prints a table of medians, redes/TF ratios and peer/redes ratios (the peers run the MLP and
seed-CNN step and CNN inference rows) and writes benchmarks/results/<quick|full>.md and .csv.
See benchmarks/README.md for what each row measures and the targets.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from . import _harness, peers
from ._harness import Worker, interleaved, median
from .tasks import LAYER_CASES

SECTIONS = ("mlp", "cnn", "sequences", "layers", "efficiency", "memory", "scaling")
TARGETS = {  # benchmark -> (largest allowed redes/TF ratio, text): issue 22's targets, and issue 19's (the vision layers)
    "MLP train step (batch 32)": (0.5, "<= 0.5x TF"),
    "MLP train step inside fit (batch 32)": (0.5, "<= 0.5x TF"),
    "CNN train step (batch 128)": (1.0, "<= 1.0x TF"),
    "CNN train step inside fit (batch 128)": (1.0, "<= 1.0x TF"),
    "CNN inference": (1.0, "<= 1.0x TF"),
    "LSTM(128) train step (batch 64, 28 steps)": (1.5, "<= 1.5x TF"),
    "Conv2D 3x3 32->64, 26x26 fwd+bwd": (1.3, "<= 1.3x TF"),
    "MaxPooling2D 2x2 fwd+bwd": (1.0, "<= 1.0x TF"),
    "Conv2DTranspose 3x3 stride 2 same 64->32, 13x13 fwd+bwd": (2.0, "<= 2x TF"),
    "DepthwiseConv2D 3x3 same, 28x28x32 fwd+bwd": (2.0, "<= 2x TF"),
    "DepthwiseConv2D 3x3 same x2, 14x14x64 fwd+bwd": (2.0, "<= 2x TF"),
    "SeparableConv2D 3x3 same 32->64, 28x28 fwd+bwd": (2.0, "<= 2x TF"),
}


class Suite:
    def __init__(self, args) -> None:
        self.quick = args.quick
        self.rows: list[dict] = []
        self.notes: list[str] = []
        self.threads = args.threads
        self.cases = [part.strip() for part in args.cases.split(",") if part.strip()]
        self.workers = {"redes": Worker("redes", args.threads)}
        if not args.no_tf and _harness.tensorflow_available():
            self.workers["tf"] = Worker("tf", args.threads)
        else:
            self.notes.append("TensorFlow not run: ratios are empty.")
        self.peers: dict[str, Worker] = {}
        for peer, package in peers.PEERS.items() if args.peers else ():
            self.start_peer(peer, package, args.threads)

    def start_peer(self, peer: str, package: str, threads: int | None) -> None:
        """Start the peer's worker, or note why it is skipped (not installed, or failed to import)."""
        if not peers.available(peer):
            message = f"{package} not run: the PyPI package `{package}` is not installed (pip install {package})."
        else:
            try:
                self.peers[peer] = Worker(peer, threads)
                self.notes.append(peers.DIFFERENCES[peer])
                return
            except RuntimeError as error:
                message = f"{package} not run: importing it failed, {str(error).strip().splitlines()[-1]}"
        print(message, file=sys.stderr)
        self.notes.append(message)

    # ------------------------------------------------------------------ helpers
    def compare(self, section: str, name: str, task: str, rounds: int, repeats: int, unit: str = "ms",
                scale: float = 1e3, per: float = 1.0, invert: bool = False, peer_kwargs: dict | None = None,
                **kwargs) -> dict | None:
        """Interleave ``task`` on every worker and add a row of medians (× scale / per) and the ratios.

        With ``peer_kwargs`` (a dict, possibly empty) the peers run too, with those keyword
        arguments of their own (fewer repeats where a peer's step takes seconds).
        """
        started = time.perf_counter()
        workers = self.workers if peer_kwargs is None else {**self.workers, **self.peers}
        overrides = {peer: peer_kwargs for peer in self.peers} if peer_kwargs else None
        try:
            times = interleaved(workers, task, rounds, repeats, overrides, **kwargs)
        except RuntimeError as error:
            self.notes.append(f"{name}: failed, {str(error).splitlines()[0]}")
            print(error, file=sys.stderr)
            return None
        values = {fw: median(t) * scale / per for fw, t in times.items()}
        if invert:  # throughput: larger is better, the ratio stays time redes / time TF
            values = {fw: 1.0 / value for fw, value in values.items()}
        row = {"section": section, "benchmark": name, "unit": unit, "redes": values["redes"], "tf": values.get("tf")}
        if "tf" in values:
            row["ratio"] = values["tf"] / values["redes"] if invert else values["redes"] / values["tf"]
        for peer in self.peers if peer_kwargs is not None else ():  # peer time / redes time: above 1, redes leads
            row[peer] = values[peer]
            row[f"{peer}/redes"] = values["redes"] / values[peer] if invert else values[peer] / values["redes"]
        if name in TARGETS and "ratio" in row:
            limit, text = TARGETS[name]
            row["target"], row["met"] = text, "yes" if row["ratio"] <= limit else "no"
        self.add(row)
        counts = ", ".join(f"{fw} {len(t)}" for fw, t in times.items())
        print(f"    ({time.perf_counter() - started:.0f} s, samples: {counts})")
        return row

    def per_step(self, epoch_row: dict | None, name: str, steps: int) -> None:
        """A row derived from an epoch row: its time per step, in ms (the whole of fit's overhead included)."""
        if epoch_row is None:
            return
        row = {"section": epoch_row["section"], "benchmark": name, "unit": "ms",
               "redes": epoch_row["redes"] * 1e3 / steps}
        if epoch_row.get("tf") is not None:
            row["tf"] = epoch_row["tf"] * 1e3 / steps
            row["ratio"] = row["redes"] / row["tf"]
        if name in TARGETS and "ratio" in row:
            limit, text = TARGETS[name]
            row["target"], row["met"] = text, "yes" if row["ratio"] <= limit else "no"
        self.add(row)

    def add(self, row: dict) -> None:
        self.rows.append(row)
        cells = [_harness.format_cell(row.get(key)) for key in ("redes", "tf", "ratio")]
        peer_cells = "".join(f"  {peer} {_harness.format_cell(row[peer]):>9} "
                             f"({_harness.format_cell(row[f'{peer}/redes'])}x)" for peer in peers.PEERS if peer in row)
        print(f"  {row['benchmark']:<44} {row['unit']:<10} redes {cells[0]:>9}  tf {cells[1]:>9}  "
              f"ratio {cells[2]:>6}{peer_cells}  {row.get('target', '')} {row.get('met', '')}")

    # ----------------------------------------------------------------- sections
    def mlp(self) -> None:
        print("MLP 784-300-100-10, Nadam (the peers: Adam), batch 32")
        self.compare("mlp", "MLP train step (batch 32)", "train_step", rounds=10 if self.quick else 20,
                     repeats=10 if self.quick else 40, peer_kwargs={}, model="mlp", batch=32)
        samples = 4000 if self.quick else None
        label = f"MLP Fashion-MNIST epoch ({samples or 60000} samples)"
        row = self.compare("mlp", label, "train_epoch", rounds=1 if self.quick else 2, repeats=1, unit="s",
                           scale=1.0, model="mlp", batch=32, samples=samples)
        self.per_step(row, "MLP train step inside fit (batch 32)", -(-(samples or 60000) // 32))

    def cnn(self) -> None:
        print("Seed CNN (SEEDS §4), Adam, batch 128")
        self.compare("cnn", "CNN train step (batch 128)", "train_step", rounds=3 if self.quick else 5,
                     repeats=4 if self.quick else 8, peer_kwargs={"repeats": 1 if self.quick else 2, "warmup": 1},
                     model="cnn", batch=128)
        samples = 1280 if self.quick else None
        row = self.compare("cnn", f"CNN MNIST epoch ({samples or 60000} samples)", "train_epoch", rounds=1,
                           repeats=1, unit="s", scale=1.0, model="cnn", batch=128, samples=samples)
        self.per_step(row, "CNN train step inside fit (batch 128)", -(-(samples or 60000) // 128))
        images = 1280 if self.quick else 10000
        self.compare("cnn", "CNN inference", "inference", rounds=2 if self.quick else 4, repeats=2,
                     unit="images/s", scale=1.0, per=images, invert=True, peer_kwargs={"repeats": 1, "warmup": 0},
                     batch=128, samples=images)

    def sequences(self) -> None:
        print("MNIST rows as sequences: LSTM(128) or GRU(128) → Dense(10), Adam, batch 64")
        for kind in ("lstm", "gru"):
            self.compare("sequences", f"{kind.upper()}(128) train step (batch 64, 28 steps)", "train_step",
                         rounds=3 if self.quick else 5, repeats=5 if self.quick else 10, model=kind, batch=64)

    def layers(self) -> None:
        print("One layer, forward (training) + backward")
        for case in [case for case in LAYER_CASES if not self.cases or any(part in case for part in self.cases)]:
            self.compare("layers", f"{case} fwd+bwd", "layer_step", rounds=3 if self.quick else 5,
                         repeats=3 if self.quick else 6, case=case)

    def efficiency(self) -> None:
        print("Achieved GFLOP/s of the layers against np.matmul on their GEMM shapes (redes only)")
        worker = self.workers["redes"]
        repeats = 5 if self.quick else 15
        peak = worker.call("matmul_square", size=2048, repeats=repeats)
        peak_gflops = peak["flops"] / median(peak["times"]) / 1e9
        self.add({"section": "efficiency", "benchmark": "np.matmul 2048x2048 float32", "unit": "GFLOP/s",
                  "redes": peak_gflops})
        for case in ("Conv2D 3x3 32->64, 26x26", "Conv2D 3x3 stride 2 same", "Dense 1024->1024"):
            layer_times, gemm_times, flops = [], [], 0
            for _ in range(3):  # interleave the layer and its bare GEMMs
                layer_times += worker.call("layer_step", case=case, repeats=repeats)
                gemms = worker.call("layer_gemms", case=case, repeats=repeats)
                gemm_times += gemms["times"]
                flops = gemms["flops"]
            layer_gflops = flops / median(layer_times) / 1e9
            matmul_gflops = flops / median(gemm_times) / 1e9
            target = "conv >= 60% of matmul" if case.startswith("Conv") else ""
            row = {"section": "efficiency", "benchmark": f"{case}: layer / matmul GFLOP/s", "unit": "fraction",
                   "redes": layer_gflops / matmul_gflops, "target": target}
            if target:
                row["met"] = "yes" if row["redes"] >= 0.6 else "no"
            self.add(row)
            self.notes.append(f"{case}: fwd+bwd {layer_gflops:.0f} GFLOP/s, its three GEMMs alone in np.matmul "
                              f"{matmul_gflops:.0f} GFLOP/s (2048² matmul: {peak_gflops:.0f}).")

    def memory(self) -> None:
        print("Peak memory of one seed-CNN training step, batch 128 (redes only)")
        worker = Worker("redes", self.threads)  # a fresh process, so that its peak RSS is this step's
        try:
            result = worker.call("cnn_memory", batch=128)
        finally:
            worker.close()
        mib = 2 ** 20
        budget = 2 * (result["activations"] + result["im2col"])
        self.add({"section": "memory", "benchmark": "CNN step tracemalloc peak above live arrays", "unit": "MiB",
                  "redes": result["tracemalloc_peak"] / mib, "target": "<= 2x (activations + im2col)",
                  "met": "yes" if result["tracemalloc_peak"] <= budget else "no"})
        self.add({"section": "memory", "benchmark": "CNN step: activations (all layer outputs)", "unit": "MiB",
                  "redes": result["activations"] / mib})
        self.add({"section": "memory", "benchmark": "CNN step: im2col matrices (whole batch)", "unit": "MiB",
                  "redes": result["im2col"] / mib})
        self.add({"section": "memory", "benchmark": "CNN step: im2col block buffers actually held", "unit": "MiB",
                  "redes": result["im2col_held"] / mib})
        self.add({"section": "memory", "benchmark": "CNN step: peak / activations", "unit": "ratio",
                  "redes": result["tracemalloc_peak"] / result["activations"]})
        self.add({"section": "memory", "benchmark": "CNN step: peak / (activations + im2col)", "unit": "ratio",
                  "redes": result["tracemalloc_peak"] / (result["activations"] + result["im2col"])})
        self.add({"section": "memory", "benchmark": "CNN: peak RSS of a process that ran 2 steps", "unit": "MiB",
                  "redes": result["rss_peak"] / mib})

    def scaling(self) -> None:
        print("Seed CNN train step as the batch doubles")
        batches = (32, 128, 512) if self.quick else (32, 64, 128, 256, 512)
        for batch in batches:
            repeats = max(2, (4 if self.quick else 16) * 32 // batch)
            self.compare("scaling", f"CNN train step, batch {batch}, per sample", "train_step", rounds=2,
                         repeats=repeats, unit="µs/sample", scale=1e6, per=batch, model="cnn", batch=batch)
        for batch in (8, 32, 128) if self.quick else (8, 16, 32, 64, 128, 256):
            self.compare("scaling", f"MLP train step, batch {batch}, per sample", "train_step", rounds=2,
                         repeats=max(10, (512 if self.quick else 2048) // batch), unit="µs/sample", scale=1e6, per=batch, model="mlp",
                         batch=batch)

    def close(self) -> None:
        for worker in [*self.workers.values(), *self.peers.values()]:
            worker.close()


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer repeats and data subsets (under 2 minutes)")
    parser.add_argument("--no-tf", action="store_true", help="run redes alone")
    parser.add_argument("--peers", action=argparse.BooleanOptionalAction, default=True,
                        help="run the NumPy peers DeZero and numpy-ml where installed (default); "
                             "--no-peers skips them")
    parser.add_argument("--threads", type=int, default=None,
                        help="threads for OpenBLAS and TensorFlow (default: the libraries' own, all cores)")
    parser.add_argument("--sections", default=",".join(SECTIONS), help=f"comma-separated subset of {SECTIONS}")
    parser.add_argument("--cases", default="",
                        help="comma-separated parts of layer case names: the layers section runs those only "
                             "(e.g. --sections layers --cases Depthwise,Separable)")
    parser.add_argument("--output", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args(argv)
    sections = [s.strip() for s in args.sections.split(",") if s.strip()]
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections {sorted(unknown)}; choose from {SECTIONS}")
    if args.threads:  # before machine_info, so that it reports the setting
        os.environ["OPENBLAS_NUM_THREADS"] = str(args.threads)
    info = _harness.machine_info()
    info["mode"] = "quick" if args.quick else "full"
    info["threads"] = str(args.threads or "library default")
    for key, value in info.items():
        print(f"{key}: {value}")
    started = time.perf_counter()
    suite = Suite(args)
    try:
        for section in sections:
            getattr(suite, section)()
    finally:
        suite.close()
    info["suite wall time"] = f"{time.perf_counter() - started:.0f} s"
    stem = ("quick" if args.quick else "full") + (f"-threads{args.threads}" if args.threads else "")
    if set(sections) != set(SECTIONS):
        stem += "-" + "-".join(sections)
    if suite.cases:
        stem += "-" + "-".join("".join(ch for ch in part if ch.isalnum()).lower() for part in suite.cases)
    md_path, csv_path = _harness.write_results(args.output, stem, info, suite.rows, suite.notes)
    print(f"Wrote {md_path} and {csv_path} ({info['suite wall time']}).")


if __name__ == "__main__":
    main()
