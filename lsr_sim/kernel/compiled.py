"""The step's phases as compiled functions over the run axis (see :mod:`lsr_sim.kernel`).

Every function takes the state ``s`` and the inputs ``p`` (numba structures of the arrays in
:class:`lsr_sim.kernel.State` and :class:`lsr_sim.kernel.Params`) and loops over runs; a phase
that belongs to one actor takes its index. Each applies the rules of :mod:`lsr_sim.dynamics`
(compiled, :mod:`lsr_sim.dynamics.compiled`) to one run's numbers at a time, so a run's
arithmetic does not depend on how many other runs share the call. Nothing here draws random
numbers or calls a strategy: the Python phases (:mod:`lsr_sim.kernel.phases`) do that between
these calls. Outputs that the Mesa model logs (who convened what, which incidents struck) are
written into arrays the caller passes.
"""

from __future__ import annotations

import numpy as np

from lsr_sim.dynamics import compiled as rules
from lsr_sim.dynamics.status import AGREED, COLLAPSED, IMPLEMENTED, IMPLEMENTING, ON_TABLE, OPEN
from lsr_sim.jit import njit, njit_inline
from lsr_sim.kernel.records import (
    ACTION,
    AGREE,
    ATTENTION,
    COMPLIANCE_DRAWS,
    CONVENE,
    DIRECT_DRAWS,
    EVIDENCE,
    INCIDENT_DRAWS,
    LINK,
    MEDIATION_DRAWS,
    NO_LEARNING,
    PRIORITY,
    SETBACK,
    SHOCK,
    SIGNAL,
    SIGNALS,
)

__all__ = [
    "agree",
    "apply_effect",
    "carry_out",
    "commit_trust",
    "convene",
    "direct_talks",
    "find_veto",
    "mean_trust",
    "mediate",
    "mediation_view",
    "position",
    "rapprochement",
    "record_implementation",
    "reopen_collapsed",
    "revise_trust",
    "start_implementation",
    "strike_incidents",
    "vouch_all",
]

CHANNEL, MEDIATION, PATRONAGE, PRESSURE = 0, 1, 2, 3  # index into State.links (LINK_TYPES)


# -- small helpers ---------------------------------------------------------------------------
@njit_inline
def _table(p, t):
    """The party indices of table t."""
    return p.table_parties[t, : p.table_size[t]]


@njit_inline
def _trust_gap(trust, r, parties, block):
    """1 minus the parties' mean trust in each other in run r (off-diagonal entries, row by
    row; `block` is a scratch array of at least n (n - 1) entries)."""
    size = parties.shape[0]
    c = 0
    for a in range(size):
        for b in range(size):
            if a != b:
                block[c] = trust[r, parties[a], parties[b]]
                c += 1
    return 1.0 - rules.numpy_mean(block[:c])


@njit
def reset_talks(s, r, k):
    """Forget talks on issue k of run r entirely (a new issue, after a collapse or a phase)."""
    s.rounds[r, k] = 0
    s.offers[r, k, :] = np.nan
    s.aspiration[r, k, :] = 1.0
    s.concession[r, k, :, :] = 0.0


@njit
def pause_talks(s, r, k):
    """Restart the talks' clock, keeping the parties' last offers and aspirations: talks that
    lapse and are convened again resume where they stopped rather than start over."""
    s.rounds[r, k] = 0
    s.concession[r, k, :, :] = 0.0


@njit
def lapse(s, r, k):
    """Talks on issue k of run r end without a deal (positions are remembered)."""
    s.status[r, k] = OPEN
    pause_talks(s, r, k)


