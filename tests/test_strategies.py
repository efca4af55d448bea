"""Tests of the strategies, in the style of the Axelrod library.

Every strategy's test class inherits :class:`StrategyContract`, which checks what the rest of
the library relies on (metadata, registration, frozen parameters, decisions in [0, 1],
determinism, elementwise decisions on arrays, validation), and adds its own behaviour tests
against values computed by hand. Tit-for-tat is tested as a script: a scripted opponent's moves
and the expected aspiration after each.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lsr_sim.strategies as strategies_module
from lsr_sim.protocols import Table, get_protocol
from lsr_sim.strategies import (
    STRATEGY_KINDS,
    Backer,
    BackerObservation,
    Boulware,
    Conceder,
    Facilitator,
    Linear,
    MediatorObservation,
    NegotiatorObservation,
    Spoiler,
    SpoilerObservation,
    Strategy,
    TimeBased,
    TitForTat,
    check_strategy,
    get_strategy_class,
    make_strategy,
    register_strategy,
    strategy_names,
)

ROOT = Path(__file__).resolve().parents[1]

unit = st.floats(0.0, 1.0, allow_nan=False)
signed = st.floats(-1.0, 1.0, allow_nan=False)

#: Any valid observation of each kind (the ranges documented in lsr_sim.strategies.base).
OBSERVATION_STRATEGIES: dict[str, st.SearchStrategy[Any]] = {
    "negotiator": st.builds(
        NegotiatorObservation,
        time=unit,
        aspiration=unit,
        opponent_concession=signed,
        first_round=st.booleans(),
    ),
    "spoiler": st.builds(SpoilerObservation, threat=unit),
    "mediator": st.builds(MediatorObservation, trust_gap=unit, support=unit),
    "backer": st.builds(BackerObservation, progress=unit),
}

NEGOTIATOR_OBSERVATIONS = (
    NegotiatorObservation(time=0.0),
    NegotiatorObservation(time=0.3, aspiration=0.9, opponent_concession=0.05, first_round=False),
    NegotiatorObservation(time=0.5, aspiration=0.7, opponent_concession=0.0, first_round=False),
    NegotiatorObservation(time=0.8, aspiration=0.4, opponent_concession=-0.2, first_round=False),
    NegotiatorObservation(time=1.0, aspiration=0.05, opponent_concession=0.5, first_round=False),
)


def stack(observations: tuple[Any, ...]) -> Any:
    """One observation whose fields are arrays: the observations side by side (a run axis)."""
    cls = type(observations[0])
    return cls(
        **{
            f.name: np.array([getattr(o, f.name) for o in observations])
            for f in dataclasses.fields(cls)
        }
    )


@pytest.fixture
def restore_registry() -> Iterator[None]:
    """Undo any registration a test makes."""
    saved = dict(strategies_module._REGISTRY)
    yield
    strategies_module._REGISTRY.clear()
    strategies_module._REGISTRY.update(saved)


class StrategyContract:
    """What every strategy must satisfy; subclasses set the class attributes below."""

    __test__ = False

    strategy_class: ClassVar[type[Strategy]]
    expected_name: ClassVar[str]
    expected_kind: ClassVar[str]
    observations: ClassVar[tuple[Any, ...]]
    #: Parameter sets the constructor must refuse with ValueError.
    bad_params: ClassVar[tuple[dict[str, float], ...]] = ()

    def test_metadata(self) -> None:
        cls = self.strategy_class
        assert cls.name == self.expected_name
        assert cls.kind == self.expected_kind
        assert cls.kind in STRATEGY_KINDS
        assert cls.description.strip()

    def test_registered_under_its_name(self) -> None:
        assert self.expected_name in strategy_names()
        assert get_strategy_class(self.expected_name) is self.strategy_class

    def test_is_a_frozen_dataclass(self) -> None:
        strategy = self.strategy_class()
        assert dataclasses.is_dataclass(strategy)
        for name in strategy.parameter_names():
            with pytest.raises(dataclasses.FrozenInstanceError):
                setattr(strategy, name, 0.5)

    def test_parameters_are_the_fields_and_round_trip(self) -> None:
        cls = self.strategy_class
        assert cls.parameter_names() == [f.name for f in dataclasses.fields(cls)]
        strategy = cls()
        assert set(strategy.params()) == set(cls.parameter_names())
        rebuilt = make_strategy(self.expected_name, strategy.params())
        assert rebuilt == strategy
        assert type(rebuilt) is cls
        assert check_strategy(self.expected_name, strategy.params(), "other") is None

    def test_decisions_in_unit_interval(self) -> None:
        strategy = self.strategy_class()
        for obs in self.observations:
            value = float(strategy.decide(obs))
            assert 0.0 <= value <= 1.0, obs

    def test_decisions_in_unit_interval_for_any_valid_observation(self) -> None:
        strategy = self.strategy_class()

        # Hypothesis refuses a @given method shared by several classes: wrap one per class.
        @settings(max_examples=60, deadline=None)
        @given(obs=OBSERVATION_STRATEGIES[self.expected_kind])
        def check(obs: Any) -> None:
            value = float(strategy.decide(obs))
            assert 0.0 <= value <= 1.0

        check()

    def test_deterministic(self) -> None:
        first, second = self.strategy_class(), self.strategy_class()
        for obs in self.observations:
            assert float(first.decide(obs)) == float(first.decide(obs))
            assert float(first.decide(obs)) == float(second.decide(obs))

    def test_elementwise_on_arrays(self) -> None:
        # A vectorised batch engine decides for many runs at once: one array per field.
        strategy = self.strategy_class()
        one_by_one = np.array([float(strategy.decide(obs)) for obs in self.observations])
        batched = np.asarray(strategy.decide(stack(self.observations)), dtype=float)
        assert batched.shape == one_by_one.shape
        np.testing.assert_allclose(batched, one_by_one, rtol=0, atol=1e-12)

    def test_bad_parameters_raise_value_error(self) -> None:
        if not self.bad_params:
            pytest.skip("no parameters to get wrong")
        for params in self.bad_params:
            with pytest.raises(ValueError):
                self.strategy_class(**params)
            problem = check_strategy(self.expected_name, params, "other")
            assert problem is not None, params
            assert problem[0] == ".params"
            assert repr(self.expected_name) in problem[1]


NAN = float("nan")
INF = float("inf")
TIME_BASED_BAD = (
    {"exponent": 0.0},
    {"exponent": -1.0},
    {"exponent": NAN},
    {"exponent": INF},
    {"floor": -0.1},
    {"floor": 1.1},
    {"floor": NAN},
)


# -- time-based concession ---------------------------------------------------------------------


class TimeBasedContract(StrategyContract):
    __test__ = False
    expected_kind = "negotiator"
    observations = NEGOTIATOR_OBSERVATIONS
    bad_params = TIME_BASED_BAD

    def test_ignores_everything_but_time(self) -> None:
        strategy = self.strategy_class()
        baseline = float(strategy.decide(NegotiatorObservation(time=0.4)))
        for aspiration, concession, first in [(0.1, 0.5, False), (0.9, -0.5, True)]:
            obs = NegotiatorObservation(0.4, aspiration, concession, first)
            assert float(strategy.decide(obs)) == baseline

    def test_floor_respected(self) -> None:
        strategy = self.strategy_class(floor=0.3)
        times = np.linspace(0.0, 1.0, 21)
        aspiration = strategy.decide(NegotiatorObservation(time=times))
        assert np.all(aspiration >= 0.3)
        assert float(aspiration[0]) == 1.0
        assert float(aspiration[-1]) == pytest.approx(0.3)

    def test_never_rises_over_time(self) -> None:
        times = np.linspace(0.0, 1.0, 101)
        aspiration = self.strategy_class().decide(NegotiatorObservation(time=times))
        assert np.all(np.diff(aspiration) <= 0)


class TestTimeBased(TimeBasedContract):
    __test__ = True
    strategy_class = TimeBased
    expected_name = "time_based"

    @pytest.mark.parametrize(
        ("exponent", "floor", "t", "expected"),
        [
            (1.0, 0.0, 0.5, 0.5),  # 1 - 0.5
            (2.0, 0.2, 0.5, 0.8),  # 0.2 + 0.8 * (1 - 0.25)
            (3.0, 0.5, 1.0, 0.5),  # at the deadline: the floor
            (0.5, 0.0, 0.25, 0.5),  # 1 - sqrt(0.25)
            (2.0, 0.0, 1.5, 0.0),  # time past the deadline is clipped to 1
            (2.0, 0.0, -0.5, 1.0),  # and before the start to 0
        ],
    )
    def test_formula(self, exponent: float, floor: float, t: float, expected: float) -> None:
        strategy = TimeBased(exponent=exponent, floor=floor)
        assert float(strategy.decide(NegotiatorObservation(time=t))) == pytest.approx(expected)


class TestBoulware(TimeBasedContract):
    __test__ = True
    strategy_class = Boulware
    expected_name = "boulware"

    def test_defaults(self) -> None:
        assert Boulware().params() == {"exponent": 4.0, "floor": 0.0}

    @pytest.mark.parametrize(("t", "expected"), [(0.0, 1.0), (0.5, 0.9375), (1.0, 0.0)])
    def test_holds_out_then_concedes(self, t: float, expected: float) -> None:
        # 1 - t**4: 1 - 0.0625 = 0.9375 at half time.
        assert float(Boulware().decide(NegotiatorObservation(time=t))) == pytest.approx(expected)


class TestLinear(TimeBasedContract):
    __test__ = True
    strategy_class = Linear
    expected_name = "linear"

    @pytest.mark.parametrize("t", [0.0, 0.1, 0.25, 0.5, 0.9, 1.0])
    def test_concedes_at_a_constant_rate(self, t: float) -> None:
        assert float(Linear().decide(NegotiatorObservation(time=t))) == pytest.approx(1.0 - t)


class TestConceder(TimeBasedContract):
    __test__ = True
    strategy_class = Conceder
    expected_name = "conceder"

    @pytest.mark.parametrize(("t", "expected"), [(0.0, 1.0), (0.0625, 0.5), (1.0, 0.0)])
    def test_concedes_early(self, t: float, expected: float) -> None:
        # 1 - t**0.25: 0.0625**0.25 = 0.5.
        assert float(Conceder().decide(NegotiatorObservation(time=t))) == pytest.approx(expected)

    def test_concedes_more_than_linear_which_concedes_more_than_boulware(self) -> None:
        times = np.linspace(0.0, 1.0, 51)[1:-1]  # every interior time
        obs = NegotiatorObservation(time=times)
        conceder, linear, boulware = (s().decide(obs) for s in (Conceder, Linear, Boulware))
        assert np.all(conceder < linear)
        assert np.all(linear < boulware)


# -- tit-for-tat ---------------------------------------------------------------------------------

FIRST = "first round"

#: (opponent's move, expected aspiration) for TitForTat(step=0.1, mirror=1, forgiveness=0.2).
#: A move is the share of the distance the opponent conceded (negative: hardened).
DEFAULT_SCRIPT = [
    (FIRST, 0.9),  # open with a concession of step: 1 - 0.1
    (0.05, 0.85),  # the opponent concedes 0.05: mirror it
    (0.0, 0.83),  # it stands still: forgive, conceding forgiveness * step = 0.02
    (-0.02, 0.85),  # it hardens by 0.02: retaliate, hardening by 0.02
    (0.1, 0.75),  # it concedes 0.1: mirror it
    (0.01, 0.73),  # it concedes 0.01: concede at least the forgiveness step, 0.02
    (1e-12, 0.71),  # within tolerance of standing still: forgive
    (-0.5, 1.0),  # a big hardening: 0.71 + 0.5, clipped to 1
    (FIRST, 0.9),  # new talks: open again
]

#: The same for TitForTat(step=0.2, mirror=0.5, forgiveness=0.5, floor=0.6).
CAUTIOUS_SCRIPT = [
    (FIRST, 0.8),  # 1 - 0.2
    (0.2, 0.7),  # mirror half of 0.2; above the forgiveness step 0.1
    (0.0, 0.6),  # stand-still: concede 0.5 * 0.2 = 0.1
    (0.3, 0.6),  # 0.6 - 0.15 = 0.45, held at the floor 0.6
    (-0.1, 0.65),  # harden by half of 0.1
    (0.04, 0.6),  # concede max(0.02, 0.1) = 0.1: 0.55, held at the floor
]


def replay(strategy: TitForTat, script: list[tuple[Any, float]]) -> list[float]:
    """Play `script` against `strategy`: its aspiration after each of the opponent's moves."""
    aspiration, played = 1.0, []
    for round_, (move, _) in enumerate(script):
        obs = NegotiatorObservation(
            time=round_ / len(script),
            aspiration=aspiration,
            opponent_concession=0.0 if move == FIRST else move,
            first_round=move == FIRST,
        )
        aspiration = float(strategy.decide(obs))
        played.append(aspiration)
    return played


