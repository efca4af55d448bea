"""The command line: a thin shell over the library.

``lsr-sim run | validate | schema | calibrate | plot | sweep | analyze | discover |
sensitivity | classic | compare | forecast | score | whatif | dashboard``. Bad input prints one
line naming the file, the field and the fix, and exits with status 2; nothing is written.
Heavy modules (Mesa, matplotlib) are imported inside the commands, so ``--help`` is quick.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from lsr_sim.dashboard import DEFAULT_PORT
from lsr_sim.errors import InputError
from lsr_sim.limits import (
    MAX_CALIBRATION_RUNS,
    MAX_DUMMIES,
    MAX_LEVELS,
    MAX_ROUNDS,
    MAX_SEED,
    MAX_STEPS,
    MAX_SWEEP_RUNS,
    MAX_WORKERS,
    calendar_problem,
)

if TYPE_CHECKING:
    from lsr_sim.scenario import Scenario

__all__ = ["main"]

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2


def _whole(text: str, low: int, high: int, why: str = "") -> int:
    """`text` as a whole number in [low, high], or an argparse error saying which bound."""
    digits = text.strip().lstrip("+-")
    if not digits.isdigit() or len(digits) > 40:
        shown = text if len(text) <= 40 else text[:30] + "..."
        raise argparse.ArgumentTypeError(f"expected a whole number, got {shown!r}")
    value = int(text)
    if value < low:
        bound = "> 0" if low == 1 else f">= {low}"
        raise argparse.ArgumentTypeError(f"must be {bound}, got {value}")
    if value > high:
        raise argparse.ArgumentTypeError(f"must be <= {high:,}{why}, got {value:,}")
    return value


def _bounded(low: int, high: int, why: str = "") -> Callable[[str], int]:
    def parse(text: str) -> int:
        return _whole(text, low, high, why)

    return parse


_seed = _bounded(0, MAX_SEED, " (a 64-bit seed)")
_steps = _bounded(1, MAX_STEPS, " (the longest run a scenario file may ask for)")
_runs = _bounded(1, MAX_CALIBRATION_RUNS)


def _scheduler(text: str) -> str:
    """A Dask scheduler address, ``tcp://host:port`` (or ``host:port``), checked for form."""
    scheme, sep, rest = text.strip().partition("://")
    if not sep:
        scheme, rest = "tcp", text.strip()
    host, colon, port = rest.rpartition(":")
    if scheme not in ("tcp", "tls", "ws", "wss") or not colon or not host.strip("[]"):
        raise argparse.ArgumentTypeError(
            f"expected an address like tcp://127.0.0.1:8786, got {text[:80]!r}"
        )
    if not port.isdigit() or not 1 <= int(port) <= 65535:
        raise argparse.ArgumentTypeError(
            f"the port in {text[:80]!r} must be a number from 1 to 65535"
        )
    return f"{scheme}://{host}:{int(port)}"


def _check_scheduler(address: str) -> None:
    """Refuse a scheduler nobody listens at, before anything is written to --out."""
    import socket

    host, _, port = address.partition("://")[2].rpartition(":")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=5):
            pass
    except OSError as exc:
        raise InputError(
            "command line",
            "--scheduler",
            f"cannot reach a Dask scheduler at {address} ({exc.strerror or exc}); start one "
            "with `dask scheduler --host 127.0.0.1` or check the address",
        ) from None


def _check_steps(scenario: Scenario, steps: int | None) -> None:
    """Refuse --steps whose last date is beyond the calendar."""
    if steps is None:
        return
    run = scenario.run
    problem = calendar_problem(run.start_date, run.step_days, steps)
    if problem:
        raise InputError("command line", "--steps", problem)


def _share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a number between 0 and 1, got {text!r}"
        ) from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {text}")
    return value


def _date(text: str) -> dt.date:
    parts = text.strip().split("-")
    if len(parts) != 3 or not all(part.isdigit() for part in parts) or len(parts[0]) != 4:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {text!r}")
    try:
        return dt.date(*(int(part) for part in parts))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a calendar date ({exc}); expected YYYY-MM-DD"
        ) from None


def _dates(text: str) -> list[dt.date]:
    dates = [_date(part.strip()) for part in text.split(",") if part.strip()]
    if not dates:
        raise argparse.ArgumentTypeError(
            "expected one or more dates as YYYY-MM-DD, separated by commas"
        )
    return dates


def _check_dates(dates: Sequence[dt.date], first: dt.date, last: dt.date) -> None:
    for date in dates:
        if not first <= date <= last:
            raise InputError(
                "command line",
                "--network-dates",
                f"{date} is outside the run ({first} to {last}); pick dates within it",
            )