@njit
def convene(s, p, r, issues, mediator, convened):
    """Put the open or collapsed ones among `issues` (an (m,) mask) on the table in run r.

    Meeting is read as positive rhetoric between all the parties who meet. The issues put on
    the table are marked in `convened` (an (m,) mask); returns whether there was any.
    """
    n = s.trust.shape[1]
    met = np.zeros(n, dtype=np.bool_)
    any_ = False
    for k in range(issues.shape[0]):
        if issues[k] and (s.status[r, k] == OPEN or s.status[r, k] == COLLAPSED):
            s.status[r, k] = ON_TABLE
            s.mediator_of[r, k] = mediator
            pause_talks(s, r, k)
            convened[k] = True
            any_ = True
            for i in range(n):
                if p.parties[k, i]:
                    met[i] = True
    if any_:
        for i in range(n):
            for j in range(n):
                if met[i] and met[j] and i != j:
                    s.rhetoric[r, i, j] += 0.5
                    s.words_pos[r, i, j] += 0.5
    return any_


@njit
def agree(s, r, issues, terms, step):
    """Run r agrees on `issues` at `terms` (one deal)."""
    s.n_agreements[r] += 1
    for c in range(issues.shape[0]):
        k = issues[c]
        s.status[r, k] = AGREED
        s.agreed_step[r, k] = step
        s.terms[r, k] = terms[c]
        s.progress[r, k] = 0.0
        if s.first_agreed[r, k] < 0:
            s.first_agreed[r, k] = step


# -- what each actor sees --------------------------------------------------------------------
@njit
def observe_deed(s, r, i, j, value):
    """Actor i sees actor j do something worth `value` (negative: hostile, or a broken word)."""
    s.actions[r, i, j] += value
    if value >= 0:
        s.deeds_pos[r, i, j] += value
    else:
        s.deeds_neg[r, i, j] -= value


@njit
def observe_words(s, r, i, j, value):
    """Actor i hears actor j say something worth `value` (negative: hostile)."""
    s.rhetoric[r, i, j] += value
    if value >= 0:
        s.words_pos[r, i, j] += value
    else:
        s.words_neg[r, i, j] -= value


@njit
def _belief(s, p, r, i, j):
    return rules.reliability_belief(
        p.trust0[r, i, j], p.trust_prior_weight[r], s.kept[r, i, j], s.broken[r, i, j]
    )


@njit
def _shock(s, p, r, i, j, delta):
    """A dated shock moves trust at once; under the evidence model it is evidence that fades."""
    if p.trust_model[r] == EVIDENCE:
        kept, broken = rules.evidence_for_shift(
            p.trust0[r, i, j], p.trust_prior_weight[r], s.kept[r, i, j], s.broken[r, i, j], delta
        )
        s.kept[r, i, j] = kept
        s.broken[r, i, j] = broken
        s.trust[r, i, j] = _belief(s, p, r, i, j)
    else:
        s.trust[r, i, j] = rules.shock(s.trust[r, i, j], 1.0, delta)


# -- effects ---------------------------------------------------------------------------------
@njit
def apply_effect(s, p, r, e, step, convened):
    """Apply effect e in run r; returns whether it changed anything that is logged as a deal
    or a meeting (an agreement made, issues convened)."""
    n = s.trust.shape[1]
    kind = p.effect_type[e]
    value = p.effect_value[r, e]
    if kind == SHOCK:
        for i in range(n):
            for j in range(n):
                if p.effect_hits[e, i, j]:
                    _shock(s, p, r, i, j, value)
    elif kind == SIGNAL:
        actor = p.effect_actor[e]
        for other in range(n):
            for _ in range(p.effect_toward[e, other]):
                if p.effect_channel[e] == ACTION:
                    observe_deed(s, r, other, actor, value)
                else:
                    observe_words(s, r, other, actor, value)
    elif kind == CONVENE:
        return convene(s, p, r, p.effect_issues[e], p.effect_mediator[e], convened)
    elif kind == AGREE:
        k = p.effect_issue[e]
        status = s.status[r, k]
        if status in (OPEN, ON_TABLE, COLLAPSED):
            if p.effect_mediator[e] >= 0:
                s.mediator_of[r, k] = p.effect_mediator[e]
            if status == COLLAPSED:
                s.status[r, k] = OPEN
            agree(s, r, np.array([k]), np.array([value]), step)
            return True
    elif kind == SETBACK:
        k = p.effect_issue[e]
        if s.status[r, k] == ON_TABLE:
            lapse(s, r, k)
        if s.status[r, k] == IMPLEMENTING:  # what is implemented stays implemented
            s.progress[r, k] = max(0.0, s.progress[r, k] - value)
    elif kind == LINK:
        s.links[r, p.effect_channel[e], p.effect_actor[e], p.effect_other[e]] = value
    elif kind == ATTENTION:
        s.attention[r, p.effect_actor[e]] = value
    elif kind == PRIORITY:
        a, k = p.effect_actor[e], p.effect_issue[e]
        s.salience[r, a, k] = max(s.salience[r, a, k] + value, 0.0)
        total = np.sum(s.salience[r, a])
        if total > 0:
            s.salience[r, a] /= total
    return False


