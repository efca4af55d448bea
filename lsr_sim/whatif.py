"""What-if analysis: the effect of a variant against its base scenario, over parameter draws.

A variant (``scenarios/variants/*.yaml``) changes something in the base scenario: an event,
an actor, a link. :func:`what_if` runs the base and every variant with the same parameter draw
and the same seed (common random numbers), so each run's difference is the variant's effect
for that draw and that chance history alone. Over draws from a calibration's posterior (a
``posterior.parquet``, weighted) it reports, per outcome, the mean effect and the share of
draws in which the variant raises, lowers or does not change the outcome: a claim such as
"a weaker Hezbollah ends with more trust" then comes with the share of plausible parameter
sets in which it holds.

Where a variant sets a drawn input itself (``hezbollah_loses_veto`` sets Hezbollah's
capability), the variant's value wins over the draw: the variant is what is being asked about.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lsr_sim.atomic import write_csv_tables, write_folder_atomic
from lsr_sim.experiment import derive_seeds, environment, run_many
from lsr_sim.forecast.core import WEIGHT, ArgumentError, assign_draws, scenarios_for_draws
from lsr_sim.scenario import Scenario, scenario_hash
from lsr_sim.scenario.paths import resolve_path

__all__ = ["WhatIf", "format_what_if", "what_if", "what_if_outcomes"]

#: Summary columns that identify a run rather than measure it.
_NOT_OUTCOMES = frozenset({"run", "scenario", "seed", "steps", "end_date", "engine", "error"})


def what_if_outcomes(summary: pd.DataFrame) -> pd.DataFrame:
    """The numeric outcomes of a summary table (:func:`lsr_sim.run_many`), one column each.

    Numeric indicators are kept as they are; each issue's final status becomes two 0/1
    columns, ``agreed_<issue>`` (an agreement was ever reached) and ``implemented_<issue>``.

    Examples
    --------
    >>> summary = pd.DataFrame({"run": [0], "agreements": [2], "status_officers": ["open"],
    ...                         "weeks_to_agreement_officers": [12.0]})
    >>> what_if_outcomes(summary).to_dict("records")
    [{'agreements': 2.0, 'agreed_officers': 1.0, 'implemented_officers': 0.0}]
    """
    out: dict[str, Any] = {}
    for column in summary.columns:
        if column in _NOT_OUTCOMES or column.startswith(("status_", "weeks_to_agreement_")):
            continue
        if pd.api.types.is_numeric_dtype(summary[column]):
            out[column] = summary[column].astype(float)
    for column in summary.columns:
        if column.startswith("status_"):
            issue = column.removeprefix("status_")
            weeks = summary.get(f"weeks_to_agreement_{issue}")
            if weeks is not None:
                out[f"agreed_{issue}"] = weeks.notna().astype(float)
            out[f"implemented_{issue}"] = (summary[column] == "implemented").astype(float)
    return pd.DataFrame(out, index=summary.index)


@dataclass(frozen=True)
class WhatIf:
    """What :func:`what_if` returns.

    Attributes
    ----------
    base : str
        The base scenario's name.
    effects : DataFrame
        One row per variant and outcome: ``base_mean``, ``variant_mean``, ``effect`` (the mean
        paired difference), ``low``/``high`` (its 95% interval over draws and runs, normal
        approximation of the paired differences), ``draws``, ``positive``/``negative``/``none``
        (the share of draws whose mean effect is above, below or exactly zero), and
        ``draw_low``/``draw_high`` (the 5% and 95% quantiles of the per-draw mean effects).
    per_draw : DataFrame
        One row per variant, draw and outcome: the mean effect over the draw's replications.
    runs : DataFrame
        One row per scenario and run: ``scenario``, ``draw`` (the parameter row used, -1 for
        none), ``replication``, ``seed`` and every outcome.
    manifest : dict
        Inputs (scenario hashes, draws, seeds, steps), the command and the environment.
    notes : list of str
        From :func:`lsr_sim.run_many` (runs that could not go the fast way).
    """

    base: str
    effects: pd.DataFrame
    per_draw: pd.DataFrame
    runs: pd.DataFrame
    manifest: dict[str, Any]
    notes: list[str] = field(default_factory=list)

    def write(self, out: str | Path, *, command: Sequence[str] | None = None) -> list[Path]:
        """Write ``effects.csv``, ``per_draw.csv``, ``runs.csv`` and ``manifest.json`` into
        `out` atomically (nothing is half-written if interrupted); return the files."""

        def fill(staging: Path) -> list[Path]:
            written = write_csv_tables(
                staging,
                [("effects", self.effects), ("per_draw", self.per_draw), ("runs", self.runs)],
            )
            path = staging / "manifest.json"
            manifest = {**self.manifest, "command": list(command) if command else None}
            path.write_text(json.dumps(manifest, indent=2, sort_keys=True, default=str) + "\n")
            written.append(path)
            return written

        return write_folder_atomic(out, fill, command)


def _differs(base: Scenario, variant: Scenario, path: str) -> bool:
    return resolve_path(base, path).current != resolve_path(variant, path).current


def _members(
    scenario: Scenario, draws: pd.DataFrame, keep: set[str], source: str
) -> list[Scenario]:
    columns = [c for c in draws.columns if c not in keep]
    if not columns:
        return [scenario] * len(draws)
    return scenarios_for_draws(scenario, draws[columns], source)


def what_if(
    base: Scenario,
    variants: Sequence[Scenario],
    *,
    draws: int = 1,
    replications: int = 100,
    parameters: pd.DataFrame | None = None,
    seed: int | None = None,
    steps: int | None = None,
    sources: Mapping[str, str] | None = None,
) -> WhatIf:
    """The effect of each variant against `base`, paired by draw and seed.

    Parameters
    ----------
    base : Scenario
        The scenario the variants change.
    variants : sequence of Scenario
        One or more variants (distinct names, none named as the base).
    draws : int
        Parameter draws (rows of `parameters`; with a ``weight`` column, drawn in proportion
        to it, :func:`lsr_sim.forecast.assign_draws`). Without `parameters`, one draw: the
        scenarios' own values.
    replications : int
        Runs (seeds) per draw; run ``(d, k)`` uses seed ``d * replications + k`` of
        ``derive_seeds(seed, draws * replications)`` in the base and in every variant.
    parameters : DataFrame, optional
        Parameter draws, one column per dotted path (:func:`lsr_sim.forecast.load_parameters`).
        A path a variant sets to a value other than the base's keeps the variant's value.
    seed : int, optional
        Master seed (default the base's ``run.seed``).
    steps : int, optional
        Steps of every run (default the base's ``run.steps``).
    sources : mapping, optional
        Files the inputs came from (``base``, each variant's name, ``parameters``: path), for
        the manifest and error messages.

    Returns
    -------
    WhatIf

    Raises
    ------
    ArgumentError
        For counts that cannot be used, or variants that cannot be compared.
    ForecastError
        For parameter draws that do not fit a scenario (naming the file and column or row).

    Examples
    --------
    >>> from lsr_sim.scenario import load_scenario
    >>> base = load_scenario("scenarios/baseline.yaml")
    >>> clash = load_scenario("scenarios/variants/spring_border_clash.yaml")
    >>> result = what_if(base, [clash], replications=20, seed=1)
    >>> row = result.effects.set_index("outcome").loc["trust_Beirut_Damascus"]
    >>> bool(row["effect"] < 0), int(row["draws"])
    (True, 1)
    """
    sources = dict(sources or {})
    if not variants:
        raise ArgumentError("variants", "give at least one variant to compare with the base")
    names = [v.name for v in variants]
    if len(set(names)) != len(names) or base.name in names:
        raise ArgumentError(
            "variants", f"names {names} repeat or equal the base's {base.name!r}; rename them"
        )
    if replications < 1:
        raise ArgumentError("replications", f"is {replications}; give at least one run per draw")
    if parameters is None:
        if draws != 1:
            raise ArgumentError("draws", f"is {draws} without parameter draws; give --parameters")
    elif draws < 1:
        raise ArgumentError("draws", f"is {draws}; give at least one draw")
    steps = base.run.steps if steps is None else int(steps)
    if steps < 1:
        raise ArgumentError("steps", f"is {steps}; give at least one step")
    master = base.run.seed if seed is None else int(seed)

    rows: pd.DataFrame | None = None
    chosen = np.full(draws, -1)
    if parameters is not None:
        chosen = assign_draws(parameters, draws, master)
        rows = parameters.drop(columns=[WEIGHT], errors="ignore").iloc[chosen]
        rows = rows.reset_index(drop=True)
    seeds = derive_seeds(master, draws * replications)
    draw_of_run = np.repeat(np.arange(draws), replications)
    source = sources.get("parameters", "<parameters>")

    scenarios: list[Scenario] = []
    kept: dict[str, list[str]] = {}
    for scenario in (base, *variants):
        if rows is None:
            scenarios += [scenario] * len(seeds)
            continue
        keep = set()
        if scenario is not base:
            keep = {str(c) for c in rows.columns if _differs(base, scenario, str(c))}
            kept[scenario.name] = sorted(keep)
        per_draw = _members(scenario, rows, keep, source)
        scenarios += [per_draw[d] for d in draw_of_run]
    ensemble = run_many(scenarios, seeds * (1 + len(variants)), steps)
    outcomes = what_if_outcomes(ensemble.summary)
    n = len(seeds)
    frames = []
    for i, scenario in enumerate((base, *variants)):
        part = outcomes.iloc[i * n : (i + 1) * n].reset_index(drop=True)
        ids = pd.DataFrame(
            {
                "scenario": scenario.name,
                "draw": chosen[draw_of_run],
                "replication": np.tile(np.arange(replications), draws),
                "seed": np.array(seeds, dtype=np.uint64),
            }
        )
        frames.append(pd.concat([ids, part], axis=1))
    runs = pd.concat(frames, ignore_index=True)
    names_of_outcomes = list(outcomes.columns)
    base_values = outcomes.iloc[:n].to_numpy()
    effect_rows, draw_rows = [], []
    for i, variant in enumerate(variants, start=1):
        values = outcomes.iloc[i * n : (i + 1) * n].to_numpy()
        diff = values - base_values
        per_draw = diff.reshape(draws, replications, -1).mean(axis=1)
        for j, outcome in enumerate(names_of_outcomes):
            d, by_draw = diff[:, j], per_draw[:, j]
            ok = ~np.isnan(d)
            mean = float(d[ok].mean()) if ok.any() else float("nan")
            se = float(d[ok].std(ddof=1) / np.sqrt(ok.sum())) if ok.sum() > 1 else float("nan")
            effect_rows.append(
                {
                    "variant": variant.name,
                    "outcome": outcome,
                    "base_mean": float(np.nanmean(base_values[:, j])),
                    "variant_mean": float(np.nanmean(values[:, j])),
                    "effect": mean,
                    "low": mean - 1.96 * se,
                    "high": mean + 1.96 * se,
                    "draws": draws,
                    "replications": replications,
                    "positive": float(np.mean(by_draw > 0)),
                    "negative": float(np.mean(by_draw < 0)),
                    "none": float(np.mean(by_draw == 0)),
                    "draw_low": float(np.nanquantile(by_draw, 0.05)),
                    "draw_high": float(np.nanquantile(by_draw, 0.95)),
                }
            )
        for d_index in range(draws):
            for j, outcome in enumerate(names_of_outcomes):
                draw_rows.append(
                    {
                        "variant": variant.name,
                        "draw": int(chosen[d_index]),
                        "outcome": outcome,
                        "effect": float(per_draw[d_index, j]),
                    }
                )
    manifest = {
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "base": {"name": base.name, "sha256": scenario_hash(base), "file": sources.get("base")},
        "variants": [
            {
                "name": v.name,
                "sha256": scenario_hash(v),
                "file": sources.get(v.name),
                "own_values_kept_over_draws": kept.get(v.name, []),
            }
            for v in variants
        ],
        "draws": draws,
        "replications": replications,
        "steps": steps,
        "master_seed": master,
        "seeds": f"lsr_sim.experiment.derive_seeds({master}, {draws * replications})",
        "parameters": None
        if parameters is None
        else {
            "file": sources.get("parameters"),
            "columns": [str(c) for c in parameters.columns],
            "rows": len(parameters),
            "weighted": WEIGHT in parameters.columns,
        },
        "environment": environment(),
    }
    return WhatIf(
        base=base.name,
        effects=pd.DataFrame(effect_rows),
        per_draw=pd.DataFrame(draw_rows),
        runs=runs,
        manifest=manifest,
        notes=list(ensemble.notes),
    )


def format_what_if(result: WhatIf, outcomes: Sequence[str] | None = None) -> str:
    """The table ``lsr-sim whatif`` prints: per variant and outcome, the effect, its interval
    and the share of draws in which it is positive, negative or nil."""
    table = result.effects
    if outcomes is not None:
        table = table[table["outcome"].isin(list(outcomes))]
    m = result.manifest
    lines = [
        f"{', '.join(v['name'] for v in m['variants'])} against {result.base}: "
        f"{m['draws']} draw(s) x {m['replications']} paired run(s), {m['steps']} steps, "
        f"master seed {m['master_seed']}"
    ]
    for v in m["variants"]:
        if v["own_values_kept_over_draws"]:
            lines.append(
                f"{v['name']} keeps its own {', '.join(v['own_values_kept_over_draws'])} "
                "over the draws"
            )
    vw = max([7, *(len(str(v)) for v in table["variant"])])
    ow = max([7, *(len(str(o)) for o in table["outcome"])])
    header = (
        f"{'variant':<{vw}} {'outcome':<{ow}} {'base':>9} {'effect':>9} "
        f"{'95% interval':>21} {'draws +':>8} {'-':>6} {'0':>6}"
    )
    lines.append(header)
    for row in table.itertuples(index=False):
        interval = f"[{row.low:.3g}, {row.high:.3g}]"
        lines.append(
            f"{row.variant:<{vw}} {row.outcome:<{ow}} {row.base_mean:>9.3g} {row.effect:>9.3g} "
            f"{interval:>21} {row.positive:>8.0%} {row.negative:>6.0%} {row.none:>6.0%}"
        )
    return "\n".join(lines)
