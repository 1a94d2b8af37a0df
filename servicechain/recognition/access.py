"""Who the member is in recognition: their scope plus their employee record (if any).

Kudos are given and received by employees; a member without an employee record (an HR
analyst or admin who is not on the payroll import) reads and moderates but does not give.
What each role may do is decided by the named predicates in `predicates.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from django.db.models import Q

from servicechain.org.access import Role, Scope
from servicechain.org.models import Employee, Unit


@dataclass(frozen=True)
class Viewer:
    scope: Scope
    employee: Employee | None

    @property
    def organization(self):
        return self.scope.organization

    @property
    def user(self):
        return self.scope.user

    @property
    def role(self) -> str:
        return self.scope.role

    @cached_property
    def team_unit_ids(self) -> frozenset[int]:
        """Units whose team-only kudos this member sees: a manager's subtree, an employee's
        own unit (their record's, else their membership's)."""
        if self.role == Role.MANAGER:
            ids = Unit.objects.filter(
                organization=self.organization, path__startswith=self.scope.unit.path
            ).values_list("pk", flat=True)
            own = {self.employee.unit_id} if self.employee else set()
            return frozenset(ids) | own
        units = set()
        if self.employee is not None:
            units.add(self.employee.unit_id)
        if self.role == Role.EMPLOYEE and self.scope.unit is not None:
            units.add(self.scope.unit.pk)
        return frozenset(units)

    def manages(self, employee: Employee) -> bool:
        """A manager over the person's unit (never over themselves)."""
        if self.role != Role.MANAGER or employee.organization_id != self.organization.pk:
            return False
        if self.employee is not None and self.employee.pk == employee.pk:
            return False
        return employee.unit.is_within(self.scope.unit)

    def managed_employees(self):
        """The people a manager manages (current and past), else none."""
        if self.role != Role.MANAGER:
            return Employee.objects.none()
        people = Employee.objects.filter(
            organization=self.organization, unit__path__startswith=self.scope.unit.path
        )
        return people.exclude(pk=self.employee.pk) if self.employee else people


def viewer_of(scope: Scope) -> Viewer:
    employee = (
        Employee.objects.filter(organization=scope.organization, user=scope.user)
        .select_related("unit")
        .first()
    )
    return Viewer(scope=scope, employee=employee)


def active_q(on, prefix: str = "") -> Q:
    """Employed on day `on`."""
    return Q(**{f"{prefix}hire_date__lte": on}) & (
        Q(**{f"{prefix}leave_date__isnull": True}) | Q(**{f"{prefix}leave_date__gte": on})
    )
