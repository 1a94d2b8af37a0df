"""Service-profit-chain linkage: recovery of known effects, SEs, bootstrap mechanics."""

import time

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from scipy import stats
from statsmodels.stats.power import NormalIndPower

from servicechain.analytics import linkage
from servicechain.analytics.linkage import INDIRECT, PATHS, ServiceProfitChain
from servicechain.simulate import simulate_chain_panel

TRUTH_KEYS = {
    "ex→cx": "b_ex_cx",
    "cx→repeat_rate": "b_cx_repeat",
    "repeat_rate→revenue_growth": "b_repeat_rev",
    INDIRECT: "indirect_ex_revenue",
}


def test_effects_table_has_the_contracted_columns_and_paths():
    panel, _ = simulate_chain_panel(n_units=40, n_periods=8, seed=0)
    chain = ServiceProfitChain(n_bootstrap=50, random_state=0).fit(panel)
    assert list(chain.effects_.columns) == ["path", "estimate", "lower", "upper", "p_value"]
    assert chain.effects_["path"].tolist() == [*TRUTH_KEYS]
    assert chain.n_units_ == 40
    assert chain.n_obs_["ex→cx"] == 40 * 7  # the first month has no lagged EX
    assert chain.n_obs_["cx→repeat_rate"] == 40 * 8


def test_recovers_the_simulated_chain_and_runs_a_thousand_replicates_fast():
    panel, truth = simulate_chain_panel(n_units=200, n_periods=24, seed=7)
    start = time.perf_counter()
    chain = ServiceProfitChain(n_bootstrap=1000, random_state=1).fit(panel)
    elapsed = time.perf_counter() - start
    summary = chain.summary()
    for path, key in TRUTH_KEYS.items():
        row = summary.loc[path]
        assert abs(row["estimate"] - truth[key]) < 4 * row["se"], path
        assert row["lower"] < truth[key] < row["upper"], path
        assert row["p_value"] < 0.002  # no replicate crosses zero: the floor, about 1/B
    assert elapsed < 10  # typically ~0.3 s on 2 idle cores


@pytest.mark.slow
def test_bootstrap_intervals_cover_the_truth_in_at_least_90_percent_of_100_seeds():
    covered = {path: 0 for path in TRUTH_KEYS}
    seeds = range(100)
    for seed in seeds:
        panel, truth = simulate_chain_panel(n_units=100, n_periods=12, seed=1000 + seed)
        effects = ServiceProfitChain(n_bootstrap=200, random_state=seed).fit(panel).effects_
        for row in effects.itertuples():
            covered[row.path] += row.lower <= truth[TRUTH_KEYS[row.path]] <= row.upper
    rates = {path: hits / len(seeds) for path, hits in covered.items()}
    assert all(rate >= 0.90 for rate in rates.values()), rates


def test_a_chain_with_no_ex_effect_is_not_declared_significant():
    panel, _ = simulate_chain_panel(n_units=100, n_periods=12, seed=3, b_ex_cx=0.0)
    effects = (
        ServiceProfitChain(n_bootstrap=300, random_state=0).fit(panel).effects_.set_index("path")
    )
    assert effects.loc["ex→cx", "lower"] < 0 < effects.loc["ex→cx", "upper"]
    assert effects.loc[INDIRECT, "lower"] < 0 < effects.loc[INDIRECT, "upper"]


@pytest.mark.parametrize(
    ("time_effects", "formula", "slopes"),
    [
        (True, "repeat_rate ~ cx + C(unit) + C(period)", 1 + 9),  # cx and 9 period dummies
        (False, "repeat_rate ~ cx + C(unit)", 1),
    ],
)
def test_slopes_and_cluster_ses_match_a_dummy_variable_regression(time_effects, formula, slopes):
    panel, _ = simulate_chain_panel(n_units=30, n_periods=10, seed=5)
    chain = ServiceProfitChain(n_bootstrap=0, time_effects=time_effects).fit(panel)
    lsdv = smf.ols(formula, data=panel).fit(cov_type="cluster", cov_kwds={"groups": panel["unit"]})
    within = chain.results_["cx→repeat_rate"]
    assert within.params["cx"] == pytest.approx(lsdv.params["cx"], rel=1e-10)
    # LSDV counts the 30 unit dummies in K; the within estimator does not (they are nested
    # in the clusters), so the two small-sample factors differ by exactly this ratio.
    n, k, g = len(panel), slopes, 30
    assert within.bse["cx"] == pytest.approx(
        lsdv.bse["cx"] * np.sqrt((n - k - g) / (n - k)), rel=1e-10
    )
    assert within.df_resid == n - k - g
    # and inference uses t with G - 1 degrees of freedom
    assert chain.effects_.set_index("path").loc["cx→repeat_rate", "p_value"] == pytest.approx(
        within.pvalues["cx"]
    )


