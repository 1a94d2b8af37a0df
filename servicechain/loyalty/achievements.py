"""The recognition badge kind of loyalty: "a customer you look after came back N times".

Registered with `recognition.achievements.register_rule_kind` from `LoyaltyConfig.ready()`,
so recognition's rules can name it without recognition knowing about loyalty. The owner of
the account (the employee who owns the customer now, still employed) is credited once per
customer: the evidence key is the customer, so a run never awards it twice for them.
A visit is a purchase; "came back N times" is reached at visit N + 1.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import F, Q, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from servicechain.org.models import Transaction

KIND = "loyalty_returns"
SHOWN_VISITS = 20


def _purchases(organization, today: dt.date):
    """Purchases of customers owned by someone still employed on `today`."""
    return Transaction.objects.filter(
        organization=organization,
        customer__owner__isnull=False,
        customer__owner__hire_date__lte=today,
    ).filter(
        Q(customer__owner__leave_date__isnull=True) | Q(customer__owner__leave_date__gte=today)
    )


def _numbered(purchases):
    """Purchases with their visit number per customer (1 = the first), oldest first."""
    return purchases.annotate(
        visit=Window(
            RowNumber(),
            partition_by=[F("customer_id")],
            order_by=[F("occurred_at").asc(), F("pk").asc()],
        )
    )


def returning_customers(organization, threshold: int, today: dt.date):
    """Each owned customer's visit number `threshold + 1` (their `threshold`-th return),
    credited to the account's owner: one window query over the purchases."""
    from servicechain.recognition.achievements import Candidate

    nth = (
        _numbered(_purchases(organization, today))
        .filter(visit=threshold + 1)
        .values_list("customer__owner_id", "customer_id", "occurred_at")
    )
    return [
        Candidate(
            employee_id=owner_id,
            key=f"returns:{customer_id}",
            occurred_at=when,
            context={"customer": customer_id},
        )
        for owner_id, customer_id, when in nth
    ]


def returning_evidence(organization, threshold: int, candidates) -> dict:
    """The first visit and each return up to the threshold (what the award page lists)."""
    if not candidates:
        return {}
    zone, currency = timezone.get_current_timezone(), organization.currency
    owner = {c.context["customer"]: (c.employee_id, c.key) for c in candidates}
    ids = list(owner)
    out: dict[tuple[int, str], list[dict]] = {}
    for start in range(0, len(ids), 5000):
        rows = (
            _numbered(Transaction.objects.filter(customer_id__in=ids[start : start + 5000]))
            .filter(visit__lte=min(threshold, SHOWN_VISITS) + 1)
            .order_by("customer_id", "occurred_at", "pk")
            .values_list("customer_id", "visit", "customer__name", "occurred_at", "amount")
        )
        for customer_id, visit, name, when, amount in rows.iterator(chunk_size=5000):
            local = when.astimezone(zone)
            out.setdefault(owner[customer_id], []).append(
                {
                    "label": "First visit" if visit == 1 else f"Came back ({visit - 1})",
                    "when": when.isoformat(),
                    "detail": f"{name} bought for {amount} {currency} on {local:%-d %b %Y}",
                }
            )
    return out


def register() -> None:
    from servicechain.recognition.achievements import register_rule_kind

    register_rule_kind(
        KIND,
        label="Loyal customer",
        describe=lambda t: f"a customer you look after came back {t} time{'s' if t != 1 else ''}",
        find=returning_customers,
        explain=returning_evidence,
        default_threshold=3,
    )