@njit
def apply_event_effect(s, p, e, step, taken, convened):
    """Apply effect e in every run (a dated event); `taken` (R,) and `convened` (R, m) as in
    :func:`apply_effect`."""
    for r in range(s.trust.shape[0]):
        taken[r] = apply_effect(s, p, r, e, step, convened[r])


@njit
def strike_incidents(s, p, step, hit, taken, convened):
    """Random incidents strike, each with its probability; their effects apply at once.

    `hit` (R, I) marks the incidents that struck, `taken` (R, E) the effects that made a deal
    or a meeting (see :func:`apply_effect`).
    """
    offset = p.draw_offsets[INCIDENT_DRAWS]
    pressure, draws, rate, spoiler, boost = (
        s.pressure,
        s.draws,
        p.incident_rate,
        p.incident_spoiler,
        p.spoiler_boost,
    )
    for r in range(pressure.shape[0]):
        top = np.max(pressure[r])
        for k in range(rate.shape[1]):
            chance = rules.incident_probability(rate[r, k], spoiler[k], top, boost[r])
            if draws[r, offset + k] < chance:
                hit[r, k] = True
                s.n_incidents[r] += 1
                s.struck[r, k] += 1
                if p.incident_veto[k]:
                    s.n_vetoes[r] += 1
                first, count = p.incident_effects[k, 0], p.incident_effects[k, 1]
                for e in range(first, first + count):
                    taken[r, e] = apply_effect(s, p, r, e, step, convened[r])


# -- policies --------------------------------------------------------------------------------
@njit
def spoiler_view(s, p, i, threat, distrust):
    """What spoiler i observes in each run: `threat` (R,) and its `distrust` (R,) of the
    actors it presses (0 if it presses nobody)."""
    # The records' fields, read once: each read of a field costs reference counting.
    s_links = s.links
    s_progress = s.progress
    s_salience = s.salience
    s_status = s.status
    s_trust = s.trust
    p_vetoes = p.vetoes
    n, m = s.trust.shape[1], s.status.shape[1]
    vetoed = p_vetoes[:, i].copy()
    stage = np.empty(m)
    for r in range(s.trust.shape[0]):
        for k in range(m):
            stage[k] = rules.issue_stage(s_status[r, k], s_progress[r, k])
        threat[r] = rules.spoiler_threat(stage, s_salience[r, i], vetoed)
        total, count = 0.0, 0
        for q in range(n):
            if q != i and s_links[r, PRESSURE, i, q] > 0:
                total += s_trust[r, i, q]
                count += 1
        distrust[r] = 1.0 - total / count if count > 0 else 0.0


@njit
def backer_view(s, p, i, progress):
    """What backer i observes in each run: salience-weighted progress, `progress` (R,)."""
    # The records' fields, read once: each read of a field costs reference counting.
    s_progress = s.progress
    s_salience = s.salience
    s_status = s.status
    m = s.status.shape[1]
    for r in range(s.trust.shape[0]):
        total = 0.0
        for k in range(m):
            total += s_salience[r, i, k] * rules.issue_stage(s_status[r, k], s_progress[r, k])
        progress[r] = total


