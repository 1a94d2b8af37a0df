"""Customers' products that need servicing, and their e-mail consent, for the loyalty demo.

Drawn from their own random stream (``seed`` and the stream key below), after and apart from
the rest of the organisation, so adding them changes no other synthetic number and no ground
truth. About a third of the customers own a product; each product has a service interval by
time, by usage, or both (whichever comes first), and its last service is spread so that due
dates fall evenly from a month ago to a whole interval ahead of ``today`` — some are due this
week. About 60 % of the customers agree to points and service e-mails.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

STREAM = 14  # the key of this module's random stream (issue 14)
OWNER_SHARE = 0.35
OPT_IN_SHARE = 0.6

#: name, interval in days (or None), usage interval (or None), usage unit, usage per day range
PRODUCTS = (
    ("Boiler", 365, None, "", None),
    ("Bicycle", 180, 3000, "km", (8, 30)),
    ("Car", 365, 15000, "km", (20, 70)),
    ("Coffee machine", 120, 2500, "cycles", (5, 25)),
    ("Hearing aid", 180, None, "", None),
    ("Lawn mower", 365, 50, "hours", (0.1, 0.5)),
)


def simulate_assets(customers: pd.DataFrame, *, seed: int, today: dt.date) -> pd.DataFrame:
    """One row per product: ``customer_external_id``, ``name``, ``interval_days``,
    ``interval_usage``, ``usage_unit``, ``usage_per_day``, ``last_service_on`` and
    ``usage_at_last_service``."""
    rng = np.random.default_rng([seed, STREAM])
    owners = customers["external_id"].to_numpy()[rng.random(len(customers)) < OWNER_SHARE]
    rows = []
    for customer in owners:
        name, days, usage, unit, per_day = PRODUCTS[rng.integers(len(PRODUCTS))]
        rate = round(float(rng.uniform(*per_day)), 2) if per_day else None
        horizon = min(
            d for d in (days, int(np.ceil(usage / rate)) if usage and rate else None) if d
        )
        # Due somewhere from 30 days ago to a whole interval ahead.
        due_in = int(rng.integers(-30, horizon + 1))
        last = today + dt.timedelta(days=due_in - horizon)
        rows.append(
            {
                "customer_external_id": customer,
                "name": name,
                "interval_days": days,
                "interval_usage": usage,
                "usage_unit": unit,
                "usage_per_day": rate,
                "last_service_on": last,
                "usage_at_last_service": int(rng.integers(0, 5)) * (usage or 0),
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "customer_external_id",
            "name",
            "interval_days",
            "interval_usage",
            "usage_unit",
            "usage_per_day",
            "last_service_on",
            "usage_at_last_service",
        ],
    )


def simulate_email_consent(customers: pd.DataFrame, *, seed: int) -> pd.Series:
    """Whether each customer agreed to points and service e-mails (indexed by external id)."""
    rng = np.random.default_rng([seed, STREAM, 1])
    agreed = rng.random(len(customers)) < OPT_IN_SHARE
    return pd.Series(agreed, index=customers["external_id"].to_numpy(), name="email_opt_in")
