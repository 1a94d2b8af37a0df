"""simulate_chain_panel follows the documented equations and is fast and reproducible."""

import json
import time

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from servicechain.simulate import ChainParameters, simulate_chain_panel


def within_unit_slope(panel: pd.DataFrame, y: str, x: str) -> float:
    """Plain fixed-effects OLS slope: demean y and x within unit, then regress."""
    data = panel.dropna(subset=[x, y])
    y_within = data[y] - data.groupby("unit")[y].transform("mean")
    x_within = data[x] - data.groupby("unit")[x].transform("mean")
    return float((x_within * y_within).sum() / (x_within**2).sum())


def with_lagged_ex(panel: pd.DataFrame) -> pd.DataFrame:
    out = panel.sort_values(["unit", "period"]).copy()
    out["ex_lag"] = out.groupby("unit")["ex"].shift(1)
    return out


def test_panel_has_the_contract_columns_and_shape():
    panel, _ = simulate_chain_panel(n_units=30, n_periods=12, seed=3)
    assert list(panel.columns) == ["unit", "period", "ex", "cx", "repeat_rate", "revenue_growth"]
    assert len(panel) == 30 * 12
    assert panel["period"].tolist()[:12] == list(range(12))
    assert panel["unit"].nunique() == 30
    assert panel.notna().all().all()


def test_same_seed_gives_identical_panel_and_different_seed_differs():
    first, truth_a = simulate_chain_panel(n_units=20, n_periods=6, seed=11)
    second, truth_b = simulate_chain_panel(n_units=20, n_periods=6, seed=11)
    other, _ = simulate_chain_panel(n_units=20, n_periods=6, seed=12)
    pd.testing.assert_frame_equal(first, second)
    assert truth_a == truth_b
    assert not np.allclose(first["cx"], other["cx"])


def test_within_unit_ols_recovers_every_path_at_default_size():
    panel, truth = simulate_chain_panel(n_units=200, n_periods=24, seed=0)
    lagged = with_lagged_ex(panel)
    assert within_unit_slope(lagged, "cx", "ex_lag") == pytest.approx(truth["b_ex_cx"], abs=0.04)
    assert within_unit_slope(panel, "repeat_rate", "cx") == pytest.approx(
        truth["b_cx_repeat"], rel=0.1
    )
    assert within_unit_slope(panel, "revenue_growth", "repeat_rate") == pytest.approx(
        truth["b_repeat_rev"], rel=0.1
    )


def test_defaults_follow_the_sears_chain():
    _, truth = simulate_chain_panel(n_units=5, n_periods=3)
    assert truth["b_ex_cx"] == pytest.approx(1.3 / 5)
    assert truth["b_cx_repeat"] * truth["b_repeat_rev"] == pytest.approx(0.5 / 1.3)
    # 5 EX points -> 0.5 pp revenue growth through the chain
    assert 5 * truth["indirect_ex_revenue"] == pytest.approx(0.5)
    assert truth["indirect_ex_revenue"] == pytest.approx(
        truth["b_ex_cx"] * truth["b_cx_repeat"] * truth["b_repeat_rev"]
    )


def test_overrides_change_the_effect_and_are_recorded():
    panel, truth = simulate_chain_panel(n_units=200, n_periods=24, seed=5, b_ex_cx=0.0, sd_cx=2)
    assert truth["b_ex_cx"] == 0.0
    assert truth["sd_cx"] == 2.0
    assert within_unit_slope(with_lagged_ex(panel), "cx", "ex_lag") == pytest.approx(0.0, abs=0.03)


def test_unknown_override_is_rejected_with_the_known_names():
    with pytest.raises(TypeError, match="unknown chain parameter.*b_ex_revenue"):
        simulate_chain_panel(b_ex_revenue=1.0)


def test_truth_is_json_serialisable_and_records_every_parameter():
    _, truth = simulate_chain_panel(n_units=4, n_periods=2, seed=1)
    assert json.loads(json.dumps(truth)) == truth
    for name in ChainParameters.__dataclass_fields__:
        assert name in truth
    assert {"indirect_ex_revenue", "n_units", "n_periods", "seed"} <= set(truth)


def test_ex_follows_the_ar1_with_the_stated_persistence_and_mean():
    panel, truth = simulate_chain_panel(n_units=400, n_periods=24, seed=2)
    lagged = with_lagged_ex(panel)
    assert within_unit_slope(lagged, "ex", "ex_lag") == pytest.approx(truth["rho"], abs=0.1)
    assert panel["ex"].mean() == pytest.approx(truth["mu_mean"], abs=1.5)


def test_repeat_rate_stays_away_from_the_bounds_with_defaults():
    panel, _ = simulate_chain_panel(n_units=300, n_periods=24, seed=4)
    assert panel["repeat_rate"].between(0.05, 0.95).all()
    # unclipped normal draws: scores leave 0-100 only in the far tails
    assert panel["ex"].between(0, 100).mean() > 0.999
    assert panel["cx"].between(0, 100).mean() > 0.999


def test_default_panel_generates_well_under_fifty_milliseconds():
    simulate_chain_panel(seed=0)
    timings = []
    for seed in range(5):
        start = time.perf_counter()
        simulate_chain_panel(n_units=200, n_periods=24, seed=seed)
        timings.append(time.perf_counter() - start)
    # typically about 1 ms; the margin absorbs a busy shared machine
    assert min(timings) < 0.05


@settings(max_examples=25, deadline=None)
@given(
    n_units=st.integers(min_value=1, max_value=40),
    n_periods=st.integers(min_value=1, max_value=30),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
)
def test_any_size_gives_a_complete_rectangular_panel(n_units, n_periods, seed):
    panel, truth = simulate_chain_panel(n_units=n_units, n_periods=n_periods, seed=seed)
    assert len(panel) == n_units * n_periods
    assert (
        panel.groupby("unit")["period"].apply(list).map(lambda p: p == list(range(n_periods))).all()
    )
    assert np.isfinite(panel[["ex", "cx", "repeat_rate", "revenue_growth"]].to_numpy()).all()
    assert truth["n_units"] == n_units


def test_empty_panel_is_rejected():
    with pytest.raises(ValueError, match="n_units >= 1"):
        simulate_chain_panel(n_units=0)
