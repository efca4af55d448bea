"""The strategy contract.

A strategy is a small class with metadata and one decision method, ``decide(obs)``: it maps
what the actor observes to one number in [0, 1]. Strategies draw no random numbers (the model
draws them) and use numpy operations only, so the same code decides for one run (floats) or
for many runs at once (arrays with a leading run axis).

A class that declares ``run_axis = True`` in its own body (a subclass does not inherit the
declaration: overriding ``decide`` may break it) promises that ``decide`` is elementwise: given
observations and parameters that are arrays over runs, it returns one number per run, equal
to what it returns for each run's floats. The batch engine then steps such a strategy over
many runs at once; any other strategy runs one run at a time, on floats, in the Mesa model.
The declaration is checked when the class is registered
(:func:`lsr_sim.strategies.check_run_axis`).

Four kinds, by what the number means:

- ``negotiator``: aspiration, how much of its own ideal it still insists on (1: all of it;
  0: it would take the other side's ideal);
- ``spoiler``: pressure it applies against issues it opposes;
- ``mediator``: effort it puts into convening talks;
- ``backer``: support it gives to mediators and the parties it patronises.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any, ClassVar, Literal

import numpy as np

__all__ = [
    "BackerObservation",
    "MediatorObservation",
    "NegotiatorObservation",
    "SpoilerObservation",
    "Strategy",
    "StrategyKind",
    "declares_run_axis",
    "parameter",
]

StrategyKind = Literal["negotiator", "spoiler", "mediator", "backer"]
Number = float | np.ndarray


@dataclass(frozen=True)
class NegotiatorObservation:
    """What a negotiator sees before making an offer.

    Attributes
    ----------
    time : float or array
        Rounds spent on the table over the talks' deadline, in [0, 1].
    aspiration : float or array
        Its own aspiration in the previous round (1 in the first round).
    opponent_concession : float or array
        How far the other side's last offer moved toward it, as a share of the distance
        between their ideals measured in its own utility (so on the scale of aspiration),
        in [-1, 1]; negative: the other side hardened. 0 in the first round.
    first_round : bool or array
        Whether this is the first round of these talks.
    """

    time: Number
    aspiration: Number = 1.0
    opponent_concession: Number = 0.0
    first_round: Any = True


@dataclass(frozen=True)
class SpoilerObservation:
    """What a spoiler sees.

    Attributes
    ----------
    threat : float or array
        How far the issues it holds a veto on have advanced, in [0, 1].
    distrust : float or array
        1 minus its mean trust in the actors it presses, in [0, 1]: a grievance (a raid on its
        strongholds, say) shows here.
    """

    threat: Number
    distrust: Number = 0.0


@dataclass(frozen=True)
class MediatorObservation:
    """What a mediator sees about a table it could convene.

    Attributes
    ----------
    trust_gap : float or array
        1 minus the parties' mean trust in each other, in [0, 1].
    support : float or array
        Its backers' support, in [0, 1].
    """

    trust_gap: Number
    support: Number = 0.0


@dataclass(frozen=True)
class BackerObservation:
    """What a backer sees: salience-weighted progress on the issues it cares about."""

    progress: Number


def parameter(default: float, description: str) -> Any:
    """A strategy parameter with its default and what it means (shown by ``lsr-sim schema``).

    A subclass that only changes the default may redeclare it plainly (``exponent: float =
    4.0``): :meth:`Strategy.parameter_descriptions` finds the description up the classes.

    Examples
    --------
    >>> @dataclass(frozen=True)
    ... class Stubborn(Strategy):
    ...     floor: float = parameter(0.8, "Aspiration it never goes below.")
    >>> Stubborn.parameter_descriptions()
    {'floor': 'Aspiration it never goes below.'}
    """
    return field(default=default, metadata={"description": description})


def declares_run_axis(cls: type) -> bool:
    """Whether a strategy class itself declares ``run_axis = True`` (see the module docstring).

    Examples
    --------
    >>> from lsr_sim.strategies import Boulware, TimeBased
    >>> declares_run_axis(TimeBased), declares_run_axis(Boulware), declares_run_axis(Strategy)
    (True, True, False)
    """
    return vars(cls).get("run_axis", False) is True


@dataclass(frozen=True)
class Strategy:
    """Base class of all strategies: metadata plus one decision method.

    Subclasses are frozen dataclasses whose fields are their parameters (floats, with
    defaults), and set the class variables below.
    """

    name: ClassVar[str] = ""
    kind: ClassVar[StrategyKind] = "negotiator"
    description: ClassVar[str] = ""
    #: Whether ``decide`` takes arrays over runs (see the module docstring).
    run_axis: ClassVar[bool] = False

    def decide(self, obs: Any) -> Number:
        """Map an observation of this strategy's kind to a number in [0, 1]."""
        raise NotImplementedError

    @classmethod
    def parameter_names(cls) -> list[str]:
        """Names of the parameters a scenario may set."""
        return [f.name for f in fields(cls)]

    @classmethod
    def parameter_descriptions(cls) -> dict[str, str]:
        """What each parameter means: the first description found up the class hierarchy
        (declared with :func:`parameter`), or "" for a parameter declared without one."""
        found = {}
        for name in cls.parameter_names():
            found[name] = next(
                (
                    f.metadata["description"]
                    for klass in cls.__mro__
                    if is_dataclass(klass)
                    for f in fields(klass)
                    if f.name == name and "description" in f.metadata
                ),
                "",
            )
        return found

    def params(self) -> dict[str, float]:
        """The parameter values of this instance."""
        return {name: getattr(self, name) for name in self.parameter_names()}
