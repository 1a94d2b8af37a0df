"""Writes of recognition: keyword-only, validated before anything is written, one transaction
each; sensitive acts (spot bonuses, budgets, reports, hiding a post, redemptions, badges by
hand) are audited. A refused request raises `ValidationError` (or `PermissionDenied`) and
changes nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from djmoney.money import Money

from servicechain.notifications.services import notify
from servicechain.org.access import Role
from servicechain.org.models import Employee, Membership, Organization, Unit
from servicechain.org.services import audit_record, refuse_nul

from . import predicates, selectors
from .access import Viewer, active_q
from .achievements import KINDS
from .events import BADGE_EARNED, KUDOS_RECEIVED, POST_REPORTED, SPOT_BONUS, UNRECOGNISED_NUDGE
from .models import (
    MAX_COMMENT,
    MAX_MESSAGE,
    AchievementRule,
    AchievementRun,
    Award,
    Badge,
    CheckIn,
    Comment,
    CompanyValue,
    Goal,
    KeyResult,
    Kudos,
    KudosRecipient,
    PointsEntry,
    Reaction,
    RecognitionMonth,
    RecognitionMonthPerson,
    RecognitionSettings,
    Redemption,
    Report,
    SpotBonus,
    SpotBonusBudget,
)

logger = logging.getLogger(__name__)

MAX_POINTS_EACH = 10_000
MAX_KEY_RESULTS = 5
RECENT_DAYS = 30  # badges for evidence older than this are awarded quietly (a first run)


def clean_text(value, *, field: str, required: bool = True, limit: int = MAX_MESSAGE) -> str:
    """Text from a person: stripped, within `limit`, never a NUL byte (no database stores one)."""
    text = (value or "").strip() if isinstance(value, str) or value is None else None
    if text is None:
        raise ValidationError({field: "Write it as text."})
    refuse_nul(**{field: text})
    if required and not text:
        raise ValidationError({field: "This cannot be empty."})
    if len(text) > limit:
        raise ValidationError({field: f"Keep it to {limit} characters (it has {len(text)})."})
    return text


def _user_of(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


# --------------------------------------------------------------------------- settings


@transaction.atomic
def recognition_settings_update(
    *, organization: Organization, monthly_allowance: int, show_points: bool, actor=None
) -> RecognitionSettings:
    found = RecognitionSettings.objects.select_for_update().filter(organization=organization)
    settings = found.first() or RecognitionSettings(organization=organization)
    before = {"monthly_allowance": settings.monthly_allowance, "show_points": settings.show_points}
    settings.monthly_allowance = monthly_allowance
    settings.show_points = show_points
    settings.full_clean()
    settings.save()
    audit_record(
        action="recognition.settings_change",
        organization=organization,
        actor=actor,
        target=settings,
        detail={
            "before": before,
            "after": {"monthly_allowance": monthly_allowance, "show_points": show_points},
        },
    )
    return settings


# --------------------------------------------------------------------------- kudos


def _values(organization: Organization, values: Iterable) -> list[CompanyValue]:
    wanted = list(values or [])
    if not wanted:
        raise ValidationError({"values": "Tag it with at least one of the organisation's values."})
    active = {v.slug: v for v in selectors.active_values(organization)}
    by_pk = {v.pk: v for v in active.values()}
    chosen = []
    for item in wanted:
        if isinstance(item, CompanyValue):
            value = item if item.organization_id == organization.pk and item.active else None
        elif isinstance(item, int) and not isinstance(item, bool):
            value = by_pk.get(item)
        else:
            value = active.get(str(item).strip().lstrip("#"))
        if value is None:
            names = ", ".join(f"#{slug}" for slug in active) or "none yet"
            raise ValidationError({"values": f"Unknown value {item!r}; choose from {names}."})
        if value not in chosen:
            chosen.append(value)
    return chosen


def _recipients(
    *, giver: Employee, recipients: Sequence[Employee], team: Unit | None, today: dt.date
) -> list[Employee]:
    organization_id = giver.organization_id
    chosen: dict[int, Employee] = {}
    for person in recipients:
        if person.organization_id != organization_id:
            raise ValidationError({"recipients": "That person is not in this organisation."})
        if person.pk == giver.pk:
            raise ValidationError({"recipients": "You cannot recognise yourself."})
        if person.hire_date > today or (person.leave_date and person.leave_date < today):
            raise ValidationError(
                {"recipients": f"{person.full_name or person.external_id} does not work here now."}
            )
        chosen[person.pk] = person
    if team is not None:
        if team.organization_id != organization_id:
            raise ValidationError({"team": "That team is not in this organisation."})
        members = list(selectors.team_members(team, on=today).exclude(pk=giver.pk))
        if not members:
            raise ValidationError(
                {
                    "team": f"{team.name} has nobody of its own to credit (besides you); choose a team."
                }
            )
        for person in members:  # every member credited once, the announcer never
            chosen.setdefault(person.pk, person)
    if not chosen:
        raise ValidationError({"recipients": "Choose at least one colleague or a team."})
    return list(chosen.values())


def _points(value) -> int:
    if value is None or value == "":
        return 0
    whole = not isinstance(value, bool) and (
        isinstance(value, int)
        or (isinstance(value, float) and value.is_integer())
        or (isinstance(value, str) and value.strip().lstrip("-").isdigit())
    )
    if not whole:
        raise ValidationError({"points": "Points are a whole number."})
    points = int(value)
    if points < 0:
        raise ValidationError({"points": "Points cannot be negative."})
    if points > MAX_POINTS_EACH:
        raise ValidationError({"points": f"At most {MAX_POINTS_EACH:,} points per person."})
    return points


@transaction.atomic
def kudos_give(
    *,
    giver: Employee,
    message: str,
    values: Iterable,
    recipients: Sequence[Employee] = (),
    team: Unit | None = None,
    points: int = 0,
    visibility: str = Kudos.Visibility.ORGANISATION,
    actor=None,
) -> Kudos:
    """Recognise colleagues (or a whole team: every member credited once, never the giver)
    for one or more values, optionally with points from the giver's monthly allowance.

    Points are per person recognised; the total must fit in what is left of the allowance
    this month. The ledger gets one `GIVEN` entry for the giver and one `RECEIVED` entry
    per person. Recipients with a login are notified.
    """
    organization = giver.organization
    today = timezone.localdate()
    if giver.hire_date > today or (giver.leave_date and giver.leave_date < today):
        raise ValidationError({"giver": "Only current employees can give kudos."})
    message = clean_text(message, field="message")
    chosen_values = _values(organization, values)
    points = _points(points)
    if visibility not in Kudos.Visibility.values:
        raise ValidationError(
            {"visibility": f"Choose one of: {', '.join(Kudos.Visibility.values)}."}
        )
    people = _recipients(giver=giver, recipients=recipients, team=team, today=today)
    total = points * len(people)
    if total:
        # Lock the giver's row: two gifts at once cannot both spend the same allowance.
        Employee.objects.select_for_update().filter(pk=giver.pk).first()
        left = selectors.allowance_left(giver)
        if total > left:
            raise ValidationError(
                {
                    "points": f"You have {left} point{'s' if left != 1 else ''} left this month; "
                    f"{len(people)} × {points} needs {total}."
                }
            )
    now = timezone.now()
    kudos = Kudos.objects.create(
        organization=organization,
        giver=giver,
        team=team,
        message=message,
        visibility=visibility,
        points_each=points,
        created_at=now,
    )
    kudos.values.set(chosen_values)
    KudosRecipient.objects.bulk_create(
        KudosRecipient(kudos=kudos, employee=p, unit_id=p.unit_id, points=points, created_at=now)
        for p in people
    )
    if total:
        PointsEntry.objects.bulk_create(
            [
                PointsEntry(
                    organization=organization,
                    employee=giver,
                    kind=PointsEntry.Kind.GIVEN,
                    points=-total,
                    kudos=kudos,
                    created_at=now,
                ),
                *(
                    PointsEntry(
                        organization=organization,
                        employee=p,
                        kind=PointsEntry.Kind.RECEIVED,
                        points=points,
                        kudos=kudos,
                        created_at=now,
                    )
                    for p in people
                ),
            ]
        )
    value_names = ", ".join(v.name for v in chosen_values)
    notify(
        recipients=[p.user_id for p in people if p.user_id],
        event=KUDOS_RECEIVED.key,
        title=f"{giver.full_name} recognised "
        f"{'your team ' + team.name if team else 'you'} for {value_names}",
        body=message[:300],
        url=reverse("recognition:kudos", args=[organization.slug, kudos.pk]),
        organization=organization,
        actor=actor,
        key=f"kudos:{kudos.pk}",
    )
    return kudos


def _visible_to(viewer: Viewer, kudos: Kudos) -> Kudos:
    return selectors.kudos_of(viewer, kudos.pk)


@transaction.atomic
def reaction_toggle(*, viewer: Viewer, kudos: Kudos, kind: str, on: bool | None = None) -> bool:
    """Add or take back a reaction; returns whether it is now on."""
    kudos = _visible_to(viewer, kudos)
    if kind not in Reaction.Kind.values:
        raise ValidationError({"kind": f"Choose one of: {', '.join(Reaction.Kind.values)}."})
    existing = Reaction.objects.filter(kudos=kudos, user=viewer.user, kind=kind)
    want = (not existing.exists()) if on is None else on
    if want:
        Reaction.objects.get_or_create(kudos=kudos, user=viewer.user, kind=kind)
    else:
        existing.delete()
    return want


@transaction.atomic
def comment_add(*, viewer: Viewer, kudos: Kudos, text: str) -> Comment:
    kudos = _visible_to(viewer, kudos)
    text = clean_text(text, field="text", limit=MAX_COMMENT)
    return Comment.objects.create(kudos=kudos, author=viewer.user, text=text)


@transaction.atomic
def kudos_report(*, viewer: Viewer, kudos: Kudos, reason: str) -> Report:
    """Report a post to the admins (audited; each admin is notified)."""
    kudos = _visible_to(viewer, kudos)
    reason = clean_text(reason, field="reason", limit=MAX_COMMENT)
    report = Report.objects.create(kudos=kudos, reporter=viewer.user, reason=reason)
    audit_record(
        action="recognition.post_report",
        organization=kudos.organization,
        actor=viewer.user,
        target=kudos,
        detail={"report": report.pk},
    )
    admins = Membership.objects.filter(
        organization=kudos.organization, role=Role.ADMIN
    ).values_list("user_id", flat=True)
    notify(
        recipients=list(admins),
        event=POST_REPORTED.key,
        title="A recognition post was reported",
        body="Someone reported a post on the recognition feed; read it and decide in Moderation.",
        url=reverse("recognition:moderation", args=[kudos.organization.slug]),
        organization=kudos.organization,
        actor=viewer.user,
        key=f"report:{report.pk}",
    )
    return report


def _relist(kudos: Kudos) -> None:
    listed = kudos.hidden_at is None and kudos.recipients.filter(private=False).exists()
    Kudos.objects.filter(pk=kudos.pk).update(listed=listed)


@transaction.atomic
def kudos_make_private(*, viewer: Viewer, kudos: Kudos, private: bool = True) -> KudosRecipient:
    """A recipient makes their part of a post private (only they and the giver see it)."""
    me = viewer.employee
    row = (
        KudosRecipient.objects.select_for_update().filter(kudos=kudos, employee=me).first()
        if me
        else None
    )
    if row is None:
        raise PermissionDenied("Only a person recognised in the post can make it private.")
    row.private = private
    row.save(update_fields=["private"])
    _relist(kudos)
    return row


@transaction.atomic
def kudos_hide(*, viewer: Viewer, kudos: Kudos, reason: str) -> Kudos:
    """An admin hides a post from everyone (audited; open reports on it are closed).
    Points stay where they are: received points never expire."""
    if not predicates.moderates(viewer):
        raise PermissionDenied("Only an admin can hide a post.")
    reason = clean_text(reason, field="reason", limit=MAX_COMMENT)
    now = timezone.now()
    Kudos.objects.filter(pk=kudos.pk).update(
        hidden_at=now, hidden_by=viewer.user, hidden_reason=reason, listed=False
    )
    KudosRecipient.objects.filter(kudos=kudos).update(hidden=True)
    closed = Report.objects.filter(kudos=kudos, status=Report.Status.OPEN).update(
        status=Report.Status.HIDDEN, resolved_at=now, resolved_by=viewer.user
    )
    audit_record(
        action="recognition.post_hide",
        organization=kudos.organization,
        actor=viewer.user,
        target=kudos,
        detail={"reason": reason, "reports_closed": closed},
    )
    kudos.refresh_from_db()
    return kudos


@transaction.atomic
def report_dismiss(*, viewer: Viewer, report: Report) -> Report:
    if not predicates.moderates(viewer):
        raise PermissionDenied("Only an admin can decide on a report.")
    if report.status != Report.Status.OPEN:
        raise ValidationError("This report was already decided.")
    report.status = Report.Status.DISMISSED
    report.resolved_at = timezone.now()
    report.resolved_by = viewer.user
    report.save(update_fields=["status", "resolved_at", "resolved_by"])
    audit_record(
        action="recognition.report_dismiss",
        organization=viewer.organization,
        actor=viewer.user,
        target=report,
        detail={"kudos": report.kudos_id},
    )
    return report


# --------------------------------------------------------------------------- redemption


@transaction.atomic
def points_redeem_export(*, viewer: Viewer, minimum_points: int = 1) -> Redemption:
    """Export every balance of at least `minimum_points` for redemption: each becomes a
    `REDEEMED` ledger entry of the redemption, whose CSV a catalogue or payroll imports.
    Points are never money here."""
    if not predicates.exports_points(viewer):
        raise PermissionDenied("Only an admin can export points for redemption.")
    if (
        isinstance(minimum_points, bool)
        or not isinstance(minimum_points, int)
        or minimum_points < 1
    ):
        raise ValidationError({"minimum_points": "A whole number of points, at least 1."})
    organization = viewer.organization
    redemption = Redemption.objects.create(
        organization=organization, created_by=viewer.user, minimum_points=minimum_points
    )
    balances = selectors.redeemable_balances(organization, minimum=minimum_points)
    PointsEntry.objects.bulk_create(
        PointsEntry(
            organization=organization,
            employee_id=row["employee_id"],
            kind=PointsEntry.Kind.REDEEMED,
            points=-row["balance"],
            redemption=redemption,
        )
        for row in balances
    )
    Redemption.objects.filter(pk=redemption.pk).update(
        people=len(balances), points=sum(row["balance"] for row in balances)
    )
    audit_record(
        action="recognition.points_redeem",
        organization=organization,
        actor=viewer.user,
        target=redemption,
        detail={"people": len(balances), "minimum_points": minimum_points},
    )
    redemption.refresh_from_db()
    return redemption


# --------------------------------------------------------------------------- spot bonuses


def _money(amount, currency: str, *, field: str = "amount") -> Money:
    try:
        value = Decimal(str(amount).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({field: "Write the amount as a number, e.g. 150.00."}) from None
    if not value.is_finite():
        raise ValidationError({field: "Write the amount as a number, e.g. 150.00."})
    if value != value.quantize(Decimal("0.01")):
        raise ValidationError({field: "Amounts have at most two decimal places."})
    if value >= Decimal("10000000000"):
        raise ValidationError({field: "That amount is too large."})
    return Money(value.quantize(Decimal("0.01")), currency)


@transaction.atomic
def spot_bonus_budget_set(*, viewer: Viewer, manager, year: int, amount) -> SpotBonusBudget:
    """HR or an admin sets a manager's spot-bonus budget for a year (audited)."""
    if not predicates.sets_budgets(viewer):
        raise PermissionDenied("Only HR or an admin sets spot-bonus budgets.")
    organization = viewer.organization
    if not Membership.objects.filter(
        organization=organization, user=manager, role=Role.MANAGER
    ).exists():
        raise ValidationError({"manager": "Budgets are for members with the manager role."})
    if isinstance(year, bool) or not isinstance(year, int) or not 2000 <= year <= 2100:
        raise ValidationError({"year": "A year between 2000 and 2100."})
    money = _money(amount, organization.currency)
    if money.amount < 0:
        raise ValidationError({"amount": "A budget cannot be negative."})
    budget = (
        SpotBonusBudget.objects.select_for_update()
        .filter(organization=organization, manager=manager, year=year)
        .first()
    )
    before = str(budget.amount.amount) if budget else None
    if budget is None:
        budget = SpotBonusBudget(organization=organization, manager=manager, year=year)
    budget.amount = money
    budget.full_clean()
    budget.save()
    audit_record(
        action="recognition.budget_change",
        organization=organization,
        actor=viewer.user,
        target=budget,
        detail={
            "manager": manager.username,
            "year": year,
            "before": before,
            "after": str(money.amount),
            "currency": organization.currency,
        },
    )
    return budget


