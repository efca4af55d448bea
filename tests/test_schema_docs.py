"""The JSON Schema documents every field of a scenario file, strategy parameters included.

Editors show these descriptions (``lsr-sim schema`` exports the schema); a field added
without one, or a strategy parameter declared without :func:`lsr_sim.strategies.base.parameter`,
fails here.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import jsonschema
import pytest
import yaml

from lsr_sim.scenario import json_schema
from lsr_sim.strategies import (
    BUILTIN_STRATEGIES,
    Strategy,
    register_strategy,
    unregister_strategy,
)

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "scenarios" / "examples" / "river_basin.yaml"


def undocumented(node: Any, where: str = "#") -> Iterator[str]:
    """Paths of the properties in a JSON Schema (at any depth) that have no description."""
    if isinstance(node, dict):
        for name, prop in (node.get("properties") or {}).items():
            text = prop.get("description", "") if isinstance(prop, dict) else ""
            if not text.strip():
                yield f"{where}/properties/{name}"
        for key, value in node.items():
            yield from undocumented(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from undocumented(value, f"{where}/{i}")


def test_the_walker_finds_an_undocumented_property() -> None:
    schema = {"properties": {"a": {"description": "ok"}, "b": {"type": "object"}}}
    nested = {"$defs": {"X": {"properties": {"c": {"description": "  "}}}}}
    assert list(undocumented(schema)) == ["#/properties/b"]
    assert list(undocumented(nested)) == ["#/$defs/X/properties/c"]


def test_every_property_of_the_scenario_schema_has_a_description() -> None:
    missing = list(undocumented(json_schema()))
    assert missing == [], f"{len(missing)} properties without a description: {missing}"


def test_the_effect_types_are_all_documented() -> None:
    defs = json_schema()["$defs"]
    effects = [name for name in defs if name.endswith("Effect")]
    assert len(effects) == 8
    for name in effects:
        assert defs[name]["description"].strip(), name
        assert set(defs[name]["properties"]) >= {"type"}


@pytest.mark.parametrize("cls", BUILTIN_STRATEGIES, ids=lambda cls: cls.name)
def test_every_builtin_strategy_parameter_has_a_description(cls: type[Strategy]) -> None:
    descriptions = cls.parameter_descriptions()
    assert list(descriptions) == cls.parameter_names()
    assert all(text.strip() for text in descriptions.values()), descriptions


def _params_schema(schema: dict, name: str) -> dict:
    """The ``then`` branch of StrategySpec for strategy `name`."""
    branches = schema["$defs"]["StrategySpec"]["allOf"]
    (branch,) = [b for b in branches if b["if"]["properties"]["name"]["const"] == name]
    return branch["then"]["properties"]["params"]


@pytest.mark.parametrize("cls", BUILTIN_STRATEGIES, ids=lambda cls: cls.name)
def test_the_schema_documents_each_strategys_parameters(cls: type[Strategy]) -> None:
    params = _params_schema(json_schema(), cls.name)
    assert params["additionalProperties"] is False
    assert list(params["properties"]) == cls.parameter_names()
    for param, text in cls.parameter_descriptions().items():
        assert params["properties"][param]["description"] == text
        assert params["properties"][param]["default"] == getattr(cls(), param)


def test_a_subclass_that_only_changes_a_default_keeps_the_description() -> None:
    from lsr_sim.strategies import Boulware, TimeBased

    assert Boulware.parameter_descriptions() == TimeBased.parameter_descriptions()
    assert _params_schema(json_schema(), "boulware")["properties"]["exponent"]["default"] == 4.0


def test_a_user_strategy_without_descriptions_still_gets_one() -> None:
    @dataclasses.dataclass(frozen=True)
    class Stubborn(Strategy):
        floor: float = 0.9
        name: ClassVar[str] = "stubborn_test"

        def decide(self, obs: Any) -> float:
            return self.floor

    register_strategy(Stubborn)
    try:
        params = _params_schema(json_schema(), "stubborn_test")
    finally:
        unregister_strategy("stubborn_test")
    assert params["properties"]["floor"] == {
        "type": "number",
        "default": 0.9,
        "description": "Parameter of the stubborn_test strategy.",
    }


def _as_json(path: Path) -> dict:
    """A scenario file as an editor's JSON Schema validator sees it (dates are strings)."""
    return json.loads(json.dumps(yaml.safe_load(path.read_text(encoding="utf-8")), default=str))


def test_the_example_scenario_satisfies_the_json_schema() -> None:
    validator = jsonschema.Draft202012Validator(json_schema())
    errors = [e.message for e in validator.iter_errors(_as_json(EXAMPLE))]
    assert errors == []


def test_the_json_schema_flags_a_misspelt_strategy_parameter() -> None:
    data = _as_json(EXAMPLE)
    actor = next(a for a in data["actors"].values() if a["strategy"]["name"] == "boulware")
    bad = copy.deepcopy(data)
    bad_actor = next(a for a in bad["actors"].values() if a["strategy"]["name"] == "boulware")
    bad_actor["strategy"]["params"] = {"exponet": 3.0}
    validator = jsonschema.Draft202012Validator(json_schema())
    assert list(validator.iter_errors(data)) == []
    errors = list(validator.iter_errors(bad))
    assert errors, "a misspelt parameter of boulware passed the JSON Schema"
    assert any("exponet" in e.message for e in errors)
    assert actor["strategy"]["params"] != bad_actor["strategy"]["params"]
