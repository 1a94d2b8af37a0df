"""Flight risk by unit: how many of each unit's people are expected to leave in the next 6
and 12 months, with prediction intervals, and how last period's forecast fared.

The model is a discrete-time hazard of leaving (`attrition.DiscreteTimeHazard`) fitted on
every person-month observed: a tenure-band baseline, the unit's published engagement index,
the person's job family and manager role, standard errors clustered by unit and the units'
extra variation (`cluster_variance_`) carried into the intervals. `expected_leavers` runs it
forward and sums to units inside the library: **no individual risk score exists anywhere**
— not on a page, in the API, in an export or in the database. Employees were promised their
answers would not be used against them (docs/insights.md, Retention).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from django.utils import timezone

from servicechain.analytics.attrition import (
    DiscreteTimeHazard,
    expected_leavers,
    person_months,
    tenure_band,
)
from servicechain.org.models import Unit

from . import gate
from .data import DAYS_PER_MONTH, ENGAGEMENT, Window
from .survival import distinct_columns

HORIZONS = (6, 12)
#: The shortest back-test worth showing: fewer months say little about a year's forecast.
MIN_BACK_TEST_MONTHS = 3
MIN_LEAVERS = 15
MIN_MONTHS = 6
ENGAGEMENT_10 = "engagement_10"
N_DRAWS = 1000


def _covariates(frame: pd.DataFrame, scores: pd.DataFrame | None) -> pd.DataFrame:
    """The model's person-level columns: unit engagement (per 10 points), job family and
    manager dummies, and the unit as cluster."""
    out = pd.DataFrame(index=frame.index)
    if scores is not None and ENGAGEMENT in scores:
        out[ENGAGEMENT_10] = frame["unit_id"].map(scores[ENGAGEMENT]) / 10
    for family in ("specialist", "manager", "support"):
        out[f"family_{family}"] = (frame["job_family"] == family).astype(float)
    out["manager"] = frame["is_manager"].astype(float)
    out["unit"] = frame["unit_id"]
    return out


def _usable(columns: pd.DataFrame) -> list[str]:
    """Covariates that vary and repeat no other (see `survival.distinct_columns`)."""
    return list(distinct_columns(columns.drop(columns="unit")).columns)


def fit_model(people: pd.DataFrame, window: Window, scores) -> DiscreteTimeHazard | None:
    """The flight-risk model fitted on the window's person-months (None: too little data)."""
    inside = people[people["hire_date"] <= window.end]
    months = person_months(inside, first_month=window.start, last_month=window.last_month)
    if not enough_history(window, int(months["left"].sum())):
        return None
    covariates = _covariates(inside, scores).iloc[months["row"].to_numpy()].reset_index(drop=True)
    periods = covariates.assign(
        tenure_band=tenure_band(months["tenure_months"]), left=months["left"].to_numpy()
    )
    if ENGAGEMENT_10 in periods and periods[ENGAGEMENT_10].isna().all():
        periods = periods.drop(columns=ENGAGEMENT_10)
    periods = periods.dropna()
    try:
        return DiscreteTimeHazard(
            _usable(periods.drop(columns=["tenure_band", "left"])),
            period="tenure_band",
            cluster="unit",
        ).fit(periods)
    except (ValueError, np.linalg.LinAlgError):
        return None


def staff_on(people: pd.DataFrame, day: pd.Timestamp, scores) -> pd.DataFrame:
    """People employed on `day`, with their tenure then and the model's columns."""
    employed = (people["hire_date"] <= day) & (
        people["leave_date"].isna() | (people["leave_date"] > day)
    )
    frame = people[employed]
    columns = _covariates(frame, scores)
    columns["tenure_months"] = (day - frame["hire_date"]).dt.days / DAYS_PER_MONTH
    columns["unit_id"] = frame["unit_id"]
    columns["job_family"] = frame["job_family"]
    columns["leave_date"] = frame["leave_date"]
    return columns.dropna(subset=[c for c in columns if c == ENGAGEMENT_10])


def _groups(staff: pd.DataFrame, tree: pd.DataFrame, focus: Unit, children: list[Unit]):
    """Each of the focus's people: the child unit whose subtree holds them, else the focus."""
    paths = staff["unit_id"].map(tree["path"])
    mine = staff[paths.str.startswith(focus.path).fillna(False)].copy()
    mine["group"] = focus.pk
    for child in children:
        mine.loc[paths.loc[mine.index].str.startswith(child.path), "group"] = child.pk
    return mine