@transaction.atomic
def spot_bonus_nominate(*, viewer: Viewer, employee: Employee, amount, reason: str) -> SpotBonus:
    """A manager nominates someone they manage for a spot bonus within their budget for
    the year. Recorded now with its reason; the rewards app pays it (docs/recognition.md)."""
    if not predicates.nominates_spot_bonus(viewer, employee):
        raise PermissionDenied("Only a manager of this person can nominate them.")
    organization = viewer.organization
    money = _money(amount, organization.currency)
    if money.amount <= 0:
        raise ValidationError({"amount": "A spot bonus is more than zero."})
    reason = clean_text(reason, field="reason")
    # One nomination at a time per manager: the budget check and the write cannot interleave.
    Membership.objects.select_for_update().filter(pk=viewer.scope.membership.pk).first()
    status = selectors.budget_status(organization, viewer.user)
    if status.budget is None:
        raise ValidationError(
            {"amount": f"You have no spot-bonus budget for {status.year}; ask HR to set one."}
        )
    if money > status.left:
        raise ValidationError(
            {"amount": f"{status.left} of your {status.year} budget is left; {money} is more."}
        )
    bonus = SpotBonus.objects.create(
        organization=organization,
        manager=viewer.user,
        employee=employee,
        amount=money,
        reason=reason,
    )
    audit_record(
        action="recognition.spot_bonus_nominate",
        organization=organization,
        actor=viewer.user,
        target=bonus,
        detail={
            "employee": employee.external_id,
            "amount": str(money.amount),
            "currency": organization.currency,
        },
    )
    if employee.user_id:
        notify(
            recipients=[employee.user_id],
            event=SPOT_BONUS.key,
            title="Your manager nominated you for a spot bonus",
            body=reason[:300],
            url=reverse("recognition:me", args=[organization.slug]),
            organization=organization,
            actor=viewer.user,
            key=f"spot-bonus:{bonus.pk}",
        )
    return bonus


