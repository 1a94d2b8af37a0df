"""Metrics against independent computations (scipy, statsmodels, the textbook formulas)."""

import math

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from servicechain.analytics.metrics import (
    Estimate,
    csat,
    enps,
    mean_ci,
    nps,
    nps_difference,
    top_box,
)

rng = np.random.default_rng(20240601)
NPS_ANSWERS = rng.integers(0, 11, size=400).astype(float)
CSAT_ANSWERS = rng.integers(1, 6, size=250).astype(float)


def test_nps_is_promoters_minus_detractors_in_points():
    answers = [10, 9, 9, 8, 7, 6, 0, 3, 10, 10]  # 5 promoters, 3 detractors
    assert nps(answers).value == pytest.approx(100 * (5 - 3) / 10)


def test_nps_interval_uses_the_variance_of_the_plus_minus_one_score():
    # Each answer as +1 (promoter), 0 (passive), -1 (detractor): NPS/100 is its mean and
    # the multinomial variance formula is its population variance.
    signed = np.select([NPS_ANSWERS >= 9, NPS_ANSWERS <= 6], [1.0, -1.0], 0.0)
    se = 100 * signed.std(ddof=0) / math.sqrt(signed.size)
    z = stats.norm.ppf(0.975)
    est = nps(NPS_ANSWERS)
    assert est.value == pytest.approx(100 * signed.mean())
    assert est.se == pytest.approx(se)
    assert (est.lower, est.upper) == pytest.approx((est.value - z * se, est.value + z * se))
    assert est.n == 400


def test_nps_ignores_missing_answers_and_reports_n_used():
    est = nps([10, None, 9, float("nan"), 0])
    assert est.n == 3
    assert est.value == pytest.approx(100 * (2 - 1) / 3)


def test_nps_refuses_answers_off_the_zero_to_ten_scale():
    with pytest.raises(ValueError, match="0–10 scale; found 11"):
        nps([10, 11])


def test_nps_of_no_answers_is_nan_with_n_zero():
    est = nps([None, float("nan")])
    assert est.n == 0 and math.isnan(est.value)


def test_nps_interval_stays_within_minus_and_plus_hundred():
    est = nps([10, 10, 9])
    assert est.value == 100 and est.upper <= 100


def test_enps_is_nps():
    assert enps(NPS_ANSWERS) == nps(NPS_ANSWERS)


def test_equal_weights_change_nothing():
    w = np.full(NPS_ANSWERS.size, 2.5)
    weighted, plain = nps(NPS_ANSWERS, weights=w), nps(NPS_ANSWERS)
    assert (weighted.value, weighted.lower, weighted.upper) == pytest.approx(
        (plain.value, plain.lower, plain.upper)
    )
    assert csat(CSAT_ANSWERS, weights=np.ones(CSAT_ANSWERS.size)) == csat(CSAT_ANSWERS)
    assert mean_ci(CSAT_ANSWERS, weights=np.ones(CSAT_ANSWERS.size)).lower == pytest.approx(
        mean_ci(CSAT_ANSWERS).lower
    )


def test_weighted_nps_uses_kish_effective_n():
    w = rng.uniform(0.2, 3.0, NPS_ANSWERS.size)
    signed = np.select([NPS_ANSWERS >= 9, NPS_ANSWERS <= 6], [1.0, -1.0], 0.0)
    mean = np.average(signed, weights=w)
    n_eff = w.sum() ** 2 / (w**2).sum()
    se = 100 * math.sqrt(np.average((signed - mean) ** 2, weights=w) / n_eff)
    est = nps(NPS_ANSWERS, weights=w)
    assert est.value == pytest.approx(100 * mean)
    assert est.se == pytest.approx(se)


def test_nps_difference_adds_variances_of_independent_groups():
    a, b = NPS_ANSWERS[:200], NPS_ANSWERS[200:]
    ea, eb = nps(a), nps(b)
    diff = nps_difference(a, b)
    assert diff.value == pytest.approx(ea.value - eb.value)
    assert diff.se == pytest.approx(math.hypot(ea.se, eb.se))
    assert diff.upper - diff.value == pytest.approx(stats.norm.ppf(0.975) * diff.se)
    assert nps_difference(ea, eb) == diff


@pytest.mark.parametrize("ci", [0.8, 0.95, 0.99])
def test_csat_interval_matches_statsmodels_wilson(ci):
    satisfied = int(np.isin(CSAT_ANSWERS, [4, 5]).sum())
    lower, upper = proportion_confint(satisfied, CSAT_ANSWERS.size, alpha=1 - ci, method="wilson")
    est = csat(CSAT_ANSWERS, ci=ci)
    assert est.value == pytest.approx(100 * satisfied / CSAT_ANSWERS.size)
    assert (est.lower, est.upper) == pytest.approx((100 * lower, 100 * upper), abs=1e-10)


def test_wilson_interval_is_sensible_at_the_edges():
    all_top = top_box([5, 5, 5, 4], top=(4, 5))
    lower, _ = proportion_confint(4, 4, method="wilson")
    assert all_top.value == 100 and all_top.upper == pytest.approx(100)
    assert all_top.lower == pytest.approx(100 * lower)


def test_top_box_counts_only_the_named_boxes():
    assert top_box([1, 2, 3, 4, 5], top=(5,)).value == pytest.approx(20)


def test_mean_interval_matches_scipy_t_interval():
    x = rng.normal(3.6, 0.9, 37)
    lower, upper = stats.t.interval(0.9, df=36, loc=x.mean(), scale=stats.sem(x))
    est = mean_ci(np.append(x, np.nan), ci=0.9)
    assert est.n == 37
    assert (est.value, est.lower, est.upper) == pytest.approx((x.mean(), lower, upper))


def test_weighted_mean_interval_uses_effective_n_degrees_of_freedom():
    x = rng.normal(0, 1, 50)
    w = rng.uniform(0.5, 2, 50)
    n_eff = w.sum() ** 2 / (w**2).sum()
    m = np.average(x, weights=w)
    s2 = np.average((x - m) ** 2, weights=w) * n_eff / (n_eff - 1)
    half = stats.t.ppf(0.975, n_eff - 1) * math.sqrt(s2 / n_eff)
    est = mean_ci(x, weights=w)
    assert (est.lower, est.upper) == pytest.approx((m - half, m + half))


def test_mean_of_one_value_has_no_interval():
    est = mean_ci([4.0])
    assert est.value == 4.0 and math.isnan(est.lower) and est.n == 1


def test_estimate_reads_well():
    assert (
        repr(Estimate(12.3456, 3.2, 21.5, 120))
        == "Estimate(value=12.35, 95% CI [3.2, 21.5], n=120)"
    )
    assert Estimate(1.0, 0.0, 2.0, 3).as_dict()["n"] == 3


def test_misaligned_weights_are_refused():
    with pytest.raises(ValueError, match="must align"):
        nps([1, 2, 3], weights=[1, 2])
