"""Every free numeric input of a scenario, by sweep path, with a plausible range.

:func:`free_inputs` lists what a global sensitivity analysis should vary: each number a
scenario's author chose (or left at its documented default) that a run reads, as a sweep
parameter path (:mod:`lsr_sim.scenario.paths`, :mod:`lsr_sim.scenario.derived`), with a range; and
every numeric field it leaves out, with the reason.

Inputs (for each actor, issue, link, event, ... of the scenario):

- actors: ``capability``, ``reliability``, ``resolve``, ``reservation``, ``reciprocity``,
  ``attention``; each listed position and trust entry; each strategy parameter the strategy
  declares (listed or at its default); the salience of each issue the actor cares about, as
  ``actors.<a>.salience_share.<issue>`` (saliences sum to 1: the share is set and the row
  renormalised, see :mod:`lsr_sim.scenario.derived`);
- network: each listed link weight;
- issues: ``status_quo``, ``implementation_rate``; each quantity's ``spontaneous_rate`` when
  it is not 0;
- incidents: ``rate`` and each numeric effect value; events: each numeric effect value
  (``events.<e>.effects.<i>.<field>``);
- dynamics: every float field, and every integer field as ``rounded.dynamics.<field>``.

Ranges (the rule; ``RangeRules`` holds its two numbers, a ranges file can change them):

1. a value v other than 0 varies over [v - h|v|, v + h|v|], h = ``relative`` (0.5: +/-50%);
2. a value of 0 varies over [0, z U], z = ``zero_share`` (0.25), U the field's declared
   upper bound (1 where it declares none): a zero moved to the far end of its scale (a
   spoiler's position of 0 on the border moved to 1) would be another actor, not a
   perturbation;
3. the range is clipped to the field's declared bounds (e.g. [0, 1] for trust);
4. an end that still makes the scenario invalid (a strategy's own parameter checks, a status
   quo above an issue's first phase) is moved toward the value, by bisection, until the
   scenario validates.

A ranges file (:func:`load_range_rules`) sets ``relative`` and ``zero_share``, gives any
input its own range (also one left out by default, such as a zero spontaneous rate), and
excludes inputs by glob pattern with a reason::

    relative: 0.5
    zero_share: 0.25
    ranges:
      dynamics.veto_strength: [0.5, 3.0]
    exclude:
      "actors.*.strategy.params.floor": the floor of a concession is a modelling choice
"""

from __future__ import annotations

import fnmatch
import math
import os
import typing
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, StrictFloat, ValidationError
from pydantic.fields import FieldInfo

from lsr_sim.errors import InputError, ScenarioError
from lsr_sim.messages import Description, FileKind, format_validation_error, quote
from lsr_sim.scenario import read_yaml_mapping, scenario_from_dict
from lsr_sim.scenario.derived import ROUNDED, SALIENCE_SHARE, integer_dynamics
from lsr_sim.scenario.paths import (
    PathError,
    apply_parameters,
    resolve_path,
    unread_by_trust_model,
)
from lsr_sim.scenario.schema import (
    Actor,
    Dynamics,
    Incident,
    Issue,
    Quantity,
    Scenario,
)

__all__ = [
    "ACTOR_FIELDS",
    "DEFAULT_EXCLUDE",
    "RANGES_FILE",
    "ExcludedInput",
    "FreeInput",
    "InputSet",
    "RangeRules",
    "free_inputs",
    "load_range_rules",
]

#: The numeric fields of every actor that are inputs.
ACTOR_FIELDS = ("capability", "reliability", "resolve", "reservation", "reciprocity", "attention")

#: Inputs left out by default (glob pattern -> reason); a ranges file adds its own.
DEFAULT_EXCLUDE: Mapping[str, str] = {
    "actors.*.strategy.params.tolerance": (
        "a numerical tolerance (|concession| below it counts as standing still), not a behaviour"
    ),
}

#: Bisection steps that move an invalid end of a range toward the value (rule 4).
_BISECTIONS = 30