@transaction.atomic
def spot_bonus_cancel(*, viewer: Viewer, bonus: SpotBonus, reason: str) -> SpotBonus:
    """The nominating manager, HR or an admin cancels a bonus not yet paid (audited)."""
    allowed = predicates.reads_all_spot_bonuses(viewer) or bonus.manager_id == viewer.user.pk
    if not allowed:
        raise PermissionDenied("Only the nominating manager, HR or an admin can cancel it.")
    if bonus.status != SpotBonus.Status.NOMINATED:
        raise ValidationError(f"This bonus is {bonus.get_status_display().lower()} already.")
    bonus.status = SpotBonus.Status.CANCELLED
    bonus.cancelled_reason = clean_text(reason, field="reason")
    bonus.save(update_fields=["status", "cancelled_reason"])
    audit_record(
        action="recognition.spot_bonus_cancel",
        organization=bonus.organization,
        actor=viewer.user,
        target=bonus,
        detail={"reason": bonus.cancelled_reason},
    )
    return bonus


@transaction.atomic
def spot_bonus_mark_paid(*, bonus: SpotBonus, payout_reference: str, actor=None) -> SpotBonus:
    """For the rewards app's payout flow: a nominated bonus was paid (audited)."""
    bonus = SpotBonus.objects.select_for_update().get(pk=bonus.pk)
    if bonus.status != SpotBonus.Status.NOMINATED:
        raise ValidationError(f"Only a nominated bonus can be paid; this one is {bonus.status}.")
    bonus.status = SpotBonus.Status.PAID
    bonus.paid_at = timezone.now()
    bonus.payout_reference = clean_text(payout_reference, field="payout_reference", limit=100)
    bonus.save(update_fields=["status", "paid_at", "payout_reference"])
    audit_record(
        action="recognition.spot_bonus_paid",
        organization=bonus.organization,
        actor=actor,
        target=bonus,
        detail={"payout_reference": bonus.payout_reference},
    )
    return bonus


