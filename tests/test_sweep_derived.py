"""Derived sweep paths: the dummy changes nothing; salience shares, effect values and rounded
integers set what they say; every bad derived path gives one clear error before anything runs.
"""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from lsr_sim.errors import InputError, SweepError
from lsr_sim.scenario import load_scenario, scenario_from_dict
from lsr_sim.scenario.derived import apply_derived, integer_dynamics, is_derived
from lsr_sim.scenario.loader import read_yaml_mapping
from lsr_sim.scenario.paths import apply_parameters, resolve_path
from lsr_sim.sweep.loading import load_sweep
from lsr_sim.sweep.runner import RunSpec, Task, execute_task

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"


@pytest.fixture(scope="module")
def baseline():
    return load_scenario(BASELINE)


def _file_data() -> dict[str, Any]:
    # The file as written, less its calibration, which names a file relative to the scenario's
    # folder (a run never reads it; these tests build scenarios from the mapping alone).
    mapping = read_yaml_mapping(BASELINE)
    mapping.pop("calibration", None)
    return mapping


@pytest.fixture(scope="module")
def data() -> dict[str, Any]:
    return _file_data()


def _spec(run: int, seed: int, params: dict[str, float], steps: int = 40) -> RunSpec:
    return RunSpec(run, run, 0, "baseline", seed, tuple(params.items()), steps, f"k{run}")


# -- the dummy ---------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [0.0, 0.37, 1.0, -5.0])
def test_dummy_is_applied_to_nothing(data, value):
    assert apply_parameters(data, {"dummy": value}) == apply_parameters(data, {})
    assert apply_parameters(data, {"dummy.second": value}) == apply_parameters(data, {})


def test_dummy_changes_no_outcome_of_a_run(data):
    """Same seed, different dummy values: identical runs, in the batch and Mesa engines."""
    seeds = [11, 11, 11, 12, 12]
    values = [0.0, 0.5, 1.0, 0.0, 0.9]
    runs = tuple(
        _spec(r, seed, {"dummy": v, "actors.Riyadh.capability": 0.6})
        for r, (seed, v) in enumerate(zip(seeds, values, strict=True))
    )
    outcomes = ("rapprochement_index", "mean_trust", "agreements", "trust_Beirut_Damascus")
    for engine in ("batch", "mesa"):
        task = Task(
            runs, {"baseline": data}, ("dummy", "actors.Riyadh.capability"), outcomes, None, engine
        )
        table, _, _ = execute_task(task)
        assert list(table["dummy"]) == values  # recorded like any parameter
        assert (table["error"] == "").all()
        first, second = table.iloc[:3], table.iloc[3:]
        for group in (first, second):
            assert (group[list(outcomes)].nunique() == 1).all(), group
        # the seeds differ, so the two groups do differ: the comparison can fail
        a, b = (group.iloc[0][list(outcomes)].to_numpy(float) for group in (first, second))
        assert not np.allclose(a, b)


def test_dummy_resolves_without_a_value(baseline):
    target = resolve_path(baseline, "dummy")
    assert (target.integer, target.current) == (False, None)


# -- salience shares ---------------------------------------------------------------------------


def test_salience_share_renormalises_the_row(data, baseline):
    out = apply_parameters(data, {"actors.Beirut.salience_share.border_control": 0.6})
    row = out["actors"]["Beirut"]["salience"]
    before = baseline.actors["Beirut"].salience
    total = 0.6 + (1.0 - before["border_control"])  # 1.3
    assert math.isclose(row["border_control"], 0.6 / total)
    for issue, share in before.items():
        if issue != "border_control":
            assert math.isclose(row[issue], share / total)
    assert math.isclose(sum(row.values()), 1.0)
    scenario = scenario_from_dict(out)
    assert scenario.actors["Beirut"].salience["border_control"] > before["border_control"]
    # the other actors are untouched
    assert scenario.actors["Damascus"].salience == baseline.actors["Damascus"].salience


def test_several_shares_of_one_actor_are_set_then_renormalised_once(data):
    params = {
        "actors.Damascus.salience_share.officers": 0.5,
        "actors.Damascus.salience_share.detainees": 0.2,
    }
    forward = apply_parameters(data, params)
    backward = apply_parameters(data, dict(reversed(params.items())))
    assert forward == backward
    row = forward["actors"]["Damascus"]["salience"]
    # officers 0.5 and detainees 0.2 (hand-set), the others keep 0.4 in total: sum 1.1
    assert math.isclose(row["officers"], 0.5 / 1.1)
    assert math.isclose(row["detainees"], 0.2 / 1.1)


def test_apply_derived_alone():
    data = {"actors": {"A": {"salience": {"x": 0.25, "y": 0.75}}}}
    apply_derived(data, {"actors.A.salience_share.x": 0.75})
    assert data["actors"]["A"]["salience"] == {"x": 0.5, "y": 0.5}


# -- effect values and rounded integers --------------------------------------------------------


def test_effect_value_is_set_in_the_right_effect(data, baseline):
    out = apply_parameters(
        data,
        {
            "events.border_clashes_march.effects.1.delta": -0.2,
            "incidents.smuggling_seizure.effects.0.strength": 0.6,
        },
    )
    scenario = scenario_from_dict(out)
    effects = scenario.events["border_clashes_march"].effects
    assert effects[1].delta == -0.2
    assert effects[0] == baseline.events["border_clashes_march"].effects[0]
    assert scenario.incidents["smuggling_seizure"].effects[0].strength == 0.6
    # the input, with its YAML anchors, is not modified
    assert data == _file_data()


