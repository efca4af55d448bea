"""Read the input tables of the classic models: actors with capability, position, salience.

Two forms of CSV, as in the literature (Bueno de Mesquita 1994; Stokman's exchange model):

- one issue: a header ``actor,capability,position,salience`` and one row per actor;
- several issues (long form): the same columns plus ``issue``, one row per actor and issue.
  Every actor needs a row on every issue.

Column names may be in any case and order, with spaces around them; other columns are
ignored. ``capability`` is a number >= 0 on any scale (only ratios matter), ``position`` a
number on the issue's scale, ``salience`` a share in [0, 1]. Blank lines are skipped.

Any problem raises one :class:`~lsr_sim.errors.InputError` naming the file, the line and
column, and the fix, for example::

    data/ec.csv: line 4, salience: 80 is outside [0, 1]; give salience as a share (0.8 for 80)
"""

from __future__ import annotations

import difflib
import io
import os
import re
from pathlib import Path

import pandas as pd

from lsr_sim.errors import InputError
from lsr_sim.inputs import read_input_text
from lsr_sim.messages import FileKind

__all__ = ["COLUMNS", "ISSUE_COLUMN", "read_actor_table", "split_issues"]

COLUMNS = ("actor", "capability", "position", "salience")
"""The columns every table needs."""
ISSUE_COLUMN = "issue"
"""The extra column of the long form (several issues)."""

_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_HEADER = ",".join(COLUMNS)
ACTOR_TABLE = FileKind(
    "actor table", "data/classic/", "actor,capability,position,salience", InputError, "CSV"
)


def read_actor_table(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read and check a table of actors (one issue, or the long form with ``issue``).

    Parameters
    ----------
    path : str or path-like
        A CSV file.

    Returns
    -------
    pandas.DataFrame
        Columns ``actor`` (str), ``capability``, ``position``, ``salience`` (float), and
        first ``issue`` (str) for the long form; one row per row of the file, in its order.
        ``frame.attrs["source"]`` is the file name.

    Raises
    ------
    InputError
        The file is missing or not UTF-8 text or not CSV, is empty, lacks a column, has a
        value that is not a number, a negative capability, a salience outside [0, 1], an
        actor twice (on one issue), fewer than 2 actors (on an issue), no actor with both
        capability and salience above 0, or (long form) an actor without a row on some
        issue.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "two.csv").write_text(
    ...     "Actor,Capability,Position,Salience\\nA,1,0,0.5\\nB,2,10,1\\n")
    >>> read_actor_table(folder / "two.csv")
      actor  capability  position  salience
    0     A         1.0       0.0       0.5
    1     B         2.0      10.0       1.0
    >>> _ = (folder / "bad.csv").write_text("actor,capability,position,salience\\nA,1,0,80\\n")
    >>> read_actor_table(folder / "bad.csv")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    lsr_sim.errors.InputError: .../bad.csv: line 2, salience: 80 is outside [0, 1]; ...
    """
    source = str(path)
    raw = _read_raw(Path(path), source)
    columns = _columns(raw.iloc[0].tolist(), source)
    long_form = ISSUE_COLUMN in columns
    wanted = ([ISSUE_COLUMN] if long_form else []) + list(COLUMNS)
    rows = raw.iloc[1:]
    rows = rows[~rows.apply(lambda row: all(not str(v).strip() for v in row), axis=1)]
    if rows.empty:
        raise InputError(
            source, "", f"has a header but no actors; add one row per actor under {_HEADER}"
        )
    lines = [int(k) + 1 for k in rows.index]  # raw row k is line k + 1 of the file
    records: dict[str, list[object]] = {name: [] for name in wanted}
    for line, (_, row) in zip(lines, rows.iterrows(), strict=True):
        for name in wanted:
            text = str(row[columns[name]]).strip()
            records[name].append(_cell(text, name, line, source))
    table = pd.DataFrame(records, columns=wanted)
    table[["capability", "position", "salience"]] = table[
        ["capability", "position", "salience"]
    ].astype(float)
    _check_table(table, lines, source, long_form)
    table.attrs["source"] = source
    return table


def split_issues(table: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The table of each issue (in the order they first appear), without the issue column.

    A one-issue table (no ``issue`` column) comes back as ``{"": table}``.

    Examples
    --------
    >>> long = pd.DataFrame({"issue": ["p", "q", "p", "q"], "actor": ["A", "A", "B", "B"],
    ...                      "capability": [1.0] * 4, "position": [0.0, 1, 2, 3],
    ...                      "salience": [0.5] * 4})
    >>> {name: list(part["position"]) for name, part in split_issues(long).items()}
    {'p': [0.0, 2.0], 'q': [1.0, 3.0]}
    """
    if ISSUE_COLUMN not in table:
        return {"": table.reset_index(drop=True)}
    return {
        str(name): part.drop(columns=ISSUE_COLUMN).reset_index(drop=True)
        for name, part in table.groupby(ISSUE_COLUMN, sort=False)
    }


