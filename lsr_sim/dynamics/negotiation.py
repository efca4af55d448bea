"""Negotiation rules: utilities, trust-discounted value of a deal, offers and vetoes.

Positions live on each issue's [0, 1] scale. An actor with ideal point ``x`` values terms
``y`` at ``u(y) = 1 - |y - x|``; its gain from a deal is measured against the status quo ``q``.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "deal_value",
    "effective_resolve",
    "gain",
    "issue_stage",
    "leverage",
    "offer",
    "relative_salience",
    "spoiler_threat",
    "utility",
]


def utility(terms: np.ndarray, ideal: np.ndarray) -> np.ndarray:
    """Linear utility ``u(y) = 1 - |y - x|``.

    Examples
    --------
    >>> utility(np.array([0.2, 1.0]), np.array([0.5, 0.5]))
    array([0.7, 0.5])
    """
    return 1.0 - np.abs(terms - ideal)


def gain(terms: np.ndarray, ideal: np.ndarray, status_quo: np.ndarray) -> np.ndarray:
    """Gain over the status quo: ``u(y) - u(q)`` (negative: the deal costs the actor).

    Examples
    --------
    >>> gain(np.array([0.5, 0.5]), np.array([1.0, 0.0]), 0.0)
    array([ 0.5, -0.5])
    """
    return utility(terms, ideal) - utility(status_quo, ideal)


def deal_value(gains: np.ndarray, salience: np.ndarray, trust: np.ndarray) -> np.ndarray:
    """Trust-discounted value of a deal over the last axis (its issues).

    What an actor gives up is certain, what it gets depends on the other side keeping its
    word: ``V = T * sum_k s_k max(g_k, 0) - sum_k s_k max(-g_k, 0)``.

    Examples
    --------
    A package where the actor gains 0.4 on an issue of salience 0.6 and loses 0.2 on one of
    salience 0.4, at trust 0.5: ``0.5 * 0.24 - 0.08 = 0.04``.

    >>> round(float(deal_value(np.array([0.4, -0.2]), np.array([0.6, 0.4]), 0.5)), 10)
    0.04
    """
    # np.add.reduce is np.sum without its Python wrapper: this runs in the protocol's floor search.
    received = np.add.reduce(salience * np.maximum(gains, 0.0), axis=-1)
    given = np.add.reduce(salience * np.maximum(-gains, 0.0), axis=-1)
    return trust * received - given


def relative_salience(salience: np.ndarray) -> np.ndarray:
    """Salience relative to the actor's most salient issue in the package (last axis).

    Examples
    --------
    >>> relative_salience(np.array([0.4, 0.1]))
    array([1.  , 0.25])
    >>> relative_salience(np.array([0.0, 0.0]))
    array([1., 1.])
    """
    top = np.max(salience, axis=-1, keepdims=True)
    safe = np.where(top > 0, top, 1.0)
    return np.where(top > 0, salience / safe, 1.0)


def offer(
    ideal: np.ndarray, target: np.ndarray, aspiration: np.ndarray, weight: np.ndarray
) -> np.ndarray:
    """Terms an actor proposes: ``y = x + (1 - a w) (t - x)``.

    ``a`` is its aspiration (from its strategy), ``t`` the other side's ideal, ``w`` its
    relative salience of the issue: in a package it concedes more on what it cares less about
    (logrolling).

    Examples
    --------
    >>> offer(np.array([0.0, 0.0]), np.array([1.0, 1.0]), 0.8, np.array([1.0, 0.5]))
    array([0.2, 0.6])
    """
    return ideal + (1.0 - aspiration * weight) * (target - ideal)


def leverage(
    pressure: np.ndarray,
    capability_holder: np.ndarray,
    capability_party: np.ndarray,
    strength: float,
) -> np.ndarray:
    """A veto holder's leverage over a party: ``L = k * w * C_h / (C_h + C_p)``.

    Examples
    --------
    >>> float(leverage(0.8, 0.3, 0.1, 1.0))
    0.6
    """
    return strength * pressure * capability_holder / (capability_holder + capability_party)


def effective_resolve(resolve: np.ndarray, backing: np.ndarray, weight: float) -> np.ndarray:
    """A party's resolve stiffened by its patrons' support: ``r + w b (1 - r)``.

    Examples
    --------
    >>> float(effective_resolve(0.4, 1.0, 0.5))
    0.7
    """
    return resolve + weight * backing * (1.0 - resolve)


# Stage of an issue, by status code (see lsr_sim.dynamics.status): how far it has advanced.
_STAGE = np.array([0.0, 0.5, 0.75, 0.75, 1.0, 0.0])


def issue_stage(status: np.ndarray, progress: np.ndarray) -> np.ndarray:
    """How far issues have advanced, in [0, 1], from status codes and progress.

    open 0, on the table 0.5, agreed 0.75, implementing 0.75 + 0.25 * progress,
    implemented 1, collapsed 0.

    Examples
    --------
    >>> issue_stage(np.array([0, 1, 3, 4]), np.array([0.0, 0.0, 0.4, 1.0]))
    array([0.  , 0.5 , 0.85, 1.  ])
    """
    implementing = status == 3
    return _STAGE[status] + np.where(implementing, 0.25 * progress, 0.0)


def spoiler_threat(stage: np.ndarray, salience: np.ndarray, vetoed: np.ndarray) -> np.ndarray:
    """A spoiler's threat: salience-weighted stage of the issues it holds a veto on.

    ``threat = sum_k s_k v_k stage_k / sum_k s_k v_k`` (0 when it vetoes nothing it cares about).

    Examples
    --------
    >>> float(spoiler_threat(np.array([0.5, 1.0]), np.array([0.5, 0.5]), np.array([1, 0])))
    0.5
    """
    weights = salience * vetoed
    total = np.sum(weights, axis=-1)
    safe = np.where(total > 0, total, 1.0)
    return np.where(total > 0, np.sum(weights * stage, axis=-1) / safe, 0.0)
