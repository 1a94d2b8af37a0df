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
    mean_difference,
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


def adjusted_wald(promoters: float, detractors: float, n: float, z: float):
    """Rocks' (2016) adjusted Wald interval, written out: ¾ promoter, ¾ detractor, n + 3."""
    p, d = (promoters + 0.75) / (n + 3), (detractors + 0.75) / (n + 3)
    se = math.sqrt((p + d - (p - d) ** 2) / (n + 3))
    return 100 * (p - d), 100 * se


def test_nps_interval_is_the_adjusted_wald_interval():
    signed = np.select([NPS_ANSWERS >= 9, NPS_ANSWERS <= 6], [1.0, -1.0], 0.0)
    z = stats.norm.ppf(0.975)
    centre, se = adjusted_wald((signed == 1).sum(), (signed == -1).sum(), signed.size, z)
    est = nps(NPS_ANSWERS)
    assert est.value == pytest.approx(100 * signed.mean())
    assert est.se == pytest.approx(se)
    assert (est.lower, est.upper) == pytest.approx((centre - z * se, centre + z * se))
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
    weighted_csat = csat(CSAT_ANSWERS, weights=np.ones(CSAT_ANSWERS.size)).as_dict()
    plain_csat = csat(CSAT_ANSWERS).as_dict()
    assert weighted_csat.pop("n_eff") == CSAT_ANSWERS.size and plain_csat.pop("n_eff") is None
    assert weighted_csat == plain_csat
    assert mean_ci(CSAT_ANSWERS, weights=np.ones(CSAT_ANSWERS.size)).lower == pytest.approx(
        mean_ci(CSAT_ANSWERS).lower
    )


def test_weighted_nps_uses_kish_effective_n():
    w = rng.uniform(0.2, 3.0, NPS_ANSWERS.size)
    signed = np.select([NPS_ANSWERS >= 9, NPS_ANSWERS <= 6], [1.0, -1.0], 0.0)
    mean = np.average(signed, weights=w)
    n_eff = w.sum() ** 2 / (w**2).sum()
    promoters = n_eff * np.average(signed == 1, weights=w)
    detractors = n_eff * np.average(signed == -1, weights=w)
    _, se = adjusted_wald(promoters, detractors, n_eff, 1.96)
    est = nps(NPS_ANSWERS, weights=w)
    assert est.value == pytest.approx(100 * mean)
    assert est.se == pytest.approx(se)
    assert est.n_eff == pytest.approx(n_eff)


def test_nps_difference_adds_variances_of_independent_groups():
    a, b = NPS_ANSWERS[:200], NPS_ANSWERS[200:]
    ea, eb = nps(a), nps(b)
    diff = nps_difference(a, b)
    assert diff.value == pytest.approx(ea.value - eb.value)
    assert diff.se == pytest.approx(math.hypot(ea.se, eb.se))
    centres = [adjusted_wald((g >= 9).sum(), (g <= 6).sum(), g.size, 1.96)[0] for g in (a, b)]
    z = stats.norm.ppf(0.975)
    assert diff.upper == pytest.approx(centres[0] - centres[1] + z * diff.se)
    # from estimates the adjusted centres are gone: the observed difference ± z·se
    from_estimates = nps_difference(ea, eb)
    assert from_estimates.upper - from_estimates.value == pytest.approx(z * diff.se)


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


# ----------------------------------------------------------------------------- small samples


def exact_coverage(n: int, interval, grid) -> np.ndarray:
    """Exact coverage of an NPS interval at each true (promoter, detractor) share: the sum
    of the trinomial probabilities of the outcomes whose interval holds the true NPS."""
    outcomes = [(p, d) for p in range(n + 1) for d in range(n + 1 - p)]
    limits = np.array([interval(p, d, n) for p, d in outcomes])
    counts = np.array([[p, d, n - p - d] for p, d in outcomes])
    coverage = []
    for share_p, share_d in grid:
        probability = stats.multinomial.pmf(counts, n, [share_p, share_d, 1 - share_p - share_d])
        truth = 100 * (share_p - share_d)
        coverage.append(probability[(limits[:, 0] <= truth) & (truth <= limits[:, 1])].sum())
    return np.array(coverage)


