"""The negotiation phase: packages, one round of talks per package, vetoes and deals.

Each step, every run groups the issues on its table into packages (:func:`plan_packages`, a
pure function of what is on the table). Packages are negotiated in order: slot j holds each
run's j-th package. Within a slot, runs whose packages sit at the same table, have as many
issues and follow the same protocol form one group; the group's tables are gathered into one
:class:`lsr_sim.protocols.Table` with a leading run axis, the protocol runs one round for all of
them (a protocol that does not take a run axis runs once per run), and the results are
written back, with vetoes, lapses and agreements, by :func:`settle`.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import numpy as np

from lsr_sim.dynamics.status import ON_TABLE
from lsr_sim.jit import njit
from lsr_sim.kernel.compiled import agree, find_veto, lapse, observe_deed
from lsr_sim.protocols.base import NegotiationProtocol, RoundResult, Table, takes_run_axis
from lsr_sim.strategies import Strategy

if TYPE_CHECKING:
    from lsr_sim.kernel.core import Journal, Kernel

__all__ = [
    "AGREED_DEAL",
    "NO_DEAL",
    "VETOED",
    "gather",
    "negotiate",
    "plan_packages",
    "run_protocol",
    "settle",
    "take_runs",
]

NO_DEAL, AGREED_DEAL, VETOED = 0, 1, 2


@njit
def _priorities_differ(s, p, r, group, size):
    """Whether the parties' most salient issues in `group` differ (first maximum wins)."""
    t = p.table_of_issue[group[0]]
    parties = p.table_parties[t, : p.table_size[t]]
    top = -1
    for q in parties:
        best = 0
        for c in range(1, size):
            if s.salience[r, q, group[c]] > s.salience[r, q, group[best]]:
                best = c
        if top >= 0 and best != top:
            return True
        top = best
    return False


@njit
def plan_packages(s, p, plan, length, count):
    """Group each run's issues on the table into packages, in the order they are negotiated.

    Issues form a package when they are linked (directly or through others on the table), sit
    at the same table, and the parties' priorities among them differ (so that trading makes
    sense); otherwise each is negotiated alone. Packages are ordered by their first issue.
    Writes ``plan[r, j, :length[r, j]]`` (the issues of run r's j-th package, sorted) and
    ``count[r]``.
    """
    m = s.status.shape[1]
    group = np.empty(m, dtype=np.int64)
    ordered = np.empty(m, dtype=np.int64)
    frontier = np.empty(m, dtype=np.int64)
    seen = np.zeros(m, dtype=np.bool_)
    # The records' fields, read once: each read of a field costs reference counting.
    status, package_deals, linked, table_of_issue = (
        s.status,
        p.package_deals,
        p.linked,
        p.table_of_issue,
    )
    for r in range(status.shape[0]):
        for k in range(m):
            seen[k] = False
        packages = 0
        for k in range(m):
            if status[r, k] != ON_TABLE or seen[k]:
                continue
            group[0] = k
            size = 1
            frontier[0] = k
            top = 1
            seen[k] = True
            while top > 0 and package_deals[r]:
                top -= 1
                j = frontier[top]
                for other in range(m):
                    if (
                        status[r, other] == ON_TABLE
                        and not seen[other]
                        and linked[j, other]
                        and table_of_issue[other] == table_of_issue[j]
                    ):
                        seen[other] = True
                        group[size] = other
                        size += 1
                        frontier[top] = other
                        top += 1
            # The package's issues in increasing order (insertion sort: a few issues).
            for c in range(size):
                value = group[c]
                d = c
                while d > 0 and ordered[d - 1] > value:
                    ordered[d] = ordered[d - 1]
                    d -= 1
                ordered[d] = value
            if size > 1 and not _priorities_differ(s, p, r, group, size):
                for c in range(size):
                    plan[r, packages, 0] = ordered[c]
                    length[r, packages] = 1
                    packages += 1
            else:
                for c in range(size):
                    plan[r, packages, c] = ordered[c]
                length[r, packages] = size
                packages += 1
        count[r] = packages


