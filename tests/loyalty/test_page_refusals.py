"""The manager's and admin's forms refuse bad input with a 422 on the same page and the
reason, and change nothing (a hand-over to a leaver or to nobody listed, a month that is not
a month); the page read again shows it as it was."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
import time_machine
from django.urls import reverse

from servicechain.loyalty import ownership
from servicechain.loyalty.models import Handover, LiabilityStatement
from servicechain.org.models import Employee, Membership
from tests.factories import EmployeeFactory, member

from .helpers import buy, moment, shop

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 3, 2)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(moment(DAY), tick=False):
        yield


def text(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())))


def test_a_handover_to_a_leaver_or_an_unknown_colleague_is_refused_on_the_page(client):
    organization, store, leaver, customer = shop()
    successor = EmployeeFactory(organization=organization, unit=store, last_name="Successor")
    gone = EmployeeFactory(organization=organization, unit=store, leave_date=dt.date(2026, 2, 1))
    Employee.objects.filter(pk=leaver.pk).update(leave_date=DAY)
    [handover] = ownership.leavers_process(organization=organization, today=DAY)
    client.force_login(member(organization, Membership.Role.MANAGER, unit=store))
    url = reverse("loyalty:confirm_handover", args=[organization.slug, handover.pk])
    unknown = client.post(url, {"to_employee": "999999"})
    assert unknown.status_code == 422
    assert "Choose one of the colleagues listed." in text(unknown)
    to_leaver = client.post(url, {"to_employee": str(gone.pk)})
    assert to_leaver.status_code == 422 and "has left" in text(to_leaver)
    assert Handover.objects.get(pk=handover.pk).status == Handover.Status.PROPOSED
    customer.refresh_from_db()
    assert customer.owner == successor
    page = client.get(reverse("loyalty:handovers", args=[organization.slug]))
    assert f'data-handover="{handover.pk}"' in page.content.decode()


def test_closing_a_month_that_is_not_a_month_is_refused_and_nothing_closes(client):
    organization, _, _, customer = shop()
    buy(customer, "40.00", moment(dt.date(2026, 1, 10)))
    client.force_login(member(organization, Membership.Role.ADMIN))
    url = reverse("loyalty:close_month", args=[organization.slug])
    refused = client.post(url, {"month": "January"})
    assert refused.status_code == 422
    assert "Give the month as YYYY-MM-01." in text(refused) and "Loyalty programme" in text(refused)
    open_month = client.post(url, {"month": "2026-03-01"})  # not finished yet
    assert open_month.status_code == 422
    assert not LiabilityStatement.objects.filter(organization=organization).exists()
    page = text(client.get(reverse("loyalty:programme", args=[organization.slug])))
    assert "Jan 2026" in page and "GBP closed" not in page
