"""Bueno de Mesquita's expected utility model (Scholz, Calbert & Smith 2011 form).

Checked against the equations written out by brute force (loops over every voter and pair),
the EC emission-standards example worked by hand, and properties that must hold for any
input (hypothesis).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from lsr_sim.classic.bdm import (
    OFFER_KINDS,
    VARIANTS,
    BDMResult,
    BDMVariant,
    bdm,
    bdm_round,
    expected_utilities,
    risk_exponents,
    weighted_mean,
    weighted_median,
    win_probabilities,
)
from lsr_sim.classic.inputs import read_actor_table

EC_CSV = Path(__file__).resolve().parents[1] / "data" / "classic" / "bdm1994_ec_emissions.csv"


@pytest.fixture(scope="module")
def ec() -> pd.DataFrame:
    return read_actor_table(EC_CSV)


@pytest.fixture(scope="module")
def ec_run(ec: pd.DataFrame) -> BDMResult:
    return bdm(ec, rounds=10)


# --------------------------------------------------------------------------- brute force
def brute_probabilities(x, c, s) -> np.ndarray:
    """P_ij straight from the definition: loops over k, and over every pair for the total."""
    x, c, s = (np.asarray(v, float) for v in (x, c, s))
    n, width = len(x), x.max() - x.min()

    def vote(k: int, j: int, m: int) -> float:  # v_k(j, m) with r = 1
        return c[k] * s[k] * (abs(x[k] - x[m]) / width - abs(x[k] - x[j]) / width)

    total = sum(abs(vote(k, a, b)) for k in range(n) for a in range(n) for b in range(n))
    p = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            p[i, j] = sum(max(0.0, vote(k, i, j)) for k in range(n)) / total
    return p


def brute_utilities(x, c, s, r) -> np.ndarray:
    """EU_i(j) straight from U_s, U_f, U_sq and P (i's exponent r_i)."""
    x, s = np.asarray(x, float), np.asarray(s, float)
    p = brute_probabilities(x, c, s)
    n, width = len(x), x.max() - x.min()
    eu = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            if i == j:
                continue
            d = abs(x[i] - x[j]) / width
            u_s = 2 - 4 * (0.5 - 0.5 * d) ** r[i]
            u_f = 2 - 4 * (0.5 + 0.5 * d) ** r[i]
            u_sq = 2 - 4 * 0.5 ** r[i]
            eu[i, j] = s[j] * (p[i, j] * u_s + (1 - p[i, j]) * u_f) + (1 - s[j]) * u_s - u_sq
    return eu


def brute_risk(x, c, s) -> np.ndarray:
    eu = brute_utilities(x, c, s, np.ones(len(x)))
    danger = np.array([sum(eu[j, i] for j in range(len(x)) if j != i) for i in range(len(x))])
    big_r = (2 * danger - danger.max() - danger.min()) / (danger.max() - danger.min())
    return (1 - big_r / 3) / (1 + big_r / 3)


# --------------------------------------------------------------------------- EC by hand
def test_ec_round_zero_forecasts_by_hand(ec: pd.DataFrame, ec_run: BDMResult) -> None:
    # w = c s per actor, in the order of the table
    # NL .08*.8 = .064  BE .08*.4 = .032  LU .03*.2 = .006  DE .16*.8 = .128
    # FR .16*.6 = .096  IT .16*.6 = .096  UK .16*.9 = .144  IE .05*.1 = .005
    # DK .05*1. = .050  GR .08*.7 = .056
    weights = [0.064, 0.032, 0.006, 0.128, 0.096, 0.096, 0.144, 0.005, 0.050, 0.056]
    assert np.allclose(ec["capability"] * ec["salience"], weights)
    total = 0.677  # sum of the weights
    assert sum(weights) == pytest.approx(total)
    # at 4 years: NL + LU + DE + DK = .064 + .006 + .128 + .050 = .248
    # at 7 years: BE + IE + GR      = .032 + .005 + .056        = .093
    # at 10 years: FR + IT + UK     = .096 + .096 + .144        = .336
    # mean = sum c s x / sum c s = (.248*4 + .093*7 + .336*10) / .677
    #      = (.992 + .651 + 3.36) / .677 = 5.003 / .677 = 7.38996...
    mean = (0.248 * 4 + 0.093 * 7 + 0.336 * 10) / total
    assert mean == pytest.approx(5.003 / 0.677)
    assert ec_run.mean[0] == pytest.approx(mean, rel=1e-12)
    assert round(ec_run.mean[0], 3) == 7.390
    # median: half of .677 is .3385; the cumulative weight is .248 at 4 (short of half)
    # and .248 + .093 = .341 at 7 (past half): the median is 7 years
    assert 0.248 < total / 2 < 0.248 + 0.093
    assert ec_run.median[0] == 7.0
    assert weighted_mean(ec["position"], weights) == pytest.approx(mean)
    assert weighted_median(ec["position"], weights) == 7.0


def test_ec_the_median_is_not_the_mean(ec_run: BDMResult) -> None:
    """A public replication logged the mean under the name "median"."""
    frame = ec_run.to_frame()
    assert frame.loc[0, "median"] == 7.0
    assert frame.loc[0, "mean"] != frame.loc[0, "median"]
    assert not np.allclose(frame["mean"], frame["median"])


def test_ec_forecast_after_ten_rounds(ec_run: BDMResult) -> None:
    """What this implementation forecasts (a regression pin, not a published figure).

    Belgium compromises towards France, Luxembourg follows Belgium and Ireland follows
    Luxembourg, round after round, up to 10 years; the others hold their positions.
    """
    frame = ec_run.to_frame()
    assert frame["mean"].round(3).tolist() == [
        7.39, 7.479, 7.565, 7.595, 7.605, 7.607, 7.607, 7.607, 7.607, 7.607, 7.607
    ]  # fmt: skip
    assert frame["median"].round(3).tolist()[:6] == [7.0, 8.79, 9.804, 9.974, 9.997, 10.0]
    assert ec_run.median[-1] == pytest.approx(10.0)
    end = dict(zip(ec_run.actors, ec_run.positions[-1], strict=True))
    assert {a for a in ec_run.actors if end[a] != ec_run.positions[0][ec_run.actors.index(a)]} == {
        "Belgium",
        "Luxembourg",
        "Ireland",
    }


def test_ec_round_one_offers(ec_run: BDMResult) -> None:
    offers = ec_run.offers[ec_run.offers["round"] == 1]
    accepted = offers[offers["accepted"]].set_index("to")
    assert set(accepted.index) == {"Belgium", "Luxembourg", "Ireland"}
    # Belgium: capitulations (to 4) and compromises (to 8.79): a compromise is preferred
    belgium = offers[offers["to"] == "Belgium"]
    assert set(belgium["kind"]) == {"capitulation", "compromise"}
    assert accepted.loc["Belgium", "kind"] == "compromise"
    # Luxembourg: confrontations to 7 (Belgium) and to 10 (France, Italy): the smaller move
    lux = offers[(offers["to"] == "Luxembourg") & (offers["kind"] == "confrontation")]
    assert sorted(lux["new_position"]) == [7.0, 10.0, 10.0]
    assert accepted.loc["Luxembourg", "new_position"] == 7.0
    assert accepted.loc["Luxembourg", "from"] == "Belgium"
    # Ireland: a confrontation (a move of 3) beats compromises that move it less
    ireland = offers[offers["to"] == "Ireland"]
    smallest = (ireland["new_position"] - 7.0).abs().min()
    assert smallest < 0.2
    assert accepted.loc["Ireland", "kind"] == "confrontation"
    assert accepted.loc["Ireland", "new_position"] == 4.0


def test_ec_moves_use_the_start_of_the_round(ec_run: BDMResult) -> None:
    """Luxembourg moves to where Belgium was at the start of round 1, not where it went."""
    start, after = ec_run.positions[0], ec_run.positions[1]
    be, lu = ec_run.actors.index("Belgium"), ec_run.actors.index("Luxembourg")
    assert after[be] == pytest.approx(8.790014, abs=1e-6)
    assert after[lu] == start[be] == 7.0


def test_ec_risk_exponents(ec_run: BDMResult, ec: pd.DataFrame) -> None:
    r = ec_run.risk[0]
    assert r.min() == 0.5 and r.max() == 2.0  # the extremes of danger map to 0.5 and 2
    assert r[ec_run.actors.index("Ireland")] == 0.5
    assert r[ec_run.actors.index("Denmark")] == 2.0
    assert np.allclose(r, brute_risk(ec["position"], ec["capability"], ec["salience"]))


# --------------------------------------------------------------------------- equations
@pytest.mark.parametrize(
    ("x", "c", "s"),
    [
        ([4, 7, 4, 4, 10, 10, 10, 7, 4, 7], [8, 8, 3, 16, 16, 16, 16, 5, 5, 8],
         [0.8, 0.4, 0.2, 0.8, 0.6, 0.6, 0.9, 0.1, 1.0, 0.7]),
        ([0, 3.5, 10, 2], [1, 0, 2, 0.5], [0.3, 1, 0, 0.9]),
        ([1, 2], [1, 3], [1, 0.5]),
    ],
)  # fmt: skip
def test_equations_against_brute_force(x, c, s) -> None:
    assert np.allclose(win_probabilities(x, c, s), brute_probabilities(x, c, s), atol=1e-15)
    r = np.linspace(0.5, 2, len(x))
    assert np.allclose(expected_utilities(x, c, s, r), brute_utilities(x, c, s, r), atol=1e-12)
    assert np.allclose(risk_exponents(x, c, s), brute_risk(x, c, s))


def test_denominator_is_the_total_vote_over_every_pair() -> None:
    """sum_k sum_a sum_b |v_k(a, b)| = 2 sum_ij sum_k max(0, v_k(i, j)): the P's sum to 1/2."""
    rng = np.random.default_rng(3)
    for _ in range(20):
        n = int(rng.integers(2, 9))
        x, c, s = rng.uniform(0, 10, n), rng.uniform(0, 1, n), rng.uniform(0, 1, n)
        assert win_probabilities(x, c, s).sum() == pytest.approx(0.5)


def test_probabilities_on_a_large_table_are_vectorised() -> None:
    rng = np.random.default_rng(4)
    n = 150  # 3.4 million votes per round, in blocks
    x, c, s = rng.uniform(0, 100, n), rng.uniform(0, 1, n), rng.uniform(0, 1, n)
    p = win_probabilities(x, c, s)
    assert p.shape == (n, n) and p.sum() == pytest.approx(0.5)
    result = bdm(capability=c, position=x, salience=s, rounds=2)
    assert np.isfinite(result.positions).all()


def test_same_danger_everywhere_means_risk_exponent_one() -> None:
    # two actors mirror each other: the same danger, so R_i = 0 and r_i = 1
    assert risk_exponents([0, 1], [1, 1], [1, 1]).tolist() == [1.0, 1.0]
    rng = np.random.default_rng(6)
    for _ in range(50):  # mirrored pairs: equal danger up to rounding, still r = 1
        x, c, s = rng.uniform(-5, 5, 2), rng.uniform(0.01, 1), rng.uniform(0, 1)
        assert risk_exponents(x, [c, c], [s, s]).tolist() == [1.0, 1.0]
    # three at one position, one apart, all alike: still finite
    assert np.isfinite(risk_exponents([0, 0, 0, 1], [1, 1, 1, 1], [1, 1, 1, 1])).all()


def test_expected_utility_is_zero_between_actors_at_one_position() -> None:
    eu = expected_utilities([3, 3, 5], [1, 2, 3], [0.3, 0.7, 0.9], [0.5, 2.0, 1.3])
    assert eu[0, 1] == 0.0 and eu[1, 0] == 0.0


# --------------------------------------------------------------------------- offers
def test_capitulation_is_reachable() -> None:
    """EU_ji > 0 > EU_ij and EU_ji < |EU_ij|: i moves all the way to x_j.

    (A public replication tests ``EU_ji < EU_ij`` there, which can never be true.)
    """
    c, x, s = [2, 5, 1], [2, 6, 7], [0.9, 1.0, 0.3]
    risk = risk_exponents(x, c, s)
    eu = expected_utilities(x, c, s, risk)
    b, cc = 1, 2  # i = c, j = b
    assert eu[b, cc] > 0 > eu[cc, b]
    assert eu[b, cc] < abs(eu[cc, b])
    step = bdm_round(capability=c, position=x, salience=s, names=["a", "b", "c"])
    assert step.offers[["kind", "from", "to", "accepted"]].values.tolist() == [
        ["capitulation", "b", "c", True]
    ]
    assert step.position.tolist() == [2.0, 6.0, 6.0]


def test_compromise_moves_part_of_the_way() -> None:
    c, x, s = [4, 3, 2], [0, 7, 10], [0.6, 0.4, 0.4]
    step = bdm_round(capability=c, position=x, salience=s, names=["a", "b", "c"])
    eu = expected_utilities(x, c, s, step.risk)
    # a gets a compromise from c: EU_ca > 0 > EU_ac, EU_ca > |EU_ac|
    assert eu[2, 0] > 0 > eu[0, 2] and eu[2, 0] > abs(eu[0, 2])
    expected = 0 + (10 - 0) * abs(eu[0, 2] / eu[2, 0])
    assert step.position[0] == pytest.approx(expected)
    assert 0 < step.position[0] < 10
    chosen = step.offers[step.offers["accepted"] & (step.offers["to"] == "a")]
    assert chosen["kind"].tolist() == ["compromise"]
    # b's capitulation offer to a (a move to 7) was not taken: compromise comes first
    assert "capitulation" in set(step.offers[step.offers["to"] == "a"]["kind"])


def test_offer_kinds_follow_their_definitions() -> None:
    rng = np.random.default_rng(5)
    seen: set[str] = set()
    for _ in range(60):
        n = int(rng.integers(2, 7))
        x = rng.integers(0, 11, n).astype(float)
        c, s = rng.uniform(0, 1, n), rng.uniform(0, 1, n)
        if not x.max() > x.min():
            continue
        names = [f"a{i}" for i in range(n)]
        step = bdm_round(capability=c, position=x, salience=s, names=names)
        eu = expected_utilities(x, c, s, step.risk)
        for row in step.offers.to_dict("records"):
            i, j = names.index(row["to"]), names.index(row["from"])
            mine, theirs, new = eu[i, j], eu[j, i], row["new_position"]
            seen.add(row["kind"])
            if row["kind"] == "confrontation":
                assert theirs > mine > 0 and new == x[j]
            elif row["kind"] == "compromise":
                assert theirs > 0 > mine and theirs > -mine
                assert new == pytest.approx(x[i] + (x[j] - x[i]) * -mine / theirs)
            else:
                assert theirs > 0 > mine and theirs < -mine and new == x[j]
    assert seen == set(OFFER_KINDS)


# --------------------------------------------------------------------------- degenerate
def test_all_at_one_position_stay_there() -> None:
    result = bdm(capability=[1, 2, 0], position=[5, 5, 5], salience=[0.5, 1, 0], rounds=4)
    assert (result.positions == 5).all()
    assert result.offers.empty
    assert (result.risk == 1).all()
    assert result.mean.tolist() == [5.0] * 5 and result.median.tolist() == [5.0] * 5


def test_zero_capability_or_salience() -> None:
    result = bdm(capability=[0, 1, 1, 2], position=[0, 3, 6, 10], salience=[1, 0, 0.5, 0.8])
    assert np.isfinite(result.positions).all() and np.isfinite(result.risk).all()
    assert np.isfinite(result.mean).all() and np.isfinite(result.median).all()


def test_zero_rounds() -> None:
    result = bdm(capability=[1, 1], position=[0, 1], salience=[0.5, 0.5], rounds=0)
    assert result.positions.shape == (1, 2) and result.risk.shape == (0, 2)
    assert result.offers.empty and list(result.offers.columns)[:3] == ["round", "kind", "from"]
    assert result.to_frame()["round"].tolist() == [0]


def test_arrays_or_table_give_the_same_run(ec: pd.DataFrame, ec_run: BDMResult) -> None:
    arrays = bdm(
        capability=ec["capability"].to_numpy(),
        position=ec["position"].to_numpy(),
        salience=ec["salience"].to_numpy(),
        names=list(ec["actor"]),
    )
    assert np.array_equal(arrays.positions, ec_run.positions)
    mapping = bdm({k: list(v) for k, v in ec.items()})
    assert np.array_equal(mapping.mean, ec_run.mean)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"capability": [1], "position": [0], "salience": [1]}, "at least 2"),
        ({"capability": [1, 1], "position": [0, 1], "salience": [1]}, "different lengths"),
        ({"capability": [-1, 1], "position": [0, 1], "salience": [1, 1]}, "capability"),
        ({"capability": [1, 1], "position": [0, 1], "salience": [1, 1.5]}, "salience"),
        ({"capability": [0, 1], "position": [0, 1], "salience": [1, 0]}, "both > 0"),
        ({"capability": [1, 1], "position": [0, np.nan], "salience": [1, 1]}, "finite"),
        ({"capability": [1, 1], "position": [0, 1], "salience": [1, 1],
          "names": ["a", "a"]}, "unique"),
        ({"capability": [1, 1], "position": [0, 1], "salience": [1, 1],
          "scale": (0.5, 2)}, "within the scale"),
        ({"capability": [1, 1], "position": [0, 1], "salience": [1, 1], "rounds": -1}, "rounds"),
        ({}, "give a table"),
    ],
)  # fmt: skip
def test_bad_inputs_raise(kwargs, message) -> None:
    with pytest.raises(ValueError, match=message):
        bdm(**kwargs)