GRID = [
    (p, d) for p in np.arange(0.05, 0.96, 0.1) for d in np.arange(0.05, 0.96, 0.1) if p + d <= 0.951
]


def answers_for(promoters: int, detractors: int, n: int) -> list[int]:
    return [10] * promoters + [0] * detractors + [7] * (n - promoters - detractors)


@pytest.mark.parametrize("n", [10, 11, 12, 13, 15, 20, 25, 30])
def test_nps_interval_covers_at_least_93_percent_from_ten_answers(n):
    # Averaged over the grid of true shares, exact coverage is 94.9-95.2 %; coverage of any
    # discrete interval oscillates with the true shares, and its lowest point on the grid
    # is 92.4 % (n = 11).
    def ours(p, d, n):
        est = nps(answers_for(p, d, n))
        return est.lower, est.upper

    coverage = exact_coverage(n, ours, GRID)
    assert coverage.mean() >= 0.945, (n, coverage.mean())
    assert coverage.min() >= 0.92, (n, coverage.min())


def test_the_plain_wald_interval_it_replaces_covers_too_little_at_ten_to_twenty():
    def wald(p, d, n):
        diff = (p - d) / n
        se = math.sqrt(max((p + d) / n - diff**2, 0.0) / n)
        return 100 * (diff - 1.96 * se), 100 * (diff + 1.96 * se)

    assert np.mean([exact_coverage(n, wald, GRID).mean() for n in (10, 15, 20)]) < 0.92


@pytest.mark.parametrize("answers", [[10], [0], [10] * 12, [7] * 30, [0] * 8])
def test_nps_interval_never_has_zero_width(answers):
    est = nps(answers)
    assert est.upper - est.lower > 10
    assert est.lower <= est.value <= est.upper
    assert est.lower >= -100 and est.upper <= 100


def test_mean_difference_of_weighted_means_uses_kishs_effective_n():
    rng = np.random.default_rng(11)
    a, b = rng.normal(70, 10, 12), rng.normal(66, 10, 12)
    wa, wb = rng.uniform(0.1, 4.0, 12), rng.uniform(0.1, 4.0, 12)

    def weighted(values, w):
        n_eff = w.sum() ** 2 / (w**2).sum()
        mean = np.average(values, weights=w)
        variance = np.average((values - mean) ** 2, weights=w) * n_eff / (n_eff - 1)
        return mean, variance / n_eff, n_eff

    (ma, va, na), (mb, vb, nb) = weighted(a, wa), weighted(b, wb)
    df = (va + vb) ** 2 / (va**2 / (na - 1) + vb**2 / (nb - 1))
    half = stats.t.ppf(0.975, df) * math.sqrt(va + vb)
    got = mean_difference(a, b, weights_a=wa, weights_b=wb)
    assert got.value == pytest.approx(ma - mb)
    assert got.upper - got.value == pytest.approx(half)
    from_estimates = mean_difference(mean_ci(a, weights=wa), mean_ci(b, weights=wb))
    assert from_estimates.upper == pytest.approx(got.upper)
    # counting raw answers as degrees of freedom would give a narrower interval
    raw_df = (va + vb) ** 2 / (va**2 / 11 + vb**2 / 11)
    assert half > stats.t.ppf(0.975, raw_df) * math.sqrt(va + vb)


@pytest.mark.parametrize(
    "metric",
    [nps, csat, top_box, mean_ci, lambda x, weights: mean_difference(x, x, weights_a=weights)],
)
def test_all_zero_weights_are_one_clear_error_in_every_metric(metric):
    with pytest.raises(ValueError, match="Every survey weight of the answers is zero"):
        metric([1.0, 2.0, 3.0], weights=[0.0, 0.0, 0.0])


@pytest.mark.parametrize("metric", [nps, csat, top_box, mean_ci])
def test_an_infinite_value_is_refused(metric):
    with pytest.raises(ValueError, match=r"scores has an infinite value \(position 1\)"):
        metric([3.0, np.inf, 4.0])


@pytest.mark.parametrize("bad", [0, 6, 4.5])
def test_csat_answers_off_the_one_to_five_scale_are_refused(bad):
    with pytest.raises(ValueError, match="CSAT answers must be whole numbers from 1 to 5"):
        csat([5, 4, bad])
