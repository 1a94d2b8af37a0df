"""The recognition API: deny by default, the same rules as the pages, bad input 422 with the
reason and nothing changed."""

import json

import pytest
from django.test import Client

from servicechain.recognition import services
from servicechain.recognition.models import Kudos, PointsEntry
from tests.recognition.helpers import build_org

pytestmark = pytest.mark.django_db


def client_for(org, name):
    client = Client()
    client.force_login(org.users[name])
    return client


def post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def base(org):
    return f"/api/orgs/{org.organization.slug}/recognition"


def test_giving_kudos_through_the_api_and_reading_it_back():
    org = build_org()
    client = client_for(org, "north0")
    response = post(
        client,
        f"{base(org)}/kudos",
        {"message": "Thanks!", "values": ["own-it"], "team_id": org.north.pk, "points": 5},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert sorted(p["name"] for p in body["recipients"]) == ["North1 Tester", "North2 Tester"]
    assert body["points_each"] == 5 and body["values"] == ["own-it"]
    feed = client_for(org, "south0").get(f"{base(org)}/feed").json()
    assert [k["id"] for k in feed["kudos"]] == [body["id"]]
    reacted = post(
        client_for(org, "south0"), f"{base(org)}/kudos/{body['id']}/reactions", {"kind": "heart"}
    )
    assert {r["kind"]: r["count"] for r in reacted.json()["reactions"]}["heart"] == 1


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"recipients": [999999]}, "No current colleague with id 999999"),
        ({"values": []}, "at least one of the organisation's values"),
        ({"recipients": "self"}, "cannot recognise yourself"),
        ({"points": -1}, "cannot be negative"),
        ({"points": 101}, "You have 100 points left this month"),
        ({"visibility": "everyone"}, "Choose one of"),
        ({"message": "bad\u0000byte"}, "NUL"),
    ],
)
def test_bad_input_is_a_422_with_the_reason_and_changes_nothing(body, message):
    org = build_org()
    recipients = (
        [org.people["north0"].pk] if body.get("recipients") == "self" else [org.people["north1"].pk]
    )
    payload = {"message": "Thanks", "values": ["own-it"], "recipients": recipients} | {
        k: v for k, v in body.items() if v != "self"
    }
    if body.get("recipients") == "self":
        payload["recipients"] = recipients
    response = post(client_for(org, "north0"), f"{base(org)}/kudos", payload)
    assert response.status_code == 422
    assert message in response.json()["detail"]
    assert Kudos.objects.count() == 0 and PointsEntry.objects.count() == 0


def test_deny_by_default():
    org, other = build_org(), build_org()
    kudos = services.kudos_give(
        giver=org.people["north0"],
        message="x",
        values=["own-it"],
        recipients=[org.people["north1"]],
    )
    assert Client().get(f"{base(org)}/feed").status_code == 401
    outsider = client_for(other, "north0")
    assert outsider.get(f"{base(org)}/feed").status_code == 404
    assert (
        outsider.get(
            f"/api/orgs/{other.organization.slug}/recognition/kudos/{kudos.pk}"
        ).status_code
        == 404
    )
    employee = client_for(org, "north0")
    assert employee.get(f"{base(org)}/spread").status_code == 403
    assert post(employee, f"{base(org)}/achievements/run", {}).status_code == 403
    assert post(employee, f"{base(org)}/kudos/{kudos.pk}/hide", {"reason": "x"}).status_code == 403
    hr = client_for(org, "hr")
    response = client_for(org, "hr").put(
        f"{base(org)}/spot-bonus-budgets",
        json.dumps({"manager_user_id": org.users["north0"].pk, "year": 2026, "amount": "10"}),
        content_type="application/json",
    )
    assert response.status_code == 422 and "manager role" in response.json()["detail"]
    assert (
        post(
            hr, f"{base(org)}/kudos", {"message": "x", "values": ["own-it"], "recipients": []}
        ).status_code
        == 403
    )


def test_the_api_profile_shows_what_the_page_shows():
    org = build_org()
    url = f"{base(org)}/people/{org.people['north1'].pk}"
    colleague = client_for(org, "south0").get(url).json()
    own = client_for(org, "north1").get(url).json()
    assert colleague["sections"] == ["kudos_received", "kudos_given", "achievements"]
    assert colleague["allowance_left"] is None and colleague["goals"] is None
    assert own["allowance_left"] == 100 and own["goals"] == []
    page = client_for(org, "south0").get(
        f"/o/{org.organization.slug}/recognition/people/{org.people['north1'].pk}/"
    )
    sections = {
        s
        for s in ("goals", "allowance", "spot_bonuses")
        if f'data-section="{s}"' in page.content.decode()
    }
    assert sections == set()


def test_the_spread_api_is_gated_and_lists_names_only_to_the_manager():
    org = build_org(min_n=3)
    manager = client_for(org, "boss").get(f"{base(org)}/spread").json()
    hr = client_for(org, "hr").get(f"{base(org)}/spread").json()
    assert manager["unrecognised"] and hr["unrecognised"] is None
    assert all(row["people"] is None or row["people"] >= 3 for row in hr["rows"])
    assert all(row["gini"] is None for row in hr["rows"] if row["suppressed"])