def _check_out(out: Path, option: str = "--out") -> None:
    """Refuse an output folder that is an existing file (before any work is done)."""
    if out.exists() and not out.is_dir():
        raise InputError(
            "command line", option, f"{out} is a file; expected a folder (new or existing)"
        )


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad argument gets the one ``error:`` line every bad input gets."""

    def error(self, message: str) -> NoReturn:
        option, sep, problem = message.partition(": ")
        if option.startswith("argument ") and sep:
            where = f"{option.removeprefix('argument ').split('/')[0]}: {problem}"
        else:
            where = message
        self.exit(EXIT_BAD_INPUT, f"error: command line: {where} (see `{self.prog} --help`)\n")


#: The help of --parameters (forecast, compare): argparse formats it, hence "%%".
DRAWS_HELP = (
    "CSV or Parquet of parameter draws (columns: dotted paths); run r uses row r %% N, or, "
    "with a weight column (a posterior.parquet), a row drawn in proportion to it"
)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``lsr-sim``."""
    parser = _Parser(
        prog="lsr-sim",
        description="Agent-based simulation of negotiation and trust-building (lsr_sim).",
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)

    p = sub.add_parser("run", help="run a scenario once; write tables, figures and a manifest")
    p.add_argument("scenario", type=Path, help="scenario YAML file")
    p.add_argument("--seed", type=_seed, help="random seed (default: run.seed)")
    p.add_argument("--steps", type=_steps, help="number of steps (default: run.steps)")
    p.add_argument("--out", type=Path, help="output folder (default: results/<scenario name>)")
    p.add_argument("--format", choices=("csv", "parquet"), default="csv", help="table format")
    p.add_argument("--no-figures", action="store_true", help="write tables only")
    p.add_argument(
        "--network-dates",
        type=_dates,
        help="comma-separated dates (YYYY-MM-DD) for network figures (default: first and last)",
    )

    p = sub.add_parser("validate", help="check scenario files; report the first problem in each")
    p.add_argument("files", type=Path, nargs="+", help="scenario YAML files")

    p = sub.add_parser("schema", help="print the JSON Schema of scenario files")
    p.add_argument("--out", type=Path, help="write to this file instead of printing")

    p = sub.add_parser(
        "calibrate",
        help="estimate the scenario's uncertain inputs from its facts (ABC) and compare models; "
        "or, without --out, a quick check of its facts",
        description="With --out: ABC-SMC over calibration.priors against calibration.observations "
        "(the joint share of facts violated as the distance), ABC model choice against the "
        "models of --models or --model, predictive checks; tables, figures and a manifest in "
        "DIR (needs pip install 'lsr_sim[inference]'). Without --out: run the scenario as it is "
        "and print each fact's share (the mean of a measured amount) and the share of runs "
        "meeting every yes/no fact jointly.",
    )
    p.add_argument("scenario", type=Path)
    p.add_argument("--out", type=Path, help="run the estimation; write its results to this folder")
    p.add_argument(
        "--models", type=Path, help="YAML file of candidate models (models: NAME: overrides: ...)"
    )
    p.add_argument(
        "--model",
        action="append",
        default=[],
        metavar="NAME=PATH=VALUE,...",
        help="a candidate model: the scenario with these values (repeat for several), e.g. "
        "null=dynamics.trust_model=none",
    )
    p.add_argument(
        "--population", type=_bounded(1, 1_000_000), help="particles (default: abc.population)"
    )
    p.add_argument(
        "--generations",
        type=_bounded(1, 10_000),
        help="most generations (default: abc.generations)",
    )
    p.add_argument(
        "--replications",
        type=_bounded(1, 10_000),
        help="runs per parameter set (default: abc.replications)",
    )
    p.add_argument(
        "--draws",
        type=_bounded(1, 1_000_000),
        help="prior and posterior predictive draws per model (default: abc.predictive_draws)",
    )
    p.add_argument(
        "--runs", type=_runs, help="quick check: number of runs (default: calibration.runs)"
    )
    p.add_argument(
        "--seed",
        type=_seed,
        help="master seed (default: abc.seed for the estimation, run.seed for the quick check)",
    )

    p = sub.add_parser("plot", help="redraw the figures of a results folder from its tables")
    p.add_argument("results", type=Path, help="a folder written by `lsr-sim run`")
    p.add_argument("--network-dates", type=_dates, help="dates for network figures")

    p = sub.add_parser(
        "sweep", help="run a parameter sweep; resumes where an interrupted one stopped"
    )
    p.add_argument("sweep", type=Path, help="sweep YAML file (see scenarios/sweeps/)")
    p.add_argument("--out", type=Path, required=True, help="results folder")
    _add_workers(p)
    p.add_argument(
        "--scheduler",
        type=_scheduler,
        help="address of a running Dask scheduler, e.g. tcp://127.0.0.1:8786",
    )
    p.add_argument(
        "--executor",
        choices=("local", "mpi"),
        default="local",
        help="mpi: the workers of `mpirun -n N python -m mpi4py.futures -m lsr_sim sweep ...` "
        "(default: local processes, or Dask with --scheduler)",
    )
    p.add_argument("--fresh", action="store_true", help="delete earlier results and start over")
    p.add_argument(
        "--runs-per-task", type=_bounded(1, 1_000_000), help="runs grouped into one task"
    )
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.add_argument(
        "--engine",
        choices=("batch", "mesa"),
        default="batch",
        help="batch: many runs at once, the Mesa model's numbers exactly (default); "
        "mesa: one Mesa model per run",
    )

    p = sub.add_parser("analyze", help="summary tables, sensitivity indices and figures")
    p.add_argument("results", type=Path, help="a folder written by `lsr-sim sweep`")
    p.add_argument("--no-figures", action="store_true", help="write tables only")

    _add_discover_parser(sub)
    _add_sensitivity_parser(sub)

    p = sub.add_parser(
        "classic", help="run a classic model (BDM, Stokman) on a CSV table of actors"
    )
    p.add_argument("model", choices=("bdm", "stokman"), help="the model")
    p.add_argument(
        "file", type=Path, help="CSV: actor,capability,position,salience (+ issue for several)"
    )
    p.add_argument("--rounds", type=_bounded(0, MAX_ROUNDS), help="number of rounds (default: 10)")
    p.add_argument("--seed", type=_seed, help="seed for random tie-breaking")
    p.add_argument(
        "--variant",
        help="the model's variant: bdm lsr (default) or scholz (Scholz et al. 2011's code); "
        "stokman lsr (default) or decide (decide-exchange-model)",
    )
    p.add_argument(
        "--scale",
        metavar="LOW,HIGH",
        help="every issue's scale (default: the range of its starting positions); "
        "bdm, and stokman --variant decide",
    )
    p.add_argument("--out", type=Path, help="also write the round-by-round forecast to this CSV")

    p = sub.add_parser(
        "compare", help="run a scenario under each negotiation protocol; compare per issue"
    )
    p.add_argument("scenario", type=Path, help="scenario YAML file")
    p.add_argument(
        "--protocols", help="comma-separated protocol names (default: every one that fits)"
    )
    p.add_argument("--runs", type=_runs, default=20, help="runs per protocol (default: 20)")
    p.add_argument("--seed", type=_seed, help="master seed (default: run.seed)")
    p.add_argument("--steps", type=_steps, help="steps per run (default: run.steps)")
    p.add_argument(
        "--parameters",
        type=Path,
        help=DRAWS_HELP + "; run r has the same draw under every protocol",
    )
    p.add_argument(
        "--out", type=Path, required=True, help="folder for protocols.csv and protocols.png"
    )

    _add_forecast_parsers(sub)
    _add_whatif_parser(sub)

    p = sub.add_parser("dashboard", help="open the browser dashboard on http://127.0.0.1 (Solara)")
    p.add_argument(
        "scenario",
        type=Path,
        nargs="?",
        default=Path("scenarios/baseline.yaml"),
        help="scenario YAML file (default: scenarios/baseline.yaml); its variants are offered too",
    )
    p.add_argument(
        "--port",
        type=_bounded(1, 65535),
        default=DEFAULT_PORT,
        help=f"port (default: {DEFAULT_PORT})",
    )
    return parser


