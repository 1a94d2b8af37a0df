import numpy as np
import pytest
from scipy import stats

from servicechain.analytics.metrics import mean_ci, mean_difference


def test_mean_difference_matches_scipy_welch_interval():
    rng = np.random.default_rng(4)
    a, b = rng.normal(70, 12, 80), rng.normal(66, 20, 45)
    expected = stats.ttest_ind(a, b, equal_var=False).confidence_interval(0.95)
    got = mean_difference(a, b)
    assert got.value == pytest.approx(a.mean() - b.mean())
    assert (got.lower, got.upper) == pytest.approx((expected.low, expected.high), rel=1e-10)
    assert got.n == 125


def test_mean_difference_accepts_estimates():
    rng = np.random.default_rng(5)
    a, b = rng.normal(3, 1, 30), rng.normal(2.5, 1, 40)
    assert mean_difference(mean_ci(a), mean_ci(b)) == mean_difference(a, b)


def test_mean_difference_without_variance_has_no_interval():
    result = mean_difference([4.0], [3.0, 5.0])
    assert result.value == pytest.approx(0.0) and np.isnan(result.lower)
