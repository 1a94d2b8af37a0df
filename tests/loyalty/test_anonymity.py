"""Figures about groups of customers reach people through the anonymity gate: repeat business
by group (API), the programme dashboard's repeat rate and members per tier. Finished months
only, so one more purchase today never moves a figure someone has read."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse

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


def stores(sizes: dict[str, int]):
    """An organisation (min group 5) whose stores' customers each bought in January and
    February; returns the organisation, HR's login and each store's customers."""
    organization = OrganizationFactory(min_group_size=5)
    programme(organization)
    customers = {}
    for name, size in sizes.items():
        store = make_unit(organization, name)
        owner = EmployeeFactory(organization=organization, unit=store)
        customers[name] = [
            CustomerFactory(organization=organization, owner=owner) for _ in range(size)
        ]
        for customer in customers[name]:
            buy(customer, "20.00", moment(JAN))
            buy(customer, "30.00", moment(FEB))
    hr = member(organization, Membership.Role.HR_ANALYST, username="hr")
    return organization, hr, customers


def repeat_rows(client, organization, by="unit"):
    response = client.get(f"/api/orgs/{organization.slug}/loyalty/repeat-business?by={by}")
    assert response.status_code == 200
    return response.json()


def test_a_store_of_two_customers_is_withheld_and_so_is_the_next_smallest(client):
    organization, hr, _ = stores({"Big": 7, "Small": 2, "Middle": 6})
    client.force_login(hr)
    rows = {(r["group"], r["month"]): r for r in repeat_rows(client, organization)}
    units = {u.name: u.pk for u in organization.units.all()}
    small, middle, big = (rows[(units[n], "2026-02")] for n in ("Small", "Middle", "Big"))
    assert small["suppressed"] and small["customers"] is None and small["spend"] is None
    # Small alone could be read as the organisation's total minus the other two
    assert middle["suppressed"] and middle["spend_per_customer"] is None
    assert not big["suppressed"]
    assert big["customers"] == 7 and big["spend"] == 210.0 and big["repeat_rate"] == 1.0
    assert small["repeat_rate"] is None and small["repeat_suppressed"]


def test_repeat_business_shows_finished_months_only(client):
    organization, hr, customers = stores({"Big": 7, "Other": 6})
    client.force_login(hr)
    before = repeat_rows(client, organization)
    buy(customers["Big"][0], "99.00", moment(TODAY))  # the month in progress
    after = repeat_rows(client, organization)
    assert after == before
    assert {r["month"] for r in after} == {"2026-01", "2026-02"}


def test_repeat_business_by_serving_employee_withholds_a_small_book(client):
    organization, hr, customers = stores({"Big": 7, "Other": 6})
    lone = EmployeeFactory(organization=organization, unit=organization.units.first())
    buy(customers["Other"][0], "10.00", moment(FEB), employee=lone)
    client.force_login(hr)
    rows = repeat_rows(client, organization, by="employee")
    mine = [r for r in rows if r["group"] == lone.pk]
    assert mine and all(r["suppressed"] and r["customers"] is None for r in mine)


def dashboard_text(client, organization) -> str:
    page = client.get(reverse("loyalty:programme", args=[organization.slug]))
    assert page.status_code == 200
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.content.decode()))


def test_the_dashboard_repeat_rate_is_the_last_finished_month_and_stays_put(client):
    organization, hr, customers = stores({"Big": 7, "Other": 6})
    client.force_login(hr)
    before = repeat_section(dashboard_text(client, organization))
    assert before.startswith("Repeat-customer rate 100% of the customers who bought in the ")
    assert "before 2026-02 bought again in it (the last finished month)" in before
    assert "2026-02: 100%" in before
    buy(customers["Big"][0], "99.00", moment(TODAY))
    after = repeat_section(dashboard_text(client, organization))
    assert after == before and "2026-03" not in after


def test_a_purchase_posted_late_for_a_finished_month_moves_no_repeat_rate(client):
    """The organisation's rate for February is published when February is first read after
    it ends; a February purchase posted afterwards (one customer coming back) must not move
    it, or the difference names that customer's visit."""
    organization, hr, customers = stores({"Big": 7, "Other": 6})
    late = CustomerFactory(organization=organization, owner=customers["Big"][0].owner)
    buy(late, "15.00", moment(JAN))  # 14 January buyers, 13 of them back in February
    client.force_login(hr)
    before = repeat_section(dashboard_text(client, organization))
    assert "Repeat-customer rate 93%" in before and "2026-02: 93%" in before
    buy(late, "25.00", moment(FEB + dt.timedelta(days=3)))  # recorded now, dated February
    after = repeat_section(dashboard_text(client, organization))
    assert after == before


def repeat_section(text: str) -> str:
    """The headline and the chart's text alternative of the repeat-customer rate."""
    headline = re.search(r"Repeat-customer rate \S+ [^.]*?(?= Liability )", text).group(0)
    chart = re.search(r"Share of each finished month's[^.]*\.", text).group(0)
    return f"{headline} | {chart}"


def test_the_dashboard_withholds_the_repeat_rate_of_a_month_with_few_previous_buyers(client):
    organization, hr, _ = stores({"Tiny": 3})
    client.force_login(hr)
    text = dashboard_text(client, organization)
    assert "withheld for 2026-02: fewer than 5 customers" in text
    assert "100%" not in text


def test_a_tier_with_few_members_is_withheld_on_the_dashboard(client):
    organization, hr, customers = stores({"Big": 9})
    for customer in customers["Big"][:2]:  # 2 reach Silver (200 points)
        buy(customer, "300.00", moment(FEB))
    client.force_login(hr)
    text = dashboard_text(client, organization)
    assert "Silver withheld (fewer than 5)" in text
    # Member alone would give Silver away as 9 minus it
    assert "Member withheld (fewer than 5)" in text
    assert "Silver 2" not in text and "Member 7" not in text
