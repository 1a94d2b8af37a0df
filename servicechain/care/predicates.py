"""Who may do what in care: named `rules` predicates over a member's `Scope`.

* **report** an incident, keep a goodwill allowance, record a mood, ask for support: every
  member with an employee record (an administrator or HR analyst without one may still
  report, standalone);
* **decide** an incident (confirm the line's outcome, and so a sanction) and **record an
  appeal**: an administrator, or a manager whose subtree holds the incident's unit — never
  the person on the receiving end;
* **review** an appeal: the same people, except whoever confirmed the decision;
* **see** an incident: the reporter, the person it happened to, and those who may decide it.
  HR analysts see incidents and wellbeing only as counts by unit and month, through the
  anonymity gate;
* a customer's standing (excluded, until when) is shown to every member: the customer may
  walk into any branch.
"""

from __future__ import annotations

import rules
from django.http import Http404

from servicechain.org.access import Role

from .models import Incident


def employee_of(scope):
    """The member's employee record in this organisation, or None."""
    employee = getattr(scope.user, "employee", None)
    if employee is None or employee.organization_id != scope.organization.pk:
        return None
    return employee


@rules.predicate
def is_admin(scope) -> bool:
    return scope.role == Role.ADMIN


@rules.predicate
def is_hr_analyst(scope) -> bool:
    return scope.role == Role.HR_ANALYST


@rules.predicate
def is_manager(scope) -> bool:
    return scope.role == Role.MANAGER


@rules.predicate
def has_employee_record(scope) -> bool:
    return employee_of(scope) is not None


@rules.predicate
def manages_incident(scope, incident) -> bool:
    return scope.can_see_unit(incident.unit)


@rules.predicate
def is_on_receiving_end(scope, incident) -> bool:
    employee = employee_of(scope)
    return employee is not None and incident.employee_id == employee.pk


@rules.predicate
def reported_it(scope, incident) -> bool:
    return incident.reported_by_id == scope.user.pk


@rules.predicate
def confirmed_it(scope, incident) -> bool:
    return incident.decided_by_id == scope.user.pk


can_report = is_admin | is_hr_analyst | is_manager | has_employee_record
can_decide = (is_admin | (is_manager & manages_incident)) & ~is_on_receiving_end
can_record_appeal = can_decide
can_review = can_decide & ~confirmed_it
can_see_incident = reported_it | is_on_receiving_end | can_decide
can_see_queue = is_admin | is_manager
can_read_hr_figures = is_admin | is_hr_analyst
can_read_unit_figures = is_admin | is_hr_analyst | is_manager
can_spend_goodwill = has_employee_record
can_flag_customer = is_admin | is_manager


def visible_incident(scope, incident_id) -> Incident:
    """An incident of the organisation the member may see, else 404 (never reveal others)."""
    try:
        pk = int(incident_id)
    except (TypeError, ValueError):
        raise Http404("No such incident.") from None
    incident = (
        Incident.objects.filter(organization=scope.organization, pk=pk)
        .select_related("unit", "employee", "customer", "interaction", "reported_by")
        .first()
    )
    if incident is None or not can_see_incident(scope, incident):
        raise Http404("No such incident.")
    return incident
