"""Forecasts, schedules, publication and intraday re-optimisation, with their jobs."""

import datetime as dt
import math

import pytest
from django.core.exceptions import ValidationError

from servicechain.contactcentre import dayplan, selectors, services
from servicechain.contactcentre.models import (
    Activity,
    ForecastInterval,
    IntervalVolume,
    PlanningJob,
    Schedule,
    Shift,
)
from servicechain.org.models import AuditEvent
from servicechain.simulate.contact_centre import simulate_contact_centre_volumes
from servicechain.staffing.forecast import METHODS
from tests.contactcentre.helpers import DAY, LUNCHES, make_agent, make_centre, pie_van_day

pytestmark = pytest.mark.django_db
FIRST_DAY = dt.date(2030, 2, 4)  # a Monday


def load_history(team, *, days=35, daily_calls=300.0):
    frame = simulate_contact_centre_volumes(
        days=days,
        start=(FIRST_DAY - dt.timedelta(days=days)).isoformat(),
        tz=team.centre.time_zone,
        open_hours=("09:00", "15:00"),
        daily_calls=daily_calls,
        seed=3,
    )
    IntervalVolume.objects.bulk_create(
        IntervalVolume(
            team=team,
            interval_start=row.interval_start.to_pydatetime(),
            calls=int(row.calls),
            aht_s=None if row.calls == 0 else float(row.aht_s),
        )
        for row in frame.itertuples()
    )


def planning_team(agents=6):
    team = make_centre(max_occupancy=0.85)
    load_history(team)
    return team, [make_agent(team) for _ in range(agents)]


def erlang_required(calls, aht, target=0.8, t=20, interval_s=900, max_occupancy=0.85):
    """Smallest N with Erlang C SL >= target and A/N <= occupancy cap (textbook search)."""
    traffic = calls * aht / interval_s
    if traffic == 0:
        return 0
    agents = math.floor(traffic) + 1
    while True:
        waiting = traffic**agents / math.factorial(agents) * agents / (agents - traffic)
        total = sum(traffic**k / math.factorial(k) for k in range(agents)) + waiting
        level = 1 - waiting / total * math.exp(-(agents - traffic) * t / aht)
        if level >= target and traffic / agents <= max_occupancy:
            return agents
        agents += 1


def test_forecast_chooses_a_method_by_backtest_and_stores_erlang_requirements():
    team, _ = planning_team()

    forecast = services.forecast_create(team=team, first_day=FIRST_DAY, horizon_days=7)

    assert forecast.method in METHODS
    chosen = next(row for row in forecast.backtest if row["chosen"])
    assert chosen["method"] == forecast.method
    assert forecast.wape == pytest.approx(chosen["wape"])
    assert forecast.wape == min(row["wape"] for row in forecast.backtest)
    assert ForecastInterval.objects.filter(forecast=forecast).count() == 7 * 96
    day = selectors.forecast_day(forecast, FIRST_DAY)
    assert len(day) == 24 and day["calls"].sum() > 0
    for row in day.itertuples():
        assert row.required_agents == erlang_required(row.calls, row.aht_s)


def test_forecast_leaves_a_gap_between_history_and_first_day_out():
    team, _ = planning_team()

    forecast = services.forecast_create(
        team=team, first_day=FIRST_DAY + dt.timedelta(days=3), horizon_days=2
    )

    first = ForecastInterval.objects.filter(forecast=forecast).order_by("interval_start").first()
    assert first.interval_start.astimezone(team.centre.zone).date() == forecast.first_day
    assert ForecastInterval.objects.filter(forecast=forecast).count() == 2 * 96


def test_forecast_without_history_says_what_to_do():
    team = make_centre()

    with pytest.raises(ValidationError, match="import volumes first"):
        services.forecast_create(team=team, first_day=FIRST_DAY)


def test_forecast_job_runs_in_the_background_with_progress():
    team, _ = planning_team()

    job = services.planning_job_start(
        team=team, kind="forecast", parameters={"first_day": "2030-02-04", "horizon_days": 7}
    )

    assert job.status == PlanningJob.Status.SUCCEEDED
    assert job.progress == 100
    assert job.result["forecast"] == selectors.latest_forecast(team).pk
    assert job.task_id


