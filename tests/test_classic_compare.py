"""The baseline side by side under every protocol: ``compare_protocols`` and ``lsr-sim compare``.

The table's statistics are recomputed here from the runs' own tables; the classic forecasts
from the classic functions called directly; the command line is driven through ``main``.
Bad input: exit status 2, one ``error: ...`` line naming the field and the fix (or argparse's
usage error naming the option), no traceback, nothing written.
"""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from cli_helpers import one_error, run_cli
from matplotlib.axes import Axes
from matplotlib.figure import Figure

import lsr_sim
from lsr_sim.classic.bdm import bdm
from lsr_sim.classic.compare import (
    COLUMNS,
    FORECAST_COLUMNS,
    applicable_protocols,
    check_protocols,
    classic_forecasts,
    compare_protocols,
    format_comparison,
    plot_protocol_comparison,
)
from lsr_sim.classic.nash import nash_bargaining
from lsr_sim.classic.stokman import stokman_exchange
from lsr_sim.experiment import derive_seeds, run_many
from lsr_sim.model import compile_scenario
from lsr_sim.protocols import protocol_names
from lsr_sim.scenario import Scenario, load_scenario, scenario_from_dict
from lsr_sim.scenario.paths import override_scenario
from lsr_sim.synthetic import synthetic_data

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"
# 40 weekly steps: the March 2025 meeting puts the border files on the table in step 14.
STEPS = 40


@pytest.fixture(scope="module")
def baseline() -> Scenario:
    return load_scenario(BASELINE)


@pytest.fixture(scope="module")
def nash_table(baseline) -> pd.DataFrame:
    return compare_protocols(baseline, ["nash", "offers"], runs=3, master_seed=7, steps=STEPS)


@pytest.fixture
def three_party_file(write_yaml) -> Path:
    """A scenario file whose issues all have three parties."""
    return write_yaml(yaml.safe_dump(synthetic_data(7, 2, seed=4, parties_per_issue=3, steps=8)))


# -- which protocols ---------------------------------------------------------------------------


def test_every_protocol_fits_the_baseline(baseline) -> None:
    assert applicable_protocols(baseline) == protocol_names()
    assert check_protocols(baseline, None) == protocol_names()


def test_two_party_protocols_do_not_fit_three_parties(three_party_file) -> None:
    scenario = load_scenario(three_party_file)
    assert applicable_protocols(scenario) == [
        "offers",
        "nash",
        "kalai_smorodinsky",
        "bdm",
        "stokman",
    ]
    with pytest.raises(ValueError, match="protocol 'rubinstein' is for 2 parties") as info:
        check_protocols(scenario, ["nash", "rubinstein"])
    assert str(info.value).endswith(
        "; leave it out (protocols that fit: offers, nash, kalai_smorodinsky, bdm, stokman)"
    )


@pytest.mark.parametrize(
    ("names", "message"),
    [
        (["nahs"], "unknown protocol 'nahs' (did you mean 'nash'?); expected one of offers,"),
        ([], "no protocol given; name at least one, e.g. nash,bdm"),
        (["bdm", "bdm"], "protocol 'bdm' is given twice; name each protocol once"),
    ],
)
def test_bad_protocol_lists(baseline, names: list[str], message: str) -> None:
    with pytest.raises(ValueError) as info:
        check_protocols(baseline, names)
    assert str(info.value).startswith(message)


# -- the table, recomputed from the runs --------------------------------------------------------


def test_one_row_per_protocol_and_issue(baseline, nash_table) -> None:
    assert list(nash_table.columns) == list(COLUMNS)
    assert list(nash_table["protocol"]) == ["nash"] * 6 + ["offers"] * 6
    assert list(nash_table["issue"]) == list(baseline.issues) * 2
    assert (nash_table["runs"] == 3).all()
    assert nash_table["agreed_share"].between(0, 1).all()