@dataclass(frozen=True)
class FreeInput:
    """One input to vary.

    Attributes
    ----------
    path : str
        Its sweep parameter path.
    group : str
        What kind of input it is (``actor``, ``position``, ``trust``, ``salience share``,
        ``strategy``, ``network``, ``issue``, ``quantity``, ``incident``, ``incident
        effect``, ``event effect``, ``dynamics``).
    value : float
        Its value in the scenario.
    low, high : float
        The range, low < high.
    rule : str
        How the range was set (``+/-50%``, ``zero: [0, 0.25]``, ``clipped to [0, 1]``,
        ``narrowed to keep the scenario valid``, ``ranges file``).
    """

    path: str
    group: str
    value: float
    low: float
    high: float
    rule: str


@dataclass(frozen=True)
class ExcludedInput:
    """A numeric field (or a pattern of them) that is not varied, and why."""

    path: str
    reason: str


@dataclass(frozen=True)
class RangeRules:
    """How ranges are set (see the module docstring), as read from a ranges file.

    Attributes
    ----------
    relative : float
        Half width of a range, relative to the value (0.5: +/-50%).
    zero_share : float
        A value of 0 varies over [0, zero_share * upper bound].
    ranges : mapping of str to (float, float)
        Path -> its own range.
    exclude : mapping of str to str
        Glob pattern -> reason (added to :data:`DEFAULT_EXCLUDE`).
    source : str
        The ranges file, or ``""``.
    """

    relative: float = 0.5
    zero_share: float = 0.25
    ranges: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    exclude: Mapping[str, str] = field(default_factory=dict)
    source: str = ""


@dataclass(frozen=True)
class InputSet:
    """The inputs of a scenario and the numeric fields left out."""

    inputs: tuple[FreeInput, ...]
    excluded: tuple[ExcludedInput, ...]
    rules: RangeRules

    @property
    def paths(self) -> list[str]:
        return [i.path for i in self.inputs]

    def table(self) -> pd.DataFrame:
        """One row per input: ``path``, ``group``, ``value``, ``low``, ``high``, ``rule``."""
        columns = ["path", "group", "value", "low", "high", "rule"]
        return pd.DataFrame([vars(i) for i in self.inputs], columns=columns)

    def excluded_table(self) -> pd.DataFrame:
        """One row per field or pattern left out: ``path``, ``reason``."""
        return pd.DataFrame([vars(e) for e in self.excluded], columns=["path", "reason"])


# -- the ranges file ---------------------------------------------------------------------------

Share = Annotated[StrictFloat, Field(gt=0.0, le=1.0)]


class _RangesFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    relative: Share = 0.5
    zero_share: Share = 0.25
    ranges: dict[str, tuple[StrictFloat, StrictFloat]] = Field(default_factory=dict)
    exclude: dict[str, Annotated[str, Field(min_length=1)]] = Field(default_factory=dict)


_RANGES_HINTS = {
    "ranges": "expected [low, high], two numbers with low < high, e.g. [0.1, 0.4]",
    "exclude": "expected the reason it is left out, as text",
    "relative": "expected a number in (0, 1], e.g. 0.5 for +/-50%",
    "zero_share": "expected a number in (0, 1], e.g. 0.25",
}


#: Ranges files, for messages.
RANGES_FILE = FileKind(
    "ranges",
    "lsr_sim/sweep/inputs.py",  # its description shows a ranges file
    "relative: ..., ranges: ..., exclude: ...",
    InputError,
)

# Errors phrased as in every other file (lsr_sim.messages): a null, an unknown or missing
# field, a number out of bounds.
_COMMON_KINDS = {
    "extra_forbidden",
    "missing",
    "greater_than",
    "greater_than_equal",
    "less_than",
    "less_than_equal",
}


def _range_input(err: Any) -> str:
    value = err.get("input")
    return (
        quote(value)
        if len(err["loc"]) > 2 and err["type"] != "missing"
        else "a range that is not two numbers"
    )


