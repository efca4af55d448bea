"""Scenario discovery over a sweep: which input values lead to an outcome of interest.

PRIM, the patient rule induction method (Friedman and Fisher 1999), used for scenario
discovery as in Bryant and Lempert (2010), and CART, both through EMA Workbench's analysis
module (``ema_workbench.analysis.prim`` and ``ema_workbench.analysis.cart``), plus
extra-trees feature scoring (``ema_workbench.analysis.feature_scoring``). Functions from
tables to tables, for notebooks as much as for ``lsr-sim discover DIR --outcome EXPR``:

- :func:`parse_outcome`: an outcome expression (see below) as an :class:`Outcome`, whose
  :meth:`Outcome.evaluate` marks the runs of interest in a table.
- :func:`discover`: PRIM's peeling trajectory, the chosen box (its limits per input and their
  quasi-p-values), CART's leaves and feature scores, for a runs table and an outcome. A pure
  function: table and outcome in, a :class:`Discovery` of named tables out.
- :func:`discovery_table`: the runs table of a sweep folder with each run's end state from
  its trajectories (``status_<issue>``, ``progress_<issue>``) when the sweep kept them.
- :func:`discover_sweep`: :func:`discover` over a sweep folder's swept parameters;
  :func:`write_discovery` saves the tables and figures; :func:`format_discovery` is the report.

Outcome expressions
-------------------
Exactly one of:

- ``COLUMN``: a column holding only 0 and 1 (or true and false); for instance an indicator
  you computed yourself.
- ``COLUMN OP NUMBER`` with OP one of ``<``, ``<=``, ``>``, ``>=``, ``==``, ``!=``: for
  instance ``rapprochement_index > 0.5`` or ``agreements >= 2``.
- ``COLUMN == WORD`` or ``COLUMN != WORD`` for a text column: for instance
  ``status_detainees == implemented`` (the word may be quoted).

A missing value (NaN: for instance ``weeks_to_agreement_detainees`` of a run in which the
detainees were never agreed) satisfies no comparison, ``!=`` included. Anything else
(arithmetic, ``and``/``or``, two columns) is refused, with the accepted forms in the message.

Which box is chosen
-------------------
PRIM peels a box step by step from the whole input space, trading coverage (the share of all
runs of interest that fall inside the box) for density (the share of the runs inside the box
that are of interest). Unless a box is named (``box=``), the chosen box is the densest one on
the trajectory that still covers at least ``min_coverage`` of the runs of interest (ties go
to the greater coverage, then to the earlier box). A restriction whose quasi-p-value
(a one-sided binomial test of the restriction, Bryant and Lempert 2010) is above 0.05 is
weak evidence that the limit matters; the report marks them.
"""

from __future__ import annotations

import contextlib
import io
import math
import operator
import os
import re
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lsr_sim.atomic import write_bytes_atomic
from lsr_sim.dynamics.status import STATUS_NAMES
from lsr_sim.errors import InputError
from lsr_sim.messages import did_you_mean

__all__ = [
    "DISCOVERY",
    "Discovery",
    "DiscoveryError",
    "Outcome",
    "discover",
    "discover_sweep",
    "discovery_table",
    "format_discovery",
    "parse_outcome",
    "require_discovery_libraries",
    "write_discovery",
]

#: Folder of a sweep folder that :func:`write_discovery` writes into by default.
DISCOVERY = "discovery"
#: Quasi-p-values above this mark a restriction as weak in the report.
QP_SIGNIFICANT = 0.05
#: Order of the tables of a :class:`Discovery`.
TABLES = ("prim_trajectory", "prim_box", "prim_boxes", "cart_leaves", "cart_limits", "scores")

_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}
_EXPRESSION = re.compile(
    r"^\s*(?P<column>[A-Za-z_][\w.]*)\s*(?:(?P<op><=|>=|==|!=|<|>)\s*(?P<value>.*?))?\s*$"
)
_WORD = re.compile(r"""^(?:'(?P<single>[^']*)'|"(?P<double>[^"]*)"|(?P<bare>[\w.-]+))$""")
_FORMS = (
    "write COLUMN (a 0/1 column), COLUMN OP NUMBER with OP one of < <= > >= == != "
    "(e.g. 'rapprochement_index > 0.5'), or COLUMN == WORD for a text column "
    "(e.g. 'status_detainees == implemented')"
)
_BOOKKEEPING = ("run_key", "run", "point", "replication", "scenario", "seed", "step", "date")


