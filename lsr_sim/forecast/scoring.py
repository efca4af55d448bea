"""Scores of a forecast against facts dated after its cut-off, and of naive baselines.

Yes/no facts get the Brier score ``(p - y)^2`` and the log score ``-log(p)`` of the outcome
(p clipped to ``[eps, 1 - eps]`` first, for every forecaster alike, so that a forecast of 0
for an event that happened costs a finite amount); measured amounts get the CRPS of the
forecast's ensemble (exact for an empirical distribution: scoringrules' ``crps_ensemble``
with the quantile-decomposition estimator). Lower is better for all three. Scores come from
the `scoringrules` library (``pip install 'lsr_sim[forecast]'``), imported on first use.

Forecasters (docs/forecasting.md gives the reasons):

- ``model``: the forecast, over its kept runs, at each fact's date;
- ``persistence``: the state at the cut-off persists: each fact is evaluated on the kept
  runs' state at the cut-off step instead of at its date;
- ``base_rate``: the fact's frequency over every run (none dropped by conditioning) and every
  step of the forecast window (the step after the cut-off to the last), whatever its date;
- ``unconditioned`` (only for a conditioned forecast): every run, at the fact's date;
- ``climatology`` (when given): stated probabilities of each fact's event, by fact;
- ``nash``, ``bdm``, ``stokman``: the classic models' one-shot forecasts, for ``agreed``
  facts only (:func:`classic_probability`).

Skill against a baseline is ``1 - S_model / S_baseline``, both means over the facts the
baseline forecasts: 1 is perfect, 0 no better than the baseline, negative worse.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lsr_sim.errors import InputError
from lsr_sim.forecast.core import ArgumentError, Forecast, ForecastError, with_steps
from lsr_sim.observations import Fact, Observations, check_observations, fact_outcomes

__all__ = [
    "CLASSIC_MODELS",
    "CLASSIC_TOLERANCE",
    "EPS",
    "Scores",
    "brier_scores",
    "classic_probability",
    "crps_scores",
    "format_scores",
    "log_scores",
    "reliability_table",
    "require_scoringrules",
    "score_forecast",
    "skill_score",
]

#: Probabilities are clipped to [EPS, 1 - EPS] before the log score.
EPS = 0.01

#: A classic model forecasts an agreement when its predicted outcome moves at least this far
#: from the issue's status quo (on the issue's [0, 1] scale).
CLASSIC_TOLERANCE = 0.05

#: Baseline name -> column of the forecast's ``classic`` table.
CLASSIC_MODELS = {"nash": "nash", "bdm": "bdm_median", "stokman": "stokman"}


def require_scoringrules(command: str = "scoring") -> Any:
    """The scoringrules module, or InputError (one line) saying how to install it."""
    try:
        import scoringrules
    except ImportError:
        raise InputError(
            command, "", "needs scoringrules: pip install 'lsr_sim[forecast]'"
        ) from None
    return scoringrules


# -- scores on arrays --------------------------------------------------------------------------
def brier_scores(probability: Any, outcome: Any) -> np.ndarray:
    """Brier score of each probability forecast of a yes/no outcome.

    Examples
    --------
    >>> brier_scores([0.9, 0.2], [1, 0]).round(4).tolist()
    [0.01, 0.04]
    """
    sr = require_scoringrules()
    return np.asarray(sr.brier_score(np.asarray(outcome, float), np.asarray(probability, float)))


def log_scores(probability: Any, outcome: Any, eps: float = EPS) -> np.ndarray:
    """Log score (``-log`` of the probability given to what happened), probabilities clipped
    to ``[eps, 1 - eps]``.

    Examples
    --------
    >>> log_scores([0.9, 0.0], [1, 1]).round(4).tolist()
    [0.1054, 4.6052]
    """
    sr = require_scoringrules()
    p = np.clip(np.asarray(probability, float), eps, 1.0 - eps)
    return np.asarray(sr.log_score(np.asarray(outcome, float), p))


def crps_scores(ensembles: Any, observed: Any, weights: Any = None) -> np.ndarray:
    """CRPS of each ensemble forecast (rows of `ensembles`, members on the last axis) of a
    measured amount: that of the ensemble's empirical distribution.

    Examples
    --------
    >>> crps_scores([[0.0, 1.0, 3.0, 10.0]], [2.0]).tolist()
    [1.0]
    """
    sr = require_scoringrules()
    members = np.atleast_2d(np.asarray(ensembles, float))
    w = None if weights is None else np.broadcast_to(np.asarray(weights, float), members.shape)
    return np.asarray(
        sr.crps_ensemble(np.asarray(observed, float), members, ens_w=w, estimator="qd")
    )


def skill_score(score: float, reference: float) -> float:
    """``1 - score / reference`` (NaN when the reference scores 0).

    Examples
    --------
    >>> skill_score(0.1, 0.25), skill_score(0.3, 0.25)
    (0.6, -0.19999999999999996)
    """
    return float("nan") if reference == 0 else 1.0 - score / reference


def reliability_table(probability: Any, outcome: Any, bins: int = 10) -> pd.DataFrame:
    """Forecasts binned by probability (equal-width bins on [0, 1], the last closed): for each
    bin its count, mean forecast and observed frequency (NaN for an empty bin).

    Examples
    --------
    >>> table = reliability_table([0.1, 0.15, 0.9], [0, 1, 1], bins=2)
    >>> table[["bin", "count", "mean_forecast", "observed"]].to_dict("list")
    {'bin': [0, 1], 'count': [2, 1], 'mean_forecast': [0.125, 0.9], 'observed': [0.5, 1.0]}
    """
    if bins < 1:
        raise ArgumentError("bins", f"is {bins}; give at least one bin")
    p, y = np.asarray(probability, float), np.asarray(outcome, float)
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, bins - 1)
    rows = []
    for b in range(bins):
        inside = which == b
        count = int(inside.sum())
        mean = float(p[inside].mean()) if count else float("nan")
        freq = float(y[inside].mean()) if count else float("nan")
        rows.append((b, float(edges[b]), float(edges[b + 1]), count, mean, freq))
    return pd.DataFrame(
        rows, columns=["bin", "lower", "upper", "count", "mean_forecast", "observed"]
    )


# -- baselines ---------------------------------------------------------------------------------
def classic_probability(fact: Fact, classic: pd.DataFrame, model: str) -> float | None:
    """A classic model's one-shot forecast turned into P(an agreement by the fact's date), or
    None where it does not apply.

    The classic models (Nash bargaining, Bueno de Mesquita, Stokman) predict where an issue
    settles, not when or whether talks get there, nor statuses, progress, trust or delivered
    amounts. So they forecast ``agreed`` facts only: an agreement (at any date) when the
    predicted outcome lies at least :data:`CLASSIC_TOLERANCE` from the status quo, none when
    it does not or when the model gives no outcome (Nash: no terms beat the status quo for
    every party). The forecast is certain (1 or 0); the log score clips it like any other.

    Examples
    --------
    >>> from lsr_sim.observations import Fact
    >>> classic = pd.DataFrame({"issue": ["a"], "status_quo": [0.0], "nash": [0.3], "bdm": [0.0]})
    >>> fact = Fact.model_validate(
    ...     {"date": "2025-01-01", "agreed": {"issue": "a", "by_then": True}}
    ... )
    >>> classic_probability(fact, classic, "nash"), classic_probability(fact, classic, "bdm")
    (1.0, 0.0)
    """
    if fact.agreed is None:
        return None
    row = classic[classic["issue"] == fact.agreed.issue]
    if row.empty or model not in row:
        return None
    outcome, status_quo = float(row[model].iloc[0]), float(row["status_quo"].iloc[0])
    return float(np.isfinite(outcome) and abs(outcome - status_quo) >= CLASSIC_TOLERANCE)


# -- scoring a forecast ------------------------------------------------------------------------
@dataclass
class Scores:
    """What :func:`score_forecast` returns.

    Attributes
    ----------
    facts : DataFrame
        One row per fact and forecaster: fact, kind, date, step, event (what the probability
        is of: ``agreed by the date`` for an agreed fact, the fact's condition otherwise),
        observed (1 or 0 whether the event happened; the number for a measured amount),
        forecaster, probability (yes/no facts), brier, log, crps (NaN where it does not
        apply).
    summary : DataFrame
        One row per score and forecaster: score, forecaster, facts (how many it forecast),
        mean, model_mean (the model's mean over those facts) and skill (of the model against
        that forecaster; NaN on the model's own row).
    reliability : DataFrame
        Per forecaster, the yes/no facts binned by forecast probability
        (:func:`reliability_table`).
    manifest : dict
        What was scored against what (forecast folder, observations, eps, bins, versions).
    """

    facts: pd.DataFrame
    summary: pd.DataFrame
    reliability: pd.DataFrame
    manifest: dict[str, Any]

    def write(
        self, out_dir: str | Path, *, figures: bool = True, command: Sequence[str] | None = None
    ) -> list[Path]:
        """Write ``scores.csv``, ``facts.csv``, ``reliability.csv``, ``reliability.png`` and
        ``manifest.json`` into `out_dir`, through a staged folder (nothing half-written)."""
        from lsr_sim.atomic import write_folder_atomic

        return write_folder_atomic(
            out_dir, lambda staging: self._write_into(staging, figures, command)
        )

    def _write_into(self, folder: Path, figures: bool, command: Sequence[str] | None) -> list[Path]:
        from lsr_sim.experiment import environment

        written = []
        for name, table in (
            ("scores", self.summary),
            ("facts", self.facts),
            ("reliability", self.reliability),
        ):
            path = folder / f"{name}.csv"
            table.to_csv(path, index=False, lineterminator="\n")
            written.append(path)
        if figures:
            from lsr_sim.forecast.plots import plot_reliability, save_figure

            present = [
                name
                for name in ("model", "persistence", "base_rate")
                if name in set(self.reliability["forecaster"])
            ]
            ax = plot_reliability(self.reliability, forecasters=present)
            written.append(save_figure(ax.figure, folder / "reliability.png"))  # type: ignore[arg-type]
        manifest = {
            **self.manifest,
            "command": list(command) if command is not None else None,
            "environment": environment(),
        }
        path = folder / "manifest.json"
        path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        written.append(path)
        return written


def _redated(observations: Observations, date: dt.date) -> Observations:
    facts = {name: f.model_copy(update={"date": date}) for name, f in observations.facts.items()}
    return observations.model_copy(update={"facts": facts})


def score_forecast(
    forecast: Forecast,
    observations: Observations,
    *,
    source: str = "<observations>",
    eps: float = EPS,
    bins: int = 10,
    climatology: Mapping[str, float] | None = None,
) -> Scores:
    """Score `forecast` and the baselines against the facts of `observations` dated after the
    forecast's cut-off (those on or before it were known when it was made, and are left out).

    Raises
    ------
    ForecastError
        Naming `source` and the fact, for facts that do not fit the forecast (none after the
        cut-off, one after its end, an unknown issue, actor or quantity).
    ArgumentError
        For `eps`, `bins` or a `climatology` that cannot be used.
    """
    if not 0.0 < eps < 0.5:
        raise ArgumentError("eps", f"is {eps}; expected a number in (0, 0.5)")
    scenario = with_steps(forecast.scenario, forecast.last_step + 1)
    start, end = forecast.start, forecast.end
    later = {name: f for name, f in observations.facts.items() if f.date > start}
    # A count of incidents over a window that opens before the cut-off was partly known when
    # the forecast was made, and the forecast's history starts at the cut-off: left out.
    left_out = {
        name: f"its incidents are counted since {f.incidents.since}, before the cut-off {start}"
        for name, f in later.items()
        if f.incidents is not None and f.incidents.since is not None and f.incidents.since < start
    }
    later = {name: f for name, f in later.items() if name not in left_out}
    if not later:
        raise ForecastError(
            source,
            "facts",
            f"no fact is dated after the forecast's cut-off {start}; score against facts "
            "the forecast did not know",
        )
    for name, fact in later.items():
        if fact.date > end:
            raise ForecastError(
                source,
                f"facts.{name}.date",
                f"{fact.date} is after the forecast's end {end}; forecast further (--to) or "
                "leave the fact out",
            )
    scored = observations.model_copy(update={"facts": later})
    try:
        check_observations(scored, scenario, source)
    except InputError as exc:
        raise ForecastError(exc.source, exc.path, exc.message) from None
    climatology = dict(climatology or {})
    for name, value in climatology.items():
        if name not in later or later[name].measured:
            raise ArgumentError(
                "climatology", f"{name!r} is not a yes/no fact dated after the cut-off"
            )
        if not 0.0 <= value <= 1.0:
            raise ArgumentError("climatology", f"{name!r}: {value} is not a probability")

    history, first_agreed = forecast.history(), forecast.first_agreed()
    offset, kept = forecast.first_step, forecast.kept
    conditioned = forecast.manifest.get("conditioning") is not None

    def outcomes(obs: Observations) -> pd.DataFrame:
        return fact_outcomes(obs, scenario, history, first_agreed, offset=offset)

    at_date = outcomes(scored)
    at_cutoff = outcomes(_redated(scored, start))
    window_dates = [
        scenario.run.date_of(step) for step in range(offset + 1, forecast.last_step + 1)
    ]
    over_window = [outcomes(_redated(scored, date)) for date in window_dates]

    rows: list[dict[str, Any]] = []
    for name, fact in later.items():
        step = (fact.date - scenario.run.start_date).days // scenario.run.step_days
        base = {"fact": name, "kind": fact.kind, "date": fact.date, "step": step}
        if fact.measured:
            assert fact.delivered is not None and fact.delivered.value is not None
            y = fact.delivered.value
            pooled = np.concatenate([table[name].to_numpy(float) for table in over_window])
            ensembles = {
                "model": at_date[name].to_numpy(float)[kept],
                "persistence": at_cutoff[name].to_numpy(float)[kept],
                "base_rate": pooled,
            }
            if conditioned:
                ensembles["unconditioned"] = at_date[name].to_numpy(float)
            for who, members in ensembles.items():
                crps = float(crps_scores(members[None, :], [y])[0])
                rows.append(
                    {**base, "event": "measured amount", "observed": y, "forecaster": who}
                    | {"probability": np.nan, "brier": np.nan, "log": np.nan, "crps": crps}
                )
            continue
        # Scored as the fact's event (an agreement by the date, or its condition): p is the
        # chance of the event, y whether it happened. Brier and log scores are the same either
        # way round; the reliability diagram needs events that can go either way.
        y = float(fact.happened)

        def chance(matches: pd.Series, runs: Any = slice(None), yes: bool = fact.happened) -> float:
            share = float(matches.to_numpy(bool)[runs].mean())
            return share if yes else 1.0 - share

        probabilities: dict[str, float | None] = {
            "model": chance(at_date[name], kept),
            "persistence": chance(at_cutoff[name], kept),
            "base_rate": float(np.mean([chance(t[name]) for t in over_window])),
        }
        if conditioned:
            probabilities["unconditioned"] = chance(at_date[name])
        if name in climatology:
            probabilities["climatology"] = float(climatology[name])
        for who, column in CLASSIC_MODELS.items():
            probabilities[who] = classic_probability(fact, forecast.classic, column)
        for who, p in probabilities.items():
            if p is None:
                continue
            rows.append(
                {**base, "event": fact.event, "observed": y, "forecaster": who}
                | {
                    "probability": p,
                    "brier": float(brier_scores([p], [y])[0]),
                    "log": float(log_scores([p], [y], eps)[0]),
                    "crps": np.nan,
                }
            )
    facts = pd.DataFrame(rows)
    summary = _summary(facts)
    reliability = pd.concat(
        [
            reliability_table(part["probability"], part["observed"], bins).assign(forecaster=who)
            for who, part in facts[facts["probability"].notna()].groupby("forecaster", sort=False)
        ],
        ignore_index=True,
    )
    reliability = reliability[["forecaster", *reliability.columns[:-1]]]
    manifest = {
        "kind": "scores",
        "forecast_manifest_sha256": _manifest_hash(forecast),
        "forecast_cutoff": str(start),
        "left_out": left_out,  # dated after the cut-off, but partly known at it
        "forecast_end": str(end),
        "forecast_runs": len(kept),
        "forecast_kept": int(kept.sum()),
        "observations": observations.name,
        "observations_sha256": hashlib.sha256(
            observations.model_dump_json(by_alias=True).encode()
        ).hexdigest(),
        "facts_scored": list(later),
        "facts_left_out": [n for n, f in observations.facts.items() if f.date <= start],
        "eps": eps,
        "bins": bins,
        "classic_tolerance": CLASSIC_TOLERANCE,
        "climatology": climatology or None,
    }
    return Scores(facts=facts, summary=summary, reliability=reliability, manifest=manifest)


def _manifest_hash(forecast: Forecast) -> str:
    blob = json.dumps(forecast.manifest, sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest()


def _summary(facts: pd.DataFrame) -> pd.DataFrame:
    rows = []
    forecasters = list(dict.fromkeys(facts["forecaster"]))
    for score in ("brier", "log", "crps"):
        scored = facts[facts[score].notna()]
        if scored.empty:
            continue
        model = scored[scored["forecaster"] == "model"].set_index("fact")[score]
        for who in forecasters:
            mine = scored[scored["forecaster"] == who].set_index("fact")[score]
            if mine.empty:
                continue
            model_mean = float(model.loc[mine.index].mean())
            mean = float(mine.mean())
            rows.append(
                {
                    "score": score,
                    "forecaster": who,
                    "facts": len(mine),
                    "mean": mean,
                    "model_mean": model_mean,
                    "skill": np.nan if who == "model" else skill_score(model_mean, mean),
                }
            )
    return pd.DataFrame(
        rows, columns=["score", "forecaster", "facts", "mean", "model_mean", "skill"]
    )


def format_scores(scores: Scores) -> str:
    """The summary table as text, one line per score and forecaster."""
    lines = [f"{'score':<6} {'forecaster':<14} {'facts':>5} {'mean':>8} {'model':>8} {'skill':>7}"]
    for row in scores.summary.itertuples():
        skill = "" if np.isnan(row.skill) else f"{row.skill:+.3f}"
        lines.append(
            f"{row.score:<6} {row.forecaster:<14} {row.facts:>5} {row.mean:>8.4f} "
            f"{row.model_mean:>8.4f} {skill:>7}"
        )
    lines.append("skill = 1 - model / forecaster, over the facts that forecaster forecasts")
    for name, why in scores.manifest.get("left_out", {}).items():
        lines.append(f"left out: {name} ({why})")
    return "\n".join(lines)