# --------------------------------------------------------------------------- goals


def _decimal(value, field: str) -> Decimal:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({field: "Write a number, e.g. 12 or 4.5."}) from None
    if not number.is_finite():
        raise ValidationError({field: "Write a number, e.g. 12 or 4.5."})
    if abs(number) >= Decimal("1e12"):
        raise ValidationError(
            {field: "Keep it between -999,999,999,999.99 and 999,999,999,999.99."}
        )
    if number != number.quantize(Decimal("0.01")):
        # stored to the hundredth: 0.004 would be kept as 0.00 without a word
        raise ValidationError({field: "Use at most two decimal places, e.g. 4.25."})
    return number.quantize(Decimal("0.01"))


def _can_own_goal(viewer: Viewer, *, employee: Employee | None, team: Unit | None) -> bool:
    if employee is not None:
        return (
            viewer.employee is not None and viewer.employee.pk == employee.pk
        ) or viewer.manages(employee)
    return viewer.role == Role.MANAGER and team is not None and team.is_within(viewer.scope.unit)


@transaction.atomic
def goal_create(
    *,
    viewer: Viewer,
    title: str,
    key_results: Sequence[dict],
    year: int,
    quarter: int,
    employee: Employee | None = None,
    team: Unit | None = None,
    description: str = "",
) -> Goal:
    """A quarterly goal for oneself, or (a manager) for someone they manage or a team,
    with 1-5 key results: {title, target, unit, start=0}."""
    if (employee is None) == (team is None):
        raise ValidationError({"employee": "A goal belongs to one person or one team."})
    if not _can_own_goal(viewer, employee=employee, team=team):
        raise PermissionDenied("You can set goals for yourself, and a manager for their people.")
    title = clean_text(title, field="title", limit=200)
    description = clean_text(description, field="description", required=False)
    if not isinstance(year, int) or not 2000 <= year <= 2100 or quarter not in (1, 2, 3, 4):
        raise ValidationError({"quarter": "A quarter of a year between 2000 and 2100."})
    results = [kr for kr in key_results if any(str(v or "").strip() for v in kr.values())]
    if not results:
        raise ValidationError({"key_results": "Add at least one key result with a target."})
    if len(results) > MAX_KEY_RESULTS:
        raise ValidationError({"key_results": f"At most {MAX_KEY_RESULTS} key results."})
    rows = []
    for number, kr in enumerate(results, start=1):
        where = f"key_results.{number}"
        start = _decimal(kr.get("start", 0) or 0, f"{where}.start")
        target = _decimal(kr.get("target"), f"{where}.target")
        if target == start:
            raise ValidationError({f"{where}.target": "The target must differ from the start."})
        rows.append(
            KeyResult(
                title=clean_text(kr.get("title"), field=f"{where}.title", limit=200),
                start=start,
                target=target,
                current=start,
                unit=clean_text(
                    kr.get("unit", ""), field=f"{where}.unit", required=False, limit=30
                ),
                order=number,
            )
        )
    goal = Goal.objects.create(
        organization=viewer.organization,
        year=year,
        quarter=quarter,
        title=title,
        description=description,
        employee=employee,
        team=team,
        created_by=viewer.user,
    )
    for row in rows:
        row.goal = goal
    KeyResult.objects.bulk_create(rows)
    return goal