class DiscoveryError(ValueError):
    """A request :func:`discover` cannot answer; ``option`` names the argument at fault."""

    def __init__(self, option: str, message: str) -> None:
        self.option = option
        super().__init__(message)


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    # EMA Workbench warns on import about optional parallel back-ends this module never uses.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", module=r"ema_workbench(\..*)?")
        warnings.filterwarnings("ignore", message=r".*ipyparallel.*")
        yield


def require_discovery_libraries(what: str = "scenario discovery") -> None:
    """Raise :class:`InputError` with the install line if EMA Workbench or sklearn is absent."""
    try:
        with _quiet():
            import ema_workbench  # noqa: F401
            import sklearn  # noqa: F401
    except ImportError as exc:
        raise InputError(
            "command line",
            "discover",
            f"{what} needs EMA Workbench and scikit-learn ({exc.name} is missing): "
            "pip install 'lsr_sim[discover]'",
        ) from None


# --------------------------------------------------------------------------- outcomes


@dataclass(frozen=True)
class Outcome:
    """A parsed outcome expression (see the module's documentation for the forms).

    Examples
    --------
    >>> table = pd.DataFrame({"x": [0.2, 0.7, np.nan], "s": ["open", "implemented", "open"]})
    >>> parse_outcome("x > 0.5").evaluate(table).tolist()
    [False, True, False]
    >>> parse_outcome("s == 'implemented'").evaluate(table).tolist()
    [False, True, False]
    """

    text: str
    column: str
    op: str | None = None
    value: float | str | None = None

    def evaluate(self, table: pd.DataFrame) -> np.ndarray:
        """A boolean array: which rows of `table` satisfy the expression.

        Raises
        ------
        DiscoveryError
            (option ``"outcome"``) if the column is missing, or its kind (numbers, text,
            0/1) does not fit the expression.
        """
        if self.column not in table.columns:
            names = [str(c) for c in table.columns if c not in _BOOKKEEPING and c != "error"]
            raise DiscoveryError(
                "outcome",
                f"no column {self.column!r} in the runs table{did_you_mean(self.column, names)}; "
                f"columns: {', '.join(names)}",
            )
        values = table[self.column]
        numeric = pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values)
        if isinstance(self.value, str):
            if numeric:
                raise DiscoveryError(
                    "outcome",
                    f"{self.column!r} holds numbers; compare it with a number, "
                    f"e.g. '{self.column} > 0.5'",
                )
            self._check_word(values)
            compare = _OPERATORS[self.op or "=="]  # a word comes only with == or !=
            matched = compare(values.astype(object), self.value).to_numpy(dtype=bool)
            return values.notna().to_numpy() & matched
        if not numeric:
            words = _words(values) or ["x"]
            raise DiscoveryError(
                "outcome",
                f"{self.column!r} holds text; compare it with == or != and one of its values, "
                f"e.g. '{self.column} == {words[0]}' (values: {', '.join(words)})",
            )
        number = values.astype(float).to_numpy()
        if self.op is None:
            other = number[~np.isnan(number) & (number != 0) & (number != 1)]
            if other.size:
                raise DiscoveryError(
                    "outcome",
                    f"{self.column!r} holds values other than 0 and 1 (e.g. {other[0]:g}); "
                    f"compare it with a number, e.g. '{self.column} > {other[0]:g}'",
                )
            return number == 1
        with np.errstate(invalid="ignore"):
            return ~np.isnan(number) & _OPERATORS[self.op](number, self.value)

    def _check_word(self, values: pd.Series) -> None:
        known = set(_words(values))
        if self.column.startswith("status_"):
            known.update(STATUS_NAMES)
        if self.value not in known:
            raise DiscoveryError(
                "outcome",
                f"{self.value!r} is not a value of {self.column!r}"
                f"{did_you_mean(str(self.value), known)}; its values: {', '.join(sorted(known))}",
            )


