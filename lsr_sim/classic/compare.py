"""One scenario under every negotiation protocol, side by side with the classic forecasts.

:func:`compare_protocols` runs a scenario under each applicable protocol (every issue
negotiated with it), over the same seeds, and tabulates per protocol and issue what the
simulation produced: how often the issue was agreed, on what terms, when, and how often a
veto blocked it. Next to these it puts the one-shot forecasts of the classic models computed
straight from the scenario's actors (:func:`classic_forecasts`): the Nash point among the
issue's parties, Bueno de Mesquita's weighted median and mean after ten rounds among every
actor that cares about the issue, and the expected outcome of Stokman's exchange model over
all issues. A reader sees what each classic model forecasts against what the simulation, with
trust, vetoes and events, makes of it.

:func:`plot_protocol_comparison` draws the table (data in, Axes out) and
:func:`format_comparison` prints it; ``lsr-sim compare`` does both and writes the files.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from lsr_sim.scenario import Scenario

if TYPE_CHECKING:  # matplotlib loads only when a figure is drawn
    from matplotlib.axes import Axes

    from lsr_sim.scenario.paths import Value

__all__ = [
    "COLUMNS",
    "FORECAST_COLUMNS",
    "applicable_protocols",
    "check_protocols",
    "classic_forecasts",
    "compare_protocols",
    "format_comparison",
    "plot_protocol_comparison",
]

#: Rounds of the BDM and Stokman models behind the one-shot forecasts.
FORECAST_ROUNDS = 10

FORECAST_COLUMNS = ("nash", "bdm_median", "bdm_mean", "stokman")
"""The classic models' one-shot forecasts, per issue (see :func:`classic_forecasts`)."""

COLUMNS = (
    "protocol",
    "issue",
    "runs",
    "agreed_share",
    "terms_mean",
    "terms_low",
    "terms_high",
    "first_step",
    "first_date",
    "vetoes_mean",
    *FORECAST_COLUMNS,
)
"""The columns of :func:`compare_protocols`' table, in order."""


# --------------------------------------------------------------------------- protocols
def _misfit(scenario: Scenario, name: str) -> str | None:
    """Why protocol `name` cannot negotiate every issue of `scenario`, or None if it can."""
    from lsr_sim.protocols import get_protocol

    needed = getattr(get_protocol(name), "parties", None)
    if needed is None:
        return None
    for issue, spec in scenario.issues.items():
        if len(spec.parties) != needed:
            return (
                f"protocol {name!r} is for {needed} parties, but issue {issue!r} has "
                f"{len(spec.parties)} ({', '.join(spec.parties)})"
            )
    return None


def applicable_protocols(scenario: Scenario) -> list[str]:
    """The registered protocols whose party constraint fits every issue of `scenario`.

    Examples
    --------
    >>> from lsr_sim.synthetic import synthetic_scenario
    >>> applicable_protocols(synthetic_scenario(7, 2, parties_per_issue=3))
    ['offers', 'nash', 'kalai_smorodinsky', 'bdm', 'stokman']
    """
    from lsr_sim.protocols import protocol_names

    return [name for name in protocol_names() if _misfit(scenario, name) is None]


def check_protocols(scenario: Scenario, protocols: Sequence[str] | None) -> list[str]:
    """The protocols to compare: `protocols` checked, or all applicable ones if None.

    Raises
    ------
    ValueError
        An empty list, a name given twice, an unknown name (with a did-you-mean) or a protocol
        that cannot negotiate one of the scenario's issues; the message says what to change.

    Examples
    --------
    >>> from lsr_sim.synthetic import synthetic_scenario
    >>> check_protocols(synthetic_scenario(6, 2), ["nash", "bdm"])
    ['nash', 'bdm']
    >>> check_protocols(synthetic_scenario(6, 2), ["nahs"])
    Traceback (most recent call last):
    ...
    ValueError: unknown protocol 'nahs' (did you mean 'nash'?); expected one of offers, nash, \
kalai_smorodinsky, rubinstein, time_based_concession, bdm, stokman
    """
    from lsr_sim.messages import did_you_mean
    from lsr_sim.protocols import protocol_names

    if protocols is None:
        return applicable_protocols(scenario)
    names = list(protocols)
    if not names:
        raise ValueError("no protocol given; name at least one, e.g. nash,bdm")
    known = protocol_names()
    for name in names:
        if name not in known:
            raise ValueError(
                f"unknown protocol {name!r}{did_you_mean(name, known)}; "
                f"expected one of {', '.join(known)}"
            )
        if names.count(name) > 1:
            raise ValueError(f"protocol {name!r} is given twice; name each protocol once")
        misfit = _misfit(scenario, name)
        if misfit is not None:
            fits = ", ".join(applicable_protocols(scenario))
            raise ValueError(f"{misfit}; leave it out (protocols that fit: {fits})")
    return names