@njit
def gather(s, p, rows, issues, t, out):
    """Copy what the protocol may see of table t into the group arrays of `out`.

    `out` is (ideal, salience, status_quo, capability, reservation, trust, round, deadline,
    previous_offers, previous_aspiration, previous_concession, logrolling), each with a
    leading axis over the group's runs `rows`; runs in their first round of these talks get
    NaN previous offers, aspiration 1 and no concession. The parties' ideals are taken only up
    to the end of the issue's current phase: a deal settles one phase at a time.
    """
    ideal, salience, status_quo, capability, reservation, trust = out[:6]
    rounds, deadline, offers, aspiration, concession, logrolling = out[6:]
    # The records' fields, read once: each read of a field costs reference counting.
    s_status_quo, s_rounds, s_offers, s_salience = s.status_quo, s.rounds, s.offers, s.salience
    s_aspiration, s_concession, s_trust, cap = s.aspiration, s.concession, s.trust, s.cap
    p_ideal, p_capability, p_reservation = p.ideal, p.capability, p.reservation
    talks_timeout, p_logrolling = p.talks_timeout, p.logrolling
    parties = p.table_parties[t, : p.table_size[t]]
    size = issues.shape[1]
    for g in range(rows.shape[0]):
        r = rows[g]
        lead = issues[g, 0]
        first = False
        most = 0
        for c in range(size):
            k = issues[g, c]
            status_quo[g, c] = s_status_quo[r, k]
            most = max(most, s_rounds[r, k])
            for a in range(parties.shape[0]):
                q = parties[a]
                ideal[g, a, c] = min(p_ideal[r, q, k], cap[r, k])
                salience[g, a, c] = s_salience[r, q, k]
                offers[g, a, c] = s_offers[r, k, q]
                first = first or not np.isfinite(s_offers[r, k, q])
        rounds[g] = most
        deadline[g] = talks_timeout[r]
        logrolling[g] = p_logrolling[r]
        for a in range(parties.shape[0]):
            q = parties[a]
            capability[g, a] = p_capability[r, q]
            reservation[g, a] = p_reservation[r, q]
            aspiration[g, a] = 1.0 if first else s_aspiration[r, lead, q]
            for b in range(parties.shape[0]):
                trust[g, a, b] = s_trust[r, q, parties[b]]
                concession[g, a, b] = 0.0 if first else s_concession[r, lead, q, parties[b]]
        if first:
            for c in range(size):
                for a in range(parties.shape[0]):
                    offers[g, a, c] = np.nan


