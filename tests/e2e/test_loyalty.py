"""Loyalty in a real Chromium, on one demo seeded for the whole module: the employee opens
their customer's card from the home, reads the tier and a due service, records the service
and the reminder closes (after a reload too); the manager confirms a leaver's account
hand-over; HR reads the programme dashboard's charts and liability. The seeded ledger itself
is checked too: every member's balance equals the ledger identity, no account is left with a
departed owner.

The server's clock is fixed (time-machine, ticking from Monday 7 Dec 2026 09:00 in London).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.db import connections
from django.db.models import Q, Sum
from django.test import override_settings
from django.test.utils import teardown_databases
from pytest_django.live_server_helper import LiveServer

from servicechain import demo
from servicechain.contactcentre import seed as cc_seed
from servicechain.loyalty import selectors
from servicechain.loyalty.models import Entry, Handover, Reminder
from servicechain.org.models import Employee

from .test_homes_and_notifications import ensure_test_database

pytestmark = pytest.mark.e2e
CLOCK = dt.datetime(2026, 12, 7, 9, 0, tzinfo=ZoneInfo("Europe/London"))
TODAY = CLOCK.date()


@pytest.fixture(scope="module")
def site(django_db_setup, django_db_blocker):
    with time_machine.travel(CLOCK, tick=True), django_db_blocker.unblock():
        created = ensure_test_database()
        solve_work, cc_seed.SOLVE_WORK = cc_seed.SOLVE_WORK, 1.0
        try:
            with override_settings(INSIGHTS_BOOTSTRAP_REPLICATES=60):
                organization = demo.seed_demo(size="small", seed=7)
        finally:
            cc_seed.SOLVE_WORK = solve_work
        server = LiveServer("localhost")
        try:
            yield server.url, organization
        finally:
            server.stop()
            call_command("flush", interactive=False, verbosity=0)
            if created is not None:
                # Our own connection to the test database would block dropping it.
                connections.close_all()
                teardown_databases(created, verbosity=0)


def log_in(page, url: str, username: str) -> None:
    password = next(d.password for d in demo.all_logins() if d.username == username)
    page.goto(f"{url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{url}/o/**")
    # The home page loads its deferred cards after it shows; let them finish before the next
    # page: the live server's in-memory SQLite can deadlock two requests at once.
    page.wait_for_load_state("networkidle")


def test_every_members_balance_is_the_ledger_identity_and_no_account_is_orphaned(site):
    _, organization = site
    sums = (
        Entry.objects.filter(organization=organization, pending=False)
        .values("customer_id")
        .annotate(
            balance=Sum("points"),
            credits=Sum("points", filter=Q(kind__in=selectors.CREDITS)),
        )
    )
    assert len(sums) > 500
    for row in sums[:200]:
        totals = selectors.ledger_totals(row["customer_id"])
        assert row["balance"] == (
            totals["confirmed_earned"] - totals["redeemed"] - totals["expired"]
        )
    assert not selectors.orphaned_accounts(organization, today=TODAY).exists()
    assert Entry.objects.filter(organization=organization, kind=Entry.Kind.REDEEM).exists()
    assert Entry.objects.filter(organization=organization, kind=Entry.Kind.REVERSE).exists()
    # Expiry happens in the demo too, so the liability has a redemption rate to estimate.
    assert Entry.objects.filter(organization=organization, kind=Entry.Kind.EXPIRE).exists()
    latest = selectors.liability_report(organization, through=TODAY)[-1]
    assert latest["expired_points"] > 0 and 0 < latest["redemption_rate"] < 1
    assert Handover.objects.filter(
        organization=organization, status=Handover.Status.PROPOSED
    ).exists()


def test_the_employee_records_a_due_service_from_the_customers_card(page, site, artifacts_dir):
    url, organization = site
    employee = Employee.objects.get(user__username="employee")
    reminder = Reminder.objects.filter(
        customer__owner=employee, status=Reminder.Status.OPEN, asset__name="Boiler"
    ).first()
    assert reminder is not None, "the demo employee has no customer with a boiler due"
    customer = reminder.customer

    log_in(page, url, "employee")
    home_card = page.locator("[data-card='loyalty_due']")
    assert "Customers due this week" in home_card.inner_text()
    home_card.get_by_role("link", name=str(customer)).first.click()

    page.wait_for_url(f"{url}/o/{organization.slug}/loyalty/customers/{customer.pk}/")
    assert page.get_by_role("heading", level=1).inner_text() == str(customer)
    tier = page.get_by_test_id("tier").inner_text()
    assert any(name in tier for name in ("Member", "Silver", "Gold"))
    due = page.locator("#due-services")
    assert "Boiler" in due.inner_text()
    assert "service code BOILER-SVC" in due.inner_text()  # a purchase with it would close it
    page.screenshot(path=str(artifacts_dir / "loyalty-customer-card.png"), full_page=True)

    due.get_by_role("button", name="Record service of the Boiler").click()
    page.wait_for_load_state()
    assert "Service of Boiler recorded." in page.locator(".messages").inner_text()
    page.reload()
    assert "Boiler" in page.locator("#done-services").inner_text()
    assert "Boiler" not in page.locator("#due-services ul.plain-list").first.inner_text() or (
        page.locator("#no-due-services").count() == 1
    )
    reminder.refresh_from_db()
    assert reminder.status == Reminder.Status.DONE
    assert reminder.closed_by_interaction.employee == employee


def test_the_manager_confirms_a_leavers_account_handover(page, site):
    url, organization = site
    waiting = Handover.objects.filter(organization=organization, status=Handover.Status.PROPOSED)
    first = waiting.order_by("created_at", "pk").first()
    count = waiting.count()

    log_in(page, url, "manager")
    page.goto(f"{url}/o/{organization.slug}/loyalty/handovers/")
    assert (
        "None: every account in your units has an owner"
        in page.get_by_test_id("no-orphans").inner_text()
    )
    row = page.locator(f"[data-handover='{first.pk}']")
    assert str(first.from_employee) in row.inner_text()
    row.get_by_role("button", name=f"Confirm the move of {first.customer}").click()
    page.wait_for_load_state()
    assert f"Hand-over of {first.customer} confirmed." in page.locator(".messages").inner_text()
    page.reload()
    assert page.locator(f"[data-handover='{first.pk}']").count() == 0
    assert waiting.count() == count - 1


def test_hr_reads_the_programme_dashboard(page, site, artifacts_dir):
    url, organization = site
    log_in(page, url, "hr")
    page.goto(f"{url}/o/{organization.slug}/loyalty/programme/")
    assert int(page.get_by_test_id("members").inner_text()) > 500
    for chart in ("tiers-chart", "liability-chart", "repeat-chart"):
        page.locator(f"#{chart} svg.marks").wait_for()
    rows = page.locator("#liability-table tbody tr")
    assert rows.count() >= 12
    assert "GBP" in rows.first.inner_text()
    page.screenshot(path=str(artifacts_dir / "loyalty-programme.png"), full_page=True)
