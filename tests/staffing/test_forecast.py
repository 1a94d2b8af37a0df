"""Interval forecasts: methods compete honestly, requirements follow Erlang, re-forecasts stay bounded."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from servicechain.simulate.contact_centre import (
    intraday_profile,
    simulate_contact_centre_volumes,
)
from servicechain.staffing.erlang import required_agents, service_level
from servicechain.staffing.forecast import (
    ForecastResult,
    forecast_intervals,
    reforecast_intraday,
    requirements,
)


@pytest.fixture(scope="module")
def ten_weeks():
    return simulate_contact_centre_volumes(days=70, seed=11)


@pytest.fixture(scope="module")
def ten_week_forecast(ten_weeks):
    history = ten_weeks.iloc[: 63 * 96][["interval_start", "calls", "aht_s"]]
    return forecast_intervals(history, horizon_days=7, backtest_folds=3)


def day_frame(calls, aht=300.0, date="2025-03-03", minutes=15, tz="Europe/London"):
    starts = pd.date_range(date, periods=len(calls), freq=f"{minutes}min", tz=tz)
    return pd.DataFrame({"interval_start": starts, "calls": calls, "aht_s": aht})


# ----------------------------------------------------------------------------- simulator


def test_simulated_day_has_a_morning_and_an_after_lunch_peak_and_is_closed_at_night():
    share = intraday_profile(15, ("08:00", "20:00"))
    hour = np.arange(96) / 4
    assert share.sum() == pytest.approx(1.0)
    assert share[(hour < 8) | (hour >= 20)].sum() == 0
    morning, lunch, afternoon = share[40:44].mean(), share[50:52].mean(), share[56:60].mean()
    assert morning > lunch and afternoon > lunch


def test_simulated_volumes_are_tz_aware_reproducible_and_quieter_at_weekends():
    one = simulate_contact_centre_volumes(days=14, seed=5)
    two = simulate_contact_centre_volumes(days=14, seed=5)
    pd.testing.assert_frame_equal(one, two)
    assert str(one["interval_start"].dt.tz) == "Europe/London"
    daily = one.groupby(one["interval_start"].dt.dayofweek)["calls"].sum()
    assert daily[[5, 6]].max() < daily[[0, 1, 2, 3, 4]].min()
    assert one.loc[one["calls"] == 0, "aht_s"].isna().all()
    assert (one.loc[one["calls"] > 0, "aht_s"] > 0).all()


def test_simulated_days_skip_the_missing_daylight_saving_hour():
    spring = simulate_contact_centre_volumes(days=3, start="2025-03-29", night_share=0.02)
    per_day = spring.groupby(spring["interval_start"].dt.date).size()
    assert per_day.tolist() == [96, 92, 96]


# ----------------------------------------------------------------------------- forecasts


def test_seasonal_naive_repeats_the_same_interval_last_week():
    history = simulate_contact_centre_volumes(days=14, seed=2)[["interval_start", "calls", "aht_s"]]
    result = forecast_intervals(
        history, horizon_days=3, methods=("seasonal_naive",), backtest_folds=1
    )
    last_week = history["calls"].to_numpy()[7 * 96 : 10 * 96]
    np.testing.assert_allclose(result.forecast["calls"].to_numpy(), last_week)
    assert result.method == "seasonal_naive"


def test_forecast_covers_the_horizon_on_the_same_clock_and_time_zone(ten_week_forecast):
    forecast = ten_week_forecast.forecast
    assert len(forecast) == 7 * 96
    assert str(forecast["interval_start"].dt.tz) == "Europe/London"
    assert forecast["interval_start"].iloc[0] == pd.Timestamp("2025-03-10", tz="Europe/London")
    hour = forecast["interval_start"].dt.hour
    assert (forecast.loc[(hour < 8) | (hour >= 20), "calls"] == 0).all()
    assert (forecast["calls"] >= 0).all() and (forecast["aht_s"] > 0).all()


def test_backtest_reports_every_method_and_fold_and_picks_the_lowest_wape(ten_week_forecast):
    backtest = ten_week_forecast.backtest
    assert set(backtest["method"]) == {
        "seasonal_naive",
        "holt_winters_weekly",
        "holt_winters_top_down",
    }
    assert backtest.groupby("method").size().eq(3).all()
    summary = ten_week_forecast.summary()
    assert summary.index[0] == ten_week_forecast.method
    assert summary["chosen"].sum() == 1


def test_backtest_errors_are_the_documented_mape_and_wape():
    history = simulate_contact_centre_volumes(days=21, seed=4)[["interval_start", "calls", "aht_s"]]
    result = forecast_intervals(
        history, horizon_days=7, methods=("seasonal_naive",), backtest_folds=1
    )
    calls = history["calls"].to_numpy(float)
    actual, predicted = calls[14 * 96 :], calls[7 * 96 : 14 * 96]
    error = np.abs(actual - predicted)
    row = result.backtest.iloc[0]
    assert row["wape"] == pytest.approx(error.sum() / actual.sum())
    busy = actual > 0
    assert row["mape"] == pytest.approx(np.mean(error[busy] / actual[busy]))


def test_chosen_forecast_tracks_the_true_mean_better_than_last_week(ten_weeks, ten_week_forecast):
    truth = ten_weeks.iloc[63 * 96 :]["expected_calls"].to_numpy()
    naive = ten_weeks.iloc[56 * 96 : 63 * 96]["calls"].to_numpy()
    chosen = ten_week_forecast.forecast["calls"].to_numpy()
    wape = lambda f: np.abs(f - truth).sum() / truth.sum()  # noqa: E731
    assert wape(chosen) < 0.08
    assert wape(chosen) < wape(naive)
    aht_truth = ten_weeks.iloc[63 * 96 :]["expected_aht_s"].to_numpy()
    open_ = truth > 0
    assert (
        np.abs(ten_week_forecast.forecast["aht_s"].to_numpy()[open_] / aht_truth[open_] - 1).max()
        < 0.08
    )


def test_too_short_history_is_refused_with_what_is_needed():
    history = simulate_contact_centre_volumes(days=5)[["interval_start", "calls", "aht_s"]]
    with pytest.raises(ValueError, match="at least 8"):
        forecast_intervals(history, horizon_days=1)


# ----------------------------------------------------------------------------- requirements


def test_requirements_follow_erlang_per_interval(ten_week_forecast):
    table = requirements(ten_week_forecast, 0.8, 20, max_occupancy=0.9, shrinkage=0.3)
    for row in table.sample(20, random_state=0).itertuples():
        assert row.required_agents == required_agents(row.calls, row.aht_s, 900, 0.8, 20, 0.9, 0.3)
        assert row.agents_on_phone == required_agents(row.calls, row.aht_s, 900, 0.8, 20, 0.9)
        assert row.service_level == pytest.approx(
            service_level(row.agents_on_phone, row.calls, row.aht_s, 900, 20)
        )
    assert isinstance(ten_week_forecast, ForecastResult)


def test_requirements_need_nobody_when_no_call_is_expected_even_without_an_aht():
    table = requirements(day_frame([0.0, 0.0, 40.0], aht=[np.nan, np.nan, 240.0]))
    assert table["required_agents"].tolist()[:2] == [0, 0]
    assert table["required_agents"].iloc[2] == required_agents(40, 240, 900, 0.8, 20)
    with pytest.raises(ValueError, match="aht_s is missing"):
        requirements(day_frame([5.0, 6.0], aht=[np.nan, 200.0]))


# ----------------------------------------------------------------------------- intraday


def test_reforecast_scales_the_rest_of_the_day_by_the_credible_ratio():
    today = day_frame([100.0] * 8, aht=300.0)
    actuals = day_frame([130.0] * 4, aht=330.0)
    result = reforecast_intraday(today, actuals, credibility_calls=100)
    n = 400.0
    volume = 1 + (520 / 400 - 1) * n / (n + 100)
    aht = 1 + (330 / 300 - 1) * 520 / (520 + 100)
    assert result.attrs["volume_ratio"] == pytest.approx(volume)
    assert result.attrs["aht_ratio"] == pytest.approx(aht)
    assert result["source"].tolist() == ["actual"] * 4 + ["reforecast"] * 4
    np.testing.assert_allclose(result["calls"].iloc[:4], 130.0)
    np.testing.assert_allclose(result["calls"].iloc[4:], 100.0 * volume)
    np.testing.assert_allclose(result["aht_s"].iloc[4:], 300.0 * aht)


def test_reforecast_without_actuals_keeps_the_forecast():
    today = day_frame([50.0, 60.0, 70.0])
    result = reforecast_intraday(today, today.iloc[:0])
    np.testing.assert_allclose(result["calls"], today["calls"])
    assert result.attrs["volume_ratio"] == 1.0


@settings(max_examples=40, deadline=None)
@given(
    planned=st.lists(st.floats(0, 500), min_size=2, max_size=12),
    surprise=st.floats(0, 20),
    seen=st.integers(min_value=1, max_value=11),
)
def test_reforecast_ratio_always_stays_within_its_bounds(planned, surprise, seen):
    today = day_frame(planned)
    seen = min(seen, len(planned) - 1)
    actuals = day_frame([c * surprise for c in planned[:seen]])
    result = reforecast_intraday(today, actuals, volume_bounds=(0.6, 1.5))
    assert 0.6 <= result.attrs["volume_ratio"] <= 1.5
    rest = result["source"] == "reforecast"
    np.testing.assert_allclose(
        result.loc[rest, "calls"], today.loc[rest, "calls"] * result.attrs["volume_ratio"]
    )


def test_forecast_over_a_daylight_saving_change_keeps_the_local_clock():
    history = simulate_contact_centre_volumes(days=14, start="2025-03-16")
    result = forecast_intervals(
        history[["interval_start", "calls", "aht_s"]],
        horizon_days=2,
        methods=("seasonal_naive",),
        backtest_folds=1,
    )
    per_day = result.forecast.groupby(result.forecast["interval_start"].dt.date).size()
    assert per_day.tolist() == [92, 96]  # 30 March 2025 has no 01:00-02:00
    opening = result.forecast[result.forecast["calls"] > 0]["interval_start"].dt.hour.min()
    assert opening == 8
