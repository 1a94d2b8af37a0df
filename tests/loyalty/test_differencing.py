"""Differencing over time on repeat business (API): a purchase recorded late, or a customer
handed over to another store, moves no finished month anyone has read.

The attack: HR — who may not open a customer's card — reads repeat business by store, then a
customer of Big is handed over to Middle (or a purchase dated last month is posted late) and
reads again. Finished months were recomputed from the records as they are now, grouped by
each customer's owner today, so both stores' months moved by exactly that customer's
purchases: their spend month by month. Finished months are now published once, the first
time the figures are read after the month ends, and never recomputed.
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from servicechain.org.models import Membership
from tests.factories import CustomerFactory, EmployeeFactory, OrganizationFactory, make_unit, member

from .helpers import buy, moment, programme

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 3, 16)
JAN, FEB = dt.date(2026, 1, 10), dt.date(2026, 2, 10)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(moment(TODAY), tick=False):
        yield


def stores():
    """Big (7 customers) and Middle (6) of an organisation of min group 5; every customer
    bought in January and February."""
    organization = OrganizationFactory(min_group_size=5)
    programme(organization)
    owners, customers = {}, {}
    for name, size in (("Big", 7), ("Middle", 6)):
        store = make_unit(organization, name)
        owners[name] = EmployeeFactory(organization=organization, unit=store)
        customers[name] = [
            CustomerFactory(organization=organization, owner=owners[name]) for _ in range(size)
        ]
        for n, customer in enumerate(customers[name]):
            buy(customer, f"{20 + n}.00", moment(JAN))
            buy(customer, f"{30 + n}.00", moment(FEB))
    hr = member(organization, Membership.Role.HR_ANALYST, username="hr")
    return organization, hr, owners, customers


def readings(client, organization) -> dict:
    out = {}
    for by in ("unit", "owner", "employee"):
        response = client.get(f"/api/orgs/{organization.slug}/loyalty/repeat-business?by={by}")
        assert response.status_code == 200
        out[by] = response.json()
    return out


def test_a_hand_over_moves_no_finished_month(client):
    organization, hr, owners, customers = stores()
    client.force_login(hr)
    before = readings(client, organization)
    assert any(r["spend"] for r in before["unit"])
    moved = customers["Big"][0]
    moved.owner = owners["Middle"]
    moved.save()
    assert readings(client, organization) == before


def test_a_purchase_posted_late_moves_no_finished_month(client):
    organization, hr, _, customers = stores()
    client.force_login(hr)
    before = readings(client, organization)
    buy(customers["Middle"][2], "99.00", moment(FEB + dt.timedelta(days=3)))
    assert readings(client, organization) == before


def test_a_month_is_published_when_it_ends(client):
    organization, hr, _, customers = stores()
    client.force_login(hr)
    readings(client, organization)
    buy(customers["Middle"][2], "99.00", moment(TODAY))
    with time_machine.travel(moment(dt.date(2026, 4, 2)), tick=False):
        client.force_login(hr)  # a new day's session
        rows = readings(client, organization)["unit"]
    assert {r["month"] for r in rows} == {"2026-01", "2026-02", "2026-03"}
