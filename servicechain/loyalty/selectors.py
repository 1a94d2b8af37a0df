"""Reads of the loyalty app: balances, lots, tiers, cards, lists, liability and repeat business.

Repeat business lives here, in one place: `customer_month_spend` is the purchases frame the
linkage panel (insights) and incentive plans (rewards) read, and `repeat_business` the
repeat-customer rate, visit frequency and spend per customer of any grouping (owning unit,
owning employee, serving employee) and month.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd
from django.db import connection
from django.db.models import Count, F, Max, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, ExtractMonth, ExtractYear, TruncMonth
from django.utils import timezone

from servicechain.analytics import anonymity
from servicechain.org.models import Customer, Employee, Organization, Transaction

from . import rules_engine
from .models import (
    Account,
    Asset,
    Entry,
    Handover,
    LiabilityStatement,
    Programme,
    Reminder,
    RepeatBusinessMonth,
    Return,
)

CREDITS = (Entry.Kind.EARN, Entry.Kind.CONFIRM)
DUE_WINDOW_DAYS = 7
#: With no redemption or expiry history yet, every outstanding point is expected to be
#: redeemed (IFRS 15 recognises breakage only when it can be estimated reliably).
DEFAULT_REDEMPTION_RATE = Decimal("1.0000")
REDEMPTION_HISTORY_MONTHS = 24
CSAT_ITEM = "csat"  # the item bank's 1-5 satisfaction item


# ----------------------------------------------------------------------------- programme


def programme_of(organization: Organization) -> Programme | None:
    return Programme.objects.filter(organization=organization).first()


def versions(organization: Organization) -> rules_engine.Versions:
    """Every version of the organisation's programme (simple-history's records)."""
    return rules_engine.Versions(Programme.history.filter(organization_id=organization.pk))


def version_at(organization: Organization, day: dt.date):
    return versions(organization).at(day)


# ----------------------------------------------------------------------------- the ledger


def balance(customer: Customer | int) -> int:
    """Spendable points: Σ points of the entries that are not pending (= confirmed earned −
    redeemed − expired, reversals included)."""
    customer_id = getattr(customer, "pk", customer)
    total = Entry.objects.filter(customer_id=customer_id, pending=False).aggregate(
        total=Sum("points")
    )["total"]
    return int(total or 0)


def pending_points(customer: Customer | int) -> int:
    """Points still inside a return window (pending lots less their reversals and confirmations)."""
    customer_id = getattr(customer, "pk", customer)
    sums = Entry.objects.filter(customer_id=customer_id).aggregate(
        pending=Sum("points", filter=Q(pending=True)),
        confirmed=Sum("points", filter=Q(kind=Entry.Kind.CONFIRM)),
    )
    return int((sums["pending"] or 0) - (sums["confirmed"] or 0))


def ledger_totals(customer: Customer | int) -> dict[str, int]:
    """The ledger's parts by kind, for the balance identity: confirmed earned (earn + confirm
    + reversals of confirmed earnings), redeemed (net of restored redemptions), expired."""
    customer_id = getattr(customer, "pk", customer)
    rows = Entry.objects.filter(customer_id=customer_id, pending=False)
    reversal_of_redeem = Q(kind=Entry.Kind.REVERSE, reverses__kind=Entry.Kind.REDEEM)
    sums = rows.aggregate(
        earned=Sum("points", filter=Q(kind__in=CREDITS)),
        reversed_earned=Sum("points", filter=Q(kind=Entry.Kind.REVERSE) & ~reversal_of_redeem),
        redeemed=Sum("points", filter=Q(kind=Entry.Kind.REDEEM)),
        restored=Sum("points", filter=reversal_of_redeem),
        expired=Sum("points", filter=Q(kind=Entry.Kind.EXPIRE)),
    )
    value = {k: int(v or 0) for k, v in sums.items()}
    return {
        "confirmed_earned": value["earned"] + value["reversed_earned"],
        "redeemed": -(value["redeemed"] + value["restored"]),
        "expired": -value["expired"],
    }


def lots(customer: Customer | int, *, pending: bool = False) -> list[dict]:
    """The customer's lots oldest first, each with its remaining points: confirmed lots (earn,
    confirm), or with `pending` the lots still inside their return window."""
    customer_id = getattr(customer, "pk", customer)
    kinds = (Entry.Kind.PENDING,) if pending else CREDITS
    credits = list(
        Entry.objects.filter(customer_id=customer_id, kind__in=kinds)
        .order_by("at", "pk")
        .values("pk", "at", "points", "transaction_id", "programme_version")
    )
    debits = dict(
        Entry.objects.filter(customer_id=customer_id, lot__isnull=False, lot__kind__in=kinds)
        .exclude(kind=Entry.Kind.CONFIRM)
        .values("lot")
        .annotate(total=Sum("points"))
        .values_list("lot", "total")
    )
    if pending:
        confirmed = dict(
            Entry.objects.filter(customer_id=customer_id, kind=Entry.Kind.CONFIRM).values_list(
                "lot", "points"
            )
        )
    for lot in credits:
        lot["remaining"] = lot["points"] + int(debits.get(lot["pk"], 0))
        if pending:
            lot["confirmed"] = lot["pk"] in confirmed
            if lot["confirmed"]:
                lot["remaining"] = 0
    return credits


def entries(customer: Customer, *, limit: int = 50) -> QuerySet[Entry]:
    return Entry.objects.filter(customer=customer).order_by("-at", "-pk")[:limit]


def account_of(customer: Customer) -> Account | None:
    return Account.objects.filter(customer=customer).first()


def level_for_tier(customer: Customer, version, today: dt.date) -> Decimal:
    """What the tier is measured on: confirmed points earned, or net spend, over the
    programme's window (lifetime or this calendar year)."""
    since = None
    if version.tier_window == Programme.TierWindow.CALENDAR_YEAR:
        since = today.replace(month=1, day=1)
    if version.tier_basis == Programme.TierBasis.SPEND:
        purchases = Transaction.objects.filter(customer=customer)
        returns = Return.objects.filter(transaction__customer=customer)
        if since is not None:
            purchases = purchases.filter(occurred_at__date__gte=since)
            returns = returns.filter(occurred_at__date__gte=since)
        spent = purchases.aggregate(total=Sum("amount"))["total"] or Decimal(0)
        returned = returns.aggregate(total=Sum("amount"))["total"] or Decimal(0)
        return spent - returned
    earned = Entry.objects.filter(customer=customer, kind__in=CREDITS)
    reversed_ = Entry.objects.filter(
        customer=customer, kind=Entry.Kind.REVERSE, pending=False, reverses__kind__in=CREDITS
    )
    if since is not None:
        earned = earned.filter(at__date__gte=since)
        reversed_ = reversed_.filter(at__date__gte=since)
    total = (earned.aggregate(t=Sum("points"))["t"] or 0) + (
        reversed_.aggregate(t=Sum("points"))["t"] or 0
    )
    return Decimal(total)


