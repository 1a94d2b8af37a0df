"""Named role predicates of recognition (the `rules` package): one place says who may do what.

Each predicate takes the member (anything with a `.scope`: a `Viewer`, a `Persona`) and,
for object checks, the object. Views and the API ask these; services check them again.
"""

from __future__ import annotations

import rules

from servicechain.org.access import Role


@rules.predicate
def is_admin(member) -> bool:
    return member.scope.role == Role.ADMIN


@rules.predicate
def is_hr_analyst(member) -> bool:
    return member.scope.role == Role.HR_ANALYST


@rules.predicate
def is_manager(member) -> bool:
    return member.scope.role == Role.MANAGER


@rules.predicate
def has_employee_record(member) -> bool:
    return getattr(member, "employee", None) is not None


@rules.predicate
def manages(member, employee) -> bool:
    return member.manages(employee)


@rules.predicate
def is_themselves(member, employee) -> bool:
    return (
        member.employee is not None and employee is not None and member.employee.pk == employee.pk
    )


#: Who reads how recognition is spread (a manager: their subtree; HR and admins: by unit).
sees_fairness = is_admin | is_hr_analyst | is_manager
#: Who gives kudos: anyone on the payroll import.
gives_kudos = has_employee_record
#: Spot bonuses: a manager nominates the people they manage; HR and admins set budgets.
nominates_spot_bonus = is_manager & manages
sets_budgets = is_admin | is_hr_analyst
reads_all_spot_bonuses = is_admin | is_hr_analyst
#: Moderation (reported posts, hiding a post), rules runs and points redemption: admins.
moderates = is_admin
runs_achievements = is_admin
exports_points = is_admin
#: Badges by hand: a manager for the people they manage, an admin for anyone but themselves.
awards_by_hand = (is_manager & manages) | (is_admin & ~is_themselves)
#: Closing a quarter's goals: managers (their subtree), HR and admins (everyone).
closes_quarters = is_admin | is_hr_analyst | is_manager
