"""The student notebooks: stored without outputs, and each runs top to bottom without error.

Each notebook is executed with nbclient in a copy of ``notebooks/`` (next to a copy of
``scenarios/``, which the notebooks read as ``../scenarios``), so nothing is written into the
repository. The kernel is this interpreter (``sys.executable``) through a kernel spec made for
the test, so a ``python3`` kernel registered elsewhere on the machine cannot stand in for it.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:  # the Jupyter stack takes seconds to import: tests import it as they run
    from jupyter_client import AsyncKernelManager

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))
EXPECTED = [
    "01_getting_started",
    "02_what_if_scenarios",
    "03_write_your_own_strategy",
    "04_sweeps_and_sensitivity",
    "05_the_network",
    "06_scenario_discovery",
]
CELL_TIMEOUT = 300  # seconds per cell; each notebook takes well under two minutes in all
KERNEL_NAME = "lsr_sim_test"


def test_the_six_notebooks_are_there() -> None:
    assert [path.stem for path in NOTEBOOKS] == EXPECTED


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_stored_without_outputs(path: Path) -> None:
    import nbformat

    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        assert cell.outputs == [], (
            f"{path.name}: cell {cell.id} is stored with outputs; clear them before committing "
            "(jupyter nbconvert --clear-output --inplace notebooks/*.ipynb)"
        )
        assert cell.execution_count is None, (
            f"{path.name}: cell {cell.id} is stored with an execution count; clear outputs"
        )


def _kernel_manager(folder: Path) -> AsyncKernelManager:
    """A kernel manager whose only kernel is this interpreter running ipykernel."""
    from jupyter_client import AsyncKernelManager
    from jupyter_client.kernelspec import KernelSpecManager

    spec_dir = folder / KERNEL_NAME
    spec_dir.mkdir(parents=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "lsr_sim (test)",
        "language": "python",
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
    specs = KernelSpecManager(kernel_dirs=[str(folder)])
    return AsyncKernelManager(kernel_name=KERNEL_NAME, kernel_spec_manager=specs)


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_runs_top_to_bottom(path: Path, tmp_path: Path) -> None:
    work = tmp_path / "notebooks"
    shutil.copytree(NOTEBOOKS_DIR, work)
    shutil.copytree(ROOT / "scenarios", tmp_path / "scenarios")
    before = sorted(p.relative_to(work) for p in work.rglob("*"))
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(work / path.name, as_version=4)
    client = NotebookClient(
        notebook,
        km=_kernel_manager(tmp_path / "kernels"),
        timeout=CELL_TIMEOUT,
        resources={"metadata": {"path": str(work)}},
    )
    # The kernel runs as a student's would: matplotlib's inline backend, not the Agg backend
    # conftest.py sets for this process.
    env = {key: value for key, value in os.environ.items() if key != "MPLBACKEND"}
    # Raises CellExecutionError, with the traceback, if a cell fails. cleanup_kc: shut the
    # kernel down afterwards, failed or not (nbclient keeps a kernel it did not start alive).
    client.execute(env=env, cleanup_kc=True)
    errors = [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "error"
    ]
    assert not errors
    # A notebook may write only into temporary folders of its own, never beside itself.
    assert sorted(p.relative_to(work) for p in work.rglob("*")) == before
