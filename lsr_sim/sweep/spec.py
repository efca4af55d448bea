"""Sweep files: which parameters of which scenarios to vary, and how.

A sweep file is YAML (see ``docs/sweeps-contract.md`` and ``scenarios/sweeps/``)::

    name: riyadh_trust_grid
    scenario: ../baseline.yaml
    steps: 60
    parameters:
      actors.Riyadh.capability: {values: [0.4, 0.7, 1.0]}
      dynamics.trust_loss_rate: {range: [0.1, 0.3, 3]}
    replications: 4

``load_sweep(path)`` reads it with the same strict YAML reader as scenarios, validates it into a
frozen :class:`SweepSpec`, loads every scenario it names and checks everything up front: each
parameter path names a numeric field of every scenario, the design gets what it needs, every
value keeps each scenario valid, the outcomes are summary columns. Any problem is one
:class:`SweepError` naming the sweep file, the field path, what is wrong and what is expected,
so that nothing runs on a bad file.

``apply_parameters(data, params)`` sets dotted paths in a scenario's YAML data; a run
validates the result with :func:`lsr_sim.scenario.scenario_from_dict`.
"""

from __future__ import annotations

import hashlib
import math
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError, PydanticUndefined

from lsr_sim.errors import InputError, ScenarioError
from lsr_sim.scenario.checks import did_you_mean
from lsr_sim.scenario.loader import (
    _choices,
    _is_model,
    _path,
    _resolve,
    _shown,
    _unwrap,
    describe_common_error,
    format_validation_error,
    read_yaml_mapping,
    scenario_from_dict,
    scenario_hash,
)
from lsr_sim.scenario.schema import LINK_TYPES, Scenario
from lsr_sim.sweep.derived import DerivedPathError, apply_derived, is_derived, resolve_derived

__all__ = [
    "DESIGN_TYPES",
    "SAMPLING_DESIGNS",
    "DesignSpec",
    "FieldTarget",
    "LoadedSweep",
    "ParameterSpec",
    "PathError",
    "ScenarioEntry",
    "SweepError",
    "SweepSpec",
    "TrajectorySpec",
    "apply_parameters",
    "load_sweep",
    "resolve_path",
]

DESIGN_TYPES = ("grid", "lhs", "sobol", "morris")
SAMPLING_DESIGNS = ("lhs", "sobol", "morris")
EXAMPLE_SWEEP = "scenarios/sweeps/riyadh_trust_grid.yaml"


class SweepError(InputError):
    """A sweep file that cannot be loaded, does not validate, or does not fit its scenarios."""


class PathError(ValueError):
    """A parameter path that does not name a numeric field of a scenario (message only)."""


# -- the schema --------------------------------------------------------------------------------

Number = Annotated[StrictFloat, Field(allow_inf_nan=False)]
Name = Annotated[str, Field(min_length=1)]


def _fail(field: str, reason: str) -> PydanticCustomError:
    """A validation error at `field` (relative to the model that raises it)."""
    return PydanticCustomError("sweep_field", "{reason}", {"field": field, "reason": reason})


def _num(x: float) -> str:
    """A number as a user wrote it: ``0.3``, ``4`` (integral floats without ``.0``)."""
    if isinstance(x, float) and x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    return f"{x:.12g}" if isinstance(x, float) else str(x)


def _a(kind: str) -> str:
    """The design type with its article: ``an lhs``, ``a sobol``."""
    return f"an {kind}" if kind == "lhs" else f"a {kind}"


