"""Writes of the contact centre: keyword-only, validated, one transaction each, audited.

The approval rule for self-organised lunches lives in :func:`move_status` and nowhere
else: a move that keeps every interval it touches at or above the service-level target (or
no worse than it already was) is approved automatically; any other allowed move goes to
the team lead with its cost. Moves that break the break rules are refused outright.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from servicechain.notifications import events as notification_events
from servicechain.notifications.services import notify
from servicechain.org.imports import ImportReport
from servicechain.org.models import Employee, Organization, Unit
from servicechain.org.services import audit_record, import_upload
from servicechain.staffing import forecast as staffing_forecast
from servicechain.staffing import schedule as staffing

from . import access, dayplan, labels, selectors
from .models import (
    Activity,
    Agent,
    BreakTaken,
    ContactCentre,
    Forecast,
    ForecastInterval,
    MoveRequest,
    PlanningJob,
    Schedule,
    Shift,
    Team,
)

logger = logging.getLogger(__name__)
Progress = Callable[[int, str], None]


def _no_progress(percent: int, message: str) -> None:
    pass


def _audit(action: str, team: Team, actor, target=None, **detail) -> None:
    audit_record(
        action=f"contactcentre.{action}",
        organization=team.organization,
        actor=actor,
        target=target,
        detail={"team": team.slug, **detail},
    )


def _finite(value: float | None) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _json_list(values) -> list[float]:
    """Per-interval numbers for a JSON field (NaN is not JSON: no calls means 0)."""
    return [float(v) if np.isfinite(v) else 0.0 for v in np.asarray(values, dtype=float)]


# --------------------------------------------------------------------------- set-up


@transaction.atomic
def centre_create(
    *,
    organization: Organization,
    unit: Unit,
    name: str = "",
    time_zone: str = "Europe/London",
    opens_at: dt.time = dt.time(8, 0),
    closes_at: dt.time = dt.time(20, 0),
    actor=None,
) -> ContactCentre:
    centre = ContactCentre(
        organization=organization,
        unit=unit,
        name=name or unit.name,
        time_zone=time_zone,
        opens_at=opens_at,
        closes_at=closes_at,
    )
    centre.full_clean()
    centre.save()
    audit_record(
        action="contactcentre.centre.create",
        organization=organization,
        actor=actor,
        target=centre,
        detail={"unit": unit.external_id},
    )
    return centre


@transaction.atomic
def team_create(*, centre: ContactCentre, slug: str, name: str, actor=None, **options) -> Team:
    """A queue and its team; ``options`` are Team fields (target, interval, break rules …)."""
    team = Team(organization=centre.organization, centre=centre, slug=slug, name=name, **options)
    team.full_clean()
    team.save()
    _audit("team.create", team, actor, team, options={k: str(v) for k, v in options.items()})
    return team


@transaction.atomic
def agent_create(*, team: Team, employee: Employee, actor=None, **contract) -> Agent:
    """Make an employee an agent of a team; ``contract`` holds Agent fields."""
    agent = Agent(team=team, employee=employee, **contract)
    agent.full_clean()
    agent.save()
    _audit("agent.create", team, actor, agent, employee=employee.external_id)
    return agent


@transaction.atomic
def agent_preferences_update(
    *,
    agent: Agent,
    lunch_from: dt.time | None,
    lunch_to: dt.time | None,
    shift_start: dt.time | None,
    actor=None,
) -> Agent:
    """The agent's own wishes: preferred lunch window (the pie van!) and shift start."""
    agent.preferred_lunch_from = lunch_from
    agent.preferred_lunch_to = lunch_to
    agent.preferred_shift_start = shift_start
    agent.full_clean()
    agent.save(
        update_fields=["preferred_lunch_from", "preferred_lunch_to", "preferred_shift_start"]
    )
    _audit(
        "agent.preferences",
        agent.team,
        actor,
        agent,
        lunch=[str(lunch_from), str(lunch_to)] if lunch_from else None,
        shift_start=str(shift_start) if shift_start else None,
    )
    return agent


EDITABLE_AGENT_FIELDS = Agent.CONTRACT_FIELDS + Agent.WISH_FIELDS


def _as_json(value):
    """A contract value for the audit log (times as ISO clock times)."""
    return value.isoformat() if isinstance(value, dt.time) else value


@transaction.atomic
def agent_contract_update(*, agent: Agent, actor, **fields) -> Agent:
    """A planner changes an agent's contract and wishes (any of ``EDITABLE_AGENT_FIELDS``).

    Validated by the model (``full_clean``) and by what the scheduler can plan
    (``dayplan.contract_errors``: hours in order, shift lengths that fit the contract's
    hours inside opening time and hold their breaks); a refused change saves nothing.
    Schedules generated afterwards use the new terms; stored days (published or draft)
    keep the shifts they were planned with. The audit event holds every changed field
    before and after; an update that changes nothing writes nothing.
    """
    unknown = sorted(set(fields) - set(EDITABLE_AGENT_FIELDS))
    if unknown:
        raise TypeError(f"agent_contract_update() cannot change {', '.join(unknown)}")
    # Lock the row so that "before" is what this change really replaces.
    current = Agent.objects.select_for_update().get(pk=agent.pk)
    current.team = agent.team
    before = {name: getattr(current, name) for name in EDITABLE_AGENT_FIELDS}
    for name, value in fields.items():
        setattr(current, name, value)
    current.full_clean()
    current.working_days = sorted(current.working_days)
    current.shift_lengths = sorted(set(current.shift_lengths))
    problems = dayplan.contract_errors(current, current.team)
    if problems:
        raise ValidationError(problems)
    changed = [name for name in EDITABLE_AGENT_FIELDS if getattr(current, name) != before[name]]
    if changed:
        current.save(update_fields=changed)
        _audit(
            "agent.contract",
            current.team,
            actor,
            current,
            before={name: _as_json(before[name]) for name in changed},
            after={name: _as_json(getattr(current, name)) for name in changed},
        )
    return current


