"""Parameter sweeps: sweep files, designs, a resumable runner and the analysis.

``load_sweep`` reads and checks a sweep file (:mod:`~lsr_sim.sweep.loading`, against the
schema in :mod:`~lsr_sim.sweep.schema`); ``run_sweep`` runs what is missing in an output
folder; ``lsr_sim.sweep.analysis`` turns the folder into tables and figures. Parameter paths
are scenario field paths (:mod:`lsr_sim.scenario.paths`).
"""

from lsr_sim.errors import SweepError
from lsr_sim.scenario.paths import FieldTarget, PathError, apply_parameters, resolve_path
from lsr_sim.sweep.loading import LoadedSweep, ScenarioEntry, load_sweep
from lsr_sim.sweep.runner import SweepReport, run_sweep
from lsr_sim.sweep.schema import (
    DESIGN_TYPES,
    SAMPLING_DESIGNS,
    DesignSpec,
    ParameterSpec,
    SweepSpec,
    TrajectorySpec,
)

__all__ = [
    "DESIGN_TYPES",
    "SAMPLING_DESIGNS",
    "DesignSpec",
    "FieldTarget",
    "LoadedSweep",
    "ParameterSpec",
    "PathError",
    "ScenarioEntry",
    "SweepError",
    "SweepReport",
    "SweepSpec",
    "TrajectorySpec",
    "apply_parameters",
    "load_sweep",
    "resolve_path",
    "run_sweep",
]
