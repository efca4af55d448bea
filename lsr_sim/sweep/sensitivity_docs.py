"""The Markdown report of a sensitivity analysis (``docs/sensitivity.md``), from its tables.

:func:`render_sensitivity_docs` fills :data:`TEMPLATE` from the files a sensitivity folder
holds (:func:`lsr_sim.sweep.sensitivity.read_screening`): the summary, the inputs and the
screening tables. Every number in the report is read from them; the template and the
sentences below contain no digit, so the report can be regenerated after the scenario changes
and stays true (``lsr-sim sensitivity ... --write-docs docs/sensitivity.md``).
:func:`write_sensitivity_docs` writes it and copies its figures beside it, atomically.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from lsr_sim.atomic import write_bytes_atomic
from lsr_sim.errors import InputError
from lsr_sim.scenario.derived import is_dummy

__all__ = [
    "FIGURES_SUBDIR",
    "SENTENCES",
    "TEMPLATE",
    "TOP",
    "check_docs_path",
    "format_number",
    "render_sensitivity_docs",
    "write_sensitivity_docs",
]

#: Inputs listed per outcome in the report.
TOP = 10
#: Where the figures go, relative to the report's folder.
FIGURES_SUBDIR = Path("img") / "sensitivity"

TEMPLATE = """\
# Sensitivity analysis: which inputs of {scenario} matter

<!-- Written by `lsr-sim sensitivity --write-docs`: do not edit by hand; rerun the command. -->

```sh
{command}
```

Made on {date} from `{scenario_file}` (scenario hash `{sha}`), lsr_sim {version}.

## What was done

{design}

The outcome of a design point is the mean, over its replications, of each outcome at the end
of the run ({steps} steps). Each replication has its own seed, derived from the master seed
{seed}: replication noise is part of every point mean, and the dummies measure it.

## Inputs and their ranges

{rules}

{groups}

Left out ({excluded_count} fields or patterns), with the reason:

{excluded}

The full list of inputs with their values and ranges is in the appendix.

## The dummy and the replications

{dummy_intro}

{dummy_table}

{dummy_verdict}

## Which inputs matter

{matter_intro}

![Inputs that matter, across outcomes]({overview})

{outcomes}

## Which inputs do not matter

{inert}

## Notes from the analysis

{notes}

## How to read this

{reading}

## Appendix: every input and its range