def _under(scenario: Scenario, protocol: str) -> Scenario:
    """`scenario` with every issue negotiated under `protocol`."""
    from lsr_sim.scenario.paths import override_scenario

    values: dict[str, Value] = {f"issues.{name}.protocol": None for name in scenario.issues}
    values["dynamics.protocol"] = protocol
    return override_scenario(scenario, values, f"{scenario.name} under {protocol}")


# --------------------------------------------------------------------------- forecasts
def classic_forecasts(scenario: Scenario, rounds: int = FORECAST_ROUNDS) -> pd.DataFrame:
    """The classic models' one-shot forecasts on each issue, from the scenario's actors.

    Every actor enters with its ideal point on the issue (its position; the status quo if it
    gives none), its salience and its capability, as the model compiles them
    (:func:`lsr_sim.model.compile_scenario`).

    - ``nash``: the capability-weighted Nash bargaining point among the issue's parties, with
      the status quo as disagreement (:func:`lsr_sim.classic.nash.nash_bargaining`); NaN when
      no terms beat the status quo for every party, or no party gives the issue salience;
    - ``bdm_median``, ``bdm_mean``: Bueno de Mesquita's capability-and-salience weighted
      median and mean after `rounds` rounds (:func:`lsr_sim.classic.bdm.bdm`), among all
      actors with salience > 0 on the issue (parties, mediators, spoilers, backers alike), on
      the issue's [0, 1] scale; NaN with fewer than two such actors;
    - ``stokman``: the expected outcome after `rounds` rounds of Stokman's exchange model
      over all issues and all actors (:func:`lsr_sim.classic.stokman.stokman_exchange`,
      ties broken with seed 0); NaN on an issue nobody cares about.

    Parameters
    ----------
    scenario : Scenario
    rounds : int
        Rounds of the BDM and Stokman models.

    Returns
    -------
    pandas.DataFrame
        One row per issue, in scenario order: ``issue`` and :data:`FORECAST_COLUMNS`.

    Examples
    --------
    >>> from lsr_sim.scenario import load_scenario
    >>> import lsr_sim
    >>> from pathlib import Path
    >>> baseline = load_scenario(Path(lsr_sim.__file__).parents[1] / "scenarios/baseline.yaml")
    >>> classic_forecasts(baseline).set_index("issue").round(3)  # doctest: +NORMALIZE_WHITESPACE
                         nash  bdm_median  bdm_mean  stokman
    issue
    officers            0.105         0.1     0.100    0.720
    border_control      0.700         0.9     0.900    0.873
    border_demarcation  0.632         0.9     0.900    0.614
    detainees           0.474         1.0     0.896    0.812
    refugees            0.500         0.7     0.700    0.708
    weapons_corridor    0.632         1.0     1.000    0.871
    """
    from lsr_sim.classic.bdm import bdm
    from lsr_sim.classic.nash import nash_bargaining
    from lsr_sim.classic.stokman import stokman_exchange
    from lsr_sim.model.compiled import compile_scenario

    c = compile_scenario(scenario)
    rows: list[dict[str, Any]] = []
    for k, issue in enumerate(c.issues):
        parties = np.flatnonzero(c.parties[k])
        solution = nash_bargaining(
            c.ideal[parties, k],
            c.salience[parties, k],
            weights=c.capability[parties],
            status_quo=c.status_quo[[k]],
        )
        caring = np.flatnonzero(c.salience[:, k] > 0)
        median = mean = np.nan
        if caring.size >= 2:
            result = bdm(
                rounds=rounds,
                capability=c.capability[caring],
                position=c.ideal[caring, k],
                salience=np.clip(c.salience[caring, k], 0.0, 1.0),
                names=[c.actors[i] for i in caring],
                scale=(0.0, 1.0),
            )
            median, mean = float(result.median[-1]), float(result.mean[-1])
        # with no salience among the parties every point is worth the same: no forecast
        point = solution.point if np.any(c.salience[parties, k] > 0) else None
        rows.append(
            {
                "issue": issue,
                "nash": float(point[0]) if point is not None else np.nan,
                "bdm_median": median,
                "bdm_mean": mean,
            }
        )
    salience = np.clip(c.salience, 0.0, 1.0)
    live = np.flatnonzero((salience * c.capability[:, None]).sum(axis=0) > 0)
    stokman = np.full(len(c.issues), np.nan)
    if live.size:
        exchange = stokman_exchange(
            c.ideal[:, live], salience[:, live], c.capability, rounds=rounds, rng=0
        )
        stokman[live] = exchange.forecast
    frame = pd.DataFrame(rows)
    frame["stokman"] = stokman
    return frame