def _add_discover_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "discover",
        help="scenario discovery over a sweep: PRIM boxes, a CART tree and feature scores",
        description="Which swept inputs lead to an outcome? OUTCOME is COLUMN (a 0/1 column), "
        "COLUMN OP NUMBER with OP one of < <= > >= == != (e.g. 'rapprochement_index > 0.5'), "
        "or COLUMN == WORD for a text column (e.g. 'status_detainees == implemented', an end "
        "state read from the sweep's trajectories). Needs pip install 'lsr_sim[discover]'.",
    )
    p.add_argument("results", type=Path, help="a folder written by `lsr-sim sweep`")
    p.add_argument(
        "--outcome", required=True, help="the outcome of interest, e.g. 'agreements >= 2'"
    )
    p.add_argument(
        "--out", type=Path, help="folder for tables and figures (default: RESULTS/discovery)"
    )
    p.add_argument(
        "--min-coverage",
        type=_share,
        default=0.5,
        help="the chosen PRIM box is the densest covering at least this share of the runs of "
        "interest (default: 0.5)",
    )
    p.add_argument(
        "--box", type=_bounded(0, 1_000_000), help="choose this box of the peeling trajectory"
    )
    p.add_argument("--scenario", help="look at this scenario's runs only (default: pool them)")
    p.add_argument("--format", choices=("csv", "parquet"), default="csv", help="table format")
    p.add_argument("--no-figures", action="store_true", help="write tables only")
    p.add_argument("--seed", type=_seed, default=0, help="seed of CART and the feature scores")


def _add_whatif_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "whatif",
        help="effect of variants against a base scenario, paired by seed, over parameter draws",
        description="Run the base scenario and each variant with the same parameter draws and "
        "seeds; print, per outcome, the mean paired effect, its 95% interval and the share of "
        "draws in which the variant raises, lowers or does not change it (docs/whatif.md).",
    )
    p.add_argument("base", type=Path, help="base scenario YAML file")
    p.add_argument("variants", type=Path, nargs="+", help="variant scenario YAML file(s)")
    p.add_argument(
        "--parameters",
        type=Path,
        help="CSV or Parquet of parameter draws, e.g. a calibration's posterior.parquet "
        "(a weight column: drawn by weight)",
    )
    p.add_argument(
        "--draws",
        type=_bounded(1, 100_000),
        help="parameter draws (default: 200 with --parameters, else 1)",
    )
    p.add_argument(
        "--replications", type=_bounded(1, 100_000), default=20, help="runs per draw (default: 20)"
    )
    p.add_argument("--seed", type=_seed, help="master seed (default: the base's run.seed)")
    p.add_argument("--steps", type=_steps, help="steps per run (default: the base's run.steps)")
    p.add_argument(
        "--outcome",
        action="append",
        help="print only this outcome (repeatable; the files keep every outcome)",
    )
    p.add_argument("--out", type=Path, help="write effects, per-draw effects and runs here")


