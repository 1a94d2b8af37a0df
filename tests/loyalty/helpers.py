"""Small builders for loyalty tests: an organisation with a programme, customers, purchases."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

from django.utils import timezone

from servicechain.loyalty import services
from servicechain.org.models import Transaction
from tests.factories import CustomerFactory, EmployeeFactory, OrganizationFactory, make_unit

START = dt.date(2026, 1, 1)
_ids = itertools.count(1)


def moment(day: dt.date, hour: int = 12) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def programme(organization, **fields):
    settings = {
        "points_per_visit": 10,
        "visit_min_spend": "5.00",
        "points_per_spend_unit": 1,
        "spend_unit": "1.00",
        "point_value": "0.01",
        "return_window_days": 0,
        "expiry_months": 12,
        "tiers": [
            {"name": "Member", "threshold": "0", "benefits": "Points on every visit"},
            {"name": "Silver", "threshold": "200", "benefits": "Free check-up"},
            {"name": "Gold", "threshold": "1000", "benefits": "Priority service"},
        ],
    }
    settings.update(fields)
    return services.programme_save(organization=organization, effective_from=START, **settings)


def shop(**fields):
    """An organisation with a store, an employee, a customer they own, and a programme."""
    organization = OrganizationFactory()
    store = make_unit(organization, "Store")
    employee = EmployeeFactory(organization=organization, unit=store)
    customer = CustomerFactory(organization=organization, owner=employee)
    programme(organization, **fields)
    return organization, store, employee, customer


def buy(customer, amount, when: dt.datetime, employee=None) -> Transaction:
    purchase, _ = services.transaction_record(
        organization=customer.organization,
        customer=customer,
        external_id=f"t-{next(_ids)}",
        amount=Decimal(str(amount)),
        occurred_at=when,
        employee=employee,
    )
    return purchase
