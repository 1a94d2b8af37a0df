"""Service-profit-chain linkage: recovery of known effects, SEs, bootstrap mechanics."""

import time

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

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
        assert row["p_value"] <= 2 / 1001  # the bootstrap p-value floor for the indirect effect
    assert elapsed < 3  # typically ~0.3 s on 2 cores


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
