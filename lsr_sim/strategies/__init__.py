"""Behaviour rules chosen by name in a scenario.

Each strategy is a small class (see :mod:`lsr_sim.strategies.base` for the contract).
Register your own with :func:`register_strategy`; scenarios then use it by name.

Examples
--------
>>> make_strategy("boulware", {"exponent": 3.0})
Boulware(exponent=3.0, floor=0.0)
>>> sorted(strategy_names())[:3]
['backer', 'boulware', 'conceder']
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from lsr_sim.strategies.base import (
    BackerObservation,
    MediatorObservation,
    NegotiatorObservation,
    SpoilerObservation,
    Strategy,
    StrategyKind,
)
from lsr_sim.strategies.concession import Boulware, Conceder, Linear, TimeBased
from lsr_sim.strategies.policies import Backer, Facilitator, Spoiler
from lsr_sim.strategies.reciprocity import TitForTat

__all__ = [
    "BUILTIN_STRATEGIES",
    "KIND_FOR_ROLE",
    "STRATEGY_KINDS",
    "Backer",
    "BackerObservation",
    "Boulware",
    "Conceder",
    "Facilitator",
    "Linear",
    "MediatorObservation",
    "NegotiatorObservation",
    "Spoiler",
    "SpoilerObservation",
    "Strategy",
    "StrategyKind",
    "TimeBased",
    "TitForTat",
    "check_strategy",
    "get_strategy_class",
    "make_strategy",
    "register_strategy",
    "strategy_names",
]

BUILTIN_STRATEGIES: tuple[type[Strategy], ...] = (
    TimeBased,
    Boulware,
    Linear,
    Conceder,
    TitForTat,
    Spoiler,
    Facilitator,
    Backer,
)

STRATEGY_KINDS: tuple[StrategyKind, ...] = ("negotiator", "spoiler", "mediator", "backer")

KIND_FOR_ROLE: dict[str, StrategyKind | None] = {
    "principal": "negotiator",
    "mediator": "mediator",
    "spoiler": "spoiler",
    "backer": "backer",
    "other": None,  # any kind
}

_REGISTRY: dict[str, type[Strategy]] = {cls.name: cls for cls in BUILTIN_STRATEGIES}


def register_strategy(cls: type[Strategy], *, replace: bool = False) -> type[Strategy]:
    """Register a strategy class under ``cls.name`` (usable as a class decorator).

    Raises
    ------
    ValueError
        If the name is empty or taken (unless `replace`), or the class is not a
        frozen dataclass subclass of :class:`Strategy`.
    """
    if not (isinstance(cls, type) and issubclass(cls, Strategy)):
        raise ValueError(f"{cls!r} is not a Strategy subclass")
    # is_dataclass() is true of any subclass of a dataclass: ask for the class's own decorator,
    # or its annotated parameters would be plain class attributes, invisible to params().
    own = vars(cls).get("__dataclass_params__")
    if own is None or not own.frozen:
        raise ValueError(f"{cls.__name__} must be a @dataclass(frozen=True)")
    if not cls.name:
        raise ValueError(f"{cls.__name__} needs a class variable `name`")
    if cls.kind not in STRATEGY_KINDS:
        raise ValueError(
            f"{cls.__name__}.kind is {cls.kind!r}; expected one of {', '.join(STRATEGY_KINDS)}"
        )
    if cls.decide is Strategy.decide:
        raise ValueError(f"{cls.__name__} must define decide(obs)")
    for field in dataclasses.fields(cls):
        if field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
            raise ValueError(f"parameter {field.name!r} of {cls.__name__} needs a default")
    if cls.name in _REGISTRY and _REGISTRY[cls.name] is not cls and not replace:
        raise ValueError(f"a strategy named {cls.name!r} is already registered")
    _REGISTRY[cls.name] = cls
    return cls


def strategy_names() -> list[str]:
    """Names of all registered strategies."""
    return list(_REGISTRY)


def get_strategy_class(name: str) -> type[Strategy]:
    """The class registered under `name` (KeyError if none)."""
    return _REGISTRY[name]


def check_strategy(name: str, params: Mapping[str, float], role: str) -> tuple[str, str] | None:
    """Why a strategy choice is invalid, as (field suffix, message), or None if valid."""
    from lsr_sim.messages import did_you_mean

    if name not in _REGISTRY:
        return ".name", (
            f"unknown strategy {name!r}{did_you_mean(name, _REGISTRY)}; "
            f"expected one of {', '.join(_REGISTRY)}"
        )
    cls = _REGISTRY[name]
    wanted = KIND_FOR_ROLE.get(role)
    if wanted is not None and cls.kind != wanted:
        fitting = [n for n, c in _REGISTRY.items() if c.kind == wanted]
        return ".name", (
            f"{name!r} is a {cls.kind} strategy, but a {role} needs a {wanted} strategy: "
            f"one of {', '.join(fitting)}"
        )
    known = cls.parameter_names()
    for key in params:
        if key not in known:
            return f".params.{key}", (
                f"unknown parameter {key!r}{did_you_mean(key, known)} of strategy {name!r}; "
                f"expected one of {', '.join(known) or '(none)'}"
            )
    try:
        cls(**params)
    except (TypeError, ValueError) as exc:
        return ".params", f"{exc} (strategy {name!r})"
    return None


def make_strategy(name: str, params: Mapping[str, float] | None = None) -> Strategy:
    """Build the registered strategy `name` with `params`."""
    return _REGISTRY[name](**dict(params or {}))