class TestTitForTat(StrategyContract):
    __test__ = True
    strategy_class = TitForTat
    expected_name = "tit_for_tat"
    expected_kind = "negotiator"
    observations = NEGOTIATOR_OBSERVATIONS
    bad_params = (
        {"step": -0.1},
        {"step": 1.5},
        {"mirror": -1.0},
        {"forgiveness": 2.0},
        {"floor": 1.1},
        {"floor": NAN},
        {"tolerance": -1e-9},
        {"tolerance": NAN},
        {"tolerance": INF},
    )

    @pytest.mark.parametrize(
        ("strategy", "script"),
        [
            (TitForTat(), DEFAULT_SCRIPT),
            (TitForTat(step=0.2, mirror=0.5, forgiveness=0.5, floor=0.6), CAUTIOUS_SCRIPT),
        ],
        ids=["default", "cautious"],
    )
    def test_script(self, strategy: TitForTat, script: list[tuple[Any, float]]) -> None:
        expected = [aspiration for _, aspiration in script]
        assert replay(strategy, script) == pytest.approx(expected, abs=1e-12)

    def test_script_replays_identically_as_one_batch(self) -> None:
        # Each row of the script, from the aspiration the scalar replay had reached.
        strategy = TitForTat()
        played = replay(strategy, DEFAULT_SCRIPT)
        before = [1.0, *played[:-1]]
        moves = [0.0 if m == FIRST else m for m, _ in DEFAULT_SCRIPT]
        obs = NegotiatorObservation(
            time=np.zeros(len(moves)),
            aspiration=np.array(before),
            opponent_concession=np.array(moves),
            first_round=np.array([m == FIRST for m, _ in DEFAULT_SCRIPT]),
        )
        np.testing.assert_allclose(strategy.decide(obs), played, atol=1e-12)

    def test_ignores_time(self) -> None:
        early = NegotiatorObservation(0.0, 0.7, 0.05, False)
        late = NegotiatorObservation(1.0, 0.7, 0.05, False)
        assert float(TitForTat().decide(early)) == float(TitForTat().decide(late))

    def test_two_tit_for_tat_players_do_not_deadlock(self) -> None:
        # Sides at 0.3 and 0.7, both better off than under the status quo 0: with full trust
        # they open with a concession, then forgive each other's stand-still and mirror.
        strategies = (TitForTat(), TitForTat())
        round_, terms = talks(strategies, ideal=[[0.3], [0.7]], status_quo=[0.0], deadline=26)
        assert terms is not None, "two tit-for-tat players deadlocked"
        assert round_ < 26
        assert float(terms[0]) == pytest.approx(0.5)

    def test_two_tit_for_tat_players_do_not_stall_on_a_package(self) -> None:
        # Opposite priorities: each sees less of the other's concession than it gave.
        strategies = (TitForTat(), TitForTat())
        round_, terms = talks(
            strategies,
            ideal=[[0.2, 0.2], [0.8, 0.8]],
            salience=[[0.8, 0.2], [0.2, 0.8]],
            status_quo=[0.5, 0.5],
            deadline=26,
            reservation=0.1,
        )
        assert terms is not None
        assert round_ < 26


