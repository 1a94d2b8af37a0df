"""Retention analytics against independent computations: exact Poisson limits by root
finding, lifelines' and statsmodels' log-rank tests, lifelines' proportional-hazards test,
statsmodels' logit, hand-counted person-months and forecasts, Decimal costs by hand."""

from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from lifelines import CoxPHFitter
from lifelines.statistics import multivariate_logrank_test, proportional_hazard_test
from scipy import optimize, stats
from statsmodels.duration.survfunc import survdiff

from servicechain.analytics.attrition import (
    DiscreteTimeHazard,
    compare_retention,
    early_leaving,
    expected_leavers,
    leaving_hazard,
    leaving_rate,
    person_months,
    proportional_hazards_test,
    replacement_cost,
    retention_curve,
    tenure_band,
)

# ----------------------------------------------------------------------------- rates


@pytest.mark.parametrize(("leavers", "years"), [(0, 12.0), (1, 3.5), (7, 40.0), (60, 310.0)])
def test_leaving_rate_limits_are_the_exact_poisson_limits(leavers, years):
    estimate = leaving_rate(leavers, years)

    def tail_above(rate):  # P(X >= k) under rate * years
        return stats.poisson.sf(leavers - 1, rate * years)

    def tail_below(rate):  # P(X <= k)
        return stats.poisson.cdf(leavers, rate * years)

    upper = optimize.brentq(lambda r: tail_below(r) - 0.025, 1e-12, 100)
    lower = 0.0 if leavers == 0 else optimize.brentq(lambda r: tail_above(r) - 0.025, 1e-12, 100)
    assert estimate.value == pytest.approx(leavers / years)
    assert estimate.lower == pytest.approx(lower, rel=1e-8, abs=1e-12)
    assert estimate.upper == pytest.approx(upper, rel=1e-8)
    assert estimate.n == leavers


def test_leaving_rate_without_exposure_is_missing_and_bad_input_is_refused():
    assert np.isnan(leaving_rate(0, 0.0).value)
    with pytest.raises(ValueError, match="leavers must be >= 0"):
        leaving_rate(-1, 3.0)


def test_early_leaving_is_one_minus_the_product_limit_at_the_cut_off():
    months = np.array([0.5, 1, 2, 2.5, 3, 4, 6, 11, 13, 14, 20, 30])
    left = np.array([1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 0, 0], dtype=bool)
    survival = 1.0
    for t in np.unique(months[left & (months <= 3)]):
        at_risk = (months >= t).sum()
        survival *= 1 - ((months == t) & left).sum() / at_risk
    within_90_days = early_leaving(months, left, within=3)
    assert within_90_days.value == pytest.approx(1 - survival)
    assert within_90_days.lower <= within_90_days.value <= within_90_days.upper
    assert within_90_days.n == months.size
    assert early_leaving(months, left, within=0.1).value == 0.0


# ----------------------------------------------------------------------------- log-rank


