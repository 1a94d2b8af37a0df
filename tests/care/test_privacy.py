"""Wellbeing is private: a mood check-in is seen by the person and, when shared, by the support
person they chose — no page or endpoint shows it to anyone else; HR sees only gated counts.
And the app plugs into the privacy rights: export, erasure, retention."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from servicechain.care import selectors, services
from servicechain.care.models import Incident, MoodCheckIn
from servicechain.org import services as org_services
from tests.care.helpers import world

pytestmark = pytest.mark.django_db
SECRET = "I cried in the stock room after the call"
SHARED = "Sleeping badly since Tuesday"


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def pages_and_endpoints(w) -> list[str]:
    org = w.organization.slug
    return [
        f"/o/{org}/care/",
        f"/o/{org}/care/wellbeing/",
        f"/o/{org}/care/figures/",
        f"/o/{org}/care/incidents/",
        f"/o/{org}/",
        f"/api/orgs/{org}/care/wellbeing/checkins",
        f"/api/orgs/{org}/care/figures",
        f"/api/orgs/{org}/care/incidents",
    ]


@pytest.fixture
def shared_world():
    w = world()
    clerk = w.scope(w.clerk)
    services.support_choose(scope=clerk, supporter_id=w.colleague.pk)
    services.mood_record(scope=clerk, mood=1, note=SECRET)
    services.mood_record(scope=clerk, mood=2, note=SHARED, share=True)
    services.support_ask(scope=clerk, message="Could we talk at lunch?")
    return w


def test_no_page_or_endpoint_shows_a_private_check_in_to_anyone_else(shared_world):
    w = shared_world
    for user in (w.admin, w.hr, w.region_manager, w.store_manager, w.colleague, w.outside_manager):
        client = client_for(user)
        for url in pages_and_endpoints(w):
            body = client.get(url).content.decode()
            assert SECRET not in body, (user.username, url)


def test_a_shared_check_in_reaches_only_the_chosen_support_person(shared_world):
    w = shared_world
    assert (
        SHARED
        in client_for(w.colleague).get(f"/o/{w.organization.slug}/care/wellbeing/").content.decode()
    )
    for user in (w.admin, w.hr, w.region_manager, w.store_manager):
        for url in pages_and_endpoints(w):
            assert SHARED not in client_for(user).get(url).content.decode(), (user.username, url)


def test_the_person_reads_their_own_check_ins(shared_world):
    w = shared_world
    page = client_for(w.clerk).get(f"/o/{w.organization.slug}/care/wellbeing/").content.decode()
    assert SECRET in page and SHARED in page
    api = client_for(w.clerk).get(f"/api/orgs/{w.organization.slug}/care/wellbeing/checkins").json()
    assert {c["note"] for c in api} == {SECRET, SHARED}


def test_hr_figures_withhold_units_below_the_minimum_group_size(shared_world):
    w = shared_world
    figures = selectors.hr_by_unit_month(w.scope(w.hr))
    month = figures["months"][-1]
    rows = {row["unit"].pk: row for row in figures["mood"][month]}
    assert rows[w.store.pk]["suppressed"] and rows[w.store.pk]["mood"] is None
    api = client_for(w.hr).get(f"/api/orgs/{w.organization.slug}/care/figures").json()
    cells = [c for c in api["mood"][month] if c["unit_id"] == w.store.pk]
    assert cells[0]["suppressed"] and cells[0]["value"] is None and cells[0]["people"] is None


def test_hr_figures_show_a_unit_once_enough_people_checked_in():
    from tests.care.helpers import employee_with_login

    w = world()
    last_month = timezone.now().replace(day=1) - dt.timedelta(days=5)
    for n in range(6):
        user, _ = employee_with_login(w.organization, w.store, f"acme-extra{n}")
        checkin = services.mood_record(scope=w.scope(user), mood=4)
        MoodCheckIn.objects.filter(pk=checkin.pk).update(created_at=last_month)
    services.figures_publish(organization=w.organization)
    figures = selectors.hr_by_unit_month(w.scope(w.hr))
    rows = {row["unit"].pk: row for row in figures["mood"][figures["months"][-1]]}
    assert not rows[w.store.pk]["suppressed"] and rows[w.store.pk]["mood"] == 4.0
    assert rows[w.store.pk]["people"] == 6


def test_employees_cannot_read_unit_figures():
    w = world()
    assert client_for(w.clerk).get(f"/o/{w.organization.slug}/care/figures/").status_code == 403
    assert (
        client_for(w.clerk).get(f"/api/orgs/{w.organization.slug}/care/figures").status_code == 403
    )


def test_export_holds_the_persons_care_data_and_erasure_removes_wellbeing(shared_world):
    w = shared_world
    services.incident_report(
        scope=w.scope(w.clerk),
        category="upset",
        severity=1,
        description="Angry about a refund.",
        interaction_id=w.interaction.pk,
    )
    exported = org_services.employee_export(employee=w.clerk_employee)
    assert any(m["note"] == SECRET for m in exported["care_wellbeing"]["mood_checkins"])
    assert exported["care_incidents"][0]["category"] == "upset"
    org_services.employee_erase(employee=w.clerk_employee)
    assert not MoodCheckIn.objects.filter(employee=w.clerk_employee).exists()
    incident = Incident.objects.get()
    assert incident.employee is None and incident.reported_by is None
    assert incident.unit == w.store  # the unit's record stays


def test_retention_deletes_incidents_decided_long_ago_but_not_a_sanction_in_force():
    w = world()
    old = services.incident_report(
        scope=w.scope(w.clerk),
        category="upset",
        severity=1,
        description="Shouted about a refund.",
        interaction_id=w.interaction.pk,
    )
    services.incident_decide(scope=w.scope(w.store_manager), incident=old)
    live = services.incident_report(
        scope=w.scope(w.clerk),
        category="violence",
        severity=4,
        description="He punched me.",
        interaction_id=w.interaction.pk,
    )
    services.incident_decide(scope=w.scope(w.store_manager), incident=live)
    Incident.objects.update(decided_at=timezone.now() - dt.timedelta(days=400))
    from servicechain.org.models import RetentionPolicy

    RetentionPolicy.objects.create(organization=w.organization, incident_months=6)
    org_services.retention_apply(organization=w.organization)
    assert list(Incident.objects.values_list("pk", flat=True)) == [live.pk]
