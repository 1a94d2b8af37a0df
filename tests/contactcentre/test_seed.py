"""The demo seeder: a centre of about 60 agents, a year of volumes, today's plan, logins."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model

from servicechain.contactcentre import dayplan, seed, selectors
from servicechain.contactcentre.models import Agent, Forecast, IntervalVolume, Team
from servicechain.org.access import scope_for
from servicechain.org.models import Unit
from tests.factories import EmployeeFactory, OrganizationFactory, make_unit

pytestmark = pytest.mark.django_db
User = get_user_model()


def test_demo_centre_has_agents_history_a_forecast_todays_plan_and_logins(monkeypatch):
    monkeypatch.setattr(seed, "SOLVE_SECONDS", 0.5)
    organization = OrganizationFactory(slug="demo")
    root = make_unit(organization, "Head office", kind="organisation")
    unit = make_unit(organization, "Contact centre", parent=root, kind="contact_centre")
    EmployeeFactory(unit=unit, is_manager=True, job_family="manager")
    EmployeeFactory.create_batch(3, unit=unit, job_family="frontline")

    seed.seed_demo(organization=organization, progress=lambda message: None)

    team = Team.objects.get(centre__unit=unit)
    assert Agent.objects.filter(team=team).count() == seed.AGENTS
    pie_van = Agent.objects.filter(
        team=team, preferred_lunch_from__gte=dt.time(10), preferred_lunch_to__lte=dt.time(12)
    )
    assert pie_van.count() >= 12, "many agents want lunch while the van is outside"
    days = IntervalVolume.objects.filter(team=team).dates("interval_start", "day")
    assert len(days) >= 365
    today = selectors.local_today(team)
    assert Forecast.objects.get(team=team).first_day == today
    assert selectors.published_schedule(team, today) is not None
    assert Unit.objects.get(pk=unit.pk).employees.count() >= seed.AGENTS

    agent_user, lead_user = (User.objects.get(username=n) for n in ("agent", "lead"))
    assert agent_user.check_password("demo-agent-pass")
    assert lead_user.check_password("demo-lead-pass")
    me = agent_user.employee.contact_centre_agent
    assert me.team == team
    plan = dayplan.load_day_plan(selectors.published_schedule(team, today))
    lunch = next(
        i for i, p in enumerate(plan.assignment(me).activities) if p == plan.assignment(me).lunch
    )
    van = [
        o
        for o in selectors.slot_options(plan, me, position=lunch)
        if "10:00" <= o["clock"] < "12:00"
    ]
    assert van or "10:00" <= plan.schedule.interval_clock(plan.assignment(me).lunch[0]) < "12:00", (
        "the demo agent can take lunch at the van today"
    )
    lead_scope = scope_for(lead_user, "demo")
    assert lead_scope.role == "manager" and lead_scope.unit == unit
    assert {login.username for login in seed.DEMO_LOGINS} == {"agent", "lead"}