# -- convening -------------------------------------------------------------------------------
@njit
def _received(s, r, out):
    """Support each actor receives from its patrons in run r, as far as it trusts them
    (into `out`, (n,), which is returned)."""
    return rules.backer_support(s.links[r, PATRONAGE], s.support[r], s.trust[r], out)


@njit
def _attention(s, r, parties):
    total = 0.0
    for q in parties:
        total += s.attention[r, q]
    return total / parties.shape[0]


@njit_inline
def _waiting(s, p, r, t, k, mediator):
    """Issue k waits at table t in run r: open there (and, with a mediator, cared about)."""
    if p.table_of_issue[k] != t or s.status[r, k] != OPEN:
        return False
    return mediator < 0 or s.salience[r, mediator, k] > 0


@njit
def mediation_view(s, p, i, go, gap, received):
    """What mediator i observes: for each run and table, whether it can convene (`go`,
    (R, T)), the parties' distrust (`gap`, (R, T)), and its backers' support (`received`, (R,))."""
    n, m = s.trust.shape[1], s.status.shape[1]
    trust, links = s.trust, s.links
    support = np.empty(n)
    block = np.empty(n * (n - 1))
    for r in range(trust.shape[0]):
        received[r] = _received(s, r, support)[i]
        for t in range(p.table_size.shape[0]):
            parties = _table(p, t)
            reach = np.inf
            seated = False
            for q in parties:
                reach = min(reach, links[r, MEDIATION, i, q])
                seated = seated or q == i
            waiting = False
            for k in range(m):
                waiting = waiting or _waiting(s, p, r, t, k, i)
            go[r, t] = waiting and reach > 0 and not seated
            gap[r, t] = _trust_gap(trust, r, parties, block)


@njit
def mediate(s, p, i, go, effort, received, convened):
    """Mediator i, with `effort` (R, T) from its strategy, may convene each table it can."""
    m = s.status.shape[1]
    offset = p.draw_offsets[MEDIATION_DRAWS] + i * p.table_size.shape[0]
    waiting = np.zeros(m, dtype=np.bool_)
    for r in range(s.trust.shape[0]):
        for t in range(p.table_size.shape[0]):
            if not go[r, t]:
                continue
            parties = _table(p, t)
            reach = np.inf
            trust_in_me = np.empty(parties.shape[0])
            for a in range(parties.shape[0]):
                reach = min(reach, s.links[r, MEDIATION, i, parties[a]])
                trust_in_me[a] = s.trust[r, parties[a], i]
            chance = rules.convening_probability(
                p.capability[r, i],
                rules.numpy_mean(trust_in_me),
                received[r],
                reach,
                effort[r, t],
                p.mediation_rate[r],
                p.backer_weight[r],
            )
            if s.draws[r, offset + t] < chance:
                for k in range(m):
                    waiting[k] = _waiting(s, p, r, t, k, i)
                convene(s, p, r, waiting, i, convened[r])


@njit
def direct_talks(s, p, convened):
    """The parties at a table with open issues may meet without a mediator."""
    # The records' fields, read once: each read of a field costs reference counting.
    s_draws = s.draws
    s_links = s.links
    p_direct_talks_rate = p.direct_talks_rate
    p_draw_offsets = p.draw_offsets
    n, m = s.trust.shape[1], s.status.shape[1]
    offset = p_draw_offsets[DIRECT_DRAWS]
    waiting = np.zeros(m, dtype=np.bool_)
    block = np.empty(n * (n - 1))
    for r in range(s.trust.shape[0]):
        for t in range(p.table_size.shape[0]):
            any_ = False
            for k in range(m):
                waiting[k] = _waiting(s, p, r, t, k, -1)
                any_ = any_ or waiting[k]
            if not any_:
                continue
            parties = _table(p, t)
            channel = np.inf
            for a in parties:
                for b in parties:
                    if a != b:
                        channel = min(channel, s_links[r, CHANNEL, a, b])
            chance = _attention(s, r, parties) * rules.direct_talks_probability(
                1.0 - _trust_gap(s.trust, r, parties, block), channel, p_direct_talks_rate[r]
            )
            if s_draws[r, offset + t] < chance:
                convene(s, p, r, waiting, -1, convened[r])