# --------------------------------------------------------------------------- simulation
def _t_interval(values: np.ndarray, confidence: float = 0.95) -> tuple[float, float, float]:
    """Mean and two-sided Student t confidence interval of the mean (NaN with < 2 values),
    clipped to the [0, 1] scale the terms (and so their mean) lie on.

    Examples
    --------
    >>> _t_interval(np.array([0.2, 0.4]))  # t(1) = 12.7: wider than the scale
    (0.30000000000000004, 0.0, 1.0)
    >>> _t_interval(np.array([0.7, 0.7, 0.7]))
    (0.7, 0.7, 0.7)
    """
    from scipy import stats

    n = values.size
    if n == 0:
        return np.nan, np.nan, np.nan
    mean = float(values.mean())
    if n < 2:
        return mean, np.nan, np.nan
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1) * values.std(ddof=1) / np.sqrt(n))
    return mean, max(mean - half, 0.0), min(mean + half, 1.0)


def compare_protocols(
    scenario: Scenario,
    protocols: Sequence[str] | None = None,
    runs: int = 20,
    master_seed: int | None = None,
    steps: int | None = None,
    members: Sequence[Scenario] | None = None,
) -> pd.DataFrame:
    """Run `scenario` under each protocol and tabulate the results per protocol and issue.

    Each protocol negotiates every issue (``dynamics.protocol`` set to it, the issues' own
    ``protocol`` fields cleared); each runs with the same `runs` seeds, derived from
    `master_seed` (:func:`lsr_sim.experiment.derive_seeds`), through the batch engine
    (:func:`lsr_sim.experiment.run_many`), and, with `members`, run r of every protocol with
    the same parameter values, those of ``members[r]``: the comparison then holds over those
    parameter draws (a posterior, :func:`lsr_sim.forecast.scenarios_per_run`), not at one
    point.

    Parameters
    ----------
    scenario : Scenario
        A validated scenario.
    protocols : sequence of str, optional
        Protocol names (see :func:`check_protocols`); default every registered protocol
        whose party constraint fits every issue (:func:`applicable_protocols`).
    runs : int
        Runs per protocol, >= 1.
    master_seed : int, optional
        Master seed of the runs' seeds; default ``scenario.run.seed``.
    steps : int, optional
        Steps per run; default ``scenario.run.steps``.
    members : sequence of Scenario, optional
        One scenario per run (`runs` of them): `scenario` with run r's parameter draw. The
        classic one-shot forecasts stay those of `scenario`.

    Returns
    -------
    pandas.DataFrame
        One row per protocol and issue (protocols in the order given, issues in scenario
        order), with the columns :data:`COLUMNS`:

        - ``runs``: the number of runs;
        - ``agreed_share``: share of runs in which the issue was agreed in negotiation at
          least once (deals of origin ``negotiation``; terms recorded by an ``agree`` event,
          the same under every protocol, do not count);
        - ``terms_mean``, ``terms_low``, ``terms_high``: the mean over those runs of the terms
          of the issue's first negotiated agreement, with the 95% Student t confidence
          interval of that mean, clipped to [0, 1] (NaN without agreement; the interval is
          NaN with one run);
        - ``first_step``, ``first_date``: the median, over those runs, of the step of the
          first negotiated agreement, and the date at the end of that step (rounded down to a
          whole day when the median falls between two steps);
        - ``vetoes_mean``: the mean number of vetoes per run that blocked terms including
          the issue;
        - :data:`FORECAST_COLUMNS`: the classic one-shot forecasts (:func:`classic_forecasts`),
          the same for every protocol.

    Raises
    ------
    ValueError
        Bad `protocols` (see :func:`check_protocols`), `runs` < 1, `steps` < 1, or not one
        of `members` per run.

    Examples
    --------
    >>> from lsr_sim.synthetic import synthetic_scenario
    >>> table = compare_protocols(synthetic_scenario(6, 2), ["nash", "bdm"], runs=2, steps=3)
    >>> table[["protocol", "issue", "runs"]]
      protocol issue  runs
    0     nash   I00     2
    1     nash   I01     2
    2      bdm   I00     2
    3      bdm   I01     2
    """
    from lsr_sim.experiment import derive_seeds, run_many

    names = check_protocols(scenario, protocols)
    if isinstance(runs, bool) or int(runs) != runs or runs < 1:
        raise ValueError(f"runs must be a whole number >= 1, got {runs!r}")
    steps = scenario.run.steps if steps is None else int(steps)
    if steps < 1:
        raise ValueError(f"steps must be a whole number >= 1, got {steps!r}")
    master = scenario.run.seed if master_seed is None else int(master_seed)
    seeds = derive_seeds(master, int(runs))
    if members is not None and len(members) != runs:
        raise ValueError(f"{len(members)} member scenarios for {runs} runs; give one per run")
    forecasts = classic_forecasts(scenario).set_index("issue")
    rows = []
    for name in names:
        if members is None:
            under: Scenario | list[Scenario] = _under(scenario, name)
        else:
            # each distinct draw once (runs often share one: draws are made with replacement)
            distinct = {id(member): _under(member, name) for member in members}
            under = [distinct[id(member)] for member in members]
        final = run_many(under, seeds, steps).final
        for k, issue in enumerate(scenario.issues):
            agreed = final["negotiated_step"][:, k] >= 0
            terms = final["negotiated_terms"][agreed, k]
            mean, low, high = _t_interval(terms)
            step = float(np.median(final["negotiated_step"][agreed, k])) if terms.size else np.nan
            rows.append(
                {
                    "protocol": name,
                    "issue": issue,
                    "runs": int(runs),
                    "agreed_share": terms.size / runs,
                    "terms_mean": mean,
                    "terms_low": low,
                    "terms_high": high,
                    "first_step": step,
                    "first_date": _date_of(scenario, step),
                    "vetoes_mean": float(final["vetoed"][:, k].sum()) / runs,
                    **forecasts.loc[issue].to_dict(),
                }
            )
    table = pd.DataFrame(rows, columns=list(COLUMNS))
    table["first_date"] = pd.to_datetime(table["first_date"]).astype("datetime64[ns]")
    return table


