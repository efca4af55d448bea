"""Negotiation rules: utilities, trust-discounted value of a deal, offers and vetoes.

Positions live on each issue's [0, 1] scale. An actor with ideal point ``x`` values terms
``y`` at ``u(y) = 1 - |y - x|``; its gain from a deal is measured against the status quo ``q``.
The elementwise rules take floats or arrays of any shape; the others reduce over the last axis
(one actor's issues).
"""

from __future__ import annotations

import numpy as np

from lsr_sim.dynamics.status import IMPLEMENTING
from lsr_sim.types import FloatArray, Number

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


def utility(terms: Number, ideal: Number) -> Number:
    """Linear utility ``u(y) = 1 - |y - x|``.

    Examples
    --------
    >>> utility(np.array([0.2, 1.0]), np.array([0.5, 0.5]))
    array([0.7, 0.5])
    """
    return 1.0 - np.abs(terms - ideal)


def gain(terms: Number, ideal: Number, status_quo: Number) -> Number:
    """Gain over the status quo: ``u(y) - u(q)`` (negative: the deal costs the actor).

    Examples
    --------
    >>> gain(np.array([0.5, 0.5]), np.array([1.0, 0.0]), 0.0)
    array([ 0.5, -0.5])
    """
    # utility(terms, ideal) - utility(status_quo, ideal), written out: the rules call no other
    # rule, so that each compiles on its own (lsr_sim.dynamics.compiled).
    return (1.0 - np.abs(terms - ideal)) - (1.0 - np.abs(status_quo - ideal))


def deal_value(gains: FloatArray, salience: FloatArray, trust: float) -> float:
    """Trust-discounted value of a deal to one actor, over the deal's issues.

    What an actor gives up is certain, what it gets depends on the other side keeping its
    word: ``V = T * sum_k s_k max(g_k, 0) - sum_k s_k max(-g_k, 0)``.

    Examples
    --------
    A package where the actor gains 0.4 on an issue of salience 0.6 and loses 0.2 on one of
    salience 0.4, at trust 0.5: ``0.5 * 0.24 - 0.08 = 0.04``.

    >>> round(float(deal_value(np.array([0.4, -0.2]), np.array([0.6, 0.4]), 0.5)), 10)
    0.04
    """
    # A plain loop: the kernel calls this inside the offers protocol's floor search, where
    # temporary arrays would cost more than the arithmetic.
    received = 0.0
    given = 0.0
    for k in range(gains.shape[0]):
        g = gains[k]
        received += salience[k] * max(g, 0.0)
        given += salience[k] * max(-g, 0.0)
    return trust * received - given


def relative_salience(salience: Number, top: Number) -> Number:
    """An actor's salience of an issue relative to its most salient issue of the package.

    `top` is the largest of its saliences in the package; where it is 0 (the actor cares
    about none of them) every issue counts fully.

    Examples
    --------
    >>> relative_salience(np.array([0.4, 0.1]), 0.4)
    array([1.  , 0.25])
    >>> relative_salience(np.array([0.0, 0.0]), 0.0)
    array([1., 1.])
    """
    if top > 0:
        return salience / top
    return salience * 0.0 + 1.0


def offer(ideal: Number, target: Number, aspiration: Number, weight: Number) -> Number:
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
    pressure: Number, capability_holder: Number, capability_party: Number, strength: Number
) -> Number:
    """A veto holder's leverage over a party: ``L = k * w * C_h / (C_h + C_p)``.

    Examples
    --------
    >>> float(leverage(0.8, 0.3, 0.1, 1.0))
    0.6
    """
    return strength * pressure * capability_holder / (capability_holder + capability_party)


def effective_resolve(resolve: Number, backing: Number, weight: Number) -> Number:
    """A party's resolve stiffened by its patrons' support: ``r + w b (1 - r)``.

    Examples
    --------
    >>> float(effective_resolve(0.4, 1.0, 0.5))
    0.7
    """
    return resolve + weight * backing * (1.0 - resolve)


# Stage of an issue, by status code (see lsr_sim.dynamics.status): how far it has advanced.
_STAGE = np.array([0.0, 0.5, 0.75, 0.75, 1.0, 0.0])


def issue_stage(status: int | np.ndarray, progress: Number) -> Number:
    """How far issues have advanced, in [0, 1], from status codes and progress.

    open 0, on the table 0.5, agreed 0.75, implementing 0.75 + 0.25 * progress,
    implemented 1, collapsed 0.

    Examples
    --------
    >>> issue_stage(np.array([0, 1, 3, 4]), np.array([0.0, 0.0, 0.4, 1.0]))
    array([0.  , 0.5 , 0.85, 1.  ])
    """
    return _STAGE[status] + 0.25 * progress * (status == IMPLEMENTING)


def spoiler_threat(stage: FloatArray, salience: FloatArray, vetoed: np.ndarray) -> float:
    """A spoiler's threat: salience-weighted stage of the issues it holds a veto on.

    The arguments are one spoiler's values over the issues.

    ``threat = sum_k s_k v_k stage_k / sum_k s_k v_k`` (0 when it vetoes nothing it cares about).

    Examples
    --------
    >>> float(spoiler_threat(np.array([0.5, 1.0]), np.array([0.5, 0.5]), np.array([1, 0])))
    0.5
    """
    weights = salience * vetoed
    total = np.sum(weights)
    if total > 0:
        return np.sum(weights * stage) / total
    return 0.0
