"""Who convenes talks: mediators, backers' support, and direct channels.

The probabilities are elementwise (floats or arrays of any shape); :func:`backer_support` takes
one run's patronage matrix.
"""

from __future__ import annotations

import numpy as np

from lsr_sim.types import FloatArray, Number

__all__ = ["backer_support", "convening_probability", "direct_talks_probability"]


def convening_probability(
    capability: Number,
    trust_in_mediator: Number,
    support: Number,
    reach: Number,
    effort: Number,
    rate: Number,
    backer_weight: Number,
) -> Number:
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


def direct_talks_probability(mutual_trust: Number, channel: Number, rate: Number) -> Number:
    """Chance of talks without a mediator: ``p = rate * channel * mutual_trust``.

    Examples
    --------
    >>> float(direct_talks_probability(0.5, 1.0, 0.1))
    0.05
    """
    return np.minimum(np.maximum(rate * channel * mutual_trust, 0.0), 1.0)


def backer_support(
    patronage: FloatArray, support: FloatArray, trust: FloatArray, out: FloatArray | None = None
) -> FloatArray:
    """Support each actor receives from its patrons, as far as it trusts them:
    ``sum_b P[b, x] * s_b * T[x, b]``, capped at 1.

    `patronage` is one run's n x n matrix ``P[b, x]``, `support` its n backers' support and
    `trust` its trust matrix: a promise of support counts for what the recipient believes of it.
    With `out` (an (n,) array) the result is written there instead of a new array.

    Examples
    --------
    >>> P = np.array([[0.0, 0.5, 1.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    >>> T = np.array([[1.0, 0.5, 0.5], [1.0, 1.0, 0.5], [0.5, 0.5, 1.0]])
    >>> backer_support(P, np.array([0.8, 0.0, 0.0]), T)
    array([0. , 0.4, 0.4])
    """
    n = support.shape[0]
    if out is None:
        out = np.empty(n)
    for x in range(n):
        total = 0.0
        for b in range(n):
            total += patronage[b, x] * support[b] * trust[x, b]
        out[x] = min(total, 1.0)
    return out
