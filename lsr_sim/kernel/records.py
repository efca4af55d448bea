"""The kernel's records: every per-run array, with a leading run axis of length R.

:class:`Params` holds the inputs of R runs (numbers that may differ between runs, and the
structure they share); :class:`State` holds what changes as the runs step. Both are built from
compiled scenarios here, with numpy only; :meth:`Params.ref` and :meth:`State.ref` pack the
same arrays for compiled code (:mod:`lsr_sim.kernel.structs`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

from lsr_sim.dynamics.status import OPEN
from lsr_sim.model.compiled import LINK_TYPES, CompiledScenario
from lsr_sim.scenario.schema import (
    AgreeEffect,
    AttentionEffect,
    ConveneEffect,
    Effect,
    Event,
    Incident,
    LinkEffect,
    PriorityEffect,
    Scenario,
    SetbackEffect,
    SignalEffect,
    TrustShockEffect,
)
from lsr_sim.types import BoolArray, FloatArray, IntArray

__all__ = [
    "DYNAMICS_FLOATS",
    "DYNAMICS_INTS",
    "TRUST_MODELS",
    "EffectCode",
    "Params",
    "ScheduledEvent",
    "State",
    "Structure",
    "build_params",
    "check_structure",
    "initial_state",
    "structure",
    "structure_key",
]

# Effect types and the other small codes compiled code branches on.
SHOCK, SIGNAL, CONVENE, AGREE, SETBACK, LINK, ATTENTION, PRIORITY = range(8)
#: dynamics.trust_model, as compiled code knows it.
TRUST_MODELS = ("evidence", "signals", "surprise", "none")
EVIDENCE, SIGNALS, SURPRISE, NO_LEARNING = range(4)
ACTION, RHETORIC = 0, 1
KIND_CODES = {"negotiator": 0, "spoiler": 1, "mediator": 2, "backer": 3}
NEGOTIATOR, SPOILER, MEDIATOR, BACKER = range(4)
#: Positions in ``Params.draw_offsets``: where each phase's uniforms start in a step's block.
INCIDENT_DRAWS, MEDIATION_DRAWS, DIRECT_DRAWS, COMPLIANCE_DRAWS = range(4)

DYNAMICS_FLOATS = (
    "trust_gain_rate",
    "trust_loss_rate",
    "action_weight",
    "rhetoric_weight",
    "concession_weight",
    "concession_scale",
    "trust_decay",
    "vouching_rate",
    "mediation_rate",
    "backer_weight",
    "direct_talks_rate",
    "compliance_trust_weight",
    "veto_strength",
    "backing_weight",
    "spoiler_boost",
    "spoiler_drag",
    "logrolling",
    "trust_memory",
    "trust_prior_weight",
    "betrayal_weight",
    "talk_weight",
    "incentive_weight",
)
DYNAMICS_INTS = ("talks_timeout", "collapse_after", "reopen_after")

# The numeric field of each effect type: the one value that may differ between runs.
NUMERIC_EFFECT_FIELDS: dict[type, str] = {
    TrustShockEffect: "delta",
    SignalEffect: "strength",
    AgreeEffect: "terms",
    SetbackEffect: "progress",
    LinkEffect: "weight",
    AttentionEffect: "value",
    PriorityEffect: "delta",
}


@dataclass(frozen=True)
class EffectCode:
    """One effect as compiled code applies it (see :func:`lsr_sim.kernel.compiled.apply_effect`)."""

    type: int
    hits: BoolArray  # (n, n) trust entries a shock moves
    actor: int = -1  # signal: whose deed or word; link: source
    other: int = -1  # link: target
    channel: int = 0  # signal: ACTION or RHETORIC; link: index into LINK_TYPES
    issue: int = -1  # agree, setback
    mediator: int = -1  # convene, agree: -1 for none
    toward: IntArray | None = None  # signal: how many times each actor is addressed
    issues: BoolArray | None = None  # convene: the issues put on the table


@dataclass(frozen=True)
class ScheduledEvent:
    """A dated event of the scenario: the step it fires in and its effects' indices."""

    name: str
    event: Event
    step: int
    effects: tuple[int, ...]


