"""On the medium organisation, key-driver analysis finds the true top-3 drivers."""

import math
import time

import numpy as np
import pytest

from servicechain.simulate import SIZES, simulate_organisation
from servicechain.surveys.bank import load_bank, score_scales


def lmg_importance(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """LMG / Shapley decomposition of R^2, brute force over all predictor subsets.

    R^2 of a subset S is r_Sy' R_SS^-1 r_Sy from the correlation matrix (Lindeman, Merenda &
    Gold, 1980); each predictor's share is its Shapley-weighted mean R^2 increment.
    """
    p = X.shape[1]
    corr = np.corrcoef(np.column_stack([X, y]), rowvar=False)
    rxx, rxy = corr[:p, :p], corr[:p, p]
    r2 = np.zeros(1 << p)
    for mask in range(1, 1 << p):
        cols = [i for i in range(p) if mask >> i & 1]
        r2[mask] = rxy[cols] @ np.linalg.solve(rxx[np.ix_(cols, cols)], rxy[cols])
    importance = np.zeros(p)
    for mask in range(1 << p):
        k = bin(mask).count("1")
        for j in range(p):
            if not mask >> j & 1:
                weight = math.factorial(k) * math.factorial(p - k - 1) / math.factorial(p)
                importance[j] += weight * (r2[mask | 1 << j] - r2[mask])
    return importance


def test_lmg_helper_shares_sum_to_full_r_squared():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(500, 4))
    y = X @ np.array([1.0, 0.5, 0.0, 0.2]) + rng.normal(size=500)
    importance = lmg_importance(X, y)
    design = np.column_stack([np.ones(500), X])
    fitted = design @ np.linalg.lstsq(design, y, rcond=None)[0]
    assert importance.sum() == pytest.approx(np.corrcoef(fitted, y)[0, 1] ** 2)
    assert np.argmax(importance) == 0


@pytest.mark.slow
def test_medium_org_generates_quickly_and_kda_ranks_the_true_top_three_first():
    start = time.perf_counter()
    org = simulate_organisation("medium", seed=0)
    elapsed = time.perf_counter() - start
    assert elapsed < 20

    preset = SIZES["medium"]
    assert len(org.units) == preset["units"]
    assert (
        0.9 * preset["employees"] <= org.employees["leave_date"].isna().sum() <= preset["employees"]
    )
    assert org.unit_months["period"].nunique() == preset["months"]

    drivers = load_bank().drivers("employee")
    waves = org.employee_waves
    census = org.employee_responses[
        org.employee_responses["wave_id"].isin(waves.loc[waves["kind"] == "census", "wave_id"])
    ]
    scores = score_scales(census, ["engagement", *drivers]).dropna()
    correlations = scores[drivers].corr().to_numpy()[np.triu_indices(len(drivers), 1)]
    assert 0.2 < correlations.mean() < 0.6  # correlated drivers: why KDA is needed

    importance = lmg_importance(scores[drivers].to_numpy(), scores["engagement"].to_numpy())
    ranked = [drivers[i] for i in np.argsort(-importance)]
    truth = org.ground_truth["engagement_top_drivers"]
    assert set(ranked[:3]) == set(truth) == {"empowerment", "manager", "recognition"}
