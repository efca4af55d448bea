"""``lsr-sim classic MODEL FILE``: run one classic model on a table of actors.

:func:`run_classic` reads the table (:func:`lsr_sim.classic.inputs.read_actor_table`), runs
the model on each issue, optionally writes the round-by-round forecast to a CSV file
(atomically) and returns the text the command prints. Bad input raises
:class:`~lsr_sim.errors.InputError` before anything is written.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from lsr_sim.atomic import write_bytes_atomic
from lsr_sim.errors import InputError

__all__ = ["DEFAULT_ROUNDS", "MODELS", "VARIANTS", "ClassicRun", "classic_run", "run_classic"]

MODELS = ("bdm", "stokman")
"""Models that take a table of actors (capability, position, salience)."""
DEFAULT_ROUNDS = 10
VARIANTS = {"bdm": ("lsr", "scholz"), "stokman": ("lsr", "decide")}
"""Each model's named variants, the default first (see :mod:`lsr_sim.classic.bdm` and
:mod:`lsr_sim.classic.stokman`)."""


@dataclass(frozen=True)
class ClassicRun:
    """A classic model run from a file: the printed report and the forecast table.

    Attributes
    ----------
    text : str
        The report ``lsr-sim classic`` prints.
    table : pandas.DataFrame
        The round-by-round forecast (``issue`` for several issues, ``round``, ``mean``,
        ``median``, ``moved``, then one column per actor's position): what ``--out`` writes.
    """

    text: str
    table: pd.DataFrame


def classic_run(
    model: str,
    path: str | os.PathLike[str],
    *,
    rounds: int | None = None,
    seed: int | None = None,
    variant: str | None = None,
    scale: tuple[float, float] | None = None,
) -> ClassicRun:
    """Run `model` on the table in `path`; return the report and the forecast table.

    Parameters
    ----------
    model : str
        One of :data:`MODELS`.
    path : str or path-like
        A CSV table of actors (one issue, or the long form with an ``issue`` column).
    rounds : int, optional
        Number of rounds (default :data:`DEFAULT_ROUNDS`).
    seed : int, optional
        Seed for models that break ties at random; BDM is deterministic and ignores it.
    variant : str, optional
        The model's variant, one of :data:`VARIANTS` (default: the first, ``lsr``).
    scale : (float, float), optional
        ``(low, high)`` of every issue's scale: BDM's ``R = high - low``, and the bounds by
        which Stokman's ``decide`` variant rescales each issue to 0-100 (default: the range
        of the starting positions on each issue). Stokman's ``lsr`` variant does not use it.

    Examples
    --------
    >>> import lsr_sim
    >>> ec = Path(lsr_sim.__file__).parents[1] / "data/classic/bdm1994_ec_emissions.csv"
    >>> run = classic_run("bdm", ec, rounds=2)
    >>> run.table[["round", "mean", "median"]].round(3)
       round   mean  median
    0      0  7.390   7.000
    1      1  7.479   8.790
    2      2  7.565   9.804
    """
    if model not in MODELS:
        raise InputError(
            "command line", "MODEL", f"unknown model {model!r}; choose one of {', '.join(MODELS)}"
        )
    rounds = DEFAULT_ROUNDS if rounds is None else rounds
    variant = VARIANTS[model][0] if variant is None else variant
    if variant not in VARIANTS[model]:
        others = [m for m, names in VARIANTS.items() if variant in names]
        hint = f" ({variant!r} is a variant of {others[0]})" if others else ""
        raise InputError(
            "command line",
            "--variant",
            f"unknown variant {variant!r} for {model}{hint}; choose {' or '.join(VARIANTS[model])}",
        )
    if scale is not None and not (
        len(scale) == 2 and all(np.isfinite(v) for v in scale) and scale[0] < scale[1]
    ):
        given = ",".join(f"{v:g}" for v in scale)
        raise InputError(
            "command line",
            "--scale",
            f"expected LOW,HIGH, two finite numbers with LOW < HIGH, got {given}",
        )
    if model == "stokman":
        if scale is not None and variant == "lsr":
            raise InputError(
                "command line",
                "--scale",
                "stokman's lsr variant does not use a scale; leave --scale out or add "
                "--variant decide",
            )
        return _run_stokman(path, rounds=rounds, seed=seed, variant=variant, scale=scale)
    return _run_bdm(path, rounds=rounds, variant=variant, scale=scale)


def run_classic(
    model: str,
    path: str | os.PathLike[str],
    *,
    rounds: int | None = None,
    seed: int | None = None,
    variant: str | None = None,
    scale: str | None = None,
    out: str | os.PathLike[str] | None = None,
) -> str:
    """Run `model` on `path` as ``lsr-sim classic`` does; write `out` if given; return the text.

    `scale` is the command line's ``LOW,HIGH`` text (see :func:`classic_run`).

    The CSV in `out` is written atomically, and only once the model has run.

    Raises
    ------
    InputError
        A bad table, an unknown model, or an `out` that is a folder or cannot be written.
    """
    target = Path(out) if out is not None else None
    if target is not None and target.is_dir():
        raise InputError("command line", "--out", f"{target} is a folder; expected a CSV file")
    run = classic_run(
        model, path, rounds=rounds, seed=seed, variant=variant, scale=_parse_scale(scale)
    )
    text = run.text
    if target is not None:
        data = run.table.to_csv(index=False, float_format="%.10g").encode("utf-8")
        try:
            write_bytes_atomic(target, data)
        except OSError as exc:
            raise InputError(
                "command line", "--out", f"cannot write {target}: {exc.strerror or exc}"
            ) from None
        text += f"\nwrote {target}"
    return text


# --------------------------------------------------------------------------- BDM
def _parse_scale(text: str | None) -> tuple[float, float] | None:
    """``"LOW,HIGH"`` as two numbers (None stays None)."""
    if text is None:
        return None
    parts = text.split(",")
    try:
        low, high = (float(part) for part in parts)
    except ValueError:
        raise InputError(
            "command line", "--scale", f"expected LOW,HIGH (two numbers), got {text!r}"
        ) from None
    return low, high


def _run_bdm(
    path: str | os.PathLike[str],
    *,
    rounds: int,
    variant: str,
    scale: tuple[float, float] | None,
) -> ClassicRun:
    from lsr_sim.classic.bdm import bdm
    from lsr_sim.classic.inputs import read_actor_table, split_issues

    table = read_actor_table(path)
    parts = split_issues(table)
    sections, frames = [], []
    for issue, actors in parts.items():
        try:
            result = bdm(actors, rounds=rounds, variant=variant, scale=scale)
        except ValueError as exc:  # the reader's checks come first; this is a safety net
            raise InputError(str(path), f"issue {issue!r}" if issue else "", f"{exc}") from None
        low, high = result.scale
        title = f"issue {issue!r}: " if issue else ""
        lines = [
            f"bdm: {title}{path}, {len(result.actors)} actors, {_rounds(result.rounds)}, "
            f"scale {low:g} to {high:g}, variant {variant}; "
            "forecasts weighted by capability x salience",
            "",
        ]
        frame = result.to_frame()
        lines += _table(
            ["round", "mean", "median", "moved"],
            [
                [str(row.round), _num(row.mean), _num(row.median), str(row.moved)]
                for row in frame.itertuples()
            ],
        )
        lines += [
            "",
            f"forecast after {_rounds(result.rounds)}: weighted mean "
            f"{_num(result.mean[-1])}, weighted median {_num(result.median[-1])}",
            "",
        ]
        risk = result.risk[-1] if result.rounds else [float("nan")] * len(result.actors)
        lines += _table(
            ["actor", "capability", "salience", "start", "end", "risk"],
            [
                [
                    name,
                    f"{result.capability[i]:g}",
                    f"{result.salience[i]:g}",
                    _num(result.positions[0, i]),
                    _num(result.positions[-1, i]),
                    "-" if risk[i] != risk[i] else f"{risk[i]:.2f}",
                ]
                for i, name in enumerate(result.actors)
            ],
            left=1,
        )
        if result.rounds:
            lines.append("(risk: the actor's risk exponent in the last round, in [0.5, 2])")
        sections.append("\n".join(lines))
        frames.append(frame.assign(issue=issue) if len(parts) > 1 else frame)
    forecast = pd.concat(frames, ignore_index=True)
    if len(parts) > 1:
        forecast = forecast[["issue", *[c for c in forecast.columns if c != "issue"]]]
    return ClassicRun(text="\n\n".join(sections), table=forecast)


# --------------------------------------------------------------------------- Stokman
def _run_stokman(
    path: str | os.PathLike[str],
    *,
    rounds: int,
    seed: int | None,
    variant: str,
    scale: tuple[float, float] | None,
) -> ClassicRun:
    """Stokman's exchange model over all the table's issues (ties broken with `seed`)."""
    from lsr_sim.classic.inputs import read_actor_table
    from lsr_sim.classic.stokman import stokman_exchange_table

    table = read_actor_table(path)
    seed = 0 if seed is None else seed
    try:
        result = stokman_exchange_table(
            table, rounds=rounds, rng=seed, variant=variant, scale=scale
        )
    except ValueError as exc:  # the reader's checks come first; this is a safety net
        raise InputError(str(path), "", f"{exc}") from None
    ran = len(result.voted_outcomes)
    issues = list(result.issues)
    # round 0: the expected outcomes of the starting positions; round t: of the votes
    # after the exchanges of round t (the model's forecast)
    outcomes = [result.outcomes[0], *result.voted_outcomes]
    exchanges = [0, *(len(done) for done in result.exchanges)]
    frame = pd.DataFrame(
        {"round": range(ran + 1), "exchanges": exchanges}
        | {issue or "outcome": [row[d] for row in outcomes] for d, issue in enumerate(issues)}
    )
    stop = f" (stopped after {ran}: no exchange left)" if result.converged else ""
    lines = [
        f"stokman: {path}, {len(result.actors)} actors, {len(issues)} issue(s), "
        f"{_rounds(rounds)}{stop}, seed {seed}, variant {variant}",
        "expected outcome of each issue: the capability x salience weighted mean of the votes",
        "",
    ]
    lines += _table(
        [str(c) for c in frame.columns],
        [
            [str(row[0]), str(row[1]), *(_num(v) for v in row[2:])]
            for row in frame.itertuples(index=False)
        ],
    )
    final = ", ".join(
        f"{issue or 'outcome'} {_num(value)}"
        for issue, value in zip(issues, outcomes[-1], strict=True)
    )
    lines += ["", f"forecast after {_rounds(ran)}: {final}"]
    return ClassicRun(text="\n".join(lines), table=frame)


# --------------------------------------------------------------------------- text
def _rounds(count: int) -> str:
    return f"{count} round" if count == 1 else f"{count} rounds"


def _num(value: float) -> str:
    return f"{value:.3f}"


def _table(header: list[str], rows: list[list[str]], left: int = 0) -> list[str]:
    """Aligned columns: the first `left` columns to the left, the others to the right."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        return "  ".join(
            cell.ljust(w) if i < left else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    return [line(header), *(line(r) for r in rows)]
