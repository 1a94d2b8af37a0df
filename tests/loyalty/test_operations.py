"""Programme versions, imports, hand-overs, service reminders and their e-mails, liability
statements, and repeat business as insights reads it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.db.models.functions import TruncMonth

from servicechain.analytics.linkage import business_panel
from servicechain.loyalty import ownership, reminders, selectors, services
from servicechain.loyalty.models import (
    Account,
    Asset,
    CustomerEmail,
    Entry,
    Handover,
    LiabilityStatement,
    Reminder,
    Return,
)
from servicechain.org import services as org_services
from servicechain.org.imports import ImportFailed
from servicechain.org.models import AuditEvent, Customer, Employee, Transaction
from tests.factories import CustomerFactory, EmployeeFactory

from .helpers import buy, moment, shop

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 3, 2)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(moment(DAY), tick=False):
        yield


def write_csv(tmp_path, name, rows: list[dict]):
    path = tmp_path / name
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


# ----------------------------------------------------------------------------- programme


def test_a_programme_change_applies_from_the_next_month():
    organization, _, _, customer = shop()
    buy(customer, "10.00", moment(DAY))
    services.programme_save(organization=organization, points_per_visit=50)
    buy(customer, "10.00", moment(DAY, hour=15))
    assert selectors.balance(customer) == 40  # both under the old rule: 10 + 10 each
    with time_machine.travel(moment(dt.date(2026, 4, 1)), tick=False):
        buy(customer, "10.00", moment(dt.date(2026, 4, 1)))
    assert selectors.balance(customer) == 40 + 60
    assert selectors.version_at(organization, dt.date(2026, 4, 1)).effective_from == dt.date(
        2026, 4, 1
    )


def test_a_programme_change_cannot_be_backdated_and_bad_settings_change_nothing():
    organization, _, _, _ = shop()
    with pytest.raises(ValidationError, match="next period"):
        services.programme_save(
            organization=organization, effective_from=dt.date(2026, 1, 1), points_per_visit=1
        )
    with pytest.raises(ValidationError, match="rise"):
        services.programme_save(
            organization=organization,
            tiers=[{"name": "A", "threshold": "10"}, {"name": "B", "threshold": "5"}],
        )
    with pytest.raises(ValidationError, match="above zero"):
        services.programme_save(organization=organization, spend_unit="0")
    assert len(selectors.versions(organization).versions) == 1


@pytest.mark.django_db(transaction=True)
def test_a_programme_change_is_one_transaction_of_its_own():
    """Saved outside any caller's transaction (as a management command or task would): the
    version and its audit entry are written together; PostgreSQL refuses the version row's
    lock outside a transaction."""
    organization, _, _, _ = shop()
    programme = services.programme_save(organization=organization, points_per_visit=50)
    assert programme.points_per_visit == 50
    assert AuditEvent.objects.filter(
        organization=organization, action="loyalty.programme_save"
    ).exists()


# ----------------------------------------------------------------------------- imports


def test_an_imported_purchase_earns_in_the_same_import(tmp_path):
    organization, _, employee, customer = shop()
    path = write_csv(
        tmp_path,
        "transactions.csv",
        [
            {
                "external_id": "T1",
                "customer_external_id": customer.external_id,
                "employee_external_id": employee.external_id,
                "amount": "25.00",
                "occurred_at": "2026-03-01T10:00:00Z",
            }
        ],
    )
    org_services.import_file(organization=organization, kind="transactions", path=path)
    assert selectors.balance(customer) == 35


def test_a_return_of_an_unknown_purchase_rejects_the_whole_file(tmp_path):
    organization, _, _, customer = shop()
    purchase = buy(customer, "30.00", moment(DAY))
    path = write_csv(
        tmp_path,
        "returns.csv",
        [
            {
                "external_id": "R1",
                "transaction_external_id": purchase.external_id,
                "amount": "30.00",
                "occurred_at": "2026-03-02T13:00:00Z",
            },
            {
                "external_id": "R2",
                "transaction_external_id": "NOPE",
                "amount": "5.00",
                "occurred_at": "2026-03-02T13:00:00Z",
            },
        ],
    )
    with pytest.raises(ImportFailed) as failure:
        org_services.import_file(organization=organization, kind="returns", path=path)
    assert "row 3" in str(failure.value) and "no purchase 'NOPE'" in str(failure.value)
    assert Return.objects.count() == 0
    assert selectors.balance(customer) == 40


def test_a_negative_return_amount_is_a_row_error(tmp_path):
    organization, _, _, customer = shop()
    purchase = buy(customer, "30.00", moment(DAY))
    path = write_csv(
        tmp_path,
        "returns.csv",
        [
            {
                "external_id": "R1",
                "transaction_external_id": purchase.external_id,
                "amount": "-3.00",
                "occurred_at": "2026-03-02T13:00:00Z",
            }
        ],
    )
    with pytest.raises(ImportFailed, match="above zero"):
        org_services.import_file(organization=organization, kind="returns", path=path)
    assert Entry.objects.filter(kind=Entry.Kind.REVERSE).count() == 0


def test_an_imported_return_reverses_the_points(tmp_path):
    organization, _, _, customer = shop()
    purchase = buy(customer, "30.00", moment(DAY))
    path = write_csv(
        tmp_path,
        "returns.csv",
        [
            {
                "external_id": "R1",
                "transaction_external_id": purchase.external_id,
                "amount": "30.00",
                "occurred_at": "2026-03-02T13:00:00Z",
            }
        ],
    )
    org_services.import_file(organization=organization, kind="returns", path=path)
    assert selectors.balance(customer) == 0


# ----------------------------------------------------------------------------- ownership


def test_a_leavers_accounts_go_to_the_least_loaded_colleague_and_wait_for_the_manager(tmp_path):
    organization, store, leaver, customer = shop()
    busy = EmployeeFactory(organization=organization, unit=store)
    quiet = EmployeeFactory(organization=organization, unit=store)
    CustomerFactory(organization=organization, owner=busy)
    second = CustomerFactory(organization=organization, owner=leaver)
    path = write_csv(
        tmp_path,
        "employees.csv",
        [
            {
                "external_id": leaver.external_id,
                "unit_external_id": store.external_id,
                "hire_date": "2022-01-10",
                "leave_date": "2026-03-01",
            }
        ],
    )
    org_services.import_file(organization=organization, kind="employees", path=path)
    customer.refresh_from_db()
    second.refresh_from_db()
    # quiet had none, busy one: the first account goes to quiet, the second to either.
    assert customer.owner == quiet
    assert second.owner in (quiet, busy)
    assert Handover.objects.filter(status=Handover.Status.PROPOSED).count() == 2
    assert not selectors.orphaned_accounts(organization, today=DAY).exists()
    assert AuditEvent.objects.filter(action="loyalty.handover").exists()


def test_with_no_colleague_left_the_unit_owns_the_account():
    organization, store, leaver, customer = shop()
    Employee.objects.filter(pk=leaver.pk).update(leave_date=DAY)
    ownership.leavers_process(organization=organization, today=DAY)
    customer.refresh_from_db()
    assert customer.owner is None
    assert Account.objects.get(customer=customer).owner_unit == store


def test_setting_a_leave_date_hands_over_at_once():
    organization, store, leaver, customer = shop()
    colleague = EmployeeFactory(organization=organization, unit=store)
    leaver.leave_date = DAY
    leaver.save()
    customer.refresh_from_db()
    assert customer.owner == colleague


def test_the_manager_confirms_a_handover_to_someone_else_but_not_to_a_leaver():
    organization, store, leaver, customer = shop()
    first = EmployeeFactory(organization=organization, unit=store)
    other = EmployeeFactory(organization=organization, unit=store)
    gone = EmployeeFactory(organization=organization, unit=store, leave_date=dt.date(2026, 2, 1))
    Employee.objects.filter(pk=leaver.pk).update(leave_date=DAY)
    [handover] = ownership.leavers_process(organization=organization, today=DAY)
    assert handover.to_employee == first
    with pytest.raises(ValidationError, match="has left"):
        ownership.handover_confirm(handover=handover, to_employee=gone)
    ownership.handover_confirm(handover=handover, to_employee=other)
    customer.refresh_from_db()
    assert customer.owner == other
    assert Handover.objects.get(pk=handover.pk).status == Handover.Status.CONFIRMED


# ----------------------------------------------------------------------------- reminders


def make_asset(customer, **fields):
    values = {"name": "Boiler", "interval_days": 365, "last_service_on": dt.date(2025, 3, 10)}
    values.update(fields)
    return reminders.asset_create(customer=customer, **values)


def test_a_service_falls_due_by_usage_when_that_comes_first():
    _, _, _, customer = shop()
    asset = make_asset(
        customer,
        name="Car",
        interval_days=365,
        interval_usage=10000,
        usage_unit="km",
        usage_per_day=Decimal("100"),
        last_service_on=dt.date(2026, 1, 1),
    )
    assert services.rules_engine.service_due(asset) == (dt.date(2026, 4, 11), "usage")


def test_a_reminder_is_raised_ahead_for_the_owner_and_emails_at_most_twice():
    organization, _, employee, customer = shop()
    customer.email = "pat@example.com"
    customer.save()
    buy(customer, "10.00", moment(DAY))
    Account.objects.filter(customer=customer).update(email_opt_in=True)
    make_asset(customer)  # due 10 March 2026, lead time 14 days
    assert reminders.reminders_refresh(organization=organization, today=DAY) == 1
    reminder = Reminder.objects.get()
    assert reminder.owner == employee
    for day in (DAY, DAY + dt.timedelta(days=1), dt.date(2026, 3, 10), dt.date(2026, 3, 20)):
        with time_machine.travel(moment(day), tick=False):
            reminders.reminder_emails_queue(organization=organization, today=day)
    services.customer_emails_deliver(ids=list(CustomerEmail.objects.values_list("pk", flat=True)))
    assert [m.to for m in mail.outbox] == [["pat@example.com"], ["pat@example.com"]]
    assert "Boiler" in mail.outbox[0].subject
    assert Reminder.objects.get().emails_sent == 2


def test_no_email_goes_to_a_customer_who_did_not_agree():
    organization, _, _, customer = shop()
    customer.email = "pat@example.com"
    customer.save()
    buy(customer, "10.00", moment(DAY))
    make_asset(customer)
    reminders.reminders_refresh(organization=organization, today=DAY)
    assert reminders.reminder_emails_queue(organization=organization, today=DAY) == 0
    assert mail.outbox == []


def test_recording_the_service_closes_the_reminder_and_restarts_the_clock():
    organization, _, employee, customer = shop()
    make_asset(customer)
    reminders.reminders_refresh(organization=organization, today=DAY)
    reminder = Reminder.objects.get()
    reminders.service_record(reminder=reminder, employee=employee)
    reminder.refresh_from_db()
    assert reminder.status == Reminder.Status.DONE
    assert reminder.closed_by_interaction.employee == employee
    assert Asset.objects.get().last_service_on == DAY
    assert reminders.reminders_refresh(organization=organization, today=DAY) == 0
    with pytest.raises(ValidationError, match="already recorded"):
        reminders.service_record(reminder=reminder, employee=employee)


def test_a_purchase_of_another_customer_cannot_close_a_reminder():
    organization, _, employee, customer = shop()
    stranger = CustomerFactory(organization=organization, owner=employee)
    purchase = buy(stranger, "10.00", moment(DAY))
    make_asset(customer)
    reminders.reminders_refresh(organization=organization, today=DAY)
    with pytest.raises(ValidationError, match="another customer"):
        reminders.service_record(reminder=Reminder.objects.get(), purchase=purchase)
    assert Reminder.objects.get().status == Reminder.Status.OPEN


def test_declined_work_stays_open_and_is_not_emailed_again():
    organization, _, _, customer = shop()
    customer.email = "pat@example.com"
    customer.save()
    buy(customer, "10.00", moment(DAY))
    Account.objects.filter(customer=customer).update(email_opt_in=True)
    make_asset(customer)
    reminders.reminders_refresh(organization=organization, today=DAY)
    reminders.reminder_decline(reminder=Reminder.objects.get(), note="next month")
    assert reminders.reminder_emails_queue(organization=organization, today=DAY) == 0
    card = selectors.customer_card(customer, today=DAY)
    assert [r.declined_note for r in card["reminders"]] == ["next month"]


# ----------------------------------------------------------------------------- liability


def test_liability_is_outstanding_points_times_value_times_expected_redemption():
    organization, _, _, customer = shop(expiry_months=1)
    buy(customer, "90.00", moment(DAY))  # 100 points
    services.redemption_create(customer=customer, points=30)
    services.expiry_run(organization=organization, now=moment(dt.date(2026, 4, 3)))  # 70 expire
    with time_machine.travel(moment(dt.date(2026, 4, 10)), tick=False):
        buy(customer, "190.00", moment(dt.date(2026, 4, 10)))  # 200 points
    report = {
        row["month"]: row
        for row in selectors.liability_report(organization, through=dt.date(2026, 4, 30))
    }
    april = report[dt.date(2026, 4, 1)]
    assert april["outstanding_points"] == 200
    assert april["redemption_rate"] == Decimal("0.3000")  # 30 redeemed of 100 that left
    assert april["liability"] == Decimal("0.60")  # 200 × 0.01 × 0.3


def test_expiries_without_any_redemption_assume_no_breakage_not_a_rate_of_zero():
    """Only expiries in the history (nobody has redeemed yet) is no estimate of breakage:
    the rate stays at the default 1, so the liability is not zero (it was)."""
    organization, _, _, customer = shop(expiry_months=1)
    other = CustomerFactory(organization=organization, owner=customer.owner)
    buy(customer, "90.00", moment(DAY))  # 100 points, expire after a month without a visit
    services.expiry_run(organization=organization, now=moment(dt.date(2026, 4, 3)))
    with time_machine.travel(moment(dt.date(2026, 4, 10)), tick=False):
        buy(other, "190.00", moment(dt.date(2026, 4, 10)))  # 200 points
    april = selectors.liability_report(organization, through=dt.date(2026, 4, 30))[-1]
    assert april["expired_points"] == 100 and april["outstanding_points"] == 200
    assert april["redemption_rate"] == selectors.DEFAULT_REDEMPTION_RATE == Decimal(1)
    assert april["liability"] == Decimal("2.00")  # 200 × 0.01 × 1


def test_a_closed_month_never_changes_and_late_entries_book_in_the_next_one():
    organization, _, _, customer = shop()
    buy(customer, "10.00", moment(DAY))
    with time_machine.travel(moment(dt.date(2026, 4, 2)), tick=False):
        statement = services.liability_close(organization=organization, month=dt.date(2026, 3, 1))
        assert statement.outstanding_points == 20
        with pytest.raises(ValidationError, match="already closed"):
            services.liability_close(organization=organization, month=dt.date(2026, 3, 1))
        buy(customer, "10.00", moment(dt.date(2026, 3, 20)))  # a late March purchase
    late = Entry.objects.order_by("-pk").first()
    assert late.at.date() == dt.date(2026, 4, 1)
    assert LiabilityStatement.objects.get().outstanding_points == 20
    statement.outstanding_points = 0
    with pytest.raises(ValidationError, match="cannot change"):
        statement.save()
    with pytest.raises(ValidationError, match="has not ended"):
        services.liability_close(
            organization=organization, month=dt.date(2026, 3, 1).replace(month=5)
        )


# ----------------------------------------------------------------------------- repeat business


def test_the_purchases_frame_is_what_insights_computed_before():
    organization, store, employee, customer = shop()
    other = CustomerFactory(organization=organization, owner=employee)
    CustomerFactory(organization=organization)  # nobody owns them: left out
    for day, who, amount in ((1, customer, "10"), (40, customer, "12.50"), (41, other, "3")):
        buy(who, amount, moment(dt.date(2026, 1, 1) + dt.timedelta(days=day)))
    owners = dict(
        Customer.objects.filter(organization=organization, owner__isnull=False).values_list(
            "pk", "owner__unit_id"
        )
    )
    rows = (
        Transaction.objects.filter(organization=organization, customer__owner__isnull=False)
        .annotate(month=TruncMonth("occurred_at"))
        .values_list("customer_id", "month")
        .annotate(amount=Sum("amount"))
        .order_by()
    )
    before = pd.DataFrame(list(rows), columns=["customer", "month", "amount"])
    before["unit"] = before["customer"].map(owners)
    before["period"] = [m.year * 12 + m.month - 1 for m in before["month"]]
    before["amount"] = before["amount"].astype(float)
    before = before[["customer", "unit", "period", "amount"]]
    key = ["customer", "period"]
    now = selectors.customer_month_spend(organization)
    pd.testing.assert_frame_equal(
        now.sort_values(key).reset_index(drop=True),
        before.sort_values(key).reset_index(drop=True),
        check_dtype=False,
    )


def test_repeat_rate_by_unit_agrees_with_the_linkage_panel():
    organization, store, employee, customer = shop()
    others = [CustomerFactory(organization=organization, owner=employee) for _ in range(3)]
    for month, buyers in ((1, [customer, *others]), (2, [customer, others[0]]), (3, [customer])):
        for who in buyers:
            buy(who, "20", moment(dt.date(2025, month + 9, 5)))
    ours = selectors.repeat_business(organization, by="unit")
    panel = business_panel(selectors.customer_month_spend(organization))
    merged = ours.merge(panel, left_on=["group", "period"], right_on=["unit", "period"])
    assert list(merged["repeat_rate_x"].dropna()) == pytest.approx([0.5, 0.5])
    assert list(merged["repeat_rate_x"].dropna()) == pytest.approx(
        list(merged["repeat_rate_y"].dropna())
    )
    assert list(ours["visits_per_customer"]) == [1.0, 1.0, 1.0]
    assert list(ours["spend_per_customer"]) == [20.0, 20.0, 20.0]


def test_closing_months_leaves_every_figure_of_the_report_as_it_was():
    organization, _, _, customer = shop(expiry_months=1)
    buy(customer, "90.00", moment(DAY))
    services.redemption_create(customer=customer, points=30)
    services.expiry_run(organization=organization, now=moment(dt.date(2026, 4, 3)))
    with time_machine.travel(moment(dt.date(2026, 5, 10)), tick=False):
        buy(customer, "190.00", moment(dt.date(2026, 5, 10)))
        before = selectors.liability_report(organization, through=dt.date(2026, 5, 31))
        services.liability_close(organization=organization, month=dt.date(2026, 4, 1))
        after = selectors.liability_report(organization, through=dt.date(2026, 5, 31))
    assert [s.month for s in LiabilityStatement.objects.order_by("month")] == [
        dt.date(2026, 3, 1),
        dt.date(2026, 4, 1),
    ]
    figures = ("month", "outstanding_points", "pending_points", "redemption_rate", "liability")
    assert [{k: r[k] for k in figures} for r in after] == [
        {k: r[k] for k in figures} for r in before
    ]
    assert [r["closed"] for r in after] == [True, True, False]