# -- vetoes ----------------------------------------------------------------------------------
@njit
def find_veto(s, p, r, issues, parties, terms):
    """(veto holder, pressured party) when a veto player blocks `terms` on `issues` in run r,
    else (-1, -1). Holders in index order, then parties in order: the first whose leverage
    over a party beats that party's resolve, stiffened by its patrons' support."""
    n = s.trust.shape[1]
    backing = _received(s, r, np.empty(n))
    for h in range(n):
        holds = False
        for c in range(issues.shape[0]):
            holds = holds or p.vetoes[issues[c], h]
        if not holds:
            continue
        stake = 0.0
        for c in range(issues.shape[0]):
            k = issues[c]
            g = rules.gain(terms[c], p.ideal[r, h, k], s.status_quo[r, k])
            stake += s.salience[r, h, k] * g * p.vetoes[k, h]
        if stake >= 0:
            continue
        for q in parties:
            lev = s.pressure[r, h] * rules.leverage(
                s.links[r, PRESSURE, h, q],
                p.capability[r, h],
                p.capability[r, q],
                p.veto_strength[r],
            )
            resolve = rules.effective_resolve(p.resolve[r, q], backing[q], p.backing_weight[r])
            if lev > resolve:
                return h, q
    return -1, -1


# -- implementation --------------------------------------------------------------------------
@njit
def start_implementation(s, step):
    """Deals agreed in an earlier step start being carried out; nobody has complied yet."""
    for r in range(s.status.shape[0]):
        for k in range(s.status.shape[1]):
            if s.status[r, k] == AGREED and s.agreed_step[r, k] < step:
                s.status[r, k] = IMPLEMENTING
                s.stall_streak[r, k, :] = 0
                s.other_complied[r, k, :] = 1.0
    s.complied[:] = False


@njit
def _spoiler_drag(s, p, r, i, k):
    """Compliance party i loses on issue k to the veto players pressing it."""
    drag = -np.inf
    for h in range(s.trust.shape[1]):
        if p.vetoes[k, h]:
            drag = max(drag, s.links[r, PRESSURE, h, i] * s.pressure[r, h])
    if drag == -np.inf:
        return 0.0
    return p.spoiler_drag[r] * drag


@njit
def carry_out(s, p, i):
    """Actor i complies or stalls on every deal being implemented at which it is a party."""
    # The records' fields, read once: each read of a field costs reference counting.
    s_attention = s.attention
    s_complied = s.complied
    s_draws = s.draws
    s_other_complied = s.other_complied
    s_status = s.status
    s_trust = s.trust
    p_compliance_trust_weight = p.compliance_trust_weight
    p_draw_offsets = p.draw_offsets
    p_incentive_weight = p.incentive_weight
    p_parties = p.parties
    p_reciprocity = p.reciprocity
    p_reliability = p.reliability
    n, m = s.trust.shape[1], s.status.shape[1]
    offset = p_draw_offsets[COMPLIANCE_DRAWS]
    support = np.empty(n)
    others = np.empty(n - 1)
    for r in range(s.status.shape[0]):
        incentive = -1.0
        for k in range(m):
            if s_status[r, k] != IMPLEMENTING or not p_parties[k, i]:
                continue
            if incentive < 0:
                incentive = p_incentive_weight[r] * _received(s, r, support)[i]
            c = 0
            for j in range(n):
                if p_parties[k, j] and j != i:
                    others[c] = s_trust[r, i, j]
                    c += 1
            chance = rules.compliance_probability(
                p_reliability[r, i],
                rules.numpy_mean(others[:c]),
                p_reciprocity[r, i],
                s_other_complied[r, k, i],
                p_compliance_trust_weight[r],
                _spoiler_drag(s, p, r, i, k),
                s_attention[r, i],
                incentive,
            )
            s_complied[r, k, i] = s_draws[r, offset + k * n + i] < chance


