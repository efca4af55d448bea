"""``lsr-sim classic MODEL FILE``: the forecast printed, the CSV written, every bad input.

Bad input: exit status 2, one ``error: <file>: <field>: ...`` line, no traceback, nothing
written.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from cli_helpers import one_error, run_cli

from lsr_sim.classic.bdm import bdm
from lsr_sim.classic.cli import classic_run, run_classic
from lsr_sim.classic.inputs import read_actor_table
from lsr_sim.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
EC_CSV = ROOT / "data" / "classic" / "bdm1994_ec_emissions.csv"
HEADER = "actor,capability,position,salience"


def test_bdm_on_the_ec_example_prints_the_forecast(capsys) -> None:
    code, out, err = run_cli(capsys, "classic", "bdm", EC_CSV)
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0].startswith(f"bdm: {EC_CSV}, 10 actors, 10 rounds, scale 4 to 10")
    assert lines[2].split() == ["round", "mean", "median", "moved"]
    assert lines[3].split() == ["0", "7.390", "7.000", "0"]  # the round-0 forecasts by hand
    assert lines[4].split() == ["1", "7.479", "8.790", "3"]
    assert len([line for line in lines[3:] if line[:5].strip().isdigit()]) == 11
    assert "forecast after 10 rounds: weighted mean 7.607, weighted median 10.000" in out
    uk = next(line for line in lines if line.startswith("UK "))
    assert uk.split()[:5] == ["UK", "0.16", "0.9", "10.000", "10.000"]


def test_rounds_and_out(capsys, tmp_path: Path) -> None:
    target = tmp_path / "new" / "ec.csv"
    code, out, _ = run_cli(capsys, "classic", "bdm", EC_CSV, "--rounds", "3", "--out", target)
    assert code == 0
    assert "forecast after 3 rounds" in out and out.rstrip().endswith(f"wrote {target}")
    written = pd.read_csv(target)
    expected = bdm(read_actor_table(EC_CSV), rounds=3).to_frame()
    assert list(written.columns) == list(expected.columns)
    assert written["round"].tolist() == [0, 1, 2, 3]
    pd.testing.assert_frame_equal(written, expected, check_dtype=False, rtol=1e-9)
    assert sorted(p.name for p in target.parent.iterdir()) == ["ec.csv"]  # no temporary file


def test_zero_rounds(capsys) -> None:
    code, out, _ = run_cli(capsys, "classic", "bdm", EC_CSV, "--rounds", "0")
    assert code == 0
    assert "forecast after 0 rounds: weighted mean 7.390, weighted median 7.000" in out
    assert "risk exponent" not in out


def test_seed_is_accepted_and_bdm_is_deterministic(capsys) -> None:
    _, first, _ = run_cli(capsys, "classic", "bdm", EC_CSV, "--seed", "1")
    _, second, _ = run_cli(capsys, "classic", "bdm", EC_CSV, "--seed", "2")
    assert first == second


def test_several_issues(capsys, tmp_path: Path) -> None:
    ec = read_actor_table(EC_CSV)
    mirrored = ec.assign(position=14 - ec["position"])
    long = pd.concat([ec.assign(issue="date"), mirrored.assign(issue="mirror")])
    path = tmp_path / "long.csv"
    long[["issue", *ec.columns]].to_csv(path, index=False)
    target = tmp_path / "out.csv"
    code, out, _ = run_cli(capsys, "classic", "bdm", path, "--rounds", "2", "--out", target)
    assert code == 0
    assert f"bdm: issue 'date': {path}" in out and f"bdm: issue 'mirror': {path}" in out
    written = pd.read_csv(target)
    assert (
        written.columns[0] == "issue" and written["issue"].tolist() == ["date"] * 3 + ["mirror"] * 3
    )
    # the mirrored issue forecasts the mirror image
    date, mirror = written[written["issue"] == "date"], written[written["issue"] == "mirror"]
    assert (14 - mirror["mean"].to_numpy()).round(9).tolist() == date["mean"].round(9).tolist()


def test_the_library_function(tmp_path: Path) -> None:
    run = classic_run("bdm", EC_CSV, rounds=1)
    assert run.table["round"].tolist() == [0, 1]
    assert run.text.splitlines()[0].startswith("bdm: ")
    target = tmp_path / "x.csv"
    assert run_classic("bdm", EC_CSV, rounds=1, out=target).endswith(f"wrote {target}")
    with pytest.raises(InputError, match="unknown model 'nash'"):
        classic_run("nash", EC_CSV)


def test_through_a_real_process() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "lsr_sim",
            "classic",
            "bdm",
            "data/classic/bdm1994_ec_emissions.csv",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "forecast after 10 rounds" in done.stdout


# --------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("", "file is empty"),
        ("actor,capability,position\nA,1,2\nB,1,2\n", "salience: column missing"),
        (HEADER + "\nA,1,2,.5\nB,x,2,.5\n", "line 3, capability: 'x' is not a number"),
        (HEADER + "\nA,-1,2,.5\nB,1,2,.5\n", "line 2, capability: -1 is negative"),
        (HEADER + "\nA,1,2,.5\nB,1,2,1.5\n", "line 3, salience: 1.5 is outside [0, 1]"),
        (HEADER + "\nA,1,2,.5\nA,1,2,.5\n", "line 3, actor: 'A' appears again"),
        (HEADER + "\nA,1,2,.5\n", "has 1 actor"),
        (
            "issue,actor,capability,position,salience\np,A,1,2,.5\np,B,1,2,.5\nq,A,1,2,.5\n"
            "q,C,1,2,.5\n",
            "issue 'p': actor 'C' has no row",
        ),
    ],
)
def test_bad_tables(capsys, tmp_path: Path, text: str, field: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(text, encoding="utf-8")
    target = tmp_path / "out.csv"
    code, out, err = run_cli(capsys, "classic", "bdm", path, "--out", target)
    assert code == 2 and out == ""
    assert one_error(err).startswith(f"{path}: {field}")
    assert not target.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv"]


def test_missing_file(capsys, tmp_path: Path) -> None:
    code, _, err = run_cli(capsys, "classic", "bdm", tmp_path / "nope.csv")
    assert code == 2
    assert one_error(err) == f"{tmp_path / 'nope.csv'}: file not found; check the path"


def test_out_is_a_folder(capsys, tmp_path: Path) -> None:
    code, out, err = run_cli(capsys, "classic", "bdm", EC_CSV, "--out", tmp_path)
    assert code == 2 and out == ""
    assert one_error(err) == f"command line: --out: {tmp_path} is a folder; expected a CSV file"


def test_out_cannot_be_written(capsys, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, out, err = run_cli(capsys, "classic", "bdm", EC_CSV, "--out", blocker / "ec.csv")
    assert code == 2 and out == ""
    assert one_error(err).startswith(f"command line: --out: cannot write {blocker / 'ec.csv'}")
    assert blocker.read_text() == "x"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["classic", "nash", str(EC_CSV)], "command line: model: invalid choice: 'nash'"),
        (["classic", "bdm", str(EC_CSV), "--rounds", "-1"], "command line: --rounds: must be >="),
        (["classic", "bdm", str(EC_CSV), "--rounds", "ten"], "command line: --rounds: expected a"),
        (["classic", "bdm", str(EC_CSV), "--seed", "-3"], "command line: --seed: must be >= 0"),
        (["classic", "bdm"], "the following arguments are required: file"),
    ],
)
def test_bad_arguments(capsys, argv: list[str], message: str) -> None:
    code, out, err = run_cli(capsys, *argv)
    assert code == 2 and out == ""
    assert message in one_error(err)


def test_help(capsys) -> None:
    code, out, _ = run_cli(capsys, "classic", "--help")
    assert code == 0
    assert "--rounds" in out and "--out" in out and "{bdm,stokman}" in out


@pytest.mark.skipif(
    importlib.util.find_spec("lsr_sim.classic.stokman") is None,
    reason="lsr_sim.classic.stokman is not there",
)
def test_stokman_on_a_long_table(capsys, tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    path.write_text(
        "issue,actor,capability,position,salience\n"
        "tax,A,1,0,0.8\ntax,B,1,1,0.4\ntax,C,1,0.4,0.5\n"
        "aid,A,1,0,0.2\naid,B,1,1,0.6\naid,C,1,0.6,0.5\n",
        encoding="utf-8",
    )
    target = tmp_path / "out.csv"
    argv = ["classic", "stokman", path, "--rounds", "3", "--seed", "5"]
    code, out, err = run_cli(capsys, *argv, "--out", target)
    assert code == 0 and err == ""
    assert out.startswith(f"stokman: {path}, 3 actors, 2 issue(s), 3 rounds")
    lines = out.splitlines()
    assert lines[3].split() == ["round", "exchanges", "tax", "aid"]
    # round 0: the weighted means of the starting positions, (0.4 + 0.2) / 1.7 and 0.9 / 1.3
    assert lines[4].split() == ["0", "0", "0.353", "0.692"]
    written = pd.read_csv(target)
    assert list(written.columns[:2]) == ["round", "exchanges"]
    assert written.loc[0, "tax"] == pytest.approx(0.6 / 1.7)
    _, again, _ = run_cli(capsys, *argv)
    assert again == out.removesuffix(f"\nwrote {target}\n") + "\n"  # same seed, same run


# --------------------------------------------------------------------------- variants
BASELINE_CSV = ROOT / "data" / "classic" / "lsr_baseline_actors.csv"


def test_bdm_variants(capsys, tmp_path: Path) -> None:
    code, out, _ = run_cli(capsys, "classic", "bdm", EC_CSV, "--rounds", "5")
    assert code == 0 and ", variant lsr;" in out.splitlines()[0]
    target = tmp_path / "scholz.csv"
    argv = ["classic", "bdm", EC_CSV, "--rounds", "5", "--variant", "scholz", "--out", target]
    code, out, err = run_cli(capsys, *argv)
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0].startswith(f"bdm: {EC_CSV}, 10 actors, 5 rounds, scale 4 to 10, variant scholz")
    # round 4: Belgium takes the Netherlands' compromise (docs/protocols.md)
    assert lines[7].split() == ["4", "7.358", "9.962", "3"]
    expected = bdm(read_actor_table(EC_CSV), rounds=5, variant="scholz").to_frame()
    pd.testing.assert_frame_equal(pd.read_csv(target), expected, check_dtype=False, rtol=1e-9)


def test_bdm_scale(capsys) -> None:
    code, out, _ = run_cli(capsys, "classic", "bdm", EC_CSV, "--rounds", "2", "--scale", "0,20")
    assert code == 0 and "scale 0 to 20, variant lsr" in out
    wide = bdm(read_actor_table(EC_CSV), rounds=2, scale=(0, 20))
    assert f"weighted mean {wide.mean[-1]:.3f}, weighted median {wide.median[-1]:.3f}" in out


def test_stokman_variants(capsys, tmp_path: Path) -> None:
    from lsr_sim.classic.stokman import stokman_exchange_table

    table = read_actor_table(BASELINE_CSV)
    for variant, extra, scale in (("lsr", [], None), ("decide", ["--scale", "0,1"], (0, 1))):
        target = tmp_path / f"{variant}.csv"
        argv = ["classic", "stokman", BASELINE_CSV, "--rounds", "3", "--variant", variant]
        code, out, err = run_cli(capsys, *argv, *extra, "--out", target)
        assert code == 0 and err == ""
        assert out.splitlines()[0].endswith(f"3 rounds, seed 0, variant {variant}")
        result = stokman_exchange_table(table, rounds=3, rng=0, variant=variant, scale=scale)
        written = pd.read_csv(target)
        np.testing.assert_allclose(written[list(result.issues)].iloc[-1], result.forecast)
        assert written["exchanges"].tolist()[1:] == [len(e) for e in result.exchanges]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["bdm", EC_CSV, "--variant", "decide"],
            "command line: --variant: unknown variant 'decide' for bdm ('decide' is a variant "
            "of stokman); choose lsr or scholz",
        ),
        (
            ["stokman", BASELINE_CSV, "--variant", "Scholz"],
            "command line: --variant: unknown variant 'Scholz' for stokman; choose lsr or decide",
        ),
        (
            ["bdm", EC_CSV, "--scale", "0;20"],
            "command line: --scale: expected LOW,HIGH (two numbers), got '0;20'",
        ),
        (
            ["bdm", EC_CSV, "--scale", "20,0"],
            "command line: --scale: expected LOW,HIGH, two finite numbers with LOW < HIGH, got "
            "20,0",
        ),
        (
            ["stokman", BASELINE_CSV, "--scale", "0,1"],
            "command line: --scale: stokman's lsr variant does not use a scale; leave --scale "
            "out or add --variant decide",
        ),
        (
            ["bdm", EC_CSV, "--scale", "5,20"],
            f"{EC_CSV}: positions must lie within the scale [5.0, 20.0]",
        ),
        (
            ["stokman", BASELINE_CSV, "--variant", "decide", "--scale", "0,0.5"],
            f"{BASELINE_CSV}: positions must lie within the scale of their issue",
        ),
    ],
)
def test_bad_variants_and_scales(capsys, tmp_path: Path, argv: list, message: str) -> None:
    target = tmp_path / "out.csv"
    code, out, err = run_cli(capsys, "classic", *argv, "--out", target)
    assert code == 2 and out == ""
    assert one_error(err) == message
    assert not target.exists()


def test_help_names_the_variants(capsys) -> None:
    code, out, _ = run_cli(capsys, "classic", "--help")
    assert code == 0 and "--variant" in out and "scholz" in out and "decide" in out
    assert "--scale LOW,HIGH" in out
