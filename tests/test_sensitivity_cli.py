"""``lsr-sim sensitivity`` through ``main([...])`` on tiny designs: the files it writes, resuming,
every error message, and a report whose every number comes from the run's tables.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from lsr_sim.cli import main
from lsr_sim.scenario import load_scenario, scenario_hash
from lsr_sim.sweep.sensitivity_docs import (
    SENTENCES,
    TEMPLATE,
    format_number,
    render_sensitivity_docs,
)
from tests.cli_helpers import one_error, run_cli

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"

# Only the dynamics vary (21 inputs: the 5 trust inputs the evidence model does not read are
# left out; and 4 dummies): 2 trajectories x 26 points x 2 runs.
RANGES = {
    "exclude": {
        "actors.*": "fixed in this test",
        "network.*": "fixed in this test",
        "issues.*": "fixed in this test",
        "events.*": "fixed in this test",
        "incidents.*": "fixed in this test",
    }
}
TINY = [
    "--samples",
    "2",
    "--replications",
    "2",
    "--steps",
    "30",
    "--workers",
    "1",
    "--quiet",
    "--dummies",
    "4",
]
DUMMIES = ["dummy.1", "dummy.2", "dummy.3", "dummy.4"]


def _main(*argv: object) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in argv])
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def ranges(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("ranges") / "ranges.yaml"
    path.write_text(yaml.safe_dump(RANGES), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def morris_run(tmp_path_factory, ranges):
    """One Morris run of the command, with the report written."""
    base = tmp_path_factory.mktemp("sensitivity")
    out, doc = base / "out", base / "docs" / "sensitivity.md"
    argv = ["sensitivity", BASELINE, *TINY, "--ranges", ranges, "--out", out, "--write-docs", doc]
    code, stdout, stderr = _main(*argv)
    return {"code": code, "out": out, "doc": doc, "stdout": stdout, "stderr": stderr, "argv": argv}


def test_morris_run_writes_the_sweep_the_tables_the_figures_and_the_report(morris_run):
    assert morris_run["code"] == 0, morris_run["stderr"]
    out: Path = morris_run["out"]
    for name in (
        "sweep.yaml",
        "inputs.csv",
        "excluded.csv",
        "ranking.csv",
        "dummy.csv",
        "not_distinguishable.csv",
        "groups.csv",
        "notes.csv",
        "summary.json",
        "sweep/manifest.json",
        "sweep/analysis/morris.csv",
        "figures/overview.png",
    ):
        assert (out / name).is_file(), name
    sweep = yaml.safe_load((out / "sweep.yaml").read_text())
    inputs = pd.read_csv(out / "inputs.csv")
    assert list(sweep["parameters"]) == [*inputs["path"], *DUMMIES]
    assert sweep["design"] == {"type": "morris", "samples": 2, "levels": 4}
    assert sweep["replications"] == 2 and sweep["steps"] == 30
    assert (out / sweep["scenario"]).resolve() == BASELINE.resolve()
    assert len(inputs) == 21 and set(inputs["group"]) == {"dynamics"}
    runs = pd.read_parquet(out / "sweep" / "runs")
    assert len(runs) == 2 * 26 * 2 and (runs["error"] == "").all()
    assert all(runs[d].between(0, 1).all() for d in DUMMIES)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["scenario_sha256"] == scenario_hash(load_scenario(BASELINE))
    assert (summary["inputs"], summary["dummies"]) == (21, 4)
    assert (summary["runs"], summary["points"]) == (104, 52)
    assert summary["command"][:2] == ["lsr-sim", "sensitivity"]
    ranking = pd.read_csv(out / "ranking.csv")
    assert set(ranking["parameter"]) == {*inputs["path"], *DUMMIES}
    assert set(ranking.loc[ranking["parameter"].isin(DUMMIES), "group"]) == {"dummy"}
    for outcome in ranking["outcome"].unique():
        assert (out / "figures" / f"screening_{outcome}.png").is_file()
    doc: Path = morris_run["doc"]
    text = doc.read_text()
    assert text.startswith("# Sensitivity analysis: which inputs of baseline matter")
    assert " ".join(["lsr-sim", *map(str, morris_run["argv"])]) in text
    assert summary["scenario_sha256"] in text
    assert (doc.parent / "img" / "sensitivity" / "overview.png").is_file()
    assert "](img/sensitivity/overview.png)" in text
    assert "wrote " in morris_run["stdout"] and "above the dummies" in morris_run["stdout"]
    for outcome, rows in ranking.groupby("outcome"):
        ranks = rows.loc[~rows["parameter"].isin(DUMMIES), "rank"]
        assert ranks.tolist() == list(range(1, len(ranks) + 1)), outcome
        assert rows.loc[rows["parameter"].isin(DUMMIES), "rank"].isna().all()


def test_rerun_resumes_with_nothing_to_do_and_the_same_tables(morris_run, tmp_path):
    out: Path = morris_run["out"]
    before = (out / "ranking.csv").read_bytes()
    code, stdout, _ = _main(*morris_run["argv"])
    assert code == 0
    assert "every run was already saved; nothing to do" in stdout
    assert (out / "ranking.csv").read_bytes() == before


def test_other_settings_are_refused_and_nothing_is_rewritten(morris_run):
    out: Path = morris_run["out"]
    sweep_before = (out / "sweep.yaml").read_bytes()
    argv = [str(a) for a in morris_run["argv"]]
    argv[argv.index("--replications") + 1] = "3"
    code, _, stderr = _main(*argv)
    assert code == 2
    message = one_error(stderr)
    assert message == (
        f"{out}: holds a sensitivity analysis with other settings (changed: replications (2 "
        "before, 3 now)); add --fresh to start over, or choose another --out"
    )
    assert (out / "sweep.yaml").read_bytes() == sweep_before


def test_fresh_starts_over(morris_run, tmp_path, ranges):
    out = tmp_path / "copy"
    shutil.copytree(morris_run["out"], out)
    argv = [
        "sensitivity",
        BASELINE,
        *TINY,
        "--ranges",
        ranges,
        "--out",
        out,
        "--replications",
        "1",
        "--fresh",
        "--no-figures",
    ]
    code, _, stderr = _main(*argv)
    assert code == 0, stderr
    assert len(pd.read_parquet(out / "sweep" / "runs")) == 52
    assert not (out / "figures").exists()


def test_sobol_run(tmp_path, ranges):
    out = tmp_path / "sobol"
    argv = [
        "sensitivity",
        BASELINE,
        "--method",
        "sobol",
        "--samples",
        "4",
        "--replications",
        "1",
        "--steps",
        "30",
        "--workers",
        "1",
        "--quiet",
        "--ranges",
        ranges,
        "--out",
        out,
        "--outcomes",
        "mean_trust,trust_Beirut_Damascus",
    ]
    code, _, stderr = _main(*argv)
    assert code == 0, stderr
    ranking = pd.read_csv(out / "ranking.csv")
    assert {"S1", "S1_conf", "ST", "ST_conf", "above_dummy", "p_dummy"} <= set(ranking.columns)
    assert set(ranking["outcome"]) == {"mean_trust", "trust_Beirut_Damascus"}
    assert len(pd.read_parquet(out / "sweep" / "runs")) == 4 * (21 + 10 + 2)  # 10 dummies
    dummy = pd.read_csv(out / "dummy.csv")
    assert list(dummy["outcome"]) == ["mean_trust", "trust_Beirut_Damascus"]
    assert "sobol" in render_sensitivity_docs(out).lower()


def test_an_interrupted_run_says_how_to_resume(tmp_path, ranges, monkeypatch):
    import lsr_sim.sweep.runner as runner

    def interrupted(loaded, out_dir, **kwargs):
        return runner.SweepReport(
            Path(out_dir), total=124, done_before=0, done_now=40, interrupted=True
        )

    monkeypatch.setattr(runner, "run_sweep", interrupted)
    out = tmp_path / "stopped"
    code, _, stderr = _main("sensitivity", BASELINE, *TINY, "--ranges", ranges, "--out", out)
    assert code == 130
    assert stderr.strip() == (
        f"interrupted: 40 of 124 runs are saved in {out / 'sweep'}; run the same command "
        "again to resume (add --fresh to start over)"
    )
    assert not (out / "ranking.csv").exists()


# -- every error -------------------------------------------------------------------------------


def _errors(tmp_path: Path) -> list[tuple[list[object], str]]:
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "keep.txt").write_text("x")
    out = tmp_path / "out"
    return [
        (
            ["--method", "sobol", "--samples", "3", "--out", out],
            "command line: --samples: is 3, not a power of two; Sobol' sampling needs one: try 2 "
            "or 4",
        ),
        (
            ["--samples", "1", "--out", out],
            "command line: --samples: is 1; Morris needs at least 2 trajectories",
        ),
        (
            ["--levels", "3", "--out", out],
            "command line: --levels: is 3; Morris levels must be an even number >= 2",
        ),
        (
            ["--outcomes", "mean_trus", "--out", out],
            "command line: --outcomes: 'mean_trus' is not an outcome (did you mean 'mean_trust'?); "
            "expected summary columns: rapprochement_index, mean_trust,",
        ),
        (
            ["--outcomes", "status_officers", "--out", out],
            "command line: --outcomes: 'status_officers' is a text column; expected summary "
            "columns:",
        ),
        (
            ["--outcomes", ",", "--out", out],
            "command line: --outcomes: is empty; name summary columns, e.g. mean_trust",
        ),
        (["--out", a_file], f"command line: --out: {a_file} is a file; expected a folder"),
        (
            ["--out", out, "--write-docs", tmp_path],
            f"command line: --write-docs: {tmp_path} is a folder; expected a file",
        ),
        (
            ["--out", out, "--write-docs", a_file],
            f"command line: --write-docs: {a_file} is not a Markdown file; expected *.md",
        ),
        (
            ["--out", out, "--ranges", tmp_path / "none.yaml"],
            f"{tmp_path / 'none.yaml'}: file not found; check the path",
        ),
        (
            ["--out", foreign],
            f"{foreign}: is not empty and holds no sensitivity analysis; choose another --out",
        ),
    ]


def test_every_error_is_one_line_exit_2_and_writes_nothing(tmp_path, capsys):
    for options, expected in _errors(tmp_path):
        code, out, err = run_cli(capsys, "sensitivity", BASELINE, "--quiet", *options)
        assert code == 2, (options, err)
        assert one_error(err).startswith(expected), (options, err)
        assert out == ""
    assert not (tmp_path / "out").exists()
    assert sorted(p.name for p in (tmp_path / "foreign").iterdir()) == ["keep.txt"]


def test_a_plan_above_the_sweep_limit_is_refused_before_anything_is_written(tmp_path, capsys):
    options = ["--samples", "1000", "--replications", "1000", "--out", tmp_path / "o"]
    code, out, err = run_cli(capsys, "sensitivity", BASELINE, *options)
    assert code == 2 and out == ""
    found = re.fullmatch(
        r"command line: --samples: gives ([\d,]+) points x 1,000 replications = ([\d,]+) runs, "
        r"above the limit of 1,000,000 \(lsr_sim\.limits\.MAX_SWEEP_RUNS\); use fewer "
        r"--samples or --replications",
        one_error(err),
    )
    assert found, err
    points, runs = (int(g.replace(",", "")) for g in found.groups())
    assert points % 1000 == 0 and runs == points * 1000  # r (k + 1) points, k inputs + dummies
    assert not (tmp_path / "o").exists()


def test_steps_beyond_the_calendar(tmp_path, capsys):
    late = tmp_path / "late.yaml"
    late.write_text(
        f"extends: {BASELINE}\nrun: {{start_date: 9990-01-01}}\nevents: null\ncalibration: null\n"
    )
    options = ["--steps", "1000", "--out", tmp_path / "o"]
    code, out, err = run_cli(capsys, "sensitivity", late, *options)
    assert code == 2 and out == ""
    assert one_error(err) == (
        "command line: --steps: 1000 steps of 7 days from 9990-01-01 end after 9999-12-31, the "
        "last date a run can have; start earlier, or use fewer or shorter steps"
    )
    assert not (tmp_path / "o").exists()


def test_a_missing_scenario(tmp_path, capsys):
    code, _, err = run_cli(capsys, "sensitivity", tmp_path / "nope.yaml", "--out", tmp_path / "o")
    assert code == 2
    assert one_error(err) == f"{tmp_path / 'nope.yaml'}: file not found; check the path"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--method", "fast"], "--method: invalid choice: 'fast' (choose from 'morris', 'sobol')"),
        (["--replications", "0"], "--replications: must be > 0, got 0"),
        (["--steps", "x"], "--steps: expected a whole number, got 'x'"),
        (["--steps", "100001"], "--steps: must be <= 100,000"),
        (["--seed", str(2**64)], "--seed: must be <= 18,446,744,073,709,551,615 (a 64-bit seed)"),
        (["--levels", "1001"], "--levels: must be <= 1,000, got 1,001"),
        (["--dummies", "0"], "--dummies: must be > 0, got 0"),
        (["--dummies", "1001"], "--dummies: must be <= 1,000, got 1,001"),
        (["--workers", "257"], "--workers: must be <= 256, got 257"),
        ([], "the following arguments are required: --out"),
    ],
)
def test_usage_errors(capsys, options, message):
    code, out, err = run_cli(capsys, "sensitivity", BASELINE, *options)
    assert code == 2
    line = one_error(err)  # the one error: line, no usage block
    assert line.startswith(f"command line: {message}"), line
    assert line.endswith(" (see `lsr-sim sensitivity --help`)"), line
    assert out == ""


def test_docs_of_a_folder_without_an_analysis(tmp_path):
    from lsr_sim.errors import InputError

    with pytest.raises(InputError, match="holds no complete sensitivity analysis"):
        render_sensitivity_docs(tmp_path)


# -- the report's numbers come from the tables -------------------------------------------------


def test_the_template_and_sentences_hold_no_number():
    for text in [TEMPLATE, *SENTENCES.values()]:
        assert not re.search(r"\d", text), text


NUMBER = r"-?\d[\d,]*(?:\.\d+)?(?:e[+-]\d+)?%?"


def _table_numbers(out: Path) -> set[str]:
    """Every number of the run's tables and summary, as the report formats it."""
    found: set[str] = set()
    for csv in out.glob("*.csv"):
        frame = pd.read_csv(csv)
        for column in frame.columns:
            for value in frame[column]:
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    found.add(format_number(value))
                    found.add(format_number(100 * value) + "%")
                elif isinstance(value, str):  # numbers inside text cells (rules, reasons)
                    found.update(re.findall(NUMBER, value))
    summary = json.loads((out / "summary.json").read_text())
    for value in summary.values():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            found.update({format_number(value), str(value), format_number(100 * value) + "%"})
        elif isinstance(value, list):
            found.update(format_number(v) for v in value if isinstance(v, (int, float)))
    return found


