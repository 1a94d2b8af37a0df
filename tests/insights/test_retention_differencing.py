"""Differencing over time on the retention pages: a leaver recorded late (or a corrected
leave type) moves no figure anyone can read until the next month is published.

The attack: a manager reads the turnover by leave type (page or API), HR records today that
someone of the manager's store left last month — voluntary, regretted — and the manager reads
again. The voluntary-regretted rate moved and the others did not, so the manager read off a
leaver's type and regretted flag, which no page shows of a person. Retention figures are now
computed from the employment records frozen once for each closed month
(`RetentionPublication`) and never recomputed.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from servicechain.insights.models import RetentionPublication
from servicechain.org import services as org_services
from tests.factories import EmployeeFactory, OrganizationFactory, make_unit, member

pytestmark = pytest.mark.django_db
NOISE = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"|"X-CSRFToken": "[^"]*"')


def last_month_day() -> dt.date:
    return timezone.localdate().replace(day=1) - dt.timedelta(days=10)


def shop():
    """Two stores of 40 people, 24 leavers over the last year split between the types; a
    manager of the whole organisation and an HR analyst."""
    org = OrganizationFactory(min_group_size=5)
    root = make_unit(org, "Org", kind="organisation")
    stores = [make_unit(org, f"Store {n}", root) for n in range(2)]
    today = timezone.localdate()
    for store in stores:
        for n in range(40):
            left = n < 12
            EmployeeFactory(
                unit=store,
                hire_date=dt.date(2020, 1, 6),
                leave_date=today - dt.timedelta(days=40 + 20 * n) if left else None,
                leave_type=("voluntary", "involuntary")[n % 2] if left else "",
                regretted=left and n % 4 == 0,
            )
    users = {"manager": member(org, "manager", unit=root), "hr": member(org, "hr_analyst")}
    return org, stores, users


def readings(org, users) -> dict:
    out = {}
    for name, user in users.items():
        client = Client()
        client.force_login(user)
        for url in (
            f"/api/orgs/{org.slug}/insights/retention/turnover",
            f"/api/orgs/{org.slug}/insights/retention/curves",
            f"/o/{org.slug}/insights/retention/",
            f"/o/{org.slug}/insights/retention/?format=csv&table=turnover_by_unit",
        ):
            answer = client.get(url)
            assert answer.status_code == 200, (name, url)
            body = NOISE.sub("", answer.content.decode())
            out[(name, url)] = body[body.find("<main") :] if "<main" in body else body
    return out


def record_late_leaver(store):
    quitter = store.employees.filter(leave_date__isnull=True).first()
    quitter.leave_date = last_month_day()
    quitter.leave_type = "voluntary"
    quitter.regretted = True
    quitter.save()
    return quitter


def test_a_leaver_recorded_late_moves_no_figure_for_any_role():
    org, stores, users = shop()
    before = readings(org, users)
    assert (
        '"voluntary_regretted_pct": 11.8'
        in before[("manager", f"/api/orgs/{org.slug}/insights/retention/turnover")]
    )
    record_late_leaver(stores[0])
    assert readings(org, users) == before


def test_an_erasure_moves_no_published_figure():
    org, stores, users = shop()
    before = readings(org, users)
    leaver = stores[1].employees.filter(leave_date__isnull=False).first()
    org_services.employee_erase(employee=leaver, actor=users["hr"])
    assert readings(org, users) == before


def test_the_next_month_publishes_what_was_recorded_meanwhile():
    org, stores, users = shop()
    readings(org, users)
    quitter = record_late_leaver(stores[0])
    assert RetentionPublication.objects.filter(organization=org).count() == 1
    with time_machine.travel(timezone.now() + dt.timedelta(days=31), tick=False):
        client = Client()
        client.force_login(users["hr"])
        body = client.get(f"/api/orgs/{org.slug}/insights/retention/turnover").json()
    assert RetentionPublication.objects.filter(organization=org).count() == 2
    published = RetentionPublication.objects.filter(organization=org).latest("month")
    row = next(r for r in published.spells if r[0] == quitter.pk)
    assert row[5] == quitter.leave_date.isoformat() and row[8] is True
    assert body["by_unit"][0]["leavers"] >= 1