def _add_forecast_parsers(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "forecast",
        help="probabilistic forecast from the state at a date: tables, fan charts, manifest",
        description="Forecast from the state at --from (the scenario's events after it are "
        "removed) to --to: per issue and date, P(agreed by then), P(implemented by then), "
        "P(each status) with Monte Carlo intervals, and quantiles of every delivered quantity "
        "(see docs/forecasting.md).",
    )
    p.add_argument("scenario", type=Path, help="scenario YAML file")
    p.add_argument("--from", dest="start", type=_date, required=True, help="cut-off, YYYY-MM-DD")
    p.add_argument("--to", dest="end", type=_date, required=True, help="last date, YYYY-MM-DD")
    p.add_argument("--runs", type=_runs, required=True, help="number of runs")
    p.add_argument("--seed", type=_seed, help="master seed (default: run.seed)")
    p.add_argument(
        "--parameters",
        type=Path,
        help=DRAWS_HELP,
    )
    p.add_argument(
        "--condition-on",
        type=Path,
        help="observations file: keep the runs that agree with its yes/no facts dated on or "
        "before --from",
    )
    p.add_argument("--every", type=_steps, default=1, help="forecast every K steps (default: 1)")
    p.add_argument("--out", type=Path, required=True, help="output folder")
    p.add_argument("--format", choices=("csv", "parquet"), default="csv", help="table format")
    p.add_argument("--no-figures", action="store_true", help="write tables only")

    p = sub.add_parser(
        "score",
        help="score a forecast, and naive baselines, against facts dated after its cut-off",
        description="Brier and log scores for yes/no facts, CRPS for measured amounts, skill "
        "against persistence, base rates and the classic models, and a reliability diagram. "
        "Needs pip install 'lsr_sim[forecast]'.",
    )
    p.add_argument("forecast", type=Path, help="a folder written by `lsr-sim forecast`")
    p.add_argument("observations", type=Path, help="observations YAML file")
    p.add_argument("--out", type=Path, help="output folder (default: FORECAST/scores)")
    p.add_argument(
        "--eps",
        type=float,
        default=0.01,
        help="probabilities are clipped to [eps, 1 - eps] for the log score (default: 0.01)",
    )
    p.add_argument(
        "--bins", type=_bounded(1, 1000), default=10, help="reliability bins (default: 10)"
    )
    p.add_argument("--no-figures", action="store_true", help="write tables only")


_FORECAST_OPTIONS = {
    "start": "--from",
    "end": "--to",
    "runs": "--runs",
    "every": "--every",
    "eps": "--eps",
    "bins": "--bins",
}


def _cmd_forecast(args: argparse.Namespace, argv: Sequence[str]) -> int:
    from lsr_sim.forecast import ArgumentError, forecast, load_parameters
    from lsr_sim.observations import load_observations
    from lsr_sim.scenario import load_scenario

    scenario = load_scenario(args.scenario)
    _check_out(args.out)
    if args.format == "parquet":
        _require_pyarrow()
    sources = {"scenario": str(args.scenario)}
    parameters = observations = None
    if args.parameters is not None:
        parameters = load_parameters(args.parameters)
        sources["parameters"] = str(args.parameters)
    if args.condition_on is not None:
        observations = load_observations(args.condition_on)
        sources["condition_on"] = str(args.condition_on)
    try:
        result = forecast(
            scenario,
            args.start,
            args.end,
            args.runs,
            seed=args.seed,
            parameters=parameters,
            condition_on=observations,
            every=args.every,
            sources=sources,
        )
    except ArgumentError as exc:
        option = _FORECAST_OPTIONS.get(exc.argument, exc.argument)
        raise InputError("command line", option, exc.message) from None
    try:
        written = result.write(
            args.out, fmt=args.format, figures=not args.no_figures, command=["lsr-sim", *argv]
        )
    except OSError as exc:
        raise InputError("command line", "--out", f"cannot write to {args.out}: {exc}") from None
    m = result.manifest
    print(
        f"{scenario.name} cut at {m['cutoff']} ({len(m['events_removed'])} later event(s) "
        f"removed): {m['runs']} runs to {m['end']} (steps {m['first_step']} to "
        f"{m['last_step']}, master seed {m['master_seed']})"
    )
    if m["conditioning"] is not None:
        c = m["conditioning"]
        print(
            f"conditioned on {len(c['facts'])} fact(s) known at {m['cutoff']}: kept "
            f"{c['kept']} of {c['runs']} runs ({c['share_kept']:.1%})"
        )
    for note in m["notes"]:
        print(f"note: {note}")
    print(_format_forecast_end(result.probabilities))
    print(f"wrote {len(written)} files to {args.out}")
    return EXIT_OK


def _format_forecast_end(probabilities: Any) -> str:
    last = probabilities[probabilities["step"] == probabilities["step"].max()]
    date = str(last["date"].iloc[0])[:10]
    width = max(len(str(i)) for i in last["issue"])
    lines = [f"{'issue':<{width}}  P(agreed by {date})  P(implemented by {date})"]
    for issue, part in last.groupby("issue", sort=False):
        cells = []
        for event in ("agreed_by_date", "implemented_by_date"):
            row = part[part["event"] == event].iloc[0]
            cells.append(f"{row.probability:.2f} [{row.low:.2f}, {row.high:.2f}]")
        lines.append(f"{issue!s:<{width}}  {cells[0]:<{17 + len(date)}}  {cells[1]}")
    return "\n".join(lines)


def _cmd_whatif(args: argparse.Namespace, argv: Sequence[str]) -> int:
    from lsr_sim.forecast import ArgumentError, load_parameters
    from lsr_sim.scenario import load_scenario
    from lsr_sim.whatif import format_what_if, what_if

    base = load_scenario(args.base)
    variants = [load_scenario(path) for path in args.variants]
    if args.out is not None:
        _check_out(args.out)
    sources = {"base": str(args.base)} | {
        v.name: str(p) for v, p in zip(variants, args.variants, strict=True)
    }
    parameters = None
    if args.parameters is not None:
        parameters = load_parameters(args.parameters)
        sources["parameters"] = str(args.parameters)
    draws = args.draws if args.draws is not None else (200 if parameters is not None else 1)
    try:
        result = what_if(
            base,
            variants,
            draws=draws,
            replications=args.replications,
            parameters=parameters,
            seed=args.seed,
            steps=args.steps,
            sources=sources,
        )
    except ArgumentError as exc:
        option = "variants" if exc.argument == "variants" else f"--{exc.argument}"
        raise InputError("command line", option, exc.message) from None
    if args.outcome:
        known = set(result.effects["outcome"])
        unknown = [name for name in args.outcome if name not in known]
        if unknown:
            raise InputError(
                "command line",
                "--outcome",
                f"{unknown[0]!r} is not an outcome; choose from {', '.join(sorted(known))}",
            )
    for note in result.notes:
        print(f"note: {note}")
    print(format_what_if(result, args.outcome))
    if args.out is not None:
        try:
            written = result.write(args.out, command=["lsr-sim", *argv])
        except OSError as exc:
            raise InputError(
                "command line", "--out", f"cannot write to {args.out}: {exc}"
            ) from None
        print(f"wrote {len(written)} files to {args.out}")
    return EXIT_OK


