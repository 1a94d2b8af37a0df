"""The loyalty API: cards, the ledger's writes (purchases, returns, redemptions), the unit
lists, service reminders, hand-overs, liability and repeat business. Role-scoped like the
pages; errors are `{"detail": ...}` with a 4xx status and change nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError
from pydantic import field_validator

from servicechain.org.access import scope_for
from servicechain.org.models import Employee, Interaction, Transaction

from . import ownership, predicates, reminders, selectors, services
from .models import Handover, Reminder

router = Router(tags=["loyalty"])
BASE = "/orgs/{org}/loyalty"


class TierOut(Schema):
    name: str
    threshold: str
    benefits: str


class ReminderOut(Schema):
    id: int
    asset: str
    service_code: str = Field(
        description="The asset's service code; a purchase with it closes this"
    )
    due_on: dt.date
    reason: str
    declined_on: dt.date | None
    customer_id: int
    customer: str
    owner: str | None


class CardOut(Schema):
    customer_id: int
    external_id: str
    name: str
    owner: str | None
    balance: int
    pending: int
    tier: TierOut | None
    next_tier: TierOut | None
    visits: int
    spend: Decimal
    last_visit: dt.datetime | None
    last_csat: int | None
    due_services: list[ReminderOut]


class EntryOut(Schema):
    id: int
    kind: str
    points: int
    pending: bool
    at: dt.datetime
    transaction_id: int | None
    lot_id: int | None
    reverses_id: int | None


class TextIn(Schema):
    """A request body whose text is refused when no database could store it (a NUL
    character: PostgreSQL rejects it), before any look-up — a 422 naming the field."""

    @field_validator("*", mode="before")
    @classmethod
    def _no_nul(cls, value):
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("The text contains a NUL character; remove it.")
        return value


class PurchaseIn(TextIn):
    external_id: str
    customer_external_id: str
    amount: Decimal
    occurred_at: dt.datetime | None = None
    employee_external_id: str | None = None
    service_code: str = Field(
        "",
        description="The service this purchase paid for: closes the reminder of the "
        "customer's asset with this code",
    )


class LedgerOut(Schema):
    customer_id: int
    entries_written: int
    balance: int
    pending: int


class ReturnIn(TextIn):
    external_id: str
    transaction_external_id: str
    amount: Decimal
    occurred_at: dt.datetime | None = None


class RedemptionIn(TextIn):
    customer_external_id: str
    points: int
    reference: str = ""
    transaction_external_id: str | None = None


class ServiceIn(TextIn):
    transaction_external_id: str | None = None
    interaction_external_id: str | None = None
    usage: int | None = None


class DeclineIn(TextIn):
    note: str = ""


class HandoverOut(Schema):
    id: int
    customer_id: int
    customer: str
    from_employee: str
    to_employee: str | None
    to_unit: str
    rule: str
    status: str


class ConfirmIn(TextIn):
    to_employee_external_id: str | None = None


class AtRiskOut(Schema):
    customer_id: int
    customer: str
    visits: int
    usual_gap_days: float
    days_since: int
    last_visit: dt.date


class LiabilityOut(Schema):
    month: dt.date
    outstanding_points: int
    pending_points: int
    point_value: Decimal
    redemption_rate: Decimal
    liability: Decimal
    currency: str
    closed: bool


class OrphanOut(Schema):
    customer_id: int
    customer: str
    owner: str
    left_on: dt.date


def _scope(request, org: str, rule=None):
    scope = scope_for(request.user, org)
    if rule is not None and not rule(scope):
        raise PermissionDenied("Your role does not allow this.")
    return scope


def _reminder_out(reminder: Reminder) -> dict:
    return {
        "id": reminder.pk,
        "asset": reminder.asset.name,
        "service_code": reminder.asset.service_code,
        "due_on": reminder.due_on,
        "reason": reminder.reason,
        "declined_on": reminder.declined_on,
        "customer_id": reminder.customer_id,
        "customer": str(reminder.customer),
        "owner": str(reminder.owner) if reminder.owner else None,
    }


def _ledger_out(customer, written: int) -> dict:
    return {
        "customer_id": customer.pk,
        "entries_written": written,
        "balance": selectors.balance(customer),
        "pending": selectors.pending_points(customer),
    }


def _purchase(scope, external_id: str) -> Transaction:
    purchase = (
        Transaction.objects.filter(organization=scope.organization, external_id=external_id)
        .select_related("customer__owner__unit")
        .first()
    )
    if purchase is None or not predicates.can_see_customer(scope, purchase.customer):
        raise Http404(f"No purchase {external_id!r} that you may see.")
    return purchase


@router.get(BASE + "/customers/{customer_id}", response=CardOut, summary="A customer's card")
def customer_card(request, org: str, customer_id: int):
    scope = _scope(request, org)
    customer = predicates.visible_customer(scope, customer_id)
    card = selectors.customer_card(customer, today=timezone.localdate())
    return {
        "customer_id": customer.pk,
        "external_id": customer.external_id,
        "name": str(customer),
        "owner": str(customer.owner) if customer.owner else None,
        "balance": card["balance"],
        "pending": card["pending"],
        "tier": card["tier"],
        "next_tier": card["next_tier"],
        "visits": card["visits"],
        "spend": card["spend"],
        "last_visit": card["last_visit"],
        "last_csat": card["last_csat"]["score"] if card["last_csat"] else None,
        "due_services": [_reminder_out(r) for r in card["reminders"]],
    }


@router.get(
    BASE + "/customers/{customer_id}/ledger",
    response=list[EntryOut],
    summary="A customer's ledger, newest first",
)
def customer_ledger(request, org: str, customer_id: int, limit: int = 100):
    scope = _scope(request, org)
    customer = predicates.visible_customer(scope, customer_id)
    return list(selectors.entries(customer, limit=max(1, min(limit, 1000))))


@router.post(
    BASE + "/transactions", response={201: LedgerOut}, summary="Record a purchase; it earns"
)
def transaction_create(request, org: str, payload: PurchaseIn):
    scope = _scope(request, org, predicates.can_post_ledger)
    customer = predicates.visible_customer_by_external_id(scope, payload.customer_external_id)
    employee = None
    if payload.employee_external_id:
        employee = Employee.objects.filter(
            organization=scope.organization, external_id=payload.employee_external_id
        ).first()
        if employee is None:
            raise Http404(f"No employee {payload.employee_external_id!r}.")
    _, written = services.transaction_record(
        organization=scope.organization,
        customer=customer,
        external_id=payload.external_id,
        amount=payload.amount,
        occurred_at=payload.occurred_at or timezone.now(),
        employee=employee,
        service_code=payload.service_code,
        actor=request.user,
    )
    return Status(201, _ledger_out(customer, written))


@router.post(
    BASE + "/returns", response={201: LedgerOut}, summary="Record a return or refund; it reverses"
)
def return_create(request, org: str, payload: ReturnIn):
    scope = _scope(request, org, predicates.can_post_ledger)
    purchase = _purchase(scope, payload.transaction_external_id)
    _, rows = services.return_record(
        organization=scope.organization,
        purchase=purchase,
        amount=payload.amount,
        external_id=payload.external_id,
        occurred_at=payload.occurred_at,
        actor=request.user,
    )
    return Status(201, _ledger_out(purchase.customer, len(rows)))


@router.post(
    BASE + "/redemptions", response={201: LedgerOut}, summary="Redeem points, oldest first"
)
def redemption_create(request, org: str, payload: RedemptionIn):
    scope = _scope(request, org, predicates.can_post_ledger)
    customer = predicates.visible_customer_by_external_id(scope, payload.customer_external_id)
    purchase = (
        _purchase(scope, payload.transaction_external_id)
        if payload.transaction_external_id
        else None
    )
    rows = services.redemption_create(
        customer=customer,
        points=payload.points,
        reference=payload.reference,
        purchase=purchase,
        actor=request.user,
    )
    return Status(201, _ledger_out(customer, len(rows)))


@router.get(BASE + "/due", response=list[ReminderOut], summary="Services due this week")
def due_this_week(request, org: str):
    scope = _scope(request, org, predicates.reads_customer_lists)
    return [_reminder_out(r) for r in selectors.due_this_week(scope, today=timezone.localdate())]


@router.get(BASE + "/at-risk", response=list[AtRiskOut], summary="Customers overdue a visit")
def at_risk(request, org: str):
    scope = _scope(request, org, predicates.reads_customer_lists)
    rows = selectors.at_risk(scope, today=timezone.localdate())
    return [
        {
            **{k: v for k, v in row.items() if k != "customer"},
            "customer_id": row["customer"].pk,
            "customer": str(row["customer"]),
        }
        for row in rows
    ]


def _reminder(scope, reminder_id: int) -> Reminder:
    reminder = (
        Reminder.objects.filter(organization=scope.organization, pk=reminder_id)
        .select_related("customer__owner__unit", "asset")
        .first()
    )
    if reminder is None or not predicates.can_see_customer(scope, reminder.customer):
        raise Http404("No such reminder.")
    return reminder


@router.post(
    BASE + "/reminders/{reminder_id}/service",
    response=ReminderOut,
    summary="Record the service: closes the reminder",
)
def reminder_service(request, org: str, reminder_id: int, payload: ServiceIn):
    scope = _scope(request, org, predicates.can_post_ledger)
    reminder = _reminder(scope, reminder_id)
    purchase = interaction = None
    if payload.transaction_external_id:
        purchase = _purchase(scope, payload.transaction_external_id)
    if payload.interaction_external_id:
        interaction = Interaction.objects.filter(
            organization=scope.organization, external_id=payload.interaction_external_id
        ).first()
        if interaction is None:
            raise Http404(f"No interaction {payload.interaction_external_id!r}.")
    reminder = reminders.service_record(
        reminder=reminder,
        employee=getattr(request.user, "employee", None),
        purchase=purchase,
        interaction=interaction,
        usage=payload.usage,
        actor=request.user,
    )
    return _reminder_out(reminder)


@router.post(
    BASE + "/reminders/{reminder_id}/decline",
    response=ReminderOut,
    summary="The customer declined: kept, shown at the next visit",
)
def reminder_decline(request, org: str, reminder_id: int, payload: DeclineIn):
    scope = _scope(request, org, predicates.can_post_ledger)
    reminder = reminders.reminder_decline(
        reminder=_reminder(scope, reminder_id), note=payload.note, actor=request.user
    )
    return _reminder_out(reminder)


def _handover_out(handover: Handover) -> dict:
    return {
        "id": handover.pk,
        "customer_id": handover.customer_id,
        "customer": str(handover.customer),
        "from_employee": str(handover.from_employee),
        "to_employee": str(handover.to_employee) if handover.to_employee else None,
        "to_unit": handover.to_unit.name,
        "rule": handover.rule,
        "status": handover.status,
    }


@router.get(BASE + "/handovers", response=list[HandoverOut], summary="Hand-overs to confirm")
def handovers(request, org: str):
    scope = _scope(request, org, predicates.can_confirm_handovers)
    return [_handover_out(h) for h in selectors.handovers(scope)]


@router.post(
    BASE + "/handovers/{handover_id}/confirm", response=HandoverOut, summary="Confirm a hand-over"
)
def handover_confirm(request, org: str, handover_id: int, payload: ConfirmIn):
    scope = _scope(request, org, predicates.can_confirm_handovers)
    handover = selectors.handovers(scope, status=None).filter(pk=handover_id).first()
    if handover is None:
        raise Http404("No such hand-over.")
    to_employee = None
    if payload.to_employee_external_id:
        to_employee = Employee.objects.filter(
            organization=scope.organization, external_id=payload.to_employee_external_id
        ).first()
        if to_employee is None:
            raise Http404(f"No employee {payload.to_employee_external_id!r}.")
    handover = ownership.handover_confirm(
        handover=handover, actor=request.user, to_employee=to_employee, scope=scope
    )
    return _handover_out(handover)


@router.get(
    BASE + "/orphans",
    response=list[OrphanOut],
    summary="Accounts still owned by someone who left (should be none)",
)
def orphans(request, org: str):
    scope = _scope(request, org, predicates.can_confirm_handovers)
    rows = selectors.orphaned_accounts(scope.organization, today=timezone.localdate())
    rows = rows.filter(scope.unit_filter("owner__unit"))
    return [
        {
            "customer_id": c.pk,
            "customer": str(c),
            "owner": str(c.owner),
            "left_on": c.owner.leave_date,
        }
        for c in rows
    ]


@router.get(BASE + "/liability", response=list[LiabilityOut], summary="Liability per month")
def liability(request, org: str):
    scope = _scope(request, org, predicates.can_read_programme)
    return selectors.liability_report(scope.organization)


class RepeatOut(Schema):
    group: int
    month: str
    suppressed: bool = Field(
        description="Too few buyers, or recoverable from the total: no figures are shown."
    )
    customers: int | None
    visits: int | None
    spend: float | None
    visits_per_customer: float | None
    spend_per_customer: float | None
    repeat_suppressed: bool = Field(
        description="Too few previous buyers, or recoverable: the repeat rate is withheld."
    )
    repeat_rate: float | None = Field(
        description="Share of the group's buyers of the month before who bought again."
    )


@router.get(
    BASE + "/repeat-business",
    response=list[RepeatOut],
    summary="Repeat rate, visits and spend per customer by unit, owner or serving employee",
    description=(
        "Finished months only, each month's groups through the anonymity gate: a group of "
        "fewer buyers than the organisation's minimum group size, or one that could be "
        "worked out from the others and the organisation's total, is withheld."
    ),
)
def repeat_business(request, org: str, by: str = "unit"):
    scope = _scope(request, org, predicates.is_admin | predicates.is_hr_analyst)
    if by not in selectors.GROUPINGS:
        raise HttpError(400, f"by is one of: {', '.join(selectors.GROUPINGS)}.")
    services.repeat_business_publish(organization=scope.organization, by=by)
    frame = selectors.repeat_business_shown(scope.organization, by=by)
    frame = frame.astype(object).where(frame.notna(), None)
    return frame.drop(columns=["period", "base"]).to_dict("records")