def talks(
    strategies: tuple[Strategy, ...],
    ideal: list[list[float]],
    status_quo: list[float],
    deadline: int,
    salience: list[list[float]] | None = None,
    reservation: float = 0.1,
    trust: float = 1.0,
) -> tuple[int, np.ndarray | None]:
    """Run the offers protocol round by round as the model does: (round of agreement, terms)."""
    ideal_ = np.array(ideal, dtype=float)
    p = len(ideal_)
    salience_ = np.ones_like(ideal_) if salience is None else np.array(salience, dtype=float)
    trust_ = np.full((p, p), trust)
    np.fill_diagonal(trust_, 1.0)
    offers, aspiration, concession = None, np.ones(p), np.zeros((p, p))
    protocol = get_protocol("offers")
    for round_ in range(deadline):
        result = protocol.negotiate(
            Table(
                ideal=ideal_,
                salience=salience_,
                status_quo=np.array(status_quo, dtype=float),
                capability=np.ones(p),
                reservation=np.full(p, reservation),
                trust=trust_,
                strategies=strategies,
                round=round_,
                deadline=deadline,
                previous_offers=offers,
                previous_aspiration=aspiration,
                previous_concession=concession,
            )
        )
        if result.terms is not None:
            return round_, result.terms
        offers, aspiration, concession = result.offers, result.aspiration, result.concession
    return deadline, None


