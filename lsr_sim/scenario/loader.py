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
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from lsr_sim.errors import InputError, ScenarioError
from lsr_sim.messages import (
    Description,
    FileKind,
    did_you_mean,
    expected_mapping,
    format_validation_error,
    key_path,
    quote,
)
from lsr_sim.scenario.checks import check_scenario
from lsr_sim.scenario.schema import Scenario

__all__ = [
    "SCENARIO_FILE",
    "deep_merge",
    "load_scenario",
    "read_scenario_data",
    "read_yaml_mapping",
    "scenario_from_dict",
    "scenario_hash",
]

SCENARIO_FILE = FileKind(
    "scenario", "scenarios/baseline.yaml", "name: ..., run: ..., actors: ...", ScenarioError
)


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


class _FastStrictLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """The same rules on libyaml's parser when PyYAML has it (about ten times faster).

    Its error messages are terser, so a file it refuses is read again with
    :class:`_StrictLoader` to report the problem.
    """


_FastStrictLoader.yaml_implicit_resolvers = _StrictLoader.yaml_implicit_resolvers
_FastStrictLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping
)


def _duplicate_key(node: yaml.Node, path: str, seen: set[int]) -> tuple[str, str] | None:
    """(field path, message) of the first key that appears twice in one mapping, if any."""
    if id(node) in seen:  # an alias to a node already walked
        return None
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        first: dict[tuple[str, Any], yaml.Node] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            if key is not None:
                if (key_node.tag, key) in first:
                    line = first[(key_node.tag, key)].start_mark.line + 1
                    return (
                        key_path(path, key),
                        f"duplicate key {key!r} at line {key_node.start_mark.line + 1} "
                        f"(first at line {line}); each name may appear once in a mapping",
                    )
                first[(key_node.tag, key)] = key_node
            found = _duplicate_key(value_node, key_path(path, key), seen)
            if found:
                return found
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            found = _duplicate_key(item, f"{path}[{i}]", seen)
            if found:
                return found
    return None


def _parse(text: str, source: str, loader_class: type, kind: FileKind) -> Any:
    """Compose `text` (refusing duplicate keys, with their path) and construct the data."""
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        duplicate = _duplicate_key(node, "", set())
        if duplicate is not None:
            raise kind.error(source, *duplicate)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _syntax_error(source: str, exc: yaml.YAMLError, kind: FileKind) -> InputError:
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "somewhere"
        problem = exc.problem or exc.context or "invalid YAML"
        return kind.error(source, "", f"YAML syntax error at {where}: {problem}")
    detail = " ".join(str(exc).split())
    return kind.error(source, "", f"YAML syntax error: {detail}")


def read_yaml_mapping(path: Path, kind: FileKind = SCENARIO_FILE) -> dict[str, Any]:
    """Read a YAML file whose top level must be a mapping.

    Duplicate keys in any mapping are refused (PyYAML would silently keep the last one),
    and dates are kept as text for the schema to check.

    Parameters
    ----------
    path : Path
        The file.
    kind : FileKind
        What kind of file it is (scenario by default): names it in messages and gives the
        error class raised.

    Raises
    ------
    InputError
        ``kind.error``: if the file is missing, unreadable, not YAML, has a duplicate key, is
        empty or is not a mapping.
    """
    source = str(path)
    if path.is_dir():
        raise kind.error(source, "", f"is a folder; expected a {kind.what} YAML file")
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise kind.error(source, "", "file not found; check the path") from None
    except UnicodeDecodeError as exc:
        raise kind.error(
            source, "", f"cannot be read as UTF-8 text ({exc.reason} at byte {exc.start})"
        ) from None
    except OSError as exc:
        raise kind.error(source, "", f"cannot be read: {exc.strerror or exc}") from None
    try:
        data = _parse(text, source, _FastStrictLoader, kind)
    except yaml.YAMLError as fast_error:
        try:  # the pure-Python parser explains the problem better
            data = _parse(text, source, _StrictLoader, kind)
        except yaml.YAMLError as exc:
            raise _syntax_error(source, exc, kind) from None
        raise _syntax_error(source, fast_error, kind) from None
    expected_mapping(kind, source, data)
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


def read_scenario_data(path: str | Path) -> dict[str, Any]:
    """A scenario file's YAML mapping with its ``extends`` chain merged (not validated).

    Validate it with :func:`scenario_from_dict`; :func:`lsr_sim.sweep.apply_parameters`
    sets fields in it.

    Raises
    ------
    ScenarioError
        If a file of the chain cannot be read, or the chain is circular.
    """
    return _resolve(Path(path), ())


def _resolve(path: Path, chain: tuple[Path, ...]) -> dict[str, Any]:
    data = read_yaml_mapping(path)
    parent = data.pop("extends", None)
    if parent is None:
        return data
    if not isinstance(parent, str) or not parent.strip():
        shown = type(parent).__name__ if isinstance(parent, (dict, list)) else repr(parent)
        raise ScenarioError(
            str(path),
            "extends",
            f"got {shown}; expected the path of a scenario file, e.g. extends: baseline.yaml",
        )
    parent_path = (path.parent / parent).resolve()
    here = path.resolve()
    if parent_path in chain or parent_path == here:
        cycle = " -> ".join(p.name for p in (*chain, here, parent_path))
        raise ScenarioError(
            str(path), "extends", f"circular extends ({cycle}); a file cannot extend itself"
        )
    if not parent_path.exists():
        raise ScenarioError(
            str(path),
            "extends",
            f"{parent!r} not found (looked for {parent_path}); "
            "a relative path is relative to this file's folder",
        )
    if not parent_path.is_file():
        raise ScenarioError(
            str(path), "extends", f"{parent!r} is a folder ({parent_path}); expected a YAML file"
        )
    base = _resolve(parent_path, (*chain, here))
    return deep_merge(base, data)


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