# ----------------------------------------------------------------------------- who sees whom


def owning_units_filter(scope) -> Q:
    """Customers whose owning unit (their owner's, else the account's) is in the scope."""
    if scope.sees_whole_organisation:
        return Q()
    return Q(owner__isnull=False) & scope.unit_filter("owner__unit") | Q(
        owner__isnull=True
    ) & scope.unit_filter("loyalty_account__owner_unit")


def customers_in_scope(scope) -> QuerySet[Customer]:
    customers = Customer.objects.filter(organization=scope.organization)
    return customers.filter(owning_units_filter(scope))


def customer_card(customer: Customer, *, today: dt.date) -> dict:
    """What the owning or serving employee reads about a customer on their card."""
    organization = customer.organization
    version = version_at(organization, today)
    account = account_of(customer)
    purchases = Transaction.objects.filter(customer=customer)
    visits = purchases.aggregate(count=Count("pk"), spend=Sum("amount"), last=Max("occurred_at"))
    tier = upcoming = level = None
    if version is not None:
        level = level_for_tier(customer, version, today)
        tier = rules_engine.tier_for(version, level)
        upcoming = rules_engine.next_tier(version, level)
    reminders = list(
        Reminder.objects.filter(customer=customer, status=Reminder.Status.OPEN)
        .select_related("asset")
        .order_by("due_on")
    )
    return {
        "customer": customer,
        "account": account,
        "version": version,
        "balance": balance(customer),
        "pending": pending_points(customer),
        "tier": tier,
        "next_tier": upcoming,
        "tier_level": level,
        "visits": visits["count"],
        "spend": visits["spend"] or Decimal(0),
        "last_visit": visits["last"],
        "usual_gap_days": usual_gap_days(customer),
        "reminders": reminders,
        "done_services": Reminder.objects.filter(customer=customer, status=Reminder.Status.DONE)
        .select_related("asset")
        .order_by("-closed_at")[:5],
        "assets": Asset.objects.filter(customer=customer).order_by("name"),
        "last_csat": last_csat(customer),
        "entries": entries(customer, limit=20),
        "handover": Handover.objects.filter(customer=customer).order_by("-created_at").first(),
    }