@transaction.atomic
def goal_check_in(*, viewer: Viewer, goal: Goal, values: dict, comment: str = "") -> CheckIn:
    """Record progress: new current values of key results (by id) and a comment."""
    goal = selectors.goal_of(viewer, goal.pk)
    if goal.status != Goal.Status.OPEN:
        raise ValidationError("This goal's quarter is closed; it is archived with its score.")
    comment = clean_text(comment, field="comment", required=False, limit=MAX_COMMENT)
    results = {kr.pk: kr for kr in goal.key_results.select_for_update()}
    changed = {}
    for key, raw in (values or {}).items():
        try:
            kr = results[int(key)]
        except (KeyError, TypeError, ValueError):
            raise ValidationError(
                {"values": f"{key!r} is not a key result of this goal."}
            ) from None
        if raw in (None, ""):
            continue
        kr.current = _decimal(raw, f"values.{key}")
        changed[str(kr.pk)] = str(kr.current)
    if not changed and not comment:
        raise ValidationError({"values": "Give a new value or a comment."})
    KeyResult.objects.bulk_update(results.values(), ["current"])
    goal.refresh_from_db()
    return CheckIn.objects.create(
        goal=goal,
        author=viewer.user,
        comment=comment,
        values=changed,
        score=selectors.goal_score(goal),
    )


