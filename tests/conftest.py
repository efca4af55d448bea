"""Shared fixtures: the baseline scenario and a helper that writes scenario files."""

from __future__ import annotations

import os
import textwrap
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import settings

os.environ.setdefault("MPLBACKEND", "Agg")  # figures without a display

# Property tests explore new random examples on every local run. .ci/run sets
# HYPOTHESIS_PROFILE=ci, hypothesis's own profile (derandomize, no database): CI replays one
# fixed set, so a submission's result does not depend on luck.
if os.environ.get("HYPOTHESIS_PROFILE"):
    settings.load_profile(os.environ["HYPOTHESIS_PROFILE"])

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS_DIR = ROOT / "scenarios"
BASELINE = SCENARIOS_DIR / "baseline.yaml"


def shipped_scenarios() -> list[Path]:
    """Every scenario file shipped in ``scenarios/`` (sweep definitions excluded)."""
    return sorted(
        path
        for path in SCENARIOS_DIR.glob("**/*.yaml")
        if "sweeps" not in path.relative_to(SCENARIOS_DIR).parts
    )


WriteYaml = Callable[..., Path]


@pytest.fixture
def baseline_path() -> Path:
    """The baseline scenario, ``scenarios/baseline.yaml`` (absolute path)."""
    return BASELINE


@pytest.fixture
def write_yaml(tmp_path: Path) -> WriteYaml:
    """Write a YAML file into `tmp_path` and return its path.

    ``write_yaml(content, name="scenario.yaml", extends=None)``: `content` is YAML text
    (dedented, written as is) or a mapping (written with ``yaml.safe_dump``). With
    `extends` (a path), the file starts with ``extends: <absolute path>``, making it a
    variant of that scenario; ``extends=True`` means the baseline.
    """

    def write(
        content: str | Mapping[str, Any] = "",
        name: str = "scenario.yaml",
        *,
        extends: Path | str | bool | None = None,
    ) -> Path:
        if isinstance(content, Mapping):
            text = yaml.safe_dump(dict(content), sort_keys=False, allow_unicode=True)
        else:
            text = textwrap.dedent(content).lstrip("\n")
        if extends is True:
            extends = BASELINE
        if extends:
            text = f"extends: {Path(extends).resolve()}\n{text}"
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture
def write_variant(write_yaml: WriteYaml) -> WriteYaml:
    """Write a variant of the baseline: ``write_variant(override, name="variant.yaml")``."""

    def write(content: str | Mapping[str, Any] = "", name: str = "variant.yaml") -> Path:
        return write_yaml(content, name, extends=True)

    return write