def _words(values: pd.Series) -> list[str]:
    return sorted({str(v) for v in values.dropna()})


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def parse_outcome(text: str) -> Outcome:
    """Parse an outcome expression (the forms are in the module's documentation).

    Raises
    ------
    DiscoveryError
        (option ``"outcome"``) for anything but the accepted forms.

    Examples
    --------
    >>> parse_outcome("rapprochement_index > 0.5")
    Outcome(text='rapprochement_index > 0.5', column='rapprochement_index', op='>', value=0.5)
    >>> parse_outcome("agreed")
    Outcome(text='agreed', column='agreed', op=None, value=None)
    >>> parse_outcome("a + b > 1")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    lsr_sim.sweep.discovery.DiscoveryError: 'a + b > 1' is not an outcome expression; ...
    """
    match = _EXPRESSION.match(text)
    if match is None or (match["op"] is not None and not match["value"]):
        raise DiscoveryError("outcome", f"{text!r} is not an outcome expression; {_FORMS}")
    column, op, raw = match["column"], match["op"], match["value"]
    if op is None:
        return Outcome(text.strip(), column)
    number = _number(raw)
    if number is None:
        word = _WORD.match(raw)
        if word is None:
            raise DiscoveryError("outcome", f"{text!r} is not an outcome expression; {_FORMS}")
        if op not in ("==", "!="):
            raise DiscoveryError(
                "outcome",
                f"{text!r} compares text with {op}; text is compared only with == or != "
                f"(e.g. '{column} == {raw}')",
            )
        value = next(w for w in (word["single"], word["double"], word["bare"]) if w is not None)
        return Outcome(text.strip(), column, op, value)
    if not math.isfinite(number):
        raise DiscoveryError("outcome", f"{text!r} compares with {raw}; use a finite number")
    return Outcome(text.strip(), column, op, number)


# --------------------------------------------------------------------------- discovery


@dataclass(frozen=True)
class Discovery:
    """What :func:`discover` found; :meth:`tables` gives the named tables.

    Attributes
    ----------
    outcome : str
        The outcome expression.
    inputs : tuple of str
        The inputs PRIM, CART and the feature scores looked at (constant ones left out).
    runs, cases : int
        Runs analysed and, among them, runs of interest.
    chosen : int
        Index of the chosen box on PRIM's peeling trajectory.
    prim_trajectory : DataFrame
        One row per box: ``box``, ``coverage``, ``density``, ``mass``, ``runs``, ``cases``,
        ``restricted`` (number of restricted inputs), ``chosen``.
    prim_box : DataFrame
        The chosen box, one row per input: ``input``, ``min``, ``max``, ``restricted``,
        ``qp_min``, ``qp_max`` (quasi-p-values of the lower and upper limit; NaN where the
        limit is not restricted), ``sweep_min``, ``sweep_max`` (the range swept).
    prim_boxes : DataFrame
        The same for every box on the trajectory, with a ``box`` column.
    cart_leaves : DataFrame
        CART's terminal leaves: ``leaf``, ``coverage``, ``density``, ``mass``, ``runs``,
        ``cases``, ``restricted``, ``predicts`` (whether the leaf predicts the outcome).
    cart_limits : DataFrame
        Each leaf's limits: ``leaf``, ``input``, ``min``, ``max``, ``restricted``.
    scores : DataFrame
        Extra-trees feature scores of every input: ``input``, ``importance``, ``rank``
        (1 = most important).
    tree : sklearn.tree.DecisionTreeClassifier
        The fitted CART tree (for :func:`lsr_sim.sweep.plots.plot_tree`).
    notes : tuple of str
        What was left out and why.
    """

    outcome: str
    inputs: tuple[str, ...]
    runs: int
    cases: int
    chosen: int
    min_coverage: float
    prim_trajectory: pd.DataFrame
    prim_box: pd.DataFrame
    prim_boxes: pd.DataFrame
    cart_leaves: pd.DataFrame
    cart_limits: pd.DataFrame
    scores: pd.DataFrame
    tree: Any = field(repr=False)
    notes: tuple[str, ...] = ()

    def tables(self) -> dict[str, pd.DataFrame]:
        """The named tables, in the order of ``TABLES``."""
        return {name: getattr(self, name) for name in TABLES}