def _describe(err: Any, path: str) -> Description | None:
    """A ranges file's own phrasing of a validation error, or None for the common ones."""
    loc = tuple(err["loc"])
    if len(loc) >= 2 and loc[0] == "ranges":  # the whole range, not one of its items
        return f"ranges.{loc[1]}", f"got {_range_input(err)}; {_RANGES_HINTS['ranges']}", set()
    if err.get("input") is None or err["type"] in _COMMON_KINDS:
        return None
    hint = _RANGES_HINTS.get(str(loc[0]) if loc else "", "see lsr_sim.sweep.inputs")
    return path, f"got {quote(err.get('input'))}; {hint}", set()


def load_range_rules(path: str | os.PathLike[str]) -> RangeRules:
    """Read a ranges file (see the module docstring) into :class:`RangeRules`.

    The file's own checks (a range with low < high, a path not both ranged and excluded)
    are made here; whether its paths fit a scenario is checked by :func:`free_inputs`.

    Raises
    ------
    InputError
        One line: ``<file>: <field>: <what is wrong; what is expected>``.
    """
    source = str(path)
    data = read_yaml_mapping(Path(path), RANGES_FILE)
    try:
        parsed = _RangesFile.model_validate(data)
    except ValidationError as exc:
        where, message = format_validation_error(exc, _RangesFile, _describe)
        raise InputError(source, where, message) from None
    for key, (low, high) in parsed.ranges.items():
        if not (math.isfinite(low) and math.isfinite(high)) or not low < high:
            raise InputError(
                source,
                f"ranges.{key}",
                f"[{low:g}, {high:g}]: expected [low, high] with low < high",
            )
        if key in parsed.exclude:
            raise InputError(
                source, f"exclude.{key}", "is also given a range; either vary it or exclude it"
            )
    return RangeRules(
        relative=parsed.relative,
        zero_share=parsed.zero_share,
        ranges=dict(parsed.ranges),
        exclude=dict(parsed.exclude),
        source=source,
    )


# -- declared bounds ---------------------------------------------------------------------------


def _constraints(items: typing.Iterable[Any]) -> tuple[float, float]:
    low, high = -math.inf, math.inf
    for item in items:
        if isinstance(item, FieldInfo):
            sub = _constraints(item.metadata)
            low, high = max(low, sub[0]), min(high, sub[1])
        for name in ("ge", "gt"):
            if getattr(item, name, None) is not None:
                low = max(low, float(getattr(item, name)))
        for name in ("le", "lt"):
            if getattr(item, name, None) is not None:
                high = min(high, float(getattr(item, name)))
    return low, high


def _field_bounds(model: type[BaseModel], name: str) -> tuple[float, float]:
    """Declared (low, high) of a model field, or of the values of a mapping field."""
    info = model.model_fields[name]
    annotation = info.annotation
    items: list[Any] = list(info.metadata)
    while typing.get_origin(annotation) is dict:
        annotation = typing.get_args(annotation)[1]
    if typing.get_origin(annotation) is Annotated:
        items += list(typing.get_args(annotation)[1:])
    return _constraints(items)


_NETWORK_BOUNDS = _field_bounds(Scenario, "network")


# -- the candidates ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Candidate:
    path: str
    group: str
    value: float
    bounds: tuple[float, float]


