"""Builders for contact-centre tests: a small centre and a hand-made published day.

The hand-made day ("the pie-van day") has six agents on 09:00-15:00 shifts with a
30-minute lunch each and a known volume per interval, so every projected service level can
be checked against an Erlang C formula written independently in the tests:

* 10:00-11:00: 11 calls per 15 min -> six agents on the phone give 82 %, five give 60 %;
* 11:00-12:00: 8 calls -> five agents still give 86 %;
* elsewhere: 6 calls -> four agents give 85 %.

With AHT 300 s and a target of 80 % in 20 s, moving a lunch into 10:00-10:30 takes service
below target (escalated to the lead), into 11:00-11:30 it stays on target (automatic).
"""

from __future__ import annotations

import datetime as dt

from servicechain.contactcentre import services
from servicechain.contactcentre.models import Activity, Schedule, Shift
from servicechain.org.models import Unit
from tests.factories import EmployeeFactory, OrganizationFactory, make_unit, member

DAY = dt.date(2030, 1, 8)  # a Tuesday far enough ahead that no interval has started
INTERVALS = 24  # 09:00-15:00 in 15-minute intervals
AHT = 300.0
CALLS = [6.0] * 4 + [11.0] * 4 + [8.0] * 4 + [6.0] * 12
REQUIRED = [4] * 4 + [6] * 4 + [5] * 4 + [4] * 12
# Lunch starts (interval index) of the six agents: 12:00, 12:00, 12:30, 12:30, 13:00, 13:00.
LUNCHES = [12, 12, 14, 14, 16, 16]


def make_centre(organization=None, *, opens="09:00", closes="15:00", slug="inbound", **team):
    organization = organization or OrganizationFactory()
    root = Unit.objects.filter(organization=organization, depth=0).first() or make_unit(
        organization, "Head office", kind="organisation"
    )
    unit = make_unit(
        organization,
        f"Contact centre {slug}",
        parent=root,
        kind="contact_centre",
        external_id=f"cc-{slug}",
    )
    centre = services.centre_create(
        organization=organization,
        unit=unit,
        time_zone="Europe/London",
        opens_at=dt.time.fromisoformat(opens),
        closes_at=dt.time.fromisoformat(closes),
    )
    options = {
        "lunch_earliest_after": 60,
        "lunch_latest_after": 240,
        "min_work_before_break": 60,
        "min_work_after_break": 60,
        "max_work_without_break": None,
        "schedule_time_limit_s": 2.0,
    } | team
    return services.team_create(centre=centre, slug=slug, name=slug.title(), **options)


def make_agent(team, *, user=None, first_name=None, **contract):
    employee = EmployeeFactory(
        unit=team.centre.unit, **({"first_name": first_name} if first_name else {})
    )
    if user is not None:
        employee.user = user
        employee.save(update_fields=["user"])
    options = {
        "shift_lengths": [360],
        "earliest_start": dt.time(9, 0),
        "latest_end": dt.time(15, 0),
        "working_days": [0, 1, 2, 3, 4, 5, 6],
        "paid_breaks": 0,
        "lunch_minutes": 30,
    } | contract
    return services.agent_create(team=team, employee=employee, **options)


def agent_login(team, username):
    """A user with the employee role in the centre's unit, and their agent record."""
    user = member(team.organization, "employee", team.centre.unit, username=username)
    return user, make_agent(team, user=user)


def lead_login(team, username="lead"):
    return member(team.organization, "manager", team.centre.unit, username=username)


def publish_day(
    team, agents, *, day=DAY, lunches=LUNCHES, calls=CALLS, required=REQUIRED, status="published"
):
    """Publish the hand-made day: every agent 09:00-15:00, one 30-minute lunch each."""
    schedule = Schedule.objects.create(
        team=team,
        day=day,
        status=status,
        day_start=team.centre.opens_at,
        interval_minutes=team.interval_minutes,
        target_service_level=team.target_service_level,
        answer_within_s=team.answer_within_s,
        requirement=list(required),
        calls=list(calls),
        aht_s=[AHT] * len(calls),
        solver_status="MANUAL",
    )
    for agent, lunch in zip(agents, lunches, strict=False):
        shift = Shift.objects.create(
            schedule=schedule, agent=agent, start_interval=0, end_interval=len(calls)
        )
        Activity.objects.create(
            shift=shift, kind="lunch", position=0, start_interval=lunch, end_interval=lunch + 2
        )
    return services.schedule_refresh_coverage(schedule=schedule)


def pie_van_day(organization=None):
    """A team with six agents and the hand-made day published; returns (team, agents)."""
    team = make_centre(organization)
    agents = [make_agent(team) for _ in LUNCHES]
    publish_day(team, agents)
    return team, agents
