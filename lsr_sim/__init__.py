"""lsr_sim: agent-based simulation of multi-party negotiation and trust-building, on Mesa.

The main entry points::

    import lsr_sim
    scenario = lsr_sim.load_scenario("scenarios/baseline.yaml")
    result = lsr_sim.run(scenario, seed=1)
    result.trust.head()

Heavy modules (Mesa, matplotlib) load on first use, so ``import lsr_sim`` and
``lsr-sim --help`` stay quick.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# The one place the version is written: pyproject.toml reads it (setuptools dynamic version)
# and sweep run keys hash it, so a new version never mixes with old results.
__version__ = "0.1.0"

__all__ = [
    "InputError",
    "NegotiationModel",
    "RunResult",
    "Scenario",
    "ScenarioError",
    "__version__",
    "calibrate",
    "load_scenario",
    "run",
]

_LAZY = {
    "NegotiationModel": "lsr_sim.model",
    "RunResult": "lsr_sim.experiment",
    "run": "lsr_sim.experiment",
    "calibrate": "lsr_sim.calibration",
    "Scenario": "lsr_sim.scenario",
    "load_scenario": "lsr_sim.scenario",
}

from lsr_sim.errors import InputError, ScenarioError  # noqa: E402

if TYPE_CHECKING:
    from lsr_sim.calibration import calibrate
    from lsr_sim.experiment import RunResult, run
    from lsr_sim.model import NegotiationModel
    from lsr_sim.scenario import Scenario, load_scenario


def __getattr__(name: str) -> Any:
    # PEP 562: import the heavy parts of the API only when first used.
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'lsr_sim' has no attribute {name!r}")