# -- policies of actors away from the table -----------------------------------------------------


class TestSpoiler(StrategyContract):
    __test__ = True
    strategy_class = Spoiler
    expected_name = "spoiler"
    expected_kind = "spoiler"
    observations = tuple(SpoilerObservation(threat=x) for x in (0.0, 0.05, 0.1, 0.35, 0.6, 1.0))
    bad_params = (
        {"threshold": -0.1},
        {"threshold": 1.5},
        {"sensitivity": -1.0},
        {"sensitivity": NAN},
        {"sensitivity": INF},
    )

    @pytest.mark.parametrize(
        ("threat", "expected"),
        # clip(2 * (threat - 0.1), 0, 1)
        [(0.0, 0.0), (0.05, 0.0), (0.1, 0.0), (0.35, 0.5), (0.6, 1.0), (1.0, 1.0)],
    )
    def test_pressure(self, threat: float, expected: float) -> None:
        assert float(Spoiler().decide(SpoilerObservation(threat))) == pytest.approx(expected)

    def test_zero_sensitivity_never_presses(self) -> None:
        threats = np.linspace(0.0, 1.0, 11)
        assert np.all(Spoiler(sensitivity=0.0).decide(SpoilerObservation(threats)) == 0.0)


class TestMediator(StrategyContract):
    __test__ = True
    strategy_class = Facilitator
    expected_name = "mediator"
    expected_kind = "mediator"
    observations = tuple(
        MediatorObservation(trust_gap=g, support=s)
        for g, s in [(0.0, 0.0), (0.25, 1.0), (0.5, 0.3), (1.0, 0.0)]
    )
    bad_params = ({"base": -0.1}, {"base": 1.2}, {"urgency": 2.0}, {"urgency": NAN})

    @pytest.mark.parametrize(
        ("gap", "expected"),
        # clip(0.6 + 0.4 * gap, 0, 1)
        [(0.0, 0.6), (0.25, 0.7), (0.5, 0.8), (1.0, 1.0)],
    )
    def test_effort_rises_with_distrust(self, gap: float, expected: float) -> None:
        obs = MediatorObservation(trust_gap=gap)
        assert float(Facilitator().decide(obs)) == pytest.approx(expected)

    def test_clipped_at_full_effort(self) -> None:
        obs = MediatorObservation(trust_gap=1.0)
        assert float(Facilitator(base=0.9, urgency=0.9).decide(obs)) == 1.0