def last_csat(customer: Customer) -> dict | None:
    """The customer's latest satisfaction answer (a linked, non-confidential customer survey)."""
    from servicechain.surveys.models import CustomerResponse

    response = (
        CustomerResponse.objects.filter(interaction__customer=customer)
        .select_related("interaction", "wave")
        .order_by("-interaction__started_at")
        .first()
    )
    if response is None:
        return None
    score = _csat_score(response)
    return None if score is None else {"score": score, "when": response.interaction.started_at}


def _csat_score(response) -> int | None:
    value = (response.answers or {}).get(CSAT_ITEM)
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def visit_days(customer: Customer) -> list[dt.date]:
    return sorted(
        {
            moment.date()
            for moment in Transaction.objects.filter(customer=customer).values_list(
                "occurred_at", flat=True
            )
        }
    )


def usual_gap_days(customer: Customer) -> float | None:
    """The median gap between the customer's visit days (None with fewer than three visits)."""
    days = visit_days(customer)
    if len(days) < 3:
        return None
    return float(np.median(np.diff([d.toordinal() for d in days])))


# ----------------------------------------------------------------------------- the unit lists


def due_this_week(scope, *, today: dt.date) -> QuerySet[Reminder]:
    """Open service reminders of the scope's customers due by a week from today (overdue too)."""
    customers = customers_in_scope(scope).values("pk")
    return (
        Reminder.objects.filter(
            organization=scope.organization,
            status=Reminder.Status.OPEN,
            due_on__lte=today + dt.timedelta(days=DUE_WINDOW_DAYS),
            customer__in=customers,
        )
        .select_related("asset", "customer", "owner")
        .order_by("due_on", "pk")
    )


def at_risk(scope, *, today: dt.date, limit: int = 50) -> list[dict]:
    """Customers whose gap since their last visit is far beyond their usual gap (more than the
    programme's factor × the median gap of their own visits; at least three visits)."""
    version = version_at(scope.organization, today)
    factor = float(version.at_risk_factor) if version is not None else 2.0
    customers = customers_in_scope(scope)
    rows = Transaction.objects.filter(
        organization=scope.organization, customer__in=customers.values("pk")
    ).values_list("customer_id", "occurred_at")
    frame = pd.DataFrame(list(rows), columns=["customer", "at"])
    if frame.empty:
        return []
    frame["day"] = pd.to_datetime(frame["at"], utc=True).dt.tz_localize(None).dt.normalize()
    frame = frame.drop_duplicates(["customer", "day"]).sort_values(["customer", "day"])
    frame["gap"] = frame.groupby("customer")["day"].diff().dt.days
    stats = frame.groupby("customer").agg(
        visits=("day", "size"), usual=("gap", "median"), last=("day", "max")
    )
    stats = stats[stats["visits"] >= 3]
    stats["since"] = (pd.Timestamp(today) - stats["last"]).dt.days
    risky = stats[stats["since"] > factor * stats["usual"].clip(lower=1)]
    risky = risky.assign(ratio=risky["since"] / risky["usual"].clip(lower=1))
    risky = risky.sort_values("ratio", ascending=False).head(limit)
    names = Customer.objects.in_bulk(list(risky.index))
    return [
        {
            "customer": names[customer_id],
            "visits": int(row["visits"]),
            "usual_gap_days": float(row["usual"]),
            "days_since": int(row["since"]),
            "last_visit": row["last"].date(),
        }
        for customer_id, row in risky.iterrows()
    ]


# ----------------------------------------------------------------------------- ownership


def orphaned_accounts(organization: Organization, *, today: dt.date) -> QuerySet[Customer]:
    """Customers still owned by an employee who has left (the check shows none may remain)."""
    return Customer.objects.filter(
        organization=organization, owner__leave_date__isnull=False, owner__leave_date__lte=today
    ).select_related("owner")


def handovers(scope, *, status: str | None = Handover.Status.PROPOSED) -> QuerySet[Handover]:
    """Hand-overs into units the member sees."""
    rows = Handover.objects.filter(organization=scope.organization).filter(
        scope.unit_filter("to_unit")
    )
    if status:
        rows = rows.filter(status=status)
    return rows.select_related("customer", "from_employee", "to_employee", "to_unit").order_by(
        "created_at", "pk"
    )