@dataclass(frozen=True)
class Structure:
    """What every run of a batch shares: names, tables, events, incidents, effects."""

    compiled: CompiledScenario
    events: dict[int, tuple[ScheduledEvent, ...]]  # by step
    incidents: tuple[tuple[str, Incident, tuple[int, ...]], ...]
    effects: tuple[Effect, ...]  # index e -> the effect (of run 0's scenario)
    kinds: tuple[int, ...]


@dataclass(frozen=True)
class State:
    """Everything that changes as R runs step: one array per field, run axis first.

    Shapes use n actors, m issues, q quantities and D uniforms per step. ``links`` holds the
    four link types in the order of :data:`lsr_sim.model.compiled.LINK_TYPES`.
    """

    trust: FloatArray  # (R, n, n)
    next_trust: FloatArray  # (R, n, n): rows revised this step
    vouched: FloatArray  # (R, n, n): trust after the mediators' vouching, this step
    links: FloatArray  # (R, 4, n, n)
    status: IntArray  # (R, m): lsr_sim.dynamics.status codes
    terms: FloatArray  # (R, m): agreed terms, NaN before any agreement
    agreed_step: IntArray  # (R, m)
    progress: FloatArray  # (R, m)
    rounds: IntArray  # (R, m): rounds held in the current talks
    mediator_of: IntArray  # (R, m): -1 for none
    waited: IntArray  # (R, m): steps since the deal collapsed (or its phase was completed)
    first_agreed: IntArray  # (R, m): step of the first agreement, -1 for none
    negotiated_step: IntArray  # (R, m): step of the first agreement reached in talks, -1
    negotiated_terms: FloatArray  # (R, m): its terms, NaN before
    vetoed: IntArray  # (R, m): vetoes that blocked terms including the issue
    offers: FloatArray  # (R, m, n): each party's last offer, NaN outside talks
    aspiration: FloatArray  # (R, m, n)
    concession: FloatArray  # (R, m, n, n)
    other_complied: FloatArray  # (R, m, n): share of the others who complied last step
    stall_streak: IntArray  # (R, m, n)
    complied: BoolArray  # (R, m, n): this step
    delivered: FloatArray  # (R, q): via_deals + spontaneous, at most the total
    pressure: FloatArray  # (R, n): spoilers' pressure this step
    support: FloatArray  # (R, n): backers' support this step
    actions: FloatArray  # (R, n, n): deeds seen this step (row sees column)
    rhetoric: FloatArray  # (R, n, n): words heard this step
    salience: FloatArray  # (R, n, m): current priorities (events may shift them)
    status_quo: FloatArray  # (R, m): moves up when a phase is implemented
    cap: FloatArray  # (R, m): end of the current phase (1 for an issue without phases)
    phase: IntArray  # (R, m): index of the current phase
    reached: FloatArray  # (R, m): position implementation has reached on the scale
    attention: FloatArray  # (R, n)
    kept: FloatArray  # (R, n, n): evidence of commitments kept (trust model "evidence")
    broken: FloatArray  # (R, n, n): evidence of commitments broken
    deeds_pos: FloatArray  # (R, n, n): this step's observations, row sees column
    deeds_neg: FloatArray
    words_pos: FloatArray
    words_neg: FloatArray
    vouch_kept: FloatArray  # (R, n, n): evidence passed on by mediators this step
    vouch_broken: FloatArray
    via_deals: FloatArray  # (R, q): delivered by implemented deals (never falls)
    spontaneous: FloatArray  # (R, q): delivered outside any agreement
    draws: FloatArray  # (R, D): this step's uniforms
    struck: IntArray  # (R, I): how often each incident has struck so far
    n_agreements: IntArray  # (R,)
    n_implemented: IntArray  # (R,)
    n_collapsed: IntArray  # (R,)
    n_incidents: IntArray  # (R,)
    n_vetoes: IntArray  # (R,)
    _ref: list[Any] = field(default_factory=list, repr=False, compare=False)

    @property
    def runs(self) -> int:
        return int(self.trust.shape[0])

    def ref(self) -> Any:
        """The same arrays packed for compiled code (built once)."""
        if not self._ref:
            from lsr_sim.kernel.structs import new_state

            self._ref.append(new_state(**_arrays(self)))
        return self._ref[0]


