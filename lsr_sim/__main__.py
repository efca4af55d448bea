"""``python -m lsr_sim`` runs the command line."""

import sys

from lsr_sim.cli import main

__all__: list[str] = []

sys.exit(main())
