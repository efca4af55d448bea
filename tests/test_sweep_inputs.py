"""Free inputs of a scenario: every listed path resolves and changes the scenario, every
numeric field is either an input or left out with a reason, the range rule gives the
hand-computed ranges, and every bad ranges file gives one clear error.
"""

from __future__ import annotations

import fnmatch
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lsr_sim.errors import InputError
from lsr_sim.scenario import load_scenario, scenario_from_dict
from lsr_sim.scenario.paths import apply_parameters, resolve_path
from lsr_sim.sweep.inputs import (
    DEFAULT_EXCLUDE,
    RangeRules,
    free_inputs,
    load_range_rules,
)

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"

TINY: dict[str, Any] = {
    "name": "tiny",
    "run": {"start_date": "2025-01-01", "steps": 10, "seed": 3},
    "actors": {
        "A": {
            "role": "principal",
            "capability": 0.5,
            "positions": {"x": 0.8},
            "salience": {"x": 0.6, "y": 0.4},
            "trust": {"B": 0.3},
            "strategy": {"name": "boulware", "params": {"exponent": 4.0}},
        },
        "B": {
            "role": "principal",
            "capability": 0.9,
            "positions": {"x": 0.0, "y": 1.0},
            "salience": {"x": 1.0},
            "trust": {"A": 0.2},
        },
    },
    "issues": {
        "x": {"scale": {"low": "none", "high": "all"}, "parties": ["A", "B"], "phases": [0.1]},
        "y": {
            "scale": {"low": "none", "high": "all"},
            "parties": ["A", "B"],
            "implementation_rate": 0.05,
        },
    },
    "events": {
        "talks": {
            "date": "2025-01-15",
            "kind": "meeting",
            "source": "hypothetical",
            "effects": [
                {"type": "convene", "issues": ["x"]},
                {"type": "trust_shock", "from": ["A"], "to": ["B"], "delta": -0.1},
            ],
        }
    },
}

# Hand-computed from the rule: +/-50% of v, zero -> [0, 0.25], clipped to the field's bounds,
# ends that make the scenario invalid moved toward the value.
TINY_EXPECTED = [
    ("actors.A.capability", 0.5, 0.25, 0.75, "+/-50%"),
    ("actors.A.reliability", 0.7, 0.35, 1.0, "+/-50%, clipped to [0, 1]"),
    ("actors.A.resolve", 0.5, 0.25, 0.75, "+/-50%"),
    ("actors.A.reservation", 0.02, 0.01, 0.03, "+/-50%"),
    ("actors.A.reciprocity", 0.5, 0.25, 0.75, "+/-50%"),
    ("actors.A.attention", 1.0, 0.5, 1.0, "+/-50%, clipped to [0, 1]"),
    ("actors.A.positions.x", 0.8, 0.4, 1.0, "+/-50%, clipped to [0, 1]"),
    ("actors.A.salience_share.x", 0.6, 0.3, 0.9, "+/-50%"),
    ("actors.A.salience_share.y", 0.4, 0.2, 0.6, "+/-50%"),
    ("actors.A.trust.B", 0.3, 0.15, 0.45, "+/-50%"),
    ("actors.A.strategy.params.exponent", 4.0, 2.0, 6.0, "+/-50%"),
    ("actors.A.strategy.params.floor", 0.0, 0.0, 0.25, "zero: [0, 0.25]"),
    ("actors.B.capability", 0.9, 0.45, 1.0, "+/-50%, clipped to [0, 1]"),
    ("actors.B.reliability", 0.7, 0.35, 1.0, "+/-50%, clipped to [0, 1]"),
    ("actors.B.resolve", 0.5, 0.25, 0.75, "+/-50%"),
    ("actors.B.reservation", 0.02, 0.01, 0.03, "+/-50%"),
    ("actors.B.reciprocity", 0.5, 0.25, 0.75, "+/-50%"),
    ("actors.B.attention", 1.0, 0.5, 1.0, "+/-50%, clipped to [0, 1]"),
    ("actors.B.positions.x", 0.0, 0.0, 0.25, "zero: [0, 0.25]"),
    ("actors.B.positions.y", 1.0, 0.5, 1.0, "+/-50%, clipped to [0, 1]"),
    ("actors.B.trust.A", 0.2, 0.1, 0.3, "+/-50%"),
    ("actors.B.strategy.params.exponent", 1.0, 0.5, 1.5, "+/-50%"),  # linear, by default
    ("actors.B.strategy.params.floor", 0.0, 0.0, 0.25, "zero: [0, 0.25]"),
    # the status quo must stay below the first phase (0.1): the zero rule's 0.25 is cut
    (
        "issues.x.status_quo",
        0.0,
        0.0,
        0.0999,
        "zero: [0, 0.25], narrowed to keep the scenario valid",
    ),
    ("issues.x.implementation_rate", 0.1, 0.05, 0.15, "+/-50%"),
    ("issues.y.status_quo", 0.0, 0.0, 0.25, "zero: [0, 0.25]"),
    ("issues.y.implementation_rate", 0.05, 0.025, 0.075, "+/-50%"),
    ("events.talks.effects.1.delta", -0.1, -0.15, -0.05, "+/-50%"),
]


