"""Demo data of loyalty, run by servicechain.demo after the organisation is in place.

A programme from the demo's first month, changed once half-way (the visit points rise from
the next month on: what was earned before stays as it was); every purchase earns; some
members redeem, a few purchases are returned; points of long-inactive members expire. A
third of the customers own a product needing service (from `simulate.assets`), some due this
week, and one of them belongs to the demo employee; the products the shop services itself
carry its service code (`SERVICE_CODES`), so a purchase of that service closes the reminder.
Accounts of people who left are handed
over: all confirmed, except one leaver's in the demo manager's area, which await them.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

TIERS = [
    {"name": "Member", "threshold": "0", "benefits": "Points on every visit"},
    {"name": "Silver", "threshold": "400", "benefits": "Free annual check-up"},
    {"name": "Gold", "threshold": "1500", "benefits": "Priority service and 10% off labour"},
]
REDEEM_BLOCK = 250  # points redeemed at a time by the demo's redeemers
REDEEMERS = 150
RETURNS = 40
# Shorter than the demo's year of history, so some long-inactive members' points do expire
# (and the liability's redemption rate has expiries to learn from).
EXPIRY_MONTHS = 6
# The demo shop's service products, by the product they service: a purchase or visit with the
# code records the service. Hearing aids and lawn mowers are serviced elsewhere (no code), so
# their reminders close only when someone records the service on the card.
SERVICE_CODES = {
    "Boiler": "BOILER-SVC",
    "Bicycle": "BIKE-SVC",
    "Car": "CAR-SVC",
    "Coffee machine": "COFFEE-SVC",
}


def seed_demo(*, organization, synthetic, today=None, progress=lambda message: None) -> None:
    from servicechain.org.models import Transaction

    from . import services

    today = today or timezone.localdate()
    now = timezone.make_aware(dt.datetime.combine(today, dt.time(6, 0)))
    first = Transaction.objects.filter(organization=organization).order_by("occurred_at").first()
    if first is None:
        return
    start = timezone.localdate(first.occurred_at).replace(day=1)
    with transaction.atomic():
        _programme(organization, start=start, today=today)
        purchases = Transaction.objects.filter(organization=organization).only(
            "pk", "customer_id", "amount", "occurred_at"
        )
        written = services.ledger_earn(organization=organization, transactions=purchases, now=now)
        progress(f"  {written:>9,} loyalty ledger entries from the purchases")
        _consent(organization, synthetic)
        _redemptions(organization, now=now)
        _returns(organization, now=now)
        expired = services.expiry_run(organization=organization, now=now)
        progress(
            f"  {expired:>9,} lots of points expired after {EXPIRY_MONTHS} months without a visit"
        )
        raised = _assets(organization, synthetic, today=today)
        progress(f"  {raised:>9,} service reminders raised")
        waiting = _handovers(organization, today=today)
        progress(f"  {waiting:>9,} account hand-overs await the demo manager")


def _programme(organization, *, start: dt.date, today: dt.date) -> None:
    from . import services

    settings = {
        "name": "Northwind Rewards",
        "points_per_visit": 10,
        "visit_min_spend": "10.00",
        "points_per_spend_unit": 1,
        "spend_unit": "1.00",
        "point_value": "0.01",
        "tiers": TIERS,
        "expiry_months": EXPIRY_MONTHS,
        "return_window_days": 30,
        "reminder_lead_days": 14,
    }
    services.programme_save(organization=organization, effective_from=start, **settings)
    # Half-way through, visits became worth more: from the month after the change only.
    middle = start + (today - start) / 2
    services.programme_save(organization=organization, today=middle, points_per_visit=15)


def _consent(organization, synthetic) -> None:
    from servicechain.simulate.assets import simulate_email_consent

    from .models import Account

    seed = int(synthetic.ground_truth.get("seed", 0))
    agreed = simulate_email_consent(synthetic.customers, seed=seed)
    yes = [external_id for external_id, value in agreed.items() if value]
    Account.objects.filter(organization=organization, customer__external_id__in=yes).update(
        email_opt_in=True
    )


def _redemptions(organization, *, now: dt.datetime) -> None:
    from . import selectors, services
    from .models import Account

    accounts = Account.objects.filter(organization=organization).select_related("customer")
    done = 0
    for account in accounts.order_by("customer__external_id"):
        if done >= REDEEMERS:
            break
        if selectors.balance(account.customer) >= 2 * REDEEM_BLOCK:
            services.redemption_create(
                customer=account.customer, points=REDEEM_BLOCK, reference="demo", now=now
            )
            done += 1


def _returns(organization, *, now: dt.datetime) -> None:
    """A few recent purchases come back, some whole, some in part."""
    from servicechain.org.models import Transaction

    from . import services

    recent = Transaction.objects.filter(
        organization=organization, occurred_at__gte=now - dt.timedelta(days=25)
    ).order_by("external_id")[:RETURNS]
    for number, purchase in enumerate(recent):
        amount = (
            purchase.amount if number % 2 == 0 else (purchase.amount / 2).quantize(Decimal("0.01"))
        )
        services.return_record(
            organization=organization,
            purchase=purchase,
            amount=amount,
            external_id=f"RET-{purchase.external_id}",
            occurred_at=min(now, purchase.occurred_at + dt.timedelta(days=3)),
            now=now,
        )


def _assets(organization, synthetic, *, today: dt.date) -> int:
    from servicechain.org.models import Customer
    from servicechain.simulate.assets import simulate_assets

    from . import reminders
    from .models import Asset

    seed = int(synthetic.ground_truth.get("seed", 0))
    frame = simulate_assets(synthetic.customers, seed=seed, today=today)
    ids = dict(Customer.objects.filter(organization=organization).values_list("external_id", "pk"))
    Asset.objects.bulk_create(
        [
            Asset(
                organization=organization,
                customer_id=ids[row.customer_external_id],
                name=row.name,
                service_code=SERVICE_CODES.get(row.name, ""),
                interval_days=row.interval_days,
                interval_usage=None
                if row.interval_usage != row.interval_usage
                else row.interval_usage,
                usage_unit=row.usage_unit,
                usage_per_day=None
                if row.usage_per_day != row.usage_per_day
                else Decimal(str(row.usage_per_day)),
                last_service_on=row.last_service_on,
                usage_at_last_service=int(row.usage_at_last_service),
            )
            for row in frame.itertuples()
            if row.customer_external_id in ids
        ]
    )
    _employee_product(organization, today=today)
    return reminders.reminders_refresh(organization=organization, today=today)


def _employee_product(organization, *, today: dt.date) -> None:
    """The demo employee's own customer has a boiler due in three days (the browser tour)."""
    from django.contrib.auth import get_user_model

    from .models import Asset

    user = get_user_model().objects.filter(username="employee").select_related("employee").first()
    employee = getattr(user, "employee", None) if user else None
    if employee is None:
        return
    customer = employee.owned_customers.order_by("external_id").first()
    if customer is None:
        customer = (
            organization.customers.filter(owner__unit=employee.unit).order_by("external_id").first()
        )
        if customer is None:
            return
        customer.owner = employee
        customer.save(update_fields=["owner"])
    Asset.objects.create(
        organization=organization,
        customer=customer,
        name="Boiler",
        service_code=SERVICE_CODES["Boiler"],
        interval_days=365,
        last_service_on=today + dt.timedelta(days=3) - dt.timedelta(days=365),
    )


