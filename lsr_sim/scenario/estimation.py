"""The estimation part of a scenario's ``calibration`` section: priors and ABC settings.

.. code-block:: yaml

    calibration:
      priors:
        dynamics.betrayal_weight: {distribution: uniform, low: 1.0, high: 4.0}
        dynamics.mediation_rate: {distribution: loguniform, low: 0.01, high: 1.0}
        actors.Riyadh.capability: {distribution: beta, a: 8, b: 2}
        dynamics.veto_strength: {distribution: truncnorm, mean: 1.0, sd: 0.3, low: 0.0}
      observations: ../data/observations/source_facts.yaml   # or the facts inline
      abc: {population: 200, generations: 6, replications: 2, seed: 1}

Plain data, validated by pydantic; :mod:`lsr_sim.inference` checks the prior paths and
supports against the scenario and runs the estimation. Nothing here reads files.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, model_validator

__all__ = ["DISTRIBUTIONS", "ABCSettings", "Prior"]

DISTRIBUTIONS = ("uniform", "loguniform", "normal", "truncnorm", "beta")

Number = Annotated[StrictFloat, Field(allow_inf_nan=False)]
Positive = Annotated[StrictFloat, Field(gt=0.0, allow_inf_nan=False)]

# The fields each distribution takes: required, then optional.
_FIELDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "uniform": (("low", "high"), ()),
    "loguniform": (("low", "high"), ()),
    "normal": (("mean", "sd"), ()),
    "truncnorm": (("mean", "sd"), ("low", "high")),
    "beta": (("a", "b"), ("low", "high")),
}
_EXAMPLES = {
    "uniform": "{distribution: uniform, low: 0.0, high: 0.2}",
    "loguniform": "{distribution: loguniform, low: 0.01, high: 1.0}",
    "normal": "{distribution: normal, mean: 1.0, sd: 0.2}",
    "truncnorm": "{distribution: truncnorm, mean: 0.1, sd: 0.05, low: 0.0, high: 1.0}",
    "beta": "{distribution: beta, a: 2, b: 5} (on [0, 1], or on [low, high])",
}


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Prior(_Frozen):
    """A prior distribution over one scenario input (named by its dotted path).

    - ``uniform`` on [`low`, `high`]; ``loguniform``: uniform in log on [`low`, `high`],
      0 < low;
    - ``normal`` (`mean`, `sd`); ``truncnorm``: normal cut to [`low`, `high`] (either may be
      left out for a one-sided cut);
    - ``beta`` (`a`, `b`) on [0, 1], or stretched onto [`low`, `high`].
    """

    distribution: Literal["uniform", "loguniform", "normal", "truncnorm", "beta"] = Field(
        description="uniform, loguniform (low, high); normal (mean, sd); truncnorm (mean, sd, "
        "low and/or high); beta (a, b, optionally low and high)."
    )
    low: Number | None = Field(
        None, description="Lower end: uniform, loguniform (> 0), truncnorm cut, beta's stretch."
    )
    high: Number | None = Field(
        None, description="Upper end: uniform, loguniform, truncnorm cut, beta's stretch."
    )
    mean: Number | None = Field(None, description="Mean of a normal or truncnorm prior.")
    sd: Positive | None = Field(
        None, description="Standard deviation of a normal or truncnorm prior (> 0)."
    )
    a: Positive | None = Field(None, description="First shape parameter of a beta prior (> 0).")
    b: Positive | None = Field(None, description="Second shape parameter of a beta prior (> 0).")

    @model_validator(mode="after")
    def _fields_fit(self) -> Prior:
        kind = self.distribution
        required, optional = _FIELDS[kind]
        given = {
            name
            for name in ("low", "high", "mean", "sd", "a", "b")
            if getattr(self, name) is not None
        }
        for name in required:
            if name not in given:
                raise ValueError(
                    f"a {kind} prior needs {' and '.join(required)} ({name} is missing), "
                    f"e.g. {_EXAMPLES[kind]}"
                )
        stray = sorted(given - set(required) - set(optional))
        if stray:
            raise ValueError(
                f"a {kind} prior takes {', '.join(required + optional)}, not {stray[0]}; "
                f"e.g. {_EXAMPLES[kind]}"
            )
        if self.low is not None and self.high is not None and not self.low < self.high:
            raise ValueError(f"low {self.low} is not below high {self.high}; give low < high")
        if kind == "loguniform" and self.low is not None and self.low <= 0:
            raise ValueError(
                f"a loguniform prior needs 0 < low (got low {self.low}); use uniform to include 0"
            )
        if kind == "truncnorm":
            lo, hi = self.support
            assert self.mean is not None and self.sd is not None
            if lo == -math.inf and hi == math.inf:
                raise ValueError(
                    "a truncnorm prior needs low, high or both (without them write normal)"
                )
            # A cut more than 8 sd from the mean leaves nothing to sample.
            if (lo - self.mean) / self.sd > 8 or (self.mean - hi) / self.sd > 8:
                raise ValueError(
                    f"mean {self.mean} lies more than 8 sd outside [{lo}, {hi}]; move the mean "
                    "or widen sd"
                )
        return self

    @property
    def support(self) -> tuple[float, float]:
        """The interval the prior can draw from (infinite ends for a normal)."""
        kind = self.distribution
        if kind in ("uniform", "loguniform"):
            assert self.low is not None and self.high is not None
            return self.low, self.high
        if kind == "beta":
            return (
                0.0 if self.low is None else self.low,
                1.0 if self.high is None else self.high,
            )
        lo = -math.inf if self.low is None else self.low
        hi = math.inf if self.high is None else self.high
        return lo, hi


class ABCSettings(_Frozen):
    """How the estimation runs (ABC-SMC, then the model comparison and predictive checks)."""

    population: StrictInt = Field(
        200, ge=10, le=100_000, description="Accepted particles per generation."
    )
    generations: StrictInt = Field(
        6, ge=1, le=100, description="At most this many ABC-SMC generations."
    )
    quantile: StrictFloat = Field(
        0.5,
        gt=0.0,
        lt=1.0,
        description="Each generation's threshold is this weighted quantile of the last "
        "generation's distances.",
    )
    min_epsilon: StrictFloat = Field(
        0.0,
        ge=0.0,
        le=1.0,
        description="Stop once the threshold is at most this (0: every fact holds exactly).",
    )
    min_acceptance_rate: StrictFloat = Field(
        0.005, ge=0.0, le=1.0, description="Stop when a generation accepts fewer than this."
    )
    replications: StrictInt = Field(
        1,
        ge=1,
        le=1000,
        description="Runs (seeds) per parameter set; the share within the threshold "
        "weights the particle.",
    )
    kernel_scale: StrictFloat = Field(
        1.0,
        gt=0.0,
        le=10.0,
        description="Factor on the covariance of the ABC-SMC proposal kernel (a multivariate "
        "normal with Silverman's bandwidth): above 1, broader proposals keep the importance "
        "weights even when there are many inputs.",
    )
    seed: StrictInt = Field(0, ge=0, le=2**63 - 1, description="Master seed of the estimation.")
    predictive_draws: StrictInt = Field(
        500,
        ge=10,
        le=1_000_000,
        description="Parameter draws per model for the prior predictive (model comparison) "
        "and for the posterior predictive checks.",
    )
    threshold: StrictFloat | None = Field(
        None,
        ge=0.0,
        le=1.0,
        description="Common threshold of the model comparison (default: the smallest "
        "distance that lets at least 10 prior-predictive runs of all models through).",
    )
    weights: dict[str, Positive] = Field(
        default_factory=dict, description="Fact name -> weight in the distance (default 1)."
    )
    scales: dict[str, Positive] = Field(
        default_factory=dict,
        description="Measured fact -> the error that counts as one violated fact "
        "(default max(|observed value|, 1)).",
    )
