"""Cross-reference checks that a schema alone cannot express.

Each check raises :class:`~lsr_sim.errors.ScenarioError` naming the field path, what is wrong
and what is expected, with a did-you-mean for misspelt names.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

from lsr_sim.errors import ScenarioError
from lsr_sim.messages import did_you_mean, quote
from lsr_sim.scenario.schema import (
    AgreeEffect,
    AttentionEffect,
    ConveneEffect,
    Effect,
    LinkEffect,
    PriorityEffect,
    Scenario,
    SetbackEffect,
    SignalEffect,
    TrustShockEffect,
)

__all__ = ["check_scenario"]

SALIENCE_TOLERANCE = 1e-6


class _Checker:
    def __init__(self, scenario: Scenario, source: str) -> None:
        self.sc = scenario
        self.source = source
        self.actors = list(scenario.actors)
        self.issues = list(scenario.issues)

    def fail(self, path: str, message: str) -> None:
        raise ScenarioError(self.source, path, message)

    def actor(self, path: str, name: str | None) -> None:
        if name is not None and name not in self.sc.actors:
            self.fail(
                path,
                f"unknown actor {quote(name)}{did_you_mean(name, self.actors)}; "
                f"expected one of {', '.join(self.actors)}",
            )

    def issue(self, path: str, name: str | None) -> None:
        if name is not None and name not in self.sc.issues:
            self.fail(
                path,
                f"unknown issue {quote(name)}{did_you_mean(name, self.issues)}; "
                f"expected one of {', '.join(self.issues)}",
            )

    def negotiator(self, path: str, name: str) -> None:
        """A party at the table must bargain: its strategy must be a negotiator strategy."""
        from lsr_sim.strategies import get_strategy_class, strategy_names

        actor = self.sc.actors[name]
        if actor.strategy.name not in strategy_names():
            return  # reported under actors.<name>.strategy
        kind = get_strategy_class(actor.strategy.name).kind
        if kind != "negotiator":
            self.fail(
                path,
                f"{quote(name)} has the {kind} strategy {quote(actor.strategy.name)}; a party at "
                "the table needs a negotiator strategy (e.g. boulware, linear, tit_for_tat): "
                f"change actors.{name}.strategy or remove {quote(name)} from the parties",
            )

    def not_spoiler(self, path: str, name: str | None) -> None:
        """A spoiler blocks talks; it cannot be the one who convenes them."""
        if name is None or self.sc.actors[name].role != "spoiler":
            return
        fitting = [n for n, a in self.sc.actors.items() if a.role == "mediator"]
        self.fail(
            path,
            f"{quote(name)} is a spoiler and cannot convene talks; name a mediator"
            f"{' (' + ', '.join(fitting) + ')' if fitting else ''} or leave mediator out",
        )

    def unique(self, path: str, names: list[str]) -> None:
        seen: set[str] = set()
        for name in names:
            if name in seen:
                self.fail(path, f"{quote(name)} is listed twice; list each name once")
            seen.add(name)

    def date_in_run(self, path: str, date: dt.date, *, event: bool = False) -> None:
        """`date` must fall within the run (an event's, strictly before its end date).

        An event fires during the step its date falls in; the end date begins the step after
        the last, so an event dated on it (or later) would never happen.
        """
        run = self.sc.run
        last = run.end_date - dt.timedelta(days=1) if event else run.end_date
        if not run.start_date <= date <= last:
            when = "before the start" if date < run.start_date else "after the end"
            rule = (
                f"an event must fall before its end date, {run.end_date}"
                if event
                else "a date must fall within it"
            )
            self.fail(
                path,
                f"{date} is {when} of the run, which runs from {run.start_date} to "
                f"{run.end_date}; {rule}: move the date or change run.start_date / run.steps",
            )

    # -- sections -------------------------------------------------------------------------
    def check_actors(self) -> None:
        from lsr_sim.strategies import check_strategy

        for name, actor in self.sc.actors.items():
            base = f"actors.{name}"
            for key in actor.positions:
                self.issue(f"{base}.positions.{key}", key)
            for key in actor.salience:
                self.issue(f"{base}.salience.{key}", key)
            total = sum(actor.salience.values())
            if not math.isclose(total, 1.0, abs_tol=SALIENCE_TOLERANCE):
                self.fail(f"{base}.salience", f"sums to {total:.6g}, must sum to 1")
            for other in actor.trust:
                if other == name:
                    self.fail(
                        f"{base}.trust.{other}",
                        "trust of an actor in itself is not modelled; remove this entry",
                    )
                self.actor(f"{base}.trust.{other}", other)
            problem = check_strategy(actor.strategy.name, actor.strategy.params, actor.role)
            if problem:
                field, message = problem
                named = message.split(" ", 1)[0]
                if field == ".params" and named in actor.strategy.params:
                    field = f".params.{named}"  # a bad value: point at the parameter
                self.fail(f"{base}.strategy{field}", message)

    def check_issues(self) -> None:
        for name, issue in self.sc.issues.items():
            base = f"issues.{name}"
            self.unique(f"{base}.parties", issue.parties)
            for i, party in enumerate(issue.parties):
                self.actor(f"{base}.parties[{i}]", party)
                self.negotiator(f"{base}.parties[{i}]", party)
            self.unique(f"{base}.veto_holders", issue.veto_holders)
            for i, holder in enumerate(issue.veto_holders):
                self.actor(f"{base}.veto_holders[{i}]", holder)
                if holder in issue.parties:
                    self.fail(
                        f"{base}.veto_holders[{i}]",
                        f"{quote(holder)} is also a party; a veto holder blocks from outside "
                        "the table",
                    )
            self.unique(f"{base}.linked_to", issue.linked_to)
            for i, other in enumerate(issue.linked_to):
                self.issue(f"{base}.linked_to[{i}]", other)
                if other == name:
                    self.fail(f"{base}.linked_to[{i}]", "an issue cannot be linked to itself")
            self.protocol(f"{base}.protocol", issue.protocol)
            self.protocol_fits(base, name, issue.protocol, issue.parties)

    def protocol_fits(self, base: str, issue: str, own: str | None, parties: Sequence[str]) -> None:
        """A two-party protocol (rubinstein, time_based_concession) needs two parties."""
        from lsr_sim.protocols import get_protocol

        name = own or self.sc.dynamics.protocol
        try:
            needed = getattr(get_protocol(name), "parties", None)
        except KeyError:
            return  # reported as an unknown protocol
        if needed is not None and len(parties) != needed:
            path = f"{base}.protocol" if own else "dynamics.protocol"
            self.fail(
                path,
                f"protocol {quote(name)} is for {needed} parties, but issue {quote(issue)} has "
                f"{len(parties)} ({', '.join(parties)}); give this issue another protocol "
                f"(issues.{issue}.protocol)",
            )

    def protocol(self, path: str, name: str | None) -> None:
        from lsr_sim.protocols import protocol_names

        known = protocol_names()
        if name is not None and name not in known:
            self.fail(
                path,
                f"unknown protocol {quote(name)}{did_you_mean(name, known)}; "
                f"expected one of {', '.join(known)}",
            )

    def check_dynamics(self) -> None:
        self.protocol("dynamics.protocol", self.sc.dynamics.protocol)

    def check_network(self) -> None:
        for kind, links in self.sc.network.items():
            for source, targets in links.items():
                self.actor(f"network.{kind}.{source}", source)
                for target in targets:
                    self.actor(f"network.{kind}.{source}.{target}", target)
                    if target == source:
                        self.fail(
                            f"network.{kind}.{source}.{target}",
                            "a link to itself; link an actor to others only",
                        )

    def check_effect(self, path: str, effect: Effect) -> None:
        match effect:
            case TrustShockEffect():
                self.unique(f"{path}.from", effect.from_)
                for i, name in enumerate(effect.from_):
                    self.actor(f"{path}.from[{i}]", name)
                self.unique(f"{path}.to", effect.to)
                for i, name in enumerate(effect.to):
                    self.actor(f"{path}.to[{i}]", name)
                if set(effect.from_) == set(effect.to) and len(effect.to) == 1:
                    self.fail(
                        f"{path}.to",
                        "trust of an actor in itself is not modelled; "
                        "`from` and `to` must name different actors",
                    )
            case SignalEffect():
                self.actor(f"{path}.actor", effect.actor)
                self.unique(f"{path}.toward", effect.toward)
                for i, name in enumerate(effect.toward):
                    self.actor(f"{path}.toward[{i}]", name)
                    if name == effect.actor:
                        self.fail(
                            f"{path}.toward[{i}]",
                            f"{quote(name)} signals toward itself; list the actors it addresses",
                        )
            case ConveneEffect():
                self.unique(f"{path}.issues", effect.issues)
                for i, name in enumerate(effect.issues):
                    self.issue(f"{path}.issues[{i}]", name)
                self.actor(f"{path}.mediator", effect.mediator)
                self.not_spoiler(f"{path}.mediator", effect.mediator)
            case AgreeEffect():
                self.issue(f"{path}.issue", effect.issue)
                self.actor(f"{path}.mediator", effect.mediator)
            case SetbackEffect():
                self.issue(f"{path}.issue", effect.issue)
            case AttentionEffect():
                self.actor(f"{path}.actor", effect.actor)
            case PriorityEffect():
                self.actor(f"{path}.actor", effect.actor)
                self.issue(f"{path}.issue", effect.issue)
            case LinkEffect():
                self.actor(f"{path}.from", effect.from_)
                self.actor(f"{path}.to", effect.to)
                if effect.to == effect.from_:
                    self.fail(f"{path}.to", "a link to itself; `from` and `to` must differ")

    def check_events(self) -> None:
        for name, event in self.sc.events.items():
            self.date_in_run(f"events.{name}.date", event.date, event=True)
            for i, effect in enumerate(event.effects):
                self.check_effect(f"events.{name}.effects[{i}]", effect)
        for name, incident in self.sc.incidents.items():
            for i, effect in enumerate(incident.effects):
                self.check_effect(f"incidents.{name}.effects[{i}]", effect)

    def check_calibration(self) -> None:
        cal = self.sc.calibration
        if cal is None:
            return
        if cal.at is not None:
            self.date_in_run("calibration.at", cal.at)
        for name, pattern in cal.patterns.items():
            base = f"calibration.patterns.{name}"
            self.issue(f"{base}.issue", pattern.issue)
            self.actor(f"{base}.truster", pattern.truster)
            self.actor(f"{base}.trustee", pattern.trustee)
            if pattern.truster is not None and pattern.truster == pattern.trustee:
                self.fail(
                    f"{base}.trustee",
                    "trust of an actor in itself is not modelled; name another actor",
                )
            low, high = pattern.at_least, pattern.at_most
            if low is not None and high is not None and low > high:
                self.fail(
                    f"{base}.at_least",
                    f"is {low}, above at_most {high}; no run can match, so lower it",
                )
            if pattern.quantity is not None and pattern.issue is not None:
                known = list(self.sc.issues[pattern.issue].quantities)
                if pattern.quantity not in known:
                    self.fail(
                        f"{base}.quantity",
                        f"unknown quantity {quote(pattern.quantity)}"
                        f"{did_you_mean(pattern.quantity, known)} of issue {quote(pattern.issue)}; "
                        f"expected one of {', '.join(known) or '(none defined)'}",
                    )

    def run(self) -> None:
        self.check_actors()
        self.check_issues()
        self.check_dynamics()
        self.check_network()
        self.check_events()
        self.check_calibration()


def check_scenario(scenario: Scenario, source: str = "<scenario>") -> Scenario:
    """Check the cross-references of a validated scenario; return it unchanged.

    Raises
    ------
    ScenarioError
        Naming `source`, the field path and the fix.
    """
    _Checker(scenario, source).run()
    return scenario