def test_statistics_are_those_of_the_runs(baseline, nash_table) -> None:
    """Each statistic, recomputed from the deals and events of the same runs."""
    scenario = baseline.model_copy(
        update={"dynamics": baseline.dynamics.model_copy(update={"protocol": "nash"})}
    )
    results = [lsr_sim.run(scenario, seed=s, steps=STEPS) for s in derive_seeds(7, 3)]
    rows = nash_table[nash_table["protocol"] == "nash"].set_index("issue")
    assert (rows["agreed_share"] > 0).any()  # something to check
    for issue, row in rows.iterrows():
        firsts = []
        vetoes = 0
        for result in results:
            deals = result.deals
            mine = deals[
                (deals["issue"] == issue)
                & (deals["outcome"] == "agreed")
                & (deals["origin"] == "negotiation")
            ]
            if len(mine):
                first = mine.loc[mine["step"].idxmin()]
                firsts.append((first["terms"], first["step"]))
            events = result.events
            vetoes += sum(
                issue in names.split(",")
                for names in events.loc[events["kind"] == "veto", "issues"]
            )
        assert row["agreed_share"] == len(firsts) / 3
        assert row["vetoes_mean"] == vetoes / 3
        if not firsts:
            assert row[["terms_mean", "terms_low", "terms_high", "first_step"]].isna().all()
            assert pd.isna(row["first_date"])
            continue
        terms = np.array([t for t, _ in firsts])
        assert row["terms_mean"] == pytest.approx(terms.mean())
        step = float(np.median([s for _, s in firsts]))
        assert row["first_step"] == step
        assert row["first_date"] == pd.Timestamp(
            baseline.run.start_date + dt.timedelta(days=int(step * 7))
        )
        if len(firsts) >= 2:
            assert row["terms_low"] <= row["terms_mean"] <= row["terms_high"]


def test_the_nash_protocol_agrees_on_the_nash_forecast(nash_table) -> None:
    """Single issues between Beirut and Damascus: the protocol's terms are the forecast, in
    every run (a zero-width interval)."""
    agreed = nash_table[(nash_table["protocol"] == "nash") & (nash_table["agreed_share"] > 0)]
    assert len(agreed)  # something to check
    for row in agreed.itertuples():
        # both are the barrier method's solution, which stops at a gap of 1e-10 (classic.nash)
        assert row.terms_mean == pytest.approx(row.nash, abs=1e-9)
        if row.agreed_share * row.runs >= 2:
            assert row.terms_low == pytest.approx(row.terms_high, abs=1e-12)


def test_event_deals_do_not_count(baseline) -> None:
    """The July 2025 meeting agrees border_control by an ``agree`` event (if talks have not
    agreed it before), under every protocol: such deals are not the protocol's doing."""
    table = compare_protocols(baseline, ["offers"], runs=2, steps=34)
    negotiated = 0
    event_only = 0
    for seed in derive_seeds(baseline.run.seed, 2):
        deals = lsr_sim.run(baseline, seed=seed, steps=34).deals
        mine = deals[(deals["issue"] == "border_control") & (deals["outcome"] == "agreed")]
        negotiated += "negotiation" in set(mine["origin"])
        event_only += set(mine["origin"]) == {"event"}
    assert event_only >= 1  # a run in which only the event agreed it
    assert table.set_index("issue").loc["border_control", "agreed_share"] == negotiated / 2


def test_same_inputs_same_table(baseline, nash_table) -> None:
    again = compare_protocols(baseline, ["nash", "offers"], runs=3, master_seed=7, steps=STEPS)
    pd.testing.assert_frame_equal(again, nash_table)


@pytest.mark.parametrize(("runs", "steps"), [(0, 5), (2.5, 5), (2, 0)])
def test_bad_runs_or_steps(baseline, runs, steps) -> None:
    with pytest.raises(ValueError, match="must be a whole number >= 1"):
        compare_protocols(baseline, ["nash"], runs=runs, steps=steps)


# -- the classic forecasts, from the classic functions ---------------------------------------


def test_forecasts_are_the_classic_models_on_the_actors(baseline, nash_table) -> None:
    c = compile_scenario(baseline)
    table = classic_forecasts(baseline).set_index("issue")
    assert list(table.columns) == list(FORECAST_COLUMNS)
    stokman = stokman_exchange(c.ideal, c.salience, c.capability, rounds=10, rng=0).forecast
    for k, issue in enumerate(c.issues):
        parties = [c.actors.index(p) for p in baseline.issues[issue].parties]
        nash = nash_bargaining(
            c.ideal[parties, k],
            c.salience[parties, k],
            weights=c.capability[parties],
            status_quo=[baseline.issues[issue].status_quo],
        ).point
        assert table.loc[issue, "nash"] == nash[0]
        caring = [i for i, name in enumerate(c.actors) if baseline.actors[name].salience.get(issue)]
        result = bdm(
            {
                "actor": [c.actors[i] for i in caring],
                "capability": [baseline.actors[c.actors[i]].capability for i in caring],
                "position": [c.ideal[i, k] for i in caring],
                "salience": [baseline.actors[c.actors[i]].salience[issue] for i in caring],
            },
            rounds=10,
            scale=(0.0, 1.0),
        )
        assert table.loc[issue, "bdm_median"] == result.median[-1]
        assert table.loc[issue, "bdm_mean"] == result.mean[-1]
        assert table.loc[issue, "stokman"] == stokman[k]
    # the same forecasts on every protocol's rows
    for protocol, rows in nash_table.groupby("protocol"):
        pd.testing.assert_frame_equal(
            rows.set_index("issue")[list(FORECAST_COLUMNS)], table, obj=str(protocol)
        )


