"""Key-driver analysis against brute force, independent formulas and a published result."""

import io
import itertools
import math
import time

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from servicechain.analytics.drivers import KeyDriverAnalysis, relative_importance


def correlated_drivers(n=400, p=6, seed=0, noise=2.0):
    rng = np.random.default_rng(seed)
    mixing = rng.normal(size=(p, p))
    X = pd.DataFrame(rng.normal(size=(n, p)) @ mixing, columns=[f"driver_{i}" for i in range(p)])
    y = pd.Series(X.to_numpy() @ rng.normal(size=p) + noise * rng.normal(size=n), name="engagement")
    return X, y


def brute_force_shapley(X, y, weights=None):
    """LMG the slow way: every ordering's R² gain from statsmodels fits."""
    cache = {}

    def r2(cols):
        if not cols:
            return 0.0
        key = frozenset(cols)
        if key not in cache:
            design = sm.add_constant(X[sorted(cols)])
            model = sm.OLS(y, design) if weights is None else sm.WLS(y, design, weights=weights)
            cache[key] = model.fit().rsquared
        return cache[key]

    p = X.shape[1]
    out = {}
    for j in X.columns:
        others = [c for c in X.columns if c != j]
        out[j] = sum(
            math.factorial(k)
            * math.factorial(p - k - 1)
            / math.factorial(p)
            * (r2(S + (j,)) - r2(S))
            for k in range(p)
            for S in itertools.combinations(others, k)
        )
    return pd.Series(out), r2(tuple(X.columns))


def test_lmg_equals_brute_force_shapley_over_ols_fits():
    X, y = correlated_drivers()
    expected, full_r2 = brute_force_shapley(X, y)
    kda = KeyDriverAnalysis().fit(X, y)
    assert np.abs(kda.importance_ - expected).max() < 1e-10
    assert kda.r2_ == pytest.approx(full_r2, abs=1e-12)


def test_weighted_lmg_equals_brute_force_shapley_over_wls_fits():
    X, y = correlated_drivers(p=4, seed=5)
    weights = np.random.default_rng(5).uniform(0.2, 3.0, len(y))
    expected, full_r2 = brute_force_shapley(X, y, weights)
    kda = KeyDriverAnalysis().fit(X, y, sample_weight=weights)
    assert np.abs(kda.importance_ - expected).max() < 1e-10
    assert kda.r2_ == pytest.approx(full_r2, abs=1e-12)


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 9), st.integers(0, 10_000), st.floats(0.1, 5.0))
def test_lmg_shares_sum_to_r_squared(p, seed, noise):
    X, y = correlated_drivers(n=60, p=p, seed=seed, noise=noise)
    kda = KeyDriverAnalysis().fit(X, y)
    assert kda.importance_.sum() == pytest.approx(kda.r2_, abs=1e-10)
    assert (kda.importance_ > -1e-12).all()
    assert sorted(kda.rank_) == sorted(
        kda.importance_.rank(ascending=False, method="min").astype(int)
    )


# relaimpo's output for longley, Armed.Forces ~ GNP + Population + Employed + Unemployed
# (calc.relimp(fit, type="lmg", rela=TRUE)): R² 70.2 %, lmg shares .328 .241 .217 .215.
# Data: R's `longley` (Longley 1967, JASA 62(319)), public domain.
LONGLEY = """GNP,Unemployed,Armed.Forces,Population,Employed
234.289,235.6,159,107.608,60.323
259.426,232.5,145.6,108.632,61.122
258.054,368.2,161.6,109.773,60.171
284.599,335.1,165,110.929,61.187
328.975,209.9,309.9,112.075,63.221
346.999,193.2,359.4,113.27,63.639
365.385,187,354.7,115.094,64.989
363.112,357.8,335,116.219,63.761
397.469,290.4,304.8,117.388,66.019
419.18,282.2,285.7,118.734,67.857
442.769,293.6,279.8,120.445,68.169
444.546,468.1,263.7,121.95,66.513
482.704,381.3,255.2,123.366,68.655
502.601,393.1,251.4,125.368,69.564
518.173,480.6,257.2,127.852,69.331
554.894,400.7,282.7,130.081,70.551
"""


def test_lmg_reproduces_relaimpo_on_longley():
    data = pd.read_csv(io.StringIO(LONGLEY))
    kda = KeyDriverAnalysis().fit(
        data[["GNP", "Population", "Employed", "Unemployed"]], data["Armed.Forces"]
    )
    assert round(kda.r2_, 3) == 0.702
    shares = (kda.importance_ / kda.r2_).round(3)
    assert shares.to_dict() == {
        "GNP": 0.328,
        "Population": 0.241,
        "Employed": 0.217,
        "Unemployed": 0.215,
    }