def test_two_way_effects_match_lsdv_on_an_unbalanced_panel():
    panel, _ = simulate_chain_panel(n_units=30, n_periods=10, seed=6, season_sd=3)
    unbalanced = panel.sample(frac=0.8, random_state=1).sort_values(["unit", "period"])
    chain = ServiceProfitChain(n_bootstrap=0).fit(unbalanced)
    lagged = unbalanced[["unit", "period", "ex"]].rename(columns={"ex": "ex_lag"})
    data = unbalanced.merge(lagged.assign(period=lagged["period"] + 1), on=["unit", "period"])
    expected = {
        "ex→cx": smf.ols("cx ~ ex_lag + C(unit) + C(period)", data=data).fit().params["ex_lag"],
        "cx→repeat_rate": smf.ols("repeat_rate ~ cx + C(unit) + C(period)", data=unbalanced)
        .fit()
        .params["cx"],
    }
    for path, slope in expected.items():
        assert chain.results_[path].params.iloc[0] == pytest.approx(slope, rel=1e-9), path
    assert chain.n_obs_["ex→cx"] == len(data)


def test_period_effects_remove_a_common_month_shock_that_unit_effects_cannot():
    # A season shared by every unit's EX and CX; its persistence links last month's EX to
    # this month's CX through the season alone.
    panel, truth = simulate_chain_panel(n_units=200, n_periods=24, seed=4, season_sd=4)
    two_way = ServiceProfitChain(n_bootstrap=0).fit(panel).summary().loc["ex→cx"]
    unit_only = ServiceProfitChain(n_bootstrap=0, time_effects=False).fit(panel)
    one_way = unit_only.summary().loc["ex→cx"]
    assert two_way["lower"] < truth["b_ex_cx"] < two_way["upper"]
    assert not one_way["lower"] < truth["b_ex_cx"] < one_way["upper"]
    assert abs(one_way["estimate"] - truth["b_ex_cx"]) > 3 * abs(
        two_way["estimate"] - truth["b_ex_cx"]
    )


def test_vectorised_bootstrap_equals_refitting_on_resampled_units():
    panel, _ = simulate_chain_panel(n_units=25, n_periods=6, seed=9)
    chain = ServiceProfitChain(n_bootstrap=5, random_state=11).fit(panel)
    counts = np.random.default_rng(11).multinomial(25, np.full(25, 1 / 25), size=5)
    units = pd.unique(panel["unit"])
    for replicate, draw in enumerate(counts):
        copies = []
        for u, times in zip(units, draw, strict=True):
            for copy in range(times):
                copies.append(panel[panel["unit"] == u].assign(unit=f"{u}-{copy}"))
        refit = ServiceProfitChain(n_bootstrap=0).fit(pd.concat(copies)).effects_.set_index("path")
        assert np.allclose(chain.bootstrap_.iloc[replicate], refit["estimate"], rtol=1e-9)


def test_bootstrap_is_reproducible_with_random_state():
    panel, _ = simulate_chain_panel(n_units=30, n_periods=6, seed=2)
    a = ServiceProfitChain(n_bootstrap=100, random_state=4).fit(panel).effects_
    b = ServiceProfitChain(n_bootstrap=100, random_state=4).fit(panel).effects_
    pd.testing.assert_frame_equal(a, b)


def test_lag_pairs_periods_by_value_so_a_gap_is_not_bridged():
    panel, _ = simulate_chain_panel(n_units=10, n_periods=6, seed=1)
    gappy = panel[~((panel["unit"] == 0) & (panel["period"] == 3))]
    chain = ServiceProfitChain(n_bootstrap=0).fit(gappy)
    # unit 0 loses period 3 (no row) and period 4 (its lagged EX is missing)
    assert chain.n_obs_["ex→cx"] == 10 * 5 - 2