def test_bdm_forecast_leaves_out_actors_who_do_not_care(baseline) -> None:
    """Riyadh and Washington give no salience to officers: the forecast is among Beirut,
    Damascus and Hezbollah, on the issue's [0, 1] scale."""
    result = bdm(
        capability=[0.45, 0.5, 0.35],
        position=[0.1, 1.0, 0.0],
        salience=[0.1, 0.25, 0.05],
        names=["Beirut", "Damascus", "Hezbollah"],
        rounds=10,
        scale=(0.0, 1.0),
    )
    officers = classic_forecasts(baseline).set_index("issue").loc["officers"]
    assert officers["bdm_median"] == result.median[-1]
    assert officers["bdm_mean"] == result.mean[-1]


def test_forecasts_on_an_issue_nobody_cares_about(baseline) -> None:
    data = copy.deepcopy(baseline.model_dump(mode="json", by_alias=True, exclude_none=True))
    for actor in data["actors"].values():
        share = actor["salience"].pop("refugees", 0.0)
        if share:
            first = next(iter(actor["salience"]))
            actor["salience"][first] += share
    scenario = scenario_from_dict(data)
    row = classic_forecasts(scenario).set_index("issue").loc["refugees"]
    assert row.isna().all()
    assert classic_forecasts(scenario).drop(columns="issue").notna().sum().sum() == 4 * 5


# -- text and figure ----------------------------------------------------------------------------


def test_format_comparison(nash_table) -> None:
    text = format_comparison(nash_table)
    lines = text.splitlines()
    assert lines[0].split() == [
        "protocol", "issue", "agreed", "terms", "95%", "interval", "first", "step", "first",
        "date", "vetoes",
    ]  # fmt: skip
    assert len(lines) == 1 + 12 + 1 + 1 + 1 + 6
    assert lines[14].startswith("classic forecasts")
    assert lines[15].split() == ["issue", "nash", "bdm", "median", "bdm", "mean", "stokman"]
    row = nash_table[(nash_table["protocol"] == "nash") & (nash_table["agreed_share"] > 0)].iloc[0]
    line = next(line for line in lines if line.split()[:2] == ["nash", row["issue"]])
    assert f"{row['terms_mean']:.3f}" in line


def test_plot_protocol_comparison(nash_table) -> None:
    ax = plot_protocol_comparison(nash_table)
    assert isinstance(ax, Axes)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == list(reversed(nash_table["issue"].unique()))  # first issue on top
    assert len(ax.containers) == 2  # one error bar per protocol
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[:2] == ["nash", "offers"]
    assert "BDM median" in legend and "Stokman outcome" in legend


def test_plot_on_given_axes_and_bad_tables(nash_table) -> None:
    ax = Figure().subplots()
    assert plot_protocol_comparison(nash_table, ax=ax) is ax
    with pytest.raises(ValueError, match="lacks the column"):
        plot_protocol_comparison(nash_table.drop(columns="terms_mean"))
    with pytest.raises(ValueError, match="empty"):
        plot_protocol_comparison(nash_table.iloc[:0])


# -- the command line -----------------------------------------------------------------------------


