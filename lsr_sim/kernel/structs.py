"""The kernel's two records, as numba structures: the run state and the run inputs.

Python holds each record as a frozen dataclass of numpy arrays (:class:`lsr_sim.kernel.State`,
:class:`lsr_sim.kernel.Params`); compiled code receives the same arrays, shared, not copied,
packed in a numba ``StructRef`` (one pointer to pass instead of fifty arrays, about a
microsecond per call). The kernel writes state arrays in place and never rebinds them, so a
Python view such as ``state.trust[0]`` always shows the current numbers.

The constructors below list every field explicitly, in the dataclasses' order (a test checks
that they agree).
"""

from __future__ import annotations

from typing import Any

from numba.core import types
from numba.experimental import structref

from lsr_sim.jit import njit

__all__ = ["PARAMS_TYPE", "STATE_TYPE", "ParamsRef", "StateRef", "new_params", "new_state"]

_F1, _F2 = types.float64[::1], types.float64[:, ::1]
_F3, _F4 = types.float64[:, :, ::1], types.float64[:, :, :, ::1]
_I1, _I2, _I3 = types.int64[::1], types.int64[:, ::1], types.int64[:, :, ::1]
_B1, _B2, _B3 = types.boolean[::1], types.boolean[:, ::1], types.boolean[:, :, ::1]


@structref.register
class StateType(types.StructRef):
    """Numba type of the run state (fields: see :class:`lsr_sim.kernel.State`)."""

    def preprocess_fields(self, fields: Any) -> Any:
        return tuple((name, types.unliteral(typ)) for name, typ in fields)


@structref.register
class ParamsType(types.StructRef):
    """Numba type of the run inputs (fields: see :class:`lsr_sim.kernel.Params`)."""

    def preprocess_fields(self, fields: Any) -> Any:
        return tuple((name, types.unliteral(typ)) for name, typ in fields)


class StateRef(structref.StructRefProxy):
    """A state record as compiled code sees it (opaque from Python)."""


class ParamsRef(structref.StructRefProxy):
    """An inputs record as compiled code sees it (opaque from Python)."""


structref.define_boxing(StateType, StateRef)
structref.define_boxing(ParamsType, ParamsRef)

STATE_FIELDS: tuple[tuple[str, Any], ...] = (
    ("trust", _F3),
    ("next_trust", _F3),
    ("vouched", _F3),
    ("links", _F4),
    ("status", _I2),
    ("terms", _F2),
    ("agreed_step", _I2),
    ("progress", _F2),
    ("rounds", _I2),
    ("mediator_of", _I2),
    ("collapsed_for", _I2),
    ("first_agreed", _I2),
    ("negotiated_step", _I2),
    ("negotiated_terms", _F2),
    ("vetoed", _I2),
    ("offers", _F3),
    ("aspiration", _F3),
    ("concession", _F4),
    ("other_complied", _F3),
    ("stall_streak", _I3),
    ("complied", _B3),
    ("delivered", _F2),
    ("pressure", _F2),
    ("support", _F2),
    ("actions", _F3),
    ("rhetoric", _F3),
    ("draws", _F2),
    ("n_agreements", _I1),
    ("n_implemented", _I1),
    ("n_collapsed", _I1),
    ("n_incidents", _I1),
    ("n_vetoes", _I1),
)

PARAMS_FIELDS: tuple[tuple[str, Any], ...] = (
    # per run, per actor / issue / quantity / incident
    ("capability", _F2),
    ("reliability", _F2),
    ("resolve", _F2),
    ("reservation", _F2),
    ("reciprocity", _F2),
    ("ideal", _F3),
    ("salience", _F3),
    ("trust0", _F3),
    ("links0", _F4),
    ("status_quo", _F2),
    ("implementation_rate", _F2),
    ("incident_rate", _F2),
    ("q_low", _F2),
    ("q_high", _F2),
    ("q_total", _F2),
    ("effect_value", _F2),
    # per run: the dynamics
    ("trust_gain_rate", _F1),
    ("trust_loss_rate", _F1),
    ("action_weight", _F1),
    ("rhetoric_weight", _F1),
    ("concession_weight", _F1),
    ("concession_scale", _F1),
    ("trust_decay", _F1),
    ("vouching_rate", _F1),
    ("mediation_rate", _F1),
    ("backer_weight", _F1),
    ("direct_talks_rate", _F1),
    ("compliance_trust_weight", _F1),
    ("veto_strength", _F1),
    ("backing_weight", _F1),
    ("spoiler_boost", _F1),
    ("spoiler_drag", _F1),
    ("logrolling", _F1),
    ("talks_timeout", _I1),
    ("collapse_after", _I1),
    ("reopen_after", _I1),
    ("package_deals", _B1),
    # shared by every run: the structure
    ("parties", _B2),
    ("vetoes", _B2),
    ("linked", _B2),
    ("table_of_issue", _I1),
    ("table_parties", _I2),
    ("table_size", _I1),
    ("incident_spoiler", _B1),
    ("incident_veto", _B1),
    ("incident_effects", _I2),
    ("quantity_issue", _I1),
    ("principals", _I1),
    ("kinds", _I1),
    ("draw_offsets", _I1),
    ("effect_type", _I1),
    ("effect_hits", _B3),
    ("effect_actor", _I1),
    ("effect_other", _I1),
    ("effect_channel", _I1),
    ("effect_issue", _I1),
    ("effect_mediator", _I1),
    ("effect_toward", _I2),
    ("effect_issues", _B2),
)

