"""A service's meter reading beyond what the usage column holds (or below 0) is refused with
a 422 and the range, through the API and on the card, and the reminder stays open (it was a
500: the database's integer overflowed)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import time_machine

from servicechain.loyalty import reminders
from servicechain.loyalty.models import Reminder
from servicechain.org.models import Membership
from tests.factories import member

from .helpers import moment, shop

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 3, 2)


@pytest.fixture
def due(client):
    with time_machine.travel(moment(DAY), tick=False):
        organization, store, employee, customer = shop()
        employee.user = member(organization, Membership.Role.EMPLOYEE, unit=store)
        employee.save()
        reminders.asset_create(
            customer=customer, name="Car", interval_days=365, last_service_on=dt.date(2025, 3, 5)
        )
        reminders.reminders_refresh(organization=organization, today=DAY)
        client.force_login(employee.user)
        yield organization, customer, Reminder.objects.get(customer=customer)


@pytest.mark.parametrize("usage", [2**31, 10**30, -1])
def test_a_reading_out_of_range_is_refused_and_the_reminder_stays_open(client, due, usage):
    organization, customer, reminder = due
    api = client.post(
        f"/api/orgs/{organization.slug}/loyalty/reminders/{reminder.pk}/service",
        data=json.dumps({"usage": usage}),
        content_type="application/json",
    )
    assert api.status_code == 422
    assert api.json()["detail"] == "usage: Usage is a whole number from 0 to 2,147,483,647."
    page = client.post(
        f"/o/{organization.slug}/loyalty/reminders/{reminder.pk}/service/", {"usage": str(usage)}
    )
    assert page.status_code == 422
    assert "Usage is a whole number from 0 to 2,147,483,647." in page.content.decode()
    reminder.refresh_from_db()
    assert reminder.status == Reminder.Status.OPEN


def test_the_largest_reading_closes_the_reminder(client, due):
    organization, customer, reminder = due
    page = client.post(
        f"/o/{organization.slug}/loyalty/reminders/{reminder.pk}/service/",
        {"usage": "2147483647"},
        follow=True,
    )
    assert "Service of Car recorded." in page.content.decode()
    reminder.refresh_from_db()
    assert reminder.status == Reminder.Status.DONE
    assert reminder.asset.usage_at_last_service == 2_147_483_647