@pytest.mark.parametrize(("value", "expected"), [(20.5, 21), (20.49, 20), (13.0, 13), (38.7, 39)])
def test_rounded_integer(data, value, expected):
    out = apply_parameters(data, {"rounded.dynamics.talks_timeout": value})
    assert scenario_from_dict(out).dynamics.talks_timeout == expected


@pytest.mark.parametrize("value", ["x", None, True])
def test_a_derived_path_takes_only_numbers(data, value):
    # apply_parameters also sets text and null in plain fields; a derived path has none.
    with pytest.raises(TypeError, match=r"cannot set rounded\.dynamics\.talks_timeout: it takes"):
        apply_parameters(data, {"rounded.dynamics.talks_timeout": value})


def test_integer_fields_of_dynamics():
    assert integer_dynamics() == ["talks_timeout", "collapse_after", "reopen_after"]


def test_is_derived_only_for_derived_paths():
    assert is_derived("dummy") and is_derived("events.x.effects.0.delta")
    assert not is_derived("events.x.date") and not is_derived("actors.A.salience.x")


# -- through sweep files -----------------------------------------------------------------------


def _sweep(parameters: dict[str, Any], design: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "name": "derived",
        "scenario": str(BASELINE),
        "steps": 5,
        "parameters": parameters,
        "design": design or {"type": "morris", "samples": 2},
    }


def test_a_morris_sweep_takes_every_kind_of_derived_path(write_yaml):
    loaded = load_sweep(
        write_yaml(
            _sweep(
                {
                    "dummy": {"range": [0.0, 1.0]},
                    "actors.Beirut.salience_share.border_control": {"range": [0.15, 0.45]},
                    "events.assad_falls.effects.0.delta": {"range": [-0.075, -0.025]},
                    "rounded.dynamics.talks_timeout": {"range": [13, 39]},
                }
            ),
            "sweep.yaml",
        )
    )
    assert next(iter(loaded.spec.parameters)) == "dummy"


def test_a_plain_integer_path_is_still_refused_in_morris_and_rounded_is_the_fix(write_yaml):
    with pytest.raises(SweepError, match="takes whole numbers only"):
        load_sweep(write_yaml(_sweep({"dynamics.talks_timeout": {"range": [13, 39]}})))


BAD_PATHS = [
    ("dummy.a.b", "a dummy parameter is named dummy or dummy.<label>"),
    ("rounded.dynamics.veto_strength", "'veto_strength' is not an integer field of dynamics"),
    ("rounded.dynamics.talks_timeot", "(did you mean 'talks_timeout'?)"),
    ("rounded.run.steps", "rounded. applies to the integer fields of dynamics"),
    ("actors.Beirt.salience_share.officers", "unknown actor 'Beirt' (did you mean 'Beirut'?)"),
    ("actors.Beirut.salience_share", "write actors.Beirut.salience_share.<issue>"),
    ("actors.Riyadh.salience_share.officers", "Riyadh lists no salience for 'officers'"),
    ("events.assad_fall.effects.0.delta", "unknown event 'assad_fall' (did you mean"),
    ("incidents.clash.effects.0.delta", "unknown incident 'clash'"),
    ("events.assad_falls.effects.delta", "named by its index (from 0) and field"),
    ("events.assad_falls.effects.1.delta", "expected a whole number from 0 to 0"),
    ("events.assad_falls.effects.x.delta", "effect index 'x'"),
    ("events.assad_falls.effects.0.mutual", "'mutual' is not a numeric field of effect 0"),
    ("events.saudi_meeting_march.effects.0.issues", "it has no numeric field"),
    ("dummy..x", "an empty part between dots"),
]


@pytest.mark.parametrize(("path", "message"), BAD_PATHS)
def test_bad_derived_paths(write_yaml, path, message):
    source = write_yaml(_sweep({path: {"range": [0.0, 1.0]}}))
    with pytest.raises(SweepError) as caught:
        load_sweep(source)
    text = str(caught.value)
    assert text.startswith(f"{source}: parameters.{path}: "), text
    assert message in text
    assert "\n" not in text
    assert isinstance(caught.value, InputError)


def test_a_share_value_that_empties_the_row_is_refused(write_yaml):
    """A share of 0 for an actor with one issue leaves a row that sums to 0."""
    scenario = copy.deepcopy(_file_data())
    scenario["actors"]["Washington"]["salience"] = {"weapons_corridor": 1.0}
    path = write_yaml(scenario, "one_issue.yaml")
    source = write_yaml(
        {
            **_sweep({"actors.Washington.salience_share.weapons_corridor": {"range": [0.0, 1.0]}}),
            "scenario": str(path),
        }
    )
    with pytest.raises(SweepError, match=r"makes baseline invalid: .*salience: sums to 0"):
        load_sweep(source)


def test_runs_table_records_derived_parameters(write_yaml, tmp_path):
    from lsr_sim.sweep import run_sweep

    loaded = load_sweep(
        write_yaml(
            _sweep(
                {
                    "dummy": {"range": [0.0, 1.0]},
                    "rounded.dynamics.talks_timeout": {"range": [13, 39]},
                }
            )
        )
    )
    report = run_sweep(loaded, tmp_path / "out", workers=1, progress=False)
    assert report.complete and report.failed == 0
    runs = pd.read_parquet(tmp_path / "out" / "runs")
    assert {"dummy", "rounded.dynamics.talks_timeout"} <= set(runs.columns)
    assert runs["dummy"].between(0, 1).all()
