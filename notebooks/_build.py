"""Write each notebook from its source in notebooks/src/, and optionally execute it (full mode) with its outputs.

A notebook's source is a Python file in jupytext's percent format, notebooks/src/NN_name.py for
notebooks/NN_name.ipynb: ``# %%`` starts a code cell, ``# %% [markdown]`` a markdown cell (its
lines commented with "# "), and a Jupyter magic is commented (``# %matplotlib inline``). Headings
are "## n. Portuguese / English"; the prose is English. The kernel runs in notebooks/.

Usage (from the repository root):
    python notebooks/_build.py                  # write every notebook from its source; a code cell
                                                # whose source is unchanged keeps its outputs
    python notebooks/_build.py --execute 01 02  # write and execute (full mode) the notebooks named
                                                # by their number or name, saving their outputs
    python notebooks/_build.py --check          # exit 1 if a notebook's cells differ from its source

Edit a source, then run the first command: prose-only edits are done; a code cell that changed
is written without outputs and the command names the notebook to execute (``--execute NN``).
A new notebook is a new source: ``--execute NN`` writes it with its outputs. Sources carry no
jupytext header; to start one from an existing notebook:
    jupytext --to py:percent --opt notebook_metadata_filter=-all --opt cell_metadata_filter=-all
             -o notebooks/src/NN_name.py notebook.ipynb     (one command line)

Execution unsets REDES_QUICK (full mode) and runs the kernel in notebooks/, as the test does in quick
mode. Progress bars are kept as a terminal would show them (the last state of each line).
"""

from __future__ import annotations

import argparse
import difflib
import os
import re
import sys
import time
from pathlib import Path

import jupytext
import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent
SOURCES = HERE / "src"
METADATA = {"kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"},
            "language_info": {"name": "python"}}


def names() -> list[str]:
    """The notebooks, by name (the stem of their source), in order."""
    return sorted(path.stem for path in SOURCES.glob("*.py"))


def source_cells(name: str) -> list[tuple[str, str]]:
    """(cell type, source) of each cell of notebooks/src/<name>.py, as jupytext reads it."""
    return [(cell.cell_type, cell.source) for cell in jupytext.read(SOURCES / f"{name}.py", fmt="py:percent").cells]


def cells_of(nb) -> list[tuple[str, str]]:
    return [(cell.cell_type, cell.source) for cell in nb.cells]


def build(name: str):
    """The notebook written from its source, with the outputs of the committed notebook's unchanged cells.

    Cells are matched by (type, source) in order (difflib); a code cell without a match (new or
    edited) has no outputs. Cell ids are stable ("01-00", "01-01", ...): rebuilding changes nothing.
    """
    path = HERE / f"{name}.ipynb"
    committed = nbformat.read(path, as_version=4) if path.exists() else new_notebook(cells=[], metadata=METADATA)
    cells = [new_code_cell(source) if kind == "code" else new_markdown_cell(source)
             for kind, source in source_cells(name)]
    matcher = difflib.SequenceMatcher(None, cells_of(committed), [(c.cell_type, c.source) for c in cells],
                                      autojunk=False)
    for block in matcher.get_matching_blocks():
        for offset in range(block.size):
            old, new = committed.cells[block.a + offset], cells[block.b + offset]
            new.metadata = old.metadata
            if new.cell_type == "code":
                new.outputs, new.execution_count = old.outputs, old.execution_count
    nb = new_notebook(cells=cells, metadata=committed.metadata or METADATA)
    for index, cell in enumerate(nb.cells):
        cell["id"] = f"{name[:2]}-{index:02d}"
    return nb


