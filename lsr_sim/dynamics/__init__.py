"""The model's rules as pure, documented functions over numpy arrays (no Mesa, no I/O).

Each function accepts leading axes (for example one per run) so that the Mesa model and a
batch engine step through the same implementation.
"""

from lsr_sim.dynamics.implementation import (
    compliance_probability,
    delivered,
    progress_step,
    reached_position,
    spontaneous_delivery,
)
from lsr_sim.dynamics.incidents import incident_probability
from lsr_sim.dynamics.mediation import (
    backer_support,
    convening_probability,
    direct_talks_probability,
)
from lsr_sim.dynamics.negotiation import (
    deal_value,
    effective_resolve,
    gain,
    issue_stage,
    leverage,
    offer,
    relative_salience,
    spoiler_threat,
    utility,
)
from lsr_sim.dynamics.trust import (
    decay_toward,
    evidence_for_shift,
    reliability_belief,
    shock,
    surprise_update,
    trust_signal,
    update_trust,
    vouch,
    vouch_evidence,
)

__all__ = [
    "backer_support",
    "compliance_probability",
    "convening_probability",
    "deal_value",
    "decay_toward",
    "delivered",
    "direct_talks_probability",
    "effective_resolve",
    "evidence_for_shift",
    "gain",
    "incident_probability",
    "issue_stage",
    "leverage",
    "offer",
    "progress_step",
    "reached_position",
    "relative_salience",
    "reliability_belief",
    "shock",
    "spoiler_threat",
    "spontaneous_delivery",
    "surprise_update",
    "trust_signal",
    "update_trust",
    "utility",
    "vouch",
    "vouch_evidence",
]
