"""Pages and API: the owner (or whoever served them) sees a customer's card, a member of
another unit or organisation does not, an anonymous visitor is sent to log in; bad input is
a 4xx with one clear line and changes nothing."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.urls import reverse

from servicechain.loyalty import reminders, selectors
from servicechain.loyalty.models import Entry, Reminder
from servicechain.org.models import Membership
from tests.factories import CustomerFactory, EmployeeFactory, OrganizationFactory, make_unit, member

from .helpers import buy, moment, shop

pytestmark = pytest.mark.django_db
User = get_user_model()
DAY = dt.date(2026, 3, 2)
Role = Membership.Role


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(moment(DAY), tick=False):
        yield


@pytest.fixture
def world():
    organization, store, employee, customer = shop()
    user = member(organization, Role.EMPLOYEE, unit=store, username="owner")
    employee.user = user
    employee.save()
    other_store = make_unit(organization, "Other store")
    outsider = member(organization, Role.EMPLOYEE, unit=other_store, username="outsider")
    EmployeeFactory(organization=organization, unit=other_store, user=outsider)
    buy(customer, "42.00", moment(DAY))
    reminders.asset_create(
        customer=customer, name="Boiler", interval_days=365, last_service_on=dt.date(2025, 3, 5)
    )
    reminders.reminders_refresh(organization=organization, today=DAY)
    return organization, customer


def log_in(client, username: str) -> None:
    client.force_login(User.objects.get(username=username))


def card_url(organization, customer):
    return reverse("loyalty:customer", args=[organization.slug, customer.pk])


def api(client, method, path, body=None):
    call = getattr(client, method)
    if body is None:
        return call(path)
    return call(path, data=json.dumps(body), content_type="application/json")


def test_the_owner_reads_the_card_with_tier_points_and_due_service(client, world):
    organization, customer = world
    log_in(client, "owner")
    page = client.get(card_url(organization, customer))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Member" in text and "Boiler" in text and ">52<" in text


def test_a_member_of_another_unit_or_organisation_gets_404(client, world):
    organization, customer = world
    log_in(client, "outsider")
    assert client.get(card_url(organization, customer)).status_code == 404
    assert (
        api(
            client, "get", f"/api/orgs/{organization.slug}/loyalty/customers/{customer.pk}"
        ).status_code
        == 404
    )
    stranger_org = OrganizationFactory()
    member(stranger_org, Role.ADMIN, username="stranger")
    log_in(client, "stranger")
    assert client.get(card_url(organization, customer)).status_code == 404


def test_an_anonymous_visitor_is_sent_to_log_in(client, world):
    organization, customer = world
    response = client.get(card_url(organization, customer))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert api(client, "get", f"/api/orgs/{organization.slug}/loyalty/due").status_code == 401


def test_an_employee_who_served_the_customer_reads_the_card(client, world):
    organization, customer = world
    server_user = member(organization, Role.EMPLOYEE, unit=customer.owner.unit, username="server")
    server = EmployeeFactory(organization=organization, unit=customer.owner.unit, user=server_user)
    other = CustomerFactory(organization=organization)
    buy(other, "5.00", moment(DAY), employee=server)
    log_in(client, "server")
    assert client.get(card_url(organization, other)).status_code == 200


def test_hr_reads_the_programme_but_no_customer_card(client, world):
    organization, customer = world
    member(organization, Role.HR_ANALYST, username="hr")
    log_in(client, "hr")
    assert client.get(reverse("loyalty:programme", args=[organization.slug])).status_code == 200
    assert client.get(card_url(organization, customer)).status_code == 404


def test_employees_cannot_open_the_programme_or_the_handovers(client, world):
    organization, _ = world
    log_in(client, "owner")
    assert client.get(reverse("loyalty:programme", args=[organization.slug])).status_code == 403
    assert client.get(reverse("loyalty:handovers", args=[organization.slug])).status_code == 403


def test_the_api_records_a_purchase_and_a_return(client, world):
    organization, customer = world
    log_in(client, "owner")
    base = f"/api/orgs/{organization.slug}/loyalty"
    created = api(
        client,
        "post",
        f"{base}/transactions",
        {
            "external_id": "API-1",
            "customer_external_id": customer.external_id,
            "amount": "20.00",
        },
    )
    assert created.status_code == 201, created.content
    assert created.json()["balance"] == 52 + 30
    returned = api(
        client,
        "post",
        f"{base}/returns",
        {
            "external_id": "RET-1",
            "transaction_external_id": "API-1",
            "amount": "20.00",
        },
    )
    assert returned.status_code == 201 and returned.json()["balance"] == 52


@pytest.mark.parametrize(
    ("path", "body", "status", "message"),
    [
        (
            "transactions",
            {"external_id": "X", "customer_external_id": "NOBODY", "amount": "5"},
            404,
            "No customer 'NOBODY'",
        ),
        (
            "transactions",
            {"external_id": "X", "customer_external_id": "{customer}", "amount": "-5"},
            422,
            "above zero",
        ),
        (
            "returns",
            {"external_id": "R", "transaction_external_id": "UNKNOWN", "amount": "5"},
            404,
            "No purchase 'UNKNOWN'",
        ),
        (
            "redemptions",
            {"customer_external_id": "{customer}", "points": 9999},
            422,
            "Cannot redeem 9,999 points",
        ),
        ("redemptions", {"customer_external_id": "{customer}", "points": -1}, 422, "above zero"),
        (  # was a 500: quantizing it overflowed the decimal context
            "transactions",
            {"external_id": "X", "customer_external_id": "{customer}", "amount": "1e400"},
            422,
            "too large an amount",
        ),
        (
            "transactions",
            {"external_id": "X", "customer_external_id": "{customer}", "amount": "1e30"},
            422,
            "too large an amount",
        ),
    ],
)
def test_bad_input_is_a_clear_4xx_and_changes_nothing(client, world, path, body, status, message):
    organization, customer = world
    log_in(client, "owner")
    body = {
        k: v.replace("{customer}", customer.external_id) if isinstance(v, str) else v
        for k, v in body.items()
    }
    before = Entry.objects.count()
    response = api(client, "post", f"/api/orgs/{organization.slug}/loyalty/{path}", body)
    assert response.status_code == status
    assert message in response.json()["detail"]
    assert Entry.objects.count() == before
    assert selectors.balance(customer) == 52


def test_recording_a_service_through_the_api_closes_the_reminder(client, world):
    organization, customer = world
    log_in(client, "owner")
    base = f"/api/orgs/{organization.slug}/loyalty"
    due = api(client, "get", f"{base}/due").json()
    assert [d["asset"] for d in due] == ["Boiler"]
    response = api(client, "post", f"{base}/reminders/{due[0]['id']}/service", {})
    assert response.status_code == 200
    assert Reminder.objects.get().status == Reminder.Status.DONE
    assert api(client, "get", f"{base}/due").json() == []


def test_the_card_page_records_a_service_and_bad_input_is_a_422_that_keeps_it(client, world):
    organization, customer = world
    log_in(client, "owner")
    reminder = Reminder.objects.get()
    url = reverse("loyalty:record_service", args=[organization.slug, reminder.pk])
    refused = client.post(url, {"usage": "lots"})
    assert refused.status_code == 422 and "Usage &#x27;lots&#x27; is not a whole number." in (
        refused.content.decode()
    )
    assert Reminder.objects.get().status == Reminder.Status.OPEN
    client.post(url)
    page = client.post(
        reverse("loyalty:redeem", args=[organization.slug, customer.pk]), {"points": "abc"}
    )
    text = page.content.decode()
    assert page.status_code == 422 and 'role="alert"' in text
    assert "&#x27;abc&#x27; is not a whole number of points." in text
    assert "No service due." in text and 'value="abc"' in text  # what was typed stays
    entries = Entry.objects.count()
    too_many = client.post(
        reverse("loyalty:redeem", args=[organization.slug, customer.pk]), {"points": "999999"}
    )
    assert too_many.status_code == 422 and 'value="999999"' in too_many.content.decode()
    assert Entry.objects.count() == entries  # refused: nothing written


def test_the_units_lists_link_only_the_cards_the_member_may_open(client, world):
    """An employee reads their unit's lists, but a colleague's customer is a name, not a
    link to a card that would answer 404; HR never reads the lists of named customers."""
    organization, mine = world
    store = mine.owner.unit
    colleague = EmployeeFactory(organization=organization, unit=store)
    theirs = CustomerFactory(organization=organization, owner=colleague, name="Colleague Kept")
    reminders.asset_create(
        customer=theirs, name="Bicycle", interval_days=90, last_service_on=dt.date(2025, 12, 1)
    )
    reminders.reminders_refresh(organization=organization, today=DAY)
    lists = reverse("loyalty:lists", args=[organization.slug])
    log_in(client, "owner")
    text = client.get(lists).content.decode()
    assert "Colleague Kept" in text and card_url(organization, theirs) not in text
    assert card_url(organization, mine) in text
    assert client.get(card_url(organization, theirs)).status_code == 404
    home = client.get(reverse("org:home", args=[organization.slug])).content.decode()
    assert card_url(organization, theirs) not in home and card_url(organization, mine) in home
    search = client.get(lists, {"q": "Colleague"}).content.decode()
    assert "No customer of yours is called" in search
    manager = member(organization, Role.MANAGER, unit=store, username="boss")
    client.force_login(manager)
    assert card_url(organization, theirs) in client.get(lists).content.decode()
    client.force_login(member(organization, Role.HR_ANALYST, username="hr"))
    assert client.get(lists).status_code == 403
    base = f"/api/orgs/{organization.slug}/loyalty"
    assert api(client, "get", f"{base}/due").status_code == 403
    assert api(client, "get", f"{base}/at-risk").status_code == 403