def successors(unit, *, today: dt.date) -> QuerySet[Employee]:
    """Active colleagues in `unit`, least loaded first (fewest accounts owned)."""
    return (
        Employee.objects.filter(unit=unit, hire_date__lte=today)
        .filter(Q(leave_date__isnull=True) | Q(leave_date__gt=today))
        .annotate(load=Count("owned_customers"))
        .order_by("load", "pk")
    )


# ----------------------------------------------------------------------------- liability


def first_open_month(organization: Organization) -> dt.date | None:
    """The first month after the last closed liability statement (None: nothing closed)."""
    last = (
        LiabilityStatement.objects.filter(organization=organization)
        .order_by("-month")
        .values_list("month", flat=True)
        .first()
    )
    return rules_engine.next_period_start(last) if last else None


def monthly_flows(organization: Organization, *, since: dt.date | None = None) -> pd.DataFrame:
    """Points by month (first day) and kind, from one grouped scan of the ledger (of the
    months from `since` on: closed months are read from their statements instead)."""
    rows = Entry.objects.filter(organization=organization)
    if since is not None:
        rows = rows.filter(at__gte=timezone.make_aware(dt.datetime.combine(since, dt.time.min)))
    rows = (
        rows.annotate(month=TruncMonth("at"))
        .values("month")
        .annotate(
            balance=Coalesce(Sum("points", filter=Q(pending=False)), 0),
            pending=Coalesce(Sum("points", filter=Q(pending=True)), 0),
            confirmed=Coalesce(Sum("points", filter=Q(kind=Entry.Kind.CONFIRM)), 0),
            redeemed=Coalesce(Sum("points", filter=Q(kind=Entry.Kind.REDEEM)), 0),
            expired=Coalesce(Sum("points", filter=Q(kind=Entry.Kind.EXPIRE)), 0),
        )
        .order_by("month")
    )
    frame = pd.DataFrame(list(rows))
    if frame.empty:
        return pd.DataFrame(columns=FLOW_COLUMNS)
    frame["month"] = [m.date() if isinstance(m, dt.datetime) else m for m in frame["month"]]
    return frame[FLOW_COLUMNS]


FLOW_COLUMNS = ["month", "balance", "pending", "confirmed", "redeemed", "expired"]


def redemption_rate(flows: pd.DataFrame, upto: int) -> Decimal:
    """Expected redemption rate from history: points redeemed ÷ points that left the balance
    (redeemed + expired) over the last 24 months up to row `upto` (IFRS 15 breakage)."""
    window = flows.iloc[max(0, upto - REDEMPTION_HISTORY_MONTHS + 1) : upto + 1]
    redeemed = -int(window["redeemed"].sum())
    expired = -int(window["expired"].sum())
    if redeemed <= 0:
        # No redemption yet (nothing left, or only expiries): breakage cannot be estimated,
        # so none is assumed (IFRS 15's constraint) rather than a rate of 0 and no liability.
        return DEFAULT_REDEMPTION_RATE
    return (Decimal(redeemed) / Decimal(redeemed + expired)).quantize(Decimal("0.0001"))


