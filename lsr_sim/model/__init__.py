"""The Mesa model and its agents.

:func:`compile_scenario` (arrays only) loads at once; the Mesa parts load on first use, so a
batch-engine worker, which needs only the compiled arrays, never imports Mesa (about a second
of start-up per worker).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from lsr_sim.model.compiled import CompiledScenario, QuantitySpec, compile_scenario

if TYPE_CHECKING:
    from lsr_sim.model.agents import Actor
    from lsr_sim.model.model import NegotiationModel, build_network

__all__ = [
    "Actor",
    "CompiledScenario",
    "NegotiationModel",
    "QuantitySpec",
    "build_network",
    "compile_scenario",
]

_LAZY = {
    "Actor": "lsr_sim.model.agents",
    "NegotiationModel": "lsr_sim.model.model",
    "build_network": "lsr_sim.model.model",
}


def __getattr__(name: str) -> Any:
    # PEP 562: import Mesa only when the Mesa model is first used.
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'lsr_sim.model' has no attribute {name!r}")
