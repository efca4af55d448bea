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
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml
from cli_helpers import one_error, run_cli
from disk_helpers import fill, small_disk, snapshot

import lsr_sim
from lsr_sim.cli import main
from lsr_sim.experiment import TABLE_NAMES
from lsr_sim.scenario import ISSUE_STATUSES, load_scenario, scenario_hash

SCENARIOS_DIR = Path(__file__).resolve().parents[1] / "scenarios"
BASELINE = SCENARIOS_DIR / "baseline.yaml"
SWEEP = SCENARIOS_DIR / "sweeps" / "riyadh_trust_grid.yaml"
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


def calibration_variant(write_variant, facts: dict) -> Path:
    """A baseline variant whose calibration facts are `facts` (early dates keep it fast)."""
    replaced = dict.fromkeys(load_scenario(BASELINE).calibration.observations.facts)  # deleted
    observations = {"name": "quick", "facts": {**replaced, **facts}}
    return write_variant({"calibration": {"observations": observations}})


def table_rows(out: str) -> list[list[str]]:
    """The rows of the table the quick check prints: fact, date, share (or mean)."""
    lines = out.splitlines()
    header = next(
        i for i, line in enumerate(lines) if line.split()[:3] == ["fact", "date", "share"]
    )
    rows = []
    for line in lines[header + 1 :]:
        parts = line.split()
        if len(parts) != 3 or line.startswith("all "):
            break
        rows.append(parts)
    return rows


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


COMMANDS = [
    "run", "validate", "schema", "calibrate", "plot", "sweep", "analyze", "discover",
    "sensitivity", "classic", "compare", "forecast", "score", "whatif", "dashboard",
]  # fmt: skip


def test_every_command_is_listed_here(capsys) -> None:
    _, out, _ = run_cli(capsys, "--help")
    assert "{" + ",".join(COMMANDS) + "}" in out


@pytest.mark.parametrize("command", COMMANDS)
def test_every_commands_help_reads_cleanly(capsys, command: str) -> None:
    # argparse formats `help=` strings with %, but not descriptions: a "%%" there shows as is
    code, out, _ = run_cli(capsys, command, "--help")
    assert code == 0
    assert f"usage: lsr-sim {command}" in out
    assert "%%" not in out


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
    (["calibrate", BASELINE, "--seed", "-3"], "--seed", "must be >= 0"),
    # beyond the limits (lsr_sim.limits), refused before anything runs
    (["run", BASELINE, "--steps", "1e9"], "--steps", "expected a whole number, got '1e9'"),
    (["run", BASELINE, "--steps", "1000000"], "--steps", "must be <= 100,000"),
    (["run", BASELINE, "--steps", "100001"], "--steps", "must be <= 100,000"),
    (["run", BASELINE, "--steps", "9" * 5000], "--steps", "expected a whole number"),
    (["run", BASELINE, "--seed", str(2**70)], "--seed", "must be <= 18,446,744,073,709,551,615"),
    (["calibrate", BASELINE, "--runs", "1000000000"], "--runs", "must be <= 100,000"),
    (["compare", BASELINE, "--steps", "1000000", "--out", "x"], "--steps", "must be <= 100,000"),
    (["compare", BASELINE, "--runs", "10000000", "--out", "x"], "--runs", "must be <= 100,000"),
    (["dashboard", "--port", "70000"], "--port", "must be <= 65,535"),
    (["sweep", SWEEP, "--out", "x", "--workers", "1000000"], "--workers", "must be <= 256"),
    (["sweep", SWEEP, "--out", "x", "--scheduler", "tcp://127.0.0.1:port"], "--scheduler",
     "must be a number from 1 to 65535"),
    (["sweep", SWEEP, "--out", "x", "--scheduler", "tcp://:8786"], "--scheduler",
     "expected an address like tcp://127.0.0.1:8786"),
    (["sweep", SWEEP, "--out", "x", "--scheduler", "http://127.0.0.1:8786"], "--scheduler",
     "expected an address like tcp://127.0.0.1:8786"),
]  # fmt: skip


