"""Scenario field paths: name a field by a dotted path, check it, set it.

``actors.Riyadh.capability`` names one field of a scenario. :func:`resolve_path` checks that a
path names a numeric field of a scenario (sweeps vary only those), :func:`apply_parameters`
sets paths in a scenario's YAML data, and :func:`override_scenario` gives a validated copy of
a scenario with some fields set: the one way sweeps, the dashboard's knobs and
``lsr-sim compare`` change a scenario. The derived paths of :mod:`lsr_sim.scenario.derived`
(a ``dummy``, salience shares, effect values, rounded integers) go through the same two
functions, which hand them to that module.
"""

from __future__ import annotations

import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from lsr_sim.messages import did_you_mean, is_model, quote, shown, unwrap
from lsr_sim.scenario.derived import DerivedPathError, apply_derived, is_derived, resolve_derived
from lsr_sim.scenario.loader import scenario_from_dict
from lsr_sim.scenario.schema import LINK_TYPES, TRUST_MODEL_INPUTS, Scenario

__all__ = [
    "FieldTarget",
    "PathError",
    "Value",
    "apply_parameters",
    "override_scenario",
    "resolve_path",
    "unread_by_trust_model",
]

#: What a path can be set to: a number, text (a name) or None (null: the field's default).
Value = float | int | str | None


class PathError(ValueError):
    """A parameter path that does not name a numeric field of a scenario (message only)."""


@dataclass(frozen=True)
class FieldTarget:
    """A numeric scenario field a parameter path names.

    Attributes
    ----------
    path : str
        The dotted path.
    integer : bool
        Whether the field takes whole numbers only.
    current : float or int or None
        Its value in the scenario (None if unset, e.g. an actor's trust in another it does not
        list).
    """

    path: str
    integer: bool
    current: float | int | None


def _field_by_key(model: type[BaseModel]) -> dict[str, str]:
    """YAML key (alias or name) -> attribute name of each field of `model`."""
    return {(info.alias or name): name for name, info in model.model_fields.items()}


def _leaf_kind(annotation: Any) -> str:
    """``float``, ``int`` or words for a non-numeric field (``text``, ``a list``, ...)."""
    kinds = [t for t in unwrap(annotation) if t is not type(None)]
    if any(is_model(t) or typing.get_origin(t) is dict for t in kinds):
        return "a mapping of fields"
    if any(typing.get_origin(t) in (list, tuple) for t in kinds):
        return "a list"
    if bool in kinds:
        return "true/false"
    if float in kinds:
        return "float"
    if int in kinds:
        return "int"
    if any(t is str or typing.get_origin(t) is Literal for t in kinds):
        return "text"
    if any(getattr(t, "__name__", "") == "date" for t in kinds):
        return "a date"
    return "not a number"


def _key_choices(
    scenario: Scenario, trail: tuple[str, ...], done: list[str], value: Mapping[str, Any]
) -> tuple[str, str, list[str]]:
    """What the keys of the mapping at `trail` name (noun, qualifier), and the keys allowed.

    Some mappings accept keys they do not list yet: an actor's positions, salience and trust,
    network links and a strategy's parameters.
    """
    actors, issues = list(scenario.actors), list(scenario.issues)
    if trail == ("actors",):
        return "actor", "", actors
    if trail == ("issues",):
        return "issue", "", issues
    if trail == ("network",):
        return "link type", "", list(LINK_TYPES)
    if trail in (("network", "*"), ("network", "*", "*")):
        return "actor", "", actors
    if trail in (("actors", "*", "positions"), ("actors", "*", "salience")):
        return "issue", "", issues
    if trail == ("actors", "*", "trust"):
        return "actor", "", actors
    if trail == ("actors", "*", "strategy", "params"):
        from lsr_sim.strategies import get_strategy_class

        name = scenario.actors[done[1]].strategy.name
        known = get_strategy_class(name).parameter_names()
        return "parameter", f" of strategy {quote(name)}", known
    if trail == ("issues", "*", "quantities"):
        return "quantity", f" of issue {quote(done[1])}", list(value)
    nouns = {
        ("events",): "event",
        ("incidents",): "incident",
        ("calibration", "observations", "facts"): "fact",
    }
    return nouns.get(trail, "key"), f" of {'.'.join(done)}", list(value)


def unread_by_trust_model(scenario: Scenario, path: str) -> str | None:
    """Why varying `path` cannot change a run of `scenario`, if it is an input of a trust
    model other than the one the scenario uses (``dynamics.trust_model``); else None.

    Examples
    --------
    >>> from lsr_sim.scenario import load_scenario
    >>> baseline = load_scenario("scenarios/baseline.yaml")
    >>> print(unread_by_trust_model(baseline, "dynamics.talk_weight"))
    None
    >>> unread_by_trust_model(baseline, "dynamics.trust_gain_rate")[:69]
    "is not read by trust model 'evidence' (only by signals, surprise), so"
    """
    head, _, name = path.partition(".")
    if head != "dynamics" or "." in name:
        return None
    users = [model for model, inputs in TRUST_MODEL_INPUTS.items() if name in inputs]
    model = scenario.dynamics.trust_model
    if not users or model in users:
        return None
    read = sorted(TRUST_MODEL_INPUTS[model]) or ["(nothing: trust does not learn)"]
    return (
        f"is not read by trust model {quote(model)} (only by {', '.join(users)}), so varying "
        f"it changes nothing; vary one of {', '.join(read)}, or set dynamics.trust_model"
    )