def test_failed_job_keeps_a_readable_reason():
    team, _ = planning_team()

    job = services.planning_job_start(
        team=team, kind="schedule", parameters={"first_day": "2030-02-04", "days": 1}
    )

    assert job.status == PlanningJob.Status.FAILED
    assert "run a forecast first" in job.message


def test_generated_schedule_keeps_every_contract_and_reports_the_solver():
    team, agents = planning_team()
    services.forecast_create(team=team, first_day=FIRST_DAY, horizon_days=1)

    schedule = services.schedule_generate(team=team, day=FIRST_DAY, time_limit_s=1.0)

    assert schedule.status == Schedule.Status.DRAFT
    assert schedule.solver_status in ("OPTIMAL", "FEASIBLE")
    assert schedule.time_limit_s == 1.0
    assert schedule.gap is not None and 0 <= schedule.gap <= 1
    assert {"understaffing"} <= set(schedule.penalty_breakdown)
    shifts = Shift.objects.filter(schedule=schedule)
    assert shifts.count() == len(agents)
    for shift in shifts:
        assert (shift.start_interval, shift.end_interval) == (0, 24), "09:00-15:00 contracts"
        kinds = list(shift.activities.values_list("kind", flat=True))
        assert kinds == ["lunch"]
    on_phone = [row["scheduled"] for row in schedule.coverage]
    lunches = Activity.objects.filter(shift__schedule=schedule)
    for t, count in enumerate(on_phone):
        off = sum(1 for a in lunches if a.start_interval <= t < a.end_interval)
        assert count == len(agents) - off


def test_a_stored_plan_is_rescored_exactly_as_the_solver_scored_it():
    team, agents = planning_team()
    services.forecast_create(team=team, first_day=FIRST_DAY, horizon_days=1)
    schedule = services.schedule_generate(team=team, day=FIRST_DAY, time_limit_s=1.0)

    plan = dayplan.load_day_plan(schedule)

    rebuilt = plan.coverage.to_dict("records")
    assert len(rebuilt) == len(schedule.coverage)
    for row, stored in zip(rebuilt, schedule.coverage, strict=True):
        for column in ("interval", "clock", "required", "on_shift", "on_break", "scheduled"):
            assert row[column] == stored[column], (column, stored["clock"])
        assert (row["under"], row["over"]) == (stored["under"], stored["over"])
        assert row["projected_service_level"] == pytest.approx(stored["projected_service_level"])
    assert plan.plan.objective == pytest.approx(schedule.objective)
    assert plan.plan.penalty_breakdown == pytest.approx(schedule.penalty_breakdown)
    assert plan.plan.gap == pytest.approx(schedule.gap)
    assert plan.plan.status == schedule.solver_status


def test_week_job_creates_one_draft_per_day():
    team, _ = planning_team(agents=4)
    services.forecast_create(team=team, first_day=FIRST_DAY, horizon_days=7)

    job = services.planning_job_start(
        team=team,
        kind="schedule",
        parameters={"first_day": "2030-02-04", "days": 3, "time_limit_s": 0.5},
    )

    assert job.status == PlanningJob.Status.SUCCEEDED, job.message
    days = Schedule.objects.filter(pk__in=job.result["schedules"]).values_list("day", flat=True)
    assert sorted(days) == [FIRST_DAY + dt.timedelta(days=d) for d in range(3)]


def test_publishing_supersedes_the_previous_plan_and_is_audited():
    team, _ = planning_team(agents=4)
    services.forecast_create(team=team, first_day=FIRST_DAY, horizon_days=1)
    first = services.schedule_generate(team=team, day=FIRST_DAY, time_limit_s=0.5)
    second = services.schedule_generate(team=team, day=FIRST_DAY, time_limit_s=0.5)

    services.schedule_publish(schedule=first)
    services.schedule_publish(schedule=second)

    first.refresh_from_db()
    assert first.status == Schedule.Status.SUPERSEDED
    assert selectors.published_schedule(team, FIRST_DAY).pk == second.pk
    assert AuditEvent.objects.filter(action="contactcentre.schedule.publish").count() == 2
    with pytest.raises(ValidationError, match="Only a draft"):
        services.schedule_publish(schedule=first)


