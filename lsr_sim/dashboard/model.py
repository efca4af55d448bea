"""The dashboard's model: a :class:`NegotiationModel` built from a scenario file and a few knobs.

Mesa's SolaraViz re-creates the model on Reset by calling its class with the values of the
sidebar's inputs as keyword arguments. :class:`DashboardModel` takes exactly those inputs (a
scenario file, the mediators' strength, the veto strength, the trust decay and the seed) and
maps them onto the scenario before building the model. Nothing here imports Solara.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lsr_sim.dashboard import SCENARIO_ENV
from lsr_sim.errors import InputError
from lsr_sim.model import NegotiationModel
from lsr_sim.scenario import Scenario, load_scenario
from lsr_sim.scenario.paths import override_scenario

__all__ = [
    "DEFAULT_SCENARIO",
    "SCENARIO_ENV",
    "DashboardModel",
    "Knobs",
    "apply_knobs",
    "default_knobs",
    "mediators",
    "scenario_choices",
]

#: The scenario the dashboard opens when it is given none (relative to the working folder).
DEFAULT_SCENARIO = Path("scenarios") / "baseline.yaml"


@dataclass(frozen=True)
class Knobs:
    """The values the dashboard's sliders set on a scenario.

    Attributes
    ----------
    mediation : float
        Capability of every actor with the ``mediator`` role (``actors.<name>.capability``):
        it scales the mediators' chance to convene talks.
    veto_strength : float
        ``dynamics.veto_strength``: scales a veto player's leverage over a party.
    trust_decay : float
        ``dynamics.trust_decay``: pull of trust toward its initial value per step.
    seed : int
        Seed of the run; 0 means the scenario's own ``run.seed``.
    """

    mediation: float
    veto_strength: float
    trust_decay: float
    seed: int = 0


def mediators(scenario: Scenario) -> list[str]:
    """Names of the scenario's actors whose role is ``mediator``, in file order."""
    return [name for name, actor in scenario.actors.items() if actor.role == "mediator"]


def default_knobs(scenario: Scenario) -> Knobs:
    """The knobs as the scenario sets them (seed 0: the scenario's own seed).

    Examples
    --------
    >>> from lsr_sim.scenario import load_scenario
    >>> default_knobs(load_scenario("scenarios/baseline.yaml"))
    Knobs(mediation=0.7, veto_strength=1.5, trust_decay=0.01, seed=0)
    """
    names = mediators(scenario)
    mediation = scenario.actors[names[0]].capability if names else 0.5
    return Knobs(
        mediation=float(mediation),
        veto_strength=float(scenario.dynamics.veto_strength),
        trust_decay=float(scenario.dynamics.trust_decay),
    )


def apply_knobs(scenario: Scenario, knobs: Knobs, source: str = "<dashboard>") -> Scenario:
    """A copy of `scenario` with the knobs set (validated like a scenario file).

    Parameters
    ----------
    scenario : Scenario
        A validated scenario.
    knobs : Knobs
        Values to set; ``knobs.seed`` is not part of the scenario and is ignored here.
    source : str
        Named in the error if a value is refused.

    Returns
    -------
    Scenario
        The new scenario; `scenario` is not modified.

    Raises
    ------
    ScenarioError
        If a value is out of its field's range (e.g. a capability of 0).

    Examples
    --------
    >>> from lsr_sim.scenario import load_scenario
    >>> base = load_scenario("scenarios/baseline.yaml")
    >>> new = apply_knobs(base, Knobs(mediation=0.3, veto_strength=0.5, trust_decay=0.02))
    >>> new.actors["Riyadh"].capability, new.dynamics.veto_strength, new.dynamics.trust_decay
    (0.3, 0.5, 0.02)
    >>> base.actors["Riyadh"].capability
    0.7
    """
    values: dict[str, float] = {
        f"actors.{name}.capability": float(knobs.mediation) for name in mediators(scenario)
    }
    values["dynamics.veto_strength"] = float(knobs.veto_strength)
    values["dynamics.trust_decay"] = float(knobs.trust_decay)
    return override_scenario(scenario, values, source)


