"""Pages and API are role-scoped: the owner can, another unit or organisation cannot, an
anonymous visitor is sent to log in; bad input is a 4xx with one line, never a 500."""

from __future__ import annotations

import pytest
from django.test import Client

from servicechain.care import services
from servicechain.care.models import Incident, Sanction
from tests.care.helpers import world

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_reporting_from_the_page_takes_one_post_and_shows_the_status():
    w = world()
    client = client_for(w.clerk)
    org = w.organization.slug
    form = client.get(f"/o/{org}/care/report/?interaction={w.interaction.pk}")
    assert form.status_code == 200 and "Report an incident" in form.content.decode()
    response = client.post(
        f"/o/{org}/care/report/",
        {
            "interaction": w.interaction.pk,
            "category": "abusive_language",
            "severity": "2",
            "description": "Called me a useless idiot.",
        },
        follow=True,
    )
    page = response.content.decode()
    assert response.status_code == 200 and "Reported — waiting for a decision" in page
    assert Incident.objects.get().category == "abusive_language"


def test_the_header_offers_report_an_incident_on_every_page():
    w = world()
    page = client_for(w.clerk).get(f"/o/{w.organization.slug}/").content.decode()
    assert f'href="/o/{w.organization.slug}/care/report/"' in page


def test_a_bad_report_from_the_page_is_a_422_with_one_line_and_writes_nothing():
    w = world()
    response = client_for(w.clerk).post(
        f"/o/{w.organization.slug}/care/report/",
        {"category": "threat", "severity": "9", "description": "x"},
    )
    assert response.status_code == 422
    assert "Severity must be 1-4, not 9." in response.content.decode()
    assert not Incident.objects.exists()


def test_the_suggestion_appears_as_the_person_types():
    w = world()
    response = client_for(w.clerk).post(
        f"/o/{w.organization.slug}/care/report/suggest/",
        {"description": "He said he knows where I live and will wait outside"},
    )
    assert 'data-category="threat"' in response.content.decode()


def test_an_incident_is_seen_by_its_reporter_and_managers_not_by_others():
    w = world()
    incident = services.incident_report(
        scope=w.scope(w.clerk),
        category="threat",
        severity=3,
        description="Threatened me.",
        interaction_id=w.interaction.pk,
    )
    url = f"/o/{w.organization.slug}/care/incidents/{incident.pk}/"
    for user in (w.clerk, w.store_manager, w.region_manager, w.admin):
        assert client_for(user).get(url).status_code == 200, user.username
    for user in (w.colleague, w.outside_manager, w.hr):
        assert client_for(user).get(url).status_code == 404, user.username
    other = world("other")
    assert client_for(other.admin).get(url).status_code == 404
    assert Client().get(url).status_code == 302


def test_the_manager_confirms_on_the_page_and_the_appeal_goes_to_someone_else():
    w = world()
    incident = services.incident_report(
        scope=w.scope(w.clerk),
        category="threat",
        severity=3,
        description="Threatened me.",
        interaction_id=w.interaction.pk,
    )
    org = w.organization.slug
    manager = client_for(w.store_manager)
    manager.post(
        f"/o/{org}/care/incidents/{incident.pk}/decide/", {"outcome": "exclusion", "months": "6"}
    )
    assert Sanction.objects.get().confirmed_by == w.store_manager
    manager.post(f"/o/{org}/care/incidents/{incident.pk}/appeal/", {"text": "Let me back."})
    page = manager.get(f"/o/{org}/care/incidents/{incident.pk}/").content.decode()
    assert "Review the appeal" not in page
    regional = client_for(w.region_manager)
    assert (
        "Review the appeal"
        in regional.get(f"/o/{org}/care/incidents/{incident.pk}/").content.decode()
    )
    response = manager.post(
        f"/o/{org}/care/incidents/{incident.pk}/review/", {"result": "lifted", "note": "x"}
    )
    assert response.status_code == 403
    assert Incident.objects.get().state == "appealed"


def test_api_report_decide_and_standing_round_trip():
    w = world()
    org = w.organization.slug
    clerk = client_for(w.clerk)
    created = clerk.post(
        f"/api/orgs/{org}/care/incidents",
        {
            "category": "violence",
            "severity": 4,
            "description": "He hit me.",
            "interaction_id": w.interaction.pk,
        },
        content_type="application/json",
    )
    assert created.status_code == 201 and created.json()["proposed_outcome"] == "exclusion"
    pk = created.json()["id"]
    denied = clerk.post(
        f"/api/orgs/{org}/care/incidents/{pk}/decide", {}, content_type="application/json"
    )
    assert denied.status_code == 403 and denied.json()["detail"]
    decided = client_for(w.store_manager).post(
        f"/api/orgs/{org}/care/incidents/{pk}/decide", {}, content_type="application/json"
    )
    assert decided.json()["state"] == "decided"
    standing = clerk.get(f"/api/orgs/{org}/care/customers/{w.customer.pk}/standing").json()
    assert standing["excluded"] and standing["sanctions"] == ["exclusion"]


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        ({"category": "threat", "severity": 0, "description": "x"}, 422),
        ({"category": "threat", "severity": 2, "description": "x", "interaction_id": 99999}, 422),
        ({"category": "nonsense", "severity": 2, "description": "x"}, 422),
        ({"severity": 2}, 422),
    ],
)
def test_api_bad_reports_are_4xx_with_a_detail(payload, status):
    w = world()
    response = client_for(w.clerk).post(
        f"/api/orgs/{w.organization.slug}/care/incidents", payload, content_type="application/json"
    )
    assert response.status_code == status and response.json()["detail"]
    assert not Incident.objects.exists()


def test_api_spending_over_the_allowance_is_refused_then_asked():
    w = world()
    org = w.organization.slug
    clerk = client_for(w.clerk)
    body = {
        "interaction_id": w.interaction.pk,
        "kind": "refund",
        "reason": "fault",
        "amount": "80.00",
    }
    refused = clerk.post(f"/api/orgs/{org}/care/goodwill", body, content_type="application/json")
    assert refused.status_code == 422 and "ask your manager" in refused.json()["detail"]
    asked = clerk.post(
        f"/api/orgs/{org}/care/goodwill",
        body | {"ask_manager": True},
        content_type="application/json",
    )
    assert asked.status_code == 201 and asked.json()["status"] == "pending"
    pk = asked.json()["id"]
    outside = client_for(w.outside_manager).post(f"/api/orgs/{org}/care/goodwill/{pk}/approve")
    assert outside.status_code == 404
    approved = client_for(w.store_manager).post(f"/api/orgs/{org}/care/goodwill/{pk}/approve")
    assert approved.json()["status"] == "approved" and approved.json()["amount"] == "80.00"


@pytest.mark.parametrize(
    "path",
    [
        "",
        "report/",
        "recovery/",
        "allowance/",
        "wellbeing/",
        "policy/",
        "allowance/report/",
        "figures/",
        "incidents/",
    ],
)
def test_every_page_answers_its_members_and_sends_strangers_away(path):
    w = world()
    url = f"/o/{w.organization.slug}/care/{path}"
    assert client_for(w.admin).get(url).status_code == 200
    assert client_for(world("other").admin).get(url).status_code == 404
    assert Client().get(url).status_code == 302
