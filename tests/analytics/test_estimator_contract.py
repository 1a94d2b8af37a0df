"""Every analytics estimator honours the scikit-learn contract (STYLE.md)."""

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError

from servicechain.analytics.attrition import DiscreteTimeHazard
from servicechain.analytics.drivers import KeyDriverAnalysis
from servicechain.analytics.linkage import ServiceProfitChain
from servicechain.simulate import simulate_chain_panel


def driver_data():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(200, 4)), columns=["pay", "manager", "growth", "tools"])
    y = X @ np.array([0.5, 0.3, 0.1, 0.0]) + rng.normal(size=200)
    return (X, y)


def chain_data():
    panel, _ = simulate_chain_panel(n_units=30, n_periods=8, seed=0)
    return (panel,)


def person_month_data():
    rng = np.random.default_rng(0)
    n = 3000
    periods = pd.DataFrame(
        {
            "tenure_band": rng.choice(["<1y", "1-2y", "5y+"], n),
            "engagement": rng.normal(size=n),
            "unit": rng.integers(0, 20, n),
        }
    )
    periods["left"] = rng.random(n) < 1 / (1 + np.exp(3 + 0.4 * periods["engagement"]))
    return (periods,)


CASES = [
    pytest.param(lambda: KeyDriverAnalysis(), driver_data, "summary", id="kda-lmg"),
    pytest.param(
        lambda: KeyDriverAnalysis(method="dominance"), driver_data, "summary", id="kda-dominance"
    ),
    pytest.param(
        lambda: KeyDriverAnalysis(method="relative_weights", n_bootstrap=20, random_state=1),
        driver_data,
        "summary",
        id="kda-relative-weights-bootstrap",
    ),
    pytest.param(
        lambda: ServiceProfitChain(n_bootstrap=50, random_state=3),
        chain_data,
        "summary",
        id="chain",
    ),
    pytest.param(
        lambda: ServiceProfitChain(n_bootstrap=0), chain_data, "conf_int", id="chain-no-bootstrap"
    ),
    pytest.param(
        lambda: DiscreteTimeHazard(cluster="unit"),
        person_month_data,
        "summary",
        id="discrete-time-hazard",
    ),
]


def learned(estimator) -> dict:
    return {k: v for k, v in vars(estimator).items() if k.endswith("_") and not k.startswith("_")}


def assert_same(a, b):
    if isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(a, b)
    elif isinstance(a, pd.Series):
        pd.testing.assert_series_equal(a, b)
    elif isinstance(a, np.ndarray):
        np.testing.assert_array_equal(a, b)
    elif isinstance(a, dict):  # e.g. statsmodels results: compare what they hold
        assert a.keys() == b.keys()
    else:
        assert a == b


@pytest.mark.parametrize(("make", "data", "result_method"), CASES)
def test_fit_returns_self(make, data, result_method):
    estimator = make()
    assert estimator.fit(*data()) is estimator


@pytest.mark.parametrize(("make", "data", "result_method"), CASES)
def test_no_learned_attribute_exists_before_fit(make, data, result_method):
    assert learned(make()) == {}


@pytest.mark.parametrize(("make", "data", "result_method"), CASES)
def test_using_an_unfitted_estimator_raises_not_fitted(make, data, result_method):
    with pytest.raises(NotFittedError, match="not fitted yet"):
        getattr(make(), result_method)()


@pytest.mark.parametrize(("make", "data", "result_method"), CASES)
def test_refitting_on_the_same_data_gives_the_same_result(make, data, result_method):
    estimator = make().fit(*data())
    first = learned(estimator)
    second = learned(estimator.fit(*data()))
    assert first.keys() == second.keys()
    for key in first:
        assert_same(first[key], second[key])
    assert_same(getattr(make().fit(*data()), result_method)(), getattr(estimator, result_method)())
