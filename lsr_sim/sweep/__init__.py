"""Parameter sweeps: sweep files, designs, a resumable runner and the analysis.

``load_sweep`` reads and checks a sweep file; ``run_sweep`` runs what is missing in an output
folder; ``lsr_sim.sweep.analysis`` turns the folder into tables and figures.
"""

from lsr_sim.sweep.runner import SweepReport, run_sweep
from lsr_sim.sweep.spec import LoadedSweep, SweepError, apply_parameters, load_sweep

__all__ = [
    "LoadedSweep",
    "SweepError",
    "SweepReport",
    "apply_parameters",
    "load_sweep",
    "run_sweep",
]
