"""Reliability and CFA against published values and independent computations."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from statsmodels.stats.anova import anova_lm

from servicechain.analytics.psychometrics import (
    CFAResult,
    cfa,
    cronbach_alpha,
    item_total,
    mcdonald_omega,
)

# 15 respondents x 10 items, the worked example shipped with pingouin (dataset
# "cronbach_alpha"); its documented alpha is 0.591719 (pingouin.cronbach_alpha docstring,
# tested there against R's psych::alpha).
PUBLISHED_ITEMS = pd.DataFrame(
    {
        "Q1": [3, 5, 7, 2, 6, 1, 4, 2, 6, 5, 4, 4, 5, 6, 4],
        "Q2": [2, 4, 3, 4, 5, 2, 3, 4, 5, 4, 3, 2, 5, 5, 3],
        "Q3": [4, 6, 5, 3, 6, 3, 5, 4, 5, 6, 5, 3, 6, 5, 5],
        "Q4": [1, 3, 5, 3, 5, 4, 3, 3, 5, 4, 2, 2, 2, 4, 5],
        "Q5": [4, 5, 6, 2, 4, 2, 5, 7, 1, 3, 5, 5, 3, 2, 3],
        "Q6": [5, 1, 4, 2, 4, 5, 2, 2, 6, 5, 3, 3, 3, 2, 1],
        "Q7": [1, 2, 3, 2, 4, 2, 1, 2, 5, 3, 2, 4, 2, 1, 3],
        "Q8": [4, 5, 3, 6, 6, 3, 2, 4, 2, 1, 3, 2, 4, 4, 2],
        "Q9": [3, 5, 6, 6, 7, 5, 4, 6, 3, 7, 4, 3, 4, 6, 3],
        "Q10": [2, 5, 5, 3, 5, 2, 3, 5, 2, 2, 1, 4, 5, 5, 4],
    }
)


def exact_one_factor_sample(loadings, uniqueness, n=400, seed=0):
    """Data whose sample covariance is exactly loadings·loadingsᵀ + diag(uniqueness)."""
    rng = np.random.default_rng(seed)
    k = len(loadings)
    z = rng.normal(size=(n, k))
    z -= z.mean(axis=0)
    z = z @ np.linalg.inv(np.linalg.cholesky(np.cov(z, rowvar=False))).T  # whiten exactly
    sigma = np.outer(loadings, loadings) + np.diag(uniqueness)
    x = z @ np.linalg.cholesky(sigma).T
    return pd.DataFrame(x, columns=[f"item{i}" for i in range(k)])


def test_alpha_matches_the_published_example():
    assert cronbach_alpha(PUBLISHED_ITEMS) == pytest.approx(0.591719, abs=5e-7)


def test_alpha_equals_the_average_covariance_form():
    cov = PUBLISHED_ITEMS.cov().to_numpy()
    k = cov.shape[0]
    mean_var = np.diag(cov).mean()
    mean_cov = (cov.sum() - np.trace(cov)) / (k * (k - 1))
    assert cronbach_alpha(PUBLISHED_ITEMS) == pytest.approx(
        k * mean_cov / (mean_var + (k - 1) * mean_cov)
    )


def test_alpha_equals_hoyts_anova_reliability():
    # Hoyt (1941): alpha = 1 - MS(residual) / MS(respondents) in a respondents x items ANOVA.
    long = (
        PUBLISHED_ITEMS.rename_axis("respondent")
        .reset_index()
        .melt(id_vars="respondent", var_name="item", value_name="score")
    )
    table = anova_lm(smf.ols("score ~ C(respondent) + C(item)", data=long).fit())
    ms_respondent = table.loc["C(respondent)", "mean_sq"]
    ms_residual = table.loc["Residual", "mean_sq"]
    assert cronbach_alpha(PUBLISHED_ITEMS) == pytest.approx(1 - ms_residual / ms_respondent)


def test_alpha_drops_incomplete_respondents():
    with_gap = PUBLISHED_ITEMS.astype(float)
    with_gap.loc[15] = [np.nan] + [3.0] * 9
    assert cronbach_alpha(with_gap) == pytest.approx(cronbach_alpha(PUBLISHED_ITEMS))


def test_alpha_needs_two_items():
    with pytest.raises(ValueError, match="at least 2 items"):
        cronbach_alpha(PUBLISHED_ITEMS[["Q1"]])


def test_omega_recovers_an_exact_one_factor_structure():
    loadings = np.array([0.9, 0.8, 0.6, 0.5, 0.3])
    uniqueness = np.array([0.4, 0.5, 0.6, 0.7, 0.9])
    data = exact_one_factor_sample(loadings, uniqueness)
    truth = loadings.sum() ** 2 / (loadings.sum() ** 2 + uniqueness.sum())
    assert mcdonald_omega(data) == pytest.approx(truth, abs=1e-6)


def test_omega_equals_alpha_for_tau_equivalent_items_and_exceeds_it_otherwise():
    equal = exact_one_factor_sample(np.full(4, 0.7), np.array([0.3, 0.5, 0.4, 0.6]))
    assert mcdonald_omega(equal) == pytest.approx(cronbach_alpha(equal), abs=1e-6)
    unequal = exact_one_factor_sample(np.array([1.2, 0.8, 0.4, 0.2]), np.full(4, 0.5))
    assert mcdonald_omega(unequal) > cronbach_alpha(unequal) + 0.01


def test_omega_matches_a_semopy_one_factor_fit():
    import semopy

    data = PUBLISHED_ITEMS.astype(float)
    model = semopy.Model("F =~ " + " + ".join(data.columns))
    model.fit(data)
    est = model.inspect()
    marker_scaled = est[(est["op"] == "~") & (est["rval"] == "F")]["Estimate"].to_numpy(float)
    factor_variance = est[(est["lval"] == "F") & (est["op"] == "~~")]["Estimate"].iloc[0]
    uniqueness = est[(est["op"] == "~~") & (est["lval"] != "F")]["Estimate"].to_numpy(float)
    loadings = marker_scaled * np.sqrt(factor_variance)
    expected = loadings.sum() ** 2 / (loadings.sum() ** 2 + uniqueness.sum())
    assert mcdonald_omega(PUBLISHED_ITEMS) == pytest.approx(expected, abs=1e-4)


def test_item_total_correlates_each_item_with_the_rest_of_the_scale():
    table = item_total(PUBLISHED_ITEMS)
    rest = PUBLISHED_ITEMS.drop(columns="Q4").sum(axis=1)
    assert table.loc["Q4", "corrected_item_total"] == pytest.approx(
        np.corrcoef(PUBLISHED_ITEMS["Q4"], rest)[0, 1]
    )
    assert table.loc["Q4", "alpha_if_deleted"] == pytest.approx(
        cronbach_alpha(PUBLISHED_ITEMS.drop(columns="Q4"))
    )
    assert list(table.index) == list(PUBLISHED_ITEMS.columns)


def two_scale_survey(n=600, seed=3):
    rng = np.random.default_rng(seed)
    factors = rng.multivariate_normal([0, 0], [[1, 0.4], [0.4, 1]], size=n)
    std_loadings = {
        "pay fair": 0.8,
        "pay clear": 0.7,
        "pay on time": 0.6,
        "boss listens": 0.75,
        "boss helps": 0.7,
        "boss fair": 0.65,
    }
    data = {}
    for i, (item, lam) in enumerate(std_loadings.items()):
        data[item] = lam * factors[:, i // 3] + np.sqrt(1 - lam**2) * rng.normal(size=n)
    return pd.DataFrame(data), std_loadings


def test_cfa_recovers_loadings_and_factor_correlation_of_a_well_fitting_model():
    data, std_loadings = two_scale_survey()
    model = {
        "Pay": ["pay fair", "pay clear", "pay on time"],
        "Manager": ["boss listens", "boss helps", "boss fair"],
    }
    result = cfa(data, model)
    assert isinstance(result, CFAResult)
    recovered = result.loadings["std_estimate"].droplevel("scale")
    for item, lam in std_loadings.items():
        assert recovered[item] == pytest.approx(lam, abs=0.08)
    assert result.factor_correlations.loc["Pay", "Manager"] == pytest.approx(0.4, abs=0.1)
    assert result.cfi > 0.95 and result.tli > 0.95 and result.rmsea < 0.06
    assert result.fit["dof"] == 8 and result.fit["n"] == 600
    ci = result.conf_int()
    assert np.isnan(ci.loc[("Pay", "pay fair"), "lower"])  # the marker is fixed at 1
    assert (ci["lower"].dropna() < result.loadings["estimate"][ci["lower"].notna()]).all()
    assert "CFI" in result._repr_html_()


def test_cfa_names_items_missing_from_the_data():
    data, _ = two_scale_survey(n=50)
    with pytest.raises(ValueError, match="not columns"):
        cfa(data, {"Pay": ["pay fair", "salary"]})


def test_omega_can_fall_below_alpha_on_the_holzinger_swineford_items():
    # Three factors, one-factor omega: the general factor alone (the figures issue 12 quotes
    # from an independent check).
    from semopy.examples import holzinger39

    items = holzinger39.get_data()[[f"x{i}" for i in range(1, 10)]]
    assert cronbach_alpha(items) == pytest.approx(0.760, abs=5e-4)
    assert mcdonald_omega(items) == pytest.approx(0.738, abs=5e-4)


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("b", np.inf, r"Item 'b' has an infinite value"),
        ("c", "often", r"Item 'c' has an answer that is not a number: 'often'"),
    ],
)
def test_bad_item_values_are_refused_naming_the_item(column, value, message):
    items = pd.DataFrame({"a": [1, 2, 3, 4, 5], "b": [2, 2, 3, 5, 4], "c": [1, 3, 3, 4, 5]})
    items[column] = items[column].astype(object)
    items.loc[2, column] = value
    for estimator in (cronbach_alpha, mcdonald_omega):
        with pytest.raises(ValueError, match=message):
            estimator(items)


def test_a_constant_item_is_refused_naming_it():
    items = pd.DataFrame({"a": [1, 2, 3, 4, 5], "same": [3] * 5, "c": [1, 3, 3, 4, 5]})
    for estimator in (cronbach_alpha, mcdonald_omega):
        with pytest.raises(ValueError, match=r"Item 'same' has the same answer \(3\)"):
            estimator(items)
