"""``python -m abm``: the command line (see :mod:`abm.cli`)."""
from .cli import main

raise SystemExit(main())
