"""Hostile and unlucky input: refused in one line, quickly, with bounded memory (issue 13, 1).

One test per class of case: non-finite and out-of-range numbers; values that used to raise
tracebacks (dates beyond the calendar, bad tags, complex keys, huge integers, deep nesting,
long ``extends`` chains); memory (alias bombs, huge values, huge files, ``/dev/zero``);
sweep plans too large to build; and the scheduler of ``lsr-sim sweep``. Cases that could
exhaust memory or time on a regression run in a child process under a memory limit and a
timeout, so that a regression fails the test instead of the machine.
"""

from __future__ import annotations

import resource
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from cli_helpers import one_error, run_cli

from lsr_sim.errors import InputError
from lsr_sim.limits import MAX_DEPTH, MAX_FILE_BYTES, MAX_SWEEP_RUNS, MAX_VALUES
from lsr_sim.scenario import load_scenario
from lsr_sim.sweep import load_sweep, run_sweep

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"
CHILD_MEMORY = 1024 * 1024 * 1024  # 1 GiB of address space: validate needs about a third
CHILD_SECONDS = 120


def variant(tmp_path: Path, text: str, name: str = "variant.yaml") -> Path:
    path = tmp_path / name
    path.write_text(f"extends: {BASELINE}\n" + textwrap.dedent(text), encoding="utf-8")
    return path


def refused(capsys: pytest.CaptureFixture[str], path: Path | str, *words: str) -> str:
    """`lsr-sim validate path` exits 2 with one short line holding all `words`."""
    code, out, err = run_cli(capsys, "validate", path)
    assert code == 2, out + err
    line = one_error(err)
    assert len(line) < 400, line[:400]
    for word in words:
        assert word in line, line
    return line


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (CHILD_MEMORY, CHILD_MEMORY))


def in_child(*argv: str) -> subprocess.CompletedProcess[str]:
    """``lsr-sim argv`` in a child process with 1 GiB of memory and two minutes."""
    code = "import sys; from lsr_sim.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run(
        [sys.executable, "-c", code, *argv],
        capture_output=True,
        text=True,
        timeout=CHILD_SECONDS,
        preexec_fn=_limit_memory,
        cwd=ROOT,
        check=False,
    )


def one_line_from_child(proc: subprocess.CompletedProcess[str], *words: str) -> str:
    assert proc.returncode == 2, proc.stderr[-2000:]
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr[-2000:]
    assert len(lines[0]) < 400, lines[0][:400]
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


# ------------------------------------------------------------ numbers: finite and in range

NON_FINITE = [
    ("dynamics: {veto_strength: .inf}", "dynamics.veto_strength", "finite"),
    ("dynamics: {mediation_rate: .inf}", "dynamics.mediation_rate", "finite"),
    ("dynamics: {spoiler_boost: .inf}", "dynamics.spoiler_boost", "finite"),
    ("dynamics: {trust_decay: .nan}", "dynamics.trust_decay", "finite"),
    ("issues: {detainees: {quantities: {convicted: {total: .inf}}}}",
     "issues.detainees.quantities.convicted.total", "finite"),
    ("actors: {Beirut: {capability: .nan}}", "actors.Beirut.capability", "finite"),
    ("actors: {Beirut: {strategy: {params: {exponent: .inf}}}}",
     "actors.Beirut.strategy.params.exponent", "finite"),
    ("network: {channel: {Beirut: {Damascus: .nan}}}", "network.channel.Beirut.Damascus",
     "finite"),
    ("calibration: {patterns: {border_coordination_agreed: {at_least: .nan}}}",
     "calibration.patterns.border_coordination_agreed.at_least", "finite"),
    # finite but beyond any sensible value: overflow would write inf into the tables
    ("dynamics: {veto_strength: 1.0e+300}", "dynamics.veto_strength", "must be <= 1000"),
    ("dynamics: {mediation_rate: 1.0e+300}", "dynamics.mediation_rate", "must be <= 1000"),
    ("issues: {detainees: {quantities: {convicted: {total: 1.0e+300}}}}",
     "issues.detainees.quantities.convicted.total", "must be <= 1000000000000"),
    ("dynamics: {talks_timeout: 100000000000000000000}", "dynamics.talks_timeout",
     "must be <= 100000"),
    ("run: {seed: 18446744073709551616}", "run.seed", "must be <= 18446744073709551615"),
    ("calibration: {runs: 1000000000}", "calibration.runs", "must be <= 100000"),
]  # fmt: skip


