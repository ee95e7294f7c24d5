"""Data-parallel fit over MPI (redes.distributed): N ranks reproduce one process, agree on every decision,
and a failure on one rank ends them all. Each case runs tests/distributed/worker.py under ``mpiexec -n N``."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import redes

WORKER = Path(__file__).parent / "distributed" / "worker.py"


def mpiexec() -> str:
    """The mpiexec beside this Python (pip's mpich), or on PATH; CI fails without it, elsewhere skips."""
    candidate = Path(sys.executable).parent / "mpiexec"
    found = str(candidate) if candidate.exists() else shutil.which("mpiexec")
    if importlib.util.find_spec("mpi4py") is None:
        found = None
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("mpi4py and mpiexec are required in CI: pip install 'redes[mpi]'")
        pytest.skip("MPI is not installed: pip install 'redes[mpi]'")
    return found


def run(ranks: int, scenario: str, dtype: str, folder: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    folder.mkdir(parents=True, exist_ok=True)
    environment = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
                   "PYTHONPATH": str(Path(redes.__file__).parents[1])}
    return subprocess.run([mpiexec(), "-n", str(ranks), sys.executable, str(WORKER), scenario, dtype, str(folder)],
                          capture_output=True, text=True, timeout=timeout, env=environment)


def results(folder: Path, ranks: int) -> list[dict]:
    found = []
    for rank in range(ranks):
        with np.load(folder / f"rank{rank}.npz") as saved:
            found.append({"weights": [saved[f"arr_{i}"] for i in range(len(saved.files) - 3)],
                          "history": json.loads(str(saved["history"])),
                          "evaluation": json.loads(str(saved["evaluation"])), "epochs": int(saved["epochs"])})
    return found


def largest_difference(a: list, b: list) -> float:
    return max(float(np.abs(p - q).max()) for p, q in zip(a, b))


@pytest.mark.parametrize("scenario, dtype, ranks, tolerance", [
    ("mlp", "float64", 2, 1e-12), ("mlp", "float64", 3, 1e-12), ("mlp", "float32", 2, 2e-6),
    ("masked", "float64", 2, 1e-12)])
def test_n_ranks_reproduce_one_process_with_the_same_global_batch(tmp_path, scenario, dtype, ranks, tolerance):
    """Adam, an L2 penalty, sample weights, validation, batches of 32 over 150 samples (the last, 22, splits
    unevenly): weights, History and evaluate equal the one-process run; and padded sequences (Embedding with
    mask_zero → LSTM → Dense per step), whose loss and metrics skip the padding on every rank alike."""
    for count in (1, ranks):
        finished = run(count, scenario, dtype, tmp_path / str(count))
        assert finished.returncode == 0, finished.stderr[-3000:]
    single, = results(tmp_path / "1", 1)
    for rank, result in enumerate(results(tmp_path / str(ranks), ranks)):
        assert largest_difference(result["weights"], single["weights"]) < tolerance, f"rank {rank}"
        for key, values in single["history"].items():
            np.testing.assert_allclose(result["history"][key], values, rtol=tolerance * 10, err_msg=key)
        assert result["evaluation"] == pytest.approx(single["evaluation"], rel=tolerance * 10)


@pytest.mark.parametrize("scenario, ranks", [("synchronized", 2), ("synchronized", 3), ("dropout", 2)])
def test_synchronized_batch_normalization_and_dropout_equal_one_process(tmp_path, scenario, ranks):
    """BatchNormalization(synchronized=True) normalizes with the global batch's statistics; Dropout draws the
    global batch's mask and keeps the shard's rows: both then equal one process on the global batch."""
    for count in (1, ranks):
        finished = run(count, scenario, "float64", tmp_path / str(count))
        assert finished.returncode == 0, finished.stderr[-3000:]
    single, = results(tmp_path / "1", 1)
    for result in results(tmp_path / str(ranks), ranks):
        assert largest_difference(result["weights"], single["weights"]) < 1e-12
        np.testing.assert_allclose(result["history"]["loss"], single["history"]["loss"], rtol=1e-12)


def test_every_rank_holds_the_same_model_and_decides_alike(tmp_path):
    """BatchNormalization's moving statistics averaged over the ranks; EarlyStopping stops every rank at the
    same epoch as one process does."""
    finished = run(2, "batchnorm", "float32", tmp_path / "bn")
    assert finished.returncode == 0, finished.stderr[-3000:]
    first, second = results(tmp_path / "bn", 2)
    assert largest_difference(first["weights"], second["weights"]) == 0
    for count in (1, 2):
        finished = run(count, "early_stopping", "float64", tmp_path / f"stop{count}")
        assert finished.returncode == 0, finished.stderr[-3000:]
    single, = results(tmp_path / "stop1", 1)
    epochs = [result["epochs"] for result in results(tmp_path / "stop2", 2)]
    assert epochs == [single["epochs"]] * 2 and single["epochs"] < 4


def test_ctrl_c_on_one_rank_stops_every_rank_after_the_same_step(tmp_path):
    finished = run(2, "interrupt", "float64", tmp_path / "interrupt", timeout=60)
    assert finished.returncode == 0, finished.stderr[-3000:]
    first, second = results(tmp_path / "interrupt", 2)
    assert first["epochs"] == second["epochs"] == 1  # the second epoch was cut short on both
    assert largest_difference(first["weights"], second["weights"]) == 0


def test_a_crashed_run_resumes_from_its_backup_as_if_uninterrupted(tmp_path):
    crashed = run(2, "resume_crash", "float64", tmp_path / "resumed", timeout=60)
    assert crashed.returncode != 0 and (tmp_path / "resumed" / "backup" / "latest.redes").exists()
    resumed = run(2, "resume", "float64", tmp_path / "resumed")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    finished = run(1, "mlp", "float64", tmp_path / "single")
    assert finished.returncode == 0, finished.stderr[-3000:]
    single, = results(tmp_path / "single", 1)
    for result in results(tmp_path / "resumed", 2):
        assert result["epochs"] == 4 and largest_difference(result["weights"], single["weights"]) < 1e-12


def test_an_error_on_one_rank_ends_every_rank_promptly_and_is_printed_once(tmp_path):
    finished = run(2, "fault", "float32", tmp_path / "fault", timeout=60)  # a hang would time out
    assert finished.returncode != 0
    output = finished.stdout + finished.stderr
    assert output.count("bad data on the shard of rank 1") == 2  # the traceback's last line and its message
    assert output.count("rank 1 of 2 failed; ending every rank") == 1
    assert not (tmp_path / "fault" / "rank0.npz").exists()


def test_outside_mpi_nothing_changes():
    assert (redes.distributed.rank(), redes.distributed.size(), redes.distributed.is_chief()) == (0, 1, True)
    assert redes.distributed.shard_bounds(10) == (0, 10)


@pytest.mark.skipif(not os.environ.get("REDES_DATA"), reason="needs REDES_DATA (MNIST)")
def test_the_command_line_trains_on_two_processes(tmp_path):
    environment = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(Path(redes.__file__).parents[1])}
    finished = subprocess.run([mpiexec(), "-n", "2", sys.executable, "-m", "redes", "train", "--quick", "--epochs", "1",
                               "--seed", "0", "--verbose", "0", "--out", str(tmp_path / "run")],
                              capture_output=True, text=True, timeout=300, env=environment)
    assert finished.returncode == 0, finished.stderr[-3000:]
    assert finished.stdout.count("Test accuracy") == 1  # rank 0 alone reports and saves
    results = json.loads((tmp_path / "run" / "results.json").read_text())
    assert results["test_accuracy"] > 0.7