class TestBacker(StrategyContract):
    __test__ = True
    strategy_class = Backer
    expected_name = "backer"
    expected_kind = "backer"
    observations = tuple(BackerObservation(progress=x) for x in (0.0, 0.4, 0.75, 1.0))
    bad_params = ({"base": 1.5}, {"responsiveness": -0.5}, {"responsiveness": NAN})

    @pytest.mark.parametrize(
        ("progress", "expected"),
        # clip(0.5 + 0.5 * progress, 0, 1)
        [(0.0, 0.5), (0.4, 0.7), (1.0, 1.0)],
    )
    def test_support_grows_with_progress(self, progress: float, expected: float) -> None:
        obs = BackerObservation(progress=progress)
        assert float(Backer().decide(obs)) == pytest.approx(expected)


# -- a user's own strategy ----------------------------------------------------------------------


@dataclass(frozen=True)
class Stubborn(Strategy):
    """Never concede anything."""

    name: ClassVar[str] = "stubborn"
    kind: ClassVar[str] = "negotiator"
    description: ClassVar[str] = "Insists on everything, always."

    def decide(self, obs: NegotiatorObservation) -> Any:
        return np.ones_like(np.asarray(obs.time, dtype=float))


class TestStubborn(StrategyContract):
    """A user's strategy passes the same contract once registered."""

    __test__ = True
    strategy_class = Stubborn
    expected_name = "stubborn"
    expected_kind = "negotiator"
    observations = NEGOTIATOR_OBSERVATIONS

    @pytest.fixture(autouse=True)
    def _registered(self, restore_registry: None) -> None:
        register_strategy(Stubborn)

    def test_always_insists(self) -> None:
        for obs in self.observations:
            assert float(Stubborn().decide(obs)) == 1.0