def _nums(xs: typing.Iterable[float]) -> str:
    return "[" + ", ".join(_num(x) for x in xs) + "]"


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
            raise _fail(
                "",
                f"has {len(value)} item(s); expected [low, high, num] (e.g. [0.1, 0.4, 4]) "
                "or, for lhs, sobol and morris designs, [low, high]",
            )
        for i, item in enumerate(value):
            if isinstance(item, bool) or not isinstance(item, (int, float)):
                raise _fail(f"[{i}]", f"got {_shown(item)}; expected a number")
            if not math.isfinite(item):
                raise _fail(f"[{i}]", f"got {_shown(item)}; expected a finite number")
        if len(value) == 3:
            num = value[2]
            if not isinstance(num, int):
                raise _fail("[2]", f"is {num!r}; the number of values must be a whole number >= 2")
            if num < 2:
                raise _fail(
                    "[2]",
                    f"is {num}; a range needs at least 2 values (for one value, "
                    "leave the parameter out or use values: [x])",
                )
        low, high = value[0], value[1]
        if not low < high:
            example = _nums([high, low, *value[2:]]) if high < low else "[0.1, 0.4, 4]"
            raise _fail(
                "",
                f"{_nums(value)}: low {_num(low)} is not below high {_num(high)}; "
                f"write [low, high{', num' if len(value) == 3 else ''}] with low < high, "
                f"e.g. {example}",
            )
        return [float(low), float(high), *value[2:]]

    @model_validator(mode="after")
    def _one_kind(self) -> ParameterSpec:
        given = [k for k in ("values", "range", "distribution") if getattr(self, k) is not None]
        if len(given) > 1:
            raise _fail(
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
                raise _fail(
                    "distribution", f"required field is missing with {_and(extras)}; add {hint}"
                )
            raise _fail(
                "",
                "says nothing to vary; give values: [a, b, ...], range: [low, high, num] "
                "or distribution: uniform (low, high) / normal (mean, sd)",
            )
        kind = given[0]
        if kind in ("values", "range") and extras:
            stray = _first(extras)
            raise _fail(
                stray,
                f"{stray} belongs to a distribution, not to {kind}; remove it "
                "(or write distribution: uniform with low and high)",
            )
        if self.values is not None:
            seen: set[float] = set()
            for i, x in enumerate(self.values):
                if x in seen:
                    raise _fail(f"values[{i}]", f"lists {_num(x)} twice; list each value once")
                seen.add(x)
        if self.distribution == "uniform":
            for stray in ("mean", "sd"):
                if stray in extras:
                    raise _fail(
                        stray,
                        f"a uniform distribution takes low and high, not {stray}; "
                        "for mean and sd write distribution: normal",
                    )
            for needed in ("low", "high"):
                if needed not in extras:
                    raise _fail(
                        needed,
                        "required field is missing; a uniform distribution needs low and high",
                    )
            assert self.low is not None and self.high is not None
            if not self.low < self.high:
                raise _fail(
                    "high",
                    f"is {_num(self.high)}, not above low {_num(self.low)}; "
                    "a uniform distribution needs low < high",
                )
        if self.distribution == "normal":
            for stray in ("low", "high"):
                if stray in extras:
                    raise _fail(
                        stray,
                        f"a normal distribution takes mean and sd, not {stray}; "
                        "for bounds write distribution: uniform",
                    )
            for needed in ("mean", "sd"):
                if needed not in extras:
                    raise _fail(
                        needed, "required field is missing; a normal distribution needs mean and sd"
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
    samples: StrictInt | None = Field(None, ge=1)
    second_order: StrictBool = False
    levels: StrictInt = 4

    @model_validator(mode="after")
    def _fits_type(self) -> DesignSpec:
        kind, given = self.type, self.model_fields_set
        if kind == "grid" and self.samples is not None:
            raise _fail(
                "samples",
                "a grid runs every combination of the values and takes no samples; remove "
                "samples (or choose type lhs, sobol or morris)",
            )
        if kind != "sobol" and "second_order" in given:
            raise _fail("second_order", f"only sobol designs take second_order, not {kind}")
        if kind != "morris" and "levels" in given:
            raise _fail("levels", f"only morris designs take levels, not {kind}")
        if kind in SAMPLING_DESIGNS and self.samples is None:
            what = {
                "lhs": "the number of points, e.g. samples: 50",
                "sobol": "the base sample size N, a power of two, e.g. samples: 64",
                "morris": "the number of trajectories, e.g. samples: 10",
            }[kind]
            raise _fail("samples", f"required for {_a(kind)} design; add {what}")
        if kind == "lhs" and self.samples is not None and self.samples < 2:
            raise _fail("samples", f"is {self.samples}; a Latin hypercube needs at least 2 points")
        if kind == "sobol" and self.samples is not None and self.samples & (self.samples - 1):
            low, high = _powers_of_two_near(self.samples)
            raise _fail(
                "samples",
                f"is {self.samples}, not a power of two; Sobol' sampling needs one: "
                f"try {low} or {high}",
            )
        if kind == "morris" and (self.levels < 2 or self.levels % 2):
            raise _fail(
                "levels", f"is {self.levels}; Morris levels must be an even number >= 2, e.g. 4"
            )
        return self


class TrajectorySpec(_Frozen):
    """Keep each run's state every `every` steps."""

    every: StrictInt = Field(1, ge=1)


class SweepSpec(_Frozen):
    """A whole sweep file (see ``docs/sweeps-contract.md``)."""

    name: Name
    description: str = ""
    scenario: Name | None = None
    scenarios: list[Name] | None = Field(None, min_length=1)
    steps: StrictInt | None = Field(None, gt=0, le=100_000)
    parameters: dict[str, ParameterSpec] = Field(min_length=1)
    design: DesignSpec = Field(default_factory=lambda: DesignSpec(type="grid"))
    replications: StrictInt = Field(1, ge=1)
    seed: StrictInt = Field(0, ge=0)
    outcomes: list[Name] | None = Field(None, min_length=1)
    trajectories: TrajectorySpec | None = None

    @model_validator(mode="after")
    def _consistent(self) -> SweepSpec:
        if self.scenario is not None and self.scenarios is not None:
            raise _fail(
                "scenarios",
                "give either scenario (one file) or scenarios (a list of files), not both",
            )
        if self.scenario is None and self.scenarios is None:
            raise _fail(
                "scenario",
                "required field is missing; add scenario: <file> (or scenarios: [a.yaml, b.yaml])",
            )
        for field, names in (("scenarios", self.scenarios), ("outcomes", self.outcomes)):
            seen: set[str] = set()
            for i, name in enumerate(names or []):
                if name in seen:
                    raise _fail(f"{field}[{i}]", f"{name!r} is listed twice; list each once")
                seen.add(name)
        kind = self.design.type
        for path, param in self.parameters.items():
            where = f"parameters.{path}"
            if kind == "grid":
                if param.distribution is not None:
                    raise _fail(
                        f"{where}.distribution",
                        "a grid takes listed values: use values: [a, b, ...] or "
                        "range: [low, high, num], or choose design type lhs, sobol or morris "
                        "to sample a distribution",
                    )
                if param.range is not None and len(param.range) == 2:
                    raise _fail(
                        f"{where}.range",
                        f"{_nums(param.range)} has no number of values; a grid needs "
                        f"[low, high, num], e.g. {_nums([*param.range, 4])}",
                    )
            else:
                if param.values is not None:
                    raise _fail(
                        f"{where}.values",
                        f"{_a(kind)} design samples between bounds: use range: [low, high] or "
                        "a distribution (values lists are for grid designs)",
                    )
                if param.distribution == "normal" and kind != "lhs":
                    raise _fail(
                        f"{where}.distribution",
                        f"normal is for lhs designs only; {_a(kind)} design needs bounds: use "
                        "distribution: uniform (low, high) or range: [low, high]",
                    )
        return self

    @property
    def scenario_files(self) -> list[tuple[str, str]]:
        """(field path, file as written) of each scenario: ``scenario`` or ``scenarios[i]``."""
        if self.scenario is not None:
            return [("scenario", self.scenario)]
        return [(f"scenarios[{i}]", name) for i, name in enumerate(self.scenarios or [])]


# -- validation messages -----------------------------------------------------------------------

_EXPECTED = {
    "float_type": "a number",
    "int_type": "a whole number",
    "int_from_float": "a whole number",
    "bool_type": "true or false",
    "string_type": "text",
    "finite_number": "a finite number",
    "list_type": "a list, e.g. [a, b]",
    "dict_type": "a mapping of fields (key: value)",
    "model_type": "a mapping of fields (key: value)",
    "model_attributes_type": "a mapping of fields (key: value)",
}


def _model_at(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The sweep model holding the last part of an error location."""
    current: list[Any] = [SweepSpec]
    for part in loc[:-1]:
        following: list[Any] = []
        for candidate in current:
            if _is_model(candidate):
                info = candidate.model_fields.get(part)
                if info is not None:
                    following.extend(_unwrap(info.annotation))
            elif typing.get_origin(candidate) in (dict, list):
                args = typing.get_args(candidate)
                following.extend(_unwrap(args[-1] if args else Any))
        current = following
    models = [c for c in current if _is_model(c)]
    return models[0] if models else None


def _join(path: str, field: str) -> str:
    if not field:
        return path
    if field.startswith("["):
        return path + field
    return f"{path}.{field}" if path else field


def _describe(err: Any) -> tuple[str, str, set[tuple[Any, ...]]]:
    """Path, message and the locations of other errors this one explains."""
    loc = tuple(err["loc"])
    kind = err["type"]
    value = err.get("input")
    ctx = err.get("ctx") or {}
    explained: set[tuple[Any, ...]] = set()
    if loc and loc[-1] == "[key]":
        path = _path(loc[:-2])
        return (
            f"{path}.{loc[-2]}",
            f"the name {value!r} must be text; put it in quotes",
            explained,
        )
    path = _path(loc)
    if kind == "sweep_field":
        return _join(path, str(ctx.get("field", ""))), str(ctx.get("reason")), explained

    def known_fields() -> list[str]:
        model = _model_at(loc)
        return list(model.model_fields) if model else []

    common = describe_common_error(loc, kind, value, ctx, known_fields, explained)
    if common is not None:
        return path, common, explained
    if kind == "too_short":
        if path == "parameters":
            return (
                path,
                "is empty; list at least one parameter to vary, e.g. "
                "actors.Riyadh.capability: {values: [0.4, 0.7]}",
                explained,
            )
        return (
            path,
            f"has {ctx.get('actual_length')} item(s), expected at least {ctx.get('min_length')}",
            explained,
        )
    if kind == "string_too_short":
        return path, "is empty text; give a value", explained
    if kind == "literal_error":
        choices = [str(c) for c in _choices(str(ctx.get("expected", "")))]
        hint = did_you_mean(str(value), choices)
        return path, f"is {value!r}{hint}; expected one of {', '.join(choices)}", explained
    if kind in _EXPECTED:
        return path, f"got {_shown(value)}; expected {_EXPECTED[kind]}", explained
    msg = err["msg"][0].lower() + err["msg"][1:] if err["msg"] else "invalid value"
    return path, f"got {_shown(value)}: {msg}", explained


# -- parameter paths ---------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldTarget:
    """A numeric scenario field a parameter path names.

    Attributes
    ----------
    path : str
        The dotted path.
    integer : bool
        Whether the field takes whole numbers only.
    current : float or int or None
        Its value in the scenario (None if unset, e.g. an actor's trust in another it does not
        list).
    """

    path: str
    integer: bool
    current: float | int | None


def _field_by_key(model: type[BaseModel]) -> dict[str, str]:
    """YAML key (alias or name) -> attribute name of each field of `model`."""
    return {(info.alias or name): name for name, info in model.model_fields.items()}


def _leaf_kind(annotation: Any) -> str:
    """``float``, ``int`` or words for a non-numeric field (``text``, ``a list``, ...)."""
    kinds = [t for t in _unwrap(annotation) if t is not type(None)]
    if any(_is_model(t) or typing.get_origin(t) is dict for t in kinds):
        return "a mapping of fields"
    if any(typing.get_origin(t) in (list, tuple) for t in kinds):
        return "a list"
    if bool in kinds:
        return "true/false"
    if float in kinds:
        return "float"
    if int in kinds:
        return "int"
    if any(t is str or typing.get_origin(t) is Literal for t in kinds):
        return "text"
    if any(getattr(t, "__name__", "") == "date" for t in kinds):
        return "a date"
    return "not a number"


def _key_choices(
    scenario: Scenario, trail: tuple[str, ...], done: list[str], value: Mapping[str, Any]
) -> tuple[str, str, list[str]]:
    """What the keys of the mapping at `trail` name (noun, qualifier), and the keys allowed.

    Some mappings accept keys they do not list yet: an actor's positions, salience and trust,
    network links and a strategy's parameters.
    """
    actors, issues = list(scenario.actors), list(scenario.issues)
    if trail == ("actors",):
        return "actor", "", actors
    if trail == ("issues",):
        return "issue", "", issues
    if trail == ("network",):
        return "link type", "", list(LINK_TYPES)
    if trail in (("network", "*"), ("network", "*", "*")):
        return "actor", "", actors
    if trail in (("actors", "*", "positions"), ("actors", "*", "salience")):
        return "issue", "", issues
    if trail == ("actors", "*", "trust"):
        return "actor", "", actors
    if trail == ("actors", "*", "strategy", "params"):
        from lsr_sim.strategies import get_strategy_class

        name = scenario.actors[done[1]].strategy.name
        known = get_strategy_class(name).parameter_names()
        return "parameter", f" of strategy {name!r}", known
    if trail == ("issues", "*", "quantities"):
        return "quantity", f" of issue {done[1]!r}", list(value)
    nouns = {
        ("events",): "event",
        ("incidents",): "incident",
        ("calibration", "patterns"): "calibration pattern",
    }
    return nouns.get(trail, "key"), f" of {'.'.join(done)}", list(value)


def resolve_path(scenario: Scenario, path: str) -> FieldTarget:
    """The numeric field of `scenario` that the dotted `path` names.

    Fields left at their defaults count (``dynamics.trust_loss_rate`` with no ``dynamics``
    section), and so do keys a mapping accepts but does not list yet (an actor's trust in
    another, a strategy's declared parameters). The derived paths of
    :mod:`lsr_sim.sweep.derived` (``dummy``, salience shares, effect values, rounded
    integers) are checked there.

    Parameters
    ----------
    scenario : Scenario
        A validated scenario.
    path : str
        Dotted path, e.g. ``actors.Riyadh.capability``.

    Returns
    -------
    FieldTarget
        The path, whether the field is an integer field, and its current value.

    Raises
    ------
    PathError
        With a message (no location) that says what is wrong, with a did-you-mean.

    Examples
    --------
    >>> from lsr_sim.scenario import load_scenario
    >>> baseline = load_scenario("scenarios/baseline.yaml")
    >>> resolve_path(baseline, "dynamics.talks_timeout")
    FieldTarget(path='dynamics.talks_timeout', integer=True, current=26)
    >>> resolve_path(baseline, "actors.Riyad.capability")
    Traceback (most recent call last):
    ...
    lsr_sim.sweep.spec.PathError: unknown actor 'Riyad' (did you mean 'Riyadh'?); expected one
    of Beirut, Damascus, Riyadh, Hezbollah, Washington
    """
    if is_derived(path):  # a dummy, a salience share, an effect value, a rounded integer
        try:
            derived = resolve_derived(scenario, path)
        except DerivedPathError as exc:
            raise PathError(str(exc)) from None
        return FieldTarget(path, derived.integer, derived.current)
    segments = path.split(".")
    if any(not s.strip() for s in segments):
        raise PathError(
            "is not a dotted field path (an empty part between dots); "
            "write it like actors.Riyadh.capability"
        )
    value: Any = scenario
    annotation: Any = Scenario
    trail: list[str] = []
    done: list[str] = []
    for seg in segments:
        here = ".".join(done) or "the scenario"
        kinds = _unwrap(annotation)
        model = next((t for t in kinds if _is_model(t)), None)
        mapping = next((t for t in kinds if typing.get_origin(t) is dict), None)
        if model is not None:
            if value is None:
                raise PathError(
                    f"{here} is not set in this scenario; add it to the scenario file to vary "
                    "its fields"
                )
            keys = _field_by_key(model)
            if seg not in keys:
                raise PathError(
                    f"unknown field {seg!r}{did_you_mean(seg, keys)} of {here}; "
                    f"expected one of {', '.join(keys)}"
                )
            annotation = model.model_fields[keys[seg]].annotation
            value = getattr(value, keys[seg])
            trail.append(seg)
        elif mapping is not None:
            present = value if isinstance(value, Mapping) else {}
            noun, of, choices = _key_choices(scenario, tuple(trail), done, present)
            if seg not in choices:
                raise PathError(
                    f"unknown {noun} {seg!r}{did_you_mean(seg, choices)}{of}; "
                    f"expected one of {', '.join(choices) or '(none)'}"
                )
            annotation = typing.get_args(mapping)[1]
            value = present.get(seg)
            trail.append("*")
        else:
            kind = _leaf_kind(annotation)
            shown = "a number" if kind in ("float", "int") else kind
            raise PathError(
                f"{here} is {shown}, it has no field {seg!r}; end the path at a numeric field"
            )
        done.append(seg)
    kind = _leaf_kind(annotation)
    if kind not in ("float", "int"):
        hint = ""
        if kind == "a mapping of fields":
            hint = f" (name a field inside it, e.g. {path}.<field>)"
        raise PathError(f"is {kind}, not a number; only numeric fields can be varied{hint}")
    return FieldTarget(path, kind == "int", value)


# -- applying parameters -----------------------------------------------------------------------


def _schema_steps(segments: list[str]) -> list[tuple[Any, Any]]:
    """(annotation, default) of the field or entry at each segment, from the schema alone.

    Unknown segments give ``(None, PydanticUndefined)``.
    """
    steps: list[tuple[Any, Any]] = []
    annotation: Any = Scenario
    for seg in segments:
        kinds = _unwrap(annotation) if annotation is not None else []
        model = next((t for t in kinds if _is_model(t)), None)
        mapping = next((t for t in kinds if typing.get_origin(t) is dict), None)
        default: Any = PydanticUndefined
        if model is not None and seg in _field_by_key(model):
            info = model.model_fields[_field_by_key(model)[seg]]
            annotation = info.annotation
            if not info.is_required():
                default = info.get_default(call_default_factory=True)
        elif mapping is not None:
            annotation = typing.get_args(mapping)[1]
        else:
            annotation = None
        steps.append((annotation, default))
    return steps


def _empty(default: Any) -> dict[str, Any]:
    """The mapping to create for a missing intermediate field with this schema default."""
    if isinstance(default, BaseModel):
        # e.g. an actor's default strategy {name: linear}: keep what the default sets.
        return default.model_dump(mode="json", by_alias=True, exclude_unset=True)
    return {}


def _cast(value: Any, annotation: Any) -> Any:
    """`value` as a plain Python number fitting the schema field (int fields: int if whole)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value
    kind = _leaf_kind(annotation) if annotation is not None else ""
    if kind == "int" and float(value).is_integer():
        return int(value)
    if kind == "float":
        return float(value)
    return value


def _copy_tree(data: Any) -> Any:
    """A copy of nested mappings and lists that shares no container (unlike deepcopy, which
    would keep YAML anchors shared, so that setting one place would set both)."""
    if isinstance(data, Mapping):
        return {key: _copy_tree(value) for key, value in data.items()}
    if isinstance(data, list):
        return [_copy_tree(item) for item in data]
    return data


def apply_parameters(data: Mapping[str, Any], params: Mapping[str, float]) -> dict[str, Any]:
    """A copy of a scenario's YAML data with each dotted path set to its value.

    Missing intermediate mappings are created (an absent ``dynamics`` section; an actor's
    absent ``strategy`` becomes its default, ``{name: linear}``). Values become plain Python
    numbers: ``int`` for whole numbers in integer fields (``dynamics.talks_timeout``),
    ``float`` in float fields. Derived paths (:mod:`lsr_sim.sweep.derived`) are applied
    after the others; a ``dummy`` is applied to nothing. The input is not modified.
    Validate the result with :func:`lsr_sim.scenario.scenario_from_dict`.

    Parameters
    ----------
    data : Mapping
        A scenario's resolved YAML mapping (after ``extends``), e.g. ``LoadedSweep``'s
        ``scenarios[name].data``.
    params : Mapping[str, float]
        Dotted path -> value, e.g. ``{"actors.Riyadh.capability": 0.5}``.

    Returns
    -------
    dict
        The new mapping.

    Raises
    ------
    TypeError
        If a path runs through a value that is not a mapping.

    Examples
    --------
    >>> data = {"actors": {"A": {"capability": 0.5}}}
    >>> apply_parameters(data, {"actors.A.capability": 0.9, "dynamics.talks_timeout": 30.0})
    {'actors': {'A': {'capability': 0.9}}, 'dynamics': {'talks_timeout': 30}}
    >>> data
    {'actors': {'A': {'capability': 0.5}}}
    >>> apply_parameters(data, {"actors.A.strategy.params.exponent": 3})
    {'actors': {'A': {'capability': 0.5, 'strategy': {'name': 'linear',
                                                       'params': {'exponent': 3.0}}}}}
    """
    out: dict[str, Any] = _copy_tree(dict(data))
    derived = {path: value for path, value in params.items() if is_derived(path)}
    for path, value in params.items():
        if path in derived:
            continue
        segments = path.split(".")
        steps = _schema_steps(segments)
        node = out
        for i, seg in enumerate(segments[:-1]):
            child = node.get(seg)
            if child is None:
                child = node[seg] = _empty(steps[i][1])
            elif not isinstance(child, dict):
                done = ".".join(segments[: i + 1])
                raise TypeError(f"cannot set {path}: {done} is {_shown(child)}, not a mapping")
            node = child
        node[segments[-1]] = _cast(value, steps[-1][0])
    apply_derived(out, derived)  # lsr_sim.sweep.derived: after the plain paths
    return out


# -- loading -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScenarioEntry:
    """One scenario of a sweep.

    Attributes
    ----------
    path : Path
        The scenario file (absolute).
    data : dict
        Its resolved YAML mapping (``extends`` merged), to which runs apply parameters.
    scenario : Scenario
        The validated scenario.
    sha256 : str
        :func:`lsr_sim.scenario.scenario_hash` of `scenario`.
    """

    path: Path
    data: dict[str, Any]
    scenario: Scenario
    sha256: str


@dataclass(frozen=True)
class LoadedSweep:
    """A checked sweep file with its scenarios.

    Attributes
    ----------
    spec : SweepSpec
        The validated sweep.
    path : Path
        The sweep file, as given.
    sha256 : str
        SHA-256 of the sweep file's bytes.
    content : dict
        The parsed sweep mapping.
    scenarios : dict[str, ScenarioEntry]
        By scenario name, in the order of the file.
    steps : dict[str, int]
        Steps per scenario: the sweep's `steps`, or the scenario's ``run.steps``.
    """

    spec: SweepSpec
    path: Path
    sha256: str
    content: dict[str, Any]
    scenarios: dict[str, ScenarioEntry]
    steps: dict[str, int]

    def steps_for(self, scenario: str, params: Mapping[str, float]) -> int:
        """Steps of one run: as `steps`, unless the design varies ``run.steps``."""
        if self.spec.steps is None and "run.steps" in params:
            return int(params["run.steps"])
        return self.steps[scenario]


def _read(path: Path) -> dict[str, Any]:
    try:
        return read_yaml_mapping(path, what="sweep")
    except ScenarioError as exc:
        message = exc.message.replace("(see scenarios/baseline.yaml)", f"(see {EXAMPLE_SWEEP})")
        message = message.replace(
            "(name: ..., run: ..., actors: ...)", "(name: ..., scenario: ..., parameters: ...)"
        )
        raise SweepError(exc.source, exc.path, message) from None


def _load_scenario(source: str, field: str, folder: Path, written: str) -> ScenarioEntry:
    target = (folder / written).resolve()
    if not target.exists():
        nearby = [p.name for p in target.parent.glob("*.yaml")] if target.parent.is_dir() else []
        raise SweepError(
            source,
            field,
            f"{written!r} not found (looked for {target}){did_you_mean(target.name, nearby)}; "
            "a relative path is relative to the sweep file's folder",
        )
    if target.is_dir():
        raise SweepError(source, field, f"{written!r} is a folder ({target}); expected a YAML file")
    try:
        data = _resolve(target, ())
        scenario = scenario_from_dict(data, str(target))
    except ScenarioError as exc:
        raise SweepError(source, field, f"scenario {written!r} does not load: {exc}") from None
    return ScenarioEntry(target, data, scenario, scenario_hash(scenario))


def _value_fields(path: str, param: ParameterSpec) -> list[tuple[str, float]]:
    """(sweep field path, value) of every value to check for one parameter."""
    where = f"parameters.{path}"
    if param.values is not None:
        return [(f"{where}.values[{i}]", x) for i, x in enumerate(param.values)]
    if param.range is not None:
        return [(f"{where}.range[0]", param.range[0]), (f"{where}.range[1]", param.range[1])]
    if param.distribution == "uniform":
        assert param.low is not None and param.high is not None
        return [(f"{where}.low", param.low), (f"{where}.high", param.high)]
    assert param.mean is not None
    return [(f"{where}.mean", param.mean)]


def _problem(entry: ScenarioEntry, path: str, value: float) -> str | None:
    """Why setting `path` to `value` makes the scenario invalid (``field: message``), or None."""
    try:
        scenario_from_dict(apply_parameters(entry.data, {path: value}), str(entry.path))
    except ScenarioError as exc:
        return f"{exc.path}: {exc.message}" if exc.path else exc.message
    return None


def _check_value(
    source: str, field: str, entry: ScenarioEntry, path: str, value: float, name: str
) -> None:
    problem = _problem(entry, path, value)
    if problem is not None:
        raise SweepError(source, field, f"{_num(value)} makes {name} invalid: {problem}")


def _check_integer(source: str, path: str, param: ParameterSpec, spec: SweepSpec) -> None:
    where = f"parameters.{path}"
    if spec.design.type != "grid":
        raise SweepError(
            source,
            where,
            f"takes whole numbers only; {_a(spec.design.type)} design would give fractions: "
            "vary it in a grid design (values: [a, b, ...]) or leave it out",
        )
    if param.values is not None:
        for i, x in enumerate(param.values):
            if not x.is_integer():
                raise SweepError(
                    source, f"{where}.values[{i}]", f"is {_num(x)}; {path} takes whole numbers"
                )
        return
    for x in param.grid_values():
        if not x.is_integer():
            assert param.range is not None
            raise SweepError(
                source,
                f"{where}.range",
                f"{_nums(param.range)} gives {_num(x)}, not a whole number; {path} takes whole "
                "numbers: choose num so that the steps are whole, or list values",
            )


def _check_parameters(source: str, spec: SweepSpec, entries: dict[str, ScenarioEntry]) -> None:
    several = len(entries) > 1
    for path, param in spec.parameters.items():
        where = f"parameters.{path}"
        if path == "run.seed":
            raise SweepError(
                source,
                where,
                "run seeds come from the sweep's seed (one per run); vary seed or "
                "replications instead",
            )
        if path == "run.steps" and spec.steps is not None:
            raise SweepError(
                source,
                where,
                f"the sweep's steps: {spec.steps} sets every run's length; remove steps to "
                "vary run.steps",
            )
        integer = False
        for name, entry in entries.items():
            try:
                target = resolve_path(entry.scenario, path)
            except PathError as exc:
                prefix = f"in scenario {name!r}: " if several else ""
                raise SweepError(source, where, f"{prefix}{exc}") from None
            integer = integer or target.integer
        if integer:
            _check_integer(source, path, param, spec)
    for path, param in spec.parameters.items():
        for name, entry in entries.items():
            for field, value in _value_fields(path, param):
                _check_value(source, field, entry, path, value, name)
            if param.range is not None and spec.design.type == "grid":
                for value in param.grid_values()[1:-1]:
                    _check_value(source, f"parameters.{path}.range", entry, path, value, name)
    _check_normal_draws(source, spec, entries)


def _check_normal_draws(source: str, spec: SweepSpec, entries: dict[str, ScenarioEntry]) -> None:
    """The extreme draws of each normal distribution keep every scenario valid."""
    normal = [i for i, p in enumerate(spec.parameters.values()) if p.distribution == "normal"]
    if not normal:
        return
    from lsr_sim.sweep.design import parameter_matrix

    matrix, _ = parameter_matrix(spec)
    paths = list(spec.parameters)
    for i in normal:
        param = spec.parameters[paths[i]]
        for value in (float(matrix[:, i].min()), float(matrix[:, i].max())):
            for name, entry in entries.items():
                problem = _problem(entry, paths[i], value)
                if problem is not None:
                    raise SweepError(
                        source,
                        f"parameters.{paths[i]}",
                        f"normal (mean {_num(param.mean or 0.0)}, sd {_num(param.sd or 0.0)}) "
                        f"draws {_num(value)} in this design (seed {spec.seed}), which makes "
                        f"{name} invalid: {problem}; lower sd, or use distribution: uniform",
                    )


def _check_outcomes(source: str, spec: SweepSpec, entries: dict[str, ScenarioEntry]) -> None:
    if spec.outcomes is None:
        return
    from lsr_sim.experiment import summary_columns

    several = len(entries) > 1
    for name, entry in entries.items():
        numeric = summary_columns(entry.scenario)
        every = summary_columns(entry.scenario, numeric=False)
        for i, outcome in enumerate(spec.outcomes):
            if outcome in numeric:
                continue
            prefix = f"in scenario {name!r}: " if several else ""
            if outcome in every:
                message = f"{outcome!r} is a text column; outcomes must be numeric"
            else:
                message = f"unknown outcome {outcome!r}{did_you_mean(outcome, numeric)}"
            raise SweepError(
                source,
                f"outcomes[{i}]",
                f"{prefix}{message}; expected summary columns: {', '.join(numeric)}",
            )


def load_sweep(path: str | Path) -> LoadedSweep:
    """Read, validate and check a sweep file and load its scenarios.

    Everything is checked before anything runs: the fields, the scenarios, each parameter path
    (a numeric field of every scenario), the design's needs, every value (it must keep each
    scenario valid) and the outcomes.

    Parameters
    ----------
    path : str or Path
        A sweep YAML file; scenario paths in it are relative to its folder.

    Returns
    -------
    LoadedSweep
        The sweep, its scenarios and their data.

    Raises
    ------
    SweepError
        One line: ``<sweep file>: <field path>: <what is wrong; what is expected>``.

    Examples
    --------
    >>> loaded = load_sweep("scenarios/sweeps/riyadh_trust_grid.yaml")
    >>> loaded.spec.design.type, list(loaded.scenarios), loaded.steps
    ('grid', ['baseline'], {'baseline': 60})
    """
    path = Path(path)
    source = str(path)
    content = _read(path)
    sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
    try:
        spec = SweepSpec.model_validate(content)
    except ValidationError as exc:
        field, message = format_validation_error(exc, _describe)
        raise SweepError(source, field, message) from None
    entries: dict[str, ScenarioEntry] = {}
    first_field: dict[str, str] = {}
    for field, written in spec.scenario_files:
        entry = _load_scenario(source, field, path.parent, written)
        name = entry.scenario.name
        if name in entries:
            raise SweepError(
                source,
                field,
                f"scenario {written!r} is named {name!r}, like {first_field[name]}; each "
                "scenario of a sweep needs its own name (set name: in the file)",
            )
        entries[name] = entry
        first_field[name] = field
    _check_parameters(source, spec, entries)
    _check_outcomes(source, spec, entries)
    steps = {
        name: spec.steps if spec.steps is not None else entry.scenario.run.steps
        for name, entry in entries.items()
    }
    return LoadedSweep(spec, path, sha256, content, entries, steps)