def resolve_path(scenario: Scenario, path: str) -> FieldTarget:
    """The numeric field of `scenario` that the dotted `path` names.

    Fields left at their defaults count (``dynamics.trust_loss_rate`` with no ``dynamics``
    section), and so do keys a mapping accepts but does not list yet (an actor's trust in
    another, a strategy's declared parameters). The derived paths of
    :mod:`lsr_sim.scenario.derived` (``dummy``, salience shares, effect values, rounded
    integers) are checked there.

    Parameters
    ----------
    scenario : Scenario
        A validated scenario.
    path : str
        Dotted path, e.g. ``actors.Riyadh.capability``.

    Returns
    -------
    FieldTarget
        The path, whether the field is an integer field, and its current value.

    Raises
    ------
    PathError
        With a message (no location) that says what is wrong, with a did-you-mean.

    Examples
    --------
    >>> from lsr_sim.scenario import load_scenario
    >>> baseline = load_scenario("scenarios/baseline.yaml")
    >>> resolve_path(baseline, "dynamics.talks_timeout")
    FieldTarget(path='dynamics.talks_timeout', integer=True, current=26)
    >>> resolve_path(baseline, "actors.Riyad.capability")
    Traceback (most recent call last):
    ...
    lsr_sim.scenario.paths.PathError: unknown actor 'Riyad' (did you mean 'Riyadh'?); expected one
    of Beirut, Damascus, Riyadh, Hezbollah, Washington, Gulf_EU
    """
    if is_derived(path):  # a dummy, a salience share, an effect value, a rounded integer
        try:
            derived = resolve_derived(scenario, path)
        except DerivedPathError as exc:
            raise PathError(str(exc)) from None
        return FieldTarget(path, derived.integer, derived.current)
    segments = path.split(".")
    if any(not s.strip() for s in segments):
        raise PathError(
            "is not a dotted field path (an empty part between dots); "
            "write it like actors.Riyadh.capability"
        )
    value: Any = scenario
    annotation: Any = Scenario
    trail: list[str] = []
    done: list[str] = []
    for seg in segments:
        here = ".".join(done) or "the scenario"
        kinds = unwrap(annotation)
        model = next((t for t in kinds if is_model(t)), None)
        mapping = next((t for t in kinds if typing.get_origin(t) is dict), None)
        if model is not None:
            if value is None:
                raise PathError(
                    f"{here} is not set in this scenario; add it to the scenario file to vary "
                    "its fields"
                )
            keys = _field_by_key(model)
            if seg not in keys:
                raise PathError(
                    f"unknown field {quote(seg)}{did_you_mean(seg, keys)} of {here}; "
                    f"expected one of {', '.join(keys)}"
                )
            annotation = model.model_fields[keys[seg]].annotation
            value = getattr(value, keys[seg])
            trail.append(seg)
        elif mapping is not None:
            present = value if isinstance(value, Mapping) else {}
            noun, of, choices = _key_choices(scenario, tuple(trail), done, present)
            if seg not in choices:
                raise PathError(
                    f"unknown {noun} {quote(seg)}{did_you_mean(seg, choices)}{of}; "
                    f"expected one of {', '.join(choices) or '(none)'}"
                )
            annotation = typing.get_args(mapping)[1]
            value = present.get(seg)
            trail.append("*")
        else:
            kind = _leaf_kind(annotation)
            shown = "a number" if kind in ("float", "int") else kind
            raise PathError(
                f"{here} is {shown}, it has no field {quote(seg)}; end the path at a numeric field"
            )
        done.append(seg)
    kind = _leaf_kind(annotation)
    if kind not in ("float", "int"):
        hint = ""
        if kind == "a mapping of fields":
            hint = f" (name a field inside it, e.g. {path}.<field>)"
        raise PathError(f"is {kind}, not a number; only numeric fields can be varied{hint}")
    return FieldTarget(path, kind == "int", value)


# -- applying parameters -----------------------------------------------------------------------


def _schema_steps(segments: list[str]) -> list[tuple[Any, Any]]:
    """(annotation, default) of the field or entry at each segment, from the schema alone.

    Unknown segments give ``(None, PydanticUndefined)``.
    """
    steps: list[tuple[Any, Any]] = []
    annotation: Any = Scenario
    for seg in segments:
        kinds = unwrap(annotation) if annotation is not None else []
        model = next((t for t in kinds if is_model(t)), None)
        mapping = next((t for t in kinds if typing.get_origin(t) is dict), None)
        default: Any = PydanticUndefined
        if model is not None and seg in _field_by_key(model):
            info = model.model_fields[_field_by_key(model)[seg]]
            annotation = info.annotation
            if not info.is_required():
                default = info.get_default(call_default_factory=True)
        elif mapping is not None:
            annotation = typing.get_args(mapping)[1]
        else:
            annotation = None
        steps.append((annotation, default))
    return steps


