"""``python -m redes``: the ``redes`` command line (see ``redes.cli``)."""

from .cli import main

raise SystemExit(main())