@transaction.atomic
def goals_close_quarter(*, viewer: Viewer, year: int, quarter: int) -> int:
    """Archive a quarter's open goals with their final score (a manager: the goals of the
    people and teams they manage; HR and admins: everyone's). Returns how many."""
    if not predicates.closes_quarters(viewer):
        raise PermissionDenied("Only managers, HR and admins close a quarter.")
    goals = Goal.objects.filter(
        organization=viewer.organization, year=year, quarter=quarter, status=Goal.Status.OPEN
    )
    if viewer.role == Role.MANAGER:
        path = viewer.scope.unit.path
        goals = goals.filter(
            Q(employee__unit__path__startswith=path) | Q(team__path__startswith=path)
        )
    now = timezone.now()
    # Lock the goals only: PostgreSQL refuses FOR UPDATE on the nullable side of the outer
    # joins the manager's filter needs (employee or team).
    closed = list(goals.select_for_update(of=("self",)).prefetch_related("key_results"))
    for goal in closed:
        goal.final_score = selectors.goal_score(goal)
        goal.status = Goal.Status.ARCHIVED
        goal.archived_at = now
    Goal.objects.bulk_update(closed, ["final_score", "status", "archived_at"])
    return len(closed)


# --------------------------------------------------------------------------- achievements


@transaction.atomic
def award_grant(*, viewer: Viewer, badge: Badge, employee: Employee, reason: str) -> Award:
    """A badge by hand: a manager for someone they manage, an admin for anyone (audited)."""
    if not predicates.awards_by_hand(viewer, employee):
        raise PermissionDenied("Only a manager of this person (or an admin) can award a badge.")
    if badge.organization_id != viewer.organization.pk:
        raise ValidationError({"badge": "No such badge in this organisation."})
    reason = clean_text(reason, field="reason")
    now = timezone.now()
    award = Award.objects.create(
        organization=viewer.organization,
        badge=badge,
        employee=employee,
        awarded_by=viewer.user,
        reason=reason,
        evidence=[{"label": "Awarded by hand", "when": now.isoformat(), "detail": reason}],
        occurred_at=now,
    )
    audit_record(
        action="recognition.award_by_hand",
        organization=viewer.organization,
        actor=viewer.user,
        target=award,
        detail={"badge": badge.slug, "employee": employee.external_id},
    )
    if employee.user_id:
        notify(
            recipients=[employee.user_id],
            event=BADGE_EARNED.key,
            title=f"You earned the badge {badge.symbol} {badge.name}",
            body=reason[:300],
            url=reverse("recognition:award", args=[viewer.organization.slug, award.pk]),
            organization=viewer.organization,
            actor=viewer.user,
            key=f"award:{award.pk}",
        )
    return award


