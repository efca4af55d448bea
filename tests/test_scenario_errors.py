"""Bad scenario input gives one clear error; good input loads.

Every error names the file, the field path, what is wrong and what is expected, on a single
line: ``<file>: <field path>: <message>``. Most bad files here are small variants of the
baseline (``extends:`` plus an override; mappings merge, other values replace, ``null``
deletes), or minimal whole scenarios.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

import pytest

from lsr_sim.errors import InputError, ScenarioError
from lsr_sim.scenario import (
    deep_merge,
    load_scenario,
    read_yaml_mapping,
    scenario_from_dict,
    scenario_hash,
)
from lsr_sim.scenario.yamlfile import parse_yaml

SCENARIOS_DIR = Path(__file__).resolve().parents[1] / "scenarios"
BASELINE = SCENARIOS_DIR / "baseline.yaml"


def shipped_scenarios() -> list[Path]:
    """Every scenario file in ``scenarios/``, without sweep definitions."""
    return sorted(
        path
        for path in SCENARIOS_DIR.glob("**/*.yaml")
        if "sweeps" not in path.relative_to(SCENARIOS_DIR).parts
    )


# A small whole scenario, written from a dict.
MINIMAL: dict[str, Any] = {
    "name": "minimal",
    "run": {"start_date": "2025-01-01", "steps": 10},
    "actors": {
        "A": {"role": "principal", "capability": 0.5, "salience": {"x": 1.0}},
        "B": {"role": "principal", "capability": 0.5, "salience": {"x": 1.0}},
    },
    "issues": {"x": {"scale": {"low": "none", "high": "all"}, "parties": ["A", "B"]}},
}


def minimal(**override: Any) -> dict[str, Any]:
    """MINIMAL with top-level fields merged in (``None`` deletes, as in a variant)."""
    return deep_merge(copy.deepcopy(MINIMAL), override)


def load_error(path: Path) -> ScenarioError:
    """The ScenarioError that loading `path` raises, checked for the message format."""
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    err = info.value
    text = str(err)
    assert "\n" not in text, f"message is not a single line: {text!r}"
    assert text.startswith(f"{err.source}: "), text
    assert err.message and err.message in text
    return err


def assert_error(path: Path, field: str, *words: str, source: Path | None = None) -> str:
    """Loading `path` fails at `field` with all `words` in the message; return the text."""
    err = load_error(path)
    assert err.source == str(source or path)
    assert err.path == field, str(err)
    if field:
        assert str(err).startswith(f"{source or path}: {field}: "), str(err)
    for word in words:
        assert word in err.message, f"{word!r} not in {str(err)!r}"
    return str(err)


# ------------------------------------------------------------------------ success path


@pytest.mark.parametrize(
    "path", shipped_scenarios(), ids=lambda p: str(p.relative_to(SCENARIOS_DIR))
)
def test_shipped_scenarios_load(path: Path) -> None:
    scenario = load_scenario(path)
    assert scenario.name
    assert len(scenario.actors) >= 2


def test_baseline_is_shipped() -> None:
    assert BASELINE in shipped_scenarios()


def test_minimal_scenario_loads_with_defaults(write_yaml) -> None:
    scenario = load_scenario(write_yaml(MINIMAL))
    assert scenario.name == "minimal"
    assert scenario.actors["A"].strategy.name == "linear"
    assert scenario.dynamics.protocol == "offers"
    assert scenario.calibration is None
    assert str(scenario.run.start_date) == "2025-01-01"


def test_variant_overrides_one_value_and_keeps_the_rest(write_variant, baseline_path) -> None:
    base = load_scenario(baseline_path)
    variant = load_scenario(write_variant("actors:\n  Beirut:\n    capability: 0.6\n"))
    assert variant.actors["Beirut"].capability == 0.6
    assert variant.actors["Beirut"].salience == base.actors["Beirut"].salience
    assert variant.actors["Damascus"] == base.actors["Damascus"]
    assert variant.events == base.events


def test_extends_relative_path(write_yaml, tmp_path: Path, baseline_path: Path) -> None:
    relative = os.path.relpath(baseline_path, tmp_path)
    path = write_yaml(f"extends: {relative}\nrun:\n  steps: 200\n")
    assert load_scenario(path).run.steps == 200


def test_extends_chain_of_two_levels(write_yaml) -> None:
    write_yaml(
        """
        name: middle
        run: {steps: 200, seed: 3}
        actors:
          Beirut: {capability: 0.6}
        """,
        "middle.yaml",
        extends=True,
    )
    # A relative `extends` is relative to the folder of the file that has it.
    path = write_yaml(
        """
        extends: ../middle.yaml
        name: top
        run: {seed: 4}
        actors:
          Damascus: {capability: 0.3}
        """,
        "sub/top.yaml",
    )
    scenario = load_scenario(path)
    assert scenario.name == "top"
    assert (scenario.run.steps, scenario.run.seed) == (200, 4)
    assert scenario.actors["Beirut"].capability == 0.6
    assert scenario.actors["Damascus"].capability == 0.3
    assert scenario.actors["Riyadh"].capability == 0.7  # from the baseline
    assert scenario.actors["Beirut"].role == "principal"


def test_null_deletes_an_event(write_variant, baseline_path) -> None:
    base = load_scenario(baseline_path)
    scenario = load_scenario(write_variant("events:\n  raids: null\n"))
    assert "raids" in base.events
    assert "raids" not in scenario.events
    assert set(scenario.events) == set(base.events) - {"raids"}


def test_null_deletes_a_section_and_a_link(write_variant) -> None:
    scenario = load_scenario(
        write_variant("calibration: null\nnetwork:\n  pressure:\n    Hezbollah: null\n")
    )
    assert scenario.calibration is None
    assert "Hezbollah" not in scenario.network["pressure"]
    assert "Beirut" in scenario.network["channel"]


def test_lists_are_replaced_not_merged(write_variant) -> None:
    scenario = load_scenario(
        write_variant("issues:\n  officers:\n    parties: [Damascus, Beirut]\n")
    )
    assert scenario.issues["officers"].parties == ["Damascus", "Beirut"]


class TestDeepMerge:
    def test_mappings_merge_recursively(self) -> None:
        base = {"a": {"x": 1, "y": {"p": 1, "q": 2}}, "b": 1}
        assert deep_merge(base, {"a": {"y": {"q": 3}}}) == {
            "a": {"x": 1, "y": {"p": 1, "q": 3}},
            "b": 1,
        }

    def test_other_values_replace(self) -> None:
        base = {"list": [1, 2, 3], "n": 1, "s": "a", "m": {"k": 1}}
        override = {"list": [9], "n": 2.5, "s": {"now": "a mapping"}, "m": "now text"}
        assert deep_merge(base, override) == override

    def test_none_deletes(self) -> None:
        assert deep_merge({"a": 1, "b": {"c": 1, "d": 2}}, {"a": None, "b": {"c": None}}) == {
            "b": {"d": 2}
        }

    def test_none_for_a_missing_key_is_harmless(self) -> None:
        assert deep_merge({"a": 1}, {"z": None}) == {"a": 1}

    def test_new_keys_are_added(self) -> None:
        assert deep_merge({"a": 1}, {"b": {"c": 2}}) == {"a": 1, "b": {"c": 2}}

    def test_inputs_are_not_modified(self) -> None:
        base = {"a": {"x": [1]}, "b": 2}
        override = {"a": {"y": [2]}, "b": None}
        before = copy.deepcopy((base, override))
        merged = deep_merge(base, override)
        merged["a"]["x"].append(99)
        merged["a"]["y"].append(99)
        assert (base, override) == before


class TestScenarioHash:
    def test_equal_for_equal_content(self, baseline_path: Path, write_yaml) -> None:
        copy_path = write_yaml(baseline_path.read_text(encoding="utf-8"), "copy.yaml")
        first = scenario_hash(load_scenario(baseline_path))
        assert first == scenario_hash(load_scenario(baseline_path))
        assert first == scenario_hash(load_scenario(copy_path))
        assert len(first) == 64 and int(first, 16) >= 0

    def test_equal_for_a_variant_that_changes_nothing(self, baseline_path, write_variant):
        same = write_variant("run:\n  steps: 160\nactors:\n  Beirut:\n    capability: 0.45\n")
        assert scenario_hash(load_scenario(same)) == scenario_hash(load_scenario(baseline_path))

    @pytest.mark.parametrize(
        "override",
        [
            "run:\n  seed: 1\n",
            "actors:\n  Beirut:\n    capability: 0.46\n",
            "events:\n  raids: null\n",
            "dynamics:\n  trust_gain_rate: 0.09\n",
            "description: another description\n",
        ],
    )
    def test_differs_when_a_value_changes(self, baseline_path, write_variant, override):
        changed = load_scenario(write_variant(override))
        assert scenario_hash(changed) != scenario_hash(load_scenario(baseline_path))


def test_scenario_from_dict_names_its_source() -> None:
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(minimal(run={"steps": 0}), source="inline")
    assert str(info.value) == "inline: run.steps: is 0, out of range: must be > 0"


def test_scenario_error_is_an_input_error() -> None:
    assert issubclass(ScenarioError, InputError)
    assert issubclass(ScenarioError, ValueError)


# ------------------------------------------------------------------ files and YAML


def test_yaml_syntax_error_gives_the_line(write_yaml) -> None:
    path = write_yaml("name: x\nrun:\n  steps: [1, 2\n  seed: 3\nactors: {}\n")
    text = assert_error(path, "", "YAML syntax error", "line 4")
    assert text.startswith(f"{path}: YAML syntax error at line 4, column")


@pytest.mark.parametrize(
    ("override", "words"),
    [
        # deeper than its sibling: YAML reads it as part of the value above
        ("run:\n  steps: 10\n   seed: 3\n", ["line 4", "indented deeper than the one above"]),
        # shallower than its siblings
        ("run:\n  steps: 10\n seed: 3\n", ["line 4, column 2", "indented unlike the fields"]),
        # a list item among fields
        ("actors:\n  - Beirut\n  Damascus: {}\n", ["line 4", "next item ('- ...')"]),
    ],
)
def test_yaml_bad_indentation_gets_our_own_words(write_variant, override, words) -> None:
    # line 1 is `extends:`
    text = assert_error(write_variant(override), "", "YAML indentation error at line 4", *words)
    assert "expected <block end>" not in text and "did not find expected" not in text


def test_yaml_tab_indentation(write_yaml) -> None:
    assert_error(
        write_yaml("name: x\n\trun: 1\n"),
        "",
        "YAML indentation error at line 2",
        "a tab character; indent with spaces",
    )


def test_yaml_undefined_alias(write_yaml) -> None:
    assert_error(write_yaml("name: *nowhere\n"), "", "line 1", "undefined alias")


def test_yaml_several_documents(write_yaml) -> None:
    assert_error(write_yaml("name: a\n---\nname: b\n"), "", "YAML syntax error", "line 2")


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n", "---\n"])
def test_empty_file(write_yaml, text: str) -> None:
    assert_error(write_yaml(text), "", "file is empty", "expected a scenario mapping")


@pytest.mark.parametrize(
    ("text", "kind"),
    [("- a\n- b\n", "a list"), ("just text\n", "a single text value"), ("42\n", "a number")],
)
def test_top_level_not_a_mapping(write_yaml, text: str, kind: str) -> None:
    assert_error(write_yaml(text), "", f"the top level is {kind}", "expected a mapping")


def test_missing_file(tmp_path: Path) -> None:
    assert_error(tmp_path / "nope.yaml", "", "file not found")


def test_folder_instead_of_file(tmp_path: Path) -> None:
    assert_error(tmp_path, "", "is a folder", "expected a scenario YAML file")


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "binary.yaml"
    path.write_bytes(b"name: \xff\xfe\n")
    assert_error(path, "", "cannot be read as UTF-8")


def test_read_yaml_mapping_names_what_it_expects(write_yaml) -> None:
    from lsr_sim.errors import SweepError
    from lsr_sim.sweep.loading import SWEEP_FILE

    with pytest.raises(SweepError, match="expected a sweep mapping"):
        read_yaml_mapping(write_yaml("", "sweep.yaml"), SWEEP_FILE)


@pytest.mark.parametrize(
    "path", shipped_scenarios(), ids=lambda p: str(p.relative_to(SCENARIOS_DIR))
)
def test_fast_and_pure_python_parsers_agree(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    fast = parse_yaml(text, str(path))
    assert fast == parse_yaml(text, str(path), pure_python=True)


def test_dates_stay_text_until_validated(write_yaml) -> None:
    assert read_yaml_mapping(write_yaml("when: 2025-02-30\n")) == {"when": "2025-02-30"}


# -------------------------------------------------------------------- duplicate names


def test_duplicate_actor_key_gives_path_and_lines(write_variant) -> None:
    path = write_variant(
        """
        actors:
          Beirut:
            capability: 0.4
          Beirut:
            capability: 0.5
        """
    )
    # Line 1 is the `extends:` line the fixture writes.
    assert_error(path, "actors.Beirut", "duplicate key 'Beirut'", "line 5", "first at line 3")


def test_duplicate_top_level_key(write_yaml) -> None:
    path = write_yaml("name: a\nrun: {steps: 1}\nname: b\n")
    assert_error(path, "name", "duplicate key 'name' at line 3 (first at line 1)")


def test_duplicate_key_inside_an_effect(write_variant) -> None:
    path = write_variant(
        """
        events:
          raids:
            effects:
              - {type: setback, issue: officers, issue: refugees}
        """
    )
    assert_error(path, "events.raids.effects[0].issue", "duplicate key 'issue'", "line 5")


def test_duplicate_key_in_flow_mapping(write_variant) -> None:
    path = write_variant("actors:\n  Beirut:\n    trust: {Damascus: 0.2, Damascus: 0.3}\n")
    assert_error(path, "actors.Beirut.trust.Damascus", "duplicate key 'Damascus'", "line 4")


@pytest.mark.parametrize(
    ("override", "field", "name"),
    [
        (
            "issues:\n  officers:\n    parties: [Beirut, Beirut]\n",
            "issues.officers.parties",
            "Beirut",
        ),
        (
            "issues:\n  border_control:\n    veto_holders: [Hezbollah, Hezbollah]\n",
            "issues.border_control.veto_holders",
            "Hezbollah",
        ),
        (
            "issues:\n  officers:\n    linked_to: [detainees, detainees]\n",
            "issues.officers.linked_to",
            "detainees",
        ),
        (
            "events:\n  raids:\n    effects:\n      - {type: signal, actor: Beirut, "
            "toward: [Damascus, Damascus], channel: action, strength: 0.1}\n",
            "events.raids.effects[0].toward",
            "Damascus",
        ),
        (
            "events:\n  raids:\n    effects:\n"
            "      - {type: convene, issues: [officers, officers]}\n",
            "events.raids.effects[0].issues",
            "officers",
        ),
        (
            "incidents:\n  border_clash:\n    effects:\n      - {type: trust_shock, "
            "from: [Damascus, Damascus], to: [Beirut], delta: -0.1}\n",
            "incidents.border_clash.effects[0].from",
            "Damascus",
        ),
    ],
    ids=["parties", "veto_holders", "linked_to", "toward", "convene", "trust_shock"],
)
def test_duplicate_names_in_a_list(write_variant, override: str, field: str, name: str) -> None:
    assert_error(write_variant(override), field, f"{name!r} is listed twice", "list each name once")


# ------------------------------------------------------------- unknown fields (typos)

UNKNOWN_FIELDS = [
    pytest.param(
        "actrs: {}\n",
        "actrs",
        ["unknown field 'actrs'", "(did you mean 'actors'?)", "expected one of name,"],
        id="top-level",
    ),
    pytest.param(
        "actors:\n  Beirut:\n    capabilty: 0.5\n",
        "actors.Beirut.capabilty",
        ["unknown field 'capabilty'", "(did you mean 'capability'?)", "role, description"],
        id="actor",
    ),
    pytest.param(
        "run:\n  stepz: 10\n",
        "run.stepz",
        ["unknown field 'stepz'", "(did you mean 'steps'?)", "start_date, step_days"],
        id="run",
    ),
    pytest.param(
        "dynamics:\n  trust_gain: 0.1\n",
        "dynamics.trust_gain",
        ["(did you mean 'trust_gain_rate'?)"],
        id="dynamics",
    ),
    pytest.param(
        "issues:\n  officers:\n    scale: {lo: none}\n",
        "issues.officers.scale.lo",
        ["(did you mean 'low'?)", "expected one of low, high"],
        id="issue-scale",
    ),
    pytest.param(
        "issues:\n  officers:\n    quantities:\n      officers: {units: x}\n",
        "issues.officers.quantities.officers.units",
        ["(did you mean 'unit'?)", "expected one of total, unit, range, source"],
        id="quantity",
    ),
    pytest.param(
        "actors:\n  Beirut:\n    strategy: {nam: boulware}\n",
        "actors.Beirut.strategy.nam",
        ["(did you mean 'name'?)"],
        id="strategy",
    ),
    pytest.param(
        "events:\n  raids:\n    descripton: x\n",
        "events.raids.descripton",
        ["(did you mean 'description'?)"],
        id="event",
    ),
    pytest.param(
        "events:\n  raids:\n    effects:\n      - {type: signal, actor: Beirut, toward: [Damascus],"
        " channel: action, strenght: 0.4}\n",
        "events.raids.effects[0].strenght",
        ["unknown field 'strenght'", "(did you mean 'strength'?)", "actor, toward, channel"],
        id="event-effect-signal",
    ),
    pytest.param(
        "events:\n  raids:\n    effects:\n      - {type: trust_shock, from: [Beirut], "
        "to: [Damascus], delta: 0.1, mutal: true}\n",
        "events.raids.effects[0].mutal",
        ["(did you mean 'mutual'?)", "expected one of type, from, to, delta, mutual"],
        id="event-effect-trust-shock",
    ),
    pytest.param(
        "incidents:\n  border_clash:\n    effects:\n      - {type: setback, issue: officers,"
        " progres: 0.1}\n",
        "incidents.border_clash.effects[0].progres",
        ["(did you mean 'progress'?)", "expected one of type, issue, progress"],
        id="incident-effect-setback",
    ),
    pytest.param(
        "events:\n  raids:\n    effects:\n      - {type: link, link: channel, from: Beirut,"
        " to: Damascus, wieght: 0.1}\n",
        "events.raids.effects[0].wieght",
        ["(did you mean 'weight'?)", "expected one of type, link, from, to, weight"],
        id="event-effect-link",
    ),
    pytest.param(
        "calibration:\n  patterns:\n    trust_beirut_damascus_low:\n      at_mst: 0.1\n",
        "calibration.patterns.trust_beirut_damascus_low.at_mst",
        ["(did you mean 'at_most'?)"],
        id="calibration-pattern",
    ),
]


@pytest.mark.parametrize(("override", "field", "words"), UNKNOWN_FIELDS)
def test_unknown_field(write_variant, override: str, field: str, words: list[str]) -> None:
    text = assert_error(write_variant(override), field, *words)
    assert "more problem" not in text  # a misspelt field is one problem, not two


def test_unknown_field_without_a_close_match(write_variant) -> None:
    text = assert_error(write_variant("zzz: 1\n"), "zzz", "unknown field 'zzz'", "expected one of")
    assert "did you mean" not in text


def test_unknown_field_beside_an_unrelated_problem_counts_it(write_variant) -> None:
    path = write_variant("actors:\n  Beirut:\n    capabilty: 0.5\n    resolve: 7\n")
    assert_error(path, "actors.Beirut.capabilty", "unknown field", "(and 1 more problem)")


# ---------------------------------------------------------- missing fields and types

MISSING = [
    ("run: null\n", "run"),
    ("run:\n  steps: null\n", "run.steps"),
    ("run:\n  start_date: null\n", "run.start_date"),
    ("name: null\n", "name"),
    ("actors:\n  Beirut:\n    capability: null\n", "actors.Beirut.capability"),
    ("actors:\n  Beirut:\n    role: null\n", "actors.Beirut.role"),
    ("issues:\n  officers:\n    scale: null\n", "issues.officers.scale"),
    ("issues:\n  officers:\n    quantities:\n      officers:\n        source: null\n",
     "issues.officers.quantities.officers.source"),
    ("events:\n  raids:\n    source: null\n", "events.raids.source"),
    ("events:\n  new:\n    date: 2025-01-01\n    kind: x\n    source: y\n", "events.new.effects"),
    ("events:\n  raids:\n    effects:\n      - {type: agree, issue: officers}\n",
     "events.raids.effects[0].terms"),
    ("calibration:\n  patterns:\n    trust_beirut_damascus_low:\n      target: null\n",
     "calibration.patterns.trust_beirut_damascus_low.target"),
]  # fmt: skip


@pytest.mark.parametrize(("override", "field"), MISSING)
def test_missing_field(write_variant, override: str, field: str) -> None:
    assert_error(write_variant(override), field, "required field is missing")


def test_missing_fields_in_a_minimal_scenario(write_yaml) -> None:
    assert_error(write_yaml(minimal(issues=None)), "issues", "required field is missing")
    assert_error(write_yaml({"name": "x"}), "run", "required field is missing", "more problems")


WRONG_TYPES = [
    ("run:\n  steps: many\n", "run.steps", ["got 'many'", "expected a whole number"]),
    ("run:\n  steps: 10.5\n", "run.steps", ["got 10.5", "whole number"]),
    ("actors: [Beirut, Damascus]\n", "actors", ["got a list", "expected a mapping"]),
    ("actors:\n  Beirut: 3\n", "actors.Beirut", ["got 3", "expected a mapping"]),
    ("actors:\n  Beirut:\n    capability: high\n", "actors.Beirut.capability",
     ["got 'high'", "expected a number"]),
    ("actors:\n  Beirut:\n    strategy: boulware\n", "actors.Beirut.strategy",
     ["got 'boulware'", "expected a mapping"]),
    ("actors:\n  Beirut:\n    strategy: {params: {exponent: big}}\n",
     "actors.Beirut.strategy.params.exponent", ["got 'big'", "expected a number"]),
    ("issues:\n  officers:\n    parties: Beirut\n", "issues.officers.parties",
     ["got 'Beirut'", "expected a list"]),
    ("events:\n  raids:\n    effects: {type: setback, issue: officers}\n",
     "events.raids.effects", ["got a mapping", "expected a list"]),
    ("events:\n  raids:\n    effects: [setback]\n", "events.raids.effects[0]",
     ["got 'setback'", "expected a mapping"]),
    ("name: [a, b]\n", "name", ["got a list", "expected text"]),
    ("actors:\n  1: {role: other, capability: 0.5}\n", "actors.1", ["must be text", "quotes"]),
    ("actors:\n  Beirut:\n    role: principle\n", "actors.Beirut.role",
     ["is 'principle'", "(did you mean 'principal'?)", "expected one of principal, mediator"]),
    ("events:\n  raids:\n    effects:\n      - {type: signal, actor: Beirut, toward: [Damascus],"
     " channel: deed, strength: 0.4}\n", "events.raids.effects[0].channel",
     ["is 'deed'", "expected one of action, rhetoric"]),
    ("events:\n  raids:\n    effects:\n      - {type: link, link: chanel, from: Beirut,"
     " to: Damascus, weight: 0.1}\n", "events.raids.effects[0].link",
     ["is 'chanel'", "(did you mean 'channel'?)"]),
    ("network:\n  chanel:\n    Beirut: {Damascus: 0.5}\n", "network.chanel",
     ["unknown key 'chanel'", "(did you mean 'channel'?)", "channel, mediation, patronage"]),
    ("calibration:\n  patterns:\n    border_coordination_agreed:\n      in: [agred]\n",
     "calibration.patterns.border_coordination_agreed.in[0]",
     ["is 'agred'", "(did you mean 'agreed'?)"]),
]  # fmt: skip


@pytest.mark.parametrize(("override", "field", "words"), WRONG_TYPES)
def test_wrong_type(write_variant, override: str, field: str, words: list[str]) -> None:
    assert_error(write_variant(override), field, *words)


def test_null_in_a_whole_scenario_is_an_empty_value(write_yaml) -> None:
    # In a variant, null deletes a key of the base; in a file of its own, it is no value.
    path = write_yaml({**MINIMAL, "description": None})
    assert_error(path, "description", "is empty (null)", "give a value")


@pytest.mark.parametrize("value", ["3", "[a.yaml]", "''"])
def test_extends_must_be_a_path(write_yaml, value: str) -> None:
    path = write_yaml(f"extends: {value}\nname: x\n")
    assert_error(path, "extends", "expected the path of a scenario file")


# --------------------------------------------------------------------- out of range

OUT_OF_RANGE = [
    ("actors:\n  Beirut:\n    capability: 1.5\n", "actors.Beirut.capability", "is 1.5", "<= 1"),
    ("actors:\n  Beirut:\n    capability: 0\n", "actors.Beirut.capability", "is 0", "> 0"),
    ("actors:\n  Beirut:\n    trust: {Damascus: 1.2}\n", "actors.Beirut.trust.Damascus",
     "is 1.2", "<= 1"),
    ("actors:\n  Beirut:\n    positions: {officers: -0.1}\n", "actors.Beirut.positions.officers",
     "is -0.1", ">= 0"),
    ("actors:\n  Beirut:\n    salience: {officers: -0.1}\n", "actors.Beirut.salience.officers",
     "is -0.1", ">= 0"),
    ("run:\n  steps: 0\n", "run.steps", "is 0", "> 0"),
    ("run:\n  seed: -1\n", "run.seed", "is -1", ">= 0"),
    ("run:\n  step_days: 0\n", "run.step_days", "is 0", "> 0"),
    ("issues:\n  officers:\n    status_quo: 2\n", "issues.officers.status_quo", "is 2", "<= 1"),
    ("issues:\n  officers:\n    quantities:\n      officers: {total: 0}\n",
     "issues.officers.quantities.officers.total", "is 0", "> 0"),
    ("network:\n  channel:\n    Beirut: {Damascus: 1.5}\n", "network.channel.Beirut.Damascus",
     "is 1.5", "<= 1"),
    ("events:\n  raids:\n    effects:\n      - {type: trust_shock, from: [Beirut], to: [Damascus],"
     " delta: -2}\n", "events.raids.effects[0].delta", "is -2", ">= -1"),
    ("incidents:\n  border_clash:\n    rate: 1.5\n", "incidents.border_clash.rate", "is 1.5",
     "<= 1"),
    ("dynamics:\n  trust_gain_rate: 3\n", "dynamics.trust_gain_rate", "is 3", "<= 1"),
    ("calibration:\n  runs: 0\n", "calibration.runs", "is 0", "> 0"),
    ("calibration:\n  patterns:\n    trust_beirut_damascus_low:\n      target: 0\n",
     "calibration.patterns.trust_beirut_damascus_low.target", "is 0", "> 0"),
]  # fmt: skip


@pytest.mark.parametrize(("override", "field", "value", "bound"), OUT_OF_RANGE)
def test_out_of_range(write_variant, override: str, field: str, value: str, bound: str) -> None:
    assert_error(write_variant(override), field, value, "out of range", f"must be {bound}")


def test_too_few_parties_and_actors(write_variant, write_yaml) -> None:
    path = write_variant("issues:\n  officers:\n    parties: [Beirut]\n")
    assert_error(path, "issues.officers.parties", "has 1 item(s), expected at least 2")
    path = write_yaml(minimal(actors={"B": None}, issues={"x": {"parties": ["A", "A"]}}))
    assert_error(path, "actors", "has 1 item(s), expected at least 2")


def test_quantity_range_low_must_be_below_high(write_variant) -> None:
    for low_high in ("[0.5, 0.5]", "[0.8, 0.2]"):
        path = write_variant(
            f"issues:\n  officers:\n    quantities:\n      officers:\n        range: {low_high}\n"
        )
        assert_error(
            path, "issues.officers.quantities.officers.range", "must have low < high", low_high
        )


def test_salience_must_sum_to_one(write_variant) -> None:
    path = write_variant("actors:\n  Hezbollah:\n    salience: {officers: 0.45}\n")
    text = assert_error(path, "actors.Hezbollah.salience", "sums to 1.4, must sum to 1")
    assert text == f"{path}: actors.Hezbollah.salience: sums to 1.4, must sum to 1"


def test_empty_salience(write_yaml) -> None:
    path = write_yaml(minimal(actors={"A": {"salience": {"x": None}}}))
    assert_error(path, "actors.A.salience", "sums to 0, must sum to 1")


def test_trust_in_itself(write_variant) -> None:
    path = write_variant("actors:\n  Beirut:\n    trust: {Beirut: 0.9}\n")
    assert_error(path, "actors.Beirut.trust.Beirut", "trust of an actor in itself")


# ---------------------------------------------------------- unknown actors and issues

ACTORS = "expected one of Beirut, Damascus, Riyadh, Hezbollah, Washington"
UNKNOWN_REFERENCES = [
    pytest.param("actors:\n  Beirut:\n    trust: {Damscus: 0.2}\n",
                 "actors.Beirut.trust.Damscus", "actor 'Damscus'", "Damascus", id="trust"),
    pytest.param("network:\n  channel:\n    Beirt: {Damascus: 0.5}\n",
                 "network.channel.Beirt", "actor 'Beirt'", "Beirut", id="network-from"),
    pytest.param("network:\n  mediation:\n    Riyadh: {Damascos: 0.5}\n",
                 "network.mediation.Riyadh.Damascos", "actor 'Damascos'", "Damascus",
                 id="network-to"),
    pytest.param("events:\n  raids:\n    effects:\n      - {type: signal, actor: Beirutt,"
                 " toward: [Damascus], channel: action, strength: 0.4}\n",
                 "events.raids.effects[0].actor", "actor 'Beirutt'", "Beirut", id="signal-actor"),
    pytest.param("events:\n  raids:\n    effects:\n      - {type: signal, actor: Beirut,"
                 " toward: [Damascus, Riyad], channel: action, strength: 0.4}\n",
                 "events.raids.effects[0].toward[1]", "actor 'Riyad'", "Riyadh",
                 id="signal-toward"),
    pytest.param("events:\n  raids:\n    effects:\n      - {type: trust_shock, from: [Hezbollah],"
                 " to: [Beirutt], delta: -0.05}\n",
                 "events.raids.effects[0].to[0]", "actor 'Beirutt'", "Beirut", id="shock-to"),
    pytest.param("events:\n  raids:\n    effects:\n      - {type: convene, issues: [officer],"
                 " mediator: Riyadh}\n",
                 "events.raids.effects[0].issues[0]", "issue 'officer'", "officers",
                 id="convene-issue"),
    pytest.param("events:\n  raids:\n    effects:\n      - {type: convene, issues: [officers],"
                 " mediator: Ryiadh}\n",
                 "events.raids.effects[0].mediator", "actor 'Ryiadh'", "Riyadh",
                 id="convene-mediator"),
    pytest.param("events:\n  raids:\n    effects:\n      - {type: agree, issue: refugee,"
                 " terms: 0.3}\n",
                 "events.raids.effects[0].issue", "issue 'refugee'", "refugees", id="agree"),
    pytest.param("incidents:\n  border_clash:\n    effects:\n      - {type: setback,"
                 " issue: border_demarkation}\n",
                 "incidents.border_clash.effects[0].issue", "issue 'border_demarkation'",
                 "border_demarcation", id="incident-setback"),
    pytest.param("events:\n  raids:\n    effects:\n      - {type: link, link: pressure,"
                 " from: Hizbollah, to: Beirut, weight: 0.2}\n",
                 "events.raids.effects[0].from", "actor 'Hizbollah'", "Hezbollah", id="link"),
    pytest.param("issues:\n  officers:\n    parties: [Beirut, Damascus, Tehran]\n",
                 "issues.officers.parties[2]", "actor 'Tehran'", None, id="parties"),
    pytest.param("issues:\n  officers:\n    veto_holders: [Hezbolah]\n",
                 "issues.officers.veto_holders[0]", "actor 'Hezbolah'", "Hezbollah",
                 id="veto_holders"),
    pytest.param("issues:\n  officers:\n    linked_to: [detaines]\n",
                 "issues.officers.linked_to[0]", "issue 'detaines'", "detainees", id="linked_to"),
    pytest.param("actors:\n  Beirut:\n    positions: {officer: 0.1}\n",
                 "actors.Beirut.positions.officer", "issue 'officer'", "officers", id="positions"),
    pytest.param("actors:\n  Beirut:\n    salience: {refugee: 0.15, refugees: null}\n",
                 "actors.Beirut.salience.refugee", "issue 'refugee'", "refugees", id="salience"),
    pytest.param("calibration:\n  patterns:\n    border_coordination_agreed:\n"
                 "      issue: border\n",
                 "calibration.patterns.border_coordination_agreed.issue", "issue 'border'",
                 "border_control", id="calibration-issue"),
    pytest.param("calibration:\n  patterns:\n    trust_beirut_damascus_low:\n"
                 "      truster: Beirt\n",
                 "calibration.patterns.trust_beirut_damascus_low.truster", "actor 'Beirt'",
                 "Beirut", id="calibration-truster"),
    pytest.param("calibration:\n  patterns:\n    trust_beirut_damascus_low:\n"
                 "      trustee: Damascuss\n",
                 "calibration.patterns.trust_beirut_damascus_low.trustee", "actor 'Damascuss'",
                 "Damascus", id="calibration-trustee"),
    pytest.param("calibration:\n  patterns:\n    pretrial_unresolved:\n      quantity: pretrial\n",
                 "calibration.patterns.pretrial_unresolved.quantity", "quantity 'pretrial'",
                 "pre_trial", id="calibration-quantity"),
]  # fmt: skip


@pytest.mark.parametrize(("override", "field", "what", "suggestion"), UNKNOWN_REFERENCES)
def test_unknown_reference(
    write_variant, override: str, field: str, what: str, suggestion: str | None
) -> None:
    text = assert_error(write_variant(override), field, f"unknown {what}", "expected one of")
    if suggestion is None:
        assert "did you mean" not in text
    else:
        assert f"(did you mean {suggestion!r}?)" in text
    if "actor" in what:
        assert ACTORS in text


# ----------------------------------------------------------- self references, logic


SELF_REFERENCES = [
    ("issues:\n  officers:\n    veto_holders: [Beirut]\n", "issues.officers.veto_holders[0]",
     "'Beirut' is also a party"),
    ("issues:\n  officers:\n    linked_to: [officers]\n", "issues.officers.linked_to[0]",
     "cannot be linked to itself"),
    ("network:\n  channel:\n    Beirut: {Beirut: 0.5}\n", "network.channel.Beirut.Beirut",
     "a link to itself"),
    ("events:\n  raids:\n    effects:\n      - {type: link, link: channel, from: Beirut,"
     " to: Beirut, weight: 0.5}\n", "events.raids.effects[0].to", "a link to itself"),
    ("events:\n  raids:\n    effects:\n      - {type: signal, actor: Beirut, toward: [Beirut],"
     " channel: action, strength: 0.5}\n", "events.raids.effects[0].toward[0]",
     "signals toward itself"),
    ("events:\n  raids:\n    effects:\n      - {type: trust_shock, from: [Beirut], to: [Beirut],"
     " delta: 0.5}\n", "events.raids.effects[0].to", "trust of an actor in itself"),
    ("calibration:\n  patterns:\n    trust_beirut_damascus_low:\n      trustee: Beirut\n",
     "calibration.patterns.trust_beirut_damascus_low.trustee", "trust of an actor in itself"),
    ("calibration:\n  patterns:\n    trust_beirut_damascus_low:\n      at_least: 0.6\n",
     "calibration.patterns.trust_beirut_damascus_low.at_least", "above at_most 0.4"),
    ("calibration:\n  patterns:\n    trust_beirut_damascus_low:\n      truster: null\n",
     "calibration.patterns.trust_beirut_damascus_low", "metric 'trust' needs field(s) truster"),
    ("calibration:\n  patterns:\n    border_coordination_agreed:\n      in: null\n",
     "calibration.patterns.border_coordination_agreed", "metric 'status' needs field(s) in"),
]  # fmt: skip


@pytest.mark.parametrize(("override", "field", "words"), SELF_REFERENCES)
def test_inconsistent_references(write_variant, override: str, field: str, words: str) -> None:
    assert_error(write_variant(override), field, words)


def test_group_trust_shock_within_a_group_is_allowed(write_variant) -> None:
    path = write_variant(
        "events:\n  raids:\n    effects:\n      - {type: trust_shock, from: [Beirut, Damascus],"
        " to: [Beirut, Damascus], delta: 0.1}\n"
    )
    assert load_scenario(path).events["raids"].effects[0].delta == 0.1


# ------------------------------------------------------------------------------ dates

BAD_DATES = [
    ("events:\n  raids:\n    date: 2025-02-30\n", "events.raids.date",
     ["'2025-02-30' is not a calendar date", "day is out of range for month", "YYYY-MM-DD"]),
    ("events:\n  raids:\n    date: 2025-02-29\n", "events.raids.date",
     ["'2025-02-29' is not a calendar date"]),
    ("run:\n  start_date: 2025-13-01\n", "run.start_date",
     ["'2025-13-01' is not a calendar date", "month must be in 1..12"]),
    ("calibration:\n  at: 2025-04-31\n", "calibration.at", ["'2025-04-31' is not a calendar"]),
    ("events:\n  raids:\n    date: tomorrow\n", "events.raids.date",
     ["'tomorrow' is not a date", "YYYY-MM-DD"]),
    ("events:\n  raids:\n    date: 2025\n", "events.raids.date", ["2025 is not a date"]),
]  # fmt: skip


@pytest.mark.parametrize(("override", "field", "words"), BAD_DATES)
def test_impossible_dates(write_variant, override: str, field: str, words: list[str]) -> None:
    assert_error(write_variant(override), field, *words)


# The baseline runs 160 weekly steps from 2024-12-08: its end date is 2028-01-02, so the
# last day on which an event can happen is 2028-01-01.
OUT_OF_RUN = [
    ("events:\n  raids:\n    date: 2024-12-07\n", "events.raids.date", "before the start"),
    ("events:\n  raids:\n    date: 2030-01-01\n", "events.raids.date", "after the end"),
    ("events:\n  raids:\n    date: 2028-01-02\n", "events.raids.date", "after the end"),
    ("run:\n  steps: 10\n", "events.saudi_meeting_march.date", "after the end"),
    ("run:\n  start_date: 2025-01-01\n", "events.assad_falls.date", "before the start"),
    ("calibration:\n  at: 2024-12-01\n", "calibration.at", "before the start"),
    ("calibration:\n  at: 2028-01-03\n", "calibration.at", "after the end"),
]  # fmt: skip


@pytest.mark.parametrize(("override", "field", "where"), OUT_OF_RUN)
def test_dates_outside_the_run(write_variant, override: str, field: str, where: str) -> None:
    assert_error(write_variant(override), field, f"is {where} of the run", "move the date")


def test_dates_at_the_edges_of_the_run(write_variant) -> None:
    path = write_variant(
        "events:\n  raids:\n    date: 2028-01-01\n  assad_falls:\n    date: 2024-12-08\n"
        "calibration:\n  at: 2028-01-02\n"
    )
    scenario = load_scenario(path)
    assert str(scenario.events["raids"].date) == "2028-01-01"
    assert str(scenario.calibration.at) == "2028-01-02"


# ---------------------------------------------------------------------------- extends


def test_missing_extends_target(write_yaml) -> None:
    path = write_yaml("extends: nowhere.yaml\nname: x\n")
    text = assert_error(path, "extends", "'nowhere.yaml' not found", "relative to this file")
    assert str(path.parent / "nowhere.yaml") in text


def test_extends_a_folder(write_yaml) -> None:
    assert_error(write_yaml("extends: .\n"), "extends", "is a folder", "expected a YAML file")


def test_circular_extends(write_yaml) -> None:
    write_yaml("extends: b.yaml\nname: a\n", "a.yaml")
    path_b = write_yaml("extends: a.yaml\nname: b\n", "b.yaml")
    path_a = path_b.parent / "a.yaml"
    err = load_error(path_a)
    assert err.path == "extends"
    assert f"circular extends ({path_a} -> b.yaml -> a.yaml)" in err.message
    assert err.source == str(path_b)  # the file whose `extends` closes the loop


def test_circular_extends_names_the_files_as_the_user_gave_them(
    write_yaml, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_yaml("extends: b.yaml\nname: a\n", "variants/a.yaml")
    write_yaml("extends: a.yaml\nname: b\n", "variants/b.yaml")
    monkeypatch.chdir(tmp_path)
    err = load_error(Path("variants/a.yaml"))
    assert err.source == "variants/b.yaml"
    assert "circular extends (variants/a.yaml -> b.yaml -> a.yaml)" in err.message
    assert str(tmp_path) not in str(err)


def test_extends_chain_longer_than_the_limit(write_yaml) -> None:
    from lsr_sim.scenario.loader import MAX_EXTENDS

    for i in range(1, 1500):  # far beyond Python's recursion limit if resolved recursively
        write_yaml(f"extends: f{i + 1}.yaml\n", f"f{i}.yaml")
    path = write_yaml("name: base\n", "f1500.yaml").parent / "f1.yaml"
    last = path.parent / f"f{MAX_EXTENDS}.yaml"  # the file whose `extends` is one too many
    text = assert_error(path, "extends", f"more than {MAX_EXTENDS} files", source=last)
    assert f"{path} extends a chain" in text


def test_extends_itself(write_yaml) -> None:
    path = write_yaml("extends: self.yaml\nname: x\n", "self.yaml")
    assert_error(path, "extends", f"circular extends ({path} -> self.yaml)")


def test_error_in_the_extended_file_names_that_file(write_yaml) -> None:
    base = write_yaml("name: [unclosed\n", "base.yaml")
    path = write_yaml("extends: base.yaml\n", "variant.yaml")
    err = load_error(path)
    assert err.source == str(base)
    assert "YAML syntax error at line" in err.message


# ---------------------------------------------------------- strategies and protocols


def test_unknown_strategy(write_variant) -> None:
    path = write_variant("actors:\n  Beirut:\n    strategy: {name: boulwar}\n")
    assert_error(
        path,
        "actors.Beirut.strategy.name",
        "unknown strategy 'boulwar'",
        "(did you mean 'boulware'?)",
        "expected one of",
    )


def test_unknown_strategy_parameter(write_variant) -> None:
    path = write_variant("actors:\n  Beirut:\n    strategy: {params: {exponnt: 3}}\n")
    assert_error(
        path,
        "actors.Beirut.strategy.params.exponnt",
        "unknown parameter 'exponnt'",
        "(did you mean 'exponent'?)",
        "of strategy 'boulware'",
    )


def test_bad_strategy_parameter_value(write_variant) -> None:
    path = write_variant("actors:\n  Beirut:\n    strategy: {params: {exponent: -3}}\n")
    assert_error(path, "actors.Beirut.strategy.params.exponent", "exponent", "'boulware'")


@pytest.mark.parametrize(
    ("actor", "strategy", "role", "kind"),
    [
        ("Beirut", "spoiler", "principal", "negotiator"),
        ("Hezbollah", "boulware", "spoiler", "spoiler"),
        ("Riyadh", "backer", "mediator", "mediator"),
        ("Washington", "tit_for_tat", "backer", "backer"),
    ],
)
def test_strategy_of_the_wrong_kind(write_variant, actor, strategy, role, kind) -> None:
    path = write_variant(f"actors:\n  {actor}:\n    strategy: {{name: {strategy}, params: null}}\n")
    assert_error(
        path, f"actors.{actor}.strategy.name", f"{strategy!r} is a", f"a {role} needs a {kind}"
    )


def test_unknown_protocol_for_an_issue(write_variant) -> None:
    path = write_variant("issues:\n  officers:\n    protocol: ofers\n")
    assert_error(
        path, "issues.officers.protocol", "unknown protocol 'ofers'", "(did you mean 'offers'?)"
    )


def test_unknown_default_protocol(write_variant) -> None:
    path = write_variant("dynamics:\n  protocol: auction\n")
    assert_error(path, "dynamics.protocol", "unknown protocol 'auction'", "expected one of offers")


# ------------------------------------------------------------------------- effect types


def test_unknown_effect_type(write_variant) -> None:
    path = write_variant(
        "events:\n  raids:\n    effects:\n"
        "      - {type: trust_shok, from: [Beirut], to: [Damascus], delta: 0.1}\n"
    )
    assert_error(
        path,
        "events.raids.effects[0].type",
        "unknown effect type 'trust_shok'",
        "(did you mean 'trust_shock'?)",
        "expected one of trust_shock, signal, convene, agree, setback, link",
    )


def test_effect_without_a_type(write_variant) -> None:
    path = write_variant(
        "incidents:\n  smuggling_seizure:\n    effects:\n      - {issue: officers}\n"
    )
    assert_error(path, "incidents.smuggling_seizure.effects[0].type", "required field is missing")


def test_effects_must_not_be_empty(write_variant) -> None:
    assert_error(
        write_variant("events:\n  raids:\n    effects: []\n"),
        "events.raids.effects",
        "has 0 item(s), expected at least 1",
    )


@pytest.mark.parametrize(
    ("override", "path"),
    [
        ({"actors": {"Beirut": {"capability": True}}}, "actors.Beirut.capability"),
        ({"run": {"steps": True}}, "run.steps"),
        ({"actors": {"Beirut": {"positions": {"officers": "0.3"}}}}, "actors.Beirut.positions"),
    ],
)
def test_booleans_and_text_are_not_numbers(write_variant, override, path) -> None:
    from lsr_sim.errors import ScenarioError
    from lsr_sim.scenario import load_scenario

    with pytest.raises(ScenarioError) as info:
        load_scenario(write_variant(override))
    assert info.value.path.startswith(path)


def test_a_party_at_the_table_needs_a_negotiator_strategy(write_variant) -> None:
    from lsr_sim.errors import ScenarioError
    from lsr_sim.scenario import load_scenario

    path = write_variant(
        {"issues": {"refugees": {"parties": ["Beirut", "Damascus", "Washington"]}}}
    )
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert info.value.path == "issues.refugees.parties[2]"
    assert "needs a negotiator strategy" in info.value.message
    assert "backer" in info.value.message


# ------------------------------------------------------ what a newcomer hits (issue 12, 1)


def test_an_event_after_the_end_names_the_run_s_own_dates(write_variant) -> None:
    # The run is 2024-12-08 to 2028-01-02 (its end date, as `calibrate --at` says); an event
    # dated on the end date never happens, and the message says so without shifting a day.
    text = assert_error(
        write_variant("events:\n  raids:\n    date: 2028-01-02\n"),
        "events.raids.date",
        "2028-01-02 is after the end of the run, which runs from 2024-12-08 to 2028-01-02",
        "an event must fall before its end date, 2028-01-02",
    )
    assert "2028-01-01" not in text
    assert load_scenario(write_variant("events:\n  raids:\n    date: 2028-01-01\n", "ok.yaml"))


def test_a_spoiler_cannot_convene_talks(write_variant) -> None:
    override = """
    events:
      hezbollah_hosts:
        date: 2025-06-01
        kind: meeting
        source: hypothetical
        effects:
          - {type: convene, issues: [officers], mediator: Hezbollah}
    """
    assert_error(
        write_variant(override),
        "events.hezbollah_hosts.effects[0].mediator",
        "'Hezbollah' is a spoiler and cannot convene talks",
        "name a mediator (Riyadh) or leave mediator out",
    )


@pytest.mark.parametrize(
    ("override", "field", "suggestion"),
    [
        ("dynamics:\n  protocol: Nash\n", "dynamics.protocol", "'nash'"),
        ("dynamics:\n  protocol: kalai\n", "dynamics.protocol", "'kalai_smorodinsky'"),
        ("issues:\n  officers:\n    protocol: BDM\n", "issues.officers.protocol", "'bdm'"),
        ("issues:\n  officers:\n    protocol: stockman\n", "issues.officers.protocol", "'stokman'"),
    ],
)
def test_a_protocol_typo_gets_a_did_you_mean(write_variant, override, field, suggestion) -> None:
    assert_error(write_variant(override), field, f"(did you mean {suggestion}?)", "expected one of")


def test_a_missing_scale_shows_the_expected_shape(write_yaml) -> None:
    issues = {"x": {"parties": ["A", "B"]}}
    assert_error(
        write_yaml(minimal(issues=None) | {"issues": issues}),
        "issues.x.scale",
        "required field is missing",
        "e.g. scale: {low: ..., high: ...}",
    )