def volumes_import(*, team: Team, upload, dry_run: bool = False, actor=None) -> ImportReport:
    """Import an uploaded file of interval volumes for a team (atomic; see ``importers``)."""
    return import_upload(
        organization=team.organization,
        kind="volumes",
        upload=upload,
        dry_run=dry_run,
        actor=actor,
        options={"team": team.slug},
        target=team,
    )


# --------------------------------------------------------------------------- background jobs


def planning_job_start(*, team: Team, kind: str, parameters: dict, actor=None) -> PlanningJob:
    """Record a forecast/schedule/intraday job and hand it to the task backend.

    The job row is committed before the task is enqueued so a database worker always finds
    it; with the immediate backend (tests) the job has finished when this returns.
    """
    from .tasks import run_planning_job

    if kind not in PlanningJob.Kind.values:
        raise ValidationError(f"unknown job kind {kind!r}")
    with transaction.atomic():
        job = PlanningJob.objects.create(
            team=team, kind=kind, parameters=parameters, created_by=actor, message="Queued"
        )
        _audit(f"{kind}.start", team, actor, job, **parameters)
    result = run_planning_job.enqueue(job.pk)
    PlanningJob.objects.filter(pk=job.pk).update(task_id=str(result.id))
    job.refresh_from_db()
    return job


def _job_progress(job_id: int) -> Progress:
    def report(percent: int, message: str) -> None:
        PlanningJob.objects.filter(pk=job_id).update(
            progress=max(0, min(100, int(percent))), message=message[:300]
        )

    return report


def planning_job_run(*, job_id: int) -> PlanningJob:
    """Do the work of a job, reporting progress; failures are stored, never raised."""
    job = PlanningJob.objects.select_related("team__centre", "created_by").get(pk=job_id)
    PlanningJob.objects.filter(pk=job.pk).update(status=PlanningJob.Status.RUNNING, progress=1)
    progress = _job_progress(job.pk)
    params = job.parameters
    try:
        if job.kind == PlanningJob.Kind.FORECAST:
            forecast = forecast_create(
                team=job.team,
                first_day=dt.date.fromisoformat(params["first_day"]),
                horizon_days=int(params.get("horizon_days", 7)),
                actor=job.created_by,
                progress=progress,
            )
            method = labels.forecast_method(forecast.method)
            result, message = {"forecast": forecast.pk}, f"Forecast ready ({method})"
        elif job.kind == PlanningJob.Kind.SCHEDULE:
            ids = _generate_days(job, progress)
            plans = "1 draft plan" if len(ids) == 1 else f"{len(ids)} draft plans"
            result, message = {"schedules": ids}, f"{plans} ready to review"
        else:
            schedule = intraday_reoptimise(
                team=job.team,
                day=dt.date.fromisoformat(params["day"]),
                now=dt.datetime.fromisoformat(params["now"]) if params.get("now") else None,
                actor=job.created_by,
                time_limit_s=params.get("time_limit_s"),
            )
            result, message = {"schedules": [schedule.pk]}, "Re-optimised plan ready to review"
        status = PlanningJob.Status.SUCCEEDED
    except (ValidationError, ValueError, RuntimeError) as exc:
        result, status = {}, PlanningJob.Status.FAILED
        message = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
    except Exception:  # a job must end in a state people can read, whatever went wrong
        logger.exception("planning job %s failed", job.pk)
        result, status, message = (
            {},
            PlanningJob.Status.FAILED,
            "Internal error; it has been logged.",
        )
    PlanningJob.objects.filter(pk=job.pk).update(
        status=status,
        result=result,
        message=message[:300],
        progress=100 if status == PlanningJob.Status.SUCCEEDED else job.progress,
        finished_at=timezone.now(),
    )
    job.refresh_from_db()
    return job


def planning_job_fail(*, job_id: int, message: str) -> None:
    """Fail a job its task left queued or running; a finished job keeps its outcome."""
    PlanningJob.objects.filter(
        pk=job_id, status__in=[PlanningJob.Status.QUEUED, PlanningJob.Status.RUNNING]
    ).update(status=PlanningJob.Status.FAILED, message=message[:300], finished_at=timezone.now())