def _inputs(table: pd.DataFrame, inputs: Sequence[str]) -> tuple[list[str], list[str]]:
    """The usable inputs and notes on the ones left out (constant)."""
    if not inputs:
        raise DiscoveryError("inputs", "no inputs given; name the swept parameters to look at")
    names = [str(c) for c in table.columns]
    notes = []
    kept = []
    for name in inputs:
        if name not in table.columns:
            raise DiscoveryError(
                "inputs", f"no column {name!r} in the runs table{did_you_mean(name, names)}"
            )
        column = table[name]
        if not (pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column)):
            raise DiscoveryError("inputs", f"input {name!r} is not numeric")
        if column.nunique(dropna=True) < 2:
            notes.append(f"input {name} takes one value in these runs and is left out")
            continue
        kept.append(name)
    if not kept:
        raise DiscoveryError("inputs", "every input is constant in these runs; nothing to split")
    return kept, notes


def _qp(values: Sequence[float] | None) -> tuple[float, float]:
    if values is None:
        return math.nan, math.nan
    low, high = (float(v) for v in values)
    return (math.nan if low < 0 else low), (math.nan if high < 0 else high)


def _limits_rows(
    lims: pd.DataFrame, qp: Mapping[str, Sequence[float]], init: pd.DataFrame, inputs: list[str]
) -> list[dict[str, Any]]:
    rows = []
    for name in inputs:
        low, high = float(lims.loc[0, name]), float(lims.loc[1, name])
        qp_min, qp_max = _qp(qp.get(name))
        rows.append(
            {
                "input": name,
                "min": low,
                "max": high,
                "restricted": name in qp,
                "qp_min": qp_min,
                "qp_max": qp_max,
                "sweep_min": float(init.loc[0, name]),
                "sweep_max": float(init.loc[1, name]),
            }
        )
    return rows


def _choose(trajectory: pd.DataFrame, min_coverage: float, box: int | None) -> int:
    last = len(trajectory) - 1
    if box is not None:
        if not 0 <= box <= last:
            raise DiscoveryError(
                "box", f"box {box} is not on the peeling trajectory; pick one of 0..{last}"
            )
        return box
    # Coverage is compared with a little slack: it is a ratio of counts, and 0.5 must keep 0.5.
    covered = trajectory[trajectory["coverage"] >= min_coverage - 1e-12]
    ranked = covered.sort_values(
        ["density", "coverage", "box"], ascending=[False, False, True], kind="stable"
    )
    return int(ranked["box"].iloc[0])  # box 0 covers everything: never empty


