"""The Mesa model and its agents."""

from lsr_sim.model.agents import Actor
from lsr_sim.model.compiled import CompiledScenario, QuantitySpec, compile_scenario
from lsr_sim.model.model import NegotiationModel, build_network

__all__ = [
    "Actor",
    "CompiledScenario",
    "NegotiationModel",
    "QuantitySpec",
    "build_network",
    "compile_scenario",
]
