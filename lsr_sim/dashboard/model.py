"""What the dashboard runs, without any Solara: the scenarios it offers, the knobs, a live run.

- :class:`Catalog`: the fixed, server-side set of scenarios a page may choose from (the file
  ``lsr-sim dashboard`` was given and its variants), validated when the server starts. The
  page names a scenario by its label; it never sends a path, and nothing here opens a path
  that came from the browser.
- :func:`scenario_from_upload`: a scenario from the bytes of an uploaded file, through the
  same reader, size cap and validation as ``lsr-sim validate`` (an ``extends:`` may name only
  a scenario of the catalog).
- :class:`Knobs`, :func:`apply_knobs`: the values the sidebar's sliders set on a scenario.
- :class:`LiveRun`: one :class:`~lsr_sim.model.NegotiationModel` stepped by the page, which
  stops exactly at the scenario's last step, with its tables and recorded history.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any

import numpy as np

from lsr_sim.errors import InputError, ScenarioError
from lsr_sim.experiment import RunResult, collect_tables
from lsr_sim.scenario import (
    Scenario,
    deep_merge,
    load_scenario,
    read_yaml_text,
    scenario_from_dict,
)
from lsr_sim.scenario.paths import override_scenario

if TYPE_CHECKING:
    from lsr_sim.model import NegotiationModel

__all__ = [
    "DEFAULT_SCENARIO",
    "UPLOAD_PREFIX",
    "Catalog",
    "Knobs",
    "LiveRun",
    "apply_knobs",
    "default_knobs",
    "mediators",
    "principal_pairs",
    "scenario_choices",
    "scenario_from_upload",
    "upload_name",
]

#: The scenario the dashboard opens when it is given none (relative to the working folder).
DEFAULT_SCENARIO = Path("scenarios") / "baseline.yaml"
#: Label prefix of a scenario loaded from the page (kept in that browser session only).
UPLOAD_PREFIX = "uploaded: "


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
    trust_memory : float
        ``dynamics.trust_memory``: share of past evidence about the others that trust keeps
        each step (below 1, trust forgets and drifts back toward its initial value).
    seed : int
        Seed of the run; 0 means the scenario's own ``run.seed``.
    """

    mediation: float
    veto_strength: float
    trust_memory: float
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("mediation", "veto_strength", "trust_memory"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or not math.isfinite(value):
                raise InputError("dashboard", name, f"expected a finite number, got {value!r}")
            # Slider steps such as 0.1 + 0.2 leave float noise: keep what the label shows.
            object.__setattr__(self, name, round(float(value), 6))
        if not isinstance(self.seed, int) or isinstance(self.seed, bool) or self.seed < 0:
            raise InputError("dashboard", "seed", f"must be an integer >= 0, got {self.seed!r}")

    def seed_for(self, scenario: Scenario) -> int:
        """The seed a run uses: this seed, or the scenario's own when it is 0.

        Examples
        --------
        >>> from lsr_sim.scenario import load_scenario
        >>> base = load_scenario("scenarios/baseline.yaml")
        >>> Knobs(0.7, 1.5, 0.94).seed_for(base), Knobs(0.7, 1.5, 0.94, seed=5).seed_for(base)
        (20241208, 5)
        """
        return self.seed or scenario.run.seed

    def changes(self, other: Knobs) -> list[str]:
        """What differs from `other`, as ``"name old → new"`` (for "press Reset to apply").

        Examples
        --------
        >>> Knobs(0.7, 1.5, 0.94).changes(Knobs(0.3, 1.5, 0.94, seed=2))
        ['mediation 0.7 → 0.3', 'seed 0 → 2']
        """
        return [
            f"{name} {getattr(self, name):g} → {getattr(other, name):g}"
            for name in ("mediation", "veto_strength", "trust_memory", "seed")
            if getattr(self, name) != getattr(other, name)
        ]


def mediators(scenario: Scenario) -> list[str]:
    """Names of the scenario's actors whose role is ``mediator``, in file order."""
    return [name for name, actor in scenario.actors.items() if actor.role == "mediator"]


def principal_pairs(scenario: Scenario) -> list[tuple[str, str]]:
    """The ordered pairs of principals (every ordered pair of actors if there are none).

    Examples
    --------
    >>> from lsr_sim.scenario import load_scenario
    >>> principal_pairs(load_scenario("scenarios/baseline.yaml"))
    [('Beirut', 'Damascus'), ('Damascus', 'Beirut')]
    """
    names = [n for n, a in scenario.actors.items() if a.role == "principal"] or list(
        scenario.actors
    )
    return [(a, b) for a in names for b in names if a != b]


def default_knobs(scenario: Scenario) -> Knobs:
    """The knobs as the scenario sets them (seed 0: the scenario's own seed).

    Examples
    --------
    >>> from lsr_sim.scenario import load_scenario
    >>> default_knobs(load_scenario("scenarios/baseline.yaml"))
    Knobs(mediation=0.7, veto_strength=1.9, trust_memory=0.94, seed=0)
    """
    names = mediators(scenario)
    mediation = scenario.actors[names[0]].capability if names else 0.5
    return Knobs(
        mediation=float(mediation),
        veto_strength=float(scenario.dynamics.veto_strength),
        trust_memory=float(scenario.dynamics.trust_memory),
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
    >>> new = apply_knobs(base, Knobs(mediation=0.3, veto_strength=0.5, trust_memory=0.9))
    >>> new.actors["Riyadh"].capability, new.dynamics.veto_strength, new.dynamics.trust_memory
    (0.3, 0.5, 0.9)
    >>> base.actors["Riyadh"].capability
    0.7
    """
    values: dict[str, float] = {
        f"actors.{name}.capability": float(knobs.mediation) for name in mediators(scenario)
    }
    values["dynamics.veto_strength"] = float(knobs.veto_strength)
    values["dynamics.trust_memory"] = float(knobs.trust_memory)
    return override_scenario(scenario, values, source)


def scenario_choices(path: str | Path) -> dict[str, Path]:
    """The scenario files the dashboard offers: `path`, then the variants beside it.

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


@dataclass(frozen=True)
class Catalog(Mapping[str, Scenario]):
    """The scenarios a dashboard page may choose from: label to validated scenario.

    Built once, on the server, from the file ``lsr-sim dashboard`` was given. A page names
    a scenario by label; a label outside the catalog is refused (:meth:`scenario`), so no
    value sent by a browser ever becomes a path that is read.

    Attributes
    ----------
    scenarios : dict of str to Scenario
        In the order offered; the first is the one the page opens with.
    left_out : dict of str to str
        Variants that did not load, with their one-line error.
    """

    scenarios: dict[str, Scenario]
    left_out: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_path(cls, path: str | Path) -> Catalog:
        """`path` and its variants (:func:`scenario_choices`); variants that fail are left out.

        Raises
        ------
        ScenarioError
            If `path` itself does not load.

        Examples
        --------
        >>> catalog = Catalog.from_path("scenarios/baseline.yaml")
        >>> catalog.first, catalog["baseline.yaml"].name
        ('baseline.yaml', 'baseline')
        """
        path = Path(path)
        scenarios = {}
        left_out = {}
        for label, file in scenario_choices(path).items():
            try:
                scenarios[label] = load_scenario(file)
            except InputError as exc:
                if file == path:
                    raise
                left_out[label] = str(exc)
        return cls(scenarios, left_out)

    @property
    def first(self) -> str:
        """The label the page opens with."""
        return next(iter(self.scenarios))

    def scenario(self, label: str) -> Scenario:
        """The scenario called `label`.

        Raises
        ------
        InputError
            If `label` is not in the catalog (whatever it is: it is never read as a path).
        """
        try:
            return self.scenarios[label]
        except (KeyError, TypeError):
            shown = repr(label)[:80]
            raise InputError(
                "dashboard",
                "scenario",
                f"{shown} is not one of this dashboard's scenarios ({', '.join(self)})",
            ) from None

    def base_for(self, extends: str) -> str | None:
        """The label an uploaded file's ``extends:`` names, or None.

        It matches a label exactly (``variants/x.yaml``) or by file name, so that
        ``extends: ../baseline.yaml``, written for a file in ``variants/``, finds the
        baseline. Only the catalog's own scenarios can be extended.
        """
        if extends in self.scenarios:
            return extends
        name = PurePath(extends.replace("\\", "/")).name
        matches = [label for label in self.scenarios if PurePath(label).name == name]
        return matches[0] if len(matches) == 1 else None

    def __getitem__(self, label: str) -> Scenario:
        return self.scenarios[label]

    def __iter__(self) -> Iterator[str]:
        return iter(self.scenarios)

    def __len__(self) -> int:
        return len(self.scenarios)


def upload_name(filename: str) -> str:
    """The name an uploaded file is shown and reported under: its last path part, printable,
    at most 80 characters (a browser may send any string as the name).

    Examples
    --------
    >>> upload_name("C:\\\\Users\\\\me\\\\my scenario.yaml"), upload_name("../../etc/passwd")
    ('my scenario.yaml', 'passwd')
    >>> upload_name("")
    'upload.yaml'
    """
    name = PurePath(str(filename).replace("\\", "/")).name
    name = "".join(ch for ch in name if ch.isprintable())[:80]
    return name or "upload.yaml"


def scenario_from_upload(data: bytes, filename: str, catalog: Catalog) -> Scenario:
    """The scenario in an uploaded file's bytes, checked as ``lsr-sim validate`` checks a file.

    The bytes are read by :func:`lsr_sim.scenario.read_yaml_text` (size cap, UTF-8, strict
    YAML) and validated by :func:`lsr_sim.scenario.scenario_from_dict`, so a bad file gets
    the one-line message the command line prints for a file with those bytes. Nothing on
    disk is read: an ``extends:`` may name only a scenario of `catalog` (see
    :meth:`Catalog.base_for`), which was validated when the server started, and the upload's
    own ``calibration`` section (which names its observations file) is left out.

    Parameters
    ----------
    data : bytes
        The file's content.
    filename : str
        The name the browser gave (only its last part is used, in messages).
    catalog : Catalog
        The scenarios an ``extends:`` may name.

    Raises
    ------
    ScenarioError
        Naming the file, the field and the fix.
    """
    source = upload_name(filename)
    mapping = read_yaml_text(data, source)
    # A calibration section names files (its observations) and no run reads it: an upload's
    # own is left out, since the page reads nothing on disk.
    mapping.pop("calibration", None)
    parent = mapping.pop("extends", None)
    if parent is not None:
        if not isinstance(parent, str) or not parent.strip():
            shown = type(parent).__name__ if isinstance(parent, dict | list) else repr(parent)
            raise ScenarioError(
                source,
                "extends",
                f"got {shown}; expected the name of a scenario, e.g. extends: {catalog.first}",
            )
        label = catalog.base_for(parent)
        if label is None:
            raise ScenarioError(
                source,
                "extends",
                f"{parent[:80]!r} is not one of this dashboard's scenarios; an uploaded file "
                f"can extend only those: {', '.join(catalog)}",
            )
        base = catalog[label].model_dump(mode="json", by_alias=True)
        mapping = deep_merge(base, mapping)
    return scenario_from_dict(mapping, source)


class LiveRun:
    """A run the page steps: the model, the knobs it was made with, its tables so far.

    It stops exactly at the scenario's last step (``run.steps``): :meth:`advance` never
    goes past it, whatever it is asked. All methods may be called from the play loop's
    thread and the page's at once (one lock).

    Parameters
    ----------
    label : str
        The scenario's label in the catalog (or the upload's).
    base : Scenario
        The scenario before the knobs are applied.
    knobs : Knobs
        The sidebar's values when the run was made (Reset).

    Examples
    --------
    >>> from lsr_sim.scenario import load_scenario
    >>> base = load_scenario("scenarios/baseline.yaml")
    >>> live = LiveRun("baseline.yaml", base, default_knobs(base))
    >>> live.advance(1000), live.week, live.finished
    (160, 160, True)
    >>> live.advance(1), str(live.date)
    (0, '2028-01-02')
    """

    def __init__(self, label: str, base: Scenario, knobs: Knobs) -> None:
        from lsr_sim.model import NegotiationModel  # Mesa loads here, not on import

        self.label = label
        self.base = base
        self.knobs = knobs
        self.scenario = apply_knobs(base, knobs, source=label)
        self.seed = knobs.seed_for(base)
        self.model: NegotiationModel = NegotiationModel(self.scenario, rng=self.seed)
        self.lock = threading.RLock()
        self._tables: tuple[int, RunResult] | None = None

    @property
    def total(self) -> int:
        """The scenario's number of steps (weeks with the default calendar)."""
        return int(self.scenario.run.steps)

    @property
    def week(self) -> int:
        """Steps run so far."""
        return int(self.model.steps)

    @property
    def date(self) -> Any:
        """The model's current date."""
        return self.model.date

    @property
    def finished(self) -> bool:
        """Whether the run has reached the scenario's last step."""
        return self.week >= self.total

    def advance(self, steps: int = 1) -> int:
        """Run up to `steps` steps, never past the last one; return how many were run."""
        with self.lock:
            todo = max(0, min(int(steps), self.total - self.week))
            for _ in range(todo):
                self.model.step()
            return todo

    def tables(self) -> RunResult:
        """The tidy tables of the run so far (built once per step reached)."""
        with self.lock:
            week = self.week
            if self._tables is None or self._tables[0] != week:
                self._tables = (week, collect_tables(self.model, seed=self.seed, steps=week))
            return self._tables[1]

    def history(self) -> dict[str, np.ndarray]:
        """What the model's DataCollector recorded, step 0 to now, with a leading run axis
        of length 1: the layout of :attr:`lsr_sim.experiment.Ensemble.history`."""
        with self.lock:
            recorded = self.model.datacollector.model_vars
            return {name: np.asarray(values)[None] for name, values in recorded.items()}