def johnson_relative_weights_from_data(X, y):
    """Johnson (2000) from the data: SVD X = PΔQᵀ, orthogonal counterpart Z = PQᵀ."""
    Xs = (X - X.mean()) / X.std(ddof=1)
    ys = (y - y.mean()) / y.std(ddof=1)
    P, _, Qt = np.linalg.svd(Xs.to_numpy(), full_matrices=False)
    Z = P @ Qt * math.sqrt(len(y) - 1)  # unit-variance orthogonal columns
    beta = np.linalg.lstsq(Z, ys.to_numpy(), rcond=None)[0]
    loadings = Xs.to_numpy().T @ Z / (len(y) - 1)  # corr(X_j, Z_k)
    return pd.Series((loadings**2) @ (beta**2), index=X.columns)


def test_relative_weights_match_johnsons_construction_from_the_data():
    X, y = correlated_drivers(p=5, seed=11)
    kda = KeyDriverAnalysis(method="relative_weights").fit(X, y)
    expected = johnson_relative_weights_from_data(X, y)
    assert np.abs(kda.importance_ - expected).max() < 1e-10
    assert kda.importance_.sum() == pytest.approx(kda.r2_)
    assert kda.r2_ == pytest.approx(KeyDriverAnalysis().fit(X, y).r2_)


def test_general_dominance_is_lmg_and_conditional_dominance_starts_at_squared_correlation():
    X, y = correlated_drivers(p=5, seed=2)
    dominance = KeyDriverAnalysis(method="dominance").fit(X, y)
    lmg = KeyDriverAnalysis().fit(X, y)
    assert np.abs(dominance.general_ - lmg.importance_).max() < 1e-12
    assert np.abs(dominance.importance_ - lmg.importance_).max() < 1e-12
    assert np.allclose(dominance.conditional_[0], X.corrwith(y) ** 2)
    last = {c: lmg.r2_ - KeyDriverAnalysis().fit(X.drop(columns=c), y).r2_ for c in X.columns}
    assert np.allclose(dominance.conditional_[4], pd.Series(last))


def test_complete_dominance_implies_conditional_dominance():
    X, y = correlated_drivers(p=5, seed=4)
    d = KeyDriverAnalysis(method="dominance").fit(X, y)
    assert np.isnan(np.diag(d.complete_)).all()
    for i, j in itertools.permutations(X.columns, 2):
        assert d.complete_.loc[i, j] + d.complete_.loc[j, i] == 1
        if d.complete_.loc[i, j] == 1:
            assert (d.conditional_.loc[i] >= d.conditional_.loc[j] - 1e-12).all()


def test_a_driver_uncorrelated_with_everything_is_completely_dominated():
    rng = np.random.default_rng(9)
    X = pd.DataFrame({"pay": rng.normal(size=300), "noise": rng.normal(size=300)})
    y = 2 * X["pay"] + rng.normal(size=300)
    d = KeyDriverAnalysis(method="dominance").fit(X, y)
    assert d.complete_.loc["pay", "noise"] == 1 and d.complete_.loc["noise", "pay"] == 0
    assert d.rank_["pay"] == 1


def test_bootstrap_is_reproducible_and_equals_refitting_on_resampled_rows():
    X, y = correlated_drivers(n=120, p=4, seed=8)
    kda = KeyDriverAnalysis(n_bootstrap=30, random_state=42).fit(X, y)
    again = KeyDriverAnalysis(n_bootstrap=30, random_state=42).fit(X, y)
    pd.testing.assert_frame_equal(kda.ci_, again.ci_)

    counts = np.random.default_rng(42).multinomial(len(y), np.full(len(y), 1 / len(y)), size=30)
    naive = [
        KeyDriverAnalysis()
        .fit(X.iloc[np.repeat(np.arange(len(y)), c)], y.iloc[np.repeat(np.arange(len(y)), c)])
        .importance_
        for c in counts
    ]
    assert np.abs(kda.bootstrap_importance_.to_numpy() - np.array(naive)).max() < 1e-10
    lower, upper = np.quantile(np.array(naive), [0.025, 0.975], axis=0)
    assert np.allclose(kda.ci_["lower"], lower) and np.allclose(kda.ci_["upper"], upper)


