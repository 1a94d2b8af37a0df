"""JSON API of retention (mounted under /api/; paths declared in full).

The same page objects as the HTML pages, so the same gated figures: a withheld row has no
figures, only `withheld`. Units and groups only — no endpoint returns anything about one
person, and there is no individual risk score to return (docs/insights.md, Retention).
"""

from __future__ import annotations

from decimal import Decimal

from ninja import Body, Router, Schema, Status
from pydantic import Field

from servicechain.org.access import Role, scope_for

from ..access import Audience
from . import costs, pages, services

router = Router(tags=["retention"])
DECIDERS = (Role.ADMIN, Role.HR_ANALYST, Role.MANAGER)
EDITORS = (Role.ADMIN, Role.HR_ANALYST)


def _audience(request, org: str, roles=DECIDERS) -> Audience:
    scope = scope_for(request.user, org)
    scope.require(*roles)
    return Audience(scope)


class ErrorOut(Schema):
    detail: str


class TurnoverOut(Schema):
    unit_id: int
    min_group_size: int
    first_day: str | None
    last_day: str | None
    by_unit: list[dict]
    by_tenure: list[dict]
    by_job_family: list[dict]
    by_month: list[dict]
    exit_reasons: list[dict]


class CurvesOut(Schema):
    unit_id: int
    by: str
    points: list[dict]
    withheld_groups: list[str]
    log_rank_statistic: float | None
    log_rank_df: int | None
    log_rank_p_value: float | None


class DriversOut(Schema):
    event: str | None
    withheld: str | None
    rows: list[dict]


class FlightRiskOut(Schema):
    unit_id: int
    as_of: str | None
    withheld: str | None
    units: list[dict]
    back_test_months: int | None
    back_test: list[dict]


class CostsOut(Schema):
    unit_id: int
    currency: str
    reduction_pct: str
    saving: str | None
    voluntary_saving: str | None
    replacement_costs: list[dict]
    cost_by_unit: list[dict]
    engagement_link: list[dict]


class CostInputsIn(Schema):
    annual_salary: Decimal = Field(ge=0, le=10_000_000)
    recruiting: Decimal = Field(ge=0, le=10_000_000)
    onboarding: Decimal = Field(ge=0, le=10_000_000)
    training: Decimal = Field(ge=0, le=10_000_000)
    months_to_productivity: Decimal = Field(ge=0, le=36)
    vacancy_days: int = Field(ge=0, le=365)
    vacancy_cost_per_day: Decimal = Field(ge=0, le=10_000_000)


@router.get(
    "/orgs/{org}/insights/retention/turnover",
    response={200: TurnoverOut, 403: ErrorOut, 404: ErrorOut},
    summary="Turnover by unit, tenure band, job family and month, and leaver-survey reasons (gated)",
)
def turnover(request, org: str, unit: int | None = None):
    page = pages.retention_page(_audience(request, org), unit_id=unit)
    figures = page.turnover
    return {
        "unit_id": page.focus.pk,
        "min_group_size": page.context.min_n,
        "first_day": figures.first_day.date().isoformat() if figures else None,
        "last_day": figures.last_day.date().isoformat() if figures else None,
        "by_unit": page.unit_records(),
        "by_tenure": page.tenure_records(),
        "by_job_family": page.family_records(),
        "by_month": page.monthly_records(),
        "exit_reasons": page.exit_records(),
    }


@router.get(
    "/orgs/{org}/insights/retention/curves",
    response={200: CurvesOut, 403: ErrorOut, 404: ErrorOut},
    summary="Kaplan–Meier retention curves with delayed entry, by group, and a log-rank test",
)
def curves(request, org: str, unit: int | None = None, by: str = "unit"):
    page = pages.retention_page(_audience(request, org), unit_id=unit, by=by)
    result = page.curves
    test = result.test if result else None
    return {
        "unit_id": page.focus.pk,
        "by": page.by,
        "points": result.records() if result else [],
        "withheld_groups": result.withheld if result else [],
        "log_rank_statistic": test.statistic if test else None,
        "log_rank_df": test.df if test else None,
        "log_rank_p_value": test.p_value if test else None,
    }


@router.get(
    "/orgs/{org}/insights/retention/drivers",
    response={200: DriversOut, 403: ErrorOut, 404: ErrorOut},
    summary="Hazard ratios of leaving per 10 points of each unit score, with the PH check",
)
def drivers(request, org: str):
    page = pages.drivers_page(_audience(request, org))
    result = page.drivers
    return {
        "event": result.event if result else None,
        "withheld": (result.withheld or None) if result else None,
        "rows": page.records(),
    }


@router.get(
    "/orgs/{org}/insights/retention/flight-risk",
    response={200: FlightRiskOut, 403: ErrorOut, 404: ErrorOut},
    summary="Expected leavers per unit in the next 6 and 12 months, and the back-test (units only)",
)
def flight_risk(request, org: str, unit: int | None = None):
    page = pages.flight_risk_page(_audience(request, org), unit_id=unit)
    risk, back = page.risk, page.back_test
    return {
        "unit_id": page.focus.pk,
        "as_of": risk.as_of.date().isoformat() if risk else None,
        "withheld": (risk.withheld or None) if risk else None,
        "units": page.risk_records(),
        "back_test_months": back.months if back and back.rows else None,
        "back_test": page.back_test_records(),
    }


def _costs(page) -> dict:
    return {
        "unit_id": page.focus.pk,
        "currency": page.currency,
        "reduction_pct": str(page.reduction_pct),
        "saving": None if page.saving is None else str(page.saving),
        "voluntary_saving": None if page.voluntary_saving is None else str(page.voluntary_saving),
        "replacement_costs": page.replacement_records(),
        "cost_by_unit": page.unit_records(),
        "engagement_link": page.link_records(),
    }


@router.get(
    "/orgs/{org}/insights/retention/costs",
    response={200: CostsOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Replacement cost per job family, this year's turnover cost by unit, a reduction's saving",
)
def cost_report(
    request,
    org: str,
    unit: int | None = None,
    reduction: Decimal = Decimal("10"),
):
    audience = _audience(request, org)
    if not reduction.is_finite() or not Decimal("0") <= reduction <= Decimal("100"):
        return Status(422, {"detail": f"reduction: {reduction} is not a percentage from 0 to 100."})
    page = pages.costs_page(audience, unit_id=unit, reduction_pct=reduction)
    return _costs(page)


@router.put(
    "/orgs/{org}/insights/retention/costs",
    response={200: CostsOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Set the cost inputs of job families (HR and admins); the others keep theirs",
)
def cost_inputs_save(request, org: str, payload: Body[dict[str, CostInputsIn]]):
    audience = _audience(request, org, EDITORS)
    organization = audience.scope.organization
    current = {f: v for f, (v, _) in costs.cost_inputs(organization).items()}
    unknown = sorted(set(payload) - set(current))
    if unknown:
        return Status(
            422, {"detail": f"Unknown job family {', '.join(unknown)}; use {', '.join(current)}."}
        )
    inputs = {f: costs.CostInputs(**values.dict()) for f, values in payload.items()}
    services.turnover_costs_save(organization=organization, inputs=inputs, actor=request.user)
    return _costs(pages.costs_page(audience, unit_id=None))