def test_two_period_lag_uses_ex_from_two_periods_before():
    panel, _ = simulate_chain_panel(n_units=20, n_periods=6, seed=1)
    chain = ServiceProfitChain(lags=2, n_bootstrap=0).fit(panel)
    assert "ex_lag2" in chain.results_["ex→cx"].params.index
    assert chain.n_obs_["ex→cx"] == 20 * 4


def test_controls_enter_every_path():
    panel, truth = simulate_chain_panel(n_units=80, n_periods=12, seed=4)
    panel["footfall"] = np.random.default_rng(0).normal(size=len(panel))
    chain = ServiceProfitChain(n_bootstrap=0, controls=["footfall"]).fit(panel)
    for name, _, _ in PATHS:
        assert "footfall" in chain.results_[name].params.index
    estimate = chain.effects_.set_index("path").loc["ex→cx", "estimate"]
    assert estimate == pytest.approx(truth["b_ex_cx"], abs=0.05)


def test_without_bootstrap_intervals_are_cluster_robust_and_delta_method():
    panel, _ = simulate_chain_panel(n_units=50, n_periods=8, seed=6)
    chain = ServiceProfitChain(n_bootstrap=0).fit(panel)
    summary = chain.summary()
    assert (summary["interval"] == "cluster-robust").all()
    lower, upper = chain.results_["ex→cx"].conf_int().iloc[0]
    assert summary.loc["ex→cx", ["lower", "upper"]].tolist() == pytest.approx([lower, upper])
    a, b, c = (summary.loc[name, "estimate"] for name, _, _ in PATHS)
    assert summary.loc[INDIRECT, "estimate"] == pytest.approx(a * b * c)
    half = summary.loc[INDIRECT, "upper"] - summary.loc[INDIRECT, "estimate"]
    assert half == pytest.approx(1.959964 * summary.loc[INDIRECT, "se"], rel=1e-5)


def test_panel_without_required_columns_is_refused_with_their_names():
    panel, _ = simulate_chain_panel(n_units=5, n_periods=4, seed=0)
    with pytest.raises(ValueError, match=r"lacks columns \['repeat_rate'\]"):
        ServiceProfitChain().fit(panel.drop(columns="repeat_rate"))


def test_duplicate_unit_periods_are_refused():
    panel, _ = simulate_chain_panel(n_units=5, n_periods=4, seed=0)
    with pytest.raises(ValueError, match="more than one row for unit 0, period 0"):
        ServiceProfitChain().fit(pd.concat([panel, panel.head(1)]))


# ----------------------------------------------------------------------------- measurement error


def brute_force_corrected_slope(panel: pd.DataFrame) -> float:
    """The errors-in-variables slope with explicit matrices: the two-way dummy design D,
    its annihilator M = I − D D⁺, and β = xᵀMy / (xᵀMx − Σ σ²ᵢ Mᵢᵢ)."""
    lagged = panel[["unit", "period", "ex", "ex_se"]].assign(period=panel["period"] + 1)
    data = panel[["unit", "period", "cx"]].merge(lagged, on=["unit", "period"]).dropna()
    design = pd.get_dummies(data[["unit", "period"]].astype(str), drop_first=False, dtype=float)
    d = design.to_numpy()
    m = np.eye(len(d)) - d @ np.linalg.pinv(d)
    x, y, variance = data["ex"].to_numpy(), data["cx"].to_numpy(), data["ex_se"].to_numpy() ** 2
    return float(x @ m @ y / (x @ m @ x - variance @ np.diag(m)))


def test_corrected_slope_equals_the_explicit_annihilator_formula_on_an_unbalanced_panel():
    panel, _ = simulate_chain_panel(n_units=25, n_periods=8, seed=12, respondents=15)
    unbalanced = panel.sample(frac=0.85, random_state=2).sort_values(["unit", "period"])
    chain = ServiceProfitChain(n_bootstrap=0).fit(unbalanced)
    estimate = chain.effects_.set_index("path").loc["ex→cx", "estimate"]
    assert estimate == pytest.approx(brute_force_corrected_slope(unbalanced), rel=1e-9)
    assert 0.2 < chain.reliability_["ex→cx"] < 0.95
    assert chain.reliability_["cx→repeat_rate"] == 1.0  # no cx_se: nothing to correct