@njit
def _update_delivered(s, p, r):
    """Quantities delivered by deals (as far as implementation has reached) and on their own
    (at a rate set by conditions outside the model, e.g. refugees returning on their own)."""
    # The records' fields, read once: each read of a field costs reference counting.
    s_delivered = s.delivered
    s_reached = s.reached
    s_spontaneous = s.spontaneous
    s_via_deals = s.via_deals
    p_q_high = p.q_high
    p_q_low = p.q_low
    p_q_spontaneous = p.q_spontaneous
    p_q_total = p.q_total
    p_quantity_issue = p.quantity_issue
    for q in range(p.quantity_issue.shape[0]):
        k = p_quantity_issue[q]
        total = p_q_total[r, q]
        now = rules.delivered(s_reached[r, k], p_q_low[r, q], p_q_high[r, q], total)
        s_via_deals[r, q] = max(s_via_deals[r, q], now)
        undelivered = max(total - s_via_deals[r, q] - s_spontaneous[r, q], 0.0)
        s_spontaneous[r, q] += rules.spontaneous_delivery(undelivered, p_q_spontaneous[r, q])
        s_delivered[r, q] = min(s_via_deals[r, q] + s_spontaneous[r, q], total)


@njit
def record_implementation(s, p, implemented, collapsed):
    """Each side sees what the others did; progress grows with compliance; deals complete or
    collapse after too many stalls. `implemented` and `collapsed` (R, m) mark this step's."""
    # The records' fields, read once: each read of a field costs reference counting.
    s_actions = s.actions
    s_complied = s.complied
    s_deeds_neg = s.deeds_neg
    s_deeds_pos = s.deeds_pos
    s_n_collapsed = s.n_collapsed
    s_n_implemented = s.n_implemented
    s_other_complied = s.other_complied
    s_progress = s.progress
    s_reached = s.reached
    s_stall_streak = s.stall_streak
    s_status = s.status
    s_status_quo = s.status_quo
    s_terms = s.terms
    s_waited = s.waited
    p_collapse_after = p.collapse_after
    p_implementation_rate = p.implementation_rate
    p_parties = p.parties
    n, m = s.trust.shape[1], s.status.shape[1]
    parties = np.empty(n, dtype=np.int64)
    for r in range(s.status.shape[0]):
        for k in range(m):
            if s_status[r, k] != IMPLEMENTING:
                continue
            size = 0
            for i in range(n):
                if p_parties[k, i]:
                    parties[size] = i
                    size += 1
            done = 0
            for a in range(size):
                done += s_complied[r, k, parties[a]]
            # A kept or missed milestone: this step's share of the deal, in units of its size.
            unit = abs(s_terms[r, k] - s_status_quo[r, k]) * p_implementation_rate[r, k]
            for a in range(size):
                i = parties[a]
                for b in range(size):
                    j = parties[b]
                    if i != j:
                        kept = s_complied[r, k, j]
                        s_actions[r, i, j] += 1.0 if kept else -1.0
                        if kept:
                            s_deeds_pos[r, i, j] += unit
                        else:
                            s_deeds_neg[r, i, j] += unit
                s_other_complied[r, k, i] = (done - s_complied[r, k, i]) / (size - 1)
                if s_complied[r, k, i]:
                    s_stall_streak[r, k, i] = 0
                else:
                    s_stall_streak[r, k, i] += 1
            s_progress[r, k] = rules.progress_step(
                s_progress[r, k], done / size, p_implementation_rate[r, k]
            )
            s_reached[r, k] = rules.reached_position(
                s_status_quo[r, k], s_terms[r, k], s_progress[r, k]
            )
            longest = 0
            for a in range(size):
                longest = max(longest, s_stall_streak[r, k, parties[a]])
            if s_progress[r, k] >= 1.0:
                s_status[r, k] = IMPLEMENTED
                s_waited[r, k] = 0
                s_n_implemented[r] += 1
                implemented[r, k] = True
            elif longest >= p_collapse_after[r]:
                s_status[r, k] = COLLAPSED
                s_waited[r, k] = 0
                s_n_collapsed[r] += 1
                collapsed[r, k] = True
        _update_delivered(s, p, r)