def liability_report(organization: Organization, *, through: dt.date | None = None) -> list[dict]:
    """Per month: outstanding points at its end × value per point × expected redemption rate.

    Closed months are read from their statements (immutable), which also carry the month's
    redeemed and expired points for the redemption-rate history; only the open months are
    scanned in the ledger, so the report costs one month's entries once months are closed."""
    through = through or timezone.localdate()
    statements = list(
        LiabilityStatement.objects.filter(organization=organization).order_by("month")
    )
    opened = rules_engine.next_period_start(statements[-1].month) if statements else None
    flows = monthly_flows(organization, since=opened)
    closed = pd.DataFrame(
        [
            {
                "month": s.month,
                "balance": 0,
                "pending": 0,
                "confirmed": 0,
                "redeemed": -s.redeemed_points,
                "expired": -s.expired_points,
            }
            for s in statements
        ],
        columns=FLOW_COLUMNS,
    )
    first = opened or (flows["month"].min() if not flows.empty else None)
    if first is None:
        return []
    # Every open month up to `through`, a month without entries included.
    months = pd.date_range(first, through, freq="MS").date
    flows = flows.set_index("month").reindex(months, fill_value=0).rename_axis("month")
    flows = flows.reset_index()
    outstanding = flows["balance"].cumsum() + (
        statements[-1].outstanding_points if statements else 0
    )
    pending = (flows["pending"] - flows["confirmed"]).cumsum() + (
        statements[-1].pending_points if statements else 0
    )
    movements = pd.concat([closed, flows], ignore_index=True) if statements else flows
    history = versions(organization)
    report = [_statement_row(s) for s in statements if s.month <= through]
    for i, month in enumerate(flows["month"]):
        version = history.at(rules_engine.next_period_start(month) - dt.timedelta(days=1))
        value = version.point_value.amount if version is not None else Decimal(0)
        rate = redemption_rate(movements, len(statements) + i)
        points = int(outstanding.iloc[i])
        report.append(
            {
                "month": month,
                "outstanding_points": points,
                "pending_points": int(pending.iloc[i]),
                "redeemed_points": -int(flows["redeemed"].iloc[i]),
                "expired_points": -int(flows["expired"].iloc[i]),
                "point_value": value,
                "redemption_rate": rate,
                "liability": (Decimal(max(points, 0)) * value * rate).quantize(
                    Decimal("0.01"), rounding=ROUND_HALF_UP
                ),
                "currency": organization.currency,
                "closed": False,
            }
        )
    return report


def _statement_row(statement: LiabilityStatement) -> dict:
    return {
        "month": statement.month,
        "outstanding_points": statement.outstanding_points,
        "pending_points": statement.pending_points,
        "redeemed_points": statement.redeemed_points,
        "expired_points": statement.expired_points,
        "point_value": statement.point_value,
        "redemption_rate": statement.redemption_rate,
        "liability": statement.liability,
        "currency": statement.currency,
        "closed": True,
    }


# ----------------------------------------------------------------------------- dashboard


def membership_summary(organization: Organization, *, today: dt.date) -> dict:
    """Members, active members (a purchase in the last 12 months) and their tiers."""
    version = version_at(organization, today)
    members = Account.objects.filter(organization=organization)
    active_since = today - dt.timedelta(days=365)
    tiers: dict[str, int | None] = {}
    total = members.count()
    if version is not None and version.tiers:
        tiers = _gated_tiers(_tier_counts(organization, version, today), total, organization)
    return {
        "members": total,
        "active": members.filter(last_activity_at__date__gte=active_since).count(),
        "opted_in": members.filter(email_opt_in=True).count(),
        "tiers": tiers,
        "version": version,
    }


def _gated_tiers(counts: dict[str, int], members: int, organization) -> dict[str, int | None]:
    """Members per tier as a breakdown of all members through the anonymity gate: a tier of
    fewer than the minimum group size (or one recoverable from the others) reads None."""
    if not counts:
        return {}
    table = pd.DataFrame({"members": list(counts.values())}, index=list(counts))
    gated = anonymity.suppress_breakdown(
        table, min_n=organization.min_group_size, count="members", total=members
    )
    return {name: (None if row.suppressed else int(row.members)) for name, row in gated.iterrows()}


def _tier_counts(organization: Organization, version, today: dt.date) -> dict[str, int]:
    """Members per tier, measured in one grouped query (points or spend, lifetime or year)."""
    since = None
    if version.tier_window == Programme.TierWindow.CALENDAR_YEAR:
        since = today.replace(month=1, day=1)
    if version.tier_basis == Programme.TierBasis.SPEND:
        rows = Transaction.objects.filter(organization=organization)
        if since is not None:
            rows = rows.filter(occurred_at__date__gte=since)
        levels = rows.values("customer_id").annotate(level=Sum("amount"))
    else:
        rows = Entry.objects.filter(organization=organization, pending=False).filter(
            Q(kind__in=CREDITS) | Q(kind=Entry.Kind.REVERSE, reverses__kind__in=CREDITS)
        )
        if since is not None:
            rows = rows.filter(at__date__gte=since)
        levels = rows.values("customer_id").annotate(level=Sum("points"))
    counts = {tier["name"]: 0 for tier in version.tiers}
    reached = dict(levels.values_list("customer_id", "level"))
    members = Account.objects.filter(organization=organization).values_list("pk", flat=True)
    for customer_id in members:
        tier = rules_engine.tier_for(version, Decimal(reached.get(customer_id) or 0))
        if tier is not None:
            counts[tier["name"]] += 1
    return counts


