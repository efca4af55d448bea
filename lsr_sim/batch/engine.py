"""The vectorised batch engine: many runs stepped at once over arrays with a run axis.

Every state array of :class:`lsr_sim.model.NegotiationModel` gets a leading axis of length R
(one entry per run), and every per-run input (actors' numbers, dynamics, network weights,
incident rates, strategy parameters, event effect values) becomes an array over runs. Each
step calls the same rule functions as the Mesa model (:mod:`lsr_sim.dynamics`, the strategies'
``decide``), in the same order, so that a run in a batch reproduces the Mesa model's run with
the same scenario and seed: each run draws its uniforms from its own
``numpy.random.default_rng(seed)`` in the Mesa model's layout (one block of
``draws_per_step`` numbers per step, see :class:`lsr_sim.model.CompiledScenario`).

Loops run over actors, issues, tables, events and packages (small), never over runs. The
negotiation step groups runs by the packages on their table (a handful of patterns) and runs
the offers protocol vectorised over each group (:mod:`lsr_sim.batch.offers`).
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from lsr_sim.batch.offers import BatchTable, _take, negotiate_offers
from lsr_sim.dynamics import (
    backer_support,
    compliance_probability,
    convening_probability,
    decay_toward,
    delivered,
    direct_talks_probability,
    effective_resolve,
    gain,
    incident_probability,
    issue_stage,
    leverage,
    progress_step,
    shock,
    spoiler_threat,
    trust_signal,
    update_trust,
    vouch,
)
from lsr_sim.dynamics.status import (
    AGREED,
    COLLAPSED,
    IMPLEMENTED,
    IMPLEMENTING,
    ON_TABLE,
    OPEN,
    STATUS_NAMES,
)
from lsr_sim.model.compiled import CompiledScenario, compile_scenario
from lsr_sim.protocols import OffersProtocol, get_protocol
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
from lsr_sim.strategies import (
    BUILTIN_STRATEGIES,
    BackerObservation,
    MediatorObservation,
    SpoilerObservation,
    Strategy,
)

__all__ = ["BatchResult", "run_batch", "supports"]

#: Steps of random draws made at once per run (memory: runs x DRAW_BLOCK x draws per step).
DRAW_BLOCK = 16

HISTORY_NAMES = (
    "rapprochement",
    "mean_trust",
    "trust",
    "status",
    "position",
    "progress",
    "delivered",
)
BUILTIN_PROTOCOLS: dict[str, type] = {"offers": OffersProtocol}
_NUMERIC_EFFECT_FIELDS = {
    TrustShockEffect: "delta",
    SignalEffect: "strength",
    AgreeEffect: "terms",
    SetbackEffect: "progress",
    LinkEffect: "weight",
}
_DYNAMICS_FLOATS = (
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
)
_DYNAMICS_INTS = ("talks_timeout", "collapse_after", "reopen_after")


# -- public API -----------------------------------------------------------------------------
@dataclass
class BatchResult:
    """What a batch of runs returns.

    Attributes
    ----------
    rows : list of dict
        One summary row per run, equal to :func:`lsr_sim.experiment.summary_row` of the Mesa
        model with the same scenario and seed.
    final : dict of arrays
        Final state with a leading run axis: ``trust`` (R, n, n), ``status`` (R, m),
        ``terms``, ``progress`` (R, m), ``delivered`` (R, q), ``pressure``, ``support`` (R, n).
    history : dict of arrays or None
        With ``keep_history``: what the Mesa DataCollector records, per name in
        ``HISTORY_NAMES``, shape (R, steps + 1, ...); runs shorter than the longest are padded
        (NaN, or -1 for ``status``).
    engine : list of str
        ``"batch"`` or ``"mesa"`` (fallback) for each run.
    """

    rows: list[dict[str, Any]]
    final: dict[str, np.ndarray]
    history: dict[str, np.ndarray] | None
    seeds: list[int]
    steps: list[int]
    engine: list[str] = field(default_factory=list)

    def summary(self) -> pd.DataFrame:
        """The summary rows as a table."""
        return pd.DataFrame(self.rows)


def supports(scenario: Scenario) -> tuple[bool, str]:
    """Whether the batch engine can run `scenario`; if not, a one-line reason.

    Every built-in strategy class (exact type) and protocol is supported; a user's own
    strategy or protocol class makes the scenario fall back to the Mesa model.
    """
    for name, actor in scenario.actors.items():
        from lsr_sim.strategies import get_strategy_class

        try:
            cls = get_strategy_class(actor.strategy.name)
        except KeyError:
            return False, f"actor {name!r} uses unknown strategy {actor.strategy.name!r}"
        if not any(cls is b for b in BUILTIN_STRATEGIES):
            return False, (
                f"actor {name!r} uses strategy class {cls.__name__} ({actor.strategy.name!r}), "
                "which is not built in and cannot be vectorised"
            )
    names = {i.protocol or scenario.dynamics.protocol for i in scenario.issues.values()}
    for name in sorted(names):
        try:
            proto = type(get_protocol(name))
        except KeyError:
            return False, f"unknown protocol {name!r}"
        if BUILTIN_PROTOCOLS.get(name) is not proto:
            from lsr_sim.protocols.classic import CLASSIC_PROTOCOLS

            if proto in CLASSIC_PROTOCOLS:
                return False, (
                    f"protocol {name!r} is a classic model the batch engine does not vectorise "
                    "(it solves or steps each table on its own)"
                )
            return False, f"protocol {name!r} ({proto.__name__}) is not built in"
    return True, ""


def run_batch(
    scenarios: Sequence[Scenario],
    seeds: Sequence[int],
    steps: int | Sequence[int],
    *,
    keep_history: bool = False,
) -> BatchResult:
    """Run ``len(scenarios)`` runs at once; run r is ``scenarios[r]`` with seed ``seeds[r]``.

    The scenarios may differ in numeric values (actors, dynamics, network weights, incident
    rates, strategy parameters, effect values) but must share their structure (actors,
    issues, roles, parties, vetoes, links, link pattern, events and their steps, incidents,
    strategy classes, protocols); ValueError otherwise. If any scenario cannot be vectorised
    (see :func:`supports`) the whole batch runs through the Mesa model, with a one-line
    warning saying why.
    """
    scenarios = list(scenarios)
    seeds = [int(s) for s in seeds]
    r = len(scenarios)
    if len(seeds) != r:
        raise ValueError(f"{r} scenarios but {len(seeds)} seeds")
    if r == 0:
        raise ValueError("run_batch needs at least one scenario")
    step_list = [int(steps)] * r if np.ndim(steps) == 0 else [int(s) for s in steps]  # type: ignore[arg-type]
    if len(step_list) != r:
        raise ValueError(f"{r} scenarios but {len(step_list)} step counts")
    if min(step_list) <= 0:
        raise ValueError("steps must be positive")
    # Replications share one Scenario object: compile and check each distinct object once.
    by_id: dict[int, CompiledScenario] = {}
    for sc in scenarios:
        if id(sc) not in by_id:
            by_id[id(sc)] = compile_scenario(sc)
    compiled = [by_id[id(sc)] for sc in scenarios]
    distinct = list({id(sc): sc for sc in scenarios}.values())
    check_structure(distinct, [by_id[id(sc)] for sc in distinct])
    for sc in distinct:
        ok, reason = supports(sc)
        if not ok:
            warnings.warn(
                f"batch engine: running {r} runs through the Mesa model instead: {reason}",
                RuntimeWarning,
                stacklevel=2,
            )
            return _run_mesa(scenarios, seeds, step_list, keep_history)

    parts: list[tuple[np.ndarray, _Batch]] = []
    for value in sorted(set(step_list)):
        idx = np.flatnonzero(np.array(step_list) == value)
        batch = _Batch([scenarios[i] for i in idx], [compiled[i] for i in idx], keep_history)
        batch.run([seeds[i] for i in idx], value)
        parts.append((idx, batch))
    return _assemble(parts, r, seeds, step_list, keep_history)


# -- structure -------------------------------------------------------------------------------
def _effect_shape(effect: Effect) -> tuple[Any, ...]:
    data = effect.model_dump()
    data.pop(_NUMERIC_EFFECT_FIELDS.get(type(effect), ""), None)
    return (type(effect).__name__, tuple(sorted((k, repr(v)) for k, v in data.items())))


def _structure(scenario: Scenario, c: CompiledScenario) -> dict[str, Any]:
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
    """ValueError naming the first difference in structure between the batch's scenarios."""
    ref = _structure(scenarios[0], compiled[0])
    for r in range(1, len(scenarios)):
        other = _structure(scenarios[r], compiled[r])
        for key, value in ref.items():
            if other[key] != value:
                raise ValueError(
                    f"scenario {r} ({scenarios[r].name!r}) differs in structure from scenario 0 "
                    f"({scenarios[0].name!r}): its {key} differ; a batch may differ only in "
                    "numeric values"
                )


