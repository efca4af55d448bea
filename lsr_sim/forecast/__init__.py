"""Forecasts from the state at a date, and their scores against what happened.

``forecast(scenario, start, end, runs)`` (:mod:`lsr_sim.forecast.core`) simulates from the
scenario cut at `start` and tabulates, per issue and date, the chance of an agreement, of
implementation and of each status, and quantiles of every delivered quantity.
``score_forecast(forecast, observations)`` (:mod:`lsr_sim.forecast.scoring`) scores it, and
naive baselines, against facts dated after the cut-off. See docs/forecasting.md.
"""

from lsr_sim.forecast.core import (
    ArgumentError,
    Forecast,
    ForecastError,
    assign_draws,
    cut_at,
    forecast,
    load_parameters,
    read_forecast,
    scenarios_per_run,
)

__all__ = [
    "ArgumentError",
    "Forecast",
    "ForecastError",
    "assign_draws",
    "cut_at",
    "forecast",
    "load_parameters",
    "read_forecast",
    "scenarios_per_run",
]