def discover(
    table: pd.DataFrame,
    outcome: str | Outcome,
    inputs: Sequence[str],
    *,
    min_coverage: float = 0.5,
    box: int | None = None,
    peel_alpha: float = 0.05,
    paste_alpha: float = 0.05,
    mass_min: float = 0.05,
    trees: int = 100,
    seed: int = 0,
) -> Discovery:
    """PRIM, CART and feature scores: where in `inputs` is `outcome` true?

    Parameters
    ----------
    table : pandas.DataFrame
        One row per run: the inputs and the outcome's column (a sweep's runs table, e.g.
        :func:`discovery_table`, or any table of that shape). Rows with a non-empty
        ``error`` column (failed runs) are left out.
    outcome : str or Outcome
        An outcome expression (see the module's documentation).
    inputs : sequence of str
        The numeric columns to explain the outcome with (a sweep's parameters). Integer
        columns are cast to float (EMA Workbench's PRIM mishandles them under pandas 3);
        constant ones are left out with a note.
    min_coverage : float
        The chosen box is the densest on the peeling trajectory whose coverage is at least
        this (default 0.5). Ignored if `box` is given.
    box : int, optional
        Choose this box of the peeling trajectory instead.
    peel_alpha, paste_alpha, mass_min : float
        PRIM's peeling and pasting fractions and smallest box mass (EMA Workbench's
        defaults); `mass_min` is also CART's smallest leaf, as a share of the runs.
    trees : int
        Trees of the extra-trees forest of the feature scores.
    seed : int
        Seed of CART's and the forest's tie-breaking and sampling (PRIM is deterministic).

    Returns
    -------
    Discovery

    Raises
    ------
    DiscoveryError
        With ``option`` naming the argument: a bad outcome expression or column, an outcome
        true in no run or in every run, an unknown or non-numeric input, a box not on the
        trajectory, a parameter out of range.
    """
    if not 0.0 <= float(min_coverage) <= 1.0:
        raise DiscoveryError("min-coverage", f"must be between 0 and 1, got {min_coverage!r}")
    for name, value in (("peel_alpha", peel_alpha), ("paste_alpha", paste_alpha)):
        if not 0.0 < float(value) < 1.0:
            raise DiscoveryError(name, f"must be between 0 and 1 (exclusive), got {value!r}")
    if not 0.0 < float(mass_min) < 1.0:
        raise DiscoveryError("mass_min", f"must be between 0 and 1 (exclusive), got {mass_min!r}")
    if trees < 1:
        raise DiscoveryError("trees", f"must be >= 1, got {trees!r}")
    parsed = parse_outcome(outcome) if isinstance(outcome, str) else outcome
    notes: list[str] = []
    rows = table
    if "error" in table.columns:
        failed = table["error"].fillna("").astype(str) != ""
        if failed.any():
            notes.append(f"{int(failed.sum())} failed run(s) left out")
            rows = table[~failed]
    if rows.empty:
        raise DiscoveryError("outcome", "the table holds no successful run; nothing to discover")
    y_bool = parsed.evaluate(rows)
    cases = int(y_bool.sum())
    if cases == 0 or cases == len(rows):
        which = "none" if cases == 0 else "all"
        raise DiscoveryError(
            "outcome",
            f"{parsed.text!r} is true in {which} of the {len(rows)} runs; nothing to discover "
            "(choose a threshold that some runs meet and some do not)",
        )
    kept, input_notes = _inputs(rows, inputs)
    notes += input_notes
    x = rows[kept].astype(float).reset_index(drop=True)
    y = y_bool.astype(int)

    with _quiet():
        from ema_workbench.analysis import cart, prim
        from ema_workbench.analysis.feature_scoring import get_ex_feature_scores
        from ema_workbench.analysis.scenario_discovery_util import RuleInductionType
        from sklearn.tree import DecisionTreeClassifier

        peeler = prim.Prim(x, y, peel_alpha=peel_alpha, paste_alpha=paste_alpha, mass_min=mass_min)
        found = peeler.find_box()
        init = peeler.box_init

        tree = cart.CART(x, y, mass_min=mass_min)
        # CART.build_tree fits sklearn's classifier without a random_state, so ties between
        # equally good splits would be broken by numpy's global state; fit it seeded instead
        # (same settings, and CART reads its leaves from .clf).
        tree.clf = DecisionTreeClassifier(
            min_samples_leaf=max(1, int(mass_min * len(x))), random_state=seed
        ).fit(x.to_numpy(), y)
        leaves, stats = tree.boxes, tree.stats

        scores, _ = get_ex_feature_scores(
            x,
            y,
            mode=RuleInductionType.CLASSIFICATION,
            nr_trees=trees,
            max_features=max(1, round(len(kept) / 3)),
            random_state=seed,
        )

    path = found.peeling_trajectory
    trajectory = pd.DataFrame(
        {
            "box": np.arange(len(path), dtype="int64"),
            "coverage": path["coverage"].to_numpy(dtype=float),
            "density": path["density"].to_numpy(dtype=float),
            "mass": path["mass"].to_numpy(dtype=float),
            "runs": path["n"].to_numpy(dtype="int64"),
            "cases": path["k"].to_numpy(dtype="int64"),
            "restricted": path["res_dim"].to_numpy(dtype="int64"),
        }
    )
    chosen = _choose(trajectory, float(min_coverage), box)
    trajectory["chosen"] = trajectory["box"] == chosen
    all_boxes = pd.DataFrame(
        [
            {"box": i, **row}
            for i, (lims, qp) in enumerate(zip(found.box_lims, found.p_values, strict=True))
            for row in _limits_rows(lims, qp, init, kept)
        ]
    )
    chosen_box = all_boxes[all_boxes["box"] == chosen].drop(columns="box").reset_index(drop=True)

    leaf_rows, limit_rows = [], []
    for leaf, (lims, stat) in enumerate(zip(leaves, stats, strict=True)):
        for name in kept:
            low, high = float(lims.loc[0, name]), float(lims.loc[1, name])
            restricted = low > float(init.loc[0, name]) or high < float(init.loc[1, name])
            limit_rows.append(
                {"leaf": leaf, "input": name, "min": low, "max": high, "restricted": restricted}
            )
        members = round(float(stat["mass"]) * len(x))
        leaf_rows.append(
            {
                "leaf": leaf,
                "coverage": float(stat["coverage"]),
                "density": float(stat["density"]),
                "mass": float(stat["mass"]),
                "runs": members,
                "cases": round(float(stat["coverage"]) * cases),
                "restricted": int(stat["res dim"]),
                "predicts": float(stat["density"]) > 0.5,
            }
        )
    score_table = pd.DataFrame(
        {
            "input": [str(name) for name in scores.index],
            "importance": scores.iloc[:, 0].to_numpy(dtype=float),
        }
    )
    score_table["rank"] = np.arange(1, len(score_table) + 1, dtype="int64")
    return Discovery(
        outcome=parsed.text,
        inputs=tuple(kept),
        runs=len(rows),
        cases=cases,
        chosen=chosen,
        min_coverage=float(min_coverage),
        prim_trajectory=trajectory,
        prim_box=chosen_box,
        prim_boxes=all_boxes,
        cart_leaves=pd.DataFrame(leaf_rows),
        cart_limits=pd.DataFrame(limit_rows),
        scores=score_table,
        tree=tree.clf,
        notes=tuple(notes),
    )


