"""Attrition: turnover rates, retention curves, engagement and leaving, turnover cost."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = [
    "TYPICAL_REPLACEMENT_COST_RATIO",
    "leaving_hazard",
    "retention_curve",
    "turnover_by_period",
    "turnover_cost",
    "turnover_rate",
]

#: Median cost of replacing an employee, as a share of annual salary, across 27 case
#: studies (all jobs but executives and physicians): Boushey & Glynn (2012), "There are
#: significant business costs to replacing employees", Center for American Progress.
TYPICAL_REPLACEMENT_COST_RATIO = 0.21


def turnover_rate(leavers, headcount_start, headcount_end):
    """Turnover rate: leavers over average headcount.

    ``rate = leavers / ((headcount_start + headcount_end) / 2)``, the usual HR definition
    (as in the U.S. Bureau of Labor Statistics' separations rate, which divides by average
    employment). Works on numbers or aligned Series (one value per period).

    Parameters
    ----------
    leavers : number or Series
        Employees who left during the period.
    headcount_start, headcount_end : number or Series
        Headcount at the start and end of the period.

    Returns
    -------
    float or Series
        Share of the average workforce that left (NaN when the average headcount is 0).
    """
    average = (np.asarray(headcount_start, float) + np.asarray(headcount_end, float)) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(average > 0, np.asarray(leavers, float) / average, np.nan)
    if isinstance(leavers, pd.Series):
        return pd.Series(rate, index=leavers.index, name="turnover_rate")
    return float(rate)


def turnover_by_period(
    employees: pd.DataFrame, *, start: str = "hire_date", end: str = "exit_date", freq: str = "MS"
) -> pd.DataFrame:
    """Headcount, leavers and turnover rate per calendar period from employment spells.

    Parameters
    ----------
    employees : DataFrame
        One row per employment spell with a start date and an end date (missing while
        still employed).
    start, end : str
        Column names of the spell's first and last day.
    freq : str, default "MS"
        pandas period-start frequency ("MS" months, "QS" quarters, "YS" years).

    Returns
    -------
    DataFrame
        Indexed by period start: ``headcount_start`` (employed on the first day),
        ``headcount_end`` (employed on the last day), ``leavers`` (spells ending in the
        period), ``turnover_rate``.
    """
    hired = pd.to_datetime(employees[start])
    left = pd.to_datetime(employees[end])
    step = pd.tseries.frequencies.to_offset(freq)
    first = step.rollback(hired.min().normalize())
    last = left.max() if left.notna().any() else hired.max()
    period_starts = pd.date_range(first, last, freq=freq)

    def employed_on(day: pd.Timestamp) -> int:
        return int(((hired <= day) & (left.isna() | (left >= day))).sum())

    rows = []
    for period_start in period_starts:
        period_end = period_start + step  # exclusive
        leaving = int(((left >= period_start) & (left < period_end)).sum())
        last_day = period_end - pd.Timedelta(days=1)
        rows.append((period_start, employed_on(period_start), employed_on(last_day), leaving))
    table = pd.DataFrame(rows, columns=["period", "headcount_start", "headcount_end", "leavers"])
    table = table.set_index("period")
    table["turnover_rate"] = turnover_rate(
        table["leavers"], table["headcount_start"], table["headcount_end"]
    )
    return table


def retention_curve(durations, left, *, ci: float = 0.95) -> pd.DataFrame:
    """Kaplan–Meier retention curve: the share still employed after each tenure.

    ``S(t) = Π_{t_i ≤ t} (1 − d_i / n_i)`` with ``d_i`` leavers at tenure ``t_i`` and
    ``n_i`` employees still at risk (Kaplan & Meier 1958, *JASA* 53(282)); people still
    employed are right-censored at their current tenure. Confidence limits are lifelines'
    exponential Greenwood intervals.

    Parameters
    ----------
    durations : array-like
        Tenure (e.g. months) at leaving, or to date for people still employed.
    left : array-like of bool
        True if the person left (event), False if still employed (censored).
    ci : float, default 0.95

    Returns
    -------
    DataFrame
        Indexed by tenure: ``retention``, ``lower``, ``upper``, ``at_risk``.
    """
    from lifelines import KaplanMeierFitter

    km = KaplanMeierFitter(alpha=1 - ci).fit(durations, event_observed=left)
    limits = km.confidence_interval_survival_function_
    table = pd.DataFrame(
        {
            "retention": km.survival_function_.iloc[:, 0],
            "lower": limits.iloc[:, 0],
            "upper": limits.iloc[:, 1],
            "at_risk": km.event_table["at_risk"],
        }
    )
    table.index.name = "tenure"
    return table


def leaving_hazard(
    data: pd.DataFrame,
    *,
    duration: str = "tenure",
    left: str = "left",
    covariates=("engagement",),
    ci: float = 0.95,
):
    """Cox proportional-hazards model of leaving.

    ``h(t | x) = h₀(t) · exp(βᵀx)`` (Cox 1972, *JRSS B* 34(2)); ``exp(β)`` is the hazard
    ratio per unit of the covariate, e.g. how much one more engagement point multiplies
    the monthly chance of leaving. Check proportional hazards with
    ``model.check_assumptions(data)``.

    Parameters
    ----------
    data : DataFrame
        One row per employee.
    duration, left : str
        Columns with tenure and the leaving indicator (True = left).
    covariates : sequence of str
        Predictors of leaving.
    ci : float, default 0.95

    Returns
    -------
    lifelines.CoxPHFitter
        Fitted model; ``.summary`` holds hazard ratios (``exp(coef)``), intervals and
        p-values, ``.confidence_intervals_`` the limits of ``coef``.
    """
    from lifelines import CoxPHFitter

    columns = [duration, left, *covariates]
    frame = data[columns].dropna()
    return CoxPHFitter(alpha=1 - ci).fit(frame, duration_col=duration, event_col=left)


def turnover_cost(
    leavers, annual_salary, replacement_cost_ratio: float = TYPICAL_REPLACEMENT_COST_RATIO
):
    """Cost of replacing the employees who left.

    ``cost = leavers · annual_salary · replacement_cost_ratio``. The default ratio, 0.21,
    is the median replacement cost across 27 case studies reviewed by Boushey & Glynn
    (2012), Center for American Progress, covering separation, recruiting, hiring,
    training and lost productivity; it is higher for highly specialised roles (their
    executive and physician cases reach over 200 % of salary) and somewhat lower for jobs
    paid under $30,000. It is an assumption to replace with your own figure when known.

    Parameters
    ----------
    leavers : number or array-like
        Number of leavers (per group).
    annual_salary : number or array-like
        Average annual salary of those leavers (per group).
    replacement_cost_ratio : float, default 0.21
        Replacement cost as a share of annual salary.

    Returns
    -------
    float or ndarray
    """
    if replacement_cost_ratio < 0:
        raise ValueError("replacement_cost_ratio must be >= 0 (a share of annual salary).")
    cost = np.asarray(leavers, float) * np.asarray(annual_salary, float) * replacement_cost_ratio
    return float(cost) if cost.ndim == 0 else cost