def _date_of(scenario: Scenario, step: float) -> dt.date | None:
    """The date at the end of (possibly fractional) `step`, rounded down to a day."""
    if not np.isfinite(step):
        return None
    return scenario.run.start_date + dt.timedelta(days=int(step * scenario.run.step_days))


# --------------------------------------------------------------------------- output
def format_comparison(table: pd.DataFrame) -> str:
    """The comparison as plain text: the simulation per protocol, then the classic forecasts.

    Examples
    --------
    >>> table = pd.DataFrame({
    ...     "protocol": ["nash"], "issue": ["refugees"], "runs": [20], "agreed_share": [0.35],
    ...     "terms_mean": [0.9], "terms_low": [0.9], "terms_high": [0.9], "first_step": [40.0],
    ...     "first_date": [pd.Timestamp("2025-09-14")], "vetoes_mean": [0.0], "nash": [0.9],
    ...     "bdm_median": [0.5], "bdm_mean": [0.501], "stokman": [0.676]})
    >>> print(format_comparison(table))
    protocol  issue     agreed  terms  95% interval   first step  first date  vetoes
    nash      refugees    0.35  0.900  [0.900, 0.900]       40.0  2025-09-14    0.00
    <BLANKLINE>
    classic forecasts (one shot, from the actors' positions, salience and capability):
    issue      nash  bdm median  bdm mean  stokman
    refugees  0.900       0.500     0.501    0.676
    """

    def number(value: Any, spec: str) -> str:
        return "-" if value is None or pd.isna(value) else format(value, spec)

    def interval(low: Any, high: Any) -> str:
        if pd.isna(low) or pd.isna(high):
            return "-"
        return f"[{low:.3f}, {high:.3f}]"

    def date(value: Any) -> str:
        return "-" if pd.isna(value) else pd.Timestamp(value).strftime("%Y-%m-%d")

    sim = pd.DataFrame(
        {
            "protocol": table["protocol"].astype(str),
            "issue": table["issue"].astype(str),
            "agreed": [number(v, ".2f") for v in table["agreed_share"]],
            "terms": [number(v, ".3f") for v in table["terms_mean"]],
            "95% interval": [
                interval(lo, hi)
                for lo, hi in zip(table["terms_low"], table["terms_high"], strict=True)
            ],
            "first step": [number(v, ".1f") for v in table["first_step"]],
            "first date": [date(v) for v in table["first_date"]],
            "vetoes": [number(v, ".2f") for v in table["vetoes_mean"]],
        }
    )
    forecasts = table.drop_duplicates("issue")
    classic = pd.DataFrame(
        {
            "issue": forecasts["issue"].astype(str),
            **{
                column.replace("_", " "): [number(v, ".3f") for v in forecasts[column]]
                for column in FORECAST_COLUMNS
            },
        }
    )
    return "\n".join(
        [
            _aligned(sim, left=("protocol", "issue")),
            "",
            "classic forecasts (one shot, from the actors' positions, salience and capability):",
            _aligned(classic, left=("issue",)),
        ]
    )