def test_unmet_lunch_wishes_of_recent_days_are_counted_for_fairness():
    team, agents = pie_van_day()
    Shift.objects.filter(agent=agents[0]).update(lunch_preference_met=False)

    unmet = selectors.unmet_lunch_days(team, before=DAY + dt.timedelta(days=1))

    assert unmet == {agents[0].pk: 1}
    assert selectors.unmet_lunch_days(team, before=DAY + dt.timedelta(days=30)) == {}


def record_actuals(team, *, until_interval, factor):
    """Actual volumes for the first intervals of the pie-van day, ``factor`` x the plan."""
    schedule = selectors.published_schedule(team, DAY)
    for index in range(until_interval):
        IntervalVolume.objects.create(
            team=team,
            interval_start=schedule.interval_datetime(index),
            calls=round(schedule.calls[index] * factor),
            aht_s=300.0,
        )


def test_intraday_keeps_taken_breaks_and_shifts_and_replans_the_rest():
    team, agents = pie_van_day()
    now = dt.datetime(2030, 1, 8, 12, 10, tzinfo=team.centre.zone)  # interval 13 is next
    record_actuals(team, until_interval=12, factor=1.4)
    services.break_taken_record(
        agent=agents[0], day=DAY, position=0, started_at=now - dt.timedelta(minutes=10)
    )
    before = {
        a.shift.agent_id: a.start_interval
        for a in Activity.objects.filter(shift__schedule__status="published")
    }

    draft = services.intraday_reoptimise(team=team, day=DAY, now=now, time_limit_s=1.0)

    assert draft.kind == Schedule.Kind.INTRADAY and draft.status == Schedule.Status.DRAFT
    assert draft.now_interval == 13
    assert draft.intraday_notes["volume_ratio"] > 1.0, "a busy morning raises the rest of the day"
    after = {
        a.shift.agent_id: a.start_interval for a in Activity.objects.filter(shift__schedule=draft)
    }
    for agent_id, start in before.items():
        if start < 13:
            assert after[agent_id] == start, "a lunch already taken never moves"
        else:
            assert after[agent_id] >= 13, "nothing is re-planned into the past"
    shifts = Shift.objects.filter(schedule=draft)
    assert {(s.start_interval, s.end_interval) for s in shifts} == {(0, 24)}
    assert draft.requirement[13:] >= selectors.published_schedule(team, DAY).requirement[13:]


def test_intraday_uses_the_recorded_start_of_a_late_lunch():
    team, agents = pie_van_day()
    now = dt.datetime(2030, 1, 8, 12, 50, tzinfo=team.centre.zone)  # interval 16 is next
    # The agent planned for 12:00 actually went at 12:30.
    services.break_taken_record(
        agent=agents[0], day=DAY, position=0, started_at=now - dt.timedelta(minutes=20)
    )

    draft = services.intraday_reoptimise(team=team, day=DAY, now=now, time_limit_s=1.0)

    assert Activity.objects.get(shift__schedule=draft, shift__agent=agents[0]).start_interval == 14


def test_intraday_job_and_the_day_being_over():
    team, agents = pie_van_day()
    evening = dt.datetime(2030, 1, 8, 18, 0, tzinfo=team.centre.zone)

    with pytest.raises(ValidationError, match="day is over"):
        services.intraday_reoptimise(team=team, day=DAY, now=evening)
    job = services.planning_job_start(
        team=team,
        kind="intraday",
        parameters={
            "day": DAY.isoformat(),
            "now": "2030-01-08T10:05:00+00:00",
            "time_limit_s": 0.5,
        },
    )
    assert job.status == PlanningJob.Status.SUCCEEDED, job.message
    assert len(LUNCHES) == Shift.objects.filter(schedule_id=job.result["schedules"][0]).count()