def _cmd_score(args: argparse.Namespace, argv: Sequence[str]) -> int:
    from lsr_sim.forecast import ArgumentError, read_forecast
    from lsr_sim.forecast.scoring import format_scores, require_scoringrules, score_forecast
    from lsr_sim.observations import load_observations

    require_scoringrules("lsr-sim score")
    out = args.out or args.forecast / "scores"
    _check_out(out)
    result = read_forecast(args.forecast)
    observations = load_observations(args.observations)
    try:
        scores = score_forecast(
            result, observations, source=str(args.observations), eps=args.eps, bins=args.bins
        )
    except ArgumentError as exc:
        option = _FORECAST_OPTIONS.get(exc.argument, exc.argument)
        raise InputError("command line", option, exc.message) from None
    try:
        written = scores.write(out, figures=not args.no_figures, command=["lsr-sim", *argv])
    except OSError as exc:
        raise InputError("command line", "--out", f"cannot write to {out}: {exc}") from None
    m = scores.manifest
    print(
        f"forecast from {m['forecast_cutoff']} to {m['forecast_end']} ({m['forecast_kept']} "
        f"runs) against {len(m['facts_scored'])} fact(s) of {observations.name!r} dated after "
        "the cut-off"
    )
    if m["facts_left_out"]:
        print(
            f"left out {len(m['facts_left_out'])} fact(s) dated on or before the cut-off "
            f"(known when the forecast was made): {', '.join(m['facts_left_out'])}"
        )
    print(format_scores(scores))
    print(f"wrote {len(written)} files to {out}")
    return EXIT_OK


def _cmd_discover(args: argparse.Namespace) -> int:
    from lsr_sim.sweep.discovery import (
        DiscoveryError,
        discover_sweep,
        format_discovery,
        require_discovery_libraries,
        write_discovery,
    )

    require_discovery_libraries("lsr-sim discover")
    out = args.out or args.results / "discovery"
    _check_out(out)
    try:
        result = discover_sweep(
            args.results,
            args.outcome,
            scenario=args.scenario,
            min_coverage=args.min_coverage,
            box=args.box,
            seed=args.seed,
        )
    except DiscoveryError as exc:
        where = ("command line", f"--{exc.option}")
        if exc.option == "inputs":  # from the sweep's manifest, not from an option
            where = (str(args.results), "manifest.json")
        raise InputError(*where, str(exc)) from None
    try:
        written = write_discovery(result, out, fmt=args.format, figures=not args.no_figures)
    except OSError as exc:
        raise InputError("command line", "--out", f"cannot write to {out}: {exc}") from None
    print(format_discovery(result))
    print(f"wrote {len(written)} files to {out}")
    return EXIT_OK


def _add_workers(p: argparse.ArgumentParser) -> None:
    """`--workers`, as `sweep` and `sensitivity` both take it."""
    p.add_argument(
        "--workers",
        type=_bounded(1, MAX_WORKERS),
        help="local processes computing: this one and N - 1 helpers (default: every core)",
    )


def _add_sensitivity_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "sensitivity",
        help="Morris or Sobol' screening of every free input of a scenario, against dummies",
        description="Vary every free numeric input of SCENARIO over a plausible range (+/-50% "
        "by default; see --ranges), with dummy parameters the model never reads, in a Morris "
        "or Sobol' design; run it as a resumable sweep into OUT/sweep/, rank the inputs per "
        "outcome and say which are not distinguishable from the dummies. Runs r (k + 1) x K "
        "(morris) or N (k + 2) x K (sobol) runs for k inputs and K replications.",
    )
    p.add_argument("scenario", type=Path, help="scenario YAML file")
    p.add_argument("--method", choices=("morris", "sobol"), default="morris")
    p.add_argument(
        "--samples",
        type=_bounded(1, MAX_SWEEP_RUNS),
        help="Morris trajectories r (default 20), or Sobol' base size N, a power of two "
        "(default 64)",
    )
    p.add_argument(
        "--replications",
        type=_bounded(1, MAX_SWEEP_RUNS),
        default=4,
        help="runs per design point (default 4)",
    )
    p.add_argument(
        "--outcomes",
        nargs="+",
        help="summary columns to analyse, separated by spaces or commas (default: the main "
        "outcomes: rapprochement index, trust, agreements, delivered quantities)",
    )
    p.add_argument("--ranges", type=Path, help="ranges file: own ranges and exclusions")
    p.add_argument(
        "--levels",
        type=_bounded(1, MAX_LEVELS),
        default=4,
        help="Morris levels (default 4)",
    )
    p.add_argument(
        "--dummies",
        type=_bounded(1, MAX_DUMMIES),
        default=10,
        help="dummy parameters, whose mean index is the noise floor (default 10)",
    )
    p.add_argument("--seed", type=_seed, help="master seed (default: run.seed)")
    p.add_argument("--steps", type=_steps, help="steps per run (default: run.steps)")
    _add_workers(p)
    p.add_argument("--out", type=Path, required=True, help="output folder")
    p.add_argument("--fresh", action="store_true", help="delete earlier results and start over")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.add_argument("--no-figures", action="store_true", help="write tables only")
    p.add_argument(
        "--write-docs",
        type=Path,
        metavar="FILE",
        help="also write the Markdown report (e.g. docs/sensitivity.md), its figures beside it "
        "in img/sensitivity/",
    )


