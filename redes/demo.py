"""A first training run: ``python -m redes.demo`` (or ``redes-demo``), the same as ``redes train``.

With no options it trains the MLP on MNIST for one epoch and reports the test accuracy; every
option of ``redes train`` works here too, e.g. ``python -m redes.demo --model bn-cnn --epochs 5``.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from .cli import main as cli_main


def main(argv: Sequence[str] | None = None) -> int:
    """``redes train`` with these arguments (default: the command line's); returns the exit code."""
    return cli_main(["train", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    raise SystemExit(main())
