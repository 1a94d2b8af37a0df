"""Each person's home at /o/<org>/: the cards of what they can act on, and a header that
offers what their role can use."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from servicechain.contactcentre import services as cc_services
from servicechain.insights import services as insights_services
from servicechain.org.access import scope_for
from servicechain.org.context import Persona
from tests.contactcentre.helpers import (
    DAY,
    agent_login,
    lead_login,
    make_agent,
    make_centre,
    publish_day,
)
from tests.factories import UserFactory, member
from tests.surveys.helpers import build_org, open_wave

pytestmark = pytest.mark.django_db


def nav_labels(page: str) -> list[str]:
    nav = re.search(r'<nav aria-label="Main">(.*?)</nav>', page, re.S).group(1)
    return re.findall(r">([^<>]+)</a>", nav)


def card_keys(page: str) -> list[str]:
    return re.findall(r'data-card="([a-z_]+)"', page)


@pytest.fixture
def acme():
    org, units = build_org()
    return org, units


def home_of(client, user, slug="acme") -> str:
    client.force_login(user)
    response = client.get(f"/o/{slug}/")
    assert response.status_code == 200
    return response.content.decode()


def test_an_employee_sees_the_open_survey_with_answer_now_and_what_the_manager_sees(acme, client):
    org, units = acme
    employee = units["north_a"].employees.first()
    user = member(org, "employee", units["north_a"])
    employee.user = user
    employee.save(update_fields=["user"])
    wave = open_wave(org, units["root"], name="Spring census")
    from servicechain.surveys import services as survey_services

    survey_services.invitation_send(wave=wave, seed=1)

    page = home_of(client, user)

    assert card_keys(page)[:1] == ["open_surveys"]
    assert "Spring census" in page and "Answer now" in page
    assert "14 days left" in page
    assert "Your answers are confidential" in page
    assert "What my manager can see" in page and "/o/acme/privacy/" in page
    assert nav_labels(page) == [
        "Home",
        "Surveys",
        "Engagement",
        "Comments",
        "Action plans",
        "Recognition",
        "Goals",
        "Care",
    ]
    assert 'data-testid="role-label">Employee<' in page


def test_the_privacy_page_states_the_organisations_minimum_group_size(acme, client):
    org, units = acme
    client.force_login(member(org, "employee", units["north_a"]))
    page = client.get("/o/acme/privacy/").content.decode()
    assert "groups of at least <strong>5</strong> people" in page


def test_a_manager_sees_open_plans_overdue_first(acme, client):
    org, units = acme
    manager = member(org, "manager", units["north"])
    for title, days in (("Later plan", 30), ("Overdue plan", -3), ("Soon plan", 5)):
        insights_services.action_plan_create(
            organization=org,
            unit=units["north_a"],
            driver="teamwork",
            title=title,
            owner=manager,
            due_date=timezone.localdate() + dt.timedelta(days=days),
            actions="Talk",
            actor=manager,
        )
    insights_services.action_plan_create(
        organization=org,
        unit=units["south_a"],
        driver="teamwork",
        title="Someone else's unit",
        owner=manager,
        due_date=timezone.localdate(),
        actions="x",
        actor=manager,
    )

    page = home_of(client, manager)

    plans = page[page.index('data-card="action_plans"') :]
    assert plans.index("Overdue plan") < plans.index("Soon plan") < plans.index("Later plan")
    assert "1 overdue" in plans and "overdue since" in plans
    assert "Someone else" not in page
    assert "open_surveys" not in card_keys(page), "no survey waits for this manager"
    labels = nav_labels(page)
    assert labels[0] == "Home" and "Driver impact" in labels and "Customers" in labels
    assert "Contact centre" not in labels and "Linkage" not in labels


def test_hr_sees_the_waves_in_progress_with_their_response_rate(acme, client):
    org, units = acme
    wave = open_wave(org, units["root"], name="Spring census")
    from servicechain.surveys import services as survey_services

    survey_services.invitation_send(wave=wave, seed=1)
    hr = member(org, "hr_analyst")

    page = home_of(client, hr)

    waves = page[page.index('data-card="waves_in_progress"') :]
    assert "Spring census" in waves
    assert "Response rate withheld" in waves, "nobody has answered: fewer than 5"
    assert {"waves_in_progress", "psychometric_flags", "finished_analyses"} <= set(card_keys(page))
    assert 'hx-get="/o/acme/home/cards/psychometric_flags/"' in page, "filled in after the page"
    labels = nav_labels(page)
    assert {"Instruments", "Linkage", "Contact centre"} - set(labels) == {"Contact centre"}
    assert 'data-testid="role-label">HR analyst<' in page


def test_an_agent_lands_on_their_day_and_a_lead_on_the_requests_waiting(client):
    team = make_centre()
    agent_user, me = agent_login(team, "alex")
    lead = lead_login(team, "lee")
    colleagues = [make_agent(team) for _ in range(5)]
    today = cc_services.selectors.local_today(team)
    publish_day(team, [me, *colleagues], day=today)
    publish_day(team, [me, *colleagues], day=DAY)
    cc_services.lunch_move_request(agent=me, day=DAY, position=0, to_start=4, actor=agent_user)

    agent_page = home_of(client, agent_user, team.organization.slug)
    assert card_keys(agent_page)[0] == "agent_day"
    assert 'data-testid="my-shift">Shift <strong>09:00–15:00</strong>' in agent_page
    assert nav_labels(agent_page)[:2] == ["My day", "Home"]
    assert "Contact centre" not in nav_labels(agent_page)
    assert "Comments" not in nav_labels(agent_page)
    assert 'data-testid="role-label">Agent<' in agent_page

    lead_page = home_of(client, lead, team.organization.slug)
    assert card_keys(lead_page)[:2] == ["lead_requests", "team_service_level"]
    assert "1 request waits for you" in lead_page
    assert "alex" in lead_page.lower() or str(me) in lead_page
    assert nav_labels(lead_page)[:2] == ["Home", "Contact centre"]
    assert 'data-testid="role-label">Team lead<' in lead_page
    assert Persona(scope_for(lead, team.organization.slug)).label == "Team lead"


def test_someone_without_a_role_here_gets_404_and_anonymous_logs_in(acme, client):
    response = client.get("/o/acme/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    client.force_login(UserFactory())
    assert client.get("/o/acme/").status_code == 404


def test_a_deferred_card_is_built_for_those_it_concerns_and_404_for_others(acme, client):
    org, units = acme
    open_wave(org, units["root"], name="Spring census")
    client.force_login(member(org, "hr_analyst"))
    card = client.get("/o/acme/home/cards/psychometric_flags/")
    assert card.status_code == 200
    assert "Scale reliability" in card.content.decode()
    assert "No wave has answers to check yet." in card.content.decode()
    assert client.get("/o/acme/home/cards/no_such_card/").status_code == 404

    client.force_login(member(org, "employee", units["north_a"]))
    assert client.get("/o/acme/home/cards/psychometric_flags/").status_code == 404
    assert "psychometric_flags" not in card_keys(client.get("/o/acme/").content.decode())