# --------------------------------------------------------------------------- reading
def _read_raw(path: Path, source: str) -> pd.DataFrame:
    """Every line of the file as strings (header included), one row per line."""
    if path.is_dir():
        raise InputError(source, "", "is a folder; expected a CSV file")
    text = read_input_text(path, ACTOR_TABLE)  # within the size limit, UTF-8
    try:
        raw = pd.read_csv(
            io.StringIO(text),
            header=None,
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=False,
        )
    except pd.errors.EmptyDataError:
        raise InputError(
            source, "", f"file is empty; expected a CSV table with the header {_HEADER}"
        ) from None
    except pd.errors.ParserError as exc:
        detail = str(exc).strip().splitlines()[-1]
        detail = detail.removeprefix("Error tokenizing data. C error: ")
        raise InputError(
            source, "", f"is not a valid CSV table ({detail}); give each row the header's columns"
        ) from None
    if raw.empty:
        raise InputError(
            source, "", f"file is empty; expected a CSV table with the header {_HEADER}"
        )
    return raw


def _columns(header: list[str], source: str) -> dict[str, int]:
    """Position of each known column in the header (case and spaces ignored)."""
    names = [str(h).strip().lower() for h in header]
    found: dict[str, int] = {}
    for i, name in enumerate(names):
        if name in (*COLUMNS, ISSUE_COLUMN):
            if name in found:
                raise InputError(
                    source, f"line 1, {name}", "the column appears twice in the header; keep one"
                )
            found[name] = i
    missing = [c for c in COLUMNS if c not in found]
    if missing:
        name = missing[0]
        if len(names) == 1 and ";" in names[0]:
            hint = "; the file seems to use ';' between fields: separate them with commas"
        else:
            others = [n for n in names if n not in found]
            close = difflib.get_close_matches(name, others, n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            hint += f"; the header needs {_HEADER}"
        raise InputError(source, name, f"column missing{hint}")
    return found


def _cell(text: str, name: str, line: int, source: str) -> object:
    """One value, checked: a name for actor and issue, a number otherwise."""
    where = f"line {line}, {name}"
    if name in ("actor", ISSUE_COLUMN):
        if not text:
            raise InputError(source, where, f"is empty; give the {name}'s name")
        return text
    if not text:
        raise InputError(source, where, "is empty; give a number")
    if not _NUMBER.fullmatch(text):
        raise InputError(
            source, where, f"{text!r} is not a number; write a decimal number such as 0.8"
        )
    value = float(text)
    if name == "capability" and value < 0:
        raise InputError(source, where, f"{text} is negative; capability must be >= 0")
    if name == "salience" and not 0 <= value <= 1:
        hint = f" ({value / 100:g} for {text})" if 1 < value <= 100 else ""
        raise InputError(source, where, f"{text} is outside [0, 1]; give salience as a share{hint}")
    return value


def _check_table(table: pd.DataFrame, line_of: list[int], source: str, long_form: bool) -> None:
    """Duplicates, counts, weights, and (long form) every actor on every issue."""
    groups = (
        table.groupby(ISSUE_COLUMN, sort=False).indices
        if long_form
        else {"": list(range(len(table)))}
    )
    actor_sets: dict[str, set[str]] = {}
    for issue, index in groups.items():
        on = f" on issue {issue!r}" if long_form else ""
        first: dict[str, int] = {}
        for i in index:
            actor = table.at[i, "actor"]
            if actor in first:
                raise InputError(
                    source,
                    f"line {line_of[i]}, actor",
                    f"{actor!r} appears again{on} (first at line {first[actor]}); "
                    f"give each actor one row{' per issue' if long_form else ''}",
                )
            first[actor] = line_of[i]
        where = f"issue {issue!r}" if long_form else ""
        if len(index) < 2:
            raise InputError(
                source,
                where,
                f"has {len(index)} actor; the classic models need at least 2 (one row each)",
            )
        part = table.iloc[list(index)]
        if not (part["capability"] * part["salience"]).sum() > 0:
            raise InputError(
                source,
                where,
                "every actor has capability or salience 0; at least one actor needs both "
                "above 0 for the weighted forecasts",
            )
        actor_sets[str(issue)] = set(first)
    if long_form and len(actor_sets) > 1:
        everyone = set().union(*actor_sets.values())
        for issue, present in actor_sets.items():
            absent = everyone - present
            if absent:
                actor = min(absent, key=lambda a: list(table["actor"]).index(a))
                elsewhere = next(name for name, s in actor_sets.items() if actor in s)
                raise InputError(
                    source,
                    f"issue {issue!r}",
                    f"actor {actor!r} has no row (it has one on issue {elsewhere!r}); "
                    "give every actor a row on every issue",
                )
