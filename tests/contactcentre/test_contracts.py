"""Planners keep agents' contracts and wishes in the app; new schedules follow them.

The pie-van centre is open 09:00-15:00 in 15-minute intervals; its agents work 360-minute
shifts from 09:00 with one 30-minute lunch, which may start 60-240 minutes into the shift
with at least 60 minutes of work before and after it (``helpers.make_centre``).
"""

import datetime as dt
import json

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from servicechain.contactcentre import services
from servicechain.contactcentre.models import Agent, Schedule, Shift
from servicechain.org.models import AuditEvent
from tests.contactcentre.helpers import lead_login, make_agent, make_centre, pie_van_day
from tests.contactcentre.test_planning import FIRST_DAY, planning_team

pytestmark = pytest.mark.django_db
AUDIT = "contactcentre.agent.contract"


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def edit_url(agent) -> str:
    team = agent.team
    return f"/o/{team.organization.slug}/contact-centre/teams/{team.slug}/agents/{agent.pk}/"


def api_url(agent) -> str:
    return f"/api/orgs/{agent.team.organization.slug}/contact-centre/agents/{agent.pk}"


def patch(client, agent, body):
    return client.patch(api_url(agent), json.dumps(body), content_type="application/json")


def contract_form(agent, **changes) -> dict:
    """The edit form as the page shows it for ``agent``, with ``changes`` typed in."""
    data = {
        "shift_lengths": ", ".join(str(m) for m in agent.shift_lengths),
        "earliest_start": f"{agent.earliest_start:%H:%M}",
        "latest_end": f"{agent.latest_end:%H:%M}",
        "working_days": [str(d) for d in agent.working_days],
        "paid_breaks": agent.paid_breaks,
        "lunch_minutes": agent.lunch_minutes,
        "start_step_minutes": agent.start_step_minutes,
        "preferred_lunch_from": "",
        "preferred_lunch_to": "",
        "preferred_shift_start": "",
    }
    return data | changes


def terms(agent) -> dict:
    agent = Agent.objects.get(pk=agent.pk)
    return {name: getattr(agent, name) for name in Agent.CONTRACT_FIELDS + Agent.WISH_FIELDS}


# --------------------------------------------------------------------------- the change


def test_a_later_earliest_start_set_on_the_page_moves_the_next_schedules_shift():
    team, agents = planning_team(agents=3)
    services.forecast_create(team=team, first_day=FIRST_DAY, horizon_days=1)
    lead = logged_in(lead_login(team))
    late = agents[0]

    response = lead.post(
        edit_url(late),
        contract_form(late, shift_lengths="240", earliest_start="10:30", latest_end="15:00"),
    )
    schedule = services.schedule_generate(team=team, day=FIRST_DAY, time_limit_s=1.0)

    assert response.status_code == 302
    assert response.url == f"/o/{team.organization.slug}/contact-centre/teams/inbound/agents/"
    shift = Shift.objects.get(schedule=schedule, agent=late)
    assert shift.start_interval >= 6, "10:30 is interval 6 from 09:00"
    assert shift.end_interval - shift.start_interval == 16, "a 240-minute shift"
    others = Shift.objects.filter(schedule=schedule).exclude(agent=late)
    assert {(s.start_interval, s.end_interval) for s in others} == {(0, 24)}


def test_published_days_keep_their_shifts_when_a_contract_changes():
    team, agents = pie_van_day()
    lead = logged_in(lead_login(team))

    page = lead.get(edit_url(agents[0])).content.decode()
    services.agent_contract_update(
        agent=agents[0],
        actor=None,
        shift_lengths=[240],
        earliest_start=dt.time(11, 0),
        working_days=[0, 1, 2],
    )

    assert "Published days" in page and "keep the shifts they were planned with" in page
    shift = Shift.objects.get(schedule__status=Schedule.Status.PUBLISHED, agent=agents[0])
    assert (shift.start_interval, shift.end_interval) == (0, 24)
    assert shift.activities.get().start_interval == 12


def test_planner_sets_wishes_and_a_second_lunch_length_in_one_save():
    team = make_centre()
    agent = make_agent(team)

    saved = services.agent_contract_update(
        agent=agent,
        actor=None,
        shift_lengths=[360, 300, 300],
        working_days=[4, 0, 2],
        lunch_minutes=60,
        preferred_lunch_from=dt.time(10),
        preferred_lunch_to=dt.time(12),
        preferred_shift_start=dt.time(9, 30),
    )

    assert terms(agent) == terms(saved)
    assert saved.shift_lengths == [300, 360], "kept sorted, each length once"
    assert saved.working_days == [0, 2, 4]
    assert (saved.lunch_minutes, saved.preferred_lunch_from) == (60, dt.time(10))


