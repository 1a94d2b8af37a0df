"""Demo data of the rewards app, run by servicechain.demo after the other apps' seeders.

Two quarterly plans, built through the services as an administrator would:

* **Store service bonus** for frontline store staff with 90 days' tenure: the store's CSAT
  (a team component, tiers), the person's own customers' CSAT (tiers; most people have fewer
  than the ten responses it needs in a quarter, so it pays few — on purpose) and the store's
  repeat-business rate over its six-month baseline (linear, capped);
* **Contact-centre profit share**: 1 % of the organisation's revenue each quarter, split
  among the centre's staff by a weight per role.

The quarter before last and the last quarter are locked (previewed by the administrator, any
gaming flags reviewed by HR, approved and locked by the second administrator, ``payroll``), so
the demo employee's statement compares two quarters; the current quarter is an open preview.
In it, two customers of one store employee wrote that they were asked for a score (the demo
adds those two answers to contacts that had none): that employee is flagged for HR's review,
and the preview cannot be approved until HR has looked.
"""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from servicechain.demo import DemoLogin
from servicechain.org import services as org_services
from servicechain.org.models import Employee, Interaction, Membership, Unit

from . import services
from .models import Period, period_before, period_start

DEMO_LOGINS = [
    DemoLogin("admin", "payroll", "demo-payroll-pass", "second administrator: approves payouts"),
]
ASKED = [
    "Lovely service, though she asked me to rate her a 10 on the survey.",
    "Sorted quickly. He told me to give ten out of ten if anyone asked.",
]


def seed_demo(*, organization, synthetic=None, today: dt.date | None = None, progress=print):
    started = time.perf_counter()
    today = today or timezone.localdate()
    admin = _member(organization, Membership.Role.ADMIN)
    hr = _member(organization, Membership.Role.HR_ANALYST)
    current = period_start(Period.QUARTER, today)
    last = period_before(Period.QUARTER, current)
    before_last = period_before(Period.QUARTER, last)
    with transaction.atomic():
        payroll = _payroll_login(organization)
        _store_plan(organization, admin, before_last)
        _centre_plan(organization, admin, before_last)
        for start in (before_last, last):
            run = services.run_preview(
                organization=organization,
                period=Period.QUARTER,
                period_start_on=start,
                actor=admin,
            )
            for flag in run.flags.all():
                services.flag_review(flag=flag, actor=hr, note="Demo: looked into, no action.")
            services.run_approve(run=run, actor=payroll)
            services.run_lock(run=run, actor=payroll)
        flagged = _asked_for_a_score(organization, current, today)
        preview = services.run_preview(
            organization=organization, period=Period.QUARTER, period_start_on=current, actor=admin
        )
    progress(
        f"  rewards: 2 plans, 2 locked quarters, an open preview of {preview.label} with "
        f"{preview.lines.count():,} lines and {preview.flags.count()} gaming flag(s)"
        f"{f' ({flagged})' if flagged else ''} ({time.perf_counter() - started:.1f} s)"
    )


def _member(organization, role):
    return (
        Membership.objects.filter(organization=organization, role=role)
        .select_related("user")
        .order_by("pk")
        .first()
        .user
    )


def _payroll_login(organization):
    login = DEMO_LOGINS[0]
    user = org_services.user_create(
        username=login.username, password=login.password, first_name="Pat", last_name="Payroll"
    )
    org_services.membership_grant(user=user, organization=organization, role="admin")
    return get_user_model().objects.get(pk=user.pk)


def _store_plan(organization, admin, start: dt.date):
    services.plan_build(
        organization=organization,
        actor=admin,
        name="Store service bonus",
        period=Period.QUARTER,
        effective_from=start,
        job_family=Employee.JobFamily.FRONTLINE,
        unit_kind=Unit.Kind.STORE,
        min_tenure_days=90,
        components=[
            {
                "name": "Store customer satisfaction",
                "metric": "csat",
                "scope": "unit",
                "min_responses": 10,
                "baseline_months": None,
                "tiers": [{"threshold": 80, "amount": "60"}, {"threshold": 88, "amount": "120"}],
                "cap": "150",
            },
            {
                "name": "Your customers' satisfaction",
                "metric": "csat",
                "scope": "employee",
                "min_responses": 10,
                "baseline_months": None,
                "tiers": [{"threshold": 85, "amount": "50"}],
            },
            {
                "name": "Store repeat business (improvement)",
                "metric": "repeat_rate",
                "scope": "unit",
                "min_responses": 10,
                "baseline_months": 6,
                "threshold": "0",
                "rate": "8",
                "cap": "80",
            },
        ],
    )


def _centre_plan(organization, admin, start: dt.date):
    centre = Unit.objects.filter(organization=organization, kind=Unit.Kind.CONTACT_CENTRE).first()
    services.plan_build(
        organization=organization,
        actor=admin,
        name="Contact-centre profit share",
        period=Period.QUARTER,
        effective_from=start,
        unit=centre,
        components=[],
        pool={
            "basis": "revenue",
            "share": Decimal("0.01"),
            "split": "role_weight",
            "role_weights": {"frontline": 1, "specialist": 1.25, "manager": 1.5, "support": 1},
        },
    )


def _asked_for_a_score(organization, start: dt.date, today: dt.date) -> str:
    """Two customers of the store employee (not a demo login) with the most contacts last
    month (this quarter's part of it) answer the survey, writing that they were asked for a
    score."""
    from django.db.models import Count

    from servicechain.surveys.models import CustomerResponse

    this_month = today.replace(day=1)
    lo, hi = max(start, period_before(Period.MONTH, this_month)), this_month
    if lo >= hi:  # the quarter's first month: its days so far
        lo, hi = start, today + dt.timedelta(days=1)
    wave_id = (
        CustomerResponse.objects.filter(
            wave__organization=organization,
            interaction__started_at__date__gte=lo,
            interaction__started_at__date__lt=hi,
        )
        .values_list("wave_id", flat=True)
        .first()
    )
    unanswered = Interaction.objects.filter(
        organization=organization,
        started_at__date__gte=lo,
        started_at__date__lt=hi,
        unit__kind=Unit.Kind.STORE,
        employee__job_family=Employee.JobFamily.FRONTLINE,
        employee__user__isnull=True,  # not one of the demo's logins
    ).exclude(survey_responses__wave_id=wave_id)
    busiest = (
        unanswered.values("employee_id")
        .annotate(n=Count("pk"))
        .order_by("-n", "employee_id")
        .first()
    )
    if wave_id is None or busiest is None:
        return ""
    employee = Employee.objects.get(pk=busiest["employee_id"])
    contacts = unanswered.filter(employee=employee).order_by("-started_at")[: len(ASKED)]
    for interaction, comment in zip(contacts, ASKED, strict=False):
        CustomerResponse.objects.create(
            wave_id=wave_id,
            interaction=interaction,
            unit=interaction.unit,
            answers={"csat": 5, "nps": 10, "effort": 1, "CX_COMMENT": comment},
            submitted_at=interaction.started_at + dt.timedelta(hours=2),
            source=CustomerResponse.Source.SEED,
        )
    return f"{employee.first_name} {employee.last_name}"