@dataclass(frozen=True)
class Params:
    """The inputs of R runs: numbers per run (run axis first) and the shared structure."""

    capability: FloatArray  # (R, n)
    reliability: FloatArray
    resolve: FloatArray
    reservation: FloatArray
    reciprocity: FloatArray
    ideal: FloatArray  # (R, n, m)
    salience0: FloatArray  # (R, n, m): initial priorities
    trust0: FloatArray  # (R, n, n)
    links0: FloatArray  # (R, 4, n, n)
    status_quo0: FloatArray  # (R, m): initial status quo
    implementation_rate: FloatArray  # (R, m)
    incident_rate: FloatArray  # (R, I)
    q_low: FloatArray  # (R, q)
    q_high: FloatArray
    q_total: FloatArray
    effect_value: FloatArray  # (R, E): each effect's numeric field
    attention0: FloatArray  # (R, n)
    phases: FloatArray  # (R, m, P): phase ends, then 1.0
    q_spontaneous: FloatArray  # (R, q)
    trust_model: IntArray  # (R,): index into TRUST_MODELS
    trust_gain_rate: FloatArray  # (R,) each, the scenario's `dynamics`
    trust_loss_rate: FloatArray
    action_weight: FloatArray
    rhetoric_weight: FloatArray
    concession_weight: FloatArray
    concession_scale: FloatArray
    trust_decay: FloatArray
    vouching_rate: FloatArray
    mediation_rate: FloatArray
    backer_weight: FloatArray
    direct_talks_rate: FloatArray
    compliance_trust_weight: FloatArray
    veto_strength: FloatArray
    backing_weight: FloatArray
    spoiler_boost: FloatArray
    spoiler_drag: FloatArray
    logrolling: FloatArray
    trust_memory: FloatArray
    trust_prior_weight: FloatArray
    betrayal_weight: FloatArray
    talk_weight: FloatArray
    incentive_weight: FloatArray
    talks_timeout: IntArray
    collapse_after: IntArray
    reopen_after: IntArray
    package_deals: BoolArray
    parties: BoolArray  # (m, n)
    vetoes: BoolArray  # (m, n)
    linked: BoolArray  # (m, m)
    table_of_issue: IntArray  # (m,)
    table_parties: IntArray  # (tables, max parties), -1 padded
    table_size: IntArray  # (tables,)
    incident_spoiler: BoolArray  # (I,)
    incident_veto: BoolArray  # (I,): incidents whose kind is "veto"
    incident_effects: IntArray  # (I, 2): first effect index, count
    quantity_issue: IntArray  # (q,)
    principals: IntArray  # actor indices of the principals
    kinds: IntArray  # (n,): strategy kind codes
    draw_offsets: IntArray  # (5,): incident, mediation, direct, compliance starts; total
    effect_type: IntArray  # (E,)
    effect_hits: BoolArray  # (E, n, n)
    effect_actor: IntArray  # (E,)
    effect_other: IntArray
    effect_channel: IntArray
    effect_issue: IntArray
    effect_mediator: IntArray
    effect_toward: IntArray  # (E, n)
    effect_issues: BoolArray  # (E, m)
    _ref: list[Any] = field(default_factory=list, repr=False, compare=False)

    @property
    def runs(self) -> int:
        return int(self.capability.shape[0])

    def ref(self) -> Any:
        """The same arrays packed for compiled code (built once)."""
        if not self._ref:
            from lsr_sim.kernel.structs import new_params

            self._ref.append(new_params(**_arrays(self)))
        return self._ref[0]