@pytest.mark.parametrize(("override", "field", "word"), NON_FINITE)
def test_every_scenario_number_is_finite_and_in_range(
    capsys, tmp_path: Path, override: str, field: str, word: str
) -> None:
    refused(capsys, variant(tmp_path, override + "\n"), f": {field}: ", word)


SWEEP_NUMBERS = [
    ("{values: [0.5, .inf]}", "values[1]", "finite"),
    ("{range: [0.1, .nan, 3]}", "range[1]", "finite"),
    ("{distribution: normal, mean: .inf, sd: 0.1}", "mean", "finite"),
]


@pytest.mark.parametrize(("parameter", "field", "word"), SWEEP_NUMBERS)
def test_every_sweep_number_is_finite(
    capsys, tmp_path: Path, parameter: str, field: str, word: str
) -> None:
    design = "design: {type: lhs, samples: 4}\n" if "distribution" in parameter else ""
    path = tmp_path / "sweep.yaml"
    path.write_text(
        f"name: s\nscenario: {BASELINE}\n{design}parameters:\n"
        f"  actors.Riyadh.capability: {parameter}\n",
        encoding="utf-8",
    )
    code, _, err = run_cli(capsys, "sweep", path, "--out", tmp_path / "out")
    assert code == 2
    line = one_error(err)
    assert f"parameters.actors.Riyadh.capability.{field}: " in line and word in line, line
    assert not (tmp_path / "out").exists()


# ----------------------------------------------------------- what used to be a traceback

TRACEBACKS = [
    # dates beyond the calendar (OverflowError)
    ("run: {start_date: 9999-12-01}\n", "run.steps", "end after 9999-12-31"),
    ("run: {step_days: 366, steps: 100000}\n", "run.steps", "end after 9999-12-31"),
    # explicit tags with bad values (ValueError)
    ("run: {start_date: !!timestamp 2025-02-30}\n", "", "line 2", "is not a date"),
    ("dynamics: {veto_strength: !!float abc}\n", "", "line 2", "'abc' is not a number"),
    ("run: {steps: !!int abc}\n", "", "line 2", "'abc' is not a whole number"),
    # a list or a mapping as a key (TypeError: unhashable)
    ("actors: {? [a, b] : 1}\n", "", "line 2", "a list or mapping is used as a key"),
    ("actors:\n  ? {a: 1}\n  : 1\n", "", "line 3", "a list or mapping is used as a key"),
    # integers of thousands of digits (ValueError beyond 4,300 digits; else a 5 KB message)
    ("run: {steps: " + "9" * 5000 + "}\n", "", "a whole number of 5,000 digits"),
    ("run: {steps: " + "9" * 3000 + "}\n", "run.steps", "a whole number of 3,000 digits"),
    ("actors: {Beirut: {capability: " + "9" * 400 + "}}\n", "actors.Beirut.capability", ""),
    # an alias inside its own anchor (a recursive structure)
    ("description: &d [*d]\n", "", "an alias refers to the list or mapping it is in"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("override", "field", *["words"]), [(c[0], c[1], c[2:]) for c in TRACEBACKS]
)
def test_what_raised_a_traceback_is_one_line(
    capsys, tmp_path: Path, override: str, field: str, words: tuple[str, ...]
) -> None:
    line = refused(capsys, variant(tmp_path, override), *words)
    if field:
        assert f": {field}: " in line, line


@pytest.mark.parametrize(
    "text",
    [
        "name: " + "[" * 10_000 + "]" * 10_000 + "\n",  # flow nesting (RecursionError)
        "".join("  " * i + f"k{i}:\n" for i in range(3000)) + "  " * 3000 + "x: 1\n",
        "a: " + "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5) + "\n",  # under libyaml's cap
    ],
    ids=["flow-10000", "block-3000", "flow-just-over"],
)
@pytest.mark.parametrize("pure_python", [False, True], ids=["libyaml", "python"])
def test_deep_nesting_is_refused(tmp_path: Path, text: str, pure_python: bool) -> None:
    from lsr_sim.scenario.yamlfile import parse_yaml

    with pytest.raises(InputError, match=r"nested too deeply|nested deeper than") as info:
        parse_yaml(text, "deep.yaml", pure_python=pure_python)
    assert len(str(info.value)) < 300


# ------------------------------------------------------------------------- memory


def test_an_alias_bomb_is_refused_without_expanding_it(tmp_path: Path) -> None:
    # "Billion laughs" in 1 KB, in a field that takes one of a few words: ten levels of ten
    # aliases, each level defined inside the value itself. Quoting it whole in the message
    # took gigabytes.
    levels = ["&a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    levels += [f"&a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 10)]
    path = variant(tmp_path, "actors: {Beirut: {role: [" + ", ".join(levels) + "]}}\n")
    assert path.stat().st_size < 2000
    one_line_from_child(in_child("validate", str(path)), f"more than {MAX_VALUES:,} values")


