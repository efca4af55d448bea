"""What an estimation needs, checked once: the scenario, its facts, priors and candidate models.

A scenario's ``calibration`` section declares ``priors`` (dotted path -> distribution),
``observations`` (dated facts) and ``abc`` settings (see :mod:`lsr_sim.scenario.estimation`).
Candidate models for the comparison are the scenario changed by dotted-path overrides, each
with its priors (by default the scenario's, less the paths it overrides), from a models file

.. code-block:: yaml

    models:
      no_trust_dynamics:
        description: trust never moves
        overrides: {dynamics.trust_gain_rate: 0, dynamics.trust_loss_rate: 0,
                    dynamics.vouching_rate: 0, dynamics.trust_decay: 0}

or from ``--model NAME=path=value,path=value`` on the command line. :func:`load_estimation`
checks everything before anything runs and raises one :class:`~lsr_sim.errors.InputError`
line naming the file, the field and the fix.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from lsr_sim.errors import InputError
from lsr_sim.messages import FileKind, did_you_mean, format_validation_error
from lsr_sim.observations import ObservationsError, check_observations, fact_step
from lsr_sim.scenario import Scenario, load_scenario, read_yaml_mapping, scenario_from_dict
from lsr_sim.scenario.estimation import ABCSettings, Prior
from lsr_sim.scenario.facts import Observations
from lsr_sim.scenario.paths import PathError, apply_parameters, resolve_path

#: Candidate-models files (``lsr-sim calibrate --models``), as messages speak of them.
MODELS_FILE = FileKind(
    "models", "docs/examples/estimation/trust_models.yaml", "models: NAME: overrides: ...",
    InputError,
)  # fmt: skip

__all__ = [
    "CandidateModel",
    "Estimation",
    "ModelEntry",
    "ModelsFile",
    "estimation_from_scenario",
    "load_estimation",
    "load_models_file",
    "parse_model_option",
    "scipy_prior",
]

#: How far (in sd) from the mean an unbounded normal prior must keep the scenario valid.
NORMAL_REACH = 8.0

Value = float | int | str


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ModelEntry(_Frozen):
    """One candidate model of a models file."""

    description: str = ""
    overrides: dict[str, float | int | str] = Field(
        default_factory=dict, description="Dotted path -> value, applied to the scenario."
    )
    priors: dict[str, Prior] | None = Field(
        None,
        description="This model's priors (default: the scenario's, less the paths it overrides).",
    )


class ModelsFile(_Frozen):
    """A models file: candidate models by name."""

    models: dict[str, ModelEntry] = Field(min_length=1)


@dataclass(frozen=True)
class CandidateModel:
    """One model of the comparison: a scenario (overrides applied) and its priors.

    Attributes
    ----------
    name : str
        The model's name (the scenario's own name for the scenario itself).
    scenario : Scenario
        The validated scenario with the overrides applied.
    priors : dict
        Dotted path -> :class:`~lsr_sim.scenario.estimation.Prior`; may be empty (a model
        with no free input).
    overrides : dict
        The overrides that made it from the estimation's scenario.
    description : str
        What the model is.
    """

    name: str
    scenario: Scenario
    priors: dict[str, Prior]
    overrides: dict[str, Value] = field(default_factory=dict)
    description: str = ""

    @property
    def parameters(self) -> list[str]:
        """The dotted paths of its free inputs, in a fixed order."""
        return list(self.priors)


@dataclass(frozen=True)
class Estimation:
    """Everything an estimation runs on, checked.

    Attributes
    ----------
    source : str
        The scenario file (for messages and the manifest).
    observations : Observations
        The dated facts.
    settings : ABCSettings
        Population, generations, replications, seed, weights, scales...
    models : tuple of CandidateModel
        ``models[0]`` is the scenario itself (its posterior is estimated); the others are the
        alternatives it is compared with.
    steps : int
        Steps each run needs: up to the last fact's date.
    """

    source: str
    observations: Observations
    settings: ABCSettings
    models: tuple[CandidateModel, ...]
    steps: int

    @property
    def scenario(self) -> Scenario:
        """The scenario whose inputs are estimated."""
        return self.models[0].scenario


def scipy_prior(prior: Prior) -> tuple[str, tuple[float, ...]]:
    """The scipy.stats distribution name and arguments of a prior.

    Examples
    --------
    >>> scipy_prior(Prior(distribution="uniform", low=0.1, high=0.3))
    ('uniform', (0.1, 0.19999999999999998))
    >>> scipy_prior(Prior(distribution="beta", a=2.0, b=5.0))
    ('beta', (2.0, 5.0, 0.0, 1.0))
    """
    lo, hi = prior.support
    kind = prior.distribution
    if kind == "uniform":
        return "uniform", (lo, hi - lo)
    if kind == "loguniform":
        return "loguniform", (lo, hi)
    if kind == "beta":
        assert prior.a is not None and prior.b is not None
        return "beta", (prior.a, prior.b, lo, hi - lo)
    assert prior.mean is not None and prior.sd is not None
    if kind == "normal":
        return "norm", (prior.mean, prior.sd)
    return "truncnorm", (
        (lo - prior.mean) / prior.sd,
        (hi - prior.mean) / prior.sd,
        prior.mean,
        prior.sd,
    )


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e15 else f"{x:.6g}"


def _check_value(
    data: Mapping[str, Any], path: str, value: float, source: str, where: str, what: str
) -> None:
    try:
        scenario_from_dict(apply_parameters(data, {path: value}), source)
    except InputError as exc:
        problem = f"{exc.path}: {exc.message}" if exc.path else exc.message
        raise InputError(
            source, where, f"{what} {_num(value)}, which is invalid: {problem}"
        ) from None


def check_priors(scenario: Scenario, priors: Mapping[str, Prior], source: str, where: str) -> None:
    """InputError naming the first prior that does not fit `scenario`.

    Each path must name a numeric, non-integer field (as sweep parameters do), and every value
    the prior can draw must keep the scenario valid: checked at both ends of its support (and
    within it), or, for an unbounded normal, 8 sd from its mean.
    """
    data = scenario.model_dump(mode="json", by_alias=True, exclude_unset=True)
    for path, prior in priors.items():
        here = f"{where}.{path}"
        try:
            target = resolve_path(scenario, path)
        except PathError as exc:
            raise InputError(source, here, str(exc)) from None
        if target.integer:
            raise InputError(
                source,
                here,
                "takes whole numbers only; priors are continuous: fix it in the scenario or "
                "leave it out",
            )
        lo, hi = prior.support
        label = f"{prior.distribution} prior"
        if prior.distribution == "normal":
            assert prior.mean is not None and prior.sd is not None
            for end in (prior.mean - NORMAL_REACH * prior.sd, prior.mean + NORMAL_REACH * prior.sd):
                _check_value(
                    data,
                    path,
                    end,
                    source,
                    here,
                    f"a normal prior (mean {_num(prior.mean)}, sd {_num(prior.sd)}) can draw "
                    "values near",
                )
            continue
        ends = [x for x in (lo, hi) if math.isfinite(x)]
        if prior.distribution == "truncnorm":
            assert prior.mean is not None and prior.sd is not None
            if not math.isfinite(lo):
                ends.append(min(hi, prior.mean) - NORMAL_REACH * prior.sd)
            if not math.isfinite(hi):
                ends.append(max(lo, prior.mean) + NORMAL_REACH * prior.sd)
        ends.append(sum(ends) / len(ends))
        for end in ends:
            _check_value(data, path, end, source, here, f"the {label} can draw")


def _apply(scenario: Scenario, overrides: Mapping[str, Value], source: str, where: str) -> Scenario:
    """`scenario` with the overrides applied and validated; InputError at `where` and the
    path (``models.x.overrides.<path>`` in a file, ``--model x: <path>`` on the command line)."""

    def at(path: str) -> str:
        if not path:
            return where
        return f"{where}: {path}" if where.startswith("--") else f"{where}.{path}"

    for path, value in overrides.items():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            try:
                resolve_path(scenario, path)
            except PathError as exc:
                raise InputError(source, at(path), str(exc)) from None
    data = scenario.model_dump(mode="json", by_alias=True, exclude_unset=True)
    try:
        # apply_parameters passes text values through unchanged (a submodel's name)
        values: dict[str, Any] = dict(overrides)
        return scenario_from_dict(apply_parameters(data, values), source)
    except TypeError as exc:  # a path through a value that is not a mapping
        raise InputError(source, where, str(exc)) from None
    except InputError as exc:
        raise InputError(source, at(exc.path), exc.message) from None


def parse_model_option(text: str) -> tuple[str, dict[str, Value]]:
    """``NAME=path=value,path=value`` -> (name, overrides); ValueError with the fix.

    A value that reads as a number is one; any other is text (e.g. a submodel's name).

    Examples
    --------
    >>> parse_model_option("null=dynamics.trust_gain_rate=0,dynamics.trust_model=none")
    ('null', {'dynamics.trust_gain_rate': 0.0, 'dynamics.trust_model': 'none'})
    """
    name, sep, rest = text.partition("=")
    name = name.strip()
    example = "e.g. null=dynamics.trust_gain_rate=0,dynamics.trust_loss_rate=0"
    if not sep or not name or not rest.strip():
        raise ValueError(f"expected NAME=path=value[,path=value...], got {text!r}; {example}")
    overrides: dict[str, Value] = {}
    for item in rest.split(","):
        path, sep, raw = item.partition("=")
        path, raw = path.strip(), raw.strip()
        if not sep or not path or not raw:
            raise ValueError(f"{item.strip()!r} in model {name!r} is not path=value; {example}")
        if path in overrides:
            raise ValueError(f"model {name!r} sets {path} twice; set it once")
        try:
            number = float(raw)
        except ValueError:
            overrides[path] = raw
        else:
            if not math.isfinite(number):
                raise ValueError(f"{path}={raw} in model {name!r}: give a finite number")
            overrides[path] = number
    return name, overrides


def load_models_file(path: str | Path) -> ModelsFile:
    """Read and validate a models file; InputError (one line) if it is bad."""
    path = Path(path)
    data = read_yaml_mapping(path, MODELS_FILE)
    try:
        return ModelsFile.model_validate(data)
    except ValidationError as exc:
        where, message = format_validation_error(exc, ModelsFile)
        raise InputError(str(path), where, message) from None


def _candidate(
    base: Scenario, name: str, entry: ModelEntry, source: str, in_file: bool, base_source: str
) -> CandidateModel:
    """One candidate model, checked; errors name the models file (or ``--model NAME``)."""
    cal = base.calibration
    assert cal is not None
    where = f"models.{name}" if in_file else f"--model {name}"
    scenario = _apply(base, entry.overrides, source, f"{where}.overrides" if in_file else where)
    if entry.priors is None:
        # The scenario's priors, less what the model fixes; checked against the model.
        priors = {p: prior for p, prior in cal.priors.items() if p not in entry.overrides}
        try:
            check_priors(scenario, priors, base_source, "calibration.priors")
        except InputError as exc:
            raise InputError(exc.source, exc.path, f"in model {name!r}: {exc.message}") from None
    else:
        priors = dict(entry.priors)
        for path in priors:
            if path in entry.overrides:
                raise InputError(
                    source,
                    f"{where}.priors.{path}",
                    "is also set by the model's overrides; give it a prior or a value, not both",
                )
        check_priors(scenario, priors, source, f"{where}.priors")
    return CandidateModel(name, scenario, priors, dict(entry.overrides), entry.description)


def estimation_from_scenario(
    scenario: Scenario,
    source: str = "<scenario>",
    *,
    models: Mapping[str, ModelEntry] | None = None,
    models_source: str = "command line",
    settings: Mapping[str, Any] | None = None,
) -> Estimation:
    """Check a scenario's estimation inputs (and candidate models) and bundle them.

    Parameters
    ----------
    scenario : Scenario
        With a ``calibration`` section that has ``observations`` and ``priors``.
    source : str
        The scenario file, for messages.
    models : mapping, optional
        Candidate models by name (besides the scenario itself).
    models_source : str
        Where the models come from, for messages: a models file, or ``command line``
        (``--model`` options).
    settings : mapping, optional
        ABC settings that replace the scenario's (e.g. ``{"population": 100}``).

    Raises
    ------
    InputError
        One line naming the file, the field and the fix.
    """
    cal = scenario.calibration
    if cal is None:
        raise InputError(
            source, "calibration", "no calibration section; add priors and observations"
        )
    if cal.observations is None:
        raise InputError(
            source,
            "calibration.observations",
            "required for the estimation; give an observations file (relative path) or the "
            "facts inline",
        )
    if not cal.priors:
        raise InputError(
            source,
            "calibration.priors",
            "required for the estimation; give at least one, e.g. "
            "dynamics.trust_gain_rate: {distribution: uniform, low: 0.0, high: 0.2}",
        )
    observations = cal.observations
    try:
        check_observations(observations, scenario, source)
    except ObservationsError as exc:
        raise InputError(source, f"calibration.observations.{exc.path}", exc.message) from None
    abc = cal.abc
    if settings:
        try:
            abc = ABCSettings.model_validate({**abc.model_dump(), **settings})
        except ValidationError as exc:
            where, message = format_validation_error(exc, ABCSettings)
            field = where.split(".")[0]
            option = "--draws" if field == "predictive_draws" else f"--{field}"
            raise InputError("command line", option, message) from None
    facts = list(observations.facts)
    for kind in ("weights", "scales"):
        for name in getattr(abc, kind):
            if name not in observations.facts:
                raise InputError(
                    source,
                    f"calibration.abc.{kind}.{name}",
                    f"is not a fact{did_you_mean(name, facts)}; expected one of {', '.join(facts)}",
                )
            if kind == "scales" and not observations.facts[name].measured:
                raise InputError(
                    source,
                    f"calibration.abc.scales.{name}",
                    "is a yes/no fact; scales are for measured amounts (delivered: {value: ...})",
                )
    check_priors(scenario, cal.priors, source, "calibration.priors")
    own = CandidateModel(scenario.name, scenario, dict(cal.priors), {}, "the scenario as given")
    candidates = [own]
    in_file = models_source != "command line"
    for name, entry in (models or {}).items():
        if name in {c.name for c in candidates}:
            raise InputError(
                models_source,
                f"models.{name}" if in_file else "--model",
                f"model name {name!r} is taken (the scenario's own model is {scenario.name!r}); "
                "choose another",
            )
        candidates.append(_candidate(scenario, name, entry, models_source, in_file, source))
    steps = max(fact_step(scenario, fact.date) for fact in observations.facts.values())
    return Estimation(source, observations, abc, tuple(candidates), max(steps, 1))


def load_estimation(
    scenario_path: str | Path,
    *,
    models_file: str | Path | None = None,
    model_options: Sequence[str] = (),
    settings: Mapping[str, Any] | None = None,
) -> Estimation:
    """Load a scenario and its candidate models (a models file, or ``--model`` options).

    Raises
    ------
    InputError
        One line naming the file (or ``command line``), the field and the fix.
    """
    scenario = load_scenario(scenario_path)
    source = str(scenario_path)
    if models_file is not None and model_options:
        raise InputError(
            "command line", "--model", "give --models FILE or --model options, not both"
        )
    models: dict[str, ModelEntry] = {}
    if models_file is not None:
        loaded = load_models_file(models_file)
        return estimation_from_scenario(
            scenario,
            source,
            models=loaded.models,
            models_source=str(models_file),
            settings=settings,
        )
    for text in model_options:
        try:
            name, overrides = parse_model_option(text)
        except ValueError as exc:
            raise InputError("command line", "--model", str(exc)) from None
        if name in models:
            raise InputError(
                "command line", "--model", f"model {name!r} is given twice; name each once"
            )
        models[name] = ModelEntry(overrides=overrides, priors=None)
    return estimation_from_scenario(scenario, source, models=models, settings=settings)
