"""Trust dynamics: pure functions over trust values and trust matrices.

``T[i, j]`` is how far actor i trusts actor j to keep its word, in [0, 1]. The elementwise rules
(:func:`trust_signal`, :func:`update_trust`, :func:`decay_toward`, :func:`shock`) take floats or
arrays of any shape; :func:`vouch` takes one run's matrices. The kernel (:mod:`lsr_sim.kernel`)
compiles these same functions and applies them run by run. The diagonal (trust in oneself) is
not modelled and is left untouched.
"""

from __future__ import annotations

import numpy as np

from lsr_sim.types import FloatArray, Number

__all__ = ["decay_toward", "shock", "trust_signal", "update_trust", "vouch"]


def trust_signal(
    actions: Number, rhetoric: Number, action_weight: Number, rhetoric_weight: Number
) -> Number:
    """Combine observed deeds and words into one signal in [-1, 1].

    ``s = clip(w_a * A + w_r * R, -1, 1)``: with ``w_a > w_r`` what a side does counts for
    more than what it says.

    Examples
    --------
    >>> trust_signal(np.array([0.5, 0.0]), np.array([0.0, 0.5]), 1.0, 0.2)
    array([0.5, 0.1])
    """
    return np.minimum(np.maximum(action_weight * actions + rhetoric_weight * rhetoric, -1.0), 1.0)


def update_trust(trust: Number, signal: Number, gain_rate: Number, loss_rate: Number) -> Number:
    """Move trust by a signal: gains close part of the gap to 1, losses cut a share of trust.

    ``T' = T + alpha_plus * s * (1 - T)`` for ``s > 0`` and ``T' = T + alpha_minus * s * T``
    for ``s < 0``, clipped to [0, 1].

    Examples
    --------
    >>> update_trust(np.array([0.5, 0.5]), np.array([1.0, -1.0]), 0.1, 0.3)
    array([0.55, 0.35])
    """
    gained = trust + gain_rate * np.maximum(signal, 0.0) * (1.0 - trust)
    return np.minimum(np.maximum(gained + loss_rate * np.minimum(signal, 0.0) * trust, 0.0), 1.0)


def decay_toward(trust: Number, baseline: Number, rate: Number) -> Number:
    """Relax trust toward a baseline: ``T' = T + delta (B - T)``.

    Examples
    --------
    >>> decay_toward(np.array([0.9, 0.1]), np.array([0.5, 0.5]), 0.5)
    array([0.7, 0.3])
    """
    return trust + rate * (baseline - trust)


def shock(trust: Number, hit: Number, delta: Number) -> Number:
    """Add `delta` to the trust entries selected by `hit` (a boolean mask), clipped to [0, 1].

    Examples
    --------
    >>> shock(np.array([[1.0, 0.5], [0.5, 1.0]]), np.array([[False, True], [False, False]]), -0.7)
    array([[1. , 0. ],
           [0.5, 1. ]])
    """
    return np.minimum(np.maximum(trust + delta * hit, 0.0), 1.0)


def vouch(trust: FloatArray, mediation: FloatArray, rate: float) -> FloatArray:
    """A trusted mediator passes its trust along the network (one run's n x n matrices).

    For every mediator m linked to both i and j (weights ``M[m, i]``, ``M[m, j]``), i moves its
    trust in j toward m's, in proportion to how much i trusts m:

    ``T'[i, j] = T[i, j] + nu * sum_m M[m, i] M[m, j] T[i, m] (T[m, j] - T[i, j])``,

    clipped to [0, 1]. Self links are zero, so m is never i or j.

    Examples
    --------
    >>> T = np.array([[1.0, 0.2, 0.8], [0.2, 1.0, 0.8], [0.9, 0.9, 1.0]])
    >>> M = np.zeros((3, 3)); M[2, 0] = M[2, 1] = 1.0
    >>> vouch(T, M, 0.5).round(3)
    array([[1.  , 0.48, 0.8 ],
           [0.48, 1.  , 0.8 ],
           [0.9 , 0.9 , 1.  ]])
    """
    n = trust.shape[0]
    out = trust.copy()
    for i in range(n):
        for j in range(n):
            if i == j:
                continue
            toward = 0.0
            weight = 0.0
            for m in range(n):
                link = mediation[m, i] * mediation[m, j] * trust[i, m]
                toward += link * trust[m, j]
                weight += link
            moved = trust[i, j] + rate * (toward - weight * trust[i, j])
            out[i, j] = min(max(moved, 0.0), 1.0)
    return out
