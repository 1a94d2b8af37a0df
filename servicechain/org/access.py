"""Who may see what: the one organisation-and-subtree check every view and endpoint uses.

Deny by default. A person sees an organisation only through a Membership; an organisation
they do not belong to looks exactly like one that does not exist (404), so its existence is
not revealed. Managers are confined to their unit's subtree, employees to their own unit.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from .models import Membership, Organization, Unit

Role = Membership.Role
WHOLE_ORGANISATION_ROLES = (Role.ADMIN, Role.HR_ANALYST)


@dataclass(frozen=True)
class Scope:
    """What one member may see in one organisation."""

    organization: Organization
    membership: Membership
    unit: Unit | None  # subtree root (manager) or own unit (employee); None = whole organisation

    @property
    def role(self) -> str:
        return self.membership.role

    @property
    def user(self):
        return self.membership.user

    @property
    def sees_whole_organisation(self) -> bool:
        return self.role in WHOLE_ORGANISATION_ROLES

    def has_role(self, *roles: str) -> bool:
        return self.role in roles

    def require(self, *roles: str) -> None:
        if self.role not in roles:
            raise PermissionDenied("Your role does not allow this.")

    def unit_filter(self, field: str = "unit") -> Q:
        """A Q object limiting rows with a unit foreign key `field` to this scope."""
        if self.sees_whole_organisation:
            return Q()
        prefix = f"{field}__" if field else ""
        if self.role == Role.MANAGER:
            return Q(**{f"{prefix}path__startswith": self.unit.path})
        return Q(**{f"{prefix}pk": self.unit.pk})

    def units(self) -> QuerySet[Unit]:
        return Unit.objects.filter(organization=self.organization).filter(self.unit_filter(""))

    def can_see_unit(self, unit: Unit) -> bool:
        if unit.organization_id != self.organization.pk:
            return False
        if self.sees_whole_organisation:
            return True
        if self.role == Role.MANAGER:
            return unit.is_within(self.unit)
        return unit.pk == self.unit.pk

    def get_unit(self, unit_id) -> Unit:
        """A unit of this organisation the member may see, else 404 (never reveal others)."""
        try:
            unit = Unit.objects.get(organization=self.organization, pk=unit_id)
        except (Unit.DoesNotExist, ValueError, TypeError):
            raise Http404("No such unit.") from None
        if not self.can_see_unit(unit):
            raise Http404("No such unit.")
        return unit

    @property
    def root_unit(self) -> Unit | None:
        """The top of what this member sees: their scope unit, or the organisation's root."""
        if self.unit is not None:
            return self.unit
        return Unit.objects.filter(organization=self.organization, depth=0).order_by("path").first()


def scope_for(user, organization_slug: str) -> Scope:
    """The member's scope in the organisation, or Http404 when they are not a member."""
    if not user.is_authenticated:
        raise PermissionDenied("Log in first.")
    membership = (
        Membership.objects.select_related("organization", "unit", "user")
        .filter(user=user, organization__slug=organization_slug)
        .first()
    )
    if membership is None:
        raise Http404("No such organisation.")
    return scope_of(membership)


def scope_of(membership: Membership) -> Scope:
    """The scope a membership gives (what its holder sees), e.g. to ask who sees a unit."""
    unit = None if membership.role in WHOLE_ORGANISATION_ROLES else membership.unit
    return Scope(organization=membership.organization, membership=membership, unit=unit)


def memberships_of(user) -> QuerySet[Membership]:
    if not user.is_authenticated:
        return Membership.objects.none()
    return Membership.objects.filter(user=user).select_related("organization")


def org_view(*roles: str):
    """Decorate a view taking (request, scope, ...) from a URL with an `org` slug.

    Anonymous visitors are sent to log in; non-members get 404; members whose role is not
    in `roles` (when given) get 403.
    """

    def decorator(view):
        @functools.wraps(view)
        def wrapper(request, org: str, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            scope = scope_for(request.user, org)
            if roles:
                scope.require(*roles)
            request.scope = scope
            return view(request, scope, *args, **kwargs)

        return wrapper

    return decorator