def _candidates(scenario: Scenario) -> Iterator[_Candidate | ExcludedInput]:
    """Every numeric field of the scenario: as an input to vary, or left out with a reason."""
    from lsr_sim.strategies import get_strategy_class

    for name in ("seed", "steps", "step_days"):
        yield ExcludedInput(
            f"run.{name}",
            "the sweep's master seed sets every run's seed (replications average over seeds)"
            if name == "seed"
            else "the calendar and horizon of a run (structure: outcomes are read at its end)",
        )
    actors = list(scenario.actors)
    for a, actor in scenario.actors.items():
        base = f"actors.{a}"
        for name in ACTOR_FIELDS:
            yield _Candidate(
                f"{base}.{name}", "actor", getattr(actor, name), _field_bounds(Actor, name)
            )
        for key, value in actor.positions.items():
            yield _Candidate(
                f"{base}.positions.{key}", "position", value, _field_bounds(Actor, "positions")
            )
        for name in scenario.issues:
            if name not in actor.positions:
                yield ExcludedInput(
                    f"{base}.positions.{name}",
                    "not listed: the actor sits at the issue's status quo (which is varied)",
                )
        cares = {k: v for k, v in actor.salience.items() if v > 0}
        for key, value in actor.salience.items():
            path = f"{base}.{SALIENCE_SHARE}.{key}"
            if value <= 0:
                yield ExcludedInput(path, "salience 0: the actor does not care (structure)")
            elif len(cares) == 1:
                yield ExcludedInput(
                    path, "the actor's only issue: its share is 1 whatever it is set to"
                )
            else:
                yield _Candidate(path, "salience share", value, (0.0, 1.0))
        for other in actors:
            if other == a:
                continue
            if other in actor.trust:
                yield _Candidate(
                    f"{base}.trust.{other}",
                    "trust",
                    actor.trust[other],
                    _field_bounds(Actor, "trust"),
                )
            else:
                yield ExcludedInput(
                    f"{base}.trust.{other}",
                    "not listed: starts at dynamics.default_trust (which is varied)",
                )
        cls = get_strategy_class(actor.strategy.name)
        defaults = cls()
        for param in cls.parameter_names():
            value = actor.strategy.params.get(param, getattr(defaults, param))
            yield _Candidate(
                f"{base}.strategy.params.{param}", "strategy", float(value), (-math.inf, math.inf)
            )
    yield ExcludedInput(
        "actors.*.salience.*",
        "saliences sum to 1 per actor: varied as actors.<a>.salience_share.<issue> (set, then "
        "renormalised)",
    )
    for kind, links in scenario.network.items():
        for source, targets in links.items():
            for target, weight in targets.items():
                yield _Candidate(
                    f"network.{kind}.{source}.{target}", "network", weight, _NETWORK_BOUNDS
                )
    yield ExcludedInput(
        "network.*.*.*", "links the scenario does not list do not exist (structure)"
    )
    for k, issue in scenario.issues.items():
        base = f"issues.{k}"
        for name in ("status_quo", "implementation_rate"):
            yield _Candidate(
                f"{base}.{name}", "issue", getattr(issue, name), _field_bounds(Issue, name)
            )
        if issue.phases:
            yield ExcludedInput(
                f"{base}.phases",
                "where each phase of a deal ends, tied to the quantities' ranges (structure)",
            )
        for q, quantity in issue.quantities.items():
            qbase = f"{base}.quantities.{q}"
            yield ExcludedInput(
                f"{qbase}.total",
                f"a count from the sources ({quantity.total:g} {quantity.unit}): it converts "
                "progress into people and is never read by the dynamics",
            )
            yield ExcludedInput(
                f"{qbase}.range", "the part of the scale the quantity covers (structure)"
            )
            path = f"{qbase}.spontaneous_rate"
            if quantity.spontaneous_rate > 0:
                yield _Candidate(
                    path,
                    "quantity",
                    quantity.spontaneous_rate,
                    _field_bounds(Quantity, "spontaneous_rate"),
                )
            else:
                yield ExcludedInput(
                    path,
                    "0: delivered only by agreement (a structural choice); give it a range in "
                    "a ranges file to vary it",
                )
    for section, entries in (("incidents", scenario.incidents), ("events", scenario.events)):
        for name, entry in entries.items():
            base = f"{section}.{name}"
            if isinstance(entry, Incident):
                yield _Candidate(
                    f"{base}.rate", "incident", entry.rate, _field_bounds(Incident, "rate")
                )
            group = "incident effect" if section == "incidents" else "event effect"
            for i, effect in enumerate(entry.effects):
                model = type(effect)
                for fname, info in model.model_fields.items():
                    if info.annotation is float:
                        yield _Candidate(
                            f"{base}.effects.{i}.{fname}",
                            group,
                            getattr(effect, fname),
                            _field_bounds(model, fname),
                        )
    yield ExcludedInput("events.*.date", "dates are facts from the sources (not numbers to vary)")
    integers = integer_dynamics()
    for name, info in Dynamics.model_fields.items():
        value = getattr(scenario.dynamics, name)
        if name in integers:
            yield _Candidate(
                f"{ROUNDED}.dynamics.{name}",
                "dynamics",
                float(value),
                _field_bounds(Dynamics, name),
            )
        elif info.annotation is float:
            unread = unread_by_trust_model(scenario, f"dynamics.{name}")
            if unread is not None:  # inert under this trust model (tests/test_inertness.py)
                yield ExcludedInput(f"dynamics.{name}", unread)
                continue
            yield _Candidate(f"dynamics.{name}", "dynamics", value, _field_bounds(Dynamics, name))
    yield ExcludedInput(
        "dynamics.trust_model, dynamics.protocol, dynamics.package_deals",
        "choices of submodel, not numbers: compare them as variants",
    )
    if scenario.calibration is not None:
        yield ExcludedInput("calibration.*", "calibration targets: never read by a run")


