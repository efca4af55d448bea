"""Trust dynamics: pure functions over trust values and trust matrices.

``T[i, j]`` is how far actor i trusts actor j to keep its word, in [0, 1]. Four ways for trust
to learn are selectable (``dynamics.trust_model``, docs/ODD.md 7.1):

- ``evidence``: trust is i's belief that j keeps its commitments, a beta reputation with
  forgetting (Josang & Ismail 2002): :func:`reliability_belief` of the evidence i has seen of j
  keeping (``kept``) and breaking (``broken``) its word, each fading by ``memory`` per step;
  deeds count fully, words (cheap talk) by ``talk_weight`` (Kydd 2000), a broken commitment by
  ``betrayal_weight``; a trusted mediator passes its own belief on (:func:`vouch_evidence`);
- ``signals``: the earlier rule: one net signal per pair and step (:func:`trust_signal`) moves
  trust up or down (:func:`update_trust`), with vouching (:func:`vouch`) and decay toward the
  initial trust (:func:`decay_toward`);
- ``surprise``: a delta rule on the same evidence as ``evidence``
  (:func:`surprise_update`), with a constant learning rate instead of a growing memory;
- ``none``: no learning (the null model); trust moves only by dated shocks.

The elementwise rules take floats or arrays of any shape; :func:`vouch` and
:func:`vouch_evidence` take one run's matrices. The kernel (:mod:`lsr_sim.kernel`) compiles
these same functions and applies them run by run. The diagonal (trust in oneself) is not
modelled and is left untouched.
"""

from __future__ import annotations

import numpy as np

from lsr_sim.types import FloatArray, Number

__all__ = [
    "decay_toward",
    "evidence_for_shift",
    "reliability_belief",
    "shock",
    "surprise_update",
    "trust_signal",
    "update_trust",
    "vouch",
    "vouch_evidence",
]


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