def scenario_choices(path: str | Path) -> dict[str, Path]:
    """The scenarios the dashboard offers: `path`, then the variants beside it.

    The variants are the ``*.yaml`` files in the ``variants/`` folder next to `path` (for
    ``scenarios/baseline.yaml``: ``scenarios/variants/*.yaml``), or, when `path` itself is in
    a folder named ``variants``, its neighbours.

    Returns
    -------
    dict[str, Path]
        Label (the file's path relative to `path`'s folder, with ``/``) to file, `path`
        first, the others sorted.

    Examples
    --------
    >>> list(scenario_choices("scenarios/baseline.yaml"))[:2]
    ['baseline.yaml', 'variants/damascus_goodwill.yaml']
    """
    path = Path(path)
    folder = path.parent
    others = sorted(folder.glob("variants/*.yaml"))
    if folder.name == "variants":
        others += sorted(folder.glob("*.yaml"))
    choices = {path.name: path}
    for other in others:
        if other.resolve() != path.resolve():
            choices[other.relative_to(folder).as_posix()] = other
    return choices


def _number(value: Any, name: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InputError("dashboard", name, f"expected a number, got {value!r}") from None
    if not math.isfinite(number):
        raise InputError("dashboard", name, f"expected a finite number, got {value!r}")
    return round(number, 6)  # slider steps such as 0.1 + 0.2 leave float noise


class DashboardModel(NegotiationModel):
    """A :class:`NegotiationModel` made from a scenario file and the dashboard's knobs.

    The keyword arguments are what SolaraViz passes on Reset (see
    :func:`lsr_sim.dashboard.app.model_params`). The model stops (``running`` is False) at
    the scenario's last step, so Play stops there.

    Parameters
    ----------
    scenario_file : str
        The scenario's file, relative to `scenario_dir` (or absolute).
    scenario_dir : str
        Folder that `scenario_file` is relative to; default the working folder.
    mediation, veto_strength, trust_decay : float, optional
        See :class:`Knobs`; None keeps the scenario's value.
    seed : int
        Seed of the run; 0 (the default) means the scenario's ``run.seed``.

    Attributes
    ----------
    scenario_path : pathlib.Path
        The scenario file the model was made from.
    knobs : Knobs
        The knob values in effect (seed: the seed actually used).

    Examples
    --------
    >>> model = DashboardModel("baseline.yaml", "scenarios", mediation=0.4, seed=3)
    >>> model.spec.actors["Riyadh"].capability, model.knobs.seed, str(model.date)
    (0.4, 3, '2024-12-08')
    """

    def __init__(
        self,
        scenario_file: str = str(DEFAULT_SCENARIO),
        scenario_dir: str = "",
        mediation: float | None = None,
        veto_strength: float | None = None,
        trust_decay: float | None = None,
        seed: int = 0,
    ) -> None:
        path = Path(scenario_dir or ".") / scenario_file
        base = load_scenario(path)
        defaults = default_knobs(base)
        chosen_seed = int(_number(seed, "seed"))
        if chosen_seed < 0:
            raise InputError("dashboard", "seed", f"must be >= 0, got {chosen_seed}")
        knobs = Knobs(
            mediation=defaults.mediation if mediation is None else _number(mediation, "mediation"),
            veto_strength=(
                defaults.veto_strength
                if veto_strength is None
                else _number(veto_strength, "veto_strength")
            ),
            trust_decay=(
                defaults.trust_decay if trust_decay is None else _number(trust_decay, "trust_decay")
            ),
            seed=chosen_seed or base.run.seed,
        )
        scenario = apply_knobs(base, knobs, source=str(path))
        super().__init__(scenario, rng=knobs.seed)
        self.scenario_path = path
        self.knobs = knobs
        self.running = self.steps < scenario.run.steps

    def step(self) -> None:
        """One step of the negotiation; stops the model after the scenario's last step."""
        super().step()
        if self.steps >= self.spec.run.steps:
            self.running = False

    def knob_values(self) -> Mapping[str, float | int]:
        """The knobs in effect, by name (for display)."""
        k = self.knobs
        return {
            "mediation": k.mediation,
            "veto_strength": k.veto_strength,
            "trust_decay": k.trust_decay,
            "seed": k.seed,
        }
