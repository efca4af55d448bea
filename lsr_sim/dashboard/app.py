"""The dashboard page: Mesa's SolaraViz over a :class:`DashboardModel`.

``solara run lsr_sim.dashboard.app`` serves :data:`Page`; ``lsr-sim dashboard`` does that for
you (see :mod:`lsr_sim.dashboard.server`). The scenario file comes from the environment
variable ``LSR_SIM_DASHBOARD_SCENARIO`` (default ``scenarios/baseline.yaml``). Importing this
module builds nothing: the model and the page are made per browser session, in :data:`Page`.

The sidebar (SolaraViz) holds Reset, Play and Step, and the model parameters: a Select over
the scenario and its variants and sliders for the mediators' strength, the veto strength,
the trust decay and the seed. They take effect on Reset.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import solara
from mesa.visualization import Slider, SolaraViz

from lsr_sim.dashboard.components import PANELS
from lsr_sim.dashboard.model import (
    DEFAULT_SCENARIO,
    SCENARIO_ENV,
    DashboardModel,
    default_knobs,
    mediators,
    scenario_choices,
)
from lsr_sim.errors import InputError
from lsr_sim.scenario import load_scenario

__all__ = ["PLAY_INTERVAL", "Page", "initial_kwargs", "make_page", "model_params", "scenario_path"]

#: Milliseconds between steps while playing (drawing the panels takes longer anyway).
PLAY_INTERVAL = 300


def scenario_path() -> Path:
    """The scenario file named by ``LSR_SIM_DASHBOARD_SCENARIO`` (default the baseline)."""
    return Path(os.environ.get(SCENARIO_ENV) or DEFAULT_SCENARIO)


def model_params(path: str | Path) -> dict[str, Any]:
    """SolaraViz's ``model_params`` for the scenario file `path`.

    Keys are :class:`DashboardModel`'s keyword arguments: ``scenario_dir`` (fixed, `path`'s
    folder), ``scenario_file`` (a Select over `path` and its variants, see
    :func:`scenario_choices`; files that do not load are left out) and sliders for
    ``mediation``, ``veto_strength``, ``trust_decay`` and ``seed``, starting at the
    scenario's values (seed 0: the scenario's own seed).

    Raises
    ------
    ScenarioError
        If `path` itself does not load.
    """
    path = Path(path)
    scenario = load_scenario(path)
    knobs = default_knobs(scenario)
    files = []
    for label, file in scenario_choices(path).items():
        try:
            if file != path:
                load_scenario(file)
        except InputError as exc:
            print(f"note: leaving out {file}: {exc}")
            continue
        files.append(label)
    who = " and ".join(mediators(scenario)) or "mediator"
    spoilers = [n for n, a in scenario.actors.items() if a.role == "spoiler"]
    veto_label = f"Veto strength ({' and '.join(spoilers)})" if spoilers else "Veto strength"
    return {
        "scenario_dir": str(path.parent),
        "scenario_file": {
            "type": "Select",
            "label": "Scenario (takes effect on Reset)",
            "value": files[0],
            "values": files,
        },
        "mediation": Slider(
            f"{who}'s mediation strength", value=knobs.mediation, min=0.05, max=1.0, step=0.05
        ),
        "veto_strength": Slider(veto_label, value=knobs.veto_strength, min=0.0, max=3.0, step=0.1),
        "trust_decay": Slider(
            "Trust decay per week", value=knobs.trust_decay, min=0.0, max=0.1, step=0.005
        ),
        "seed": Slider("Seed (0: the scenario's)", value=0, min=0, max=100, step=1),
    }


def initial_kwargs(params: dict[str, Any]) -> dict[str, Any]:
    """The keyword arguments the first model is made with: the inputs' starting values."""
    out: dict[str, Any] = {}
    for name, option in params.items():
        if isinstance(option, Slider):
            out[name] = option.value
        elif isinstance(option, dict) and "type" in option:
            out[name] = option["value"]
        else:
            out[name] = option
    return out


def make_page(
    path: str | Path, params: dict[str, Any] | None = None, model: DashboardModel | None = None
) -> Any:
    """The SolaraViz element for the scenario file `path`.

    `params` default to :func:`model_params` of `path`, `model` to a new
    :class:`DashboardModel` made with the inputs' starting values.
    """
    params = model_params(path) if params is None else params
    model = DashboardModel(**initial_kwargs(params)) if model is None else model
    return SolaraViz(
        model,
        components=[(panel, 0) for panel in PANELS],
        model_params=params,
        name="lsr_sim dashboard",  # the status panel names the scenario (Reset may change it)
        play_interval=PLAY_INTERVAL,
    )


@solara.component
def Page() -> Any:
    """The page ``solara run`` serves: one model per browser session."""
    path = str(scenario_path())
    params = solara.use_memo(lambda: model_params(path), dependencies=[path])
    model = solara.use_memo(lambda: DashboardModel(**initial_kwargs(params)), dependencies=[path])
    return make_page(path, params, model)