def _arrays(record: State | Params) -> dict[str, np.ndarray]:
    """The record's arrays by field name, the same objects (not copies)."""
    return {f.name: getattr(record, f.name) for f in fields(record) if f.name != "_ref"}


# -- structure --------------------------------------------------------------------------------
def _effect_shape(effect: Effect) -> tuple[Any, ...]:
    data = effect.model_dump()
    data.pop(NUMERIC_EFFECT_FIELDS.get(type(effect), ""), None)
    return (type(effect).__name__, tuple(sorted((k, repr(v)) for k, v in data.items())))


def structure_key(scenario: Scenario, c: CompiledScenario) -> dict[str, Any]:
    """What runs stepped together must share, by name (see :func:`check_structure`)."""
    run = scenario.run
    return {
        "actors": c.actors,
        "issues": c.issues,
        "roles": c.roles,
        "strategy classes": tuple(type(s) for s in c.strategies),
        "parties": c.parties.tobytes(),
        "veto holders": c.vetoes.tobytes(),
        "linked issues": c.linked.tobytes(),
        "protocols": c.protocols,
        "link pattern": tuple((k, (w != 0).tobytes()) for k, w in sorted(c.links.items())),
        "quantities": tuple((q.issue, q.name) for q in c.quantities),
        "phase count": c.phases.shape,
        "events": tuple(
            (name, run.step_of(ev.date), ev.kind, tuple(_effect_shape(e) for e in ev.effects))
            for name, ev in scenario.events.items()
        ),
        "incidents": tuple(
            (name, inc.kind, inc.spoiler_driven, tuple(_effect_shape(e) for e in inc.effects))
            for name, inc in scenario.incidents.items()
        ),
    }


def check_structure(scenarios: Sequence[Scenario], compiled: Sequence[CompiledScenario]) -> None:
    """ValueError naming the first difference in structure between the runs' scenarios.

    Runs stepped together may differ in numeric values only (actors' numbers, dynamics,
    network weights, incident rates, strategy parameters, effect values).
    """
    ref = structure_key(scenarios[0], compiled[0])
    for r in range(1, len(scenarios)):
        other = structure_key(scenarios[r], compiled[r])
        for key, value in ref.items():
            if other[key] != value:
                raise ValueError(
                    f"scenario {r} ({scenarios[r].name!r}) differs in structure from scenario 0 "
                    f"({scenarios[0].name!r}): its {key} differ; runs stepped together may "
                    "differ only in numeric values"
                )


def _encode(effect: Effect, c: CompiledScenario) -> EffectCode:
    n, m = c.n, c.m
    ix = c.actor_index
    hits = np.zeros((n, n), dtype=bool)
    match effect:
        case TrustShockEffect():
            hits[np.ix_([ix(a) for a in effect.from_], [ix(a) for a in effect.to])] = True
            if effect.mutual:
                hits |= hits.T
            np.fill_diagonal(hits, False)
            return EffectCode(SHOCK, hits)
        case SignalEffect():
            toward = np.zeros(n, dtype=np.int64)
            for other in effect.toward:
                toward[ix(other)] += 1
            channel = ACTION if effect.channel == "action" else RHETORIC
            return EffectCode(SIGNAL, hits, actor=ix(effect.actor), channel=channel, toward=toward)
        case ConveneEffect():
            issues = np.zeros(m, dtype=bool)
            issues[[c.issue_index(k) for k in effect.issues]] = True
            mediator = -1 if effect.mediator is None else ix(effect.mediator)
            return EffectCode(CONVENE, hits, mediator=mediator, issues=issues)
        case AgreeEffect():
            mediator = -1 if effect.mediator is None else ix(effect.mediator)
            return EffectCode(AGREE, hits, issue=c.issue_index(effect.issue), mediator=mediator)
        case SetbackEffect():
            return EffectCode(SETBACK, hits, issue=c.issue_index(effect.issue))
        case AttentionEffect():
            return EffectCode(ATTENTION, hits, actor=ix(effect.actor))
        case PriorityEffect():
            return EffectCode(
                PRIORITY, hits, actor=ix(effect.actor), issue=c.issue_index(effect.issue)
            )
        case LinkEffect():
            return EffectCode(
                LINK,
                hits,
                actor=ix(effect.from_),
                other=ix(effect.to),
                channel=LINK_TYPES.index(effect.link),
            )
    raise TypeError(f"unknown effect {effect!r}")