@pytest.mark.parametrize(("argv", "option", "words"), BAD_ARGUMENTS)
def test_bad_arguments(capsys, tmp_path: Path, argv: list, option: str, words: str) -> None:
    out_dir = tmp_path / "out"
    extra = ["--out", out_dir] if argv[0] == "run" and len(argv) > 1 else []
    code, _, err = run_cli(capsys, *argv, *extra)
    assert code == 2
    # One line, as for every bad input: no usage block before it (--help shows that).
    message = one_error(err)
    assert message.startswith("command line: ")
    assert option in message
    assert words in message
    assert len(message) < 300
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
    assert out.count(f"ok: {BASELINE} (baseline: 6 actors, 6 issues,") == 2
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
    assert code == 0, err
    assert "baseline: 5 runs of the scenario as it is, facts at their dates" in out
    rows = table_rows(out)
    facts = load_scenario(BASELINE).calibration.observations.facts
    assert [row[0] for row in rows] == list(facts)
    assert [row[1] for row in rows] == [f.date.isoformat() for f in facts.values()]
    for name, _, value in rows:
        if not facts[name].measured:
            assert float(value) in (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)  # a share of 5 runs
    assert out.splitlines()[-1].startswith("all yes/no facts jointly: ")


NEVER = {
    "date": "2024-12-22",
    "trust": {"truster": "Beirut", "trustee": "Damascus", "at_least": 0.99},
}
ALWAYS = {"date": "2024-12-29", "status": {"issue": "refugees", "in": list(ISSUE_STATUSES)}}


def test_calibrate_prints_each_fact_and_the_joint_share(capsys, write_variant) -> None:
    path = calibration_variant(write_variant, {"never": NEVER, "always": ALWAYS})
    code, out, err = run_cli(capsys, "calibrate", path, "--runs", "3", "--seed", "1")
    assert code == 0, err
    assert table_rows(out) == [["never", "2024-12-22", "0.000"], ["always", "2024-12-29", "1.000"]]
    assert "all yes/no facts jointly: 0.000 of runs" in out
    path = calibration_variant(write_variant, {"always": ALWAYS})
    code, out, _ = run_cli(capsys, "calibrate", path, "--runs", "3")
    assert "all yes/no facts jointly: 1.000 of runs" in out


def test_calibrate_without_calibration_section(capsys, write_variant) -> None:
    path = write_variant("calibration: null\n")
    code, out, err = run_cli(capsys, "calibrate", path, "--runs", "1")
    assert code == 2
    assert error_lines(err) == [
        f"error: {path}: calibration: no calibration section; add observations (dated facts) "
        "to check"
    ]
    assert out == ""


def test_calibrate_bad_scenario(capsys, write_variant) -> None:
    bad = {"date": "2024-12-22", "status": {"issue": "refugee", "in": ["open"]}}
    path = calibration_variant(write_variant, {"bad": bad})
    code, out, err = run_cli(capsys, "calibrate", path, "--runs", "1")
    assert code == 2 and out == ""
    assert error_lines(err) == [
        f"error: {path}: calibration.observations.facts.bad.status.issue: 'refugee' is not in "
        "scenario 'baseline' (did you mean 'refugees'?); expected one of officers, "
        "border_control, border_demarcation, detainees, refugees, weapons_corridor"
    ]


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


# ----------------------------------------------- manifests, folder kinds, full disks, SIGKILL


def manifest_is_true(folder: Path) -> None:
    """Every file the manifest lists is there with the hash the manifest gives."""
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["files"], manifest
    for name, digest in manifest["files"].items():
        assert sha256(folder / name) == digest, f"{name}: the manifest's hash is stale"