@njit
def reopen_collapsed(s, p):
    """A collapsed issue reopens after ``reopen_after`` steps; an issue in phases reopens
    for its next phase once a phase is implemented, from the position reached."""
    phases = p.phases.shape[2]
    for r in range(s.status.shape[0]):
        for k in range(s.status.shape[1]):
            if s.status[r, k] == COLLAPSED:
                s.waited[r, k] += 1
                if s.waited[r, k] > p.reopen_after[r]:
                    s.status[r, k] = OPEN
                    s.waited[r, k] = 0
                    reset_talks(s, r, k)
            elif s.status[r, k] == IMPLEMENTED and phases > 1 and s.reached[r, k] < 1.0:
                if p.phases[r, k, 0] >= 1.0:
                    continue  # an issue without phases stays implemented
                if s.waited[r, k] == 0:  # the step the phase was completed: it shows as such
                    s.waited[r, k] = 1
                    continue
                s.waited[r, k] = 0
                s.status[r, k] = OPEN
                s.status_quo[r, k] = s.reached[r, k]
                s.progress[r, k] = 0.0
                phase = s.phase[r, k]
                while phase < phases - 1 and p.phases[r, k, phase] <= s.reached[r, k]:
                    phase += 1
                s.phase[r, k] = phase
                s.cap[r, k] = p.phases[r, k, phase]
                reset_talks(s, r, k)


# -- trust -----------------------------------------------------------------------------------
@njit
def vouch_all(s, p):
    """What the mediators pass on this step, read by every actor's revision: trust after
    vouching (models signals and surprise), or the evidence passed on (model evidence)."""
    trust, links, model, rate = s.trust, s.links, p.trust_model, p.vouching_rate
    vouch_kept, vouch_broken, vouched = s.vouch_kept, s.vouch_broken, s.vouched
    for r in range(trust.shape[0]):
        if model[r] == EVIDENCE:
            rules.vouch_evidence(
                trust[r], links[r, MEDIATION], rate[r], vouch_kept[r], vouch_broken[r]
            )
        elif model[r] != NO_LEARNING:
            rules.vouch(trust[r], links[r, MEDIATION], rate[r], vouched[r])


@njit
def revise_trust(s, p, i):
    """Actor i revises its trust in the others from what they did and said this step, as the
    run's trust model says (docs/ODD.md 7.1)."""
    # The records' fields are bound once: a field read inside the loop costs a reference
    # count on the array each time, more than the arithmetic (docs/performance.md).
    trust, next_trust, vouched = s.trust, s.next_trust, s.vouched
    deeds_pos, deeds_neg, words_pos, words_neg = s.deeds_pos, s.deeds_neg, s.words_pos, s.words_neg
    kept_, broken_, vouch_kept, vouch_broken = s.kept, s.broken, s.vouch_kept, s.vouch_broken
    actions, rhetoric = s.actions, s.rhetoric
    trust_model, talk_weight, betrayal_weight = p.trust_model, p.talk_weight, p.betrayal_weight
    trust_memory, trust0, prior_weight = p.trust_memory, p.trust0, p.trust_prior_weight
    action_weight, rhetoric_weight = p.action_weight, p.rhetoric_weight
    gain_rate, loss_rate, decay = p.trust_gain_rate, p.trust_loss_rate, p.trust_decay
    n = trust.shape[1]
    for r in range(trust.shape[0]):
        model = trust_model[r]
        for j in range(n):
            if j == i:
                continue
            if model == EVIDENCE:
                talk = talk_weight[r]
                kept = deeds_pos[r, i, j] + talk * words_pos[r, i, j]
                broken = betrayal_weight[r] * (deeds_neg[r, i, j] + talk * words_neg[r, i, j])
                memory = trust_memory[r]
                kept_[r, i, j] = memory * kept_[r, i, j] + kept + vouch_kept[r, i, j]
                broken_[r, i, j] = memory * broken_[r, i, j] + broken + vouch_broken[r, i, j]
                next_trust[r, i, j] = rules.reliability_belief(
                    trust0[r, i, j], prior_weight[r], kept_[r, i, j], broken_[r, i, j]
                )
            elif model == NO_LEARNING:
                next_trust[r, i, j] = trust[r, i, j]
            else:
                if model == SIGNALS:
                    signal = rules.trust_signal(
                        actions[r, i, j], rhetoric[r, i, j], action_weight[r], rhetoric_weight[r]
                    )
                    row = rules.update_trust(trust[r, i, j], signal, gain_rate[r], loss_rate[r])
                else:  # SURPRISE
                    talk = talk_weight[r]
                    kept = deeds_pos[r, i, j] + talk * words_pos[r, i, j]
                    broken = betrayal_weight[r] * (deeds_neg[r, i, j] + talk * words_neg[r, i, j])
                    row = rules.surprise_update(
                        trust[r, i, j], kept, broken, gain_rate[r], loss_rate[r]
                    )
                row = row + vouched[r, i, j] - trust[r, i, j]
                row = min(max(row, 0.0), 1.0)
                next_trust[r, i, j] = rules.decay_toward(row, trust0[r, i, j], decay[r])
        next_trust[r, i, i] = 1.0


