"""Reading a results folder written by ``lsr-sim run`` back into tables, and keeping its
manifest true to its files."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from lsr_sim.atomic import write_bytes_atomic
from lsr_sim.errors import InputError

__all__ = ["file_hashes", "folder_kind", "read_tables", "refresh_manifest", "refuse_sweep_folder"]

_DATE_COLUMNS = {"trust", "issues", "quantities", "events", "deals"}
MANIFEST = "manifest.json"


def folder_kind(folder: str | Path) -> str | None:
    """``"run"`` for a folder written by ``lsr-sim run``, ``"sweep"`` for ``lsr-sim sweep``.

    Told by the manifest (a sweep's names its sweep file, a run's its scenario hash), else by
    the folders inside (``tables/`` or ``runs/``); None for anything else.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> folder_kind(folder) is None
    True
    >>> (folder / "tables").mkdir()
    >>> folder_kind(folder)
    'run'
    """
    folder = Path(folder)
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        manifest = None
    if isinstance(manifest, dict):
        if "sweep" in manifest:
            return "sweep"
        if "scenario_sha256" in manifest:
            return "run"
    if (folder / "tables").is_dir():
        return "run"
    if (folder / "runs").is_dir():
        return "sweep"
    return None


def refuse_sweep_folder(folder: Path) -> None:
    """Refuse to write one run's files into the output folder of a sweep (its manifest)."""
    if folder_kind(folder) == "sweep":
        raise InputError(
            str(folder),
            "",
            "holds the results of a sweep (written by `lsr-sim sweep`); write this run to "
            "another --out",
        )


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
        if folder_kind(folder) == "sweep":
            raise InputError(
                str(folder),
                "",
                "holds a sweep (written by `lsr-sim sweep`), not one run; its figures come "
                f"from `lsr-sim analyze {folder}`",
            )
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


def file_hashes(folder: Path, paths: Sequence[Path]) -> dict[str, str]:
    """SHA-256 of each file in `paths`, by its path relative to `folder` (as the manifest has)."""
    return {
        Path(p).relative_to(folder).as_posix(): hashlib.sha256(Path(p).read_bytes()).hexdigest()
        for p in paths
    }


def refresh_manifest(folder: Path, paths: Sequence[Path]) -> bool:
    """Record the new hashes of `paths` (files under `folder`) in its ``manifest.json``.

    Entries for files no longer on disk are dropped. The manifest is rewritten atomically;
    a folder without a readable manifest is left as it is (returns False).
    """
    path = folder / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), dict):
        return False
    files = {name: sha for name, sha in manifest["files"].items() if (folder / name).is_file()}
    files.update(file_hashes(folder, paths))
    manifest["files"] = dict(sorted(files.items()))
    text = json.dumps(manifest, indent=2, sort_keys=True) + "\n"
    write_bytes_atomic(path, text.encode("utf-8"))
    return True