def _handovers(organization, *, today: dt.date) -> int:
    """Hand over every leaver's accounts; the demo manager confirms all but one leaver's."""
    from django.db.models import Count

    from servicechain.demo import pick_manager_unit
    from servicechain.org.models import Employee

    from . import ownership
    from .models import Handover

    area = pick_manager_unit(organization)
    leavers = (
        Employee.objects.filter(
            organization=organization,
            leave_date__isnull=False,
            leave_date__lte=today,
            unit__path__startswith=area.path,
        )
        .annotate(accounts=Count("owned_customers"))
        .filter(accounts__gt=0)
        .order_by("-leave_date", "pk")
    )
    kept = leavers.first()
    if kept is None:
        kept = _a_leaver(organization, area, today=today)
    ownership.leavers_process(organization=organization, today=today)
    confirmed = Handover.objects.filter(organization=organization).exclude(from_employee=kept)
    confirmed.update(status=Handover.Status.CONFIRMED, decided_at=timezone.now())
    return Handover.objects.filter(
        organization=organization, status=Handover.Status.PROPOSED
    ).count()


def _a_leaver(organization, area, *, today: dt.date):
    """When no one in the area who left owned accounts, a colleague who owns some leaves
    today (an ordinary record, not a demo login's)."""
    from django.db.models import Count

    from servicechain.org.models import Employee

    leaver = (
        Employee.objects.filter(
            organization=organization,
            leave_date__isnull=True,
            unit__path__startswith=area.path,
            user__isnull=True,
            is_manager=False,
        )
        .annotate(accounts=Count("owned_customers"))
        .filter(accounts__gt=1)
        .order_by("-accounts", "pk")
        .first()
    )
    if leaver is not None:
        Employee.objects.filter(pk=leaver.pk).update(leave_date=today)
    return leaver
