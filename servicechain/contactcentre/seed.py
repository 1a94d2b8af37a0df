"""Demo data of the contact centre, run by servicechain.demo after the organisation is seeded.

The synthetic organisation's contact-centre unit becomes a centre (08:00-20:00, London)
with one team, "Inbound", of about 60 agents (the unit's frontline staff, topped up with
new hires), contracts and wishes from ``simulate_agents`` — many of them want lunch while
the pie van is outside (10:00-12:00). A year of interval volumes up to the last closed
interval comes from ``simulate_contact_centre_volumes``; a week's forecast and today's and
tomorrow's published plans are computed with short solver limits to keep seeding quick.
Two logins of its own (see ``DEMO_LOGINS``) let a visitor act as an agent and as the lead.
"""

from __future__ import annotations

import datetime as dt
import time

import numpy as np
from django.db import transaction
from django.utils import timezone

from servicechain.demo import DemoLogin
from servicechain.org import services as org_services
from servicechain.org.models import Employee, Unit
from servicechain.simulate.contact_centre import (
    PIE_VAN_WINDOW,
    simulate_agents,
    simulate_contact_centre_volumes,
)

from . import selectors, services
from .models import Agent, IntervalVolume, Team

DEMO_LOGINS = [
    DemoLogin("agent", "agent", "demo-agent-pass", "contact-centre agent: my day, lunch moves"),
    DemoLogin("team lead", "lead", "demo-lead-pass", "contact-centre lead and planner"),
]
AGENTS = 60
DAILY_CALLS = 1800.0  # tight in the morning peak, room after lunch: the pie-van dilemma
VAN_SHARE = 0.6  # share of lunch wishes that are the pie van's window
SOLVE_SECONDS = 2.0  # per demo day; planners use the team's own limit


def seed_demo(*, organization, synthetic=None, progress=lambda message: None) -> None:
    started = time.perf_counter()
    unit = Unit.objects.filter(organization=organization, kind=Unit.Kind.CONTACT_CENTRE).first()
    if unit is None:
        progress("  contact centre: the organisation has no contact_centre unit; skipped")
        return
    team = _centre_and_team(organization, unit)
    agents = _agents(team, seed=7)
    count = _volumes(team, seed=7)
    progress(f"  {count:>9,} interval volumes ({len(agents)} agents)")
    today = selectors.local_today(team)
    forecast = services.forecast_create(team=team, first_day=today, horizon_days=7)
    progress(f"  contact centre forecast: {forecast.method}, back-test WAPE {forecast.wape:.3f}")
    for day in (today, today + dt.timedelta(days=1)):
        schedule = services.schedule_generate(team=team, day=day, time_limit_s=SOLVE_SECONDS)
        services.schedule_publish(schedule=schedule)
    _logins(team, today)
    _example_requests(team, today)
    progress(f"  contact centre plans published ({time.perf_counter() - started:.1f} s)")


def _centre_and_team(organization, unit: Unit) -> Team:
    centre = services.centre_create(
        organization=organization,
        unit=unit,
        name=unit.name,
        time_zone="Europe/London",
        opens_at=dt.time(8, 0),
        closes_at=dt.time(20, 0),
    )
    lead = Employee.objects.filter(unit=unit, is_manager=True, leave_date__isnull=True).first()
    return services.team_create(
        centre=centre,
        slug="inbound",
        name="Inbound",
        lead=lead,
        target_service_level=0.8,
        answer_within_s=20,
        max_occupancy=0.85,
        shrinkage=0.0,
        schedule_time_limit_s=10.0,
    )


@transaction.atomic
def _agents(team: Team, *, seed: int) -> list[Agent]:
    """Frontline staff of the centre's unit, topped up with new hires to ``AGENTS``."""
    unit = team.centre.unit
    staff = list(
        Employee.objects.filter(
            unit=unit, leave_date__isnull=True, is_manager=False, job_family="frontline"
        ).order_by("pk")[:AGENTS]
    )
    staff += _hire(team, AGENTS - len(staff), seed=seed)
    people = simulate_agents(n=len(staff), seed=seed, van_share=VAN_SHARE)
    agents = []
    for employee, person in zip(staff, people, strict=True):
        contract, wish = person.contract, person.preferences
        lunch = wish.lunch_window
        agents.append(
            Agent(
                team=team,
                employee=employee,
                shift_lengths=list(contract.shift_lengths),
                earliest_start=dt.time.fromisoformat(contract.earliest_start),
                latest_end=_time(contract.latest_end),
                working_days=list(contract.working_days),
                paid_breaks=contract.paid_breaks,
                lunch_minutes=contract.lunch_minutes,
                start_step_minutes=contract.start_step_minutes,
                preferred_lunch_from=dt.time.fromisoformat(lunch[0]) if lunch else None,
                preferred_lunch_to=_time(lunch[1]) if lunch else None,
                preferred_shift_start=dt.time.fromisoformat(wish.preferred_shift_start)
                if wish.preferred_shift_start
                else None,
            )
        )
    return Agent.objects.bulk_create(agents)


def _time(clock: str) -> dt.time:
    return dt.time(0, 0) if clock == "24:00" else dt.time.fromisoformat(clock)


