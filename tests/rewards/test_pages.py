"""The rewards pages as an admin fills them in: a plan the builder refuses comes back with
everything that was typed, components and pool included, so one mistake costs one fix."""

from __future__ import annotations

import re

import pytest

from servicechain.rewards.models import Plan
from tests.rewards.helpers import build_org

pytestmark = pytest.mark.django_db


def typed_value(page: str, field_id: str) -> str:
    tag = re.search(rf'<input id="{field_id}"[^>]*>', page).group(0)
    return re.search(r'value="([^"]*)"', tag).group(1)


def chosen_option(page: str, field_id: str) -> str:
    select = re.search(rf'<select id="{field_id}".*?</select>', page, re.S).group(0)
    return re.search(r'<option value="([^"]*)" selected>', select).group(1)


def test_a_refused_plan_keeps_its_components_and_pool_as_typed(client):
    org = build_org()
    client.force_login(org.users["admin"])
    response = client.post(
        f"/o/{org.organization.slug}/rewards/plans/",
        {
            "name": "Store service bonus",
            "period": "month",
            "name_1": "Store CSAT",
            "metric_1": "csat",
            "scope_1": "unit",
            "min_responses_1": "12",
            "baseline_months_1": "",
            "tiers_1": "80:fifty",
            "weight_1": "2",
            "pool_basis": "fixed",
            "pool_fixed_amount": "500",
            "weight_frontline": "3",
        },
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "Write a number, not &#x27;fifty&#x27;." in page
    assert typed_value(page, "name_1") == "Store CSAT"
    assert chosen_option(page, "metric_1") == "csat"
    assert chosen_option(page, "scope_1") == "unit"
    assert typed_value(page, "min_responses_1") == "12"
    assert typed_value(page, "baseline_months_1") == ""  # left blank on purpose: no baseline
    assert typed_value(page, "tiers_1") == "80:fifty"
    assert typed_value(page, "weight_1") == "2"
    assert chosen_option(page, "pool_basis") == "fixed"
    assert typed_value(page, "pool_fixed_amount") == "500"
    assert typed_value(page, "weight_frontline") == "3"
    assert not Plan.objects.filter(name="Store service bonus").exists()


def test_a_fresh_plan_form_offers_the_component_defaults(client):
    org = build_org()
    client.force_login(org.users["admin"])
    page = client.get(f"/o/{org.organization.slug}/rewards/plans/").content.decode()
    assert typed_value(page, "min_responses_1") == "10"
    assert typed_value(page, "baseline_months_1") == "6"
    assert typed_value(page, "weight_1") == "1"
    assert typed_value(page, "name_1") == ""
