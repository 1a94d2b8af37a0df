"""JSON API of the insights app (mounted under /api/; paths are declared in full).

Every endpoint resolves the member's scope first (deny by default: anonymous 401,
non-members 404, roles not allowed 403) and returns the same gated numbers as the pages:
a withheld cell has `value: null`, `n: null` and a `withheld` reason.
"""

from __future__ import annotations

import datetime as dt

from ninja import Router, Schema, Status
from pydantic import Field

from servicechain.org.access import Role, scope_for

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


class PlanIn(Schema):
    unit_id: int
    driver: str
    title: str = Field(min_length=1, max_length=200)
    owner_id: int | None = None
    due_date: dt.date
    actions: str = Field(min_length=1)
    notes: str = ""
    wave_id: int | None = None


class PlanPatch(Schema):
    title: str | None = None
    owner_id: int | None = None
    due_date: dt.date | None = None
    actions: str | None = None
    status: str | None = None
    notes: str | None = None


class PlanOut(Schema):
    id: int
    unit_id: int
    driver: str
    title: str
    owner_id: int
    due_date: dt.date
    actions: str
    status: str
    notes: str
    wave_id: int | None


class CommentOut(Schema):
    comment: str
    theme: str
    sentiment: float
    sentiment_label: str


class CommentsOut(Schema):
    shown: bool
    min_group_size: int
    total: int
    themes: list[dict]
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
        "shown": page["shown"],
        "min_group_size": page["min_n"],
        "total": page["total"],
        "themes": page["themes"],
        "comments": selectors.comment_records(page),
    }


# ----------------------------------------------------------------------------- analyses


class DriverImpactIn(Schema):
    wave_id: int | None = None
    unit_id: int | None = None


@router.post(
    "/orgs/{org}/insights/driver-impact",
    response={200: RunOut, 404: ErrorOut},
    summary="Start (or reuse) a driver-impact analysis; poll the run for progress",
)
def driver_impact(request, org: str, payload: DriverImpactIn):
    audience = Audience(scope_for(request.user, org))
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
        "owner_id": plan.owner_id,
        "due_date": plan.due_date,
        "actions": plan.actions,
        "status": plan.status,
        "notes": plan.notes,
        "wave_id": plan.wave_id,
    }


@router.get("/orgs/{org}/insights/plans", response=list[PlanOut], summary="Action plans I may see")
def plans(request, org: str, unit: int | None = None, driver: str = ""):
    audience = Audience(scope_for(request.user, org))
    focus = audience.focus(unit) if unit else None
    return [_plan(p) for p in selectors.action_plans(audience, unit=focus, driver=driver)]


@router.post(
    "/orgs/{org}/insights/plans",
    response={201: PlanOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Create an action plan (admins, HR, managers within their units)",
)
def plan_create(request, org: str, payload: PlanIn):
    scope = scope_for(request.user, org)
    scope.require(*PLANNERS)
    owner = selectors.planner_of(scope.organization, payload.owner_id or request.user.pk)
    plan = services.action_plan_create(
        organization=scope.organization,
        unit=scope.get_unit(payload.unit_id),
        driver=payload.driver,
        title=payload.title,
        owner=owner,
        due_date=payload.due_date,
        actions=payload.actions,
        notes=payload.notes,
        wave=selectors.wave_or_none(scope.organization, payload.wave_id),
        actor=request.user,
    )
    return Status(201, _plan(plan))


@router.patch(
    "/orgs/{org}/insights/plans/{plan_id}",
    response={200: PlanOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Change a plan's title, owner, due date, actions, status or notes",
)
def plan_update(request, org: str, plan_id: int, payload: PlanPatch):
    scope = scope_for(request.user, org)
    scope.require(*PLANNERS)
    audience = Audience(scope)
    plan = selectors.action_plan_of(audience, plan_id)
    changes = payload.dict(exclude_unset=True)
    if "owner_id" in changes:
        changes["owner"] = selectors.planner_of(scope.organization, changes.pop("owner_id"))
    return _plan(services.action_plan_update(plan=plan, actor=request.user, **changes))
