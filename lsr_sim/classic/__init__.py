"""Classic negotiation models, verified against their published and analytic results.

Each model is usable on its own with plain inputs (arrays, or a table of actors with
capability, position and salience, as in the literature), and as a negotiation protocol
selectable by name in a scenario (:mod:`lsr_sim.protocols.classic`).

- :mod:`~lsr_sim.classic.nash`: Nash bargaining (weighted, with disagreement points) and
  Kalai-Smorodinsky, over one issue or a package;
- :mod:`~lsr_sim.classic.rubinstein`: Rubinstein's alternating offers with discounting;
- :mod:`~lsr_sim.classic.concession`: two time-based negotiators (Boulware, linear, conceder)
  with a deadline;
- :mod:`~lsr_sim.classic.bdm`: Bueno de Mesquita's expected utility model, by default in
  lsr_sim's variant, with ``variant="scholz"`` in the form of the code behind Scholz, Calbert
  and Smith's (2011) tables;
- :mod:`~lsr_sim.classic.stokman`: Stokman's exchange of voting positions across issues;
- :mod:`~lsr_sim.classic.inputs`: the actor tables these models read;
- :mod:`~lsr_sim.classic.compare`: a scenario under each protocol, side by side with the
  classic models' one-shot forecasts. It runs the simulation, so it is imported from its
  module (``from lsr_sim.classic.compare import compare_protocols``), not from this package:
  the protocols import the models here, and the models must not import the simulation back.
"""

from __future__ import annotations

from lsr_sim.classic.bdm import (
    BDMResult,
    BDMRound,
    BDMVariant,
    bdm,
    bdm_round,
    weighted_mean,
    weighted_median,
)
from lsr_sim.classic.concession import ConcessionResult, time_based_negotiation
from lsr_sim.classic.inputs import read_actor_table, split_issues
from lsr_sim.classic.nash import (
    BargainingSolution,
    kalai_smorodinsky,
    kalai_smorodinsky_split,
    nash_bargaining,
    nash_split,
)
from lsr_sim.classic.rubinstein import AlternatingOffersResult, alternating_offers, rubinstein_share
from lsr_sim.classic.stokman import ExchangeResult, expected_outcome, stokman_exchange

__all__ = [
    "AlternatingOffersResult",
    "BDMResult",
    "BDMRound",
    "BDMVariant",
    "BargainingSolution",
    "ConcessionResult",
    "ExchangeResult",
    "alternating_offers",
    "bdm",
    "bdm_round",
    "expected_outcome",
    "kalai_smorodinsky",
    "kalai_smorodinsky_split",
    "nash_bargaining",
    "nash_split",
    "read_actor_table",
    "rubinstein_share",
    "split_issues",
    "stokman_exchange",
    "time_based_negotiation",
    "weighted_mean",
    "weighted_median",
]
