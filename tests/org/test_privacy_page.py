""" "What my manager can see" (/o/<org>/privacy/): every person's own page, built from the
scopes and the published cells every other page uses."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from servicechain.insights import selectors as insights_selectors
from servicechain.insights.access import Audience
from servicechain.org.access import scope_for
from servicechain.org.models import Employee
from servicechain.org.visibility import record_fields
from servicechain.surveys import services as survey_services
from servicechain.surveys.selectors import published_results
from tests.contactcentre.helpers import agent_login, lead_login, make_centre
from tests.factories import UserFactory, member
from tests.surveys.helpers import add_responses, build_org, close_wave, open_wave

pytestmark = pytest.mark.django_db


def page_of(client, user, slug="acme") -> str:
    client.force_login(user)
    response = client.get(f"/o/{slug}/privacy/")
    assert response.status_code == 200
    return response.content.decode()


def states(page: str) -> dict[str, tuple[str, str]]:
    """data-group -> (shown|withheld, the cell's text without tags)."""
    cells = re.findall(r'<td data-group="([^"]+)" data-state="(\w+)">(.*?)</td>', page, re.S)
    return {key: (state, re.sub(r"<[^>]+>", "", text)) for key, state, text in cells}


def viewer(page: str, key: str) -> str:
    match = re.search(rf'<section class="panel" data-viewer="{key}".*?</section>', page, re.S)
    return match.group(0) if match else ""


@pytest.fixture
def acme():
    """acme with a login for one North A employee, a closed census with published results
    (North A 4 + 2 answers of two tenure bands, North B 3, South A 7) and their managers."""
    org, units = build_org()
    three_years_ago = timezone.localdate() - dt.timedelta(days=3 * 365)
    Employee.objects.filter(unit=units["north_a"]).update(hire_date=three_years_ago)
    me = units["north_a"].employees.order_by("pk").first()
    user = member(org, "employee", units["north_a"], username="erin")
    me.user = user
    me.save(update_fields=["user"])
    wave = open_wave(org, units["root"], name="Autumn census")
    survey_services.invitation_send(wave=wave, seed=1)
    add_responses(wave, units["north_a"], 4, tenure_band="2-5y")
    add_responses(wave, units["north_a"], 2, tenure_band="<1y")
    add_responses(wave, units["north_b"], 3)
    add_responses(wave, units["south_a"], 7)
    close_wave(wave)
    return org, units, me, user, wave


def test_an_employee_sees_their_groups_shown_or_withheld_as_the_managers_engagement_page(
    acme, client
):
    org, units, me, user, wave = acme
    north_manager = member(org, "manager", units["north"])
    hr = member(org, "hr_analyst")

    page = page_of(client, user)

    results = published_results(wave)
    by_manager = insights_selectors.heatmap(
        Audience(scope_for(north_manager, "acme")), results, units["north"]
    )
    by_hr = insights_selectors.heatmap(Audience(scope_for(hr, "acme")), results, units["root"])
    expected = {
        f"unit:{row.unit.pk}": "withheld" if row.respondents.suppressed else "shown"
        for row in by_manager.rows + by_hr.rows
    }
    tenure = insights_selectors.heatmap(
        Audience(scope_for(north_manager, "acme")),
        results,
        units["north"],
        dimension="tenure_band",
        category="2-5y",
    )
    expected |= {
        f"tenure_band:2-5y:{row.unit.pk}": "withheld" if row.respondents.suppressed else "shown"
        for row in tenure.rows
    }
    shown = states(page)
    mine = [units["north_a"], units["north"], units["root"]]
    assert [k for k in shown if k.startswith("unit:")] == [f"unit:{u.pk}" for u in mine]
    for key, (state, _text) in shown.items():
        if key in expected:
            assert state == expected[key], key
    assert {f"unit:{u.pk}" for u in mine} <= set(expected)
    assert f"tenure_band:2-5y:{units['north_a'].pk}" in expected
    assert {s for s, _ in shown.values()} == {"shown", "withheld"}, "the case shows both"
    assert "Autumn census" in page and "tenure 2-5y" in page


def test_a_withheld_group_never_shows_its_count(acme, client):
    org, units, me, user, wave = acme

    page = page_of(client, user)

    withheld = {k: text for k, (s, text) in states(page).items() if s == "withheld"}
    assert withheld, "some group of the case is withheld"
    for key, text in withheld.items():
        state = text.split(" — ")[0]  # after the dash: the group's name, e.g. "Tenure 2-5y"
        assert set(re.findall(r"\d+", state)) <= {"5"}, (key, text)  # only the rule's 5
    # North A's 2-5y band had 4 answers: neither the page nor the cell says 4.
    assert withheld[f"tenure_band:2-5y:{units['north_a'].pk}"].startswith("Withheld")


def test_the_page_names_who_sees_the_record_from_their_scopes_and_the_api_agrees(acme, client):
    org, units, me, user, wave = acme
    north_manager = member(org, "manager", units["north"], username="nora")
    south_manager = member(org, "manager", units["south"], username="sam")
    member(org, "hr_analyst", username="hana")

    page = page_of(client, user)

    managers = viewer(page, "manager")
    assert "nora (North)" in managers and "sam" not in managers
    assert "hana" in viewer(page, "hr_analyst")
    assert "Your answers to any survey" in managers
    assert "Whether you answered a survey or not" in managers
    # What the page says the manager reads of the record is what the API gives them.
    client.force_login(north_manager)
    rows = client.get("/api/orgs/acme/employees").json()
    record = next(r for r in rows if r["external_id"] == me.external_id)
    assert "Your employee record: " + ", ".join(record_fields()) in managers
    assert len(record_fields()) == len(record)
    assert "email" not in record
    client.force_login(south_manager)
    others = client.get("/api/orgs/acme/employees").json()
    assert me.external_id not in {r["external_id"] for r in others}


def test_the_page_states_the_rule_and_that_open_surveys_show_nothing(acme, client):
    org, units, me, user, wave = acme
    org.min_group_size = 7
    org.save(update_fields=["min_group_size"])
    survey_services.invitation_send(wave=open_wave(org, units["root"], name="Pulse"), seed=2)

    page = page_of(client, user)

    assert "groups of at least <strong>7</strong> people" in page
    assert "the default is 5" in page and "never be set below 3" in page
    assert re.search(r"Pulse is open until .*: nothing of its answers is shown", page)
    assert "published once and never change" in page


def test_every_role_opens_only_their_own_page(acme, client):
    org, units, me, user, wave = acme
    roles = {
        "manager": member(org, "manager", units["north"], username="nora"),
        "hr_analyst": member(org, "hr_analyst", username="hana"),
        "admin": member(org, "admin", username="ada"),
    }
    for role, person in roles.items():
        page = page_of(client, person)
        assert f"About {person.get_username()} in" in page, role
        assert 'data-testid="no-record"' in page, "they have no employee record here"
        assert me.full_name not in page
    page = page_of(client, user)
    assert f"About {me.full_name} in" in page
    # There is no page of another person: no address takes one, a query is ignored.
    client.force_login(roles["manager"])
    assert client.get(f"/o/acme/privacy/{me.pk}/").status_code == 404
    other = client.get(f"/o/acme/privacy/?employee={me.external_id}").content.decode()
    assert f"About {me.full_name}" not in other


def test_someone_of_another_organisation_gets_404_and_anonymous_logs_in(acme, client):
    other_org, other_units = build_org(slug="globex")
    outsider = member(other_org, "employee", other_units["north_a"])
    response = client.get("/o/acme/privacy/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    client.force_login(outsider)
    assert client.get("/o/acme/privacy/").status_code == 404
    client.force_login(UserFactory())
    assert client.get("/o/acme/privacy/").status_code == 404


def test_an_agent_reads_what_their_team_lead_and_colleagues_see(client):
    team = make_centre()
    slug = team.organization.slug
    agent_user, agent = agent_login(team, "alex")
    lead = lead_login(team, "lee")
    agent_login(team, "bea")

    page = page_of(client, agent_user, slug)

    lead_card = viewer(page, "team_lead")
    assert "lee" in lead_card
    assert "lunch and break move requests with your notes" in lead_card
    assert "contract and wishes" in lead_card
    colleagues = viewer(page, "colleagues")
    assert "1 person with a login" in colleagues
    assert "published days: your name, shift, breaks and lunch" in colleagues
    assert lead.get_username() in viewer(page, "manager")


def test_before_any_published_wave_the_page_says_so(client):
    org, units = build_org()
    me = units["north_a"].employees.first()
    user = member(org, "employee", units["north_a"])
    me.user = user
    me.save(update_fields=["user"])
    survey_services.invitation_send(wave=open_wave(org, units["root"]), seed=1)

    page = page_of(client, user)

    assert "No survey you were invited to has published results yet" in page
    assert not states(page)
