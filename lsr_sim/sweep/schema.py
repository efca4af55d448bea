"""The schema of sweep files: frozen, validated objects, checked without reading any file.

:class:`SweepSpec` is a whole sweep file; :mod:`lsr_sim.sweep.loading` reads one into it and
checks it against its scenarios. See ``docs/sweeps-contract.md``.
"""

from __future__ import annotations

import math
import typing
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    field_validator,
    model_validator,
)

from lsr_sim.limits import MAX_LEVELS, MAX_SEED, MAX_STEPS
from lsr_sim.limits import MAX_SWEEP_RUNS as MAX_RUNS
from lsr_sim.messages import field_error, number, numbers, quote, shown

__all__ = [
    "DESIGN_TYPES",
    "SAMPLING_DESIGNS",
    "DesignSpec",
    "ParameterSpec",
    "SweepSpec",
    "TrajectorySpec",
    "design_phrase",
]

DESIGN_TYPES = ("grid", "lhs", "sobol", "morris")
SAMPLING_DESIGNS = ("lhs", "sobol", "morris")


def design_phrase(kind: str) -> str:
    """A design type with its article, as messages name it: ``an lhs design``.

    Examples
    --------
    >>> design_phrase("lhs"), design_phrase("sobol")
    ('an lhs design', 'a sobol design')
    """
    return f"an {kind} design" if kind == "lhs" else f"a {kind} design"


