"""JSON API of the insights app (mounted under /api/; paths are declared in full).

Every endpoint resolves the member's scope first (deny by default: anonymous 401,
non-members 404, roles not allowed 403) and returns the same gated numbers as the pages:
a withheld cell has `value: null`, `n: null` and a `withheld` reason.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied
from ninja import Router, Schema, Status
from pydantic import Field

from servicechain.org.access import Role, scope_for
from servicechain.surveys.action_library import load_action_library

from . import selectors, services
from .access import Audience
from .models import AnalysisRun
from .pages import comments_page, customers_page, driver_impact_page, engagement_page, linkage_page

router = Router(tags=["insights"])

ANALYSTS = (Role.ADMIN, Role.HR_ANALYST)
PLANNERS = (Role.ADMIN, Role.HR_ANALYST, Role.MANAGER)


# ----------------------------------------------------------------------------- schemas


class ErrorOut(Schema):
    detail: str


class WaveOut(Schema):
    id: int
    name: str
    kind: str
    status: str
    opens_at: dt.datetime
    closes_at: dt.datetime


class CellOut(Schema):
    scale: str
    value: float | None
    lower: float | None
    upper: float | None
    n: int | None
    withheld: str | None


class HeatmapRowOut(Schema):
    unit_id: int
    unit: str
    respondents: int | None
    cells: list[CellOut]


class HeatmapOut(Schema):
    wave_id: int
    unit_id: int
    dimension: str
    category: str
    min_group_size: int
    columns: list[list[str]]
    rows: list[HeatmapRowOut]


class ChangeOut(Schema):
    value: float
    lower: float
    upper: float


class ScoreOut(Schema):
    code: str
    name: str
    cell: CellOut
    change: ChangeOut | None


class SummaryOut(Schema):
    wave_id: int
    unit_id: int
    previous_wave_id: int | None
    respondents: int | None
    scores: list[ScoreOut]


class RunOut(Schema):
    id: int
    kind: str
    status: str
    progress: int
    message: str
    result: dict
    error: str


class TaskIn(Schema):
    title: str = Field(min_length=1, max_length=200)
    assignee_id: int | None = Field(
        None, description="An employee of the plan's team; none: the plan's owner."
    )
    due_date: dt.date | None = Field(None, description="Defaults to the plan's due date.")


class PlanIn(Schema):
    unit_id: int
    driver: str
    title: str = Field(min_length=1, max_length=200)
    goal: str = ""
    owner_id: int | None = None
    due_date: dt.date
    notes: str = ""
    shared_with_team: bool = False
    wave_id: int | None = None
    suggestions: list[str] = Field(
        default_factory=list,
        description="Codes of the driver's library actions to take on as tasks.",
    )
    tasks: list[TaskIn] = Field(default_factory=list, description="Tasks of your own.")


class PlanPatch(Schema):
    title: str | None = None
    goal: str | None = None
    owner_id: int | None = None
    due_date: dt.date | None = None
    status: str | None = None
    notes: str | None = None
    shared_with_team: bool | None = None


class PlanOut(Schema):
    id: int
    unit_id: int
    driver: str
    title: str
    goal: str
    owner_id: int
    due_date: dt.date
    status: str
    overdue: bool
    notes: str
    shared_with_team: bool
    wave_id: int | None
    tasks_done: int
    tasks_total: int


class TaskOut(Schema):
    id: int
    title: str
    assignee_id: int | None
    due_date: dt.date
    done: bool
    overdue: bool
    suggestion: str


class TaskPatch(Schema):
    title: str | None = Field(None, min_length=1, max_length=200)
    assignee_id: int | None = None
    due_date: dt.date | None = None
    done: bool | None = None


class ProgressIn(Schema):
    note: str = Field(min_length=1, max_length=4000)


class ProgressOut(Schema):
    id: int
    note: str
    author: str
    created_at: dt.datetime


class PlanDetailOut(PlanOut):
    tasks: list[TaskOut]
    progress_updates: list[ProgressOut]


class SuggestedActionOut(Schema):
    code: str
    title: str
    how: str
    effort: str
    weeks: int


class LibraryEntryOut(Schema):
    driver: str
    rationale: str
    references: list[str]
    actions: list[SuggestedActionOut]


class CommentOut(Schema):
    comment: str
    theme: str = Field(description="The part of work the comment is about (a driver's name).")
    theme_code: str = Field(description='The driver\'s code, or "other".')
    sentiment: float = Field(description="-1 (complaint) to +1 (praise).")
    sentiment_label: str = Field(description="positive, neutral or negative.")


class ThemeOut(Schema):
    theme: str
    theme_code: str
    comments: int
    positive: int
    neutral: int
    negative: int
    average_sentiment: float | None


class CommentsOut(Schema):
    shown: bool
    min_group_size: int
    total: int
    themes: list[ThemeOut]
    comments: list[CommentOut]


# ----------------------------------------------------------------------------- helpers


def _cell(cell: selectors.Cell, min_n: int) -> dict:
    shown = not cell.suppressed
    return {
        "scale": cell.scale,
        "value": cell.value if shown else None,
        "lower": cell.lower if shown else None,
        "upper": cell.upper if shown else None,
        "n": cell.n if shown else None,
        "withheld": None if shown else selectors.withheld_text(cell, min_n),
    }


def _change(estimate) -> dict | None:
    if estimate is None:
        return None
    return {"value": estimate.value, "lower": estimate.lower, "upper": estimate.upper}


def _run(run: AnalysisRun) -> dict:
    return {
        "id": run.pk,
        "kind": run.kind,
        "status": run.status,
        "progress": run.progress,
        "message": run.message,
        "result": run.result if run.status == AnalysisRun.Status.DONE else {},
        "error": run.error,
    }


# ----------------------------------------------------------------------------- results


@router.get(
    "/orgs/{org}/insights/waves", response=list[WaveOut], summary="Employee waves with results"
)
def waves(request, org: str):
    scope = scope_for(request.user, org)
    return selectors.employee_waves(scope.organization)


@router.get(
    "/orgs/{org}/insights/heatmap",
    response=HeatmapOut,
    summary="Units × scales for a unit and the units below it (gated)",
)
def heatmap(
    request,
    org: str,
    wave: int | None = None,
    unit: int | None = None,
    dimension: str = "",
    category: str = "",
):
    audience = Audience(scope_for(request.user, org))
    filter_ = f"{dimension}:{category}" if dimension else ""
    page = engagement_page(audience, wave_id=wave, unit_id=unit, filter=filter_)
    table = page.heatmap
    return {
        "wave_id": page.wave.pk,
        "unit_id": page.focus.pk,
        "dimension": table.dimension,
        "category": table.category,
        "min_group_size": table.min_n,
        "columns": [list(c) for c in table.columns],
        "rows": [
            {
                "unit_id": row.unit.pk,
                "unit": row.unit.name,
                "respondents": None if row.respondents.suppressed else row.respondents.n,
                "cells": [_cell(c, table.min_n) for c in row.cells],
            }
            for row in table.rows
        ],
    }


@router.get(
    "/orgs/{org}/insights/summary",
    response=SummaryOut,
    summary="Engagement, eNPS and driver scores of a unit with CIs and change (gated)",
)
def summary(request, org: str, wave: int | None = None, unit: int | None = None):
    audience = Audience(scope_for(request.user, org))
    page = engagement_page(audience, wave_id=wave, unit_id=unit)
    result = page.summary
    min_n = page.heatmap.min_n
    scores = [
        s for s in (result["engagement"], result["enps"], *result["drivers"]) if s is not None
    ]
    return {
        "wave_id": page.wave.pk,
        "unit_id": page.focus.pk,
        "previous_wave_id": getattr(result["previous_wave"], "pk", None),
        "respondents": None if result["respondents"].suppressed else result["respondents"].n,
        "scores": [
            {
                "code": s["code"],
                "name": s["name"],
                "cell": _cell(s["cell"], min_n),
                "change": _change(s["change"]),
            }
            for s in scores
        ],
    }


@router.get("/orgs/{org}/insights/customers", summary="CSAT, NPS, effort by unit and month (gated)")
def customers(request, org: str, wave: int | None = None, unit: int | None = None):
    audience = Audience(scope_for(request.user, org))
    page = customers_page(audience, wave_id=wave, unit_id=unit)
    min_n = page["min_n"]
    return {
        "wave_id": page["wave"].pk,
        "unit_id": page["focus"].pk,
        "headline": [
            {"code": h["code"], "cell": _cell(h["cell"], min_n), "change": _change(h["change"])}
            for h in page["headline"]
        ],
        **{name: build() for name, build in selectors.customer_tables(page).items()},
    }


@router.get("/orgs/{org}/insights/comments", response=CommentsOut, summary="Gated comments")
def comments(
    request,
    org: str,
    source: str = "employee",
    wave: int | None = None,
    unit: int | None = None,
    theme: str = "",
    q: str = "",
    sentiment: str = "",
):
    audience = Audience(scope_for(request.user, org))
    page = comments_page(
        audience,
        source=source,
        wave_id=wave,
        unit_id=unit,
        theme=theme,
        query=q,
        sentiment=sentiment,
    )
    return {
        "shown": page.shown,
        "min_group_size": page.min_n,
        "total": page.total,
        "themes": page.theme_records(),
        "comments": page.comment_records(),
    }


# ----------------------------------------------------------------------------- analyses


class DriverImpactIn(Schema):
    wave_id: int | None = None
    unit_id: int | None = None


@router.post(
    "/orgs/{org}/insights/driver-impact",
    response={200: RunOut, 403: ErrorOut, 404: ErrorOut},
    summary="Start (or reuse) a driver-impact analysis (managers, HR, admins); poll the run",
)
def driver_impact(request, org: str, payload: DriverImpactIn):
    scope = scope_for(request.user, org)
    scope.require(Role.ADMIN, Role.HR_ANALYST, Role.MANAGER)
    audience = Audience(scope)
    page = driver_impact_page(audience, wave_id=payload.wave_id, unit_id=payload.unit_id)
    return _run(page.start(actor=request.user))


@router.post(
    "/orgs/{org}/insights/linkage",
    response={200: RunOut, 403: ErrorOut},
    summary="Start (or reuse) the linkage analysis (admins and HR)",
)
def linkage(request, org: str):
    scope = scope_for(request.user, org)
    scope.require(*ANALYSTS)
    return _run(linkage_page(scope).start(actor=request.user))


@router.get("/orgs/{org}/insights/runs/{run_id}", response={200: RunOut, 404: ErrorOut})
def run(request, org: str, run_id: int):
    audience = Audience(scope_for(request.user, org))
    return _run(selectors.analysis_run_of(audience, run_id))


# ----------------------------------------------------------------------------- action plans


def _plan(plan) -> dict:
    return {
        "id": plan.pk,
        "unit_id": plan.unit_id,
        "driver": plan.driver,
        "title": plan.title,
        "goal": plan.goal,
        "owner_id": plan.owner_id,
        "due_date": plan.due_date,
        "status": plan.status,
        "overdue": plan.overdue,
        "notes": plan.notes,
        "shared_with_team": plan.shared_with_team,
        "wave_id": plan.wave_id,
        "tasks_done": plan.tasks_done,
        "tasks_total": plan.tasks_total,
    }


def _task(task) -> dict:
    return {
        "id": task.pk,
        "title": task.title,
        "assignee_id": task.assignee_id,
        "due_date": task.due_date,
        "done": task.done,
        "overdue": task.overdue,
        "suggestion": task.suggestion,
    }


def _progress(update) -> dict:
    author = update.author
    return {
        "id": update.pk,
        "note": update.note,
        "author": (author.get_full_name() or author.get_username()) if author else "",
        "created_at": update.created_at,
    }


def _plan_detail(audience: Audience, plan_id) -> dict:
    plan = selectors.action_plan_of(audience, plan_id)
    return _plan(plan) | {
        "tasks": [_task(t) for t in selectors.plan_tasks(plan)],
        "progress_updates": [_progress(u) for u in selectors.plan_progress(plan)],
    }


def _editable_plan(request, org: str, plan_id):
    """The plan, if the member may change it; a plan only shared with them is read-only."""
    scope = scope_for(request.user, org)
    scope.require(*PLANNERS)
    audience = Audience(scope)
    plan = selectors.action_plan_of(audience, plan_id)
    if not audience.can_plan_for(plan.unit):
        raise PermissionDenied("This plan is shared with you to read; its unit is not yours.")
    return audience, plan


@router.get(
    "/orgs/{org}/insights/action-library",
    response=list[LibraryEntryOut],
    summary="Suggested actions per employee driver, with the research behind them",
)
def action_library(request, org: str):
    scope_for(request.user, org)
    return [
        {
            "driver": entry.driver,
            "rationale": entry.rationale,
            "references": list(entry.references),
            "actions": [vars(a) for a in entry.actions],
        }
        for entry in load_action_library().values()
    ]


@router.get("/orgs/{org}/insights/plans", response=list[PlanOut], summary="Action plans I may see")
def plans(request, org: str, unit: int | None = None, driver: str = ""):
    audience = Audience(scope_for(request.user, org))
    focus = audience.focus(unit) if unit else None
    return [_plan(p) for p in selectors.action_plans(audience, unit=focus, driver=driver)]


@router.get(
    "/orgs/{org}/insights/plans/{plan_id}",
    response={200: PlanDetailOut, 404: ErrorOut},
    summary="One plan with its tasks and progress updates",
)
def plan(request, org: str, plan_id: int):
    return _plan_detail(Audience(scope_for(request.user, org)), plan_id)


@router.post(
    "/orgs/{org}/insights/plans",
    response={201: PlanDetailOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Create an action plan (admins, HR, managers within their units)",
)
def plan_create(request, org: str, payload: PlanIn):
    scope = scope_for(request.user, org)
    scope.require(*PLANNERS)
    owner = selectors.planner_of(scope.organization, payload.owner_id or request.user.pk)
    tasks = selectors.suggested_tasks(
        payload.driver, payload.suggestions, due_date=payload.due_date
    )
    tasks += [
        {
            "title": task.title,
            "due_date": task.due_date,
            "assignee": selectors.employee_or_none(scope.organization, task.assignee_id),
        }
        for task in payload.tasks
    ]
    plan = services.action_plan_create(
        organization=scope.organization,
        unit=scope.get_unit(payload.unit_id),
        driver=payload.driver,
        title=payload.title,
        goal=payload.goal,
        owner=owner,
        due_date=payload.due_date,
        notes=payload.notes,
        shared_with_team=payload.shared_with_team,
        tasks=tasks,
        wave=selectors.wave_or_none(scope.organization, payload.wave_id),
        actor=request.user,
    )
    return Status(201, _plan_detail(Audience(scope), plan.pk))


@router.patch(
    "/orgs/{org}/insights/plans/{plan_id}",
    response={200: PlanOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Change a plan's title, goal, owner, due date, status, notes or sharing",
)
def plan_update(request, org: str, plan_id: int, payload: PlanPatch):
    audience, plan = _editable_plan(request, org, plan_id)
    changes = payload.dict(exclude_unset=True)
    if "owner_id" in changes:
        owner_id = changes.pop("owner_id")
        changes["owner"] = selectors.planner_of(audience.scope.organization, owner_id)
    services.action_plan_update(plan=plan, actor=request.user, **changes)
    return _plan(selectors.action_plan_of(audience, plan.pk))


@router.post(
    "/orgs/{org}/insights/plans/{plan_id}/tasks",
    response={201: TaskOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Add a task to a plan",
)
def plan_task_add(request, org: str, plan_id: int, payload: TaskIn):
    _, plan = _editable_plan(request, org, plan_id)
    task = services.plan_task_add(
        plan=plan,
        title=payload.title,
        due_date=payload.due_date,
        assignee=selectors.employee_or_none(plan.organization, payload.assignee_id),
        actor=request.user,
    )
    return Status(201, _task(task))


@router.patch(
    "/orgs/{org}/insights/plans/{plan_id}/tasks/{task_id}",
    response={200: TaskOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Change a task, or mark it done",
)
def plan_task_update(request, org: str, plan_id: int, task_id: int, payload: TaskPatch):
    _, plan = _editable_plan(request, org, plan_id)
    task = selectors.plan_task_of(plan, task_id)
    changes = payload.dict(exclude_unset=True)
    if "assignee_id" in changes:
        changes["assignee"] = selectors.employee_or_none(
            plan.organization, changes.pop("assignee_id")
        )
    return _task(services.plan_task_update(task=task, actor=request.user, **changes))


@router.delete(
    "/orgs/{org}/insights/plans/{plan_id}/tasks/{task_id}",
    response={204: None, 403: ErrorOut, 404: ErrorOut},
    summary="Remove a task from a plan",
)
def plan_task_remove(request, org: str, plan_id: int, task_id: int):
    _, plan = _editable_plan(request, org, plan_id)
    services.plan_task_remove(task=selectors.plan_task_of(plan, task_id), actor=request.user)
    return Status(204, None)


@router.post(
    "/orgs/{org}/insights/plans/{plan_id}/progress",
    response={201: ProgressOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Add a progress update to a plan",
)
def plan_progress_add(request, org: str, plan_id: int, payload: ProgressIn):
    _, plan = _editable_plan(request, org, plan_id)
    update = services.progress_update_add(plan=plan, note=payload.note, actor=request.user)
    return Status(201, _progress(update))
