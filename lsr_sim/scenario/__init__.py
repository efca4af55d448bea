"""Scenario files: YAML in, a frozen validated :class:`Scenario` out."""

from lsr_sim.scenario.checks import check_scenario
from lsr_sim.scenario.loader import (
    deep_merge,
    load_scenario,
    read_scenario_data,
    read_yaml_mapping,
    scenario_from_dict,
    scenario_hash,
    scenario_to_yaml,
)
from lsr_sim.scenario.schema import ISSUE_STATUSES, LINK_TYPES, ROLES, Scenario
from lsr_sim.scenario.yamlfile import read_yaml_text

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
    "read_yaml_text",
    "scenario_from_dict",
    "scenario_hash",
    "scenario_to_yaml",
]


def json_schema() -> dict:
    """The JSON Schema of scenario files, for editors (``lsr-sim schema``).

    A strategy's ``params`` are documented per strategy name (``if`` name is ``boulware``,
    ``then`` its parameters, with their descriptions and defaults), for the strategies
    registered when it is called.
    """
    from lsr_sim.strategies import get_strategy_class, strategy_names

    schema = Scenario.model_json_schema(by_alias=True)
    spec = schema["$defs"]["StrategySpec"]
    spec["properties"]["name"]["examples"] = strategy_names()
    spec["allOf"] = []
    for name in strategy_names():
        cls = get_strategy_class(name)
        defaults = cls().params()
        params = {
            param: {
                "type": "number",
                "default": defaults[param],
                "description": text or f"Parameter of the {name} strategy.",
            }
            for param, text in cls.parameter_descriptions().items()
        }
        spec["allOf"].append(
            {
                "if": {
                    "properties": {"name": {"const": name, "description": f"The {name} strategy."}},
                    "required": ["name"],
                },
                "then": {
                    "description": f"{name} ({cls.kind}): {cls.description}",
                    "properties": {
                        "params": {
                            "type": "object",
                            "description": f"Parameters of the {name} strategy.",
                            "properties": params,
                            "additionalProperties": False,
                        }
                    },
                },
            }
        )
    schema["properties"]["extends"] = {
        "type": "string",
        "description": "A base scenario file (relative path) that this file overrides.",
    }
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "lsr_sim scenario"
    return schema