# ----------------------------------------------------------------------------- repeat business


def customer_month_spend(organization: Organization) -> pd.DataFrame:
    """Each customer's spend per month with their owning unit: columns ``customer``, ``unit``,
    ``period`` (year·12 + month − 1) and ``amount`` (float). A customer belongs to the unit of
    the employee who owns the account, or to the account's owning unit when no employee does
    (after a hand-over to the unit); customers owned by nobody are left out."""
    owners = dict(
        Customer.objects.filter(organization=organization, owner__isnull=False).values_list(
            "pk", "owner__unit_id"
        )
    )
    owners.update(
        Account.objects.filter(
            organization=organization, customer__owner__isnull=True, owner_unit__isnull=False
        ).values_list("customer_id", "owner_unit_id")
    )
    rows = (
        Transaction.objects.filter(organization=organization, customer_id__in=list(owners))
        .annotate(month=TruncMonth("occurred_at"))
        .values_list("customer_id", "month")
        .annotate(amount=Sum("amount"))
        .order_by()
    )
    frame = pd.DataFrame(list(rows), columns=["customer", "month", "amount"])
    frame["unit"] = frame["customer"].map(owners)
    frame["period"] = [m.year * 12 + m.month - 1 for m in frame["month"]]
    frame["amount"] = frame["amount"].astype(float)
    return frame[["customer", "unit", "period", "amount"]]


GROUPINGS = {
    "unit": "owning unit",
    "owner": "owning employee",
    "employee": "serving employee",
}


