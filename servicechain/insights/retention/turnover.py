"""Turnover over the last 12 observed months: annualised rates with exact intervals, by unit,
leave type, tenure band and job family; the month-by-month rate; early turnover.

A rate is leavers per person-year employed in the period (`attrition.leaving_rate`), so a
unit that grew or shrank is measured against the time its people were actually there.
Every figure passes `gate` first: a unit's rates only where its people may be described,
and a category (a leave type, a tenure band, a job family) only where that category of the
unit's people may be.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from servicechain.analytics.attrition import (
    TENURE_BANDS,
    early_leaving,
    leaving_rate,
    person_months,
    tenure_band,
)
from servicechain.analytics.metrics import Estimate
from servicechain.org.models import Employee, Unit

from . import gate
from .data import DAYS_PER_MONTH, Window

#: Leave types as the tables split them: disjoint, so their rates add up to the total.
LEAVE_CATEGORIES = {
    "voluntary_regretted": "Voluntary, regretted",
    "voluntary_other": "Voluntary, not regretted",
    "involuntary": "Involuntary",
}
JOB_FAMILIES = dict(Employee.JobFamily.choices)
DAYS_PER_YEAR = 365.25


def leave_category(frame: pd.DataFrame) -> pd.Series:
    """Each leaver's category of `LEAVE_CATEGORIES` ("" when the type was not recorded)."""
    voluntary = frame["leave_type"] == "voluntary"
    regretted = frame["regretted"].fillna(False).astype(bool)
    out = np.select(
        [frame["leave_type"] == "involuntary", voluntary & regretted, voluntary],
        ["involuntary", "voluntary_regretted", "voluntary_other"],
        default="",
    )
    return pd.Series(out, index=frame.index)


def year_people(people: pd.DataFrame, window: Window) -> pd.DataFrame:
    """Everyone employed at some time in the last 12 observed months, with the years they
    were employed then (`exposure`), whether they left then, their leave category and their
    tenure band when the period began (or at hire)."""
    first, last = window.year()
    inside = (people["hire_date"] <= last) & (
        people["leave_date"].isna() | (people["leave_date"] >= first)
    )
    frame = people[inside].copy()
    begin = frame["hire_date"].where(frame["hire_date"] > first, first)
    end = frame["leave_date"].where(
        frame["leave_date"].notna() & (frame["leave_date"] < last), last
    )
    frame["exposure"] = ((end - begin).dt.days + 1).clip(lower=0) / DAYS_PER_YEAR
    frame["left"] = frame["leave_date"].notna() & (frame["leave_date"] <= last)
    frame["category"] = leave_category(frame).where(frame["left"], "")
    frame["tenure_band"] = tenure_band((begin - frame["hire_date"]).dt.days / DAYS_PER_MONTH)
    return frame


@dataclass
class RateRow:
    """One group's turnover: withheld (`shown` False) or its people, leavers and rates."""

    label: str
    shown: bool
    people: int | None = None
    leavers: int | None = None
    rate: Estimate | None = None
    by_type: dict[str, Estimate | None] = field(default_factory=dict)  # None = withheld
    unit: Unit | None = None

    def record(self, min_n: int) -> dict:
        record = {"group": self.label}
        if self.unit is not None:
            record["unit_id"] = self.unit.pk
        if not self.shown:
            return {
                **record,
                "withheld": f"fewer than {min_n} people, or would reveal such a group",
            }
        record |= {
            "people": self.people,
            "leavers": self.leavers,
            "rate_pct": _pct(self.rate.value),
            "rate_lower_pct": _pct(self.rate.lower),
            "rate_upper_pct": _pct(self.rate.upper),
        }
        for code, estimate in self.by_type.items():
            for part in ("value", "lower", "upper"):
                key = f"{code}_pct" if part == "value" else f"{code}_{part}_pct"
                record[key] = None if estimate is None else _pct(getattr(estimate, part))
        return record


def _pct(value: float | None) -> float | None:
    return None if value is None or np.isnan(value) else round(100 * value, 1)


def _rate(rows: pd.DataFrame) -> Estimate:
    return leaving_rate(int(rows["left"].sum()), float(rows["exposure"].sum()))


@dataclass
class Turnover:
    """The turnover figures of a focus unit and the units below it."""

    focus: Unit
    min_n: int
    first_day: pd.Timestamp
    last_day: pd.Timestamp
    units: list[RateRow]
    tenure: list[RateRow]
    job_family: list[RateRow]
    monthly: pd.DataFrame | None  # month, people, leavers, rate_pct (None when withheld)
    early: dict[str, Estimate] | None  # "90 days", "1 year"; None when withheld
    hires: int | None

    @property
    def headline(self) -> RateRow:
        return self.units[0]


def _subtree(frame: pd.DataFrame, tree: pd.DataFrame, unit: Unit) -> pd.DataFrame:
    inside = tree.index[tree["path"].str.startswith(unit.path)]
    return frame[frame["unit_id"].isin(inside)]


