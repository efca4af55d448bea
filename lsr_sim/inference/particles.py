"""Pure functions over ABC particles, without pyabc: the sampler (:mod:`lsr_sim.inference.smc`)
and the summaries (:mod:`lsr_sim.inference.run`) share them, and their examples run as
doctests without importing pyabc (seconds) at collection."""

from __future__ import annotations

import math

import numpy as np

__all__ = ["from_sampler_scale", "kish_ess"]


def kish_ess(weights: np.ndarray) -> float:
    """Kish's effective sample size of importance weights.

    Examples
    --------
    >>> kish_ess(np.ones(10)), kish_ess(np.array([1.0, 0.0, 0.0]))
    (10.0, 1.0)
    """
    w = np.asarray(weights, dtype=float)
    return float(w.sum() ** 2 / np.sum(w**2))


def from_sampler_scale(values: dict[str, float], logged: frozenset[str]) -> dict[str, float]:
    """Parameter values as the scenario takes them: `logged` ones are sampled as logs.

    Examples
    --------
    >>> from_sampler_scale({"a": 0.0, "b": 0.5}, frozenset({"a"}))
    {'a': 1.0, 'b': 0.5}
    """
    return {key: math.exp(v) if key in logged else v for key, v in values.items()}
