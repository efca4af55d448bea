"""Sweep files: the shipped examples load; every bad sweep file gives one clear error.

Every error names the sweep file, the field path, what is wrong and what is expected, on a
single line: ``<sweep file>: <field path>: <message>``, and is raised before anything runs.
Most bad files here are a small good sweep over the baseline with one field changed.
"""

from __future__ import annotations

import copy
import hashlib
import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from lsr_sim.errors import InputError
from lsr_sim.scenario import deep_merge, load_scenario, scenario_from_dict, scenario_hash
from lsr_sim.sweep import (
    DesignSpec,
    LoadedSweep,
    ParameterSpec,
    PathError,
    SweepError,
    SweepSpec,
    apply_parameters,
    load_sweep,
    resolve_path,
)

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS_DIR = ROOT / "scenarios"
BASELINE = SCENARIOS_DIR / "baseline.yaml"
STEPS_BACK = SCENARIOS_DIR / "variants" / "riyadh_steps_back.yaml"
SWEEPS = sorted((SCENARIOS_DIR / "sweeps").glob("*.yaml"))

# A small good sweep over the baseline; tests change one field (None deletes, as in a variant).
GOOD: dict[str, Any] = {
    "name": "test_sweep",
    "scenario": str(BASELINE),
    "steps": 5,
    "parameters": {"actors.Riyadh.capability": {"values": [0.5, 0.7]}},
}

# A small whole scenario without dynamics, network or calibration sections.
MINIMAL_SCENARIO: dict[str, Any] = {
    "name": "minimal",
    "run": {"start_date": "2025-01-01", "steps": 10},
    "actors": {
        "A": {"role": "principal", "capability": 0.5, "salience": {"x": 1.0}},
        "B": {"role": "principal", "capability": 0.5, "salience": {"x": 1.0}},
    },
    "issues": {"x": {"scale": {"low": "none", "high": "all"}, "parties": ["A", "B"]}},
}


def sweep(**override: Any) -> dict[str, Any]:
    """GOOD with top-level fields merged in (mappings merge, ``None`` deletes)."""
    return deep_merge(copy.deepcopy(GOOD), override)


def with_parameters(parameters: Mapping[str, Any], **override: Any) -> dict[str, Any]:
    """GOOD with its parameters replaced."""
    return {**sweep(**override), "parameters": dict(parameters)}


@pytest.fixture
def write_sweep(write_yaml):
    """``write_sweep(content, name="sweep.yaml")``: a sweep file (mapping or YAML text)."""

    def write(content: str | Mapping[str, Any], name: str = "sweep.yaml") -> Path:
        return write_yaml(content, name)

    return write


def sweep_error(path: Path) -> SweepError:
    """The SweepError that loading `path` raises, checked for the message format."""
    with pytest.raises(SweepError) as info:
        load_sweep(path)
    err = info.value
    text = str(err)
    assert "\n" not in text, f"message is not a single line: {text!r}"
    assert err.source == str(path)
    assert text.startswith(f"{path}: "), text
    assert err.message and err.message in text
    return err


def assert_error(path: Path, field: str, *words: str) -> str:
    """Loading `path` fails at `field` with all `words` in the message; return the text."""
    err = sweep_error(path)
    assert err.path == field, str(err)
    if field:
        assert str(err).startswith(f"{path}: {field}: "), str(err)
    for word in words:
        assert word in err.message, f"{word!r} not in {str(err)!r}"
    return str(err)


# ------------------------------------------------------------------------ success path


@pytest.mark.parametrize("path", SWEEPS, ids=lambda p: p.name)
def test_shipped_sweeps_load(path: Path) -> None:
    loaded = load_sweep(path)
    assert isinstance(loaded, LoadedSweep)
    assert loaded.path == path
    assert loaded.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert loaded.content == yaml.safe_load(path.read_text(encoding="utf-8"))
    assert loaded.spec.name == path.stem
    for name, entry in loaded.scenarios.items():
        assert entry.scenario.name == name
        assert entry.path.is_absolute() and entry.path.is_file()
        assert entry.sha256 == scenario_hash(load_scenario(entry.path))
        assert "extends" not in entry.data
        assert scenario_from_dict(entry.data) == entry.scenario
        assert loaded.steps[name] == loaded.spec.steps


def test_shipped_sweeps_are_the_four_examples() -> None:
    assert [p.name for p in SWEEPS] == [
        "detainee_deal_discovery.yaml",
        "riyadh_trust_grid.yaml",
        "sobol_baseline.yaml",
        "variants_lhs.yaml",
    ]


def test_grid_example() -> None:
    loaded = load_sweep(SCENARIOS_DIR / "sweeps" / "riyadh_trust_grid.yaml")
    spec = loaded.spec
    assert spec.design == DesignSpec(type="grid")
    assert list(spec.parameters) == ["actors.Riyadh.capability", "dynamics.trust_loss_rate"]
    assert spec.parameters["dynamics.trust_loss_rate"].grid_values() == [0.1, 0.2, 0.3]
    assert (spec.replications, spec.steps, spec.trajectories.every) == (4, 60, 4)
    assert list(loaded.scenarios) == ["baseline"]


def test_sobol_example() -> None:
    spec = load_sweep(SCENARIOS_DIR / "sweeps" / "sobol_baseline.yaml").spec
    assert (spec.design.type, spec.design.samples, spec.design.second_order) == ("sobol", 64, False)
    assert len(spec.parameters) == 4
    assert spec.replications == 4