@dataclass
class RiskRow:
    unit: Unit
    shown: bool
    people: int | None = None
    forecasts: dict | None = None  # horizon -> (expected, lower, upper)

    def record(self, min_n: int) -> dict:
        record = {"unit_id": self.unit.pk, "unit": self.unit.name}
        if not self.shown:
            return {
                **record,
                "withheld": f"fewer than {min_n} people, or would reveal such a group",
            }
        record["people"] = self.people
        for months, (expected, lower, upper) in self.forecasts.items():
            record[f"expected_leavers_{months}m"] = round(expected, 1)
            record[f"lower_{months}m"] = int(lower)
            record[f"upper_{months}m"] = int(upper)
        return record


def _forecast_rows(model, mine, focus, children, hidden, months_list) -> list[RiskRow]:
    """Expected leavers per row unit over each horizon (the focus row is the total)."""
    results = {
        months: expected_leavers(model, mine, months=months, group="group", n_draws=N_DRAWS)
        for months in months_list
    }
    rows = []
    for unit in [focus, *children]:
        if hidden.get(unit.pk, True):
            rows.append(RiskRow(unit, False))
            continue
        forecasts = {}
        for months, result in results.items():
            source = result.total if unit.pk == focus.pk else result.by_group.loc[unit.pk]
            forecasts[months] = (
                float(source["expected"]),
                float(source["lower"]),
                float(source["upper"]),
            )
        people = len(mine) if unit.pk == focus.pk else int((mine["group"] == unit.pk).sum())
        rows.append(RiskRow(unit, True, people, forecasts))
    return rows


@dataclass
class FlightRisk:
    rows: list[RiskRow]
    as_of: pd.Timestamp
    model: DiscreteTimeHazard | None
    withheld: str = ""


def flight_risk(people, window, tree, scores, focus, children, min_n) -> FlightRisk:
    """Expected leavers in the next 6 and 12 months among today's people, by unit."""
    model = fit_model(people, window, scores)
    if model is None:
        return FlightRisk([], window.end, None, _too_little(window, people))
    staff = staff_on(people, window.end, scores)
    hidden = gate.hidden_units(staff["unit_id"], tree, min_n)
    mine = _groups(staff, tree, focus, children)
    if mine.empty or hidden.get(focus.pk, True):
        return FlightRisk([RiskRow(focus, False)], window.end, model)
    rows = _forecast_rows(model, mine, focus, children, hidden, HORIZONS)
    return FlightRisk(rows, window.end, model)


def enough_history(window: Window, leavers: int) -> bool:
    return window.months >= MIN_MONTHS and leavers >= MIN_LEAVERS


def _enough_leavers(people: pd.DataFrame, window: Window) -> bool:
    return people["leave_date"].between(window.start, window.end).sum() >= MIN_LEAVERS


def _too_little(window: Window, people: pd.DataFrame) -> str:
    left = people["leave_date"].between(window.start, window.end).sum()
    return (
        f"Not enough history to forecast: {window.months} months of records with {left} "
        f"leavers; the model needs at least {MIN_MONTHS} months and {MIN_LEAVERS} leavers."
    )


@dataclass
class BackTestRow:
    unit: Unit
    shown: bool
    expected: float | None = None
    lower: int | None = None
    upper: int | None = None
    actual: int | None = None

    @property
    def covered(self) -> bool | None:
        return None if not self.shown else self.lower <= self.actual <= self.upper

    def record(self, min_n: int) -> dict:
        record = {"unit_id": self.unit.pk, "unit": self.unit.name}
        if not self.shown:
            return {
                **record,
                "withheld": f"fewer than {min_n} people, or would reveal such a group",
            }
        return record | {
            "forecast": round(self.expected, 1),
            "lower": self.lower,
            "upper": self.upper,
            "actual": self.actual,
            "within_interval": self.covered,
        }


@dataclass
class BackTest:
    months: int
    origin: pd.Timestamp | None
    rows: list[BackTestRow]
    withheld: str = ""

    @property
    def coverage(self) -> tuple[int, int]:
        shown = [r for r in self.rows if r.shown]
        return sum(bool(r.covered) for r in shown), len(shown)