def _cmd_sensitivity(args: argparse.Namespace, argv: Sequence[str]) -> int:
    from lsr_sim.sweep.sensitivity import check_folder, plan_sensitivity, run_sensitivity
    from lsr_sim.sweep.sensitivity_docs import check_docs_path, write_sensitivity_docs

    _check_out(args.out)
    if args.write_docs is not None:
        check_docs_path(args.write_docs)
    outcomes = None
    if args.outcomes is not None:
        outcomes = [name.strip() for item in args.outcomes for name in item.split(",")]
        outcomes = [name for name in outcomes if name]
    plan = plan_sensitivity(
        args.scenario,
        method=args.method,
        samples=args.samples,
        replications=args.replications,
        outcomes=outcomes,
        seed=args.seed,
        steps=args.steps,
        levels=args.levels,
        ranges=args.ranges,
        dummies=args.dummies,
    )
    check_folder(plan, args.out, fresh=args.fresh)
    print(
        f"{plan.scenario.name}: {plan.method} over {len(plan.inputs.inputs)} inputs and "
        f"{plan.dummies} dummies "
        f"({len(plan.inputs.excluded)} numeric fields left out, see {args.out / 'excluded.csv'}): "
        f"{plan.points} points x {plan.replications} replications = {plan.runs} runs"
    )
    result = run_sensitivity(
        plan,
        args.out,
        workers=args.workers,
        fresh=args.fresh,
        progress=not args.quiet,
        command=["lsr-sim", *argv],
        figures=not args.no_figures,
    )
    stopped = _report_runs(result.report, args.out / "sweep", plan.scenario.name)
    if stopped is not None or result.tables is None:
        return stopped or 130
    dummy = result.tables["dummy"]
    for row in dummy.itertuples(index=False):
        print(
            f"  {row.outcome}: {row.above_dummy} of {row.inputs} inputs above the dummies; "
            f"largest {row.top_parameter} ({row.top_index:.3g}), dummies {row.dummy_index:.3g} "
            f"({row.ratio:.0%} of the largest); {row.dummies_above} of {row.dummies} dummies "
            "above the others"
        )
    written = list(result.written)
    if args.write_docs is not None:
        written += write_sensitivity_docs(args.out, args.write_docs)
        print(f"wrote {args.write_docs}")
    print(f"wrote {len(written)} files to {args.out}")
    return EXIT_OK


def _cmd_run(args: argparse.Namespace, argv: Sequence[str]) -> int:
    from lsr_sim.atomic import write_error
    from lsr_sim.experiment import run
    from lsr_sim.scenario import load_scenario

    scenario = load_scenario(args.scenario)
    if args.format == "parquet":
        _require_pyarrow()
    _check_steps(scenario, args.steps)
    steps = args.steps or scenario.run.steps
    _check_dates(args.network_dates or [], scenario.run.start_date, scenario.run.date_of(steps))
    out = args.out or Path("results") / scenario.name
    _check_out(out)
    result = run(scenario, seed=args.seed, steps=args.steps)
    try:
        written = result.write(
            out,
            fmt=args.format,
            figures=not args.no_figures,
            command=["lsr-sim", *argv],
            network_dates=args.network_dates,
        )
    except OSError as exc:
        raise write_error(out, exc) from None
    summary = result.summary.iloc[0]
    print(
        f"{scenario.name}: {result.steps} steps from {scenario.run.start_date} "
        f"(seed {result.seed}); rapprochement index {summary['rapprochement_index']:.3f}, "
        f"{summary['agreements']} agreement(s), {summary['collapsed']} collapse(s)"
    )
    print(f"wrote {len(written)} files to {out}")
    return EXIT_OK


def _require_pyarrow() -> None:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        raise InputError(
            "command line",
            "--format",
            "parquet needs pyarrow: pip install 'lsr_sim[parquet]', or use --format csv",
        ) from None


def _cmd_validate(args: argparse.Namespace) -> int:
    from lsr_sim.scenario import load_scenario

    status = EXIT_OK
    for path in args.files:
        try:
            scenario = load_scenario(path)
        except InputError as exc:
            print(f"error: {exc}", file=sys.stderr)
            status = EXIT_BAD_INPUT
            continue
        print(
            f"ok: {path} ({scenario.name}: {len(scenario.actors)} actors, "
            f"{len(scenario.issues)} issues, {len(scenario.events)} events, "
            f"{scenario.run.steps} steps)"
        )
    return status


def _cmd_schema(args: argparse.Namespace) -> int:
    from lsr_sim.experiment import write_atomic
    from lsr_sim.scenario import json_schema

    text = json.dumps(json_schema(), indent=2) + "\n"
    if args.out:
        if args.out.is_dir():
            raise InputError("command line", "--out", f"{args.out} is a folder; expected a file")
        try:
            write_atomic(args.out, text.encode("utf-8"))
        except OSError as exc:
            raise InputError("command line", "--out", f"cannot write {args.out}: {exc}") from None
        print(f"wrote {args.out}")
    else:
        sys.stdout.write(text)
    return EXIT_OK


