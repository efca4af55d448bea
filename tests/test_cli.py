"""The command line, through ``lsr_sim.cli.main`` (one test goes through a real process).

Bad input: exit status 2, one ``error: <file>: <field>: ...`` line (or argparse's usage
error naming the option), no traceback, nothing written.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml
from cli_helpers import run_cli

import lsr_sim
from lsr_sim.cli import main
from lsr_sim.experiment import TABLE_NAMES
from lsr_sim.scenario import load_scenario, scenario_hash

SCENARIOS_DIR = Path(__file__).resolve().parents[1] / "scenarios"
BASELINE = SCENARIOS_DIR / "baseline.yaml"
SHIPPED = sorted(
    path
    for path in SCENARIOS_DIR.glob("**/*.yaml")
    if "sweeps" not in path.relative_to(SCENARIOS_DIR).parts
)
# The baseline runs weekly from 2024-12-08: 10 steps end on 2025-02-16, 20 on 2025-04-27.
END_10, END_20 = "2025-02-16", "2025-04-27"


def error_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("error: ")]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def folder_bytes(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*.*"))}


@pytest.fixture(scope="module")
def csv_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 10-step run of the baseline, tables only."""
    out = tmp_path_factory.mktemp("csv") / "out"
    assert main(["run", str(BASELINE), "--steps", "10", "--no-figures", "--out", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def figures_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 20-step run of the baseline with figures."""
    out = tmp_path_factory.mktemp("figures") / "out"
    assert main(["run", str(BASELINE), "--steps", "20", "--out", str(out)]) == 0
    return out


def calibration_variant(write_variant, patterns: dict, *, at: str = "2024-12-22") -> Path:
    """A baseline variant whose calibration (at an early date, for speed) is `patterns`."""
    base = yaml.safe_load(BASELINE.read_text(encoding="utf-8"))
    replaced = dict.fromkeys(base["calibration"]["patterns"])  # null deletes them
    return write_variant({"calibration": {"at": at, "patterns": {**replaced, **patterns}}})


def table_rows(out: str) -> list[list[str]]:
    """The rows of the table `calibrate` prints, split into columns."""
    lines = out.splitlines()
    header = next(i for i, line in enumerate(lines) if line.split() == HEADER)
    rows = []
    for line in lines[header + 1 :]:
        parts = line.split()
        if len(parts) != 4 or parts[-1] not in ("yes", "NO"):
            break
        rows.append(parts)
    return rows


HEADER = ["pattern", "target", "share", "met"]


# ------------------------------------------------------------------ help and version


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["-h"],
        ["run", "--help"],
        ["validate", "--help"],
        ["schema", "--help"],
        ["calibrate", "--help"],
        ["plot", "--help"],
    ],
)
def test_help(capsys, argv: list[str]) -> None:
    code, out, _ = run_cli(capsys, *argv)
    assert code == 0
    assert "usage: lsr-sim" in out


def test_version(capsys) -> None:
    code, out, _ = run_cli(capsys, "--version")
    assert code == 0
    assert out.strip() == f"lsr-sim {lsr_sim.__version__}"


def test_no_command_prints_help_and_fails(capsys) -> None:
    code, out, _ = run_cli(capsys)
    assert code == 2
    assert "usage: lsr-sim" in out


# ------------------------------------------------------------- bad command-line input

BAD_ARGUMENTS = [
    (["run", BASELINE, "--seed", "-1"], "--seed", "must be >= 0"),
    (["run", BASELINE, "--seed", "x"], "--seed", "expected a whole number"),
    (["run", BASELINE, "--steps", "0"], "--steps", "must be > 0"),
    (["run", BASELINE, "--steps", "abc"], "--steps", "expected a whole number, got 'abc'"),
    (["run", BASELINE, "--steps", "2.5"], "--steps", "expected a whole number"),
    (["run", BASELINE, "--format", "xlsx"], "--format", "invalid choice: 'xlsx'"),
    (["run", BASELINE, "--network-dates", "2025-13-01"], "--network-dates",
     "month must be in 1..12"),
    (["run", BASELINE, "--network-dates", "2025-02-30"], "--network-dates",
     "not a calendar date"),
    (["run", BASELINE, "--network-dates", "soon"], "--network-dates", "YYYY-MM-DD"),
    (["run", BASELINE, "--network-dates", ","], "--network-dates", "one or more dates"),
    (["run", BASELINE, "--bogus"], "--bogus", "unrecognized arguments"),
    (["frobnicate"], "frobnicate", "invalid choice"),
    (["run"], "scenario", "required"),
    (["validate"], "files", "required"),
    (["calibrate"], "scenario", "required"),
    (["plot"], "results", "required"),
    (["calibrate", BASELINE, "--runs", "0"], "--runs", "must be > 0"),
    (["calibrate", BASELINE, "--at", "2025-02-30"], "--at", "not a calendar date"),
    (["calibrate", BASELINE, "--seed", "-3"], "--seed", "must be >= 0"),
]  # fmt: skip


@pytest.mark.parametrize(("argv", "option", "words"), BAD_ARGUMENTS)
def test_bad_arguments(capsys, tmp_path: Path, argv: list, option: str, words: str) -> None:
    out_dir = tmp_path / "out"
    extra = ["--out", out_dir] if argv[0] == "run" and len(argv) > 1 else []
    code, _, err = run_cli(capsys, *argv, *extra)
    assert code == 2
    message = err.strip().splitlines()[-1]
    assert "error:" in message
    assert option in message
    assert words in message
    assert not out_dir.exists()


def test_network_date_outside_the_run(capsys, tmp_path: Path) -> None:
    out_dir = tmp_path / "out"
    argv = ["run", BASELINE, "--steps", "10", "--out", out_dir, "--network-dates"]
    code, _, err = run_cli(capsys, *argv, "2025-01-01,2025-03-01")
    assert code == 2
    assert error_lines(err) == [
        f"error: command line: --network-dates: 2025-03-01 is outside the run "
        f"(2024-12-08 to {END_10}); pick dates within it"
    ]
    assert not out_dir.exists()
    # A date before the start is refused too.
    code, _, err = run_cli(capsys, *argv[:-1], "--network-dates", "2024-12-07")
    assert code == 2 and "2024-12-07 is outside the run" in err


def test_out_is_an_existing_file(capsys, tmp_path: Path) -> None:
    target = tmp_path / "taken"
    target.write_text("keep me")
    code, _, err = run_cli(capsys, "run", BASELINE, "--steps", "10", "--out", target)
    assert code == 2
    assert "--out" in err and "is a file" in err
    assert target.read_text() == "keep me"


# -------------------------------------------------------------------------------- run


def test_run_writes_tables_and_manifest(csv_run: Path) -> None:
    tables = sorted(p.name for p in (csv_run / "tables").iterdir())
    assert tables == sorted(f"{name}.csv" for name in TABLE_NAMES)
    assert not (csv_run / "figures").exists()
    manifest = json.loads((csv_run / "manifest.json").read_text(encoding="utf-8"))
    for key in ("scenario_sha256", "seed", "steps", "command", "environment", "files"):
        assert key in manifest
    assert manifest["scenario_sha256"] == scenario_hash(load_scenario(BASELINE))
    assert manifest["seed"] == load_scenario(BASELINE).run.seed
    assert manifest["steps"] == 10
    assert manifest["end_date"] == END_10
    assert manifest["format"] == "csv"
    assert manifest["command"] == [
        "lsr-sim",
        "run",
        str(BASELINE),
        "--steps",
        "10",
        "--no-figures",
        "--out",
        str(csv_run),
    ]
    assert {"python", "lsr_sim", "mesa", "numpy", "pandas"} <= set(manifest["environment"])
    assert set(manifest["files"]) == {f"tables/{name}.csv" for name in TABLE_NAMES}
    for name, digest in manifest["files"].items():
        assert sha256(csv_run / name) == digest, name


def test_run_tables_cover_the_steps(csv_run: Path) -> None:
    trust = pd.read_csv(csv_run / "tables" / "trust.csv")
    assert sorted(trust["step"].unique()) == list(range(11))
    summary = pd.read_csv(csv_run / "tables" / "summary.csv")
    assert summary.loc[0, "steps"] == 10
    assert summary.loc[0, "scenario"] == "baseline"


def test_run_prints_a_summary(capsys, tmp_path: Path) -> None:
    out_dir = tmp_path / "out"
    code, out, err = run_cli(
        capsys, "run", BASELINE, "--steps", "10", "--seed", "7", "--no-figures", "--out", out_dir
    )
    assert code == 0, err
    assert "baseline: 10 steps from 2024-12-08 (seed 7)" in out
    assert f"wrote 7 files to {out_dir}" in out
    assert json.loads((out_dir / "manifest.json").read_text())["seed"] == 7


def test_same_run_twice_gives_identical_tables(capsys, csv_run: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    code, _, _ = run_cli(capsys, "run", BASELINE, "--steps", "10", "--no-figures", "--out", again)
    assert code == 0
    first, second = folder_bytes(csv_run / "tables"), folder_bytes(again / "tables")
    assert first.keys() == second.keys() and len(first) == len(TABLE_NAMES)
    for name in first:
        assert first[name] == second[name], name
    manifests = [json.loads((d / "manifest.json").read_text()) for d in (csv_run, again)]
    assert manifests[0]["files"] == manifests[1]["files"]


def test_run_parquet(capsys, csv_run: Path, tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    out_dir = tmp_path / "pq"
    code, _, err = run_cli(
        capsys,
        *("run", BASELINE, "--steps", "10", "--no-figures", "--format", "parquet"),
        *("--out", out_dir),
    )
    assert code == 0, err
    manifest = json.loads((out_dir / "manifest.json").read_text())
    assert manifest["format"] == "parquet"
    assert set(manifest["files"]) == {f"tables/{name}.parquet" for name in TABLE_NAMES}
    for name in TABLE_NAMES:
        table = pd.read_parquet(out_dir / "tables" / f"{name}.parquet")
        from_csv = pd.read_csv(csv_run / "tables" / f"{name}.csv")
        assert list(table.columns) == list(from_csv.columns), name
        assert len(table) == len(from_csv), name
        assert (
            sha256(out_dir / "tables" / f"{name}.parquet")
            == manifest["files"][f"tables/{name}.parquet"]
        )


def test_run_with_figures(figures_run: Path) -> None:
    figures = sorted(p.name for p in (figures_run / "figures").iterdir())
    assert "trust.png" in figures and "summary.png" in figures
    assert "network_2024-12-08.png" in figures and f"network_{END_20}.png" in figures
    manifest = json.loads((figures_run / "manifest.json").read_text())
    assert manifest["steps"] == 20
    for name in figures:
        assert manifest["files"][f"figures/{name}"] == sha256(figures_run / "figures" / name)


BAD_SCENARIOS = [
    ("actors:\n  Beirut:\n    capabilty: 0.5\n", "actors.Beirut.capabilty",
     "unknown field 'capabilty' (did you mean 'capability'?)"),
    ("actors:\n  Hezbollah:\n    salience: {officers: 0.45}\n", "actors.Hezbollah.salience",
     "sums to 1.4, must sum to 1"),
    ("events:\n  raids:\n    date: 2025-02-30\n", "events.raids.date",
     "'2025-02-30' is not a calendar date"),
]  # fmt: skip


@pytest.mark.parametrize(("override", "field", "message"), BAD_SCENARIOS)
def test_run_bad_scenario_writes_nothing(
    capsys, write_variant, tmp_path: Path, override: str, field: str, message: str
) -> None:
    bad = write_variant(override)
    out_dir = tmp_path / "out"
    code, out, err = run_cli(capsys, "run", bad, "--steps", "10", "--out", out_dir)
    assert code == 2
    assert err.startswith(f"error: {bad}: {field}: {message}")
    assert len(err.strip().splitlines()) == 1
    assert out == ""
    assert not out_dir.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [bad.name]


def test_run_yaml_syntax_error(capsys, write_yaml, tmp_path: Path) -> None:
    bad = write_yaml("name: x\nrun: [1,\n")
    code, _, err = run_cli(capsys, "run", bad, "--out", tmp_path / "out")
    assert code == 2
    assert err.startswith(f"error: {bad}: YAML syntax error at line ")
    assert not (tmp_path / "out").exists()


def test_run_missing_scenario_file(capsys, tmp_path: Path) -> None:
    missing = tmp_path / "missing.yaml"
    code, _, err = run_cli(capsys, "run", missing, "--out", tmp_path / "out")
    assert code == 2
    assert error_lines(err) == [f"error: {missing}: file not found; check the path"]


# --------------------------------------------------------------------------- validate


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(SCENARIOS_DIR)))
def test_validate_shipped_scenarios(capsys, path: Path) -> None:
    code, out, err = run_cli(capsys, "validate", path)
    assert code == 0, err
    assert out.startswith(f"ok: {path} (")
    assert err == ""


def test_validate_several_files_reports_each(capsys, write_yaml, write_variant) -> None:
    bad_field = write_variant("run:\n  stepz: 10\n", "bad_field.yaml")
    empty = write_yaml("", "empty.yaml")
    code, out, err = run_cli(capsys, "validate", BASELINE, bad_field, empty, BASELINE)
    assert code == 2
    assert out.count(f"ok: {BASELINE} (baseline: 5 actors, 6 issues,") == 2
    assert error_lines(err) == [
        f"error: {bad_field}: run.stepz: unknown field 'stepz' (did you mean 'steps'?); "
        "expected one of start_date, step_days, steps, seed",
        f"error: {empty}: file is empty; expected a scenario mapping (see scenarios/baseline.yaml)",
    ]


def test_validate_all_good(capsys, write_variant) -> None:
    variant = write_variant("run:\n  seed: 5\n")
    code, out, _ = run_cli(capsys, "validate", BASELINE, variant)
    assert code == 0
    assert out.count("ok: ") == 2


def test_validate_through_a_process_has_no_traceback(write_variant) -> None:
    bad = write_variant("actors:\n  Beirut:\n    capabilty: 0.5\n")
    proc = subprocess.run(
        [sys.executable, "-m", "lsr_sim", "validate", str(bad)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith(f"error: {bad}: actors.Beirut.capabilty: unknown field")
    assert proc.stdout == ""


# ----------------------------------------------------------------------------- schema


def test_schema_prints_json(capsys) -> None:
    code, out, _ = run_cli(capsys, "schema")
    assert code == 0
    schema = json.loads(out)
    assert {"actors", "issues", "run", "extends"} <= set(schema["properties"])
    assert schema["$schema"].startswith("https://json-schema.org/")


def test_schema_out_writes_a_file(capsys, tmp_path: Path) -> None:
    code, printed, _ = run_cli(capsys, "schema")
    target = tmp_path / "sub" / "schema.json"
    code, out, _ = run_cli(capsys, "schema", "--out", target)
    assert code == 0
    assert out.strip() == f"wrote {target}"
    assert json.loads(target.read_text(encoding="utf-8")) == json.loads(printed)


def test_schema_out_is_a_folder(capsys, tmp_path: Path) -> None:
    code, _, err = run_cli(capsys, "schema", "--out", tmp_path)
    assert code == 2
    assert error_lines(err) == [
        f"error: command line: --out: {tmp_path} is a folder; expected a file"
    ]


# -------------------------------------------------------------------------- calibrate


def test_calibrate_baseline(capsys) -> None:
    code, out, err = run_cli(capsys, "calibrate", BASELINE, "--runs", "5")
    assert code in (0, 1)
    assert "baseline: 5 runs, state at 2026-01-15" in out
    rows = table_rows(out)
    names = list(load_scenario(BASELINE).calibration.patterns)
    assert [row[0] for row in rows] == names
    missed = sum(row[-1] == "NO" for row in rows)
    for _, target, share, met in rows:
        assert (met == "yes") == (float(share) >= float(target))
    if missed:
        assert code == 1
        assert f"{missed} pattern(s) missed their target" in err
    else:
        assert code == 0
        assert "all patterns met" in out


def test_calibrate_never_met_exits_1(capsys, write_variant) -> None:
    never = {
        "metric": "trust",
        "description": "Beirut trusts Damascus almost fully",
        "truster": "Beirut",
        "trustee": "Damascus",
        "at_least": 0.99,
        "target": 1.0,
    }
    path = calibration_variant(write_variant, {"never": never})
    code, out, err = run_cli(capsys, "calibrate", path, "--runs", "3")
    assert code == 1
    assert table_rows(out) == [["never", "1.00", "0.00", "NO"]]
    assert "1 pattern(s) missed their target" in err


def test_calibrate_always_met_exits_0(capsys, write_variant) -> None:
    always = {
        "metric": "trust",
        "description": "trust stays within [0, 1]",
        "truster": "Beirut",
        "trustee": "Damascus",
        "at_most": 1.0,
        "target": 1.0,
    }
    status = {
        "metric": "status",
        "description": "the refugee issue has some status",
        "issue": "refugees",
        "in": ["open", "on_table", "agreed", "implementing", "implemented", "collapsed"],
        "target": 1.0,
    }
    path = calibration_variant(write_variant, {"always": always, "any_status": status})
    code, out, err = run_cli(capsys, "calibrate", path, "--runs", "3", "--seed", "1")
    assert code == 0, err
    assert table_rows(out) == [
        ["always", "1.00", "1.00", "yes"],
        ["any_status", "1.00", "1.00", "yes"],
    ]
    assert "all patterns met" in out


@pytest.mark.parametrize("at", ["2024-12-01", "2028-01-03", "2030-06-01"])
def test_calibrate_at_outside_the_run(capsys, at: str) -> None:
    code, _, err = run_cli(capsys, "calibrate", BASELINE, "--runs", "1", "--at", at)
    assert code == 2
    assert error_lines(err) == [
        f"error: command line: --at: {at} is outside the run (2024-12-08 to 2028-01-02)"
    ]


def test_calibrate_without_calibration_section(capsys, write_variant) -> None:
    path = write_variant("calibration: null\n")
    code, out, err = run_cli(capsys, "calibrate", path, "--runs", "1")
    assert code == 2
    assert error_lines(err) == [
        f"error: {path}: calibration: no calibration section; add observations (dated facts) "
        "or patterns to check"
    ]
    assert out == ""


def test_calibrate_bad_scenario(capsys, write_variant) -> None:
    path = write_variant("calibration:\n  patterns:\n    pretrial_unresolved:\n      issue: x\n")
    code, _, err = run_cli(capsys, "calibrate", path, "--runs", "1")
    assert code == 2
    assert err.startswith(f"error: {path}: calibration.patterns.pretrial_unresolved.issue: ")


# ------------------------------------------------------------------------------- plot


def test_plot_redraws_figures(capsys, figures_run: Path, tmp_path: Path) -> None:
    folder = tmp_path / "run"
    shutil.copytree(figures_run, folder)
    figures = folder / "figures"
    shutil.rmtree(figures)
    code, out, err = run_cli(capsys, "plot", folder, "--network-dates", "2025-02-01")
    assert code == 0, err
    assert out.strip() == f"wrote 5 figures to {figures}"
    names = {p.name for p in figures.iterdir()}
    assert names == {"trust.png", "network_2025-02-01.png", "issues.png"} | {
        "quantities.png",
        "summary.png",
    }
    for name in names:
        assert (figures / name).read_bytes().startswith(b"\x89PNG"), name


def test_plot_folder_without_tables(capsys, tmp_path: Path) -> None:
    code, _, err = run_cli(capsys, "plot", tmp_path)
    assert code == 2
    assert error_lines(err) == [
        f"error: {tmp_path}: not a results folder (no tables/ inside); run `lsr-sim run` first"
    ]
    assert list(tmp_path.iterdir()) == []


def copy_tables(source: Path, target: Path, names=TABLE_NAMES) -> Path:
    (target / "tables").mkdir(parents=True)
    for name in names:
        shutil.copyfile(source / "tables" / f"{name}.csv", target / "tables" / f"{name}.csv")
    return target


def test_plot_missing_table(capsys, tmp_path: Path, figures_run: Path) -> None:
    folder = copy_tables(figures_run, tmp_path / "run", TABLE_NAMES[:-1])
    code, _, err = run_cli(capsys, "plot", folder)
    assert code == 2
    assert error_lines(err) == [
        f"error: {folder / 'tables'}: {TABLE_NAMES[-1]}: table missing (expected .csv or .parquet)"
    ]
    assert not (folder / "figures").exists()


@pytest.mark.parametrize("date", ["2024-12-01", "2026-01-01"])
def test_plot_network_date_outside_the_run(capsys, tmp_path: Path, figures_run: Path, date):
    folder = copy_tables(figures_run, tmp_path / "run")
    code, _, err = run_cli(capsys, "plot", folder, "--network-dates", date)
    assert code == 2
    assert error_lines(err) == [
        f"error: command line: --network-dates: {date} is outside the run "
        f"(2024-12-08 to {END_20}); pick dates within it"
    ]
    assert not (folder / "figures").exists()


def test_plot_a_short_run_without_issue_events(capsys, tmp_path: Path, csv_run: Path) -> None:
    # In the first 10 steps of the baseline no event names an issue: events.issues is empty.
    folder = copy_tables(csv_run, tmp_path / "run")
    code, _, err = run_cli(capsys, "plot", folder)
    assert code == 0, err
    assert (folder / "figures" / "trust.png").exists()
