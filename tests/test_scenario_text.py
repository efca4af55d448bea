"""Scenario text in and out: parsing bytes (a dashboard upload) with the same rules, size
limit and messages as a file, and writing a scenario back as YAML.

(Files over the size limit, ``/dev/zero`` and hostile YAML are in test_hostile_input.py.)"""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_helpers import one_error, run_cli

from lsr_sim.errors import ScenarioError
from lsr_sim.limits import MAX_FILE_BYTES
from lsr_sim.scenario import (
    load_scenario,
    read_yaml_mapping,
    read_yaml_text,
    scenario_hash,
    scenario_to_yaml,
)

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
BASELINE = SCENARIOS / "baseline.yaml"

# Bad texts, each with a piece of the one-line message a file with these bytes gets.
BAD_TEXTS = [
    (b"", "file is empty"),
    (b"- just\n- a list\n", "the top level is a list"),
    (b"name: [\n", "YAML syntax error at line 2"),
    (b"name: a\nname: b\n", "duplicate key 'name' at line 2"),
    (b"name: caf\xe9\n", "cannot be read as UTF-8 text"),
    (b"x: !!python/object:os.system {}\n", "could not determine a constructor for the tag"),
]


@pytest.mark.parametrize(("data", "expected"), BAD_TEXTS)
def test_bytes_get_the_message_a_file_with_those_bytes_gets(
    tmp_path: Path, data: bytes, expected: str
) -> None:
    path = tmp_path / "mine.yaml"
    path.write_bytes(data)
    with pytest.raises(ScenarioError) as from_file:
        read_yaml_mapping(path)
    with pytest.raises(ScenarioError) as from_bytes:
        read_yaml_text(data, str(path))
    assert str(from_bytes.value) == str(from_file.value)
    assert expected in str(from_bytes.value)
    assert len(str(from_bytes.value).splitlines()) == 1


def test_a_file_or_text_over_the_limit_is_refused_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    big = tmp_path / "big.yaml"
    big.write_bytes(b"name: x\n" + b"#" * MAX_FILE_BYTES)
    code, _, err = run_cli(capsys, "validate", big)
    assert code == 2
    message = one_error(err)
    assert message.startswith(f"{big}: is larger than 2 MB, the limit for scenario files")
    with pytest.raises(ScenarioError) as from_text:
        read_yaml_text(big.read_bytes(), str(big))
    assert str(from_text.value) == message
    # What an upload passes: the first limit + 1 bytes only.
    with pytest.raises(ScenarioError) as from_cut:
        read_yaml_text(big.read_bytes()[: MAX_FILE_BYTES + 1], str(big))
    assert str(from_cut.value) == message
    # Exactly at the limit is fine (the limit is on size, not on content).
    ok = b"name: x\n" + b"#" * (MAX_FILE_BYTES - 8)
    assert read_yaml_text(ok, "upload.yaml") == {"name": "x"}


@pytest.mark.parametrize(
    "path", sorted(p for p in SCENARIOS.glob("**/*.yaml") if "sweeps" not in p.parts)
)
def test_a_scenario_written_as_yaml_loads_back_identical(tmp_path: Path, path: Path) -> None:
    scenario = load_scenario(path)
    text = scenario_to_yaml(scenario)
    # It stands on its own.
    assert "extends" not in read_yaml_text(text.encode("utf-8"), "copy.yaml")
    copy = tmp_path / "copy.yaml"
    copy.write_text(text, encoding="utf-8")
    again = load_scenario(copy)
    assert again == scenario
    assert scenario_hash(again) == scenario_hash(scenario)