def back_test(people, window, tree, organization_scores, focus, children, min_n) -> BackTest:
    """The forecast the model would have made `h` months ago (fitted only on what was known
    then, scores from surveys closed by then) against who actually left since.

    `h` is the longest horizon, from 12 months down to `MIN_BACK_TEST_MONTHS`, whose earlier
    records are enough to fit the model (`enough_history`): a year's forecast where there are
    two years of records, a shorter one where there are fewer (a small organisation with one
    year of records gets, say, 5 months fitted on its first 7)."""
    months, earlier, model, scores = None, None, None, None
    for horizon in range(max(HORIZONS), MIN_BACK_TEST_MONTHS - 1, -1):
        candidate = window.shifted(horizon)
        if candidate.months < MIN_MONTHS or not _enough_leavers(people, candidate):
            continue
        months, earlier = horizon, candidate
        origin = earlier.end
        scores = organization_scores(
            closed_before=origin.tz_localize(timezone.get_current_timezone())
        )
        model = fit_model(people, earlier, scores)
        if model is not None:
            break
    if earlier is None:
        shortest = window.shifted(MIN_BACK_TEST_MONTHS)
        return BackTest(MIN_BACK_TEST_MONTHS, None, [], _too_little(shortest, people))
    if model is None:
        return BackTest(months, origin, [], _too_little(earlier, people))
    staff = staff_on(people, origin, scores)
    hidden = gate.hidden_units(staff["unit_id"], tree, min_n)
    mine = _groups(staff, tree, focus, children)
    if mine.empty or hidden.get(focus.pk, True):
        return BackTest(months, origin, [BackTestRow(focus, False)])
    horizon_end = origin + pd.DateOffset(months=months)
    mine["left"] = mine["leave_date"].notna() & (mine["leave_date"] <= horizon_end)
    rows = []
    for risk in _forecast_rows(model, mine, focus, children, hidden, (months,)):
        if not risk.shown:
            rows.append(BackTestRow(risk.unit, False))
            continue
        expected, lower, upper = risk.forecasts[months]
        members = mine if risk.unit.pk == focus.pk else mine[mine["group"] == risk.unit.pk]
        rows.append(
            BackTestRow(
                risk.unit, True, expected, int(lower), int(upper), int(members["left"].sum())
            )
        )
    return BackTest(months, origin, rows)


@dataclass
class EngagementLink:
    """What a rise of `points` in every unit's engagement index goes with over 12 months:
    the change in expected leavers (estimate, lower, upper) and in their replacement cost,
    both from the same coefficient draws."""

    points: int
    people: int | None
    draws: pd.DataFrame | None  # coefficient draws × job family: change in expected leavers
    withheld: bool = False  # the focus's people may not be described (the anonymity gate)

    @property
    def leavers(self) -> tuple[float, float, float]:
        return _summary(self.draws.sum(axis=1).to_numpy())

    def cost(self, cost_per_family: dict) -> tuple[float, float, float]:
        weights = np.array([float(cost_per_family.get(f, 0)) for f in self.draws.columns])
        return _summary(self.draws.to_numpy() @ weights)


def _summary(values: np.ndarray) -> tuple[float, float, float]:
    return (
        float(values.mean()),
        float(np.quantile(values, 0.025)),
        float(np.quantile(values, 0.975)),
    )


def engagement_link(model, people, window, scores, tree, focus, min_n: int, points: int = 5):
    """The change in expected 12-month leavers among the focus's people, by job family, if
    every unit's engagement were `points` higher (None when the model has no engagement).

    A sum of the focus's people's chances is a figure about them, so it is gated exactly as
    the focus's flight risk is: withheld (no figure, not even the headcount) where the
    anonymity gate withholds the focus."""
    if model is None or ENGAGEMENT_10 not in model.covariates:
        return None
    staff = staff_on(people, window.end, scores)
    mine = _groups(staff, tree, focus, [])
    if mine.empty:
        return None
    if gate.hidden_units(staff["unit_id"], tree, min_n).get(focus.pk, True):
        return EngagementLink(points=points, people=None, draws=None, withheld=True)
    result = expected_leavers(
        model,
        mine,
        months=12,
        group="job_family",
        shift={ENGAGEMENT_10: points / 10},
        n_draws=N_DRAWS,
    )
    return EngagementLink(points=points, people=len(mine), draws=result.change_draws)
