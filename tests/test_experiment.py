"""run() returns tidy tables; the reproducibility contract; calibration of the baseline."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import lsr_sim
from lsr_sim.calibration import check_facts
from lsr_sim.experiment import derive_seeds, run, run_many
from lsr_sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"


@pytest.fixture(scope="module")
def baseline():
    return load_scenario(BASELINE)


@pytest.fixture(scope="module")
def result(baseline):
    return run(baseline, seed=7, steps=70)


def test_public_api_is_importable() -> None:
    assert lsr_sim.run is run
    assert lsr_sim.load_scenario is load_scenario
    assert lsr_sim.__version__


def test_trust_table(result, baseline) -> None:
    n = len(baseline.actors)
    trust = result.trust
    assert list(trust.columns) == ["step", "date", "truster", "trustee", "trust"]
    assert len(trust) == 71 * n * (n - 1)
    assert pd.api.types.is_datetime64_any_dtype(trust["date"])
    assert (trust["truster"] != trust["trustee"]).all()
    assert trust["trust"].between(0, 1).all()
    first = trust[trust["step"] == 0].set_index(["truster", "trustee"])["trust"]
    assert first[("Beirut", "Damascus")] == pytest.approx(0.22)
    assert trust.loc[trust["step"] == 70, "date"].iloc[0] == pd.Timestamp("2026-04-12")


def test_issue_and_quantity_tables(result, baseline) -> None:
    issues = result.issues
    assert list(issues.columns) == ["step", "date", "issue", "status", "position", "progress"]
    assert len(issues) == 71 * len(baseline.issues)
    assert set(issues["status"]) <= {
        "open",
        "on_table",
        "agreed",
        "implementing",
        "implemented",
        "collapsed",
    }
    q = result.quantities
    assert list(q.columns) == ["step", "date", "issue", "quantity", "unit", "total", "delivered"]
    convicted = q[q["quantity"] == "convicted"]
    assert (convicted["total"] == 370).all() and (convicted["unit"] == "prisoners").all()
    assert (q["delivered"] <= q["total"]).all()


def test_events_and_deals_tables(result) -> None:
    events = result.events
    assert {"step", "date", "event", "kind", "origin", "description", "actors", "issues"} <= set(
        events.columns
    )
    scheduled = events[events["origin"] == "scheduled"]
    assert "saudi_meeting_march" in set(scheduled["event"])
    row = scheduled[scheduled["event"] == "saudi_meeting_march"].iloc[0]
    assert row["date"] == pd.Timestamp("2025-03-30")  # end of the week holding 27 March
    deals = result.deals
    assert {"deal", "step", "date", "issue", "terms", "outcome"} <= set(deals.columns)
    assert deals["terms"].between(0, 1).all()


def test_summary_row(result, baseline) -> None:
    summary = result.summary
    assert len(summary) == 1
    row = summary.iloc[0]
    assert row["seed"] == 7 and row["steps"] == 70
    assert 0 <= row["rapprochement_index"] <= 1
    for issue in baseline.issues:
        assert f"status_{issue}" in summary
        assert f"weeks_to_agreement_{issue}" in summary
    assert "delivered_detainees_convicted" in summary
    assert "trust_Beirut_Damascus" in summary


def test_same_seed_same_tables_and_other_seed_differs(baseline, result) -> None:
    again = run(baseline, seed=7, steps=70)
    for name, table in result.tables().items():
        pd.testing.assert_frame_equal(table, again.tables()[name], check_exact=True)
    other = run(baseline, seed=8, steps=70)
    assert not np.array_equal(other.trust["trust"], result.trust["trust"])


def test_byte_identical_files_across_processes(tmp_path: Path) -> None:
    outputs = []
    for name in ("a", "b"):
        out = tmp_path / name
        subprocess.run(
            [
                sys.executable,
                "-m",
                "lsr_sim",
                "run",
                str(BASELINE),
                "--steps",
                "40",
                "--seed",
                "3",
                "--no-figures",
                "--out",
                str(out),
            ],
            check=True,
            capture_output=True,
        )
        outputs.append(out)
    files = sorted(p.relative_to(outputs[0]) for p in (outputs[0] / "tables").iterdir())
    assert files
    for rel in files:
        assert (outputs[0] / rel).read_bytes() == (outputs[1] / rel).read_bytes(), rel


def test_write_is_atomic_and_complete(result, tmp_path: Path) -> None:
    written = result.write(tmp_path / "out", figures=False, command=["test"])
    names = {p.name for p in written}
    assert {"trust.csv", "issues.csv", "summary.csv", "manifest.json"} <= names
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out-")]


def test_run_rejects_bad_arguments(baseline) -> None:
    with pytest.raises(ValueError, match="steps"):
        run(baseline, steps=0)
    with pytest.raises(ValueError, match="seed"):
        run(baseline, seed=-1)


def test_derived_seeds_are_stable_and_distinct() -> None:
    seeds = derive_seeds(20241208, 50)
    assert seeds == derive_seeds(20241208, 50)
    assert len(set(seeds)) == 50
    assert derive_seeds(20241208, 10) == seeds[:10]


@pytest.mark.slow
def test_check_facts_counts_each_fact_and_the_joint_share(baseline) -> None:
    data = baseline.model_dump(by_alias=True)
    data["calibration"]["observations"]["facts"] = {
        "impossible": {
            "description": "Beirut trusts Damascus completely",
            "date": dt.date(2025, 1, 5),
            "trust": {"truster": "Beirut", "trustee": "Damascus", "at_least": 0.999},
        },
        "certain": {
            "date": dt.date(2025, 1, 5),
            "status": {"issue": "refugees", "in": ["open", "on_table"]},
        },
    }
    from lsr_sim.scenario import scenario_from_dict

    table, joint = check_facts(scenario_from_dict(data), runs=3)
    assert table.set_index("fact")["share"].to_dict() == {"impossible": 0.0, "certain": 1.0}
    assert joint == 0.0
    del data["calibration"]["observations"]["facts"]["impossible"]
    assert check_facts(scenario_from_dict(data), runs=3)[1] == 1.0


def test_an_ensemble_of_scenarios_of_different_actors_pads_its_arrays() -> None:
    """Runs of scenarios with different actors and issues stack padded: each run's own part
    equals the run alone, the rest is NaN (-1 for integer arrays)."""
    baseline = load_scenario(BASELINE)
    river = load_scenario(ROOT / "scenarios" / "examples" / "river_basin.yaml")
    seeds = derive_seeds(5, 3)
    together = run_many([baseline, river, baseline], seeds, steps=8, history=True)
    assert together.history is not None
    for r, scenario in enumerate([baseline, river, baseline]):
        alone = run_many(scenario, seeds[r : r + 1], steps=8, history=True)
        assert alone.history is not None
        for kept, own in ((together.final, alone.final), (together.history, alone.history)):
            for name, values in own.items():
                region = (r, *(slice(0, n) for n in values.shape[1:]))
                np.testing.assert_array_equal(kept[name][region], values[0])
                rest = np.ones(kept[name].shape[1:], dtype=bool)
                rest[region[1:]] = False
                fill = -1 if values.dtype.kind in "iu" else np.nan
                np.testing.assert_array_equal(kept[name][r][rest], np.full(rest.sum(), fill))
