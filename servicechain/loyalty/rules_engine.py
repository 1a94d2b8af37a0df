"""The programme's rules as plain functions of a version: what a purchase earns, which version
applies on a day, a tier, when points expire and when a service falls due. No writes."""

from __future__ import annotations

import bisect
import calendar
import datetime as dt
import math
from decimal import ROUND_FLOOR, Decimal

CENT = Decimal("0.01")


def points_for(version, amount: Decimal) -> int:
    """Points a purchase of `amount` earns under `version`: the visit points when it reaches
    the minimum spend, plus the spend points per whole spend unit. Nothing for zero or less."""
    amount = Decimal(amount)
    if amount <= 0:
        return 0
    visit = version.points_per_visit if amount >= version.visit_min_spend.amount else 0
    units = (amount / version.spend_unit.amount).to_integral_value(rounding=ROUND_FLOOR)
    return visit + int(units) * version.points_per_spend_unit


class Versions:
    """An organisation's programme versions, to find the one in force on a day quickly."""

    def __init__(self, versions):
        # The later of two versions effective the same day wins (a second change that month).
        self.versions = sorted(versions, key=lambda v: (v.effective_from, v.history_id))
        self.starts = [v.effective_from for v in self.versions]
        self.by_id = {v.history_id: v for v in self.versions}

    def __bool__(self) -> bool:
        return bool(self.versions)

    def at(self, day: dt.date):
        """The version in force on `day`, or None before the programme started."""
        index = bisect.bisect_right(self.starts, day)
        return self.versions[index - 1] if index else None


def next_period_start(day: dt.date) -> dt.date:
    """The first day of the month after `day`: when a programme change takes effect."""
    return (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)


def add_months(moment: dt.datetime, months: int) -> dt.datetime:
    """The same day and time `months` calendar months later (31 Jan + 1 month = 28/29 Feb)."""
    index = moment.year * 12 + moment.month - 1 + months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def expires_at(version, last_activity: dt.datetime) -> dt.datetime | None:
    """When points expire after `last_activity` under the version then in force (so a later
    change of the rule never shortens a deadline already running)."""
    if version is None or not version.expiry_months:
        return None
    return add_months(last_activity, version.expiry_months)


def tier_for(version, level: Decimal) -> dict | None:
    """The highest tier whose threshold `level` reaches (None without tiers)."""
    reached = None
    for tier in version.tiers or []:
        if level >= Decimal(tier["threshold"]):
            reached = tier
    return reached


def next_tier(version, level: Decimal) -> dict | None:
    for tier in version.tiers or []:
        if level < Decimal(tier["threshold"]):
            return tier
    return None


def service_due(asset) -> tuple[dt.date, str]:
    """When `asset` next needs service, by time or by usage, whichever comes first."""
    candidates = []
    if asset.interval_days:
        candidates.append((asset.last_service_on + dt.timedelta(days=asset.interval_days), "time"))
    if asset.interval_usage and asset.usage_per_day:
        days = math.ceil(Decimal(asset.interval_usage) / Decimal(asset.usage_per_day))
        candidates.append((asset.last_service_on + dt.timedelta(days=days), "usage"))
    return min(candidates)


def usage_on(asset, day: dt.date) -> int:
    """The asset's usage on `day`, projected from its last service at the usage per day."""
    if not asset.usage_per_day:
        return asset.usage_at_last_service
    days = max((day - asset.last_service_on).days, 0)
    return asset.usage_at_last_service + int(Decimal(days) * Decimal(asset.usage_per_day))