@pytest.fixture(scope="module")
def tiny():
    return scenario_from_dict(TINY, "tiny.yaml")


@pytest.fixture(scope="module")
def baseline():
    return load_scenario(BASELINE)


@pytest.fixture(scope="module")
def baseline_inputs(baseline):
    return free_inputs(baseline)


def test_tiny_scenario_ranges_are_the_hand_computed_ones(tiny):
    found = free_inputs(tiny)
    got = [(i.path, i.value, i.low, i.high, i.rule) for i in found.inputs]
    assert got[: len(TINY_EXPECTED)] == TINY_EXPECTED
    rest = [i.path for i in found.inputs[len(TINY_EXPECTED) :]]
    assert all(p.startswith(("dynamics.", "rounded.dynamics.")) for p in rest)
    assert "rounded.dynamics.talks_timeout" in rest and "dynamics.protocol" not in rest
    by_path = {i.path: i for i in found.inputs}
    assert (
        by_path["rounded.dynamics.talks_timeout"].low,
        by_path["rounded.dynamics.talks_timeout"].high,
    ) == (13.0, 39.0)
    assert by_path["dynamics.betrayal_weight"].low == 1.0  # 2 +/- 1, the field's own ge 1


def test_tiny_scenario_left_out_fields_have_reasons(tiny):
    excluded = {e.path: e.reason for e in free_inputs(tiny).excluded}
    assert "sits at the issue's status quo" in excluded["actors.A.positions.y"]
    assert "only issue" in excluded["actors.B.salience_share.x"]
    assert "where each phase of a deal ends" in excluded["issues.x.phases"]
    assert "master seed" in excluded["run.seed"]
    assert "actors.*.salience.*" in excluded and "events.*.date" in excluded
    assert all(reason.strip() for reason in excluded.values())