def test_compare_writes_the_table_and_the_figure(capsys, tmp_path: Path, baseline) -> None:
    out = tmp_path / "cmp"
    code, text, err = run_cli(
        capsys, "compare", BASELINE, "--protocols", "nash, bdm", "--runs", "2", "--seed", "3",
        "--steps", "20", "--out", out,
    )  # fmt: skip
    assert code == 0 and err == ""
    assert sorted(p.name for p in out.iterdir()) == ["protocols.csv", "protocols.png"]
    lines = text.splitlines()
    assert (
        lines[0] == "baseline: 2 protocol(s) x 2 run(s) of 20 steps from 2024-12-08 (master seed 3)"
    )
    assert lines[-1] == f"wrote protocols.csv and protocols.png to {out}"
    written = pd.read_csv(out / "protocols.csv", parse_dates=["first_date"])
    written["first_date"] = written["first_date"].astype("datetime64[ns]")
    expected = compare_protocols(baseline, ["nash", "bdm"], runs=2, master_seed=3, steps=20)
    pd.testing.assert_frame_equal(written, expected, check_dtype=False)
    assert format_comparison(expected) in text
    assert (out / "protocols.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_compare_defaults_to_every_protocol_that_fits(capsys, tmp_path: Path, three_party_file):
    out = tmp_path / "cmp"
    code, _, _ = run_cli(capsys, "compare", three_party_file, "--runs", "1", "--out", out)
    assert code == 0
    written = pd.read_csv(out / "protocols.csv")
    assert list(dict.fromkeys(written["protocol"])) == [
        "offers",
        "nash",
        "kalai_smorodinsky",
        "bdm",
        "stokman",
    ]


def test_compare_twice_same_files(capsys, tmp_path: Path) -> None:
    argv = ["compare", BASELINE, "--protocols", "stokman", "--runs", "2", "--steps", "16"]
    for name in ("a", "b"):
        assert run_cli(capsys, *argv, "--out", tmp_path / name)[0] == 0
    for file in ("protocols.csv", "protocols.png"):
        assert (tmp_path / "a" / file).read_bytes() == (tmp_path / "b" / file).read_bytes()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["--protocols", "nahs"],
            "command line: --protocols: unknown protocol 'nahs' (did you mean 'nash'?); expected "
            "one of offers, nash, kalai_smorodinsky, rubinstein, time_based_concession, bdm, "
            "stokman",
        ),
        (["--protocols", ","], "command line: --protocols: no protocol given; name at least one"),
        (["--protocols", "nash,nash"], "command line: --protocols: protocol 'nash' is given twice"),
    ],
)
def test_compare_bad_protocols(capsys, tmp_path: Path, argv: list[str], message: str) -> None:
    out = tmp_path / "cmp"
    code, text, err = run_cli(capsys, "compare", BASELINE, *argv, "--out", out)
    assert code == 2 and text == ""
    assert one_error(err).startswith(message)
    assert not out.exists()


def test_compare_two_party_protocol_on_three_parties(capsys, tmp_path, three_party_file) -> None:
    out = tmp_path / "cmp"
    code, _, err = run_cli(
        capsys, "compare", three_party_file, "--protocols", "time_based_concession", "--out", out
    )
    assert code == 2
    assert one_error(err) == (
        "command line: --protocols: protocol 'time_based_concession' is for 2 parties, but issue "
        "'I00' has 3 (A03, A04, A05); leave it out (protocols that fit: offers, nash, "
        "kalai_smorodinsky, bdm, stokman)"
    )
    assert not out.exists()


def test_compare_missing_scenario_file(capsys, tmp_path: Path) -> None:
    missing = tmp_path / "missing.yaml"
    out = tmp_path / "cmp"
    code, _, err = run_cli(capsys, "compare", missing, "--out", out)
    assert code == 2
    assert one_error(err) == f"{missing}: file not found; check the path"
    assert not out.exists()


def test_compare_out_is_a_file(capsys, tmp_path: Path) -> None:
    target = tmp_path / "taken"
    target.write_text("x")
    code, _, err = run_cli(capsys, "compare", BASELINE, "--runs", "1", "--out", target)
    assert code == 2
    assert (
        one_error(err)
        == f"command line: --out: {target} is a file; expected a folder (new or existing)"
    )
    assert target.read_text() == "x"


@pytest.mark.parametrize(
    ("argv", "option", "words"),
    [
        (["--runs", "0"], "--runs", "must be > 0"),
        (["--runs", "many"], "--runs", "expected a whole number, got 'many'"),
        (["--steps", "-2"], "--steps", "must be > 0"),
        (["--seed", "x"], "--seed", "expected a whole number"),
        ([], "--out", "required"),
    ],
)
def test_compare_bad_arguments(capsys, tmp_path: Path, argv, option: str, words: str) -> None:
    out = tmp_path / "cmp"
    extra = ["--out", out] if argv else []
    code, _, err = run_cli(capsys, "compare", BASELINE, *argv, *extra)
    assert code == 2
    message = one_error(err)
    assert message.startswith("command line: ")
    assert option in message and words in message
    assert not out.exists()


