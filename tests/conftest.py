"""Test setup: import paths, the `parity` marker, and the parity report (REDES_PARITY_REPORT=<path>)."""

import os
import re
import sys
import time
from pathlib import Path

import pytest

TESTS = Path(__file__).parent
sys.path.insert(0, str(TESTS))
sys.path.insert(0, str(TESTS / "parity"))
sys.path.insert(0, str(TESTS.parent / "notebooks"))   # _shared: the gradient tools tests/helpers.py shares with notebooks

PARITY_NAME = re.compile("tensorflow|keras|parity")
_START = time.perf_counter()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "parity: compares redes with TensorFlow (tests/parity/, and tests named *tensorflow*, *keras*, "
                   "*parity*); run the suite with -m parity")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        name = getattr(item, "originalname", item.name)
        if item.path.parent.name == "parity" or PARITY_NAME.search(name):
            item.add_marker(pytest.mark.parity)


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    """With REDES_PARITY_REPORT=<path>, write the largest parity errors measured in this run to <path>."""
    path = os.environ.get("REDES_PARITY_REPORT")
    if not path:
        return
    from helpers import PARITY_ERRORS, parity_report

    arguments = " ".join(config.invocation_params.args)
    command = f"REDES_PARITY_REPORT={path} python -m pytest {arguments}"
    Path(path).write_text(parity_report(command, time.perf_counter() - _START), encoding="utf-8")
    terminalreporter.write_line(f"parity report: {len(PARITY_ERRORS)} rows written to {path}")
