"""The care app's part of a person's data (docs/privacy.md): incidents they reported or were
on the receiving end of, goodwill they gave, recovery cases they own, and their wellbeing
records — mood check-ins, support requests, their chosen support person — which are theirs
alone. Incidents closed longer ago than the organisation's `incident_months` are deleted."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q

from servicechain.org.models import Employee, Organization
from servicechain.org.privacy import (
    Erasure,
    register_personal_data,
    register_retention_rule,
    when,
)

from .models import (
    CheckInTask,
    GoodwillSpend,
    Incident,
    MoodCheckIn,
    RecoveryCase,
    SupportPerson,
    SupportRequest,
    WellbeingOffer,
)


def _incidents_of(employee: Employee, user):
    mine = Q(employee=employee)
    if user is not None:
        mine |= Q(reported_by=user)
    return Incident.objects.filter(organization=employee.organization).filter(mine)


def _incidents(employee: Employee, user) -> list[dict]:
    return [
        {
            "occurred_at": when(i.occurred_at),
            "category": i.category,
            "severity": i.severity,
            "description": i.description,
            "message_text": i.message_text,
            "state": i.state,
            "outcome": i.outcome,
            "customer": i.customer.external_id if i.customer_id else None,
        }
        for i in _incidents_of(employee, user).select_related("customer").order_by("occurred_at")
    ]


def _wellbeing(employee: Employee, user) -> dict:
    supporter = SupportPerson.objects.filter(employee=employee).select_related("supporter").first()
    return {
        "support_person": supporter.supporter.get_username() if supporter else None,
        "mood_checkins": [
            {
                "at": when(m.created_at),
                "mood": m.mood,
                "note": m.note,
                "shared": bool(m.shared_with_id),
            }
            for m in MoodCheckIn.objects.filter(employee=employee).order_by("created_at")
        ],
        "support_requests": [
            {"at": when(r.created_at), "message": r.message, "status": r.status}
            for r in SupportRequest.objects.filter(employee=employee).order_by("created_at")
        ],
    }


def _goodwill(employee: Employee, user) -> list[dict]:
    return [
        {
            "at": when(g.created_at),
            "kind": g.kind,
            "reason": g.reason,
            "amount": str(g.amount.amount),
            "currency": str(g.amount.currency),
            "status": g.status,
            "customer": g.customer.external_id,
        }
        for g in GoodwillSpend.objects.filter(employee=employee).select_related("customer")
    ]


def _erase(erasure: Erasure) -> dict[str, int]:
    """Wellbeing records go; incidents and goodwill stay with their unit (a customer's line and
    the organisation's spending depend on them) without the person or their words."""
    employee = erasure.employee
    incidents = _incidents_of(employee, erasure.user)
    counts = {
        "mood check-ins deleted": MoodCheckIn.objects.filter(employee=employee).delete()[0],
        "support requests deleted": SupportRequest.objects.filter(employee=employee).delete()[0],
        "wellbeing offers deleted": WellbeingOffer.objects.filter(employee=employee).delete()[0],
        "check-in tasks deleted": CheckInTask.objects.filter(employee=employee).delete()[0],
        "incidents unlinked": incidents.update(employee=None, message_text=""),
    }
    SupportPerson.objects.filter(employee=employee).delete()
    if erasure.user is not None:
        Incident.objects.filter(reported_by=erasure.user).update(reported_by=None)
    counts["recovery cases unassigned"] = RecoveryCase.objects.filter(owner=employee).update(
        owner=None
    )
    return counts


def _retention(*, organization: Organization, before: dt.datetime, dry_run: bool) -> int:
    """Incidents decided (or reviewed) before `before`, with their sanctions, once no sanction
    of theirs is still in force."""
    old = Incident.objects.filter(organization=organization).filter(
        Q(state=Incident.State.DECIDED, decided_at__lt=before)
        | Q(state=Incident.State.REVIEWED, reviewed_at__lt=before)
    )
    today = before.date()
    old = old.exclude(sanction__ends_on__gte=today).exclude(
        sanction__kind__in=["warning", "agreement"],
        sanction__lifted_on__isnull=True,
        sanction__review_on__gte=today,
    )
    if dry_run:
        return old.count()
    deleted = old.count()
    old.delete()
    return deleted


register_personal_data("care_incidents", export=_incidents, order=40)
register_personal_data("care_goodwill", export=_goodwill, order=41)
register_personal_data("care_wellbeing", export=_wellbeing, erase=_erase, order=42)
register_retention_rule(
    "incidents",
    what="customer-conduct incidents",
    verb="deleted",
    policy_field="incident_months",
    apply=_retention,
)