def _cmd_calibrate(args: argparse.Namespace, argv: Sequence[str]) -> int:
    if args.out is not None:
        return _cmd_estimate(args, argv)
    for option in ("models", "population", "generations", "replications", "draws"):
        if getattr(args, option) is not None:
            raise InputError(
                "command line", f"--{option}", "belongs to the estimation: add --out DIR"
            )
    if args.model:
        raise InputError("command line", "--model", "belongs to the estimation: add --out DIR")
    from lsr_sim.calibration import check_facts
    from lsr_sim.scenario import load_scenario

    scenario = load_scenario(args.scenario)
    cal = scenario.calibration
    if cal is None:
        raise InputError(
            str(args.scenario),
            "calibration",
            "no calibration section; add observations (dated facts) to check",
        )
    runs = args.runs or cal.runs
    table, joint = check_facts(scenario, runs=runs, seed=args.seed)
    print(f"{scenario.name}: {runs} runs of the scenario as it is, facts at their dates")
    width = max(len(f) for f in table["fact"])
    print(f"{'fact':<{width}}  {'date':<10}  share  (mean for a measured amount)")
    for row in table.itertuples():
        value = f"{row.mean:.4g}" if row.measured else f"{row.share:.3f}"
        print(f"{row.fact:<{width}}  {row.date}  {value}")
    print(
        f"all yes/no facts jointly: {joint:.3f} of runs (the estimation scores this jointly "
        "with the error of each measured amount)"
    )
    return EXIT_OK


def _cmd_estimate(args: argparse.Namespace, argv: Sequence[str]) -> int:
    if args.runs is not None:
        raise InputError(
            "command line",
            "--runs",
            "belongs to the quick check (without --out); the estimation's size is --population, "
            "--replications and --draws",
        )
    _check_out(args.out)
    from lsr_sim.inference.run import require_inference_libraries

    require_inference_libraries()
    from lsr_sim.inference import estimate, format_estimation, load_estimation, write_estimation

    settings = {
        key: value
        for key, value in (
            ("population", args.population),
            ("generations", args.generations),
            ("replications", args.replications),
            ("predictive_draws", args.draws),
            ("seed", args.seed),
        )
        if value is not None
    }
    estimation = load_estimation(
        args.scenario, models_file=args.models, model_options=args.model, settings=settings
    )
    result = estimate(estimation)
    try:
        written = write_estimation(result, args.out, command=["lsr-sim", *argv])
    except OSError as exc:
        raise InputError("command line", "--out", f"cannot write to {args.out}: {exc}") from None
    print(format_estimation(result))
    print(f"wrote {len(written)} files to {args.out}")
    return EXIT_OK


def _cmd_plot(args: argparse.Namespace, argv: Sequence[str]) -> int:
    from lsr_sim.atomic import folder_writer, move_into, staging_folder, write_error
    from lsr_sim.plotting import save_figures
    from lsr_sim.results import read_tables, refresh_manifest

    tables = read_tables(args.results)
    trust = tables["trust"]
    if args.network_dates and len(trust):
        first, last = trust["date"].min().date(), trust["date"].max().date()
        _check_dates(args.network_dates, first, last)
    # Drawn aside, then moved in, then the manifest's hashes follow the new figures.
    try:
        with (
            folder_writer(args.results, ["lsr-sim", *argv], "figures"),
            staging_folder(args.results) as staging,
        ):
            try:
                drawn = save_figures(tables, staging / "figures", dates=args.network_dates)
            except ValueError as exc:  # tables that are there but not what `lsr-sim run` writes
                raise InputError(str(args.results / "tables"), "", str(exc)) from None
            written = move_into(staging, args.results, drawn)
            refresh_manifest(args.results, written)
    except OSError as exc:
        raise write_error(args.results, exc, "results") from None
    print(f"wrote {len(written)} figures to {args.results / 'figures'}")
    return EXIT_OK


def _cmd_sweep(args: argparse.Namespace, argv: Sequence[str]) -> int:
    from lsr_sim.sweep import load_sweep, run_sweep

    if args.scheduler is not None and args.workers is not None:
        raise InputError("command line", "--workers", "give --workers or --scheduler, not both")
    executor = _sweep_executor(args)
    loaded = load_sweep(args.sweep)
    _check_out(args.out)
    if args.scheduler is not None:
        _check_scheduler(args.scheduler)
    report = run_sweep(
        loaded,
        args.out,
        workers=args.workers,
        scheduler=args.scheduler,
        fresh=args.fresh,
        progress=not args.quiet,
        command=["lsr-sim", *argv],
        runs_per_task=args.runs_per_task,
        engine=args.engine,
        executor=executor,
    )
    if executor is not None:
        executor.shutdown(wait=True)
    stopped = _report_runs(report, args.out, f"sweep {loaded.spec.name}")
    if stopped is not None:
        return stopped
    if report.failed:
        print(
            f"{report.failed} run(s) failed; each is recorded with its error and seed "
            f"(see `lsr-sim analyze {args.out}`)",
            file=sys.stderr,
        )
    return EXIT_OK


def _report_runs(report: Any, folder: Path, title: str) -> int | None:
    """Print a sweep's notes and how many runs it saved; 130 if it was interrupted."""
    for note in report.notes:
        print(f"note: {note}")
    if report.interrupted:
        print(
            f"interrupted: {report.saved} of {report.total} runs are saved in {folder}; "
            "run the same command again to resume (add --fresh to start over)",
            file=sys.stderr,
        )
        return 130
    rate = report.done_now / report.seconds if report.seconds > 0 else float("nan")
    print(
        f"{title}: {report.saved} of {report.total} runs saved in {folder} "
        f"({report.done_now} new in {report.seconds:.1f} s, {rate:.1f} runs/s)"
    )
    return None


