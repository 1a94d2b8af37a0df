"""The within-unit slope recovers a known association and says when it cannot be estimated."""

import numpy as np
import pandas as pd
import pytest

from servicechain.analytics.association import within_slope


def panel(slope: float, *, units: int = 40, periods: int = 6, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    unit = np.repeat(np.arange(units), periods)
    period = np.tile(np.arange(periods), units)
    level = rng.normal(0, 10, units)[unit]  # stable differences between units
    shock = rng.normal(0, 3, periods)[period]  # what every unit shared in a period
    x = rng.normal(1.5, 0.7, units * periods) + 0.1 * level
    y = 60 + level + shock + slope * x + rng.normal(0, 1, units * periods)
    return pd.DataFrame({"unit": unit, "period": period, "x": x, "y": y})


def test_the_slope_is_recovered_within_units_despite_unit_and_period_differences():
    fit = within_slope(panel(2.0), x="x", y="y")
    assert fit["lower"] < 2.0 < fit["upper"]
    assert fit["upper"] - fit["lower"] < 1.0
    assert fit["n_obs"] == 240 and fit["n_units"] == 40


def test_no_association_gives_an_interval_around_zero():
    fit = within_slope(panel(0.0, seed=3), x="x", y="y")
    assert fit["lower"] < 0 < fit["upper"]


def test_too_few_units_is_a_clear_error():
    with pytest.raises(ValueError, match="at least 3 units"):
        within_slope(panel(1.0, units=2), x="x", y="y")


def test_a_measure_that_never_changes_within_a_unit_is_a_clear_error():
    data = panel(1.0)
    data["x"] = data["unit"] * 1.0
    with pytest.raises(ValueError, match="does not vary within units"):
        within_slope(data, x="x", y="y")