def survival_data(n=400, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    tenure = rng.exponential(10 * np.exp(-0.5 * x))
    entry = rng.uniform(0, 3, n)
    group = np.where(x > 0.5, "high", np.where(x < -0.5, "low", "middle"))
    return pd.DataFrame(
        {"tenure": tenure, "entry": entry, "x": x, "group": group, "left": rng.random(n) < 0.8}
    )


def test_log_rank_matches_lifelines_without_delayed_entry():
    data = survival_data()
    ours = compare_retention(data["tenure"], data["left"], data["group"])
    theirs = multivariate_logrank_test(data["tenure"], data["group"], data["left"])
    assert ours.statistic == pytest.approx(theirs.test_statistic, rel=1e-10)
    assert ours.p_value == pytest.approx(theirs.p_value, rel=1e-8)
    assert ours.df == 2
    assert ours.table["observed"].sum() == data["left"].sum()


def test_log_rank_with_delayed_entry_matches_statsmodels_survdiff():
    data = survival_data(seed=1)
    data = data[data["tenure"] > data["entry"]]
    ours = compare_retention(data["tenure"], data["left"], data["group"], entry=data["entry"])
    statistic, p_value = survdiff(
        data["tenure"], data["left"].astype(int), data["group"], entry=data["entry"]
    )
    assert ours.statistic == pytest.approx(statistic, rel=1e-10)
    assert ours.p_value == pytest.approx(p_value, rel=1e-8)


def test_log_rank_needs_two_groups_and_aligned_input():
    data = survival_data(n=20)
    with pytest.raises(ValueError, match="at least two groups"):
        compare_retention(data["tenure"], data["left"], ["one"] * 20)
    with pytest.raises(ValueError, match="groups has 3"):
        compare_retention(data["tenure"], data["left"], ["a", "b", "a"])


# ----------------------------------------------------------------------------- PH check


def test_proportional_hazards_test_matches_lifelines_without_entry():
    rng = np.random.default_rng(4)
    data = survival_data(n=300, seed=4)
    data["late"] = rng.normal(size=len(data)) * (data["tenure"] > 5)
    columns = ["tenure", "left", "x", "late"]
    model = CoxPHFitter().fit(data[columns], "tenure", "left")
    ours = proportional_hazards_test(model, data, duration="tenure", left="left")
    theirs = proportional_hazard_test(model, data[columns], time_transform="rank").summary
    theirs = theirs.loc[ours.index]
    assert ours["statistic"].to_numpy() == pytest.approx(theirs["test_statistic"].to_numpy())
    assert ours["p_value"].to_numpy() == pytest.approx(theirs["p"].to_numpy())


def test_proportional_hazards_test_with_entry_flags_an_effect_that_changes_with_tenure():
    rng = np.random.default_rng(5)
    n = 3000
    steady, fading = rng.normal(size=(2, n))
    # `fading` raises the hazard in the first year and lowers it after.
    early = rng.exponential(12 / np.exp(0.5 * steady + 0.8 * fading))
    late = 12 + rng.exponential(12 / np.exp(0.5 * steady - 0.8 * fading))
    tenure = np.where(early < 12, early, late)
    observed = np.minimum(tenure, rng.uniform(6, 60, n))
    data = pd.DataFrame(
        {
            "tenure": observed,
            "left": tenure <= observed,
            "entry": rng.uniform(0, 4, n),
            "steady": steady,
            "fading": fading,
        }
    )
    data = data[data["tenure"] > data["entry"]]
    model = leaving_hazard(data, covariates=("steady", "fading"), entry="entry")
    test = proportional_hazards_test(model, data, entry="entry")
    assert test.loc["fading", "p_value"] < 1e-6
    assert test.loc["steady", "p_value"] > 0.01


# ----------------------------------------------------------------------------- person-months


def test_person_months_counts_each_month_employed_with_its_exposure_and_tenure():
    spells = pd.DataFrame(
        {
            "hire_date": ["2023-06-10", "2024-01-16", "2024-02-01"],
            "leave_date": [None, "2024-03-15", "2024-02-29"],
        }
    )
    months = person_months(spells, first_month="2024-01-01", last_month="2024-04-01")
    first = months[months["row"] == 0]
    assert first["month"].dt.strftime("%Y-%m").tolist() == [
        "2024-01",
        "2024-02",
        "2024-03",
        "2024-04",
    ]
    assert first["exposure"].tolist() == [1.0, 1.0, 1.0, 1.0]
    assert not first["left"].any()
    assert first["tenure_months"].iloc[0] == pytest.approx(205 / (365.25 / 12))  # 10 Jun → 1 Jan
    second = months[months["row"] == 1]
    second = second.set_index(second["month"].dt.strftime("%Y-%m"))
    assert second["exposure"].to_dict() == pytest.approx(
        {"2024-01": 16 / 31, "2024-02": 1.0, "2024-03": 15 / 31}
    )
    assert second["left"].tolist() == [False, False, True]
    third = months[months["row"] == 2]
    assert len(third) == 1 and third["left"].iloc[0] and third["exposure"].iloc[0] == 1.0


def test_tenure_bands_follow_the_survey_bands():
    assert tenure_band([0, 11.9, 12, 23.99, 24, 59, 60, 300]).tolist() == [
        "<1y",
        "<1y",
        "1-2y",
        "1-2y",
        "2-5y",
        "2-5y",
        "5y+",
        "5y+",
    ]


# ----------------------------------------------------------------------------- discrete time


def monthly_panel(n_people=1500, months=24, seed=0, unit_sd=0.0):
    """Person-months from a known logistic hazard with a tenure-band step and engagement."""
    rng = np.random.default_rng(seed)
    units = rng.integers(0, 40, n_people)
    unit_effect = rng.normal(0, unit_sd, 40)
    engagement = rng.normal(0, 1, n_people)
    tenure = rng.uniform(0, 48, n_people)
    rows = []
    alive = np.ones(n_people, dtype=bool)
    for month in range(months):
        band = tenure_band(tenure + month)
        logit = -4 + 0.7 * (band == "<1y") - 0.4 * engagement + unit_effect[units]
        leaving = alive & (rng.random(n_people) < 1 / (1 + np.exp(-logit)))
        rows.append(
            pd.DataFrame(
                {
                    "person": np.flatnonzero(alive),
                    "tenure_band": band[alive],
                    "engagement": engagement[alive],
                    "unit": units[alive],
                    "left": leaving[alive],
                }
            )
        )
        alive &= ~leaving
    return pd.concat(rows, ignore_index=True)


def test_discrete_time_hazard_matches_a_statsmodels_logit_with_cluster_robust_errors():
    panel = monthly_panel()
    model = DiscreteTimeHazard(["engagement"], cluster="unit").fit(panel)
    theirs = smf.logit(
        "left ~ C(tenure_band, levels=['<1y', '1-2y', '2-5y', '5y+']) + engagement",
        data=panel.assign(left=panel["left"].astype(int)),
    ).fit(disp=0, cov_type="cluster", cov_kwds={"groups": panel["unit"]})
    assert model.coef_.to_numpy() == pytest.approx(theirs.params.to_numpy(), rel=1e-6)
    assert np.sqrt(np.diag(model.cov_)) == pytest.approx(theirs.bse.to_numpy(), rel=1e-6)
    assert model.period_levels_ == ["<1y", "1-2y", "2-5y", "5y+"]
    assert model.n_events_ == panel["left"].sum()


def test_discrete_time_hazard_recovers_its_generating_model():
    panel = monthly_panel(n_people=6000, seed=1)
    summary = DiscreteTimeHazard(["engagement"]).fit(panel).summary()
    assert summary.loc["intercept", "lower"] <= -3.3 <= summary.loc["intercept", "upper"]
    assert summary.loc["engagement", "lower"] <= -0.4 <= summary.loc["engagement", "upper"]
    assert summary.loc["engagement", "odds_ratio"] == pytest.approx(np.exp(-0.4), rel=0.1)


def test_cluster_variance_is_zero_without_unit_effects_and_found_with_them():
    flat = DiscreteTimeHazard(["engagement"], cluster="unit").fit(monthly_panel(seed=2))
    varied = DiscreteTimeHazard(["engagement"], cluster="unit").fit(
        monthly_panel(seed=2, unit_sd=0.6)
    )
    assert flat.cluster_variance_ < 0.05
    assert 0.15 < varied.cluster_variance_ < 0.8  # truth 0.36


def test_a_band_the_model_never_saw_is_refused():
    model = DiscreteTimeHazard(["engagement"]).fit(monthly_panel(n_people=300))
    with pytest.raises(ValueError, match="not fitted on"):
        model.hazard(pd.DataFrame({"tenure_band": ["10y+"], "engagement": [0.0]}))


# ----------------------------------------------------------------------------- forecasts


def test_expected_leavers_is_the_sum_of_each_persons_chance_run_forward():
    model = DiscreteTimeHazard(["engagement"]).fit(monthly_panel(n_people=3000, seed=3))
    model.cov_.loc[:, :] = 0.0  # no parameter uncertainty: the expectation is exact
    people = pd.DataFrame(
        {
            "engagement": [-1.0, 0.0, 1.0, 0.5, -0.5],
            "tenure_months": [2.0, 11.0, 30.0, 70.0, 0.0],
            "unit": ["a", "a", "b", "b", "b"],
        }
    )
    forecast = expected_leavers(model, people, months=6, group="unit", n_draws=4000)
    beta = model.coef_
    stay = np.ones(len(people))
    for month in range(6):
        band = tenure_band(people["tenure_months"] + month)
        logit = beta["intercept"] + beta["engagement"] * people["engagement"]
        for level in ("1-2y", "2-5y", "5y+"):
            logit = logit + beta[f"tenure_band[{level}]"] * (band == level)
        stay *= 1 - 1 / (1 + np.exp(-logit))
    by_hand = pd.Series(1 - stay).groupby(people["unit"]).sum()
    assert forecast.by_group["expected"].to_numpy() == pytest.approx(by_hand.to_numpy())
    assert forecast.total["expected"] == pytest.approx(by_hand.sum())
    assert forecast.by_group["people"].tolist() == [2, 3]
    assert (forecast.by_group["lower"] <= forecast.by_group["expected"]).all()
    assert (forecast.by_group["upper"] >= forecast.by_group["expected"]).all()


def test_a_forecast_holds_groups_only_never_a_person():
    model = DiscreteTimeHazard(["engagement"]).fit(monthly_panel(n_people=600, seed=4))
    people = pd.DataFrame(
        {"engagement": np.zeros(12), "tenure_months": np.arange(12.0), "unit": ["a", "b"] * 6}
    )
    forecast = expected_leavers(
        model, people, months=12, group="unit", shift={"engagement": 0.5}, n_draws=200
    )
    assert forecast.by_group.index.tolist() == ["a", "b"]
    assert set(forecast.by_group.columns) == {
        "people",
        "expected",
        "lower",
        "upper",
        "shifted",
        "change",
        "change_lower",
        "change_upper",
    }
    assert forecast.total["change_upper"] < 0  # more engaged, fewer leavers
    assert (
        forecast.total["change_lower"] <= forecast.total["change"] <= forecast.total["change_upper"]
    )


def test_forecast_intervals_cover_simulated_leavers_as_often_as_they_claim():
    model = DiscreteTimeHazard(["engagement"], cluster="unit").fit(monthly_panel(seed=5))
    rng = np.random.default_rng(6)
    people = pd.DataFrame(
        {
            "engagement": rng.normal(size=400),
            "tenure_months": rng.uniform(0, 40, 400),
            "unit": rng.integers(0, 10, 400),
        }
    )
    forecast = expected_leavers(model, people, months=12, group="unit", n_draws=2000)
    # Leavers drawn from the true model (coefficients -4, +0.7 in the first year, -0.4).
    covered = []
    for _ in range(200):
        stay = np.ones(400)
        for month in range(12):
            band = tenure_band(people["tenure_months"] + month)
            logit = -4 + 0.7 * (band == "<1y") - 0.4 * people["engagement"]
            stay *= 1 - 1 / (1 + np.exp(-logit))
        left = pd.Series(rng.random(400) < 1 - stay).groupby(people["unit"]).sum()
        table = forecast.by_group
        covered.extend((table["lower"] <= left) & (left <= table["upper"]))
    assert np.mean(covered) >= 0.9


# ----------------------------------------------------------------------------- cost


def test_replacement_cost_adds_its_components_in_decimal():
    cost = replacement_cost(
        annual_salary=Decimal("24000"),
        recruiting=Decimal("1200"),
        onboarding=Decimal("400.50"),
        training=Decimal("650"),
        months_to_productivity=Decimal("3"),
        vacancy_days=21,
        vacancy_cost_per_day=Decimal("45.25"),
    )
    assert cost.lost_productivity == Decimal("3000.00")  # 2,000 a month × 3 × one half
    assert cost.vacancy == Decimal("950.25")
    assert cost.total == Decimal("6200.75")
    assert all(isinstance(v, Decimal) for v in vars(cost).values())


def test_replacement_cost_refuses_floats_and_negatives_by_name():
    arguments = dict(
        annual_salary=Decimal("24000"),
        recruiting=Decimal("1200"),
        onboarding=Decimal("0"),
        training=Decimal("0"),
        months_to_productivity=Decimal("3"),
        vacancy_days=0,
        vacancy_cost_per_day=Decimal("0"),
    )
    with pytest.raises(ValueError, match="recruiting must be a finite Decimal"):
        replacement_cost(**{**arguments, "recruiting": 1200.0})
    with pytest.raises(ValueError, match="training must be a finite Decimal >= 0"):
        replacement_cost(**{**arguments, "training": Decimal("-1")})
    with pytest.raises(ValueError, match="vacancy_days must be a whole number"):
        replacement_cost(**{**arguments, "vacancy_days": -3})


def test_retention_curve_and_early_leaving_agree():
    data = survival_data(n=200, seed=7)
    curve = retention_curve(data["tenure"], data["left"])
    at_twelve = curve.loc[:12].iloc[-1]
    assert early_leaving(data["tenure"], data["left"], within=12).value == pytest.approx(
        1 - at_twelve["retention"]
    )
