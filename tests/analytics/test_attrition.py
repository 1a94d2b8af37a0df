"""Attrition: turnover arithmetic, Kaplan–Meier by hand, Cox vs statsmodels and truth."""

import numpy as np
import pandas as pd
import pytest
from statsmodels.duration.hazard_regression import PHReg

from servicechain.analytics.attrition import (
    TYPICAL_REPLACEMENT_COST_RATIO,
    leaving_hazard,
    retention_curve,
    turnover_by_period,
    turnover_cost,
    turnover_rate,
)


def test_turnover_rate_divides_leavers_by_average_headcount():
    assert turnover_rate(3, 100, 98) == pytest.approx(3 / 99)
    rates = turnover_rate(pd.Series([2, 0]), pd.Series([10, 0]), pd.Series([8, 0]))
    assert rates.iloc[0] == pytest.approx(2 / 9)
    assert np.isnan(rates.iloc[1])  # nobody employed: no rate, not zero


def test_turnover_by_month_counts_headcount_and_leavers_from_spells():
    spells = pd.DataFrame(
        {
            "hire_date": ["2024-01-01", "2024-01-01", "2024-01-15", "2024-02-10"],
            "exit_date": ["2024-01-20", None, "2024-02-05", None],
        }
    )
    table = turnover_by_period(spells)
    jan, feb = table.loc["2024-01-01"], table.loc["2024-02-01"]
    assert (jan["headcount_start"], jan["headcount_end"], jan["leavers"]) == (2, 2, 1)
    assert (feb["headcount_start"], feb["headcount_end"], feb["leavers"]) == (2, 2, 1)
    assert feb["turnover_rate"] == pytest.approx(1 / 2)


def test_retention_curve_is_the_product_limit_estimate():
    tenure = np.array([2, 3, 3, 5, 6, 8, 8, 9, 12, 12])
    left = np.array([1, 1, 0, 1, 0, 1, 1, 0, 1, 0], dtype=bool)
    curve = retention_curve(tenure, left)
    survival, expected = 1.0, {}
    for t in np.unique(tenure):
        at_risk = (tenure >= t).sum()
        leavers = ((tenure == t) & left).sum()
        survival *= 1 - leavers / at_risk
        expected[t] = survival
    for t, value in expected.items():
        assert curve.loc[t, "retention"] == pytest.approx(value)
    assert (curve["lower"] <= curve["retention"]).all() and (
        curve["retention"] <= curve["upper"]
    ).all()
    assert curve.loc[2, "at_risk"] == 10


def engaged_workforce(n=3000, beta=-0.04, seed=0):
    rng = np.random.default_rng(seed)
    engagement = rng.normal(65, 12, n)
    hazard = 0.02 * np.exp(beta * (engagement - 65))
    time_to_leave = rng.exponential(1 / hazard)
    observed_for = rng.uniform(6, 48, n)
    return pd.DataFrame(
        {
            "tenure": np.minimum(time_to_leave, observed_for),
            "left": time_to_leave <= observed_for,
            "engagement": engagement,
        }
    )


def test_cox_model_recovers_the_engagement_hazard_ratio():
    data = engaged_workforce()
    model = leaving_hazard(data)
    row = model.summary.loc["engagement"]
    assert row["coef"] == pytest.approx(-0.04, abs=4 * row["se(coef)"])
    assert row["exp(coef)"] < 1  # more engaged people leave less
    assert row["p"] < 1e-6


def test_cox_model_matches_statsmodels_phreg():
    data = engaged_workforce(n=500, seed=3)
    ours = leaving_hazard(data).summary.loc["engagement"]
    theirs = PHReg(data["tenure"], data[["engagement"]], status=data["left"].astype(int)).fit()
    assert ours["coef"] == pytest.approx(theirs.params[0], rel=1e-5)
    assert ours["se(coef)"] == pytest.approx(theirs.bse[0], rel=1e-3)


def test_turnover_cost_is_leavers_times_salary_times_ratio():
    assert TYPICAL_REPLACEMENT_COST_RATIO == 0.21
    assert turnover_cost(10, 40_000) == pytest.approx(84_000)
    assert turnover_cost([2, 3], [30_000, 50_000], replacement_cost_ratio=0.5).tolist() == [
        30_000,
        75_000,
    ]
    with pytest.raises(ValueError, match="must be >= 0"):
        turnover_cost(1, 1, replacement_cost_ratio=-0.1)


# ----------------------------------------------------------------------------- delayed entry


def test_retention_with_delayed_entry_is_the_product_limit_over_the_right_risk_sets():
    tenure = np.array([2, 3, 3, 5, 6, 8, 8, 9, 12, 12, 14, 20])
    left = np.array([1, 1, 0, 1, 0, 1, 1, 0, 1, 0, 1, 0], dtype=bool)
    entry = np.array([0, 0, 1, 4, 4, 0, 6, 7, 0, 10, 11, 2])
    curve = retention_curve(tenure, left, entry=entry)
    survival = 1.0
    for t in np.unique(tenure[left]):
        at_risk = ((entry < t) & (tenure >= t)).sum()
        survival *= 1 - ((tenure == t) & left).sum() / at_risk
        assert curve.loc[t, "retention"] == pytest.approx(survival), t
        assert curve.loc[t, "at_risk"] == at_risk