def test_lhs_example_has_two_scenarios() -> None:
    loaded = load_sweep(SCENARIOS_DIR / "sweeps" / "variants_lhs.yaml")
    assert list(loaded.scenarios) == ["baseline", "riyadh_steps_back"]
    assert loaded.scenarios["riyadh_steps_back"].path == STEPS_BACK.resolve()
    assert "riyadh_withdraws" in loaded.scenarios["riyadh_steps_back"].data["events"]
    assert (loaded.spec.design.type, loaded.spec.design.samples) == ("lhs", 20)
    assert loaded.spec.replications == 2
    assert loaded.steps == {"baseline": 90, "riyadh_steps_back": 90}


def test_defaults(write_sweep) -> None:
    loaded = load_sweep(write_sweep(sweep(steps=None)))
    spec = loaded.spec
    assert spec.design == DesignSpec(type="grid")
    assert (spec.replications, spec.seed, spec.outcomes, spec.trajectories) == (1, 0, None, None)
    assert spec.description == ""
    assert loaded.steps == {"baseline": 160}  # the scenario's run.steps


def test_scenario_path_is_relative_to_the_sweep_file(write_sweep, tmp_path: Path) -> None:
    folder = tmp_path / "deep" / "er"
    relative = os.path.relpath(BASELINE, folder)
    loaded = load_sweep(write_sweep(sweep(scenario=relative), "deep/er/sweep.yaml"))
    assert loaded.scenarios["baseline"].path == BASELINE.resolve()


def test_sweep_error_is_an_input_error() -> None:
    assert issubclass(SweepError, InputError)
    assert issubclass(SweepError, ValueError)


def test_trajectories_every_defaults_to_one(write_sweep) -> None:
    assert load_sweep(write_sweep(sweep(trajectories={}))).spec.trajectories.every == 1


def test_spec_is_frozen(write_sweep) -> None:
    spec = load_sweep(write_sweep(sweep())).spec
    with pytest.raises(ValueError, match="frozen"):
        spec.seed = 3  # type: ignore[misc]


def test_outcomes_that_are_summary_columns(write_sweep) -> None:
    loaded = load_sweep(write_sweep(sweep(outcomes=["rapprochement_index", "agreements"])))
    assert loaded.spec.outcomes == ["rapprochement_index", "agreements"]


# ------------------------------------------------------------------ files and YAML


def test_yaml_syntax_error(write_sweep) -> None:
    path = write_sweep("name: x\nparameters:\n  a: [1, 2\n  b: 3\n")
    assert_error(path, "", "YAML syntax error at line 4")


@pytest.mark.parametrize("text", ["", "# nothing\n"])
def test_empty_file(write_sweep, text: str) -> None:
    text = assert_error(write_sweep(text), "", "file is empty", "expected a sweep mapping")
    assert "scenarios/sweeps/" in text


@pytest.mark.parametrize(
    ("text", "kind"), [("- a\n- b\n", "a list"), ("just text\n", "a single text value")]
)
def test_top_level_not_a_mapping(write_sweep, text: str, kind: str) -> None:
    text = assert_error(write_sweep(text), "", f"the top level is {kind}", "parameters: ...")
    assert "actors" not in text


def test_missing_file(tmp_path: Path) -> None:
    assert_error(tmp_path / "nope.yaml", "", "file not found")


def test_folder_instead_of_file(tmp_path: Path) -> None:
    assert_error(tmp_path, "", "is a folder", "expected a sweep YAML file")


def test_duplicate_key(write_sweep) -> None:
    path = write_sweep(
        f"name: a\nscenario: {BASELINE}\nparameters:\n"
        "  actors.Riyadh.capability: {values: [0.5]}\n"
        "  actors.Riyadh.capability: {values: [0.6]}\n"
    )
    assert_error(path, "parameters.actors.Riyadh.capability", "duplicate key", "line 5")


# ------------------------------------------------------------------ fields and types


