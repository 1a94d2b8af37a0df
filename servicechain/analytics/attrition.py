"""Attrition: turnover rates, retention curves, engagement and leaving, turnover cost."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd

from .metrics import Estimate

__all__ = [
    "TENURE_BANDS",
    "TYPICAL_REPLACEMENT_COST_RATIO",
    "DiscreteTimeHazard",
    "LeaverForecast",
    "LogRankResult",
    "ReplacementCost",
    "compare_retention",
    "early_leaving",
    "expected_leavers",
    "leaving_hazard",
    "leaving_rate",
    "person_months",
    "proportional_hazards_test",
    "replacement_cost",
    "retention_curve",
    "tenure_band",
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


# ----------------------------------------------------------------------------- rates


def leaving_rate(leavers, person_years, *, ci: float = 0.95) -> Estimate:
    """Annualised leaving rate with an exact Poisson interval.

    ``rate = leavers / person_years``: leavers per year of employment, the annualised
    turnover rate when people are counted for the time they were employed in the period
    (someone employed for half of it counts half a person-year). The limits are Garwood's
    (1936, *Biometrika* 28(3/4)) exact Poisson limits ``χ²(α/2; 2k)/2`` and
    ``χ²(1 − α/2; 2k + 2)/2`` divided by the exposure, which never fall below zero and
    keep their coverage at the handful of leavers a team has in a year.

    Parameters
    ----------
    leavers : int
        Leavers in the period.
    person_years : float
        Years of employment at risk in the period (sum over people).
    ci : float, default 0.95

    Returns
    -------
    Estimate
        ``value``, ``lower``, ``upper`` per person-year (0.18 = 18 % a year), ``n`` the
        leavers; NaN when nobody was employed.
    """
    from scipy import stats

    k = int(leavers)
    exposure = float(person_years)
    if k < 0 or not np.isfinite(exposure) or exposure < 0:
        raise ValueError(
            f"leavers must be >= 0 and person_years finite and >= 0; got {leavers!r}, "
            f"{person_years!r}."
        )
    if exposure == 0:
        return Estimate(np.nan, np.nan, np.nan, k, ci=ci)
    alpha = 1 - ci
    lower = stats.chi2.ppf(alpha / 2, 2 * k) / 2 if k > 0 else 0.0
    upper = stats.chi2.ppf(1 - alpha / 2, 2 * k + 2) / 2
    return Estimate(k / exposure, lower / exposure, upper / exposure, k, ci=ci)


def early_leaving(durations, left, *, within: float, ci: float = 0.95) -> Estimate:
    """Share of new hires who leave within ``within`` (e.g. 3 or 12 months) of joining.

    ``1 − S(within)`` from the Kaplan–Meier curve of people followed from their hire date,
    so recent hires not yet ``within`` months in count for as long as they have been
    there (right-censored) instead of being dropped or counted as stayers. Limits are the
    curve's exponential Greenwood limits, flipped.

    Returns
    -------
    Estimate
        ``value`` the share (0-1), ``n`` the number of hires.
    """
    curve = retention_curve(durations, left, ci=ci)
    duration = np.asarray(durations, dtype="float64").ravel()
    before = curve.loc[curve.index <= within]
    if before.empty:
        return Estimate(0.0, 0.0, 0.0, int(duration.size), ci=ci)
    last = before.iloc[-1]
    return Estimate(
        float(1 - last["retention"]),
        float(1 - last["upper"]),
        float(1 - last["lower"]),
        int(duration.size),
        ci=ci,
    )


# ----------------------------------------------------------------------------- comparing curves


@dataclass(frozen=True)
class LogRankResult:
    """A log-rank test of equal retention across groups."""

    statistic: float
    df: int
    p_value: float
    table: pd.DataFrame  # by group: people, leavers (observed), expected


def _at_risk(duration: np.ndarray, start: np.ndarray, times: np.ndarray) -> np.ndarray:
    """People with ``start < t <= duration`` at each ``t`` of ``times``."""
    ends = np.sort(duration)
    starts = np.sort(start)
    still_there = ends.size - np.searchsorted(ends, times, side="left")
    not_yet_in = starts.size - np.searchsorted(starts, times, side="left")
    return still_there - not_yet_in


def compare_retention(durations, left, groups, *, entry=None) -> LogRankResult:
    """Log-rank test that several groups share one retention curve.

    At each tenure ``t`` with leavers, group ``g`` has ``n_gt`` people at risk and ``d_gt``
    leavers; under the null each group expects ``E_gt = d_t · n_gt / n_t``. With ``U = O −
    E`` summed over tenures and ``V`` the hypergeometric covariance
    ``Σ_t d_t (n_t − d_t)/(n_t − 1) · (diag(n_gt/n_t) − n_gt n_ht / n_t²)``, the statistic
    is ``Uᵀ V⁻ U`` on ``K − 1`` degrees of freedom (Mantel 1966; Peto & Peto 1972). With
    ``entry`` the risk sets are those of delayed entry, ``entry < t ≤ tenure``, as in
    :func:`retention_curve`: people seen only from the window's start count from then.

    Parameters
    ----------
    durations, left, entry : array-like
        As in :func:`retention_curve`.
    groups : array-like
        Group label of each person (at least two distinct labels).

    Returns
    -------
    LogRankResult
    """
    from scipy import stats

    duration, event, start = _survival_inputs(durations, left, entry)
    start = np.zeros_like(duration) if start is None else start
    label = pd.Series(np.asarray(groups, dtype=object).ravel())
    if label.size != duration.size:
        raise ValueError(
            f"durations has {duration.size} values but groups has {label.size}; they must align."
        )
    if label.isna().any():
        raise ValueError(f"groups has a missing label (row {int(label.isna().argmax())}).")
    names = list(pd.unique(label))
    if len(names) < 2:
        raise ValueError("compare_retention needs at least two groups.")
    times = np.unique(duration[event])
    codes = label.map({name: i for i, name in enumerate(names)}).to_numpy()
    n = np.column_stack(
        [_at_risk(duration[codes == g], start[codes == g], times) for g in range(len(names))]
    ).astype(float)
    d = np.column_stack(
        [
            np.searchsorted(np.sort(duration[(codes == g) & event]), times, side="right")
            - np.searchsorted(np.sort(duration[(codes == g) & event]), times, side="left")
            for g in range(len(names))
        ]
    ).astype(float)
    n_t, d_t = n.sum(axis=1), d.sum(axis=1)
    keep = n_t > 0
    n, d, n_t, d_t = n[keep], d[keep], n_t[keep], d_t[keep]
    expected = d_t[:, None] * n / n_t[:, None]
    u = (d - expected).sum(axis=0)
    factor = np.where(n_t > 1, d_t * (n_t - d_t) / np.maximum(n_t - 1, 1), 0.0)
    share = n / n_t[:, None]
    v = np.diag((factor[:, None] * share).sum(axis=0)) - np.einsum(
        "t,tg,th->gh", factor, share, share
    )
    statistic = float(u[:-1] @ np.linalg.pinv(v[:-1, :-1]) @ u[:-1])
    df = len(names) - 1
    table = pd.DataFrame(
        {
            "people": pd.Series(codes).value_counts().reindex(range(len(names))).to_numpy(),
            "observed": d.sum(axis=0),
            "expected": expected.sum(axis=0),
        },
        index=pd.Index(names, name="group"),
    )
    return LogRankResult(statistic, df, float(stats.chi2.sf(statistic, df)), table)


def proportional_hazards_test(
    model,
    data: pd.DataFrame,
    *,
    duration: str = "tenure",
    left: str = "left",
    entry: str | None = None,
) -> pd.DataFrame:
    """Grambsch–Therneau test of proportional hazards for each covariate of a Cox model.

    The scaled Schoenfeld residuals ``s_k = d · V r_k`` (``r_k`` the covariates of the
    ``k``-th leaver minus their risk-weighted mean over those at risk then, ``V`` the
    model's covariance, ``d`` the number of leavers) estimate ``β(t) − β``; a trend in them
    over the leavers' rank order means the hazard ratio changes with tenure. Per
    covariate ``T = (Σ (g_k − ḡ) s_k)² / (d · V_jj · Σ (g_k − ḡ)²)`` is χ² on one degree
    of freedom (Grambsch & Therneau 1994, *Biometrika* 81(3); lifelines'
    ``proportional_hazard_test`` with ``time_transform="rank"``, which cannot take delayed
    entry). Risk sets are ``entry < t ≤ tenure``; tied leavers share one risk set (Breslow).

    Parameters
    ----------
    model : lifelines.CoxPHFitter
        Fitted on ``data`` (as :func:`leaving_hazard` returns it).
    data : DataFrame
    duration, left, entry : str
        The columns the model was fitted with.

    Returns
    -------
    DataFrame
        Indexed by covariate: ``statistic``, ``p_value``.
    """
    from scipy import stats

    covariates = list(model.params_.index)
    frame = data[[duration, left, *covariates, *([entry] if entry else [])]].dropna()
    tenure = frame[duration].to_numpy(dtype="float64")
    event = frame[left].to_numpy().astype(bool)
    start = frame[entry].to_numpy(dtype="float64") if entry else np.zeros_like(tenure)
    x = frame[covariates].to_numpy(dtype="float64")
    beta = model.params_.to_numpy(dtype="float64")
    w = np.exp((x - x.mean(axis=0)) @ beta)  # centred: the weights' scale cancels
    order = np.argsort(tenure[event], kind="stable")
    times = tenure[event][order]
    x_events = x[event][order]
    # Sums over {tenure >= t} minus sums over {entry >= t}, from sorted cumulative sums.
    by_end, by_start = np.argsort(tenure), np.argsort(start)

    def tail_sums(values: np.ndarray, keys: np.ndarray, sort: np.ndarray) -> np.ndarray:
        cum = np.vstack([np.cumsum(values[sort][::-1], axis=0)[::-1], np.zeros(values.shape[1])])
        return cum[np.searchsorted(keys[sort], times, side="left")]

    weighted = np.column_stack([w, w[:, None] * x])
    risk = tail_sums(weighted, tenure, by_end) - tail_sums(weighted, start, by_start)
    residual = x_events - risk[:, 1:] / risk[:, :1]
    d = times.size
    variance = np.asarray(model.variance_matrix_, dtype="float64")
    scaled = d * residual @ variance
    rank = np.arange(1, d + 1, dtype="float64")
    centred = rank - rank.mean()
    statistic = (centred @ scaled) ** 2 / (d * np.diag(variance) * (centred**2).sum())
    return pd.DataFrame(
        {"statistic": statistic, "p_value": stats.chi2.sf(statistic, 1)},
        index=pd.Index(covariates, name="covariate"),
    )


# ----------------------------------------------------------------------------- person-months

#: Tenure bands (months from hire): the bands of the surveys' tenure filter.
TENURE_BANDS = ("<1y", "1-2y", "2-5y", "5y+")
_TENURE_EDGES_MONTHS = np.array([12.0, 24.0, 60.0])
DAYS_PER_MONTH = 365.25 / 12


def tenure_band(months) -> np.ndarray:
    """Tenure band label of each tenure in months (``<1y``, ``1-2y``, ``2-5y``, ``5y+``)."""
    values = np.asarray(months, dtype="float64")
    labels = np.array(TENURE_BANDS, dtype=object)
    return labels[np.searchsorted(_TENURE_EDGES_MONTHS, values, side="right")]


def _month_number(dates: pd.Series) -> np.ndarray:
    return (dates.dt.year * 12 + dates.dt.month - 1).to_numpy(dtype="int64")


def person_months(
    spells: pd.DataFrame,
    *,
    first_month,
    last_month,
    start: str = "hire_date",
    end: str = "leave_date",
) -> pd.DataFrame:
    """One row per person and calendar month they were employed in, for discrete-time models
    and exposure-based turnover.

    Parameters
    ----------
    spells : DataFrame
        One row per employment spell: ``start`` and ``end`` dates (``end`` missing while
        employed).
    first_month, last_month : date-like
        The observed months (inclusive); months outside are left out, so people hired
        before ``first_month`` enter at their tenure then (delayed entry).
    start, end : str
        Column names.

    Returns
    -------
    DataFrame
        ``row`` (position of the spell in ``spells``), ``month`` (first day),
        ``tenure_months`` (at the start of the month, 0 for the month of hire), ``exposure``
        (share of the month employed) and ``left`` (the spell ends in the month).
    """
    hired = pd.to_datetime(spells[start]).reset_index(drop=True)
    ended = pd.to_datetime(spells[end]).reset_index(drop=True)
    first = pd.Timestamp(first_month).to_period("M").to_timestamp()
    last = pd.Timestamp(last_month).to_period("M").to_timestamp()
    first_n, last_n = first.year * 12 + first.month - 1, last.year * 12 + last.month - 1
    low = np.maximum(_month_number(hired), first_n)
    final = np.where(ended.notna(), _month_number(ended.fillna(hired)), last_n)
    high = np.minimum(final, last_n)
    counts = np.clip(high - low + 1, 0, None)
    row = np.repeat(np.arange(len(spells)), counts)
    offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    number = low[row] + offsets
    month = pd.to_datetime(pd.DataFrame({"year": number // 12, "month": number % 12 + 1, "day": 1}))
    month_end = month + pd.offsets.MonthEnd(0)
    person_start = hired.to_numpy()[row]
    person_end = ended.to_numpy()[row]
    open_end = pd.isna(person_end)
    begin = np.maximum(month.to_numpy(), person_start)
    finish = np.where(open_end, month_end.to_numpy(), np.minimum(month_end.to_numpy(), person_end))
    days = (month_end - month).dt.days.to_numpy() + 1
    exposure = ((finish - begin) / np.timedelta64(1, "D") + 1) / days
    tenure = (month.to_numpy() - person_start) / np.timedelta64(1, "D") / DAYS_PER_MONTH
    left = ~open_end & (number == final[row])
    return pd.DataFrame(
        {
            "row": row,
            "month": month,
            "tenure_months": np.clip(tenure, 0, None),
            "exposure": np.clip(exposure, 0, 1),
            "left": left,
        }
    )


# ----------------------------------------------------------------------------- discrete time


class DiscreteTimeHazard:
    """Discrete-time (person-month) logistic model of leaving.

    ``logit P(leave in month m | still employed) = α_band(m) + βᵀx_m``: a step baseline by
    tenure band and covariates that may change month by month (Singer & Willett 1993,
    *Journal of Educational Statistics* 18(2); Allison 1982, *Sociological Methodology*
    13). It is the alternative to the Cox model when proportional hazards fail: a
    covariate's effect can be made to differ by tenure band with an interaction column
    (e.g. ``engagement × first year``), and it predicts monthly probabilities forward.
    With ``cluster`` the covariance is cluster-robust (Liang & Zeger 1986) and
    ``cluster_variance_`` is the moment estimate of the between-cluster variance of the
    log-hazard beyond the covariates, ``τ² = max(0, (Σ (O_c − E_c)² − Σ E_c) / Σ E_c²)``,
    which :func:`expected_leavers` adds to its prediction intervals.

    Parameters
    ----------
    covariates : sequence of str
        Numeric columns of the person-month frame.
    period : str, default "tenure_band"
        Column of the baseline's steps (categorical; the first level is the reference).
    cluster : str, optional
        Column of group labels (e.g. the unit).
    ci : float, default 0.95
    """

    def __init__(
        self, covariates=("engagement",), *, period="tenure_band", cluster=None, ci: float = 0.95
    ):
        self.covariates = covariates
        self.period = period
        self.cluster = cluster
        self.ci = ci

    def _design(self, periods: pd.DataFrame, levels) -> np.ndarray:
        band = periods[self.period].to_numpy(dtype=object)
        unknown = set(pd.unique(band)) - set(levels)
        if unknown:
            raise ValueError(
                f"{self.period} has values {sorted(map(str, unknown))} the model was not fitted on."
            )
        steps = [(band == level).astype("float64") for level in levels[1:]]
        values = periods[list(self.covariates)].to_numpy(dtype="float64")
        return np.column_stack([np.ones(len(periods)), *steps, values])

    def fit(self, periods: pd.DataFrame, left: str = "left") -> DiscreteTimeHazard:
        import statsmodels.api as sm

        columns = [left, self.period, *self.covariates, *([self.cluster] if self.cluster else [])]
        missing = [c for c in columns if c not in periods.columns]
        if missing:
            raise ValueError(f"periods lacks columns {missing}.")
        frame = periods[columns].dropna()
        if frame.empty:
            raise ValueError("No person-months left after dropping missing values.")
        events = frame[left].to_numpy().astype(bool)
        if events.all() or not events.any():
            raise ValueError("Fitting a hazard needs months with and without leavers.")
        present = pd.unique(frame[self.period])
        order = [b for b in TENURE_BANDS if b in set(present)]
        levels = order if len(order) == len(present) else sorted(present, key=str)
        x = self._design(frame, levels)
        names = ["intercept", *(f"{self.period}[{b}]" for b in levels[1:]), *self.covariates]
        model = sm.GLM(events.astype(float), x, family=sm.families.Binomial())
        if self.cluster:
            groups = pd.factorize(frame[self.cluster])[0]
            result = model.fit(cov_type="cluster", cov_kwds={"groups": groups})
        else:
            result = model.fit()
        self.period_levels_ = list(levels)
        self.coef_ = pd.Series(result.params, index=names)
        self.cov_ = pd.DataFrame(result.cov_params(), index=names, columns=names)
        self.p_values_ = pd.Series(result.pvalues, index=names)
        self.n_periods_ = int(len(frame))
        self.n_events_ = int(events.sum())
        self.cluster_variance_ = 0.0
        if self.cluster:
            fitted = pd.Series(result.fittedvalues, index=frame.index)
            by = frame.assign(_expected=fitted, _observed=events).groupby(self.cluster)
            observed, expected = by["_observed"].sum(), by["_expected"].sum()
            excess = float(((observed - expected) ** 2).sum() - expected.sum())
            self.cluster_variance_ = max(0.0, excess / float((expected**2).sum()))
            self.n_clusters_ = int(observed.size)
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "coef_"):
            from sklearn.exceptions import NotFittedError

            raise NotFittedError(
                "This DiscreteTimeHazard is not fitted yet; call fit(periods) before using it."
            )

    def conf_int(self, alpha: float | None = None) -> pd.DataFrame:
        """Wald limits of the coefficients (log-odds), ``lower`` and ``upper``."""
        from scipy import stats

        self._check_fitted()
        alpha = 1 - self.ci if alpha is None else alpha
        z = stats.norm.ppf(1 - alpha / 2)
        se = np.sqrt(np.diag(self.cov_))
        return pd.DataFrame(
            {"lower": self.coef_ - z * se, "upper": self.coef_ + z * se}, index=self.coef_.index
        )

    def summary(self) -> pd.DataFrame:
        """Coefficients, standard errors, limits, odds ratios and p-values."""
        self._check_fitted()
        limits = self.conf_int()
        return pd.DataFrame(
            {
                "coef": self.coef_,
                "se": np.sqrt(np.diag(self.cov_)),
                "lower": limits["lower"],
                "upper": limits["upper"],
                "odds_ratio": np.exp(self.coef_),
                "p_value": self.p_values_,
            }
        )

    def hazard(self, periods: pd.DataFrame, coef=None) -> np.ndarray:
        """Monthly probability of leaving for each row (with ``coef`` instead of ``coef_``)."""
        self._check_fitted()
        beta = self.coef_.to_numpy() if coef is None else np.asarray(coef)
        return 1 / (1 + np.exp(-(self._design(periods, self.period_levels_) @ beta.T)))


@dataclass(frozen=True)
class LeaverForecast:
    """Expected leavers per group over a horizon, with prediction intervals.

    ``by_group`` and ``total`` hold ``people``, ``expected``, ``lower``, ``upper``, and with a
    shift ``shifted``, ``change``, ``change_lower``, ``change_upper``.
    """

    by_group: pd.DataFrame
    total: pd.Series
    months: int
    #: With a shift: the change in expected leavers of each group in each coefficient draw
    #: (draws × groups), to carry the interval into anything computed from the groups.
    change_draws: pd.DataFrame | None = None


def expected_leavers(
    model: DiscreteTimeHazard,
    people: pd.DataFrame,
    *,
    months: int,
    group: str,
    shift: dict[str, float] | None = None,
    value: str | None = None,
    n_draws: int = 1000,
    ci: float = 0.95,
    random_state=0,
) -> LeaverForecast:
    """How many of today's people are expected to leave in the next ``months``, per group.

    Each draw takes coefficients from their sampling distribution (normal, the model's
    covariance), a log-hazard shift per cluster from ``N(−τ²/2, τ²)`` (``τ²`` the model's
    ``cluster_variance_``), runs every person's monthly hazard forward as their tenure band
    advances, ``P(leave) = 1 − Π_m (1 − h_m)``, and draws who leaves. The interval is the
    draws' ``ci`` range of leavers per group: a prediction interval for the count, not
    only for its expectation. Replacements hired later are not counted.

    Person-level probabilities exist only inside this function and are summed to groups
    before it returns: it produces no individual risk score (docs/insights.md, Retention).

    Parameters
    ----------
    model : DiscreteTimeHazard
        Fitted with ``period="tenure_band"``.
    people : DataFrame
        One row per person employed at the start: the model's covariates,
        ``tenure_months`` at the start, ``group`` and (if the model has one) the cluster.
    months : int
        Horizon.
    group : str
        Column to sum by.
    shift : dict, optional
        Covariate changes (e.g. ``{"engagement": 5}``) whose effect on expected leavers is
        reported with an interval from the coefficients' uncertainty alone.
    value : str, optional
        With ``shift``, a column of what each leaver is worth (e.g. their replacement
        cost): ``total`` then also holds ``value_change`` (Σ change in each person's chance
        × their value) with its interval, so a cost carries the same uncertainty.
    """
    model._check_fitted()
    if model.period != "tenure_band":
        raise ValueError("expected_leavers needs a model with period='tenure_band'.")
    if months < 1:
        raise ValueError(f"months must be at least 1, got {months}.")
    rng = np.random.default_rng(random_state)
    frame = people.reset_index(drop=True)
    beta = rng.multivariate_normal(model.coef_.to_numpy(), model.cov_.to_numpy(), n_draws)
    if model.cluster:
        codes, _ = pd.factorize(frame[model.cluster])
        tau2 = model.cluster_variance_
        frailty = rng.normal(-tau2 / 2, np.sqrt(tau2), (n_draws, codes.max() + 1))[:, codes]
    else:
        frailty = np.zeros((n_draws, len(frame)))

    def leave_probability(data: pd.DataFrame, with_frailty: bool) -> np.ndarray:
        stay = np.ones((n_draws, len(data)))
        for month in range(months):
            current = data.assign(tenure_band=tenure_band(data["tenure_months"] + month))
            logit = (model._design(current, model.period_levels_) @ beta.T).T
            if with_frailty:
                logit = logit + frailty
            stay *= 1 - 1 / (1 + np.exp(-logit))
        return 1 - stay

    probability = leave_probability(frame, True)
    leaves = rng.random(probability.shape) < probability
    codes, names = pd.factorize(frame[group], sort=True)
    indicator = np.zeros((len(frame), len(names)))
    indicator[np.arange(len(frame)), codes] = 1.0
    counts = leaves @ indicator
    expected = probability @ indicator
    alpha = 1 - ci

    def table(count: np.ndarray, mean: np.ndarray, people_n) -> dict:
        return {
            "people": people_n,
            "expected": mean.mean(axis=0),
            "lower": np.quantile(count, alpha / 2, axis=0),
            "upper": np.quantile(count, 1 - alpha / 2, axis=0),
        }

    by_group = pd.DataFrame(
        table(counts, expected, indicator.sum(axis=0).astype(int)),
        index=pd.Index(names, name=group),
    )
    total = pd.Series(table(counts.sum(axis=1), expected.sum(axis=1), len(frame)))
    if shift:
        moved = frame.assign(**{k: frame[k] + v for k, v in shift.items()})
        before = leave_probability(frame, False)
        difference = leave_probability(moved, False) - before
        base, change = before @ indicator, difference @ indicator
        for target, values, shifted in (
            (by_group, change, base + change),
            (total, change.sum(axis=1), (base + change).sum(axis=1)),
        ):
            target["shifted"] = shifted.mean(axis=0)
            target["change"] = values.mean(axis=0)
            target["change_lower"] = np.quantile(values, alpha / 2, axis=0)
            target["change_upper"] = np.quantile(values, 1 - alpha / 2, axis=0)
        if value is not None:
            worth = difference @ frame[value].to_numpy(dtype="float64")
            total["value_change"] = worth.mean()
            total["value_change_lower"] = np.quantile(worth, alpha / 2)
            total["value_change_upper"] = np.quantile(worth, 1 - alpha / 2)
        draws = pd.DataFrame(change, columns=by_group.index)
        return LeaverForecast(by_group=by_group, total=total, months=months, change_draws=draws)
    return LeaverForecast(by_group=by_group, total=total, months=months)


# ----------------------------------------------------------------------------- cost


@dataclass(frozen=True)
class ReplacementCost:
    """What replacing one leaver costs, by component (Decimal, the organisation's currency)."""

    recruiting: Decimal
    onboarding: Decimal
    training: Decimal
    lost_productivity: Decimal
    vacancy: Decimal

    @property
    def total(self) -> Decimal:
        return (
            self.recruiting
            + self.onboarding
            + self.training
            + self.lost_productivity
            + self.vacancy
        )


CENT = Decimal("0.01")


def replacement_cost(
    *,
    annual_salary: Decimal,
    recruiting: Decimal,
    onboarding: Decimal,
    training: Decimal,
    months_to_productivity: Decimal,
    vacancy_days: int,
    vacancy_cost_per_day: Decimal,
    ramp_shortfall: Decimal = Decimal("0.5"),
) -> ReplacementCost:
    """The cost of replacing one leaver, component by component.

    * recruiting, onboarding and training: as given (advertising, agency fees, interview
      time; induction, equipment, HR administration; initial training);
    * lost productivity: ``annual_salary / 12 × months_to_productivity × ramp_shortfall``
      — a new hire whose output rises steadily from nothing to full over those months
      delivers half of it on average (``ramp_shortfall`` 0.5), so the shortfall is valued
      at half their pay over the period (the approach of Oxford Economics 2014, "The Cost
      of Brain Drain", which values lost output while a replacement gets up to speed);
    * vacancy: ``vacancy_days × vacancy_cost_per_day`` (overtime or agency cover, lost
      sales while the post is empty).

    Every amount is Decimal and the result is rounded to the cent (half up).
    """
    values = {
        "annual_salary": annual_salary,
        "recruiting": recruiting,
        "onboarding": onboarding,
        "training": training,
        "months_to_productivity": months_to_productivity,
        "vacancy_cost_per_day": vacancy_cost_per_day,
        "ramp_shortfall": ramp_shortfall,
    }
    for name, value in values.items():
        if not isinstance(value, Decimal) or not value.is_finite() or value < 0:
            raise ValueError(f"{name} must be a finite Decimal >= 0, got {value!r}.")
    if isinstance(vacancy_days, bool) or not isinstance(vacancy_days, int) or vacancy_days < 0:
        raise ValueError(f"vacancy_days must be a whole number >= 0, got {vacancy_days!r}.")

    def cents(value: Decimal) -> Decimal:
        return value.quantize(CENT, rounding=ROUND_HALF_UP)

    return ReplacementCost(
        recruiting=cents(recruiting),
        onboarding=cents(onboarding),
        training=cents(training),
        lost_productivity=cents(annual_salary / 12 * months_to_productivity * ramp_shortfall),
        vacancy=cents(vacancy_cost_per_day * vacancy_days),
    )