def test_builtins_are_all_tested() -> None:
    tested = {
        cls.expected_name
        for cls in globals().values()
        if isinstance(cls, type) and issubclass(cls, StrategyContract) and cls.__test__
    }
    assert set(strategy_names()) <= tested


class TestRegisterStrategy:
    def test_user_strategy_registers_and_is_found(self, restore_registry: None) -> None:
        assert "stubborn" not in strategy_names()
        assert register_strategy(Stubborn) is Stubborn
        assert "stubborn" in strategy_names()
        assert get_strategy_class("stubborn") is Stubborn
        assert make_strategy("stubborn") == Stubborn()
        register_strategy(Stubborn)  # registering the same class again is harmless

    def test_usable_as_a_decorator(self, restore_registry: None) -> None:
        @register_strategy
        @dataclass(frozen=True)
        class Halfway(Strategy):
            name: ClassVar[str] = "halfway_test"
            description: ClassVar[str] = "Always half."

            def decide(self, obs: NegotiatorObservation) -> Any:
                return 0.5 + 0.0 * np.asarray(obs.time)

        assert get_strategy_class("halfway_test") is Halfway

    def test_check_strategy_matches_role_to_kind(self, restore_registry: None) -> None:
        register_strategy(Stubborn)
        assert check_strategy("stubborn", {}, "principal") is None
        assert check_strategy("stubborn", {}, "other") is None
        field, message = check_strategy("stubborn", {}, "mediator")
        assert field == ".name"
        assert "'stubborn' is a negotiator strategy" in message
        assert "a mediator needs a mediator strategy" in message
        assert "mediator" in message.rsplit(":", 1)[1]  # the fitting choices are listed

    def test_not_a_dataclass(self, restore_registry: None) -> None:
        class Undecorated(Strategy):
            name: ClassVar[str] = "undecorated"
            level: float = 0.5  # not a dataclass field: params() would miss it

            def decide(self, obs: NegotiatorObservation) -> Any:
                return self.level

        with pytest.raises(ValueError, match="dataclass"):
            register_strategy(Undecorated)
        assert "undecorated" not in strategy_names()

    def test_a_mutable_dataclass_cannot_even_be_defined(self) -> None:
        with pytest.raises(TypeError):

            @dataclass
            class Mutable(Strategy):
                level: float = 0.5

    def test_not_a_strategy(self, restore_registry: None) -> None:
        @dataclass(frozen=True)
        class Plain:
            name: ClassVar[str] = "plain"

        with pytest.raises(ValueError, match="not a Strategy subclass"):
            register_strategy(Plain)  # type: ignore[arg-type]

    def test_duplicate_name(self, restore_registry: None) -> None:
        @dataclass(frozen=True)
        class Impostor(Boulware):
            name: ClassVar[str] = "boulware"

        with pytest.raises(ValueError, match="already registered"):
            register_strategy(Impostor)
        assert get_strategy_class("boulware") is Boulware
        register_strategy(Impostor, replace=True)
        assert get_strategy_class("boulware") is Impostor

    def test_registry_restored_after_replace(self) -> None:
        assert get_strategy_class("boulware") is Boulware
        assert "stubborn" not in strategy_names()

    @pytest.mark.parametrize("problem", ["no name", "bad kind", "no decide", "no default"])
    def test_incomplete_classes(self, problem: str, restore_registry: None) -> None:
        if problem == "no name":

            @dataclass(frozen=True)
            class Incomplete(Stubborn):
                name: ClassVar[str] = ""

        elif problem == "bad kind":

            @dataclass(frozen=True)
            class Incomplete(Stubborn):
                name: ClassVar[str] = "incomplete"
                kind: ClassVar[str] = "negotiater"

        elif problem == "no decide":

            @dataclass(frozen=True)
            class Incomplete(Strategy):
                name: ClassVar[str] = "incomplete"

        else:

            @dataclass(frozen=True)
            class Incomplete(Stubborn):
                level: float
                name: ClassVar[str] = "incomplete"

        with pytest.raises(ValueError):
            register_strategy(Incomplete)
        assert "incomplete" not in strategy_names()


