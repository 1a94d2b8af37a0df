"""A purchase or visit that carries a service code records that service on the customer's asset
with the code: its due reminder closes (by that purchase or visit, audited) and the service
clock restarts on the record's day — imported, posted through the API, or serviced early
without a reminder. A record older than the last service never winds the clock back."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pandas as pd
import pytest
import time_machine
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from servicechain.loyalty import reminders, selectors
from servicechain.loyalty.models import Asset, Reminder
from servicechain.org import services as org_services
from servicechain.org.access import scope_for
from servicechain.org.imports import ImportFailed
from servicechain.org.models import AuditEvent, Interaction, Membership, Transaction
from tests.factories import CustomerFactory, member

from .helpers import moment, shop

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 3, 2)
LAST_SERVICE = dt.date(2025, 3, 5)  # a yearly boiler service: due 5 March 2026, this week
CODE = "BOILER-SVC"


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(moment(DAY), tick=False):
        yield


@pytest.fixture
def due():
    """The owner's customer's boiler, coded, with its reminder open and due this week."""
    organization, store, employee, customer = shop()
    employee.user = member(organization, Membership.Role.EMPLOYEE, unit=store, username="owner")
    employee.save()
    asset = boiler(customer)
    reminders.reminders_refresh(organization=organization, today=DAY)
    return organization, employee, customer, asset, Reminder.objects.get(asset=asset)


def boiler(customer, **fields) -> Asset:
    values = {"name": "Boiler", "interval_days": 365, "last_service_on": LAST_SERVICE}
    values.update(fields)
    return reminders.asset_create(customer=customer, service_code=CODE, **values)


def import_rows(tmp_path, organization, kind: str, rows: list[dict], **options):
    path = tmp_path / f"{kind}.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return org_services.import_file(organization=organization, kind=kind, path=path, **options)


def purchase_row(customer, external_id="T1", when="2026-03-01T10:00:00Z", code=CODE) -> dict:
    return {
        "external_id": external_id,
        "customer_external_id": customer.external_id,
        "amount": "80.00",
        "occurred_at": when,
        "service_code": code,
    }


def visit_row(customer, employee, external_id="I1", when="2026-03-01T10:00:00Z") -> dict:
    return {
        "external_id": external_id,
        "customer_external_id": customer.external_id,
        "employee_external_id": employee.external_id,
        "channel": "in_person",
        "started_at": when,
        "service_code": CODE,
    }


def test_an_imported_purchase_with_the_code_closes_the_reminder_and_restarts_the_clock(
    tmp_path, due
):
    organization, _, customer, asset, reminder = due
    import_rows(tmp_path, organization, "transactions", [purchase_row(customer)])
    reminder.refresh_from_db()
    assert reminder.status == Reminder.Status.DONE
    assert reminder.closed_by_transaction == Transaction.objects.get(external_id="T1")
    asset.refresh_from_db()
    assert asset.last_service_on == dt.date(2026, 3, 1)
    assert rules_due(asset) == dt.date(2027, 3, 1)
    audit = AuditEvent.objects.get(action="loyalty.service_record")
    assert audit.target_id == str(reminder.pk)
    assert audit.detail == {"asset": "Boiler", "on": "2026-03-01", "by": "transaction T1"}
    assert reminders.reminders_refresh(organization=organization, today=DAY) == 0


def rules_due(asset) -> dt.date:
    return reminders.rules_engine.service_due(asset)[0]


def test_a_purchase_posted_through_the_api_with_the_code_closes_the_reminder(client, due):
    organization, employee, customer, asset, reminder = due
    client.force_login(employee.user)
    response = client.post(
        f"/api/orgs/{organization.slug}/loyalty/transactions",
        data=json.dumps(
            {
                "external_id": "API-1",
                "customer_external_id": customer.external_id,
                "amount": "80.00",
                "service_code": CODE,
            }
        ),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    reminder.refresh_from_db()
    assert reminder.status == Reminder.Status.DONE
    assert reminder.closed_by_transaction.external_id == "API-1"
    asset.refresh_from_db()
    assert asset.last_service_on == DAY
    audit = AuditEvent.objects.get(action="loyalty.service_record")
    assert audit.actor == employee.user


def test_the_api_shows_the_code_a_purchase_needs_to_close_a_due_service(client, due):
    organization, employee, _, _, reminder = due
    client.force_login(employee.user)
    listed = client.get(f"/api/orgs/{organization.slug}/loyalty/due").json()
    assert [(r["id"], r["service_code"]) for r in listed] == [(reminder.pk, CODE)]


def test_an_imported_visit_with_the_code_closes_the_reminder(tmp_path, due):
    organization, employee, customer, asset, reminder = due
    import_rows(tmp_path, organization, "interactions", [visit_row(customer, employee)])
    reminder.refresh_from_db()
    assert reminder.status == Reminder.Status.DONE
    assert reminder.closed_by_interaction == Interaction.objects.get(external_id="I1")
    asset.refresh_from_db()
    assert asset.last_service_on == dt.date(2026, 3, 1)


def test_the_closed_reminder_leaves_the_units_due_this_week_list_and_page(client, tmp_path, due):
    organization, employee, customer, _, reminder = due
    scope = scope_for(employee.user, organization.slug)
    lists = reverse("loyalty:lists", args=[organization.slug])
    client.force_login(employee.user)
    assert list(selectors.due_this_week(scope, today=DAY)) == [reminder]
    assert f'data-reminder="{reminder.pk}"' in client.get(lists).content.decode()
    import_rows(tmp_path, organization, "transactions", [purchase_row(customer)])
    assert list(selectors.due_this_week(scope, today=DAY)) == []
    page = client.get(lists).content.decode()
    assert f'data-reminder="{reminder.pk}"' not in page
    assert "No service falls due this week." in page


def test_the_card_shows_the_code_of_a_due_service(client, due):
    organization, employee, customer, _, _ = due
    client.force_login(employee.user)
    page = client.get(reverse("loyalty:customer", args=[organization.slug, customer.pk]))
    assert f"service code {CODE}" in page.content.decode()


def test_a_service_done_early_moves_the_clock_without_a_reminder(tmp_path):
    organization, _, _, customer = shop()
    car = reminders.asset_create(
        customer=customer,
        name="Car",
        service_code="CAR-SVC",
        interval_days=365,
        interval_usage=15000,
        usage_unit="km",
        usage_per_day=Decimal("40"),
        last_service_on=dt.date(2025, 12, 1),
        usage_at_last_service=20000,
    )
    row = purchase_row(customer, code="CAR-SVC", when="2026-02-28T09:00:00Z")
    import_rows(tmp_path, organization, "transactions", [row])
    car.refresh_from_db()
    assert car.last_service_on == dt.date(2026, 2, 28)
    assert car.usage_at_last_service == 20000 + 89 * 40  # 89 days at 40 km a day
    assert not Reminder.objects.exists()
    assert AuditEvent.objects.get(action="loyalty.service_record").target_type == "Asset"


def test_an_older_record_imported_late_does_not_wind_the_clock_back(tmp_path, due):
    organization, employee, customer, asset, reminder = due
    import_rows(tmp_path, organization, "transactions", [purchase_row(customer)])
    late = visit_row(customer, employee, when="2026-02-10T10:00:00Z")
    import_rows(tmp_path, organization, "interactions", [late])
    asset.refresh_from_db()
    assert asset.last_service_on == dt.date(2026, 3, 1)
    reminder.refresh_from_db()
    assert reminder.closed_by_transaction.external_id == "T1"
    assert reminder.closed_by_interaction is None


def test_a_record_from_before_the_last_service_leaves_the_reminder_open(tmp_path, due):
    organization, _, customer, asset, reminder = due
    row = purchase_row(customer, when="2025-01-20T10:00:00Z")  # before the last service
    import_rows(tmp_path, organization, "transactions", [row])
    reminder.refresh_from_db()
    assert reminder.status == Reminder.Status.OPEN
    asset.refresh_from_db()
    assert asset.last_service_on == LAST_SERVICE


def test_the_latest_record_of_a_batch_is_the_service_that_counts(tmp_path, due):
    organization, _, customer, asset, reminder = due
    rows = [
        purchase_row(customer, "T1", when="2026-03-01T10:00:00Z"),
        purchase_row(customer, "T2", when="2026-02-20T10:00:00Z"),
    ]
    import_rows(tmp_path, organization, "transactions", rows)
    asset.refresh_from_db()
    reminder.refresh_from_db()
    assert asset.last_service_on == dt.date(2026, 3, 1)
    assert reminder.closed_by_transaction.external_id == "T1"


def test_another_customers_purchase_with_the_code_leaves_the_asset_untouched(tmp_path, due):
    organization, employee, _, asset, reminder = due
    stranger = CustomerFactory(organization=organization, owner=employee)
    import_rows(tmp_path, organization, "transactions", [purchase_row(stranger)])
    reminder.refresh_from_db()
    asset.refresh_from_db()
    assert reminder.status == Reminder.Status.OPEN
    assert asset.last_service_on == LAST_SERVICE


def test_a_code_no_asset_carries_changes_nothing_and_is_no_error(tmp_path, due):
    organization, _, customer, asset, reminder = due
    report = import_rows(
        tmp_path, organization, "transactions", [purchase_row(customer, code="CAR-SVC")]
    )
    assert report.created == 1
    reminder.refresh_from_db()
    assert reminder.status == Reminder.Status.OPEN
    assert Transaction.objects.get().service_code == "CAR-SVC"


def test_a_dry_run_import_closes_nothing(tmp_path, due):
    organization, employee, customer, asset, reminder = due
    import_rows(tmp_path, organization, "transactions", [purchase_row(customer)], dry_run=True)
    import_rows(
        tmp_path, organization, "interactions", [visit_row(customer, employee)], dry_run=True
    )
    reminder.refresh_from_db()
    asset.refresh_from_db()
    assert reminder.status == Reminder.Status.OPEN
    assert asset.last_service_on == LAST_SERVICE
    assert not Transaction.objects.exists() and not Interaction.objects.exists()


def test_a_service_code_too_long_is_a_row_error_and_nothing_is_written(tmp_path, due):
    organization, _, customer, asset, reminder = due
    rows = [purchase_row(customer, "T1"), purchase_row(customer, "T2", code="X" * 51)]
    with pytest.raises(ImportFailed) as failed:
        import_rows(tmp_path, organization, "transactions", rows)
    assert [(e.row, e.column) for e in failed.value.errors] == [(3, "service_code")]
    assert "at most 50" in failed.value.errors[0].message
    reminder.refresh_from_db()
    assert reminder.status == Reminder.Status.OPEN
    assert not Transaction.objects.exists()


def test_files_without_the_column_import_as_before(tmp_path, due):
    organization, _, customer, _, reminder = due
    row = purchase_row(customer)
    del row["service_code"]
    import_rows(tmp_path, organization, "transactions", [row])
    assert Transaction.objects.get().service_code == ""
    reminder.refresh_from_db()
    assert reminder.status == Reminder.Status.OPEN


def test_records_without_a_code_cost_no_query(due, django_assert_num_queries):
    organization, _, customer, _, _ = due
    plain = Transaction(customer=customer, occurred_at=moment(DAY), amount=Decimal("5"))
    with django_assert_num_queries(0):
        assert reminders.services_recorded(organization=organization, transactions=[plain]) == 0


def test_a_service_recorded_on_the_card_carries_the_assets_code(due):
    _, employee, _, _, reminder = due
    reminders.service_record(reminder=reminder, employee=employee)
    reminder.refresh_from_db()
    assert reminder.closed_by_interaction.service_code == CODE


days = st.integers(min_value=-400, max_value=400).map(lambda n: DAY + dt.timedelta(days=n))


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(batches=st.lists(st.lists(days, min_size=1, max_size=4), min_size=1, max_size=4))
def test_the_service_clock_ends_at_the_latest_service_whatever_the_import_order(batches):
    """However the services arrive — in batches, out of order, late — the asset's last
    service is the latest of its own and theirs, and it never moved backwards on the way."""
    organization, _, _, customer = shop()
    asset = boiler(customer)
    seen = LAST_SERVICE
    for number, batch in enumerate(batches):
        purchases = [
            Transaction.objects.create(
                organization=organization,
                external_id=f"P{number}-{index}",
                customer=customer,
                amount=Decimal("10"),
                occurred_at=moment(day),
                service_code=CODE,
            )
            for index, day in enumerate(batch)
        ]
        reminders.services_recorded(organization=organization, transactions=purchases)
        asset.refresh_from_db()
        assert asset.last_service_on >= seen
        seen = asset.last_service_on
    latest = max(day for batch in batches for day in batch)
    assert asset.last_service_on == max(LAST_SERVICE, latest)