@njit
def commit_trust(s):
    """Every actor's revised trust takes effect at once; this step's observations are spent."""
    s.trust[:] = s.next_trust
    s.actions[:] = 0.0
    s.rhetoric[:] = 0.0
    s.deeds_pos[:] = 0.0
    s.deeds_neg[:] = 0.0
    s.words_pos[:] = 0.0
    s.words_neg[:] = 0.0


# -- reporters -------------------------------------------------------------------------------
@njit
def mean_trust(s, out):
    """Mean trust over all ordered pairs of distinct actors, per run (`out`, (R,))."""
    n = s.trust.shape[1]
    values = np.empty(n * (n - 1))
    for r in range(s.trust.shape[0]):
        c = 0
        for i in range(n):
            for j in range(n):
                if i != j:
                    values[c] = s.trust[r, i, j]
                    c += 1
        out[r] = rules.numpy_mean(values)


@njit
def rapprochement(s, p, out):
    """Half the principals' mean mutual trust plus half the issues' mean stage, per run."""
    m = s.status.shape[1]
    principals = p.principals
    size = principals.shape[0]
    if size < 2:
        mean_trust(s, out)
    stage = np.empty(m)
    block = np.empty(max(size * (size - 1), 1))
    for r in range(s.trust.shape[0]):
        if size >= 2:
            c = 0
            for a in range(size):
                for b in range(size):
                    if a != b:
                        block[c] = s.trust[r, principals[a], principals[b]]
                        c += 1
            mutual = rules.numpy_mean(block)
        else:
            mutual = out[r]
        for k in range(m):
            stage[k] = rules.issue_stage(s.status[r, k], s.progress[r, k])
        out[r] = 0.5 * mutual + 0.5 * rules.numpy_mean(stage)


@njit
def position(s, p, out):
    """Where each issue stands (`out`, (R, m)): agreed terms, else the mean of current
    offers while on the table, else the status quo."""
    n, m = s.trust.shape[1], s.status.shape[1]
    for r in range(s.status.shape[0]):
        for k in range(m):
            status = s.status[r, k]
            value = s.status_quo[r, k]
            if status == ON_TABLE:
                total = 0.0
                count = 0
                for i in range(n):
                    if p.parties[k, i] and np.isfinite(s.offers[r, k, i]):
                        total += s.offers[r, k, i]
                        count += 1
                if count > 0:
                    value = total / count
            settled = status in (AGREED, IMPLEMENTING)
            settled = settled or status in (IMPLEMENTED, COLLAPSED)
            if settled and np.isfinite(s.terms[r, k]):
                value = s.terms[r, k]
            out[r, k] = value if np.isfinite(value) else s.status_quo[r, k]
