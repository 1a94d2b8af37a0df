"""Who may open every page and call every endpoint (deny by default).

One world: the pie-van team with an agent login, its lead (manager of the centre), an
administrator, an HR analyst, a store employee and a manager of another area, plus a member
of another organisation and an anonymous visitor. Each test states, per person, the status
one page or endpoint gives them.
"""

from __future__ import annotations

import json

import pytest
from django.test import Client

from servicechain.contactcentre import services
from servicechain.contactcentre.models import MoveRequest, Schedule
from servicechain.org.models import Unit
from tests.contactcentre.helpers import (
    DAY,
    agent_login,
    lead_login,
    make_agent,
    make_centre,
    pie_van_day,
)
from tests.factories import OrganizationFactory, make_unit, member

pytestmark = pytest.mark.django_db
PEOPLE = ("agent", "lead", "admin", "hr", "store", "area", "outsider", "anonymous")


@pytest.fixture
def world():
    team, agents = pie_van_day()
    org = team.organization
    root = Unit.objects.get(organization=org, depth=0)
    area = make_unit(org, "North", parent=root, kind="area")
    store = make_unit(org, "Leeds store", parent=area, kind="store")
    agent_user, agent = agent_login(team, "agent")
    # The agent works the pie-van day too (replacing the first generated agent's shift).
    Schedule.objects.get().shifts.filter(agent=agents[0]).update(agent=agent)
    other = make_centre(OrganizationFactory(), slug="elsewhere")
    users = {
        "agent": agent_user,
        "lead": lead_login(team),
        "admin": member(org, "admin", username="admin"),
        "hr": member(org, "hr_analyst", username="hr"),
        "store": member(org, "employee", store, username="store"),
        "area": member(org, "manager", area, username="area"),
        "outsider": member(other.organization, "admin", username="outsider"),
        "anonymous": None,
    }
    return {"team": team, "agent": agent, "colleague": agents[1], "users": users, "org": org}


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def statuses(world, method, url, data=None, *, json_body=None, people=PEOPLE) -> dict:
    out = {}
    for name in people:
        client = client_for(world["users"][name])
        if json_body is not None:
            send = client.patch if method == "patch" else client.post
            response = send(url, json.dumps(json_body), content_type="application/json")
        elif method == "post":
            response = client.post(url, data or {})
        else:
            response = client.get(url, data or {})
        out[name] = response.status_code
        if response.status_code >= 500:
            raise AssertionError(f"{name} got {response.status_code} from {url}")
    return out


def page(world, path=""):
    return f"/o/{world['org'].slug}/contact-centre/{path}"


def api(world, path):
    return f"/api/orgs/{world['org'].slug}/contact-centre/{path}"


