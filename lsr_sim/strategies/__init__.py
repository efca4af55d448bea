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

import numpy as np

from lsr_sim.strategies.base import (
    BackerObservation,
    MediatorObservation,
    NegotiatorObservation,
    SpoilerObservation,
    Strategy,
    StrategyKind,
    declares_run_axis,
)
from lsr_sim.strategies.concession import Boulware, Conceder, Linear, TimeBased
from lsr_sim.strategies.policies import Backer, Facilitator, Spoiler
from lsr_sim.strategies.reciprocity import TitForTat

__all__ = [
    "BUILTIN_STRATEGIES",
    "DECISIONS",
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
    "check_run_axis",
    "check_strategy",
    "decide_over_runs",
    "declares_run_axis",
    "get_strategy_class",
    "make_strategy",
    "register_strategy",
    "strategy_names",
    "unregister_strategy",
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
    if declares_run_axis(cls):
        check_run_axis(cls)
    if cls.name in _REGISTRY and _REGISTRY[cls.name] is not cls and not replace:
        raise ValueError(f"a strategy named {cls.name!r} is already registered")
    _REGISTRY[cls.name] = cls
    return cls


# Observations over six runs, to check a run-axis declaration (values within each field's range).
_SAMPLE_RUNS = 6
_SAMPLE = {
    "negotiator": lambda: NegotiatorObservation(
        time=np.array([0.0, 0.1, 0.35, 0.6, 0.9, 1.0]),
        aspiration=np.array([1.0, 0.95, 0.7, 0.5, 0.2, 0.0]),
        opponent_concession=np.array([0.0, 0.05, -0.1, 0.3, 0.0, -1.0]),
        first_round=np.array([True, False, False, False, False, False]),
    ),
    "spoiler": lambda: SpoilerObservation(
        threat=np.array([0.0, 0.05, 0.1, 0.4, 0.75, 1.0]),
        distrust=np.array([0.0, 0.7, 0.2, 0.5, 1.0, 0.9]),
    ),
    "mediator": lambda: MediatorObservation(
        trust_gap=np.array([0.0, 0.2, 0.5, 0.6, 0.9, 1.0]),
        support=np.array([0.0, 1.0, 0.3, 0.5, 0.8, 0.1]),
    ),
    "backer": lambda: BackerObservation(progress=np.array([0.0, 0.1, 0.25, 0.5, 0.8, 1.0])),
}


def _run_of(obs: object, r: int) -> object:
    """The observation of run r of `obs` (arrays over runs), with plain floats and bools."""
    values = {}
    for f in dataclasses.fields(obs):  # type: ignore[arg-type]
        value = np.asarray(getattr(obs, f.name))[r]
        values[f.name] = bool(value) if value.dtype == bool else float(value)
    return type(obs)(**values)


#: What each kind's decision is, in messages (see :mod:`lsr_sim.strategies.base`).
DECISIONS: dict[str, str] = {
    "negotiator": "aspiration",
    "spoiler": "pressure",
    "mediator": "effort",
    "backer": "support",
}


def decide_over_runs(strategy: Strategy, obs: object, runs: int) -> np.ndarray:
    """The strategy's decision in each of `runs` runs, from observations that are arrays over
    runs (shape (runs,)), clipped to [0, 1], the contract's range.

    A class that declares ``run_axis`` decides for all runs at once; any other decides run by
    run on plain floats, as it would in a single run.

    Raises
    ------
    ValueError
        If a decision is not a number (NaN or infinite), naming the strategy and the value.

    Examples
    --------
    >>> decide_over_runs(make_strategy("spoiler"), SpoilerObservation(np.array([0.1, 0.3])), 2)
    array([0. , 0.4])
    """
    if declares_run_axis(type(strategy)):
        value = np.broadcast_to(np.asarray(strategy.decide(obs), dtype=float), (runs,))
    else:
        value = np.array([float(strategy.decide(_run_of(obs, r))) for r in range(runs)])
    if not np.isfinite(value).all():
        bad = float(value[~np.isfinite(value)][0])
        what = DECISIONS[strategy.kind]
        raise ValueError(
            f"strategy {strategy!r} returned {what} {bad}; {'an' if what[0] in 'aeiou' else 'a'} "
            f"{what} is a number in [0, 1]"
        )
    return np.minimum(np.maximum(value, 0.0), 1.0)


def check_run_axis(cls: type[Strategy]) -> None:
    """Check that `cls`, which declares ``run_axis = True``, decides elementwise over runs.

    Its default instance, with every parameter an array over six runs, must return six
    numbers equal to what it returns for each run's floats.

    Raises
    ------
    ValueError
        Naming the class and what went wrong.
    """
    obs = _SAMPLE[cls.kind]()
    scalar = cls()
    vector = object.__new__(cls)
    for field in dataclasses.fields(cls):
        value = np.full(_SAMPLE_RUNS, getattr(scalar, field.name), dtype=float)
        object.__setattr__(vector, field.name, value)
    what = f"{cls.__name__} declares run_axis = True but"
    try:
        got = np.asarray(vector.decide(obs), dtype=float)
        want = np.array([float(scalar.decide(_run_of(obs, r))) for r in range(_SAMPLE_RUNS)])
    except Exception as exc:  # any failure of a user's decide() is the message
        raise ValueError(f"{what} decide() fails on arrays over runs: {exc}") from exc
    if np.broadcast_shapes(got.shape, (_SAMPLE_RUNS,)) != (_SAMPLE_RUNS,):
        raise ValueError(f"{what} decide() returned shape {got.shape} for {_SAMPLE_RUNS} runs")
    got = np.broadcast_to(got, (_SAMPLE_RUNS,))
    if not np.array_equal(got, want, equal_nan=True):
        raise ValueError(
            f"{what} decide() on arrays over runs gives {got.tolist()}, run by run "
            f"{want.tolist()}; make decide elementwise (numpy operations only) or drop "
            "the declaration"
        )


def unregister_strategy(name: str) -> None:
    """Remove a strategy registered under `name` (built-in strategies cannot be removed).

    Raises
    ------
    ValueError
        If `name` is a built-in strategy.
    """
    cls = _REGISTRY.get(name)
    if cls is not None and cls in BUILTIN_STRATEGIES:
        raise ValueError(f"{name!r} is a built-in strategy and cannot be unregistered")
    _REGISTRY.pop(name, None)


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