def test_the_change_is_audited_with_the_values_before_and_after():
    team = make_centre()
    agent = make_agent(team)
    lead = lead_login(team)

    services.agent_contract_update(
        agent=agent, actor=lead, earliest_start=dt.time(10), shift_lengths=[300], paid_breaks=0
    )

    event = AuditEvent.objects.get(action=AUDIT)
    assert event.actor == lead and event.organization == team.organization
    assert (event.target_type, event.target_id) == ("Agent", str(agent.pk))
    assert event.detail == {
        "team": "inbound",
        "before": {"shift_lengths": [360], "earliest_start": "09:00:00"},
        "after": {"shift_lengths": [300], "earliest_start": "10:00:00"},
    }, "only what changed (paid_breaks was already 0)"


def test_saving_the_same_terms_writes_nothing():
    team = make_centre()
    agent = make_agent(team)

    services.agent_contract_update(agent=agent, actor=None, shift_lengths=[360], paid_breaks=0)

    assert not AuditEvent.objects.filter(action=AUDIT).exists()


def test_the_service_changes_only_contract_and_wish_fields():
    team = make_centre()
    agent = make_agent(team)

    with pytest.raises(TypeError, match="active"):
        services.agent_contract_update(agent=agent, actor=None, active=False)


# --------------------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"earliest_start": dt.time(14), "latest_end": dt.time(10)}, "latest_end", "after"),
        ({"shift_lengths": [480]}, "shift_lengths", "at most 360 minutes fit"),
        (
            {"earliest_start": dt.time(11), "shift_lengths": [300]},
            "shift_lengths",
            "between 11:00 and 15:00",
        ),
        ({"shift_lengths": [350]}, "shift_lengths", "multiple of 15"),
        ({"shift_lengths": [5000]}, "shift_lengths", "between 60 and 720"),
        ({"shift_lengths": []}, "shift_lengths", "blank"),
        ({"shift_lengths": [90]}, "shift_lengths", "break rules"),
        (
            {"earliest_start": dt.time(16), "latest_end": dt.time(18)},
            "earliest_start",
            "open 09:00–15:00",
        ),
        ({"working_days": [0, 7]}, "working_days", "Monday = 0"),
        ({"working_days": [1, 1]}, "working_days", "twice"),
        ({"working_days": []}, "working_days", "blank"),
        ({"lunch_minutes": 45}, "lunch_minutes", "not a valid choice"),
        ({"paid_breaks": 5}, "paid_breaks", "less than or equal to 4"),
        ({"start_step_minutes": 20}, "start_step_minutes", "15-minute grid"),
        ({"start_step_minutes": 30_000}, "start_step_minutes", "up to 720"),
        ({"preferred_lunch_from": dt.time(12)}, "preferred_lunch_to", "both ends"),
        (
            {"preferred_lunch_from": dt.time(12), "preferred_lunch_to": dt.time(11)},
            "preferred_lunch_to",
            "end after it starts",
        ),
    ],
)
def test_an_impossible_contract_is_refused_by_field_and_nothing_is_saved(changes, field, words):
    team = make_centre()
    agent = make_agent(team)
    before = terms(agent)

    with pytest.raises(ValidationError) as refused:
        services.agent_contract_update(agent=agent, actor=None, **changes)

    assert field in refused.value.message_dict
    assert words in " ".join(refused.value.message_dict[field])
    assert terms(agent) == before
    assert not AuditEvent.objects.filter(action=AUDIT).exists()


def test_a_shift_that_cannot_hold_its_breaks_is_refused_with_the_rules_named():
    team = make_centre()
    agent = make_agent(team, paid_breaks=2)

    with pytest.raises(ValidationError) as refused:
        services.agent_contract_update(agent=agent, actor=None, shift_lengths=[180])

    message = refused.value.message_dict["shift_lengths"][0]
    assert message.startswith("A 180-minute shift cannot hold a 30-minute lunch and 2 paid")
    assert "lunch starts 60–240 minutes into the shift" in message


