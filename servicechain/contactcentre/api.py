"""JSON API of the contact centre (mounted under /api/; paths are declared in full).

Same rules as the pages (``access``): planners and leads plan and decide, agents see their
team's published day and propose their own moves. Errors are ``{"detail": ...}`` with a
4xx status: 404 for anything outside the caller's scope, 403 for a role that may not act,
422 for input or a move the rules refuse.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.http import Http404
from ninja import File, Form, Router, Schema, Status
from ninja.errors import HttpError
from ninja.files import UploadedFile
from pydantic import ConfigDict, field_validator

from servicechain.org.access import scope_for
from servicechain.org.api import ImportOut

from . import access, dayplan, selectors, services
from .models import Agent, MoveRequest, PlanningJob, Schedule

router = Router(tags=["contactcentre"])
BASE = "/orgs/{org}/contact-centre"


class ErrorOut(Schema):
    detail: str


ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class TeamOut(Schema):
    slug: str
    name: str
    centre: str
    time_zone: str
    opens_at: dt.time
    closes_at: dt.time
    interval_minutes: int
    target_service_level: float
    answer_within_s: int
    max_occupancy: float | None
    shrinkage: float
    can_plan: bool


class AgentPatch(Schema):
    """Any of an agent's contract and wish fields; a field left out is unchanged."""

    model_config = ConfigDict(extra="forbid")

    shift_lengths: list[int] | None = None
    earliest_start: dt.time | None = None
    latest_end: dt.time | None = None
    working_days: list[int] | None = None
    paid_breaks: int | None = None
    lunch_minutes: int | None = None
    start_step_minutes: int | None = None
    preferred_lunch_from: dt.time | None = None
    preferred_lunch_to: dt.time | None = None
    preferred_shift_start: dt.time | None = None

    @field_validator(
        "earliest_start",
        "latest_end",
        "preferred_lunch_from",
        "preferred_lunch_to",
        "preferred_shift_start",
    )
    @classmethod
    def wall_clock_minutes(cls, value: dt.time | None) -> dt.time | None:
        # Contract times are on the centre's own clock, in whole minutes.
        if value is not None and (value.tzinfo is not None or value.second or value.microsecond):
            raise ValueError("give a clock time HH:MM on the centre's clock, without a UTC offset")
        return value


class AgentOut(Schema):
    id: int
    name: str
    team: str
    active: bool
    shift_lengths: list[int]
    earliest_start: dt.time
    latest_end: dt.time
    working_days: list[int]
    paid_breaks: int
    lunch_minutes: int
    start_step_minutes: int
    preferred_lunch_from: dt.time | None
    preferred_lunch_to: dt.time | None
    preferred_shift_start: dt.time | None


class JobOut(Schema):
    id: int
    kind: str
    status: str
    progress: int
    message: str
    parameters: dict
    result: dict
    created_at: dt.datetime
    finished_at: dt.datetime | None


class ForecastIn(Schema):
    first_day: dt.date
    horizon_days: int = 7


class BacktestRow(Schema):
    method: str
    wape: float | None
    mape: float | None
    aht_wape: float | None
    folds: int
    chosen: bool


class ForecastOut(Schema):
    id: int
    first_day: dt.date
    horizon_days: int
    method: str
    wape: float | None
    mape: float | None
    aht_wape: float | None
    backtest: list[BacktestRow]
    history_first_day: dt.date
    history_last_day: dt.date
    created_at: dt.datetime


class RequirementRow(Schema):
    interval_start: dt.datetime
    clock: str
    calls: float
    aht_s: float
    traffic_erlangs: float
    agents_on_phone: int
    required_agents: int
    service_level: float


class RequirementsOut(Schema):
    forecast: int
    method: str
    day: dt.date
    target_service_level: float
    answer_within_s: int
    intervals: list[RequirementRow]


class GenerateIn(Schema):
    first_day: dt.date
    days: int = 1
    time_limit_s: float | None = None


class ActivityOut(Schema):
    kind: str
    position: int
    start: str
    end: str


class ShiftOut(Schema):
    agent_id: int
    agent: str
    start: str
    end: str
    lunch_preference_met: bool | None
    activities: list[ActivityOut]