def unit_rows(
    frame: pd.DataFrame, tree: pd.DataFrame, rows: list[Unit], min_n: int
) -> list[RateRow]:
    """Turnover of each unit of `rows` (subtree), gated over the whole tree; leave types
    gated as a breakdown of each unit's leavers."""
    hidden = gate.hidden_units(frame["unit_id"], tree, min_n)
    leavers = frame[frame["left"]]
    types = gate.hidden_categories(
        leavers["unit_id"],
        leavers["category"],
        tree,
        min_n,
        hidden=hidden,
        order=list(LEAVE_CATEGORIES),
    )
    out = []
    for unit in rows:
        if hidden.get(unit.pk, True):
            out.append(RateRow(label=unit.name, shown=False, unit=unit))
            continue
        mine = _subtree(frame, tree, unit)
        by_type = {
            code: None
            if types.at[unit.pk, code]
            else leaving_rate(int((mine["category"] == code).sum()), float(mine["exposure"].sum()))
            for code in LEAVE_CATEGORIES
        }
        out.append(
            RateRow(
                label=unit.name,
                shown=True,
                people=len(mine),
                leavers=int(mine["left"].sum()),
                rate=_rate(mine),
                by_type=by_type,
                unit=unit,
            )
        )
    return out


def category_rows(
    frame: pd.DataFrame,
    tree: pd.DataFrame,
    focus: Unit,
    min_n: int,
    *,
    column: str,
    labels: dict[str, str],
    hidden: pd.Series,
) -> list[RateRow]:
    """Turnover of the focus's people by `column` (tenure band, job family), each category
    gated as a breakdown of its unit's people across the whole tree."""
    withheld = gate.hidden_categories(
        frame["unit_id"], frame[column], tree, min_n, hidden=hidden, order=list(labels)
    )
    mine = _subtree(frame, tree, focus)
    out = []
    for code, label in labels.items():
        group = mine[mine[column] == code]
        if group.empty:
            continue
        if withheld.at[focus.pk, code]:
            out.append(RateRow(label=label, shown=False))
            continue
        out.append(
            RateRow(
                label=label,
                shown=True,
                people=len(group),
                leavers=int(group["left"].sum()),
                rate=_rate(group),
            )
        )
    return out


def monthly(people: pd.DataFrame, window: Window, last_months: int = 24) -> pd.DataFrame:
    """Month by month: people employed (person-months), leavers and the monthly rate."""
    first = max(window.first_month, window.last_month - pd.DateOffset(months=last_months - 1))
    months = person_months(people, first_month=first, last_month=window.last_month)
    table = months.groupby("month").agg(people=("exposure", "sum"), leavers=("left", "sum"))
    table["rate_pct"] = 100 * table["leavers"] / table["people"].where(table["people"] > 0)
    return table.reset_index()


def early(people: pd.DataFrame, window: Window) -> tuple[int, dict[str, Estimate]]:
    """Share of the people hired in the window who left within 90 days and within a year."""
    hires = people[people["hire_date"] >= window.start]
    left = hires["leave_date"].notna() & (hires["leave_date"] <= window.end)
    until = hires["leave_date"].where(left, window.end)
    months = ((until - hires["hire_date"]).dt.days.clip(lower=0) + 0.5) / DAYS_PER_MONTH
    if hires.empty:
        return 0, {}
    return len(hires), {
        "90 days": early_leaving(months, left, within=90 / DAYS_PER_MONTH),
        "1 year": early_leaving(months, left, within=12),
    }


def turnover(
    people: pd.DataFrame,
    window: Window,
    tree: pd.DataFrame,
    focus: Unit,
    rows: list[Unit],
    min_n: int,
) -> Turnover:
    """Every turnover figure of the retention page for `focus` (rows: it and its children)."""
    frame = year_people(people, window)
    hidden = gate.hidden_units(frame["unit_id"], tree, min_n)
    units = unit_rows(frame, tree, rows, min_n)
    shown = units[0].shown
    first, last = window.year()
    mine = _subtree(people, tree, focus)
    hires, early_rates = early(mine, window)
    # New hires are a group of their own: gated over the tree like any other.
    hired = people[people["hire_date"] >= window.start]
    hires_hidden = gate.hidden_units(hired["unit_id"], tree, min_n).get(focus.pk, True)
    return Turnover(
        focus=focus,
        min_n=min_n,
        first_day=first,
        last_day=last,
        units=units,
        tenure=category_rows(
            frame,
            tree,
            focus,
            min_n,
            column="tenure_band",
            labels={b: b for b in TENURE_BANDS},
            hidden=hidden,
        ),
        job_family=category_rows(
            frame, tree, focus, min_n, column="job_family", labels=JOB_FAMILIES, hidden=hidden
        ),
        monthly=monthly(mine, window) if shown else None,
        early=early_rates if shown and not hires_hidden else None,
        hires=hires if shown and not hires_hidden else None,
    )
