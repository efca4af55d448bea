"""Scenario files: YAML in, a frozen validated :class:`Scenario` out."""

from lsr_sim.scenario.checks import check_scenario
from lsr_sim.scenario.loader import (
    deep_merge,
    load_scenario,
    read_scenario_data,
    read_yaml_mapping,
    scenario_from_dict,
    scenario_hash,
)
from lsr_sim.scenario.schema import ISSUE_STATUSES, LINK_TYPES, ROLES, Scenario

__all__ = [
    "ISSUE_STATUSES",
    "LINK_TYPES",
    "ROLES",
    "Scenario",
    "check_scenario",
    "deep_merge",
    "json_schema",
    "load_scenario",
    "read_scenario_data",
    "read_yaml_mapping",
    "scenario_from_dict",
    "scenario_hash",
]


def json_schema() -> dict:
    """The JSON Schema of scenario files, for editors (``lsr-sim schema``)."""
    schema = Scenario.model_json_schema(by_alias=True)
    schema["properties"]["extends"] = {
        "type": "string",
        "description": "A base scenario file (relative path) that this file overrides.",
    }
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "lsr_sim scenario"
    return schema