def _report_numbers(text: str) -> list[str]:
    body = text.split("```", 2)[2]  # after the command block
    body = re.sub(r"`[^`]*`", "", body)  # paths and names, which may hold digits
    body = re.sub(r"\(img/[^)]*\)", "", body)  # figure links
    body = re.sub(r"Made on .*", "", body)  # date, hash and version
    return re.findall(NUMBER, body)


def test_every_number_in_the_report_comes_from_the_tables(morris_run):
    out: Path = morris_run["out"]
    allowed = _table_numbers(out)
    numbers = _report_numbers(morris_run["doc"].read_text())
    assert numbers  # the report does hold numbers
    stray = sorted({n for n in numbers if n not in allowed and n.rstrip("%") not in allowed})
    # counts the report derives (inputs above the dummy, outcomes near zero) are sums of the
    # tables' columns; only those and the tables' own numbers may appear
    ranking = pd.read_csv(out / "ranking.csv")
    dummy = pd.read_csv(out / "dummy.csv")
    groups = pd.read_csv(out / "groups.csv")
    levels = json.loads((out / "summary.json").read_text())["levels"]
    jump = format_number(100 * levels / (2 * (levels - 1))) + "%"  # the Morris step
    derived = {jump} | {
        format_number(v)
        for v in (
            int(groups["matter"].sum()),
            len(pd.read_csv(out / "excluded.csv")),
            len(pd.read_csv(out / "not_distinguishable.csv")),
            int(dummy["near_zero"].sum()),
            len(dummy),
            *ranking.groupby("outcome")["above_dummy"].sum().astype(int),
        )
    }
    assert [n for n in stray if n not in derived] == []