{appendix}
"""

#: The report's prose outside the template (no digits: every number comes from the tables).
SENTENCES = {
    "morris": (
        "Morris screening (elementary effects, SALib) over all {k} free numeric inputs of the "
        "scenario plus {dummies} dummy parameters the model never reads: {r} trajectories on "
        "{levels} "
        "levels, {points} design points, each run {replications} times: {runs} runs. "
        "The runs took {seconds} s ({rate} runs per second on {workers} worker processes, "
        "{computed} runs computed in {invocations} invocation(s) of the command)."
    ),
    "sobol": (
        "Sobol' indices (Saltelli sampling and estimators, SALib) over all {k} free numeric "
        "inputs of the scenario plus {dummies} dummy parameters the model never reads: base "
        "sample "
        "{r}, {points} design points, each run {replications} times: {runs} runs. "
        "The runs took {seconds} s ({rate} runs per second on {workers} worker processes, "
        "{computed} runs computed in {invocations} invocation(s) of the command)."
    ),
    "rules": (
        "Each input varies uniformly over a range set by one rule: a value v other than zero "
        "over v plus or minus {relative} of |v|; a value of zero over zero to {zero_share} of "
        "the field's upper bound (one where it declares none); then clipped to the field's "
        "declared bounds, and an end that would make the scenario invalid is moved toward the "
        "value until it validates. Saliences, which sum to one per actor, are varied as "
        "salience shares: the issue's weight is set and the actor's row renormalised. Integer "
        "dynamics are drawn as numbers and rounded. A ranges file (`--ranges`) can give inputs "
        "their own range or exclude them{ranges_file}."
    ),
    "dummy_intro_morris": (
        "A dummy's μ* is what the estimator reports for an input with no effect: the seed "
        "noise of two point means, which falls as one over the square root of the "
        "replications. The reference is the mean over the dummies (one dummy would be one "
        "noisy draw shared by every comparison). It counts as near zero here when it is at "
        "most {near_zero} of the outcome's largest μ*. Each dummy is also tested against the "
        "others: 'dummies above' counts those that pass as distinguishable, about 'by chance' "
        "of them if the test holds its level. 'Replications needed' would bring the ratio to "
        "{near_zero} (replications times the square of the ratio over {near_zero}); noise "
        "share is the part of the variance of the point means that is replication noise. "
        "{choosing}"
    ),
    "dummy_intro_sobol": (
        "A dummy's total index ST is what the estimator reports for an input with no effect: "
        "the share of the variance of the point means that is replication noise, which falls "
        "as one over the replications. The reference is the mean over the dummies. It counts "
        "as near zero here when it is at most {near_zero} of the outcome's largest ST. Each "
        "dummy is also tested against the others: 'dummies above' counts those that pass as "
        "distinguishable, about 'by chance' of them if the test holds its level. "
        "'Replications needed' would bring the ratio to {near_zero} (replications times the "
        "ratio over {near_zero}). {choosing}"
    ),
    "choosing": (
        "The replications are given on the command line (`--replications`). To choose them, "
        "run a pilot with fewer trajectories, read this table, and rerun with the largest "
        "`replications needed` the time allows (the runs grow in proportion to the "
        "replications); an outcome whose dummies stay above the mark can still show which "
        "inputs are well above its noise floor."
    ),
    "dummy_all_near": (
        "With {replications} replications per point the dummies' index is near zero for every "
        "outcome analysed ({count})."
    ),
    "dummy_some_near": (
        "With {replications} replications per point the dummies' index is near zero for "
        "{near_count} of {count} outcomes ({near_list}); for {far_list} it is larger, so there "
        "only inputs well above the dummies can be told from noise, and about {needed} "
        "replications would be needed for all of them."
    ),
    "dummy_none_near": (
        "With {replications} replications per point the dummies' index is near zero for none "
        "of the {count} outcomes: only inputs well above the dummies can be told from noise; "
        "about {needed} replications would be needed."
    ),
    "matter_intro": (
        "An input matters for an outcome when its index is distinguishable from the dummies' "
        "(one-sided paired bootstrap over the design's {blocks}, level {confidence}). "
        "{any_count} of {k} inputs matter for at least one outcome; by kind of input:"
    ),
    "outcome": (
        "**{outcome}**: {above} of {k} inputs are distinguishable from the dummies; the largest "
        "{index_name} among them: {leaders}."
    ),
    "outcome_none": (
        "**{outcome}**: no input is distinguishable from the dummies; the largest {index_name}: "
        "{leaders}."
    ),
    "inert": (
        "{count} of {k} inputs are not distinguishable from the dummies for any outcome analysed "
        "(at these ranges and this run's size: a statement about the noise floor above, not "
        "proof of no effect). By kind of input:"
    ),
    "inert_none": "Every input is distinguishable from the dummies for at least one outcome.",
    "skipped": "Outcomes without indices (see the notes): {names}.",
    "no_notes": "None.",
    "reading": (
        "μ* is the mean absolute elementary effect: the change of the outcome when the input "
        "moves by {jump} of its range, over that step, averaged over the trajectories; "
        "σ large against μ* means interactions or a non-monotone effect; μ with a sign unlike "
        "μ*'s magnitude means effects of both signs. Intervals (±) are SALib's bootstrap half "
        "widths at level {confidence}. The test against the dummies is per input and one-sided, "
        "without correction for the number of inputs: among inputs with no effect, about "
        "{alpha} are expected to pass as distinguishable by chance, and a correction would "
        "only lengthen the list of inputs that do not matter. Ranges are plausible "
        "perturbations, not estimates: a wider range makes an input matter more."
    ),
}

_COLUMNS_MORRIS = ["rank", "input", "kind", "μ*", "±", "μ", "σ", "relative", "p vs dummies"]
_COLUMNS_SOBOL = ["rank", "input", "kind", "ST", "±", "S1", "± S1", "relative", "p vs dummies"]


def format_number(x: Any) -> str:
    """A number as the report writes it: three significant digits, thousands separated.

    Examples
    --------
    >>> [format_number(x) for x in (0.123456, 12.5, 439347.7, 0.0, float("nan"), 7)]
    ['0.123', '12.5', '439,348', '0', '-', '7']
    """
    if isinstance(x, bool):
        return "yes" if x else "no"
    value = float(x)
    if not math.isfinite(value):
        return "-"
    if float(value).is_integer() and abs(value) < 1e15:
        return f"{int(value):,}"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def _share(x: float) -> str:
    """A share as a percentage, from the tables (0.1 -> 10%)."""
    return f"{format_number(100 * float(x))}%"


def _table(frame: pd.DataFrame) -> str:
    """A Markdown table (cells as given; numbers through :func:`format_number`)."""
    cells = frame.map(lambda v: v if isinstance(v, str) else format_number(v))
    header = "| " + " | ".join(str(c) for c in frame.columns) + " |"
    rule = "|" + "|".join(" --- " for _ in frame.columns) + "|"
    rows = [
        "| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |"
        for row in cells.itertuples(index=False)
    ]
    return "\n".join([header, rule, *rows])


def _code(path: str) -> str:
    return f"`{path}`"


def _listing(paths: Sequence[str]) -> str:
    return ", ".join(_code(p) for p in paths)


def _and(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _design(summary: Mapping[str, Any]) -> str:
    workers = summary.get("workers") or []
    return SENTENCES[str(summary["method"])].format(
        k=format_number(summary["inputs"]),
        dummies=format_number(summary["dummies"]),
        r=format_number(summary["samples"]),
        levels=format_number(summary.get("levels") or 0),
        points=format_number(summary["points"]),
        replications=format_number(summary["replications"]),
        runs=format_number(summary["runs"]),
        seconds=format_number(summary["seconds"]),
        rate=format_number(summary["runs_per_second"] or math.nan),
        workers=" or ".join(format_number(w) for w in workers) or "-",
        computed=format_number(summary["computed_runs"]),
        invocations=format_number(summary["invocations"]),
    )


def _groups_table(groups: pd.DataFrame) -> str:
    frame = pd.DataFrame(
        {
            "kind of input": groups["group"].astype(str),
            "inputs": groups["inputs"],
            "matter for an outcome": groups["matter"],
        }
    )
    return _table(frame)


def _dummy_table(dummy: pd.DataFrame) -> str:
    frame = pd.DataFrame(
        {
            "outcome": dummy["outcome"].astype(str),
            "dummies": dummy["dummy_index"],
            "±": dummy["dummy_conf"],
            "largest": dummy["top_index"],
            "largest input": [_code(p) for p in dummy["top_parameter"].astype(str)],
            "ratio": [_share(r) for r in dummy["ratio"]],
            "near zero": dummy["near_zero"].astype(bool),
            "noise share": [_share(s) if math.isfinite(s) else "-" for s in dummy["noise_share"]],
            "inputs above": dummy["above_dummy"],
            "dummies above": dummy["dummies_above"],
            "by chance": dummy["dummies_expected"],
            "replications needed": dummy["replications_needed"],
        }
    )
    return _table(frame)


def _dummy_verdict(dummy: pd.DataFrame, summary: Mapping[str, Any]) -> str:
    near = dummy[dummy["near_zero"].astype(bool)]
    far = dummy[~dummy["near_zero"].astype(bool)]
    common = {
        "replications": format_number(summary["replications"]),
        "count": format_number(len(dummy)),
    }
    if far.empty:
        return SENTENCES["dummy_all_near"].format(**common)
    needed = format_number(int(far["replications_needed"].max()))
    if near.empty:
        return SENTENCES["dummy_none_near"].format(**common, needed=needed)
    return SENTENCES["dummy_some_near"].format(
        **common,
        near_count=format_number(len(near)),
        near_list=_and([_code(o) for o in near["outcome"].astype(str)]),
        far_list=_and([_code(o) for o in far["outcome"].astype(str)]),
        needed=needed,
    )


def _leaders(rows: pd.DataFrame, key: str, conf: str, count: int) -> str:
    items = [
        f"{_code(str(r['parameter']))} ({format_number(r[key])} ± {format_number(r[conf])})"
        for _, r in rows.head(count).iterrows()
    ]
    return _and(items)


def _outcome_sections(
    ranking: pd.DataFrame, summary: Mapping[str, Any], figures: Mapping[str, str]
) -> str:
    method = str(summary["method"])
    key, conf = ("mu_star", "mu_star_conf") if method == "morris" else ("ST", "ST_conf")
    index_name = "μ*" if method == "morris" else "total indices ST"
    k = format_number(summary["inputs"])
    parts = []
    for outcome in dict.fromkeys(ranking["outcome"].astype(str)):
        rows = ranking[
            (ranking["outcome"] == outcome) & ~ranking["parameter"].astype(str).map(is_dummy)
        ]
        above = rows[rows["above_dummy"].astype(bool)]
        lead = above if len(above) else rows
        sentence = SENTENCES["outcome" if len(above) else "outcome_none"].format(
            outcome=outcome,
            above=format_number(len(above)),
            k=k,
            index_name=index_name,
            leaders=_leaders(lead, key, conf, min(len(lead), 3) if len(lead) else 0),
        )
        top = rows.head(TOP)
        if method == "morris":
            values = [top[key], top[conf], top["mu"], top["sigma"]]
            columns = _COLUMNS_MORRIS
        else:
            values = [top[key], top[conf], top["S1"], top["S1_conf"]]
            columns = _COLUMNS_SOBOL
        frame = pd.DataFrame(
            dict(
                zip(
                    columns,
                    [
                        top["rank"],
                        [_code(str(p)) for p in top["parameter"]],
                        top["group"].astype(str),
                        *values,
                        [_share(v) for v in top["relative"]],
                        top["p_dummy"],
                    ],
                    strict=True,
                )
            )
        )
        parts.append(sentence)
        parts.append(_table(frame))
        if outcome in figures:
            parts.append(f"![{outcome}]({figures[outcome]})")
    return "\n\n".join(parts)


def _inert(table: pd.DataFrame, summary: Mapping[str, Any]) -> str:
    if table.empty:
        return SENTENCES["inert_none"]
    lines = [
        SENTENCES["inert"].format(
            count=format_number(len(table)), k=format_number(summary["inputs"])
        ),
        "",
    ]
    for group, rows in table.groupby("group", sort=False):
        lines.append(f"- {group}: {_listing(list(rows['parameter'].astype(str)))}")
    return "\n".join(lines)


def _notes(notes: pd.DataFrame, ranking: pd.DataFrame, outcomes: Sequence[str]) -> str:
    lines = []
    analysed = set(ranking["outcome"].astype(str))
    skipped = [o for o in outcomes if o not in analysed]
    if skipped:
        lines.append(SENTENCES["skipped"].format(names=_and([_code(o) for o in skipped])))
        lines.append("")
    for row in notes.itertuples(index=False):
        where = f"{_code(str(row.outcome))}: " if str(row.outcome) else ""
        lines.append(f"- {where}{row.note}")
    return "\n".join(lines) if lines else SENTENCES["no_notes"]


def _appendix(inputs: pd.DataFrame) -> str:
    frame = pd.DataFrame(
        {
            "input": [_code(p) for p in inputs["path"].astype(str)],
            "kind": inputs["group"].astype(str),
            "value": inputs["value"],
            "low": inputs["low"],
            "high": inputs["high"],
            "rule": inputs["rule"].astype(str),
        }
    )
    return _table(frame)


def render_sensitivity_docs(
    out_dir: str | os.PathLike[str], *, figures: Mapping[str, str] | None = None
) -> str:
    """The report of the sensitivity folder `out_dir`, as Markdown.

    Parameters
    ----------
    out_dir : path
        A folder written by :func:`lsr_sim.sweep.sensitivity.run_sensitivity`.
    figures : mapping of str to str, optional
        Outcome (and ``"overview"``) -> the figure's path as the report links it. Default:
        the figures in ``out_dir/figures``, relative to `out_dir`.

    Raises
    ------
    InputError
        If the folder holds no complete analysis.
    """
    from lsr_sim.sweep.sensitivity import read_screening

    folder = Path(out_dir)
    data = read_screening(folder)
    summary = data["summary"]
    ranking, dummy = data["ranking"], data["dummy"]
    if figures is None:
        figures = _figure_links(folder, Path("figures"))
    method = str(summary["method"])
    confidence = float(summary["confidence"])
    command = summary.get("command") or ["lsr-sim", "sensitivity", "..."]
    env = summary.get("environment") or {}
    inputs = data["inputs"]
    own = inputs[inputs["rule"].astype(str) == "ranges file"]
    ranges_note = (
        f" (this run's ranges file, `{summary['ranges_file']}`, gives "
        f"{format_number(len(own))} own range(s))"
        if summary.get("ranges_file")
        else ""
    )
    rules = {
        "relative": _share(float(summary["relative"])),
        "zero_share": _share(float(summary["zero_share"])),
    }
    blocks = "trajectories" if method == "morris" else "base samples"
    any_count = int(data["groups"]["matter"].sum()) if len(data["groups"]) else 0
    return TEMPLATE.format(
        scenario=summary["scenario"],
        command=" ".join(str(part) for part in command),
        date=summary["date"],
        scenario_file=_relative_file(str(summary["scenario_file"])),
        sha=summary["scenario_sha256"],
        version=env.get("lsr_sim", "?"),
        design=_design(summary),
        steps=format_number(summary["steps"]),
        seed=str(summary["seed"]),
        rules=SENTENCES["rules"].format(**rules, ranges_file=ranges_note),
        groups=_table(
            pd.DataFrame(
                {
                    "kind of input": data["groups"]["group"].astype(str),
                    "inputs": data["groups"]["inputs"],
                }
            )
        ),
        excluded_count=format_number(len(data["excluded"])),
        excluded=_table(
            pd.DataFrame(
                {
                    "field": [_code(p) for p in data["excluded"]["path"].astype(str)],
                    "reason": data["excluded"]["reason"].astype(str),
                }
            )
        ),
        dummy_intro=SENTENCES[f"dummy_intro_{method}"].format(
            near_zero=_share(float(summary["near_zero"])), choosing=SENTENCES["choosing"]
        ),
        dummy_table=_dummy_table(dummy),
        dummy_verdict=_dummy_verdict(dummy, summary),
        matter_intro=SENTENCES["matter_intro"].format(
            blocks=blocks,
            confidence=_share(confidence),
            any_count=format_number(any_count),
            k=format_number(summary["inputs"]),
        )
        + "\n\n"
        + _groups_table(data["groups"]),
        overview=figures.get("overview", ""),
        outcomes=_outcome_sections(ranking, summary, figures),
        inert=_inert(data["not_distinguishable"], summary),
        notes=_notes(data["notes"], ranking, list(summary.get("outcomes") or [])),
        reading=SENTENCES["reading"].format(
            confidence=_share(confidence), alpha=_share(1.0 - confidence), jump=_jump(summary)
        ),
        appendix=_appendix(inputs),
    )


def _jump(summary: Mapping[str, Any]) -> str:
    """The Morris step as a share of the range: levels / (2 (levels - 1))."""
    levels = int(summary.get("levels") or 0)
    return _share(levels / (2 * (levels - 1))) if levels >= 2 else "-"


def _relative_file(path: str) -> str:
    """The scenario file relative to the working directory where it lies below it."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return path


