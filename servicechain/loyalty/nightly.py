"""The nightly run: confirm what left its return window, expire inactive accounts, warn before
expiry, hand over leavers' accounts, raise service reminders and send the e-mails."""

from __future__ import annotations

import datetime as dt
import time

from django.utils import timezone

from servicechain.org.services import audit_record

from . import ownership, reminders, services
from .models import CustomerEmail, Programme


def nightly_run(*, now: dt.datetime | None = None) -> dict:
    now = now or timezone.now()
    today = timezone.localdate(now)
    started = time.perf_counter()
    totals = {
        "confirmed": 0,
        "expired": 0,
        "warnings": 0,
        "handovers": 0,
        "reminders": 0,
        "reminder_emails": 0,
    }
    for programme in Programme.objects.select_related("organization").order_by("pk"):
        organization = programme.organization
        totals["confirmed"] += services.ledger_confirm_due(organization=organization, now=now)
        expired = services.expiry_run(organization=organization, now=now)
        if expired:
            audit_record(
                action="loyalty.expiry_run",
                organization=organization,
                detail={"lots": expired, "on": today.isoformat()},
            )
        totals["expired"] += expired
        totals["warnings"] += services.expiry_warnings_queue(organization=organization, now=now)
        totals["handovers"] += len(
            ownership.leavers_process(organization=organization, today=today)
        )
        totals["reminders"] += reminders.reminders_refresh(organization=organization, today=today)
        totals["reminder_emails"] += reminders.reminder_emails_queue(
            organization=organization, today=today
        )
    # E-mails whose background task was lost are sent now.
    stuck = list(
        CustomerEmail.objects.filter(
            status__in=(CustomerEmail.Status.QUEUED, CustomerEmail.Status.FAILED), attempts__lt=3
        ).values_list("pk", flat=True)
    )
    totals["emails"] = services.customer_emails_deliver(ids=stuck)
    totals["seconds"] = round(time.perf_counter() - started, 2)
    return totals
