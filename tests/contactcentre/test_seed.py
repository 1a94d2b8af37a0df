"""The demo seeder: a centre of about 60 agents, a year of volumes, today's plan, logins.

The demo is seeded as of a fixed day under a frozen clock (time-machine), so what it
shows does not depend on the time of day the tests run at.
"""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth import get_user_model

from servicechain.contactcentre import dayplan, seed, selectors, services
from servicechain.contactcentre.models import (
    Activity,
    Agent,
    Forecast,
    IntervalVolume,
    MoveRequest,
    Shift,
    Team,
)
from servicechain.org.access import scope_for
from servicechain.org.models import AuditEvent, Unit
from tests.contactcentre.helpers import DAY, pie_van_day
from tests.factories import EmployeeFactory, OrganizationFactory, make_unit

pytestmark = pytest.mark.django_db
User = get_user_model()
LONDON = ZoneInfo("Europe/London")
DEMO_DAY = dt.date(2026, 12, 7)  # a Monday
EARLY = dt.datetime(2026, 12, 7, 6, 10, tzinfo=LONDON)  # before the centre opens


@pytest.fixture
def frozen():
    """The demo's clock: Monday 7 Dec 2026, 06:10 in London, not ticking."""
    with time_machine.travel(EARLY, tick=False):
        yield EARLY


def seeded_centre(monkeypatch, today=DEMO_DAY) -> Unit:
    monkeypatch.setattr(seed, "SOLVE_WORK", 1.0)  # deterministic: the same plan under any load
    organization = OrganizationFactory(slug="demo")
    root = make_unit(organization, "Head office", kind="organisation")
    unit = make_unit(organization, "Contact centre", parent=root, kind="contact_centre")
    # Fixed names and ids: agents are ordered by name, so names drawn by Faker (which
    # depend on the tests run before) would change the solver's input order and its plan.
    people = [("Morgan", "Lead", "manager"), *((f"Ali{n}", "Agent", "frontline") for n in "ABC")]
    for n, (first, last, family) in enumerate(people):
        EmployeeFactory(
            unit=unit,
            first_name=first,
            last_name=last,
            external_id=f"CC{n}",
            is_manager=family == "manager",
            job_family=family,
        )
    seed.seed_demo(organization=organization, today=today, progress=lambda message: None)
    return unit


def test_demo_centre_has_agents_history_a_forecast_todays_plan_and_logins(monkeypatch, frozen):
    unit = seeded_centre(monkeypatch)

    team = Team.objects.get(centre__unit=unit)
    assert Agent.objects.filter(team=team).count() == seed.AGENTS
    pie_van = Agent.objects.filter(
        team=team, preferred_lunch_from__gte=dt.time(10), preferred_lunch_to__lte=dt.time(12)
    )
    assert pie_van.count() >= 12, "many agents want lunch while the van is outside"
    days = IntervalVolume.objects.filter(team=team).dates("interval_start", "day")
    assert len(days) >= 365
    today = selectors.local_today(team)
    assert today == DEMO_DAY
    assert Forecast.objects.get(team=team).first_day == today
    last = IntervalVolume.objects.filter(team=team).latest("interval_start").interval_start
    assert last < frozen, "actuals stop at the last interval closed before seeding"
    assert selectors.published_schedule(team, today) is not None
    assert Unit.objects.get(pk=unit.pk).employees.count() >= seed.AGENTS

    agent_user, lead_user = (User.objects.get(username=n) for n in ("agent", "lead"))
    assert agent_user.check_password("demo-agent-pass")
    assert lead_user.check_password("demo-lead-pass")
    me = agent_user.employee.contact_centre_agent
    assert me.team == team
    assert seed.tour_day(team, today) == today, "at 06:10 the van's window is still ahead"
    assert_demo_agent_can_move_lunch_to_the_van(me, team, today)
    assert_demo_agent_can_move_lunch_to_the_van(me, team, today + dt.timedelta(days=1))
    lead_scope = scope_for(lead_user, "demo")
    assert lead_scope.role == "manager" and lead_scope.unit == unit
    assert {login.username for login in seed.DEMO_LOGINS} == {"agent", "lead"}


def assert_demo_agent_can_move_lunch_to_the_van(me, team, day):
    """The README's tour: the agent's lunch is outside the van's 10:00-12:00 and My day
    offers a van time that has not started yet."""
    plan = dayplan.load_day_plan(selectors.published_schedule(team, day))
    mine = plan.assignment(me)
    assert not "10:00" <= plan.schedule.interval_clock(mine.lunch[0]) < "12:00"
    view = selectors.agent_day(me, day)
    lunch = next(item for item in view.items() if item["kind"] == "lunch")
    assert lunch["movable"]
    options = selectors.slot_options(
        plan, me, position=lunch["position"], now_interval=view.now_interval
    )
    assert any("10:00" <= o["clock"] < "12:00" for o in options), "a van time is offered"


