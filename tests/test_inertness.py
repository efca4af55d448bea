"""The inertness audit (issue 11): inputs that change no outcome are exactly those docs/ODD.md
7.13 says are inert.

Two inputs runs with the same seeds share every random draw, so an input no rule reads gives
bitwise identical outcomes (lsr_sim.sweep.inertness.audit_inputs). First, for every trust
model, the trust inputs it does not read (TRUST_MODEL_INPUTS) are inert and the ones it reads
are not. Then every free input of the baseline (lsr_sim.sweep.inputs.free_inputs) is audited,
and the inert ones must be those ODD 7.13 lists for the baseline.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lsr_sim.scenario import load_scenario
from lsr_sim.scenario.schema import TRUST_MODEL_INPUTS
from lsr_sim.sweep.inertness import InputEffect, audit_inputs
from lsr_sim.sweep.inputs import free_inputs

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"

#: Two valid values of each trust input, apart enough to matter wherever the input is read.
TRUST_VALUES = {
    "trust_memory": (0.9, 1.0),
    "trust_prior_weight": (0.5, 10.0),
    "betrayal_weight": (1.0, 4.0),
    "talk_weight": (0.0, 0.5),
    "vouching_rate": (0.0, 0.2),
    "concession_weight": (0.1, 0.9),
    "concession_scale": (0.02, 0.5),
    "trust_gain_rate": (0.01, 0.3),
    "trust_loss_rate": (0.05, 0.5),
    "action_weight": (0.2, 1.0),
    "rhetoric_weight": (0.0, 0.5),
    "trust_decay": (0.0, 0.05),
}


def test_every_trust_input_is_listed() -> None:
    listed = set().union(*TRUST_MODEL_INPUTS.values())
    assert listed == set(TRUST_VALUES)


@pytest.mark.parametrize("model", sorted(TRUST_MODEL_INPUTS))
def test_a_trust_model_reads_exactly_its_inputs(model) -> None:
    baseline = load_scenario(BASELINE)
    dynamics = baseline.dynamics.model_copy(update={"trust_model": model})
    scenario = baseline.model_copy(update={"dynamics": dynamics})
    inputs = [(f"dynamics.{name}", lo, hi) for name, (lo, hi) in TRUST_VALUES.items()]
    found = {e.path.removeprefix("dynamics."): e for e in audit_inputs(scenario, inputs, runs=6)}
    inert = {name for name, effect in found.items() if effect.inert}
    assert inert == set(TRUST_VALUES) - TRUST_MODEL_INPUTS[model], {
        name: found[name].changed for name in TRUST_VALUES
    }


# -- every free input of the baseline against ODD 7.13 ---------------------------------------
ODD = ROOT / "docs" / "ODD.md"


def _odd_list(name: str) -> set[str]:
    text = ODD.read_text(encoding="utf-8")
    start = text.index(f"<!-- {name}: begin")
    end = text.index(f"<!-- {name}: end -->", start)
    return set(re.findall(r"`([A-Za-z_][\w.]*)`", text[text.index("\n", start) : end]))


@pytest.fixture(scope="module")
def baseline_audit() -> list[InputEffect]:
    baseline = load_scenario(BASELINE)
    inputs = [(i.path, i.low, i.high) for i in free_inputs(baseline).inputs]
    return audit_inputs(baseline, inputs, runs=40, seed=3)


def test_the_inert_inputs_of_the_baseline_are_those_the_odd_lists(baseline_audit) -> None:
    found = {e.path for e in baseline_audit if e.inert}
    listed = _odd_list("inert-inputs")
    assert found - listed == set(), "inert but not listed in docs/ODD.md 7.13"
    assert listed - found == set(), "listed as inert in docs/ODD.md 7.13 but read"


def test_inputs_that_change_only_trust_or_amounts_are_listed(baseline_audit) -> None:
    trust_only = {e.path for e in baseline_audit if e.changed and set(e.changed) <= {"mean_trust"}}
    amounts_only = {
        e.path
        for e in baseline_audit
        if e.changed and all(name.startswith("delivered_") for name in e.changed)
    }
    assert trust_only == _odd_list("trust-only-inputs")
    assert amounts_only == _odd_list("delivered-only-inputs")


def test_the_audit_reads_most_inputs(baseline_audit) -> None:
    # Guards the audit itself: were it comparing nothing, every input would look inert.
    read = [e for e in baseline_audit if e.changed]
    assert len(read) > len(baseline_audit) / 2
    betrayal = next(e for e in baseline_audit if e.path == "dynamics.betrayal_weight")
    assert "trust_Beirut_Damascus" in betrayal.changed
