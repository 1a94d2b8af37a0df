"""The care API (tag *care*): report and follow incidents, decide, appeal and review, a
customer's standing, recovery cases, goodwill, wellbeing (always the caller's own) and the
gated figures. Role-scoped exactly as the pages; errors are `{"detail": ...}` with a 4xx."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.http import Http404
from ninja import Router, Schema, Status

from servicechain.org.access import scope_for
from servicechain.org.models import Customer

from . import classifier, predicates, selectors, services
from .models import GoodwillSpend

router = Router(tags=["care"])


class ReportIn(Schema):
    category: str
    severity: int
    description: str
    message_text: str = ""
    interaction_id: int | None = None


class IncidentOut(Schema):
    id: int
    occurred_at: dt.datetime
    unit_id: int
    interaction_id: int | None
    customer_id: int | None
    category: str
    severity: int
    state: str
    suggested_category: str
    suggested_severity: int | None
    proposed_outcome: str
    proposed_months: int | None
    repetition: int
    exemption: str
    outcome: str
    decision_note: str
    review_result: str


class SuggestIn(Schema):
    text: str


class SuggestionOut(Schema):
    category: str
    severity: int | None
    confidence: float
    reasons: list[str]
    english: bool


class DecideIn(Schema):
    outcome: str | None = None
    months: int | None = None
    note: str = ""


class AppealIn(Schema):
    text: str


class ReviewIn(Schema):
    result: str
    note: str


class StandingOut(Schema):
    customer_id: int
    excluded: bool
    excluded_until: dt.date | None
    sanctions: list[str]
    vulnerable: bool


class SpendIn(Schema):
    interaction_id: int
    kind: str
    reason: str
    amount: Decimal
    note: str = ""
    ask_manager: bool = False


class SpendOut(Schema):
    id: int
    kind: str
    reason: str
    amount: Decimal
    currency: str
    status: str
    interaction_id: int
    customer_id: int


class AllowanceOut(Schema):
    currency: str
    allowance: Decimal
    spent: Decimal
    remaining: Decimal


class MoodIn(Schema):
    mood: int
    note: str = ""
    share: bool = False


class MoodOut(Schema):
    id: int
    created_at: dt.datetime
    mood: int
    note: str
    shared: bool


def _spend(spend: GoodwillSpend) -> dict:
    return {
        "id": spend.pk,
        "kind": spend.kind,
        "reason": spend.reason,
        "amount": spend.amount.amount,
        "currency": str(spend.amount.currency),
        "status": spend.status,
        "interaction_id": spend.interaction_id,
        "customer_id": spend.customer_id,
    }


@router.post("/orgs/{org}/care/suggest", response=SuggestionOut, summary="Suggest a category")
def suggest(request, org: str, payload: SuggestIn):
    scope_for(request.user, org)
    s = classifier.suggest(payload.text[:4000])
    return {
        "category": s.category,
        "severity": s.severity,
        "confidence": s.confidence,
        "reasons": s.reasons,
        "english": s.english,
    }


@router.post("/orgs/{org}/care/incidents", response={201: IncidentOut}, summary="Report")
def report(request, org: str, payload: ReportIn):
    scope = scope_for(request.user, org)
    incident = services.incident_report(
        scope=scope,
        category=payload.category,
        severity=payload.severity,
        description=payload.description,
        message_text=payload.message_text,
        interaction_id=payload.interaction_id,
    )
    return Status(201, incident)


@router.get("/orgs/{org}/care/incidents", response=list[IncidentOut], summary="Incidents")
def incidents(request, org: str, mine: bool = False):
    """Managers and admins: the incidents of their units; anyone with `mine`: their own
    reports (an employee always gets their own)."""
    scope = scope_for(request.user, org)
    if mine or not predicates.can_see_queue(scope):
        return selectors.my_reports(scope, limit=200)
    return list(selectors.incidents_in_scope(scope).order_by("-occurred_at")[:500])


@router.get("/orgs/{org}/care/incidents/{incident_id}", response=IncidentOut)
def incident(request, org: str, incident_id: int):
    return predicates.visible_incident(scope_for(request.user, org), incident_id)


@router.post("/orgs/{org}/care/incidents/{incident_id}/decide", response=IncidentOut)
def decide(request, org: str, incident_id: int, payload: DecideIn):
    scope = scope_for(request.user, org)
    target = predicates.visible_incident(scope, incident_id)
    return services.incident_decide(
        scope=scope,
        incident=target,
        outcome=payload.outcome,
        months=payload.months,
        note=payload.note,
    )


@router.post("/orgs/{org}/care/incidents/{incident_id}/appeal", response=IncidentOut)
def appeal(request, org: str, incident_id: int, payload: AppealIn):
    scope = scope_for(request.user, org)
    target = predicates.visible_incident(scope, incident_id)
    return services.incident_appeal(scope=scope, incident=target, text=payload.text)


@router.post("/orgs/{org}/care/incidents/{incident_id}/review", response=IncidentOut)
def review(request, org: str, incident_id: int, payload: ReviewIn):
    scope = scope_for(request.user, org)
    target = predicates.visible_incident(scope, incident_id)
    return services.incident_review(
        scope=scope, incident=target, result=payload.result, note=payload.note
    )


@router.get("/orgs/{org}/care/customers/{customer_id}/standing", response=StandingOut)
def standing(request, org: str, customer_id: int):
    scope = scope_for(request.user, org)
    customer = Customer.objects.filter(organization=scope.organization, pk=customer_id).first()
    if customer is None:
        raise Http404("No such customer.")
    s = selectors.standing_of(customer)
    return {
        "customer_id": customer.pk,
        "excluded": s.excluded,
        "excluded_until": s.excluded_until,
        "sanctions": [x.kind for x in s.sanctions],
        "vulnerable": s.vulnerable,
    }


@router.get("/orgs/{org}/care/allowance", response=AllowanceOut, summary="My allowance")
def allowance(request, org: str):
    scope = scope_for(request.user, org)
    employee = predicates.employee_of(scope)
    if employee is None:
        raise Http404("You have no goodwill allowance here.")
    state = selectors.allowance_state(employee)
    return {
        "currency": str(state["allowance"].currency),
        "allowance": state["allowance"].amount,
        "spent": state["spent"].amount,
        "remaining": state["remaining"].amount,
    }


@router.post("/orgs/{org}/care/goodwill", response={201: SpendOut}, summary="Spend goodwill")
def spend(request, org: str, payload: SpendIn):
    scope = scope_for(request.user, org)
    result = services.goodwill_spend(
        scope=scope,
        interaction_id=payload.interaction_id,
        kind=payload.kind,
        reason=payload.reason,
        amount=payload.amount,
        note=payload.note,
        ask_manager=payload.ask_manager,
    )
    return Status(201, _spend(result))


@router.post("/orgs/{org}/care/goodwill/{spend_id}/approve", response=SpendOut)
def approve(request, org: str, spend_id: int, approve: bool = True):
    scope = scope_for(request.user, org)
    target = selectors.spends_waiting(scope).filter(pk=spend_id).first()
    if target is None:
        raise Http404("No such request waiting for you.")
    return _spend(services.goodwill_decide(scope=scope, spend=target, approve=approve))


@router.get("/orgs/{org}/care/wellbeing/checkins", response=list[MoodOut], summary="My check-ins")
def my_checkins(request, org: str):
    """Always the caller's own: there is no way to ask for someone else's."""
    scope = scope_for(request.user, org)
    employee = predicates.employee_of(scope)
    rows = selectors.my_checkins(employee) if employee else []
    return [
        {
            "id": c.pk,
            "created_at": c.created_at,
            "mood": c.mood,
            "note": c.note,
            "shared": c.shared_with_id is not None,
        }
        for c in rows
    ]


@router.post("/orgs/{org}/care/wellbeing/checkins", response={201: MoodOut})
def record_checkin(request, org: str, payload: MoodIn):
    scope = scope_for(request.user, org)
    c = services.mood_record(scope=scope, mood=payload.mood, note=payload.note, share=payload.share)
    return Status(
        201,
        {
            "id": c.pk,
            "created_at": c.created_at,
            "mood": c.mood,
            "note": c.note,
            "shared": c.shared_with_id is not None,
        },
    )


@router.get("/orgs/{org}/care/figures", summary="Incidents and mood by unit and month (gated)")
def figures(request, org: str):
    scope = scope_for(request.user, org)
    if not predicates.can_read_unit_figures(scope):
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied("Your role does not allow this.")
    services.figures_publish(organization=scope.organization)
    result = selectors.hr_by_unit_month(scope)
    return {
        "months": result["months"],
        "min_group_size": scope.organization.min_group_size,
        **{
            table: {
                month: [
                    {
                        "unit_id": row["unit"].pk,
                        "unit": row["unit"].name,
                        "suppressed": row["suppressed"],
                        "people": row["people"],
                        "value": row["incidents" if table == "incidents" else "mood"],
                    }
                    for row in rows
                ]
                for month, rows in result[table].items()
            }
            for table in ("incidents", "mood")
        },
    }