def test_a_table_with_several_issues_is_refused() -> None:
    table = pd.DataFrame({"issue": ["p", "q"], "actor": ["a", "b"], "capability": [1, 1],
                          "position": [0, 1], "salience": [1, 1]})  # fmt: skip
    with pytest.raises(ValueError, match="several issues"):
        bdm(table)


def test_weighted_median_ties_and_order() -> None:
    assert weighted_median([0, 10], [1, 1]) == 5.0  # exactly half at 0: the midpoint
    assert weighted_median([0, 10], [1, 1.0001]) == 10.0
    assert weighted_median([7, 7, 1, 9], [1, 1, 1, 1]) == 7.0
    assert weighted_median([9, 1, 7, 7], [1, 1, 1, 1]) == 7.0  # any order
    assert weighted_median([3, 4], [0, 1]) == 4.0
    with pytest.raises(ValueError):
        weighted_median([1, 2], [0, 0])


# --------------------------------------------------------------------------- properties
@st.composite
def actor_tables(draw: st.DrawFn) -> dict[str, list]:
    n = draw(st.integers(2, 7))
    grid = draw(st.booleans())  # shared positions are common in the literature's tables
    position = draw(
        st.lists(
            st.integers(0, 4).map(float)
            if grid
            # on a grid of 1e-6: the pairwise counts below compare distances exactly
            else st.floats(-50, 50, allow_nan=False).map(lambda v: round(v, 6)),
            min_size=n,
            max_size=n,
        )
    )
    unit = st.one_of(st.sampled_from([0.0, 1.0, 0.5]), st.floats(0, 1, allow_subnormal=False))
    capability = draw(st.lists(unit, min_size=n, max_size=n))
    salience = draw(st.lists(unit, min_size=n, max_size=n))
    assume(sum(c * s for c, s in zip(capability, salience, strict=True)) > 1e-6)
    return {
        "actor": [f"actor{i:02d}" for i in range(n)],
        "capability": capability,
        "position": position,
        "salience": salience,
    }


PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(actor_tables())
def test_property_no_nan_risk_in_range_positions_in_scale(table) -> None:
    result = bdm(table, rounds=4)
    x0 = np.asarray(table["position"])
    assert np.isfinite(result.positions).all()
    assert np.isfinite(result.mean).all() and np.isfinite(result.median).all()
    assert np.isfinite(result.risk).all()
    assert ((result.risk >= 0.5) & (result.risk <= 2.0)).all()
    assert (result.positions >= x0.min()).all() and (result.positions <= x0.max()).all()
    numbers = result.offers[["old_position", "new_position"]].to_numpy(dtype=float)
    assert np.isfinite(numbers).all()
    if len(result.offers):
        assert set(result.offers["kind"]) <= set(OFFER_KINDS)


@PROPERTY
@given(actor_tables())
def test_property_median_is_the_condorcet_winner(table) -> None:
    result = bdm(table, rounds=2)
    w = np.asarray(table["capability"]) * np.asarray(table["salience"])
    for x, m in zip(result.positions, result.median, strict=True):
        candidates = np.concatenate([x, np.linspace(x.min(), x.max(), 7)])
        for y in candidates:
            # the BDM vote (r = 1): sum_k w_k (|x_k - y| - |x_k - m|) >= 0
            assert w @ (np.abs(x - y) - np.abs(x - m)) >= -1e-9 * (1 + np.abs(x).max())
            # and counting each actor's weight for the nearer of the two
            for_m = w[np.abs(x - m) < np.abs(x - y)].sum()
            for_y = w[np.abs(x - y) < np.abs(x - m)].sum()
            assert for_m >= for_y - 1e-12 * w.sum()