class CoverageRow(Schema):
    interval: int
    clock: str
    required: int
    scheduled: int
    on_break: int
    under: int
    over: int
    projected_service_level: float


class ScheduleOut(Schema):
    id: int
    team: str
    day: dt.date
    status: str
    kind: str
    solver_status: str
    objective: float | None
    best_bound: float | None
    gap: float | None
    penalty_breakdown: dict
    solve_seconds: float | None
    time_limit_s: float | None
    lunch_preferences_met: float | None
    target_service_level: float
    coverage: list[CoverageRow]
    shifts: list[ShiftOut]


class MoveIn(Schema):
    day: dt.date
    position: int
    to_start: int | None = None
    to_clock: str | None = None
    colleague: int | None = None
    note: str = ""


class ImpactRow(Schema):
    interval: int
    clock: str
    required: int
    scheduled_before: int
    scheduled_after: int
    service_level_before: float | None
    service_level_after: float | None
    below_target_after: bool


class SlotOut(Schema):
    start: int
    clock: str
    end_clock: str
    stays_on_target: bool
    min_service_level_after: float | None
    in_preferred_window: bool
    cost_change: float


class PreviewOut(Schema):
    kind: str
    position: int
    from_clock: str
    to_clock: str
    colleague: int | None
    allowed: bool
    reason: str
    verdict: str
    stays_on_target: bool
    cost_change: float
    min_service_level_after: float | None
    intervals_below_target: int
    target_service_level: float
    intervals: list[ImpactRow]
    suggestions: list[SlotOut]


class MoveOut(Schema):
    id: int
    team: str
    day: dt.date
    kind: str
    agent_id: int
    agent: str
    colleague_id: int | None
    position: int
    from_clock: str
    to_clock: str
    status: str
    stays_on_target: bool
    cost_change: float
    min_service_level_after: float | None
    intervals_below_target: int
    impact: list[ImpactRow]
    suggestions: list[SlotOut]
    note: str
    decision_note: str
    created_at: dt.datetime
    decided_at: dt.datetime | None


class DecisionIn(Schema):
    note: str = ""


class ConsentIn(Schema):
    accept: bool


class IntradayIn(Schema):
    now: dt.datetime | None = None
    time_limit_s: float | None = None


class BreakTakenIn(Schema):
    day: dt.date | None = None
    position: int
    started_at: dt.datetime | None = None


class BreakTakenOut(Schema):
    id: int
    day: dt.date
    position: int
    kind: str
    started_at: dt.datetime


# --------------------------------------------------------------------------- helpers


def _check_day(day: dt.date) -> dt.date:
    """Days a contact centre can plan for (keeps date arithmetic far from its limits)."""
    if not 2000 <= day.year <= 2100:
        raise HttpError(422, f"{day} is outside the years 2000-2100.")
    return day


def _team(request, org: str, slug: str, *, plan: bool = False):
    scope = scope_for(request.user, org)
    team = access.get_team(scope, slug)
    if plan:
        access.require_planner(scope, team)
    return scope, team


def _team_out(scope, team) -> dict:
    centre = team.centre
    return {
        "slug": team.slug,
        "name": team.name,
        "centre": centre.name,
        "time_zone": centre.time_zone,
        "opens_at": centre.opens_at,
        "closes_at": centre.closes_at,
        "interval_minutes": team.interval_minutes,
        "target_service_level": team.target_service_level,
        "answer_within_s": team.answer_within_s,
        "max_occupancy": team.max_occupancy,
        "shrinkage": team.shrinkage,
        "can_plan": access.can_plan(scope, team),
    }


def _schedule_out(schedule: Schedule) -> dict:
    shifts = []
    for row in selectors.timeline(schedule):
        shift = row.shift
        shifts.append(
            {
                "agent_id": row.agent.pk,
                "agent": str(row.agent),
                "start": schedule.interval_clock(shift.start_interval),
                "end": schedule.interval_clock(shift.end_interval),
                "lunch_preference_met": shift.lunch_preference_met,
                "activities": [
                    {
                        "kind": a.kind,
                        "position": a.position,
                        "start": schedule.interval_clock(a.start_interval),
                        "end": schedule.interval_clock(a.end_interval),
                    }
                    for a in shift.activities.all()
                ],
            }
        )
    return {
        "id": schedule.pk,
        "team": schedule.team.slug,
        "day": schedule.day,
        "status": schedule.status,
        "kind": schedule.kind,
        "solver_status": schedule.solver_status,
        "objective": schedule.objective,
        "best_bound": schedule.best_bound,
        "gap": schedule.gap,
        "penalty_breakdown": schedule.penalty_breakdown,
        "solve_seconds": schedule.solve_seconds,
        "time_limit_s": schedule.time_limit_s,
        "lunch_preferences_met": schedule.lunch_preferences_met,
        "target_service_level": schedule.target_service_level,
        "coverage": schedule.coverage,
        "shifts": shifts,
    }


