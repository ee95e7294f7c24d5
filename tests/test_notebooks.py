"""Every notebook runs top to bottom in quick mode (REDES_QUICK=1: a little data, one epoch) without an error.

The notebooks are executed in memory with nbclient, in notebooks/ and with the python3 kernel of this
interpreter; the committed files (with the outputs of a full run) are never written.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest


def _require(module: str):
    """Import a notebook-runner dependency: a failure in CI, a skip elsewhere (pip install ".[test]")."""
    try:
        return __import__(module)
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail(f"{module} is required for the notebook tests in CI (pip install \".[test]\")")
        pytest.skip(f"{module} is not installed (pip install \".[test]\")", allow_module_level=True)


nbformat = _require("nbformat")
nbclient = _require("nbclient")
_require("ipykernel")

NOTEBOOKS_DIR = Path(__file__).resolve().parent.parent / "notebooks"
NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))
CELL_TIMEOUT_S = 300


def test_notebooks_exist():
    assert NOTEBOOKS, f"no notebook in {NOTEBOOKS_DIR}"


@pytest.fixture
def quick_environment(monkeypatch):
    """The kernel inherits this environment: quick mode, and redes importable from the repository."""
    monkeypatch.setenv("REDES_QUICK", "1")
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "2")
    if "OPENBLAS_NUM_THREADS" not in os.environ:   # several OpenBLAS threads per kernel crawl on a shared CPU
        monkeypatch.setenv("OPENBLAS_NUM_THREADS", "1")
    root = str(NOTEBOOKS_DIR.parent)
    paths = [root, *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(dict.fromkeys(paths)))


def _execute(path):
    """Run the notebook at ``path`` in memory (never written back) and return it with its outputs."""
    nb = nbformat.read(path, as_version=4)
    nb.cells.insert(0, nbformat.v4.new_code_cell("import sys; print(sys.prefix)"))
    client = nbclient.NotebookClient(nb, timeout=CELL_TIMEOUT_S, kernel_name="python3",
                                     resources={"metadata": {"path": str(NOTEBOOKS_DIR)}})
    client.execute()  # raises CellExecutionError, with the cell and the traceback, on any error
    kernel_prefix = nb.cells[0].outputs[0]["text"].strip()
    assert kernel_prefix == sys.prefix, f"the notebook ran in the environment {kernel_prefix}, not in {sys.prefix}"
    return nb


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_in_quick_mode(path, quick_environment):
    _execute(path)


USES_TENSORFLOW = [p for p in NOTEBOOKS if "tensorflow_or_none()" in p.read_text(encoding="utf-8")]  # _shared.py


def test_tensorflow_notebooks_are_found():
    assert USES_TENSORFLOW, "no notebook calls tensorflow_or_none() (notebooks/_shared.py): the test below runs none"


@pytest.mark.parametrize("path", USES_TENSORFLOW, ids=[p.stem for p in USES_TENSORFLOW])
def test_tensorflow_cells_skip_without_tensorflow(path, quick_environment, tmp_path, monkeypatch):
    """With TensorFlow hidden (a package that fails to import shadows it) the notebook still runs."""
    (tmp_path / "tensorflow").mkdir()
    (tmp_path / "tensorflow" / "__init__.py").write_text('raise ImportError("TensorFlow hidden by the test")\n')
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(tmp_path), os.environ["PYTHONPATH"]]))
    nb = _execute(path)
    printed = "".join(o.get("text", "") for cell in nb.cells for o in cell.get("outputs", []))
    assert "TensorFlow is not installed" in printed


def test_notebooks_match_their_sources():
    """Each committed notebook has exactly the cells of its source, notebooks/src/NN_name.py (jupytext
    percent format), and every source has its notebook: python notebooks/_build.py rewrites them."""
    _require("jupytext")
    sys.path.insert(0, str(NOTEBOOKS_DIR))
    try:
        import _build
    finally:
        sys.path.remove(str(NOTEBOOKS_DIR))
    assert _build.names() == [path.stem for path in NOTEBOOKS], \
        "every notebooks/*.ipynb needs its notebooks/src/*.py and every source its notebook"
    for path in NOTEBOOKS:
        committed = [(cell.cell_type, cell.source) for cell in nbformat.read(path, as_version=4).cells]
        assert committed == _build.source_cells(path.stem), \
            f"{path.name} differs from notebooks/src/{path.stem}.py: python notebooks/_build.py {path.stem[:2]}"