# -- over parameter draws -------------------------------------------------------------------------
def test_members_give_each_run_its_own_parameters(baseline) -> None:
    """Run r of every protocol runs members[r]: the table is that of the runs one by one."""
    weak = override_scenario(baseline, {"dynamics.talk_weight": 0.0, "dynamics.veto_strength": 0.3})
    members = [baseline, weak, weak]
    got = compare_protocols(
        baseline, ["offers"], runs=3, master_seed=7, steps=STEPS, members=members
    )
    final = run_many(members, derive_seeds(7, 3), STEPS).final  # offers: the baseline's own
    np.testing.assert_array_equal(got["agreed_share"], (final["negotiated_step"] >= 0).mean(0))
    np.testing.assert_array_equal(got["vetoes_mean"], final["vetoed"].sum(0) / 3)
    assert got["vetoes_mean"].sum() > 0  # something to check
    # the same members as the scenario itself give the table without members
    same = compare_protocols(
        baseline, ["offers"], runs=3, master_seed=7, steps=STEPS, members=[baseline] * 3
    )
    plain = compare_protocols(baseline, ["offers"], runs=3, master_seed=7, steps=STEPS)
    pd.testing.assert_frame_equal(same, plain)
    assert not got.drop(columns=list(FORECAST_COLUMNS)).equals(
        plain.drop(columns=list(FORECAST_COLUMNS))
    )


def test_members_one_per_run(baseline) -> None:
    with pytest.raises(ValueError, match="2 member scenarios for 3 runs; give one per run"):
        compare_protocols(baseline, ["offers"], runs=3, steps=5, members=[baseline] * 2)


def test_compare_over_parameter_draws(capsys, tmp_path: Path, baseline) -> None:
    draws = tmp_path / "draws.csv"
    draws.write_text("dynamics.talk_weight,weight\n0.0,1\n0.4,0\n")
    out = tmp_path / "cmp"
    code, text, err = run_cli(
        capsys, "compare", BASELINE, "--protocols", "offers", "--runs", "2", "--seed", "3",
        "--steps", "20", "--parameters", draws, "--out", out,
    )  # fmt: skip
    assert code == 0 and err == ""
    assert text.splitlines()[0].endswith(f"(master seed 3, parameters drawn from {draws})")
    # every run draws the row of weight 1
    member = override_scenario(baseline, {"dynamics.talk_weight": 0.0})
    expected = compare_protocols(
        baseline, ["offers"], runs=2, master_seed=3, steps=20, members=[member] * 2
    )
    written = pd.read_csv(out / "protocols.csv", parse_dates=["first_date"])
    written["first_date"] = written["first_date"].astype("datetime64[ns]")
    pd.testing.assert_frame_equal(written, expected, check_dtype=False)


def test_compare_parameter_draws_that_are_no_file(capsys, tmp_path: Path) -> None:
    out = tmp_path / "cmp"
    for given, words in [
        (tmp_path, "is a folder; give a CSV or Parquet file of draws"),
        (tmp_path / "none.csv", "file not found; give a CSV or Parquet table of draws"),
    ]:
        code, _, err = run_cli(
            capsys, "compare", BASELINE, "--runs", "1", "--parameters", given, "--out", out
        )
        assert code == 2
        assert one_error(err) == f"{given}: {words}"
        assert not out.exists()


@pytest.mark.parametrize(
    ("text", "field", "words"),
    [
        ("dynamics.no_such_field\n0.1\n", "dynamics.no_such_field", "no_such_field"),
        ("dynamics.talk_weight\nmuch\n", "dynamics.talk_weight", "every draw must be a number"),
        ("dynamics.talk_weight\n7.0\n", "row 0", "talk_weight"),
    ],
)
def test_compare_bad_parameter_draws(capsys, tmp_path: Path, text, field, words) -> None:
    draws = tmp_path / "draws.csv"
    draws.write_text(text)
    out = tmp_path / "cmp"
    code, _, err = run_cli(
        capsys, "compare", BASELINE, "--runs", "1", "--parameters", draws, "--out", out
    )
    assert code == 2
    message = one_error(err)
    assert message.startswith(f"{draws}: {field}") and words in message
    assert not out.exists()
