"""Read YAML input files: the one place the library parses YAML, within stated limits.

Every scenario and sweep file goes through :func:`read_yaml_mapping`. It reads at most
:data:`MAX_FILE_BYTES`, parses once (libyaml's parser when PyYAML has it), refuses duplicate
keys, keys that are lists or mappings, nesting deeper than :data:`MAX_DEPTH` and aliases that
expand to more than :data:`MAX_VALUES` values (a "billion laughs" file), and turns a bad
``!!int``, ``!!float`` or ``!!timestamp`` value into a message with its line. Dates stay text
for the schema to check. Every problem is one line, with the line and column and what to fix.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError, SafeConstructor

from lsr_sim.errors import InputError, ScenarioError
from lsr_sim.inputs import read_input_text
from lsr_sim.limits import MAX_DEPTH, MAX_VALUES
from lsr_sim.messages import FileKind, expected_mapping, key_path, quote

__all__ = [
    "SCENARIO_FILE",
    "parse_yaml",
    "read_yaml_mapping",
]

#: Scenario files, for messages (sweep files have their own, in lsr_sim.sweep.loading).
SCENARIO_FILE = FileKind(
    "scenario", "scenarios/baseline.yaml", "name: ..., run: ..., actors: ...", ScenarioError
)

_TIMESTAMP = "tag:yaml.org,2002:timestamp"


def _construct_mapping(loader: SafeConstructor, node: yaml.MappingNode) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    mapping: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, Hashable):
            raise ConstructorError(
                None,
                None,
                "a list or mapping is used as a key; keys are names: write `name: value`",
                key_node.start_mark,
            )
        mapping[key] = loader.construct_object(value_node, deep=True)
    return mapping


def _guarded(tag: str, what: str) -> Any:
    """SafeLoader's constructor for `tag`, with a bad value reported at its line."""
    original = SafeConstructor.yaml_constructors[f"tag:yaml.org,2002:{tag}"]

    def construct(loader: SafeConstructor, node: yaml.ScalarNode) -> Any:
        try:
            return original(loader, node)
        except (ValueError, OverflowError, TypeError) as exc:
            text = str(node.value)
            digits = text.lstrip("+-").replace("_", "")
            if tag == "int" and digits.isdigit():
                problem = f"a whole number of {len(digits):,} digits is too long to read"
            elif tag == "timestamp":
                problem = f"{quote(text)} is not {what} ({exc}); write it as YYYY-MM-DD"
            else:
                problem = f"{quote(text)} is not {what}; write {what}, or remove the !!{tag} tag"
            raise ConstructorError(None, None, problem, node.start_mark) from None

    return construct