def test_bootstrap_interval_brackets_the_estimate_and_summary_reads_in_rank_order():
    X, y = correlated_drivers(n=300, p=4, seed=1)
    kda = KeyDriverAnalysis(n_bootstrap=200, random_state=0).fit(X, y)
    summary = kda.summary()
    assert list(summary.columns) == ["importance", "share_of_r2", "rank", "lower", "upper"]
    assert summary["rank"].is_monotonic_increasing
    assert (summary["lower"] <= summary["importance"]).all() and (
        summary["importance"] <= summary["upper"]
    ).all()
    assert summary["share_of_r2"].sum() == pytest.approx(100)
    narrower = kda.conf_int(alpha=0.5)
    assert (narrower["upper"] - narrower["lower"] <= kda.ci_["upper"] - kda.ci_["lower"]).all()


def test_relative_weights_bootstrap_runs_batched():
    X, y = correlated_drivers(n=200, p=5, seed=3)
    kda = KeyDriverAnalysis(method="relative_weights", n_bootstrap=100, random_state=1).fit(X, y)
    assert kda.ci_.notna().all().all()


def test_listwise_deletion_equals_fitting_complete_rows():
    X, y = correlated_drivers(p=4, seed=6)
    X = X.copy()
    X.iloc[::7, 1] = np.nan
    kda = KeyDriverAnalysis(missing="listwise").fit(X, y)
    complete = X.notna().all(axis=1)
    expected = KeyDriverAnalysis().fit(X[complete], y[complete])
    assert kda.n_obs_ == complete.sum()
    assert np.allclose(kda.importance_, expected.importance_)


def drivers_with_gaps(seed=7):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(400, 3)), columns=["pay", "manager", "growth"])
    X["growth"] += 0.5 * X["pay"]
    y = X @ np.array([0.5, 0.3, 0.2]) + rng.normal(size=400)
    X.iloc[::5, 0] = np.nan
    X.iloc[1::6, 2] = np.nan
    return X, y


def test_pairwise_deletion_uses_pairwise_complete_correlations():
    X, y = drivers_with_gaps()
    corr = pd.concat([X, y], axis=1).corr()  # pandas: pairwise-complete Pearson
    rxx, rxy = corr.iloc[:3, :3].to_numpy(), corr.iloc[:3, 3].to_numpy()
    kda = KeyDriverAnalysis(missing="pairwise").fit(X, y)
    assert kda.r2_ == pytest.approx(rxy @ np.linalg.solve(rxx, rxy), abs=1e-12)
    assert kda.importance_.sum() == pytest.approx(kda.r2_, abs=1e-12)


def test_pairwise_bootstrap_gives_intervals():
    X, y = drivers_with_gaps()
    kda = KeyDriverAnalysis(missing="pairwise", n_bootstrap=50, random_state=2).fit(X, y)
    assert (kda.ci_["lower"] <= kda.importance_).all() and (
        kda.importance_ <= kda.ci_["upper"]
    ).all()


def test_pairwise_correlations_that_are_not_a_valid_matrix_are_refused():
    X, y = correlated_drivers(p=3, seed=7)  # strongly collinear drivers
    X = X.copy()
    X.iloc[::5, 0] = np.nan
    X.iloc[1::6, 2] = np.nan
    with pytest.raises(ValueError, match="positive semi-definite"):
        KeyDriverAnalysis(missing="pairwise").fit(X, y)


def test_twenty_drivers_are_exact_and_fast():
    X, y = correlated_drivers(n=500, p=20, seed=12)
    start = time.perf_counter()
    kda = KeyDriverAnalysis().fit(X, y)
    elapsed = time.perf_counter() - start
    assert kda.importance_.sum() == pytest.approx(kda.r2_, abs=1e-10)
    assert kda.r2_ == pytest.approx(sm.OLS(y, sm.add_constant(X)).fit().rsquared, abs=1e-10)
    assert elapsed < 5


def test_too_many_drivers_for_exact_lmg_is_refused_with_the_limit():
    X, y = correlated_drivers(n=100, p=25)
    with pytest.raises(ValueError, match="p=25 drivers exceeds the limit of 24"):
        KeyDriverAnalysis().fit(X, y)
    assert KeyDriverAnalysis(method="relative_weights").fit(X, y).importance_.sum() > 0


def test_constant_driver_is_named():
    X, y = correlated_drivers(p=2)
    X["flat"] = 3.0
    with pytest.raises(ValueError, match="'flat' is constant"):
        KeyDriverAnalysis().fit(X, y)


def test_unknown_method_is_refused():
    X, y = correlated_drivers(p=2)
    with pytest.raises(ValueError, match="method must be one of"):
        KeyDriverAnalysis(method="shapley-ish").fit(X, y)