def login_redirects(world, url):
    response = client_for(None).get(url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --------------------------------------------------------------------------- pages


def test_team_day_is_open_to_the_centre_and_whole_organisation_roles_only(world):
    got = statuses(world, "get", page(world, "teams/inbound/"), {"day": DAY})
    assert got == {
        "agent": 200,
        "lead": 200,
        "admin": 200,
        "hr": 200,
        "store": 404,
        "area": 404,
        "outsider": 404,
        "anonymous": 302,
    }
    login_redirects(world, page(world, "teams/inbound/"))


def test_agent_sees_their_own_day_and_nobody_else_has_one(world):
    got = statuses(world, "get", page(world, "me/"), {"day": DAY})
    assert got["agent"] == 200
    assert {got[p] for p in ("lead", "admin", "hr", "store", "area")} == {403}
    assert got["outsider"] == 404 and got["anonymous"] == 302
    html = client_for(world["users"]["agent"]).get(page(world, "me/"), {"day": DAY}).content
    assert b"12:00\xe2\x80\x9312:30" in html, "the agent's own lunch is shown"


def test_home_sends_an_agent_to_their_day_and_lists_teams_for_leads(world):
    got = statuses(world, "get", page(world))
    assert got["agent"] == 302 and got["lead"] == 200 and got["store"] == 200
    assert got["outsider"] == 404 and got["anonymous"] == 302
    listing = client_for(world["users"]["lead"]).get(page(world)).content.decode()
    assert "Inbound" in listing
    store_view = client_for(world["users"]["store"]).get(page(world)).content.decode()
    assert "Inbound" not in store_view


def test_move_preview_and_request_are_for_agents_only(world):
    query = {"day": DAY, "position": 0, "to_start": 4}
    got = statuses(world, "get", page(world, "me/preview/"), query)
    assert got["agent"] == 200 and got["lead"] == 403 and got["outsider"] == 404
    got = statuses(world, "post", page(world, "me/requests/"), query, people=("lead", "outsider"))
    assert got == {"lead": 403, "outsider": 404}
    assert not MoveRequest.objects.exists()
    response = client_for(world["users"]["agent"]).post(page(world, "me/requests/"), query)
    assert response.status_code == 302
    assert MoveRequest.objects.get().status == MoveRequest.Status.PENDING_LEAD


def test_lead_pages_are_for_the_centres_planners(world):
    for path in ("requests/", "agents/", "volumes/", "forecast/", "schedules/", "intraday/"):
        got = statuses(world, "get", page(world, f"teams/inbound/{path}"))
        assert got == {
            "agent": 403,
            "lead": 200,
            "admin": 200,
            "hr": 403,
            "store": 404,
            "area": 404,
            "outsider": 404,
            "anonymous": 302,
        }, path


def test_agent_contracts_are_edited_by_the_centres_planners_only(world):
    url = page(world, f"teams/inbound/agents/{world['colleague'].pk}/")
    form = {
        "shift_lengths": "300",
        "earliest_start": "10:00",
        "latest_end": "15:00",
        "working_days": ["0", "1"],
        "paid_breaks": "0",
        "lunch_minutes": "30",
        "start_step_minutes": "15",
    }
    expected = {
        "agent": 403,
        "lead": 200,
        "admin": 200,
        "hr": 403,
        "store": 404,
        "area": 404,
        "outsider": 404,
        "anonymous": 302,
    }
    assert statuses(world, "get", url) == expected
    login_redirects(world, url)
    refused = [p for p in PEOPLE if p not in ("lead", "admin")]
    got = statuses(world, "post", url, form, people=refused)
    assert got == {p: expected[p] for p in refused}
    world["colleague"].refresh_from_db()
    assert world["colleague"].shift_lengths == [360], "nobody but a planner changed it"
    assert statuses(world, "post", url, form, people=("admin",)) == {"admin": 302}
    world["colleague"].refresh_from_db()
    assert world["colleague"].shift_lengths == [300]


def test_an_agent_is_edited_only_through_their_own_team(world):
    elsewhere = make_centre(world["org"], slug="outbound")
    stranger = make_agent(elsewhere)
    foreign = make_agent(make_centre(OrganizationFactory(), slug="abroad"))
    lead = client_for(world["users"]["lead"])

    assert lead.get(page(world, f"teams/inbound/agents/{stranger.pk}/")).status_code == 404
    assert lead.get(page(world, f"teams/inbound/agents/{foreign.pk}/")).status_code == 404
    roster = lead.get(page(world, "teams/inbound/agents/")).content.decode()
    for agent in world["team"].agents.all():
        assert f'href="{page(world, f"teams/inbound/agents/{agent.pk}/")}"' in roster
    assert f"/agents/{stranger.pk}/" not in roster


def test_only_a_lead_of_the_team_can_decide_and_only_once(world):
    move = services.lunch_move_request(agent=world["agent"], day=DAY, position=0, to_start=4)
    url = page(world, f"requests/{move.pk}/decide/")
    got = statuses(
        world, "post", url, {"decision": "approve"}, people=("agent", "hr", "store", "outsider")
    )
    assert got == {"agent": 403, "hr": 403, "store": 404, "outsider": 404}
    client_for(world["users"]["lead"]).post(url, {"decision": "approve", "note": "Enjoy"})
    move.refresh_from_db()
    assert move.status == MoveRequest.Status.APPROVED
    assert move.decided_by == world["users"]["lead"]


def test_schedule_review_and_publish_are_for_planners(world):
    schedule = Schedule.objects.get()
    got = statuses(world, "get", page(world, f"schedules/{schedule.pk}/"))
    assert got["lead"] == 200 and got["agent"] == 403 and got["hr"] == 403
    assert got["store"] == 404 and got["outsider"] == 404 and got["anonymous"] == 302


def test_only_the_owner_withdraws_and_only_the_colleague_answers(world):
    swap = services.lunch_move_request(
        agent=world["agent"], day=DAY, position=0, colleague=world["colleague"]
    )
    other_user, _ = agent_login(world["team"], "another-agent")
    world["users"]["another"] = other_user
    got = statuses(
        world,
        "post",
        page(world, f"me/requests/{swap.pk}/answer/"),
        {"accept": "yes"},
        people=("agent", "another", "lead"),
    )
    assert got == {"agent": 404, "another": 404, "lead": 403}
    got = statuses(
        world, "post", page(world, f"me/requests/{swap.pk}/withdraw/"), people=("another",)
    )
    assert got == {"another": 404}
    swap.refresh_from_db()
    assert swap.status == MoveRequest.Status.PENDING_COLLEAGUE


# --------------------------------------------------------------------------- API


def test_api_published_day_follows_the_page_rules(world):
    got = statuses(world, "get", api(world, "teams/inbound/schedule"), {"day": DAY})
    assert got == {
        "agent": 200,
        "lead": 200,
        "admin": 200,
        "hr": 200,
        "store": 404,
        "area": 404,
        "outsider": 404,
        "anonymous": 401,
    }


def test_api_planning_endpoints_are_for_planners(world):
    schedule = Schedule.objects.get()
    for method, path, body in [
        ("get", "teams/inbound/forecast", None),
        ("get", "teams/inbound/requirements?day=2030-01-08", None),
        ("post", "teams/inbound/forecasts", {"first_day": "2030-01-08"}),
        ("post", "teams/inbound/schedules", {"first_day": "2030-01-08"}),
        ("get", f"schedules/{schedule.pk}", None),
        ("post", "teams/inbound/intraday", {}),
    ]:
        got = statuses(world, method, api(world, path), json_body=body, people=PEOPLE[:-1])
        assert got["agent"] == 403 and got["hr"] == 403, path
        assert got["store"] == got["area"] == got["outsider"] == 404, path
        assert got["lead"] in (200, 202, 404), path  # 404: no forecast yet
    response = client_for(None).post(api(world, "teams/inbound/forecasts"))
    assert response.status_code == 401


def test_api_agent_contract_follows_the_page_rules(world):
    colleague = world["colleague"]
    got = statuses(
        world, "patch", api(world, f"agents/{colleague.pk}"), json_body={"paid_breaks": 1}
    )
    assert got == {
        "agent": 403,
        "lead": 200,
        "admin": 200,
        "hr": 403,
        "store": 404,
        "area": 404,
        "outsider": 404,
        "anonymous": 401,
    }
    foreign = make_agent(make_centre(OrganizationFactory(), slug="abroad"))
    lead = client_for(world["users"]["lead"])
    response = lead.patch(
        api(world, f"agents/{foreign.pk}"), '{"paid_breaks": 1}', "application/json"
    )
    assert response.status_code == 404
    foreign.refresh_from_db()
    assert foreign.paid_breaks == 0


def test_api_moves_preview_create_and_decide(world):
    agent, lead = (client_for(world["users"][p]) for p in ("agent", "lead"))
    body = {"day": "2030-01-08", "position": 0, "to_clock": "10:00"}
    preview = agent.post(api(world, "moves/preview"), json.dumps(body), "application/json")
    assert preview.status_code == 200
    assert preview.json()["verdict"] == "needs_lead"
    assert not MoveRequest.objects.exists(), "a preview saves nothing"
    assert (
        lead.post(api(world, "moves/preview"), json.dumps(body), "application/json").status_code
        == 403
    )

    created = agent.post(api(world, "moves"), json.dumps(body), "application/json")
    assert created.status_code == 201 and created.json()["status"] == "pending_lead"
    pending = lead.get(api(world, "moves"), {"status": "pending_lead"}).json()
    assert [m["id"] for m in pending] == [created.json()["id"]]
    move_id = created.json()["id"]
    assert (
        agent.post(api(world, f"moves/{move_id}/approve"), "{}", "application/json").status_code
        == 403
    )
    outsider = client_for(world["users"]["outsider"])
    assert (
        outsider.post(api(world, f"moves/{move_id}/approve"), "{}", "application/json").status_code
        == 404
    )
    decided = lead.post(
        api(world, f"moves/{move_id}/decline"), '{"note": "busy"}', "application/json"
    )
    assert decided.status_code == 200 and decided.json()["status"] == "declined"
    again = lead.post(api(world, f"moves/{move_id}/approve"), "{}", "application/json")
    assert again.status_code == 422 and "declined" in again.json()["detail"]


@pytest.mark.parametrize(
    "body",
    [
        {"day": "2030-01-08", "position": 0},
        {"day": "2030-01-08", "position": 0, "to_clock": "10:07"},
        {"day": "2030-01-08", "position": 0, "to_clock": "noon"},
        {"day": "2030-01-08", "position": 5, "to_start": 4},
        {"day": "2031-01-01", "position": 0, "to_start": 4},
        {"day": "not a day", "position": 0},
        {"day": "2030-01-08", "position": 0, "colleague": 999999},
    ],
)
def test_api_bad_moves_are_4xx_with_a_detail(world, body):
    agent = client_for(world["users"]["agent"])

    for path in ("moves/preview", "moves"):
        response = agent.post(api(world, path), json.dumps(body), "application/json")
        assert 400 <= response.status_code < 500, (path, response.content)
        assert response.json()["detail"]


def test_api_previews_a_move_the_rules_forbid_but_refuses_to_make_it(world):
    agent = client_for(world["users"]["agent"])
    body = json.dumps({"day": "2030-01-08", "position": 0, "to_start": 1})

    preview = agent.post(api(world, "moves/preview"), body, "application/json")
    created = agent.post(api(world, "moves"), body, "application/json")

    assert preview.status_code == 200 and preview.json()["verdict"] == "not_allowed"
    assert preview.json()["reason"].startswith("lunch outside the allowed window")
    assert created.status_code == 422 and "not possible" in created.json()["detail"]


def test_api_volume_upload_is_atomic_and_for_planners(world):
    lead, agent = (client_for(world["users"][p]) for p in ("lead", "agent"))
    good = b"interval_start,calls,aht_s\n2030-01-07 09:00,4,300\n"
    bad = b"interval_start,calls,aht_s\n2030-01-07 09:00,4,300\n2030-01-07 09:15,x,300\n"
    url = api(world, "teams/inbound/volumes")

    from django.core.files.uploadedfile import SimpleUploadedFile

    assert agent.post(url, {"file": SimpleUploadedFile("v.csv", good)}).status_code == 403
    rejected = lead.post(url, {"file": SimpleUploadedFile("v.csv", bad)})
    assert rejected.status_code == 422
    assert rejected.json()["errors"][0]["column"] == "calls"
    accepted = lead.post(url, {"file": SimpleUploadedFile("v.csv", good)})
    assert accepted.status_code == 200 and accepted.json()["created"] == 1


def test_api_jobs_report_progress_to_planners_only(world):
    lead = client_for(world["users"]["lead"])
    started = lead.post(
        api(world, "teams/inbound/schedules"), '{"first_day": "2030-01-08"}', "application/json"
    )
    assert started.status_code == 202
    job = started.json()
    assert job["status"] == "failed" and "forecast" in job["message"]
    got = statuses(world, "get", api(world, f"jobs/{job['id']}"), people=PEOPLE[:-1])
    assert got["lead"] == 200 and got["agent"] == 403 and got["outsider"] == 404


def test_api_lists_only_visible_teams(world):
    agent = client_for(world["users"]["agent"]).get(api(world, "teams")).json()
    store = client_for(world["users"]["store"]).get(api(world, "teams")).json()
    assert [t["slug"] for t in agent] == ["inbound"] and not agent[0]["can_plan"]
    assert store == []
