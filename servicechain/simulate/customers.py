"""Customers, purchases, service interactions, post-contact surveys and incidents.

Volumes follow the chain of each store/team ``u`` in month ``t``:

* each of the unit's customers buys in the month with probability ``repeat_rate[u,t]``
  (so the share of last month's buyers who buy again is ``repeat_rate`` in expectation);
* purchase amounts are split from the revenue level
  ``revenue[u,t] = revenue[u,t-1] * (1 + revenue_growth[u,t] / 100) ** (1 / 12)``;
* service interactions ~ Poisson(customers_u * (contact_rate_base + contact_rate_per_repeat
  * repeat_rate[u,t])); the contact centre takes Poisson(customers * contact_centre_rate).

A surveyed interaction's latent satisfaction (0-100 points) is the unit's CX that month plus
the effects of the service drivers and of the serving employee's engagement relative to the
unit-month's serving staff (so the expected unit-month mean stays ``cx[u,t]`` however the
staff change)::

    F_k = a_k e_j + b_k D_jk(individual) + noise         friendliness, competence, speed, fcr
    fcr = 1[F_fcr above its (1 - fcr_rate) quantile]
    S   = cx[u,t] + 4 F_friendliness + 5 F_competence + 3 F_speed + 15 (fcr - fcr_rate)
          + 2 e_j + N(0, 7)

``e_j`` is the server's individual engagement minus the mean of the unit-month's serving
staff, in SDs (20 points); the individual driver deviations ``D_jk`` are centred the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from servicechain.simulate.encoding import employee_ids, external_ids, nullable_int, utc_timestamps
from servicechain.simulate.names import person_names, unique_emails
from servicechain.simulate.parameters import DRIVERS, SERVICE_DRIVERS, OrgParameters
from servicechain.simulate.structure import LEAF_KINDS, Positions, Units
from servicechain.simulate.text import (
    CUSTOMER_FRAMES,
    CUSTOMER_PHRASES,
    compose,
    incident_descriptions,
)
from servicechain.simulate.workforce import Workforce

CHANNELS = ("phone", "chat", "email", "in_person")
CHANNEL_MIX = {
    "store": (0.20, 0.05, 0.10, 0.65),
    "team": (0.45, 0.10, 0.25, 0.20),
    "contact_centre": (0.60, 0.25, 0.15, 0.00),
}
# Median handling time in seconds per channel (log-normal, sigma 0.5).
MEDIAN_DURATION_S = {"phone": 360, "chat": 540, "email": 300, "in_person": 480}
CUSTOMER_DOMAINS = np.array(["example.com", "example.org", "example.net"], dtype=object)


@dataclass(frozen=True)
class CustomerSide:
    customers: pd.DataFrame
    interactions: pd.DataFrame
    transactions: pd.DataFrame
    customer_responses: pd.DataFrame
    incidents: pd.DataFrame
    comment_labels: pd.DataFrame
    revenue: np.ndarray  # (units, months) realised revenue (sum of rounded amounts)
    purchases: np.ndarray  # (units, months) number of transactions


@dataclass(frozen=True)
class Calendar:
    month_starts: np.ndarray  # datetime64[D]
    days_in_month: np.ndarray

    @classmethod
    def from_month_starts(cls, month_starts: np.ndarray) -> Calendar:
        next_starts = (month_starts.astype("datetime64[M]") + 1).astype("datetime64[D]")
        return cls(month_starts, (next_starts - month_starts).astype(int))

    @property
    def n(self) -> int:
        return self.month_starts.size


def pick_in_groups(
    pool_group: np.ndarray, pool_value: np.ndarray, query_group: np.ndarray, n_groups: int, rng
) -> np.ndarray:
    """For each query, a uniformly random pool value of the same group (-1 if the group is empty)."""
    order = np.argsort(pool_group, kind="stable")
    sorted_values = pool_value[order]
    counts = np.bincount(pool_group, minlength=n_groups)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    count = counts[query_group]
    index = starts[query_group] + (rng.random(query_group.size) * count).astype(int)
    return np.where(count > 0, sorted_values[np.minimum(index, max(sorted_values.size - 1, 0))], -1)


def _serving_pool(workforce: Workforce, positions: Positions, months: int, n_units: int):
    """(group = unit * months + month, position) for occupied frontline/specialist positions."""
    serving_family = np.isin(positions.job_family, ("frontline", "specialist"))
    pos, month = np.nonzero((workforce.holder >= 0) & serving_family[:, None])
    return positions.unit[pos] * months + month, pos


def simulate_customer_side(
    units: Units,
    positions: Positions,
    workforce: Workforce,
    calendar: Calendar,
    repeat_rate: np.ndarray,
    revenue_growth: np.ndarray,
    cx: np.ndarray,
    org: OrgParameters,
    rng: np.random.Generator,
) -> CustomerSide:
    """Generate everything customer-facing; chain matrices are (units, months), NaN off-chain."""
    n_units, months = units.n, calendar.n
    customer_position = _customer_positions(units, positions, org, rng)
    customer_unit = positions.unit[customer_position]
    n_customers = customer_position.size
    customer_ids = external_ids("C", np.arange(n_customers), 7)
    pool_group, pool_position = _serving_pool(workforce, positions, months, n_units)

    customers = _customers_frame(
        customer_ids, customer_position, customer_unit, positions, workforce, rng
    )
    transactions, revenue, purchases = _transactions(
        customer_ids, customer_position, customer_unit, units, positions, workforce, calendar,
        repeat_rate, revenue_growth, pool_group, pool_position, org, rng,
    )  # fmt: skip
    interactions, served = _interactions(
        customer_ids, customer_unit, units, workforce, calendar, repeat_rate,
        pool_group, pool_position, org, rng,
    )  # fmt: skip
    centre = _pool_means(workforce, pool_group, pool_position, n_units * months)
    responses, labels = _customer_responses(interactions, served, workforce, cx, centre, org, rng)
    incidents = _incidents(interactions, served, org, rng)
    return CustomerSide(
        customers=customers,
        interactions=interactions,
        transactions=transactions,
        customer_responses=responses,
        incidents=incidents,
        comment_labels=labels,
        revenue=revenue,
        purchases=purchases,
    )


def _customer_positions(units: Units, positions: Positions, org: OrgParameters, rng) -> np.ndarray:
    """Each store/team frontline position owns 1 + Poisson(customers_per_frontline - 1) customers."""
    owners = np.flatnonzero(
        (positions.job_family == "frontline") & np.isin(units.kind[positions.unit], LEAF_KINDS)
    )
    per_owner = 1 + rng.poisson(max(org.customers_per_frontline - 1.0, 0.0), owners.size)
    return np.repeat(owners, per_owner)


def _customers_frame(customer_ids, customer_position, customer_unit, positions, workforce, rng):
    """Customers with names, unique e-mails and their current owner.

    The owner is whoever holds the customer's position at the end of the window; when it is
    vacant the account moves to another current frontline colleague in the unit (or stays
    with the last holder if there is none).
    """
    n = customer_ids.size
    months = workforce.holder.shape[1]
    owner = workforce.holder[customer_position, -1]
    vacant = owner < 0
    if vacant.any():
        frontline_now = np.flatnonzero(
            (positions.job_family == "frontline") & (workforce.holder[:, -1] >= 0)
        )
        picked = pick_in_groups(
            positions.unit[frontline_now],
            workforce.holder[frontline_now, -1],
            customer_unit[vacant],
            int(positions.unit.max()) + 1,
            rng,
        )
        last_holder = _last_holder(workforce.holder[customer_position[vacant]], months)
        owner[vacant] = np.where(picked >= 0, picked, last_holder)
    first, last = person_names(n, rng)
    domains = CUSTOMER_DOMAINS[rng.integers(0, CUSTOMER_DOMAINS.size, n)]
    return pd.DataFrame(
        {
            "external_id": customer_ids,
            "name": first + " " + last,
            "email": unique_emails(first, last, domains),
            "owner_employee_external_id": employee_ids(owner),
        }
    )


def _last_holder(holder_rows: np.ndarray, months: int) -> np.ndarray:
    occupied = holder_rows >= 0
    last_month = months - 1 - np.argmax(occupied[:, ::-1], axis=1)
    return holder_rows[np.arange(holder_rows.shape[0]), last_month]


def _active_day(workforce: Workforce, position: np.ndarray, month: np.ndarray, rng) -> np.ndarray:
    """A uniformly random day of the month on which the position's holder was employed."""
    low = workforce.first_day[position, month]
    high = workforce.last_day[position, month]
    return low + (rng.random(position.size) * (high - low + 1)).astype(int)