def vouch(
    trust: FloatArray, mediation: FloatArray, rate: float, out: FloatArray | None = None
) -> FloatArray:
    """A trusted mediator passes its trust along the network (one run's n x n matrices).

    For every mediator m linked to both i and j (weights ``M[m, i]``, ``M[m, j]``), i moves its
    trust in j toward m's, in proportion to how much i trusts m:

    ``T'[i, j] = T[i, j] + nu * sum_m M[m, i] M[m, j] T[i, m] (T[m, j] - T[i, j])``,

    clipped to [0, 1]. Self links are zero, so m is never i or j. With `out` (an n x n array
    other than `trust`) the result is written there instead of a new array.

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
    if out is None:
        out = np.empty((n, n))
    out[:, :] = trust
    mediators = np.empty(n, dtype=np.int64)
    for i in range(n):
        # Only the actors linked to i as mediators (M[m, i] != 0), in increasing order: the
        # others' terms are exactly zero, so the sums are the same at a cost that grows with
        # the mediators rather than with all n actors. (Written out in each rule: the rules
        # call no other function, so that each compiles on its own.)
        count = 0
        for m in range(n):
            if mediation[m, i] != 0.0:
                mediators[count] = m
                count += 1
        for j in range(n):
            if i == j:
                continue
            toward = 0.0
            weight = 0.0
            for c in range(count):
                m = mediators[c]
                link = mediation[m, i] * mediation[m, j] * trust[i, m]
                toward += link * trust[m, j]
                weight += link
            moved = trust[i, j] + rate * (toward - weight * trust[i, j])
            out[i, j] = min(max(moved, 0.0), 1.0)
    return out


def reliability_belief(prior: Number, weight: Number, kept: Number, broken: Number) -> Number:
    """Expected reliability under a beta reputation: ``(W T0 + k) / (W + k + b)``.

    The initial trust ``T0`` counts as ``W`` observations; ``k`` and ``b`` are the (weighted,
    fading) evidence of commitments kept and broken. With no evidence it is ``T0``; as evidence
    accumulates it converges to the kept share ``k / (k + b)``.

    Examples
    --------
    >>> float(reliability_belief(0.2, 2.0, 0.0, 0.0))
    0.2
    >>> float(reliability_belief(0.2, 2.0, 8.0, 2.0))  # (0.4 + 8) / (2 + 10)
    0.7000000000000001
    """
    return (weight * prior + kept) / (weight + kept + broken)


def evidence_for_shift(
    prior: float, weight: float, kept: float, broken: float, delta: float
) -> tuple[float, float]:
    """The evidence after a shock that moves the belief by `delta` at once (kept, broken).

    A fall adds broken evidence, a rise kept evidence, just enough that
    :func:`reliability_belief` moves by `delta` (kept within [0.001, 0.999]); the shock then
    fades as all evidence does.

    Examples
    --------
    >>> k, b = evidence_for_shift(0.5, 2.0, 0.0, 0.0, -0.25)
    >>> round(float(reliability_belief(0.5, 2.0, k, b)), 12), k, round(b, 12)
    (0.25, 0.0, 2.0)
    """
    support = weight * prior + kept
    total = weight + kept + broken
    target = min(max(support / total + delta, 0.001), 0.999)
    if delta < 0:
        return kept, broken + max(support / target - total, 0.0)
    return kept + max((target * total - support) / (1.0 - target), 0.0), broken


def vouch_evidence(
    trust: FloatArray,
    mediation: FloatArray,
    rate: float,
    kept: FloatArray | None = None,
    broken: FloatArray | None = None,
) -> tuple[FloatArray, FloatArray]:
    """Evidence a trusted mediator passes on, this step (one run's n x n matrices).

    For every mediator m linked to both i and j, i takes on m's belief about j, discounted by
    its trust in m (subjective logic's discounting): kept ``nu sum_m M[m,i] M[m,j] T[i,m]
    T[m,j]`` and broken ``nu sum_m M[m,i] M[m,j] T[i,m] (1 - T[m,j])``. With `kept` and
    `broken` (n x n arrays) the results are written there instead of new arrays.

    Examples
    --------
    >>> T = np.array([[1.0, 0.2, 0.8], [0.2, 1.0, 0.8], [0.9, 0.9, 1.0]])
    >>> M = np.zeros((3, 3)); M[2, 0] = M[2, 1] = 1.0
    >>> kept, broken = vouch_evidence(T, M, 0.5)
    >>> kept.round(2), broken.round(2)
    (array([[0.  , 0.36, 0.  ],
           [0.36, 0.  , 0.  ],
           [0.  , 0.  , 0.  ]]), array([[0.  , 0.04, 0.  ],
           [0.04, 0.  , 0.  ],
           [0.  , 0.  , 0.  ]]))
    """
    n = trust.shape[0]
    if kept is None:
        kept = np.empty((n, n))
    if broken is None:
        broken = np.empty((n, n))
    kept[:, :] = 0.0
    broken[:, :] = 0.0
    mediators = np.empty(n, dtype=np.int64)
    for i in range(n):
        # Only the actors linked to i as mediators (M[m, i] != 0), in increasing order: the
        # others' terms are exactly zero, so the sums are the same at a cost that grows with
        # the mediators rather than with all n actors. (Written out in each rule: the rules
        # call no other function, so that each compiles on its own.)
        count = 0
        for m in range(n):
            if mediation[m, i] != 0.0:
                mediators[count] = m
                count += 1
        for j in range(n):
            if i == j:
                continue
            # Summed in locals (the same additions in the same order as into the arrays):
            # compiled, a sum kept in memory waits for each store.
            kept_ij, broken_ij = 0.0, 0.0
            for c in range(count):
                m = mediators[c]
                link = mediation[m, i] * mediation[m, j] * trust[i, m]
                kept_ij += rate * link * trust[m, j]
                broken_ij += rate * link * (1.0 - trust[m, j])
            kept[i, j] = kept_ij
            broken[i, j] = broken_ij
    return kept, broken


def surprise_update(
    trust: Number, kept: Number, broken: Number, gain_rate: Number, loss_rate: Number
) -> Number:
    """A delta rule: trust moves toward 1 by each kept observation and toward 0 by each
    broken one, in proportion to the surprise: ``T + a+ k (1 - T) - a- b T``, clipped.

    Examples
    --------
    >>> float(surprise_update(0.5, 1.0, 0.0, 0.1, 0.3))
    0.55
    >>> float(surprise_update(0.5, 0.0, 1.0, 0.1, 0.3))
    0.35
    """
    moved = trust + gain_rate * kept * (1.0 - trust) - loss_rate * broken * trust
    return np.minimum(np.maximum(moved, 0.0), 1.0)