# -- ranges ------------------------------------------------------------------------------------


def _fmt(x: float) -> str:
    return f"{x:.6g}"


def _round(x: float) -> float:
    """A range end as written: 12 significant digits (0.3, not 0.30000000000000004)."""
    return float(f"{x:.12g}")


def _default_range(candidate: _Candidate, rules: RangeRules) -> tuple[float, float, str]:
    """Rules 1 to 3 of the module docstring: (low, high, rule)."""
    v = candidate.value
    lower, upper = candidate.bounds
    if v != 0:
        half = rules.relative * abs(v)
        low, high = v - half, v + half
        rule = f"+/-{rules.relative:.0%}"
    else:
        top = upper if math.isfinite(upper) else 1.0
        low, high = 0.0, rules.zero_share * top
        rule = f"zero: [0, {_fmt(high)}]"
    clipped_low, clipped_high = max(low, lower), min(high, upper)
    if (clipped_low, clipped_high) != (low, high):
        rule += f", clipped to [{_fmt(lower)}, {_fmt(upper)}]"
    return _round(clipped_low), _round(clipped_high), rule


class _Validator:
    """Whether setting one path to a value keeps the scenario valid (rule 4)."""

    def __init__(self, scenario: Scenario) -> None:
        self.data = scenario.model_dump(mode="python", by_alias=True, exclude_unset=True)

    def problem(self, path: str, value: float) -> str | None:
        try:
            scenario_from_dict(apply_parameters(self.data, {path: value}))
        except ScenarioError as exc:
            return f"{exc.path}: {exc.message}" if exc.path else exc.message
        return None

    def valid_end(self, path: str, inside: float, end: float) -> float:
        """`end` if valid, else the valid point nearest to it on the way to `inside`."""
        if self.problem(path, end) is None:
            return end
        good, bad = inside, end
        for _ in range(_BISECTIONS):
            middle = (good + bad) / 2
            if self.problem(path, middle) is None:
                good = middle
            else:
                bad = middle
        return self._short(path, inside, end, good)

    def _short(self, path: str, inside: float, end: float, good: float) -> float:
        """The shortest decimal, cut toward `inside`, within 0.1% of the range of `good` that
        is valid (0.0999 rather than 0.0999999990686774)."""
        if good == 0:
            return good
        tolerance = 1e-3 * abs(end - inside)
        magnitude = math.floor(math.log10(abs(good)))
        for digits in range(1, 13):
            scale = 10.0 ** (magnitude - digits + 1)
            cut = math.floor(good / scale) if inside < good else math.ceil(good / scale)
            candidate = float(f"{cut * scale:.12g}")
            if abs(candidate - good) <= tolerance and self.problem(path, candidate) is None:
                return candidate
        return good


def _group_of(path: str) -> str:
    head, *rest = path.split(".")
    if head == "actors" and len(rest) >= 2:
        return {
            "positions": "position",
            "trust": "trust",
            SALIENCE_SHARE: "salience share",
            "strategy": "strategy",
        }.get(rest[1], "actor")
    if head == "issues":
        return "quantity" if "quantities" in rest else "issue"
    if head in ("events", "incidents"):
        if len(rest) >= 2 and rest[1] == "effects":
            return "event effect" if head == "events" else "incident effect"
        return "incident"
    if head == ROUNDED:
        return "dynamics"
    return {"network": "network", "dynamics": "dynamics"}.get(head, head)