def _aligned(frame: pd.DataFrame, left: Sequence[str]) -> str:
    """Columns padded to their widths: `left` ones left-aligned, the others right-aligned."""
    widths = {c: max([len(c), *(len(v) for v in frame[c])]) for c in frame.columns}

    def cell(column: str, value: str) -> str:
        width = widths[column]
        return value.ljust(width) if column in left else value.rjust(width)

    lines = ["  ".join(cell(c, c) for c in frame.columns).rstrip()]
    for values in frame.itertuples(index=False):
        lines.append("  ".join(cell(c, v) for c, v in zip(frame.columns, values, strict=True)))
    return "\n".join(line.rstrip() for line in lines)


def plot_protocol_comparison(table: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Agreed terms per issue under each protocol, against the classic forecasts.

    One row per issue (scenario order, top to bottom). In each row, one coloured marker per
    protocol at its mean agreed terms, with its 95% interval as a horizontal bar, and the
    share of runs that agreed written beside it; protocols that never agreed on the issue
    have no marker. Black symbols on the row's centre line mark the classic one-shot
    forecasts: the Nash point, the BDM mean and Stokman's expected outcome, with the BDM
    median as a dashed line across the row (BDM and Stokman after ten rounds).

    Parameters
    ----------
    table : pandas.DataFrame
        As returned by :func:`compare_protocols` (read: ``protocol``, ``issue``,
        ``agreed_share``, ``terms_mean``, ``terms_low``, ``terms_high`` and the forecast
        columns present).
    ax : matplotlib.axes.Axes, optional
        Where to draw; default a new figure's Axes.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> table = pd.DataFrame({
    ...     "protocol": ["nash", "bdm"], "issue": ["refugees"] * 2, "agreed_share": [0.4, 0.0],
    ...     "terms_mean": [0.9, np.nan], "terms_low": [0.85, np.nan],
    ...     "terms_high": [0.95, np.nan], "nash": [0.9] * 2, "bdm_median": [0.5] * 2})
    >>> ax = plot_protocol_comparison(table)
    >>> [t.get_text() for t in ax.get_yticklabels()], [float(x) for x in ax.get_xlim()]
    (['refugees'], [-0.02, 1.02])
    """
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    needed = ["protocol", "issue", "agreed_share", "terms_mean", "terms_low", "terms_high"]
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"table must be a pandas DataFrame, got {type(table).__name__}")
    missing = [c for c in needed if c not in table.columns]
    if missing:
        raise ValueError(f"the table lacks the column(s) {', '.join(missing)}")
    if table.empty:
        raise ValueError("the table is empty: nothing to plot")
    issues = list(dict.fromkeys(table["issue"].astype(str)))
    protocols = list(dict.fromkeys(table["protocol"].astype(str)))
    if ax is None:
        fig = Figure(figsize=(8.0, 1.0 + 0.75 * len(issues)), layout="constrained")
        ax = fig.subplots()
    colors = _colors(len(protocols))
    span = 0.7  # of a row's height, shared by the protocols' markers
    # the first protocol on top of each row, as in the legend
    offsets = (
        np.linspace(span / 2, -span / 2, len(protocols)) if len(protocols) > 1 else np.zeros(1)
    )
    row_of = {issue: len(issues) - 1 - i for i, issue in enumerate(issues)}
    handles = []
    for protocol, color, offset in zip(protocols, colors, offsets, strict=True):
        part = table[table["protocol"].astype(str) == protocol]
        y = np.array([row_of[str(i)] for i in part["issue"]], dtype=float) + offset
        x = part["terms_mean"].to_numpy(dtype=float)
        low = part["terms_low"].to_numpy(dtype=float)
        high = part["terms_high"].to_numpy(dtype=float)
        err = np.vstack([np.nan_to_num(x - low), np.nan_to_num(high - x)])
        shown = np.isfinite(x)
        ax.errorbar(
            x[shown], y[shown], xerr=err[:, shown], fmt="o", color=color, ms=5, capsize=2,
            lw=1.2,
        )  # fmt: skip
        for xi, yi, share in zip(x[shown], y[shown], part["agreed_share"][shown], strict=True):
            ax.annotate(
                f"{share:.0%}", (xi, yi), xytext=(6, 0), textcoords="offset points",
                va="center", fontsize=6, color=color,
            )  # fmt: skip
        handles.append(Line2D([], [], color=color, marker="o", ls="-", ms=5, label=protocol))
    forecasts = table.drop_duplicates("issue")
    rows = np.array([row_of[str(i)] for i in forecasts["issue"]], dtype=float)
    if "bdm_median" in forecasts:  # a dashed line across the row, visible under the others
        for x, y in zip(forecasts["bdm_median"].to_numpy(dtype=float), rows, strict=True):
            if np.isfinite(x):
                ax.plot([x, x], [y - 0.45, y + 0.45], color="black", ls="--", lw=1.0, zorder=2)
        handles.append(Line2D([], [], color="black", ls="--", lw=1.0, label="BDM median"))
    markers = {
        "bdm_mean": ("d", "BDM mean"),
        "nash": ("X", "Nash point (parties)"),
        "stokman": ("*", "Stokman outcome"),
    }
    for column, (marker, label) in markers.items():
        if column not in forecasts:
            continue
        x = forecasts[column].to_numpy(dtype=float)
        ax.scatter(
            x, rows, marker=marker, s=60, zorder=3, linewidths=1.2, facecolors="none",
            edgecolors="black",
        )  # fmt: skip
        handles.append(
            Line2D([], [], color="black", marker=marker, ls="none", mfc="none", label=label)
        )
    for boundary in range(1, len(issues)):
        ax.axhline(boundary - 0.5, color="0.85", lw=0.8)
    ax.set_yticks(range(len(issues)), [issues[len(issues) - 1 - r] for r in range(len(issues))])
    ax.set_ylim(-0.5, len(issues) - 0.5)
    ax.set_xlim(-0.02, 1.02)  # markers at the scale's ends stay whole
    ax.set_xlabel("terms on the issue's [0, 1] scale (0 = scale.low, 1 = scale.high)")
    ax.grid(axis="x", color="0.92")
    ax.set_axisbelow(True)
    ax.legend(handles=handles, fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.set_title("Agreed terms under each protocol (mean, 95% interval, share of runs agreed)")
    return ax


def _colors(n: int) -> list[Any]:
    import matplotlib as mpl

    cmap = mpl.colormaps["tab10"]
    return [cmap(i % 10) for i in range(n)]
