"""Who may do what in a contact centre, on top of the organisation's scope.

Deny by default, one rule each:

* **see** a team (its day timeline and service level): whole-organisation roles, a manager
  whose subtree holds the centre, an employee of the centre's unit;
* **plan** and **lead** a team (imports, forecasts, schedules, intraday, approving moves):
  an administrator or a manager whose subtree holds the centre;
* **act as an agent**: the person's own Employee record is an active agent of the team.

A team outside the member's scope is reported as missing (404), as the organisation does.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from servicechain.org.access import Role, Scope
from servicechain.org.models import Membership

from .models import Agent, ContactCentre, Team

PLANNER_ROLES = (Role.ADMIN, Role.MANAGER)


def can_see(scope: Scope, team: Team) -> bool:
    return team.organization_id == scope.organization.pk and scope.can_see_unit(team.centre.unit)


def can_plan(scope: Scope, team: Team) -> bool:
    return can_see(scope, team) and scope.role in PLANNER_ROLES


can_lead = can_plan


def centres(scope: Scope):
    """Contact centres whose unit the member may see."""
    return ContactCentre.objects.filter(organization=scope.organization).filter(
        scope.unit_filter("unit")
    )


def teams(scope: Scope):
    return (
        Team.objects.filter(organization=scope.organization)
        .filter(scope.unit_filter("centre__unit"))
        .select_related("centre__unit", "lead")
    )


def get_team(scope: Scope, slug: str) -> Team:
    """A team the member may see, else 404 (never reveal other units' teams)."""
    team = teams(scope).filter(slug=slug).first()
    if team is None:
        raise Http404("No such team.")
    return team


def get_agent(scope: Scope, pk: int, team: Team | None = None) -> Agent:
    """An agent of a team the member may see (of ``team`` when given), else 404."""
    agents = Agent.objects.filter(pk=pk, team__organization=scope.organization)
    if team is not None:
        agents = agents.filter(team=team)
    agent = agents.select_related("team__centre__unit", "employee").first()
    if agent is None or not can_see(scope, agent.team):
        raise Http404("No such agent.")
    return agent


def require_planner(scope: Scope, team: Team) -> None:
    if not can_plan(scope, team):
        raise PermissionDenied("Only the centre's planners and team leads may do this.")


def agent_of(scope: Scope, team: Team | None = None) -> Agent | None:
    """The member's own agent record (in ``team`` when given), or None."""
    agents = Agent.objects.filter(
        employee__user=scope.user, employee__organization=scope.organization, active=True
    ).select_related("team__centre__unit", "employee")
    if team is not None:
        agents = agents.filter(team=team)
    return agents.first()


def require_agent(scope: Scope, team: Team | None = None) -> Agent:
    agent = agent_of(scope, team)
    if agent is None:
        raise PermissionDenied("Only the team's agents can plan their own breaks here.")
    return agent


# --------------------------------------------------------------------------- who leads a team


def leads_of(team: Team) -> list:
    """The people told when a move waits for the team lead.

    The team's named lead (`Team.lead`) when they have a login and may lead the team;
    otherwise the managers of the nearest unit at or above the centre (who may approve).
    """
    members = list(
        Membership.objects.filter(
            organization_id=team.organization_id, role__in=PLANNER_ROLES
        ).select_related("user", "unit")
    )
    centre_unit = team.centre.unit

    def may_lead(m: Membership) -> bool:
        return m.role == Role.ADMIN or centre_unit.is_within(m.unit)

    named = team.lead.user_id if team.lead_id and team.lead else None
    if named is not None:
        chosen = [m.user for m in members if m.user_id == named and may_lead(m)]
        if chosen:
            return chosen
    managers = [m for m in members if m.role == Role.MANAGER and may_lead(m)]
    if not managers:
        return []
    nearest = max(m.unit.depth for m in managers)
    return [m.user for m in managers if m.unit.depth == nearest]


def led_teams(scope: Scope) -> list[Team]:
    """Teams this member leads (see `leads_of`)."""
    if scope.role not in PLANNER_ROLES:
        return []
    return [
        team
        for team in teams(scope)
        if can_lead(scope, team) and any(u.pk == scope.user.pk for u in leads_of(team))
    ]


def is_agent(scope: Scope) -> bool:
    return agent_of(scope) is not None


def sees_a_team(scope: Scope) -> bool:
    return teams(scope).exists()
