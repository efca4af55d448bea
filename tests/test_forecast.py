"""Forecasts from a cut-off: the cut, the tables against direct counts, draws, conditioning,
reproducibility, writing and reading back."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest

from lsr_sim.dynamics.status import IMPLEMENTED, STATUS_NAMES
from lsr_sim.experiment import derive_seeds, run_many
from lsr_sim.forecast import (
    ArgumentError,
    ForecastError,
    cut_at,
    forecast,
    load_parameters,
    read_forecast,
)
from lsr_sim.forecast.core import EVENTS, history_from_states, scenarios_for_draws
from lsr_sim.observations import fact_step, observations_from_dict
from lsr_sim.scenario import load_scenario, scenario_hash

CUT = dt.date(2025, 6, 1)
END = dt.date(2025, 10, 1)


@pytest.fixture(scope="module")
def baseline():
    return load_scenario("scenarios/baseline.yaml")


@pytest.fixture(scope="module")
def small(baseline):
    return forecast(baseline, CUT, END, 40, seed=3)


def test_cut_at_removes_later_events_only(baseline) -> None:
    cut = cut_at(baseline, dt.date(2025, 7, 15))
    assert list(cut.events) == ["assad_falls", "saudi_meeting_march", "saudi_meeting_july"]
    assert len(baseline.events) == 10  # the input is not changed
    before = baseline.model_dump(exclude={"events"})
    assert cut.model_dump(exclude={"events"}) == before
    assert cut_at(baseline, dt.date(2030, 1, 1)) == baseline
    assert list(cut_at(baseline, dt.date(2024, 12, 8)).events) == ["assad_falls"]


def test_probabilities_are_counts_over_the_runs(baseline, small) -> None:
    first, last = fact_step(baseline, CUT), fact_step(baseline, END)
    direct = run_many(cut_at(baseline, CUT), derive_seeds(3, 40), last, history=True)
    assert direct.history is not None
    status = direct.history["status"]
    agreed = direct.final["first_agreed"]
    table = small.probabilities.set_index(["step", "issue", "event"])
    assert sorted(set(small.probabilities["step"])) == list(range(first, last + 1))
    assert list(dict.fromkeys(small.probabilities["event"])) == list(EVENTS)
    for step in (first, first + 7, last):
        for k, issue in enumerate(baseline.issues):
            implemented = (status[:, : step + 1, k] == IMPLEMENTED).any(axis=1)
            counts = {
                "agreed_by_date": ((agreed[:, k] >= 0) & (agreed[:, k] <= step)).sum(),
                "implemented_by_date": implemented.sum(),
                **{
                    f"status_{name}": (status[:, step, k] == code).sum()
                    for code, name in enumerate(STATUS_NAMES)
                },
            }
            for event, count in counts.items():
                row = table.loc[(step, issue, event)]
                assert row["count"] == count and row["probability"] == count / 40
                assert row["low"] <= row["probability"] <= row["high"]
    # status probabilities of an issue add up to one at every date
    status_rows = small.probabilities[small.probabilities["event"].str.startswith("status_")]
    np.testing.assert_allclose(status_rows.groupby(["step", "issue"])["probability"].sum(), 1.0)
    q = small.quantiles.set_index(["step", "issue", "quantity"]).loc[(last, "refugees", "returned")]
    values = direct.history["delivered"][:, last, 3]
    np.testing.assert_allclose(
        q[["q05", "q50", "q95"]].to_numpy(float), np.quantile(values, [0.05, 0.5, 0.95])
    )
    assert q["mean"] == pytest.approx(values.mean())


def test_the_same_seed_gives_identical_tables(baseline, small) -> None:
    again = forecast(baseline, CUT, END, 40, seed=3)
    for name, table in small.tables().items():
        pd.testing.assert_frame_equal(table, again.tables()[name])
    other = forecast(baseline, CUT, END, 40, seed=4)
    assert not other.states.equals(small.states)


def test_every_thins_the_dates_and_keeps_the_last(baseline) -> None:
    result = forecast(baseline, CUT, END, 5, seed=1, every=4)
    first, last = fact_step(baseline, CUT), fact_step(baseline, END)
    expected = [*range(first, last + 1, 4)]
    expected += [] if expected[-1] == last else [last]
    assert sorted(set(result.probabilities["step"])) == expected
    assert sorted(set(result.quantiles["step"])) == expected
    assert result.states["step"].nunique() == last - first + 1  # every step kept for scoring


def test_runs_cycle_through_parameter_draws(baseline) -> None:
    draws = pd.DataFrame(
        {"dynamics.mediation_rate": [0.0, 0.6], "actors.Riyadh.capability": [0.5, 0.9]}
    )
    result = forecast(baseline, CUT, END, 6, seed=2, parameters=draws)
    assert result.runs["draw"].tolist() == [0, 1, 0, 1, 0, 1]
    cut = cut_at(baseline, CUT)
    members = scenarios_for_draws(cut, draws)
    assert [s.actors["Riyadh"].capability for s in members] == [0.5, 0.9]
    direct = run_many([members[r % 2] for r in range(6)], derive_seeds(2, 6), fact_step(cut, END))
    assert direct.final["first_agreed"].tolist() == result.first_agreed().tolist()
    assert result.manifest["parameters"]["draws"] == 2
    pd.testing.assert_frame_equal(result.draws, draws)


def test_conditioning_keeps_the_runs_that_agree_with_known_facts(baseline) -> None:
    facts = {
        "name": "known",
        "facts": {
            "no_border_deal_yet": {
                "date": "2025-06-01",
                "agreed": {"issue": "border_control", "by_then": False},
            },
            "a_measurement": {
                "date": "2025-05-01",
                "delivered": {"issue": "detainees", "quantity": "convicted", "value": 0},
            },
            "later": {"date": "2025-09-01", "agreed": {"issue": "detainees", "by_then": False}},
        },
    }
    observations = observations_from_dict(facts)
    free = forecast(baseline, CUT, END, 80, seed=5)
    held = forecast(baseline, CUT, END, 80, seed=5, condition_on=observations)
    first = fact_step(baseline, CUT)
    agreed = free.first_agreed()[:, 1]
    expected = ~((agreed >= 0) & (agreed <= first))
    assert 0 < expected.sum() < 80, "the test needs runs on both sides"
    np.testing.assert_array_equal(held.kept, expected)
    info = held.manifest["conditioning"]
    assert info["facts"] == ["no_border_deal_yet"] and info["not_used"] == ["a_measurement"]
    assert info["kept"] == expected.sum() and info["share_kept"] == pytest.approx(expected.mean())
    p = held.probabilities.set_index(["step", "issue", "event"])
    assert p.loc[(first, "border_control", "agreed_by_date"), "probability"] == 0.0
    assert p.loc[(first, "border_control", "agreed_by_date"), "runs"] == expected.sum()
    pd.testing.assert_frame_equal(held.states, free.states)  # every run is kept for scoring


def test_conditioning_that_keeps_no_run_is_refused(baseline) -> None:
    impossible = {
        "name": "x",
        "facts": {
            "trusting": {
                "date": "2025-05-01",
                "trust": {"truster": "Beirut", "trustee": "Damascus", "at_least": 0.99},
            }
        },
    }
    with pytest.raises(ForecastError) as caught:
        forecast(
            baseline,
            CUT,
            END,
            10,
            condition_on=observations_from_dict(impossible),
            sources={"condition_on": "facts.yaml"},
        )
    message = str(caught.value)
    assert (
        message.startswith("facts.yaml: facts.trusting: no run of 10 agrees")
        and "\n" not in message
    )
    late = {
        "name": "x",
        "facts": {"f": {"date": "2025-09-01", "progress": {"issue": "refugees", "at_most": 0}}},
    }
    with pytest.raises(ForecastError, match="no yes/no fact is dated on or before the cut-off"):
        forecast(baseline, CUT, END, 10, condition_on=observations_from_dict(late))


@pytest.mark.parametrize(
    ("start", "end", "runs", "every", "argument", "words"),
    [
        (dt.date(2024, 1, 1), END, 5, 1, "start", "before the scenario starts"),
        (CUT, CUT + dt.timedelta(days=3), 5, 1, "end", "at least 7 days later"),
        (CUT, END, 0, 1, "runs", "at least one run"),
        (CUT, END, 5, 0, "every", "at least one step"),
    ],
)
def test_bad_arguments_name_themselves(baseline, start, end, runs, every, argument, words) -> None:
    with pytest.raises(ArgumentError) as caught:
        forecast(baseline, start, end, runs, every=every)
    assert caught.value.argument == argument and words in caught.value.message


def test_parameter_files_are_checked(tmp_path, baseline) -> None:
    good = tmp_path / "draws.csv"
    good.write_text("dynamics.trust_gain_rate,actors.Riyadh.capability\n0.1,0.7\n0.2,0.8\n")
    assert load_parameters(good).shape == (2, 2)
    cases = {
        "missing.csv": (None, "file not found"),
        "draws.txt": ("a\n1\n", "expected .csv or .parquet"),
        "text.csv": ("dynamics.trust_gain_rate\n0.1\nlots\n", "dynamics.trust_gain_rate: row 1"),
        "empty.csv": ("dynamics.trust_gain_rate\n", "has no draws"),
    }
    for name, (text, words) in cases.items():
        path = tmp_path / name
        if text is not None:
            path.write_text(text)
        with pytest.raises(ForecastError) as caught:
            load_parameters(path)
        assert str(caught.value).startswith(str(path)) and words in str(caught.value)
    unknown = pd.DataFrame({"actors.Riyad.capability": [0.5]})
    with pytest.raises(ForecastError, match=r"p.csv: actors.Riyad.capability: unknown actor"):
        scenarios_for_draws(baseline, unknown, "p.csv")
    refused = pd.DataFrame({"actors.Riyadh.capability": [0.5, -1.0]})
    with pytest.raises(ForecastError, match=r"p.csv: row 1: actors.Riyadh.capability"):
        scenarios_for_draws(baseline, refused, "p.csv")


def test_a_forecast_folder_reads_back(tmp_path, small) -> None:
    written = small.write(tmp_path / "fc", command=["lsr-sim", "forecast"])
    names = {p.relative_to(tmp_path / "fc").as_posix() for p in written}
    assert {"manifest.json", "scenario.json", "tables/states.csv", "figures/agreed.png"} <= names
    back = read_forecast(tmp_path / "fc")
    for name in ("probabilities", "quantiles", "runs", "states", "classic"):
        pd.testing.assert_frame_equal(
            back.tables()[name], small.tables()[name], check_dtype=False, check_exact=False
        )
    history, offset = history_from_states(small.scenario, back.states)
    assert offset == small.first_step
    np.testing.assert_array_equal(history["status"], small.history()["status"])
    manifest = json.loads((tmp_path / "fc" / "manifest.json").read_text())
    assert manifest["cutoff"] == "2025-06-01" and manifest["runs"] == 40
    assert manifest["cut_scenario_sha256"] == scenario_hash(small.scenario)
    assert manifest["events_removed"][0] == "saudi_meeting_july"
    assert manifest["files"]["tables/states.csv"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging left


def test_a_rewritten_folder_reads_what_the_manifest_lists(tmp_path, baseline, small) -> None:
    draws = pd.DataFrame({"dynamics.mediation_rate": [0.0, 0.6]})
    forecast(baseline, CUT, END, 4, seed=1, parameters=draws).write(
        tmp_path / "fc", fmt="parquet", figures=False
    )
    small.write(tmp_path / "fc", figures=False)  # csv now, no draws
    back = read_forecast(tmp_path / "fc")
    assert back.draws is None and len(back.runs) == 40
    (tmp_path / "fc" / "tables" / "runs.csv").unlink()
    with pytest.raises(ForecastError, match=r"tables: runs: table missing \(runs.csv\)"):
        read_forecast(tmp_path / "fc")


def test_a_failed_write_leaves_nothing(tmp_path, small, monkeypatch) -> None:
    import lsr_sim.forecast.plots as plots

    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(plots, "save_forecast_figures", fail)
    with pytest.raises(OSError, match="disk full"):
        small.write(tmp_path / "fc")
    assert list(tmp_path.iterdir()) == []


def test_folders_that_are_not_forecasts_are_refused(tmp_path, small) -> None:
    with pytest.raises(ForecastError, match="not a forecast folder"):
        read_forecast(tmp_path)
    (tmp_path / "manifest.json").write_text('{"kind": "sweep"}')
    with pytest.raises(ForecastError, match="is not a forecast's manifest"):
        read_forecast(tmp_path)
    small.write(tmp_path / "fc", figures=False)
    scenario = tmp_path / "fc" / "scenario.json"
    data = json.loads(scenario.read_text())
    data["dynamics"]["trust_gain_rate"] = 0.5
    scenario.write_text(json.dumps(data))
    with pytest.raises(ForecastError, match="does not match the manifest"):
        read_forecast(tmp_path / "fc")
