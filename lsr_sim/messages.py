"""How every input file's problems are phrased: one module for every loader.

Scenario files (:mod:`lsr_sim.scenario.loader`), sweep files (:mod:`lsr_sim.sweep.loading`)
and any later file format turn a pydantic ``ValidationError`` into one line through
:func:`format_validation_error`, quote what the user wrote through :func:`quote` (never a
whole huge value) and suggest names through :func:`did_you_mean`. This module imports
nothing from the rest of the library but :mod:`lsr_sim.errors`, so every module, the
strategy and protocol registries included, can use it without an import cycle.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails, PydanticCustomError

from lsr_sim.errors import InputError

__all__ = [
    "FileKind",
    "describe_error",
    "did_you_mean",
    "expected_mapping",
    "field_error",
    "field_path",
    "format_validation_error",
    "is_model",
    "key_path",
    "number",
    "numbers",
    "quote",
    "shown",
    "unwrap",
]

#: Longest quoted text in a message; longer values are cut with their length said.
QUOTE_LIMIT = 60

Location = tuple[int | str, ...]
#: (field path, message, locations of other errors the message explains)
Description = tuple[str, str, set[Location]]
#: A loader's own phrasing for some errors: (error, shown path) -> description or None.
Special = Callable[[ErrorDetails, str], Description | None]


@dataclass(frozen=True)
class FileKind:
    """What a kind of input file is, for the messages about it.

    Attributes
    ----------
    what : str
        Its name in messages: ``scenario``, ``sweep``.
    example : str
        A shipped file of this kind, to point at.
    fields : str
        Its first fields, to show the expected shape (``name: ..., run: ...``).
    error : type[InputError]
        The exception its loader raises.
    syntax : str
        The file format: ``YAML`` or ``CSV``.
    """

    what: str
    example: str
    fields: str
    error: type[InputError]
    syntax: str = "YAML"


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """A ``" (did you mean 'x'?)"`` suffix for a misspelt name, or ``""``.

    Examples
    --------
    >>> did_you_mean("Beirt", ["Beirut", "Damascus"])
    " (did you mean 'Beirut'?)"
    >>> did_you_mean("Tehran", ["Beirut", "Damascus"])
    ''
    >>> did_you_mean("NASH", ["nash", "bdm"]), did_you_mean("kalai", ["nash", "kalai_smorodinsky"])
    (" (did you mean 'nash'?)", " (did you mean 'kalai_smorodinsky'?)")
    """
    if len(word) > 4 * QUOTE_LIMIT:  # no name is that long; difflib would be slow
        return ""
    names = [str(c) for c in choices]
    folded = {name.lower(): name for name in names}
    low = word.lower().strip()
    close = difflib.get_close_matches(low, list(folded), n=1, cutoff=0.6)
    if close:
        return f" (did you mean {folded[close[0]]!r}?)"
    # A name begun but not finished (kalai for kalai_smorodinsky), if only one fits.
    begun = [name for key, name in folded.items() if len(low) >= 3 and key.startswith(low)]
    return f" (did you mean {begun[0]!r}?)" if len(begun) == 1 else ""


def quote(value: Any) -> str:
    """`value` as written, for a message: short text in full, long text cut with its length.

    Examples
    --------
    >>> quote("Beirut")
    "'Beirut'"
    >>> quote("x" * 100)
    "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'... (100 characters)"
    >>> quote(10**100)
    'a whole number of 101 digits'
    >>> quote([1, [2, [3]]])
    'a list'
    """
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, int):
        digits = len(str(abs(value))) if value.bit_length() < 10_000 else None
        if digits is None or digits > 20:
            if digits is None:  # str() itself refuses integers of more than 4,300 digits
                digits = int(value.bit_length() * 0.30103) + 1
                return f"a whole number of about {digits:,} digits"
            return f"a whole number of {digits:,} digits"
        return repr(value)
    if isinstance(value, str):
        if len(value) > QUOTE_LIMIT:
            return f"{value[: QUOTE_LIMIT * 2 // 3]!r}... ({len(value):,} characters)"
        return repr(value)
    if isinstance(value, (dict, list, tuple, set, frozenset)):
        return shown(value)
    text = repr(value)
    return text if len(text) <= QUOTE_LIMIT else f"{text[:QUOTE_LIMIT]}..."


def number(x: float) -> str:
    """A number as a user wrote it: ``0.3``, ``4`` (integral floats without ``.0``).

    Examples
    --------
    >>> number(4.0), number(0.1 + 0.2), number(7)
    ('4', '0.3', '7')
    """
    if isinstance(x, float) and x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    return f"{x:.12g}" if isinstance(x, float) else quote(x)


def numbers(xs: Iterable[float]) -> str:
    """A list of numbers as a user writes it: ``[0.1, 0.4, 4]``."""
    return "[" + ", ".join(number(x) for x in xs) + "]"


def shown(value: Any) -> str:
    """A value's kind for a collection (never its whole content), else :func:`quote`."""
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, (set, frozenset)):
        return "a set"
    return quote(value)