def _own_input(
    scenario: Scenario, validator: _Validator, source: str, path: str, low: float, high: float
) -> FreeInput:
    """An input with the range a ranges file gives it, checked against the scenario."""
    try:
        target = resolve_path(scenario, path)
    except PathError as exc:
        raise InputError(source, f"ranges.{path}", str(exc)) from None
    if target.integer:
        fix = (
            f"write {ROUNDED}.{path} to vary it with rounding"
            if path.startswith("dynamics.")
            else "it is structure, not an input to vary"
        )
        raise InputError(source, f"ranges.{path}", f"takes whole numbers only; {fix}")
    for end in (low, high):
        problem = validator.problem(path, end)
        if problem is not None:
            raise InputError(
                source, f"ranges.{path}", f"{_fmt(end)} makes the scenario invalid: {problem}"
            )
    current = float(target.current) if target.current is not None else math.nan
    return FreeInput(path, _group_of(path), current, low, high, "ranges file")


def free_inputs(scenario: Scenario, rules: RangeRules | None = None) -> InputSet:
    """Every free numeric input of `scenario`, with a range, and the fields left out.

    Parameters
    ----------
    scenario : Scenario
        A validated scenario.
    rules : RangeRules, optional
        From :func:`load_range_rules`; default: +/-50%, zeros over [0, 0.25 U], no own
        ranges, only :data:`DEFAULT_EXCLUDE`.

    Returns
    -------
    InputSet
        Inputs in a stable order (actors, network, issues, incidents, events, dynamics,
        then those the ranges file gives a range, in its order), and the numeric fields
        left out, each with its reason.

    Raises
    ------
    InputError
        If the ranges file names a path the scenario does not have, a range that makes the
        scenario invalid, or an exclusion pattern that matches no input (naming the file
        and the field).

    Examples
    --------
    >>> from lsr_sim.scenario import load_scenario
    >>> found = free_inputs(load_scenario("scenarios/baseline.yaml"))
    >>> [(i.path, i.low, i.high, i.rule) for i in found.inputs[:2]]
    [('actors.Beirut.capability', 0.225, 0.675, '+/-50%'),
     ('actors.Beirut.reliability', 0.4, 1.0, '+/-50%, clipped to [0, 1]')]
    >>> next(e.reason for e in found.excluded if e.path == "run.seed")
    "the sweep's master seed sets every run's seed (replications average over seeds)"
    """
    rules = rules or RangeRules()
    source = rules.source or "ranges"
    exclude = {**DEFAULT_EXCLUDE, **rules.exclude}
    validator = _Validator(scenario)
    inputs: list[FreeInput] = []
    excluded: list[ExcludedInput] = []
    placed: set[str] = set()
    used: set[str] = set()
    for item in _candidates(scenario):
        if item.path in rules.ranges:
            continue  # the ranges file's own inputs follow
        if isinstance(item, ExcludedInput):
            excluded.append(item)
            continue
        pattern = next((p for p in exclude if fnmatch.fnmatchcase(item.path, p)), None)
        if pattern is not None:
            used.add(pattern)
            excluded.append(ExcludedInput(item.path, exclude[pattern]))
            continue
        low, high, rule = _default_range(item, rules)
        valid_low = validator.valid_end(item.path, item.value, low)
        valid_high = validator.valid_end(item.path, item.value, high)
        if (valid_low, valid_high) != (low, high):
            rule += ", narrowed to keep the scenario valid"
        if not valid_low < valid_high:
            excluded.append(ExcludedInput(item.path, f"no valid range around {_fmt(item.value)}"))
            continue
        inputs.append(FreeInput(item.path, item.group, item.value, valid_low, valid_high, rule))
        placed.add(item.path)
    unused = [p for p in rules.exclude if p not in used]
    if unused:
        raise InputError(
            source,
            f"exclude.{unused[0]}",
            "matches no input of the scenario; write a sweep path or a glob pattern such as "
            "actors.*.reservation",
        )
    for path, (low, high) in rules.ranges.items():
        inputs.append(_own_input(scenario, validator, source, path, low, high))
    return InputSet(tuple(inputs), tuple(excluded), rules)