# --------------------------------------------------------------------------- sweep folders


def _run_steps(runs: pd.DataFrame, manifest: Mapping[str, Any]) -> np.ndarray:
    if "run.steps" in runs.columns:  # steps varied as a parameter
        return runs["run.steps"].to_numpy(dtype=float)
    steps = manifest.get("steps") or {}
    return runs["scenario"].map(lambda name: steps.get(str(name), math.nan)).to_numpy(dtype=float)


def _end_state(
    folder: Path, runs: pd.DataFrame, manifest: Mapping[str, Any]
) -> pd.DataFrame | None:
    """Each run's last trajectory row (columns the runs table lacks), if it is the run's end."""
    parts = sorted((folder / "trajectories").glob("part-*.parquet"))
    if not parts or runs.empty:
        return None
    import pyarrow.parquet as pq

    names = pq.read_schema(parts[0]).names
    extra = [n for n in names if n not in runs.columns and n not in _BOOKKEEPING]
    if not extra:
        return None
    try:
        frames = [pd.read_parquet(p, columns=["run_key", "step", *extra]) for p in parts]
    except Exception as exc:  # pyarrow raises several unrelated types for a bad file
        raise InputError(str(folder / "trajectories"), "", f"cannot read a part: {exc}") from exc
    paths = pd.concat(frames, ignore_index=True)
    last = paths.sort_values(["run_key", "step"], kind="stable").drop_duplicates(
        "run_key", keep="last"
    )
    merged = runs[["run_key"]].merge(last, on="run_key", how="left")
    if (merged["step"].to_numpy(dtype=float) != _run_steps(runs, manifest)).any():
        return None  # trajectories that stop before the end (or are missing) say nothing of it
    return merged.drop(columns="step")


