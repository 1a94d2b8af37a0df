"""Reads for the organisation, always within a member's scope."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from . import privacy
from .access import Role, Scope
from .models import (
    PATH_SEGMENT,
    Customer,
    Employee,
    Interaction,
    Membership,
    Transaction,
    Unit,
)
from .privacy import when


def active_employees(scope: Scope, on: dt.date | None = None) -> QuerySet[Employee]:
    on = on or timezone.localdate()
    return Employee.objects.filter(
        Q(leave_date__isnull=True) | Q(leave_date__gt=on),
        scope.unit_filter("unit"),
        organization=scope.organization,
        hire_date__lte=on,
    )


def headcount_by_unit(scope: Scope, on: dt.date | None = None) -> list[dict]:
    """Active employees per unit the member may see, in tree order (direct members only)."""
    counts = dict(
        active_employees(scope, on).values("unit").annotate(n=Count("pk")).values_list("unit", "n")
    )
    return [
        {
            "unit_id": unit.pk,
            "unit": unit.name,
            "external_id": unit.external_id,
            "kind": unit.kind,
            "depth": unit.depth,
            "headcount": counts.get(unit.pk, 0),
        }
        for unit in scope.units().only("pk", "name", "external_id", "kind", "depth", "path")
    ]


def subtree_headcounts(scope: Scope, on: dt.date | None = None) -> dict[int, int]:
    """Active employees in each visible unit's whole subtree (the unit and all below it).

    Each unit's own count is added to every ancestor read off its materialised path, so the
    cost grows with units × depth, not units².
    """
    own = dict(
        active_employees(scope, on).values("unit").annotate(n=Count("pk")).values_list("unit", "n")
    )
    units = list(scope.units().values_list("pk", "path"))
    by_path = {path: pk for pk, path in units}
    totals = dict.fromkeys(by_path.values(), 0)
    for pk, path in units:
        count = own.get(pk, 0)
        if not count:
            continue
        for end in range(PATH_SEGMENT + 1, len(path) + 1, PATH_SEGMENT + 1):
            ancestor = by_path.get(path[:end])
            if ancestor is not None:
                totals[ancestor] += count
    return totals


def visible_interactions(scope: Scope) -> QuerySet[Interaction]:
    qs = Interaction.objects.filter(organization=scope.organization)
    if scope.role == Role.EMPLOYEE:
        # An employee sees the interactions they served themselves, nobody else's.
        return qs.filter(employee__user=scope.user)
    return qs.filter(scope.unit_filter("unit"))


def recent_interactions(scope: Scope, limit: int = 15) -> list[Interaction]:
    return list(
        visible_interactions(scope)
        .select_related("customer", "employee", "unit")
        .order_by("-started_at")[:limit]
    )


def organisation_summary(scope: Scope, days: int = 30) -> dict:
    since = timezone.now() - dt.timedelta(days=days)
    interactions = visible_interactions(scope)
    latest = interactions.order_by("-started_at").values_list("started_at", flat=True).first()
    if latest is not None:
        since = min(since, latest - dt.timedelta(days=days))
    units = scope.units()
    transactions = Transaction.objects.filter(organization=scope.organization)
    if not scope.sees_whole_organisation:
        transactions = transactions.filter(
            Q(employee__unit__in=units)
            if scope.role == Role.MANAGER
            else Q(employee__user=scope.user)
        )
    recent_tx = transactions.filter(occurred_at__gte=since)
    return {
        "units": units.count(),
        "headcount": active_employees(scope).count(),
        "customers": Customer.objects.filter(organization=scope.organization)
        .filter(Q() if scope.sees_whole_organisation else Q(owner__unit__in=units))
        .count(),
        "interactions": interactions.filter(started_at__gte=since).count(),
        "revenue": recent_tx.aggregate(total=Sum("amount"))["total"] or 0,
        "since": since,
    }


def unit_subtree(unit: Unit) -> QuerySet[Unit]:
    return Unit.objects.subtree(unit)


# --------------------------------------------------------------------------- personal data


def employee_of(organization_slug: str, external_id: str) -> Employee:
    """An employee by organisation slug and external id, or `Employee.DoesNotExist`."""
    return Employee.objects.select_related("organization", "unit", "user").get(
        organization__slug=organization_slug, external_id=external_id
    )


def personal_data(employee: Employee) -> dict:
    """Everything stored about a person in their organisation, as JSON-ready data: the
    employee record, the login, roles, and each app's registered part (`privacy.parts`).

    Survey answers are not in it and cannot be: a confidential response has no link to the
    person who gave it (docs/surveys.md)."""
    user = employee.user
    data = {
        "format": "servicechain personal data export, version 1",
        "exported_at": when(timezone.now()),
        "organization": {"slug": employee.organization.slug, "name": employee.organization.name},
        "employee": {
            "external_id": employee.external_id,
            "first_name": employee.first_name,
            "last_name": employee.last_name,
            "email": employee.email,
            "job_title": employee.job_title,
            "job_family": employee.job_family,
            "is_manager": employee.is_manager,
            "unit": {"name": employee.unit.name, "external_id": employee.unit.external_id},
            "hire_date": when(employee.hire_date),
            "leave_date": when(employee.leave_date),
            "leave_type": employee.leave_type or None,
            "leave_reason": employee.leave_reason or None,
            "regretted": employee.regretted,
        },
        "login": None,
        "roles": [],
    }
    if user is not None:
        data["login"] = {
            "username": user.get_username(),
            "first_name": user.first_name,
            "last_name": user.last_name,
            "email": user.email,
            "active": user.is_active,
            "joined": when(user.date_joined),
            "last_login": when(user.last_login),
        }
        data["roles"] = [
            {"role": m.role, "unit": m.unit.name if m.unit else None}
            for m in Membership.objects.filter(
                user=user, organization=employee.organization
            ).select_related("unit")
        ]
    for part in privacy.parts():
        data[part.key] = part.export(employee, user)
    data["not_included"] = [
        "Survey answers: a confidential response has no link to the person who gave it, so "
        "nobody can find yours, and this export cannot either (docs/surveys.md).",
        "Your password: only a one-way hash of it is stored.",
    ]
    return data