def test_the_report_changes_when_a_table_does(morris_run, tmp_path):
    out = tmp_path / "edited"
    shutil.copytree(morris_run["out"], out)
    ranking = pd.read_csv(out / "ranking.csv")
    first = ranking.index[(ranking["rank"] == 1)][0]
    ranking.loc[first, "mu_star"] = 0.987654
    ranking.to_csv(out / "ranking.csv", index=False)
    dummy = pd.read_csv(out / "dummy.csv")
    dummy.loc[0, "replications_needed"] = 4321
    dummy.loc[0, "near_zero"] = False
    dummy.to_csv(out / "dummy.csv", index=False)
    text = render_sensitivity_docs(out)
    assert "| 1 | `" in text and "0.988" in text
    assert "4,321" in text
    assert "0.988" not in render_sensitivity_docs(morris_run["out"])


def test_dummy_table_reads_the_ranking(morris_run):
    """Each row of dummy.csv restates the ranking: the dummies' mean index, the largest input,
    the counts, and the replications that would bring the ratio to NEAR_ZERO (mu* falls as
    1 / sqrt(reps)); each dummy is compared with the mean of the other dummies."""
    import math

    from lsr_sim.sweep.sensitivity import NEAR_ZERO

    out: Path = morris_run["out"]
    ranking = pd.read_csv(out / "ranking.csv")
    for row in pd.read_csv(out / "dummy.csv").itertuples(index=False):
        rows = ranking[ranking["outcome"] == row.outcome]
        noise = rows[rows["parameter"].isin(DUMMIES)]
        inputs = rows[~rows["parameter"].isin(DUMMIES)]
        assert row.dummy_index == pytest.approx(noise["mu_star"].mean())
        assert (inputs["dummy_index"] == inputs["dummy_index"].iloc[0]).all()
        assert inputs["dummy_index"].iloc[0] == pytest.approx(row.dummy_index)
        for dummy in noise.itertuples(index=False):
            others = noise.loc[noise["parameter"] != dummy.parameter, "mu_star"].mean()
            assert dummy.dummy_index == pytest.approx(others)
        assert row.top_index == inputs["mu_star"].max() == inputs.iloc[0]["mu_star"]
        assert row.above_dummy == inputs["above_dummy"].sum()
        assert (row.dummies, row.dummies_above) == (4, noise["above_dummy"].sum())
        assert row.dummies_expected == pytest.approx(0.05 * 4)
        assert row.ratio == pytest.approx(row.dummy_index / row.top_index)
        assert row.near_zero == (row.ratio <= NEAR_ZERO)
        expected = 2 if row.near_zero else math.ceil(2 * (row.ratio / NEAR_ZERO) ** 2)
        assert row.replications_needed == expected


