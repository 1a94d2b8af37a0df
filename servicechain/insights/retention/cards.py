"""Home card of retention: turnover this quarter, for HR and admins (reads only)."""

from __future__ import annotations

import pandas as pd
from django.utils import timezone

from servicechain.analytics.attrition import leaving_rate
from servicechain.org.access import Role
from servicechain.org.context import Persona
from servicechain.org.home import register_card

from . import data, gate
from .turnover import DAYS_PER_YEAR, leave_category


def quarter_turnover(persona: Persona) -> dict | None:
    """Leavers so far in the quarter of the latest complete month, organisation-wide, with
    the annualised rate (exact interval) and the voluntary share; withheld under min-n."""
    if not persona.is_a(Role.ADMIN, Role.HR_ANALYST):
        return None
    organization = persona.scope.organization
    people = data.spells(organization)
    window = data.window(people, timezone.localdate())
    if window is None:
        return {"window": None}
    quarter = window.last_month.to_period("Q")
    first = max(quarter.start_time, window.start)
    last = window.end
    inside = (people["hire_date"] <= last) & (
        people["leave_date"].isna() | (people["leave_date"] >= first)
    )
    frame = people[inside]
    begin = frame["hire_date"].where(frame["hire_date"] > first, first)
    end = frame["leave_date"].where(
        frame["leave_date"].notna() & (frame["leave_date"] < last), last
    )
    exposure = float((((end - begin).dt.days + 1).clip(lower=0) / DAYS_PER_YEAR).sum())
    left = frame["leave_date"].between(first, last)
    shown = gate.reportable(len(frame), organization.min_group_size)
    voluntary = leave_category(frame[left]).str.startswith("voluntary").sum()
    return {
        "window": window,
        "quarter": f"{quarter.year} Q{quarter.quarter}",
        "first": first,
        "last": last,
        "shown": shown,
        "leavers": int(left.sum()) if shown else None,
        "voluntary": int(voluntary) if shown and voluntary >= organization.min_group_size else None,
        "rate": leaving_rate(int(left.sum()), exposure) if shown else None,
        "months": len(pd.period_range(first, last, freq="M")),
    }


def _for_hr(persona: Persona) -> bool:
    return persona.is_a(Role.ADMIN, Role.HR_ANALYST)


# Deferred: it reads every employment record, which should not hold the home page back.
register_card(
    "quarter_turnover",
    template="insights/cards/quarter_turnover.html",
    build=quarter_turnover,
    order=45,
    defer=_for_hr,
    title="Turnover this quarter",
)
