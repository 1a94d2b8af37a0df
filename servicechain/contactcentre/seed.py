"""Demo data of the contact centre, run by servicechain.demo after the organisation is seeded.

The synthetic organisation's contact-centre unit becomes a centre (08:00-20:00, London)
with one team, "Inbound", of about 60 agents (the unit's frontline staff, topped up with
new hires), contracts and wishes from ``simulate_agents`` — many of them want lunch while
the pie van is outside (10:00-12:00). A year of interval volumes up to the last closed
interval comes from ``simulate_contact_centre_volumes``; a week's forecast and today's and
tomorrow's published plans are computed with short solver limits to keep seeding quick.
Agents then ask, through the move service, for lunch earlier at the van: one move stays on
target and is approved at once, one would take service below target and waits for the lead
with its cost and alternatives. Two logins of its own (see ``DEMO_LOGINS``) let a visitor
act as an agent and as the lead.
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

from . import dayplan, selectors, services
from .models import Activity, Agent, IntervalVolume, MoveRequest, Team

DEMO_LOGINS = [
    DemoLogin("agent", "agent", "demo-agent-pass", "contact-centre agent: my day, lunch moves"),
    DemoLogin("team lead", "lead", "demo-lead-pass", "contact-centre lead and planner"),
]
AGENTS = 60
DAILY_CALLS = 1800.0  # tight in the morning peak, room after lunch: the pie-van dilemma
VAN_SHARE = 0.6  # share of lunch wishes that are the pie van's window
# Per demo day: a limit on the solver's deterministic work on one thread, so the demo's
# plans (and the example requests built on them) are the same on every machine and load;
# the wall-clock limit is only a safety net. Planners use the team's own limit.
SOLVE_WORK = 2.0
SOLVE_SECONDS = 60.0


def seed_demo(
    *, organization, synthetic=None, today: dt.date | None = None, progress=lambda message: None
) -> None:
    """Seed the centre as of ``today`` (default: the centre's date now) at the clock's time of
    day: actuals up to that moment, plans for that day and the next, example requests."""
    started = time.perf_counter()
    unit = Unit.objects.filter(organization=organization, kind=Unit.Kind.CONTACT_CENTRE).first()
    if unit is None:
        progress("  contact centre: the organisation has no contact_centre unit; skipped")
        return
    team = _centre_and_team(organization, unit)
    now = seeding_moment(team, today)
    today = selectors.local_today(team, now)
    agents = _agents(team, seed=7, today=today)
    count = _volumes(team, seed=7, now=now)
    progress(f"  {count:>9,} interval volumes ({len(agents)} agents)")
    forecast = services.forecast_create(team=team, first_day=today, horizon_days=7)
    progress(f"  contact centre forecast: {forecast.method}, back-test WAPE {forecast.wape:.3f}")
    for day in (today, today + dt.timedelta(days=1)):
        schedule = services.schedule_generate(
            team=team, day=day, time_limit_s=SOLVE_SECONDS, num_workers=1, work_limit=SOLVE_WORK
        )
        services.schedule_publish(schedule=schedule)
    _logins(team, today, now)
    _example_requests(team, today, now)
    progress(f"  contact centre plans published ({time.perf_counter() - started:.1f} s)")


def seeding_moment(team: Team, today: dt.date | None) -> dt.datetime:
    """``today`` on the centre's wall clock at the clock's time of day (now, without it)."""
    now = timezone.now()
    if today is None:
        return now
    local = now.astimezone(team.centre.zone)
    return dt.datetime.combine(today, local.time(), tzinfo=team.centre.zone)


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
def _agents(team: Team, *, seed: int, today: dt.date) -> list[Agent]:
    """Frontline staff of the centre's unit, topped up with new hires to ``AGENTS``."""
    unit = team.centre.unit
    staff = list(
        Employee.objects.filter(
            unit=unit, leave_date__isnull=True, is_manager=False, job_family="frontline"
        ).order_by("pk")[:AGENTS]
    )
    staff += _hire(team, AGENTS - len(staff), seed=seed, today=today)
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


def _hire(team: Team, count: int, *, seed: int, today: dt.date) -> list[Employee]:
    if count <= 0:
        return []
    from faker import Faker

    fake = Faker("en_GB")
    fake.seed_instance(seed)
    rng = np.random.default_rng(seed)
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


def _volumes(team: Team, *, seed: int, now: dt.datetime) -> int:
    """A year of actuals up to the last interval that has closed by ``now``."""
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


def _logins(team: Team, today: dt.date, now: dt.datetime) -> None:
    """``agent``: someone who wants the pie van and can still move lunch there; ``lead``:
    the centre's manager."""
    agent = _demo_agent(team, today, now)
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


def tour_day(team: Team, today: dt.date, now: dt.datetime | None = None) -> dt.date:
    """The day the README's tour moves the agent's lunch on: today while at least an hour
    of the pie van's window is still ahead, otherwise tomorrow."""
    schedule = selectors.published_schedule(team, today)
    if schedule is None:
        return today + dt.timedelta(days=1)
    _, last = _van_intervals(schedule)
    hour = 60 // schedule.interval_minutes
    ahead = selectors.interval_now(team, today, now) <= last - hour
    return today if ahead else today + dt.timedelta(days=1)


def _demo_agent(team: Team, today: dt.date, now: dt.datetime) -> Agent:
    """An agent whose lunch on the tour day is outside the van's window and who is offered
    a van slot by the same picker the agent will see.

    Judged on the published plan (the solver's plan varies with its time limit, so a shift
    that merely spans the window is not enough: break spacing may leave no van slot) from
    the moment of seeding on, so the visitor has a real choice to make whatever the time of
    day. Among those, one who wants the van.
    """
    day = tour_day(team, today, now)
    plan = dayplan.load_day_plan(selectors.published_schedule(team, day))
    now_interval = selectors.interval_now(team, day, now)
    # A visitor who comes back later in the day goes on to tomorrow's plan: an agent who
    # can make the same move tomorrow keeps the tour working then too.
    tomorrow = selectors.published_schedule(team, today + dt.timedelta(days=1))
    later = dayplan.load_day_plan(tomorrow) if day == today and tomorrow else None
    van_from, van_to = PIE_VAN_WINDOW
    wants = {
        agent.pk: agent.preferred_lunch_from is not None
        and f"{agent.preferred_lunch_from:%H:%M}" >= van_from
        and f"{agent.preferred_lunch_to:%H:%M}" <= van_to
        for agent in Agent.objects.filter(team=team)
    }
    choices = []
    for agent in Agent.objects.filter(team=team).order_by("pk"):
        movable_to_van, elsewhere = _van_move(plan, agent, now_interval)
        if movable_to_van is None:
            continue
        again = later is None or _van_move(later, agent, 0) == (True, True)
        key = (movable_to_van, elsewhere, again, wants[agent.pk])
        choices.append((key, agent))
    return max(choices, key=lambda choice: choice[0])[1]


def _van_move(plan, agent: Agent, now_interval: int) -> tuple[bool | None, bool]:
    """(the lunch has not started and a van time is offered, the lunch is outside the van's
    window); (None, False) when the agent has no lunch on the plan."""
    if not plan.has(agent) or plan.assignment(agent).lunch is None:
        return None, False
    van_from, van_to = PIE_VAN_WINDOW
    mine = plan.assignment(agent)
    lunch = mine.activities.index(mine.lunch)
    options = selectors.slot_options(plan, agent, position=lunch, now_interval=now_interval)
    van_slots = any(van_from <= option["clock"] < van_to for option in options)
    elsewhere = not van_from <= plan.schedule.interval_clock(mine.lunch[0]) < van_to
    return mine.lunch[0] >= now_interval and van_slots, elsewhere


def _minutes(clock: str) -> int:
    return int(clock[:2]) * 60 + int(clock[3:5])


def _example_requests(team: Team, today: dt.date, now: dt.datetime) -> set[str]:
    """Requests the lead and the agents find on the demo day, made through the move service.

    Agents whose lunch starts after the pie van has arrived ask to have it earlier, at the
    van (lunches after the van's window first, van fans first among them; lunches that have
    started and the demo login are left alone, so the visitor keeps a choice). One asks for
    the earliest van slot the picker marks as on target, which is approved at once; then
    the first asker with a van slot that would take an interval below target asks for the
    earliest such slot, and the request waits for the lead with its cost and the
    alternatives that keep service on target. Today's plan first, tomorrow's for what today can no longer show.
    If no van slot stays on target on either day, someone moves a break instead, on target.
    Returns the statuses reached.
    """
    days = (today, today + dt.timedelta(days=1))
    schedules = [s for s in (selectors.published_schedule(team, day) for day in days) if s]
    reached: set[str] = set()
    for schedule in schedules:
        for status in (MoveRequest.Status.AUTO_APPROVED, MoveRequest.Status.PENDING_LEAD):
            if status not in reached:
                reached |= _van_request(
                    schedule, now, escalated=status == MoveRequest.Status.PENDING_LEAD
                )
    for schedule in schedules:
        if MoveRequest.Status.AUTO_APPROVED not in reached:
            reached |= _break_request(schedule, now)
    return reached


def _van_request(schedule, now: dt.datetime | None = None, *, escalated: bool) -> set[str]:
    """The first asker with a van slot of the kind wanted asks for it; the status reached."""
    now_interval = selectors.interval_now(schedule.team, schedule.day, now)
    plan = dayplan.load_day_plan(schedule)
    for agent, lunch in _van_askers(schedule, now_interval):
        slot = _van_slot(plan, agent, lunch, now_interval, escalated=escalated)
        if slot is not None:
            note = "The pie van is outside from ten."
            return {_request(schedule, agent, lunch, slot, note, now)}
    return set()


def _break_request(schedule, now: dt.datetime | None = None) -> set[str]:
    """Someone takes a break at the nearest other time that keeps service on target."""
    now_interval = selectors.interval_now(schedule.team, schedule.day, now)
    plan = dayplan.load_day_plan(schedule)
    breaks = (
        Activity.objects.filter(
            shift__schedule=schedule,
            kind=Activity.Kind.BREAK,
            start_interval__gte=now_interval,
            shift__agent__employee__user__isnull=True,
        )
        .exclude(shift__agent__move_requests__day=schedule.day)
        .select_related("shift__agent")
        .order_by("shift__agent_id", "position")
    )
    for activity in breaks:
        agent = activity.shift.agent
        options = selectors.slot_options(
            plan, agent, position=activity.position, now_interval=now_interval
        )
        on_target = [o for o in options if o["stays_on_target"]]
        if on_target:
            slot = min(on_target, key=lambda o: abs(o["start"] - activity.start_interval))
            return {_request(schedule, agent, activity.position, slot, "Moving my break.", now)}
    return set()


def _request(schedule, agent: Agent, position: int, slot: dict, note: str, now=None) -> str:
    request = services.lunch_move_request(
        agent=agent,
        day=schedule.day,
        position=position,
        to_start=slot["start"],
        note=note,
        now=now,
    )
    return request.status


def _van_intervals(schedule) -> tuple[int, int]:
    opens = _minutes(f"{schedule.day_start:%H:%M}")
    first, last = ((_minutes(c) - opens) // schedule.interval_minutes for c in PIE_VAN_WINDOW)
    return first, last


def _van_askers(schedule, now_interval: int) -> list[tuple[Agent, int]]:
    """Agents, with their lunch's position, whose lunch starts after the van's arrival.

    Lunches after the van's window come first, then van fans, then by agent; lunches that
    have started, the demo login and agents with a request for the day are left out.
    """
    first, last = _van_intervals(schedule)
    van_from, van_to = (dt.time.fromisoformat(c) for c in PIE_VAN_WINDOW)
    lunches = (
        Activity.objects.filter(
            shift__schedule=schedule,
            kind=Activity.Kind.LUNCH,
            start_interval__gt=first,
            shift__agent__employee__user__isnull=True,
        )
        .filter(start_interval__gte=now_interval)
        .exclude(shift__agent__move_requests__day=schedule.day)
        .select_related("shift__agent")
    )

    def order(lunch: Activity):
        agent = lunch.shift.agent
        fan = agent.lunch_wish is not None and (
            van_from <= agent.preferred_lunch_from and agent.preferred_lunch_to <= van_to
        )
        return lunch.start_interval < last, not fan, agent.pk

    return [(lunch.shift.agent, lunch.position) for lunch in sorted(lunches, key=order)]


def _van_slot(plan, agent: Agent, lunch: int, now_interval: int, *, escalated: bool):
    """The van slot before the agent's lunch that they ask for, or None.

    The earliest one that stays on target; with ``escalated``, the earliest one that would
    take service below target, if slots that keep it on target can be offered instead.
    """
    first, last = _van_intervals(plan.schedule)
    options = selectors.slot_options(plan, agent, position=lunch, now_interval=now_interval)
    current = plan.assignment(agent).activities[lunch][0]
    van = [o for o in options if first <= o["start"] < min(last, current)]
    if not escalated:
        return next((o for o in van if o["stays_on_target"]), None)
    if not any(o["stays_on_target"] for o in options):
        return None
    return next((o for o in van if not o["stays_on_target"]), None)