# -- the figures -------------------------------------------------------------------------------


def _ranking() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "outcome": ["y"] * 4 + ["z"] * 4,
            "parameter": ["a", "b", "c", "dummy.1"] * 2,
            "mu_star": [0.5, 0.2, 0.01, 0.02, 0.1, 0.3, 0.0, 0.01],
            "mu_star_conf": [0.05, 0.05, 0.01, 0.01, 0.02, 0.02, 0.0, 0.01],
            "above_dummy": [True, True, False, False, True, True, False, False],
            "relative": [1.0, 0.4, 0.02, 0.04, 1 / 3, 1.0, 0.0, 1 / 30],
            "dummy_index": [0.02] * 4 + [0.01] * 4,
            "dummy_conf": [0.005] * 8,
        }
    )


def test_plot_screening_draws_the_inputs_against_the_dummy():
    from lsr_sim.sweep.plots import plot_screening

    ax = plot_screening(_ranking(), "y", top=2)
    from matplotlib.container import BarContainer

    bars = next(c for c in ax.containers if isinstance(c, BarContainer))  # not the band
    assert [round(b.get_width(), 6) for b in bars] == [0.2, 0.5]  # largest on top
    assert bars[0].get_facecolor() == bars[1].get_facecolor()  # both above
    assert [t.get_text() for t in ax.get_yticklabels()] == ["b", "a"]
    assert "2 of 3 inputs above the dummies" in ax.get_title()
    assert ax.lines[-1].get_xdata()[0] == pytest.approx(0.02)  # the dummy's line


def test_plot_screening_overview_blanks_what_is_not_above_the_dummy():
    from lsr_sim.sweep.plots import plot_screening_overview

    ax = plot_screening_overview(_ranking())
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b"]  # c matters nowhere
    values = ax.images[0].get_array()
    assert values.tolist() == [[1.0, pytest.approx(1 / 3)], [0.4, 1.0]]


@pytest.mark.parametrize(
    ("outcome", "frame", "message"),
    [
        ("w", _ranking(), "no screening rows of inputs for outcome 'w'"),
        ("y", _ranking()[_ranking()["parameter"] == "dummy.1"], "no screening rows of inputs"),
        ("y", _ranking().drop(columns="dummy_conf"), "missing column(s): dummy_conf"),
    ],
)
def test_plot_screening_errors(outcome, frame, message):
    from lsr_sim.sweep.plots import plot_screening

    with pytest.raises(ValueError, match=re.escape(message)):
        plot_screening(frame, outcome)