def test_survey_measured_ex_is_attenuated_when_ignored_and_recovered_when_corrected():
    panel, truth = simulate_chain_panel(n_units=200, n_periods=12, seed=21, respondents=12)
    ignored = ServiceProfitChain(n_bootstrap=300, random_state=0, measurement_error="ignore")
    corrected = ServiceProfitChain(n_bootstrap=300, random_state=0)
    naive = ignored.fit(panel).effects_.set_index("path").loc["ex→cx"]
    fixed = corrected.fit(panel).summary().loc["ex→cx"]
    assert naive["upper"] < truth["b_ex_cx"]  # attenuated: the interval misses the truth
    assert fixed["lower"] < truth["b_ex_cx"] < fixed["upper"]
    assert abs(fixed["estimate"] - truth["b_ex_cx"]) < 3 * fixed["se"]
    assert 0.3 < fixed["reliability"] < 0.6  # 12 answers of SD 20 against a within SD of ~5
    # "ignore" is plain least squares on the survey means
    assert naive["estimate"] == pytest.approx(ignored.results_["ex→cx"].params.iloc[0])


def test_corrected_bootstrap_equals_refitting_on_resampled_units():
    # Unit effects only: each unit's Mᵢᵢ = 1 − 1/Tᵤ does not change with resampling.
    panel, _ = simulate_chain_panel(n_units=20, n_periods=6, seed=9, respondents=8)
    chain = ServiceProfitChain(n_bootstrap=4, random_state=3, time_effects=False).fit(panel)
    counts = np.random.default_rng(3).multinomial(20, np.full(20, 1 / 20), size=4)
    for replicate, draw in enumerate(counts):
        copies = [
            panel[panel["unit"] == u].assign(unit=f"{u}-{copy}")
            for u, times in zip(pd.unique(panel["unit"]), draw, strict=True)
            for copy in range(times)
        ]
        refit = ServiceProfitChain(n_bootstrap=0, time_effects=False).fit(pd.concat(copies))
        expected = refit.effects_.set_index("path")["estimate"]
        assert np.allclose(chain.bootstrap_.iloc[replicate], expected, rtol=1e-9)


def test_an_unreliable_regressor_gets_fullers_floor_not_an_exploding_slope():
    panel, _ = simulate_chain_panel(n_units=30, n_periods=6, seed=4, respondents=2)
    panel["ex_se"] = panel["ex_se"] * 50  # error variance far above the whole spread of ex
    chain = ServiceProfitChain(n_bootstrap=0).fit(panel)
    path = chain._paths["ex→cx"]
    sxx, sxy, syy = (float(v) for v in linkage._partialled(path.cross.sum(axis=0)))
    estimate = chain.effects_.set_index("path").loc["ex→cx", "estimate"]
    # H = Sxy²/Syy + Ω/(n − 1): just inside the reverse regression's slope Syy/Sxy
    assert np.isfinite(estimate) and abs(estimate) < abs(syy / sxy)
    omega, n = path.omega.sum(), path.n_obs
    assert estimate == pytest.approx(sxy / (sxy**2 / syy + omega / (n - 1)))


@pytest.mark.parametrize("b_ex_cx", [0.0, 0.26])
def test_intervals_and_p_values_come_from_the_same_bootstrap(b_ex_cx):
    panel, _ = simulate_chain_panel(n_units=15, n_periods=6, seed=8, respondents=6, b_ex_cx=b_ex_cx)
    chain = ServiceProfitChain(n_bootstrap=400, random_state=5).fit(panel)
    for row in chain.effects_.itertuples():
        assert (row.lower > 0 or row.upper < 0) == (row.p_value < 0.05), row.path
        # Hesterberg's expanded percentile: with G = 15 units the 95% limits are the
        # replicates at 2·Φ(−√(15/14)·t₁₄(0.975))/2 ≈ 1.6% and 98.4%, not 2.5% and 97.5%
        draws = np.sort(chain.bootstrap_[row.path].to_numpy())
        tail = stats.norm.sf(np.sqrt(15 / 14) * stats.t.ppf(0.975, df=14))
        k = int(np.ceil(400 * tail))
        assert (row.lower, row.upper) == (draws[k - 1], draws[400 - k])
    for alpha in (0.1, 0.2, 0.5):
        limits = chain.conf_int(alpha)
        for path, (lower, upper) in limits.iterrows():
            p = chain.effects_.set_index("path").loc[path, "p_value"]
            assert (lower > 0 or upper < 0) == (p < alpha), (path, alpha)
    assert (chain.summary()["se"] == chain.bootstrap_.std(ddof=1)).all()