def _sweep_executor(args: argparse.Namespace) -> Any:
    """The executor `--executor` names, if not the default (local processes or Dask)."""
    if args.executor != "mpi":
        return None
    if args.scheduler is not None:
        raise InputError(
            "command line", "--executor", "give --scheduler or --executor mpi, not both"
        )
    if args.workers is not None:
        raise InputError(
            "command line",
            "--workers",
            "with --executor mpi the workers are the MPI ranks (mpirun -n N gives N - 1); "
            "drop --workers",
        )
    from lsr_sim.sweep.mpi import mpi_executor

    return mpi_executor()


def _cmd_classic(args: argparse.Namespace) -> int:
    from lsr_sim.classic.cli import run_classic

    print(
        run_classic(
            args.model,
            args.file,
            rounds=args.rounds,
            seed=args.seed,
            variant=args.variant,
            scale=args.scale,
            out=args.out,
        )
    )
    return EXIT_OK


def _cmd_compare(args: argparse.Namespace) -> int:
    import io

    from lsr_sim.atomic import write_bytes_atomic, write_error
    from lsr_sim.classic.compare import (
        check_protocols,
        compare_protocols,
        format_comparison,
        plot_protocol_comparison,
    )
    from lsr_sim.forecast import load_parameters, scenarios_per_run
    from lsr_sim.plotting import figure_of
    from lsr_sim.scenario import load_scenario

    scenario = load_scenario(args.scenario)
    names = None
    if args.protocols is not None:
        names = [name.strip() for name in args.protocols.split(",") if name.strip()]
    try:
        names = check_protocols(scenario, names)
    except ValueError as exc:
        raise InputError("command line", "--protocols", str(exc)) from None
    _check_steps(scenario, args.steps)
    _check_out(args.out)
    seed = scenario.run.seed if args.seed is None else args.seed
    members = None
    if args.parameters is not None:
        parameters = load_parameters(args.parameters)
        _, members = scenarios_per_run(scenario, parameters, args.runs, seed, str(args.parameters))
    table = compare_protocols(
        scenario, names, runs=args.runs, master_seed=seed, steps=args.steps, members=members
    )
    csv = table.to_csv(index=False, lineterminator="\n").encode("utf-8")
    figure = io.BytesIO()
    figure_of(plot_protocol_comparison(table)).savefig(
        figure, format="png", dpi=150, metadata={"Software": None}
    )
    try:
        write_bytes_atomic(args.out / "protocols.csv", csv)
        write_bytes_atomic(args.out / "protocols.png", figure.getvalue())
    except OSError as exc:
        raise write_error(args.out, exc) from None
    steps = args.steps or scenario.run.steps
    drawn = "" if members is None else f", parameters drawn from {args.parameters}"
    print(
        f"{scenario.name}: {len(names)} protocol(s) x {args.runs} run(s) of {steps} steps "
        f"from {scenario.run.start_date} (master seed {seed}{drawn})"
    )
    print(format_comparison(table))
    print(f"wrote protocols.csv and protocols.png to {args.out}")
    return EXIT_OK


def _cmd_analyze(args: argparse.Namespace) -> int:
    from lsr_sim.atomic import write_error
    from lsr_sim.results import folder_kind
    from lsr_sim.sweep.analysis import analyze, format_report, read_manifest, write_analysis

    if folder_kind(args.results) == "run":
        raise InputError(
            str(args.results),
            "",
            "holds one run (written by `lsr-sim run`), not a sweep; analyze the folder of "
            f"`lsr-sim sweep SWEEP.yaml --out DIR`, or redraw this run's figures with "
            f"`lsr-sim plot {args.results}`",
        )
    tables = analyze(args.results)
    try:
        written = write_analysis(args.results, tables, figures=not args.no_figures)
    except OSError as exc:
        raise write_error(args.results / "analysis", exc, "results") from None
    print(format_report(tables, read_manifest(args.results)))
    print(f"wrote {len(written)} files to {args.results / 'analysis'}")
    return EXIT_OK


def _cmd_dashboard(args: argparse.Namespace) -> int:
    from lsr_sim.dashboard.server import serve

    return serve(args.scenario, args.port)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``lsr-sim`` with `argv` (default ``sys.argv[1:]``); return the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits on --help and on usage errors
        return int(exc.code or 0)
    if args.version:
        from lsr_sim import __version__

        print(f"lsr-sim {__version__}")
        return EXIT_OK
    if args.command is None:
        parser.print_help()
        return EXIT_BAD_INPUT
    try:
        if args.command == "run":
            return _cmd_run(args, argv)
        if args.command == "validate":
            return _cmd_validate(args)
        if args.command == "schema":
            return _cmd_schema(args)
        if args.command == "calibrate":
            return _cmd_calibrate(args, argv)
        if args.command == "sweep":
            return _cmd_sweep(args, argv)
        if args.command == "analyze":
            return _cmd_analyze(args)
        if args.command == "discover":
            return _cmd_discover(args)
        if args.command == "sensitivity":
            return _cmd_sensitivity(args, argv)
        if args.command == "dashboard":
            return _cmd_dashboard(args)
        if args.command == "classic":
            return _cmd_classic(args)
        if args.command == "compare":
            return _cmd_compare(args)
        if args.command == "forecast":
            return _cmd_forecast(args, argv)
        if args.command == "score":
            return _cmd_score(args, argv)
        if args.command == "whatif":
            return _cmd_whatif(args, argv)
        return _cmd_plot(args, argv)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted; nothing was written", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
