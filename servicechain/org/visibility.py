"""What others can see about the signed-in person: the reads behind "What my manager can see".

Built from the code that decides it for every page, never from a copy of it:

* **who** sees the person: each member of the organisation whose `Scope` (`scope_of`) can see
  the person's unit, and for contact-centre agents whoever `contactcentre.access` lets see or
  plan their team (`can_see`, `can_plan`, `leads_of`);
* **what of the record** they read: the fields of the employee API (`api.EmployeeOut`), the
  one place managers, HR and administrators read employee records;
* **whether the person's groups are shown**: the published cells of the latest published
  wave the person was invited to (`surveys.selectors.cells`, `cell_of`, `withheld_text`),
  the cells the Engagement page and every results page read; a withheld cell has no count
  to show.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Q

from servicechain.contactcentre import access as cc_access
from servicechain.contactcentre.models import Agent
from servicechain.surveys.models import Invitation, Wave, WaveSnapshot
from servicechain.surveys.results import DIMENSIONS, RESPONDENTS
from servicechain.surveys.selectors import cell_of, cells, withheld_text

from .access import Role, Scope, scope_of
from .api import EmployeeOut
from .models import Employee, Membership, Unit

# How people call the employee API's fields (the API is what managers, HR and admins read).
FIELD_LABELS = {"id": "record number", "external_id": "employee id", "unit_id": "unit"}
MIN_GROUP_SIZE_FLOOR = 3  # `models.validate_min_group_size`


def record_fields() -> list[str]:
    """The fields of a person's record that managers, HR and admins can read, as words."""
    return [FIELD_LABELS.get(name, name.replace("_", " ")) for name in EmployeeOut.model_fields]


@dataclass
class Viewer:
    """One kind of person who can see something about you, who they are, and what."""

    key: str
    title: str
    people: list[str]
    sees: list[str]
    never: list[str] = field(default_factory=list)


@dataclass
class GroupState:
    """Whether one group of a published wave is shown, in words (never its count)."""

    key: str  # "unit:<id>" or "<dimension>:<category>:<unit id>"
    label: str
    shown: bool
    reason: str  # why withheld ("" when shown)


@dataclass
class GroupRow:
    unit: str
    relation: str  # "your unit" or "above your unit"
    everyone: GroupState
    by: list[GroupState | None]  # your category in this unit, by dimension (None: blank)


@dataclass
class PrivacyOverview:
    scope: Scope
    employee: Employee | None
    min_n: int
    default_min_n: int
    record_fields: list[str]
    viewers: list[Viewer]
    agent: Agent | None = None
    invitation: Invitation | None = None  # to the latest published wave
    wave_min_n: int | None = None
    groups: list[GroupRow] = field(default_factory=list)
    categories: dict[str, str] = field(default_factory=dict)  # dimension -> your category
    open_invitations: list[Invitation] = field(default_factory=list)

    @property
    def floor(self) -> int:
        return MIN_GROUP_SIZE_FLOOR

    @property
    def dimension_labels(self) -> list[str]:
        return list(DIMENSIONS.values())

    @property
    def attributes(self) -> list[tuple[str, str]]:
        """(dimension label, your category or "") as recorded on the invitation."""
        return [(label, self.categories.get(d, "")) for d, label in DIMENSIONS.items()]


def privacy_overview(scope: Scope) -> PrivacyOverview:
    """The signed-in person's privacy page: only ever about them."""
    organization = scope.organization
    employee = (
        Employee.objects.filter(user=scope.user, organization=organization)
        .select_related("unit")
        .first()
    )
    agent = cc_access.agent_of(scope)
    overview = PrivacyOverview(
        scope=scope,
        employee=employee,
        min_n=organization.min_group_size,
        default_min_n=settings.MIN_GROUP_SIZE,
        record_fields=record_fields(),
        viewers=viewers_of(scope, employee, agent),
        agent=agent,
    )
    if employee is not None:
        _add_groups(overview, employee)
        overview.open_invitations = list(
            Invitation.objects.filter(employee=employee, wave__status=Wave.Status.OPEN)
            .select_related("wave")
            .order_by("wave__closes_at")
        )
    return overview