@PROPERTY
@given(actor_tables(), st.randoms(use_true_random=False))
def test_property_order_of_actors_does_not_matter(table, random) -> None:
    result = bdm(table, rounds=4)
    order = list(range(len(table["actor"])))
    random.shuffle(order)
    shuffled = bdm({k: [v[i] for i in order] for k, v in table.items()}, rounds=4)
    assert np.array_equal(shuffled.mean, result.mean)
    assert np.array_equal(shuffled.median, result.median)
    assert np.array_equal(shuffled.positions, result.positions[:, order])
    assert np.array_equal(shuffled.risk, result.risk[:, order])

    def offer_set(frame: pd.DataFrame) -> set[tuple]:
        return set(map(tuple, frame.to_numpy().tolist()))

    assert offer_set(shuffled.offers) == offer_set(result.offers)


@PROPERTY
@given(actor_tables())
def test_property_every_round_moves_from_its_start_state(table) -> None:
    result = bdm(table, rounds=3)
    for t in range(1, result.rounds + 1):
        start = result.positions[t - 1]
        # the offers of round t were all computed from the positions at its start ...
        offers = result.offers[result.offers["round"] == t]
        index = [result.actors.index(a) for a in offers["to"]]
        assert np.array_equal(offers["old_position"].to_numpy(dtype=float), start[index])
        # ... and applying the accepted ones together gives the next positions
        moved = start.copy()
        chosen = offers[offers["accepted"]]
        for actor, new in zip(chosen["to"], chosen["new_position"], strict=True):
            moved[result.actors.index(actor)] = new
        assert np.array_equal(moved, result.positions[t])
        assert chosen["to"].is_unique
        # one fresh round from the same start state gives the same move
        again = bdm_round(
            capability=table["capability"],
            position=start,
            salience=table["salience"],
            names=table["actor"],
            scale=result.scale,
        )
        assert np.array_equal(again.position, result.positions[t])