Number = Annotated[StrictFloat, Field(allow_inf_nan=False)]
Name = Annotated[str, Field(min_length=1)]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ParameterSpec(_Frozen):
    """How one parameter varies: exactly one of `values`, `range` or `distribution`.

    - ``values: [0.3, 0.5]``: listed values (grid designs);
    - ``range: [low, high, num]``: `num` evenly spaced values (grid designs), or
      ``[low, high]``: bounds (lhs, sobol and morris designs, which also accept the grid form
      and use only its bounds);
    - ``distribution: uniform`` with `low` < `high`, or ``distribution: normal`` with `mean`
      and `sd` > 0 (sampling designs; normal with lhs only).
    """

    values: list[Number] | None = Field(None, min_length=1)
    range: list[StrictInt | StrictFloat] | None = None
    distribution: Literal["uniform", "normal"] | None = None
    low: Number | None = None
    high: Number | None = None
    mean: Number | None = None
    sd: Number | None = Field(None, gt=0.0)

    @field_validator("range", mode="before")
    @classmethod
    def _check_range(cls, value: Any) -> Any:
        if not isinstance(value, list):
            return value  # pydantic reports the type
        if len(value) not in (2, 3):
            raise field_error(
                "",
                f"has {len(value)} item(s); expected [low, high, num] (e.g. [0.1, 0.4, 4]) "
                "or, for lhs, sobol and morris designs, [low, high]",
            )
        for i, item in enumerate(value):
            if isinstance(item, bool) or not isinstance(item, (int, float)):
                raise field_error(f"[{i}]", f"got {shown(item)}; expected a number")
            if not math.isfinite(item):
                raise field_error(f"[{i}]", f"got {shown(item)}; expected a finite number")
        if len(value) == 3:
            num = value[2]
            if not isinstance(num, int):
                raise field_error(
                    "[2]", f"is {quote(num)}; the number of values must be a whole number >= 2"
                )
            if num > MAX_RUNS:
                raise field_error(
                    "[2]",
                    f"is {number(num)}; a range gives at most {MAX_RUNS:,} values "
                    "(lsr_sim.limits.MAX_SWEEP_RUNS)",
                )
            if num < 2:
                raise field_error(
                    "[2]",
                    f"is {num}; a range needs at least 2 values (for one value, "
                    "leave the parameter out or use values: [x])",
                )
        low, high = value[0], value[1]
        if not low < high:
            example = numbers([high, low, *value[2:]]) if high < low else "[0.1, 0.4, 4]"
            raise field_error(
                "",
                f"{numbers(value)}: low {number(low)} is not below high {number(high)}; "
                f"write [low, high{', num' if len(value) == 3 else ''}] with low < high, "
                f"e.g. {example}",
            )
        return [float(low), float(high), *value[2:]]

    @model_validator(mode="after")
    def _one_kind(self) -> ParameterSpec:
        given = [k for k in ("values", "range", "distribution") if getattr(self, k) is not None]
        if len(given) > 1:
            raise field_error(
                given[1],
                f"this parameter has both {given[0]} and {given[1]}; "
                "give exactly one of values, range or distribution",
            )
        extras = {k for k in ("low", "high", "mean", "sd") if getattr(self, k) is not None}
        if not given:
            if extras:
                hint = (
                    "distribution: uniform"
                    if extras <= {"low", "high"}
                    else "distribution: normal"
                    if extras <= {"mean", "sd"}
                    else "distribution: uniform (low, high) or normal (mean, sd)"
                )
                raise field_error(
                    "distribution", f"required field is missing with {_and(extras)}; add {hint}"
                )
            raise field_error(
                "",
                "says nothing to vary; give values: [a, b, ...], range: [low, high, num] "
                "or distribution: uniform (low, high) / normal (mean, sd)",
            )
        kind = given[0]
        if kind in ("values", "range") and extras:
            stray = _first(extras)
            raise field_error(
                stray,
                f"{stray} belongs to a distribution, not to {kind}; remove it "
                "(or write distribution: uniform with low and high)",
            )
        if self.values is not None:
            seen: set[float] = set()
            for i, x in enumerate(self.values):
                if x in seen:
                    raise field_error(
                        f"values[{i}]", f"lists {number(x)} twice; list each value once"
                    )
                seen.add(x)
        # Each distribution takes two fields and refuses the other's two.
        fields = {"uniform": ("low", "high"), "normal": ("mean", "sd")}
        hints = {"uniform": "for mean and sd write distribution: normal"}
        hints["normal"] = "for bounds write distribution: uniform"
        dist = self.distribution
        if dist is not None:
            own = fields[dist]
            (other,) = (f for name, f in fields.items() if name != dist)
            for stray in other:
                if stray in extras:
                    raise field_error(
                        stray,
                        f"a {dist} distribution takes {own[0]} and {own[1]}, not {stray}; "
                        f"{hints[dist]}",
                    )
            for needed in own:
                if needed not in extras:
                    raise field_error(
                        needed,
                        f"required field is missing; a {dist} distribution needs {own[0]} and "
                        f"{own[1]}",
                    )
        if dist == "uniform":
            assert self.low is not None and self.high is not None
            if not self.low < self.high:
                raise field_error(
                    "high",
                    f"is {number(self.high)}, not above low {number(self.low)}; "
                    "a uniform distribution needs low < high",
                )
        return self

    @property
    def kind(self) -> Literal["values", "range", "uniform", "normal"]:
        """``values``, ``range``, ``uniform`` or ``normal``."""
        if self.values is not None:
            return "values"
        if self.range is not None:
            return "range"
        return "normal" if self.distribution == "normal" else "uniform"

    def grid_values(self) -> list[float]:
        """The values of a grid: the listed ones, or `num` evenly spaced ones in the range.

        Spaced values are rounded to 12 significant digits (0.3, not 0.30000000000000004).

        Examples
        --------
        >>> ParameterSpec(range=[0.1, 0.4, 4]).grid_values()
        [0.1, 0.2, 0.3, 0.4]
        """
        if self.values is not None:
            return list(self.values)
        if self.range is None or len(self.range) != 3:
            raise ValueError("only values or range [low, high, num] give grid values")
        low, high, num = self.range
        return [float(f"{x:.12g}") for x in np.linspace(low, high, int(num))]

    def salib(self) -> tuple[list[float], str]:
        """SALib bounds and distribution: ``([low, high], "unif")`` or ``([mean, sd], "norm")``.

        Examples
        --------
        >>> ParameterSpec(distribution="normal", mean=0.3, sd=0.05).salib()
        ([0.3, 0.05], 'norm')
        """
        if self.range is not None:
            return [float(self.range[0]), float(self.range[1])], "unif"
        if self.distribution == "uniform":
            assert self.low is not None and self.high is not None
            return [self.low, self.high], "unif"
        if self.distribution == "normal":
            assert self.mean is not None and self.sd is not None
            return [self.mean, self.sd], "norm"
        raise ValueError("a values list has no bounds; use range or a distribution")


