"""Scores: hand-computed values, a synthetic case whose true probabilities are known, the
baselines of a real forecast, and the hindcast of the baseline from 2025-06-01."""

from __future__ import annotations

import datetime as dt
import sys

import numpy as np
import pandas as pd
import pytest

from lsr_sim.errors import InputError
from lsr_sim.forecast import ArgumentError, ForecastError, forecast
from lsr_sim.forecast.scoring import (
    CLASSIC_TOLERANCE,
    brier_scores,
    classic_probability,
    crps_scores,
    log_scores,
    reliability_table,
    require_scoringrules,
    score_forecast,
    skill_score,
)
from lsr_sim.observations import (
    Fact,
    fact_outcomes,
    fact_step,
    load_observations,
    observations_from_dict,
)
from lsr_sim.scenario import load_scenario

CUT, END = dt.date(2025, 6, 1), dt.date(2026, 1, 19)

# The shipped example of the source's facts after the cut-off (every kind of fact but trust);
# the lead ships the project's full file in observations/ too.
HINDCAST_FACTS = "observations/hindcast_example.yaml"


@pytest.fixture(scope="module")
def baseline():
    return load_scenario("scenarios/baseline.yaml")


@pytest.fixture(scope="module")
def hindcast(baseline):
    return forecast(baseline, CUT, END, 120, seed=11)


# -- scores on arrays ----------------------------------------------------------------------------
def test_scores_match_hand_computed_values() -> None:
    np.testing.assert_allclose(brier_scores([0.7, 0.7, 0.0], [1, 0, 0]), [0.09, 0.49, 0.0])
    np.testing.assert_allclose(log_scores([0.7, 0.7], [1, 0]), [-np.log(0.7), -np.log(0.3)])
    np.testing.assert_allclose(
        log_scores([0.0, 1.0], [1, 1], eps=0.05), [-np.log(0.05), -np.log(0.95)]
    )
    # CRPS of the ensemble {0, 1, 3, 10} for 2: E|X - 2| = 3, E|X - X'| / 2 = 64 / 16 / 2 = 2
    assert crps_scores([[0.0, 1.0, 3.0, 10.0]], [2.0])[0] == pytest.approx(1.0)
    # ... and as the integral of (F(x) - 1{x >= y})^2 over the real line
    grid = np.linspace(-1, 11, 120_001)
    members = np.array([0.0, 1.0, 3.0, 10.0])
    cdf = (members[None, :] <= grid[:, None]).mean(axis=1)
    integral = np.trapezoid((cdf - (grid >= 2.0)) ** 2, grid)
    assert integral == pytest.approx(1.0, abs=1e-3)
    # a point forecast scores its absolute error
    assert crps_scores([[5.0]], [2.0])[0] == pytest.approx(3.0)
    # weights: member 10 with weight 5 is the ensemble with 10 five times
    weighted = crps_scores([[0.0, 1.0, 3.0, 10.0]], [2.0], weights=[1, 1, 1, 5])[0]
    repeated = crps_scores([[0.0, 1.0, 3.0, *[10.0] * 5]], [2.0])[0]
    assert weighted == pytest.approx(repeated)
    assert skill_score(0.1, 0.2) == pytest.approx(0.5) and np.isnan(skill_score(0.1, 0.0))


def test_scores_favour_the_true_forecaster() -> None:
    """Outcomes drawn as Bernoulli(p_true): the forecaster who says p_true must beat a
    miscalibrated one (overconfident), an underconfident one and the base rate, on both
    scores, and be reliable bin by bin."""
    rng = np.random.default_rng(20260119)
    p_true = rng.uniform(0.02, 0.98, 5000)
    y = (rng.random(5000) < p_true).astype(float)
    logit = np.log(p_true / (1 - p_true))
    forecasters = {
        "true": p_true,
        "overconfident": 1 / (1 + np.exp(-2.5 * logit)),
        "underconfident": 0.5 + 0.4 * (p_true - 0.5),
        "base_rate": np.full_like(p_true, y.mean()),
    }
    brier = {name: brier_scores(p, y).mean() for name, p in forecasters.items()}
    log = {name: log_scores(p, y).mean() for name, p in forecasters.items()}
    for name in ("overconfident", "underconfident", "base_rate"):
        assert brier["true"] < brier[name], name
        assert log["true"] < log[name], name
        assert skill_score(brier["true"], brier[name]) > 0
    table = reliability_table(forecasters["true"], y, bins=10)
    assert table["count"].sum() == 5000
    full = table[table["count"] >= 200]
    assert len(full) == 10
    assert (full["observed"] - full["mean_forecast"]).abs().max() < 0.06
    bad = reliability_table(forecasters["overconfident"], y, bins=10)
    bad = bad[bad["count"] >= 200]
    assert (bad["observed"] - bad["mean_forecast"]).abs().max() > 0.1


