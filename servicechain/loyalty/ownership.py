"""Writes of account ownership: a leaver's accounts move to a successor at once, by rule, and
the move waits for the manager's confirmation (who may pick someone else). Audited.

The rule: the active colleague in the leaver's unit who owns the fewest accounts (ties: the
longest-serving record, i.e. the lowest id), taking each account in turn so a large book is
shared out; with no colleague left, the unit itself owns the account. Moving at once (rather
than on confirmation) is what guarantees that no account is ever owned by someone who left.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from servicechain.org.models import Customer, Employee, Organization
from servicechain.org.services import audit_record

from . import selectors
from .models import Account, Handover, Reminder


@transaction.atomic
def leavers_process(
    *, organization: Organization, today: dt.date | None = None, actor=None
) -> list[Handover]:
    """Hand over every account still owned by someone whose leave date has come."""
    today = today or timezone.localdate()
    leavers = Employee.objects.filter(
        organization=organization,
        leave_date__isnull=False,
        leave_date__lte=today,
        owned_customers__isnull=False,
    ).distinct()
    moved = []
    for leaver in leavers.select_related("unit").order_by("pk"):
        moved += _hand_over(leaver, today=today, actor=actor)
    return moved


def _hand_over(leaver: Employee, *, today: dt.date, actor) -> list[Handover]:
    customers = list(Customer.objects.filter(owner=leaver).order_by("pk"))
    colleagues = [e for e in selectors.successors(leaver.unit, today=today) if e.pk != leaver.pk]
    load = {e.pk: e.load for e in colleagues}
    now = timezone.now()
    handovers = []
    for customer in customers:
        successor = min(colleagues, key=lambda e: (load[e.pk], e.pk)) if colleagues else None
        if successor is not None:
            load[successor.pk] += 1
            rule = "least-loaded active colleague in the same unit"
        else:
            rule = "no active colleague in the unit: the unit owns the account"
            Account.objects.get_or_create(
                customer=customer,
                defaults={"organization": leaver.organization, "enrolled_at": now},
            )
            Account.objects.filter(customer=customer).update(owner_unit=leaver.unit)
        customer.owner = successor
        handovers.append(
            Handover(
                organization=leaver.organization,
                customer=customer,
                from_employee=leaver,
                to_employee=successor,
                to_unit=leaver.unit,
                rule=rule,
                created_at=now,
            )
        )
    Customer.objects.bulk_update(customers, ["owner"])
    Handover.objects.bulk_create(handovers)
    for handover in handovers:
        Reminder.objects.filter(
            customer_id=handover.customer_id, status=Reminder.Status.OPEN
        ).update(owner=handover.to_employee, owner_unit=handover.to_unit)
    if handovers:
        audit_record(
            action="loyalty.handover",
            organization=leaver.organization,
            actor=actor,
            target=leaver,
            detail={
                "accounts": len(handovers),
                "to": sorted(
                    {h.to_employee.external_id if h.to_employee else "unit" for h in handovers}
                ),
            },
        )
    return handovers


@transaction.atomic
def handover_confirm(
    *, handover: Handover, actor=None, to_employee: Employee | None = None, scope=None
) -> Handover:
    """The manager confirms a move, optionally to another active employee they look after."""
    handover = Handover.objects.select_for_update().get(pk=handover.pk)
    if handover.status == Handover.Status.CONFIRMED:
        raise ValidationError("This hand-over is already confirmed.")
    today = timezone.localdate()
    if to_employee is not None:
        if to_employee.organization_id != handover.organization_id:
            raise ValidationError({"to_employee": "That employee is in another organisation."})
        if to_employee.leave_date is not None and to_employee.leave_date <= today:
            raise ValidationError({"to_employee": f"{to_employee} has left."})
        if scope is not None and not scope.can_see_unit(to_employee.unit):
            raise ValidationError({"to_employee": f"{to_employee} is outside the units you see."})
        handover.to_employee = to_employee
        Customer.objects.filter(pk=handover.customer_id).update(owner=to_employee)
        Account.objects.filter(customer_id=handover.customer_id).update(owner_unit=None)
        Reminder.objects.filter(
            customer_id=handover.customer_id, status=Reminder.Status.OPEN
        ).update(owner=to_employee, owner_unit=to_employee.unit)
    handover.status = Handover.Status.CONFIRMED
    handover.decided_by = actor if getattr(actor, "is_authenticated", False) else None
    handover.decided_at = timezone.now()
    handover.save()
    audit_record(
        action="loyalty.handover_confirm",
        organization=handover.organization,
        actor=actor,
        target=handover,
        detail={
            "customer": handover.customer.external_id,
            "to": handover.to_employee.external_id if handover.to_employee else "unit",
        },
    )
    return handover


def leavers_imported(*, organization: Organization, external_ids: list[str]) -> None:
    """Import listener: leave dates that arrived in an `employees` import hand over at once."""
    today = timezone.localdate()
    leavers = Employee.objects.filter(
        organization=organization,
        external_id__in=external_ids,
        leave_date__isnull=False,
        leave_date__lte=today,
        owned_customers__isnull=False,
    ).distinct()
    for leaver in leavers.select_related("unit").order_by("pk"):
        _hand_over(leaver, today=today, actor=None)
