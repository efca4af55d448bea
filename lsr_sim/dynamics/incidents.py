"""Random incidents (border clashes, raids, strikes): how likely each is per step."""

from __future__ import annotations

import numpy as np

from lsr_sim.types import Number

__all__ = ["incident_probability"]


def incident_probability(
    rate: Number, spoiler_driven: Number, pressure: Number, boost: Number
) -> Number:
    """Per-step chance of an incident: ``rate``, times ``1 + boost * pressure`` if a spoiler
    drives it, capped at 1.

    Examples
    --------
    >>> incident_probability(np.array([0.1, 0.1]), np.array([False, True]), 0.5, 2.0)
    array([0.1, 0.2])
    """
    # spoiler_driven as 0 or 1 rather than np.where: the same numbers for finite pressure, and
    # compiled with scalars it allocates no 0-d arrays.
    scaled = rate * (1.0 + spoiler_driven * (boost * pressure))
    return np.minimum(scaled, 1.0)
