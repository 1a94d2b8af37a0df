"""A badge by hand through the API: an unknown badge — one that could not be a slug, a NUL
character included, which PostgreSQL refused with a 500 — is a 422 and no badge is awarded;
a known one is awarded once with its reason."""

import json

import pytest
from django.test import Client

from servicechain.recognition.models import Award, Badge
from tests.recognition.helpers import build_org

pytestmark = pytest.mark.django_db


def award(org, badge: str):
    client = Client()
    client.force_login(org.users["boss"])
    body = {"badge": badge, "employee_id": org.people["north1"].pk, "reason": "Saved the day"}
    return client.post(
        f"/api/orgs/{org.organization.slug}/recognition/awards",
        json.dumps(body),
        content_type="application/json",
    )


@pytest.mark.parametrize("slug", ["hero\u0000", "no such badge", "villain"])
def test_an_unknown_badge_is_a_422_and_nothing_is_awarded(slug):
    org = build_org()
    Badge.objects.create(organization=org.organization, name="Hero", slug="hero", description="-")
    response = award(org, slug)
    assert response.status_code == 422
    assert response.json()["detail"] == f"badge: No badge {slug!r} in this organisation."
    assert not Award.objects.exists()


def test_a_known_badge_is_awarded_by_hand_with_its_reason():
    org = build_org()
    Badge.objects.create(organization=org.organization, name="Hero", slug="hero", description="-")
    response = award(org, "hero")
    assert response.status_code == 201, response.content
    assert response.json()["badge"] == "Hero"
    [given] = Award.objects.all()
    assert given.employee == org.people["north1"] and given.reason == "Saved the day"