def _generate_days(job: PlanningJob, progress: Progress) -> list[int]:
    """Solve every day, then store them all in one transaction: a job stopped half-way
    (its worker killed, servicechain.worker) leaves no plans of some of its days behind."""
    first = dt.date.fromisoformat(job.parameters["first_day"])
    days = int(job.parameters.get("days", 1))
    solved = []
    for offset in range(days):
        day = first + dt.timedelta(days=offset)
        when = date_format(day, "SHORT_DATE_FORMAT")
        progress(5 + 90 * offset // days, f"Planning {when} ({offset + 1} of {days})")
        solved.append(
            _schedule_solve(team=job.team, day=day, time_limit_s=job.parameters.get("time_limit_s"))
        )
    with transaction.atomic():
        return [_schedule_store(day, actor=job.created_by).pk for day in solved]


# --------------------------------------------------------------------------- forecasts


def forecast_create(
    *,
    team: Team,
    first_day: dt.date,
    horizon_days: int = 7,
    actor=None,
    progress: Progress = _no_progress,
) -> Forecast:
    """Forecast calls and AHT per interval from the team's actuals, and the agents needed.

    The method (seasonal naive or Holt–Winters) is the one with the lowest back-test WAPE
    (``staffing.forecast.forecast_intervals``); requirements come from Erlang C with the
    team's target, occupancy cap and shrinkage (``staffing.forecast.requirements``).
    """
    if not 1 <= horizon_days <= 28:
        raise ValidationError("A forecast covers 1 to 28 days.")
    progress(5, "Reading interval volumes")
    history = selectors.volume_history(team, before=first_day)
    if history.empty:
        raise ValidationError(f"No interval volumes before {first_day}; import volumes first.")
    days = history["interval_start"].dt.date
    last_day = days.max()
    lead_days = (first_day - last_day).days - 1  # days between history and the forecast
    if lead_days > 62:
        raise ValidationError(
            f"The last actuals are from {last_day}, more than two months before {first_day}; "
            "import recent volumes first."
        )
    progress(15, f"Back-testing forecast methods on {days.nunique()} days of history")
    result = staffing_forecast.forecast_intervals(
        history, horizon_days=lead_days + horizon_days, interval_minutes=team.interval_minutes
    )
    wanted = result.forecast[result.forecast["interval_start"].dt.date >= first_day]
    progress(75, "Computing required agents per interval (Erlang C)")
    needs = staffing_forecast.requirements(
        wanted,
        target_service_level=team.target_service_level,
        answer_within_s=float(team.answer_within_s),
        max_occupancy=team.max_occupancy,
        shrinkage=team.shrinkage,
        interval_minutes=team.interval_minutes,
    )
    summary = result.summary().reset_index()
    chosen = summary[summary["method"] == result.method].iloc[0]
    progress(90, "Saving the forecast")
    with transaction.atomic():
        forecast = Forecast.objects.create(
            team=team,
            first_day=first_day,
            horizon_days=horizon_days,
            history_first_day=days.min(),
            history_last_day=last_day,
            method=result.method,
            wape=_finite(chosen["wape"]),
            mape=_finite(chosen["mape"]),
            aht_wape=_finite(chosen["aht_wape"]),
            backtest=[
                {
                    "method": row["method"],
                    "wape": _finite(row["wape"]),
                    "mape": _finite(row["mape"]),
                    "aht_wape": _finite(row["aht_wape"]),
                    "folds": int(row["folds"]),
                    "chosen": bool(row["chosen"]),
                }
                for row in summary.to_dict("records")
            ],
            target_service_level=team.target_service_level,
            answer_within_s=team.answer_within_s,
            max_occupancy=team.max_occupancy,
            shrinkage=team.shrinkage,
            created_by=actor,
        )
        ForecastInterval.objects.bulk_create(
            [
                ForecastInterval(
                    forecast=forecast,
                    interval_start=row.interval_start.to_pydatetime(),
                    calls=float(row.calls),
                    aht_s=float(row.aht_s) if np.isfinite(row.aht_s) else 0.0,
                    traffic_erlangs=float(row.traffic_erlangs),
                    agents_on_phone=int(row.agents_on_phone),
                    required_agents=int(row.required_agents),
                    service_level=float(row.service_level),
                )
                for row in needs.itertuples()
            ],
            batch_size=1000,
        )
        _audit(
            "forecast.create",
            team,
            actor,
            forecast,
            method=result.method,
            wape=forecast.wape,
            first_day=str(first_day),
        )
    return forecast


# --------------------------------------------------------------------------- schedules


def schedule_generate(
    *,
    team: Team,
    day: dt.date,
    actor=None,
    time_limit_s: float | None = None,
    num_workers: int | None = None,
    work_limit: float | None = None,
) -> Schedule:
    """Solve one day with CP-SAT (always time-limited) and store it as a draft.

    `work_limit` with `num_workers=1` makes the plan reproducible (see staffing.Problem).

    Wishes carry the memory of recent disappointments: every published day in the last
    two weeks on which an agent's lunch wish went unmet adds weight to it.
    """
    solved = _schedule_solve(
        team=team,
        day=day,
        time_limit_s=time_limit_s,
        num_workers=num_workers,
        work_limit=work_limit,
    )
    with transaction.atomic():
        return _schedule_store(solved, actor=actor)


@dataclass(frozen=True)
class _SolvedDay:
    """A day solved by CP-SAT, not yet stored."""

    team: Team
    day: dt.date
    forecast: Forecast
    agents: dict  # agent code -> (Agent, staffing agent)
    problem: staffing.Problem
    result: staffing.Schedule


def _schedule_solve(
    *,
    team: Team,
    day: dt.date,
    time_limit_s: float | None = None,
    num_workers: int | None = None,
    work_limit: float | None = None,
) -> _SolvedDay:
    """Solve one day (reads only; nothing is written)."""
    forecast = selectors.latest_forecast(team, covering=day)
    if forecast is None:
        raise ValidationError(f"No forecast covers {day}; run a forecast first.")
    frame = selectors.forecast_day(forecast, day)
    unmet = selectors.unmet_lunch_days(team, before=day)
    agents = {}
    for agent in Agent.objects.filter(team=team, active=True).select_related("employee"):
        person = dayplan.staffing_agent(agent, team, unmet_lunch_days=unmet.get(agent.pk, 0))
        if person is not None:
            agents[agent.code] = (agent, person)
    if not agents:
        raise ValidationError(f"{team} has no active agents whose contract fits the opening hours.")
    problem = dayplan.build_problem(
        team=team,
        agents=[person for _, person in agents.values()],
        requirement=frame["required_agents"],
        calls=frame["calls"],
        aht_s=frame["aht_s"],
        weekday=day.weekday(),
        time_limit_s=float(time_limit_s or team.schedule_time_limit_s),
        num_workers=num_workers,
        work_limit=work_limit,
    )
    result = staffing.solve_schedule(problem)
    return _SolvedDay(team, day, forecast, agents, problem, result)


def _schedule_store(solved: _SolvedDay, *, actor=None) -> Schedule:
    """Store a solved day as a draft (call inside a transaction)."""
    team, problem, result = solved.team, solved.problem, solved.result
    schedule = Schedule.objects.create(
        team=team,
        day=solved.day,
        forecast=solved.forecast,
        day_start=team.centre.opens_at,
        interval_minutes=team.interval_minutes,
        target_service_level=team.target_service_level,
        answer_within_s=team.answer_within_s,
        requirement=[int(v) for v in problem.requirement],
        calls=_json_list(problem.calls),
        aht_s=_json_list(problem.aht_s),
        time_limit_s=problem.time_limit_s,
        created_by=actor,
        **_solver_stats(result),
    )
    _save_assignments(schedule, result.assignments, {k: a for k, (a, _) in solved.agents.items()})
    _audit(
        "schedule.generate",
        team,
        actor,
        schedule,
        day=str(solved.day),
        status=result.status,
        gap=_finite(result.gap),
    )
    return schedule


def _solver_stats(result: staffing.Schedule) -> dict:
    return {
        "solver_status": result.status,
        "objective": _finite(result.objective),
        "best_bound": _finite(result.best_bound),
        "gap": _finite(result.gap),
        "penalty_breakdown": {k: float(v) for k, v in result.penalty_breakdown.items()},
        "solve_seconds": _finite(result.solve_seconds),
        "lunch_preferences_met": _finite(result.lunch_preferences_met),
        "coverage": _coverage_records(result.coverage),
    }


def _coverage_records(coverage: pd.DataFrame) -> list[dict]:
    records = []
    for row in coverage.to_dict("records"):
        level = row["projected_service_level"]
        records.append(
            {
                "interval": int(row["interval"]),
                "clock": row["clock"],
                "required": int(row["required"]),
                "on_shift": int(row["on_shift"]),
                "on_break": int(row["on_break"]),
                "scheduled": int(row["scheduled"]),
                "under": int(row["under"]),
                "over": int(row["over"]),
                "projected_service_level": float(level) if np.isfinite(level) else 1.0,
            }
        )
    return records


def _save_assignments(schedule: Schedule, assignments: pd.DataFrame, agents: dict) -> None:
    """Shifts and activities (numbered in shift order) of a solved day."""
    for row in assignments.to_dict("records"):
        shift = Shift.objects.create(
            schedule=schedule,
            agent=agents[row["agent"]],
            start_interval=int(row["shift_start"]),
            end_interval=int(row["shift_end"]),
            lunch_preference_met=_maybe_bool(row["lunch_preference_met"]),
            start_preference_met=_maybe_bool(row["start_preference_met"]),
        )
        periods = [("break", tuple(b)) for b in row["breaks"]]
        if row["lunch"] is not None:
            periods.append(("lunch", tuple(row["lunch"])))
        Activity.objects.bulk_create(
            [
                Activity(
                    shift=shift,
                    kind=kind,
                    position=position,
                    start_interval=int(start),
                    end_interval=int(end),
                )
                for position, (kind, (start, end)) in enumerate(
                    sorted(periods, key=lambda p: p[1][0])
                )
            ]
        )


def _maybe_bool(value) -> bool | None:
    """A nullable flag from the library (None, NaN or pandas NA mean "no such wish")."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    return bool(value)


@transaction.atomic
def schedule_publish(*, schedule: Schedule, actor=None) -> Schedule:
    """Publish a draft: it replaces the day's published plan; open requests are cancelled."""
    day_schedules = Schedule.objects.select_for_update(of=("self",)).filter(
        team=schedule.team, day=schedule.day
    )
    schedule = day_schedules.get(pk=schedule.pk)
    if schedule.status != Schedule.Status.DRAFT:
        raise ValidationError(f"Only a draft can be published; this schedule is {schedule.status}.")
    replaced = day_schedules.filter(status=Schedule.Status.PUBLISHED).first()
    if replaced is not None:
        replaced.status = Schedule.Status.SUPERSEDED
        replaced.save(update_fields=["status"])
    cancelled = MoveRequest.objects.filter(
        team=schedule.team, day=schedule.day, status__in=MoveRequest.OPEN
    ).update(
        status=MoveRequest.Status.CANCELLED,
        decision_note="A new plan was published for the day; please propose again.",
        decided_at=timezone.now(),
    )
    schedule.status = Schedule.Status.PUBLISHED
    schedule.published_by = actor if getattr(actor, "is_authenticated", False) else None
    schedule.published_at = timezone.now()
    schedule.save(update_fields=["status", "published_by", "published_at"])
    _audit(
        "schedule.publish",
        schedule.team,
        actor,
        schedule,
        day=str(schedule.day),
        replaced=replaced.pk if replaced else None,
        cancelled_requests=cancelled,
    )
    return schedule


# --------------------------------------------------------------------------- lunch moves


def move_status(preview: selectors.MovePreview) -> str:
    """THE approval rule: on target (or no worse) → automatic; otherwise the team lead."""
    if preview.stays_on_target:
        return MoveRequest.Status.AUTO_APPROVED
    return MoveRequest.Status.PENDING_LEAD


def _locked_published(team: Team, day: dt.date) -> Schedule:
    schedule = (
        Schedule.objects.select_for_update(of=("self",))
        .filter(team=team, day=day, status=Schedule.Status.PUBLISHED)
        .select_related("team__centre")
        .first()
    )
    if schedule is None:
        raise ValidationError(f"There is no published plan for {day}.")
    return schedule


def _impact_fields(preview: selectors.MovePreview) -> dict:
    return {
        "stays_on_target": preview.stays_on_target,
        "cost_change": preview.cost_change,
        "min_service_level_after": preview.min_service_level_after,
        "intervals_below_target": preview.intervals_below_target,
        "impact": preview.intervals,
        "suggestions": preview.suggestions,
    }


@transaction.atomic
def lunch_move_request(
    *,
    agent: Agent,
    day: dt.date,
    position: int,
    to_start: int | None = None,
    colleague: Agent | None = None,
    note: str = "",
    actor=None,
    now: dt.datetime | None = None,
) -> MoveRequest:
    """An agent proposes moving their lunch or a break, or swapping lunches with a colleague.

    The projection is recomputed here against the plan as it stands (the day's schedule is
    locked), so two moves confirmed at once cannot both count on the same spare agent.
    """
    schedule = _locked_published(agent.team, day)
    if MoveRequest.objects.filter(agent=agent, day=day, status__in=MoveRequest.OPEN).exists():
        raise ValidationError("You already have an open request for this day; withdraw it first.")
    if colleague is not None and colleague.team_id != agent.team_id:
        raise ValidationError("You can only swap with a colleague of your own team.")
    if colleague is not None and colleague.pk == agent.pk:
        raise ValidationError("Choose a colleague to swap with, not yourself.")
    plan = dayplan.load_day_plan(schedule)
    try:
        preview = selectors.move_preview(
            plan, agent, position=position, to_start=to_start, colleague=colleague, now=now
        )
    except ValueError as exc:
        raise ValidationError(str(exc)) from None
    if not preview.allowed:
        raise ValidationError(f"This move is not possible: {preview.reason}.")
    status = MoveRequest.Status.PENDING_COLLEAGUE if colleague else move_status(preview)
    request = MoveRequest.objects.create(
        team=agent.team,
        day=day,
        schedule=schedule,
        kind=preview.kind,
        agent=agent,
        position=position,
        from_start=preview.from_start,
        to_start=preview.to_start,
        colleague=colleague,
        colleague_from_start=preview.colleague_from_start,
        status=status,
        note=note[:300],
        created_by=actor,
        **_impact_fields(preview),
    )
    if status == MoveRequest.Status.AUTO_APPROVED:
        request.decided_at = timezone.now()
        request.save(update_fields=["decided_at"])
        _apply_move(request, schedule)
    _audit(
        "move.request",
        agent.team,
        actor,
        request,
        kind=request.kind,
        status=status,
        agent=agent.pk,
        day=str(day),
        stays_on_target=preview.stays_on_target,
        min_service_level_after=preview.min_service_level_after,
    )
    if status == MoveRequest.Status.PENDING_LEAD:
        _tell_leads(request, actor)
    elif status == MoveRequest.Status.PENDING_COLLEAGUE:
        _tell_colleague(request, actor)
    return request


def _apply_move(request: MoveRequest, schedule: Schedule) -> None:
    """Write an approved move into the published plan and refresh its coverage."""
    moved = _move_activity(schedule, request.agent, request.position, request.to_start)
    lunch_moved = [request.agent] if moved.kind == Activity.Kind.LUNCH else []
    if request.kind == MoveRequest.Kind.SWAP:
        lunch = Activity.objects.get(
            shift__schedule=schedule, shift__agent=request.colleague, kind=Activity.Kind.LUNCH
        )
        _move_activity(schedule, request.colleague, lunch.position, request.from_start)
        lunch_moved.append(request.colleague)
    plan = _store_coverage(schedule)
    _store_lunch_wishes(schedule, plan, lunch_moved)


@transaction.atomic
def schedule_refresh_coverage(*, schedule: Schedule) -> Schedule:
    """Recompute the stored coverage and projected service level from the stored shifts.

    Used after every applied move and after manual edits (e.g. in the admin).
    """
    _store_coverage(schedule)
    return schedule


def _store_coverage(schedule: Schedule) -> dayplan.DayPlan:
    plan = dayplan.load_day_plan(schedule)
    schedule.coverage = _coverage_records(plan.coverage)
    schedule.save(update_fields=["coverage"])
    return plan


def _store_lunch_wishes(schedule: Schedule, plan: dayplan.DayPlan, agents: list[Agent]) -> None:
    """Whether each agent's moved lunch now meets their wish, as the library judges it."""
    met = plan.plan.assignments.set_index("agent")["lunch_preference_met"]
    for agent in agents:
        Shift.objects.filter(schedule=schedule, agent=agent).update(
            lunch_preference_met=_maybe_bool(met.get(agent.code))
        )


def _move_activity(schedule: Schedule, agent: Agent, position: int, start: int) -> Activity:
    activity = Activity.objects.get(shift__schedule=schedule, shift__agent=agent, position=position)
    length = activity.end_interval - activity.start_interval
    activity.start_interval, activity.end_interval = start, start + length
    activity.save(update_fields=["start_interval", "end_interval"])
    return activity


def _still_current(request: MoveRequest, plan: dayplan.DayPlan) -> bool:
    """The activities the request moves are still where they were when it was made."""
    if not plan.has(request.agent):
        return False
    periods = plan.assignment(request.agent).activities
    if request.position >= len(periods) or periods[request.position][0] != request.from_start:
        return False
    if request.colleague is None:
        return True
    if not plan.has(request.colleague):
        return False
    lunch = plan.assignment(request.colleague).lunch
    return lunch is not None and lunch[0] == request.colleague_from_start


def _reassess(request: MoveRequest, now) -> tuple[selectors.MovePreview | None, str]:
    """The request's preview against the current plan, or why it can no longer happen."""
    schedule = _locked_published(request.team, request.day)
    if schedule.pk != request.schedule_id:
        return None, "A new plan was published for the day."
    plan = dayplan.load_day_plan(schedule)
    if not _still_current(request, plan):
        return None, "The plan has changed since the request was made."
    to_start = None if request.colleague else request.to_start
    preview = selectors.move_preview(
        plan,
        request.agent,
        position=request.position,
        to_start=to_start,
        colleague=request.colleague,
        now=now,
    )
    if not preview.allowed:
        return None, f"No longer possible: {preview.reason}."
    return preview, ""


def _close(request: MoveRequest, status: str, note: str, actor=None) -> MoveRequest:
    request.status = status
    request.decision_note = note[:300]
    request.decided_at = timezone.now()
    if actor is not None and getattr(actor, "is_authenticated", False):
        request.decided_by = actor
    request.save(update_fields=["status", "decision_note", "decided_at", "decided_by"])
    return request


def _locked_request(request: MoveRequest) -> MoveRequest:
    return (
        MoveRequest.objects.select_for_update(of=("self",))
        .select_related("team__centre", "agent__employee", "colleague__employee", "schedule")
        .get(pk=request.pk)
    )


@transaction.atomic
def lunch_move_consent(
    *, request: MoveRequest, agent: Agent, accept: bool, actor=None, now=None
) -> MoveRequest:
    """The colleague answers a swap; on yes it is judged like any move."""
    request = _locked_request(request)
    if request.status != MoveRequest.Status.PENDING_COLLEAGUE or request.colleague_id != agent.pk:
        raise ValidationError("This swap is not waiting for your answer.")
    request.colleague_answered_at = timezone.now()
    request.save(update_fields=["colleague_answered_at"])
    if not accept:
        _close(request, MoveRequest.Status.DECLINED, f"{agent} declined the swap.", actor)
        _audit("move.consent", request.team, actor, request, accepted=False)
        _tell_agent(request, actor)
        return request
    preview, problem = _reassess(request, now)
    if preview is None:
        _close(request, MoveRequest.Status.CANCELLED, problem, actor)
    else:
        for name, value in _impact_fields(preview).items():
            setattr(request, name, value)
        request.status = move_status(preview)
        request.save()
        if request.status == MoveRequest.Status.AUTO_APPROVED:
            _close(request, request.status, "Both agreed; service level stays on target.")
            _apply_move(request, request.schedule)
    _audit("move.consent", request.team, actor, request, accepted=True, status=request.status)
    if request.status == MoveRequest.Status.PENDING_LEAD:
        _tell_leads(request, actor)
    elif not request.is_open:
        _tell_agent(request, actor)
    return request


@transaction.atomic
def lunch_move_approve(
    *, request: MoveRequest, actor=None, note: str = "", now=None
) -> MoveRequest:
    """The team lead accepts the cost of an escalated move (re-checked against today's plan)."""
    request = _locked_request(request)
    if request.status != MoveRequest.Status.PENDING_LEAD:
        raise ValidationError(f"This request is {request.get_status_display().lower()}.")
    preview, problem = _reassess(request, now)
    if preview is None:
        _close(request, MoveRequest.Status.CANCELLED, problem, actor)
        _audit("move.cancel", request.team, actor, request, reason=problem)
        _tell_agent(request, actor)
        return request
    for name, value in _impact_fields(preview).items():
        setattr(request, name, value)
    request.save()
    _close(request, MoveRequest.Status.APPROVED, note, actor)
    _apply_move(request, request.schedule)
    _audit(
        "move.approve",
        request.team,
        actor,
        request,
        agent=request.agent_id,
        min_service_level_after=request.min_service_level_after,
        intervals_below_target=request.intervals_below_target,
        cost_change=request.cost_change,
    )
    _tell_agent(request, actor)
    return request


@transaction.atomic
def lunch_move_decline(*, request: MoveRequest, actor=None, note: str = "") -> MoveRequest:
    request = _locked_request(request)
    if request.status not in MoveRequest.OPEN:
        raise ValidationError(f"This request is {request.get_status_display().lower()}.")
    _close(request, MoveRequest.Status.DECLINED, note, actor)
    _audit("move.decline", request.team, actor, request, agent=request.agent_id, note=note)
    _tell_agent(request, actor)
    return request


@transaction.atomic
def lunch_move_withdraw(*, request: MoveRequest, agent: Agent, actor=None) -> MoveRequest:
    request = _locked_request(request)
    if request.agent_id != agent.pk or request.status not in MoveRequest.OPEN:
        raise ValidationError("Only your own open requests can be withdrawn.")
    _close(request, MoveRequest.Status.WITHDRAWN, "Withdrawn by the agent.", actor)
    _audit("move.withdraw", request.team, actor, request)
    return request


def _move_words(request: MoveRequest) -> str:
    day = request.day
    return (
        f"{request.get_kind_display().lower()} {request.from_clock} → {request.to_clock} "
        f"on {day:%a} {day.day} {day:%b}"
    )


def _tell_leads(request: MoveRequest, actor) -> None:
    """A move waits for the team lead: it reaches their inbox (and e-mail, if they want it)."""
    target = round(request.team.target_service_level * 100)
    lowest = request.min_service_level_after
    body = (
        f"{request.intervals_below_target} interval(s) would fall below the {target}% target"
        + (f"; the lowest at {round(lowest * 100)}%." if lowest is not None else ".")
        + (f" Note from {request.agent}: “{request.note}”" if request.note else "")
    )
    org, team = request.team.organization, request.team
    notify(
        recipients=access.leads_of(team),
        event=notification_events.MOVE_WAITING.key,
        title=f"{request.agent} asks for a {_move_words(request)}",
        body=body,
        url=reverse("contactcentre:lead_requests", args=[org.slug, team.slug]),
        organization=org,
        actor=actor,
        key=f"move:{request.pk}:waiting",
    )


DECISION_WORDS = {
    MoveRequest.Status.APPROVED: "was approved",
    MoveRequest.Status.AUTO_APPROVED: "is done",
    MoveRequest.Status.DECLINED: "was declined",
    MoveRequest.Status.CANCELLED: "was cancelled",
}


def _my_day_url(request: MoveRequest) -> str:
    day_url = reverse("contactcentre:my_day", args=[request.team.organization.slug])
    return f"{day_url}?day={request.day:%Y-%m-%d}"


def _tell_colleague(request: MoveRequest, actor) -> None:
    """A swap waits for the colleague's yes or no."""
    day = request.day
    notify(
        recipients=[request.colleague.employee.user_id],
        event=notification_events.SWAP_ASKED.key,
        title=f"{request.agent} asks to swap lunches with you on {day:%a} {day.day} {day:%b}",
        body=f"You would take {request.agent}'s lunch at {request.from_clock} and give yours "
        f"at {request.to_clock}.",
        url=_my_day_url(request),
        organization=request.team.organization,
        actor=actor,
        key=f"move:{request.pk}:asked",
    )


def _tell_agent(request: MoveRequest, actor) -> None:
    """The agent's request was decided (approved, declined, or cancelled by a plan change);
    in a swap the colleague, whose lunch moves too, is told as well."""
    org = request.team.organization
    outcome = DECISION_WORDS.get(request.status, "was decided")
    notify(
        recipients=[request.agent.employee.user_id],
        event=notification_events.MOVE_DECIDED.key,
        title=f"Your {_move_words(request)} {outcome}",
        body=request.decision_note,
        url=_my_day_url(request),
        organization=org,
        actor=actor,
        key=f"move:{request.pk}:{request.status}",
    )
    if request.colleague_id is not None:
        day = request.day
        notify(
            recipients=[request.colleague.employee.user_id],
            event=notification_events.MOVE_DECIDED.key,
            title=f"The lunch swap with {request.agent} on {day:%a} {day.day} {day:%b} {outcome}",
            body=request.decision_note,
            url=_my_day_url(request),
            organization=org,
            actor=actor,
            key=f"move:{request.pk}:{request.status}:colleague",
        )


# --------------------------------------------------------------------------- intraday


@transaction.atomic
def break_taken_record(
    *, agent: Agent, day: dt.date, position: int, started_at: dt.datetime | None = None, actor=None
) -> BreakTaken:
    """An agent starts a break or lunch: intraday re-planning will leave it where it is."""
    schedule = _locked_published(agent.team, day)
    activity = Activity.objects.filter(
        shift__schedule=schedule, shift__agent=agent, position=position
    ).first()
    if activity is None:
        raise ValidationError("There is no such break in your plan.")
    if BreakTaken.objects.filter(agent=agent, day=day, position=position).exists():
        raise ValidationError("This break is already recorded as taken.")
    taken = BreakTaken.objects.create(
        team=agent.team,
        agent=agent,
        day=day,
        position=position,
        kind=activity.kind,
        started_at=started_at or timezone.now(),
        recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    _audit("break.taken", agent.team, actor, taken, agent=agent.pk, position=position)
    return taken


def _with_taken_breaks(plan: dayplan.DayPlan, now_interval: int) -> staffing.Schedule:
    """The published plan with every recorded break at the interval it really started."""
    schedule = plan.schedule
    opens = dt.datetime.combine(schedule.day, schedule.day_start, tzinfo=schedule.team.centre.zone)
    assignments = plan.plan.assignments.copy()
    by_agent = {code: i for i, code in zip(assignments.index, assignments["agent"], strict=True)}
    for taken in BreakTaken.objects.filter(team=schedule.team, day=schedule.day):
        row = by_agent.get(taken.agent.code)
        if row is None:
            continue
        started = int((taken.started_at - opens).total_seconds() // 60 // schedule.interval_minutes)
        started = max(0, min(started, now_interval - 1))
        periods = sorted(
            [*assignments.at[row, "breaks"], *filter(None, [assignments.at[row, "lunch"]])]
        )
        if taken.position >= len(periods):
            continue
        old = periods[taken.position]
        new = (started, started + old[1] - old[0])
        if assignments.at[row, "lunch"] == old:
            assignments.at[row, "lunch"] = new
        else:
            assignments.at[row, "breaks"] = [
                new if b == old else b for b in assignments.at[row, "breaks"]
            ]
    return staffing.schedule_from_assignments(
        assignments,
        plan.problem,
        status=plan.plan.status,
        best_bound=plan.plan.best_bound,
        solve_seconds=plan.plan.solve_seconds,
    )


def intraday_reoptimise(
    *,
    team: Team,
    day: dt.date,
    now: dt.datetime | None = None,
    actor=None,
    time_limit_s: float | None = None,
) -> Schedule:
    """Re-forecast the rest of the day from the actuals so far and re-place untaken breaks.

    ``staffing.forecast.reforecast_intraday`` scales the remaining intervals by what the
    morning has shown (credibility-weighted, bounded); Erlang C turns that into new
    requirements; ``staffing.schedule.reoptimise_breaks`` moves only breaks and lunches that
    have not started (recorded as taken, or planned before now) and never moves a shift.
    The result is a draft to review and publish.
    """
    published = selectors.published_schedule(team, day)
    if published is None:
        raise ValidationError(f"There is no published plan for {day} to re-optimise.")
    now = now or timezone.now()
    now_interval = selectors.interval_now(team, day, now)
    if now_interval >= published.intervals:
        raise ValidationError("The day is over; there is nothing left to re-plan.")
    plan = dayplan.load_day_plan(published, time_limit_s=time_limit_s)
    current = _with_taken_breaks(plan, now_interval)
    updated, actuals = selectors.intraday_reforecast(published, now)
    closed = selectors.closed_intervals(team, day, now)
    calls = updated["calls"].to_numpy(float)
    aht = np.where(calls > 0, np.nan_to_num(updated["aht_s"].to_numpy(float)), 0.0)
    needs = staffing_forecast.requirements(
        pd.DataFrame({"interval_start": updated["interval_start"], "calls": calls, "aht_s": aht}),
        target_service_level=published.target_service_level,
        answer_within_s=float(published.answer_within_s),
        max_occupancy=team.max_occupancy,
        shrinkage=team.shrinkage,
        interval_minutes=team.interval_minutes,
    )
    requirement = needs["required_agents"].to_numpy(np.int64)
    problem = plan.problem
    problem.sl_cost = staffing.marginal_sl_cost(
        requirement, calls, aht, team.interval_minutes, published.answer_within_s
    )
    result = staffing.reoptimise_breaks(
        current, problem, now_interval, requirement=requirement, calls=calls, aht_s=aht
    )
    moved = _moved_activities(current.assignments, result.assignments, published)
    with transaction.atomic():
        schedule = Schedule.objects.create(
            team=team,
            day=day,
            kind=Schedule.Kind.INTRADAY,
            forecast=published.forecast,
            based_on=published,
            day_start=published.day_start,
            interval_minutes=published.interval_minutes,
            target_service_level=published.target_service_level,
            answer_within_s=published.answer_within_s,
            requirement=[int(v) for v in requirement],
            calls=_json_list(calls),
            aht_s=_json_list(aht),
            time_limit_s=problem.time_limit_s,
            now_interval=now_interval,
            intraday_notes={
                "now": now.isoformat(),
                "now_clock": published.interval_clock(now_interval),
                "volume_ratio": float(updated.attrs.get("volume_ratio", 1.0)),
                "aht_ratio": float(updated.attrs.get("aht_ratio", 1.0)),
                "closed_intervals": closed,
                "actual_calls": float(actuals["calls"].sum()) if not actuals.empty else 0.0,
                "planned_calls_so_far": float(np.sum(published.calls[:closed])),
                "moved": moved,
            },
            created_by=actor,
            **_solver_stats(result),
        )
        _save_assignments(schedule, result.assignments, plan.agents)
        _audit(
            "intraday.reoptimise",
            team,
            actor,
            schedule,
            day=str(day),
            now_interval=now_interval,
            moved=len(moved),
        )
    return schedule


def _moved_activities(before: pd.DataFrame, after: pd.DataFrame, schedule: Schedule) -> list:
    def periods(frame):
        out = {}
        for row in frame.to_dict("records"):
            items = [("break", tuple(b)) for b in row["breaks"]]
            if row["lunch"] is not None:
                items.append(("lunch", tuple(row["lunch"])))
            out[row["agent"]] = sorted(items, key=lambda p: p[1][0])
        return out

    old, new = periods(before), periods(after)
    moved = []
    for code, items in new.items():
        for position, (kind, (start, _)) in enumerate(items):
            was = old.get(code, [])
            if position < len(was) and was[position][1][0] != start:
                moved.append(
                    {
                        "agent": int(code),
                        "kind": kind,
                        "position": position,
                        "from": schedule.interval_clock(was[position][1][0]),
                        "to": schedule.interval_clock(start),
                    }
                )
    return moved
