"""``python -m lsr_sim`` runs the command line."""

import sys

from lsr_sim.cli import main

sys.exit(main())