def achievements_request(*, organization: Organization, actor=None) -> AchievementRun:
    """Queue a run of every active rule (the background task `tasks.run_achievements`)."""
    from .tasks import run_achievements

    run = AchievementRun.objects.create(organization=organization, requested_by=_user_of(actor))
    transaction.on_commit(lambda: run_achievements.enqueue(run.pk))
    return run


def achievements_evaluate(
    *, organization: Organization, run: AchievementRun | None = None, today: dt.date | None = None
) -> int:
    """Evaluate every active rule and award what is new; returns how many awards.

    Idempotent: each rule's candidates are matched against the awards that exist (badge,
    person, evidence key), only new evidence is awarded, and the unique constraint stops
    two runs at once from awarding it twice. Each rule is one transaction. People are told
    of badges whose evidence is recent (a first run over years of history stays quiet).
    """
    today = today or timezone.localdate()
    awarded = 0
    rules = AchievementRule.objects.filter(organization=organization, active=True).select_related(
        "badge"
    )
    for rule in rules:
        kind = KINDS.get(rule.kind)
        if kind is None:
            logger.warning("Achievement rule %s names an unknown kind %r", rule.pk, rule.kind)
            continue
        awarded += _evaluate_rule(rule, kind, run=run, today=today)
    return awarded


@transaction.atomic
def _evaluate_rule(rule: AchievementRule, kind, *, run, today: dt.date) -> int:
    organization = rule.organization
    candidates = {(c.employee_id, c.key): c for c in kind.find(organization, rule.threshold, today)}
    if not candidates:
        return 0
    existing = set(
        Award.objects.filter(badge=rule.badge, evidence_key__in={k for _, k in candidates})
        .values_list("employee_id", "evidence_key")
        .iterator()
    )
    new = [c for pair, c in candidates.items() if pair not in existing]
    if not new:
        return 0
    explained = kind.explain(organization, rule.threshold, new)
    now = timezone.now()
    Award.objects.bulk_create(
        [
            Award(
                organization=organization,
                badge=rule.badge,
                employee_id=c.employee_id,
                rule=rule,
                run=run,
                evidence_key=c.key,
                evidence=explained.get((c.employee_id, c.key), []),
                evidence_url=c.url,
                threshold=rule.threshold,
                occurred_at=c.occurred_at,
                awarded_at=now,
            )
            for c in new
        ],
        batch_size=1000,
        ignore_conflicts=True,  # a concurrent run awarded it first: still once
    )
    _notify_awards(rule, new, today=today)
    return len(new)


def _notify_awards(rule: AchievementRule, new, *, today: dt.date) -> None:
    recent = timezone.make_aware(
        dt.datetime.combine(today - dt.timedelta(days=RECENT_DAYS), dt.time())
    )
    users = dict(
        Employee.objects.filter(
            pk__in={c.employee_id for c in new}, user__isnull=False
        ).values_list("pk", "user_id")
    )
    by_key: dict[str, list[int]] = {}
    for c in new:
        if c.occurred_at >= recent and c.employee_id in users:
            by_key.setdefault(c.key, []).append(users[c.employee_id])
    organization = rule.organization
    badge = rule.badge
    for key, recipients in by_key.items():
        notify(
            recipients=recipients,
            event=BADGE_EARNED.key,
            title=f"You earned the badge {badge.symbol} {badge.name}",
            body=f"For {KINDS[rule.kind].describe(rule.threshold)}. See the evidence on your profile.",
            url=reverse("recognition:me", args=[organization.slug]),
            organization=organization,
            key=f"award:{badge.pk}:{key}",
        )