def test_the_page_shows_a_refusal_at_its_field_and_saves_nothing():
    team = make_centre()
    agent = make_agent(team)
    lead = logged_in(lead_login(team))
    before = terms(agent)

    late = lead.post(edit_url(agent), contract_form(agent, shift_lengths="480"))
    no_days = lead.post(edit_url(agent), contract_form(agent, working_days=[]))
    words = lead.post(edit_url(agent), contract_form(agent, shift_lengths="eight hours"))

    assert late.status_code == 200
    assert "Nothing was saved" in late.content.decode()
    assert late.context["form"].errors["shift_lengths"] == [
        "A 480-minute shift does not fit between 09:00 and 15:00 (the contract's hours "
        "inside the opening hours 09:00–15:00): at most 360 minutes fit."
    ]
    assert no_days.context["form"].errors["working_days"] == ["Choose at least one working day."]
    assert "whole minutes separated by commas" in words.context["form"].errors["shift_lengths"][0]
    assert terms(agent) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"shift_lengths": [480]}, "shift_lengths"),
        ({"earliest_start": "14:00", "latest_end": "10:00"}, "latest_end"),
        ({"working_days": [9]}, "working_days"),
        ({"lunch_minutes": 45}, "lunch_minutes"),
        ({"paid_breaks": None}, "paid_breaks"),
        ({"start_step_minutes": 10**9}, "start_step_minutes"),
        ({"earliest_start": "25:00"}, "earliest_start"),
        ({"earliest_start": "10:00+02:00"}, "earliest_start"),
        ({"shift_lengths": ["eight hours"]}, "shift_lengths"),
        ({"team": "elsewhere"}, "team"),
    ],
)
def test_api_refuses_bad_input_with_422_naming_the_field(body, field):
    team = make_centre()
    agent = make_agent(team)
    before = terms(agent)

    response = patch(logged_in(lead_login(team)), agent, body)

    assert response.status_code == 422, response.content
    assert response.json()["detail"].startswith(field), response.json()["detail"]
    assert terms(agent) == before


def test_api_changes_only_the_fields_sent_and_returns_the_agent():
    team = make_centre()
    agent = make_agent(team, paid_breaks=1)
    lead = lead_login(team)

    response = patch(
        logged_in(lead),
        agent,
        {"earliest_start": "10:00", "shift_lengths": [300], "preferred_lunch_from": None},
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["id"] == agent.pk and body["team"] == "inbound"
    assert body["earliest_start"] == "10:00:00" and body["shift_lengths"] == [300]
    assert body["paid_breaks"] == 1 and body["latest_end"] == "15:00:00"
    assert AuditEvent.objects.get(action=AUDIT).actor == lead


ANY_VALUE = st.one_of(
    st.none(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from(["09:00", "00:00", "23:59", "24:00", "10:00+05:00", "10:00:30", "", "x"]),
    st.lists(st.integers(min_value=-(2**40), max_value=2**40), max_size=4),
    st.lists(st.sampled_from([0, 6, 7, 30, 360, 375, 720, "1", None]), max_size=4),
    st.floats(allow_nan=False, allow_infinity=False),
)


def test_api_answers_any_patch_with_200_or_422_and_never_a_server_error():
    team = make_centre()
    agent = make_agent(team)
    lead = logged_in(lead_login(team))
    names = st.sampled_from([*Agent.CONTRACT_FIELDS, *Agent.WISH_FIELDS, "active"])

    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
    @given(body=st.dictionaries(names, ANY_VALUE, max_size=4))
    def send(body):
        response = patch(lead, agent, body)
        assert response.status_code in (200, 422), (body, response.content)
        if response.status_code == 422:
            assert response.json()["detail"]

    send()


# --------------------------------------------------------------------------- the admin


def admin_form_data(agent, **changes) -> dict:
    data = {
        "team": agent.team_id,
        "employee": agent.employee_id,
        "active": "on",
        "shift_lengths": json.dumps(agent.shift_lengths),
        "earliest_start": f"{agent.earliest_start:%H:%M}",
        "latest_end": f"{agent.latest_end:%H:%M}",
        "working_days": json.dumps(agent.working_days),
        "paid_breaks": agent.paid_breaks,
        "lunch_minutes": agent.lunch_minutes,
        "start_step_minutes": agent.start_step_minutes,
    }
    return data | changes


def test_the_admin_refuses_a_contract_the_scheduler_cannot_plan(django_user_model):
    team = make_centre()
    agent = make_agent(team)
    superuser = django_user_model.objects.create_superuser("root", "root@acme.example", "pw-1")
    client = logged_in(superuser)
    url = f"/admin/contactcentre/agent/{agent.pk}/change/"

    # A 7-hour shift does not fit the 09:00-15:00 hours: the same message as in the app.
    refused = client.post(url, admin_form_data(agent, shift_lengths="[420]"))
    assert refused.status_code == 200
    assert "shift_lengths" in refused.context["adminform"].form.errors
    agent.refresh_from_db()
    assert agent.shift_lengths == [360]

    accepted = client.post(url, admin_form_data(agent, lunch_minutes=60))
    assert accepted.status_code == 302
    agent.refresh_from_db()
    assert agent.lunch_minutes == 60
