"""Read scenario files into validated scenarios (the YAML itself is read by ``yamlfile``).

``load_scenario(path)`` reads a YAML file (and the chain of files it ``extends``), merges
them, validates the result into a frozen :class:`~lsr_sim.scenario.schema.Scenario` and checks
its cross-references. Any problem is one :class:`~lsr_sim.errors.ScenarioError` naming the
file, the field path, what is wrong and what is expected.

Merging rule for ``extends``: mappings merge key by key, recursively; any other value
(numbers, strings, lists) in the variant replaces the base's; a key set to ``null`` in the
variant deletes it from the base (for example to drop an event or a link).
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from lsr_sim.errors import ScenarioError
from lsr_sim.limits import MAX_EXTENDS
from lsr_sim.messages import (
    Description,
    did_you_mean,
    format_validation_error,
    quote,
)
from lsr_sim.messages import shown as shown_value
from lsr_sim.scenario.checks import check_scenario
from lsr_sim.scenario.facts import OBSERVATIONS_FILE, validate_observations
from lsr_sim.scenario.schema import Scenario
from lsr_sim.scenario.yamlfile import SCENARIO_FILE, read_yaml_mapping

__all__ = [
    "SCENARIO_FILE",
    "deep_merge",
    "load_scenario",
    "read_scenario_data",
    "read_yaml_mapping",
    "scenario_from_dict",
    "scenario_hash",
    "validate_observations",
]


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Merge `override` into a copy of `base`: mappings recursively, ``None`` deletes.

    Examples
    --------
    >>> deep_merge({"a": {"x": 1, "y": 2}, "b": [1]}, {"a": {"y": 3, "x": None}, "b": [2]})
    {'a': {'y': 3}, 'b': [2]}
    """
    merged = copy.deepcopy(dict(base))
    for key, value in override.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def read_scenario_data(path: str | Path) -> dict[str, Any]:
    """A scenario file's YAML mapping with its ``extends`` chain merged (not validated).

    Validate it with :func:`scenario_from_dict`; :func:`lsr_sim.sweep.apply_parameters`
    sets fields in it.

    Raises
    ------
    ScenarioError
        If a file of the chain cannot be read, or the chain is circular.
    """
    return _resolve(Path(path))


def _resolve(path: Path) -> dict[str, Any]:
    """The merged mapping of `path` and the files it extends, base first.

    Files are named in messages by the path the user gave, extended by each relative
    ``extends`` (``scenarios/variants/../baseline.yaml``), never made absolute; a circular
    chain is shown as the first file then each ``extends`` as written.
    """
    chain: list[tuple[Path, Path, dict[str, Any]]] = []  # (as shown, resolved, its data)
    written = [str(path)]  # the first file as given, then each `extends` as written
    shown, real = path, path.resolve()
    while True:
        data = read_yaml_mapping(shown)
        _inline_observations(data, shown)
        chain.append((shown, real, data))
        parent = data.pop("extends", None)
        if parent is None:
            break
        source = str(shown)
        if not isinstance(parent, str) or not parent.strip():
            raise ScenarioError(
                source,
                "extends",
                f"got {shown_value(parent)}; expected the path of a scenario file, "
                "e.g. extends: baseline.yaml",
            )
        parent_shown, parent_real = shown.parent / parent, (real.parent / parent).resolve()
        written.append(parent)
        if any(parent_real == seen for _, seen, _ in chain):
            cycle = " -> ".join(written)
            raise ScenarioError(
                source, "extends", f"circular extends ({cycle}); a file cannot extend itself"
            )
        if len(chain) >= MAX_EXTENDS:
            raise ScenarioError(
                source,
                "extends",
                f"{path} extends a chain of more than {MAX_EXTENDS} files (the limit); "
                "extend the base scenario more directly",
            )
        if not parent_real.exists():
            raise ScenarioError(
                source,
                "extends",
                f"{quote(parent)} not found (looked for {parent_shown}); "
                "a relative path is relative to this file's folder",
            )
        if not parent_real.is_file():
            raise ScenarioError(
                source,
                "extends",
                f"{quote(parent)} is a folder ({parent_shown}); expected a YAML file",
            )
        shown, real = parent_shown, parent_real
    merged = chain[-1][2]
    for _, _, data in reversed(chain[:-1]):
        merged = deep_merge(merged, data)
    return merged


def _inline_observations(data: dict[str, Any], path: Path) -> None:
    """Replace a ``calibration.observations`` file path by the file's facts, in place.

    The path is relative to the folder of the scenario file that names it, so a variant
    that extends a base keeps the base's facts. The facts are validated here, so that an error
    names the observations file.
    """
    calibration = data.get("calibration")
    if not isinstance(calibration, dict):
        return
    written = calibration.get("observations")
    if not isinstance(written, str):
        return
    field = "calibration.observations"
    target = (path.parent / written).resolve()
    if not target.is_file():
        what = "is a folder" if target.is_dir() else "not found"
        raise ScenarioError(
            str(path),
            field,
            f"{written!r} {what} (looked for {target}); give an observations YAML file, "
            "relative to this file's folder, or the facts inline",
        )
    facts = read_yaml_mapping(target, OBSERVATIONS_FILE)
    validate_observations(facts, str(target))
    calibration["observations"] = facts


# -- validation messages of scenario files ---------------------------------------------------

_EFFECT_TAGS = ("trust_shock", "signal", "convene", "agree", "setback", "link")


def _effect_type(err: ErrorDetails, path: str) -> Description | None:
    """An effect's missing or unknown ``type`` (the tag of the effects' union)."""
    if err["type"] == "union_tag_invalid":
        tag = str((err.get("ctx") or {}).get("tag"))
        return (
            f"{path}.type",
            f"unknown effect type {quote(tag)}{did_you_mean(tag, _EFFECT_TAGS)}"
            f"; expected one of {', '.join(_EFFECT_TAGS)}",
            set(),
        )
    if err["type"] == "union_tag_not_found":
        return (
            f"{path}.type",
            f"required field is missing; expected one of {', '.join(_EFFECT_TAGS)}",
            set(),
        )
    return None


def scenario_from_dict(data: Mapping[str, Any], source: str = "<scenario>") -> Scenario:
    """Validate a plain mapping into a checked :class:`Scenario`.

    Raises
    ------
    ScenarioError
        Naming `source`, the field path and the fix.
    """
    try:
        scenario = Scenario.model_validate(dict(data))
    except ValidationError as exc:
        path, message = format_validation_error(exc, Scenario, _effect_type)
        raise ScenarioError(source, path, message) from None
    return check_scenario(scenario, source)


def load_scenario(path: str | Path) -> Scenario:
    """Read, merge (``extends``), validate and check a scenario file.

    Parameters
    ----------
    path : str or Path
        A YAML scenario file.

    Returns
    -------
    Scenario
        A frozen, validated scenario.

    Raises
    ------
    ScenarioError
        With the file, the field path, what is wrong and what is expected.
    """
    return scenario_from_dict(read_scenario_data(path), str(path))


def scenario_hash(scenario: Scenario) -> str:
    """SHA-256 of the resolved scenario's canonical JSON (what a run depends on)."""
    blob = json.dumps(scenario.model_dump(mode="json", by_alias=True), sort_keys=True)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()
