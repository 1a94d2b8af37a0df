"""JSON API of recognition (`/api/docs`, tag *recognition*): the same selectors and services
as the pages, so what a member reads and may do is the same in both.

Deny by default: anonymous 401, non-members 404, a role that may not 403, anything a member
may not read 404 as if it did not exist; refused input 422 with the reason, nothing changed.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import slug_re
from django.http import Http404
from ninja import Router, Schema, Status
from pydantic import Field

from servicechain.org.access import scope_for
from servicechain.org.models import Membership, Unit

from . import predicates, selectors, services
from .access import Viewer, viewer_of
from .forms import quarter_of
from .models import Badge, Kudos

router = Router(tags=["recognition"])
BASE = "/orgs/{org}/recognition"


def _viewer(request, org: str) -> Viewer:
    return viewer_of(scope_for(request.user, org))


class ErrorOut(Schema):
    detail: str


class ValueOut(Schema):
    slug: str
    name: str
    description: str


class PersonOut(Schema):
    id: int
    name: str
    unit: str


class ReactionOut(Schema):
    kind: str
    count: int
    mine: bool


class KudosOut(Schema):
    id: int
    giver: PersonOut
    recipients: list[PersonOut]
    team: str | None
    values: list[str]
    message: str
    visibility: str
    points_each: int | None = Field(description="Null when the organisation hides amounts.")
    created_at: dt.datetime
    reactions: list[ReactionOut]
    comments: int
    private_for_me: bool


class FeedOut(Schema):
    kudos: list[KudosOut]
    next_cursor: str | None


class KudosIn(Schema):
    message: str = Field(max_length=4000)
    values: list[str] = Field(description="Value slugs, at least one.", max_length=20)
    recipients: list[int] = Field(default=[], description="Employee ids.", max_length=500)
    team_id: int | None = Field(default=None, description="A unit: every member credited.")
    points: int = Field(default=0, description="Points for each person, from your allowance.")
    visibility: str = Kudos.Visibility.ORGANISATION


class ReactionIn(Schema):
    kind: str


class TextIn(Schema):
    text: str = Field(max_length=4000)


class ReasonIn(Schema):
    reason: str = Field(max_length=4000)


class PrivateIn(Schema):
    private: bool = True


class AwardOut(Schema):
    id: int
    badge: str
    symbol: str
    occurred_at: dt.datetime
    by_hand: bool


class GoalSummaryOut(Schema):
    id: int
    title: str
    quarter: str
    team: str | None
    status: str
    score: Decimal


class BonusOut(Schema):
    id: int
    employee: PersonOut
    amount: Decimal
    currency: str
    reason: str
    status: str
    created_at: dt.datetime


class ProfileOut(Schema):
    person: PersonOut
    sections: list[str] = Field(description="What this profile shows to you.")
    kudos_received: list[KudosOut]
    kudos_given: list[KudosOut]
    awards: list[AwardOut]
    goals: list[GoalSummaryOut] | None
    allowance_left: int | None
    points_balance: int | None
    points_received: int | None
    spot_bonuses: list[BonusOut] | None


class SpreadRowOut(Schema):
    unit_id: int
    unit: str
    month: str
    people: int | None
    kudos_received: int | None
    people_recognised: int | None
    top_10_percent_share: float | None
    gini: float | None
    suppressed: bool


class UnrecognisedOut(Schema):
    employee: PersonOut
    last_recognised: dt.datetime | None


class SpreadOut(Schema):
    unit_id: int
    min_group_size: int
    rows: list[SpreadRowOut]
    unrecognised: list[UnrecognisedOut] | None = Field(
        description="A manager's own people not recognised in 60 days (managers only)."
    )


class BonusIn(Schema):
    employee_id: int
    amount: Decimal = Field(max_digits=14, decimal_places=2)
    reason: str = Field(max_length=4000)


class BudgetIn(Schema):
    manager_user_id: int
    year: int
    amount: Decimal = Field(max_digits=14, decimal_places=2)


class BudgetOut(Schema):
    manager_user_id: int
    year: int
    budget: Decimal | None
    committed: Decimal
    left: Decimal | None
    currency: str


class KeyResultIn(Schema):
    title: str = Field(max_length=400)
    target: Decimal = Field(max_digits=16, decimal_places=2)
    start: Decimal = Field(default=Decimal("0"), max_digits=16, decimal_places=2)
    unit: str = Field(default="", max_length=60)


class GoalIn(Schema):
    title: str = Field(max_length=400)
    description: str = Field(default="", max_length=4000)
    quarter: str = Field(description="e.g. 2026-Q3", max_length=10)
    employee_id: int | None = None
    team_id: int | None = None
    key_results: list[KeyResultIn] = Field(max_length=10)


class KeyResultOut(Schema):
    id: int
    title: str
    start: Decimal
    target: Decimal
    current: Decimal
    unit: str
    progress: float


class GoalOut(GoalSummaryOut):
    key_results: list[KeyResultOut]


class CheckInIn(Schema):
    values: dict[str, Decimal] = Field(default={}, description="Key result id → new value.")
    comment: str = Field(default="", max_length=4000)


class QuarterIn(Schema):
    quarter: str = Field(max_length=10)


class ClosedOut(Schema):
    archived: int


class AwardIn(Schema):
    badge: str = Field(description="Badge slug.", max_length=100)
    employee_id: int
    reason: str = Field(max_length=4000)


class RunOut(Schema):
    id: int
    status: str
    awarded: int


def _person(employee) -> dict:
    return {"id": employee.pk, "name": employee.full_name, "unit": employee.unit.name}


def _kudos(post) -> dict:
    k = post.kudos
    return {
        "id": k.pk,
        "giver": _person(k.giver),
        "recipients": [
            {"id": p.pk, "name": p.full_name, "unit": p.unit.name if p.unit_id else ""}
            for p in post.recipients
        ],
        "team": k.team.name if k.team_id else None,
        "values": [v.slug for v in post.values],
        "message": k.message,
        "visibility": k.visibility,
        "points_each": post.points_each,
        "created_at": k.created_at,
        "reactions": [
            {"kind": r["kind"], "count": r["count"], "mine": r["mine"]} for r in post.reactions
        ],
        "comments": post.comments,
        "private_for_me": post.private_for_me,
    }


def _goal(goal, *, full: bool = False) -> dict:
    out = {
        "id": goal.pk,
        "title": goal.title,
        "quarter": goal.quarter_label,
        "team": goal.team.name if goal.team_id else None,
        "status": goal.status,
        "score": goal.final_score if goal.final_score is not None else selectors.goal_score(goal),
    }
    if full:
        out["key_results"] = [
            {
                "id": kr.pk,
                "title": kr.title,
                "start": kr.start,
                "target": kr.target,
                "current": kr.current,
                "unit": kr.unit,
                "progress": selectors.key_result_progress(kr),
            }
            for kr in goal.key_results.all()
        ]
    return out


def _bonus(bonus) -> dict:
    return {
        "id": bonus.pk,
        "employee": _person(bonus.employee),
        "amount": bonus.amount.amount,
        "currency": str(bonus.amount.currency),
        "reason": bonus.reason,
        "status": bonus.status,
        "created_at": bonus.created_at,
    }


def _post(viewer, kudos_id) -> dict:
    return _kudos(selectors.posts(viewer, [selectors.kudos_of(viewer, kudos_id)])[0])


# --------------------------------------------------------------------------- kudos


@router.get(f"{BASE}/values", response=list[ValueOut], summary="The organisation's values")
def values(request, org: str):
    viewer = _viewer(request, org)
    return list(selectors.active_values(viewer.organization))


@router.get(f"{BASE}/feed", response=FeedOut, summary="My recognition feed, newest first")
def feed(request, org: str, before: str | None = None, limit: int = 20):
    viewer = _viewer(request, org)
    page = selectors.feed(viewer, cursor=before, limit=max(1, min(limit, 100)))
    return {"kudos": [_kudos(p) for p in page.posts], "next_cursor": page.next_cursor}


@router.post(
    f"{BASE}/kudos",
    response={201: KudosOut, 403: ErrorOut, 422: ErrorOut},
    summary="Recognise colleagues or a team",
)
def kudos_give(request, org: str, payload: KudosIn):
    viewer = _viewer(request, org)
    if not predicates.gives_kudos(viewer):
        raise PermissionDenied("Kudos are given by employees; your login has no employee record.")
    people = [services.active_employee(viewer.organization, pk) for pk in payload.recipients]
    team = None
    if payload.team_id is not None:
        team = Unit.objects.filter(organization=viewer.organization, pk=payload.team_id).first()
        if team is None:
            raise ValidationError({"team_id": f"No team with id {payload.team_id} here."})
    kudos = services.kudos_give(
        giver=viewer.employee,
        message=payload.message,
        values=payload.values,
        recipients=people,
        team=team,
        points=payload.points,
        visibility=payload.visibility,
        actor=request.user,
    )
    return Status(201, _post(viewer, kudos.pk))


@router.get(
    f"{BASE}/kudos/{{kudos_id}}", response={200: KudosOut, 404: ErrorOut}, summary="A kudos"
)
def kudos_detail(request, org: str, kudos_id: int):
    return _post(_viewer(request, org), kudos_id)


@router.post(
    f"{BASE}/kudos/{{kudos_id}}/reactions",
    response={200: KudosOut, 404: ErrorOut, 422: ErrorOut},
    summary="React to a kudos (again: take it back)",
)
def react(request, org: str, kudos_id: int, payload: ReactionIn):
    viewer = _viewer(request, org)
    kudos = selectors.kudos_of(viewer, kudos_id)
    services.reaction_toggle(viewer=viewer, kudos=kudos, kind=payload.kind, on=True)
    return _post(viewer, kudos_id)


@router.delete(
    f"{BASE}/kudos/{{kudos_id}}/reactions/{{kind}}",
    response={200: KudosOut, 404: ErrorOut, 422: ErrorOut},
    summary="Take back a reaction",
)
def unreact(request, org: str, kudos_id: int, kind: str):
    viewer = _viewer(request, org)
    kudos = selectors.kudos_of(viewer, kudos_id)
    services.reaction_toggle(viewer=viewer, kudos=kudos, kind=kind, on=False)
    return _post(viewer, kudos_id)


@router.post(
    f"{BASE}/kudos/{{kudos_id}}/comments",
    response={201: KudosOut, 404: ErrorOut, 422: ErrorOut},
    summary="Comment on a kudos",
)
def comment(request, org: str, kudos_id: int, payload: TextIn):
    viewer = _viewer(request, org)
    services.comment_add(
        viewer=viewer, kudos=selectors.kudos_of(viewer, kudos_id), text=payload.text
    )
    return Status(201, _post(viewer, kudos_id))


@router.post(
    f"{BASE}/kudos/{{kudos_id}}/report",
    response={201: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Report a kudos to the admins",
)
def report(request, org: str, kudos_id: int, payload: ReasonIn):
    viewer = _viewer(request, org)
    services.kudos_report(
        viewer=viewer, kudos=selectors.kudos_of(viewer, kudos_id), reason=payload.reason
    )
    return Status(201, {"detail": "Reported; the admins will look at it."})


@router.post(
    f"{BASE}/kudos/{{kudos_id}}/private",
    response={200: KudosOut, 403: ErrorOut, 404: ErrorOut},
    summary="Make my part of a kudos private (or public again)",
)
def make_private(request, org: str, kudos_id: int, payload: PrivateIn):
    viewer = _viewer(request, org)
    kudos = selectors.kudos_of(viewer, kudos_id)
    services.kudos_make_private(viewer=viewer, kudos=kudos, private=payload.private)
    return _post(viewer, kudos_id)


@router.post(
    f"{BASE}/kudos/{{kudos_id}}/hide",
    response={200: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Hide a kudos from everyone (admins)",
)
def hide(request, org: str, kudos_id: int, payload: ReasonIn):
    viewer = _viewer(request, org)
    if not predicates.moderates(viewer):
        raise PermissionDenied("Only an admin can hide a post.")
    kudos = selectors.kudos_for_moderation(viewer.organization, kudos_id)
    services.kudos_hide(viewer=viewer, kudos=kudos, reason=payload.reason)
    return {"detail": "Hidden."}


# --------------------------------------------------------------------------- people


@router.get(
    f"{BASE}/people/{{employee_id}}",
    response={200: ProfileOut, 404: ErrorOut},
    summary="A person's recognition, exactly as their profile page shows it to me",
)
def profile(request, org: str, employee_id: int):
    viewer = _viewer(request, org)
    result = selectors.profile(viewer, selectors.employee_of(viewer, employee_id))
    return {
        "person": _person(result.employee),
        "sections": result.sections,
        "kudos_received": [_kudos(p) for p in result.received],
        "kudos_given": [_kudos(p) for p in result.given],
        "awards": [
            {
                "id": a.pk,
                "badge": a.badge.name,
                "symbol": a.badge.symbol,
                "occurred_at": a.occurred_at,
                "by_hand": a.awarded_by_id is not None,
            }
            for a in result.awards
        ],
        "goals": None if result.goals is None else [_goal(g) for g in result.goals],
        "allowance_left": result.allowance_left,
        "points_balance": result.balance,
        "points_received": result.received_total,
        "spot_bonuses": None
        if result.spot_bonuses is None
        else [_bonus(b) for b in result.spot_bonuses],
    }


# --------------------------------------------------------------------------- fairness


@router.get(
    f"{BASE}/spread",
    response={200: SpreadOut, 403: ErrorOut, 404: ErrorOut},
    summary="How recognition is spread by unit and month (gated)",
)
def spread(request, org: str, unit_id: int | None = None):
    viewer = _viewer(request, org)
    if not predicates.sees_fairness(viewer):
        raise PermissionDenied("Managers, HR and admins read how recognition is spread.")
    services.spread_publish(organization=viewer.organization)
    result = selectors.recognition_spread(viewer, unit_id=unit_id)
    rows = [
        {
            "unit_id": int(row.unit),
            "unit": row.unit_name,
            "month": row.month.strftime("%Y-%m"),
            "people": selectors._int(row.people),
            "kudos_received": selectors._int(row.kudos),
            "people_recognised": selectors._int(row.recognised),
            "top_10_percent_share": selectors._float(row.top_share),
            "gini": selectors._float(row.gini),
            "suppressed": bool(row.suppressed),
        }
        for row in result.table.itertuples()
    ]
    unrecognised = None
    if predicates.is_manager(viewer):
        unrecognised = [
            {"employee": _person(r["employee"]), "last_recognised": r["last_recognised"]}
            for r in selectors.unrecognised(viewer)
        ]
    return {
        "unit_id": result.focus.pk,
        "min_group_size": result.min_n,
        "rows": rows,
        "unrecognised": unrecognised,
    }


# --------------------------------------------------------------------------- spot bonuses


@router.get(f"{BASE}/spot-bonuses", response=list[BonusOut], summary="Spot bonuses I may read")
def bonuses(request, org: str):
    viewer = _viewer(request, org)
    return [_bonus(b) for b in selectors.spot_bonuses(viewer)[:500]]


@router.post(
    f"{BASE}/spot-bonuses",
    response={201: BonusOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Nominate someone I manage for a spot bonus",
)
def bonus_nominate(request, org: str, payload: BonusIn):
    viewer = _viewer(request, org)
    person = selectors.employee_of(viewer, payload.employee_id)
    bonus = services.spot_bonus_nominate(
        viewer=viewer, employee=person, amount=payload.amount, reason=payload.reason
    )
    return Status(201, _bonus(bonus))


@router.put(
    f"{BASE}/spot-bonus-budgets",
    response={200: BudgetOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Set a manager's spot-bonus budget for a year (HR, admins)",
)
def budget_set(request, org: str, payload: BudgetIn):
    viewer = _viewer(request, org)
    if not predicates.sets_budgets(viewer):
        raise PermissionDenied("Only HR or an admin sets spot-bonus budgets.")
    membership = (
        Membership.objects.filter(organization=viewer.organization, user_id=payload.manager_user_id)
        .select_related("user")
        .first()
    )
    if membership is None:
        raise Http404("No such member.")
    services.spot_bonus_budget_set(
        viewer=viewer, manager=membership.user, year=payload.year, amount=payload.amount
    )
    status = selectors.budget_status(viewer.organization, membership.user, year=payload.year)
    return {
        "manager_user_id": membership.user_id,
        "year": status.year,
        "budget": status.budget.amount if status.budget else None,
        "committed": status.committed.amount,
        "left": status.left.amount if status.left else None,
        "currency": viewer.organization.currency,
    }


# --------------------------------------------------------------------------- goals


@router.get(f"{BASE}/goals", response=list[GoalOut], summary="Goals I may read, by quarter")
def goals(request, org: str, quarter: str | None = None):
    viewer = _viewer(request, org)
    year, number = selectors.parse_quarter(quarter)
    return [_goal(g, full=True) for g in selectors.goals_for(viewer, year=year, quarter=number)]


@router.post(
    f"{BASE}/goals",
    response={201: GoalOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Set a quarterly goal with key results",
)
def goal_create(request, org: str, payload: GoalIn):
    viewer = _viewer(request, org)
    year, quarter = quarter_of(payload.quarter)
    employee = selectors.employee_of(viewer, payload.employee_id) if payload.employee_id else None
    team = None
    if payload.team_id is not None:
        team = Unit.objects.filter(organization=viewer.organization, pk=payload.team_id).first()
        if team is None:
            raise Http404("No such team.")
    if employee is None and team is None and viewer.employee is not None:
        employee = viewer.employee
    goal = services.goal_create(
        viewer=viewer,
        title=payload.title,
        description=payload.description,
        year=year,
        quarter=quarter,
        employee=employee,
        team=team,
        key_results=[kr.dict() for kr in payload.key_results],
    )
    return Status(201, _goal(goal, full=True))


@router.get(f"{BASE}/goals/{{goal_id}}", response={200: GoalOut, 404: ErrorOut}, summary="A goal")
def goal_detail(request, org: str, goal_id: int):
    return _goal(selectors.goal_of(_viewer(request, org), goal_id), full=True)


@router.post(
    f"{BASE}/goals/{{goal_id}}/check-ins",
    response={201: GoalOut, 404: ErrorOut, 422: ErrorOut},
    summary="Check in progress on a goal",
)
def goal_check_in(request, org: str, goal_id: int, payload: CheckInIn):
    viewer = _viewer(request, org)
    goal = selectors.goal_of(viewer, goal_id)
    services.goal_check_in(viewer=viewer, goal=goal, values=payload.values, comment=payload.comment)
    return Status(201, _goal(selectors.goal_of(viewer, goal_id), full=True))


@router.post(
    f"{BASE}/quarters/close",
    response={200: ClosedOut, 403: ErrorOut, 422: ErrorOut},
    summary="Archive a quarter's goals with their final score",
)
def goals_close(request, org: str, payload: QuarterIn):
    viewer = _viewer(request, org)
    year, quarter = quarter_of(payload.quarter)
    return {"archived": services.goals_close_quarter(viewer=viewer, year=year, quarter=quarter)}


# --------------------------------------------------------------------------- achievements


@router.post(
    f"{BASE}/awards",
    response={201: AwardOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Award a badge by hand (a manager to their people, an admin)",
)
def award_grant(request, org: str, payload: AwardIn):
    viewer = _viewer(request, org)
    badge = None
    if slug_re.match(payload.badge):  # anything else names no badge (and a NUL no database takes)
        badge = Badge.objects.filter(organization=viewer.organization, slug=payload.badge).first()
    if badge is None:
        raise ValidationError({"badge": f"No badge {payload.badge!r} in this organisation."})
    person = selectors.employee_of(viewer, payload.employee_id)
    award = services.award_grant(viewer=viewer, badge=badge, employee=person, reason=payload.reason)
    return Status(
        201,
        {
            "id": award.pk,
            "badge": badge.name,
            "symbol": badge.symbol,
            "occurred_at": award.occurred_at,
            "by_hand": True,
        },
    )


@router.post(
    f"{BASE}/achievements/run",
    response={202: RunOut, 403: ErrorOut},
    summary="Run the achievement rules now (admins; a background task)",
)
def achievements_run(request, org: str):
    viewer = _viewer(request, org)
    if not predicates.runs_achievements(viewer):
        raise PermissionDenied("Only admins run the achievement rules.")
    run = services.achievements_request(organization=viewer.organization, actor=request.user)
    run.refresh_from_db()
    return Status(202, {"id": run.pk, "status": run.status, "awarded": run.awarded})