@pytest.mark.parametrize("clock", [dt.time(13, 5), dt.time(23, 50)])
def test_after_the_van_has_gone_the_tour_and_the_examples_are_on_tomorrows_plan(monkeypatch, clock):
    with time_machine.travel(dt.datetime.combine(DEMO_DAY, clock, tzinfo=LONDON), tick=False):
        unit = seeded_centre(monkeypatch)
        team = Team.objects.get(centre__unit=unit)
        me = User.objects.get(username="agent").employee.contact_centre_agent
        tomorrow = DEMO_DAY + dt.timedelta(days=1)

        assert seed.tour_day(team, DEMO_DAY) == tomorrow
        assert_demo_agent_can_move_lunch_to_the_van(me, team, tomorrow)
        requests = MoveRequest.objects.filter(team=team)
        assert {(r.day, r.kind, r.status) for r in requests} == {
            (tomorrow, "lunch", MoveRequest.Status.AUTO_APPROVED),
            (tomorrow, "lunch", MoveRequest.Status.PENDING_LEAD),
        }


def test_demo_day_has_an_automatic_van_lunch_and_one_waiting_for_the_lead(monkeypatch, frozen):
    unit = seeded_centre(monkeypatch)
    team = Team.objects.get(centre__unit=unit)

    requests = MoveRequest.objects.filter(team=team).select_related("schedule", "agent")
    auto = [r for r in requests if r.status == MoveRequest.Status.AUTO_APPROVED]
    waiting = [r for r in requests if r.status == MoveRequest.Status.PENDING_LEAD]

    assert auto and waiting
    assert AuditEvent.objects.filter(action="contactcentre.move.request").count() == len(
        requests
    ), "every request went through the move service"
    for request in auto:
        lunch = Activity.objects.get(
            shift__schedule=request.schedule, shift__agent=request.agent, position=request.position
        )
        assert (request.kind, lunch.kind) == ("lunch", "lunch")
        assert lunch.start_interval == request.to_start, "an approved move is in the plan"
        assert request.stays_on_target and request.intervals_below_target == 0
        assert "10:00" <= request.schedule.interval_clock(request.to_start) < "12:00"
    for request in waiting:
        to_clock = request.schedule.interval_clock(request.to_start)
        assert request.kind == "lunch"
        assert "10:00" <= to_clock < "12:00", "lunch at the pie van"
        assert request.to_start < request.from_start, "earlier than planned"
        assert not request.stays_on_target and request.intervals_below_target >= 1
        below = [row for row in request.impact if row["below_target_after"]]
        assert below and all(
            row["service_level_after"] < team.target_service_level for row in below
        )
        assert request.cost_change > 0
        assert any(o["stays_on_target"] for o in request.suggestions), "alternatives offered"
        lunch = Activity.objects.get(
            shift__schedule=request.schedule, shift__agent=request.agent, position=request.position
        )
        assert lunch.start_interval == request.from_start, "nothing moves before the lead decides"
        # Judged again on the plan as it stands, the move still needs the lead.
        again = selectors.move_preview(
            dayplan.load_day_plan(request.schedule),
            request.agent,
            position=request.position,
            to_start=request.to_start,
            now=request.created_at,
            suggest=0,
        )
        assert again.allowed and again.verdict == "needs_lead"
        assert again.cost_change == pytest.approx(request.cost_change)
    assert all(r.agent.employee.user_id is None for r in requests), "the demo login is left free"


def test_without_a_van_slot_on_target_the_demo_shows_a_break_moved_on_target():
    team, agents = pie_van_day()
    shift = Shift.objects.get(agent=agents[4])
    Activity.objects.filter(shift=shift).update(position=1)
    Activity.objects.create(shift=shift, kind="break", position=0, start_interval=4, end_interval=5)
    schedule = services.schedule_refresh_coverage(schedule=selectors.published_schedule(team, DAY))

    reached = seed._break_request(schedule)

    request = MoveRequest.objects.get()
    assert reached == {MoveRequest.Status.AUTO_APPROVED} and request.kind == "break"
    assert request.to_start == 8, "the nearest time that keeps 10:00-11:00 on target"
    moved = Activity.objects.get(shift=shift, position=0)
    assert (moved.kind, moved.start_interval) == ("break", 8)