class TestCheckStrategy:
    def test_valid(self) -> None:
        assert check_strategy("boulware", {"exponent": 3.0}, "principal") is None
        assert check_strategy("spoiler", {}, "spoiler") is None
        assert check_strategy("mediator", {"base": 0.2}, "mediator") is None
        assert check_strategy("backer", {}, "backer") is None

    def test_unknown_name_suggests_the_closest(self) -> None:
        field, message = check_strategy("boulwar", {}, "principal")
        assert field == ".name"
        assert "unknown strategy 'boulwar'" in message
        assert "did you mean 'boulware'?" in message
        assert "expected one of" in message
        assert "tit_for_tat" in message

    def test_unknown_name_far_from_any(self) -> None:
        _, message = check_strategy("zzzzzz", {}, "principal")
        assert "did you mean" not in message

    def test_unknown_parameter_suggests_the_closest(self) -> None:
        field, message = check_strategy("boulware", {"exponant": 2.0}, "principal")
        assert field == ".params.exponant"
        assert "unknown parameter 'exponant'" in message
        assert "did you mean 'exponent'?" in message
        assert "expected one of exponent, floor" in message

    @pytest.mark.parametrize(
        ("name", "role", "kind", "wanted"),
        [
            ("boulware", "mediator", "negotiator", "mediator"),
            ("spoiler", "principal", "spoiler", "negotiator"),
            ("backer", "spoiler", "backer", "spoiler"),
            ("mediator", "backer", "mediator", "backer"),
        ],
    )
    def test_wrong_kind_for_role(self, name: str, role: str, kind: str, wanted: str) -> None:
        field, message = check_strategy(name, {}, role)
        assert field == ".name"
        assert f"{name!r} is a {kind} strategy" in message
        assert f"a {role} needs a {wanted} strategy" in message

    def test_any_kind_for_other(self) -> None:
        for name in ("boulware", "spoiler", "mediator", "backer"):
            assert check_strategy(name, {}, "other") is None

    def test_invalid_value(self) -> None:
        field, message = check_strategy("boulware", {"exponent": -1.0}, "principal")
        assert field == ".params"
        assert "exponent must be finite and > 0" in message
        assert "(strategy 'boulware')" in message

    def test_wrong_type_is_reported_not_raised(self) -> None:
        problem = check_strategy("boulware", {"exponent": "steep"}, "principal")  # type: ignore[dict-item]
        assert problem is not None
        assert problem[0] == ".params"