# --------------------------------------------------------------------------- who sees what


def _name(membership: Membership) -> str:
    user = membership.user
    name = user.get_full_name() or user.get_username()
    return f"{name} ({membership.unit.name})" if membership.unit else name


def viewers_of(scope: Scope, employee: Employee | None, agent: Agent | None) -> list[Viewer]:
    """Each role that can see something of this person, from the scopes of its members.

    Someone without an employee record here (an HR analyst or administrator, say) has
    nothing others could read but their name on what they do."""
    if employee is None:
        return []
    unit = employee.unit
    # Every role that may see a unit, and the employees who might see this person's unit or
    # team; which of them do is `Scope`'s and `contactcentre.access`'s answer, below.
    nearby = [unit.pk] + ([agent.team.centre.unit_id] if agent is not None else [])
    memberships = list(
        Membership.objects.filter(organization=scope.organization)
        .filter(~Q(role=Role.EMPLOYEE) | Q(unit__in=nearby))
        .exclude(user=scope.user)
        .select_related("user", "unit", "organization")
        .order_by("user__last_name", "user__first_name", "user__username")
    )
    seeing: dict[str, list[Membership]] = {}
    for membership in memberships:
        if scope_of(membership).can_see_unit(unit):
            seeing.setdefault(membership.role, []).append(membership)
    min_n = scope.organization.min_group_size
    viewers = []
    titles = {
        Role.MANAGER: "Your managers (of your unit and the units above it)",
        Role.HR_ANALYST: "HR analysts (the whole organisation)",
        Role.ADMIN: "Administrators (the whole organisation)",
    }
    for role in (Role.MANAGER, Role.HR_ANALYST, Role.ADMIN):
        members = seeing.get(role, [])
        if not members:
            continue
        sees = _record_lines(employee) + _results_lines(min_n)
        if role != Role.MANAGER:
            sees.append(
                f"The reliability of each survey scale over a whole survey (at least {min_n} "
                "complete answers)"
            )
        sees += _agent_lines(agent, [scope_of(m) for m in members])
        viewers.append(
            Viewer(
                key=role,
                title=titles[role],
                people=[_name(m) for m in members],
                sees=sees,
                never=_never_lines(),
            )
        )
    if agent is not None:
        viewers.append(_team_lead(agent))
    viewers.append(_colleagues(unit, agent, memberships, min_n))
    return viewers


def _record_lines(employee: Employee) -> list[str]:
    return [
        "Your employee record: " + ", ".join(record_fields()),
        "The customer interactions you served (when, channel, customer, length), with your name",
        "Tasks of action plans given to you, and the progress notes you write on plans",
    ]


def _results_lines(min_n: int) -> list[str]:
    return [
        f"Survey results of groups of at least {min_n} people who answered, each score on the "
        f"people who answered that question; a smaller group shows “withheld”",
        f"Comments of groups of at least {min_n} who answered, without the name, unit details, "
        "tenure or job family of whoever wrote them, not in the order they were written",
        f"How many people of a unit answered a survey so far, only where at least {min_n} have",
    ]


def _never_lines() -> list[str]:
    return [
        "Your answers to any survey",
        "Whether you answered a survey or not",
        "Your e-mail address",
        "Your notifications",
    ]


def _agent_lines(agent: Agent | None, scopes: list[Scope]) -> list[str]:
    """What a role sees of an agent's contact-centre data: planners everything the lead
    sees, others the team's published days (`contactcentre.access`)."""
    if agent is None:
        return []
    if any(cc_access.can_plan(s, agent.team) for s in scopes):
        return _lead_lines(agent)
    if any(cc_access.can_see(s, agent.team) for s in scopes):
        return [f"{agent.team.name}'s published days: your name, shift, breaks and lunch"]
    return []


def _lead_lines(agent: Agent) -> list[str]:
    return [
        "Your contract and wishes: shift lengths, working days, earliest start and latest end, "
        "breaks, lunch, preferred lunch and start",
        f"{agent.team.name}'s published days: your shift, breaks and lunch, and when you "
        "started a break",
        "Your lunch and break move requests with your notes, to approve or decline",
    ]