def test_wald_inference_of_the_corrected_slope_is_a_cluster_sandwich():
    panel, _ = simulate_chain_panel(n_units=40, n_periods=8, seed=13, respondents=10)
    chain = ServiceProfitChain(n_bootstrap=0).fit(panel)
    row = chain.summary().loc["ex→cx"]
    # An independent sandwich: by unit, the score x̌ᵀ(y̌ − x̌β) + Ωᵤβ of the estimating
    # equation on the LSDV residuals of x and y, over H².
    lagged = panel[["unit", "period", "ex", "ex_se"]].assign(period=panel["period"] + 1)
    data = panel[["unit", "period", "cx"]].merge(lagged, on=["unit", "period"]).dropna()
    x = smf.ols("ex ~ C(unit) + C(period)", data=data).fit().resid
    y = smf.ols("cx ~ C(unit) + C(period)", data=data).fit().resid
    path = chain._paths["ex→cx"]
    m_diag = path.omega  # per unit, Σ σ² Mᵢᵢ
    beta = row["estimate"]
    h = float(x @ x) - m_diag.sum()
    scores = (x * (y - beta * x)).groupby(data["unit"]).sum().to_numpy() + m_diag * beta
    g, n, k = 40, len(data), 1 + 6  # the slope and six period dummies
    expected_se = np.sqrt(g / (g - 1) * (n - 1) / (n - k) * (scores @ scores)) / h
    assert row["se"] == pytest.approx(expected_se, rel=1e-8)
    t = stats.t.ppf(0.975, df=g - 1)
    assert (row["lower"], row["upper"]) == pytest.approx(
        (beta - t * row["se"], beta + t * row["se"])
    )
    assert row["p_value"] == pytest.approx(2 * stats.t.sf(abs(beta / row["se"]), df=g - 1))


def test_unit_periods_needed_matches_statsmodels_power_of_a_z_test():
    panel, _ = simulate_chain_panel(n_units=12, n_periods=6, seed=3, respondents=5)
    chain = ServiceProfitChain(n_bootstrap=500, random_state=0).fit(panel)
    row = chain.summary().loc["ex→cx"]
    effect = max(abs(row["lower"]), abs(row["upper"]))
    sd_one = row["se"] * np.sqrt(row["n_obs"])  # what one unit-period contributes
    expected = NormalIndPower().solve_power(
        effect_size=effect / sd_one, alpha=0.05, power=0.8, ratio=0
    )
    assert chain.unit_periods_needed("ex→cx") == int(np.ceil(expected))
    assert chain.unit_periods_needed("ex→cx", effect=effect / 2) > 4 * expected - 1


def test_survey_mean_se_applies_the_finite_population_and_reliability_terms():
    # census of everyone: only item noise is left; reliability 1 and a sample of 1 in a
    # population of many: the published se unchanged
    assert linkage.survey_mean_se(4.0, 10, 10, 0.8) == pytest.approx(4.0 * np.sqrt(0.2))
    assert linkage.survey_mean_se(4.0, 1, 10**9, 1.0) == pytest.approx(4.0, rel=1e-8)
    assert linkage.survey_mean_se(4.0, 6, 8, 0.9) == pytest.approx(4.0 * np.sqrt(0.25 * 0.9 + 0.1))
    with pytest.raises(ValueError, match="reliability must lie in"):
        linkage.survey_mean_se(4.0, 6, 8, 1.2)


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("cx", np.inf, r"Column 'cx' has an infinite value \(unit 0, period 0\)"),
        ("ex", "high", r"Column 'ex' is not numeric"),
        ("ex_se", -1.0, r"Column 'ex_se' has a negative standard error"),
        ("ex_se", np.nan, r"Column 'ex_se' is missing where 'ex' has a value \(unit 0, period 0\)"),
    ],
)
def test_bad_panel_values_are_refused_naming_the_column(column, value, message):
    panel, _ = simulate_chain_panel(n_units=5, n_periods=4, seed=0, respondents=5)
    panel[column] = panel[column].astype(object if isinstance(value, str) else float)
    panel.loc[0, column] = value
    with pytest.raises(ValueError, match=message):
        ServiceProfitChain().fit(panel)


def test_unknown_measurement_error_option_is_refused():
    panel, _ = simulate_chain_panel(n_units=5, n_periods=4, seed=0)
    with pytest.raises(ValueError, match="measurement_error must be one of"):
        ServiceProfitChain(measurement_error="simex").fit(panel)