@njit
def settle(s, p, rows, issues, t, result, step, outcome, holder, pressed):
    """Write one round's results back into each run of the group, then vetoes, lapses, deals.

    `result` is (offers, aspiration, concession, terms) with the group axis first (terms NaN
    where the parties did not agree). The round's concessions are seen as deeds; a veto player
    may block agreed terms (the blocked party is then seen as giving in); talks that reach
    their deadline without a deal lapse. `outcome` gets NO_DEAL, AGREED_DEAL or VETOED per
    run, `holder` and `pressed` the veto's actors.
    """
    offers, aspiration, concession, terms = result
    # The records' fields, read once: each read of a field costs reference counting.
    s_offers, s_aspiration, s_concession, s_rounds = s.offers, s.aspiration, s.concession, s.rounds
    actions, words_pos, words_neg = s.actions, s.words_pos, s.words_neg
    concession_scale, concession_weight = p.concession_scale, p.concession_weight
    talks_timeout = p.talks_timeout
    parties = p.table_parties[t, : p.table_size[t]]
    size = issues.shape[1]
    for g in range(rows.shape[0]):
        r = rows[g]
        for c in range(size):
            k = issues[g, c]
            for a in range(parties.shape[0]):
                q = parties[a]
                s_offers[r, k, q] = offers[g, a, c]
                s_aspiration[r, k, q] = aspiration[g, a]
                for b in range(parties.shape[0]):
                    s_concession[r, k, q, parties[b]] = concession[g, a, b]
            s_rounds[r, k] += 1
        scale = concession_scale[r]
        weight = concession_weight[r]
        for a in range(parties.shape[0]):
            for b in range(parties.shape[0]):
                # A concession at the table is seen; under the evidence and surprise models it
                # counts as words until it is carried out (the signals model counts it as a deed).
                seen = min(max(concession[g, a, b] / scale, -1.0), 1.0) * weight
                actions[r, parties[a], parties[b]] += seen
                if seen >= 0:
                    words_pos[r, parties[a], parties[b]] += seen
                else:
                    words_neg[r, parties[a], parties[b]] -= seen
        agreed = True
        for c in range(size):
            agreed = agreed and np.isfinite(terms[g, c])
        h, q = -1, -1
        if agreed:
            h, q = find_veto(s, p, r, issues[g], parties, terms[g])
        if not agreed or h >= 0:
            for c in range(size):
                if s_rounds[r, issues[g, c]] >= talks_timeout[r]:
                    lapse(s, r, issues[g, c])
        holder[g], pressed[g] = h, q
        if h >= 0:
            s.n_vetoes[r] += 1
            for c in range(size):
                s.vetoed[r, issues[g, c]] += 1
            for other in parties:
                if other != q:
                    observe_deed(s, r, other, q, -0.5 * weight)
            outcome[g] = VETOED
        elif agreed:
            agree(s, r, issues[g], terms[g], step)
            for c in range(size):
                if s.negotiated_step[r, issues[g, c]] < 0:
                    s.negotiated_step[r, issues[g, c]] = step
                    s.negotiated_terms[r, issues[g, c]] = terms[g, c]
            outcome[g] = AGREED_DEAL
        else:
            outcome[g] = NO_DEAL


# -- the phase -------------------------------------------------------------------------------
def take_runs(strategy: Strategy, rows: np.ndarray | int) -> Strategy:
    """The strategy of some runs: parameters that are arrays over runs are indexed by `rows`
    (an array of run indices, or one run's index for scalar parameters).

    A strategy of one run (scalar parameters) is returned as it is. The copy is built without
    ``__init__``, whose checks expect scalars; ``decide`` works elementwise either way.

    Examples
    --------
    >>> from lsr_sim.strategies import Boulware
    >>> both = take_runs(Boulware(), 0)
    >>> both
    Boulware(exponent=4.0, floor=0.0)
    """
    values = {f.name: getattr(strategy, f.name) for f in dataclasses.fields(strategy)}
    if not any(np.ndim(v) for v in values.values()):
        return strategy
    obj = object.__new__(type(strategy))
    for name, value in values.items():
        picked = np.asarray(value)[rows]
        object.__setattr__(obj, name, float(picked) if np.ndim(picked) == 0 else picked)
    return obj


def _gather_table(k: Kernel, rows: np.ndarray, issues: np.ndarray, t: int) -> Table:
    g, size = issues.shape
    parties = k.structure.compiled.tables[t]
    n_p = len(parties)
    arrays = (
        np.empty((g, n_p, size)),
        np.empty((g, n_p, size)),
        np.empty((g, size)),
        np.empty((g, n_p)),
        np.empty((g, n_p)),
        np.empty((g, n_p, n_p)),
        np.empty(g, dtype=np.int64),
        np.empty(g, dtype=np.int64),
        np.empty((g, n_p, size)),
        np.empty((g, n_p)),
        np.empty((g, n_p, n_p)),
        np.empty(g),
    )
    gather(k.sref, k.pref, rows, issues, t, arrays)
    return Table(
        ideal=arrays[0],
        salience=arrays[1],
        status_quo=arrays[2],
        capability=arrays[3],
        reservation=arrays[4],
        trust=arrays[5],
        # A kernel of one run holds the scenario's own strategies (scalar parameters).
        strategies=tuple(
            k.strategies[q] if k.runs == 1 else take_runs(k.strategies[q], rows) for q in parties
        ),
        round=arrays[6],
        deadline=arrays[7],
        previous_offers=arrays[8],
        previous_aspiration=arrays[9],
        previous_concession=arrays[10],
        logrolling=arrays[11],
    )


