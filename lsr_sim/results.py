"""Reading a results folder written by ``lsr-sim run`` back into tables."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from lsr_sim.errors import InputError

__all__ = ["read_tables"]

_DATE_COLUMNS = {"trust", "issues", "quantities", "events", "deals"}


def read_tables(folder: str | Path) -> dict[str, pd.DataFrame]:
    """The tables of a results folder (``tables/*.csv`` or ``tables/*.parquet``).

    Raises
    ------
    InputError
        If the folder or a required table is missing.
    """
    folder = Path(folder)
    tables_dir = folder / "tables"
    if not tables_dir.is_dir():
        raise InputError(
            str(folder), "", "not a results folder (no tables/ inside); run `lsr-sim run` first"
        )
    out: dict[str, pd.DataFrame] = {}
    for name in ("trust", "issues", "quantities", "events", "deals", "summary"):
        parquet, csv = tables_dir / f"{name}.parquet", tables_dir / f"{name}.csv"
        if parquet.exists():
            out[name] = pd.read_parquet(parquet)
        elif csv.exists():
            table = pd.read_csv(csv, keep_default_na=True)
            if name in _DATE_COLUMNS and "date" in table:
                table["date"] = pd.to_datetime(table["date"])
            for column in ("actors", "issues", "description", "mediator"):
                if column in table and name in ("events", "deals"):
                    # An all-empty column reads as numbers: make it text first.
                    table[column] = table[column].astype("object").fillna("").astype(str)
            out[name] = table
        else:
            raise InputError(
                str(tables_dir), f"{name}", "table missing (expected .csv or .parquet)"
            )
    return out