def test_reliability_bins_include_their_edges() -> None:
    table = reliability_table([0.0, 0.1, 0.5, 1.0], [0, 0, 1, 1], bins=2)
    assert table["count"].tolist() == [2, 2]
    assert np.isnan(reliability_table([0.9], [1], bins=2)["observed"].iloc[0])
    with pytest.raises(ArgumentError, match="at least one bin"):
        reliability_table([0.5], [1], bins=0)


def test_classic_forecasts_apply_to_agreements_only() -> None:
    classic = pd.DataFrame(
        {"issue": ["a", "b", "c"], "status_quo": [0.0, 0.2, 0.0], "nash": [0.5, 0.22, np.nan]}
    )

    def fact(kind: dict) -> Fact:
        return Fact.model_validate({"date": "2025-01-01", **kind})

    agreed = {"agreed": {"issue": "a", "by_then": False}}
    assert classic_probability(fact(agreed), classic, "nash") == 1.0  # P(an agreement)
    near = {"agreed": {"issue": "b", "by_then": True}}
    assert CLASSIC_TOLERANCE > 0.02
    assert classic_probability(fact(near), classic, "nash") == 0.0
    no_point = {"agreed": {"issue": "c", "by_then": True}}
    assert classic_probability(fact(no_point), classic, "nash") == 0.0
    status = {"status": {"issue": "a", "in": ["agreed"]}}
    assert classic_probability(fact(status), classic, "nash") is None


def test_a_missing_scoringrules_says_how_to_install(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "scoringrules", None)
    with pytest.raises(InputError, match=r"pip install 'lsr_sim\[forecast\]'"):
        require_scoringrules("lsr-sim score")


# -- a forecast's scores ---------------------------------------------------------------------------
def test_the_hindcast_scores_the_model_and_every_baseline(baseline, hindcast) -> None:
    observations = load_observations(HINDCAST_FACTS)
    scores = score_forecast(hindcast, observations, source="facts.yaml")
    facts = scores.facts.set_index(["fact", "forecaster"])
    assert "no_border_deal_before_june" not in set(scores.facts["fact"])
    assert scores.manifest["facts_left_out"] == ["no_border_deal_before_june"]

    # the model's probability is the share of runs in which the event happened, at its date
    history, first_agreed = hindcast.history(), hindcast.first_agreed()
    scored = observations.after(CUT)
    outcomes = fact_outcomes(scored, hindcast.scenario, history, first_agreed, offset=25)
    for name, fact in scored.facts.items():
        if fact.measured:
            members = outcomes[name].to_numpy(float)
            expected = crps_scores(members[None, :], [fact.delivered.value])[0]
            assert facts.loc[(name, "model"), "crps"] == pytest.approx(expected)
            continue
        share = outcomes[name].mean()
        p = share if fact.happened else 1 - share
        row = facts.loc[(name, "model")]
        assert row["probability"] == pytest.approx(p) and row["observed"] == fact.happened
        assert row["brier"] == pytest.approx((p - fact.happened) ** 2)
    # an agreed fact with by_then false is scored as the event "an agreement by then" = 0
    assert facts.loc[("no_detainee_deal_yet", "model"), "observed"] == 0.0
    assert facts.loc[("detainees_not_being_transferred", "model"), "event"] == "status condition"

    # persistence: the state at the cut-off step (2025-06-01: border talks open since March)
    first = fact_step(baseline, CUT)
    agreed_then = ((first_agreed[:, 1] >= 0) & (first_agreed[:, 1] <= first)).mean()
    persistence = facts.loc[("border_coordination_agreed", "persistence"), "probability"]
    assert persistence == pytest.approx(agreed_then)
    # base rate: every run and every step of the window, whatever the fact's date
    window = range(first + 1, hindcast.last_step + 1)
    agreed_by = [((first_agreed[:, 1] >= 0) & (first_agreed[:, 1] <= s)).mean() for s in window]
    base = facts.loc[("border_coordination_agreed", "base_rate"), "probability"]
    assert base == pytest.approx(np.mean(agreed_by))
    # classic models forecast the agreed facts only
    classic_facts = set(scores.facts.loc[scores.facts["forecaster"] == "nash", "fact"])
    assert classic_facts == {
        "border_coordination_agreed",
        "no_detainee_deal_yet",
        "no_officer_deal",
        "refugee_return_not_agreed",
    }
    assert "unconditioned" not in set(scores.facts["forecaster"])  # not conditioned

    # the summary: means over the facts each forecaster forecasts, skill against it
    summary = scores.summary.set_index(["score", "forecaster"])
    nash = summary.loc[("brier", "nash")]
    model_on_those = scores.facts.query("forecaster == 'model' and fact in @classic_facts")
    assert nash["model_mean"] == pytest.approx(model_on_those["brier"].mean())
    assert nash["skill"] == pytest.approx(1 - nash["model_mean"] / nash["mean"])
    assert summary.loc[("crps", "model"), "facts"] == 1
    assert summary.loc[("brier", "model"), "facts"] == 7
    reliability = scores.reliability
    assert reliability.groupby("forecaster")["count"].sum().loc["model"] == 7


