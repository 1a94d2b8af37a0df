"""The demo's data is credible: the organisation is the top unit, shops sit in their area's
town, the current customer wave is open until it closes, contact-centre agents take part in
the open census, the demo and the Overview count employees alike, revenue has a currency."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.urls import reverse

from servicechain import demo
from servicechain.org.models import Employee, Unit
from servicechain.surveys.models import Invitation, Wave

DEMO_DAY = dt.date(2026, 12, 7)
# The insights seeder adds nothing these tests read.
SEEDERS = ["servicechain.contactcentre.seed", "servicechain.surveys.seed"]


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    saved = list(demo.DEMO_SEEDERS)
    demo.DEMO_SEEDERS[:] = SEEDERS
    printed: list[str] = []
    try:
        with django_db_blocker.unblock():
            organization = demo.seed_demo(
                size="small", seed=7, today=DEMO_DAY, progress=printed.append
            )
            yield organization, printed
            call_command("flush", interactive=False, verbosity=0)
    finally:
        demo.DEMO_SEEDERS[:] = saved


pytestmark = [pytest.mark.slow, pytest.mark.django_db]


def test_the_top_unit_is_the_organisation(seeded):
    organization, _ = seeded
    root = Unit.objects.get(organization=organization, depth=0)
    assert root.name == "Northwind Retail & Care"
    assert organization.name.startswith(root.name)


def test_every_shop_and_team_is_in_its_areas_town(seeded):
    organization, _ = seeded
    outlets = Unit.objects.filter(
        organization=organization, kind__in=[Unit.Kind.STORE, Unit.Kind.TEAM]
    ).select_related("parent")
    assert outlets.count() >= 10
    for outlet in outlets:
        town = outlet.parent.name.removesuffix(" area")
        assert outlet.parent.kind == Unit.Kind.AREA
        assert outlet.name.startswith(f"{town} "), f"{outlet.name} is in {outlet.parent.name}"


def test_the_current_quarters_customer_wave_stays_open_until_its_close_date(seeded):
    organization, _ = seeded
    customer = Wave.objects.filter(organization=organization, kind=Wave.Kind.CUSTOMER)
    open_waves = list(customer.filter(status=Wave.Status.OPEN))
    assert [w.name for w in open_waves] == ["Customer survey 2026-Q4"]
    assert open_waves[0].closes_at.date() == dt.date(2026, 12, 31)
    for wave in customer.exclude(pk=open_waves[0].pk):
        assert wave.status == Wave.Status.CLOSED and wave.closes_at.date() < DEMO_DAY


def test_the_open_census_invites_every_current_employee_agents_included(seeded):
    organization, _ = seeded
    census = Wave.objects.get(
        organization=organization, kind=Wave.Kind.CENSUS, status=Wave.Status.OPEN
    )
    current = Employee.objects.filter(
        organization=organization, leave_date__isnull=True, hire_date__lte=DEMO_DAY
    )
    invited = Invitation.objects.filter(wave=census)
    assert set(invited.values_list("employee_id", flat=True)) == set(
        current.values_list("pk", flat=True)
    )
    centre = Unit.objects.get(organization=organization, kind=Unit.Kind.CONTACT_CENTRE)
    agents = invited.filter(unit=centre)
    assert agents.count() == current.filter(unit=centre).count() >= 50
    assert agents.filter(responded=True).count() >= 3 * organization.min_group_size


def test_the_demo_and_the_overview_count_the_same_employees(seeded, client):
    organization, printed = seeded
    said = next(line for line in printed if "employees now" in line)
    count = int(re.search(r"([\d,]+) employees now", said).group(1).replace(",", ""))
    client.force_login(User.objects.get(username="admin"))
    html = client.get(reverse("org:overview", args=[organization.slug])).content.decode()
    shown = re.search(r'data-testid="headcount">([\d,]+)<', html).group(1).replace(",", "")
    assert int(shown) == count
    assert "Employees now" in html


def test_revenue_is_shown_in_the_organisations_currency(seeded, client):
    organization, _ = seeded
    assert organization.currency == "GBP"
    client.force_login(User.objects.get(username="admin"))
    html = client.get(reverse("org:overview", args=[organization.slug])).content.decode()
    revenue = re.search(r"Revenue, last 30 days</div><div class=\"value\">([^<]+)<", html)
    assert revenue and re.fullmatch(r"£[\d,]+", revenue.group(1)), revenue


def test_the_contact_centres_agents_took_part_in_past_waves_too(seeded):
    organization, _ = seeded
    centre = Unit.objects.get(organization=organization, kind=Unit.Kind.CONTACT_CENTRE)
    past = (
        Wave.objects.filter(organization=organization, status=Wave.Status.CLOSED)
        .exclude(kind=Wave.Kind.CUSTOMER)
        .exclude(instrument__template="exit")  # the leaver survey asks leavers only
    )
    assert past.count() >= 3
    for wave in past:
        answered = wave.responses.filter(unit=centre).count()
        invited = Invitation.objects.filter(wave=wave, unit=centre)
        assert answered >= 2 * organization.min_group_size, wave.name
        assert invited.filter(responded=True).count() == answered, wave.name
        assert invited.count() >= 50, wave.name