def test_plot_keeps_the_manifest_hashes_true(capsys, figures_run: Path, tmp_path: Path) -> None:
    folder = tmp_path / "run"
    shutil.copytree(figures_run, folder)
    manifest_is_true(folder)
    code, _, err = run_cli(capsys, "plot", folder, "--network-dates", "2025-02-01")
    assert code == 0, err
    manifest_is_true(folder)
    files = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["files"]
    assert "figures/network_2025-02-01.png" in files and "tables/trust.csv" in files
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".run.")]  # no staging left


def test_analyze_a_single_run_folder_says_what_it_is(capsys, csv_run: Path) -> None:
    code, out, err = run_cli(capsys, "analyze", csv_run)
    assert code == 2 and out == ""
    assert one_error(err) == (
        f"{csv_run}: holds one run (written by `lsr-sim run`), not a sweep; analyze the folder "
        f"of `lsr-sim sweep SWEEP.yaml --out DIR`, or redraw this run's figures with "
        f"`lsr-sim plot {csv_run}`"
    )
    assert not (csv_run / "analysis").exists()


@pytest.fixture(scope="module")
def sweep_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 4-run sweep of 5 steps over the baseline."""
    folder = tmp_path_factory.mktemp("sweep")
    sweep = folder / "sweep.yaml"
    sweep.write_text(
        yaml.safe_dump(
            {
                "name": "tiny",
                "scenario": str(BASELINE),
                "steps": 5,
                "parameters": {"dynamics.vouching_rate": {"values": [0.1, 0.3]}},
                "replications": 2,
                "outcomes": ["rapprochement_index", "agreements"],
            }
        )
    )
    out = folder / "out"
    assert main(["sweep", str(sweep), "--out", str(out), "--workers", "1", "--quiet"]) == 0
    return out


def test_plot_and_run_on_a_sweep_folder_say_what_it_is(
    capsys, sweep_folder: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "sweep"
    shutil.copytree(sweep_folder, folder)
    before = folder_bytes(folder)
    code, _, err = run_cli(capsys, "plot", folder)
    assert code == 2
    assert one_error(err) == (
        f"{folder}: holds a sweep (written by `lsr-sim sweep`), not one run; its figures come "
        f"from `lsr-sim analyze {folder}`"
    )
    code, _, err = run_cli(capsys, "run", BASELINE, "--steps", "5", "--out", folder)
    assert code == 2
    assert one_error(err) == (
        f"{folder}: holds the results of a sweep (written by `lsr-sim sweep`); write this run "
        "to another --out"
    )
    assert folder_bytes(folder) == before


def _disk_full_error(err: str, folder: Path) -> str:
    message = one_error(err)
    assert message.startswith(f"{folder}: disk full ("), message
    assert message.endswith(
        "free); no half-written file was left: free some space and run the same command again"
    )
    return message


def _no_temporaries(folder: Path) -> None:
    left = [p for p in folder.rglob("*") if p.name.endswith((".tmp", ".staging"))]
    assert not left, left


def test_run_on_a_full_disk_keeps_the_earlier_results_whole(capsys, tmp_path: Path) -> None:
    with small_disk(tmp_path / "disk") as disk:
        out = disk / "out"
        first = ["run", BASELINE, "--steps", "10", "--no-figures", "--out", out]
        assert run_cli(capsys, *first)[0] == 0
        before = snapshot(out)
        ballast = fill(disk, leave=16 * 1024)
        code, out_text, err = run_cli(capsys, "run", BASELINE, "--seed", "5", "--out", out)
        assert code == 2 and out_text == ""
        _disk_full_error(err, out)
        assert snapshot(out) == before  # every file of the first run, byte for byte
        manifest_is_true(out)
        _no_temporaries(disk)
        # Into a new folder: nothing at all is left.
        code, _, err = run_cli(capsys, "run", BASELINE, "--out", disk / "new")
        assert code == 2
        _disk_full_error(err, disk / "new")
        assert not (disk / "new").exists()
        ballast.unlink()
        assert run_cli(capsys, "run", BASELINE, "--seed", "5", "--out", out)[0] == 0
        manifest_is_true(out)
        assert json.loads((out / "manifest.json").read_text(encoding="utf-8"))["seed"] == 5
        _no_temporaries(disk)


def test_plot_on_a_full_disk_keeps_the_figures_and_manifest(
    capsys, figures_run: Path, tmp_path: Path
) -> None:
    with small_disk(tmp_path / "disk", "4M") as disk:
        folder = disk / "run"
        shutil.copytree(figures_run, folder)
        before = snapshot(folder)
        ballast = fill(disk, leave=16 * 1024)
        code, _, err = run_cli(capsys, "plot", folder, "--network-dates", "2025-02-01")
        assert code == 2
        _disk_full_error(err, folder)
        assert snapshot(folder) == before
        _no_temporaries(disk)
        ballast.unlink()
        assert run_cli(capsys, "plot", folder, "--network-dates", "2025-02-01")[0] == 0
        manifest_is_true(folder)


def _whole(path: Path) -> None:
    """A file written by a command is whole: a CSV parses, a PNG has its end chunk."""
    if path.suffix == ".csv":
        pd.read_csv(path)
    elif path.suffix == ".png":
        assert path.read_bytes().endswith(b"IEND\xaeB`\x82"), path
    else:
        assert path.read_bytes(), path


def test_analyze_compare_classic_and_schema_on_a_full_disk(
    capsys, sweep_folder: Path, tmp_path: Path
) -> None:
    ec_csv = Path(__file__).resolve().parents[1] / "data" / "classic" / "bdm1994_ec_emissions.csv"
    with small_disk(tmp_path / "disk") as disk:
        sweep = disk / "sweep"
        shutil.copytree(sweep_folder, sweep)
        assert run_cli(capsys, "classic", "bdm", ec_csv, "--out", disk / "ec.csv")[0] == 0
        assert run_cli(capsys, "schema", "--out", disk / "schema.json")[0] == 0
        kept = {name: sha256(disk / name) for name in ("ec.csv", "schema.json")}
        ballast = fill(disk, leave=8 * 1024)
        code, _, err = run_cli(capsys, "analyze", sweep)
        assert code == 2
        _disk_full_error(err, sweep / "analysis")
        for path in (sweep / "analysis").rglob("*"):
            if path.is_file():
                _whole(path)
        compare = ["compare", BASELINE, "--protocols", "nash", "--runs", "1", "--steps", "5"]
        code, _, err = run_cli(capsys, *compare, "--out", disk / "cmp")
        assert code == 2
        _disk_full_error(err, disk / "cmp")
        for path in (disk / "cmp").iterdir():
            _whole(path)
        code, _, err = run_cli(
            capsys, "classic", "bdm", ec_csv, "--rounds", "3", "--out", disk / "ec.csv"
        )
        assert code == 2 and "No space left on device" in one_error(err)
        code, _, err = run_cli(capsys, "schema", "--out", disk / "schema.json")
        assert code == 2 and "No space left on device" in one_error(err)
        assert {name: sha256(disk / name) for name in kept} == kept
        _no_temporaries(disk)
        ballast.unlink()
        assert run_cli(capsys, "analyze", sweep)[0] == 0
        assert run_cli(capsys, *compare, "--out", disk / "cmp")[0] == 0


def _start_run(out: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "lsr_sim", "run", str(BASELINE), "--out", str(out), *extra],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def _kill_while_staging(out: Path, proc: subprocess.Popen) -> Path:
    """SIGKILL `proc` once its staging folder holds a figure (the tables are all written)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        for staging in out.parent.glob(f".{out.name}.*.staging"):
            if list((staging / "figures").glob("*.png")):
                proc.kill()
                proc.wait()
                return staging
        if proc.poll() is not None:
            pytest.fail(f"the run ended before it could be killed: {proc.communicate()}")
        time.sleep(0.01)
    proc.kill()
    pytest.fail("no staging folder appeared")


