"""Trust dynamics: pure functions over trust matrices.

``T[..., i, j]`` is how far actor i trusts actor j to keep its word, in [0, 1]. Every function
accepts any number of leading axes (for example one per run), so one implementation serves the
Mesa model (one run) and a batch of runs. The diagonal (trust in oneself) is not modelled and
is left untouched.
"""

from __future__ import annotations

import numpy as np

__all__ = ["decay_toward", "shock", "trust_signal", "update_trust", "vouch"]


def trust_signal(
    actions: np.ndarray,
    rhetoric: np.ndarray,
    action_weight: float,
    rhetoric_weight: float,
) -> np.ndarray:
    """Combine observed deeds and words into one signal in [-1, 1].

    ``s = clip(w_a * A + w_r * R, -1, 1)``: with ``w_a > w_r`` what a side does counts for
    more than what it says.

    Examples
    --------
    >>> trust_signal(np.array([0.5, 0.0]), np.array([0.0, 0.5]), 1.0, 0.2)
    array([0.5, 0.1])
    """
    return np.clip(action_weight * actions + rhetoric_weight * rhetoric, -1.0, 1.0)


def update_trust(
    trust: np.ndarray, signal: np.ndarray, gain_rate: float, loss_rate: float
) -> np.ndarray:
    """Move trust by a signal: gains close part of the gap to 1, losses cut a share of trust.

    ``T' = T + alpha_plus * s * (1 - T)`` for ``s > 0`` and ``T' = T + alpha_minus * s * T``
    for ``s < 0``. With ``alpha_minus > alpha_plus`` trust is lost faster than it is gained.

    Examples
    --------
    >>> update_trust(np.array([0.5, 0.5]), np.array([1.0, -1.0]), 0.1, 0.3)
    array([0.55, 0.35])
    """
    gained = trust + gain_rate * np.maximum(signal, 0.0) * (1.0 - trust)
    return np.clip(gained + loss_rate * np.minimum(signal, 0.0) * trust, 0.0, 1.0)


def decay_toward(trust: np.ndarray, baseline: np.ndarray, rate: float) -> np.ndarray:
    """Relax trust toward a baseline: ``T' = T + delta (B - T)``.

    Examples
    --------
    >>> decay_toward(np.array([0.9, 0.1]), np.array([0.5, 0.5]), 0.5)
    array([0.7, 0.3])
    """
    return trust + rate * (baseline - trust)


def vouch(trust: np.ndarray, mediation: np.ndarray, rate: float) -> np.ndarray:
    """A trusted mediator passes its trust along the network.

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
    toward = np.einsum("...mi,...mj,...im,...mj->...ij", mediation, mediation, trust, trust)
    weight = np.einsum("...mi,...mj,...im->...ij", mediation, mediation, trust)
    off_diagonal = 1.0 - np.eye(trust.shape[-1])
    return np.clip(trust + rate * off_diagonal * (toward - weight * trust), 0.0, 1.0)


def shock(trust: np.ndarray, mask: np.ndarray, delta: float) -> np.ndarray:
    """Add `delta` to the trust entries selected by a boolean `mask`, clipped to [0, 1].

    Examples
    --------
    >>> shock(np.array([[1.0, 0.5], [0.5, 1.0]]), np.array([[False, True], [False, False]]), -0.7)
    array([[1. , 0. ],
           [0.5, 1. ]])
    """
    return np.clip(trust + delta * mask, 0.0, 1.0)