# -- vectorised strategies -------------------------------------------------------------------
def _vector_strategy(strategies: Sequence[Strategy]) -> Strategy:
    """One instance of the runs' common strategy class whose parameters are arrays over runs.

    Built without ``__init__`` (its checks expect scalars); ``decide`` is elementwise.
    """
    cls = type(strategies[0])
    obj = object.__new__(cls)
    for f in dataclasses.fields(cls):
        values = np.array([float(getattr(s, f.name)) for s in strategies])
        object.__setattr__(obj, f.name, values)
    return obj


# -- the batch --------------------------------------------------------------------------------
class _Batch:
    def __init__(
        self, scenarios: list[Scenario], compiled: list[CompiledScenario], keep_history: bool
    ) -> None:
        self.scenarios = scenarios
        self.c = c = compiled[0]  # structure shared by all runs
        self.R = r = len(scenarios)
        n, m = c.n, c.m
        self.keep_history = keep_history
        stack = lambda name: np.stack([getattr(cc, name) for cc in compiled])  # noqa: E731
        self.capability = stack("capability")
        self.reliability = stack("reliability")
        self.resolve = stack("resolve")
        self.reservation = stack("reservation")
        self.reciprocity = stack("reciprocity")
        self.ideal = stack("ideal")
        self.salience = stack("salience")
        self.trust0 = stack("trust0")
        self.status_quo = stack("status_quo")
        self.implementation_rate = stack("implementation_rate")
        self.incident_rate = stack("incident_rate") if c.incident_names else np.zeros((r, 0))
        self.q_low = np.array([[q.low for q in cc.quantities] for cc in compiled]).reshape(r, -1)
        self.q_high = np.array([[q.high for q in cc.quantities] for cc in compiled]).reshape(r, -1)
        self.q_total = np.array([[q.total for q in cc.quantities] for cc in compiled]).reshape(
            r, -1
        )
        self.dyn = {
            name: np.array([float(getattr(s.dynamics, name)) for s in scenarios])
            for name in _DYNAMICS_FLOATS
        }
        for name in _DYNAMICS_INTS:
            self.dyn[name] = np.array([int(getattr(s.dynamics, name)) for s in scenarios])
        self.strategies = [
            _vector_strategy([cc.strategies[i] for cc in compiled]) for i in range(n)
        ]
        self.kinds = [s.kind for s in c.strategies]

        # Events by step, and per-run values of every numeric effect field.
        self.events: dict[int, list[tuple[str, list[tuple[Effect, np.ndarray | None]]]]] = {}
        run0 = scenarios[0].run
        for name, ev in scenarios[0].events.items():
            effects = [
                (eff, self._effect_values(lambda s, n_=name, j_=j: s.events[n_].effects[j_]))
                for j, eff in enumerate(ev.effects)
            ]
            self.events.setdefault(run0.step_of(ev.date), []).append((ev.kind, effects))
        self.incidents = []
        for name, inc in scenarios[0].incidents.items():
            effects = [
                (eff, self._effect_values(lambda s, n_=name, j_=j: s.incidents[n_].effects[j_]))
                for j, eff in enumerate(inc.effects)
            ]
            self.incidents.append((inc.kind, effects))

        # Package classes: runs whose packages agree for every set of issues on the table.
        keys = []
        known: dict[int, tuple[Any, ...]] = {}
        for s, cc in zip(scenarios, compiled, strict=True):
            if id(cc) not in known:
                ranks = tuple(
                    tuple(int(x) for x in np.unique(row, return_inverse=True)[1])
                    for row in cc.salience
                )
                known[id(cc)] = (bool(s.dynamics.package_deals), ranks)
            keys.append(known[id(cc)])
        distinct = list(dict.fromkeys(keys))
        number = {k: i for i, k in enumerate(distinct)}
        self.pkg_class = np.array([number[k] for k in keys])
        self.class_rep = [keys.index(k) for k in distinct]
        self.n_classes = len(distinct)
        self._pkg_cache: dict[tuple[int, int], list[list[int]]] = {}

        # State.
        self.trust = self.trust0.copy()
        self.links = {kind: np.stack([cc.links[kind] for cc in compiled]) for kind in c.links}
        self.status = np.full((r, m), OPEN, dtype=int)
        self.terms = np.full((r, m), np.nan)
        self.agreed_step = np.zeros((r, m), dtype=int)
        self.progress = np.zeros((r, m))
        self.rounds = np.zeros((r, m), dtype=int)
        self.offers = np.full((r, m, n), np.nan)
        self.aspiration = np.ones((r, m, n))
        self.concession = np.zeros((r, m, n, n))
        self.mediator_of = np.full((r, m), -1, dtype=int)
        self.collapsed_for = np.zeros((r, m), dtype=int)
        self.stall_streak = np.zeros((r, m, n), dtype=int)
        self.other_complied = np.ones((r, m, n))
        self.complied = np.zeros((r, m, n), dtype=bool)
        self.delivered = np.zeros((r, len(c.quantities)))
        self.pressure = np.zeros((r, n))
        self.support = np.zeros((r, n))
        self.actions = np.zeros((r, n, n))
        self.rhetoric = np.zeros((r, n, n))
        # What the logs feed into the summary.
        self.n_agreements = np.zeros(r, dtype=int)
        self.n_implemented = np.zeros(r, dtype=int)
        self.n_collapsed = np.zeros(r, dtype=int)
        self.n_incidents = np.zeros(r, dtype=int)
        self.n_vetoes = np.zeros(r, dtype=int)
        self.first_agreed = np.full((r, m), -1, dtype=int)
        self.current_step = 0
        self.history: dict[str, list[np.ndarray]] = {name: [] for name in HISTORY_NAMES}

    def _effect_values(self, get: Any) -> np.ndarray | None:
        first = get(self.scenarios[0])
        name = _NUMERIC_EFFECT_FIELDS.get(type(first))
        if name is None:
            return None
        return np.array([float(getattr(get(s), name)) for s in self.scenarios])

    # -- reporters --------------------------------------------------------------------------
    def mean_trust(self) -> np.ndarray:
        off = ~np.eye(self.c.n, dtype=bool)
        # C order, so each run's row is summed as numpy sums the Mesa model's 1-D array
        # (pairwise beyond 8 terms); the masked view is laid out run-minor.
        return np.ascontiguousarray(self.trust[:, off]).mean(axis=-1)

    def rapprochement(self) -> np.ndarray:
        c = self.c
        principals = [i for i, role in enumerate(c.roles) if role == "principal"]
        if len(principals) >= 2:
            block = self.trust[np.ix_(np.arange(self.R), principals, principals)]
            mutual = np.ascontiguousarray(block[:, ~np.eye(len(principals), dtype=bool)])
            mutual = mutual.mean(axis=-1)
        else:
            mutual = self.mean_trust()
        return 0.5 * mutual + 0.5 * issue_stage(self.status, self.progress).mean(axis=-1)

    def position(self) -> np.ndarray:
        c = self.c
        offered = c.parties & np.isfinite(self.offers)
        count = offered.sum(axis=-1)
        talks = np.where(offered, self.offers, 0.0).sum(axis=-1) / np.maximum(count, 1)
        talks = np.where(count > 0, talks, np.nan)
        settled = np.isin(self.status, (AGREED, IMPLEMENTING, IMPLEMENTED, COLLAPSED))
        position = np.where(self.status == ON_TABLE, talks, self.status_quo)
        position = np.where(settled & np.isfinite(self.terms), self.terms, position)
        return np.where(np.isfinite(position), position, self.status_quo)

    def collect(self) -> None:
        if not self.keep_history:
            return
        h = self.history
        h["rapprochement"].append(self.rapprochement())
        h["mean_trust"].append(self.mean_trust())
        h["trust"].append(self.trust.copy())
        h["status"].append(self.status.copy())
        h["position"].append(self.position())
        h["progress"].append(self.progress.copy())
        h["delivered"].append(self.delivered.copy())

    # -- running ----------------------------------------------------------------------------
    def run(self, seeds: list[int], steps: int) -> None:
        width = self.c.draws_per_step
        # One generator per run, drawn in the Mesa model's layout: rng.random((b, L)) is the
        # same stream as b successive rng.random(L) calls. Blocks of DRAW_BLOCK steps keep
        # memory small (all steps at once took ~0.5 GB for 4,000 baseline runs).
        generators = [np.random.default_rng(s) for s in seeds]
        block = np.empty((0, len(seeds), width))
        self.collect()
        for s in range(1, steps + 1):
            self.current_step = s
            for kind, effects in self.events.get(s, ()):
                self.fire(kind, effects, None)
            if (s - 1) % DRAW_BLOCK == 0:
                size = min(DRAW_BLOCK, steps - s + 1)
                block = np.stack([g.random((size, width)) for g in generators], axis=1)
            self.draws = block[(s - 1) % DRAW_BLOCK]
            self.step(s)
            self.collect()

    def step(self, s: int) -> None:
        self.choose_policies()
        self.strike_incidents()
        for i in range(self.c.n):
            if self.kinds[i] == "mediator":
                self.convene_talks(i)
        self.hold_direct_talks()
        self.negotiate()
        agreed = (self.status == AGREED) & (self.agreed_step < s)
        self.status[agreed] = IMPLEMENTING
        self.stall_streak[agreed] = 0
        self.other_complied[agreed] = 1.0
        self.complied[:] = False
        self.carry_out_commitments()
        self.record_implementation()
        self.reopen_collapsed()
        self.revise_trust()

    # -- events and effects -----------------------------------------------------------------
    def fire(
        self, kind: str, effects: list[tuple[Effect, np.ndarray | None]], sel: np.ndarray | None
    ) -> None:
        if sel is None:
            sel = np.ones(self.R, dtype=bool)
        if kind == "veto":
            self.n_vetoes += sel
        for effect, values in effects:
            self.apply_effect(effect, values, sel)

    def apply_effect(self, effect: Effect, values: np.ndarray | None, sel: np.ndarray) -> None:
        c = self.c
        ix = c.actor_index
        idx = np.flatnonzero(sel)
        if idx.size == 0:
            return
        match effect:
            case TrustShockEffect():
                mask = np.zeros((c.n, c.n), dtype=bool)
                rows = [ix(a) for a in effect.from_]
                cols = [ix(a) for a in effect.to]
                mask[np.ix_(rows, cols)] = True
                if effect.mutual:
                    mask |= mask.T
                np.fill_diagonal(mask, False)
                assert values is not None
                self.trust[idx] = shock(self.trust[idx], mask, values[idx][:, None, None])
            case SignalEffect():
                assert values is not None
                buffer = self.actions if effect.channel == "action" else self.rhetoric
                for other in effect.toward:
                    buffer[idx, ix(other), ix(effect.actor)] += values[idx]
            case ConveneEffect():
                mediator = -1 if effect.mediator is None else ix(effect.mediator)
                issues = np.zeros(c.m, dtype=bool)
                issues[[c.issue_index(k) for k in effect.issues]] = True
                self.convene(sel[:, None] & issues[None, :], mediator)
            case AgreeEffect():
                assert values is not None
                k = c.issue_index(effect.issue)
                ok = sel & np.isin(self.status[:, k], (OPEN, ON_TABLE, COLLAPSED))
                if effect.mediator is not None:
                    self.mediator_of[ok, k] = ix(effect.mediator)
                self.status[ok & (self.status[:, k] == COLLAPSED), k] = OPEN
                self.agree([k], values[:, None], ok)
            case SetbackEffect():
                assert values is not None
                k = c.issue_index(effect.issue)
                on = sel & (self.status[:, k] == ON_TABLE)
                self.lapse(on[:, None] & (np.arange(c.m) == k)[None, :])
                imp = sel & (self.status[:, k] == IMPLEMENTING)
                self.progress[imp, k] = np.maximum(0.0, self.progress[imp, k] - values[imp])
            case LinkEffect():
                assert values is not None
                i, j = ix(effect.from_), ix(effect.to)
                self.links[effect.link][idx, i, j] = values[idx]

    # -- state changes ----------------------------------------------------------------------
    def reset_talks(self, issues: np.ndarray) -> None:
        """`issues`: (R, m) mask."""
        self.rounds[issues] = 0
        self.offers[issues] = np.nan
        self.aspiration[issues] = 1.0
        self.concession[issues] = 0.0

    def lapse(self, issues: np.ndarray) -> None:
        self.status[issues] = OPEN
        self.reset_talks(issues)

    def convene(self, issues: np.ndarray, mediator: int) -> None:
        """Put the (R, m) masked issues that are open or collapsed on the table."""
        c = self.c
        issues = issues & ((self.status == OPEN) | (self.status == COLLAPSED))
        if not issues.any():
            return
        self.status[issues] = ON_TABLE
        self.mediator_of[issues] = mediator
        self.reset_talks(issues)
        met = (issues[:, :, None] & c.parties[None, :, :]).any(axis=1)  # (R, n)
        off = ~np.eye(c.n, dtype=bool)
        both = met[:, :, None] & met[:, None, :] & off
        self.rhetoric += np.where(both, 0.5, 0.0)

    def agree(self, issues: list[int], terms: np.ndarray, ok: np.ndarray) -> None:
        """Runs in mask `ok` agree on `issues` at `terms` (R, len(issues))."""
        if ok.any():
            runs = np.flatnonzero(ok)
            pkg = np.tile(np.array(issues), (runs.size, 1))
            self.agree_runs(runs, pkg, terms[runs])

    def agree_runs(self, runs: np.ndarray, pkg: np.ndarray, terms: np.ndarray) -> None:
        """Run ``runs[g]`` agrees on issues ``pkg[g]`` at ``terms[g]`` (one deal each)."""
        s = self.current_step
        self.n_agreements[runs] += 1
        for col in range(pkg.shape[1]):
            k = pkg[:, col]
            self.status[runs, k] = AGREED
            self.agreed_step[runs, k] = s
            self.terms[runs, k] = terms[:, col]
            self.progress[runs, k] = 0.0
            fresh = self.first_agreed[runs, k] < 0
            self.first_agreed[runs[fresh], k[fresh]] = s

    # -- the step's phases ------------------------------------------------------------------
    def received_support(self) -> np.ndarray:
        return backer_support(self.links["patronage"], self.support)

    def trust_gap(self, parties: tuple[int, ...]) -> np.ndarray:
        p = list(parties)
        block = self.trust[:, p][:, :, p]
        return 1.0 - np.ascontiguousarray(block[:, ~np.eye(len(p), dtype=bool)]).mean(axis=-1)

    def choose_policies(self) -> None:
        c = self.c
        for i, kind in enumerate(self.kinds):
            if kind == "spoiler":
                threat = spoiler_threat(
                    issue_stage(self.status, self.progress),
                    self.salience[:, i],
                    c.vetoes[:, i],
                )
                decided = self.strategies[i].decide(SpoilerObservation(threat=threat))
                self.pressure[:, i] = decided
            elif kind == "backer":
                stage = issue_stage(self.status, self.progress)
                # np.dot per run, as the Mesa model computes it (matmul's vector case).
                progress = np.matmul(self.salience[:, i, None, :], stage[:, :, None])[:, 0, 0]
                decided = self.strategies[i].decide(BackerObservation(progress=progress))
                self.support[:, i] = decided

    def strike_incidents(self) -> None:
        c = self.c
        if not c.incident_names:
            return
        p = incident_probability(
            self.incident_rate,
            c.incident_spoiler,
            self.pressure.max(axis=-1, keepdims=True),
            self.dyn["spoiler_boost"][:, None],
        )
        hit = self.draws[:, c.incident_slice] < p
        for k, (kind, effects) in enumerate(self.incidents):
            sel = hit[:, k]
            if not sel.any():
                continue
            self.n_incidents += sel
            self.fire(kind, effects, sel)

    def convene_talks(self, i: int) -> None:
        c = self.c
        reach_links = self.links["mediation"][:, i]  # (R, n)
        draws = self.draws[:, c.mediation_slice].reshape(self.R, c.n, len(c.tables))[:, i]
        received = self.received_support()[:, i]
        cares = self.salience[:, i] > 0  # (R, m)
        for t, parties in enumerate(c.tables):
            if i in parties:
                continue
            waiting = (c.table_of_issue == t)[None, :] & (self.status == OPEN) & cares
            reach = reach_links[:, list(parties)].min(axis=-1)
            go = waiting.any(axis=-1) & (reach > 0)
            if not go.any():
                continue
            trust_in_me = self.trust[:, list(parties), i].mean(axis=-1)
            effort = self.strategies[i].decide(
                MediatorObservation(self.trust_gap(parties), received)
            )
            p = convening_probability(
                self.capability[:, i],
                trust_in_me,
                received,
                reach,
                effort,
                self.dyn["mediation_rate"],
                self.dyn["backer_weight"],
            )
            convened = go & (draws[:, t] < p)
            if convened.any():
                self.convene(waiting & convened[:, None], i)

    def hold_direct_talks(self) -> None:
        c = self.c
        draws = self.draws[:, c.direct_slice]
        for t, parties in enumerate(c.tables):
            waiting = (c.table_of_issue == t)[None, :] & (self.status == OPEN)
            go = waiting.any(axis=-1)
            if not go.any():
                continue
            idx = list(parties)
            channel = self.links["channel"][:, idx][:, :, idx]
            off = ~np.eye(len(idx), dtype=bool)
            p = direct_talks_probability(
                1.0 - self.trust_gap(parties),
                channel[:, off].min(axis=-1),
                self.dyn["direct_talks_rate"],
            )
            convened = go & (draws[:, t] < p)
            if convened.any():
                self.convene(waiting & convened[:, None], -1)

    # -- negotiation ------------------------------------------------------------------------
    def packages(self, code: int, cls: int) -> list[list[int]]:
        """Same rule as NegotiationModel.packages, for the issues in bit mask `code`."""
        key = (code, cls)
        if key in self._pkg_cache:
            return self._pkg_cache[key]
        c = self.c
        rep = self.class_rep[cls]
        package_deals = bool(self.scenarios[rep].dynamics.package_deals)
        salience = self.salience[rep]
        on_table = [k for k in range(c.m) if code >> k & 1]
        groups: list[list[int]] = []
        seen: set[int] = set()
        for k in on_table:
            if k in seen:
                continue
            group, frontier = [k], [k]
            seen.add(k)
            while frontier and package_deals:
                j = frontier.pop()
                for other in on_table:
                    same_table = c.table_of_issue[other] == c.table_of_issue[j]
                    if other not in seen and c.linked[j, other] and same_table:
                        seen.add(other)
                        group.append(other)
                        frontier.append(other)
            parties = c.tables[c.table_of_issue[group[0]]]
            tops = {int(np.argmax(salience[p, group])) for p in parties}
            if len(group) > 1 and not len(tops) > 1:
                groups.extend([g] for g in sorted(group))
            else:
                groups.append(sorted(group))
        self._pkg_cache[key] = groups
        return groups

    def negotiate(self) -> None:
        """Every run negotiates its packages in order; slot j holds each run's j-th package.

        Within a slot, runs whose packages sit at the same table and have the same number of
        issues negotiate in one vectorised call, whichever issues those are.
        """
        c = self.c
        on = self.status == ON_TABLE
        if not on.any():
            return
        code = on.astype(np.int64) @ (np.int64(1) << np.arange(c.m, dtype=np.int64))
        key = code * self.n_classes + self.pkg_class
        key = np.where(on.any(axis=-1), key, -1)
        uniq, inverse = np.unique(key, return_inverse=True)
        plans = {
            int(u): self.packages(int(u) // self.n_classes, int(u) % self.n_classes)
            for u in uniq
            if u >= 0
        }
        runs_of = {int(u): np.flatnonzero(inverse == pos) for pos, u in enumerate(uniq) if u >= 0}
        slots = max(len(p) for p in plans.values())
        for j in range(slots):
            groups: dict[tuple[int, int], list[tuple[np.ndarray, list[int]]]] = {}
            for u, plan in plans.items():
                if len(plan) > j:
                    package = plan[j]
                    shape = (int(c.table_of_issue[package[0]]), len(package))
                    groups.setdefault(shape, []).append((runs_of[u], package))
            for (table, size), members in groups.items():
                idx = np.concatenate([runs for runs, _ in members])
                issues = np.concatenate(
                    [np.tile(np.array(pkg), (runs.size, 1)) for runs, pkg in members]
                ).reshape(idx.size, size)
                self.negotiate_packages(idx, issues, table)

    def negotiate_packages(self, idx: np.ndarray, pkg: np.ndarray, table_index: int) -> None:
        """Runs `idx` negotiate one package each: issues ``pkg[g]`` (same table and size)."""
        c = self.c
        d = self.dyn
        parties = list(c.tables[table_index])
        pa = np.array(parties)
        lead = pkg[:, 0]
        rows = idx[:, None]
        previous = np.transpose(self.offers[rows[:, :, None], pkg[:, :, None], pa], (0, 2, 1))
        first = ~np.all(np.isfinite(previous), axis=(1, 2))
        prev_asp = np.where(first[:, None], 1.0, self.aspiration[idx, lead][:, pa])
        prev_conc = np.where(first[:, None, None], 0.0, self.concession[idx, lead][:, pa][:, :, pa])
        table = BatchTable(
            ideal=self.ideal[rows[:, :, None], pa[None, :, None], pkg[:, None, :]],
            salience=self.salience[rows[:, :, None], pa[None, :, None], pkg[:, None, :]],
            status_quo=self.status_quo[rows, pkg],
            capability=self.capability[np.ix_(idx, parties)],
            reservation=self.reservation[np.ix_(idx, parties)],
            trust=self.trust[np.ix_(idx, parties, parties)],
            strategies=[_take(self.strategies[p], idx) for p in parties],
            round=self.rounds[rows, pkg].max(axis=-1),
            deadline=d["talks_timeout"][idx],
            first=first,
            previous_offers=previous,
            previous_aspiration=prev_asp,
            previous_concession=prev_conc,
            logrolling=d["logrolling"][idx],
        )
        result = negotiate_offers(table)
        for col in range(pkg.shape[1]):
            k = pkg[:, col][:, None]
            self.offers[rows, k, pa[None, :]] = result.offers[:, :, col]
            self.aspiration[rows, k, pa[None, :]] = result.aspiration
            self.concession[rows[:, :, None], k[:, :, None], pa[None, :, None], pa] = (
                result.concession
            )
        self.rounds[rows, pkg] += 1
        scale = d["concession_scale"][idx][:, None, None]
        weight = d["concession_weight"][idx][:, None, None]
        seen = np.clip(result.concession / scale, -1.0, 1.0) * weight
        self.actions[rows[:, :, None], pa[None, :, None], pa[None, None, :]] += seen

        agreed = result.agreed
        holder, party = self.find_veto(idx, pkg, parties, result.terms, agreed)
        blocked = holder >= 0
        failed = ~agreed | blocked
        if failed.any():
            timeout = d["talks_timeout"][idx]
            lapsed = np.zeros((self.R, c.m), dtype=bool)
            for col in range(pkg.shape[1]):
                k = pkg[:, col]
                lapsed[idx, k] = failed & (self.rounds[idx, k] >= timeout)
            if lapsed.any():
                self.lapse(lapsed)
        if blocked.any():
            self.n_vetoes[idx[blocked]] += 1
            for pty in np.unique(party[blocked]):
                runs = idx[blocked & (party == pty)]
                for other in parties:
                    if other != pty:
                        self.actions[runs, other, pty] -= 0.5 * d["concession_weight"][runs]
        ok = agreed & ~blocked
        if ok.any():
            self.agree_runs(idx[ok], pkg[ok], result.terms[ok])

    def find_veto(
        self,
        idx: np.ndarray,
        pkg: np.ndarray,
        parties: list[int],
        terms: np.ndarray,
        agreed: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        """(holder, party) per run of `idx`, -1 where no veto player blocks the terms.

        Holders in index order, then parties in order: the first pair whose leverage beats
        the party's resolve, as in NegotiationModel.find_veto.
        """
        c = self.c
        d = self.dyn
        g = idx.size
        holder = np.full(g, -1)
        party = np.full(g, -1)
        if not agreed.any():
            return holder, party
        backing = self.received_support()[idx]
        rows = idx[:, None]
        for h in np.flatnonzero(c.vetoes.any(axis=0)):
            vetoed = c.vetoes[pkg, h]  # (G, k)
            holds = vetoed.any(axis=-1)
            if not (holds & agreed).any():
                continue
            gains = gain(terms, self.ideal[rows, h, pkg], self.status_quo[rows, pkg])
            sal = self.salience[rows, h, pkg]
            opposes = holds & ~(np.sum(sal * gains * vetoed, axis=-1) >= 0)
            for p in parties:
                lev = self.pressure[idx, h] * leverage(
                    self.links["pressure"][idx, h, p],
                    self.capability[idx, h],
                    self.capability[idx, p],
                    d["veto_strength"][idx],
                )
                resolve = effective_resolve(
                    self.resolve[idx, p], backing[:, p], d["backing_weight"][idx]
                )
                hit = agreed & opposes & (holder < 0) & (lev > resolve)
                holder[hit] = h
                party[hit] = p
        return holder, party

    # -- implementation ---------------------------------------------------------------------
    def spoiler_drag(self, i: int, k: int) -> np.ndarray | float:
        holders = np.flatnonzero(self.c.vetoes[k])
        if holders.size == 0:
            return 0.0
        weights = self.links["pressure"][:, holders, i]
        return self.dyn["spoiler_drag"] * np.max(weights * self.pressure[:, holders], axis=-1)

    def carry_out_commitments(self) -> None:
        c = self.c
        draws = self.draws[:, c.compliance_slice].reshape(self.R, c.m, c.n)
        implementing = self.status == IMPLEMENTING
        if not implementing.any():
            return
        for i in range(c.n):
            for k in np.flatnonzero(c.parties[:, i]):
                act = implementing[:, k]
                if not act.any():
                    continue
                others = [j for j in np.flatnonzero(c.parties[k]) if j != i]
                p = compliance_probability(
                    self.reliability[:, i],
                    self.trust[:, i, others].mean(axis=-1),
                    self.reciprocity[:, i],
                    self.other_complied[:, k, i],
                    self.dyn["compliance_trust_weight"],
                    self.spoiler_drag(i, k),
                )
                self.complied[:, k, i] = act & (draws[:, k, i] < p)

    def record_implementation(self) -> None:
        c = self.c
        d = self.dyn
        for k in range(c.m):
            act = self.status[:, k] == IMPLEMENTING
            if not act.any():
                continue
            parties = np.flatnonzero(c.parties[k])
            did = self.complied[:, k, parties]  # (R, p)
            for a, i in enumerate(parties):
                for b, j in enumerate(parties):
                    if i != j:
                        self.actions[:, i, j] += np.where(act, np.where(did[:, b], 1.0, -1.0), 0.0)
                others = np.delete(did, a, axis=1)
                share = others.sum(axis=-1) / others.shape[1]
                self.other_complied[act, k, i] = share[act]
                streak = np.where(did[:, a], 0, self.stall_streak[:, k, i] + 1)
                self.stall_streak[act, k, i] = streak[act]
            share = did.sum(axis=-1) / did.shape[1]
            new = progress_step(self.progress[:, k], share, self.implementation_rate[:, k])
            self.progress[act, k] = new[act]
            done = act & (self.progress[:, k] >= 1.0)
            self.status[done, k] = IMPLEMENTED
            self.n_implemented += done
            stalled = self.stall_streak[:, k][:, parties].max(axis=-1) >= d["collapse_after"]
            collapse = act & ~done & stalled
            self.status[collapse, k] = COLLAPSED
            self.collapsed_for[collapse, k] = 0
            self.n_collapsed += collapse
        self.update_delivered()

    def update_delivered(self) -> None:
        for q, spec in enumerate(self.c.quantities):
            k = spec.issue
            has = np.isfinite(self.terms[:, k])
            if not has.any():
                continue
            now = delivered(
                self.terms[:, k],
                self.progress[:, k],
                self.q_low[:, q],
                self.q_high[:, q],
                self.q_total[:, q],
            )
            self.delivered[has, q] = np.maximum(self.delivered[has, q], now[has])

    def reopen_collapsed(self) -> None:
        collapsed = self.status == COLLAPSED
        self.collapsed_for[collapsed] += 1
        reopen = collapsed & (self.collapsed_for > self.dyn["reopen_after"][:, None])
        self.status[reopen] = OPEN
        self.collapsed_for[reopen] = 0
        self.reset_talks(reopen)

    def revise_trust(self) -> None:
        d = self.dyn
        col = lambda name: d[name][:, None, None]  # noqa: E731
        vouched = vouch(self.trust, self.links["mediation"], col("vouching_rate"))
        signal = trust_signal(
            self.actions, self.rhetoric, col("action_weight"), col("rhetoric_weight")
        )
        rows = update_trust(self.trust, signal, col("trust_gain_rate"), col("trust_loss_rate"))
        rows = rows + vouched - self.trust
        rows = decay_toward(np.clip(rows, 0.0, 1.0), self.trust0, col("trust_decay"))
        diag = np.arange(self.c.n)
        rows[:, diag, diag] = 1.0
        self.trust = rows
        self.actions[:] = 0.0
        self.rhetoric[:] = 0.0

    # -- results ----------------------------------------------------------------------------
    def summary_rows(self, seeds: list[int], steps: int) -> list[dict[str, Any]]:
        c = self.c
        rapp = self.rapprochement()
        mean = self.mean_trust()
        principals = [i for i, role in enumerate(c.roles) if role == "principal"]
        rows = []
        for r, sc in enumerate(self.scenarios):
            row: dict[str, Any] = {
                "scenario": sc.name,
                "seed": seeds[r],
                "steps": steps,
                "end_date": pd.Timestamp(sc.run.date_of(steps)),
                "rapprochement_index": float(rapp[r]),
                "mean_trust": float(mean[r]),
                "agreements": int(self.n_agreements[r]),
                "implemented": int(self.n_implemented[r]),
                "collapsed": int(self.n_collapsed[r]),
                "incidents": int(self.n_incidents[r]),
                "vetoes": int(self.n_vetoes[r]),
            }
            for i in principals:
                for j in principals:
                    if i != j:
                        row[f"trust_{c.actors[i]}_{c.actors[j]}"] = float(self.trust[r, i, j])
            for k, issue in enumerate(c.issues):
                first = int(self.first_agreed[r, k])
                row[f"weeks_to_agreement_{issue}"] = (
                    first * sc.run.step_days / 7 if first >= 0 else np.nan
                )
                row[f"status_{issue}"] = STATUS_NAMES[self.status[r, k]]
            for q, spec in enumerate(c.quantities):
                row[f"delivered_{c.issues[spec.issue]}_{spec.name}"] = float(self.delivered[r, q])
            rows.append(row)
        return rows

    def final(self) -> dict[str, np.ndarray]:
        return {
            "trust": self.trust.copy(),
            "status": self.status.copy(),
            "terms": self.terms.copy(),
            "progress": self.progress.copy(),
            "delivered": self.delivered.copy(),
            "pressure": self.pressure.copy(),
            "support": self.support.copy(),
        }


# -- assembling and the Mesa fallback ---------------------------------------------------------
def _pad(arrays: list[tuple[np.ndarray, np.ndarray]], r: int, length: int) -> np.ndarray:
    """Stack per-part (idx, array (len(idx), T, ...)) into (r, length, ...), padded."""
    sample = arrays[0][1]
    fill: Any = -1 if sample.dtype.kind in "iu" else np.nan
    out = np.full((r, length, *sample.shape[2:]), fill, dtype=sample.dtype)
    for idx, arr in arrays:
        out[idx, : arr.shape[1]] = arr
    return out


def _assemble(
    parts: list[tuple[np.ndarray, _Batch]],
    r: int,
    seeds: list[int],
    step_list: list[int],
    keep_history: bool,
) -> BatchResult:
    rows: list[dict[str, Any]] = [{} for _ in range(r)]
    finals: dict[str, np.ndarray] = {}
    for idx, batch in parts:
        batch_rows = batch.summary_rows([seeds[i] for i in idx], step_list[idx[0]])
        for pos, row in zip(idx, batch_rows, strict=True):
            rows[pos] = row
        for name, arr in batch.final().items():
            if name not in finals:
                finals[name] = np.zeros((r, *arr.shape[1:]), dtype=arr.dtype)
            finals[name][idx] = arr
    history = None
    if keep_history:
        length = max(step_list) + 1
        history = {
            name: _pad([(idx, np.stack(b.history[name], axis=1)) for idx, b in parts], r, length)
            for name in HISTORY_NAMES
        }
    return BatchResult(rows, finals, history, seeds, step_list, ["batch"] * r)


def _run_mesa(
    scenarios: list[Scenario], seeds: list[int], step_list: list[int], keep_history: bool
) -> BatchResult:
    from lsr_sim.experiment import summary_row
    from lsr_sim.model import NegotiationModel

    r = len(scenarios)
    rows = []
    finals: dict[str, list[np.ndarray]] = {
        k: [] for k in ("trust", "status", "terms", "progress", "delivered", "pressure", "support")
    }
    hist: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {name: [] for name in HISTORY_NAMES}
    for pos, (sc, seed, steps) in enumerate(zip(scenarios, seeds, step_list, strict=True)):
        model = NegotiationModel(sc, rng=seed)
        model.run_for(steps)
        rows.append(summary_row(model, seed=seed, steps=steps))
        for k in finals:
            finals[k].append(np.asarray(getattr(model, k)).copy())
        if keep_history:
            for name in HISTORY_NAMES:
                arr = np.array(model.datacollector.model_vars[name])
                hist[name].append((np.array([pos]), arr[None]))
    history = None
    if keep_history:
        length = max(step_list) + 1
        history = {name: _pad(hist[name], r, length) for name in HISTORY_NAMES}
    return BatchResult(
        rows,
        {k: np.stack(v) for k, v in finals.items()},
        history,
        seeds,
        step_list,
        ["mesa"] * r,
    )
