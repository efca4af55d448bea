"""Loading sweep files: read, validate and check a sweep against its scenarios.

``load_sweep(path)`` reads a sweep file with the same strict YAML reader as scenarios,
validates it into a frozen :class:`~lsr_sim.sweep.schema.SweepSpec`, loads every scenario it
names and checks everything up front: each parameter path names a numeric field of every
scenario (:func:`lsr_sim.scenario.paths.resolve_path`), the design gets what it needs, every
value keeps each scenario valid, the outcomes are summary columns. Any problem is one
:class:`~lsr_sim.errors.SweepError` naming the sweep file, the field path, what is wrong and
what is expected, so that nothing runs on a bad file.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from lsr_sim.errors import ScenarioError, SweepError
from lsr_sim.limits import calendar_problem
from lsr_sim.messages import (
    Description,
    FileKind,
    did_you_mean,
    format_validation_error,
    number,
    numbers,
    quote,
)
from lsr_sim.scenario.loader import (
    read_scenario_data,
    read_yaml_mapping,
    scenario_from_dict,
    scenario_hash,
)
from lsr_sim.scenario.paths import PathError, apply_parameters, resolve_path
from lsr_sim.scenario.schema import Scenario
from lsr_sim.sweep.schema import ParameterSpec, SweepSpec, design_phrase

__all__ = ["SWEEP_FILE", "LoadedSweep", "ScenarioEntry", "load_sweep"]

#: Most values of one grid range whose scenarios are validated before a sweep runs.
CHECKED_VALUES = 1000

SWEEP_FILE = FileKind(
    "sweep",
    "scenarios/sweeps/riyadh_trust_grid.yaml",
    "name: ..., scenario: ..., parameters: ...",
    SweepError,
)


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


def _too_few_parameters(err: ErrorDetails, path: str) -> Description | None:
    """An empty ``parameters`` mapping, with an example of one."""
    if err["type"] == "too_short" and path == "parameters":
        return (
            path,
            "is empty; list at least one parameter to vary, e.g. "
            "actors.Riyadh.capability: {values: [0.4, 0.7]}",
            set(),
        )
    return None


def _load_scenario(source: str, field: str, folder: Path, written: str) -> ScenarioEntry:
    target = (folder / written).resolve()
    if not target.exists():
        nearby = [p.name for p in target.parent.glob("*.yaml")] if target.parent.is_dir() else []
        raise SweepError(
            source,
            field,
            f"{quote(written)} not found (looked for {target}){did_you_mean(target.name, nearby)}; "
            "a relative path is relative to the sweep file's folder",
        )
    if target.is_dir():
        raise SweepError(
            source, field, f"{quote(written)} is a folder ({target}); expected a YAML file"
        )
    try:
        data = read_scenario_data(target)
        scenario = scenario_from_dict(data, str(target))
    except ScenarioError as exc:
        raise SweepError(source, field, f"scenario {quote(written)} does not load: {exc}") from None
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
        raise SweepError(source, field, f"{number(value)} makes {name} invalid: {problem}")


def _check_integer(source: str, path: str, param: ParameterSpec, spec: SweepSpec) -> None:
    where = f"parameters.{path}"
    if spec.design.type != "grid":
        raise SweepError(
            source,
            where,
            f"takes whole numbers only; {design_phrase(spec.design.type)} would give fractions: "
            "vary it in a grid design (values: [a, b, ...]) or leave it out",
        )
    if param.values is not None:
        for i, x in enumerate(param.values):
            if not x.is_integer():
                raise SweepError(
                    source, f"{where}.values[{i}]", f"is {number(x)}; {path} takes whole numbers"
                )
        return
    for x in param.grid_values():
        if not x.is_integer():
            assert param.range is not None
            raise SweepError(
                source,
                f"{where}.range",
                f"{numbers(param.range)} gives {number(x)}, not a whole number; {path} takes whole "
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
                prefix = f"in scenario {quote(name)}: " if several else ""
                raise SweepError(source, where, f"{prefix}{exc}") from None
            integer = integer or target.integer
        if integer:
            _check_integer(source, path, param, spec)
    for path, param in spec.parameters.items():
        for name, entry in entries.items():
            for field, value in _value_fields(path, param):
                _check_value(source, field, entry, path, value, name)
            if param.range is not None and spec.design.type == "grid":
                inner = param.grid_values()[1:-1]
                # Each check validates a whole scenario: a long range is checked at
                # CHECKED_VALUES evenly spaced values (its ends are checked above).
                step = max(1, math.ceil(len(inner) / CHECKED_VALUES))
                for value in inner[::step]:
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
                        f"normal (mean {number(param.mean or 0.0)}, sd {number(param.sd or 0.0)}) "
                        f"draws {number(value)} in this design (seed {spec.seed}), which makes "
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
            prefix = f"in scenario {quote(name)}: " if several else ""
            if outcome in every:
                message = f"{quote(outcome)} is a text column; outcomes must be numeric"
            else:
                message = f"unknown outcome {quote(outcome)}{did_you_mean(outcome, numeric)}"
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
    content = read_yaml_mapping(path, SWEEP_FILE)
    sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
    try:
        spec = SweepSpec.model_validate(content)
    except ValidationError as exc:
        field, message = format_validation_error(exc, SweepSpec, _too_few_parameters)
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
                f"scenario {quote(written)} is named {quote(name)}, like {first_field[name]}; each "
                "scenario of a sweep needs its own name (set name: in the file)",
            )
        entries[name] = entry
        first_field[name] = field
    if spec.steps is not None:
        for name, entry in entries.items():
            run = entry.scenario.run
            problem = calendar_problem(run.start_date, run.step_days, spec.steps)
            if problem:
                raise SweepError(source, "steps", f"in scenario {quote(name)}: {problem}")
    _check_parameters(source, spec, entries)
    _check_outcomes(source, spec, entries)
    steps = {
        name: spec.steps if spec.steps is not None else entry.scenario.run.steps
        for name, entry in entries.items()
    }
    return LoadedSweep(spec, path, sha256, content, entries, steps)