def stale_code_cells(nb, name: str) -> int:
    """How many code cells of ``nb`` differ from the committed notebook's (new or edited)."""
    path = HERE / f"{name}.ipynb"
    old = [c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"] if path.exists() else []
    return sum(1 for cell in nb.cells if cell.cell_type == "code" and cell.source not in old)


# ------------------------------------------------------------------------------------------ build
_CONTROL = re.compile(r"(\x1b\[[0-9;?]*[A-Za-z]|\r|\n)")


def _terminal_text(text: str) -> str:
    """What a terminal shows after printing ``text``: carriage returns, newlines and cursor-up moves
    (tqdm's nested bars) applied to a screen of lines; other ANSI sequences dropped."""
    screen, row, column = [""], 0, 0
    for token in _CONTROL.split(text):
        if token == "\n":
            row, column = row + 1, 0
            if row == len(screen):
                screen.append("")
        elif token == "\r":
            column = 0
        elif token.startswith("\x1b["):
            if token.endswith("A"):
                row = max(0, row - int(token[2:-1] or 1))
        elif token:
            line = screen[row].ljust(column)
            screen[row] = line[:column] + token + line[column + len(token):]
            column += len(token)
    return "\n".join(line.rstrip() for line in screen)


# TensorFlow's import logs these to the process's stderr whatever TF_CPP_MIN_LOG_LEVEL says; the kernel captures them.
_TF_IMPORT_LOG = re.compile(r"^(WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
                            r"|I\d{4} [\d:.]+ +\d+ [\w.]+:\d+\] .*)\n?", re.MULTILINE)


def _clean_outputs(nb) -> None:
    """Progress bars as a terminal leaves them, without TensorFlow's import log or empty streams."""
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                text = _TF_IMPORT_LOG.sub("", output["text"]) if output.get("name") == "stderr" else output["text"]
                output["text"] = _terminal_text(text).lstrip("\n")
        cell["outputs"] = [o for o in cell.get("outputs", [])
                           if not (o.get("output_type") == "stream" and not o["text"].strip())]


def execute(nb):
    """Run ``nb`` in full mode in notebooks/ with the python3 kernel of this interpreter."""
    from nbclient import NotebookClient

    os.environ.pop("REDES_QUICK", None)
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")   # see the README: far faster on a busy CPU
    client = NotebookClient(nb, timeout=1800, kernel_name="python3", coalesce_streams=True,
                            resources={"metadata": {"path": str(HERE)}})
    client.execute()
    _clean_outputs(nb)
    return nb


def check() -> int:
    """1 (with a message) if a notebook has no source, a source no notebook, or cells other than its source's."""
    notebooks, sources = {p.stem for p in HERE.glob("*.ipynb")}, set(names())
    problems = [f"notebooks/{n}.ipynb has no source notebooks/src/{n}.py" for n in sorted(notebooks - sources)]
    problems += [f"notebooks/src/{n}.py has no notebook: python notebooks/_build.py --execute {n[:2]}"
                 for n in sorted(sources - notebooks)]
    problems += [f"notebooks/{n}.ipynb differs from notebooks/src/{n}.py: python notebooks/_build.py {n[:2]}"
                 for n in sorted(notebooks & sources)
                 if cells_of(nbformat.read(HERE / f"{n}.ipynb", as_version=4)) != source_cells(n)]
    print("\n".join(problems) or "every notebook matches its source")
    return 1 if problems else 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--execute", action="store_true", help="run the notebooks (full mode) and keep outputs")
    parser.add_argument("--check", action="store_true", help="only check that every notebook matches its source")
    parser.add_argument("names", nargs="*", help="notebook numbers or names (default: all)")
    args = parser.parse_args(argv)
    if args.check:
        return check()
    selected = [n for n in names() if not args.names or any(n.startswith(p) for p in args.names)]
    if not selected:
        parser.error(f"no source in notebooks/src/ for {' '.join(args.names)}")
    for name in selected:
        nb = build(name)
        if args.execute:
            started = time.perf_counter()
            execute(nb)
            print(f"{name}: executed in {time.perf_counter() - started:.0f} s", flush=True)
        elif stale := stale_code_cells(nb, name):
            print(f"{name}: {stale} code cell(s) changed and have no outputs: "
                  f"python notebooks/_build.py --execute {name[:2]}", flush=True)
        nbformat.validate(nb)
        nbformat.write(nb, HERE / f"{name}.ipynb")
        print(f"wrote notebooks/{name}.ipynb", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