def _event_effect(name: str, j: int) -> Callable[[Scenario], Effect]:
    return lambda s: s.events[name].effects[j]


def _incident_effect(name: str, j: int) -> Callable[[Scenario], Effect]:
    return lambda s: s.incidents[name].effects[j]


def _dynamics_field(name: str) -> Callable[[Scenario], Any]:
    return lambda s: getattr(s.dynamics, name)


def _all_effects(scenario: Scenario) -> list[Callable[[Scenario], Effect]]:
    """Getters of every effect, events first then incidents, in the scenario's order."""
    getters: list[Callable[[Scenario], Effect]] = []
    for name, event in scenario.events.items():
        getters += [_event_effect(name, j) for j in range(len(event.effects))]
    for name, incident in scenario.incidents.items():
        getters += [_incident_effect(name, j) for j in range(len(incident.effects))]
    return getters


def structure(scenario: Scenario, c: CompiledScenario) -> Structure:
    """The shared structure of runs of `scenario` (events by step, incidents, effects)."""
    effects = [get(scenario) for get in _all_effects(scenario)]
    events: dict[int, list[ScheduledEvent]] = {}
    e = 0
    for name, event in scenario.events.items():
        step = scenario.run.step_of(event.date)
        indices = tuple(range(e, e + len(event.effects)))
        events.setdefault(step, []).append(ScheduledEvent(name, event, step, indices))
        e += len(event.effects)
    incidents = []
    for name, incident in scenario.incidents.items():
        incidents.append((name, incident, tuple(range(e, e + len(incident.effects)))))
        e += len(incident.effects)
    return Structure(
        compiled=c,
        events={step: tuple(items) for step, items in events.items()},
        incidents=tuple(incidents),
        effects=tuple(effects),
        kinds=tuple(KIND_CODES[s.kind] for s in c.strategies),
    )