@PROPERTY
@given(actor_tables(), st.floats(-20, 20, allow_nan=False))
def test_property_shared_position_stays(table, where) -> None:
    n = len(table["actor"])
    result = bdm({**table, "position": [where] * n}, rounds=3)
    assert (result.positions == where).all()
    assert result.offers.empty
    assert (result.mean == where).all() and (result.median == where).all()


@PROPERTY
@given(actor_tables())
def test_property_accepted_offer_is_the_preferred_one(table) -> None:
    step = bdm_round(table)
    x = dict(zip(table["actor"], table["position"], strict=True))
    rank = {kind: i for i, kind in enumerate(OFFER_KINDS)}
    for _, offers in step.offers.groupby("to"):
        chosen = offers[offers["accepted"]]
        assert len(chosen) == 1
        best = min(rank[k] for k in offers["kind"])
        assert rank[chosen["kind"].iloc[0]] == best
        same_kind = offers[offers["kind"] == OFFER_KINDS[best]]
        moves = (same_kind["new_position"] - x[chosen["to"].iloc[0]]).abs()
        chosen_move = abs(chosen["new_position"].iloc[0] - x[chosen["to"].iloc[0]])
        assert chosen_move == moves.min()


# --------------------------------------------------------------------------- variants
# Worked examples for each choice of BDMVariant, derived by hand from the module's equations
# (numbers written out to 1e-12; sqrt(2) = 1.41421356..., sqrt(0.75) = 0.86602540...).
# Every example has R = max x - min x and votes with r = 1 in the risk phase.


def variant_round(x, c, s, variant, names=("a", "b", "c", "d")) -> pd.DataFrame:
    """The positions and accepted offers of one round, by name."""
    step = bdm_round(capability=c, position=x, salience=s, names=list(names[: len(x)]),
                     variant=variant)  # fmt: skip
    return step


def test_the_named_variants_are_the_documented_choices() -> None:
    assert VARIANTS["lsr"] == BDMVariant()
    assert VARIANTS["lsr"] == BDMVariant("challenger", "linear", "smallest_move", "lower_position")
    assert VARIANTS["scholz"] == BDMVariant(
        challenger_exponent="receiver",
        offer_votes="own",
        compromise="weighted_position",
        ties="listed_first",
    )


def test_default_variant_is_unchanged(ec: pd.DataFrame, ec_run: BDMResult) -> None:
    """variant="lsr" is what bdm() did before variants existed, to the bit."""
    for run in (bdm(ec, rounds=10, variant="lsr"), bdm(ec, rounds=10, variant=BDMVariant())):
        assert np.array_equal(run.positions, ec_run.positions)
        assert np.array_equal(run.risk, ec_run.risk)
        pd.testing.assert_frame_equal(run.offers, ec_run.offers)
    assert ec_run.variant == VARIANTS["lsr"]