# -- decisions outside [0, 1] --------------------------------------------------------------------
@dataclass(frozen=True)
class OutOfRange(Strategy):
    """A user's spoiler that returns a fixed number, whatever it sees (not a run-axis class)."""

    value: float = 1.7
    name: ClassVar[str] = "out_of_range_spoiler"
    kind: ClassVar[Any] = "spoiler"

    def decide(self, obs: Any) -> float:
        return self.value


@dataclass(frozen=True)
class OutOfRangeBacker(OutOfRange):
    name: ClassVar[str] = "out_of_range_backer"
    kind: ClassVar[Any] = "backer"


@dataclass(frozen=True)
class OutOfRangeMediator(OutOfRange):
    name: ClassVar[str] = "out_of_range_mediator"
    kind: ClassVar[Any] = "mediator"


@dataclass(frozen=True)
class OutOfRangeNegotiator(OutOfRange):
    name: ClassVar[str] = "out_of_range_negotiator"
    kind: ClassVar[Any] = "negotiator"


TWO = np.array([0.1, 0.9])
DECIDING = {
    OutOfRange: (SpoilerObservation(TWO, TWO), "a pressure"),
    OutOfRangeBacker: (BackerObservation(TWO), "a support"),
    OutOfRangeMediator: (MediatorObservation(TWO, TWO), "an effort"),
    OutOfRangeNegotiator: (
        NegotiatorObservation(TWO, TWO, TWO, first_round=np.array([True, False])),
        "an aspiration",
    ),
}


class TestDecisionsStayInTheUnitInterval:
    """Every kind's decision is clipped to [0, 1] before the model uses it; NaN is an error."""

    @pytest.mark.parametrize("cls", list(DECIDING), ids=lambda cls: cls.kind)
    @pytest.mark.parametrize(("value", "used"), [(1.7, 1.0), (-0.3, 0.0), (0.25, 0.25)])
    def test_clipped(self, cls: type[OutOfRange], value: float, used: float) -> None:
        obs, _ = DECIDING[cls]
        got = strategies_module.decide_over_runs(cls(value), obs, 2)
        np.testing.assert_array_equal(got, [used, used])

    @pytest.mark.parametrize("cls", list(DECIDING), ids=lambda cls: cls.kind)
    @pytest.mark.parametrize("value", [float("nan"), float("inf")])
    def test_not_a_number_is_an_error(self, cls: type[OutOfRange], value: float) -> None:
        obs, what = DECIDING[cls]
        message = f"returned {what.split()[1]} {value}; {what} is a number in \\[0, 1\\]"
        with pytest.raises(ValueError, match=message):
            strategies_module.decide_over_runs(cls(value), obs, 2)

    def test_a_spoilers_pressure_above_one_is_used_as_one(self, restore_registry: None) -> None:
        from lsr_sim.model import NegotiationModel
        from lsr_sim.scenario import read_scenario_data, scenario_from_dict

        register_strategy(OutOfRange)
        data = read_scenario_data(ROOT / "scenarios" / "baseline.yaml")
        data["actors"]["Hezbollah"]["strategy"] = {"name": OutOfRange.name}
        model = NegotiationModel(scenario_from_dict(data, "out of range"), rng=1)
        model.step()
        assert model.pressure[model.kernel.structure.compiled.actor_index("Hezbollah")] == 1.0
