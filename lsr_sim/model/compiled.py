"""A scenario compiled to arrays: what the rules need, indexed by actor and issue number."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lsr_sim.scenario.schema import Effect, Scenario
from lsr_sim.strategies import Strategy, make_strategy

__all__ = ["LINK_TYPES", "CompiledScenario", "QuantitySpec", "compile_scenario"]

#: The network's link types, in the order the kernel stores them.
LINK_TYPES = ("channel", "mediation", "patronage", "pressure")


@dataclass(frozen=True)
class QuantitySpec:
    """One real-world quantity attached to an issue."""

    issue: int
    name: str
    unit: str
    total: float
    low: float
    high: float


@dataclass(frozen=True)
class CompiledScenario:
    """Arrays for n actors and m issues, plus the random-draw layout of one step.

    Every step draws exactly ``draws_per_step`` uniforms from the run's generator, in the
    order given by the ``*_slice`` attributes, whether or not each is used: a run's stream of
    random numbers then depends only on the scenario and the seed.
    """

    actors: tuple[str, ...]
    issues: tuple[str, ...]
    roles: tuple[str, ...]
    strategies: tuple[Strategy, ...]
    capability: np.ndarray  # (n,)
    reliability: np.ndarray
    resolve: np.ndarray
    reservation: np.ndarray
    reciprocity: np.ndarray
    ideal: np.ndarray  # (n, m)
    salience: np.ndarray  # (n, m)
    trust0: np.ndarray  # (n, n), diagonal 1
    links: dict[str, np.ndarray]  # type -> (n, n) weights
    parties: np.ndarray  # (m, n) bool
    vetoes: np.ndarray  # (m, n) bool
    linked: np.ndarray  # (m, m) bool, symmetric
    status_quo: np.ndarray  # (m,)
    implementation_rate: np.ndarray  # (m,)
    protocols: tuple[str, ...]  # (m,)
    quantities: tuple[QuantitySpec, ...]
    tables: tuple[tuple[int, ...], ...]  # distinct party sets
    table_of_issue: np.ndarray  # (m,) index into tables
    incident_names: tuple[str, ...]
    incident_rate: np.ndarray
    incident_spoiler: np.ndarray
    incident_effects: tuple[tuple[Effect, ...], ...]

    @property
    def n(self) -> int:
        return len(self.actors)

    @property
    def m(self) -> int:
        return len(self.issues)

    @property
    def incident_slice(self) -> slice:
        return slice(0, len(self.incident_names))

    @property
    def mediation_slice(self) -> slice:
        start = self.incident_slice.stop
        return slice(start, start + self.n * len(self.tables))

    @property
    def direct_slice(self) -> slice:
        start = self.mediation_slice.stop
        return slice(start, start + len(self.tables))

    @property
    def compliance_slice(self) -> slice:
        start = self.direct_slice.stop
        return slice(start, start + self.m * self.n)

    @property
    def draws_per_step(self) -> int:
        return self.compliance_slice.stop

    def actor_index(self, name: str) -> int:
        return self.actors.index(name)

    def issue_index(self, name: str) -> int:
        return self.issues.index(name)


def compile_scenario(scenario: Scenario) -> CompiledScenario:
    """Turn a validated scenario into arrays (see :class:`CompiledScenario`)."""
    actors = tuple(scenario.actors)
    issues = tuple(scenario.issues)
    n, m = len(actors), len(issues)
    a_ix = {name: i for i, name in enumerate(actors)}
    k_ix = {name: k for k, name in enumerate(issues)}
    dyn = scenario.dynamics

    status_quo = np.array([scenario.issues[k].status_quo for k in issues])
    ideal = np.tile(status_quo, (n, 1))
    salience = np.zeros((n, m))
    trust0 = np.full((n, n), dyn.default_trust)
    np.fill_diagonal(trust0, 1.0)
    for i, (name, actor) in enumerate(scenario.actors.items()):
        for issue, x in actor.positions.items():
            ideal[i, k_ix[issue]] = x
        for issue, s in actor.salience.items():
            salience[i, k_ix[issue]] = s
        for other, t in actor.trust.items():
            trust0[i, a_ix[other]] = t
        del name

    links = {kind: np.zeros((n, n)) for kind in LINK_TYPES}
    for kind, sources in scenario.network.items():
        for source, targets in sources.items():
            for target, weight in targets.items():
                links[kind][a_ix[source], a_ix[target]] = weight

    parties = np.zeros((m, n), dtype=bool)
    vetoes = np.zeros((m, n), dtype=bool)
    linked = np.zeros((m, m), dtype=bool)
    quantities: list[QuantitySpec] = []
    for k, (name, issue) in enumerate(scenario.issues.items()):
        parties[k, [a_ix[p] for p in issue.parties]] = True
        vetoes[k, [a_ix[h] for h in issue.veto_holders]] = True
        for other in issue.linked_to:
            linked[k, k_ix[other]] = linked[k_ix[other], k] = True
        for qname, q in issue.quantities.items():
            quantities.append(QuantitySpec(k, qname, q.unit, q.total, q.range[0], q.range[1]))
        del name

    tables: list[tuple[int, ...]] = []
    table_of_issue = np.zeros(m, dtype=int)
    for k in range(m):
        key = tuple(int(i) for i in np.flatnonzero(parties[k]))
        if key not in tables:
            tables.append(key)
        table_of_issue[k] = tables.index(key)

    values = scenario.actors.values()
    return CompiledScenario(
        actors=actors,
        issues=issues,
        roles=tuple(a.role for a in values),
        strategies=tuple(make_strategy(a.strategy.name, a.strategy.params) for a in values),
        capability=np.array([a.capability for a in values]),
        reliability=np.array([a.reliability for a in values]),
        resolve=np.array([a.resolve for a in values]),
        reservation=np.array([a.reservation for a in values]),
        reciprocity=np.array([a.reciprocity for a in values]),
        ideal=ideal,
        salience=salience,
        trust0=trust0,
        links=links,
        parties=parties,
        vetoes=vetoes,
        linked=linked,
        status_quo=status_quo,
        implementation_rate=np.array([i.implementation_rate for i in scenario.issues.values()]),
        protocols=tuple(i.protocol or dyn.protocol for i in scenario.issues.values()),
        quantities=tuple(quantities),
        tables=tuple(tables),
        table_of_issue=table_of_issue,
        incident_names=tuple(scenario.incidents),
        incident_rate=np.array([i.rate for i in scenario.incidents.values()]),
        incident_spoiler=np.array(
            [i.spoiler_driven for i in scenario.incidents.values()], dtype=bool
        ),
        incident_effects=tuple(tuple(i.effects) for i in scenario.incidents.values()),
    )