def achievement_rules_install(*, organization: Organization, thresholds: dict | None = None) -> int:
    """The starter badges and rules of an organisation (skipped when it has any rules)."""
    if AchievementRule.objects.filter(organization=organization).exists():
        return 0
    thresholds = thresholds or {}
    starters = [
        (
            "five-star-month",
            "Five-star month",
            "⭐",
            "Customers rated your service 5 of 5 again and again in one month.",
            "csat_five_star_month",
            None,
        ),
        (
            "customer-recovered",
            "Customer recovered",
            "🔁",
            "A customer who complained came back and rated you 4 or 5.",
            "customer_recovered",
            None,
        ),
        ("one-year", "One year with us", "🎂", "A year of service.", "tenure_years", 1),
        ("five-years", "Five years with us", "🏆", "Five years of service.", "tenure_years", 5),
        ("goal-met", "Goal met", "🎯", "A quarterly goal met in full.", "goal_met", None),
        (
            "above-and-beyond",
            "Above and beyond",
            "🌟",
            "Awarded by a manager for something that deserves a badge of its own.",
            None,
            None,
        ),
    ]
    created = 0
    with transaction.atomic():
        for slug, name, symbol, description, kind, fixed in starters:
            badge, _ = Badge.objects.get_or_create(
                organization=organization,
                slug=slug,
                defaults={"name": name, "symbol": symbol, "description": description},
            )
            if kind is None:
                continue
            threshold = fixed or thresholds.get(kind) or KINDS[kind].default_threshold
            AchievementRule.objects.create(
                organization=organization, badge=badge, kind=kind, threshold=threshold
            )
            created += 1
    return created


# --------------------------------------------------------------------------- nudges


def unrecognised_nudges_send(*, organization: Organization, today: dt.date | None = None) -> int:
    """Tell each manager, at most once a week, how many of their people nobody recognised
    in the last 60 days. Returns how many managers were told."""
    from servicechain.org.access import scope_of

    from .access import viewer_of

    today = today or timezone.localdate()
    year, week, _ = today.isocalendar()
    told = 0
    managers = Membership.objects.filter(
        organization=organization, role=Role.MANAGER, user__is_active=True
    ).select_related("organization", "unit", "user")
    for membership in managers:
        viewer = viewer_of(scope_of(membership))
        people = selectors.unrecognised(viewer, today=today)
        if not people:
            continue
        count = len(people)
        sent = notify(
            recipients=[membership.user_id],
            event=UNRECOGNISED_NUDGE.key,
            title=f"{count} {'person' if count == 1 else 'people'} in {membership.unit.name} "
            f"not recognised for {selectors.UNRECOGNISED_DAYS} days",
            body="Recognition spread lists them, longest first. A specific thank-you for "
            "something they did this week goes a long way.",
            url=reverse("recognition:fairness", args=[organization.slug]),
            organization=organization,
            key=f"nudge:{year}-W{week:02d}",
        )
        told += bool(sent)
    return told


def active_employee(organization: Organization, employee_id) -> Employee:
    """A current employee of the organisation, else a clear error (for recipients)."""
    today = timezone.localdate()
    try:
        pk = int(employee_id)
    except (TypeError, ValueError):
        raise ValidationError({"recipients": f"{employee_id!r} is not an employee id."}) from None
    person = (
        Employee.objects.filter(active_q(today), organization=organization, pk=pk)
        .select_related("unit")
        .first()
    )
    if person is None:
        raise ValidationError(
            {"recipients": f"No current colleague with id {pk} in this organisation."}
        )
    return person


def spread_publish(*, organization: Organization, today: dt.date | None = None) -> int:
    """Publish each of the spread's closed months not published yet, once: who was employed
    in it, in which unit, with the kudos they received (`selectors.month_people`). A
    published month is never recomputed. Returns how many months were published; the
    spread's page and API call it before reading."""
    today = today or timezone.localdate()
    firsts = selectors.spread_months(today)
    have = set(
        RecognitionMonth.objects.filter(organization=organization, month__in=firsts).values_list(
            "month", flat=True
        )
    )
    published = 0
    for first in (f for f in firsts if f not in have):
        people = selectors.month_people(organization, first)
        with transaction.atomic():
            month, created = RecognitionMonth.objects.get_or_create(
                organization=organization, month=first
            )
            if not created:
                continue
            RecognitionMonthPerson.objects.bulk_create(
                [
                    RecognitionMonthPerson(
                        published=month,
                        employee_id=int(row.employee),
                        unit_path=row.path,
                        received=int(row.received),
                        on_last_day=bool(row.on_last_day),
                        recognised_60=bool(row.recognised_60),
                    )
                    for row in people.itertuples()
                ],
                batch_size=5000,
            )
            published += 1
    return published