def _figure_links(folder: Path, prefix: Path) -> dict[str, str]:
    links = {}
    for png in sorted((folder / "figures").glob("*.png")):
        name = png.stem.removeprefix("screening_")
        links[name] = (prefix / png.name).as_posix()
    return links


def check_docs_path(path: str | os.PathLike[str]) -> None:
    """Refuse a report path that cannot be written (before any run starts)."""
    target = Path(path)
    if target.is_dir():
        raise InputError("command line", "--write-docs", f"{target} is a folder; expected a file")
    if target.suffix.lower() != ".md":
        raise InputError(
            "command line", "--write-docs", f"{target} is not a Markdown file; expected *.md"
        )
    if target.parent.exists() and not target.parent.is_dir():
        raise InputError(
            "command line", "--write-docs", f"{target.parent} is a file; expected a folder"
        )


def write_sensitivity_docs(
    out_dir: str | os.PathLike[str], doc_path: str | os.PathLike[str]
) -> list[Path]:
    """Write the report to `doc_path` and copy its figures to ``img/sensitivity/`` beside it.

    Returns
    -------
    list of pathlib.Path
        The figures copied, then the report.
    """
    check_docs_path(doc_path)
    folder, doc = Path(out_dir), Path(doc_path)
    target = doc.parent / FIGURES_SUBDIR
    written = []
    for png in sorted((folder / "figures").glob("*.png")):
        written.append(write_bytes_atomic(target / png.name, png.read_bytes()))
    links = _figure_links(folder, FIGURES_SUBDIR)
    text = render_sensitivity_docs(folder, figures=links)
    written.append(write_bytes_atomic(doc, text.encode("utf-8")))
    return written
