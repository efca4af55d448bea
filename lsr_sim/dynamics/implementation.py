"""Carrying out agreements: stochastic compliance, progress and delivered quantities."""

from __future__ import annotations

import numpy as np

from lsr_sim.types import Number

__all__ = [
    "compliance_probability",
    "delivered",
    "progress_step",
    "reached_position",
    "spontaneous_delivery",
]


def compliance_probability(
    reliability: Number,
    trust_in_other: Number,
    reciprocity: Number,
    other_complied: Number,
    trust_weight: Number,
    drag: Number,
    attention: Number = 1.0,
    incentive: Number = 0.0,
) -> Number:
    """Chance that a party carries out its part this step.

    ``p = min(1, rel * ((1 - lam) + lam T) * ((1 - rho) + rho c) * (1 - drag) * a * (1 + i))``:
    its reliability, discounted by distrust of the other side (weight ``lam``), by how far it
    reciprocates the other side's last compliance ``c`` in [0, 1] (weight ``rho``), by a
    spoiler's drag and by its attention ``a`` to this file (other priorities), and raised by its
    patrons' incentives ``i``.

    Examples
    --------
    >>> float(compliance_probability(0.8, 0.5, 0.5, 0.0, 0.5, 0.0))
    0.3
    >>> round(float(compliance_probability(0.8, 0.5, 0.5, 0.0, 0.5, 0.0, 0.5, 0.5)), 12)
    0.225
    """
    trust_factor = (1.0 - trust_weight) + trust_weight * trust_in_other
    reciprocal = (1.0 - reciprocity) + reciprocity * other_complied
    chance = reliability * trust_factor * reciprocal * (1.0 - drag) * attention
    return np.minimum(chance * (1.0 + incentive), 1.0)


def progress_step(progress: Number, complied_share: Number, rate: Number) -> Number:
    """Progress grows by ``rate`` times the share of parties that complied, up to 1.

    Examples
    --------
    >>> progress_step(np.array([0.0, 0.95]), np.array([0.5, 1.0]), 0.1)
    array([0.05, 1.  ])
    """
    return np.minimum(progress + rate * complied_share, 1.0)


def reached_position(status_quo: Number, terms: Number, progress: Number) -> Number:
    """Where implementation has moved the issue: ``q + (y - q) * progress``.

    Examples
    --------
    >>> float(reached_position(0.0, 0.75, 0.5)), float(reached_position(0.5, 0.9, 1.0))
    (0.375, 0.9)
    """
    return status_quo + (terms - status_quo) * progress


def delivered(reached: Number, low: Number, high: Number, total: Number) -> Number:
    """Real-world amount delivered once the issue has reached a position on its scale:
    ``total * clip((reached - lo) / (hi - lo), 0, 1)``.

    A quantity is covered by the part ``[lo, hi]`` of its issue's scale: for instance the 370
    convicted detainees over ``[0, 0.5]`` and the pre-trial detainees over ``[0.5, 1]``, so the
    convicted come first as a deal is carried out.

    Examples
    --------
    >>> float(delivered(0.5, 0.0, 0.5, 370.0)), float(delivered(0.5, 0.5, 1.0, 1650.0))
    (370.0, 0.0)
    >>> float(delivered(0.375, 0.0, 0.5, 370.0))
    277.5
    """
    share = np.minimum(np.maximum((reached - low) / (high - low), 0.0), 1.0)
    return total * share


def spontaneous_delivery(undelivered: Number, rate: Number) -> Number:
    """Amount delivered this step outside any agreement (refugees returning on their own, as
    conditions outside the model allow): ``undelivered * rate``.

    Examples
    --------
    >>> float(spontaneous_delivery(1000.0, 0.015))
    15.0
    """
    return undelivered * rate
