"""lsr-sim forecast and lsr-sim score through main([...]): the hindcast, and every error as one
line with nothing written."""

from __future__ import annotations

import json
import sys

import pytest
import yaml
from cli_helpers import one_error, run_cli

FACTS = {
    "name": "cli_facts",
    "facts": {
        "known": {"date": "2025-06-01", "agreed": {"issue": "border_control", "by_then": False}},
        "coordination": {
            "date": "2025-07-31",
            "agreed": {"issue": "border_control", "by_then": True},
        },
        "no_detainee_deal": {
            "date": "2025-09-01",
            "agreed": {"issue": "detainees", "by_then": False},
        },
        "convicted": {
            "date": "2025-09-01",
            "delivered": {"issue": "detainees", "quantity": "convicted", "value": 0.0},
        },
    },
}


@pytest.fixture(scope="module")
def facts_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("facts") / "facts.yaml"
    path.write_text(yaml.safe_dump(FACTS, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def forecast_dir(tmp_path_factory, facts_file):
    out = tmp_path_factory.mktemp("fc") / "hindcast"
    code = _main(
        "forecast", "scenarios/baseline.yaml", "--from", "2025-06-01", "--to", "2025-10-01",
        "--runs", "30", "--seed", "7", "--condition-on", facts_file, "--out", out,
    )  # fmt: skip
    assert code == 0
    return out


def _main(*argv: object) -> int:
    from lsr_sim.cli import main

    return main([str(a) for a in argv])


def test_forecast_then_score(capsys, tmp_path, forecast_dir, facts_file) -> None:
    capsys.readouterr()
    manifest = json.loads((forecast_dir / "manifest.json").read_text())
    assert manifest["command"][:2] == ["lsr-sim", "forecast"]
    assert manifest["sources"]["condition_on"]["sha256"]
    assert manifest["conditioning"]["facts"] == ["known"]
    code, out, err = run_cli(capsys, "score", forecast_dir, facts_file, "--out", tmp_path / "s")
    assert code == 0, err
    assert "left out 1 fact(s) dated on or before the cut-off" in out
    assert "brier  model" in out and "crps   model" in out and "unconditioned" in out
    assert (tmp_path / "s" / "reliability.png").is_file()
    assert (tmp_path / "s" / "scores.csv").read_text().startswith("score,forecaster,facts")
    code, out, err = run_cli(capsys, "score", forecast_dir, facts_file)
    assert code == 0 and (forecast_dir / "scores" / "scores.csv").is_file()


def test_forecast_prints_the_last_date(capsys, tmp_path) -> None:
    code, out, err = run_cli(
        capsys, "forecast", "scenarios/baseline.yaml", "--from", "2025-06-01", "--to",
        "2025-07-01", "--runs", "4", "--every", "2", "--out", tmp_path / "f", "--no-figures",
        "--format", "parquet",
    )  # fmt: skip
    assert code == 0, err
    assert "baseline cut at 2025-06-01 (8 later event(s) removed): 4 runs" in out
    assert "P(agreed by 2025-06-29)" in out
    assert (tmp_path / "f" / "tables" / "states.parquet").is_file()
    assert not (tmp_path / "f" / "figures").exists()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--from", "2025-13-01"], "command line: --from: '2025-13-01' is not a calendar date"),
        (["--from", "2024-01-01"], "command line: --from: 2024-01-01 is before the scenario"),
        (["--to", "2025-06-03"], "command line: --to: 2025-06-03 gives no step after the cut-off"),
        (["--runs", "0"], "command line: --runs: must be > 0, got 0"),
        (["--every", "0"], "command line: --every: must be > 0, got 0"),
        (["--parameters", "{tmp}/none.csv"], "{tmp}/none.csv: file not found"),
        (
            ["--parameters", "{tmp}/bad.csv"],
            "{tmp}/bad.csv: actors.Riyad.capability: unknown actor",
        ),
        (["--condition-on", "{tmp}/none.yaml"], "{tmp}/none.yaml: file not found"),
        (["--condition-on", "{tmp}/never.yaml"], "{tmp}/never.yaml: facts.t: no run of 3 agrees"),
        (["--condition-on", "{tmp}/late.yaml"], "{tmp}/late.yaml: facts: no yes/no fact is dated"),
        (["--out", "{tmp}/file.txt"], "command line: --out: {tmp}/file.txt is a file"),
    ],
)
def test_forecast_errors_are_one_line(capsys, tmp_path, args, expected) -> None:
    (tmp_path / "bad.csv").write_text("actors.Riyad.capability\n0.5\n")
    (tmp_path / "file.txt").write_text("x")
    never = {
        "name": "n",
        "facts": {
            "t": {
                "date": "2025-05-01",
                "trust": {"truster": "Beirut", "trustee": "Damascus", "at_least": 0.99},
            }
        },
    }
    (tmp_path / "never.yaml").write_text(yaml.safe_dump(never))
    late = {
        "name": "l",
        "facts": {"t": {"date": "2025-09-01", "agreed": {"issue": "detainees", "by_then": False}}},
    }
    (tmp_path / "late.yaml").write_text(yaml.safe_dump(late))
    base = {
        "--from": "2025-06-01",
        "--to": "2025-08-01",
        "--runs": "3",
        "--out": str(tmp_path / "out"),
    }
    given = dict(zip(args[::2], [a.format(tmp=tmp_path) for a in args[1::2]], strict=True))
    argv = ["forecast", "scenarios/baseline.yaml"]
    for option, value in {**base, **given}.items():
        argv += [option, value]
    code, _, err = run_cli(capsys, *argv)
    assert code == 2
    message = err.strip().splitlines()[-1]
    assert expected.format(tmp=tmp_path) in message
    if message.startswith("error: "):
        one_error(err)
    assert not (tmp_path / "out").exists()


def test_score_errors_are_one_line(capsys, tmp_path, forecast_dir, facts_file, monkeypatch) -> None:
    after_end = {
        "name": "x",
        "facts": {"f": {"date": "2026-01-01", "agreed": {"issue": "detainees", "by_then": False}}},
    }
    (tmp_path / "late.yaml").write_text(yaml.safe_dump(after_end))
    cases = [
        ([tmp_path, facts_file], f"{tmp_path}: not a forecast folder"),
        ([forecast_dir, tmp_path / "none.yaml"], f"{tmp_path}/none.yaml: file not found"),
        (
            [forecast_dir, tmp_path / "late.yaml"],
            f"{tmp_path}/late.yaml: facts.f.date: 2026-01-01 is after the forecast's end",
        ),
        (
            [forecast_dir, facts_file, "--eps", "0.7"],
            "command line: --eps: is 0.7; expected a number in (0, 0.5)",
        ),
        (
            [forecast_dir, facts_file, "--out", facts_file],
            f"command line: --out: {facts_file} is a file",
        ),
    ]
    for argv, expected in cases:
        out = tmp_path / "scores"
        extra = [] if "--out" in map(str, argv) else ["--out", out]
        code, _, err = run_cli(capsys, "score", *argv, *extra)
        assert code == 2, argv
        assert one_error(err).startswith(expected), err
        assert not out.exists()
    monkeypatch.setitem(sys.modules, "scoringrules", None)
    code, _, err = run_cli(capsys, "score", forecast_dir, facts_file, "--out", tmp_path / "s")
    assert code == 2
    assert one_error(err) == "lsr-sim score: needs scoringrules: pip install 'lsr_sim[forecast]'"