def _move_out(move: MoveRequest) -> dict:
    return {
        "id": move.pk,
        "team": move.team.slug,
        "day": move.day,
        "kind": move.kind,
        "agent_id": move.agent_id,
        "agent": str(move.agent),
        "colleague_id": move.colleague_id,
        "position": move.position,
        "from_clock": move.from_clock,
        "to_clock": move.to_clock,
        "status": move.status,
        "stays_on_target": move.stays_on_target,
        "cost_change": move.cost_change,
        "min_service_level_after": move.min_service_level_after,
        "intervals_below_target": move.intervals_below_target,
        "impact": move.impact,
        "suggestions": move.suggestions,
        "note": move.note,
        "decision_note": move.decision_note,
        "created_at": move.created_at,
        "decided_at": move.decided_at,
    }


def _move_target(
    request, org: str, payload: MoveIn
) -> tuple[Agent, Schedule, int | None, Agent | None]:
    """The asking agent, their published day, and where to (a start or a colleague)."""
    agent = access.require_agent(scope_for(request.user, org))
    schedule = selectors.published_schedule(agent.team, payload.day)
    if schedule is None:
        raise Http404(f"No plan is published for {payload.day}.")
    if payload.colleague is not None:
        colleague = Agent.objects.filter(pk=payload.colleague, team=agent.team, active=True).first()
        if colleague is None:
            raise Http404("No such colleague in your team.")
        return agent, schedule, None, colleague
    if payload.to_start is not None:
        return agent, schedule, payload.to_start, None
    if payload.to_clock:
        return agent, schedule, _clock_index(schedule, payload.to_clock), None
    raise HttpError(422, "Give to_start (interval index), to_clock (HH:MM) or colleague.")


def _clock_index(schedule: Schedule, value: str) -> int:
    try:
        hours, minutes = (int(part) for part in value.split(":"))
    except ValueError:
        raise HttpError(422, f"to_clock {value!r} is not HH:MM.") from None
    offset = hours * 60 + minutes - (schedule.day_start.hour * 60 + schedule.day_start.minute)
    if offset < 0 or offset % schedule.interval_minutes:
        raise HttpError(
            422, f"{value} is not the start of an interval (every {schedule.interval_minutes} min)."
        )
    return offset // schedule.interval_minutes


def _preview_out(preview: selectors.MovePreview) -> dict:
    return {
        "kind": preview.kind,
        "position": preview.position,
        "from_clock": preview.from_clock,
        "to_clock": preview.to_clock,
        "colleague": preview.colleague.pk if preview.colleague else None,
        "allowed": preview.allowed,
        "reason": preview.reason,
        "verdict": preview.verdict,
        "stays_on_target": preview.stays_on_target,
        "cost_change": preview.cost_change,
        "min_service_level_after": preview.min_service_level_after,
        "intervals_below_target": preview.intervals_below_target,
        "target_service_level": preview.target,
        "intervals": preview.intervals,
        "suggestions": preview.suggestions,
    }


def _visible_move(scope, pk: int) -> MoveRequest:
    move = (
        MoveRequest.objects.select_related(
            "team__centre__unit", "agent__employee", "colleague__employee", "schedule"
        )
        .filter(pk=pk, team__organization=scope.organization)
        .first()
    )
    if move is None or not access.can_see(scope, move.team):
        raise Http404("No such request.")
    return move


def _job(scope, pk: int) -> PlanningJob:
    job = PlanningJob.objects.select_related("team__centre__unit").filter(pk=pk).first()
    if job is None or not access.can_see(scope, job.team):
        raise Http404("No such job.")
    access.require_planner(scope, job.team)
    return job


