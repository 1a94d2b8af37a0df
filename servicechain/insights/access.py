"""Which units' results a member may look at in insights (on top of `org.access.Scope`).

* Admins and HR analysts: every unit.
* Managers: their unit and everything below it. The organisation's overall result is shown
  to them as a benchmark (everyone may see it), but they cannot open the units outside
  their subtree.
* Employees: the organisation's overall result, and their own unit (whose cells the
  anonymity gate withholds while it has fewer than the minimum group size).

Every cell shown comes from the same organisation-wide gate, so combining what two roles
see can never reveal more than the gate allows.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from django.http import Http404

from servicechain.org.access import Role, Scope
from servicechain.org.models import Unit


@dataclass(frozen=True)
class Audience:
    """A member's view of results: what they may focus on and what rows they see."""

    scope: Scope

    @cached_property
    def organisation_unit(self) -> Unit | None:
        return (
            Unit.objects.filter(organization=self.scope.organization, depth=0)
            .order_by("path")
            .first()
        )

    @property
    def is_employee(self) -> bool:
        return self.scope.role == Role.EMPLOYEE

    @property
    def default_focus(self) -> Unit | None:
        if self.scope.role == Role.MANAGER:
            return self.scope.unit
        return self.organisation_unit

    def can_focus(self, unit: Unit) -> bool:
        """Whether the member may open this unit's results (and, but for employees, its children)."""
        if unit.organization_id != self.scope.organization.pk:
            return False
        if self.is_employee:
            return unit.pk in (self.scope.unit.pk, getattr(self.organisation_unit, "pk", None))
        return self.scope.can_see_unit(unit)

    def focus(self, unit_id) -> Unit:
        """The unit a page is about: the requested one if allowed (else 404), or the default."""
        if unit_id in (None, ""):
            unit = self.default_focus
            if unit is None:
                raise Http404("This organisation has no units yet.")
            return unit
        try:
            unit = Unit.objects.get(organization=self.scope.organization, pk=unit_id)
        except (Unit.DoesNotExist, ValueError, TypeError):
            raise Http404("No such unit.") from None
        if not self.can_focus(unit):
            raise Http404("No such unit.")
        return unit

    def rows(self, focus: Unit) -> list[Unit]:
        """The units of a heatmap about `focus`: the focus first, then what lies below it."""
        if self.is_employee:
            own = self.scope.unit
            return [focus] if focus.pk == own.pk else [focus, own]
        children = Unit.objects.filter(parent=focus).order_by("path")
        return [focus, *children]

    def breadcrumb(self, focus: Unit) -> list[Unit]:
        """The focus's ancestors the member may open, root first, then the focus."""
        ancestors = Unit.objects.filter(pk__in=focus.ancestor_ids())
        allowed = [u for u in sorted(ancestors, key=lambda u: u.depth) if self.can_focus(u)]
        return [*allowed, focus]

    def visible_units(self):
        """Units whose rows may appear in lists (plans, comments): scope plus, for everyone, the root."""
        units = Unit.objects.filter(organization=self.scope.organization)
        if self.scope.sees_whole_organisation:
            return units
        ids = set(self.scope.units().values_list("pk", flat=True))
        if self.organisation_unit is not None:
            ids.add(self.organisation_unit.pk)
        return units.filter(pk__in=ids)

    @property
    def can_plan(self) -> bool:
        return self.scope.role in (Role.ADMIN, Role.HR_ANALYST, Role.MANAGER)

    def can_plan_for(self, unit: Unit) -> bool:
        return self.can_plan and self.scope.can_see_unit(unit)
