"""Text no database stores — a NUL character — is refused with a 422 naming the field, on
PostgreSQL as on SQLite (PostgreSQL rejected it with a 500), and nothing is written: the
API's bodies, and the services behind the pages and imports."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.exceptions import ValidationError

from servicechain.loyalty import reminders, services
from servicechain.loyalty.models import Entry, Reminder, Return
from servicechain.org.models import Membership, Transaction
from tests.factories import member

from .helpers import buy, moment, shop

pytestmark = pytest.mark.django_db
NUL = "\u0000"


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("transactions", {"external_id": f"T{NUL}1", "amount": "5"}, "external_id"),
        (
            "transactions",
            {"external_id": "T1", "customer_external_id": NUL},
            "customer_external_id",
        ),
        ("returns", {"external_id": f"R{NUL}", "transaction_external_id": "P1"}, "external_id"),
        (
            "returns",
            {"external_id": "R1", "transaction_external_id": f"P{NUL}"},
            "transaction_external_id",
        ),
        ("redemptions", {"points": 1, "reference": f"x{NUL}y"}, "reference"),
    ],
)
def test_a_nul_character_in_the_api_is_a_422_naming_the_field(client, path, body, field):
    organization, _, _, customer = shop()
    purchase = buy(customer, "40.00", moment(dt.date(2026, 1, 5)))
    Transaction.objects.filter(pk=purchase.pk).update(external_id="P1")
    client.force_login(member(organization, Membership.Role.ADMIN))
    body = {"customer_external_id": customer.external_id, "amount": "1", **body}
    before = (Entry.objects.count(), Transaction.objects.count(), Return.objects.count())
    response = client.post(
        f"/api/orgs/{organization.slug}/loyalty/{path}",
        data=json.dumps(body),
        content_type="application/json",
    )
    assert response.status_code == 422, response.content
    detail = response.json()["detail"]
    assert detail.startswith(f"{field}:") and "NUL character; remove it." in detail
    assert (Entry.objects.count(), Transaction.objects.count(), Return.objects.count()) == before


def test_a_declined_service_note_with_a_nul_is_refused_and_the_reminder_stays_as_it_was():
    organization, _, _, customer = shop()
    reminders.asset_create(
        customer=customer, name="Boiler", interval_days=365, last_service_on=dt.date(2025, 1, 5)
    )
    reminders.reminders_refresh(organization=organization, today=dt.date(2026, 1, 1))
    reminder = Reminder.objects.get(customer=customer)
    with pytest.raises(ValidationError, match="NUL"):
        reminders.reminder_decline(reminder=reminder, note=f"too dear{NUL}")
    reminder.refresh_from_db()
    assert reminder.declined_on is None and reminder.declined_note == ""
    with pytest.raises(ValidationError, match="NUL"):
        services.redemption_create(customer=customer, points=1, reference=NUL)