STATE_TYPE = StateType(list(STATE_FIELDS))
PARAMS_TYPE = ParamsType(list(PARAMS_FIELDS))


@njit
def new_state(
    trust,
    next_trust,
    vouched,
    links,
    status,
    terms,
    agreed_step,
    progress,
    rounds,
    mediator_of,
    collapsed_for,
    first_agreed,
    negotiated_step,
    negotiated_terms,
    vetoed,
    offers,
    aspiration,
    concession,
    other_complied,
    stall_streak,
    complied,
    delivered,
    pressure,
    support,
    actions,
    rhetoric,
    draws,
    n_agreements,
    n_implemented,
    n_collapsed,
    n_incidents,
    n_vetoes,
):
    s = structref.new(STATE_TYPE)
    s.trust = trust
    s.next_trust = next_trust
    s.vouched = vouched
    s.links = links
    s.status = status
    s.terms = terms
    s.agreed_step = agreed_step
    s.progress = progress
    s.rounds = rounds
    s.mediator_of = mediator_of
    s.collapsed_for = collapsed_for
    s.first_agreed = first_agreed
    s.negotiated_step = negotiated_step
    s.negotiated_terms = negotiated_terms
    s.vetoed = vetoed
    s.offers = offers
    s.aspiration = aspiration
    s.concession = concession
    s.other_complied = other_complied
    s.stall_streak = stall_streak
    s.complied = complied
    s.delivered = delivered
    s.pressure = pressure
    s.support = support
    s.actions = actions
    s.rhetoric = rhetoric
    s.draws = draws
    s.n_agreements = n_agreements
    s.n_implemented = n_implemented
    s.n_collapsed = n_collapsed
    s.n_incidents = n_incidents
    s.n_vetoes = n_vetoes
    return s


@njit
def new_params(
    capability,
    reliability,
    resolve,
    reservation,
    reciprocity,
    ideal,
    salience,
    trust0,
    links0,
    status_quo,
    implementation_rate,
    incident_rate,
    q_low,
    q_high,
    q_total,
    effect_value,
    trust_gain_rate,
    trust_loss_rate,
    action_weight,
    rhetoric_weight,
    concession_weight,
    concession_scale,
    trust_decay,
    vouching_rate,
    mediation_rate,
    backer_weight,
    direct_talks_rate,
    compliance_trust_weight,
    veto_strength,
    backing_weight,
    spoiler_boost,
    spoiler_drag,
    logrolling,
    talks_timeout,
    collapse_after,
    reopen_after,
    package_deals,
    parties,
    vetoes,
    linked,
    table_of_issue,
    table_parties,
    table_size,
    incident_spoiler,
    incident_veto,
    incident_effects,
    quantity_issue,
    principals,
    kinds,
    draw_offsets,
    effect_type,
    effect_hits,
    effect_actor,
    effect_other,
    effect_channel,
    effect_issue,
    effect_mediator,
    effect_toward,
    effect_issues,
):
    p = structref.new(PARAMS_TYPE)
    p.capability = capability
    p.reliability = reliability
    p.resolve = resolve
    p.reservation = reservation
    p.reciprocity = reciprocity
    p.ideal = ideal
    p.salience = salience
    p.trust0 = trust0
    p.links0 = links0
    p.status_quo = status_quo
    p.implementation_rate = implementation_rate
    p.incident_rate = incident_rate
    p.q_low = q_low
    p.q_high = q_high
    p.q_total = q_total
    p.effect_value = effect_value
    p.trust_gain_rate = trust_gain_rate
    p.trust_loss_rate = trust_loss_rate
    p.action_weight = action_weight
    p.rhetoric_weight = rhetoric_weight
    p.concession_weight = concession_weight
    p.concession_scale = concession_scale
    p.trust_decay = trust_decay
    p.vouching_rate = vouching_rate
    p.mediation_rate = mediation_rate
    p.backer_weight = backer_weight
    p.direct_talks_rate = direct_talks_rate
    p.compliance_trust_weight = compliance_trust_weight
    p.veto_strength = veto_strength
    p.backing_weight = backing_weight
    p.spoiler_boost = spoiler_boost
    p.spoiler_drag = spoiler_drag
    p.logrolling = logrolling
    p.talks_timeout = talks_timeout
    p.collapse_after = collapse_after
    p.reopen_after = reopen_after
    p.package_deals = package_deals
    p.parties = parties
    p.vetoes = vetoes
    p.linked = linked
    p.table_of_issue = table_of_issue
    p.table_parties = table_parties
    p.table_size = table_size
    p.incident_spoiler = incident_spoiler
    p.incident_veto = incident_veto
    p.incident_effects = incident_effects
    p.quantity_issue = quantity_issue
    p.principals = principals
    p.kinds = kinds
    p.draw_offsets = draw_offsets
    p.effect_type = effect_type
    p.effect_hits = effect_hits
    p.effect_actor = effect_actor
    p.effect_other = effect_other
    p.effect_channel = effect_channel
    p.effect_issue = effect_issue
    p.effect_mediator = effect_mediator
    p.effect_toward = effect_toward
    p.effect_issues = effect_issues
    return p
