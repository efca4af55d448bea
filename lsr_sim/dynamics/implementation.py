"""Carrying out agreements: stochastic compliance, progress and delivered quantities."""

from __future__ import annotations

import numpy as np

from lsr_sim.types import Number

__all__ = ["compliance_probability", "delivered", "progress_step"]


def compliance_probability(
    reliability: Number,
    trust_in_other: Number,
    reciprocity: Number,
    other_complied: Number,
    trust_weight: Number,
    drag: Number,
) -> Number:
    """Chance that a party carries out its part this step.

    ``p = rel * ((1 - lam) + lam T) * ((1 - rho) + rho c) * (1 - drag)``: its reliability,
    discounted by distrust of the other side (weight ``lam``), by how far it reciprocates the
    other side's last compliance ``c`` in [0, 1] (weight ``rho``), and by a spoiler's drag.

    Examples
    --------
    >>> float(compliance_probability(0.8, 0.5, 0.5, 0.0, 0.5, 0.0))
    0.3
    """
    trust_factor = (1.0 - trust_weight) + trust_weight * trust_in_other
    reciprocal = (1.0 - reciprocity) + reciprocity * other_complied
    return reliability * trust_factor * reciprocal * (1.0 - drag)


def progress_step(progress: Number, complied_share: Number, rate: Number) -> Number:
    """Progress grows by ``rate`` times the share of parties that complied, up to 1.

    Examples
    --------
    >>> progress_step(np.array([0.0, 0.95]), np.array([0.5, 1.0]), 0.1)
    array([0.05, 1.  ])
    """
    return np.minimum(progress + rate * complied_share, 1.0)


def delivered(terms: Number, progress: Number, low: Number, high: Number, total: Number) -> Number:
    """Real-world amount delivered: ``total * clip((y - lo) / (hi - lo), 0, 1) * progress``.

    A quantity is covered by the part ``[lo, hi]`` of its issue's scale: for instance the 370
    convicted detainees over ``[0, 0.5]`` and the pre-trial detainees over ``[0.5, 1]``.

    Examples
    --------
    >>> float(delivered(0.5, 1.0, 0.0, 0.5, 370.0))
    370.0
    >>> float(delivered(0.5, 0.5, 0.5, 1.0, 1650.0))
    0.0
    """
    share = np.minimum(np.maximum((terms - low) / (high - low), 0.0), 1.0)
    return total * share * progress
