"""The nightly run: confirms, expires (audited), hands over, raises reminders, sends e-mails."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail

from servicechain.loyalty import reminders, selectors
from servicechain.loyalty.models import Account, Reminder
from servicechain.loyalty.nightly import nightly_run
from servicechain.org.models import AuditEvent, Employee
from tests.factories import EmployeeFactory

from .helpers import buy, moment, shop

pytestmark = pytest.mark.django_db


def test_one_nightly_run_does_the_days_work():
    organization, store, leaver, customer = shop(return_window_days=30, expiry_months=6)
    colleague = EmployeeFactory(organization=organization, unit=store)
    customer.email = "pat@example.com"
    customer.save()
    with time_machine.travel(moment(dt.date(2026, 1, 10)), tick=False):
        buy(customer, "20.00", moment(dt.date(2026, 1, 10)))
    Account.objects.filter(customer=customer).update(email_opt_in=True)
    reminders.asset_create(
        customer=customer, name="Boiler", interval_days=365, last_service_on=dt.date(2025, 2, 20)
    )
    Employee.objects.filter(pk=leaver.pk).update(leave_date=dt.date(2026, 2, 1))

    totals = nightly_run(now=moment(dt.date(2026, 2, 15)))

    assert totals["confirmed"] == 1 and selectors.balance(customer) == 30
    customer.refresh_from_db()
    assert customer.owner == colleague
    assert Reminder.objects.get().owner == colleague
    assert [m.subject for m in mail.outbox] == ["Your Boiler is due for service on 2026-02-20"]

    nightly_run(now=moment(dt.date(2026, 7, 11)))
    assert selectors.balance(customer) == 0
    assert AuditEvent.objects.filter(action="loyalty.expiry_run").exists()