def test_receiver_exponent_in_the_challengers_utility() -> None:
    # a at 0 (c 1, s 1); b and c at 1 (c 1, s .5). w = (1, .5, .5), W = 2, R = 1.
    # All distances are 0 or 1, so exponents do not change the votes (0^r = 0, 1^r = 1):
    # denominator: each voter has 4 ordered pairs at distance 1 -> 4 W = 8;
    # P_ab = w_a / 8 = 1/8 (only a prefers 0 to 1); P_ba = (w_b + w_c) / 8 = 1/8.
    # d = 1: U_s = 2, U_f = -2, U_sq = 2 - 4 (.5)^r, so EU_i(j) = 4 (.5)^r - 4 s_j (1 - P_ij).
    # Risk (r = 1): EU_b(a) = 2 - 4 * 1 * 7/8 = -1.5 (as EU_c(a)), EU_a(b) = 2 - 4 * .5 * 7/8
    # = .25; danger_a = -1.5 - 1.5 = -3, danger_b = danger_c = .25: r_a = 2, r_b = r_c = .5.
    # Offers to b from a (b's own EU_ij uses r_b = .5: 4/sqrt(2) - 3.5 = -0.671572875254):
    #   lsr: EU_ji = EU_a(b) with r_a = 2:      1 - 1.75 = -0.75 -> no offer;
    #   receiver's exponent r_b = .5: 2 sqrt(2) - 1.75 = 1.078427124746 > .671572875254
    #   -> compromise: 1 + (0 - 1) * 0.671572875254 / 1.078427124746 = 0.377266335533.
    # Offers to a from b: EU_ij = EU_a(b) with r_a = 2 = -0.75 and EU_ji < 0 with either
    # exponent (2 sqrt(2) - 3.5 or 1 - 3.5): none.
    x, c, s = [0, 1, 1], [1, 1, 1], [1, 0.5, 0.5]
    lsr = variant_round(x, c, s, "lsr")
    np.testing.assert_allclose(lsr.risk, [2, 0.5, 0.5], rtol=1e-12)
    assert lsr.position.tolist() == [0, 1, 1] and lsr.offers.empty
    moved = 0.37726633553299616
    for variant in (BDMVariant(challenger_exponent="receiver"), "scholz"):
        step = variant_round(x, c, s, variant)
        np.testing.assert_allclose(step.position, [0, moved, moved], rtol=1e-12)
        assert step.offers["kind"].tolist() == ["compromise", "compromise"]
        assert step.offers["from"].tolist() == ["a", "a"]
    # the other choices alone change nothing here
    for variant in (BDMVariant(offer_votes="own"), BDMVariant(compromise="weighted_position")):
        assert variant_round(x, c, s, variant).position.tolist() == [0, 1, 1]


def test_offer_votes_with_the_voters_own_exponents() -> None:
    # a at 0, b at 1, c at 2 (c = 1, 2, 1; s = .5 each): w = (.5, 1, .5), R = 2, so the
    # distances / R are d_ab = d_bc = .5 and d_ac = 1.
    # Risk phase (r = 1): denominator 2 + 2 + 2 = 6 (voter a: pairs 2 (.5 + 1 + .5) = 4,
    # times .5; voter b: 2 (.5 + .5) = 2, times 1; c as a); P_ba = (1 * .5 + .5 * .5) / 6
    # = 1/8, P_ab = .5 * .5 / 6 = 1/24. Dangers: a and c 0.291666..., b 0.083333...:
    # r_a = r_c = .5, r_b = 2.
    # Offer phase, own exponents: voter a sees (0, .5^.5, 1) = (0, .707107, 1), pairs 4,
    # times .5 = 2; voter b sees (.25, 0, .25), pairs 1, times 1 = 1; c as a: denominator 5.
    # P_ba = [1 * (.25 - 0) + .5 * (1 - .5^.5)] / 5 = 0.079289321881,
    # P_ab = .5 * .5^.5 / 5 = 0.070710678119.
    # b's EU against a (r_b = 2, d = .5): U_s = 1.75, U_f = -.25, U_sq = 1, s_a = .5
    #   EU_ij = .5 (1.75 P - .25 (1 - P)) + .875 - 1 = P_ba - .25:
    #   linear votes -.125, own votes -0.170710678119.
    # a's EU against b (r_a = .5, d = .5): U_s = 0, U_f = 2 - 4 sqrt(.75) = -1.464101615138,
    #   U_sq = 2 - 2 sqrt(2) = -0.828427124746; EU_ji = .828427124746 - .732050807569 (1 - P_ab):
    #   linear votes 0.126878434159 > .125: compromise to 1 - .125 / .126878434159
    #   = 0.014804991658; own votes 0.148140126198 < .170710678119: capitulation to 0.
    # c offers b the mirror image (to 2 - 0.014804991658 or to 2): a tie, broken by the
    # lower position (or, with ties="listed_first", by the offerer listed first).
    x, c, s = [0, 1, 2], [1, 2, 1], [0.5, 0.5, 0.5]
    lsr = variant_round(x, c, s, "lsr")
    np.testing.assert_allclose(lsr.risk, [0.5, 2, 0.5], rtol=1e-12)
    np.testing.assert_allclose(lsr.position, [0, 0.014804991658318056, 2], rtol=1e-12)
    assert lsr.offers["kind"].tolist() == ["compromise", "compromise"]
    own = variant_round(x, c, s, BDMVariant(offer_votes="own"))
    assert own.position.tolist() == [0, 0, 2]
    assert own.offers["kind"].tolist() == ["capitulation", "capitulation"]
    assert own.offers[own.offers["accepted"]]["from"].tolist() == ["a"]
    # listed c, b, a: the tie goes to c, listed first
    listed = bdm_round(capability=c[::-1], position=x[::-1], salience=s, names=["c", "b", "a"],
                       variant=BDMVariant(offer_votes="own", ties="listed_first"))  # fmt: skip
    assert listed.position.tolist() == [2, 2, 0]
    assert listed.offers[listed.offers["accepted"]]["from"].tolist() == ["c"]
    # the same listing under the default tie rule still takes the lower position
    lower = bdm_round(capability=c[::-1], position=x[::-1], salience=s, names=["c", "b", "a"],
                      variant=BDMVariant(offer_votes="own"))  # fmt: skip
    assert lower.position.tolist() == [2, 0, 0]