def _and(names: typing.Iterable[str]) -> str:
    order = ("low", "high", "mean", "sd")
    items = sorted(names, key=lambda n: order.index(n) if n in order else len(order))
    return " and ".join(items)


def _first(names: set[str]) -> str:
    return next(n for n in ("low", "high", "mean", "sd") if n in names)


def _powers_of_two_near(n: int) -> tuple[int, int]:
    below = 1 << (n.bit_length() - 1)
    return below, below * 2


class DesignSpec(_Frozen):
    """The experimental design: grid (every combination) or a sampling design.

    `samples` is the number of points (lhs), the base sample size N, a power of two (sobol:
    N(2k+2) runs, or N(k+2) without second order) or the number of trajectories (morris:
    N(k+1) runs), for k parameters.
    """

    type: Literal["grid", "lhs", "sobol", "morris"]
    samples: StrictInt | None = Field(None, ge=1, le=MAX_RUNS)
    second_order: StrictBool = False
    levels: StrictInt = Field(4, le=MAX_LEVELS)

    @model_validator(mode="after")
    def _fits_type(self) -> DesignSpec:
        kind, given = self.type, self.model_fields_set
        if kind == "grid" and self.samples is not None:
            raise field_error(
                "samples",
                "a grid runs every combination of the values and takes no samples; remove "
                "samples (or choose type lhs, sobol or morris)",
            )
        if kind != "sobol" and "second_order" in given:
            raise field_error("second_order", f"only sobol designs take second_order, not {kind}")
        if kind != "morris" and "levels" in given:
            raise field_error("levels", f"only morris designs take levels, not {kind}")
        if kind in SAMPLING_DESIGNS and self.samples is None:
            what = {
                "lhs": "the number of points, e.g. samples: 50",
                "sobol": "the base sample size N, a power of two, e.g. samples: 64",
                "morris": "the number of trajectories, e.g. samples: 10",
            }[kind]
            raise field_error("samples", f"required for {design_phrase(kind)}; add {what}")
        if kind == "lhs" and self.samples is not None and self.samples < 2:
            raise field_error(
                "samples", f"is {self.samples}; a Latin hypercube needs at least 2 points"
            )
        if kind == "sobol" and self.samples is not None and self.samples & (self.samples - 1):
            low, high = _powers_of_two_near(self.samples)
            raise field_error(
                "samples",
                f"is {self.samples}, not a power of two; Sobol' sampling needs one: "
                f"try {low} or {high}",
            )
        if kind == "morris" and (self.levels < 2 or self.levels % 2):
            raise field_error(
                "levels", f"is {self.levels}; Morris levels must be an even number >= 2, e.g. 4"
            )
        return self


class TrajectorySpec(_Frozen):
    """Keep each run's state every `every` steps."""

    every: StrictInt = Field(1, ge=1, le=MAX_STEPS)


