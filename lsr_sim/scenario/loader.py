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
import datetime as dt
import difflib
import hashlib
import json
import re
import types
import typing
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from lsr_sim.errors import ScenarioError
from lsr_sim.scenario.checks import check_scenario, did_you_mean
from lsr_sim.scenario.schema import Scenario

__all__ = [
    "MAX_YAML_BYTES",
    "deep_merge",
    "format_validation_error",
    "load_scenario",
    "read_yaml_mapping",
    "read_yaml_text",
    "scenario_from_dict",
    "scenario_hash",
    "scenario_to_yaml",
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


class _FastStrictLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """The same rules on libyaml's parser when PyYAML has it (about ten times faster).

    Its error messages are terser, so a file it refuses is read again with
    :class:`_StrictLoader` to report the problem.
    """


_FastStrictLoader.yaml_implicit_resolvers = _StrictLoader.yaml_implicit_resolvers
_FastStrictLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping
)


def _key_path(path: str, key: Any) -> str:
    return f"{path}.{key}" if path else str(key)


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
                        _key_path(path, key),
                        f"duplicate key {key!r} at line {key_node.start_mark.line + 1} "
                        f"(first at line {line}); each name may appear once in a mapping",
                    )
                first[(key_node.tag, key)] = key_node
            found = _duplicate_key(value_node, _key_path(path, key), seen)
            if found:
                return found
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            found = _duplicate_key(item, f"{path}[{i}]", seen)
            if found:
                return found
    return None


def _parse(text: str, source: str, loader_class: type) -> Any:
    """Compose `text` (refusing duplicate keys, with their path) and construct the data."""
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        duplicate = _duplicate_key(node, "", set())
        if duplicate is not None:
            raise ScenarioError(source, *duplicate)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _syntax_error(source: str, exc: yaml.YAMLError) -> ScenarioError:
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "somewhere"
        problem = exc.problem or exc.context or "invalid YAML"
        return ScenarioError(source, "", f"YAML syntax error at {where}: {problem}")
    detail = " ".join(str(exc).split())
    return ScenarioError(source, "", f"YAML syntax error: {detail}")


_TYPE_WORDS = {"list": "a list", "str": "a single text value", "int": "a number"}
_TYPE_WORDS |= {"float": "a number", "bool": "true/false"}


#: Largest YAML file the library reads (scenario, sweep, observations, or a dashboard upload).
#: A scenario file is a few kilobytes; the cap bounds the memory a hostile or mistaken input
#: (a huge file, ``/dev/zero``) can take before it is refused.
MAX_YAML_BYTES = 2_000_000


def read_yaml_mapping(path: Path, *, what: str = "scenario") -> dict[str, Any]:
    """Read a YAML file whose top level must be a mapping.

    Duplicate keys in any mapping are refused (PyYAML would silently keep the last one),
    and dates are kept as text for the schema to check. At most :data:`MAX_YAML_BYTES` are
    read; the text goes through :func:`read_yaml_text`.

    Raises
    ------
    ScenarioError
        If the file is missing, unreadable, too large, not YAML, has a duplicate key, is
        empty or is not a mapping.
    """
    source = str(path)
    if path.is_dir():
        raise ScenarioError(source, "", f"is a folder; expected a {what} YAML file")
    try:
        with path.open("rb") as handle:  # bounded: a device such as /dev/zero never ends
            data = handle.read(MAX_YAML_BYTES + 1)
    except FileNotFoundError:
        raise ScenarioError(source, "", "file not found; check the path") from None
    except OSError as exc:
        raise ScenarioError(source, "", f"cannot be read: {exc.strerror or exc}") from None
    return read_yaml_text(data, source, what=what)


def read_yaml_text(data: bytes | str, source: str, *, what: str = "scenario") -> dict[str, Any]:
    """Parse YAML text (the bytes of a file, or an upload) whose top level must be a mapping.

    The same rules and messages as :func:`read_yaml_mapping`, which reads files through it:
    at most :data:`MAX_YAML_BYTES`, UTF-8, no duplicate keys, dates kept as text.

    Parameters
    ----------
    data : bytes or str
        The text; bytes are decoded as UTF-8.
    source : str
        Names the input in error messages (a file name).
    what : str
        What the input should be (``"scenario"``, ``"sweep"``...), for the messages.

    Raises
    ------
    ScenarioError
        If the text is too large, not UTF-8, not YAML, has a duplicate key, is empty or is
        not a mapping.

    Examples
    --------
    >>> read_yaml_text(b"name: x", "upload.yaml")
    {'name': 'x'}
    >>> try:
    ...     read_yaml_text(b"- a list", "upload.yaml")
    ... except ScenarioError as exc:
    ...     print(exc.source, exc.message[:23])
    upload.yaml the top level is a list
    """
    if len(data) > MAX_YAML_BYTES:
        # Callers may pass only the first MAX_YAML_BYTES + 1 bytes: say "more than".
        raise ScenarioError(
            source,
            "",
            f"is more than {MAX_YAML_BYTES:,} bytes, the limit for a YAML input file; "
            "a scenario is a few kilobytes: check that this is the right file",
        )
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ScenarioError(
                source, "", f"cannot be read as UTF-8 text ({exc.reason} at byte {exc.start})"
            ) from None
    else:
        text = data
    try:
        parsed = _parse(text, source, _FastStrictLoader)
    except yaml.YAMLError as fast_error:
        try:  # the pure-Python parser explains the problem better
            parsed = _parse(text, source, _StrictLoader)
        except yaml.YAMLError as exc:
            raise _syntax_error(source, exc) from None
        raise _syntax_error(source, fast_error) from None
    if parsed is None:
        raise ScenarioError(
            source, "", f"file is empty; expected a {what} mapping (see scenarios/baseline.yaml)"
        )
    if not isinstance(parsed, dict):
        kind = _TYPE_WORDS.get(type(parsed).__name__, type(parsed).__name__)
        raise ScenarioError(
            source,
            "",
            f"the top level is {kind}, expected a mapping of fields "
            "(name: ..., run: ..., actors: ...)",
        )
    return parsed


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