# --------------------------------------------------------------------------- teams, volumes


@router.get(f"{BASE}/teams", response={200: list[TeamOut], **ERRORS}, summary="Teams I can see")
def teams(request, org: str):
    scope = scope_for(request.user, org)
    return [_team_out(scope, team) for team in access.teams(scope)]


@router.post(
    f"{BASE}/teams/{{team}}/volumes",
    response={200: ImportOut, 422: dict, **{k: v for k, v in ERRORS.items() if k != 422}},
    summary="Import interval volumes (CSV/XLSX; atomic: all rows or none)",
)
def volumes_upload(
    request, org: str, team: str, file: UploadedFile = File(...), dry_run: bool = Form(False)
):
    """Columns: `interval_start`, `calls`, `aht_s` (empty when no calls), optional `team`."""
    _, team = _team(request, org, team, plan=True)
    report = services.volumes_import(team=team, upload=file, dry_run=dry_run, actor=request.user)
    return report.as_dict()


# --------------------------------------------------------------------------- agents


@router.patch(
    f"{BASE}/agents/{{agent_id}}",
    response={200: AgentOut, **ERRORS},
    summary="Change an agent's contract and wishes (planners; applies to schedules made later)",
)
def agent_update(request, org: str, agent_id: int, payload: AgentPatch):
    """Fields left out stay as they are. A refused change saves nothing and answers 422
    naming the field; published days keep their shifts."""
    scope = scope_for(request.user, org)
    agent = access.get_agent(scope, agent_id)
    access.require_planner(scope, agent.team)
    agent = services.agent_contract_update(
        agent=agent, actor=request.user, **payload.dict(exclude_unset=True)
    )
    return _agent_out(agent)


def _agent_out(agent: Agent) -> dict:
    names = Agent.CONTRACT_FIELDS + Agent.WISH_FIELDS
    return {
        "id": agent.pk,
        "name": str(agent),
        "team": agent.team.slug,
        "active": agent.active,
        **{name: getattr(agent, name) for name in names},
    }


# --------------------------------------------------------------------------- forecasts


@router.post(
    f"{BASE}/teams/{{team}}/forecasts",
    response={202: JobOut, **ERRORS},
    summary="Start a forecast (background job)",
)
def forecast_start(request, org: str, team: str, payload: ForecastIn):
    _, team = _team(request, org, team, plan=True)
    _check_day(payload.first_day)
    if not 1 <= payload.horizon_days <= 28:
        raise HttpError(422, "horizon_days must be between 1 and 28.")
    job = services.planning_job_start(
        team=team,
        kind=PlanningJob.Kind.FORECAST,
        parameters={
            "first_day": payload.first_day.isoformat(),
            "horizon_days": payload.horizon_days,
        },
        actor=request.user,
    )
    return Status(202, job)


@router.get(
    f"{BASE}/teams/{{team}}/forecast",
    response={200: ForecastOut, **ERRORS},
    summary="The latest forecast, its method and back-test errors",
)
def forecast_latest(request, org: str, team: str, covering: dt.date | None = None):
    _, team = _team(request, org, team, plan=True)
    forecast = selectors.latest_forecast(team, covering=covering)
    if forecast is None:
        raise Http404("No forecast yet.")
    return forecast


@router.get(
    f"{BASE}/teams/{{team}}/requirements",
    response={200: RequirementsOut, **ERRORS},
    summary="Forecast calls, AHT and required agents per interval of a day",
)
def requirements(request, org: str, team: str, day: dt.date):
    _, team = _team(request, org, team, plan=True)
    forecast = selectors.latest_forecast(team, covering=day)
    if forecast is None:
        raise Http404(f"No forecast covers {day}.")
    frame = selectors.forecast_day(forecast, day)
    return {
        "forecast": forecast.pk,
        "method": forecast.method,
        "day": day,
        "target_service_level": forecast.target_service_level,
        "answer_within_s": forecast.answer_within_s,
        "intervals": frame.to_dict("records"),
    }


@router.get(f"{BASE}/jobs/{{job_id}}", response={200: JobOut, **ERRORS}, summary="A job's progress")
def job(request, org: str, job_id: int):
    return _job(scope_for(request.user, org), job_id)


# --------------------------------------------------------------------------- schedules