def test_compromise_with_the_lowest_weighted_position() -> None:
    # a at 0 (s .25), b at 1 (s .75), c at 2 (s .75), capability 1 each: w = (.25, .75, .75),
    # R = 2. Risk phase: denominator 5.5; in 44ths, P_ab = 1, P_ac = 2, P_ba = P_ca = 6,
    # P_bc = 4, P_cb = 3; dangers 75/44, -38/44, -54/44: r_a = .5, r_c = 2 and
    # R_b = (-76 - 75 + 54) / (75 + 54) = -97/129, r_b = (1 + 97/387) / (1 - 97/387) = 242/145.
    # a receives two compromises (EU_ij with r_a = .5, EU_ji with the offerer's exponent):
    #   from c (d = 1): EU_ij = .75 (4 * 2/44 - 2) + .5 - (2 - 2 sqrt(2)) = -0.035209238890,
    #     EU_ji = .25 (4 * 6/44 - 2) + 1.5 - 1 = 6/44 = 0.136363636364
    #     -> a moves to 0 + 2 * 0.035209238890 / 0.136363636364 = 0.516402170389;
    #     weighted position (|EU_ij| * 0 + |EU_ji| * 2) / (|EU_ij| + |EU_ji|) = 1.589571034022;
    #   from b (d = .5): EU_ij = -0.244692809076, EU_ji (r_b = 242/145) = 0.413404836864
    #     -> a moves to 0.244692809076 / 0.413404836864 = 0.591896338061;
    #     weighted position 0.413404836864 / 0.658097645940 = 0.628181607113.
    # The smallest move is c's (0.516); the lowest weighted position is b's (0.628 < 1.590).
    x, c, s = [0, 1, 2], [1, 1, 1], [0.25, 0.75, 0.75]
    lsr = variant_round(x, c, s, "lsr")
    np.testing.assert_allclose(lsr.risk, [0.5, 242 / 145, 2], rtol=1e-12)
    np.testing.assert_allclose(lsr.position, [0.5164021703892113, 1, 2], rtol=1e-12)
    weighted = variant_round(x, c, s, BDMVariant(compromise="weighted_position"))
    np.testing.assert_allclose(weighted.position, [0.5918963380612975, 1, 2], rtol=1e-12)
    offers = weighted.offers.set_index("from")
    assert offers["kind"].tolist() == ["compromise", "compromise"]
    assert offers.loc["b", "accepted"] and not offers.loc["c", "accepted"]


def test_the_scholz_variant_capitulates() -> None:
    # a at 0 (c 1), b at 1 (c 2), salience 1: w = (1, 2), R = 1, d_ab = 1.
    # Denominator 2 * 1 + 2 * 2 = 6; P_ab = 1/6, P_ba = 2/6. With d = 1 and s = 1,
    # EU_i(j) = 4 P_ij - 2 - U_sq(r), U_sq(r) = 2 - 4 (.5)^r.
    # Risk: danger_a = EU_b(a) = 4/3 - 2 = -2/3 > danger_b = EU_a(b) = 4/6 - 2 = -4/3:
    # r_a = .5 (U_sq = 2 - 2 sqrt(2)), r_b = 2 (U_sq = 1).
    # a's offer from b: EU_ij = 4/6 - 2 + 2 sqrt(2) - 2 = -0.504906208587;
    #   lsr: EU_ji = EU_b(a) with r_b: 4/3 - 2 - 1 = -5/3 -> no offer;
    #   scholz: with r_a: 4/3 - 2 + 2 sqrt(2) - 2 = 0.161760458080 > 0 but < .504906...
    #   -> capitulation: a moves to 1. (The replication's test EU_ji < |EU_ji| would make no
    #   offer and leave a at 0.)
    # b's offers from a: EU_ij = -5/3 and EU_ji < 0 either way (-0.5049 or 4/6 - 2 - 1): none.
    x, c, s = [0, 1], [1, 2], [1, 1]
    lsr = variant_round(x, c, s, "lsr")
    np.testing.assert_allclose(lsr.risk, [0.5, 2], rtol=1e-12)
    assert lsr.position.tolist() == [0, 1] and lsr.offers.empty
    scholz = variant_round(x, c, s, "scholz")
    assert scholz.position.tolist() == [1, 1]
    assert scholz.offers[["kind", "from", "to", "accepted"]].values.tolist() == [
        ["capitulation", "b", "a", True]
    ]