@pytest.mark.parametrize(
    ("override", "field", "words"),
    [
        ({"replication": 3}, "replication", ["unknown field", "did you mean 'replications'"]),
        ({"design": {"type": "lhs", "sample": 10}}, "design.sample", ["'samples'"]),
        ({"trajectories": {"evry": 2}}, "trajectories.evry", ["did you mean 'every'"]),
        ({"name": None}, "name", ["required field is missing"]),
        ({"name": ""}, "name", ["is empty"]),
        ({"parameters": None}, "parameters", ["required field is missing"]),
        ({"replications": "four"}, "replications", ["got 'four'", "expected a whole number"]),
        ({"replications": True}, "replications", ["got True", "expected a whole number"]),
        ({"replications": 0}, "replications", ["is 0", "must be >= 1"]),
        ({"seed": -1}, "seed", ["is -1", "must be >= 0"]),
        ({"seed": 1.5}, "seed", ["got 1.5", "expected a whole number"]),
        ({"steps": 0}, "steps", ["is 0", "must be > 0"]),
        ({"steps": 2.5}, "steps", ["got 2.5", "whole number"]),
        ({"design": {"type": "gird"}}, "design.type", ["did you mean 'grid'", "lhs, sobol"]),
        ({"design": {"samples": 4}}, "design.type", ["required field is missing"]),
        ({"design": "grid"}, "design", ["got 'grid'", "expected a mapping"]),
        ({"trajectories": {"every": 0}}, "trajectories.every", ["is 0", "must be >= 1"]),
        ({"trajectories": True}, "trajectories", ["expected a mapping"]),
        ({"outcomes": []}, "outcomes", ["has 0 item(s)", "at least 1"]),
        ({"outcomes": "mean_trust"}, "outcomes", ["expected a list"]),
        (
            {"outcomes": ["mean_trust", "agreements", "mean_trust"]},
            "outcomes[2]",
            ["'mean_trust' is listed twice"],
        ),
        ({"scenario": None}, "scenario", ["required field is missing", "scenarios:"]),
        ({"scenarios": [str(BASELINE)]}, "scenarios", ["either scenario", "not both"]),
        ({"scenario": None, "scenarios": []}, "scenarios", ["has 0 item(s)"]),
        (
            {"scenario": None, "scenarios": [str(BASELINE), str(BASELINE)]},
            "scenarios[1]",
            ["listed twice"],
        ),
        ({"description": 3}, "description", ["got 3", "expected text"]),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_bad_field(write_sweep, override: dict, field: str, words: list[str]) -> None:
    assert_error(write_sweep(sweep(**override)), field, *words)


def test_parameters_empty(write_sweep) -> None:
    path = write_sweep(with_parameters({}))
    assert_error(path, "parameters", "is empty", "at least one parameter")


def test_parameter_name_not_text(write_sweep) -> None:
    path = write_sweep(f"name: a\nscenario: {BASELINE}\nparameters:\n  1: {{values: [0.5]}}\n")
    assert_error(path, "parameters.1", "must be text")


def test_null_value(write_sweep) -> None:
    assert_error(write_sweep({**sweep(), "seed": None}), "seed", "is empty (null)")


def test_more_problems_are_counted(write_sweep) -> None:
    text = assert_error(write_sweep(sweep(seed=-1, replications=0)), "replications")
    assert text.endswith("(and 1 more problem)")


# ------------------------------------------------------------------ one parameter's spec

P = "parameters.actors.Riyadh.capability"


@pytest.mark.parametrize(
    ("spec", "field", "words"),
    [
        ({"values": []}, f"{P}.values", ["has 0 item(s)", "at least 1"]),
        ({"values": [0.3, True]}, f"{P}.values[1]", ["got True", "expected a number"]),
        ({"values": [0.3, "high"]}, f"{P}.values[1]", ["got 'high'", "expected a number"]),
        ({"values": 0.3}, f"{P}.values", ["expected a list"]),
        ({"values": [0.3, 0.5, 0.3]}, f"{P}.values[2]", ["lists 0.3 twice"]),
        ({"values": [float("nan")]}, f"{P}.values[0]", ["got nan", "finite number"]),
        (
            {"range": [0.5, 0.1, 3]},
            f"{P}.range",
            ["low 0.5 is not below high 0.1", "[0.1, 0.5, 3]"],
        ),
        ({"range": [0.5, 0.5, 3]}, f"{P}.range", ["is not below high", "low < high"]),
        ({"range": [0.1, 0.5, 1]}, f"{P}.range[2]", ["is 1", "at least 2 values"]),
        ({"range": [0.1, 0.5, 2.5]}, f"{P}.range[2]", ["is 2.5", "whole number >= 2"]),
        ({"range": [0.1, 0.5, 3, 4]}, f"{P}.range", ["has 4 item(s)", "[low, high, num]"]),
        ({"range": [0.1]}, f"{P}.range", ["has 1 item(s)"]),
        ({"range": [0.1, True, 3]}, f"{P}.range[1]", ["got True", "expected a number"]),
        ({"range": [0.1, float("inf"), 3]}, f"{P}.range[1]", ["got inf", "finite"]),
        ({"range": "0.1-0.5"}, f"{P}.range", ["expected a list"]),
        ({"values": [0.3], "range": [0.1, 0.5, 3]}, f"{P}.range", ["both values and range"]),
        ({}, P, ["says nothing to vary", "values:", "range:", "distribution:"]),
        ({"low": 0.1, "high": 0.5}, f"{P}.distribution", ["missing", "distribution: uniform"]),
        ({"mean": 0.5, "sd": 0.1}, f"{P}.distribution", ["distribution: normal"]),
        ({"values": [0.3], "low": 0.1}, f"{P}.low", ["belongs to a distribution"]),
        ({"value": [0.3]}, f"{P}.value", ["unknown field", "did you mean 'values'"]),
        ({"distribution": "unifrom"}, f"{P}.distribution", ["did you mean 'uniform'"]),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_bad_parameter_spec(write_sweep, spec: dict, field: str, words: list[str]) -> None:
    path = write_sweep(with_parameters({"actors.Riyadh.capability": spec}))
    assert_error(path, field, *words)


LHS = {"design": {"type": "lhs", "samples": 10}}


@pytest.mark.parametrize(
    ("spec", "field", "words"),
    [
        ({"distribution": "uniform", "low": 0.5, "high": 0.2}, "high", ["not above low 0.5"]),
        ({"distribution": "uniform", "low": 0.5, "high": 0.5}, "high", ["low < high"]),
        ({"distribution": "uniform", "low": 0.2}, "high", ["missing", "needs low and high"]),
        ({"distribution": "uniform", "low": 0.2, "high": 0.5, "sd": 1.0}, "sd", ["not sd"]),
        ({"distribution": "normal", "mean": 0.5}, "sd", ["missing", "needs mean and sd"]),
        ({"distribution": "normal", "sd": 0.1}, "mean", ["missing"]),
        ({"distribution": "normal", "mean": 0.5, "sd": 0.0}, "sd", ["is 0.0", "must be > 0"]),
        ({"distribution": "normal", "mean": 0.5, "sd": -0.1}, "sd", ["must be > 0"]),
        ({"distribution": "normal", "mean": 0.5, "sd": 0.1, "low": 0.1}, "low", ["not low"]),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_bad_distribution(write_sweep, spec: dict, field: str, words: list[str]) -> None:
    path = write_sweep(with_parameters({"actors.Riyadh.capability": spec}, **LHS))
    assert_error(path, f"{P}.{field}", *words)


# ------------------------------------------------------------------ the design's needs


@pytest.mark.parametrize(
    ("design", "spec", "field", "words"),
    [
        (
            {"type": "grid"},
            {"distribution": "uniform", "low": 0.2, "high": 0.5},
            f"{P}.distribution",
            ["a grid takes listed values", "lhs, sobol or morris"],
        ),
        ({"type": "grid"}, {"range": [0.2, 0.5]}, f"{P}.range", ["[low, high, num]"]),
        (
            {"type": "lhs", "samples": 10},
            {"values": [0.3, 0.5]},
            f"{P}.values",
            ["an lhs design samples between bounds", "range: [low, high]"],
        ),
        (
            {"type": "sobol", "samples": 8},
            {"distribution": "normal", "mean": 0.5, "sd": 0.1},
            f"{P}.distribution",
            ["normal is for lhs designs only", "uniform"],
        ),
        (
            {"type": "morris", "samples": 4},
            {"distribution": "normal", "mean": 0.5, "sd": 0.1},
            f"{P}.distribution",
            ["normal is for lhs designs only"],
        ),
        ({"type": "lhs"}, {"range": [0.2, 0.5]}, "design.samples", ["required", "samples: 50"]),
        ({"type": "sobol"}, {"range": [0.2, 0.5]}, "design.samples", ["power of two"]),
        ({"type": "morris"}, {"range": [0.2, 0.5]}, "design.samples", ["trajectories"]),
        (
            {"type": "sobol", "samples": 100},
            {"range": [0.2, 0.5]},
            "design.samples",
            ["is 100, not a power of two", "try 64 or 128"],
        ),
        (
            {"type": "sobol", "samples": 3},
            {"range": [0.2, 0.5]},
            "design.samples",
            ["try 2 or 4"],
        ),
        ({"type": "lhs", "samples": 1}, {"range": [0.2, 0.5]}, "design.samples", ["at least 2"]),
        ({"type": "lhs", "samples": 0}, {"range": [0.2, 0.5]}, "design.samples", ["must be >= 1"]),
        (
            {"type": "morris", "samples": 4, "levels": 3},
            {"range": [0.2, 0.5]},
            "design.levels",
            ["is 3", "even number >= 2"],
        ),
        (
            {"type": "morris", "samples": 4, "levels": 0},
            {"range": [0.2, 0.5]},
            "design.levels",
            ["even number >= 2"],
        ),
        (
            {"type": "lhs", "samples": 8, "second_order": True},
            {"range": [0.2, 0.5]},
            "design.second_order",
            ["only sobol designs"],
        ),
        (
            {"type": "sobol", "samples": 8, "second_order": "yes"},
            {"range": [0.2, 0.5]},
            "design.second_order",
            ["expected true or false"],
        ),
        ({"type": "grid", "levels": 4}, {"values": [0.5]}, "design.levels", ["only morris"]),
        (
            {"type": "grid", "samples": 4},
            {"values": [0.5]},
            "design.samples",
            ["every combination"],
        ),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_design_needs(write_sweep, design, spec, field: str, words: list[str]) -> None:
    path = write_sweep(with_parameters({"actors.Riyadh.capability": spec}, design=design))
    assert_error(path, field, *words)


@pytest.mark.parametrize("design", ["lhs", "sobol", "morris"])
def test_sampling_designs_accept_a_grid_range_and_use_its_bounds(write_sweep, design) -> None:
    path = write_sweep(
        with_parameters(
            {"actors.Riyadh.capability": {"range": [0.2, 0.6, 5]}},
            design={"type": design, "samples": 4},
        )
    )
    param = load_sweep(path).spec.parameters["actors.Riyadh.capability"]
    assert param.salib() == ([0.2, 0.6], "unif")


# ------------------------------------------------------------------ parameter paths


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("actors.Riyad.capability", ["unknown actor 'Riyad' (did you mean 'Riyadh'?)", "Beirut"]),
        (
            "dynamics.trust_los_rate",
            ["unknown field 'trust_los_rate' (did you mean 'trust_loss_rate'?) of dynamics"],
        ),
        ("dynamic.trust_loss_rate", ["did you mean 'dynamics'", "of the scenario"]),
        (
            "actors.Riyadh.role",
            ["is text, not a number; only numeric fields can be varied"],
        ),
        ("dynamics.protocol", ["is text, not a number"]),
        ("dynamics.package_deals", ["is true/false, not a number"]),
        ("run.start_date", ["is a date, not a number"]),
        ("actors.Riyadh", ["is a mapping of fields, not a number", "actors.Riyadh.<field>"]),
        ("actors.Riyadh.positions", ["is a mapping of fields"]),
        ("issues.officers.parties", ["is a list, not a number"]),
        ("issues.officers.quantities.officers.range", ["is a list"]),
        ("actors.Riyadh.capability.x", ["is a number, it has no field 'x'"]),
        ("actors..capability", ["empty part between dots"]),
        ("network.mediaton.Riyadh.Beirut", ["unknown link type 'mediaton'", "'mediation'"]),
        ("network.mediation.Riyad.Beirut", ["unknown actor 'Riyad'"]),
        ("actors.Beirut.positions.refugess", ["unknown issue 'refugess'", "'refugees'"]),
        ("actors.Beirut.trust.Damascos", ["unknown actor 'Damascos'", "'Damascus'"]),
        (
            "actors.Beirut.strategy.params.exponentt",
            ["unknown parameter 'exponentt' (did you mean 'exponent'?) of strategy 'boulware'"],
        ),
        (
            "actors.Damascus.strategy.params.exponent",
            ["unknown parameter 'exponent'", "of strategy 'tit_for_tat'", "forgiveness"],
        ),
        ("issues.officers.quantities.officer.total", ["unknown quantity 'officer'", "'officers'"]),
        ("events.raid.effects", ["unknown event 'raid'", "'raids'"]),
        ("incidents.border_clsh.rate", ["unknown incident 'border_clsh'"]),
        ("calibration.patterns.nope.target", ["unknown calibration pattern 'nope'"]),
    ],
)
def test_bad_parameter_path(write_sweep, name: str, words: list[str]) -> None:
    path = write_sweep(with_parameters({name: {"values": [0.5]}}))
    assert_error(path, f"parameters.{name}", *words)


def test_path_must_resolve_in_every_scenario(write_sweep, write_yaml) -> None:
    qatar = {"role": "other", "capability": 0.3, "salience": {"refugees": 1.0}}
    other = write_yaml(
        {"extends": str(BASELINE), "name": "with_qatar", "actors": {"Qatar": qatar}},
        "with_qatar.yaml",
    )
    assert "Qatar" in load_scenario(other).actors
    path = write_sweep(
        with_parameters(
            {"actors.Qatar.capability": {"values": [0.5]}},
            scenario=None,
            scenarios=[str(other), str(BASELINE)],
        )
    )
    assert_error(
        path,
        "parameters.actors.Qatar.capability",
        "in scenario 'baseline': unknown actor 'Qatar'",
    )


def test_run_seed_cannot_be_varied(write_sweep) -> None:
    path = write_sweep(with_parameters({"run.seed": {"values": [1, 2]}}))
    assert_error(path, "parameters.run.seed", "sweep's seed")


def test_run_steps_conflicts_with_steps(write_sweep) -> None:
    path = write_sweep(with_parameters({"run.steps": {"values": [160, 170]}}))
    assert_error(path, "parameters.run.steps", "steps: 5", "remove steps")


def test_run_steps_without_steps_override(write_sweep) -> None:
    path = write_sweep(with_parameters({"run.steps": {"values": [160, 170]}}, steps=None))
    loaded = load_sweep(path)
    assert loaded.steps == {"baseline": 160}
    assert loaded.steps_for("baseline", {"run.steps": 170.0}) == 170
    assert loaded.steps_for("baseline", {"actors.Riyadh.capability": 0.5}) == 160


# ------------------------------------------------------------------ defaults are settable


@pytest.fixture
def minimal_scenario(write_yaml) -> Path:
    return write_yaml(MINIMAL_SCENARIO, "minimal.yaml")


@pytest.mark.parametrize(
    ("name", "value", "read"),
    [
        ("dynamics.trust_loss_rate", 0.3, lambda s: s.dynamics.trust_loss_rate),
        ("actors.A.reliability", 0.4, lambda s: s.actors["A"].reliability),
        ("actors.A.trust.B", 0.9, lambda s: s.actors["A"].trust["B"]),
        ("actors.A.positions.x", 0.8, lambda s: s.actors["A"].positions["x"]),
        (
            "actors.A.strategy.params.exponent",
            2.0,
            lambda s: s.actors["A"].strategy.params["exponent"],
        ),
        ("network.channel.A.B", 0.6, lambda s: s.network["channel"]["A"]["B"]),
        ("issues.x.status_quo", 0.2, lambda s: s.issues["x"].status_quo),
        ("dynamics.talks_timeout", 12.0, lambda s: s.dynamics.talks_timeout),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_fields_left_at_their_defaults_can_be_varied(
    write_sweep, minimal_scenario: Path, name: str, value: float, read
) -> None:
    path = write_sweep(
        with_parameters({name: {"values": [value]}}, scenario=str(minimal_scenario), steps=None)
    )
    entry = load_sweep(path).scenarios["minimal"]
    assert "dynamics" not in entry.data and "network" not in entry.data
    scenario = scenario_from_dict(apply_parameters(entry.data, {name: value}))
    assert read(scenario) == value
    assert type(read(scenario)) is (int if name == "dynamics.talks_timeout" else float)


def test_unset_optional_section_cannot_be_varied(write_sweep, minimal_scenario: Path) -> None:
    path = write_sweep(
        with_parameters({"calibration.runs": {"values": [10]}}, scenario=str(minimal_scenario))
    )
    assert_error(path, "parameters.calibration.runs", "calibration is not set in this scenario")


def test_default_strategy_parameters(minimal_scenario: Path) -> None:
    scenario = load_scenario(minimal_scenario)
    target = resolve_path(scenario, "actors.A.strategy.params.floor")
    assert (target.integer, target.current) == (False, None)
    with pytest.raises(PathError, match="of strategy 'linear'"):
        resolve_path(scenario, "actors.A.strategy.params.forgiveness")


def test_strategy_parameter_set_in_the_scenario() -> None:
    baseline = load_scenario(BASELINE)
    target = resolve_path(baseline, "actors.Beirut.strategy.params.exponent")
    assert (target.integer, target.current) == (False, 4.0)
    assert resolve_path(baseline, "actors.Damascus.strategy.params.forgiveness").current == 0.3


def test_strategy_parameter_sweep_loads_and_applies(write_sweep) -> None:
    path = write_sweep(
        with_parameters({"actors.Beirut.strategy.params.exponent": {"values": [1.0, 8.0]}})
    )
    entry = load_sweep(path).scenarios["baseline"]
    data = apply_parameters(entry.data, {"actors.Beirut.strategy.params.exponent": 8.0})
    assert scenario_from_dict(data).actors["Beirut"].strategy.params == {"exponent": 8.0}


def test_bad_strategy_parameter_value(write_sweep) -> None:
    path = write_sweep(
        with_parameters({"actors.Damascus.strategy.params.forgiveness": {"values": [0.3, 2.0]}})
    )
    assert_error(
        path,
        "parameters.actors.Damascus.strategy.params.forgiveness.values[1]",
        "2 makes baseline invalid: actors.Damascus.strategy.params.forgiveness:",
    )


# ------------------------------------------------------------------ integer fields


def test_integer_field_in_a_grid(write_sweep) -> None:
    path = write_sweep(with_parameters({"dynamics.talks_timeout": {"values": [10, 20.0]}}))
    loaded = load_sweep(path)
    data = apply_parameters(loaded.scenarios["baseline"].data, {"dynamics.talks_timeout": 20.0})
    assert data["dynamics"]["talks_timeout"] == 20
    assert type(data["dynamics"]["talks_timeout"]) is int
    assert scenario_from_dict(data).dynamics.talks_timeout == 20


def test_integer_field_range_with_whole_steps(write_sweep) -> None:
    path = write_sweep(with_parameters({"dynamics.collapse_after": {"range": [4, 12, 5]}}))
    param = load_sweep(path).spec.parameters["dynamics.collapse_after"]
    assert param.grid_values() == [4, 6, 8, 10, 12]


def test_integer_field_refuses_fractions(write_sweep) -> None:
    path = write_sweep(with_parameters({"dynamics.talks_timeout": {"values": [10, 12.5]}}))
    assert_error(
        path, "parameters.dynamics.talks_timeout.values[1]", "is 12.5", "takes whole numbers"
    )


def test_integer_field_range_with_fractional_steps(write_sweep) -> None:
    path = write_sweep(with_parameters({"dynamics.talks_timeout": {"range": [10, 30, 4]}}))
    assert_error(
        path,
        "parameters.dynamics.talks_timeout.range",
        "[10, 30, 4] gives 16.6666666667, not a whole number",
        "choose num",
    )


@pytest.mark.parametrize("design", ["lhs", "sobol", "morris"])
def test_integer_field_only_in_grids(write_sweep, design: str) -> None:
    path = write_sweep(
        with_parameters(
            {"dynamics.talks_timeout": {"range": [10, 30]}}, design={"type": design, "samples": 4}
        )
    )
    assert_error(
        path,
        "parameters.dynamics.talks_timeout",
        "takes whole numbers only",
        f"{design} design would give fractions",
        "grid",
    )


def test_run_steps_is_an_integer_field() -> None:
    target = resolve_path(load_scenario(BASELINE), "run.steps")
    assert (target.integer, target.current) == (True, 160)


# ------------------------------------------------------------------ values keep scenarios valid


def test_value_out_of_range_names_the_value(write_sweep) -> None:
    path = write_sweep(with_parameters({"actors.Riyadh.capability": {"values": [0.5, 0.9, 1.5]}}))
    text = assert_error(path, f"{P}.values[2]")
    assert text == (
        f"{path}: {P}.values[2]: 1.5 makes baseline invalid: "
        "actors.Riyadh.capability: is 1.5, out of range: must be <= 1.0"
    )


@pytest.mark.parametrize(
    ("spec", "design", "field", "words"),
    [
        ({"range": [0.0, 0.5, 3]}, {"type": "grid"}, "range[0]", ["0 makes baseline invalid"]),
        ({"range": [0.5, 1.2]}, {"type": "lhs", "samples": 4}, "range[1]", ["1.2 makes"]),
        (
            {"distribution": "uniform", "low": 0.5, "high": 1.1},
            {"type": "sobol", "samples": 4},
            "high",
            ["1.1 makes baseline invalid"],
        ),
        (
            {"distribution": "uniform", "low": -0.1, "high": 0.5},
            {"type": "morris", "samples": 4},
            "low",
            ["-0.1 makes baseline invalid", "must be > 0"],
        ),
        (
            {"distribution": "normal", "mean": 1.3, "sd": 0.01},
            {"type": "lhs", "samples": 4},
            "mean",
            ["1.3 makes baseline invalid"],
        ),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_bounds_keep_the_scenario_valid(write_sweep, spec, design, field, words) -> None:
    path = write_sweep(with_parameters({"actors.Riyadh.capability": spec}, design=design))
    assert_error(path, f"{P}.{field}", *words)


def test_normal_draws_keep_the_scenario_valid(write_sweep) -> None:
    spec = {"distribution": "normal", "mean": 0.9, "sd": 0.1}
    path = write_sweep(
        with_parameters({"actors.Beirut.resolve": spec}, design={"type": "lhs", "samples": 20})
    )
    assert_error(
        path,
        "parameters.actors.Beirut.resolve",
        "normal (mean 0.9, sd 0.1) draws",
        "(seed 0)",
        "makes baseline invalid: actors.Beirut.resolve:",
        "lower sd",
    )


def test_cross_field_rule(write_sweep) -> None:
    path = write_sweep(with_parameters({"actors.Beirut.salience.officers": {"values": [0.5]}}))
    assert_error(
        path,
        "parameters.actors.Beirut.salience.officers.values[0]",
        "actors.Beirut.salience: sums to",
    )


def test_self_trust_is_refused(write_sweep) -> None:
    path = write_sweep(with_parameters({"actors.Beirut.trust.Beirut": {"values": [0.5]}}))
    assert_error(
        path, "parameters.actors.Beirut.trust.Beirut.values[0]", "trust of an actor in itself"
    )


def test_run_steps_too_short_for_the_events(write_sweep) -> None:
    path = write_sweep(with_parameters({"run.steps": {"range": [20, 160, 3]}}, steps=None))
    assert_error(
        path, "parameters.run.steps.range[0]", "20 makes baseline invalid", "after the end"
    )


def test_value_invalid_in_one_scenario_only(write_sweep, write_yaml) -> None:
    pattern = "calibration.patterns.trust_beirut_damascus_low"
    strict = write_yaml(
        {
            "extends": str(BASELINE),
            "name": "strict",
            "calibration": {"patterns": {"trust_beirut_damascus_low": {"at_least": 0.3}}},
        },
        "strict.yaml",
    )
    path = write_sweep(
        with_parameters(
            {f"{pattern}.at_most": {"values": [0.35, 0.1]}},
            scenario=None,
            scenarios=[str(BASELINE), str(strict)],
        )
    )
    assert_error(
        path,
        f"parameters.{pattern}.at_most.values[1]",
        f"0.1 makes strict invalid: {pattern}.at_least: is 0.3, above at_most 0.1",
    )


# ------------------------------------------------------------------ scenarios


def test_missing_scenario_with_suggestion(write_sweep, tmp_path: Path) -> None:
    shutil.copy(BASELINE, tmp_path / "baseline.yaml")
    path = write_sweep(sweep(scenario="../baselin.yaml"), "sweeps/sweep.yaml")
    assert_error(
        path,
        "scenario",
        "'../baselin.yaml' not found",
        str(tmp_path / "baselin.yaml"),
        "did you mean 'baseline.yaml'",
        "relative to the sweep file's folder",
    )


def test_scenario_is_a_folder(write_sweep, tmp_path: Path) -> None:
    assert_error(write_sweep(sweep(scenario=str(tmp_path))), "scenario", "is a folder")


def test_bad_scenario_file_reports_its_own_message(write_sweep, write_yaml) -> None:
    bad = write_yaml(
        {"extends": str(BASELINE), "actors": {"Beirut": {"capability": 2.0}}}, "b.yaml"
    )
    text = assert_error(
        write_sweep(sweep(scenario=str(bad))),
        "scenario",
        "does not load",
        f"{bad}: actors.Beirut.capability: is 2.0, out of range",
    )
    assert text.count("\n") == 0


def test_bad_scenario_in_a_list(write_sweep, write_yaml) -> None:
    bad = write_yaml("name: [unclosed\n", "b.yaml")
    path = write_sweep(sweep(scenario=None, scenarios=[str(BASELINE), str(bad)]))
    assert_error(path, "scenarios[1]", "does not load", "YAML syntax error")


def test_two_scenarios_with_the_same_name(write_sweep, tmp_path: Path) -> None:
    copied = tmp_path / "copy.yaml"
    shutil.copy(BASELINE, copied)
    path = write_sweep(sweep(scenario=None, scenarios=[str(BASELINE), str(copied)]))
    assert_error(path, "scenarios[1]", "is named 'baseline', like scenarios[0]", "own name")


# ------------------------------------------------------------------ outcomes


def test_unknown_outcome(write_sweep) -> None:
    path = write_sweep(sweep(outcomes=["mean_trust", "rapprochment_index"]))
    assert_error(
        path,
        "outcomes[1]",
        "unknown outcome 'rapprochment_index' (did you mean 'rapprochement_index'?)",
        "expected summary columns: rapprochement_index",
    )


def test_text_outcome(write_sweep) -> None:
    path = write_sweep(sweep(outcomes=["status_officers"]))
    assert_error(path, "outcomes[0]", "is a text column", "must be numeric")


def test_outcome_missing_from_one_scenario(write_sweep, write_yaml) -> None:
    fewer = write_yaml(
        {
            "extends": str(BASELINE),
            "name": "fewer",
            "issues": {"refugees": {"quantities": None}},
        },
        "fewer.yaml",
    )
    path = write_sweep(
        sweep(
            scenario=None,
            scenarios=[str(BASELINE), str(fewer)],
            outcomes=["delivered_refugees_returned"],
        )
    )
    assert_error(path, "outcomes[0]", "in scenario 'fewer': unknown outcome")


# ------------------------------------------------------------------ apply_parameters


def test_apply_sets_nested_and_missing_fields_without_mutating() -> None:
    data = {"actors": {"A": {"capability": 0.5, "trust": {"B": 0.3}}}, "run": {"steps": 4}}
    before = copy.deepcopy(data)
    out = apply_parameters(
        data,
        {
            "actors.A.capability": 0.9,
            "actors.A.trust.B": 0.4,
            "actors.A.trust.C": 0.1,
            "dynamics.trust_loss_rate": 0.25,
            "network.channel.A.B": 0.5,
        },
    )
    assert data == before
    assert out["actors"]["A"] == {"capability": 0.9, "trust": {"B": 0.4, "C": 0.1}}
    assert out["dynamics"] == {"trust_loss_rate": 0.25}
    assert out["network"] == {"channel": {"A": {"B": 0.5}}}
    assert out["run"] == {"steps": 4}
    out["run"]["steps"] = 99
    assert data["run"]["steps"] == 4


def test_apply_gives_plain_python_numbers() -> None:
    out = apply_parameters(
        {},
        {
            "actors.A.capability": np.float64(0.5),
            "dynamics.talks_timeout": np.float64(12.0),
            "dynamics.collapse_after": np.int64(3),
            "dynamics.trust_gain_rate": 1,
        },
    )
    assert type(out["actors"]["A"]["capability"]) is float
    assert out["dynamics"] == {"talks_timeout": 12, "collapse_after": 3, "trust_gain_rate": 1.0}
    assert type(out["dynamics"]["talks_timeout"]) is int
    assert type(out["dynamics"]["collapse_after"]) is int
    assert type(out["dynamics"]["trust_gain_rate"]) is float


def test_apply_keeps_a_fractional_value_for_an_integer_field_for_validation_to_refuse() -> None:
    out = apply_parameters({}, {"dynamics.talks_timeout": 12.5})
    assert out["dynamics"]["talks_timeout"] == 12.5


def test_apply_creates_the_default_strategy() -> None:
    out = apply_parameters({"actors": {"A": {}}}, {"actors.A.strategy.params.exponent": 2.0})
    assert out["actors"]["A"]["strategy"] == {"name": "linear", "params": {"exponent": 2.0}}


def test_apply_does_not_write_through_yaml_anchors(write_yaml) -> None:
    from lsr_sim.scenario import read_yaml_mapping

    data = read_yaml_mapping(write_yaml("a: &shared {x: 1}\nb: *shared\n"))
    assert data["a"] is data["b"]
    out = apply_parameters(data, {"a.x": 2})
    assert out["a"] == {"x": 2} and out["b"] == {"x": 1}


def test_apply_through_a_non_mapping_is_a_type_error() -> None:
    with pytest.raises(TypeError, match=r"actors\.A is 'text', not a mapping"):
        apply_parameters({"actors": {"A": "text"}}, {"actors.A.capability": 0.5})


def test_apply_to_the_baseline_changes_only_the_parameters() -> None:
    loaded_data = yaml.safe_load(BASELINE.read_text(encoding="utf-8"))
    base = scenario_from_dict(loaded_data)
    changed = scenario_from_dict(
        apply_parameters(
            loaded_data, {"actors.Riyadh.capability": 0.4, "dynamics.trust_gain_rate": 0.1}
        )
    )
    assert changed.actors["Riyadh"].capability == 0.4
    assert changed.dynamics.trust_gain_rate == 0.1
    assert changed.dynamics.veto_strength == base.dynamics.veto_strength
    assert changed.model_copy(update={"actors": base.actors, "dynamics": base.dynamics}) == base


@settings(max_examples=40, deadline=None)
@given(
    capability=st.floats(min_value=0.01, max_value=1.0),
    loss=st.floats(min_value=0.0, max_value=1.0),
    timeout=st.integers(min_value=1, max_value=200),
)
def test_apply_then_validate_round_trips(capability: float, loss: float, timeout: int) -> None:
    data = copy.deepcopy(MINIMAL_SCENARIO)
    params = {
        "actors.A.capability": capability,
        "dynamics.trust_loss_rate": loss,
        "dynamics.talks_timeout": float(timeout),
    }
    scenario = scenario_from_dict(apply_parameters(data, params))
    assert scenario.actors["A"].capability == capability
    assert scenario.dynamics.trust_loss_rate == loss
    assert scenario.dynamics.talks_timeout == timeout
    assert data == MINIMAL_SCENARIO


# ------------------------------------------------------------------ the models directly


def test_parameter_spec_kinds() -> None:
    assert ParameterSpec(values=[1, 2]).kind == "values"
    assert ParameterSpec(values=[1, 2]).values == [1.0, 2.0]
    assert ParameterSpec(range=[0, 1, 3]).range == [0.0, 1.0, 3]
    assert ParameterSpec(range=[0, 1, 3]).grid_values() == [0.0, 0.5, 1.0]
    assert ParameterSpec(range=[0, 1]).kind == "range"
    assert ParameterSpec(distribution="uniform", low=0, high=1).kind == "uniform"
    assert ParameterSpec(distribution="normal", mean=0, sd=1).kind == "normal"
    with pytest.raises(ValueError, match="grid values"):
        ParameterSpec(range=[0, 1]).grid_values()
    with pytest.raises(ValueError, match="no bounds"):
        ParameterSpec(values=[1.0]).salib()


def test_sweep_spec_validates_without_files() -> None:
    spec = SweepSpec.model_validate(with_parameters({"a.b": {"values": [1]}}))
    assert spec.scenario_files == [("scenario", str(BASELINE))]
    listed = SweepSpec.model_validate(
        with_parameters({"a.b": {"values": [1]}}, scenario=None, scenarios=["x.yaml", "y.yaml"])
    )
    assert listed.scenario_files == [("scenarios[0]", "x.yaml"), ("scenarios[1]", "y.yaml")]