def test_relative_importance_is_the_one_call_form():
    X, y = correlated_drivers(p=3)
    pd.testing.assert_series_equal(
        relative_importance(X, y), KeyDriverAnalysis().fit(X, y).importance_
    )
    pd.testing.assert_series_equal(
        relative_importance(X, y, method="relative_weights"),
        KeyDriverAnalysis(method="relative_weights").fit(X, y).importance_,
    )


@pytest.fixture(scope="module")
def medium_organisation():
    from servicechain.simulate import simulate_organisation

    return simulate_organisation(size="medium", seed=0)


@pytest.mark.parametrize("method", ["lmg", "relative_weights"])
def test_ranks_the_true_top_three_engagement_drivers_of_the_medium_organisation_first(
    medium_organisation, method
):
    from servicechain.surveys.bank import score_scales

    truth = medium_organisation.ground_truth
    scores = score_scales(medium_organisation.employee_responses)
    drivers = list(truth["engagement_driver_weights"])
    kda = KeyDriverAnalysis(method=method).fit(scores[drivers], scores["engagement"])
    assert set(kda.summary().index[:3]) == set(truth["engagement_top_drivers"])
    assert kda.n_obs_ > 10_000  # census responses: every driver asked


# ----------------------------------------------------------------------------- knowing when it knows nothing


def test_adjusted_r2_and_the_f_test_match_statsmodels_ols():
    X, y = correlated_drivers(n=60, p=5, seed=4, noise=6.0)
    kda = KeyDriverAnalysis().fit(X, y)
    ols = sm.OLS(y, sm.add_constant(X)).fit()
    assert kda.adjusted_r2_ == pytest.approx(ols.rsquared_adj, abs=1e-10)
    assert kda.r2_pvalue_ == pytest.approx(ols.f_pvalue, rel=1e-8)


def test_weighted_fit_tests_r2_on_kishs_effective_n():
    X, y = correlated_drivers(n=80, p=3, seed=5, noise=4.0)
    weights = np.random.default_rng(1).uniform(0.2, 3.0, len(y))
    kda = KeyDriverAnalysis().fit(X, y, sample_weight=weights)
    n_eff = weights.sum() ** 2 / (weights**2).sum()
    f = (kda.r2_ / 3) / ((1 - kda.r2_) / (n_eff - 4))
    assert kda.r2_pvalue_ == pytest.approx(1 - stats.f.cdf(f, 3, n_eff - 4), rel=1e-8)
    assert kda.adjusted_r2_ == pytest.approx(1 - (1 - kda.r2_) * (n_eff - 1) / (n_eff - 4))


def test_pure_noise_at_the_pages_minimum_is_declared_noise_in_about_5_percent_of_draws():
    # 24 responses and 11 drivers, as the driver-impact page allows: R² averages about
    # p/(n − 1) = 0.48 on pure noise, so R² alone says nothing; the F test says so.
    rng = np.random.default_rng(0)
    r2, adjusted, significant = [], [], []
    for _ in range(400):
        X = pd.DataFrame(rng.normal(size=(24, 11)), columns=[f"d{i}" for i in range(11)])
        kda = KeyDriverAnalysis().fit(X, rng.normal(size=24))
        r2.append(kda.r2_)
        adjusted.append(kda.adjusted_r2_)
        significant.append(kda.r2_pvalue_ < 0.05)
    assert np.mean(r2) == pytest.approx(11 / 23, abs=0.03)
    assert np.mean(adjusted) == pytest.approx(0.0, abs=0.04)
    assert np.mean(significant) <= 0.08


def test_cluster_bootstrap_equals_refitting_on_resampled_groups():
    X, y = correlated_drivers(n=90, p=3, seed=2)
    units = pd.Series(np.repeat([f"unit-{k}" for k in range(9)], 10), index=X.index)
    kda = KeyDriverAnalysis(n_bootstrap=6, random_state=4, cluster=units).fit(X, y)
    codes = pd.factorize(units)[0]
    counts = np.random.default_rng(4).multinomial(9, np.full(9, 1 / 9), size=6)
    for replicate, draw in enumerate(counts):
        rows = np.concatenate(
            [np.flatnonzero(codes == g) for g in range(9) for _ in range(draw[g])]
        )
        refit = KeyDriverAnalysis().fit(X.iloc[rows], y.iloc[rows])
        assert np.allclose(kda.bootstrap_importance_.iloc[replicate], refit.importance_)


