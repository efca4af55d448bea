"""The kernel: R runs' state and the step's phases, each written once.

A :class:`Kernel` holds the inputs and the state of R runs (arrays with a leading run axis,
:mod:`lsr_sim.kernel.records`), the actors' strategies and the issues' protocols. The phases
below are the step: the batch engine calls them for R runs (:func:`step`), and the Mesa model
holds a kernel of one run whose agents call the same phases for their own index
(:class:`lsr_sim.model.NegotiationModel`). Each phase calls the compiled functions of
:mod:`lsr_sim.kernel.compiled` and, where a strategy decides, the strategy, over all runs at
once.

A phase that changes something the Mesa model logs (an incident, a meeting, a veto, a deal)
reports it to an optional :class:`Journal`; the batch engine passes none and counts instead
(``State.n_*``), so the summary of a run is computed from the state alone
(:mod:`lsr_sim.kernel.summary`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from lsr_sim.kernel import compiled as kc
from lsr_sim.kernel.negotiation import negotiate
from lsr_sim.kernel.records import (
    AGREE,
    BACKER,
    MEDIATOR,
    SPOILER,
    Params,
    ScheduledEvent,
    State,
    Structure,
    build_params,
    check_structure,
    initial_state,
    structure,
)
from lsr_sim.model.compiled import CompiledScenario, compile_scenario
from lsr_sim.protocols import NegotiationProtocol, get_protocol
from lsr_sim.scenario.schema import Effect, Scenario
from lsr_sim.strategies import (
    BackerObservation,
    MediatorObservation,
    SpoilerObservation,
    Strategy,
    decide_over_runs,
    declares_run_axis,
)

__all__ = [
    "Journal",
    "Kernel",
    "carry_out_commitments",
    "choose_policy",
    "commit_trust",
    "convene_talks",
    "fire_event",
    "fire_events",
    "hold_direct_talks",
    "mean_trust",
    "negotiate",
    "position",
    "rapprochement",
    "record_implementation",
    "reopen_collapsed",
    "revise_trust",
    "start_implementation",
    "step",
    "strike_incidents",
    "vectorised_strategy",
    "vouch",
]


class Journal(Protocol):
    """What the Mesa model records as the phases go (run is always 0 there)."""

    def event(
        self, run: int, name: str, kind: str, origin: str, description: str,
        effects: Sequence[Effect],
    ) -> None: ...  # fmt: skip

    def talks(self, run: int, mediator: int, issues: list[int], origin: str) -> None: ...

    def veto(self, run: int, holder: int, party: int, package: list[int]) -> None: ...

    def deal(self, run: int, issues: list[int], origin: str) -> None: ...

    def deal_status(self, run: int, issue: int, outcome: str) -> None: ...


def vectorised_strategy(strategies: Sequence[Strategy]) -> Strategy:
    """One instance of the runs' common strategy class whose parameters are arrays over runs.

    Built without ``__init__`` (its checks expect scalars); ``decide`` is elementwise for the
    classes that declare ``run_axis`` (:func:`lsr_sim.strategies.check_run_axis`).

    Examples
    --------
    >>> from lsr_sim.strategies import Boulware
    >>> vectorised_strategy([Boulware(exponent=2.0), Boulware(exponent=5.0)]).exponent
    array([2., 5.])
    """
    cls = type(strategies[0])
    obj = object.__new__(cls)
    for f in dataclasses.fields(cls):
        values = np.array([float(getattr(s, f.name)) for s in strategies])
        object.__setattr__(obj, f.name, values)
    return obj


@dataclass
class Kernel:
    """The inputs, state, strategies and protocols of R runs that share their structure.

    Build one with :meth:`Kernel.from_scenarios`; ``state`` is then the state before the
    first step.
    """

    structure: Structure
    params: Params
    state: State
    strategies: tuple[Strategy, ...]
    protocols: tuple[NegotiationProtocol, ...]
    protocol_index: np.ndarray  # (m,): index into protocols, per issue

    @classmethod
    def from_scenarios(
        cls, scenarios: Sequence[Scenario], compiled: Sequence[CompiledScenario] | None = None
    ) -> Kernel:
        """A kernel of ``len(scenarios)`` runs (run r is ``scenarios[r]``).

        The scenarios may differ in numeric values only (ValueError naming the first
        difference otherwise). With more than one run, every strategy must declare
        ``run_axis`` (ValueError otherwise: such runs go through the Mesa model one by one).
        """
        scenarios = list(scenarios)
        if compiled is None:
            by_id: dict[int, CompiledScenario] = {}
            for sc in scenarios:
                if id(sc) not in by_id:
                    by_id[id(sc)] = compile_scenario(sc)
            compiled = [by_id[id(sc)] for sc in scenarios]
        compiled = list(compiled)
        distinct = {id(sc): i for i, sc in enumerate(scenarios)}
        check_structure(
            [scenarios[i] for i in distinct.values()], [compiled[i] for i in distinct.values()]
        )
        c = compiled[0]
        if len(scenarios) == 1:
            strategies = c.strategies
        else:
            for actor, strategy in zip(c.actors, c.strategies, strict=True):
                if not declares_run_axis(type(strategy)):
                    raise ValueError(
                        f"actor {actor!r} uses strategy class {type(strategy).__name__}, which "
                        "does not declare run_axis: its runs cannot be stepped together"
                    )
            strategies = tuple(
                vectorised_strategy([cc.strategies[i] for cc in compiled]) for i in range(c.n)
            )
        names = list(dict.fromkeys(c.protocols))
        params = build_params(scenarios, compiled)
        return cls(
            structure=structure(scenarios[0], c),
            params=params,
            state=initial_state(params),
            strategies=strategies,
            protocols=tuple(get_protocol(name) for name in names),
            protocol_index=np.array([names.index(name) for name in c.protocols]),
        )

    @property
    def runs(self) -> int:
        return self.state.runs

    @property
    def sref(self) -> Any:
        """The state, packed for compiled code."""
        return self.state.ref()

    @property
    def pref(self) -> Any:
        """The inputs, packed for compiled code."""
        return self.params.ref()


# -- the phases ------------------------------------------------------------------------------
def fire_event(k: Kernel, item: ScheduledEvent, journal: Journal | None = None) -> None:
    """A dated event of the scenario takes effect in every run."""
    r = k.runs
    event = item.event
    if journal is not None:
        journal.event(0, item.name, event.kind, "scheduled", event.description, event.effects)
    if event.kind == "veto":
        k.state.n_vetoes[:] += 1
    for e in item.effects:
        taken = np.zeros(r, dtype=bool)
        convened = np.zeros((r, k.params.status_quo.shape[1]), dtype=bool)
        kc.apply_event_effect(k.sref, k.pref, e, item.step, taken, convened)
        if journal is not None and taken[0] and k.params.effect_type[e] == AGREE:
            journal.deal(0, [int(k.params.effect_issue[e])], "event")


def fire_events(k: Kernel, step: int) -> None:
    """The scenario's dated events of `step` take effect, in the scenario's order."""
    for item in k.structure.events.get(step, ()):
        fire_event(k, item)


def choose_policy(k: Kernel, i: int) -> None:
    """A spoiler sets its pressure, a backer its support, from what it observes."""
    kind = k.structure.kinds[i]
    r = k.runs
    if kind == SPOILER:
        threat = np.empty(r)
        kc.spoiler_view(k.sref, k.pref, i, threat)
        obs: Any = SpoilerObservation(threat=threat)
        k.state.pressure[:, i] = decide_over_runs(k.strategies[i], obs, r)
    elif kind == BACKER:
        progress = np.empty(r)
        kc.backer_view(k.sref, k.pref, i, progress)
        obs = BackerObservation(progress=progress)
        k.state.support[:, i] = decide_over_runs(k.strategies[i], obs, r)


def strike_incidents(k: Kernel, step: int, journal: Journal | None = None) -> None:
    """Random incidents strike (border clashes, raids, ...), and their effects apply."""
    incidents = k.structure.incidents
    if not incidents:
        return
    r, m = k.state.status.shape
    hit = np.zeros((r, len(incidents)), dtype=bool)
    taken = np.zeros((r, k.params.effect_type.shape[0]), dtype=bool)
    kc.strike_incidents(k.sref, k.pref, step, hit, taken, np.zeros((r, m), dtype=bool))
    if journal is None:
        return
    for j in np.flatnonzero(hit[0]):
        name, incident, effects = incidents[j]
        journal.event(0, name, incident.kind, "incident", incident.description, incident.effects)
        for e in effects:
            if taken[0, e] and k.params.effect_type[e] == AGREE:
                journal.deal(0, [int(k.params.effect_issue[e])], "event")


def _report_talks(
    k: Kernel, convened: np.ndarray, mediator: int, origin: str, journal: Journal
) -> None:
    table_of_issue = k.structure.compiled.table_of_issue
    for t in range(len(k.structure.compiled.tables)):
        issues = [int(i) for i in np.flatnonzero(convened[0] & (table_of_issue == t))]
        if issues:
            journal.talks(0, mediator, issues, origin)


def convene_talks(k: Kernel, i: int, journal: Journal | None = None) -> None:
    """A mediator may bring each table it reaches to talks on the open issues it cares about."""
    if k.structure.kinds[i] != MEDIATOR:
        return
    r, m = k.state.status.shape
    tables = len(k.structure.compiled.tables)
    go = np.zeros((r, tables), dtype=bool)
    gap = np.zeros((r, tables))
    received = np.zeros(r)
    kc.mediation_view(k.sref, k.pref, i, go, gap, received)
    if not go.any():
        return
    effort = np.zeros((r, tables))
    for t in np.flatnonzero(go.any(axis=0)):
        obs = MediatorObservation(trust_gap=gap[:, t], support=received)
        effort[:, t] = decide_over_runs(k.strategies[i], obs, r)
    convened = np.zeros((r, m), dtype=bool)
    kc.mediate(k.sref, k.pref, i, go, effort, received, convened)
    if journal is not None:
        _report_talks(k, convened, i, "mediation", journal)


def hold_direct_talks(k: Kernel, journal: Journal | None = None) -> None:
    """Parties at a table with open issues may meet without a mediator."""
    convened = np.zeros(k.state.status.shape, dtype=bool)
    kc.direct_talks(k.sref, k.pref, convened)
    if journal is not None:
        _report_talks(k, convened, -1, "direct", journal)


def start_implementation(k: Kernel, step: int) -> None:
    """Deals agreed in an earlier step start being carried out."""
    kc.start_implementation(k.sref, step)


def carry_out_commitments(k: Kernel, i: int) -> None:
    """Actor i complies or stalls on every deal being implemented at which it is a party."""
    kc.carry_out(k.sref, k.pref, i)


def record_implementation(k: Kernel, journal: Journal | None = None) -> None:
    """Compliance is seen and counted; deals progress, complete or collapse."""
    implemented = np.zeros(k.state.status.shape, dtype=bool)
    collapsed = np.zeros(k.state.status.shape, dtype=bool)
    kc.record_implementation(k.sref, k.pref, implemented, collapsed)
    if journal is not None:
        for issue in np.flatnonzero(implemented[0] | collapsed[0]):
            outcome = "implemented" if implemented[0, issue] else "collapsed"
            journal.deal_status(0, int(issue), outcome)


def reopen_collapsed(k: Kernel) -> None:
    """Issues whose deal collapsed long enough ago reopen."""
    kc.reopen_collapsed(k.sref, k.pref)


def vouch(k: Kernel) -> None:
    """Trusted mediators pass trust along the network (what every actor's revision reads)."""
    kc.vouch_all(k.sref, k.pref)


def revise_trust(k: Kernel, i: int) -> None:
    """Actor i revises its trust in the others from this step's deeds and words."""
    kc.revise_trust(k.sref, k.pref, i)


def commit_trust(k: Kernel) -> None:
    """The revised trust takes effect for everyone at once."""
    kc.commit_trust(k.sref)


def step(k: Kernel, s: int) -> None:
    """Step s of every run, after its dated events and with its uniforms in ``state.draws``.

    The same phases, in the same order, as :meth:`lsr_sim.model.NegotiationModel.step`.
    """
    actors = range(k.structure.compiled.n)
    for i in actors:
        choose_policy(k, i)
    strike_incidents(k, s)
    for i in actors:
        convene_talks(k, i)
    hold_direct_talks(k)
    negotiate(k, s)
    start_implementation(k, s)
    for i in actors:
        carry_out_commitments(k, i)
    record_implementation(k)
    reopen_collapsed(k)
    vouch(k)
    for i in actors:
        revise_trust(k, i)
    commit_trust(k)


# -- reporters -------------------------------------------------------------------------------
def mean_trust(k: Kernel) -> np.ndarray:
    """Mean trust over ordered pairs of distinct actors, per run (R,)."""
    out = np.empty(k.runs)
    kc.mean_trust(k.sref, out)
    return out


def rapprochement(k: Kernel) -> np.ndarray:
    """The rapprochement index per run (R,): half the principals' mean mutual trust, half
    the issues' mean stage (see docs/ODD.md)."""
    out = np.empty(k.runs)
    kc.rapprochement(k.sref, k.pref, out)
    return out


def position(k: Kernel) -> np.ndarray:
    """Where each issue stands per run (R, m): agreed terms, mean current offer, or q."""
    out = np.empty(k.state.status.shape)
    kc.position(k.sref, k.pref, out)
    return out
