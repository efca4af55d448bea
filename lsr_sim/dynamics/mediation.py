"""Who convenes talks: mediators, backers' support, and direct channels."""

from __future__ import annotations

import numpy as np

__all__ = ["backer_support", "convening_probability", "direct_talks_probability"]


def convening_probability(
    capability: np.ndarray,
    trust_in_mediator: np.ndarray,
    support: np.ndarray,
    reach: np.ndarray,
    effort: np.ndarray,
    rate: float,
    backer_weight: float,
) -> np.ndarray:
    """Chance that a mediator convenes the parties this step.

    A hazard that grows with the mediator's capability ``C``, the parties' mean trust in it
    ``T``, its backers' support ``B``, the weakest of its mediation links to the parties
    (``reach``) and its effort ``e``:

    ``p = 1 - exp(-kappa * e * reach * C * T * (1 + beta * B))``.

    Examples
    --------
    >>> float(convening_probability(1.0, 1.0, 0.0, 1.0, 1.0, np.log(2), 0.5))
    0.5
    >>> float(convening_probability(0.5, 0.0, 1.0, 1.0, 1.0, 1.0, 0.5))
    0.0
    """
    hazard = (
        rate * effort * reach * capability * trust_in_mediator * (1.0 + backer_weight * support)
    )
    return 1.0 - np.exp(-hazard)


def direct_talks_probability(
    mutual_trust: np.ndarray, channel: np.ndarray, rate: float
) -> np.ndarray:
    """Chance of talks without a mediator: ``p = rate * channel * mutual_trust``.

    Examples
    --------
    >>> float(direct_talks_probability(0.5, 1.0, 0.1))
    0.05
    """
    return np.clip(rate * channel * mutual_trust, 0.0, 1.0)


def backer_support(patronage: np.ndarray, support: np.ndarray) -> np.ndarray:
    """Support each actor receives from its patrons: ``sum_b P[b, x] * s_b``, capped at 1.

    Examples
    --------
    >>> P = np.array([[0.0, 0.5, 1.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    >>> backer_support(P, np.array([0.8, 0.0, 0.0]))
    array([0. , 0.4, 0.8])
    """
    return np.minimum(np.einsum("...bx,...b->...x", patronage, support), 1.0)
