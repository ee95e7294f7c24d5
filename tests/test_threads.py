"""The BLAS threads inside redes (redes.threads): one by default, the user's choice when given, the library's
own setting given back, and results that do not depend on the count beyond float rounding."""

import numpy as np
import pytest

import redes
from redes import callbacks, layers, threads

ENVIRONMENT = ("REDES_NUM_THREADS", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


@pytest.fixture(autouse=True)
def default_threads(monkeypatch):
    """Each test starts from redes' default, with no thread variable in the environment."""
    for name in ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(threads, "_threads", threads._unset)


def controllers():
    """The ways redes can set the threads here: the bundled OpenBLAS through ctypes, and threadpoolctl."""
    found = [threads._from_paths(threads._loaded_openblas())]
    try:
        found.append(threads._Threadpoolctl())
    except ImportError:
        pass
    return found


def test_the_default_is_one_thread_unless_the_environment_says_otherwise(monkeypatch):
    assert threads.num_threads() == 1
    monkeypatch.setenv("REDES_NUM_THREADS", "3")
    assert threads.num_threads() == 3
    monkeypatch.delenv("REDES_NUM_THREADS")
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "2")
    assert threads.num_threads() is None  # the user set the library's own threads: left alone
    redes.set_num_threads(2)
    assert redes.num_threads() == 2


@pytest.mark.parametrize("value", ["0", "two", "-1"])
def test_a_bad_environment_value_is_a_clear_error(monkeypatch, value):
    monkeypatch.setenv("REDES_NUM_THREADS", value)
    with pytest.raises(ValueError, match="REDES_NUM_THREADS must be a positive integer"):
        threads.num_threads()


@pytest.mark.parametrize("value, error", [(0, ValueError), (-1, ValueError), (1.5, TypeError), ("2", TypeError)])
def test_a_bad_thread_count_is_a_clear_error(value, error):
    with pytest.raises(error, match="threads"):
        redes.set_num_threads(value)


@pytest.mark.parametrize("controller", controllers(), ids=lambda c: type(c).__name__)
def test_each_controller_sets_and_reads_the_blas_threads(controller):
    before = controller.get()
    try:
        for count in (1, 2):
            controller.set(count)
            assert controller.get() == count
    finally:
        controller.set(before)


@pytest.mark.parametrize("chosen", [None, 1, 2])
def test_fit_runs_with_the_chosen_threads_and_gives_the_setting_back(chosen):
    controller = threads._controller(required=True)
    seen = []
    probe = callbacks.LambdaCallback(on_batch_end=lambda batch, logs: seen.append(controller.get()))
    model = redes.Sequential([layers.Input((4,)), layers.Dense(3)])
    model.compile(optimizer="sgd", loss="mse")
    controller.set(2)
    try:
        redes.set_num_threads(chosen)
        model.fit(np.ones((8, 4)), np.ones((8, 3)), batch_size=4, verbose=0, callbacks=[probe])
        assert seen == [chosen or 2] * 2
        assert controller.get() == 2
    finally:
        controller.set(1)


def test_without_a_way_to_set_threads_the_default_does_nothing_and_a_choice_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(threads, "_blas", False)
    with threads.limited():
        pass
    with pytest.raises(ImportError, match="threadpoolctl"):
        redes.set_num_threads(2)


def _train(dtype: str, count: int) -> tuple:
    """A small CNN trained three steps with ``count`` threads: its weights and predictions."""
    redes.set_num_threads(count)
    redes.set_random_seed(7)
    x = np.random.default_rng(0).random((64, 12, 12, 3)).astype(dtype)
    y = np.random.default_rng(1).integers(0, 5, 64)
    model = redes.Sequential([layers.Input((12, 12, 3), dtype=dtype), layers.Conv2D(16, 3, activation="relu", dtype=dtype),
                              layers.BatchNormalization(dtype=dtype), layers.Flatten(dtype=dtype),
                              layers.Dense(256, activation="relu", dtype=dtype), layers.Dense(5, dtype=dtype)])
    model.compile(optimizer="adam", loss=redes.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(x, y, batch_size=32, epochs=2, shuffle=False, verbose=0)
    return model.get_weights(), model.predict(x, batch_size=64)


@pytest.mark.parametrize("dtype, rtol", [("float32", 2e-5), ("float64", 1e-12)])
def test_results_do_not_depend_on_the_thread_count_beyond_rounding(dtype, rtol):
    one, two = _train(dtype, 1), _train(dtype, 2)
    for a, b in zip(one[0] + [one[1]], two[0] + [two[1]]):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol * np.abs(a).max())
