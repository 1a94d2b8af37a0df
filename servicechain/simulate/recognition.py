"""A synthetic year of peer recognition with the long tail real programmes show.

Giving and receiving are both skewed: each person has a lasting propensity to give
(lognormal) and a "visibility" that draws recognition (lognormal, heavier), so a few
people give and receive much of it; a small share of people are overlooked (never chosen
as a single recipient, and their teams never get team kudos), which is exactly what a
fairness view should surface. Most kudos stay within the giver's unit. Points come out of
each giver's monthly allowance, which is never exceeded.

Pure numpy/pandas: the recognition app's demo seeder and its benchmark write the frames.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

VISIBILITIES = ("organisation", "team", "private")
VISIBILITY_P = (0.85, 0.10, 0.05)
POINT_CHOICES = np.array([5, 10, 10, 15, 20, 25])
REACTIONS = ("applause", "heart", "celebrate")

MESSAGES: dict[str, tuple[str, ...]] = {
    "customers-first": (
        "Thank you for staying on with that customer until the problem was really fixed, {name}.",
        "{name} turned an angry phone call into a thank-you card. Brilliant.",
        "You went back to call the customer the next day to check it worked. That is service, {name}.",
    ),
    "own-it": (
        "{name} spotted the stock error before opening and sorted it without being asked.",
        "Thanks for taking the weekend rota problem and just solving it, {name}.",
        "You said you'd fix the till issue and you did, the same afternoon. Thank you, {name}.",
    ),
    "better-together": (
        "{name} covered my shift at no notice so I could be with my family. Thank you.",
        "Thanks for training the new starters this month, {name}: they are flying.",
        "{name} helped the whole team through the stock-take. We finished early because of you.",
    ),
    "keep-it-simple": (
        "The new returns checklist from {name} cut our queue in half.",
        "{name} rewrote the handover note so anyone can follow it. So much easier.",
    ),
    "care": (
        "{name} noticed I was struggling and took the time to ask. It meant a lot.",
        "Thank you for looking after everyone during the heatwave, {name}.",
    ),
}
TEAM_MESSAGES = (
    "The whole team pulled together for the launch week. Thank you all.",
    "Record customer scores this month. Every one of you made that happen.",
    "Thank you all for keeping the doors open through the storm.",
)


@dataclass(frozen=True)
class RecognitionYear:
    """Frames keyed by a synthetic `kudos` number (0..n-1)."""

    kudos: pd.DataFrame  # kudos, giver, created_at, visibility, points_each, team, message
    recipients: pd.DataFrame  # kudos, employee, unit
    values: pd.DataFrame  # kudos, value
    reactions: pd.DataFrame  # kudos, employee, kind

    def __repr__(self) -> str:
        return (
            f"RecognitionYear({len(self.kudos):,} kudos, {len(self.recipients):,} credits, "
            f"{len(self.reactions):,} reactions)"
        )


def _months(start: dt.date, end: dt.date) -> list[dt.date]:
    first = start.replace(day=1)
    out = []
    while first <= end:
        out.append(first)
        first = (first + dt.timedelta(days=32)).replace(day=1)
    return out


def simulate_recognition(
    employees: pd.DataFrame,
    *,
    start: dt.date,
    end: dt.date,
    values: list[str],
    allowance: int = 100,
    rate: float = 1.2,
    team_share: float = 0.03,
    overlooked_share: float = 0.04,
    seed: int = 0,
    timezone: str = "UTC",
) -> RecognitionYear:
    """Simulate kudos given between `start` and `end` (inclusive).

    Parameters
    ----------
    employees : DataFrame
        Columns ``employee`` (id), ``unit`` (id), ``hire_date``, ``leave_date`` (None/NaT if
        still employed) and optionally ``first_name``.
    values : list of str
        Value slugs; messages come from ``MESSAGES`` when a slug is known.
    allowance : int
        Points each person may give per calendar month (never exceeded).
    rate : float
        Mean kudos given per person and month (the lognormal propensity's mean is 1).
    team_share : float
        Share of kudos that recognise a whole unit (each member credited).
    overlooked_share : float
        Share of people nobody picks out (their units get no team kudos either).
    """
    rng = np.random.default_rng(seed)
    people = employees.reset_index(drop=True)
    n = len(people)
    ids = people["employee"].to_numpy()
    units = people["unit"].to_numpy()
    names = (
        people["first_name"].fillna("").to_numpy(dtype=object)
        if "first_name" in people
        else np.array([""] * n, dtype=object)
    )
    hired = pd.to_datetime(people["hire_date"]).dt.date.to_numpy()
    left = [None if pd.isna(d) else pd.Timestamp(d).date() for d in people["leave_date"]]
    giving = rng.lognormal(-0.32, 0.8, n)  # mean ≈ 1
    visibility = rng.lognormal(0.0, 0.9, n)
    overlooked = rng.random(n) < overlooked_share
    visibility[overlooked] = 0.0
    blocked_units = set(units[overlooked].tolist())
    by_unit: dict = {}
    for position, unit in enumerate(units):
        by_unit.setdefault(unit, []).append(position)
    value_list = list(values)

    kudos_rows, recipient_rows, value_rows, reaction_rows = [], [], [], []
    number = 0
    for first in _months(start, end):
        last = min((first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1), end)
        lo = max(first, start)
        active = np.array(
            [hired[i] <= last and (left[i] is None or left[i] >= lo) for i in range(n)]
        )
        if active.sum() < 2:
            continue
        days = (last - lo).days + 1
        share = days / ((first + dt.timedelta(days=32)).replace(day=1) - first).days
        counts = rng.poisson(rate * giving * share * active)
        visible = np.flatnonzero(active & (visibility > 0))
        everyone = (visible, np.cumsum(visibility[visible]))
        spent = np.zeros(n, dtype=np.int64)
        day_zero = (lo - dt.date(1970, 1, 1)).days * 86_400
        for giver in np.flatnonzero(counts):
            for _ in range(counts[giver]):
                # a working hour of a day in the month, local wall-clock seconds
                when = day_zero + 86_400 * int(rng.integers(0, days))
                when += 3_600 * int(rng.integers(8, 19)) + int(rng.integers(0, 3_600))
                chosen, team = _pick(
                    rng,
                    giver,
                    units,
                    by_unit,
                    active,
                    visibility,
                    team_share,
                    blocked_units,
                    everyone,
                )
                if not chosen:
                    continue
                points = 0
                if rng.random() < 0.55:
                    points = int(rng.choice(POINT_CHOICES))
                    if spent[giver] + points * len(chosen) > allowance:
                        points = 0
                spent[giver] += points * len(chosen)
                tags = list(rng.choice(value_list, size=1 + (rng.random() < 0.3), replace=False))
                kudos_rows.append(
                    (
                        number,
                        ids[giver],
                        when,
                        VISIBILITIES[rng.choice(3, p=VISIBILITY_P)],
                        points,
                        units[giver] if team else None,
                        _message(rng, tags[0], names[chosen[0]], team),
                    )
                )
                recipient_rows.extend((number, ids[c], units[c]) for c in chosen)
                value_rows.extend((number, tag) for tag in tags)
                audience = by_unit[units[giver]]
                for reactor in rng.choice(
                    audience, size=min(len(audience), rng.poisson(1.2)), replace=False
                ):
                    if reactor != giver and active[reactor]:
                        reaction_rows.append((number, ids[reactor], REACTIONS[rng.integers(0, 3)]))
                number += 1
    columns = ["kudos", "giver", "created_at", "visibility", "points_each", "team", "message"]
    kudos = pd.DataFrame(kudos_rows, columns=columns)
    local = pd.to_datetime(kudos["created_at"].astype("int64"), unit="s")
    # An hour a clock change makes ambiguous is read as standard time.
    kudos["created_at"] = local.dt.tz_localize(
        timezone, ambiguous=np.zeros(len(local), dtype=bool), nonexistent="shift_forward"
    )
    return RecognitionYear(
        kudos=kudos,
        recipients=pd.DataFrame(recipient_rows, columns=["kudos", "employee", "unit"]),
        values=pd.DataFrame(value_rows, columns=["kudos", "value"]),
        reactions=pd.DataFrame(
            reaction_rows, columns=["kudos", "employee", "kind"]
        ).drop_duplicates(["kudos", "employee", "kind"]),
    )


def _pick(rng, giver, units, by_unit, active, visibility, team_share, blocked_units, everyone):
    """Recipients of one kudos (positions), and whether it is a whole-team kudos.

    `everyone` is (positions, cumulative weights) of the month's active, visible people:
    a draw across the organisation is a binary search, not a pass over everyone."""
    own = units[giver]
    if rng.random() < team_share and own not in blocked_units:
        members = [i for i in by_unit[own] if active[i] and i != giver]
        return members, True
    size = 1 + (rng.random() < 0.25) + (rng.random() < 0.07)
    if rng.random() < 0.8:
        pool = np.array(by_unit[own])
        pool = pool[(pool != giver) & active[pool] & (visibility[pool] > 0)]
        if len(pool) == 0:
            return [], False
        weights = visibility[pool] / visibility[pool].sum()
        return list(rng.choice(pool, size=min(size, len(pool)), replace=False, p=weights)), False
    positions, cumulative = everyone
    if len(positions) == 0:
        return [], False
    drawn = positions[np.searchsorted(cumulative, rng.random(size) * cumulative[-1], side="right")]
    chosen = list(dict.fromkeys(int(i) for i in drawn if i != giver))
    return chosen, False


def _message(rng, value: str, name: str, team: bool) -> str:
    if team:
        return TEAM_MESSAGES[rng.integers(0, len(TEAM_MESSAGES))]
    options = MESSAGES.get(value) or MESSAGES["better-together"]
    return options[rng.integers(0, len(options))].format(name=name or "you").strip()
