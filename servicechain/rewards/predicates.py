"""Who may do what in rewards: named `rules` predicates over a member's `Scope`.

* **build plans**: administrators;
* **run payouts** (preview, lock, export) and **review gaming flags**: administrators and HR
  analysts; **approve** a run: the same people, except whoever created it (two people see
  every run before money moves);
* **statements**: everyone sees their own; managers their subtree's; HR and admins all.
"""

from __future__ import annotations

import rules

from servicechain.org.access import Role


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
def created_run(scope, run) -> bool:
    return run.created_by_id == scope.user.pk


@rules.predicate
def sees_employee(scope, employee) -> bool:
    own = employee_of(scope)
    if own is not None and own.pk == employee.pk:
        return True
    if scope.role == Role.EMPLOYEE:
        return False
    return scope.can_see_unit(employee.unit)


can_build_plans = is_admin
can_run_payouts = is_admin | is_hr_analyst
can_approve_run = can_run_payouts & ~created_run
can_review_flags = is_admin | is_hr_analyst
can_see_team_statements = is_admin | is_hr_analyst | is_manager
can_see_statement_of = sees_employee
