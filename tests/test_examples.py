"""The example scenarios and the tutorial that builds one (docs/tutorial-your-own-scenario.md).

The tutorial's YAML blocks, merged in order as a variant merges with its base, must give the
shipped example file; every intermediate file from step 4 on must validate; every command
output the tutorial quotes must be what the command prints; and every example must load,
validate and run.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml
from cli_helpers import one_error, run_cli

from lsr_sim import run
from lsr_sim.scenario import deep_merge, load_scenario, scenario_from_dict

ROOT = Path(__file__).resolve().parents[1]
TUTORIAL = ROOT / "docs" / "tutorial-your-own-scenario.md"
EXAMPLES = sorted((ROOT / "scenarios" / "examples").glob("*.yaml"))
RIVER = ROOT / "scenarios" / "examples" / "river_basin.yaml"
RELATIVE = Path("scenarios/examples/river_basin.yaml")
FIRST_COMPLETE_STEP = 4  # actors come in step 3, the strategies their roles need in step 4


def code_blocks(text: str, language: str) -> list[str]:
    """The fenced code blocks of a Markdown text in `language`, in order."""
    return re.findall(rf"^```{language}\n(.*?)^```$", text, flags=re.DOTALL | re.MULTILINE)


def test_code_blocks_finds_fenced_blocks() -> None:
    text = "a\n```yaml\nx: 1\n```\nb\n```text\nhi\n```\n```yaml\ny: 2\n```\n"
    assert code_blocks(text, "yaml") == ["x: 1\n", "y: 2\n"]
    assert code_blocks(text, "text") == ["hi\n"]


TEXT = TUTORIAL.read_text(encoding="utf-8")
BLOCKS = [yaml.safe_load(block) for block in code_blocks(TEXT, "yaml")]
STEPS = [block for block in BLOCKS if "extends" not in block]
VARIANTS = [block for block in BLOCKS if "extends" in block]
QUOTED = {line for block in code_blocks(TEXT, "text") for line in block.splitlines()}


def test_the_tutorial_has_its_steps() -> None:
    assert len(STEPS) == 7
    assert len(VARIANTS) == 1


def test_the_steps_build_the_shipped_example() -> None:
    assert _built(len(STEPS)) == yaml.safe_load(RIVER.read_text(encoding="utf-8"))


@pytest.mark.parametrize("upto", range(FIRST_COMPLETE_STEP, len(STEPS) + 1))
def test_every_step_from_the_fourth_gives_a_valid_scenario(upto: int) -> None:
    scenario = scenario_from_dict(_built(upto), f"tutorial, step {upto}")
    assert scenario.name == "river_basin"


def test_before_the_fourth_step_the_file_is_not_yet_a_scenario() -> None:
    from lsr_sim.errors import ScenarioError

    built: dict = {}
    for upto, block in enumerate(STEPS[: FIRST_COMPLETE_STEP - 1], start=1):
        built = deep_merge(built, block)
        with pytest.raises(ScenarioError, match="actors"):
            scenario_from_dict(built, f"tutorial, step {upto}")


def _write(folder: Path, data_or_text: dict | str) -> Path:
    target = folder / RELATIVE
    target.parent.mkdir(parents=True, exist_ok=True)
    text = data_or_text if isinstance(data_or_text, str) else yaml.safe_dump(data_or_text)
    target.write_text(text, encoding="utf-8")
    return target


def _built(upto: int) -> dict:
    built: dict = {}
    for block in STEPS[:upto]:
        built = deep_merge(built, block)
    return built


def test_the_quoted_outputs_after_steps_3_and_4(capsys, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    _write(tmp_path, _built(3))
    code, _, err = run_cli(capsys, "validate", RELATIVE)
    assert code == 2
    assert f"error: {one_error(err)}" in QUOTED
    _write(tmp_path, _built(4))
    code, out, _ = run_cli(capsys, "validate", RELATIVE)
    assert code == 0
    assert out.strip() in QUOTED


# The tutorial's three mistakes, as edits of the finished file.
MISTAKES = [
    ("params: {exponent: 3.0}", "params: {exponet: 3.0}"),
    ("salience: {filling: 0.5, allocation: 0.3, data: 0.2}", "salience: {filling: 0.5, "
     "allocation: 0.4, data: 0.2}"),
    ("    veto_holders: [Farmers]", "    veto_holders: [Farmer]"),
]  # fmt: skip


@pytest.mark.parametrize(("old", "new"), MISTAKES, ids=["param", "salience", "veto"])
def test_the_quoted_mistakes(capsys, tmp_path, monkeypatch, old: str, new: str) -> None:
    text = RIVER.read_text(encoding="utf-8")
    assert text.count(old) == 1
    _write(tmp_path, text.replace(old, new))
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli(capsys, "validate", RELATIVE)
    assert code == 2
    assert f"error: {one_error(err)}" in QUOTED


def test_the_quoted_run_and_what_the_tutorial_says_of_it(capsys, tmp_path, monkeypatch) -> None:
    folder = tmp_path / "repo"
    _write(folder, RIVER.read_text(encoding="utf-8"))
    monkeypatch.chdir(folder)
    code, out, _ = run_cli(capsys, "validate", RELATIVE)
    assert code == 0 and out.strip() in QUOTED
    code, out, _ = run_cli(capsys, "run", RELATIVE, "--out", "results/river_basin", "--no-figures")
    assert code == 0
    assert out.splitlines()[0] in QUOTED
    deals = pd.read_csv(folder / "results" / "river_basin" / "tables" / "deals.csv")
    when = {(row.issue, row.outcome): row.date for row in deals.itertuples()}
    # "one package deal on all three issues", agreed in August 2026
    assert deals["deal"].nunique() == 1
    assert {issue for issue, outcome in when if outcome == "agreed"} == {
        "filling",
        "allocation",
        "data",
    }
    assert all(when[(i, "agreed")].startswith("2026-08") for i in ("filling", "data"))
    assert when[("data", "implemented")] <= "2026-11-30"
    assert when[("allocation", "collapsed")].startswith("2026-11")
    assert when[("filling", "collapsed")].startswith("2027-08")
    events = pd.read_csv(folder / "results" / "river_basin" / "tables" / "events.csv")
    droughts = events[(events["event"] == "drought_week")]["date"]
    assert (droughts.str.startswith("2026-11")).sum() >= 2


def test_the_variant_extends_the_example(tmp_path) -> None:
    (variant,) = VARIANTS
    folder = tmp_path / "examples"
    folder.mkdir()
    shutil.copy(RIVER, folder / "river_basin.yaml")
    path = folder / "weak_farmers.yaml"
    path.write_text(yaml.safe_dump(variant), encoding="utf-8")
    scenario = load_scenario(path)
    assert scenario.name == "river_basin_weak_farmers"
    assert scenario.network["pressure"]["Farmers"]["Lowland"] == 0.2
    assert scenario.actors == load_scenario(RIVER).actors


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda path: path.stem)
def test_every_example_loads_validates_and_runs(path: Path) -> None:
    scenario = load_scenario(path)
    assert "hypothetical" in scenario.source
    assert all("hypothetical" in event.source for event in scenario.events.values())
    result = run(scenario, seed=1)
    assert result.steps == scenario.run.steps
    assert len(result.summary) == 1
    assert result.trust["date"].max() == pd.Timestamp(scenario.run.end_date)