# -- building ---------------------------------------------------------------------------------
def build_params(scenarios: Sequence[Scenario], compiled: Sequence[CompiledScenario]) -> Params:
    """Stack the inputs of ``len(scenarios)`` runs (their structures must agree).

    Runs of one scenario object (replications) share its values: each distinct scenario is
    read once and its row repeated.
    """
    c = compiled[0]
    r = len(scenarios)
    n, m = c.n, c.m
    position: dict[tuple[int, int], int] = {}  # (scenario, compiled) -> its row in distinct
    distinct: list[tuple[Scenario, CompiledScenario]] = []
    rows = []
    for pair in zip(scenarios, compiled, strict=True):
        if (id(pair[0]), id(pair[1])) not in position:
            position[id(pair[0]), id(pair[1])] = len(distinct)
            distinct.append(pair)
        rows.append(position[id(pair[0]), id(pair[1])])
    inverse = np.array(rows, dtype=np.int64)
    u = len(distinct)

    def stack(get: Callable[[CompiledScenario], Any], dtype: Any = float) -> np.ndarray:
        return np.stack([np.asarray(get(cc), dtype=dtype) for _, cc in distinct])[inverse]

    def per_run(get: Callable[[Scenario], Any], dtype: Any = float) -> np.ndarray:
        return np.array([get(s) for s, _ in distinct], dtype=dtype)[inverse]

    getters = _all_effects(scenarios[0])
    codes = [_encode(get(scenarios[0]), c) for get in getters]
    values = np.zeros((u, len(getters)))
    for e, get in enumerate(getters):
        name = NUMERIC_EFFECT_FIELDS.get(type(get(scenarios[0])))
        if name is not None:
            values[:, e] = [float(getattr(get(s), name)) for s, _ in distinct]
    values = values[inverse]
    n_effects = len(codes)

    def codes_of(name: str, dtype: Any = np.int64) -> np.ndarray:
        return np.array([getattr(code, name) for code in codes], dtype=dtype).reshape(n_effects)

    tables = c.tables
    width = max(len(t) for t in tables)
    table_parties = np.full((len(tables), width), -1, dtype=np.int64)
    for t, members in enumerate(tables):
        table_parties[t, : len(members)] = members
    incident_effects = np.zeros((len(c.incident_names), 2), dtype=np.int64)
    e = sum(len(ev.effects) for ev in scenarios[0].events.values())
    for k, effects in enumerate(c.incident_effects):
        incident_effects[k] = (e, len(effects))
        e += len(effects)
    q_values = np.array(
        [[(q.low, q.high, q.total) for q in cc.quantities] for _, cc in distinct], dtype=float
    ).reshape(u, len(c.quantities), 3)[inverse]
    # Any: keyword arguments of Params by name (mypy cannot match a ** dict to its fields)
    dyn: dict[str, Any] = {name: per_run(_dynamics_field(name)) for name in DYNAMICS_FLOATS}
    dyn_ints: dict[str, Any] = {
        name: per_run(_dynamics_field(name), np.int64) for name in DYNAMICS_INTS
    }
    return Params(
        capability=stack(lambda cc: cc.capability),
        reliability=stack(lambda cc: cc.reliability),
        resolve=stack(lambda cc: cc.resolve),
        reservation=stack(lambda cc: cc.reservation),
        reciprocity=stack(lambda cc: cc.reciprocity),
        ideal=stack(lambda cc: cc.ideal),
        salience0=stack(lambda cc: cc.salience),
        trust0=stack(lambda cc: cc.trust0),
        links0=stack(lambda cc: [cc.links[kind] for kind in LINK_TYPES]),
        status_quo0=stack(lambda cc: cc.status_quo),
        implementation_rate=stack(lambda cc: cc.implementation_rate),
        incident_rate=stack(lambda cc: cc.incident_rate).reshape(r, len(c.incident_names)),
        q_low=np.ascontiguousarray(q_values[:, :, 0]),
        q_high=np.ascontiguousarray(q_values[:, :, 1]),
        q_total=np.ascontiguousarray(q_values[:, :, 2]),
        effect_value=values,
        attention0=stack(lambda cc: cc.attention),
        phases=stack(lambda cc: cc.phases),
        q_spontaneous=np.array(
            [[q.spontaneous_rate for q in cc.quantities] for _, cc in distinct], dtype=float
        ).reshape(u, len(c.quantities))[inverse],
        trust_model=per_run(lambda s: TRUST_MODELS.index(s.dynamics.trust_model), np.int64),
        **dyn,
        **dyn_ints,
        package_deals=per_run(lambda s: s.dynamics.package_deals, bool),
        parties=np.ascontiguousarray(c.parties),
        vetoes=np.ascontiguousarray(c.vetoes),
        linked=np.ascontiguousarray(c.linked),
        table_of_issue=c.table_of_issue.astype(np.int64),
        table_parties=table_parties,
        table_size=np.array([len(t) for t in tables], dtype=np.int64),
        incident_spoiler=np.asarray(c.incident_spoiler, dtype=bool).reshape(-1),
        incident_veto=np.array(
            [inc.kind == "veto" for inc in scenarios[0].incidents.values()], dtype=bool
        ).reshape(-1),
        incident_effects=incident_effects,
        quantity_issue=np.array([q.issue for q in c.quantities], dtype=np.int64),
        principals=np.array(
            [i for i, role in enumerate(c.roles) if role == "principal"], dtype=np.int64
        ),
        kinds=np.array([KIND_CODES[s.kind] for s in c.strategies], dtype=np.int64),
        draw_offsets=np.array(
            [
                c.incident_slice.start,
                c.mediation_slice.start,
                c.direct_slice.start,
                c.compliance_slice.start,
                c.draws_per_step,
            ],
            dtype=np.int64,
        ),
        effect_type=codes_of("type"),
        effect_hits=np.array([code.hits for code in codes], dtype=bool).reshape(n_effects, n, n),
        effect_actor=codes_of("actor"),
        effect_other=codes_of("other"),
        effect_channel=codes_of("channel"),
        effect_issue=codes_of("issue"),
        effect_mediator=codes_of("mediator"),
        effect_toward=np.array(
            [code.toward if code.toward is not None else np.zeros(n) for code in codes],
            dtype=np.int64,
        ).reshape(n_effects, n),
        effect_issues=np.array(
            [code.issues if code.issues is not None else np.zeros(m) for code in codes],
            dtype=bool,
        ).reshape(n_effects, m),
    )