def _one_run(table: Table, g: int) -> Table:
    """Run g of a table with a run axis, as the single-run table classic protocols take."""
    previous = table.previous_offers
    assert previous is not None
    first = not np.isfinite(previous[g]).all()
    return Table(
        ideal=table.ideal[g],
        salience=table.salience[g],
        status_quo=table.status_quo[g],
        capability=table.capability[g],
        reservation=table.reservation[g],
        trust=table.trust[g],
        strategies=tuple(take_runs(s, g) for s in table.strategies),
        round=int(np.asarray(table.round)[g]),
        deadline=int(np.asarray(table.deadline)[g]),
        previous_offers=None if first else previous[g],
        previous_aspiration=table.previous_aspiration[g],
        previous_concession=table.previous_concession[g],
        logrolling=float(np.asarray(table.logrolling)[g]),
    )


def run_protocol(protocol: NegotiationProtocol, table: Table) -> tuple[np.ndarray, ...]:
    """One round of `protocol` at a table with a run axis: (offers, aspiration, concession,
    terms) with the run axis first, terms NaN where the parties did not agree."""
    if takes_run_axis(protocol):
        result = protocol.negotiate(table)
        terms = result.terms
        assert terms is not None
        return result.offers, result.aspiration, result.concession, terms
    rounds: list[RoundResult] = [
        protocol.negotiate(_one_run(table, g)) for g in range(table.ideal.shape[0])
    ]
    size = table.ideal.shape[-1]
    return (
        np.stack([res.offers for res in rounds]),
        np.stack([res.aspiration for res in rounds]),
        np.stack([res.concession for res in rounds]),
        np.stack(
            [np.full(size, np.nan) if res.terms is None else res.terms for res in rounds]
        ).reshape(len(rounds), size),
    )


def negotiate(k: Kernel, step: int, journal: Journal | None = None) -> None:
    """Every run negotiates its packages in order, one round each (see the module docstring)."""
    s = k.state
    r, m = s.status.shape
    if not (s.status == ON_TABLE).any():
        return
    plan = np.full((r, m, m), -1, dtype=np.int64)
    length = np.zeros((r, m), dtype=np.int64)
    count = np.zeros(r, dtype=np.int64)
    plan_packages(k.sref, k.pref, plan, length, count)
    c = k.structure.compiled
    for j in range(int(count.max())):
        active = np.flatnonzero(count > j)
        lead = plan[active, j, 0]
        size = length[active, j]
        table = c.table_of_issue[lead]
        protocol = k.protocol_index[lead]
        key = (table * (m + 1) + size) * len(k.protocols) + protocol
        for value in np.unique(key):
            rows = active[key == value]
            first = np.flatnonzero(key == value)[0]
            t, width = int(table[first]), int(size[first])
            issues = np.ascontiguousarray(plan[rows, j, :width])
            result = run_protocol(
                k.protocols[int(protocol[first])], _gather_table(k, rows, issues, t)
            )
            outcome = np.zeros(rows.size, dtype=np.int64)
            holder = np.zeros(rows.size, dtype=np.int64)
            pressed = np.zeros(rows.size, dtype=np.int64)
            settle(
                k.sref,
                k.pref,
                rows,
                issues,
                t,
                tuple(np.ascontiguousarray(a) for a in result),
                step,
                outcome,
                holder,
                pressed,
            )
            if journal is not None:
                for g, run in enumerate(rows):
                    package = [int(i) for i in issues[g]]
                    if outcome[g] == VETOED:
                        journal.veto(int(run), int(holder[g]), int(pressed[g]), package)
                    elif outcome[g] == AGREED_DEAL:
                        journal.deal(int(run), package, "negotiation")