def _transactions(
    customer_ids, customer_position, customer_unit, units, positions, workforce, calendar,
    repeat_rate, revenue_growth, pool_group, pool_position, org, rng,
):  # fmt: skip
    n_units, months = units.n, calendar.n
    n_customers = customer_ids.size
    buyer_parts, month_parts = [], []
    for t in range(months):
        p = np.clip(repeat_rate[customer_unit, t], 0.01, 0.99)
        buyers = np.flatnonzero(rng.random(n_customers) < p)
        buyer_parts.append(buyers)
        month_parts.append(np.full(buyers.size, t))
    buyer = np.concatenate(buyer_parts)
    month = np.concatenate(month_parts)
    # every store/team with customers sells at least once a month, so revenue is defined
    has_customers = np.bincount(customer_unit, minlength=n_units) > 0
    group = customer_unit[buyer] * months + month
    empty = np.flatnonzero(
        (np.bincount(group, minlength=n_units * months) == 0) & np.repeat(has_customers, months)
    )
    if empty.size:
        extra = pick_in_groups(customer_unit, np.arange(n_customers), empty // months, n_units, rng)
        buyer = np.concatenate([buyer, extra])
        month = np.concatenate([month, empty % months])
    unit = customer_unit[buyer]
    group = unit * months + month

    in_person = rng.random(buyer.size) >= org.online_purchase_share
    position = customer_position[buyer].copy()
    vacant = workforce.holder[position, month] < 0
    fallback = pick_in_groups(pool_group, pool_position, group[vacant], n_units * months, rng)
    position[vacant] = fallback
    in_person &= position >= 0
    safe_position = np.maximum(position, 0)
    employee = np.where(in_person, workforce.holder[safe_position, month], -1)
    day = np.where(
        in_person,
        _active_day(workforce, safe_position, month, rng),
        (rng.random(buyer.size) * calendar.days_in_month[month]).astype(int),
    )
    seconds = np.where(
        in_person, 9 * 3600 + rng.random(buyer.size) * 9 * 3600, rng.random(buyer.size) * 86400
    )
    occurred = utc_timestamps(calendar.month_starts[month] + day, seconds)

    target = _revenue_targets(customer_unit, repeat_rate, revenue_growth, n_units, org, rng)
    weight = rng.lognormal(0.0, org.amount_sd, buyer.size)
    weight_total = np.bincount(group, weights=weight, minlength=n_units * months)
    amount = np.round(target.ravel()[group] * weight / weight_total[group], 2)
    amount = np.maximum(amount, 0.01)
    revenue = np.bincount(group, weights=amount, minlength=n_units * months).reshape(
        n_units, months
    )
    purchases = np.bincount(group, minlength=n_units * months).reshape(n_units, months)

    order = np.argsort(occurred.asi8, kind="stable")
    employee_col = np.where(employee >= 0, employee_ids(np.arange(workforce.n))[employee], None)
    frame = pd.DataFrame(
        {
            "external_id": external_ids("T", np.arange(buyer.size), 8),
            "customer_external_id": customer_ids[buyer[order]],
            "employee_external_id": employee_col[order],
            "amount": amount[order],
            "occurred_at": occurred[order],
        }
    )
    return frame, np.round(revenue, 2), purchases


def _revenue_targets(customer_unit, repeat_rate, revenue_growth, n_units, org, rng) -> np.ndarray:
    """Revenue level per unit-month, compounding the chain's annualised growth monthly."""
    n_customers = np.bincount(customer_unit, minlength=n_units)
    ticket = org.mean_ticket * rng.lognormal(0.0, org.ticket_unit_sd, n_units)
    on_chain = np.isfinite(repeat_rate)
    mean_repeat = np.where(on_chain, repeat_rate, 0.0).sum(axis=1) / np.maximum(
        on_chain.sum(axis=1), 1
    )
    base = n_customers * mean_repeat * ticket
    factor = np.cumprod((1 + np.nan_to_num(revenue_growth) / 100) ** (1 / 12), axis=1)
    return base[:, None] * factor


def _interactions(
    customer_ids, customer_unit, units, workforce, calendar, repeat_rate,
    pool_group, pool_position, org, rng,
):  # fmt: skip
    n_units, months = units.n, calendar.n
    n_customers = np.bincount(customer_unit, minlength=n_units)
    rate = n_customers[:, None] * (
        org.contact_rate_base + org.contact_rate_per_repeat * np.nan_to_num(repeat_rate)
    )
    centre = np.flatnonzero(units.kind == "contact_centre")
    rate[centre] = customer_ids.size * org.contact_centre_rate
    counts = rng.poisson(rate)
    group = np.repeat(np.arange(n_units * months), counts.ravel())
    unit, month = group // months, group % months

    position = pick_in_groups(pool_group, pool_position, group, n_units * months, rng)
    keep = position >= 0  # a unit with every serving position vacant takes no contacts
    group, unit, month, position = group[keep], unit[keep], month[keep], position[keep]
    n = group.size
    is_centre = np.isin(unit, centre)
    own_customer = pick_in_groups(customer_unit, np.arange(customer_ids.size), unit, n_units, rng)
    any_customer = rng.integers(0, customer_ids.size, n)
    customer = np.where(is_centre | (own_customer < 0), any_customer, own_customer)

    channel_index = np.zeros(n, dtype=int)
    draw = rng.random(n)
    for kind, mix in CHANNEL_MIX.items():
        mask = units.kind[unit] == kind
        channel_index[mask] = np.searchsorted(np.cumsum(mix), draw[mask], side="right")
    channel_index = channel_index.clip(0, len(CHANNELS) - 1)
    channel = np.array(CHANNELS, dtype=object)[channel_index]
    median = np.array([MEDIAN_DURATION_S[c] for c in CHANNELS])[channel_index]
    duration = np.maximum(30, np.rint(median * rng.lognormal(0.0, 0.5, n))).astype(np.int64)
    day = _active_day(workforce, position, month, rng)
    started = utc_timestamps(calendar.month_starts[month] + day, (8 + 12 * rng.random(n)) * 3600)

    order = np.argsort(started.asi8, kind="stable")
    employee = workforce.holder[position, month]
    frame = pd.DataFrame(
        {
            "external_id": external_ids("I", np.arange(n), 8),
            "customer_external_id": customer_ids[customer[order]],
            "employee_external_id": employee_ids(np.arange(workforce.n))[employee[order]],
            "unit_external_id": units.external_id[unit[order]],
            "channel": channel[order],
            "started_at": started[order],
            "duration_s": duration[order],
        }
    )
    served = {
        "employee": employee[order],
        "unit": unit[order],
        "month": month[order],
        "started_ns": started.asi8[order],
        "duration_s": duration[order],
    }
    return frame, served


def _pool_means(workforce: Workforce, pool_group, pool_position, n_groups: int) -> np.ndarray:
    """Per unit-month, the mean over its serving staff of [engagement deviation, drivers].

    The serving employee's own engagement and drivers move a customer's satisfaction
    around the unit's CX; centring them on the unit-month's serving staff keeps the
    expected unit-month mean at ``cx[u,t]`` when staff come and go (otherwise a change of
    staff would move CX in the same month, outside the chain's lagged EX -> CX path).
    """
    holder = workforce.holder[pool_position, pool_group % workforce.holder.shape[1]]
    traits = np.column_stack(
        [
            workforce.z_individual[holder] / workforce.latent.z_sd,
            workforce.drivers_individual[holder],
        ]
    )
    counts = np.bincount(pool_group, minlength=n_groups)
    sums = np.stack(
        [
            np.bincount(pool_group, weights=traits[:, k], minlength=n_groups)
            for k in range(traits.shape[1])
        ],
        axis=1,
    )
    return sums / np.maximum(counts, 1)[:, None]


def _customer_responses(
    interactions, served, workforce: Workforce, cx, centre, org: OrgParameters, rng
):
    n_all = len(interactions)
    chosen = np.flatnonzero(rng.random(n_all) < org.customer_response_rate)
    n = chosen.size
    employee = served["employee"][chosen]
    unit = served["unit"][chosen]
    month = served["month"][chosen]
    # the server's engagement and drivers relative to the unit-month's serving staff, the
    # engagement in SDs of individual engagement
    group = unit * cx.shape[1] + month
    engagement_dev = workforce.z_individual[employee] / workforce.latent.z_sd - centre[group, 0]
    individual = workforce.drivers_individual[employee] - centre[group, 1:]
    latent = {}
    for name, spec in org.service_driver_model.items():
        value = spec.get("engagement", 0.0) * engagement_dev + rng.normal(0, spec["noise_sd"], n)
        for driver, coef in spec.items():
            if driver in DRIVERS:
                value = value + coef * individual[:, DRIVERS.index(driver)]
        latent[name] = value
    threshold = np.quantile(latent["fcr"], 1 - org.fcr_rate) if n else 0.0
    fcr = (latent["fcr"] > threshold).astype(float)
    w = org.satisfaction_weights
    satisfaction = (
        cx[unit, month]
        + w["friendliness"] * latent["friendliness"]
        + w["competence"] * latent["competence"]
        + w["speed"] * latent["speed"]
        + w["fcr"] * (fcr - org.fcr_rate)
        + w["employee_engagement"] * engagement_dev
        + rng.normal(0, org.satisfaction_noise_sd, n)
    )
    answers = {
        "csat": np.clip(
            np.rint(1 + 4 * satisfaction / 100 + rng.normal(0, org.csat_noise_sd, n)), 1, 5
        ),
        "nps": np.clip(
            np.rint(satisfaction / 10 + org.nps_offset + rng.normal(0, org.nps_noise_sd, n)), 0, 10
        ),
        "effort": np.clip(
            np.rint(
                org.effort_intercept
                + org.effort_per_speed_sd * latent["speed"]
                + org.effort_fcr * (fcr - org.fcr_rate)
                + rng.normal(0, org.effort_noise_sd, n)
            ),
            1,
            7,
        ),
    }
    for name in ("friendliness", "competence", "speed"):
        answers[name] = np.clip(
            np.rint(
                org.service_item_means[name]
                + org.service_item_slope * latent[name]
                + rng.normal(0, org.service_item_noise_sd, n)
            ),
            1,
            5,
        )
    answers["fcr"] = fcr
    for name in ("nps", "effort", "friendliness", "competence", "speed", "fcr"):
        answers[name] = np.where(
            rng.random(n) < org.customer_item_missing_rate, np.nan, answers[name]
        )

    delay_s = served["duration_s"][chosen] + rng.exponential(4 * 3600, n)
    submitted = _utc_after(served["started_ns"][chosen], delay_s)

    comment, labels = _customer_comments(latent, fcr, threshold, answers["csat"], org, rng)
    response_ids = external_ids("CR", np.arange(n), 7)
    labels.insert(0, "response_id", response_ids[labels.pop("row").to_numpy()])
    frame = pd.DataFrame(
        {
            "response_id": response_ids,
            "interaction_external_id": interactions["external_id"].to_numpy()[chosen],
            "submitted_at": submitted,
            **{
                name: nullable_int(answers[name])
                for name in ("csat", "nps", "effort", *SERVICE_DRIVERS)
            },
            "comment": comment,
        }
    )
    return frame, labels


def _customer_comments(latent, fcr, threshold, csat, org: OrgParameters, rng):
    n = csat.size
    rows = np.flatnonzero(rng.random(n) < org.customer_comment_rate)
    negative = csat[rows] <= 3
    scores = np.column_stack(
        [latent["friendliness"], latent["competence"], latent["speed"], latent["fcr"] - threshold]
    )[rows]
    pick = np.where(negative, scores.argmin(axis=1), scores.argmax(axis=1))
    themes = np.array(SERVICE_DRIVERS, dtype=object)[pick]
    comment = np.full(n, None, dtype=object)
    comment[rows] = compose(themes, negative, CUSTOMER_PHRASES, CUSTOMER_FRAMES, rng)
    labels = pd.DataFrame(
        {"row": rows, "theme": themes, "sentiment": np.where(negative, "negative", "positive")}
    )
    return comment, labels


def _utc_after(start_ns: np.ndarray, seconds: np.ndarray) -> pd.DatetimeIndex:
    return pd.to_datetime(start_ns + np.rint(seconds).astype(np.int64) * 1_000_000_000, utc=True)


def _incidents(interactions: pd.DataFrame, served, org: OrgParameters, rng) -> pd.DataFrame:
    """Abusive-customer incidents: each interaction independently at rate per 1,000."""
    chosen = np.flatnonzero(rng.random(len(interactions)) < org.incident_rate_per_1000 / 1000)
    n = chosen.size
    severity = 1 + rng.choice(3, size=n, p=np.asarray(org.incident_severity_probabilities))
    offset = rng.random(n) * served["duration_s"][chosen]
    return pd.DataFrame(
        {
            "external_id": external_ids("INC", np.arange(n), 6),
            "customer_external_id": interactions["customer_external_id"].to_numpy()[chosen],
            "employee_external_id": interactions["employee_external_id"].to_numpy()[chosen],
            "occurred_at": _utc_after(served["started_ns"][chosen], offset),
            "severity": severity.astype(np.int64),
            "description": incident_descriptions(severity, rng),
        }
    )