def initial_state(params: Params) -> State:
    """The state of R runs before their first step."""
    r, n = params.capability.shape
    m = params.status_quo0.shape[1]
    q = params.q_total.shape[1]
    draws = int(params.draw_offsets[-1])

    def zeros(*shape: int, dtype: Any = float) -> np.ndarray:
        return np.zeros((r, *shape), dtype=dtype)

    return State(
        trust=params.trust0.copy(),
        next_trust=params.trust0.copy(),
        vouched=params.trust0.copy(),
        links=params.links0.copy(),
        status=np.full((r, m), OPEN, dtype=np.int64),
        terms=np.full((r, m), np.nan),
        agreed_step=zeros(m, dtype=np.int64),
        progress=zeros(m),
        rounds=zeros(m, dtype=np.int64),
        mediator_of=np.full((r, m), -1, dtype=np.int64),
        waited=zeros(m, dtype=np.int64),
        first_agreed=np.full((r, m), -1, dtype=np.int64),
        negotiated_step=np.full((r, m), -1, dtype=np.int64),
        negotiated_terms=np.full((r, m), np.nan),
        vetoed=zeros(m, dtype=np.int64),
        offers=np.full((r, m, n), np.nan),
        aspiration=np.ones((r, m, n)),
        concession=zeros(m, n, n),
        other_complied=np.ones((r, m, n)),
        stall_streak=zeros(m, n, dtype=np.int64),
        complied=zeros(m, n, dtype=bool),
        delivered=zeros(q),
        pressure=zeros(n),
        support=zeros(n),
        actions=zeros(n, n),
        rhetoric=zeros(n, n),
        salience=params.salience0.copy(),
        status_quo=params.status_quo0.copy(),
        cap=np.ascontiguousarray(params.phases[:, :, 0]),
        phase=zeros(m, dtype=np.int64),
        reached=params.status_quo0.copy(),
        attention=params.attention0.copy(),
        kept=zeros(n, n),
        broken=zeros(n, n),
        deeds_pos=zeros(n, n),
        deeds_neg=zeros(n, n),
        words_pos=zeros(n, n),
        words_neg=zeros(n, n),
        vouch_kept=zeros(n, n),
        vouch_broken=zeros(n, n),
        via_deals=zeros(q),
        spontaneous=zeros(q),
        draws=zeros(draws),
        struck=zeros(len(params.incident_spoiler), dtype=np.int64),
        n_agreements=zeros(dtype=np.int64),
        n_implemented=zeros(dtype=np.int64),
        n_collapsed=zeros(dtype=np.int64),
        n_incidents=zeros(dtype=np.int64),
        n_vetoes=zeros(dtype=np.int64),
    )
