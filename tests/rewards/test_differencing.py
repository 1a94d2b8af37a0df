"""Attacks on rewards' figures about groups of customers, found and reported, now closed: a
repeat-rate component is gated on the customers behind it (and pays nothing below the
minimum group size), and a gaming flag counts the comments that say a score was asked for
instead of quoting one.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client

from servicechain.loyalty import services as loyalty_services
from servicechain.rewards import services
from tests.factories import CustomerFactory
from tests.rewards.helpers import (
    SEPTEMBER,
    approve_and_lock,
    build_org,
    csat_plan,
    customer_wave,
    moment,
    preview,
    ratings,
)

pytestmark = pytest.mark.django_db


def buy(org, customer, day: dt.date, n: int):
    loyalty_services.transaction_record(
        organization=org.organization,
        customer=customer,
        external_id=f"t-{customer.pk}-{day.isoformat()}-{n}",
        amount=Decimal("20.00"),
        occurred_at=moment(day),
        employee=None,
    )


def test_a_units_repeat_rate_about_two_customers_is_not_on_its_employees_statements():
    """North's book is two customers, both back in September: every employee of North read
    'your unit's repeat-business rate was 100.0' — whether each of two people came back."""
    org = build_org(team_size=3, min_n=5)
    for _ in range(2):
        customer = CustomerFactory(organization=org.organization, owner=org.people["north0"])
        for n, day in enumerate((dt.date(2026, 8, 10), dt.date(2026, 9, 10))):
            buy(org, customer, day, n)
    services.plan_build(
        organization=org.organization,
        actor=org.users["admin"],
        name="Store repeat business",
        period="month",
        components=[
            {
                "name": "Repeat business",
                "metric": "repeat_rate",
                "scope": "unit",
                "min_responses": 1,
                "baseline_months": None,
                "threshold": "0",
                "rate": "1",
            }
        ],
        effective_from=SEPTEMBER,
    )
    approve_and_lock(org, preview(org))
    client = Client()
    client.force_login(org.users["north1"])
    page = client.get(f"/o/{org.organization.slug}/rewards/").content.decode()
    assert "Repeat business" in page
    assert "was 100.0" not in page


def test_a_gaming_flag_quotes_no_single_customers_comment():
    """One customer of north0 wrote a comment; the flag showed it, word for word, beside the
    employee who served them in the month — a comment of a group of one, with an attribute."""
    org = build_org(team_size=3, min_n=5)
    wave = customer_wave(org)
    csat_plan(org)
    day = SEPTEMBER + dt.timedelta(days=3)
    ratings(wave, org.people["north0"], day, [5] * 11)
    ratings(
        wave, org.people["north0"], day, [5], comment="Jo asked me to give five, odd on my birthday"
    )
    preview(org)
    client = Client()
    client.force_login(org.users["admin"])
    run = services.PayoutRun.objects.get(organization=org.organization)
    page = client.get(f"/o/{org.organization.slug}/rewards/runs/{run.pk}/").content.decode()
    assert "asked for a score" in page or "asked" in page
    assert "birthday" not in page