@router.post(
    f"{BASE}/teams/{{team}}/schedules",
    response={202: JobOut, **ERRORS},
    summary="Generate draft schedules for a day or a week (background job, time-limited)",
)
def schedule_generate(request, org: str, team: str, payload: GenerateIn):
    _, team = _team(request, org, team, plan=True)
    _check_day(payload.first_day)
    if not 1 <= payload.days <= 7:
        raise HttpError(422, "days must be between 1 and 7.")
    if payload.time_limit_s is not None and not 0.5 <= payload.time_limit_s <= 600:
        raise HttpError(422, "time_limit_s must be between 0.5 and 600 seconds.")
    job = services.planning_job_start(
        team=team,
        kind=PlanningJob.Kind.SCHEDULE,
        parameters={
            "first_day": payload.first_day.isoformat(),
            "days": payload.days,
            "time_limit_s": payload.time_limit_s,
        },
        actor=request.user,
    )
    return Status(202, job)


@router.get(
    f"{BASE}/teams/{{team}}/schedule",
    response={200: ScheduleOut, **ERRORS},
    summary="The published plan of a day (agents of the team may read it)",
)
def schedule_published(request, org: str, team: str, day: dt.date):
    _, team = _team(request, org, team)
    schedule = selectors.published_schedule(team, day)
    if schedule is None:
        raise Http404(f"No plan is published for {day}.")
    return _schedule_out(schedule)


def _planned(request, org: str, schedule_id: int) -> Schedule:
    scope = scope_for(request.user, org)
    schedule = (
        Schedule.objects.select_related("team__centre__unit")
        .filter(pk=schedule_id, team__organization=scope.organization)
        .first()
    )
    if schedule is None or not access.can_see(scope, schedule.team):
        raise Http404("No such schedule.")
    access.require_planner(scope, schedule.team)
    return schedule


@router.get(
    f"{BASE}/schedules/{{schedule_id}}",
    response={200: ScheduleOut, **ERRORS},
    summary="Any schedule (draft, published or superseded) with solver statistics",
)
def schedule_detail(request, org: str, schedule_id: int):
    return _schedule_out(_planned(request, org, schedule_id))


@router.post(
    f"{BASE}/schedules/{{schedule_id}}/publish",
    response={200: ScheduleOut, **ERRORS},
    summary="Publish a draft (replaces the day's plan; open requests are cancelled)",
)
def schedule_publish(request, org: str, schedule_id: int):
    schedule = services.schedule_publish(
        schedule=_planned(request, org, schedule_id), actor=request.user
    )
    return _schedule_out(schedule)


# --------------------------------------------------------------------------- moves


@router.post(
    f"{BASE}/moves/preview",
    response={200: PreviewOut, **ERRORS},
    summary="Projected service level of a lunch/break move or swap (nothing is saved)",
)
def move_preview(request, org: str, payload: MoveIn):
    agent, schedule, to_start, colleague = _move_target(request, org, payload)
    try:
        preview = selectors.move_preview(
            dayplan.load_day_plan(schedule),
            agent,
            position=payload.position,
            to_start=to_start,
            colleague=colleague,
        )
    except ValueError as exc:
        raise HttpError(422, str(exc)) from None
    return _preview_out(preview)


@router.post(
    f"{BASE}/moves",
    response={201: MoveOut, **ERRORS},
    summary="Propose a move: approved at once when service stays on target, else to the lead",
)
def move_create(request, org: str, payload: MoveIn):
    agent, _, to_start, colleague = _move_target(request, org, payload)
    move = services.lunch_move_request(
        agent=agent,
        day=payload.day,
        position=payload.position,
        to_start=to_start,
        colleague=colleague,
        note=payload.note,
        actor=request.user,
    )
    return Status(201, _move_out(move))