def test_scholz_variant_on_the_ec_table(ec: pd.DataFrame) -> None:
    """The positions that the public replication jmckib/bdm-scholz-expected-utility-model
    (commit 55f63e9, whose author reports matching Scholz et al.'s published results for 10
    rounds) prints for this table, to 4 decimals: Belgium compromises towards France for three
    rounds, then (round 4) with the Netherlands, whose |EU|-weighted position is lower;
    Luxembourg follows Belgium and Ireland follows Luxembourg one round behind."""
    run = bdm(ec, rounds=10, variant="scholz")
    assert run.variant == VARIANTS["scholz"]
    trajectory = pd.DataFrame(run.positions, columns=list(run.actors))
    assert trajectory["Belgium"].round(4).tolist() == [
        7.0, 8.4159, 9.6109, 9.962, 4.8009, 5.5242, 7.472, 8.8246, 9.6711, 4.1448, 4.2915
    ]  # fmt: skip
    assert trajectory["Luxembourg"].round(4).tolist() == [
        4.0, 7.0, 8.4159, 9.6109, 9.962, 4.8009, 5.5242, 7.472, 8.8246, 9.6711, 4.1448
    ]  # fmt: skip
    assert trajectory["Ireland"].round(4).tolist() == [
        7.0, 4.0, 7.0, 8.4159, 9.6109, 9.962, 5.5242, 7.472, 8.8246, 9.6711, 4.1448
    ]  # fmt: skip
    still = [a for a in run.actors if a not in ("Belgium", "Luxembourg", "Ireland")]
    assert (trajectory[still] == trajectory[still].iloc[0]).all().all()
    assert run.mean.round(4).tolist() == [
        7.39, 7.4613, 7.5525, 7.5901, 7.3581, 7.3492, 7.4149, 7.5105, 7.5724, 7.325, 7.2421
    ]  # fmt: skip
    # the risk exponents are those of the default variant (the risk phase is the same)
    assert np.array_equal(run.risk[0], bdm(ec, rounds=1).risk[0])
    belgium = run.offers[(run.offers["round"] == 4) & (run.offers["to"] == "Belgium")]
    taken = belgium[belgium["accepted"]].iloc[0]
    assert (taken["kind"], taken["from"]) == ("compromise", "Netherlands")
    france = belgium[belgium["from"] == "France"].iloc[0]
    assert abs(france["new_position"] - 9.962) < abs(taken["new_position"] - 9.962)


@pytest.mark.parametrize(
    "variant, message",
    [
        ("Scholz", "unknown BDM variant 'Scholz'; choose lsr or scholz"),
        ("decide", "unknown BDM variant 'decide'"),
        (3, "unknown BDM variant 3"),
    ],
)
def test_unknown_variants_are_refused(variant, message) -> None:
    with pytest.raises(ValueError, match=message):
        bdm(capability=[1, 1], position=[0, 1], salience=[1, 1], variant=variant)
    with pytest.raises(ValueError, match=message):
        bdm_round(capability=[1, 1], position=[0, 1], salience=[1, 1], variant=variant)


def test_a_variant_with_a_bad_choice_is_refused() -> None:
    with pytest.raises(ValueError, match="compromise must be 'smallest_move' or 'weighted_"):
        BDMVariant(compromise="closest")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="ties must be 'lower_position' or 'listed_first'"):
        BDMVariant(ties="random")  # type: ignore[arg-type]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    table=st.integers(2, 7).flatmap(
        lambda n: st.tuples(
            st.lists(st.integers(0, 10), min_size=n, max_size=n),
            st.lists(st.floats(0.01, 1.0), min_size=n, max_size=n),
            st.lists(st.floats(0.05, 1.0), min_size=n, max_size=n),
        )
    )
)
def test_property_scholz_variant_stays_on_the_scale_and_moves_toward_an_offerer(table) -> None:
    x, c, s = table
    assume(len(set(x)) > 1)
    run = bdm(capability=c, position=x, salience=s, rounds=4, variant="scholz")
    low, high = min(x), max(x)
    assert np.all(np.isfinite(run.positions))
    assert np.all((run.positions >= low - 1e-9) & (run.positions <= high + 1e-9))
    assert np.all((run.risk >= 0.5 - 1e-12) & (run.risk <= 2 + 1e-12))
    taken = run.offers[run.offers["accepted"]]
    # each receiver takes at most one offer per round; its new position is the taken one
    assert not taken.duplicated(["round", "to"]).any()
    index = {name: k for k, name in enumerate(run.actors)}
    for row in taken.itertuples():
        assert run.positions[row.round, index[row.to]] == row.new_position
