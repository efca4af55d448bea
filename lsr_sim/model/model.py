"""The Mesa model: actors, issues, the network, dated events and random incidents.

One step is one calendar period (default one week). Within a step (see docs/ODD.md):

1. dated events of the step fire (scheduled on Mesa's event list half a step early);
2. spoilers and backers choose their policy; random incidents strike;
3. mediators convene talks, and parties may talk directly;
4. parties at each table exchange offers through the negotiation protocol; veto players
   may block an agreement;
5. deals agreed in an earlier step start; parties carry out deals, or stall; a deal collapses
   after too many stalls in a row, and a collapsed issue reopens after a while;
6. every actor revises its trust; the DataCollector records the state.

The model holds a kernel of one run (:class:`lsr_sim.kernel.Kernel`): its state arrays are the
model's (``model.trust`` is a view of ``model.kernel.state.trust[0]``), and every phase of the
step is the kernel's, the same function the batch engine calls for many runs. The model adds
what Mesa users expect (agents, the network, a DataCollector, the event list) and keeps the
event and deal logs its tables are made from.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from typing import Any

import mesa
import networkx as nx
import numpy as np

from lsr_sim.kernel import Kernel
from lsr_sim.kernel import core as kernel
from lsr_sim.kernel.compiled import agree as agree_run
from lsr_sim.kernel.compiled import find_veto as find_veto_run
from lsr_sim.kernel.negotiation import plan_packages
from lsr_sim.kernel.records import ScheduledEvent
from lsr_sim.model.agents import Actor
from lsr_sim.model.compiled import LINK_TYPES, CompiledScenario, compile_scenario
from lsr_sim.protocols import NegotiationProtocol
from lsr_sim.scenario.schema import (
    AgreeEffect,
    ConveneEffect,
    Effect,
    LinkEffect,
    Scenario,
    SetbackEffect,
    SignalEffect,
    TrustShockEffect,
)

__all__ = ["NegotiationModel", "build_network"]


def build_network(compiled: CompiledScenario) -> nx.DiGraph:
    """The scenario's network as a DiGraph with integer nodes and a ``name`` attribute.

    Each edge carries one weight attribute per link type present (``channel``, ``mediation``,
    ``patronage``, ``pressure``).
    """
    graph = nx.DiGraph()
    for i, name in enumerate(compiled.actors):
        graph.add_node(i, name=name, role=compiled.roles[i])
    for kind, weights in compiled.links.items():
        for i, j in zip(*np.nonzero(weights), strict=True):
            graph.add_edge(int(i), int(j))
            graph.edges[int(i), int(j)][kind] = float(weights[i, j])
    return graph


class _ScheduledEvent:
    """Holds one dated event and the bound method Mesa's event list calls.

    Mesa keeps only weak references to scheduled callables, so the model keeps these objects.
    """

    def __init__(self, model: NegotiationModel, item: ScheduledEvent) -> None:
        self.model = model
        self.item = item

    def fire(self) -> None:
        kernel.fire_event(self.model.kernel, self.item, journal=self.model)


class NegotiationModel(mesa.Model):
    """Multi-party negotiation and trust-building over a scenario.

    Parameters
    ----------
    scenario : Scenario
        A validated scenario (see :func:`lsr_sim.load_scenario`).
    rng : int or numpy.random.Generator, optional
        The run's seed or generator; default the scenario's ``run.seed``.

    Examples
    --------
    >>> from lsr_sim.scenario import load_scenario
    >>> model = NegotiationModel(load_scenario("scenarios/baseline.yaml"), rng=1)
    >>> model.run_for(4)
    >>> model.steps, str(model.date)
    (4, '2025-01-05')
    """

    def __init__(self, scenario: Scenario, rng: Any = None) -> None:
        super().__init__(rng=scenario.run.seed if rng is None else rng)
        self.spec = scenario  # `scenario` is taken by mesa.Model
        self.dynamics = scenario.dynamics
        self.compiled = c = compile_scenario(scenario)
        self.kernel = Kernel.from_scenarios([scenario], [c])
        self.protocols: dict[str, NegotiationProtocol] = {p.name: p for p in self.kernel.protocols}
        self.event_log: list[dict[str, Any]] = []
        self.deal_log: list[dict[str, Any]] = []
        self._deal_count = 0

        self.network = mesa.discrete_space.Network(
            build_network(c), random=self.random, layout=nx.circular_layout
        )
        for i in range(c.n):
            Actor(self, i)
        self.actors = self.agents_by_type[Actor]

        self._scheduled = [
            _ScheduledEvent(self, item)
            for items in self.kernel.structure.events.values()
            for item in items
        ]
        for scheduled in self._scheduled:
            self.schedule_event(scheduled.fire, at=scheduled.item.step - 0.5)

        self.datacollector = mesa.DataCollector(
            model_reporters={
                "rapprochement": "rapprochement_index",
                "mean_trust": "mean_trust",
                "trust": "trust_snapshot",
                "status": "status_snapshot",
                "position": "position_snapshot",
                "progress": "progress_snapshot",
                "delivered": "delivered_snapshot",
            }
        )
        self.datacollector.collect(self)

    # -- the state (views of the kernel's one run) ----------------------------------------
    @property
    def trust(self) -> np.ndarray:
        """Trust matrix T[i, j] (a view: writing to it changes the run)."""
        return self.kernel.state.trust[0]

    @property
    def status(self) -> np.ndarray:
        """Status code of each issue (:class:`lsr_sim.dynamics.status.Status`)."""
        return self.kernel.state.status[0]

    @property
    def terms(self) -> np.ndarray:
        return self.kernel.state.terms[0]

    @property
    def progress(self) -> np.ndarray:
        return self.kernel.state.progress[0]

    @property
    def delivered(self) -> np.ndarray:
        return self.kernel.state.delivered[0]

    @property
    def pressure(self) -> np.ndarray:
        return self.kernel.state.pressure[0]

    @property
    def support(self) -> np.ndarray:
        return self.kernel.state.support[0]

    @property
    def offers(self) -> np.ndarray:
        return self.kernel.state.offers[0]

    @property
    def draws(self) -> np.ndarray:
        """This step's uniforms."""
        return self.kernel.state.draws[0]

    @property
    def links(self) -> dict[str, np.ndarray]:
        """Current link weights by type (views: events change them)."""
        return {kind: self.kernel.state.links[0, t] for t, kind in enumerate(LINK_TYPES)}

    # -- reporters --------------------------------------------------------------------------
    @property
    def date(self) -> dt.date:
        """Date at the end of the current step."""
        return self.spec.run.date_of(self.steps)

    @property
    def current_step(self) -> int:
        """The step under way: dated events fire half a step early, before the step begins."""
        return math.ceil(self.time)

    @property
    def trust_snapshot(self) -> np.ndarray:
        return self.trust.copy()

    @property
    def status_snapshot(self) -> np.ndarray:
        return self.status.copy()

    @property
    def progress_snapshot(self) -> np.ndarray:
        return self.progress.copy()

    @property
    def delivered_snapshot(self) -> np.ndarray:
        return self.delivered.copy()

    @property
    def position_snapshot(self) -> np.ndarray:
        """Where each issue stands: agreed terms, else the mean of current offers, else q."""
        return kernel.position(self.kernel)[0]

    @property
    def mean_trust(self) -> float:
        return float(kernel.mean_trust(self.kernel)[0])

    @property
    def rapprochement_index(self) -> float:
        """Half the principals' mean mutual trust plus half the issues' mean stage."""
        return float(kernel.rapprochement(self.kernel)[0])

    # -- the step ---------------------------------------------------------------------------
    def step(self) -> None:
        self.kernel.state.draws[0] = self.rng.random(self.compiled.draws_per_step)
        self.actors.do("choose_policy")
        self.strike_incidents()
        self.actors.do("convene_talks")
        self.hold_direct_talks()
        self.negotiate()
        self.start_implementation()
        self.actors.do("carry_out_commitments")
        self.record_implementation()
        self.reopen_collapsed()
        self.revise_trust()
        self.datacollector.collect(self)

    def strike_incidents(self) -> None:
        kernel.strike_incidents(self.kernel, self.current_step, journal=self)

    def hold_direct_talks(self) -> None:
        kernel.hold_direct_talks(self.kernel, journal=self)

    def negotiate(self) -> None:
        kernel.negotiate(self.kernel, self.current_step, journal=self)

    def start_implementation(self) -> None:
        kernel.start_implementation(self.kernel, self.steps)

    def record_implementation(self) -> None:
        kernel.record_implementation(self.kernel, journal=self)

    def reopen_collapsed(self) -> None:
        kernel.reopen_collapsed(self.kernel)

    def revise_trust(self) -> None:
        kernel.vouch(self.kernel)
        self.actors.do("revise_trust")
        kernel.commit_trust(self.kernel)

    # -- questions about the current state (the kernel's, for this run) ---------------------
    def packages(self) -> list[list[int]]:
        """Issues on the table grouped into packages (linked, same parties, priorities differ)."""
        m = self.compiled.m
        plan = np.full((1, m, m), -1, dtype=np.int64)
        length = np.zeros((1, m), dtype=np.int64)
        count = np.zeros(1, dtype=np.int64)
        plan_packages(self.kernel.sref, self.kernel.pref, plan, length, count)
        return [[int(i) for i in plan[0, j, : length[0, j]]] for j in range(int(count[0]))]

    def find_veto(
        self, package: list[int], parties: list[int], terms: np.ndarray
    ) -> tuple[int, int] | None:
        """(veto holder, pressured party) when a veto player blocks these terms, else None."""
        holder, party = find_veto_run(
            self.kernel.sref,
            self.kernel.pref,
            0,
            np.asarray(package, dtype=np.int64),
            np.asarray(parties, dtype=np.int64),
            np.asarray(terms, dtype=float),
        )
        return None if holder < 0 else (int(holder), int(party))

    def agree(self, issues: list[int], terms: np.ndarray, parties: list[int], origin: str) -> None:
        """The parties agree on `issues` at `terms` now (as a negotiated deal would)."""
        del parties  # the parties of a deal are those of its issues' table
        agree_run(
            self.kernel.sref,
            0,
            np.asarray(issues, dtype=np.int64),
            np.atleast_1d(np.asarray(terms, dtype=float)),
            self.current_step,
        )
        self.deal(0, list(issues), origin)

    # -- the journal the kernel's phases report to (lsr_sim.kernel.Journal) ---------------
    def event(
        self,
        run: int,
        name: str,
        kind: str,
        origin: str,
        description: str,
        effects: Sequence[Effect],
    ) -> None:
        """A dated event fires or an incident strikes: log it (and redraw changed links)."""
        self.log_event(name, kind, origin, description, effects)
        graph = self.network.G
        for effect in effects:
            if isinstance(effect, LinkEffect):
                i, j = self.compiled.actor_index(effect.from_), self.compiled.actor_index(effect.to)
                if not graph.has_edge(i, j):
                    graph.add_edge(i, j)
                graph.edges[i, j][effect.link] = effect.weight

    def talks(self, run: int, mediator: int, issues: list[int], origin: str) -> None:
        """Talks were convened (by a mediator, or directly by the parties)."""
        c = self.compiled
        parties = sorted({int(p) for k in issues for p in np.flatnonzero(c.parties[k])})
        host = c.actors[mediator] if mediator >= 0 else "the parties"
        self.log_event(
            "talks",
            "meeting",
            origin,
            f"talks convened by {host}",
            actors=[c.actors[p] for p in parties],
            issues=[c.issues[k] for k in issues],
        )

    def veto(self, run: int, holder: int, party: int, package: list[int]) -> None:
        """A veto player blocked a deal through a party it presses."""
        c = self.compiled
        self.log_event(
            "veto",
            "veto",
            "model",
            f"{c.actors[holder]} blocks a deal through {c.actors[party]}",
            actors=[c.actors[holder], c.actors[party]],
            issues=[c.issues[k] for k in package],
        )

    def deal(self, run: int, issues: list[int], origin: str) -> None:
        """A deal was agreed on `issues` (terms and mediator as the state now holds them)."""
        c = self.compiled
        self._deal_count += 1
        parties = c.tables[c.table_of_issue[issues[0]]]
        mediators = self.kernel.state.mediator_of[0]
        for k in issues:
            self.deal_log.append(
                {
                    "deal": f"deal-{self._deal_count}",
                    "step": self.current_step,
                    "issue": c.issues[k],
                    "terms": float(self.terms[k]),
                    "parties": ",".join(c.actors[p] for p in parties),
                    "mediator": c.actors[mediators[k]] if mediators[k] >= 0 else "",
                    "package": len(issues) > 1,
                    "origin": origin,
                    "outcome": "agreed",
                }
            )

    def deal_status(self, run: int, issue: int, outcome: str) -> None:
        """The deal on `issue` was implemented or collapsed."""
        name = self.compiled.issues[issue]
        for row in reversed(self.deal_log):
            if row["issue"] == name:
                self.deal_log.append({**row, "step": self.current_step, "outcome": outcome})
                return

    def log_event(
        self,
        name: str,
        kind: str,
        origin: str,
        description: str,
        effects: Sequence[Effect] = (),
        actors: list[str] | None = None,
        issues: list[str] | None = None,
    ) -> None:
        if actors is None or issues is None:
            found_actors, found_issues = _names_in(effects)
            actors = found_actors if actors is None else actors
            issues = found_issues if issues is None else issues
        self.event_log.append(
            {
                "step": self.current_step,
                "event": name,
                "kind": kind,
                "origin": origin,
                "description": description,
                "actors": ",".join(actors),
                "issues": ",".join(issues),
            }
        )


def _names_in(effects: Sequence[Effect]) -> tuple[list[str], list[str]]:
    """The actors and issues a list of effects mentions, in order, without repeats."""
    actors: list[str] = []
    issues: list[str] = []
    for effect in effects:
        match effect:
            case TrustShockEffect():
                actors.extend([*effect.from_, *effect.to])
            case SignalEffect():
                actors.extend([effect.actor, *effect.toward])
            case ConveneEffect():
                issues.extend(effect.issues)
                actors.extend([effect.mediator] if effect.mediator else [])
            case AgreeEffect() | SetbackEffect():
                issues.append(effect.issue)
            case LinkEffect():
                actors.extend([effect.from_, effect.to])
    return list(dict.fromkeys(actors)), list(dict.fromkeys(issues))