def discovery_table(out_dir: str | os.PathLike[str]) -> pd.DataFrame:
    """The runs table of a sweep folder, with each run's end state from its trajectories.

    The runs table holds the numeric outcomes only; a sweep that kept trajectories with an
    ``every`` dividing its steps also recorded each run's last step, and its columns the runs
    table lacks (``status_<issue>``, ``progress_<issue>``, trust between every pair) are
    added. Without such trajectories this is :func:`lsr_sim.sweep.analysis.read_runs`.
    """
    from lsr_sim.sweep.analysis import read_manifest, read_runs

    runs = read_runs(out_dir)
    end = _end_state(Path(out_dir), runs, read_manifest(out_dir))
    return runs if end is None else runs.merge(end, on="run_key", how="left")


def discover_sweep(
    out_dir: str | os.PathLike[str],
    outcome: str,
    *,
    scenario: str | None = None,
    **options: Any,
) -> Discovery:
    """:func:`discover` over the swept parameters of a sweep folder (:func:`discovery_table`).

    Parameters
    ----------
    out_dir : str or os.PathLike
        A folder written by ``lsr-sim sweep``.
    outcome : str
        An outcome expression.
    scenario : str, optional
        Look at this scenario's runs only; by default the runs of every scenario are pooled.
    **options
        Passed to :func:`discover` (``min_coverage``, ``box``, ``seed``, ...).
    """
    from lsr_sim.sweep.analysis import read_manifest

    parsed = parse_outcome(outcome)
    manifest = read_manifest(out_dir)
    table = discovery_table(out_dir)
    notes = []
    names = sorted({str(s) for s in table["scenario"]}) if "scenario" in table else []
    if scenario is not None:
        if scenario not in names:
            raise DiscoveryError(
                "scenario",
                f"no scenario {scenario!r} in this sweep{did_you_mean(scenario, names)}; "
                f"it has: {', '.join(names)}",
            )
        table = table[table["scenario"].astype(str) == scenario]
    elif len(names) > 1:
        notes.append(
            f"the runs of {len(names)} scenarios ({', '.join(names)}) are pooled; "
            "--scenario NAME looks at one"
        )
    end_state = any(str(c).startswith("status_") for c in table.columns)
    if not end_state and parsed.column.startswith(("status_", "progress_")):
        raise DiscoveryError(
            "outcome",
            f"{parsed.column!r} is an end state kept only in trajectories; add "
            "`trajectories: {every: K}` with K dividing the steps (K = steps keeps one row per "
            "run) to the sweep file, and run the sweep again with --fresh",
        )
    inputs = list((manifest.get("design") or {}).get("parameters") or [])
    if not inputs:
        raise DiscoveryError("inputs", "the sweep varied no parameter; nothing to discover")
    result = discover(table, parsed, inputs, **options)
    return _with_notes(result, notes)


def _with_notes(result: Discovery, notes: Sequence[str]) -> Discovery:
    import dataclasses

    return dataclasses.replace(result, notes=(*notes, *result.notes)) if notes else result


# --------------------------------------------------------------------------- writing


def _table_bytes(table: pd.DataFrame, fmt: str) -> bytes:
    buffer = io.BytesIO()
    if fmt == "parquet":
        table.to_parquet(buffer, index=False)
    else:
        buffer.write(table.to_csv(index=False, lineterminator="\n").encode("utf-8"))
    return buffer.getvalue()


