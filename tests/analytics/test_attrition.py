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