# -- pydantic error formatting --------------------------------------------------------------


def _unwrap(annotation: Any) -> list[Any]:
    """The concrete types an annotation may hold (through Annotated, Optional, unions)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return [t for arg in typing.get_args(annotation) for t in _unwrap(arg)]
    return [annotation]


def _is_model(candidate: Any) -> bool:
    return isinstance(candidate, type) and issubclass(candidate, BaseModel)


def _tags(model: type[BaseModel]) -> tuple[Any, ...]:
    """The values of a tagged-union member's ``type`` field (empty if it has none)."""
    field = model.model_fields.get("type")
    return typing.get_args(field.annotation) if field is not None else ()


def _field_names(model: type[BaseModel]) -> list[str]:
    return [info.alias or name for name, info in model.model_fields.items()]


def _model_at(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """Walk the schema along an error location to the model that holds its last part."""
    current: list[Any] = [Scenario]
    for part in loc[:-1]:
        if isinstance(part, str) and part.startswith("function-"):
            continue  # pydantic's label for a validator, not a field
        members = [c for c in current if _is_model(c)]
        tagged = [c for c in members if part in _tags(c)]
        if len(current) > 1 and tagged:
            # A discriminated union puts the tag in the location: keep the matching member.
            current = tagged
            continue
        following: list[Any] = []
        for candidate in current:
            if _is_model(candidate):
                for name, info in candidate.model_fields.items():
                    if part in (name, info.alias):
                        following.extend(_unwrap(info.annotation))
            elif typing.get_origin(candidate) in (dict, list, tuple):
                args = typing.get_args(candidate)
                following.extend(_unwrap(args[-1] if args else Any))
        if not following:
            return None
        current = following
    members = [c for c in current if _is_model(c)]
    return members[0] if members else None


_EFFECT_TAGS = ("trust_shock", "signal", "convene", "agree", "setback", "link")


def _clean_loc(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """The location a user sees: without pydantic's validator labels and union tags.

    A tagged union (event effects) puts the member's tag after the list index, as in
    ``effects, 0, "link", "link"``; only that first tag is dropped.
    """
    out: list[Any] = []
    previous: Any = None
    for part in loc:
        if isinstance(part, str) and part.startswith("function-"):
            continue
        if not (part in _EFFECT_TAGS and isinstance(previous, int)):
            out.append(part)
        previous = part
    return tuple(out)


def _path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _choices(expected: str) -> list[str]:
    """The quoted choices in pydantic's ``'a', 'b' or 'c'``."""
    return re.findall(r"'([^']*)'", expected)


def _shown(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def _date_problem(value: Any) -> str:
    """Why `value` is not a calendar date, in plain words."""
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        year, month, day = (int(x) for x in value.strip().split("-"))
        try:
            dt.date(year, month, day)
        except ValueError as exc:
            return f"{value!r} is not a calendar date ({exc})"
    return f"{_shown(value)} is not a date"


# Model validators that check one field raise a ValueError whose text starts with its name.
_VALIDATED_FIELDS = {"range"}


def _pick(errors: list[Any]) -> Any:
    """The error to report: an unknown field first (it often explains a 'missing' one)."""
    for err in errors:
        if err["type"] == "extra_forbidden":
            return err
    return errors[0]


def format_validation_error(
    exc: ValidationError,
    describe: Callable[[Any], tuple[str, str, set[tuple[Any, ...]]]] | None = None,
) -> tuple[str, str]:
    """The field path and message of the most telling error in a pydantic ValidationError.

    The message ends with ``(and N more problems)`` when there are other, unrelated errors.
    `describe` turns one error into (path, message, locations it explains); the default
    speaks of scenario files (sweep files pass their own).
    """
    errors = exc.errors()
    err = _pick(errors)
    path, message, explained = (describe or _describe)(err)
    more = sum(1 for e in errors if e is not err and tuple(e["loc"]) not in explained)
    if more:
        message += f" (and {more} more problem{'s' if more > 1 else ''})"
    return path, message


def describe_common_error(
    loc: tuple[Any, ...],
    kind: str,
    value: Any,
    ctx: Mapping[str, Any],
    known_fields: Callable[[], list[str]],
    explained: set[tuple[Any, ...]],
) -> str | None:
    """The message for the errors every file format describes alike, or None for others.

    Covers a null value, an unknown field (with did-you-mean over `known_fields()`, the
    fields allowed where the error is; the suggested field's own errors are added to
    `explained`), a missing field and a number out of range. Used by scenario and sweep files.
    """
    if value is None and kind not in ("missing", "extra_forbidden"):
        return "is empty (null); give a value or remove the line"
    if kind == "extra_forbidden":
        known = known_fields()
        hint = did_you_mean(str(loc[-1]), known)
        if hint:
            suggested = difflib.get_close_matches(str(loc[-1]), known, n=1, cutoff=0.6)[0]
            explained.add((*loc[:-1], suggested))
        expected = f"; expected one of {', '.join(known)}" if known else ""
        return f"unknown field {loc[-1]!r}{hint}{expected}"
    if kind == "missing":
        return "required field is missing; add it"
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        op = {"greater_than": ">", "greater_than_equal": ">=", "less_than": "<"}.get(kind, "<=")
        bound = next(iter(ctx.values()), "?")
        return f"is {value!r}, out of range: must be {op} {bound}"
    return None


def _describe(err: Any) -> tuple[str, str, set[tuple[Any, ...]]]:
    """Path, message and the locations of other errors this one explains."""
    loc = tuple(err["loc"])
    kind = err["type"]
    value = err.get("input")
    ctx = err.get("ctx") or {}
    explained: set[tuple[Any, ...]] = set()
    if loc and loc[-1] == "[key]":
        # A bad key of a mapping: pydantic locates it as (..., key, "[key]").
        path = _path(_clean_loc(loc[:-2]))
        path = _key_path(path, loc[-2])
        if kind == "literal_error":
            choices = _choices(str(ctx.get("expected", "")))
            return (
                path,
                f"unknown key {value!r}{did_you_mean(str(value), choices)}; "
                f"expected one of {', '.join(choices)}",
                explained,
            )
        return path, f"the name {value!r} must be text; put it in quotes", explained
    path = _path(_clean_loc(loc))

    def known_fields() -> list[str]:
        model = _model_at(loc)
        return _field_names(model) if model else []

    common = describe_common_error(loc, kind, value, ctx, known_fields, explained)
    if common is not None:
        return path, common, explained
    if kind in ("too_short", "too_long"):
        actual = ctx.get("actual_length")
        if kind == "too_short":
            return (
                path,
                f"has {actual} item(s), expected at least {ctx.get('min_length')}",
                explained,
            )
        return path, f"has {actual} item(s), expected at most {ctx.get('max_length')}", explained
    if kind == "union_tag_invalid":
        tag = str(ctx.get("tag"))
        return (
            f"{path}.type",
            f"unknown effect type {tag!r}{did_you_mean(tag, _EFFECT_TAGS)}"
            f"; expected one of {', '.join(_EFFECT_TAGS)}",
            explained,
        )
    if kind == "union_tag_not_found":
        return (
            f"{path}.type",
            f"required field is missing; expected one of {', '.join(_EFFECT_TAGS)}",
            explained,
        )
    if kind.startswith("date"):
        return path, f"{_date_problem(value)}; write a date as YYYY-MM-DD", explained
    if kind == "literal_error":
        choices = _choices(str(ctx.get("expected", "")))
        hint = did_you_mean(str(value), choices)
        return path, f"is {value!r}{hint}; expected one of {', '.join(choices)}", explained
    if kind == "value_error":
        text = str(ctx.get("error", err["msg"]))
        field = text.split(" ", 1)[0]
        if field in _VALIDATED_FIELDS:
            path = _key_path(path, field)
        return path, text, explained
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return path, f"got {_shown(value)}; expected a mapping of fields (key: value)", explained
    if kind in ("list_type", "tuple_type"):
        return path, f"got {_shown(value)}; expected a list, e.g. [a, b]", explained
    msg = err["msg"][0].lower() + err["msg"][1:] if err["msg"] else "invalid value"
    return path, f"got {_shown(value)}: {msg}", explained


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


def scenario_to_yaml(scenario: Scenario) -> str:
    """The resolved scenario as YAML text that :func:`load_scenario` reads back unchanged.

    Every field is written out (``extends`` is resolved), so the text stands on its own: the
    dashboard exports it so that ``lsr-sim run`` reproduces a run made in the page.

    Examples
    --------
    >>> import tempfile
    >>> base = load_scenario("scenarios/baseline.yaml")
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = Path(tmp) / "copy.yaml"
    ...     _ = path.write_text(scenario_to_yaml(base), encoding="utf-8")
    ...     scenario_hash(load_scenario(path)) == scenario_hash(base)
    True
    """
    data = scenario.model_dump(mode="json", by_alias=True)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