def _team_lead(agent: Agent) -> Viewer:
    leads = cc_access.leads_of(agent.team)
    return Viewer(
        key="team_lead",
        title=f"Your team lead ({agent.team.name})",
        people=[u.get_full_name() or u.get_username() for u in leads],
        sees=_lead_lines(agent),
        never=["Your survey answers, or whether you answered", "Your notifications"],
    )


def _colleagues(unit: Unit, agent: Agent | None, memberships, min_n: int) -> Viewer:
    """Employees of your unit see what you see of it (gated results, plans shared with the
    team); those who may see an agent's team, its published days."""
    employees = [m for m in memberships if m.role == Role.EMPLOYEE]
    same_unit = [m for m in employees if scope_of(m).can_see_unit(unit)]
    sees = [
        f"Your unit's survey results and comments, through the same rule of {min_n}",
        "Action plans shared with the team, with the names of whoever a task is given to",
    ]
    team_mates = []
    if agent is not None:
        team_mates = [m for m in employees if cc_access.can_see(scope_of(m), agent.team)]
    if team_mates:
        sees.append(f"{agent.team.name}'s published days: your name, shift, breaks and lunch")
        sees.append("A lunch swap you ask them for")
    count = len({m.pk for m in same_unit + team_mates})
    return Viewer(
        key="colleagues",
        title="Colleagues",
        people=[f"{count} {'person' if count == 1 else 'people'} with a login"],
        sees=sees,
        never=[
            "Your employee record",
            "Your survey answers, or whether you answered",
            "Your notifications",
        ],
    )


# --------------------------------------------------------------------------- your groups


def latest_published_invitation(employee: Employee) -> Invitation | None:
    """The person's invitation to the newest wave whose results are published."""
    return (
        Invitation.objects.filter(
            employee=employee,
            wave__status=Wave.Status.CLOSED,
            wave__results_snapshot__state=WaveSnapshot.State.READY,
        )
        .select_related("wave__results_snapshot", "unit")
        .order_by("-wave__opens_at", "-wave__pk")
        .first()
    )


def _frozen_ancestry(snapshot: WaveSnapshot, unit_id: int) -> list[int]:
    """The unit and its ancestors, own unit first, in the tree frozen with the results."""
    for uid, _parent, path in snapshot.tree:
        if uid == unit_id:
            return list(reversed([int(s, 36) for s in path.split(".") if s]))
    unit = Unit.objects.get(pk=unit_id)
    return [unit_id, *reversed(unit.ancestor_ids())]


def _state(table: dict, key: str, label: str, unit_id: int, min_n: int) -> GroupState:
    cell = cell_of(table, unit_id, RESPONDENTS)
    return GroupState(
        key=key, label=label, shown=not cell.suppressed, reason=withheld_text(cell, min_n)
    )


def _add_groups(overview: PrivacyOverview, employee: Employee) -> None:
    invitation = latest_published_invitation(employee)
    if invitation is None:
        return
    snapshot = invitation.wave.results_snapshot
    min_n = snapshot.min_group_size
    ancestry = _frozen_ancestry(snapshot, invitation.unit_id)
    names = dict(Unit.objects.filter(pk__in=ancestry).values_list("pk", "name"))
    ancestry = [uid for uid in ancestry if uid in names]
    mine = {d: getattr(invitation, d) for d in DIMENSIONS}
    everyone = cells(snapshot, ancestry)
    by_dimension = {
        d: cells(snapshot, ancestry, dimension=d, category=c) if c else None
        for d, c in mine.items()
    }
    rows = []
    for uid in ancestry:
        name = names[uid]
        by = []
        for dimension, category in mine.items():
            table = by_dimension[dimension]
            label = f"{DIMENSIONS[dimension]} {category} in {name}"
            key = f"{dimension}:{category}:{uid}"
            by.append(None if table is None else _state(table, key, label, uid, min_n))
        rows.append(
            GroupRow(
                unit=name,
                relation="your unit" if uid == invitation.unit_id else "above your unit",
                everyone=_state(everyone, f"unit:{uid}", f"Everyone in {name}", uid, min_n),
                by=by,
            )
        )
    overview.invitation = invitation
    overview.wave_min_n = min_n
    overview.groups = rows
    overview.categories = mine
