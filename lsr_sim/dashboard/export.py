"""Exports from the page: the run's tables, its figures (PNG or SVG), its scenario as YAML,
its manifest, or everything in one zip.

Everything is made by the library's own writers (:meth:`lsr_sim.experiment.RunResult.write`,
:func:`lsr_sim.plotting.save_figures`, :func:`lsr_sim.scenario.scenario_to_yaml`) into a
temporary folder and returned as bytes; nothing is written where the page could name it.
The exported ``scenario.yaml`` has the sidebar's values applied, and the manifest's
``command`` is the ``lsr-sim run`` command that reproduces the tables from it::

    lsr-sim run scenario.yaml --seed <seed> --steps <week> --out results/again

Nothing here imports Solara.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path

from lsr_sim.experiment import RunResult
from lsr_sim.scenario import scenario_to_yaml

__all__ = ["EXPORTS", "export_bytes", "export_filename", "reproduce_command"]

#: What the page offers to download: kind to (button label, file name suffix, MIME type).
EXPORTS: dict[str, tuple[str, str, str]] = {
    "tables": ("Tables (CSV)", "tables.zip", "application/zip"),
    "figures-png": ("Figures (PNG)", "figures-png.zip", "application/zip"),
    "figures-svg": ("Figures (SVG)", "figures-svg.zip", "application/zip"),
    "scenario": ("Scenario (YAML)", "scenario.yaml", "application/yaml"),
    "manifest": ("Manifest (JSON)", "manifest.json", "application/json"),
    "all": ("Everything (zip)", "export.zip", "application/zip"),
}
_SCENARIO_FILE = "scenario.yaml"


def reproduce_command(result: RunResult) -> list[str]:
    """The command that reproduces `result`'s tables from the exported ``scenario.yaml``.

    Examples
    --------
    >>> from lsr_sim.experiment import run
    >>> from lsr_sim.scenario import load_scenario
    >>> reproduce_command(run(load_scenario("scenarios/baseline.yaml"), seed=3, steps=5))
    ['lsr-sim', 'run', 'scenario.yaml', '--seed', '3', '--steps', '5', '--out', 'results/baseline']
    """
    return [
        "lsr-sim",
        "run",
        _SCENARIO_FILE,
        "--seed",
        str(result.seed),
        "--steps",
        str(result.steps),
        "--out",
        f"results/{result.scenario.name}",
    ]


def export_filename(result: RunResult, kind: str) -> str:
    """The download's file name: scenario, week, seed and what it holds.

    Examples
    --------
    >>> from lsr_sim.experiment import run
    >>> from lsr_sim.scenario import load_scenario
    >>> export_filename(run(load_scenario("scenarios/baseline.yaml"), seed=3, steps=5), "tables")
    'baseline-week5-seed3-tables.zip'
    """
    suffix = EXPORTS[kind][1]
    return f"{result.scenario.name}-week{result.steps}-seed{result.seed}-{suffix}"


def _zip(folder: Path, files: list[Path]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(files):
            # A fixed time stamp: the same run exports byte-identical archives.
            info = zipfile.ZipInfo(path.relative_to(folder).as_posix(), (1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())
    return buffer.getvalue()


def export_bytes(result: RunResult, kind: str) -> bytes:
    """The bytes of one export of `result` (see :data:`EXPORTS` for the kinds).

    - ``tables``: ``tables/*.csv`` as :meth:`RunResult.write` writes them;
    - ``figures-png`` / ``figures-svg``: the standard figures of :func:`save_figures`;
    - ``scenario``: the scenario run, as YAML (knobs applied, ``extends`` resolved);
    - ``manifest``: ``manifest.json`` of the tables and PNG figures, with the command that
      reproduces them (:func:`reproduce_command`);
    - ``all``: all of these in one zip.

    Raises
    ------
    KeyError
        For an unknown kind.
    """
    if kind not in EXPORTS:
        raise KeyError(f"unknown export {kind!r}; choose one of {', '.join(EXPORTS)}")
    if kind == "scenario":
        return scenario_to_yaml(result.scenario).encode("utf-8")
    with tempfile.TemporaryDirectory(prefix="lsr-sim-export-") as tmp:
        folder = Path(tmp) / "export"
        if kind in ("figures-png", "figures-svg"):
            from lsr_sim.plotting import save_figures

            files = save_figures(result.tables(), folder / "figures", fmt=kind[-3:])
            return _zip(folder, files)
        figures = kind in ("manifest", "all")
        files = result.write(folder, figures=figures, command=reproduce_command(result))
        if kind == "tables":
            return _zip(folder, [p for p in files if p.parent.name == "tables"])
        if kind == "manifest":
            return (folder / "manifest.json").read_bytes()
        from lsr_sim.plotting import save_figures

        (folder / _SCENARIO_FILE).write_text(scenario_to_yaml(result.scenario), encoding="utf-8")
        files.append(folder / _SCENARIO_FILE)
        files += save_figures(result.tables(), folder / "figures", fmt="svg")
        return _zip(folder, files)
