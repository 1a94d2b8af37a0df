"""The rewards API: plans and versions, payout runs (preview, lines, flags, approve, lock,
payroll rows) and statements. Role-scoped like the pages; errors are `{"detail": ...}` with
a 4xx status and change nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.http import Http404
from ninja import Router, Schema

from servicechain.org.access import scope_for
from servicechain.org.models import Employee, Unit

from . import predicates, selectors, services
from .models import PayoutLine, PayoutRun, Plan

router = Router(tags=["rewards"])
BASE = "/orgs/{org}/rewards"


class TierIn(Schema):
    threshold: Decimal
    amount: Decimal


class ComponentIn(Schema):
    name: str = ""
    metric: str
    scope: str = "employee"
    min_responses: int = 10
    baseline_months: int | None = 6
    tiers: list[TierIn] = []
    rate: Decimal | None = None
    threshold: Decimal = Decimal("0")
    floor: Decimal = Decimal("0")
    cap: Decimal | None = None
    weight: Decimal = Decimal("1")


class PoolIn(Schema):
    basis: str
    share: Decimal = Decimal("0")
    fixed_amount: Decimal = Decimal("0")
    unit_id: int | None = None
    split: str = "equal"
    role_weights: dict[str, Decimal] = {}


class VersionIn(Schema):
    effective_from: dt.date | None = None
    job_family: str = ""
    unit_id: int | None = None
    unit_kind: str = ""
    min_tenure_days: int = 0
    components: list[ComponentIn] = []
    pool: PoolIn | None = None


class PlanIn(VersionIn):
    name: str
    period: str = "month"


class ComponentOut(Schema):
    name: str
    metric: str
    scope: str
    min_responses: int
    baseline_months: int | None
    tiers: list[dict]
    rate: Decimal | None
    threshold: Decimal
    floor: Decimal
    cap: Decimal | None
    weight: Decimal


class VersionOut(Schema):
    number: int
    effective_from: dt.date
    job_family: str
    unit_id: int | None
    unit_kind: str
    min_tenure_days: int
    components: list[ComponentOut]
    pool: dict | None


class PlanOut(Schema):
    id: int
    name: str
    period: str
    versions: list[VersionOut]


class RunIn(Schema):
    period: str
    period_start: dt.date


class RunOut(Schema):
    id: int
    period: str
    label: str
    period_start: dt.date
    status: str
    created_by: str | None
    approved_by: str | None
    lines: int
    amount: Decimal
    open_flags: int


class LineOut(Schema):
    id: int
    employee_id: int
    employee_external_id: str
    kind: str
    label: str
    plan_version: int | None
    metrics: dict
    thresholds: list[str]
    reason: str
    amount: Decimal
    currency: str
    withheld: Decimal
    corrects_id: int | None


class FlagOut(Schema):
    id: int
    employee_id: int
    kind: str
    detail: str
    score: float | None
    reviewed: bool
    review_note: str


class ReviewIn(Schema):
    note: str = ""


class PayrollRow(Schema):
    employee_id: str
    period: str
    component: str
    amount: str
    currency: str


class ChangeOut(Schema):
    label: str
    now: Decimal
    before: Decimal
    difference: Decimal
    why_now: str
    why_before: str


class TeamRowOut(Schema):
    employee_id: int
    employee_external_id: str
    name: str
    total: Decimal


class TeamStatementsOut(Schema):
    run_id: int
    period: str
    currency: str
    employees: list[TeamRowOut]


class StatementOut(Schema):
    employee_id: int
    period: str
    previous_period: str | None
    total: Decimal
    previous_total: Decimal
    lines: list[LineOut]
    changes: list[ChangeOut]


def _scope(request, org: str, rule=None):
    scope = scope_for(request.user, org)
    if rule is not None and not rule(scope):
        raise PermissionDenied("Your role does not allow this.")
    return scope


def _unit(scope, unit_id):
    if unit_id is None:
        return None
    unit = Unit.objects.filter(organization=scope.organization, pk=unit_id).first()
    if unit is None:
        raise Http404("No such unit.")
    return unit


def _version_kwargs(scope, payload: VersionIn) -> dict:
    pool = None
    if payload.pool is not None:
        pool = payload.pool.dict()
        pool["unit"] = _unit(scope, pool.pop("unit_id"))
    return {
        "effective_from": payload.effective_from,
        "job_family": payload.job_family,
        "unit": _unit(scope, payload.unit_id),
        "unit_kind": payload.unit_kind,
        "min_tenure_days": payload.min_tenure_days,
        "components": [c.dict() for c in payload.components],
        "pool": pool,
    }


def _plan_out(plan: Plan) -> dict:
    versions = []
    for version in plan.versions.order_by("-effective_from"):
        pool = getattr(version, "pool", None)
        versions.append(
            {
                "number": version.number,
                "effective_from": version.effective_from,
                "job_family": version.job_family,
                "unit_id": version.unit_id,
                "unit_kind": version.unit_kind,
                "min_tenure_days": version.min_tenure_days,
                "components": list(version.components.values()),
                "pool": None
                if pool is None
                else {
                    "basis": pool.basis,
                    "share": str(pool.share),
                    "fixed_amount": str(pool.fixed_amount),
                    "unit_id": pool.unit_id,
                    "split": pool.split,
                    "role_weights": pool.role_weights,
                },
            }
        )
    return {"id": plan.pk, "name": plan.name, "period": plan.period, "versions": versions}


def _run_out(run: PayoutRun) -> dict:
    totals = selectors.run_totals(run)
    return {
        "id": run.pk,
        "period": run.period,
        "label": run.label,
        "period_start": run.period_start,
        "status": run.status,
        "created_by": str(run.created_by) if run.created_by else None,
        "approved_by": str(run.approved_by) if run.approved_by else None,
        "lines": totals["lines"],
        "amount": totals["amount"],
        "open_flags": selectors.open_flags(run).count(),
    }


def _line_out(line: PayoutLine) -> dict:
    return {
        "id": line.pk,
        "employee_id": line.employee_id,
        "employee_external_id": line.employee.external_id,
        "kind": line.kind,
        "label": line.label,
        "plan_version": line.plan_version.number if line.plan_version else None,
        "metrics": line.metrics,
        "thresholds": line.thresholds,
        "reason": line.reason,
        "amount": line.amount.amount,
        "currency": str(line.amount.currency),
        "withheld": line.withheld,
        "corrects_id": line.corrects_id,
    }


@router.get(BASE + "/plans", response=list[PlanOut], summary="Incentive plans and versions")
def plan_list(request, org: str):
    scope = _scope(request, org, predicates.can_run_payouts)
    return [_plan_out(plan) for plan in selectors.plans(scope.organization)]


@router.post(BASE + "/plans", response={201: PlanOut}, summary="Build a plan (first version)")
def plan_build(request, org: str, payload: PlanIn):
    scope = _scope(request, org, predicates.can_build_plans)
    version = services.plan_build(
        organization=scope.organization,
        actor=request.user,
        name=payload.name,
        period=payload.period,
        **_version_kwargs(scope, payload),
    )
    return 201, _plan_out(version.plan)


@router.post(
    BASE + "/plans/{plan_id}/versions",
    response={201: PlanOut},
    summary="A new version (applies from the next period unless a later start is given)",
)
def plan_version(request, org: str, plan_id: int, payload: VersionIn):
    scope = _scope(request, org, predicates.can_build_plans)
    plan = selectors.plan_of(scope.organization, plan_id)
    services.plan_version_create(plan=plan, actor=request.user, **_version_kwargs(scope, payload))
    return 201, _plan_out(plan)


@router.get(BASE + "/runs", response=list[RunOut], summary="Payout runs")
def run_list(request, org: str):
    scope = _scope(request, org, predicates.can_run_payouts)
    return [_run_out(run) for run in selectors.runs(scope.organization)]


@router.post(
    BASE + "/runs",
    response={200: RunOut},
    summary="Preview a period's run (a locked period is returned unchanged)",
)
def run_preview(request, org: str, payload: RunIn):
    scope = _scope(request, org, predicates.can_run_payouts)
    run = services.run_preview(
        organization=scope.organization,
        period=payload.period,
        period_start_on=payload.period_start,
        actor=request.user,
    )
    return _run_out(run)


@router.get(BASE + "/runs/{run_id}", response=RunOut, summary="A payout run")
def run_detail(request, org: str, run_id: int):
    scope = _scope(request, org, predicates.can_run_payouts)
    return _run_out(selectors.run_of(scope.organization, run_id))


@router.get(BASE + "/runs/{run_id}/lines", response=list[LineOut], summary="A run's lines")
def run_lines(request, org: str, run_id: int):
    scope = _scope(request, org, predicates.can_run_payouts)
    run = selectors.run_of(scope.organization, run_id)
    return [_line_out(line) for line in selectors.run_lines(run)]


@router.get(BASE + "/runs/{run_id}/flags", response=list[FlagOut], summary="Gaming flags")
def run_flags(request, org: str, run_id: int):
    scope = _scope(request, org, predicates.can_review_flags)
    run = selectors.run_of(scope.organization, run_id)
    return [
        {
            "id": f.pk,
            "employee_id": f.employee_id,
            "kind": f.kind,
            "detail": f.detail,
            "score": f.score,
            "reviewed": f.reviewed_at is not None,
            "review_note": f.review_note,
        }
        for f in selectors.run_flags(run)
    ]


@router.post(BASE + "/runs/{run_id}/flags/{flag_id}/review", response=RunOut, summary="Review")
def flag_review(request, org: str, run_id: int, flag_id: int, payload: ReviewIn):
    scope = _scope(request, org, predicates.can_review_flags)
    run = selectors.run_of(scope.organization, run_id)
    services.flag_review(
        flag=selectors.flag_of(run, flag_id), actor=request.user, note=payload.note
    )
    return _run_out(run)


@router.post(BASE + "/runs/{run_id}/approve", response=RunOut, summary="Approve (second person)")
def run_approve(request, org: str, run_id: int):
    scope = _scope(request, org, predicates.can_run_payouts)
    run = services.run_approve(run=selectors.run_of(scope.organization, run_id), actor=request.user)
    return _run_out(run)


@router.post(BASE + "/runs/{run_id}/lock", response=RunOut, summary="Lock an approved run")
def run_lock(request, org: str, run_id: int):
    scope = _scope(request, org, predicates.can_run_payouts)
    run = services.run_lock(run=selectors.run_of(scope.organization, run_id), actor=request.user)
    return _run_out(run)


@router.get(
    BASE + "/runs/{run_id}/payroll", response=list[PayrollRow], summary="Payroll rows (locked)"
)
def run_payroll(request, org: str, run_id: int):
    scope = _scope(request, org, predicates.can_run_payouts)
    rows = services.run_export(run=selectors.run_of(scope.organization, run_id), actor=request.user)
    keys = ["employee_id", "period", "component", "amount", "currency"]
    return [dict(zip(keys, row, strict=True)) for row in rows]


@router.get(
    BASE + "/statement",
    response=StatementOut,
    summary="A statement: mine, or an employee's I may see (employee_id)",
)
def statement(request, org: str, employee_id: int | None = None, run_id: int | None = None):
    scope = _scope(request, org)
    employee = predicates.employee_of(scope)
    if employee_id is not None:
        employee = Employee.objects.filter(organization=scope.organization, pk=employee_id).first()
        if employee is None or not predicates.can_see_statement_of(scope, employee):
            raise Http404("No such employee.")
    run = None
    if run_id is not None:
        run = selectors.run_of(scope.organization, run_id)
        if run.status != PayoutRun.Status.LOCKED:
            raise Http404("Statements show locked runs only.")
    page = selectors.statement(employee, run) if employee is not None else None
    if page is None:
        raise Http404("No locked payout run has a line for you yet.")
    return {
        "employee_id": employee.pk,
        "period": page["run"].label,
        "previous_period": page["previous"].label if page["previous"] else None,
        "total": page["total"],
        "previous_total": page["previous_total"],
        "lines": [_line_out(line) for line in page["lines"]],
        "changes": page["changes"],
    }


@router.get(
    BASE + "/statements",
    response=TeamStatementsOut,
    summary="Totals per employee in a locked run: managers their subtree, HR and admins all",
)
def team_statements(request, org: str, run_id: int | None = None):
    scope = _scope(request, org, predicates.can_see_team_statements)
    locked = selectors.runs(scope.organization).filter(status=PayoutRun.Status.LOCKED)
    run = locked.filter(pk=run_id).first() if run_id is not None else locked.first()
    if run is None:
        raise Http404("No such locked payout run.")
    return {
        "run_id": run.pk,
        "period": run.label,
        "currency": str(scope.organization.currency),
        "employees": [
            {
                "employee_id": row["employee_id"],
                "employee_external_id": row["employee__external_id"],
                "name": f"{row['employee__first_name']} {row['employee__last_name']}".strip(),
                "total": row["total"],
            }
            for row in selectors.team_statements(scope, run)
        ],
    }