def test_a_huge_value_is_never_quoted_whole(tmp_path: Path) -> None:
    huge = "x" * (MAX_FILE_BYTES - 1000)
    path = variant(tmp_path, f"actors: {{Beirut: {{role: {huge}}}}}\n")
    line = one_line_from_child(in_child("validate", str(path)), "actors.Beirut.role")
    assert f"({len(huge):,} characters)" in line


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ("issues: {officers: {parties: [Beirut, NAME]}}", "issues.officers.parties[1]"),
        ("actors: {Beirut: {strategy: {name: NAME}}}", "actors.Beirut.strategy.name"),
        ("actors: {Beirut: {capability: NAME}}", "actors.Beirut.capability"),
        ("dynamics: {protocol: NAME}", "dynamics.protocol"),
    ],
)
def test_a_huge_name_is_never_quoted_whole(capsys, tmp_path: Path, override, field) -> None:
    name = "Q" * 1_000_000
    path = variant(tmp_path, override.replace("NAME", name) + "\n")
    code, _, err = run_cli(capsys, "validate", path)
    assert code == 2
    line = one_error(err)
    assert f": {field}: " in line and len(line) < 2500, line[:300]


def test_a_file_over_the_size_limit_is_refused_unparsed(tmp_path: Path) -> None:
    # 50 MB with a syntax error on its last line: refused by its size, not parsed (twice).
    path = tmp_path / "big.yaml"
    with path.open("w", encoding="utf-8") as handle:
        for i in range(50 * 1024 * 1024 // 32):
            handle.write(f"k{i:010d}: {'v' * 16}\n")
        handle.write("last: [unclosed\n")
    one_line_from_child(in_child("validate", str(path)), "larger than 2 MB", "the limit")


def test_dev_zero_stops_at_the_size_limit() -> None:
    one_line_from_child(in_child("validate", "/dev/zero"), "/dev/zero", "larger than 2 MB")


def test_an_actor_table_over_the_size_limit_is_refused(capsys, tmp_path: Path) -> None:
    path = tmp_path / "actors.csv"
    path.write_text("actor,capability,position,salience\n" + "A,1,0,0.5\n" * 300_000)
    code, _, err = run_cli(capsys, "classic", "bdm", path)
    assert code == 2
    assert one_error(err) == (
        f"{path}: is larger than 2 MB, the limit for actor table files "
        "(lsr_sim.limits.MAX_FILE_BYTES); is it the right file?"
    )


def test_a_syntax_error_is_parsed_once(tmp_path: Path, monkeypatch, capsys) -> None:
    from lsr_sim.scenario import yamlfile

    calls = []
    for name in ("_LOADER", "_PURE_LOADER"):
        cls = getattr(yamlfile, name)

        class Counting(cls):  # type: ignore[misc, valid-type]
            def get_single_node(self, _name: str = name) -> object:
                calls.append(_name)
                return super().get_single_node()

        monkeypatch.setattr(yamlfile, name, Counting)
    path = tmp_path / "bad.yaml"
    path.write_text("".join(f"k{i}: v\n" for i in range(50_000)) + "last: [unclosed\n")
    refused(capsys, path, "line 50001")
    assert calls == ["_LOADER"]


# --------------------------------------------------------------------------- sweep plans


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ("replications: 1000000000000\n", "replications", ["must be <= 1000000"]),
        (
            "replications: 1000\nparameters:\n  dynamics.trust_decay: {range: [0.0, 0.1, 2000]}\n",
            "parameters",
            ["2,000,000 runs (2,000 design points x 1,000 replications x 1 scenario(s))"],
        ),
        (
            "parameters:\n  dynamics.trust_decay: {range: [0.0, 0.1, 100000]}\n"
            "  dynamics.trust_gain_rate: {range: [0.0, 0.1, 100000]}\n",
            "parameters",
            ["10,000,000,000 runs"],
        ),
        (
            "parameters:\n  dynamics.trust_decay: {range: [0.0, 0.1, 10000000000]}\n",
            "parameters.dynamics.trust_decay.range[2]",
            ["at most 1,000,000 values"],
        ),
        (
            "design: {type: sobol, samples: 1099511627776}\n"
            "parameters:\n  dynamics.trust_decay: {range: [0.0, 0.1]}\n",
            "design.samples",
            ["must be <= 1000000"],
        ),
        ("seed: 100000000000000000000000\n", "seed", ["must be <= 18446744073709551615"]),
    ],
    ids=["replications", "product", "grid-1e10", "range-num", "sobol-samples", "seed"],
)
def test_a_sweep_plan_too_large_is_refused_before_it_is_built(
    tmp_path: Path, body: str, field: str, words: list[str]
) -> None:
    path = tmp_path / "sweep.yaml"
    head = f"name: big\nscenario: {BASELINE}\nsteps: 10\n"
    if "parameters" not in body:
        head += "parameters:\n  dynamics.trust_decay: {values: [0.01, 0.02]}\n"
    path.write_text(head + body, encoding="utf-8")
    proc = in_child("sweep", str(path), "--out", str(tmp_path / "out"))
    line = one_line_from_child(proc, f": {field}: ", *words)
    if "runs (" in words[0]:
        assert f"limit of {MAX_SWEEP_RUNS:,}" in line
    assert not (tmp_path / "out").exists()


