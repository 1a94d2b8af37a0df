"""Retention curves by group and what goes with leaving.

Curves are Kaplan–Meier with delayed entry (`attrition.retention_curve`): people hired
before the records begin count from the tenure they had then. Groups are gated like any
breakdown of people, and each curve stops where fewer than the minimum group size are still
at risk (a step further down would describe a handful of people). Groups are compared with
a log-rank test over the same risk sets.

What goes with leaving: for the engagement index and each driver, a Cox model of leaving on
the unit's published score (per 10 points) with the person's job family and manager role,
standard errors clustered by unit; its proportional-hazards check (Grambsch–Therneau); and
where that check fails, a discrete-time model whose effect may differ in the first year.
Survey answers carry no employee id, so a person's covariate is their unit's score: these
are associations between units' climate and their people's leaving, not individual ones.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from lifelines.exceptions import ConvergenceWarning
from scipy import stats

from servicechain.analytics.attrition import (
    TENURE_BANDS,
    DiscreteTimeHazard,
    LogRankResult,
    compare_retention,
    leaving_hazard,
    person_months,
    proportional_hazards_test,
    retention_curve,
    tenure_band,
)
from servicechain.org.models import Unit

from . import gate
from .data import ENGAGEMENT, Window, score_names
from .turnover import JOB_FAMILIES

GROUPINGS = {
    "unit": "Unit",
    "engagement": "Engagement of the unit",
    "job_family": "Job family",
    "tenure_band": "Tenure when first seen",
}
MIN_LEAVERS_TO_MODEL = 20
MIN_UNITS_TO_MODEL = 5
PH_ALPHA = 0.05
#: Voluntary leaving is modelled when at least this share of leavers has a recorded type.
TYPED_SHARE = 0.8


# ----------------------------------------------------------------------------- curves


@dataclass
class Curve:
    label: str
    people: int
    leavers: int
    table: pd.DataFrame  # tenure (index), retention, lower, upper, at_risk


@dataclass
class Curves:
    by: str
    axis: str
    curves: list[Curve]
    withheld: list[str]
    test: LogRankResult | None
    min_n: int
    bands: dict[str, str] = field(default_factory=dict)  # engagement band -> label

    def records(self) -> list[dict]:
        rows = []
        for curve in self.curves:
            for tenure, point in curve.table.iterrows():
                rows.append(
                    {
                        "group": curve.label,
                        "months": round(float(tenure), 2),
                        "retention": round(float(point["retention"]), 4),
                        "lower": round(float(point["lower"]), 4),
                        "upper": round(float(point["upper"]), 4),
                        "at_risk": int(point["at_risk"]),
                    }
                )
        return rows


def _curve(duration, left, entry, min_n: int) -> pd.DataFrame | None:
    """The group's Kaplan–Meier curve up to the first tenure at which fewer than `min_n`
    people are at risk (beyond it a step would describe a handful of people, and with
    delayed entry an emptied risk set would end the curve at zero). None when not even
    the first step has `min_n` people at risk."""
    duration = np.asarray(duration, dtype=float)
    left = np.asarray(left, dtype=bool)
    start = np.zeros_like(duration) if entry is None else np.asarray(entry, dtype=float)
    times = np.unique(duration[left])
    at_risk = np.array([((start < t) & (duration >= t)).sum() for t in times])
    small = np.flatnonzero(at_risk < min_n)
    if small.size:
        cut = times[small[0]]
        if small[0] == 0:
            return None
        beyond = duration >= cut
        left = left & ~beyond
        duration = np.where(beyond, np.nextafter(cut, -np.inf), duration)
        keep = start < duration
        duration, left, start = duration[keep], left[keep], start[keep]
    if not left.any():
        return None
    table = retention_curve(duration, left, entry=None if entry is None else start)
    return table[table["at_risk"] >= min_n]


def engagement_bands(frame: pd.DataFrame, scores: pd.DataFrame) -> tuple[pd.Series, dict]:
    """Each person's band of their unit's engagement: thirds of the people, by unit score."""
    engagement = frame["unit_id"].map(scores[ENGAGEMENT]) if ENGAGEMENT in scores else None
    if engagement is None or engagement.notna().sum() == 0:
        return pd.Series("", index=frame.index), {}
    low, high = np.nanquantile(engagement.to_numpy(dtype=float), [1 / 3, 2 / 3])
    labels = {
        "lower": f"Lower third (below {low:.0f})",
        "middle": f"Middle third ({low:.0f} to {high:.0f})",
        "upper": f"Upper third ({high:.0f} and above)",
    }
    band = np.select(
        [engagement.isna(), engagement < low, engagement < high], ["", "lower", "middle"], "upper"
    )
    return pd.Series(band, index=frame.index), labels


def _child_of(frame: pd.DataFrame, tree: pd.DataFrame, focus: Unit, children: list[Unit]):
    """The child of `focus` each person belongs to (the focus's own members: the focus)."""
    group = pd.Series(focus.pk, index=frame.index)
    paths = frame["unit_id"].map(tree["path"])
    for child in children:
        group[paths.str.startswith(child.path)] = child.pk
    return group


def retention_curves(
    observed: pd.DataFrame,
    tree: pd.DataFrame,
    scores: pd.DataFrame,
    focus: Unit,
    children: list[Unit],
    min_n: int,
    by: str,
) -> Curves:
    """Retention of the focus's people by `by` (see `GROUPINGS`), gated, with a log-rank
    test of the shown groups."""
    if by not in GROUPINGS:
        by = "unit"
    paths = observed["unit_id"].map(tree["path"])
    mine = observed[paths.str.startswith(focus.path).fillna(False)]
    labels, group_of, withheld_groups, bands = _groups(
        observed, mine, tree, scores, focus, children, min_n, by
    )
    axis = "Months since first seen" if by == "tenure_band" else "Tenure (months)"
    duration = mine["tenure"] - mine["entry"] if by == "tenure_band" else mine["tenure"]
    entry = None if by == "tenure_band" else mine["entry"]
    curves, shown_rows = [], []
    for code, label in labels.items():
        rows = group_of == code
        if code in withheld_groups or not rows.any():
            continue
        table = _curve(
            duration[rows], mine["left"][rows], None if entry is None else entry[rows], min_n
        )
        if table is None:
            withheld_groups.add(code)
            continue
        curves.append(Curve(label, int(rows.sum()), int(mine["left"][rows].sum()), table))
        shown_rows.append(rows)
    test = None
    if len(curves) >= 2:
        keep = np.logical_or.reduce(shown_rows)
        test = compare_retention(
            duration[keep],
            mine["left"][keep],
            group_of[keep],
            entry=None if entry is None else entry[keep],
        )
    withheld = [labels[c] for c in labels if c in withheld_groups and (group_of == c).any()]
    return Curves(by, axis, curves, withheld, test, min_n, bands)


def _groups(observed, mine, tree, scores, focus, children, min_n, by):
    """(code -> label, each person's code, withheld codes, engagement band labels)."""
    hidden = gate.hidden_units(observed["unit_id"], tree, min_n)
    if by == "unit":
        group_of = _child_of(mine, tree, focus, children)
        rest = f"Others in {focus.name}" if children else focus.name
        labels = {c.pk: c.name for c in children} | {focus.pk: rest}
        withheld = {c.pk for c in children if hidden.get(c.pk, True)}
        # The focus's own staff are what its shown children leave uncovered: the gate keeps
        # that remainder at 0 or at least the minimum, so it may be shown when the focus is.
        rest = group_of == focus.pk
        rest_members = rest | group_of.isin(withheld)
        if hidden.get(focus.pk, True) or not gate.reportable(int(rest_members.sum()), min_n):
            withheld.add(focus.pk)
        group_of = group_of.where(~group_of.isin(withheld - {focus.pk}), focus.pk)
        return labels, group_of, withheld, {}
    bands = {}
    if by == "engagement":
        category, bands = engagement_bands(observed, scores)
        labels = bands
    elif by == "job_family":
        category, labels = observed["job_family"], JOB_FAMILIES
    else:
        category = pd.Series(tenure_band(observed["entry"]), index=observed.index)
        labels = {b: b for b in TENURE_BANDS}
    cells = gate.hidden_categories(
        observed["unit_id"], category, tree, min_n, hidden=hidden, order=list(labels)
    )
    withheld = {code for code in labels if cells.at[focus.pk, code]}
    return labels, category.loc[mine.index], withheld, bands


# ----------------------------------------------------------------------------- drivers


@dataclass
class DriverRow:
    code: str
    name: str
    method: str  # "cox" or "discrete-time"
    ratio: float | None = None  # hazard (or odds) ratio per 10 points
    lower: float | None = None
    upper: float | None = None
    p_value: float | None = None
    ph_p_value: float | None = None
    first_year: tuple[float, float, float] | None = None  # ratio, lower, upper
    problem: str = ""

    def record(self) -> dict:
        return {
            "scale": self.code,
            "name": self.name,
            "method": self.method,
            "ratio_per_10_points": _round(self.ratio),
            "lower": _round(self.lower),
            "upper": _round(self.upper),
            "p_value": _round(self.p_value, 4),
            "proportional_hazards_p": _round(self.ph_p_value, 4),
            "first_year_ratio": _round(self.first_year[0]) if self.first_year else None,
            "first_year_lower": _round(self.first_year[1]) if self.first_year else None,
            "first_year_upper": _round(self.first_year[2]) if self.first_year else None,
            "problem": self.problem,
        }


def _round(value, digits: int = 3):
    return None if value is None or not np.isfinite(value) else round(float(value), digits)


@dataclass
class LeavingDrivers:
    event: str
    people: int
    leavers: int
    units: int
    rows: list[DriverRow]
    withheld: str = ""


def _event(observed: pd.DataFrame) -> tuple[pd.Series, str]:
    leavers = observed[observed["left"]]
    typed = (leavers["leave_type"] != "").mean() if len(leavers) else 0.0
    if typed >= TYPED_SHARE:
        return observed["left"] & (observed["leave_type"] == "voluntary"), "voluntary leaving"
    return observed["left"], "leaving"


def _job_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """Job family dummies (the commonest family as reference) and the manager flag."""
    common = frame["job_family"].value_counts().index[0]
    columns = {
        f"family_{f}": (frame["job_family"] == f).astype(float)
        for f in sorted(frame["job_family"].unique())
        if f != common
    }
    columns["manager"] = frame["is_manager"].astype(float)
    return distinct_columns(pd.DataFrame(columns, index=frame.index))


def distinct_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """The columns that vary and repeat no earlier column (a manager job family and a
    manager flag are often the same people): a model cannot tell such columns apart."""
    keep = []
    for column in frame.columns:
        values = frame[column]
        if values.std() > 0 and not any(values.equals(frame[k]) for k in keep):
            keep.append(column)
    return frame[keep]


def leaving_drivers(observed: pd.DataFrame, scores: pd.DataFrame, window: Window) -> LeavingDrivers:
    """Hazard ratios of leaving per 10 points of each unit score (see the module docstring)."""
    event, event_name = _event(observed)
    units_with_scores = observed["unit_id"].map(scores.get(ENGAGEMENT, pd.Series())).notna()
    n_units = int(observed.loc[units_with_scores, "unit_id"].nunique())
    result = LeavingDrivers(event_name, len(observed), int(event.sum()), n_units, [])
    if result.leavers < MIN_LEAVERS_TO_MODEL or n_units < MIN_UNITS_TO_MODEL:
        result.withheld = (
            f"Not enough to model yet: {result.leavers} people left ({event_name}) from "
            f"{n_units} units with survey scores; the models need at least "
            f"{MIN_LEAVERS_TO_MODEL} leavers and {MIN_UNITS_TO_MODEL} units."
        )
        return result
    jobs = _job_columns(observed)
    base = pd.DataFrame(
        {
            "tenure": observed["tenure"],
            "entry": observed["entry"],
            "left": event,
            "unit": observed["unit_id"],
        }
    ).join(jobs)
    for code, name in score_names().items():
        if code not in scores:
            continue
        values = observed["unit_id"].map(scores[code]) / 10
        if values.nunique() < MIN_UNITS_TO_MODEL:
            continue
        data = base.assign(x=values).dropna()
        result.rows.append(_driver_row(code, name, data, list(jobs.columns), observed, window))
    return result


def _driver_row(code, name, data, jobs, observed, window) -> DriverRow:
    try:
        with warnings.catch_warnings():
            # lifelines warns of small job families among leavers; the interval says it.
            warnings.simplefilter("ignore", ConvergenceWarning)
            model = leaving_hazard(data, covariates=("x", *jobs), entry="entry", cluster="unit")
        ph = proportional_hazards_test(model, data, entry="entry").loc["x", "p_value"]
    except (ValueError, np.linalg.LinAlgError, ArithmeticError) as exc:
        return DriverRow(code, name, "cox", problem=f"The model could not be fitted: {exc}")
    summary = model.summary.loc["x"]
    row = DriverRow(
        code,
        name,
        "cox",
        ratio=float(summary["exp(coef)"]),
        lower=float(summary["exp(coef) lower 95%"]),
        upper=float(summary["exp(coef) upper 95%"]),
        p_value=float(summary["p"]),
        ph_p_value=float(ph),
    )
    if ph >= PH_ALPHA:
        return row
    return _discrete_row(row, data, jobs, observed, window)


def _discrete_row(row: DriverRow, data, jobs, observed, window) -> DriverRow:
    """The discrete-time alternative: person-months, a tenure-band baseline, and an effect
    allowed to differ in the first year (where the Cox model's single ratio failed)."""
    spells = observed.loc[data.index]
    months = person_months(spells, first_month=window.start, last_month=window.last_month)
    covariates = data.iloc[months["row"].to_numpy()].reset_index(drop=True)
    first_year = (months["tenure_months"] < 12).astype(float)
    leaving = months["left"] & covariates["left"].to_numpy()
    periods = covariates[["x", "unit", *jobs]].assign(
        x_first_year=covariates["x"] * first_year,
        tenure_band=tenure_band(months["tenure_months"]),
        left=leaving.to_numpy(),
    )
    try:
        model = DiscreteTimeHazard(
            ["x", "x_first_year", *jobs], period="tenure_band", cluster="unit"
        ).fit(periods)
    except (ValueError, np.linalg.LinAlgError) as exc:
        row.problem = (
            f"Proportional hazards fail and the discrete-time model could not be fitted: {exc}"
        )
        return row
    coef, cov = model.coef_, model.cov_
    z = stats.norm.ppf(0.975)
    se_after = np.sqrt(cov.at["x", "x"])
    combined = coef["x"] + coef["x_first_year"]
    se_first = np.sqrt(
        cov.at["x", "x"] + cov.at["x_first_year", "x_first_year"] + 2 * cov.at["x", "x_first_year"]
    )
    return DriverRow(
        row.code,
        row.name,
        "discrete-time",
        ratio=float(np.exp(coef["x"])),
        lower=float(np.exp(coef["x"] - z * se_after)),
        upper=float(np.exp(coef["x"] + z * se_after)),
        p_value=float(model.p_values_["x"]),
        ph_p_value=row.ph_p_value,
        first_year=(
            float(np.exp(combined)),
            float(np.exp(combined - z * se_first)),
            float(np.exp(combined + z * se_first)),
        ),
    )