def key_path(path: str, key: Any) -> str:
    """`path` extended by a mapping key: ``actors`` + ``Beirut`` is ``actors.Beirut``."""
    key = key if isinstance(key, str) and len(key) <= QUOTE_LIMIT else quote(key)
    return f"{path}.{key}" if path else str(key)


def field_path(loc: Iterable[Any]) -> str:
    """A location as a user writes it: ``issues.border.parties[1]``.

    Examples
    --------
    >>> field_path(("issues", "border", "parties", 1))
    'issues.border.parties[1]'
    """
    out = ""
    for part in loc:
        out = out + f"[{part}]" if isinstance(part, int) else key_path(out, part)
    return out


def field_error(field: str, reason: str) -> PydanticCustomError:
    """A validation error raised by a validator, at `field` relative to its model.

    :func:`format_validation_error` reports it at that field with `reason` as the message.
    """
    return PydanticCustomError("input_field", "{reason}", {"field": field, "reason": reason})


# -- walking a schema -------------------------------------------------------------------------


def unwrap(annotation: Any) -> list[Any]:
    """The concrete types an annotation may hold (through Annotated, Optional, unions).

    Examples
    --------
    >>> unwrap(int | None)
    [<class 'int'>, <class 'NoneType'>]
    """
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return unwrap(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return [t for arg in typing.get_args(annotation) for t in unwrap(arg)]
    return [annotation]


def is_model(candidate: Any) -> bool:
    """Whether `candidate` is a pydantic model class."""
    return isinstance(candidate, type) and issubclass(candidate, BaseModel)


def _tags(model: type[BaseModel]) -> tuple[Any, ...]:
    """The values of a tagged-union member's ``type`` field (empty if it has none)."""
    field = model.model_fields.get("type")
    return typing.get_args(field.annotation) if field is not None else ()


def _locate(root: type[BaseModel], loc: Location) -> tuple[Location, type[BaseModel] | None]:
    """The location a user sees, and the model that holds its last part.

    Pydantic's labels for validators (``function-after[...]``) and the tags of discriminated
    unions (``effects, 0, "link", ...``) are not fields a user writes: both are dropped.
    """
    current: list[Any] = [root]
    holder: list[Any] = []
    out: list[int | str] = []
    for part in loc:
        if isinstance(part, str) and part.startswith("function-"):
            continue
        members = [c for c in current if is_model(c)]
        tagged = [c for c in members if part in _tags(c)]
        if len(current) > 1 and tagged:
            current = tagged  # a union tag in the location: keep the matching member
            continue
        out.append(part)
        holder = members
        following: list[Any] = []
        for candidate in current:
            if is_model(candidate):
                for name, info in candidate.model_fields.items():
                    if part in (name, info.alias):
                        following.extend(unwrap(info.annotation))
            elif typing.get_origin(candidate) in (dict, list, tuple):
                args = typing.get_args(candidate)
                following.extend(unwrap(args[-1] if args else Any))
        current = following
    return tuple(out), (holder[0] if holder else None)


def _field_names(model: type[BaseModel]) -> list[str]:
    return [info.alias or name for name, info in model.model_fields.items()]


# -- one error --------------------------------------------------------------------------------

_EXPECTED = {
    "float_type": "a number",
    "float_parsing": "a number",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "bool_type": "true or false",
    "string_type": "text",
    "finite_number": "a finite number (not .inf or .nan)",
    "list_type": "a list, e.g. [a, b]",
    "tuple_type": "a list, e.g. [a, b]",
    "dict_type": "a mapping of fields (key: value)",
    "model_type": "a mapping of fields (key: value)",
    "model_attributes_type": "a mapping of fields (key: value)",
}
_BOUNDS = {
    "greater_than": ">",
    "greater_than_equal": ">=",
    "less_than": "<",
    "less_than_equal": "<=",
}


def _choices(expected: str) -> list[str]:
    """The quoted choices in pydantic's ``'a', 'b' or 'c'``."""
    return re.findall(r"'([^']*)'", expected)


def _date_problem(value: Any) -> str:
    """Why `value` is not a calendar date, in plain words."""
    import datetime as dt

    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        year, month, day = (int(x) for x in value.strip().split("-"))
        try:
            dt.date(year, month, day)
        except ValueError as exc:
            return f"{value!r} is not a calendar date ({exc})"
    return f"{shown(value)} is not a date"


def describe_error(
    err: ErrorDetails, root: type[BaseModel], special: Special | None = None
) -> Description:
    """Path, message and the locations of other errors this one explains, for one error.

    `root` is the file's schema (to name the fields allowed where a field is unknown);
    `special` gives a loader's own phrasing of some errors, tried first.
    """
    loc = tuple(err["loc"])
    kind = err["type"]
    value = err.get("input")
    ctx = err.get("ctx") or {}
    explained: set[Location] = set()
    if loc and loc[-1] == "[key]":
        # A bad key of a mapping: pydantic locates it as (..., key, "[key]").
        path = key_path(field_path(_locate(root, loc[:-2])[0]), loc[-2])
        if kind == "literal_error":
            choices = _choices(str(ctx.get("expected", "")))
            return (
                path,
                f"unknown key {quote(value)}{did_you_mean(str(value), choices)}; "
                f"expected one of {', '.join(choices)}",
                explained,
            )
        return path, f"the name {quote(value)} must be text; put it in quotes", explained
    shown_loc, model = _locate(root, loc)
    path = field_path(shown_loc)
    if special is not None:
        own = special(err, path)
        if own is not None:
            return own
    if kind == "input_field":
        field = str(ctx.get("field", ""))
        if field and not field.startswith("["):
            field = "." + field if path else field
        return path + field, str(ctx.get("reason")), explained
    if value is None and kind not in ("missing", "extra_forbidden"):
        return path, "is empty (null); give a value or remove the line", explained
    if kind == "extra_forbidden":
        known = _field_names(model) if model else []
        word = str(loc[-1])
        hint = did_you_mean(word, known)
        if hint:
            suggested = difflib.get_close_matches(word, known, n=1, cutoff=0.6)[0]
            explained.add((*loc[:-1], suggested))
        expected = f"; expected one of {', '.join(known)}" if known else ""
        return path, f"unknown field {quote(loc[-1])}{hint}{expected}", explained
    if kind == "missing":
        return path, f"required field is missing; add it{_shape(model, loc[-1])}", explained
    if kind in _BOUNDS:
        bound = next(iter(ctx.values()), "?")
        return path, f"is {quote(value)}, out of range: must be {_BOUNDS[kind]} {bound}", explained
    if kind in ("too_short", "too_long"):
        actual = ctx.get("actual_length")
        if kind == "too_short":
            least = ctx.get("min_length")
            return path, f"has {actual} item(s), expected at least {least}", explained
        return path, f"has {actual} item(s), expected at most {ctx.get('max_length')}", explained
    if kind == "string_too_short":
        return path, "is empty text; give a value", explained
    if kind.startswith("date"):
        return path, f"{_date_problem(value)}; write a date as YYYY-MM-DD", explained
    if kind == "literal_error":
        choices = _choices(str(ctx.get("expected", "")))
        hint = did_you_mean(str(value), choices) if isinstance(value, str) else ""
        return path, f"is {quote(value)}{hint}; expected one of {', '.join(choices)}", explained
    if kind == "value_error":
        return path, str(ctx.get("error", err["msg"])), explained
    if kind in _EXPECTED:
        return path, f"got {shown(value)}; expected {_EXPECTED[kind]}", explained
    msg = err["msg"][0].lower() + err["msg"][1:] if err["msg"] else "invalid value"
    return path, f"got {shown(value)}: {msg}", explained


def _shape(model: type[BaseModel] | None, name: Any) -> str:
    """``, e.g. scale: {low: ..., high: ...}`` for a missing field that is a mapping of fields."""
    info = model.model_fields.get(str(name)) if model is not None else None
    inner = [t for t in unwrap(info.annotation) if is_model(t)] if info is not None else []
    if not inner:
        return ""
    fields = [f.alias or n for n, f in inner[0].model_fields.items() if f.is_required()]
    fields = fields or _field_names(inner[0])[:3]
    return f", e.g. {name}: {{{', '.join(f'{f}: ...' for f in fields)}}}"


def _pick(errors: list[ErrorDetails]) -> ErrorDetails:
    """The error to report: an unknown field first (it often explains a 'missing' one)."""
    for err in errors:
        if err["type"] == "extra_forbidden":
            return err
    return errors[0]


def format_validation_error(
    exc: ValidationError, root: type[BaseModel], special: Special | None = None
) -> tuple[str, str]:
    """The field path and message of the most telling error in a pydantic ValidationError.

    The message ends with ``(and N more problems)`` when there are other, unrelated errors.

    Examples
    --------
    >>> from pydantic import BaseModel, ConfigDict
    >>> class Run(BaseModel):
    ...     model_config = ConfigDict(extra="forbid")
    ...     steps: int
    >>> try:
    ...     Run.model_validate({"stpes": 3})
    ... except ValidationError as exc:
    ...     format_validation_error(exc, Run)
    ('stpes', "unknown field 'stpes' (did you mean 'steps'?); expected one of steps")
    """
    errors = exc.errors()
    err = _pick(errors)
    path, message, explained = describe_error(err, root, special)
    more = sum(1 for e in errors if e is not err and tuple(e["loc"]) not in explained)
    if more:
        message += f" (and {more} more problem{'s' if more > 1 else ''})"
    return path, message


def expected_mapping(kind: FileKind, source: str, data: Mapping[str, Any] | Any) -> None:
    """Refuse a file whose top level is not a mapping (or that is empty)."""
    if data is None:
        raise kind.error(
            source,
            "",
            f"file is empty; expected a {kind.what} mapping (see {kind.example})",
        )
    if not isinstance(data, dict):
        words = {"list": "a list", "str": "a single text value", "int": "a number"}
        words |= {"float": "a number", "bool": "true/false"}
        what = words.get(type(data).__name__, type(data).__name__)
        raise kind.error(
            source, "", f"the top level is {what}, expected a mapping of fields ({kind.fields})"
        )
