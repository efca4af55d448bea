"""The rules of :mod:`lsr_sim.dynamics`, compiled by numba for the kernel.

Each name here is the same function as in the rule modules, compiled (see :mod:`lsr_sim.jit`):
the kernel and the offers protocol call these, so a rule has one definition. Importing this
module imports numba; importing :mod:`lsr_sim.dynamics` does not.
"""

from __future__ import annotations

from lsr_sim.dynamics import implementation, incidents, mediation, negotiation, trust
from lsr_sim.jit import njit, njit_inline
from lsr_sim.types import FloatArray

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
    "numpy_mean",
    "numpy_sum",
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

backer_support = njit(mediation.backer_support)
compliance_probability = njit(implementation.compliance_probability)
convening_probability = njit(mediation.convening_probability)
deal_value = njit_inline(negotiation.deal_value)
decay_toward = njit(trust.decay_toward)
delivered = njit(implementation.delivered)
evidence_for_shift = njit(trust.evidence_for_shift)
direct_talks_probability = njit(mediation.direct_talks_probability)
effective_resolve = njit(negotiation.effective_resolve)
gain = njit(negotiation.gain)
incident_probability = njit(incidents.incident_probability)
issue_stage = njit(negotiation.issue_stage)
leverage = njit(negotiation.leverage)
offer = njit(negotiation.offer)
progress_step = njit(implementation.progress_step)
reached_position = njit(implementation.reached_position)
reliability_belief = njit(trust.reliability_belief)
relative_salience = njit(negotiation.relative_salience)
shock = njit(trust.shock)
spoiler_threat = njit(negotiation.spoiler_threat)
spontaneous_delivery = njit(implementation.spontaneous_delivery)
surprise_update = njit(trust.surprise_update)
trust_signal = njit(trust.trust_signal)
update_trust = njit(trust.update_trust)
utility = njit(negotiation.utility)
vouch = njit(trust.vouch)
vouch_evidence = njit(trust.vouch_evidence)


@njit
def numpy_sum(values: FloatArray) -> float:
    """The sum of a 1-D array in numpy's order (pairwise in blocks of 8), so that compiled
    means equal ``numpy.mean`` to the last bit whatever the length.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.random.default_rng(0).random(37)
    >>> float(numpy_sum(x)) == float(np.sum(x))
    True
    """
    n = values.shape[0]
    if n < 8:
        total = 0.0
        for i in range(n):
            total += values[i]
        return total
    if n <= 128:
        r = values[:8].copy()
        i = 8
        while i < n - n % 8:
            for j in range(8):
                r[j] += values[i + j]
            i += 8
        total = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
        while i < n:
            total += values[i]
            i += 1
        return total
    half = n // 2
    half -= half % 8
    return numpy_sum(values[:half]) + numpy_sum(values[half:])


@njit
def numpy_mean(values: FloatArray) -> float:
    """``numpy.mean`` of a 1-D array, to the last bit (see :func:`numpy_sum`).

    Examples
    --------
    >>> import numpy as np
    >>> float(numpy_mean(np.array([0.1, 0.2, 0.4])))
    0.23333333333333336
    """
    return numpy_sum(values) / values.shape[0]
