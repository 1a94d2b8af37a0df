"""Builders for rewards tests: the recognition tests' small organisation (a root, two teams,
people with logins, HR and an admin) plus customer ratings and plans."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

from django.utils import timezone

from servicechain.org import services as org_services
from servicechain.rewards import services
from servicechain.surveys.models import CustomerResponse
from tests.factories import CustomerFactory, InteractionFactory, UserFactory
from tests.recognition.helpers import build_org, customer_wave

SEPTEMBER = dt.date(2026, 9, 1)
OCTOBER = dt.date(2026, 10, 1)
_n = itertools.count()

__all__ = ["build_org", "customer_wave", "SEPTEMBER", "OCTOBER"]


def moment(day: dt.date, hour: int = 12) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def ratings(wave, employee, day: dt.date, scores: list[int], *, comment: str = ""):
    """One served interaction and customer answer per score, on `day`."""
    for score in scores:
        interaction = InteractionFactory(
            unit=employee.unit,
            employee=employee,
            customer=CustomerFactory(organization=employee.organization),
            started_at=moment(day),
        )
        answers = {"csat": score, "nps": 10 if score == 5 else 7, "effort": 2}
        if comment:
            answers["CX_COMMENT"] = comment
        CustomerResponse.objects.create(
            wave=wave,
            interaction=interaction,
            unit=employee.unit,
            answers=answers,
            submitted_at=moment(day),
        )


def second_admin(org):
    user = UserFactory(username=f"admin2-{org.organization.slug}")
    org_services.membership_grant(user=user, organization=org.organization, role="admin")
    org.users["admin2"] = user
    return user


CSAT_TIERS = [{"threshold": 80, "amount": "50"}, {"threshold": 95, "amount": "100"}]


def csat_plan(org, *, start=SEPTEMBER, name="Store CSAT bonus", **component):
    spec = {
        "name": "Customer satisfaction",
        "metric": "csat",
        "scope": "employee",
        "min_responses": 10,
        "baseline_months": None,
        "tiers": CSAT_TIERS,
        **component,
    }
    return services.plan_build(
        organization=org.organization,
        actor=org.users["admin"],
        name=name,
        period="month",
        components=[spec],
        effective_from=start,
    )


def pool_plan(org, *, amount="100.00", split="equal", start=SEPTEMBER, unit=None):
    return services.plan_build(
        organization=org.organization,
        actor=org.users["admin"],
        name=f"Profit share {next(_n)}",
        period="month",
        components=[],
        pool={"basis": "fixed", "fixed_amount": Decimal(amount), "split": split},
        effective_from=start,
        unit=unit,
    )


def preview(org, start=SEPTEMBER, actor="admin"):
    return services.run_preview(
        organization=org.organization,
        period="month",
        period_start_on=start,
        actor=org.users[actor],
    )


def approve_and_lock(org, run, approver="admin2"):
    if approver not in org.users:
        second_admin(org)
    services.run_approve(run=run, actor=org.users[approver])
    return services.run_lock(run=run, actor=org.users[approver])