def _empty(default: Any) -> dict[str, Any]:
    """The mapping to create for a missing intermediate field with this schema default."""
    if isinstance(default, BaseModel):
        # e.g. an actor's default strategy {name: linear}: keep what the default sets.
        return default.model_dump(mode="json", by_alias=True, exclude_unset=True)
    return {}


def _cast(value: Any, annotation: Any) -> Any:
    """`value` as a plain Python number fitting the schema field (int fields: int if whole)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value
    kind = _leaf_kind(annotation) if annotation is not None else ""
    if kind == "int" and float(value).is_integer():
        return int(value)
    if kind == "float":
        return float(value)
    return value


def _copy_tree(data: Any) -> Any:
    """A copy of nested mappings and lists that shares no container (unlike deepcopy, which
    would keep YAML anchors shared, so that setting one place would set both)."""
    if isinstance(data, Mapping):
        return {key: _copy_tree(value) for key, value in data.items()}
    if isinstance(data, list):
        return [_copy_tree(item) for item in data]
    return data


def apply_parameters(data: Mapping[str, Any], params: Mapping[str, Value]) -> dict[str, Any]:
    """A copy of a scenario's YAML data with each dotted path set to its value.

    Missing intermediate mappings are created (an absent ``dynamics`` section; an actor's
    absent ``strategy`` becomes its default, ``{name: linear}``). Numbers become plain Python
    numbers: ``int`` for whole numbers in integer fields (``dynamics.talks_timeout``),
    ``float`` in float fields; text is set as given, and ``None`` sets the field to null
    (its default). Derived paths (:mod:`lsr_sim.scenario.derived`) take numbers and are
    applied after the others; a ``dummy`` is applied to nothing. The input is not modified.
    Validate the result with
    :func:`lsr_sim.scenario.scenario_from_dict`, or use :func:`override_scenario`.

    Parameters
    ----------
    data : Mapping
        A scenario's resolved YAML mapping (after ``extends``), e.g.
        :func:`lsr_sim.scenario.read_scenario_data`'s, or a sweep's
        ``scenarios[name].data``.
    params : Mapping[str, float or str or None]
        Dotted path -> value, e.g. ``{"actors.Riyadh.capability": 0.5}``.

    Returns
    -------
    dict
        The new mapping.

    Raises
    ------
    TypeError
        If a path runs through a value that is not a mapping, or a derived path is given
        something other than a number.

    Examples
    --------
    >>> data = {"actors": {"A": {"capability": 0.5}}}
    >>> apply_parameters(data, {"actors.A.capability": 0.9, "dynamics.talks_timeout": 30.0})
    {'actors': {'A': {'capability': 0.9}}, 'dynamics': {'talks_timeout': 30}}
    >>> data
    {'actors': {'A': {'capability': 0.5}}}
    >>> apply_parameters(data, {"actors.A.strategy.params.exponent": 3})
    {'actors': {'A': {'capability': 0.5, 'strategy': {'name': 'linear',
                                                       'params': {'exponent': 3.0}}}}}
    """
    out: dict[str, Any] = _copy_tree(dict(data))
    derived: dict[str, float] = {}
    for path, value in params.items():
        if is_derived(path):
            if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
                raise TypeError(f"cannot set {path}: it takes a number, not {shown(value)}")
            derived[path] = float(value)
            continue
        segments = path.split(".")
        steps = _schema_steps(segments)
        node = out
        for i, seg in enumerate(segments[:-1]):
            child = node.get(seg)
            if child is None:
                child = node[seg] = _empty(steps[i][1])
            elif not isinstance(child, dict):
                done = ".".join(segments[: i + 1])
                raise TypeError(f"cannot set {path}: {done} is {shown(child)}, not a mapping")
            node = child
        node[segments[-1]] = _cast(value, steps[-1][0])
    apply_derived(out, derived)  # lsr_sim.scenario.derived: after the plain paths
    return out


def override_scenario(
    scenario: Scenario, values: Mapping[str, Value], source: str = "<scenario>"
) -> Scenario:
    """A copy of `scenario` with each dotted path set, validated like a scenario file.

    Raises
    ------
    ScenarioError
        Naming `source` and the field, if a value is refused.

    Examples
    --------
    >>> from lsr_sim.scenario import load_scenario
    >>> base = load_scenario("scenarios/baseline.yaml")
    >>> new = override_scenario(base, {"dynamics.veto_strength": 0.5})
    >>> new.dynamics.veto_strength, base.dynamics.veto_strength
    (0.5, 1.9)
    """
    data = scenario.model_dump(mode="json", by_alias=True, exclude_unset=True)
    return scenario_from_dict(apply_parameters(data, values), source)
