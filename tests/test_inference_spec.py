"""The estimation's inputs: priors, facts and ABC settings in a scenario, candidate models,
and the one-line error for each bad input (no simulation beyond a quick check)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from cli_helpers import one_error, run_cli
from inference_helpers import coin, write

from lsr_sim.errors import InputError
from lsr_sim.inference import load_estimation, parse_model_option
from lsr_sim.scenario import load_scenario
from lsr_sim.scenario.estimation import Prior


def test_the_new_calibration_fields_load_beside_patterns(tmp_path: Path) -> None:
    data = coin()
    data["calibration"]["at"] = "2025-10-12"
    data["calibration"]["patterns"] = {
        "low_trust": {
            "description": "A's trust in B fell",
            "metric": "trust",
            "truster": "A",
            "trustee": "B",
            "at_most": 0.9,
            "target": 0.5,
        }
    }
    scenario = load_scenario(write(data, tmp_path))
    cal = scenario.calibration
    assert cal is not None and list(cal.patterns) == ["low_trust"]
    assert list(cal.priors) == ["incidents.strike.rate"]
    assert cal.observations is not None and list(cal.observations.facts) == [
        "strikes",
        "talks_never_start",
    ]
    assert cal.abc.population == 100 and cal.abc.replications == 1


def test_observations_can_be_a_file_relative_to_the_scenario(tmp_path: Path) -> None:
    data = coin()
    facts = data["calibration"]["observations"]
    (tmp_path / "facts").mkdir()
    (tmp_path / "facts" / "coin.yaml").write_text(yaml.safe_dump(facts), encoding="utf-8")
    data["calibration"]["observations"] = "facts/coin.yaml"
    (tmp_path / "scenarios").mkdir()
    base = write(data, tmp_path, "base.yaml")
    variant = tmp_path / "scenarios" / "variant.yaml"
    variant.write_text("extends: ../base.yaml\nname: variant\n", encoding="utf-8")
    inline = load_scenario(write(coin(), tmp_path, "inline.yaml"))
    for path in (base, variant):
        scenario = load_scenario(path)
        assert scenario.calibration is not None
        # resolved at load time: the frozen scenario holds the facts, not the path
        assert scenario.calibration.observations == inline.calibration.observations  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("edit", "field", "words"),
    [
        (
            {"distribution": "uniform", "low": 0.3, "high": 0.1},
            "incidents.strike.rate",
            "low < high",
        ),
        ({"distribution": "uniform", "low": 0.1}, "incidents.strike.rate", "needs low and high"),
        (
            {"distribution": "beta", "a": 2.0, "b": 2.0, "sd": 1.0},
            "incidents.strike.rate",
            "not sd",
        ),
        (
            {"distribution": "loguniform", "low": 0.0, "high": 1.0},
            "incidents.strike.rate",
            "0 < low",
        ),
        (
            {"distribution": "truncnorm", "mean": 0.3, "sd": 0.1},
            "incidents.strike.rate",
            "low, high",
        ),
        (
            {"distribution": "gamma", "a": 1.0},
            "incidents.strike.rate.distribution",
            "uniform, loguniform",
        ),
        ({"distribution": "normal", "mean": 0.3, "sd": -1.0}, "incidents.strike.rate.sd", "> 0"),
    ],
)
def test_bad_priors_get_one_line(tmp_path: Path, capsys, edit, field, words) -> None:
    path = write(coin(prior=edit), tmp_path)
    code, _, err = run_cli(capsys, "validate", path)
    assert code == 2
    message = one_error(err)
    assert message.startswith(f"{path}: calibration.priors.{field}"), message
    assert words in message


def test_a_calibration_needs_patterns_or_facts(tmp_path: Path, capsys) -> None:
    data = coin()
    del data["calibration"]["observations"]
    path = write(data, tmp_path)
    code, _, err = run_cli(capsys, "validate", path)
    assert code == 2 and "give patterns" in one_error(err)


def test_a_missing_observations_file_is_named(tmp_path: Path, capsys) -> None:
    data = coin()
    data["calibration"]["observations"] = "nowhere.yaml"
    path = write(data, tmp_path)
    code, _, err = run_cli(capsys, "validate", path)
    message = one_error(err)
    assert code == 2 and message.startswith(f"{path}: calibration.observations: 'nowhere.yaml'")
    assert "not found" in message


def test_a_bad_observations_file_is_named(tmp_path: Path, capsys) -> None:
    data = coin()
    bad = {
        "name": "x",
        "facts": {"f": {"date": "2025-02-30", "status": {"issue": "talks", "in": ["open"]}}},
    }
    (tmp_path / "facts.yaml").write_text(yaml.safe_dump(bad), encoding="utf-8")
    data["calibration"]["observations"] = "facts.yaml"
    code, _, err = run_cli(capsys, "validate", write(data, tmp_path))
    message = one_error(err)
    assert code == 2 and message.startswith(f"{tmp_path / 'facts.yaml'}: facts.f.date")


def _error(tmp_path: Path, data: dict, **kwargs) -> str:
    with pytest.raises(InputError) as caught:
        load_estimation(write(data, tmp_path), **kwargs)
    message = str(caught.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize(
    ("path", "prior", "words"),
    [
        ("incidents.strik.rate", None, "unknown incident 'strik' (did you mean 'strike'?)"),
        ("dynamics.talks_timeout", None, "whole numbers only"),
        ("dynamics.protocol", None, "not a number"),
        (
            "incidents.strike.rate",
            {"distribution": "uniform", "low": 0.0, "high": 1.5},
            "the uniform prior can draw 1.5, which is invalid: incidents.strike.rate",
        ),
        (
            "incidents.strike.rate",
            {"distribution": "normal", "mean": 0.3, "sd": 0.1},
            "a normal prior (mean 0.3, sd 0.1) can draw values near",
        ),
        (
            "incidents.strike.rate",
            {"distribution": "truncnorm", "mean": 0.3, "sd": 0.1, "low": 0.0},
            "can draw",
        ),
    ],
)
def test_priors_must_fit_the_scenario(tmp_path: Path, path, prior, words) -> None:
    data = coin()
    prior = prior or {"distribution": "uniform", "low": 1.0, "high": 2.0}
    data["calibration"]["priors"] = {path: prior}
    message = _error(tmp_path, data)
    assert f"calibration.priors.{path}: " in message and words in message, message


def test_accepted_priors_of_every_kind(tmp_path: Path) -> None:
    kinds = [
        {"distribution": "uniform", "low": 0.0, "high": 1.0},
        {"distribution": "loguniform", "low": 0.01, "high": 1.0},
        {"distribution": "beta", "a": 2.0, "b": 5.0},
        {"distribution": "truncnorm", "mean": 0.3, "sd": 0.1, "low": 0.0, "high": 1.0},
    ]
    for i, prior in enumerate(kinds):
        estimation = load_estimation(write(coin(prior=prior), tmp_path, f"c{i}.yaml"))
        assert estimation.models[0].priors["incidents.strike.rate"] == Prior(**prior)
        assert estimation.steps == 40


def test_weights_and_scales_name_facts(tmp_path: Path) -> None:
    data = coin(abc={"weights": {"strike": 2.0}})
    assert "calibration.abc.weights.strike: is not a fact (did you mean 'strikes'?)" in _error(
        tmp_path, data
    )
    data = coin(abc={"scales": {"strikes": 2.0}})
    assert "calibration.abc.scales.strikes: is a yes/no fact" in _error(tmp_path, data)


def test_estimation_needs_priors_and_facts(tmp_path: Path) -> None:
    data = coin()
    data["calibration"]["priors"] = {}
    assert "calibration.priors: required for the estimation" in _error(tmp_path, data)


def test_facts_must_fit_the_scenario(tmp_path: Path) -> None:
    data = coin()
    data["calibration"]["observations"]["facts"]["strikes"]["trust"]["truster"] = "C"
    message = _error(tmp_path, data)
    assert "calibration.observations.facts.strikes.trust.truster: 'C' is not in scenario" in message


def test_candidate_models_from_options_and_files(tmp_path: Path) -> None:
    path = write(coin(), tmp_path)
    estimation = load_estimation(
        path, model_options=["never=incidents.strike.rate=0", "often=incidents.strike.rate=0.9"]
    )
    names = [m.name for m in estimation.models]
    assert names == ["coin", "never", "often"]
    never = estimation.models[1]
    assert never.priors == {}  # the override fixes the only prior
    assert never.scenario.incidents["strike"].rate == 0.0
    models = tmp_path / "models.yaml"
    models.write_text(
        yaml.safe_dump(
            {
                "models": {
                    "rare": {
                        "description": "incidents are rare",
                        "priors": {
                            "incidents.strike.rate": {
                                "distribution": "uniform",
                                "low": 0.0,
                                "high": 0.1,
                            }
                        },
                    }
                }
            }
        ),
        encoding="utf-8",
    )
    estimation = load_estimation(path, models_file=models)
    rare = estimation.models[1]
    assert rare.name == "rare" and rare.priors["incidents.strike.rate"].high == 0.1


@pytest.mark.parametrize(
    ("options", "words"),
    [
        (["never"], "expected NAME=path=value"),
        (["never=incidents.strike.rate"], "is not path=value"),
        (["x=incidents.strike.rate=1,incidents.strike.rate=0"], "sets incidents.strike.rate twice"),
        (["x=incidents.strike.rate=nan"], "finite number"),
        (["x=incidents.strike.rat=0"], "--model x: incidents.strike.rat: unknown field 'rat'"),
        (["x=incidents.strike.rate=1.5"], "--model x: incidents.strike.rate: is 1.5"),
        (["coin=incidents.strike.rate=0"], "model name 'coin' is taken"),
        (["x=incidents.strike.rate=0", "x=incidents.strike.rate=1"], "given twice"),
    ],
)
def test_bad_model_options_get_one_line(tmp_path: Path, options, words) -> None:
    message = _error(tmp_path, coin(), model_options=options)
    assert message.startswith("command line: --model"), message
    assert words in message, message


def test_bad_models_files_get_one_line(tmp_path: Path) -> None:
    models = tmp_path / "models.yaml"
    models.write_text("models:\n  x:\n    overides: {}\n", encoding="utf-8")
    message = _error(tmp_path, coin(), models_file=models)
    assert message.startswith(f"{models}: models.x.overides: unknown field"), message
    models.write_text(
        "models:\n  x:\n    overrides: {incidents.strike.rate: 0.1}\n"
        "    priors: {incidents.strike.rate: {distribution: uniform, low: 0, high: 1}}\n",
        encoding="utf-8",
    )
    message = _error(tmp_path, coin(), models_file=models)
    assert "models.x.priors.incidents.strike.rate: is also set by the model's overrides" in message


def test_parse_model_option_reads_numbers_and_names() -> None:
    name, overrides = parse_model_option("m=a.b=1e-3, c.d = signals")
    assert name == "m" and overrides == {"a.b": 0.001, "c.d": "signals"}


def test_quick_check_prints_each_fact_and_the_joint_share(tmp_path: Path, capsys) -> None:
    path = write(coin(), tmp_path)
    code, out, _ = run_cli(capsys, "calibrate", path, "--runs", 400, "--seed", 2)
    assert code == 0
    lines = {line.split()[0]: line.split() for line in out.splitlines() if line.strip()}
    strikes = float(lines["strikes"][2])
    # N ~ Binomial(40, 0.3): P(10 <= N <= 15) = 0.63; 400 runs give +- 0.05 (2 sd)
    assert 0.55 < strikes < 0.71
    assert float(lines["talks_never_start"][2]) == 1.0
    assert f"all facts jointly: {strikes:.3f} of runs" in out


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--population", "10"], "--population: belongs to the estimation: add --out DIR"),
        (["--model", "x=incidents.strike.rate=0"], "--model: belongs to the estimation"),
        (["--out", "OUT", "--runs", "5"], "--runs: belongs to the quick check"),
        (["--out", "OUT", "--population", "5"], "--population: is 5, out of range: must be >= 10"),
        (["--out", "OUT", "--models", "missing.yaml"], "missing.yaml: file not found"),
    ],
)
def test_calibrate_options_get_one_line(tmp_path: Path, capsys, args, words) -> None:
    path = write(coin(), tmp_path)
    args = [str(tmp_path / "out") if a == "OUT" else a for a in args]
    code, _, err = run_cli(capsys, "calibrate", path, *args)
    assert code == 2
    assert words in one_error(err)
    assert not (tmp_path / "out").exists()


def test_the_baseline_still_calibrates_against_its_patterns(capsys) -> None:
    code, out, _ = run_cli(capsys, "calibrate", "scenarios/baseline.yaml", "--runs", 20)
    assert code in (0, 1) and "border_coordination_agreed" in out


def test_the_documented_examples_load() -> None:
    folder = Path("docs/examples/estimation")
    coin_ = load_estimation(folder / "coin.yaml", models_file=folder / "coin_models.yaml")
    assert [m.name for m in coin_.models] == ["coin", "rare", "never"]
    trust = load_estimation(
        folder / "baseline_trust.yaml", models_file=folder / "trust_models.yaml"
    )
    assert [m.name for m in trust.models] == ["baseline", "no_trust_dynamics"]
    assert list(trust.models[1].priors) == ["dynamics.mediation_rate"]
    assert len(trust.observations.facts) == 8


def test_scenario_statuses_are_the_models() -> None:
    from lsr_sim.dynamics.status import STATUS_NAMES
    from lsr_sim.scenario import ISSUE_STATUSES

    assert ISSUE_STATUSES == STATUS_NAMES
