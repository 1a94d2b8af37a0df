"""Interval forecasts of calls and handling time, agent requirements, intraday re-forecasts.

Three volume methods compete in a rolling-origin back-test and the one with the
lowest mean WAPE wins:

``seasonal_naive``
    The same interval one week earlier (repeated weekly beyond seven days).
``holt_winters_weekly``
    Holt–Winters (additive level and weekly season of ``7 * slots`` intervals,
    statsmodels ``ExponentialSmoothing``) on the interval series of the last
    ``fit_weeks`` weeks.
``holt_winters_top_down``
    Holt–Winters on *daily totals* (damped additive trend, weekly multiplicative
    season), spread over the day with each weekday's intraday profile (mean
    share of the day's calls per interval over the last ``profile_weeks`` same
    weekdays). Daily and weekly seasonality are thus both modelled, the usual
    top-down practice in workforce management (Gans, Koole & Mandelbaum 2003, §3).

Handling time is forecast the same way for every method: the call-weighted mean
AHT of the interval and its two neighbours over all days of the last
``profile_weeks`` weeks (pooled because an interval's mean over ``n`` calls is
noisy, CV near ``1 / sqrt(n)``), falling back to the overall mean.

Errors: ``WAPE = sum |actual - forecast| / sum actual`` over all intervals and
``MAPE = mean(|actual - forecast| / actual)`` over intervals with calls (MAPE
is undefined where nothing was offered). The choice uses WAPE because it weighs
busy intervals — the ones that drive staffing — more than quiet ones.

Intervals follow the local wall clock of ``interval_start``: a day is a row of
``1440 / interval_minutes`` slots; on daylight-saving change days the skipped
slots are empty and a repeated hour is summed.

References
----------
Holt, C. C. (1957/2004). Forecasting seasonals and trends by exponentially
weighted moving averages. *International Journal of Forecasting* 20(1), 5–10.
Winters, P. R. (1960). Forecasting sales by exponentially weighted moving
averages. *Management Science* 6(3), 324–342.
Hyndman, R. J. & Athanasopoulos, G. (2021). *Forecasting: Principles and
Practice*, 3rd ed., §5.8 (MAPE/WAPE) and §5.10 (time-series cross-validation).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from statsmodels.tsa.holtwinters import ExponentialSmoothing

from servicechain.staffing.erlang import required_agents_day, service_level_day

__all__ = [
    "METHODS",
    "ForecastResult",
    "forecast_intervals",
    "reforecast_intraday",
    "requirements",
]

METHODS = ("seasonal_naive", "holt_winters_weekly", "holt_winters_top_down")


@dataclass
class ForecastResult:
    """A forecast with the back-test that chose its method.

    Attributes
    ----------
    forecast : pandas.DataFrame
        ``interval_start`` (tz-aware), ``calls`` (expected, float), ``aht_s``.
    method : str
        The method with the lowest mean back-test WAPE.
    backtest : pandas.DataFrame
        One row per method and fold: ``method, origin, mape, wape, aht_wape``.
    """

    forecast: pd.DataFrame
    method: str
    backtest: pd.DataFrame = field(repr=False)

    def summary(self) -> pd.DataFrame:
        """Mean back-test errors per method, best first."""
        table = self.backtest.groupby("method")[["mape", "wape", "aht_wape"]].mean()
        table["folds"] = self.backtest.groupby("method").size()
        table["chosen"] = table.index == self.method
        return table.sort_values("wape")


def forecast_intervals(
    history: pd.DataFrame,
    horizon_days: int = 7,
    interval_minutes: int | None = None,
    methods: tuple[str, ...] = METHODS,
    backtest_folds: int = 4,
    fit_weeks: int = 8,
    profile_weeks: int = 6,
) -> ForecastResult:
    """Forecast calls and AHT per interval for the days after ``history``.

    Parameters
    ----------
    history : pandas.DataFrame
        ``interval_start`` (tz-aware or naive timestamps), ``calls``, ``aht_s``
        (NaN allowed where no call was handled). Whole days are expected; a
        missing interval counts as zero calls.
    horizon_days : int
        Days to forecast after the last day of history.
    interval_minutes : int, optional
        Interval length; inferred from the most common spacing when omitted.
    methods : tuple of str
        Candidate methods (subset of :data:`METHODS`).
    backtest_folds : int
        Rolling origins, each ``horizon_days`` apart, ending at the last day.
    fit_weeks : int
        Weeks of interval history the Holt–Winters methods are fitted on.
    profile_weeks : int
        Weeks used for intraday profiles and the AHT forecast.

    Returns
    -------
    ForecastResult
    """
    unknown = set(methods) - set(METHODS)
    if unknown:
        raise ValueError(f"unknown forecast methods {sorted(unknown)}; choose from {METHODS}")
    if horizon_days < 1:
        raise ValueError(f"horizon_days must be >= 1, got {horizon_days}")
    grid = _DayGrid.from_history(history, interval_minutes)
    usable = [m for m in methods if grid.days >= _min_days(m) + horizon_days]
    if not usable:
        raise ValueError(
            f"history holds {grid.days} days; at least {7 + horizon_days} are needed "
            "(one week to learn from plus one horizon to back-test)"
        )
    rows = []
    for fold in range(1, backtest_folds + 1):
        origin = grid.days - fold * horizon_days
        actual_calls = grid.calls[origin : origin + horizon_days]
        actual_aht = grid.aht[origin : origin + horizon_days]
        train = grid.head(origin)
        aht = _forecast_aht(train, horizon_days, profile_weeks)
        for method in usable:
            if origin < _min_days(method):
                continue
            predicted = _forecast_calls(method, train, horizon_days, fit_weeks, profile_weeks)
            rows.append(
                {
                    "method": method,
                    "origin": grid.dates[origin],
                    **_errors(actual_calls, predicted, actual_aht, aht),
                }
            )
    backtest = pd.DataFrame(rows, columns=["method", "origin", "mape", "wape", "aht_wape"])
    scored = backtest.groupby("method")["wape"].mean()
    method = str(scored.idxmin()) if len(scored) else usable[0]
    calls = _forecast_calls(method, grid, horizon_days, fit_weeks, profile_weeks)
    aht = _forecast_aht(grid, horizon_days, profile_weeks)
    forecast = grid.future_frame(horizon_days, calls, aht)
    return ForecastResult(forecast=forecast, method=method, backtest=backtest)


def requirements(
    forecast: pd.DataFrame | ForecastResult,
    target_service_level: float = 0.8,
    answer_within_s: float = 20.0,
    max_occupancy: float | None = None,
    shrinkage: float = 0.0,
    interval_minutes: int | None = None,
) -> pd.DataFrame:
    """Required agents per interval from a forecast (Erlang C).

    Parameters
    ----------
    forecast : pandas.DataFrame or ForecastResult
        ``interval_start``, ``calls``, ``aht_s`` per interval.
    target_service_level, answer_within_s, max_occupancy, shrinkage
        As in :func:`servicechain.staffing.erlang.required_agents`. When the
        result feeds the CP-SAT scheduler, leave breaks and lunches *out* of
        ``shrinkage``: the scheduler places them explicitly.
    interval_minutes : int, optional
        Inferred from ``interval_start`` when omitted.

    Returns
    -------
    pandas.DataFrame
        ``interval_start, calls, aht_s, traffic_erlangs, agents_on_phone``
        (answering agents needed, no shrinkage), ``required_agents`` (after
        shrinkage) and ``service_level`` (projected with ``agents_on_phone``).
    """
    frame = forecast.forecast if isinstance(forecast, ForecastResult) else forecast
    frame = frame[["interval_start", "calls", "aht_s"]].reset_index(drop=True).copy()
    minutes = interval_minutes or _infer_interval_minutes(frame["interval_start"])
    interval_s = 60.0 * minutes
    calls = frame["calls"].to_numpy(float)
    # An interval without calls has no AHT to speak of; any positive value gives 0 agents.
    aht = np.where(calls > 0, frame["aht_s"].to_numpy(float), 1.0)
    if np.isnan(aht).any():
        raise ValueError("aht_s is missing for an interval with calls; fill it before staffing")
    on_phone = required_agents_day(
        calls, aht, interval_s, target_service_level, answer_within_s, max_occupancy
    )
    frame["traffic_erlangs"] = calls * aht / interval_s
    frame["agents_on_phone"] = on_phone
    frame["required_agents"] = required_agents_day(
        calls, aht, interval_s, target_service_level, answer_within_s, max_occupancy, shrinkage
    )
    frame["service_level"] = service_level_day(on_phone, calls, aht, interval_s, answer_within_s)
    return frame


def reforecast_intraday(
    forecast_today: pd.DataFrame,
    actuals_so_far: pd.DataFrame,
    volume_bounds: tuple[float, float] = (0.5, 2.0),
    aht_bounds: tuple[float, float] = (0.75, 1.33),
    credibility_calls: float = 100.0,
) -> pd.DataFrame:
    """Scale today's remaining intervals by what the morning has shown so far.

    ``raw = sum(actual calls) / sum(forecast calls)`` over the intervals already
    observed. Early in the day a few calls say little, so the ratio is shrunk
    towards 1 with credibility weight ``n / (n + credibility_calls)``, ``n`` the
    forecast calls so far, then clipped to ``volume_bounds``:
    ``ratio = clip(1 + (raw - 1) * n / (n + k), lower, upper)``. AHT is treated
    the same way (call-weighted means, ``aht_bounds``). Observed intervals keep
    their actual values.

    Parameters
    ----------
    forecast_today : pandas.DataFrame
        ``interval_start, calls, aht_s`` for today.
    actuals_so_far : pandas.DataFrame
        ``interval_start, calls, aht_s`` for the intervals already closed.
    volume_bounds, aht_bounds : (float, float)
        Lowest and highest ratio applied.
    credibility_calls : float
        Forecast calls at which the observed ratio gets half its weight.

    Returns
    -------
    pandas.DataFrame
        ``interval_start, calls, aht_s, source`` (``"actual"`` or
        ``"reforecast"``); ``attrs`` hold ``volume_ratio`` and ``aht_ratio``.
    """
    today = forecast_today[["interval_start", "calls", "aht_s"]].reset_index(drop=True)
    seen = actuals_so_far.set_index("interval_start")[["calls", "aht_s"]]
    observed = today["interval_start"].isin(seen.index).to_numpy()
    planned = today.loc[observed, "calls"].to_numpy(float)
    actual = seen.loc[today.loc[observed, "interval_start"]]
    volume_ratio = _credible_ratio(
        actual["calls"].sum(), planned.sum(), planned.sum(), credibility_calls, volume_bounds
    )
    handled = actual["calls"].to_numpy(float)
    actual_aht = np.nansum(handled * actual["aht_s"].to_numpy(float))
    planned_aht = np.nansum(handled * today.loc[observed, "aht_s"].to_numpy(float))
    aht_ratio = _credible_ratio(
        actual_aht, planned_aht, handled.sum(), credibility_calls, aht_bounds
    )
    result = today.copy()
    result["source"] = np.where(observed, "actual", "reforecast")
    result.loc[observed, "calls"] = handled
    result.loc[observed, "aht_s"] = actual["aht_s"].to_numpy(float)
    result.loc[~observed, "calls"] = today.loc[~observed, "calls"] * volume_ratio
    result.loc[~observed, "aht_s"] = today.loc[~observed, "aht_s"] * aht_ratio
    result.attrs.update(volume_ratio=volume_ratio, aht_ratio=aht_ratio)
    return result


def _credible_ratio(actual, planned, evidence, credibility, bounds) -> float:
    if planned <= 0:
        return 1.0
    weight = evidence / (evidence + credibility)
    return float(np.clip(1.0 + (actual / planned - 1.0) * weight, *bounds))


# --------------------------------------------------------------------------- day grid


@dataclass
class _DayGrid:
    """History as a (days x slots) matrix on the local wall clock."""

    dates: pd.DatetimeIndex
    calls: np.ndarray
    aht: np.ndarray
    minutes: int
    tz: object

    @property
    def days(self) -> int:
        return len(self.dates)

    @property
    def slots(self) -> int:
        return self.calls.shape[1]

    @classmethod
    def from_history(cls, history: pd.DataFrame, interval_minutes: int | None) -> _DayGrid:
        missing = {"interval_start", "calls", "aht_s"} - set(history.columns)
        if missing:
            raise ValueError(f"history lacks columns {sorted(missing)}")
        starts = pd.DatetimeIndex(history["interval_start"])
        minutes = interval_minutes or _infer_interval_minutes(history["interval_start"])
        if 1440 % minutes:
            raise ValueError(f"interval_minutes must divide a day, got {minutes}")
        local = starts.tz_localize(None) if starts.tz is not None else starts
        day = local.normalize()
        slot = ((local - day) / pd.Timedelta(minutes=minutes)).astype(int)
        calls = history["calls"].to_numpy(float)
        seconds = np.where(calls > 0, calls * history["aht_s"].to_numpy(float), 0.0)
        frame = pd.DataFrame({"day": day, "slot": slot, "calls": calls, "seconds": seconds})
        summed = frame.groupby(["day", "slot"])[["calls", "seconds"]].sum()
        dates = pd.date_range(day.min(), day.max(), freq="D")
        full = pd.MultiIndex.from_product([dates, range(1440 // minutes)], names=["day", "slot"])
        summed = summed.reindex(full, fill_value=0.0)
        shape = (len(dates), 1440 // minutes)
        grid_calls = summed["calls"].to_numpy().reshape(shape)
        with np.errstate(invalid="ignore", divide="ignore"):
            grid_aht = summed["seconds"].to_numpy().reshape(shape) / grid_calls
        return cls(dates, grid_calls, grid_aht, minutes, starts.tz)

    def head(self, days: int) -> _DayGrid:
        return _DayGrid(
            self.dates[:days], self.calls[:days], self.aht[:days], self.minutes, self.tz
        )

    def future_frame(self, horizon_days: int, calls: np.ndarray, aht: np.ndarray) -> pd.DataFrame:
        dates = pd.date_range(self.dates[-1] + pd.Timedelta(days=1), periods=horizon_days)
        local = dates.repeat(self.slots) + pd.to_timedelta(
            np.tile(np.arange(self.slots) * self.minutes, horizon_days), unit="min"
        )
        starts = local
        if self.tz is not None:
            starts = local.tz_localize(
                self.tz, ambiguous=np.zeros(len(local), dtype=bool), nonexistent="NaT"
            )
        frame = pd.DataFrame(
            {"interval_start": starts, "calls": calls.ravel(), "aht_s": aht.ravel()}
        )
        return frame.dropna(subset=["interval_start"], ignore_index=True)


def _infer_interval_minutes(starts: pd.Series) -> int:
    steps = pd.Series(pd.DatetimeIndex(starts)).sort_values().diff().dropna()
    steps = steps[steps > pd.Timedelta(0)]
    if steps.empty:
        raise ValueError("cannot infer interval_minutes from fewer than two intervals")
    return int(steps.mode().iloc[0] / pd.Timedelta(minutes=1))


def _min_days(method: str) -> int:
    # Holt–Winters needs two full weekly seasons to initialise, plus a week to learn.
    return 7 if method == "seasonal_naive" else 21


# --------------------------------------------------------------------------- methods


def _forecast_calls(method, grid: _DayGrid, horizon, fit_weeks, profile_weeks) -> np.ndarray:
    if method == "seasonal_naive":
        forecast = _seasonal_naive(grid, horizon)
    elif method == "holt_winters_weekly":
        forecast = _holt_winters_weekly(grid, horizon, fit_weeks)
    else:
        forecast = _holt_winters_top_down(grid, horizon, fit_weeks, profile_weeks)
    # Slots that had no calls on that weekday for weeks are closed: keep them at zero.
    return np.where(_closed_slots(grid, horizon, profile_weeks), 0.0, np.maximum(forecast, 0.0))


def _seasonal_naive(grid: _DayGrid, horizon: int) -> np.ndarray:
    last_week = grid.calls[-7:]
    return np.stack([last_week[d % 7] for d in range(horizon)])


def _holt_winters_weekly(grid: _DayGrid, horizon: int, fit_weeks: int) -> np.ndarray:
    series = grid.calls[-7 * fit_weeks :].ravel()
    model = _fit(series, seasonal="add", seasonal_periods=7 * grid.slots, init="heuristic")
    return model.forecast(horizon * grid.slots).reshape(horizon, grid.slots)


def _holt_winters_top_down(grid, horizon, fit_weeks, profile_weeks) -> np.ndarray:
    totals = grid.calls[-7 * fit_weeks :].sum(axis=1)
    seasonal = "mul" if (totals > 0).all() else "add"
    model = _fit(
        totals, seasonal=seasonal, seasonal_periods=7, init="estimated", trend="add", damped=True
    )
    daily = np.maximum(model.forecast(horizon), 0.0)
    profile = _weekday_profiles(grid, profile_weeks)
    weekday = _future_weekdays(grid, horizon)
    return daily[:, None] * profile[weekday]


def _fit(series, seasonal, seasonal_periods, init, trend=None, damped=False):
    with warnings.catch_warnings():
        # Optimiser chatter (convergence notes) is not actionable here; the
        # back-test judges the fit.
        warnings.simplefilter("ignore")
        model = ExponentialSmoothing(
            series,
            trend=trend,
            damped_trend=damped,
            seasonal=seasonal,
            seasonal_periods=seasonal_periods,
            initialization_method=init,
        )
        return model.fit()


def _weekday_profiles(grid: _DayGrid, weeks: int) -> np.ndarray:
    recent = grid.calls[-7 * weeks :]
    weekday = grid.dates[-7 * weeks :].dayofweek
    profiles = np.zeros((7, grid.slots))
    for day in range(7):
        calls = recent[weekday == day].sum(axis=0)
        total = calls.sum()
        profiles[day] = calls / total if total > 0 else 1.0 / grid.slots
    return profiles


def _closed_slots(grid: _DayGrid, horizon: int, weeks: int) -> np.ndarray:
    recent = grid.calls[-7 * weeks :]
    weekday = grid.dates[-7 * weeks :].dayofweek
    closed = np.stack([recent[weekday == d].sum(axis=0) == 0 for d in range(7)])
    return closed[_future_weekdays(grid, horizon)]


def _future_weekdays(grid: _DayGrid, horizon: int) -> np.ndarray:
    first = (grid.dates[-1].dayofweek + 1) % 7
    return (first + np.arange(horizon)) % 7


def _forecast_aht(grid: _DayGrid, horizon: int, weeks: int) -> np.ndarray:
    recent_calls = grid.calls[-7 * weeks :]
    seconds = np.where(recent_calls > 0, recent_calls * np.nan_to_num(grid.aht[-7 * weeks :]), 0.0)
    # Pool every day and the neighbouring slots: an interval's mean AHT over n calls
    # has a coefficient of variation near 1 / sqrt(n), so pooling beats detail.
    window = np.ones(3)
    pooled_seconds = np.convolve(seconds.sum(axis=0), window, mode="same")
    pooled_calls = np.convolve(recent_calls.sum(axis=0), window, mode="same")
    overall = seconds.sum() / recent_calls.sum() if recent_calls.sum() > 0 else np.nan
    with np.errstate(invalid="ignore", divide="ignore"):
        by_slot = pooled_seconds / pooled_calls
    by_slot = np.where(np.isfinite(by_slot), by_slot, overall)
    return np.broadcast_to(by_slot, (horizon, grid.slots)).copy()


def _errors(actual_calls, predicted, actual_aht, predicted_aht) -> dict:
    error = np.abs(actual_calls - predicted)
    busy = actual_calls > 0
    handled = actual_calls.sum()
    aht_error = np.abs(np.nan_to_num(actual_aht) - predicted_aht) * actual_calls
    aht_total = np.nansum(actual_aht * actual_calls)
    return {
        "mape": float(np.mean(error[busy] / actual_calls[busy])) if busy.any() else np.nan,
        "wape": float(error.sum() / handled) if handled > 0 else np.nan,
        "aht_wape": float(np.nansum(aht_error[busy]) / aht_total) if aht_total > 0 else np.nan,
    }