class SweepSpec(_Frozen):
    """A whole sweep file (see ``docs/sweeps-contract.md``)."""

    name: Name
    description: str = ""
    scenario: Name | None = None
    scenarios: list[Name] | None = Field(None, min_length=1)
    steps: StrictInt | None = Field(None, gt=0, le=MAX_STEPS)
    parameters: dict[str, ParameterSpec] = Field(min_length=1)
    design: DesignSpec = Field(default_factory=lambda: DesignSpec(type="grid"))
    replications: StrictInt = Field(1, ge=1, le=MAX_RUNS)
    seed: StrictInt = Field(0, ge=0, le=MAX_SEED)
    outcomes: list[Name] | None = Field(None, min_length=1)
    trajectories: TrajectorySpec | None = None

    @model_validator(mode="after")
    def _consistent(self) -> SweepSpec:
        if self.scenario is not None and self.scenarios is not None:
            raise field_error(
                "scenarios",
                "give either scenario (one file) or scenarios (a list of files), not both",
            )
        if self.scenario is None and self.scenarios is None:
            raise field_error(
                "scenario",
                "required field is missing; add scenario: <file> (or scenarios: [a.yaml, b.yaml])",
            )
        for field, names in (("scenarios", self.scenarios), ("outcomes", self.outcomes)):
            seen: set[str] = set()
            for i, name in enumerate(names or []):
                if name in seen:
                    raise field_error(
                        f"{field}[{i}]", f"{quote(name)} is listed twice; list each once"
                    )
                seen.add(name)
        kind = self.design.type
        for path, param in self.parameters.items():
            where = f"parameters.{path}"
            if kind == "grid":
                if param.distribution is not None:
                    raise field_error(
                        f"{where}.distribution",
                        "a grid takes listed values: use values: [a, b, ...] or "
                        "range: [low, high, num], or choose design type lhs, sobol or morris "
                        "to sample a distribution",
                    )
                if param.range is not None and len(param.range) == 2:
                    raise field_error(
                        f"{where}.range",
                        f"{numbers(param.range)} has no number of values; a grid needs "
                        f"[low, high, num], e.g. {numbers([*param.range, 4])}",
                    )
            else:
                if param.values is not None:
                    raise field_error(
                        f"{where}.values",
                        f"{design_phrase(kind)} samples between bounds: use range: [low, high] or "
                        "a distribution (values lists are for grid designs)",
                    )
                if param.distribution == "normal" and kind != "lhs":
                    raise field_error(
                        f"{where}.distribution",
                        f"normal is for lhs designs only; {design_phrase(kind)} needs bounds: use "
                        "distribution: uniform (low, high) or range: [low, high]",
                    )
        runs = self.planned_runs
        if runs > MAX_RUNS:
            points = runs // (self.replications * len(self.scenario_files))
            field = (
                "replications"
                if self.replications > points
                else "parameters"
                if self.design.type == "grid"
                else "design.samples"
            )
            raise field_error(
                field,
                f"this sweep plans {runs:,} runs ({points:,} design points x "
                f"{self.replications:,} replications x {len(self.scenario_files)} scenario(s)), "
                f"above the limit of {MAX_RUNS:,} (lsr_sim.limits.MAX_SWEEP_RUNS); use fewer "
                "values, samples or replications, or split the study into several sweeps",
            )
        return self

    @property
    def planned_runs(self) -> int:
        """Runs this sweep plans, computed from the file alone (nothing is built).

        Grid: the product of the numbers of values; lhs: `samples`; sobol: N(2k+2), or
        N(k+2) without second order; morris: N(k+1); times replications and scenarios.

        Examples
        --------
        >>> SweepSpec.model_validate({"name": "s", "scenario": "b.yaml", "replications": 3,
        ...     "parameters": {"a": {"values": [1.0, 2.0]}, "b": {"range": [0, 1, 5]}}}
        ... ).planned_runs
        30
        """
        k, n = len(self.parameters), self.design.samples or 0
        if self.design.type == "grid":
            points = math.prod(
                len(p.values) if p.values is not None else int((p.range or [0, 0, 1])[2])
                for p in self.parameters.values()
            )
        elif self.design.type == "lhs":
            points = n
        elif self.design.type == "sobol":
            points = n * (2 * k + 2 if self.design.second_order else k + 2)
        else:
            points = n * (k + 1)
        return points * self.replications * len(self.scenario_files)

    @property
    def scenario_files(self) -> list[tuple[str, str]]:
        """(field path, file as written) of each scenario: ``scenario`` or ``scenarios[i]``."""
        if self.scenario is not None:
            return [("scenario", self.scenario)]
        return [(f"scenarios[{i}]", name) for i, name in enumerate(self.scenarios or [])]
