"""The events of today's apps reach the right people, from the services where they happen."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.management import call_command

from servicechain.contactcentre import access
from servicechain.contactcentre import services as cc
from servicechain.insights import services as insights_services
from servicechain.notifications import events, services
from servicechain.notifications.models import Notification
from servicechain.surveys import services as surveys
from tests.contactcentre.helpers import (
    DAY,
    agent_login,
    lead_login,
    make_agent,
    make_centre,
    publish_day,
)
from tests.factories import EmployeeFactory, member
from tests.surveys.helpers import LINK, add_responses, build_org, open_wave

pytestmark = pytest.mark.django_db

TIGHT, ROOMY = 4, 8  # lunch starts at 10:00 (service falls to 60 %) and 11:00 (stays at 86 %)


def inbox(user, event=None):
    notes = Notification.objects.filter(recipient=user).order_by("pk")
    return notes.filter(event=event) if event else notes


# ----------------------------------------------------------------------------- lunch moves


@pytest.fixture
def van_day():
    team = make_centre()
    agent_user, me = agent_login(team, "alex")
    lead = lead_login(team, "lee")
    publish_day(team, [me, *(make_agent(team) for _ in range(5))])
    return team, agent_user, me, lead


def test_a_move_that_needs_the_lead_reaches_the_lead_with_its_cost(van_day):
    team, agent_user, me, lead = van_day

    request = cc.lunch_move_request(
        agent=me, day=DAY, position=0, to_start=TIGHT, note="Pie van", actor=agent_user
    )

    (waiting,) = inbox(lead)
    assert waiting.event == events.MOVE_WAITING.key
    assert waiting.title == f"{me} asks for a lunch move 12:00 → 10:00 on Tue 8 Jan"
    assert "2 interval(s) would fall below the 80% target; the lowest at 60%." in waiting.body
    assert "Pie van" in waiting.body
    assert waiting.url == f"/o/{team.organization.slug}/contact-centre/teams/inbound/requests/"
    assert waiting.actor == agent_user
    assert not inbox(agent_user).exists(), "the agent is not told of their own request"
    assert request.status == "pending_lead"


def test_the_leads_decision_reaches_the_agent(van_day):
    team, agent_user, me, lead = van_day
    request = cc.lunch_move_request(agent=me, day=DAY, position=0, to_start=TIGHT)

    cc.lunch_move_approve(request=request, actor=lead, note="Enjoy the pie")

    (decided,) = inbox(agent_user)
    assert decided.event == events.MOVE_DECIDED.key
    assert decided.title == "Your lunch move 12:00 → 10:00 on Tue 8 Jan was approved"
    assert decided.body == "Enjoy the pie"
    assert decided.url == f"/o/{team.organization.slug}/contact-centre/me/?day=2030-01-08"


def test_a_declined_move_is_told_too(van_day):
    _, agent_user, me, lead = van_day
    request = cc.lunch_move_request(agent=me, day=DAY, position=0, to_start=TIGHT)
    cc.lunch_move_decline(request=request, actor=lead, note="Too busy")
    assert [n.title for n in inbox(agent_user)] == [
        "Your lunch move 12:00 → 10:00 on Tue 8 Jan was declined"
    ]


def test_a_move_approved_at_once_needs_nobody_told(van_day):
    _, agent_user, me, lead = van_day
    cc.lunch_move_request(agent=me, day=DAY, position=0, to_start=ROOMY, actor=agent_user)
    assert not Notification.objects.exists()


def test_the_named_team_lead_with_a_login_is_the_one_told():
    team = make_centre()
    centre_manager = lead_login(team, "centre-manager")
    named = member(team.organization, "manager", team.centre.unit, username="named")
    team.lead = EmployeeFactory(unit=team.centre.unit, user=named)
    team.save(update_fields=["lead"])
    assert access.leads_of(team) == [named]
    assert centre_manager not in access.leads_of(team)


def test_without_a_named_lead_the_nearest_managers_above_the_centre_are_told():
    team = make_centre()
    root = team.centre.unit.parent
    head = member(team.organization, "manager", root, username="head")
    assert access.leads_of(team) == [head]
    centre_manager = lead_login(team, "centre-manager")
    assert access.leads_of(team) == [centre_manager]


# ----------------------------------------------------------------------------- surveys


@pytest.fixture
def acme():
    org, units = build_org()
    people = {}
    for name, unit in (("ann", "north_a"), ("sam", "south_a")):
        employee = units[unit].employees.first()
        user = member(org, "employee", units[unit], username=name)
        employee.user = user
        employee.save(update_fields=["user"])
        people[name] = user
    return org, units, people


def test_invited_employees_with_a_login_find_the_survey_in_their_inbox_without_its_link(acme):
    org, units, people = acme
    wave = open_wave(org, units["root"], name="Spring census")
    mail.outbox.clear()

    surveys.invitation_send(wave=wave, seed=1)

    tokens = [LINK.search(m.body).group(1) for m in mail.outbox]
    assert len(tokens) == 16, "the survey's own e-mails went out as before"
    for user in people.values():
        (note,) = inbox(user)
        assert note.event == events.SURVEY_OPENED.key
        assert note.title == "Survey open for you: Spring census"
        assert note.url == "/o/acme/surveys/"
        assert note.email_status == Notification.Email.NOT_WANTED, "its own e-mail has the link"
        assert not any(token in note.title + note.body + note.url for token in tokens)

    surveys.invitation_send(wave=wave, seed=1)
    assert inbox(people["ann"]).count() == 1, "sending again does not repeat it"


def test_closing_a_wave_tells_managers_whose_units_show_results_and_hr(acme):
    org, units, _ = acme
    north = member(org, "manager", units["north"], username="north-manager")
    north_b = member(org, "manager", units["north_b"], username="north-b-manager")
    south = member(org, "manager", units["south_a"], username="south-manager")
    hr = member(org, "hr_analyst", username="hr")
    wave = open_wave(org, units["root"], name="Spring census")
    surveys.invitation_send(wave=wave, seed=1)
    add_responses(wave, units["north_a"], 6)
    add_responses(wave, units["north_b"], 3)
    add_responses(wave, units["south_a"], 7)

    surveys.wave_close(wave=wave, actor=hr)

    told = set(
        Notification.objects.filter(event=events.RESULTS_READY.key).values_list(
            "recipient__username", flat=True
        )
    )
    assert told == {"hr", "north-manager", "south-manager"}, "north B has only 3 answers"
    note = inbox(south).get()
    assert note.title == "Results of “Spring census” are ready"
    assert note.url == f"/o/acme/surveys/waves/{wave.pk}/results/"
    assert not inbox(north_b).exists()
    assert services.notify_results_ready(wave=wave) == [], "once per wave"
    assert inbox(north).count() == 1


def test_a_wave_with_too_few_answers_anywhere_tells_nobody(acme):
    org, units, _ = acme
    member(org, "hr_analyst", username="hr")
    wave = open_wave(org, units["root"], name="Quiet pulse")
    surveys.invitation_send(wave=wave, seed=1)
    add_responses(wave, units["north_a"], 2)
    surveys.wave_close(wave=wave)
    assert not Notification.objects.filter(event=events.RESULTS_READY.key).exists()


# ----------------------------------------------------------------------------- action plans


def plan(org, unit, owner, *, due, title, status="planned"):
    made = insights_services.action_plan_create(
        organization=org,
        unit=unit,
        driver="teamwork",
        title=title,
        owner=owner,
        due_date=due,
        actions="Talk",
        actor=owner,
    )
    if status != "planned":
        made.status = status
        made.save(update_fields=["status"])
    return made


def test_plan_owners_are_told_once_when_due_and_once_when_overdue(acme):
    org, units, _ = acme
    owner = member(org, "manager", units["north"], username="owner")
    today = dt.date(2030, 3, 10)
    plan(org, units["north_a"], owner, due=dt.date(2030, 3, 15), title="Buddy shifts")
    plan(org, units["north_a"], owner, due=dt.date(2030, 3, 1), title="Rota fairness")
    plan(org, units["north_a"], owner, due=dt.date(2030, 4, 30), title="Far away")
    plan(org, units["north_a"], owner, due=dt.date(2030, 3, 1), title="Finished", status="done")

    assert services.action_plans_due_notify(today=today) == 2
    assert sorted(inbox(owner).values_list("title", flat=True)) == [
        "Action plan due: Buddy shifts",
        "Action plan overdue: Rota fairness",
    ]
    assert services.action_plans_due_notify(today=today) == 0, "nobody is told twice"
    assert services.action_plans_due_notify(today=dt.date(2030, 3, 16)) == 1  # now overdue
    assert inbox(owner).filter(title="Action plan overdue: Buddy shifts").exists()


def test_the_notifications_due_command_reports_what_it_did(acme, capsys):
    org, units, _ = acme
    owner = member(org, "manager", units["north"], username="owner")
    plan(org, units["north_a"], owner, due=dt.date(2000, 1, 1), title="Long overdue")
    call_command("notifications_due")
    out = capsys.readouterr().out
    assert "Action plans due or overdue: 1 notification(s) sent." in out
    assert inbox(owner).get().title == "Action plan overdue: Long overdue"


@pytest.fixture
def swap_day():
    team = make_centre()
    agent_user, me = agent_login(team, "alex")
    lead_login(team, "lee")
    others = [make_agent(team) for _ in range(3)]
    sam_user, sam = agent_login(team, "sam")
    publish_day(team, [me, *others, sam, make_agent(team)])  # my lunch 12:00, sam's 13:00
    return agent_user, me, sam_user, sam


def test_a_swap_asks_the_colleague_and_their_no_reaches_the_agent(swap_day):
    agent_user, me, sam_user, sam = swap_day

    request = cc.lunch_move_request(agent=me, day=DAY, position=0, colleague=sam, actor=agent_user)

    (asked,) = inbox(sam_user)
    assert asked.event == events.SWAP_ASKED.key
    assert asked.title == f"{me} asks to swap lunches with you on Tue 8 Jan"
    assert asked.body == f"You would take {me}'s lunch at 12:00 and give yours at 13:00."
    cc.lunch_move_consent(request=request, agent=sam, accept=False, actor=sam_user)
    (decided,) = inbox(agent_user)
    assert decided.title == "Your lunch swap 12:00 → 13:00 on Tue 8 Jan was declined"
    assert inbox(sam_user).count() == 1, "sam said no: nothing more to tell sam"


def test_a_swap_both_agreed_to_is_done_and_the_agent_is_told(swap_day):
    agent_user, me, sam_user, sam = swap_day
    request = cc.lunch_move_request(agent=me, day=DAY, position=0, colleague=sam, actor=agent_user)

    request = cc.lunch_move_consent(request=request, agent=sam, accept=True, actor=sam_user)

    assert request.status == "auto_approved", "a swap leaves every interval's staffing as it was"
    (decided,) = inbox(agent_user, events.MOVE_DECIDED.key)
    assert decided.title == "Your lunch swap 12:00 → 13:00 on Tue 8 Jan is done"
    assert not inbox(sam_user, events.MOVE_DECIDED.key).exists(), "sam agreed: sam knows"
    assert not Notification.objects.filter(event=events.MOVE_WAITING.key).exists()