def repeat_business(
    organization: Organization,
    *,
    by: str = "unit",
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> pd.DataFrame:
    """Repeat business per group and month: ``customers`` (who bought), ``visits`` (purchases),
    ``spend``, ``visits_per_customer``, ``spend_per_customer`` and ``repeat_rate`` — the share
    of the group's buyers of the previous month who bought again this month (the first month
    of a group has none). `by`: "unit" (owning unit), "owner" (owning employee) or
    "employee" (serving employee, the one on the purchase)."""
    if by not in GROUPINGS:
        raise ValueError(f"Group repeat business by one of: {', '.join(GROUPINGS)}.")
    rows = Transaction.objects.filter(organization=organization)
    if start is not None:
        rows = rows.filter(occurred_at__date__gte=start)
    if end is not None:
        rows = rows.filter(occurred_at__date__lte=end)
    key = {
        "unit": Coalesce("customer__owner__unit_id", "customer__loyalty_account__owner_unit_id"),
        "owner": F("customer__owner_id"),
        "employee": F("employee_id"),
    }[by]
    # The month as an integer (year·12 + month − 1) computed by the database: a truncated
    # datetime per row made timezone-aware in Python was most of a payout run's time at a
    # million and a half rows (benchmarks/payouts.py).
    period = ExtractYear("occurred_at") * 12 + ExtractMonth("occurred_at") - 1
    customer_months = (
        rows.annotate(period=period, group=key)
        .values_list("group", "customer_id", "period")
        .annotate(visits=Count("pk"), spend=Sum("amount"))
        .order_by()
    )
    columns = [
        "group",
        "period",
        "month",
        "customers",
        "visits",
        "spend",
        "visits_per_customer",
        "spend_per_customer",
        "repeat_rate",
    ]
    out = pd.DataFrame(
        _per_group_month(customer_months),
        columns=["group", "period", "customers", "visits", "spend", "repeaters"],
    )
    if out.empty:
        return pd.DataFrame(columns=columns)
    out = out.astype(
        {"group": int, "period": int, "customers": int, "visits": int, "spend": np.int64}
    )
    out["spend"] = out["spend"] / 100
    base = out[["group", "period", "customers"]].rename(columns={"customers": "base"})
    out = out.merge(base.assign(period=base["period"] + 1), on=["group", "period"], how="left")
    out["repeat_rate"] = out["repeaters"].astype(float) / out["base"]
    out["visits_per_customer"] = out["visits"] / out["customers"]
    out["spend_per_customer"] = out["spend"] / out["customers"]
    out["month"] = [f"{p // 12:04d}-{p % 12 + 1:02d}" for p in out["period"]]
    return out[columns].sort_values(["group", "period"]).reset_index(drop=True)


def _per_group_month(customer_months: QuerySet) -> list[tuple]:
    """(group, period, customers, visits, spend in cents, repeaters) per group and month, from
    the (group, customer, period, visits, spend) queryset, aggregated by the database: a
    repeater is a customer of the group who also bought in its previous month (the previous
    period of the same customer and group, by a window function). Only one row per group and
    month leaves the database instead of one per customer and month (1.4 M for a large
    organisation's ten months), which bounds the memory by units × months; spend is summed
    in whole cents (exact, whatever the order of the rows)."""
    inner, params = customer_months.query.sql_with_params()
    # The inner query is the ORM's own SQL with its parameters; nothing here comes from input.
    statement = (
        "WITH cm (grp, customer, period, visits, spend) AS (" + inner + "), "  # nosec B608
        "ordered AS (SELECT grp, customer, period, visits, spend, "
        "LAG(period) OVER (PARTITION BY grp, customer ORDER BY period) AS previous "
        "FROM cm WHERE grp IS NOT NULL) "
        "SELECT grp, period, COUNT(*), SUM(visits), "
        "SUM(CAST(ROUND(spend * 100) AS BIGINT)), "
        "SUM(CASE WHEN previous = period - 1 THEN 1 ELSE 0 END) "
        "FROM ordered GROUP BY grp, period"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall()


def last_closed_month_end(today: dt.date) -> dt.date:
    """The last day of the month before `today`'s: figures about groups of customers are
    shown for finished months only, so one more purchase never moves a shown figure."""
    return today.replace(day=1) - dt.timedelta(days=1)


def repeat_rate_by_month(
    organization: Organization, *, through: dt.date | None = None
) -> pd.DataFrame:
    """The organisation's repeat-customer rate per month (every customer, one group), up to
    the month of `through` (default: the last finished month), through the anonymity gate:
    a month whose previous buyers (``base``, the rate's denominator) or buyers number fewer
    than the minimum group size shows no rate (``suppressed``).

    Read from the published months (`RepeatBusinessMonth`, which `services.
    repeat_business_publish` writes once a month has ended — the dashboard runs it before
    reading), so a purchase posted late for a finished month never moves a rate someone
    has read; with nothing published yet, the finished months as recorded now."""
    columns = ["month", "repeat_rate", "buyers", "base", "suppressed"]
    if through is None:
        through = last_closed_month_end(timezone.localdate())
    last = through.year * 12 + through.month - 1
    published = list(
        RepeatBusinessMonth.objects.filter(
            organization=organization, grouping="unit", period__lte=last
        )
        .order_by("period")
        .values_list("period", "buyers", "previous_buyers", "repeaters")
    )
    if not published:
        months = _organisation_months(organization, end=through)
        published = [
            (period, buyers, months.get(period - 1, (0, 0))[0], repeaters)
            for period, (buyers, repeaters) in sorted(months.items())
        ]
    table = pd.DataFrame(
        [
            {
                "month": f"{period // 12:04d}-{period % 12 + 1:02d}",
                "repeat_rate": repeaters / base,
                "buyers": buyers,
                "base": base,
            }
            for period, buyers, base, repeaters in published
            if base and repeaters is not None
        ],
        columns=["month", "repeat_rate", "buyers", "base"],
    )
    if table.empty:
        return pd.DataFrame(columns=columns)
    # a month's rate is about its previous buyers, its buyer count about its buyers: each
    # month shows only when both groups reach the minimum
    table["people"] = table[["base", "buyers"]].min(axis=1)
    gated = anonymity.suppress(
        table.set_index("month")[["people", "repeat_rate", "buyers", "base"]],
        min_n=organization.min_group_size,
        count="people",
    )
    return gated.reset_index()[columns]


#: the figures of a repeat-business row about the group's buyers of the month
_BUYER_FIGURES = ["customers", "visits", "spend", "visits_per_customer", "spend_per_customer"]


def repeat_business_shown(
    organization: Organization,
    *,
    by: str = "unit",
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> pd.DataFrame:
    """`repeat_business` as a person may read it: finished months only, as published
    (`RepeatBusinessMonth`; `services.repeat_business_publish` runs before the API reads
    this), and every month's groups through the anonymity gate as a breakdown of the
    month's buyers. A group of fewer than the minimum group size of buyers, or one whose
    figures could be worked out from the organisation's total and the groups shown beside
    it, shows none of them (``suppressed``); the repeat rate is gated the same way on the
    previous month's buyers it is a share of (``repeat_suppressed``). With no month
    published yet the finished months are read as recorded now.

    Serving employees can share a customer, so for ``by="employee"`` the breakdown's total
    is the number of (employee, customer) pairs rather than of customers."""
    closed = last_closed_month_end(timezone.localdate())
    end = closed if end is None else min(end, closed)
    published = list(
        RepeatBusinessMonth.objects.filter(organization=organization, grouping=by).order_by(
            "period"
        )
    )
    if published:
        frame, buyers, before, _ = _published_months(published)
    else:
        frame, buyers, before, _ = repeat_business_months(organization, by=by, end=end)
    lowest = -(10**9) if start is None else start.year * 12 + start.month - 1
    frame = frame[frame["period"].between(lowest, end.year * 12 + end.month - 1)]
    if frame.empty:
        return frame.assign(suppressed=[], repeat_suppressed=[])
    min_n = organization.min_group_size
    parts = []
    for period, month in frame.groupby("period", sort=True):
        month = month.set_index("group")
        total = max(buyers.get(period, 0), int(month["customers"].sum()))
        shown = anonymity.suppress_breakdown(
            month[_BUYER_FIGURES], min_n=min_n, count="customers", total=total
        )
        based = month.loc[month["base"] > 0, ["base", "repeat_rate"]]
        base_total = max(before.get(period, 0), int(based["base"].sum()))
        rates = anonymity.suppress_breakdown(
            based, min_n=min_n, count="base", total=base_total
        ).reindex(month.index)
        out = shown.assign(
            period=period,
            month=month["month"],
            base=rates["base"],
            repeat_rate=rates["repeat_rate"],
            repeat_suppressed=rates["suppressed"].astype("boolean").fillna(False).astype(bool),
        )
        parts.append(out.reset_index())
    return pd.concat(parts, ignore_index=True).sort_values(["group", "period"], ignore_index=True)


def repeat_business_months(organization: Organization, *, by: str, end: dt.date):
    """Finished months' repeat business by `by` up to `end`, as recorded now, before the
    gate: the frame (with each group's previous-month buyers, ``base``), and per month the
    organisation's buyers, its previous month's buyers and its repeaters (customers who
    bought that month and the one before)."""
    frame = repeat_business(organization, by=by, end=end)
    months = _organisation_months(organization, end=end)
    buyers = {p: n for p, (n, _) in months.items()}
    repeaters = {p: r for p, (_, r) in months.items()}
    if frame.empty:
        return frame.assign(base=[]), buyers, {}, repeaters
    frame["base"] = _previous_buyers(frame)
    return frame, buyers, {p: buyers.get(p - 1, 0) for p in buyers}, repeaters


def _published_months(published: list) -> tuple[pd.DataFrame, dict, dict]:
    frame = pd.DataFrame(
        [dict(row, period=month.period) for month in published for row in month.groups]
    )
    if frame.empty:  # months with no group (e.g. no purchase named its serving employee)
        frame = pd.DataFrame(columns=["group", "period", *_BUYER_FIGURES, "repeat_rate", "base"])
    buyers = {m.period: m.buyers for m in published}
    before = {m.period: m.previous_buyers for m in published}
    return frame, buyers, before, {m.period: m.repeaters for m in published}


def _previous_buyers(frame: pd.DataFrame) -> pd.Series:
    """Each row's group's buyers of the month before (0 when it had none)."""
    before = frame[["group", "period", "customers"]].assign(period=frame["period"] + 1)
    merged = frame[["group", "period"]].merge(before, on=["group", "period"], how="left")
    return merged["customers"].fillna(0).astype(int).to_numpy()


def _organisation_months(organization, *, end) -> dict[int, tuple[int, int]]:
    """Per month (period) to `end`: the organisation's distinct buyers and its repeaters
    (buyers of the month before too), counted by the database as `repeat_business` counts
    a group's (one group: the organisation)."""
    period = ExtractYear("occurred_at") * 12 + ExtractMonth("occurred_at") - 1
    customer_months = (
        Transaction.objects.filter(organization=organization, occurred_at__date__lte=end)
        .annotate(period=period, group=F("organization_id"))
        .values_list("group", "customer_id", "period")
        .annotate(visits=Count("pk"), spend=Sum("amount"))
        .order_by()
    )
    return {
        int(month): (int(buyers), int(repeaters))
        for _, month, buyers, _, _, repeaters in _per_group_month(customer_months)
    }


def open_reminder_count(organization: Organization) -> int:
    return Reminder.objects.filter(organization=organization, status=Reminder.Status.OPEN).count()
