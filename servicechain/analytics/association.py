"""A within-unit association between two unit × period measures, with its uncertainty.

Used beside the service-profit chain for links the chain does not model (recognition
received per head → engagement): the slope of ``y`` on ``x`` with unit and period fixed
effects, so stable differences between units and whatever all units shared in a period are
taken out, and a cluster-robust (by unit) confidence interval. An association, not a cause.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

__all__ = ["within_slope"]

MIN_UNITS = 3


def within_slope(
    panel: pd.DataFrame,
    *,
    x: str,
    y: str,
    unit: str = "unit",
    period: str = "period",
    alpha: float = 0.05,
) -> dict:
    """Two-way fixed-effects slope of ``y`` on ``x``.

    Parameters
    ----------
    panel : DataFrame
        One row per unit and period with columns ``unit``, ``period``, ``x`` and ``y``;
        rows missing either measure are left out.
    x, y : str
        The regressor and the outcome.
    alpha : float, default 0.05
        1 − the interval's coverage.

    Returns
    -------
    dict
        ``estimate``, ``lower``, ``upper``, ``p_value`` (t with G − 1 degrees of freedom,
        G = units), ``n_obs`` and ``n_units``.

    Raises
    ------
    ValueError
        With fewer than 3 units having at least two periods, or no variation of ``x``
        within units.

    Notes
    -----
    ``y[u,t] = a_u + τ_t + β·x[u,t] + e``, by OLS with unit and period dummies and the
    cluster-robust covariance of Liang & Zeger (1986) with the small-sample correction of
    Cameron & Miller (2015), *J. Human Resources* 50(2), §II.C.
    """
    data = panel[[unit, period, x, y]].dropna()
    data = data[data.groupby(unit)[period].transform("size") >= 2]
    units = data[unit].nunique()
    if units < MIN_UNITS:
        raise ValueError(
            f"Needs at least {MIN_UNITS} units with two or more periods of both measures; "
            f"has {units}."
        )
    dummies = pd.get_dummies(data[[unit, period]].astype(str), drop_first=True, dtype=float)
    design = sm.add_constant(pd.concat([data[[x]].astype(float), dummies], axis=1))
    residual_x = sm.OLS(design[x], design.drop(columns=[x])).fit().resid
    if float(np.square(residual_x).sum()) <= 1e-12:
        raise ValueError(f"{x} does not vary within units once periods are taken out.")
    fit = sm.OLS(data[y].astype(float), design).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(data[unit])[0]}
    )
    estimate = float(fit.params[x])
    se = float(fit.bse[x])
    t = stats.t.ppf(1 - alpha / 2, df=units - 1)
    p_value = float(2 * stats.t.sf(abs(estimate / se), df=units - 1)) if se > 0 else float("nan")
    return {
        "estimate": estimate,
        "lower": float(estimate - t * se),
        "upper": float(estimate + t * se),
        "p_value": p_value,
        "n_obs": int(len(data)),
        "n_units": int(units),
    }