def steady_state_window(seed: int, n_hires: int = 6000):
    """People hired over 30 years with a known hazard, observed in a 2-year window.

    Monthly hazard 0.025·exp(−0.04·(engagement − 65)), higher (×1.8) in the first year;
    a person is in the data only if still employed when the window opens (left
    truncation) — exactly the situation of an HR extract.
    """
    rng = np.random.default_rng(seed)
    engagement = rng.normal(65, 20, n_hires)
    rate = 0.025 * np.exp(-0.04 * (engagement - 65))
    first = rng.exponential(1 / (1.8 * rate))
    later = 12 + rng.exponential(1 / rate)
    time_to_leave = np.where(first < 12, first, later)
    hired = rng.uniform(-360, 24, n_hires)  # months relative to the window's start
    seen = hired + time_to_leave > 0
    exit_or_end = np.minimum(hired + time_to_leave, 24)
    data = pd.DataFrame(
        {
            "tenure": (exit_or_end - hired)[seen],
            "left": (hired + time_to_leave <= 24)[seen],
            "entry": np.maximum(0, -hired)[seen],
            "engagement": engagement[seen],
        }
    )
    return data[data["tenure"] > data["entry"]]


def true_retention(months: float) -> float:
    """∫ S(t | engagement) dF(engagement) for the steady-state model, by quadrature."""
    nodes, weights = np.polynomial.hermite_e.hermegauss(80)
    rate = 0.025 * np.exp(-0.04 * 20 * nodes)
    first_year = np.exp(-1.8 * rate * min(months, 12))
    after = np.exp(-rate * max(months - 12, 0))
    return float((weights * first_year * after).sum() / weights.sum())


def test_delayed_entry_recovers_12_month_retention_where_tenure_from_hire_cannot():
    truth = true_retention(12)
    covered, naive_covered = 0, 0
    for seed in range(60):
        data = steady_state_window(seed)
        curve = retention_curve(data["tenure"], data["left"], entry=data["entry"])
        row = curve.loc[:12].iloc[-1]
        covered += row["lower"] <= truth <= row["upper"]
        naive = retention_curve(data["tenure"], data["left"]).loc[:12].iloc[-1]
        naive_covered += naive["lower"] <= truth <= naive["upper"]
    assert covered / 60 >= 0.9
    assert naive_covered == 0  # survivors counted from hire: far too rosy


def test_cox_with_delayed_entry_matches_statsmodels_phreg():
    data = steady_state_window(3, n_hires=1500)
    ours = leaving_hazard(data, entry="entry").summary.loc["engagement"]
    theirs = PHReg(
        data["tenure"], data[["engagement"]], status=data["left"].astype(int), entry=data["entry"]
    ).fit()
    assert ours["coef"] == pytest.approx(theirs.params[0], rel=1e-4)
    assert ours["se(coef)"] == pytest.approx(theirs.bse[0], rel=1e-3)


def test_cox_with_delayed_entry_recovers_the_engagement_effect():
    data = steady_state_window(5)
    with_entry = leaving_hazard(data, entry="entry").summary.loc["engagement"]
    without = leaving_hazard(data).summary.loc["engagement"]
    assert with_entry["coef lower 95%"] <= -0.04 <= with_entry["coef upper 95%"]
    assert without["coef upper 95%"] < -0.04 or without["coef lower 95%"] > -0.04


def test_clustered_cox_standard_errors_are_the_robust_sandwich():
    data = steady_state_window(6, n_hires=1200)
    data["unit"] = np.arange(len(data)) % 40
    clustered = leaving_hazard(data, entry="entry", cluster="unit").summary.loc["engagement"]
    plain = leaving_hazard(data, entry="entry").summary.loc["engagement"]
    assert clustered["coef"] == pytest.approx(plain["coef"])
    assert clustered["se(coef)"] != pytest.approx(plain["se(coef)"], rel=1e-6)


@pytest.mark.parametrize(
    ("tenure", "left", "entry", "message"),
    [
        ([3, 5], [True, False], [4, 0], r"entry is after the end of observation .* row 0"),
        ([3, -1], [True, False], None, r"durations must be finite and non-negative; row 1"),
        ([3, np.inf], [True, False], None, r"durations must be finite"),
        ([3, 5], [True], None, r"durations has 2 values but left has 1"),
        ([3, 5], [True, False], [0, np.nan], r"entry must be finite"),
    ],
)
def test_bad_survival_input_is_one_clear_error(tenure, left, entry, message):
    with pytest.raises(ValueError, match=message):
        retention_curve(tenure, left, entry=entry)
