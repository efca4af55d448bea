"""Read scenario files: the only place in the library that reads YAML.

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
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from lsr_sim.errors import ScenarioError
from lsr_sim.scenario.checks import check_scenario, did_you_mean
from lsr_sim.scenario.schema import Scenario

__all__ = [
    "deep_merge",
    "format_validation_error",
    "load_scenario",
    "read_yaml_mapping",
    "scenario_from_dict",
    "scenario_hash",
]


class _StrictLoader(yaml.SafeLoader):
    """A safe loader that refuses duplicate keys and keeps dates as text.

    Dates stay strings so that pydantic can say exactly what is wrong with a bad one
    (PyYAML would raise a bare ``ValueError`` on ``2025-02-30``).
    """


_StrictLoader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    mapping: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in mapping:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"duplicate key {key!r}: each name may appear once in a mapping",
                key_node.start_mark,
            )
        mapping[key] = loader.construct_object(value_node, deep=True)
    return mapping


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def read_yaml_mapping(path: Path, *, what: str = "scenario") -> dict[str, Any]:
    """Read a YAML file whose top level must be a mapping.

    Raises
    ------
    ScenarioError
        If the file is missing, unreadable, not YAML, empty or not a mapping.
    """
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(source, "", "file not found; check the path") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(source, "", f"cannot be read: {exc}") from None
    try:
        data = yaml.load(text, Loader=_StrictLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "somewhere"
        problem = exc.problem or exc.context or "invalid YAML"
        raise ScenarioError(source, "", f"YAML syntax error at {where}: {problem}") from None
    except yaml.YAMLError as exc:
        raise ScenarioError(source, "", f"YAML syntax error: {exc}") from None
    if data is None:
        raise ScenarioError(
            source, "", f"file is empty; expected a {what} mapping (see scenarios/baseline.yaml)"
        )
    if not isinstance(data, dict):
        raise ScenarioError(
            source,
            "",
            f"the top level is a {type(data).__name__}, expected a mapping of fields "
            "(name: ..., run: ..., actors: ...)",
        )
    return data


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


def _resolve(path: Path, chain: tuple[Path, ...]) -> dict[str, Any]:
    data = read_yaml_mapping(path)
    parent = data.pop("extends", None)
    if parent is None:
        return data
    if not isinstance(parent, str) or not parent:
        raise ScenarioError(
            str(path), "extends", "must be a file name, e.g. extends: baseline.yaml"
        )
    parent_path = (path.parent / parent).resolve()
    if parent_path in chain or parent_path == path.resolve():
        cycle = " -> ".join(p.name for p in (*chain, path.resolve(), parent_path))
        raise ScenarioError(str(path), "extends", f"circular extends ({cycle}); break the cycle")
    if not parent_path.exists():
        raise ScenarioError(
            str(path),
            "extends",
            f"{parent!r} not found (looked for {parent_path}); the path is relative to this file",
        )
    base = _resolve(parent_path, (*chain, path.resolve()))
    return deep_merge(base, data)


# -- pydantic error formatting --------------------------------------------------------------


def _unwrap(annotation: Any) -> list[Any]:
    """The concrete types an annotation may hold (through Annotated, Optional, unions)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return [t for arg in typing.get_args(annotation) for t in _unwrap(arg)]
    return [annotation]


def _field_names(model: type[BaseModel]) -> list[str]:
    return [info.alias or name for name, info in model.model_fields.items()]


def _model_at(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """Walk the schema along an error location to the model that holds its last part."""
    current: list[Any] = [Scenario]
    for part in loc[:-1]:
        following: list[Any] = []
        for candidate in current:
            if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                for name, info in candidate.model_fields.items():
                    if part in (name, info.alias):
                        following.extend(_unwrap(info.annotation))
            elif typing.get_origin(candidate) in (dict, list, tuple):
                args = typing.get_args(candidate)
                following.extend(_unwrap(args[-1] if args else Any))
            elif isinstance(candidate, type) and issubclass(candidate, BaseModel) is False:
                continue
        # A discriminated union puts the tag in the location: keep the matching member.
        tagged = [
            c
            for c in following
            if isinstance(c, type)
            and issubclass(c, BaseModel)
            and "type" in c.model_fields
            and part in typing.get_args(c.model_fields["type"].annotation)
        ]
        current = following if not tagged and following else tagged or current
        if tagged:
            continue
    for candidate in current:
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def _path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


_EFFECT_TAGS = ("trust_shock", "signal", "convene", "agree", "setback", "link")


def _clean_loc(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    # Drop discriminator tags and pydantic's type labels from the path a user sees.
    return tuple(p for p in loc if p not in _EFFECT_TAGS and not str(p).startswith("function-"))


def format_validation_error(exc: ValidationError) -> tuple[str, str]:
    """The field path and message of the first error in a pydantic ValidationError."""
    err = exc.errors()[0]
    loc = tuple(err["loc"])
    kind = err["type"]
    value = err.get("input")
    ctx = err.get("ctx") or {}
    path = _path(_clean_loc(loc))
    if kind == "extra_forbidden":
        model = _model_at(loc)
        known = _field_names(model) if model else []
        hint = did_you_mean(str(loc[-1]), known)
        expected = f"; expected one of {', '.join(known)}" if known else ""
        return path, f"unknown field {loc[-1]!r}{hint}{expected}"
    if kind == "missing":
        return path, "required field is missing; add it"
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        op = {"greater_than": ">", "greater_than_equal": ">=", "less_than": "<"}.get(kind, "<=")
        bound = next(iter(ctx.values()), "?")
        return path, f"is {value!r}, out of range: must be {op} {bound}"
    if kind in ("too_short", "too_long"):
        return path, f"has {ctx.get('actual_length')} item(s); {err['msg'].lower()}"
    if kind == "union_tag_invalid":
        tag = str(ctx.get("tag"))
        return path, (
            f"unknown effect type {tag!r}{did_you_mean(tag, _EFFECT_TAGS)}"
            f"; expected one of {', '.join(_EFFECT_TAGS)}"
        )
    if kind == "union_tag_not_found":
        return path, f"needs a 'type' field; expected one of {', '.join(_EFFECT_TAGS)}"
    if kind.startswith("date"):
        return path, f"{value!r} is not a valid date: {err['msg'].lower()}; write YYYY-MM-DD"
    if kind == "literal_error":
        return path, f"is {value!r}; expected {ctx.get('expected')}"
    if kind == "value_error":
        return path, str(ctx.get("error", err["msg"]))
    shown = type(value).__name__ if isinstance(value, (dict, list)) else repr(value)
    return path, f"got {shown}: {err['msg'].lower()}"


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
        path, message = format_validation_error(exc)
        more = exc.error_count() - 1
        if more:
            message += f" (and {more} more problem{'s' if more > 1 else ''})"
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
    path = Path(path)
    data = _resolve(path, ())
    return scenario_from_dict(data, str(path))


def scenario_hash(scenario: Scenario) -> str:
    """SHA-256 of the resolved scenario's canonical JSON (what a run depends on)."""
    blob = json.dumps(scenario.model_dump(mode="json", by_alias=True), sort_keys=True)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()