def test_a_conditioned_forecast_is_also_scored_unconditioned(baseline) -> None:
    observations = load_observations(HINDCAST_FACTS)
    held = forecast(baseline, CUT, END, 60, seed=11, condition_on=observations)
    assert held.manifest["conditioning"]["facts"] == ["no_border_deal_before_june"]
    scores = score_forecast(held, observations)
    assert "unconditioned" in set(scores.facts["forecaster"])


def test_stated_climatology_is_a_baseline(hindcast) -> None:
    observations = load_observations(HINDCAST_FACTS)
    scores = score_forecast(hindcast, observations, climatology={"no_officer_deal": 0.2})
    row = scores.facts.set_index(["fact", "forecaster"]).loc[("no_officer_deal", "climatology")]
    assert row["probability"] == 0.2 and row["brier"] == pytest.approx(0.04)
    with pytest.raises(ArgumentError, match="'convicted_transferred' is not a yes/no fact"):
        score_forecast(hindcast, observations, climatology={"convicted_transferred": 0.2})
    with pytest.raises(ArgumentError, match="is not a probability"):
        score_forecast(hindcast, observations, climatology={"no_officer_deal": 1.2})


@pytest.mark.parametrize(
    ("facts", "where", "words"),
    [
        (
            {"old": {"date": "2025-05-01", "agreed": {"issue": "detainees", "by_then": False}}},
            "facts",
            "no fact is dated after the forecast's cut-off",
        ),
        (
            {"late": {"date": "2026-03-01", "agreed": {"issue": "detainees", "by_then": False}}},
            "facts.late.date",
            "after the forecast's end 2026-01-19",
        ),
        (
            {"f": {"date": "2025-09-01", "agreed": {"issue": "water", "by_then": False}}},
            "facts.f.agreed.issue",
            "'water' is not in scenario",
        ),
    ],
)
def test_facts_that_do_not_fit_the_forecast_are_refused(hindcast, facts, where, words) -> None:
    observations = observations_from_dict({"name": "x", "facts": facts})
    with pytest.raises(ForecastError) as caught:
        score_forecast(hindcast, observations, source="x.yaml")
    message = str(caught.value)
    assert message.startswith(f"x.yaml: {where}: ") and words in message and "\n" not in message


def test_scores_write_their_tables_and_figure(tmp_path, hindcast) -> None:
    scores = score_forecast(hindcast, load_observations(HINDCAST_FACTS))
    written = scores.write(tmp_path / "scores", command=["lsr-sim", "score"])
    assert {p.name for p in written} == {
        "scores.csv",
        "facts.csv",
        "reliability.csv",
        "reliability.png",
        "manifest.json",
    }
    back = pd.read_csv(tmp_path / "scores" / "scores.csv")
    pd.testing.assert_frame_equal(back, scores.summary, check_dtype=False)
    with pytest.raises(ArgumentError, match="eps"):
        score_forecast(hindcast, load_observations(HINDCAST_FACTS), eps=0.0)


@pytest.mark.slow
def test_in_a_perfect_model_world_the_model_beats_a_miscalibrated_one(baseline, hindcast) -> None:
    """Truths drawn from the model itself (held-out runs of the cut scenario): the forecast of
    that model must score better than a miscalibrated model's (mediation ten times weaker) and
    than the base rate, summed over the truths, through the whole scoring pipeline."""
    from lsr_sim.experiment import derive_seeds, run_many
    from lsr_sim.forecast import cut_at

    cut = cut_at(baseline, CUT)
    weak = forecast(
        baseline,
        CUT,
        END,
        120,
        seed=11,
        parameters=pd.DataFrame({"dynamics.mediation_rate": [cut.dynamics.mediation_rate / 10]}),
    )
    truths = run_many(cut, derive_seeds(999, 50), hindcast.last_step, history=True)
    dates = ["2025-08-15", "2025-10-15", "2026-01-15"]
    issues = ["border_control", "weapons_corridor", "border_demarcation", "refugees"]
    facts = {}  # each truth's facts, scored independently of the others'
    for t in range(50):
        for date in dates:
            step = fact_step(cut, dt.date.fromisoformat(date))
            for k, issue in enumerate(baseline.issues):
                if issue in issues:
                    agreed = 0 <= truths.final["first_agreed"][t, k] <= step
                    facts[f"truth{t}_{issue}_{date}"] = {
                        "date": date,
                        "agreed": {"issue": issue, "by_then": bool(agreed)},
                    }
    observations = observations_from_dict({"name": "truths", "facts": facts})
    mine = score_forecast(hindcast, observations).facts
    theirs = score_forecast(weak, observations).facts
    totals = {
        "model": mine.loc[mine["forecaster"] == "model", "brier"].sum(),
        "base_rate": mine.loc[mine["forecaster"] == "base_rate", "brier"].sum(),
        "weak": theirs.loc[theirs["forecaster"] == "model", "brier"].sum(),
    }
    assert totals["model"] < totals["weak"], totals
    assert totals["model"] < totals["base_rate"], totals