def _hire(team: Team, count: int, *, seed: int) -> list[Employee]:
    if count <= 0:
        return []
    from faker import Faker

    fake = Faker("en_GB")
    fake.seed_instance(seed)
    rng = np.random.default_rng(seed)
    today = dt.date.today()
    unit = team.centre.unit
    hires = [
        Employee(
            organization=team.organization,
            external_id=f"{unit.external_id}-A{n + 1:03d}",
            unit=unit,
            first_name=fake.first_name(),
            last_name=fake.last_name(),
            job_title="Customer Service Agent",
            job_family=Employee.JobFamily.FRONTLINE,
            hire_date=today - dt.timedelta(days=int(rng.integers(30, 2000))),
        )
        for n in range(count)
    ]
    return Employee.objects.bulk_create(hires)


def _volumes(team: Team, *, seed: int) -> int:
    """A year of actuals up to the last interval that has closed."""
    now = timezone.now()
    today = selectors.local_today(team, now)
    frame = simulate_contact_centre_volumes(
        days=366,
        start=(today - dt.timedelta(days=365)).isoformat(),
        tz=team.centre.time_zone,
        daily_calls=DAILY_CALLS,
        seed=seed,
    )
    step = dt.timedelta(minutes=team.interval_minutes)
    closed = frame["interval_start"] + step <= now
    rows = frame[closed]
    IntervalVolume.objects.bulk_create(
        [
            IntervalVolume(
                team=team,
                interval_start=start.to_pydatetime(),
                calls=int(calls),
                aht_s=None if calls == 0 or np.isnan(aht) else float(aht),
            )
            for start, calls, aht in zip(
                rows["interval_start"], rows["calls"], rows["aht_s"], strict=True
            )
        ],
        batch_size=2000,
    )
    return len(rows)


def _logins(team: Team, today: dt.date) -> None:
    """``agent``: someone who wants the pie van and can reach it today; ``lead``: the manager."""
    agent = _demo_agent(team, today)
    for login in DEMO_LOGINS:
        person = agent.employee if login.username == "agent" else team.lead
        user = org_services.user_create(
            username=login.username,
            password=login.password,
            first_name=person.first_name if person else login.role.title(),
            last_name=person.last_name if person else "Demo",
        )
        if person is not None:
            org_services.employee_link_user(employee=person, user=user)
        role = "employee" if login.username == "agent" else "manager"
        org_services.membership_grant(
            user=user, organization=team.organization, role=role, unit=team.centre.unit
        )


def _demo_agent(team: Team, today: dt.date) -> Agent:
    """An agent on today's plan whose shift lets lunch fall in the van's window.

    Preferably one who wants the van and whose lunch is elsewhere today, so the visitor
    has a real choice to make; failing that, anyone with a lunch today.
    """
    schedule = selectors.published_schedule(team, today)
    van_from, van_to = (_minutes(c) for c in PIE_VAN_WINDOW)
    opens = _minutes(f"{team.centre.opens_at:%H:%M}")
    choices = []
    for shift in schedule.shifts.select_related("agent__employee").order_by("agent_id"):
        lunch = shift.activities.filter(kind="lunch").first()
        if lunch is None:
            continue
        start = opens + shift.start_interval * team.interval_minutes
        reachable = (
            start + team.lunch_earliest_after + shift.agent.lunch_minutes <= van_to
            and start + team.lunch_latest_after >= van_from
        )
        lunch_at = opens + lunch.start_interval * team.interval_minutes
        wants_van = shift.agent.preferred_lunch_from is not None and (
            _minutes(f"{shift.agent.preferred_lunch_from:%H:%M}") >= van_from
            and _minutes(f"{shift.agent.preferred_lunch_to:%H:%M}") <= van_to
        )
        elsewhere = not van_from <= lunch_at < van_to
        choices.append(((reachable, wants_van, elsewhere), shift.agent))
    return max(choices, key=lambda choice: choice[0])[1]


def _minutes(clock: str) -> int:
    return int(clock[:2]) * 60 + int(clock[3:5])


def _example_requests(team: Team, today: dt.date) -> None:
    """Agents ask for lunch at the van: one stays on target (automatic), two go to the lead."""
    wanted = {True: 1, False: 2}  # stays on target -> how many more requests to make
    for day in (today, today + dt.timedelta(days=1)):
        schedule = selectors.published_schedule(team, day)
        if schedule is not None and any(wanted.values()):
            _van_requests(schedule, wanted)


def _van_requests(schedule, wanted: dict) -> None:
    from . import dayplan

    start = _minutes(f"{schedule.day_start:%H:%M}")
    first, last = ((_minutes(c) - start) // schedule.interval_minutes for c in PIE_VAN_WINDOW)
    now_interval = selectors.interval_now(schedule.team, schedule.day)
    shifts = schedule.shifts.select_related("agent").exclude(agent__employee__user__isnull=False)
    for shift in shifts.order_by("agent_id"):
        lunch = shift.activities.filter(kind="lunch").first()
        if lunch is None or first <= lunch.start_interval < last or not any(wanted.values()):
            continue
        plan = dayplan.load_day_plan(schedule)
        options = selectors.slot_options(
            plan, shift.agent, position=lunch.position, now_interval=now_interval
        )
        pick = next(
            (o for o in options if first <= o["start"] < last and wanted[o["stays_on_target"]]),
            None,
        )
        if pick is None:
            continue
        services.lunch_move_request(
            agent=shift.agent,
            day=schedule.day,
            position=lunch.position,
            to_start=pick["start"],
            note="The pie van is outside from ten.",
        )
        wanted[pick["stays_on_target"]] -= 1