@pytest.mark.slow
def test_a_killed_run_leaves_the_old_files_whole_and_the_next_run_cleans_up(
    capsys, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    assert run_cli(capsys, "run", BASELINE, "--steps", "10", "--no-figures", "--out", out)[0] == 0
    before = snapshot(out)
    staging = _kill_while_staging(out, _start_run(out, "--seed", "7"))
    assert staging.is_dir() and (staging / "tables" / "trust.csv").exists()
    assert snapshot(out) == before  # the killed run changed nothing in --out
    # Left alone: another folder's staging folder, and a look-alike holding a user's file.
    other = tmp_path / ".out2.0123456789abcdef.staging"
    other.mkdir()
    lookalike = tmp_path / ".out-abcd1234"
    lookalike.mkdir()
    (lookalike / "notes.txt").write_text("mine")
    legacy = tmp_path / ".out-zz99yy88"  # what lsr_sim 0.1 left: tables/ and figures/ only
    (legacy / "tables").mkdir(parents=True)
    assert run_cli(capsys, "run", BASELINE, "--steps", "10", "--no-figures", "--out", out)[0] == 0
    assert not staging.exists() and not legacy.exists()
    assert other.is_dir() and (lookalike / "notes.txt").read_text() == "mine"


def test_a_run_into_a_folder_another_process_writes_is_refused(capsys, tmp_path: Path) -> None:
    out = tmp_path / "out"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import time\nfrom pathlib import Path\nfrom lsr_sim.atomic import folder_writer\n"
            f"with folder_writer(Path({str(out)!r}), ['lsr-sim', 'run', 'x.yaml']):\n"
            "    print('held', flush=True)\n    time.sleep(300)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        staging = tmp_path / ".out.0123456789abcdef.staging"  # as if the holder's
        staging.mkdir()
        code, _, err = run_cli(capsys, "run", BASELINE, "--steps", "5", "--out", out)
        assert code == 2
        assert one_error(err).startswith(
            f"{out}: another lsr-sim process is writing results into this folder "
            f"(process {holder.pid} on "
        )
        assert staging.is_dir() and not (out / "tables").exists()
    finally:
        holder.kill()
        holder.wait()
    assert run_cli(capsys, "run", BASELINE, "--steps", "5", "--out", out)[0] == 0
    assert not staging.exists()
    manifest_is_true(out)


@pytest.mark.slow
def test_sigkills_at_random_moments_never_leave_a_stale_or_half_written_file(
    capsys, tmp_path: Path
) -> None:
    import random

    out = tmp_path / "out"
    draw = random.Random(13)
    for seed in range(4):
        proc = _start_run(out, "--seed", str(seed), "--steps", "30")
        time.sleep(draw.uniform(1.0, 6.0))
        proc.kill()
        proc.wait()
        if (out / "manifest.json").exists():  # no manifest: no run has finished yet
            manifest_is_true(out)
        for path in out.rglob("*"):
            if path.is_file() and not path.name.startswith("."):
                _whole(path)
    assert run_cli(capsys, "run", BASELINE, "--steps", "30", "--out", out)[0] == 0
    manifest_is_true(out)
    _no_temporaries(tmp_path)


def test_run_into_a_mount_point_stages_inside_it(capsys, tmp_path: Path) -> None:
    """A rename cannot cross file systems: the staging folder of a mounted --out is inside it."""
    with small_disk(tmp_path / "out", "8M") as out:
        argv = ["run", BASELINE, "--steps", "10", "--no-figures", "--out", out]
        assert run_cli(capsys, *argv)[0] == 0
        assert run_cli(capsys, *argv, "--seed", "3")[0] == 0
        manifest_is_true(out)
        _no_temporaries(out)
        _no_temporaries(tmp_path)