def write_discovery(
    result: Discovery,
    out_dir: str | os.PathLike[str],
    *,
    fmt: str = "csv",
    figures: bool = True,
    dpi: float = 120,
) -> list[Path]:
    """Write the tables, ``report.txt`` and (with `figures`) the figures of `result`.

    Tables as ``<name>.csv`` or ``<name>.parquet`` (`fmt`), in the order of ``TABLES``;
    figures in ``figures/``: ``prim_tradeoff.png``, ``prim_box.png``, ``cart_tree.png``,
    ``feature_scores.png``. Every file is written atomically (a temporary file, then a rename)
    and without time stamps: the same result gives byte-identical files.

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    if fmt not in ("csv", "parquet"):
        raise DiscoveryError("format", f"is {fmt!r}; expected csv or parquet")
    out = Path(out_dir)
    written = [
        write_bytes_atomic(out / f"{name}.{fmt}", _table_bytes(table, fmt))
        for name, table in result.tables().items()
    ]
    report = format_discovery(result) + "\n"
    written.append(write_bytes_atomic(out / "report.txt", report.encode("utf-8")))
    if figures:
        from lsr_sim.sweep.plots import save_discovery_figures

        title = f"PRIM box {result.chosen} for {result.outcome}"
        written += save_discovery_figures(
            result.tables(), result.tree, result.inputs, out / "figures", title=title, dpi=dpi
        )
    return written


# --------------------------------------------------------------------------- report


def _num(value: float) -> str:
    return "-" if not math.isfinite(value) else f"{value:.4g}"


def _qp_text(value: float) -> str:
    if not math.isfinite(value):
        return "-"
    mark = "" if value <= QP_SIGNIFICANT else " (weak)"
    return f"{value:.2g}{mark}"


def _rule(limit: Any, box: pd.DataFrame) -> str:
    """A CART leaf's limit on one input: a split sends ``<= t`` left and ``> t`` right."""
    swept = box.set_index("input").loc[limit.input]
    low = limit.min > swept["sweep_min"]
    high = limit.max < swept["sweep_max"]
    if low and high:
        return f"{_num(limit.min)} < {limit.input} <= {_num(limit.max)}"
    return f"{limit.input} > {_num(limit.min)}" if low else f"{limit.input} <= {_num(limit.max)}"


def format_discovery(result: Discovery) -> str:
    """The report ``lsr-sim discover`` prints: the chosen box, CART's leaves, the scores."""
    share = result.cases / result.runs
    lines = [
        f"scenario discovery: {result.outcome}",
        f"{result.runs} runs, {result.cases} of interest ({share:.1%})",
    ]
    lines += [f"note: {note}" for note in result.notes]
    path = result.prim_trajectory
    row = path.iloc[result.chosen]
    lines += [
        "",
        f"PRIM: {len(path)} boxes on the peeling trajectory; box {result.chosen} chosen "
        f"(the densest covering at least {result.min_coverage:g} of the runs of interest, "
        "unless --box named one)",
        f"  coverage {row['coverage']:.3f}, density {row['density']:.3f}, "
        f"mass {row['mass']:.3f} ({row['runs']} runs, {row['cases']} of interest), "
        f"{row['restricted']} restricted input(s)",
    ]
    box = result.prim_box
    restricted = box[box["restricted"]]
    if restricted.empty:
        lines.append("  no input is restricted: the box is the whole swept space")
    else:
        width = max(len("input"), *(len(n) for n in restricted["input"]))
        lines.append(
            f"  {'input':<{width}}  {'min':>8}  {'max':>8}  {'swept range':>19}  quasi-p (min; max)"
        )
        for item in restricted.itertuples(index=False):
            swept = f"[{_num(item.sweep_min)}, {_num(item.sweep_max)}]"
            lines.append(
                f"  {item.input:<{width}}  {_num(item.min):>8}  {_num(item.max):>8}  "
                f"{swept:>19}  {_qp_text(item.qp_min)}; {_qp_text(item.qp_max)}"
            )
    leaves = result.cart_leaves
    predicting = leaves[leaves["predicts"]]
    lines += [
        "",
        f"CART: {len(leaves)} leaves, {len(predicting)} predicting the outcome (density above 0.5)",
    ]
    for leaf in predicting.sort_values("coverage", ascending=False).itertuples(index=False):
        limits = result.cart_limits
        rules = limits[(limits["leaf"] == leaf.leaf) & limits["restricted"]]
        text = ", ".join(_rule(r, result.prim_box) for r in rules.itertuples(index=False))
        lines.append(
            f"  leaf {leaf.leaf}: coverage {leaf.coverage:.3f}, density {leaf.density:.3f}: "
            f"{text or 'everywhere'}"
        )
    lines += ["", "feature scores (extra trees, importance):"]
    width = max(len(n) for n in result.scores["input"])
    for item in result.scores.itertuples(index=False):
        lines.append(f"  {item.rank:>2}. {item.input:<{width}}  {item.importance:.3f}")
    return "\n".join(lines)
