"""Parameter paths that are not one scenario field: a dummy, salience shares, effect values
and rounded integers.

Most sweep parameters name one numeric field of a scenario by its dotted path
(``actors.Riyadh.capability``). A few inputs cannot be named that way, and a sensitivity
analysis needs them all:

- ``dummy`` (or ``dummy.<label>``): a parameter the model never reads. It is recorded with
  every run like any other parameter and applied to nothing, so its sensitivity index
  measures what the estimator reports for an input without effect: seed noise and sampling
  error (Khorashadi Zadeh et al. 2017).
- ``actors.<actor>.salience_share.<issue>``: an actor's saliences must sum to 1, so one
  cannot be set alone. This path sets the issue's weight before renormalisation: the
  issue's salience becomes the value, and then the actor's whole row is divided by its sum.
  With one share varied, the other issues shrink or grow in proportion; with several, each
  is set first and the row is renormalised once.
- ``events.<event>.effects.<i>.<field>`` and ``incidents.<incident>.effects.<i>.<field>``:
  a numeric field of the i-th effect (0-based) of a dated event or a random incident, e.g.
  ``events.assad_falls.effects.0.delta``.
- ``rounded.dynamics.<field>``: an integer field of ``dynamics`` (``talks_timeout``,
  ``collapse_after``, ``reopen_after``) set to the nearest whole number of the value (halves
  up), so that lhs, sobol and morris designs, which draw fractions, can vary it. The runs
  table records the value drawn; the scenario gets the whole number.

:func:`is_derived` says whether a path is one of these; :func:`resolve_derived` checks it
against a scenario; :func:`apply_derived` sets the values in a scenario's YAML data.
:mod:`lsr_sim.scenario.paths` calls them for such paths (``resolve_path``,
``apply_parameters``), so sweep files, the runner and the analysis handle them like any
other parameter. It imports only the schema and the messages, so that module can use it
without a cycle.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from lsr_sim.messages import did_you_mean, quote
from lsr_sim.scenario.schema import Dynamics, Scenario

__all__ = [
    "DUMMY",
    "ROUNDED",
    "SALIENCE_SHARE",
    "DerivedPathError",
    "DerivedTarget",
    "apply_derived",
    "dummy_names",
    "integer_dynamics",
    "is_derived",
    "is_dummy",
    "resolve_derived",
]

DUMMY = "dummy"
ROUNDED = "rounded"
SALIENCE_SHARE = "salience_share"
_EFFECT_SECTIONS = ("events", "incidents")


class DerivedPathError(ValueError):
    """A derived path that does not fit the scenario (message only, no location)."""


@dataclass(frozen=True)
class DerivedTarget:
    """What a derived path names.

    Attributes
    ----------
    integer : bool
        Always False: every derived path takes any number (``rounded.`` rounds it).
    current : float or None
        The value in the scenario (None for a dummy).
    """

    integer: bool
    current: float | None


def is_derived(path: str) -> bool:
    """Whether `path` is a derived path (see the module docstring).

    Examples
    --------
    >>> [is_derived(p) for p in ("dummy", "dummy.b", "actors.A.salience_share.x",
    ...                          "events.e.effects.0.delta", "rounded.dynamics.talks_timeout",
    ...                          "actors.A.capability", "dummyish")]
    [True, True, True, True, True, False, False]
    """
    segments = path.split(".")
    head = segments[0]
    if head in (DUMMY, ROUNDED):
        return True
    if len(segments) >= 3 and head == "actors" and segments[2] == SALIENCE_SHARE:
        return True
    return len(segments) >= 3 and head in _EFFECT_SECTIONS and segments[2] == "effects"


def is_dummy(path: str) -> bool:
    """Whether `path` names a dummy parameter (``dummy`` or ``dummy.<label>``).

    Examples
    --------
    >>> [is_dummy(p) for p in ("dummy", "dummy.3", "dummyish", "actors.A.capability")]
    [True, True, False, False]
    """
    return path == DUMMY or path.startswith(f"{DUMMY}.")


def dummy_names(count: int) -> list[str]:
    """The names of `count` dummy parameters: ``dummy``, or ``dummy.1`` ... ``dummy.<count>``.

    Examples
    --------
    >>> dummy_names(1), dummy_names(3)
    (['dummy'], ['dummy.1', 'dummy.2', 'dummy.3'])
    """
    if count < 1:
        raise ValueError(f"count must be >= 1, got {count}")
    return [DUMMY] if count == 1 else [f"{DUMMY}.{i}" for i in range(1, count + 1)]


def integer_dynamics() -> list[str]:
    """The integer fields of ``dynamics``, which ``rounded.dynamics.<field>`` varies.

    Examples
    --------
    >>> integer_dynamics()
    ['talks_timeout', 'collapse_after', 'reopen_after']
    """
    return [name for name, info in Dynamics.model_fields.items() if info.annotation is int]


def _numeric_fields(model: type[BaseModel]) -> list[str]:
    return [name for name, info in model.model_fields.items() if info.annotation is float]


def _resolve_dummy(segments: list[str]) -> DerivedTarget:
    if len(segments) > 2 or (len(segments) == 2 and not segments[1].strip()):
        raise DerivedPathError(
            "a dummy parameter is named dummy or dummy.<label> (e.g. dummy.b), nothing more"
        )
    return DerivedTarget(False, None)


def _resolve_rounded(scenario: Scenario, segments: list[str]) -> DerivedTarget:
    fields = integer_dynamics()
    if len(segments) != 3 or segments[1] != "dynamics":
        raise DerivedPathError(
            "rounded. applies to the integer fields of dynamics: write "
            f"rounded.dynamics.<field>, with <field> one of {', '.join(fields)}"
        )
    name = segments[2]
    if name not in fields:
        raise DerivedPathError(
            f"{quote(name)}{did_you_mean(name, fields)} is not an integer field of dynamics; "
            f"rounded.dynamics. takes one of {', '.join(fields)} (vary a float field by its "
            "own path, dynamics.<field>)"
        )
    return DerivedTarget(False, float(getattr(scenario.dynamics, name)))


def _resolve_share(scenario: Scenario, segments: list[str]) -> DerivedTarget:
    actor_name = segments[1]
    actors = list(scenario.actors)
    if actor_name not in actors:
        raise DerivedPathError(
            f"unknown actor {quote(actor_name)}{did_you_mean(actor_name, actors)}; "
            f"expected one of {', '.join(actors)}"
        )
    listed = list(scenario.actors[actor_name].salience)
    if len(segments) != 4:
        raise DerivedPathError(
            f"write actors.{actor_name}.salience_share.<issue>, with <issue> one of "
            f"{', '.join(listed) or '(none: the actor lists no salience)'}"
        )
    issue = segments[3]
    if issue not in listed:
        raise DerivedPathError(
            f"{actor_name} lists no salience for {quote(issue)}{did_you_mean(issue, listed)}; "
            f"a salience share varies an issue the actor cares about: one of "
            f"{', '.join(listed) or '(none)'}"
        )
    return DerivedTarget(False, float(scenario.actors[actor_name].salience[issue]))


def _resolve_effect(scenario: Scenario, segments: list[str]) -> DerivedTarget:
    section, name = segments[0], segments[1]
    entries: Mapping[str, Any] = getattr(scenario, section)
    noun = "event" if section == "events" else "incident"
    if name not in entries:
        raise DerivedPathError(
            f"unknown {noun} {quote(name)}{did_you_mean(name, entries)}; expected one of "
            f"{', '.join(entries) or '(none)'}"
        )
    effects = entries[name].effects
    example = f"{section}.{name}.effects.0.<field>"
    if len(segments) != 5:
        raise DerivedPathError(
            f"an effect's value is named by its index (from 0) and field: {example}"
        )
    index, field = segments[3], segments[4]
    if not index.isdigit() or int(index) >= len(effects):
        raise DerivedPathError(
            f"effect index {quote(index)} of {noun} {quote(name)}: expected a whole number "
            f"from 0 to {len(effects) - 1} ({len(effects)} effect(s))"
        )
    effect = effects[int(index)]
    numeric = _numeric_fields(type(effect))
    if field not in numeric:
        kind = getattr(effect, "type", "effect")
        raise DerivedPathError(
            f"{quote(field)}{did_you_mean(field, numeric)} is not a numeric field of effect "
            f"{index} ({kind}) of {noun} {quote(name)}; expected "
            f"{'one of ' + ', '.join(numeric) if numeric else 'none: it has no numeric field'}"
        )
    return DerivedTarget(False, float(getattr(effect, field)))


def resolve_derived(scenario: Scenario, path: str) -> DerivedTarget:
    """Check a derived path against `scenario` and return its current value.

    Parameters
    ----------
    scenario : Scenario
        A validated scenario.
    path : str
        A path for which :func:`is_derived` is true.

    Returns
    -------
    DerivedTarget

    Raises
    ------
    DerivedPathError
        With a message (no location) that says what is wrong and what is expected.

    Examples
    --------
    >>> from lsr_sim.scenario import load_scenario
    >>> baseline = load_scenario("scenarios/baseline.yaml")
    >>> resolve_derived(baseline, "events.assad_falls.effects.0.delta")
    DerivedTarget(integer=False, current=-0.05)
    >>> resolve_derived(baseline, "actors.Beirut.salience_share.border_control")
    DerivedTarget(integer=False, current=0.3)
    >>> resolve_derived(baseline, "dummy")
    DerivedTarget(integer=False, current=None)
    """
    segments = path.split(".")
    if any(not s.strip() for s in segments):
        raise DerivedPathError("is not a dotted field path (an empty part between dots)")
    head = segments[0]
    if head == DUMMY:
        return _resolve_dummy(segments)
    if head == ROUNDED:
        return _resolve_rounded(scenario, segments)
    if head == "actors":
        return _resolve_share(scenario, segments)
    return _resolve_effect(scenario, segments)


def _child(node: MutableMapping[str, Any], key: str) -> Any:
    child = node.get(key)
    if child is None:
        child = node[key] = {}
    return child


def apply_derived(data: MutableMapping[str, Any], params: Mapping[str, float]) -> None:
    """Set derived paths in a scenario's YAML data, in place.

    `data` must be a copy the caller owns (as :func:`lsr_sim.scenario.paths.apply_parameters`
    makes). Dummies change nothing. Salience shares are set first and each actor's row is
    then renormalised once, so the order of `params` does not matter.

    Examples
    --------
    >>> data = {"actors": {"A": {"salience": {"x": 0.5, "y": 0.5}}}}
    >>> apply_derived(data, {"actors.A.salience_share.x": 0.75, "dummy": 0.3})
    >>> data
    {'actors': {'A': {'salience': {'x': 0.6, 'y': 0.4}}}}
    >>> apply_derived(data, {"rounded.dynamics.talks_timeout": 20.5})
    >>> data["dynamics"]
    {'talks_timeout': 21}
    """
    renormalise: list[MutableMapping[str, Any]] = []
    for path, value in params.items():
        segments = path.split(".")
        head = segments[0]
        if head == DUMMY:
            continue  # never applied: that is what a dummy is for
        if head == ROUNDED:
            _child(data, "dynamics")[segments[2]] = math.floor(float(value) + 0.5)
        elif head == "actors":
            row = _child(_child(_child(data, "actors"), segments[1]), "salience")
            row[segments[3]] = float(value)
            if all(row is not seen for seen in renormalise):
                renormalise.append(row)
        else:
            section, name, index, field = segments[0], segments[1], segments[3], segments[4]
            data[section][name]["effects"][int(index)][field] = float(value)
    for row in renormalise:
        total = sum(float(v) for v in row.values())
        if total > 0:  # else the scenario's own check reports the row
            for key in row:
                row[key] = float(row[key]) / total
