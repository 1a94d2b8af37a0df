"""The arithmetic of pay: component amounts, caps with a withheld balance, exact pool splits,
corrections after lock, and the robust z-score gaming guard. Pure: no Django, Decimal money.

Every amount is a `Decimal` in the organisation's currency, quantized to the cent; rounding is
half-up for one amount and largest-remainder for a split, so no cent is lost or invented.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd

CENT = Decimal("0.01")
ZERO = Decimal("0.00")

# Iglewicz & Hoaglin (1993), "How to Detect and Handle Outliers": a modified z-score
# 0.6745·(x − median)/MAD above 3.5 marks a likely outlier.
ROBUST_Z_LIMIT = 3.5
MAD_SCALE = 0.6745


def cents(value) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Tier:
    threshold: Decimal  # the metric value (or improvement) from which the tier pays
    amount: Decimal


@dataclass(frozen=True)
class Rule:
    """How one component turns a metric into money (before weight, floor and cap)."""

    min_responses: int = 10
    tiers: tuple[Tier, ...] = ()
    rate: Decimal | None = None  # linear: amount per point above `threshold`
    threshold: Decimal = ZERO
    floor: Decimal = ZERO
    cap: Decimal | None = None
    weight: Decimal = Decimal("1")


@dataclass(frozen=True)
class Outcome:
    amount: Decimal  # paid this period (released balance included)
    withheld: Decimal  # excess above the cap added to the balance
    released: Decimal  # taken from the balance into `amount`
    crossed: tuple[str, ...]  # thresholds crossed, as people read them
    reason: str


def tiers_from(rows: Sequence[Mapping]) -> tuple[Tier, ...]:
    return tuple(
        sorted(
            (Tier(Decimal(str(r["threshold"])), cents(r["amount"])) for r in rows),
            key=lambda t: t.threshold,
        )
    )


def plain(number: Decimal) -> str:
    """80, 2.5, 0 — a threshold as people write it."""
    text = format(Decimal(number).normalize(), "f")
    return text


def gross(rule: Rule, measured: Decimal) -> tuple[Decimal, tuple[str, ...]]:
    """What the rule pays for `measured` (a value or an improvement) before floor and cap."""
    if rule.tiers:
        crossed = [t for t in rule.tiers if measured >= t.threshold]
        if not crossed:
            return ZERO, ()
        top = crossed[-1]
        return cents(top.amount * rule.weight), tuple(f"≥ {plain(t.threshold)}" for t in crossed)
    if rule.rate is None or measured <= rule.threshold:
        return ZERO, ()
    amount = (measured - rule.threshold) * rule.rate * rule.weight
    return cents(amount), (f"> {plain(rule.threshold)}",)


def capped(raw: Decimal, *, floor: Decimal, cap: Decimal | None, balance: Decimal = ZERO):
    """(paid, withheld, released): a positive `raw` is raised to the floor; what passes the cap
    is withheld (kept in the balance, not lost); room under the cap releases the balance."""
    paid = max(raw, floor) if raw > 0 else ZERO
    if cap is None:
        return paid, ZERO, ZERO
    withheld = max(paid - cap, ZERO)
    paid = min(paid, cap)
    released = min(max(balance, ZERO), cap - paid) if paid > 0 else ZERO
    return paid + released, withheld, released


def component_outcome(
    rule: Rule,
    *,
    value: float | None,
    responses: int,
    baseline: float | None = None,
    uses_baseline: bool = False,
    balance: Decimal = ZERO,
    label: str = "the metric",
    counted: str = "response",
) -> Outcome:
    """One component for one person or unit and period, with a one-sentence reason.
    `counted` names what `responses` counts (responses, customers)."""
    if responses < rule.min_responses:
        return Outcome(
            ZERO,
            ZERO,
            ZERO,
            (),
            f"No pay: {responses} {counted}{'s' if responses != 1 else ''}, fewer than the "
            f"{rule.min_responses} needed for {label} to mean more than noise.",
        )
    if value is None or (uses_baseline and baseline is None):
        return Outcome(ZERO, ZERO, ZERO, (), f"No pay: no {label} to measure this period.")
    measured = Decimal(str(round(value, 4)))
    if uses_baseline:
        measured -= Decimal(str(round(baseline, 4)))
    raw, crossed = gross(rule, measured)
    paid, withheld, released = capped(raw, floor=rule.floor, cap=rule.cap, balance=balance)
    verb = "was"
    if uses_baseline:
        verb = "improved by" if measured >= 0 else "fell by"
    what = f"{label} {verb} {abs(measured) if uses_baseline else measured:.1f}"
    if uses_baseline:
        what += f" against its baseline of {Decimal(str(round(baseline, 4))):.1f}"
    if paid == 0:
        first = rule.tiers[0].threshold if rule.tiers else rule.threshold
        reason = f"No pay: {what}, not past the first threshold ({plain(first)})."
    else:
        reason = f"Paid {paid} because {what}, crossing {', '.join(crossed)}"
        if withheld:
            reason += f"; {withheld} above the cap of {rule.cap} is withheld for later periods"
        if released:
            reason += f"; {released} released from the withheld balance"
        reason += "."
    return Outcome(paid, withheld, released, crossed, reason)


def split_exact(total: Decimal, weights: Sequence[float | Decimal]) -> list[Decimal]:
    """`total` split in proportion to `weights`, to the cent, by largest remainder (Hamilton):
    each share is rounded down, then the cents left go to the largest remainders (ties to the
    earlier position). The shares sum to `total` exactly. Zero weights get nothing; all-zero
    weights split equally."""
    total = cents(total)
    n = len(weights)
    if n == 0:
        return []
    exact = [Decimal(str(w)) for w in weights]
    if any(w < 0 for w in exact):
        raise ValueError("Split weights cannot be negative.")
    whole = sum(exact)
    if whole == 0:
        exact, whole = [Decimal(1)] * n, Decimal(n)
    sign = -1 if total < 0 else 1
    units = int(abs(total) / CENT)
    quotas = [units * w / whole for w in exact]
    floors = [int(q.to_integral_value(rounding=ROUND_DOWN)) for q in quotas]
    left = units - sum(floors)
    order = sorted(range(n), key=lambda i: (-(quotas[i] - floors[i]), i))
    for i in order[:left]:
        floors[i] += 1
    return [sign * Decimal(f) * CENT for f in floors]


def correction(*, original: Decimal, adjusted: Decimal, corrected: Decimal) -> Decimal:
    """The clawback (negative) or top-up that brings a locked line, plus the corrections
    already posted to it, to its corrected amount."""
    return cents(corrected) - cents(original) - cents(adjusted)


# ------------------------------------------------------------------- customer metrics


def customer_metrics(answers: pd.DataFrame, by: str) -> pd.DataFrame:
    """CSAT (% answering 4-5 of 5), NPS (% 9-10 minus % 0-6), effort (% finding it easy: 1-3
    of 7, where 1 is very easy) and each one's answer count, per `by` group. `answers` has
    columns `by`, `csat`, `nps`, `effort` (numbers or NaN)."""
    columns = ["csat", "csat_n", "nps", "nps_n", "effort", "effort_n"]
    if answers.empty:
        return pd.DataFrame(columns=columns)
    frame = answers.copy()
    frame["csat_top"] = np.where(frame["csat"].notna(), frame["csat"] >= 4, np.nan)
    frame["nps_net"] = np.select(
        [frame["nps"] >= 9, frame["nps"] <= 6], [1.0, -1.0], default=0.0
    ).astype(float)
    frame.loc[frame["nps"].isna(), "nps_net"] = np.nan
    frame["effort_easy"] = np.where(frame["effort"].notna(), frame["effort"] <= 3, np.nan)
    grouped = frame.groupby(by)
    out = pd.DataFrame(
        {
            "csat": grouped["csat_top"].mean() * 100,
            "csat_n": grouped["csat"].count(),
            "nps": grouped["nps_net"].mean() * 100,
            "nps_n": grouped["nps"].count(),
            "effort": grouped["effort_easy"].mean() * 100,
            "effort_n": grouped["effort"].count(),
        }
    )
    return out[columns]


def month_index(day) -> int:
    """A month as year·12 + month − 1 (the loyalty selectors' `period`)."""
    return day.year * 12 + day.month - 1


def period_repeat_rates(frame: pd.DataFrame, start, end) -> pd.DataFrame:
    """Per group: the mean of its monthly repeat-business rates (%) from `start`'s month to
    `end`'s (`repeat_rate`) and the customers behind it (`repeat_rate_n`): the fewest
    previous-month buyers any of those monthly rates is a share of — a rate of 2 customers
    says whether each of them came back, however many months it is averaged over. `frame`
    is the loyalty app's repeat-business table (`group`, `period`, `customers`,
    `repeat_rate`)."""
    columns = ["repeat_rate", "repeat_rate_n"]
    if frame.empty:
        return pd.DataFrame(columns=columns)
    before = frame[["group", "period", "customers"]].rename(columns={"customers": "base"})
    frame = frame.merge(
        before.assign(period=before["period"] + 1), on=["group", "period"], how="left"
    )
    inside = frame[frame["period"].between(month_index(start), month_index(end))]
    rated = inside["repeat_rate"].notna()
    out = inside.groupby("group").agg(repeat_rate=("repeat_rate", "mean"))
    out["repeat_rate"] = out["repeat_rate"] * 100
    fewest = inside[rated].groupby("group")["base"].min()
    out["repeat_rate_n"] = fewest.reindex(out.index).fillna(0).astype(int)
    return out[columns]


def period_spend(frame: pd.DataFrame, start, end, groups: set | None = None) -> Decimal:
    """Spend of the groups (all when None) from `start`'s month to `end`'s, to the cent.

    Each row's ``spend`` is a whole number of cents ÷ 100 (loyalty sums it in cents); it is
    turned back into integer cents row by row and summed as integers, so the total is exact
    however many rows there are (a float sum of a million amounts can drift past half a
    cent)."""
    if frame.empty:
        return ZERO
    inside = frame[frame["period"].between(month_index(start), month_index(end))]
    if groups is not None:
        inside = inside[inside["group"].isin(groups)]
    whole_cents = int((inside["spend"].astype(float) * 100).round().astype("int64").sum())
    return Decimal(whole_cents).scaleb(-2)


# ----------------------------------------------------------------------- gaming guard


def robust_z(values: pd.Series) -> pd.Series:
    """Modified z-scores 0.6745·(x − median)/MAD (Iglewicz & Hoaglin 1993). When the MAD is
    0 (most peers identical) the mean absolute deviation stands in, scaled by 1.2533 so the
    two agree under normality; when that is 0 too nobody stands out and every score is 0."""
    values = values.astype(float)
    median = values.median()
    mad = (values - median).abs().median()
    if mad > 0:
        return MAD_SCALE * (values - median) / mad
    mean_ad = (values - median).abs().mean()
    if mean_ad > 0:
        return (values - median) / (1.253314 * mean_ad)
    return pd.Series(0.0, index=values.index)


def outliers_within(frame: pd.DataFrame, *, group: str, value: str, min_peers: int = 5):
    """Rows whose `value` is far above their `group`'s (robust z > 3.5), with `z` added.
    Groups with fewer than `min_peers` members are not judged: there is no crowd to stand
    out from."""
    flagged = []
    for _, rows in frame.groupby(group):
        if len(rows) < min_peers:
            continue
        z = robust_z(rows[value])
        hits = rows[z > ROBUST_Z_LIMIT].assign(z=z[z > ROBUST_Z_LIMIT])
        if len(hits):
            flagged.append(hits)
    if not flagged:
        return frame.iloc[0:0].assign(z=pd.Series(dtype=float))
    return pd.concat(flagged)


SCORE_BEGGING = re.compile(
    r"\b(asked|told|begged|pushed|wanted|pressured)\b[^.!?]{0,40}\b"
    r"(rate|rating|score|give|mark|review|survey|10|ten|five|5 stars?)\b"
    r"|\b(rate|score)\s+(me|him|her|them)\b"
    r"|\b(9|10|nine|ten)\s+(or|out of)\s+(10|ten)\b.{0,30}\b(please|asked)\b",
    re.IGNORECASE,
)


def mentions_score_request(comment: str) -> bool:
    """A customer comment saying they were asked for a score ("she asked me to rate her 10")."""
    return bool(comment) and SCORE_BEGGING.search(comment) is not None
