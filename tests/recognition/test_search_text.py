"""The name searches (colleagues to recognise, customers to find) read a NUL character as
nothing rather than failing: PostgreSQL refuses it in a query, which was a 500."""

import pytest
from django.test import Client

from tests.factories import CustomerFactory
from tests.recognition.helpers import build_org

pytestmark = pytest.mark.django_db


def test_a_colleague_search_with_a_nul_finds_the_colleague():
    org = build_org()
    client = Client()
    client.force_login(org.users["north0"])
    response = client.get(
        f"/o/{org.organization.slug}/recognition/give/colleagues/", {"q": "Sou\u0000th1"}
    )
    assert response.status_code == 200
    assert "South1 Tester" in response.content.decode()


def test_a_customer_search_with_a_nul_finds_the_customer():
    org = build_org()
    CustomerFactory(organization=org.organization, name="Grace Jackson")
    client = Client()
    client.force_login(org.users["admin"])
    response = client.get(f"/o/{org.organization.slug}/loyalty/", {"q": "Grace\u0000"})
    assert response.status_code == 200
    assert "Grace Jackson" in response.content.decode()