def test_a_sweep_s_steps_must_keep_its_scenarios_in_the_calendar(tmp_path: Path) -> None:
    late = tmp_path / "late.yaml"
    late.write_text(
        textwrap.dedent(
            """\
            name: late
            run: {start_date: 9000-01-01, steps: 10}
            actors:
              A: {role: principal, capability: 0.5, salience: {x: 1.0}}
              B: {role: principal, capability: 0.5, salience: {x: 1.0}}
            issues:
              x: {scale: {low: none, high: all}, parties: [A, B]}
            """
        ),
        encoding="utf-8",
    )
    path = tmp_path / "sweep.yaml"
    path.write_text(
        f"name: s\nscenario: {late.name}\nsteps: 100000\n"
        "parameters:\n  dynamics.trust_decay: {values: [0.01, 0.02]}\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError, match=r"steps: in scenario 'late': 100000 steps of 7 days"):
        load_sweep(path)


def test_a_large_sweep_is_announced_with_its_time_and_disk(tmp_path: Path, monkeypatch) -> None:
    import io

    from lsr_sim.sweep import estimate

    monkeypatch.setattr(estimate, "LARGE_SWEEP_RUNS", 30)  # the example's 36 runs are "large"
    monkeypatch.setattr(estimate, "SAMPLE_RUNS", 6)
    loaded = load_sweep(ROOT / "scenarios" / "sweeps" / "riyadh_trust_grid.yaml")
    stream = io.StringIO()
    report = run_sweep(loaded, tmp_path / "out", workers=1, stream=stream)
    assert report.complete
    first = stream.getvalue().splitlines()[0]
    assert first.startswith("sweep riyadh_trust_grid: 36 of 36 runs to do; about ")
    assert "on 1 worker (a sample of 6 runs took" in first and "MB on disk" in first
    # Resumed with nothing to do, or below the threshold: no announcement.
    again = io.StringIO()
    run_sweep(loaded, tmp_path / "out", workers=1, stream=again)
    assert "runs to do" not in again.getvalue()


# ----------------------------------------------------------------------- the scheduler


def test_an_unreachable_scheduler_writes_nothing(capsys, tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    out = tmp_path / "out"
    sweep = ROOT / "scenarios" / "sweeps" / "riyadh_trust_grid.yaml"
    code, _, err = run_cli(capsys, "sweep", sweep, "--out", out, "--scheduler", f"127.0.0.1:{port}")
    assert code == 2
    line = one_error(err)
    assert line.startswith("command line: --scheduler: cannot reach a Dask scheduler at tcp://")
    assert not out.exists()


# ------------------------------------------------------------------ the scenario loader


def test_the_loader_refuses_what_validate_refuses(tmp_path: Path) -> None:
    # The library raises the same one-line error the command line prints.
    path = variant(tmp_path, "dynamics: {veto_strength: .inf}\n")
    with pytest.raises(InputError, match=r"dynamics\.veto_strength: got inf; expected a finite"):
        load_scenario(path)
