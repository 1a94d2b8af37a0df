"""A quarter that does not parse is refused where it would write: setting a goal or closing a
quarter through the API or the page is a 422 with the reason, and no goal is filed or
archived (it used to be read as the current quarter: 'bad' closed this quarter's goals)."""

import html
import json
import re

import pytest
from django.test import Client
from django.urls import reverse

from servicechain.recognition import selectors, services
from servicechain.recognition.models import Goal
from tests.recognition.helpers import build_org

pytestmark = pytest.mark.django_db
BAD_QUARTERS = ["bad", "2026-Q9", "2026-Q0", "1999-Q1", "", "Q3", "2026-Q3x"]


def client_for(org, name):
    client = Client()
    client.force_login(org.users[name])
    return client


def api(org):
    return f"/api/orgs/{org.organization.slug}/recognition"


def open_goal(org):
    year, quarter = selectors.current_quarter()
    return services.goal_create(
        viewer=org.viewer("boss"),
        title="Fewer open complaints",
        key_results=[{"title": "Open complaints", "target": 0, "start": 20}],
        year=year,
        quarter=quarter,
        employee=org.people["north0"],
    )


@pytest.mark.parametrize("quarter", BAD_QUARTERS)
def test_closing_a_quarter_that_does_not_parse_is_refused_and_archives_nothing(quarter):
    org = build_org()
    goal = open_goal(org)
    response = client_for(org, "boss").post(
        f"{api(org)}/quarters/close",
        json.dumps({"quarter": quarter}),
        content_type="application/json",
    )
    assert response.status_code == 422
    assert "Give the quarter as YYYY-Qn" in response.json()["detail"]
    goal.refresh_from_db()
    assert goal.status == "open" and goal.final_score is None


@pytest.mark.parametrize("quarter", ["2026-Q9", "someday"])
def test_setting_a_goal_for_a_quarter_that_does_not_parse_is_refused(quarter):
    org = build_org()
    body = {
        "title": "More five-star ratings",
        "quarter": quarter,
        "employee_id": org.people["north0"].pk,
        "key_results": [{"title": "Five-star ratings", "target": "30"}],
    }
    response = client_for(org, "boss").post(
        f"{api(org)}/goals", json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 422
    assert response.json()["detail"].startswith("quarter: Give the quarter as YYYY-Qn")
    assert not Goal.objects.filter(organization=org.organization).exists()


def test_a_goal_for_a_spelled_out_quarter_is_filed_under_it():
    org = build_org()
    body = {
        "title": "More five-star ratings",
        "quarter": "2027 q1",
        "employee_id": org.people["north0"].pk,
        "key_results": [{"title": "Five-star ratings", "target": "30"}],
    }
    response = client_for(org, "boss").post(
        f"{api(org)}/goals", json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["quarter"] == "2027 Q1"


def test_the_close_button_with_a_tampered_quarter_is_a_422_and_the_goal_stays_open():
    org = build_org()
    goal = open_goal(org)
    client = client_for(org, "boss")
    url = reverse("recognition:goals-close", args=[org.organization.slug])
    response = client.post(url, {"quarter": "bad"})
    assert response.status_code == 422
    text = html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())))
    assert "Give the quarter as YYYY-Qn with n from 1 to 4, e.g. 2026-Q3, not 'bad'." in text
    goals_page = client.get(reverse("recognition:goals", args=[org.organization.slug]))
    assert "Fewer open complaints" in goals_page.content.decode()
    goal.refresh_from_db()
    assert goal.status == "open"
    # the real button still closes it
    year, quarter = selectors.current_quarter()
    closed = client.post(url, {"quarter": f"{year}-Q{quarter}"}, follow=True)
    assert "1 goal of" in closed.content.decode()
    goal.refresh_from_db()
    assert goal.status == "archived"