@pytest.mark.parametrize("method", ["lmg", "relative_weights"])
def test_cluster_bootstrap_from_group_sums_equals_refitting_weighted_resamples(method):
    """The fast path (per-unit sums added up with the draw counts) against the plain
    computation: the drawn units' rows, with their survey weights, refitted."""
    X, y = correlated_drivers(n=120, p=4, seed=5)
    weights = np.random.default_rng(5).uniform(0.5, 2.0, size=120)
    units = pd.Series(np.random.default_rng(6).integers(0, 11, size=120), index=X.index)
    kda = KeyDriverAnalysis(method=method, n_bootstrap=8, random_state=7, cluster=units)
    kda.fit(X, y, sample_weight=weights)
    codes, labels = pd.factorize(units)
    counts = np.random.default_rng(7).multinomial(len(labels), np.full(len(labels), 1 / 11), 8)
    for replicate, draw in enumerate(counts):
        rows = np.concatenate(
            [np.flatnonzero(codes == g) for g in range(len(labels)) for _ in range(draw[g])]
        )
        refit = KeyDriverAnalysis(method=method).fit(
            X.iloc[rows], y.iloc[rows], sample_weight=weights[rows]
        )
        assert np.allclose(kda.bootstrap_importance_.iloc[replicate], refit.importance_)


def test_cluster_labels_align_by_index_and_follow_listwise_deletion():
    X, y = correlated_drivers(n=120, p=3, seed=3)
    X = X.copy()
    X.iloc[::9, 0] = np.nan
    units = pd.Series(np.arange(120) // 12, index=X.index)
    shuffled = units.sample(frac=1, random_state=0)  # same labels, another order
    a = KeyDriverAnalysis(n_bootstrap=20, random_state=1, cluster=units).fit(X, y)
    b = KeyDriverAnalysis(n_bootstrap=20, random_state=1, cluster=shuffled).fit(X, y)
    pd.testing.assert_frame_equal(a.bootstrap_importance_, b.bootstrap_importance_)
    with pytest.raises(ValueError, match="single group"):
        KeyDriverAnalysis(n_bootstrap=5, cluster=np.zeros(120)).fit(X, y)


def test_resampling_units_widens_or_keeps_the_intervals_of_the_medium_organisation(
    medium_organisation,
):
    from servicechain.surveys.bank import score_scales

    answers = medium_organisation.employee_responses
    census = (answers["wave_id"] == "W01").to_numpy()
    scores = score_scales(answers[census])
    drivers = list(medium_organisation.ground_truth["engagement_driver_weights"])
    units = answers.loc[census, "unit_external_id"]
    people = KeyDriverAnalysis(n_bootstrap=300, random_state=0)
    grouped = KeyDriverAnalysis(n_bootstrap=300, random_state=0, cluster=units)
    widths = [
        (kda.fit(scores[drivers], scores["engagement"]).ci_.diff(axis=1)["upper"])
        for kda in (people, grouped)
    ]
    ratio = widths[1] / widths[0]
    assert ratio.min() > 0.8 and ratio.max() < 1.6, ratio  # measured 0.91-1.34


def test_a_near_duplicate_driver_is_refused_with_the_tolerance_and_the_r2_cost():
    X, y = correlated_drivers(n=200, p=3, seed=6)
    X["driver_0_again"] = X["driver_0"] + 1e-7 * np.random.default_rng(0).normal(size=200)
    with pytest.raises(ValueError) as error:
        KeyDriverAnalysis().fit(X, y)
    message = str(error.value)
    assert "'driver_0_again' is a near-duplicate" in message or (
        "'driver_0' is a near-duplicate" in message
    )
    assert "tolerance of 1e-08" in message
    # the R² the remaining drivers keep, as an OLS fit without the duplicate gives it
    kept = sm.OLS(y, sm.add_constant(X.iloc[:, :3])).fit().rsquared
    assert f"→ {kept:.4f})" in message


def test_an_infinite_value_is_refused_naming_its_driver():
    X, y = correlated_drivers(n=50, p=3, seed=1)
    X.iloc[7, 2] = np.inf
    with pytest.raises(ValueError, match=r"Driver 'driver_2' has an infinite value \(row 7\)"):
        KeyDriverAnalysis().fit(X, y)


def test_all_zero_weights_are_one_clear_error():
    X, y = correlated_drivers(n=50, p=3, seed=1)
    with pytest.raises(ValueError, match="Every sample_weight is zero"):
        KeyDriverAnalysis().fit(X, y, sample_weight=np.zeros(50))
