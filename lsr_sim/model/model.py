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
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import mesa
import networkx as nx
import numpy as np

from lsr_sim.dynamics import (
    backer_support,
    delivered,
    direct_talks_probability,
    effective_resolve,
    gain,
    incident_probability,
    issue_stage,
    leverage,
    progress_step,
    shock,
    vouch,
)
from lsr_sim.dynamics.status import (
    AGREED,
    COLLAPSED,
    IMPLEMENTED,
    IMPLEMENTING,
    ON_TABLE,
    OPEN,
)
from lsr_sim.model.agents import Actor
from lsr_sim.model.compiled import CompiledScenario, compile_scenario
from lsr_sim.protocols import Table, get_protocol
from lsr_sim.scenario.schema import (
    AgreeEffect,
    ConveneEffect,
    Effect,
    Event,
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

    def __init__(self, model: NegotiationModel, name: str, event: Event) -> None:
        self.model = model
        self.name = name
        self.event = event

    def fire(self) -> None:
        self.model.apply_event(self.name, self.event)


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
        n, m = c.n, c.m
        self.protocols = {name: get_protocol(name) for name in set(c.protocols)}

        # Shared state read and written through the rule functions.
        self.trust = c.trust0.copy()
        self.next_trust = self.trust.copy()
        self.links = {kind: w.copy() for kind, w in c.links.items()}
        self.status = np.full(m, OPEN, dtype=int)
        self.terms = np.full(m, np.nan)
        self.agreed_step = np.zeros(m, dtype=int)
        self.progress = np.zeros(m)
        self.rounds = np.zeros(m, dtype=int)
        self.offers = np.full((m, n), np.nan)
        self.aspiration = np.ones((m, n))
        self.concession = np.zeros((m, n, n))
        self.mediator_of = np.full(m, -1, dtype=int)
        self.collapsed_for = np.zeros(m, dtype=int)
        self.stall_streak = np.zeros((m, n), dtype=int)
        self.other_complied = np.ones((m, n))
        self.complied = np.zeros((m, n), dtype=bool)
        self.delivered = np.zeros(len(c.quantities))
        self.pressure = np.zeros(n)
        self.support = np.zeros(n)
        self.actions = np.zeros((n, n))
        self.rhetoric = np.zeros((n, n))
        self.vouched = self.trust.copy()
        self.draws = np.zeros(c.draws_per_step)
        self.event_log: list[dict[str, Any]] = []
        self.deal_log: list[dict[str, Any]] = []
        self._deal_count = 0

        self.network = mesa.discrete_space.Network(
            build_network(c), random=self.random, layout=nx.circular_layout
        )
        for i in range(n):
            Actor(self, i)
        self.actors = self.agents_by_type[Actor]

        self._scheduled = [_ScheduledEvent(self, name, ev) for name, ev in scenario.events.items()]
        for item in self._scheduled:
            self.schedule_event(item.fire, at=scenario.run.step_of(item.event.date) - 0.5)

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
        c = self.compiled
        offered = c.parties & np.isfinite(self.offers)
        count = offered.sum(axis=1)
        talks = np.where(offered, self.offers, 0.0).sum(axis=1) / np.maximum(count, 1)
        talks = np.where(count > 0, talks, np.nan)
        settled = np.isin(self.status, (AGREED, IMPLEMENTING, IMPLEMENTED, COLLAPSED))
        position = np.where(self.status == ON_TABLE, talks, c.status_quo)
        position = np.where(settled & np.isfinite(self.terms), self.terms, position)
        return np.where(np.isfinite(position), position, c.status_quo)

    @property
    def mean_trust(self) -> float:
        off = ~np.eye(self.compiled.n, dtype=bool)
        return float(self.trust[off].mean())

    @property
    def rapprochement_index(self) -> float:
        """Half the principals' mean mutual trust plus half the issues' mean stage."""
        c = self.compiled
        principals = [i for i, role in enumerate(c.roles) if role == "principal"]
        if len(principals) >= 2:
            block = self.trust[np.ix_(principals, principals)]
            mutual = block[~np.eye(len(principals), dtype=bool)].mean()
        else:
            mutual = self.mean_trust
        return float(0.5 * mutual + 0.5 * issue_stage(self.status, self.progress).mean())

    # -- helpers used by the actors ---------------------------------------------------------
    def trust_gap(self, parties: tuple[int, ...]) -> float:
        """1 minus the parties' mean trust in each other."""
        block = self.trust[np.ix_(parties, parties)]
        return float(1.0 - block[~np.eye(len(parties), dtype=bool)].mean())

    def received_support(self) -> np.ndarray:
        """Support each actor receives from its patrons this step."""
        return backer_support(self.links["patronage"], self.support)

    def spoiler_drag(self, party: int, issue: int) -> float:
        """Compliance a party loses on an issue to the veto players pressing it."""
        c = self.compiled
        holders = np.flatnonzero(c.vetoes[issue])
        if holders.size == 0:
            return 0.0
        weights = self.links["pressure"][holders, party]
        return float(self.dynamics.spoiler_drag * np.max(weights * self.pressure[holders]))

    # -- the step ---------------------------------------------------------------------------
    def step(self) -> None:
        self.draws = self.rng.random(self.compiled.draws_per_step)
        self.actors.do("choose_policy")
        self.strike_incidents()
        self.actors.do("convene_talks")
        self.hold_direct_talks()
        self.negotiate()
        self.start_implementation()
        self.complied[:] = False
        self.actors.do("carry_out_commitments")
        self.record_implementation()
        self.reopen_collapsed()
        self.revise_trust()
        self.datacollector.collect(self)

    def strike_incidents(self) -> None:
        c = self.compiled
        if not c.incident_names:
            return
        p = incident_probability(
            c.incident_rate, c.incident_spoiler, self.pressure.max(), self.dynamics.spoiler_boost
        )
        for k in np.flatnonzero(self.draws[c.incident_slice] < p):
            name = c.incident_names[k]
            incident = self.spec.incidents[name]
            self.log_event(name, incident.kind, "incident", incident.description, incident.effects)
            for effect in c.incident_effects[k]:
                self.apply_effect(effect)

    def hold_direct_talks(self) -> None:
        c = self.compiled
        draws = self.draws[c.direct_slice]
        for t, parties in enumerate(c.tables):
            waiting = (c.table_of_issue == t) & (self.status == OPEN)
            if not waiting.any():
                continue
            idx = list(parties)
            channel = self.links["channel"][np.ix_(idx, idx)]
            off = ~np.eye(len(idx), dtype=bool)
            p = direct_talks_probability(
                1.0 - self.trust_gap(parties), channel[off].min(), self.dynamics.direct_talks_rate
            )
            if draws[t] < p:
                self.convene(np.flatnonzero(waiting), mediator=-1, origin="direct")

    def packages(self) -> list[list[int]]:
        """Issues on the table grouped into packages (linked, same parties, priorities differ)."""
        c = self.compiled
        on_table = [int(k) for k in np.flatnonzero(self.status == ON_TABLE)]
        groups: list[list[int]] = []
        seen: set[int] = set()
        for k in on_table:
            if k in seen:
                continue
            group, frontier = [k], [k]
            seen.add(k)
            while frontier and self.dynamics.package_deals:
                j = frontier.pop()
                for other in on_table:
                    same_table = c.table_of_issue[other] == c.table_of_issue[j]
                    if other not in seen and c.linked[j, other] and same_table:
                        seen.add(other)
                        group.append(other)
                        frontier.append(other)
            if len(group) > 1 and not self._priorities_differ(group):
                groups.extend([g] for g in sorted(group))
            else:
                groups.append(sorted(group))
        return groups

    def _priorities_differ(self, issues: list[int]) -> bool:
        c = self.compiled
        parties = c.tables[c.table_of_issue[issues[0]]]
        tops = {int(np.argmax(c.salience[p, issues])) for p in parties}
        return len(tops) > 1

    def negotiate(self) -> None:
        for package in self.packages():
            self.negotiate_package(package)

    def negotiate_package(self, package: list[int]) -> None:
        c = self.compiled
        parties = list(c.tables[c.table_of_issue[package[0]]])
        lead = package[0]
        previous = self.offers[np.ix_(package, parties)].T
        first = not np.all(np.isfinite(previous))
        protocol = self.protocols[c.protocols[lead]]
        table = Table(
            ideal=c.ideal[np.ix_(parties, package)],
            salience=c.salience[np.ix_(parties, package)],
            status_quo=c.status_quo[package],
            capability=c.capability[parties],
            reservation=c.reservation[parties],
            trust=self.trust[np.ix_(parties, parties)],
            strategies=tuple(c.strategies[p] for p in parties),
            round=int(self.rounds[package].max()),
            deadline=self.dynamics.talks_timeout,
            previous_offers=None if first else previous,
            previous_aspiration=np.ones(len(parties)) if first else self.aspiration[lead, parties],
            previous_concession=(
                np.zeros((len(parties), len(parties)))
                if first
                else self.concession[lead][np.ix_(parties, parties)]
            ),
            logrolling=self.dynamics.logrolling,
        )
        result = protocol.negotiate(table)
        for col, k in enumerate(package):
            self.offers[k, parties] = result.offers[:, col]
            self.aspiration[k, parties] = result.aspiration
            self.concession[k][np.ix_(parties, parties)] = result.concession
        self.rounds[package] += 1
        scale = self.dynamics.concession_scale
        seen = np.clip(result.concession / scale, -1.0, 1.0) * self.dynamics.concession_weight
        self.actions[np.ix_(parties, parties)] += seen
        blocker = None
        if result.terms is not None:
            blocker = self.find_veto(package, parties, result.terms)
        if result.terms is None or blocker is not None:
            lapsed = [k for k in package if self.rounds[k] >= self.dynamics.talks_timeout]
            if lapsed:
                self.lapse(lapsed)
        if result.terms is None:
            return
        if blocker is not None:
            holder, party = blocker
            self.log_event(
                "veto",
                "veto",
                "model",
                f"{c.actors[holder]} blocks a deal through {c.actors[party]}",
                actors=[c.actors[holder], c.actors[party]],
                issues=[c.issues[k] for k in package],
            )
            others = [p for p in parties if p != party]
            self.actions[others, party] -= 0.5 * self.dynamics.concession_weight
            return
        self.agree(package, result.terms, parties, origin="negotiation")

    def find_veto(
        self, package: list[int], parties: list[int], terms: np.ndarray
    ) -> tuple[int, int] | None:
        """(veto holder, pressured party) when a veto player blocks these terms, else None."""
        c = self.compiled
        backing = self.received_support()
        for h in np.flatnonzero(c.vetoes[package].any(axis=0)):
            vetoed = c.vetoes[package, h]
            g = gain(terms, c.ideal[h, package], c.status_quo[package])
            if float(np.sum(c.salience[h, package] * g * vetoed)) >= 0:
                continue
            for p in parties:
                lev = self.pressure[h] * leverage(
                    self.links["pressure"][h, p],
                    c.capability[h],
                    c.capability[p],
                    self.dynamics.veto_strength,
                )
                resolve = effective_resolve(c.resolve[p], backing[p], self.dynamics.backing_weight)
                if lev > resolve:
                    return int(h), int(p)
        return None

    def start_implementation(self) -> None:
        """Deals agreed in an earlier step start being carried out."""
        agreed = (self.status == AGREED) & (self.agreed_step < self.steps)
        self.status[agreed] = IMPLEMENTING
        self.stall_streak[agreed] = 0
        self.other_complied[agreed] = 1.0

    def record_implementation(self) -> None:
        c = self.compiled
        for k in np.flatnonzero(self.status == IMPLEMENTING):
            parties = np.flatnonzero(c.parties[k])
            did = self.complied[k, parties]
            for a, i in enumerate(parties):
                for b, j in enumerate(parties):
                    if i != j:
                        self.actions[i, j] += 1.0 if did[b] else -1.0
                others = np.delete(did, a)
                self.other_complied[k, i] = float(others.mean())
                self.stall_streak[k, i] = 0 if did[a] else self.stall_streak[k, i] + 1
            self.progress[k] = progress_step(self.progress[k], did.mean(), c.implementation_rate[k])
            if self.progress[k] >= 1.0:
                self.status[k] = IMPLEMENTED
                self.log_deal_status(k, "implemented")
            elif self.stall_streak[k, parties].max() >= self.dynamics.collapse_after:
                self.status[k] = COLLAPSED
                self.collapsed_for[k] = 0
                self.log_deal_status(k, "collapsed")
        self.update_delivered()

    def update_delivered(self) -> None:
        for q, spec in enumerate(self.compiled.quantities):
            if np.isfinite(self.terms[spec.issue]):
                now = delivered(
                    self.terms[spec.issue],
                    self.progress[spec.issue],
                    spec.low,
                    spec.high,
                    spec.total,
                )
                self.delivered[q] = max(self.delivered[q], float(now))

    def reopen_collapsed(self) -> None:
        collapsed = self.status == COLLAPSED
        self.collapsed_for[collapsed] += 1
        reopen = collapsed & (self.collapsed_for > self.dynamics.reopen_after)
        self.status[reopen] = OPEN
        self.collapsed_for[reopen] = 0
        self.reset_talks(np.flatnonzero(reopen))

    def revise_trust(self) -> None:
        mediation = self.links["mediation"]
        self.vouched = vouch(self.trust, mediation, self.dynamics.vouching_rate)
        self.actors.do("revise_trust")
        self.trust = self.next_trust.copy()
        self.actions[:] = 0.0
        self.rhetoric[:] = 0.0

    # -- state changes ----------------------------------------------------------------------
    def reset_talks(self, issues: np.ndarray | list[int]) -> None:
        self.rounds[issues] = 0
        self.offers[issues] = np.nan
        self.aspiration[issues] = 1.0
        self.concession[issues] = 0.0

    def convene(self, issues: np.ndarray | list[int], mediator: int, origin: str) -> None:
        """Put issues on the table; the parties' meeting is read as positive rhetoric."""
        c = self.compiled
        issues = [int(k) for k in issues if self.status[k] in (OPEN, COLLAPSED)]
        if not issues:
            return
        self.status[issues] = ON_TABLE
        self.mediator_of[issues] = mediator
        self.reset_talks(issues)
        parties = sorted({int(p) for k in issues for p in np.flatnonzero(c.parties[k])})
        block = np.ix_(parties, parties)
        self.rhetoric[block] += 0.5 * (1.0 - np.eye(len(parties)))
        if origin != "event":
            host = c.actors[mediator] if mediator >= 0 else "the parties"
            self.log_event(
                "talks",
                "meeting",
                origin,
                f"talks convened by {host}",
                actors=[c.actors[p] for p in parties],
                issues=[c.issues[k] for k in issues],
            )

    def agree(self, issues: list[int], terms: np.ndarray, parties: list[int], origin: str) -> None:
        c = self.compiled
        self._deal_count += 1
        deal = f"deal-{self._deal_count}"
        for k, y in zip(issues, np.atleast_1d(terms), strict=True):
            self.status[k] = AGREED
            self.agreed_step[k] = self.current_step
            self.terms[k] = float(y)
            self.progress[k] = 0.0
            self.deal_log.append(
                {
                    "deal": deal,
                    "step": self.current_step,
                    "issue": c.issues[k],
                    "terms": float(y),
                    "parties": ",".join(c.actors[p] for p in parties),
                    "mediator": c.actors[self.mediator_of[k]] if self.mediator_of[k] >= 0 else "",
                    "package": len(issues) > 1,
                    "origin": origin,
                    "outcome": "agreed",
                }
            )

    def lapse(self, issues: list[int]) -> None:
        self.status[issues] = OPEN
        self.reset_talks(issues)

    def log_deal_status(self, issue: int, outcome: str) -> None:
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
        effects: list[Effect] | tuple[Effect, ...] = (),
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

    def apply_event(self, name: str, event: Event) -> None:
        """Fire a dated event (called from Mesa's event list)."""
        self.log_event(name, event.kind, "scheduled", event.description, event.effects)
        for effect in event.effects:
            self.apply_effect(effect)

    def apply_effect(self, effect: Effect) -> None:
        c = self.compiled
        ix = c.actor_index
        match effect:
            case TrustShockEffect():
                mask = np.zeros((c.n, c.n), dtype=bool)
                rows = [ix(a) for a in effect.from_]
                cols = [ix(a) for a in effect.to]
                mask[np.ix_(rows, cols)] = True
                if effect.mutual:
                    mask |= mask.T
                np.fill_diagonal(mask, False)
                self.trust = shock(self.trust, mask, effect.delta)
            case SignalEffect():
                buffer = self.actions if effect.channel == "action" else self.rhetoric
                for other in effect.toward:
                    buffer[ix(other), ix(effect.actor)] += effect.strength
            case ConveneEffect():
                mediator = -1 if effect.mediator is None else ix(effect.mediator)
                self.convene([c.issue_index(k) for k in effect.issues], mediator, origin="event")
            case AgreeEffect():
                k = c.issue_index(effect.issue)
                if self.status[k] in (OPEN, ON_TABLE, COLLAPSED):
                    if effect.mediator is not None:
                        self.mediator_of[k] = ix(effect.mediator)
                    parties = [int(p) for p in np.flatnonzero(c.parties[k])]
                    if self.status[k] == COLLAPSED:
                        self.status[k] = OPEN
                    self.agree([k], np.array([effect.terms]), parties, origin="event")
            case SetbackEffect():
                k = c.issue_index(effect.issue)
                if self.status[k] == ON_TABLE:
                    self.lapse([k])
                if self.status[k] == IMPLEMENTING:  # what is implemented stays implemented
                    self.progress[k] = max(0.0, self.progress[k] - effect.progress)
            case LinkEffect():
                i, j = ix(effect.from_), ix(effect.to)
                self.links[effect.link][i, j] = effect.weight
                graph = self.network.G
                if not graph.has_edge(i, j):
                    graph.add_edge(i, j)
                graph.edges[i, j][effect.link] = effect.weight


def _names_in(effects: list[Effect] | tuple[Effect, ...]) -> tuple[list[str], list[str]]:
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
