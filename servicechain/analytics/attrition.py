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


def _survival_inputs(durations, left, entry) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Validated arrays for a survival fit: finite, non-negative, entry before exit."""
    duration = np.asarray(durations, dtype="float64").ravel()
    event = np.asarray(left).ravel()
    if event.shape != duration.shape:
        raise ValueError(
            f"durations has {duration.size} values but left has {event.size}; they must align."
        )
    _check_times(duration, "durations")
    if not np.isin(event, (0, 1, True, False)).all():
        raise ValueError("left must be True (left) or False (still employed) for every person.")
    if entry is None:
        return duration, event.astype(bool), None
    start = np.asarray(entry, dtype="float64").ravel()
    if start.shape != duration.shape:
        raise ValueError(
            f"durations has {duration.size} values but entry has {start.size}; they must align."
        )
    _check_times(start, "entry")
    late = np.flatnonzero(start > duration)
    if late.size:
        raise ValueError(
            f"entry is after the end of observation for {late.size} people (first: row "
            f"{late[0]}, entry {start[late[0]]:g} > duration {duration[late[0]]:g}); a person "
            "comes under observation before they leave or the data end."
        )
    return duration, event.astype(bool), start


def _check_times(values: np.ndarray, name: str) -> None:
    bad = np.flatnonzero(~np.isfinite(values) | (values < 0))
    if bad.size:
        raise ValueError(
            f"{name} must be finite and non-negative; row {bad[0]} is {values[bad[0]]:g}."
        )


def retention_curve(durations, left, *, entry=None, ci: float = 0.95) -> pd.DataFrame:
    """Kaplan–Meier retention curve: the share still employed after each tenure.

    ``S(t) = Π_{t_i ≤ t} (1 − d_i / n_i)`` with ``d_i`` leavers at tenure ``t_i`` and
    ``n_i`` employees at risk (Kaplan & Meier 1958, *JASA* 53(282)); people still employed
    are right-censored at their current tenure. With ``entry`` (delayed entry, or left
    truncation) a person is at risk only from the tenure at which they came under
    observation: ``n_i = #{j : entry_j < t_i ≤ duration_j}`` (Klein & Moeschberger 2003,
    *Survival Analysis*, 2nd ed., §4.6). That is what data from a window needs: people
    hired before the window start are seen only once it opens, and counting them from
    their hire date — as if nobody hired then had left before the data begin — makes
    retention look far higher than it is. Confidence limits are lifelines' exponential
    Greenwood intervals.

    Parameters
    ----------
    durations : array-like
        Tenure (e.g. months) at leaving, or to date for people still employed.
    left : array-like of bool
        True if the person left (event), False if still employed (censored).
    entry : array-like, optional
        Tenure at which each person came under observation (e.g. their tenure when the data
        window opened; 0 for people hired inside it).
    ci : float, default 0.95

    Returns
    -------
    DataFrame
        Indexed by tenure: ``retention``, ``lower``, ``upper``, ``at_risk`` (the people at
        risk for that tenure's leavers).
    """
    from lifelines import KaplanMeierFitter

    duration, event, start = _survival_inputs(durations, left, entry)
    km = KaplanMeierFitter(alpha=1 - ci).fit(duration, event_observed=event, entry=start)
    limits = km.confidence_interval_survival_function_
    events = km.event_table
    # People entering at a tenure are not at risk for that tenure's leavers (entry < t).
    at_risk = events["at_risk"] - (events["entrance"] if start is not None else 0)
    table = pd.DataFrame(
        {
            "retention": km.survival_function_.iloc[:, 0],
            "lower": limits.iloc[:, 0],
            "upper": limits.iloc[:, 1],
            "at_risk": at_risk,
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
    entry: str | None = None,
    cluster: str | None = None,
):
    """Cox proportional-hazards model of leaving.

    ``h(t | x) = h₀(t) · exp(βᵀx)`` (Cox 1972, *JRSS B* 34(2)); ``exp(β)`` is the hazard
    ratio per unit of the covariate, e.g. how much one more engagement point multiplies
    the monthly chance of leaving. With ``entry`` each person joins the risk sets of the
    partial likelihood only from their entry tenure (delayed entry; Klein & Moeschberger
    2003, §9.4). With ``cluster`` the standard errors are the robust sandwich clustered by
    that column (Lin & Wei 1989, *JASA* 84(408)): people of one unit share its manager and
    its ups and downs, which the model does not see. Check proportional hazards with
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
    entry : str, optional
        Column with the tenure at which each person came under observation.
    cluster : str, optional
        Column of group labels (e.g. the unit) for clustered robust standard errors.

    Returns
    -------
    lifelines.CoxPHFitter
        Fitted model; ``.summary`` holds hazard ratios (``exp(coef)``), intervals and
        p-values, ``.confidence_intervals_`` the limits of ``coef``.
    """
    from lifelines import CoxPHFitter

    columns = [duration, left, *covariates, *(c for c in (entry, cluster) if c)]
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise ValueError(f"data lacks columns {missing}.")
    frame = data[columns].dropna()
    for column in [duration, *covariates, *([entry] if entry else [])]:
        if not pd.api.types.is_numeric_dtype(frame[column]):
            raise ValueError(f"Column {column!r} is not numeric (dtype {frame[column].dtype}).")
        values = frame[column].to_numpy(dtype="float64")
        bad = np.flatnonzero(~np.isfinite(values))
        if bad.size:
            raise ValueError(
                f"Column {column!r} has an infinite value (row {frame.index[bad[0]]})."
            )
    _survival_inputs(frame[duration], frame[left], frame[entry] if entry else None)
    return CoxPHFitter(alpha=1 - ci).fit(
        frame,
        duration_col=duration,
        event_col=left,
        entry_col=entry,
        cluster_col=cluster,
        robust=cluster is not None,
    )


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