def _strict(base: type) -> type:
    """A loader class on `base` with this module's rules."""
    loader: Any = type(f"Strict{base.__name__}", (base,), {})
    loader.yaml_implicit_resolvers = {
        key: [(tag, regexp) for tag, regexp in resolvers if tag != _TIMESTAMP]
        for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
    for tag, what in (("int", "a whole number"), ("float", "a number"), ("timestamp", "a date")):
        loader.add_constructor(f"tag:yaml.org,2002:{tag}", _guarded(tag, what))
    return loader


# libyaml's parser is about ten times faster and caps nesting itself; the pure-Python one is
# the fallback when PyYAML was built without libyaml.
_PURE_LOADER = _strict(yaml.SafeLoader)
_LOADER = _strict(yaml.CSafeLoader) if hasattr(yaml, "CSafeLoader") else _PURE_LOADER


# -- the tree ---------------------------------------------------------------------------------


@dataclass
class _Walk:
    source: str
    kind: FileKind
    size: dict[int, int] = field(default_factory=dict)
    open: set[int] = field(default_factory=set)

    def fail(self, path: str, node: yaml.Node, message: str) -> InputError:
        return self.kind.error(self.source, path, f"line {node.start_mark.line + 1}: {message}")


def _check(node: yaml.Node, path: str, depth: int, walk: _Walk) -> int:
    """Check the tree under `node`; return how many values it holds with aliases expanded.

    Refuses duplicate keys, nesting deeper than MAX_DEPTH, an alias inside its own anchor
    and more than MAX_VALUES values. Each node is walked once (aliases share nodes).
    """
    ident = id(node)
    if ident in walk.size:
        return walk.size[ident]
    if ident in walk.open:
        raise walk.fail(path, node, "an alias refers to the list or mapping it is in")
    if depth > MAX_DEPTH:
        raise walk.fail(
            path,
            node,
            f"nested deeper than {MAX_DEPTH} levels (the limit for {walk.kind.what} files)",
        )
    walk.open.add(ident)
    total = 1
    if isinstance(node, yaml.MappingNode):
        first: dict[tuple[str, Any], yaml.Node] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            if key is not None and key_node.tag != "tag:yaml.org,2002:merge":
                if (key_node.tag, key) in first:
                    line = first[(key_node.tag, key)].start_mark.line + 1
                    raise walk.kind.error(
                        walk.source,
                        key_path(path, key),
                        f"duplicate key {quote(key)} at line {key_node.start_mark.line + 1} "
                        f"(first at line {line}); each name may appear once in a mapping",
                    )
                first[(key_node.tag, key)] = key_node
            total += _check(key_node, path, depth + 1, walk)
            total += _check(value_node, key_path(path, key), depth + 1, walk)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            total += _check(item, f"{path}[{i}]", depth + 1, walk)
    walk.open.discard(ident)
    walk.size[ident] = total
    if total > MAX_VALUES:
        raise walk.fail(
            path,
            node,
            f"its aliases expand to more than {MAX_VALUES:,} values (the limit for "
            f"{walk.kind.what} files); write the values out, or use fewer aliases",
        )
    return total


# -- messages ---------------------------------------------------------------------------------


def _at(mark: Any) -> str:
    return f"line {mark.line + 1}, column {mark.column + 1}"


def _deeper(text: str, line: int) -> bool:
    """Whether `line` (0-based) is indented deeper than the nearest non-blank line above."""
    lines = text.splitlines()
    if line >= len(lines):
        return False

    def indent(s: str) -> int:
        return len(s) - len(s.lstrip(" "))

    above = [s for s in lines[:line] if s.strip() and not s.lstrip().startswith("#")]
    return bool(above) and indent(lines[line]) > indent(above[-1])


def _yaml_problem(exc: yaml.YAMLError, text: str, kind: FileKind) -> str:
    """What is wrong with the YAML, where, and what to fix, in our own words."""
    if isinstance(exc, yaml.reader.ReaderError):
        before = text[: exc.position]
        line, column = before.count("\n") + 1, len(before) - (before.rfind("\n") + 1) + 1
        return (
            f"line {line}, column {column}: the character #x{exc.character:04x} is not allowed "
            f"in YAML; remove it (is this a {kind.what} file, and text?)"
        )
    if not isinstance(exc, yaml.MarkedYAMLError):
        return "YAML syntax error: " + " ".join(str(exc).split())
    mark = exc.problem_mark or exc.context_mark
    where = _at(mark) if mark else "an unknown place"
    problem = exc.problem or "invalid YAML"
    context = exc.context or ""
    opened = _at(exc.context_mark) if exc.context_mark else "above"
    if "tab character" in problem or "'\\t'" in problem:
        return f"YAML indentation error at {where}: a tab character; indent with spaces only"
    if "block mapping" in context and ("expected key" in problem or "block end" in problem):
        return (
            f"YAML indentation error at {where}: this line is indented unlike the fields "
            f"around it (the mapping begins at {opened}); give fields of one mapping the same "
            "number of leading spaces"
        )
    if "block collection" in context or "'-' indicator" in problem:
        return (
            f"YAML indentation error at {where}: expected the next item ('- ...') of the list "
            f"that begins at {opened}; indent list items and fields consistently"
        )
    if "nesting depth" in problem:
        return (
            f"nested too deeply at {where} (the limit for {kind.what} files is {MAX_DEPTH} levels)"
        )
    if "another document" in problem:
        return (
            f"YAML syntax error at {where}: a second document (---); a {kind.what} file holds "
            "one document: remove the --- line and what follows, or merge them"
        )
    if "mapping values are not allowed" in problem and mark and _deeper(text, mark.line):
        return (
            f"YAML indentation error at {where}: this line is indented deeper than the one "
            "above, so YAML reads it as part of that line's value; indent it like the fields "
            "beside it"
        )
    if "mapping values are not allowed" in problem:
        return (
            f"YAML syntax error at {where}: a ':' inside a value; put the value in quotes "
            "(description: 'a: b') or start a new line after the key"
        )
    if "flow sequence" in context or "flow mapping" in context:
        brackets = "[ ]" if "sequence" in context else "{ }"
        return (
            f"YAML syntax error at {where}: the {brackets[0]} opened at {opened} is not closed; "
            f"separate its items with commas and close it with {brackets[-1]}"
        )
    if "quoted scalar" in context:
        return (
            f"YAML syntax error at {where}: the quoted text that begins at {opened} is not "
            "closed; end it with the same quote mark"
        )
    if isinstance(exc, ConstructorError):
        return f"{where}: {problem}"
    suffix = f" ({context} at {opened})" if context and exc.context_mark else ""
    return f"YAML syntax error at {where}: {problem}{suffix}"


def parse_yaml(
    text: str, source: str, kind: FileKind = SCENARIO_FILE, *, pure_python: bool = False
) -> Any:
    """Parse one YAML document with this module's rules; None for an empty one.

    `pure_python` uses PyYAML's own parser instead of libyaml's (they must agree).

    Raises
    ------
    InputError
        ``kind.error``, naming `source`, for every problem (see the module's description).
    """
    loader = (_PURE_LOADER if pure_python else _LOADER)(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check(node, "", 0, _Walk(source, kind))
        return loader.construct_document(node)
    except yaml.YAMLError as exc:
        raise kind.error(source, "", _yaml_problem(exc, text, kind)) from None
    except RecursionError:  # the pure-Python parser recurses before MAX_DEPTH is checked
        raise kind.error(
            source, "", f"nested too deeply (beyond the limit of {MAX_DEPTH} levels)"
        ) from None
    finally:
        loader.dispose()


def read_yaml_mapping(path: Path, kind: FileKind = SCENARIO_FILE) -> dict[str, Any]:
    """Read a YAML file whose top level must be a mapping.

    Parameters
    ----------
    path : Path
        The file.
    kind : FileKind
        What kind of file it is (a scenario by default): names it in messages and gives the
        error class raised.

    Raises
    ------
    InputError
        ``kind.error``: the file is missing, a folder, too large, not UTF-8, not YAML,
        beyond a limit of this module, empty or not a mapping.
    """
    source = str(path)
    data = parse_yaml(read_input_text(path, kind), source, kind)
    expected_mapping(kind, source, data)
    return data