def _numeric_leaves(data: Any, prefix: str = "") -> Iterator[str]:
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _numeric_leaves(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(data, (list, tuple)):
        for i, value in enumerate(data):
            yield from _numeric_leaves(value, f"{prefix}.{i}")
    elif isinstance(data, (int, float)) and not isinstance(data, bool):
        yield prefix


def _covered(leaf: str, inputs: set[str], excluded: list[str]) -> bool:
    if leaf in inputs or f"rounded.{leaf}" in inputs:
        return True
    parts = leaf.split(".")
    if parts[0] == "actors" and parts[2] == "salience":
        share = ".".join([*parts[:2], "salience_share", *parts[3:]])
        if share in inputs:
            return True
    for pattern in excluded:
        for single in (p.strip() for p in pattern.split(",")):
            if fnmatch.fnmatchcase(leaf, single) or leaf.startswith(single + "."):
                return True
    return False


@pytest.mark.parametrize("which", ["tiny", "baseline"])
def test_every_numeric_field_is_an_input_or_left_out_with_a_reason(which, tiny, baseline):
    scenario = tiny if which == "tiny" else baseline
    found = free_inputs(scenario)
    inputs = set(found.paths)
    excluded = [e.path for e in found.excluded]
    assert all(e.reason.strip() for e in found.excluded)
    # every numeric value the scenario holds, defaults included ...
    leaves = list(_numeric_leaves(scenario.model_dump(mode="python", by_alias=True)))
    # ... and every strategy parameter, declared by the strategy even when not listed
    from lsr_sim.strategies import get_strategy_class

    for name, actor in scenario.actors.items():
        for param in get_strategy_class(actor.strategy.name).parameter_names():
            leaves.append(f"actors.{name}.strategy.params.{param}")
    missing = [leaf for leaf in leaves if not _covered(leaf, inputs, excluded)]
    assert missing == []
    assert len(inputs) == len(found.inputs)  # each path once


def test_every_baseline_input_resolves_validates_and_changes_the_scenario(
    baseline, baseline_inputs
):
    data = baseline.model_dump(mode="python", by_alias=True, exclude_unset=True)
    assert len(baseline_inputs.inputs) > 200
    for item in baseline_inputs.inputs:
        target = resolve_path(baseline, item.path)
        assert not target.integer
        if target.current is None:  # a strategy parameter at its class default
            assert ".strategy.params." in item.path
        else:
            assert math.isclose(float(target.current), item.value)
        assert item.low < item.high
        assert item.low <= item.value <= item.high or item.path.startswith("rounded.")
        changed = []
        for end in (item.low, item.high):
            scenario = scenario_from_dict(apply_parameters(data, {item.path: end}))
            changed.append(scenario != baseline)
        assert any(changed), item.path
        if not (item.low < item.value < item.high):
            continue
        assert all(changed), item.path


def test_baseline_groups_cover_the_lead_developers_list(baseline_inputs):
    groups = {i.group for i in baseline_inputs.inputs}
    assert groups == {
        "actor",
        "position",
        "salience share",
        "trust",
        "strategy",
        "network",
        "issue",
        "quantity",
        "incident",
        "incident effect",
        "event effect",
        "dynamics",
    }
    excluded = {e.path for e in baseline_inputs.excluded}
    assert "actors.Damascus.strategy.params.tolerance" in excluded  # DEFAULT_EXCLUDE
    assert set(DEFAULT_EXCLUDE) == {"actors.*.strategy.params.tolerance"}


# -- the ranges file ---------------------------------------------------------------------------


def test_ranges_file_sets_rules_own_ranges_and_exclusions(tiny, write_yaml):
    path = write_yaml(
        {
            "relative": 0.2,
            "zero_share": 0.1,
            "ranges": {"actors.A.capability": [0.1, 0.2], "dynamics.veto_strength": [0.0, 3.0]},
            "exclude": {"actors.B.*": "B is fixed in this study"},
        },
        "ranges.yaml",
    )
    rules = load_range_rules(path)
    assert rules == RangeRules(
        0.2,
        0.1,
        {"actors.A.capability": (0.1, 0.2), "dynamics.veto_strength": (0.0, 3.0)},
        {"actors.B.*": "B is fixed in this study"},
        str(path),
    )
    found = free_inputs(tiny, rules)
    by_path = {i.path: i for i in found.inputs}
    assert (by_path["actors.A.resolve"].low, by_path["actors.A.resolve"].high) == (0.4, 0.6)
    assert (
        by_path["actors.A.strategy.params.floor"].high,
        by_path["issues.y.status_quo"].high,
    ) == (0.1, 0.1)
    own = by_path["actors.A.capability"]
    assert (own.low, own.high, own.rule, own.value) == (0.1, 0.2, "ranges file", 0.5)
    assert found.inputs[-1].path == "dynamics.veto_strength"  # own ranges come last
    assert not any(p.startswith("actors.B.") for p in by_path)
    assert {e.reason for e in found.excluded if e.path.startswith("actors.B.capability")} == {
        "B is fixed in this study"
    }


def test_ranges_file_can_vary_a_field_left_out_by_default(baseline, write_yaml):
    path = "issues.officers.quantities.junior.spontaneous_rate"
    rules = load_range_rules(write_yaml({"ranges": {path: [0.0, 0.001]}}, "ranges.yaml"))
    found = free_inputs(baseline, rules)
    assert path in found.paths
    assert path not in {e.path for e in found.excluded}
    assert found.inputs[-1].group == "quantity"


BAD_RANGES = [
    ("relative: 0.0", "relative: is 0.0, out of range: must be > 0.0"),
    ("relative: x", "relative: got 'x'; expected a number in (0, 1]"),
    ("relative: 1.5", "relative: is 1.5, out of range: must be <= 1.0"),
    ("zero_shar: 0.1", "unknown field 'zero_shar' (did you mean 'zero_share'?)"),
    (
        "ranges: {actors.A.capability: [0.5, 0.2]}",
        "ranges.actors.A.capability: [0.5, 0.2]: expected [low, high] with low < high",
    ),
    (
        "ranges: {actors.A.capability: [0.5]}",
        "ranges.actors.A.capability: got a range that is not two numbers; expected [low, high]",
    ),
    (
        "ranges: {actors.A.capability: [0.1, x]}",
        "ranges.actors.A.capability: got 'x'; expected [low, high]",
    ),
    (
        "ranges: {actors.A.capability: [0.1, 0.2]}\nexclude: {actors.A.capability: x}",
        "exclude.actors.A.capability: is also given a range",
    ),
    (
        "exclude: {actors.A.capability: ''}",
        "exclude.actors.A.capability: got ''; expected the reason",
    ),
    ("- a list", "the top level is a list"),
    ("", "file is empty"),
]


@pytest.mark.parametrize(("text", "message"), BAD_RANGES)
def test_bad_ranges_files(write_yaml, text, message):
    path = write_yaml(text, "ranges.yaml")
    with pytest.raises(InputError) as caught:
        load_range_rules(path)
    error = str(caught.value)
    assert error.startswith(f"{path}: "), error
    assert message in error
    assert "\n" not in error


BAD_FOR_SCENARIO = [
    (
        {"ranges": {"actors.C.capability": [0.1, 0.2]}},
        "ranges.actors.C.capability: unknown actor 'C'",
    ),
    (
        {"ranges": {"actors.A.capability": [0.1, 1.5]}},
        "ranges.actors.A.capability: 1.5 makes the scenario invalid",
    ),
    ({"ranges": {"dynamics.talks_timeout": [10.0, 20.0]}}, "write rounded.dynamics.talks_timeout"),
    ({"ranges": {"run.steps": [10.0, 20.0]}}, "it is structure, not an input to vary"),
    ({"ranges": {"actors.A.salience.x": [0.3, 0.9]}}, "salience: sums to"),
    ({"exclude": {"actors.Z.*": "no such actor"}}, "exclude.actors.Z.*: matches no input"),
]


@pytest.mark.parametrize(("content", "message"), BAD_FOR_SCENARIO)
def test_ranges_that_do_not_fit_the_scenario(tiny, write_yaml, content, message):
    path = write_yaml(content, "ranges.yaml")
    with pytest.raises(InputError) as caught:
        free_inputs(tiny, load_range_rules(path))
    error = str(caught.value)
    assert error.startswith(f"{path}: "), error
    assert message in error
    assert "\n" not in error