@router.get(
    f"{BASE}/moves",
    response={200: list[MoveOut], **ERRORS},
    summary="Requests: a lead's teams' (optionally by status), or an agent's own and asked of them",
)
def moves(request, org: str, status: str | None = None, day: dt.date | None = None):
    scope = scope_for(request.user, org)
    planned = [t.pk for t in access.teams(scope) if access.can_plan(scope, t)]
    agent = access.agent_of(scope)
    visible = Q(team_id__in=planned)
    if agent is not None:
        visible |= Q(agent=agent) | Q(colleague=agent)
    if not planned and agent is None:
        return []
    rows = MoveRequest.objects.filter(visible).select_related("team", "agent__employee", "schedule")
    if status:
        if status not in MoveRequest.Status.values:
            raise HttpError(422, f"status must be one of {', '.join(MoveRequest.Status.values)}.")
        rows = rows.filter(status=status)
    if day:
        rows = rows.filter(day=day)
    return [_move_out(move) for move in rows.order_by("-created_at")[:500]]


@router.post(
    f"{BASE}/moves/{{move_id}}/approve", response={200: MoveOut, **ERRORS}, summary="Lead approves"
)
def move_approve(request, org: str, move_id: int, payload: DecisionIn):
    scope = scope_for(request.user, org)
    move = _visible_move(scope, move_id)
    access.require_planner(scope, move.team)
    return _move_out(
        services.lunch_move_approve(request=move, actor=request.user, note=payload.note)
    )


@router.post(
    f"{BASE}/moves/{{move_id}}/decline", response={200: MoveOut, **ERRORS}, summary="Lead declines"
)
def move_decline(request, org: str, move_id: int, payload: DecisionIn):
    scope = scope_for(request.user, org)
    move = _visible_move(scope, move_id)
    access.require_planner(scope, move.team)
    return _move_out(
        services.lunch_move_decline(request=move, actor=request.user, note=payload.note)
    )


@router.post(
    f"{BASE}/moves/{{move_id}}/consent",
    response={200: MoveOut, **ERRORS},
    summary="The colleague agrees to (or refuses) a lunch swap",
)
def move_consent(request, org: str, move_id: int, payload: ConsentIn):
    scope = scope_for(request.user, org)
    agent = access.require_agent(scope)
    move = _visible_move(scope, move_id)
    if move.colleague_id != agent.pk:
        raise Http404("No such request.")
    return _move_out(
        services.lunch_move_consent(
            request=move, agent=agent, accept=payload.accept, actor=request.user
        )
    )


@router.post(
    f"{BASE}/moves/{{move_id}}/withdraw",
    response={200: MoveOut, **ERRORS},
    summary="The agent withdraws an open request",
)
def move_withdraw(request, org: str, move_id: int):
    scope = scope_for(request.user, org)
    agent = access.require_agent(scope)
    move = _visible_move(scope, move_id)
    if move.agent_id != agent.pk:
        raise Http404("No such request.")
    return _move_out(services.lunch_move_withdraw(request=move, agent=agent, actor=request.user))


# --------------------------------------------------------------------------- intraday


@router.post(
    f"{BASE}/breaks-taken",
    response={201: BreakTakenOut, **ERRORS},
    summary="An agent records that a break or lunch has started",
)
def break_taken(request, org: str, payload: BreakTakenIn):
    scope = scope_for(request.user, org)
    agent = access.require_agent(scope)
    day = payload.day or selectors.local_today(agent.team)
    taken = services.break_taken_record(
        agent=agent,
        day=day,
        position=payload.position,
        started_at=payload.started_at,
        actor=request.user,
    )
    return Status(201, taken)


@router.post(
    f"{BASE}/teams/{{team}}/intraday",
    response={202: JobOut, **ERRORS},
    summary="Re-forecast the rest of today and re-optimise untaken breaks (background job)",
)
def intraday(request, org: str, team: str, payload: IntradayIn, day: dt.date | None = None):
    _, team = _team(request, org, team, plan=True)
    if day is not None:
        _check_day(day)
    if payload.time_limit_s is not None and not 0.5 <= payload.time_limit_s <= 120:
        raise HttpError(422, "time_limit_s must be between 0.5 and 120 seconds.")
    if payload.now is not None and payload.now.tzinfo is None:
        raise HttpError(422, "now needs a UTC offset, e.g. 2026-03-02T10:30:00+00:00.")
    job = services.planning_job_start(
        team=team,
        kind=PlanningJob.Kind.INTRADAY,
        parameters={
            "day": (day or selectors.local_today(team, payload.now)).isoformat(),
            "now": payload.now.isoformat() if payload.now else None,
            "time_limit_s": payload.time_limit_s,
        },
        actor=request.user,
    )
    return Status(202, job)
