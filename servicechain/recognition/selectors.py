"""Reads of recognition: feeds, profiles, allowances, fairness, goals, bonuses and awards.

Who sees a kudos (`visible_q`), in one place:

* everyone in the organisation, for an organisation-wide post;
* the recognised people's team — members of a recipient's unit and the managers above
  it — for a team-only post;
* always the giver and the people recognised, and nobody else for a private post;
* a recipient who made theirs private is shown only to themselves and the giver (a post
  whose recipients all did so leaves the feeds); a post an admin hid is shown to nobody
  (admins read it in moderation).

Fairness tables aggregate people, so they pass the anonymity gate
(`servicechain.analytics.anonymity.suppress`) before anyone reads them: a unit of fewer
than the organisation's minimum group size shows no figures, nor one whose figures could
be worked out by subtracting its shown neighbours from its parent.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
import pandas as pd
from django.db.models import Count, Exists, F, Max, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.http import Http404
from django.utils import timezone
from djmoney.money import Money

from servicechain.analytics import anonymity
from servicechain.analytics.concentration import gini, top_share
from servicechain.org.access import Role, Scope
from servicechain.org.models import Employee, Organization, Unit

from . import predicates
from .access import Viewer, active_q
from .models import (
    AchievementRule,
    AchievementRun,
    Award,
    Badge,
    CompanyValue,
    Goal,
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

FEED_PAGE = 20
UNRECOGNISED_DAYS = 60
SPREAD_MONTHS = 12
TOP_FRACTION = 0.1


# --------------------------------------------------------------------------- settings, values


def settings_of(organization: Organization) -> RecognitionSettings:
    """The organisation's settings (the defaults, unsaved, until an admin saves some)."""
    found = RecognitionSettings.objects.filter(organization=organization).first()
    return found or RecognitionSettings(organization=organization)


def active_values(organization: Organization) -> QuerySet[CompanyValue]:
    return CompanyValue.objects.filter(organization=organization, active=True)


# --------------------------------------------------------------------------- points


def month_start(on: dt.datetime | None = None) -> dt.datetime:
    """The first instant of the month of `on` (local time): when the allowance reset."""
    local = timezone.localtime(on or timezone.now())
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def allowance_left(employee: Employee, *, on: dt.datetime | None = None) -> int:
    """The monthly allowance minus what was given since the 1st (never carried over)."""
    allowance = settings_of(employee.organization).monthly_allowance
    start = month_start(on)
    spent = PointsEntry.objects.filter(
        employee=employee, kind=PointsEntry.Kind.GIVEN, created_at__gte=start
    ).aggregate(total=Sum("points"))["total"]
    return max(0, allowance + (spent or 0))


def points_received(employee: Employee) -> int:
    """Everything ever received (received points never expire)."""
    total = PointsEntry.objects.filter(employee=employee, kind=PointsEntry.Kind.RECEIVED).aggregate(
        total=Sum("points")
    )["total"]
    return total or 0


def points_balance(employee: Employee) -> int:
    """Received points not yet exported for redemption: the sum of their ledger entries."""
    total = PointsEntry.objects.filter(
        employee=employee, kind__in=[PointsEntry.Kind.RECEIVED, PointsEntry.Kind.REDEEMED]
    ).aggregate(total=Sum("points"))["total"]
    return total or 0


def redeemable_balances(organization: Organization, *, minimum: int = 1) -> list[dict]:
    """Each person's balance of received points not yet redeemed, at least `minimum`."""
    rows = (
        PointsEntry.objects.filter(
            organization=organization,
            kind__in=[PointsEntry.Kind.RECEIVED, PointsEntry.Kind.REDEEMED],
        )
        .values("employee_id")
        .annotate(balance=Sum("points"))
        .filter(balance__gte=max(1, minimum))
        .order_by("employee_id")
    )
    return list(rows)


def redemption_rows(redemption: Redemption) -> list[dict]:
    """The CSV of one redemption: who, how many points (a catalogue or payroll imports it)."""
    entries = redemption.entries.select_related("employee", "employee__unit").order_by(
        "employee__external_id"
    )
    return [
        {
            "employee_id": e.employee.external_id,
            "first_name": e.employee.first_name,
            "last_name": e.employee.last_name,
            "email": e.employee.email,
            "unit": e.employee.unit.name,
            "points": -e.points,
            "redemption": redemption.pk,
            "exported_at": redemption.created_at.isoformat(),
        }
        for e in entries
    ]


def redemptions(organization: Organization) -> QuerySet[Redemption]:
    return Redemption.objects.filter(organization=organization).select_related("created_by")


# --------------------------------------------------------------------------- who sees a kudos


def visible_q(viewer: Viewer) -> Q:
    """Kudos this member may read (see the module docstring)."""
    q = Q(visibility=Kudos.Visibility.ORGANISATION, listed=True)
    team = KudosRecipient.objects.filter(
        kudos=OuterRef("pk"), unit_id__in=viewer.team_unit_ids, private=False
    )
    q |= Q(Exists(team), visibility=Kudos.Visibility.TEAM)
    me = viewer.employee
    if me is not None:
        q |= Q(giver=me) | Q(
            Exists(KudosRecipient.objects.filter(kudos=OuterRef("pk"), employee=me))
        )
    return Q(organization=viewer.organization, hidden_at__isnull=True) & q


def kudos_of(viewer: Viewer, kudos_id) -> Kudos:
    """A kudos the member may read, else 404 (never revealing that it exists)."""
    try:
        kudos_id = int(kudos_id)
    except (TypeError, ValueError):
        raise Http404("No such post.") from None
    kudos = (
        Kudos.objects.filter(visible_q(viewer), pk=kudos_id)
        .select_related("giver", "giver__unit", "team", "organization")
        .first()
    )
    if kudos is None:
        raise Http404("No such post.")
    return kudos


def kudos_for_moderation(organization: Organization, kudos_id) -> Kudos:
    try:
        return Kudos.objects.select_related("giver", "team").get(
            organization=organization, pk=int(kudos_id)
        )
    except (Kudos.DoesNotExist, TypeError, ValueError):
        raise Http404("No such post.") from None


@dataclass
class Post:
    """A kudos as one member reads it."""

    kudos: Kudos
    recipients: list[Employee]
    values: list[CompanyValue]
    points_each: int | None  # None when amounts are hidden
    reactions: list[dict]
    comments: int
    mine: bool  # the member gave it
    received: bool  # the member is one of the people recognised
    private_for_me: bool  # the member received it and made theirs private

    @property
    def pk(self) -> int:
        return self.kudos.pk


def posts(viewer: Viewer, kudos: list[Kudos]) -> list[Post]:
    """Decorate kudos for reading: shown recipients, values, reactions, comment counts."""
    if not kudos:
        return []
    ids = [k.pk for k in kudos]
    me = viewer.employee
    by_kudos: dict[int, list[KudosRecipient]] = {}
    for row in (
        KudosRecipient.objects.filter(kudos_id__in=ids)
        .select_related("employee", "employee__unit")
        .order_by("employee__last_name", "employee__first_name")
    ):
        by_kudos.setdefault(row.kudos_id, []).append(row)
    values: dict[int, list[CompanyValue]] = {}
    for link in Kudos.values.through.objects.filter(kudos_id__in=ids).select_related(
        "companyvalue"
    ):
        values.setdefault(link.kudos_id, []).append(link.companyvalue)
    counts: dict[int, dict[str, int]] = {}
    for row in (
        Reaction.objects.filter(kudos_id__in=ids).values("kudos_id", "kind").annotate(n=Count("id"))
    ):
        counts.setdefault(row["kudos_id"], {})[row["kind"]] = row["n"]
    mine_reactions = set(
        Reaction.objects.filter(kudos_id__in=ids, user=viewer.user).values_list("kudos_id", "kind")
    )
    comments = dict(
        Kudos.objects.filter(pk__in=ids).annotate(n=Count("comments")).values_list("pk", "n")
    )
    show_points = settings_of(viewer.organization).show_points
    out = []
    for k in kudos:
        rows = by_kudos.get(k.pk, [])
        gave = me is not None and k.giver_id == me.pk
        mine = next((r for r in rows if me is not None and r.employee_id == me.pk), None)
        shown = [r.employee for r in rows if not r.private or gave or r is mine]
        out.append(
            Post(
                kudos=k,
                recipients=shown,
                values=sorted(values.get(k.pk, []), key=lambda v: (v.order, v.name)),
                points_each=k.points_each if show_points else None,
                reactions=[
                    {
                        "kind": kind,
                        "label": label,
                        "count": counts.get(k.pk, {}).get(kind, 0),
                        "mine": (k.pk, kind) in mine_reactions,
                    }
                    for kind, label in Reaction.Kind.choices
                ],
                comments=comments.get(k.pk, 0),
                mine=gave,
                received=mine is not None,
                private_for_me=bool(mine and mine.private),
            )
        )
    return out


@dataclass
class FeedPage:
    posts: list[Post]
    next_cursor: str | None


def parse_cursor(cursor: str | None) -> tuple[dt.datetime, int] | None:
    """`<ISO time>_<id>` of the last post shown, else None; a bad cursor starts over."""
    if not cursor:
        return None
    try:
        when, _, pk = cursor.rpartition("_")
        moment = dt.datetime.fromisoformat(when)
        if timezone.is_naive(moment):
            return None
        return moment, int(pk)
    except (TypeError, ValueError):
        return None


def _before(queryset: QuerySet, cursor, time_field: str, id_field: str) -> QuerySet:
    if cursor is None:
        return queryset
    moment, pk = cursor
    return queryset.filter(
        Q(**{f"{time_field}__lt": moment}) | Q(**{time_field: moment, f"{id_field}__lt": pk})
    )


def feed(viewer: Viewer, *, cursor: str | None = None, limit: int = FEED_PAGE) -> FeedPage:
    """The member's feed, newest first: organisation-wide posts, their team's team-only
    posts, and everything they gave or received.

    Each source is read newest-first through its own index and the first `limit` of their
    union kept, so the page costs a few index scans however many posts exist.
    """
    limit = max(1, min(int(limit), 100))
    position = parse_cursor(cursor)
    organization = viewer.organization
    sources = [
        Kudos.objects.filter(
            organization=organization, visibility=Kudos.Visibility.ORGANISATION, listed=True
        )
    ]
    heads: dict[int, tuple] = {}
    if viewer.team_unit_ids:
        # Read newest-first through the recipients' (unit, time) index, not the posts'.
        team = KudosRecipient.objects.filter(
            unit_id__in=viewer.team_unit_ids,
            private=False,
            hidden=False,
            kudos__visibility=Kudos.Visibility.TEAM,
        )
        team = _before(team, position, "created_at", "kudos_id").order_by("-created_at", "-kudos")
        for pk, created in team.values_list("kudos_id", "created_at")[: 3 * (limit + 1)]:
            heads[pk] = (created, pk)
    me = viewer.employee
    if me is not None:
        sources.append(Kudos.objects.filter(giver=me, hidden_at__isnull=True))
        received = KudosRecipient.objects.filter(employee=me, hidden=False)
        received = _before(received, position, "created_at", "kudos_id")
        received_ids = list(
            received.order_by("-created_at", "-kudos_id").values_list("kudos_id", flat=True)[
                : limit + 1
            ]
        )
        sources.append(Kudos.objects.filter(pk__in=received_ids))
    for source in sources:
        rows = _before(source, position, "created_at", "pk").order_by("-created_at", "-pk")
        for pk, created in rows.values_list("pk", "created_at")[: limit + 1]:
            heads[pk] = (created, pk)
    ordered = sorted(heads.values(), reverse=True)
    page, more = ordered[:limit], len(ordered) > limit
    by_pk = Kudos.objects.select_related("giver", "giver__unit", "team").in_bulk(
        [pk for _, pk in page]
    )
    kudos = [by_pk[pk] for _, pk in page if pk in by_pk]
    next_cursor = f"{page[-1][0].isoformat()}_{page[-1][1]}" if more and page else None
    return FeedPage(posts=posts(viewer, kudos), next_cursor=next_cursor)


def comments_of(kudos: Kudos):
    return kudos.comments.select_related("author", "author__employee")


def reactions_of(kudos: Kudos) -> list[dict]:
    rows = (
        Reaction.objects.filter(kudos=kudos)
        .select_related("user", "user__employee")
        .order_by("kind", "created_at")
    )
    return [
        {
            "kind": r.kind,
            "label": r.get_kind_display(),
            "who": getattr(getattr(r.user, "employee", None), "full_name", "")
            or r.user.get_full_name()
            or r.user.username,
        }
        for r in rows
    ]


# --------------------------------------------------------------------------- people


def employee_of(viewer: Viewer, employee_id) -> Employee:
    """A person of the organisation (any member may open a colleague's profile)."""
    try:
        return Employee.objects.select_related("unit").get(
            organization=viewer.organization, pk=int(employee_id)
        )
    except (Employee.DoesNotExist, TypeError, ValueError):
        raise Http404("No such person.") from None


def colleagues(viewer: Viewer, *, query: str = "", limit: int = 12) -> list[Employee]:
    """People one may recognise: current employees matching `query`, never oneself."""
    today = timezone.localdate()
    people = Employee.objects.filter(active_q(today), organization=viewer.organization)
    if viewer.employee is not None:
        people = people.exclude(pk=viewer.employee.pk)
    words = query.split()[:3]
    if not words:
        return []
    for word in words:
        people = people.filter(Q(first_name__istartswith=word) | Q(last_name__istartswith=word))
    return list(people.select_related("unit").order_by("last_name", "first_name")[:limit])


def teammates(viewer: Viewer) -> list[Employee]:
    """The member's own unit's current people (the usual people to recognise)."""
    if viewer.employee is None:
        return []
    today = timezone.localdate()
    return list(
        Employee.objects.filter(active_q(today), unit_id=viewer.employee.unit_id)
        .exclude(pk=viewer.employee.pk)
        .order_by("last_name", "first_name")
    )


def recognisable_teams(viewer: Viewer) -> QuerySet[Unit]:
    """Units with people of their own: a whole team can be recognised."""
    today = timezone.localdate()
    staffed = Employee.objects.filter(active_q(today), unit=OuterRef("pk"))
    return Unit.objects.filter(Exists(staffed), organization=viewer.organization).order_by("path")


def team_members(team: Unit, *, on: dt.date | None = None) -> QuerySet[Employee]:
    """A team's current members (its own people: a team kudos credits each of them)."""
    return Employee.objects.filter(active_q(on or timezone.localdate()), unit=team)


@dataclass
class Profile:
    """One person's recognition page exactly as one member may read it."""

    employee: Employee
    is_self: bool
    received: list[Post]
    given: list[Post]
    awards: list[Award]
    goals: list[Goal] | None  # None: not shown to this member
    allowance_left: int | None  # None: not shown (only the person sees their own)
    balance: int | None
    received_total: int | None
    spot_bonuses: list[SpotBonus] | None
    sees_evidence: bool
    can_award: bool
    can_nominate: bool
    sections: list[str] = field(default_factory=list)


def profile(viewer: Viewer, employee: Employee, *, limit: int = 10) -> Profile:
    """What a member sees of someone's recognition (pages and the API read this)."""
    me = viewer.employee
    is_self = me is not None and me.pk == employee.pk
    visible = Kudos.objects.filter(visible_q(viewer))
    received_rows = KudosRecipient.objects.filter(employee=employee, hidden=False)
    if not is_self:
        received_rows = received_rows.filter(
            Q(private=False) | Q(kudos__giver=me) if me else Q(private=False)
        )
    received = list(
        visible.filter(pk__in=received_rows.values("kudos_id"))
        .select_related("giver", "giver__unit", "team")
        .order_by("-created_at", "-pk")[:limit]
    )
    given = list(
        visible.filter(giver=employee)
        .select_related("giver", "giver__unit", "team")
        .order_by("-created_at", "-pk")[:limit]
    )
    manager = viewer.manages(employee)
    sees_goals = is_self or manager
    sees_evidence = is_self or manager or viewer.role in (Role.ADMIN, Role.HR_ANALYST)
    result = Profile(
        employee=employee,
        is_self=is_self,
        received=posts(viewer, received),
        given=posts(viewer, given),
        awards=list(
            Award.objects.filter(employee=employee).select_related("badge").order_by("-awarded_at")
        ),
        goals=goals_of_person(employee) if sees_goals else None,
        allowance_left=allowance_left(employee) if is_self else None,
        balance=points_balance(employee) if is_self else None,
        received_total=points_received(employee) if is_self else None,
        spot_bonuses=list(employee.spot_bonuses.order_by("-created_at")) if is_self else None,
        sees_evidence=sees_evidence,
        can_award=predicates.awards_by_hand(viewer, employee),
        can_nominate=predicates.nominates_spot_bonus(viewer, employee),
    )
    result.sections = [
        name
        for name, shown in (
            ("kudos_received", True),
            ("kudos_given", True),
            ("achievements", True),
            ("goals", result.goals is not None),
            ("allowance", result.allowance_left is not None),
            ("spot_bonuses", result.spot_bonuses is not None),
        )
        if shown
    ]
    return result


# --------------------------------------------------------------------------- fairness


def _month_floor(day: dt.date) -> dt.date:
    return day.replace(day=1)


def months_back(today: dt.date, count: int) -> list[dt.date]:
    """The first days of the last `count` months, oldest first, this month included."""
    first = _month_floor(today)
    out = []
    for _ in range(count):
        out.append(first)
        first = _month_floor(first - dt.timedelta(days=1))
    return out[::-1]


def _month_end(first: dt.date) -> dt.date:
    return (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)


def unrecognised(viewer: Viewer, *, today: dt.date | None = None, days: int = UNRECOGNISED_DAYS):
    """The people a manager manages who nobody recognised in the last `days` days, longest
    unrecognised first (never recognised at the top). Names: for their manager only."""
    if not predicates.is_manager(viewer):
        return []
    today = today or timezone.localdate()
    since = timezone.make_aware(dt.datetime.combine(today - dt.timedelta(days=days), dt.time()))
    people = (
        viewer.managed_employees()
        .filter(active_q(today))
        .annotate(
            last_recognised=Max(
                "kudos_received__created_at", filter=Q(kudos_received__hidden=False)
            )
        )
        .filter(Q(last_recognised__isnull=True) | Q(last_recognised__lt=since))
        .select_related("unit")
        .order_by(F("last_recognised").asc(nulls_first=True), "last_name", "first_name")
    )
    return [
        {
            "employee": person,
            "last_recognised": person.last_recognised,
            "new_starter": (today - person.hire_date).days < days,
        }
        for person in people
    ]


def unrecognised_count(viewer: Viewer, *, today: dt.date | None = None) -> int:
    return len(unrecognised(viewer, today=today))


@dataclass
class Spread:
    """How recognition is spread over a unit and the units below it, month by month,
    gated: a withheld cell has no figures (`suppressed`)."""

    focus: Unit
    units: list[Unit]
    months: list[dt.date]
    table: (
        pd.DataFrame
    )  # unit, unit_name, month, people, kudos, recognised, top_share, gini, suppressed
    now: pd.DataFrame  # unit, unit_name, people, unrecognised, unrecognised_share, suppressed
    min_n: int

    def latest(self) -> list[dict]:
        """One row per unit: the last closed month, and the 60-day picture at its end."""
        month = self.months[-1]
        last = self.table[self.table["month"] == month].set_index("unit")
        now = self.now.set_index("unit")
        rows = []
        for unit in self.units:
            m, n = last.loc[unit.pk], now.loc[unit.pk]
            rows.append(
                {
                    "unit": unit,
                    "month": month,
                    "people": _int(n["people"]),
                    "unrecognised": _int(n["unrecognised"]),
                    "unrecognised_share": _float(n["unrecognised_share"]),
                    "now_suppressed": bool(n["suppressed"]),
                    "kudos": _int(m["kudos"]),
                    "recognised": _int(m["recognised"]),
                    "top_share": _float(m["top_share"]),
                    "gini": _float(m["gini"]),
                    "month_people": _int(m["people"]),
                    "suppressed": bool(m["suppressed"]),
                }
            )
        return rows

    def records(self) -> list[dict]:
        """Every unit × month (the CSV): withheld cells stay empty with a reason."""
        out = []
        for row in self.table.itertuples():
            out.append(
                {
                    "unit": row.unit_name,
                    "month": row.month.strftime("%Y-%m"),
                    "people": _int(row.people),
                    "kudos_received": _int(row.kudos),
                    "people_recognised": _int(row.recognised),
                    "top_10_percent_share": _float(row.top_share),
                    "gini": _float(row.gini),
                    "withheld": (
                        f"fewer than {self.min_n} people, or recoverable from the units shown"
                        if row.suppressed
                        else ""
                    ),
                }
            )
        return out


def _int(value) -> int | None:
    return None if value is None or pd.isna(value) else int(value)


def _float(value) -> float | None:
    if value is None or pd.isna(value):
        return None
    value = float(value)
    return None if math.isnan(value) else value


def spread_units(viewer: Viewer, unit_id=None) -> tuple[Unit, list[Unit]]:
    """The unit a spread is about (a manager: within their subtree; HR and admins: any)
    and the rows it shows: the unit, then its children."""
    if not predicates.sees_fairness(viewer):
        raise Http404("No such page.")
    scope: Scope = viewer.scope
    if unit_id in (None, ""):
        focus = scope.root_unit
        if focus is None:
            raise Http404("This organisation has no units yet.")
    else:
        focus = scope.get_unit(unit_id)
    children = list(Unit.objects.filter(parent=focus).order_by("path"))
    return focus, [focus, *children]


def recognition_spread(
    viewer: Viewer, *, unit_id=None, today: dt.date | None = None, months: int = SPREAD_MONTHS
) -> Spread:
    """Kudos received per person in the unit and each unit below it, month by month: the
    share going to the top 10 % of people and the Gini coefficient (zeros included: the
    people nobody recognised count), then the anonymity gate.

    Closed months only, as published (`services.spread_publish`, called before this by the
    page and the API): the last `months` months before the one in progress, and the 60-day
    counts as of the last one's end. A live month moved by one person with each kudos (a
    private one too), and a closed month read live moved with an erasure, a hidden post or
    a transfer. A month not published yet is read as recorded now."""
    focus, units = spread_units(viewer, unit_id)
    today = today or timezone.localdate()
    firsts = spread_months(today, months)
    rows = published_month_people(viewer.organization, firsts, focus)
    min_n = viewer.organization.min_group_size
    cells = spread_cells_ungated(viewer.organization, units, firsts, months=rows)
    table = _gated_spread(cells, focus, min_n)
    now = _unrecognised_by_unit(viewer, units, rows[firsts[-1]])
    return Spread(focus=focus, units=units, months=firsts, table=table, now=now, min_n=min_n)


def spread_months(today: dt.date, months: int = SPREAD_MONTHS) -> list[dt.date]:
    """The first days of the last `months` closed months before `today`'s, oldest first."""
    return months_back(today, months + 1)[:-1]


MONTH_COLUMNS = ["employee", "path", "received", "on_last_day", "recognised_60"]


def month_people(organization: Organization, first: dt.date, focus: Unit | None = None):
    """Everyone employed in the month of `first` (in `focus`'s subtree, or everywhere), as
    recorded now: unit path, kudos received in the month, employed on its last day,
    recognised in the 60 days to it. What `RecognitionMonthPerson` freezes."""
    last = _month_end(first)
    people = Employee.objects.filter(organization=organization, hire_date__lte=last).filter(
        Q(leave_date__isnull=True) | Q(leave_date__gte=first)
    )
    if focus is not None:
        people = people.filter(unit__path__startswith=focus.path)
    frame = pd.DataFrame(
        list(people.values_list("pk", "unit__path", "leave_date").order_by("pk")),
        columns=["employee", "path", "left"],
    )

    def local(day: dt.date) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(day, dt.time()))

    credits = KudosRecipient.objects.filter(
        hidden=False, employee__organization=organization, employee_id__in=people.values("pk")
    )
    inside = credits.filter(
        created_at__gte=local(first), created_at__lt=local(last + dt.timedelta(days=1))
    )
    received = dict(
        inside.values("employee_id").annotate(n=Count("id")).values_list("employee_id", "n")
    )
    recent = set(
        credits.filter(
            created_at__gte=local(last - dt.timedelta(days=UNRECOGNISED_DAYS)),
            created_at__lt=local(last + dt.timedelta(days=1)),
        )
        .values_list("employee_id", flat=True)
        .distinct()
    )
    frame["received"] = [int(received.get(e, 0)) for e in frame["employee"]]
    frame["on_last_day"] = [v is None or v >= last for v in frame["left"]]
    frame["recognised_60"] = [e in recent for e in frame["employee"]]
    return frame[MONTH_COLUMNS]


def published_month_people(organization: Organization, firsts, focus: Unit) -> dict:
    """Each month's people in `focus`'s subtree as published (`RecognitionMonthPerson`), or
    as recorded now for a month not published yet."""
    published = dict(
        RecognitionMonth.objects.filter(organization=organization, month__in=firsts).values_list(
            "month", "pk"
        )
    )
    rows = (
        RecognitionMonthPerson.objects.filter(
            published_id__in=list(published.values()), unit_path__startswith=focus.path
        )
        .values_list(
            "published__month",
            "employee_id",
            "unit_path",
            "received",
            "on_last_day",
            "recognised_60",
        )
        .order_by("published__month", "employee_id")
    )
    frame = pd.DataFrame(list(rows), columns=["month", *MONTH_COLUMNS])
    out = {}
    for first in firsts:
        if first in published:
            out[first] = frame[frame["month"] == first][MONTH_COLUMNS].reset_index(drop=True)
        else:
            out[first] = month_people(organization, first, focus)
    return out


def spread_cells_ungated(
    organization, units: list[Unit], firsts: list[dt.date], *, months: dict | None = None
) -> pd.DataFrame:
    """Each unit × month's people, kudos, people recognised, top 10 % share and Gini,
    before the gate (never shown as they are: `recognition_spread` gates them). `units`:
    the focus first, then units below it; `firsts`: the months' first days; `months`: each
    month's people (`month_people`; read as recorded now when not given)."""
    if months is None:
        months = {first: month_people(organization, first, units[0]) for first in firsts}
    rows = []
    for first in firsts:
        people = months[first]
        paths = people["path"].astype(str)
        received = people["received"].to_numpy(dtype="float64")
        for unit in units:
            x = received[paths.str.startswith(unit.path).to_numpy(dtype=bool)]
            rows.append(
                {
                    "unit": unit.pk,
                    "unit_name": unit.name,
                    "month": first,
                    "people": int(x.size),
                    "kudos": float(x.sum()),
                    "recognised": float((x > 0).sum()),
                    "top_share": top_share(x, TOP_FRACTION) if x.size else math.nan,
                    "gini": gini(x) if x.size else math.nan,
                }
            )
    return pd.DataFrame(rows)


def _gated_spread(cells: pd.DataFrame, focus: Unit, min_n: int) -> pd.DataFrame:
    """The spread through the gate twice: on the people of each unit and month, then on
    the people recognised in it — its kudos, top share and Gini describe them, and with a
    few recognised (directly or by subtracting shown units) the total was their count and
    the Gini gave each one's. The top 10 % share also needs the top group and everyone
    else to be groups the gate would show (`suppress_filtered`): the top tenth of a team
    under 50 is fewer than five people, in a team of 8 one person."""
    table = _gated(cells, focus, min_n, by="month")
    recognised = cells.assign(people=cells["recognised"])
    recognised["suppressed"] = table["suppressed"].to_numpy()
    again = _gated(recognised, focus, min_n, by="month")
    table["suppressed"] = again["suppressed"].to_numpy()
    for column in ("people", "kudos", "recognised", "top_share", "gini"):
        table[column] = table[column].where(~table["suppressed"])
    top = [
        math.nan
        if pd.isna(n)
        or anonymity.suppress_filtered(
            int(n), max(1, math.ceil(TOP_FRACTION * int(n) - 1e-9)), min_n=min_n
        )
        else share
        for n, share in zip(table["people"], table["top_share"], strict=True)
    ]
    table["top_share"] = top
    return table


def month_number(day: dt.date) -> int:
    """A month as a number that grows by one a month (year·12 + month − 1)."""
    return day.year * 12 + day.month - 1


def _gated(table: pd.DataFrame, focus: Unit, min_n: int, *, by: str | None) -> pd.DataFrame:
    """The rows through the anonymity gate in one call: each `by` group (a month) is its
    own tree, the focus unit the parent of the units below it."""
    keys = table["unit"].astype(str) + (":" + table[by].astype(str) if by else "")
    parents = np.where(
        table["unit"] == focus.pk,
        None,
        str(focus.pk) + (":" + table[by].astype(str) if by else ""),
    )
    values = [
        "people",
        "kudos",
        "recognised",
        "top_share",
        "gini",
        "unrecognised",
        "unrecognised_share",
    ]
    columns = [c for c in [*values, "suppressed"] if c in table]
    gated = anonymity.suppress(
        table[columns].assign(parent=parents).set_index(keys.to_numpy()),
        min_n=min_n,
        count="people",
        parent="parent",
    )
    out = table.copy()
    for column in [c for c in values if c in table]:
        out[column] = gated[column].to_numpy()
    out["suppressed"] = gated["suppressed"].to_numpy()
    return out


def _unrecognised_by_unit(viewer, units, people: pd.DataFrame) -> pd.DataFrame:
    """How many people of each unit on the month's last day nobody recognised in the 60
    days to then (gated); `people`: the month's (`month_people`)."""
    paths = people["path"].astype(str)
    employed = people["on_last_day"].to_numpy(dtype=bool)
    missed = ~people["recognised_60"].to_numpy(dtype=bool)
    rows = []
    for unit in units:
        inside = paths.str.startswith(unit.path).to_numpy(dtype=bool) & employed
        rows.append(
            {
                "unit": unit.pk,
                "people": int(inside.sum()),
                "unrecognised": float((inside & missed).sum()),
            }
        )
    table = pd.DataFrame(rows)
    table["unrecognised_share"] = table["unrecognised"] / table["people"].where(table["people"] > 0)
    return _gated(table, units[0], viewer.organization.min_group_size, by=None)


def recognition_per_head(organization: Organization) -> pd.DataFrame:
    """Kudos received per head in every unit (its whole subtree) and month.

    Returns a DataFrame with columns ``unit`` (id), ``period`` (month number
    ``year·12 + month − 1``, as the linkage panel counts months), ``recognition`` (kudos
    received in the month by the unit's people, a team kudos once per member, divided by
    the people employed in the unit's subtree during the month), ``kudos`` and
    ``headcount``. A kudos counts in the unit the person belonged to when recognised.
    Per-head rates of a whole unit describe no one person, so they are not gated; the
    panel's survey columns beside them are.
    """
    units = pd.DataFrame(
        list(Unit.objects.filter(organization=organization).values_list("pk", "path")),
        columns=["unit", "path"],
    )
    columns = ["unit", "period", "recognition", "kudos", "headcount"]
    if units.empty:
        return pd.DataFrame(columns=columns)
    ancestors = _ancestor_pairs(units)
    counts = pd.DataFrame(
        list(
            KudosRecipient.objects.filter(unit__organization=organization, hidden=False)
            .annotate(month=TruncMonth("created_at"))
            .values("unit_id", "month")
            .annotate(n=Count("id"))
            .values_list("unit_id", "month", "n")
            .order_by()
        ),
        columns=["own_unit", "month", "kudos"],
    )
    if counts.empty:
        return pd.DataFrame(columns=columns)
    counts["period"] = [
        (lambda m: m.year * 12 + m.month - 1)(timezone.localtime(m)) for m in counts["month"]
    ]
    periods = range(int(counts["period"].min()), int(counts["period"].max()) + 1)
    heads = _headcount_by_unit_month(organization, periods)
    kudos = (
        counts.merge(ancestors, on="own_unit")
        .groupby(["unit", "period"], as_index=False)["kudos"]
        .sum()
    )
    headcount = (
        heads.merge(ancestors, on="own_unit")
        .groupby(["unit", "period"], as_index=False)["headcount"]
        .sum()
    )
    panel = headcount.merge(kudos, on=["unit", "period"], how="left").fillna({"kudos": 0})
    panel = panel[panel["headcount"] > 0].copy()
    panel["recognition"] = panel["kudos"] / panel["headcount"]
    for column in ("unit", "period", "kudos", "headcount"):
        panel[column] = panel[column].astype(int)
    return panel[columns].sort_values(["unit", "period"]).reset_index(drop=True)


def _ancestor_pairs(units: pd.DataFrame) -> pd.DataFrame:
    """(own_unit, unit) for every unit and each of its ancestors, itself included."""
    pairs = []
    for own, path in zip(units["unit"], units["path"], strict=True):
        for segment in (s for s in path.split(".") if s):
            pairs.append((int(own), int(segment, 36)))
    return pd.DataFrame(pairs, columns=["own_unit", "unit"])


def _headcount_by_unit_month(organization, periods: range) -> pd.DataFrame:
    people = pd.DataFrame(
        list(
            Employee.objects.filter(organization=organization).values_list(
                "unit_id", "hire_date", "leave_date"
            )
        ),
        columns=["own_unit", "hired", "left"],
    )
    if people.empty:
        return pd.DataFrame(columns=["own_unit", "period", "headcount"])
    hired = np.array([d.year * 12 + d.month - 1 for d in people["hired"]])
    left = np.array(
        [np.iinfo("int64").max if d is None else d.year * 12 + d.month - 1 for d in people["left"]]
    )
    frames = []
    for period in periods:
        employed = (hired <= period) & (left >= period)
        part = people.loc[employed, ["own_unit"]].value_counts().rename("headcount").reset_index()
        frames.append(part.assign(period=period))
    return pd.concat(frames, ignore_index=True)


# --------------------------------------------------------------------------- goals


def current_quarter(today: dt.date | None = None) -> tuple[int, int]:
    today = today or timezone.localdate()
    return today.year, (today.month - 1) // 3 + 1


def parse_quarter(value: str | None, today: dt.date | None = None) -> tuple[int, int]:
    """'2026-Q3' (or '2026Q3') to (2026, 3); anything else is the current quarter."""
    if value:
        text = value.upper().replace("-", "").replace(" ", "")
        year, _, quarter = text.partition("Q")
        if year.isdigit() and quarter in ("1", "2", "3", "4") and 2000 <= int(year) <= 2100:
            return int(year), int(quarter)
    return current_quarter(today)


def key_result_progress(kr) -> float:
    """How far from start to target, 0-1 (a target below the start counts downwards)."""
    span = Decimal(kr.target) - Decimal(kr.start)
    if span == 0:
        return 0.0
    done = (Decimal(kr.current) - Decimal(kr.start)) / span
    return float(min(Decimal(1), max(Decimal(0), done)))


def goal_score(goal: Goal) -> Decimal:
    """The goal's score, 0-100 %: the mean progress of its key results (one decimal)."""
    results = list(goal.key_results.all())
    if not results:
        return Decimal("0.0")
    mean = sum(key_result_progress(kr) for kr in results) / len(results)
    return Decimal(str(round(100 * mean, 1)))


def goal_visible_q(viewer: Viewer) -> Q:
    """Goals a member may read: their own, their team's, and those of the people and teams
    they manage."""
    q = Q(pk__in=[])
    me = viewer.employee
    if me is not None:
        q |= Q(employee=me) | Q(team_id=me.unit_id)
    if viewer.role == Role.MANAGER:
        path = viewer.scope.unit.path
        q |= Q(employee__unit__path__startswith=path) | Q(team__path__startswith=path)
    return Q(organization=viewer.organization) & q


def goals_for(viewer: Viewer, *, year: int, quarter: int) -> QuerySet[Goal]:
    return (
        Goal.objects.filter(goal_visible_q(viewer), year=year, quarter=quarter)
        .select_related("employee", "employee__unit", "team")
        .prefetch_related("key_results")
        .order_by("team__path", "employee__last_name", "title")
    )


def goal_of(viewer: Viewer, goal_id) -> Goal:
    try:
        return (
            Goal.objects.filter(goal_visible_q(viewer))
            .select_related("employee", "employee__unit", "team")
            .get(pk=int(goal_id))
        )
    except (Goal.DoesNotExist, TypeError, ValueError):
        raise Http404("No such goal.") from None


def goals_of_person(employee: Employee) -> list[Goal]:
    return list(
        Goal.objects.filter(Q(employee=employee) | Q(team_id=employee.unit_id))
        .select_related("team")
        .prefetch_related("key_results")
        .order_by("-year", "-quarter", "title")[:12]
    )


def quarters_with_goals(viewer: Viewer) -> list[tuple[int, int]]:
    rows = (
        Goal.objects.filter(goal_visible_q(viewer))
        .values_list("year", "quarter")
        .distinct()
        .order_by("-year", "-quarter")
    )
    return list(rows)


def goal_owners(viewer: Viewer) -> tuple[list[Employee], list[Unit]]:
    """Whom a member may set goals for: themselves; a manager also the people and teams
    they manage."""
    today = timezone.localdate()
    people = [viewer.employee] if viewer.employee else []
    teams: list[Unit] = []
    if viewer.role == Role.MANAGER:
        people += list(
            viewer.managed_employees().filter(active_q(today)).order_by("last_name", "first_name")
        )
        teams = list(viewer.scope.units().order_by("path"))
    return people, teams


# --------------------------------------------------------------------------- spot bonuses


@dataclass
class BudgetStatus:
    year: int
    budget: Money | None
    committed: Money  # nominated or paid this year
    left: Money | None


def budget_status(organization: Organization, manager, *, year: int | None = None) -> BudgetStatus:
    """A manager's spot-bonus budget for the year, what is committed and what is left."""
    year = year or timezone.localdate().year
    currency = organization.currency
    budget = SpotBonusBudget.objects.filter(
        organization=organization, manager=manager, year=year
    ).first()
    committed = SpotBonus.objects.filter(
        organization=organization,
        manager=manager,
        created_at__year=year,
        status__in=[SpotBonus.Status.NOMINATED, SpotBonus.Status.PAID],
    ).aggregate(total=Sum("amount"))["total"] or Decimal("0")
    committed_money = Money(committed, currency)
    if budget is None:
        return BudgetStatus(year=year, budget=None, committed=committed_money, left=None)
    left = Money(max(Decimal("0"), budget.amount.amount - committed), currency)
    return BudgetStatus(year=year, budget=budget.amount, committed=committed_money, left=left)


def spot_bonuses(viewer: Viewer) -> QuerySet[SpotBonus]:
    """HR and admins: every bonus; a manager: the ones they nominated; others: their own."""
    rows = SpotBonus.objects.filter(organization=viewer.organization).select_related(
        "employee", "employee__unit", "manager"
    )
    if predicates.reads_all_spot_bonuses(viewer):
        return rows
    if predicates.is_manager(viewer):
        return rows.filter(manager=viewer.user)
    if viewer.employee is not None:
        return rows.filter(employee=viewer.employee)
    return rows.none()


def spot_bonuses_awaiting_payout(organization: Organization) -> QuerySet[SpotBonus]:
    """What the rewards app's payout flow takes: nominated, not yet paid or cancelled."""
    return SpotBonus.objects.filter(
        organization=organization, status=SpotBonus.Status.NOMINATED
    ).select_related("employee", "manager")


def manager_budgets(organization: Organization, *, year: int) -> list[dict]:
    """Every manager (a member with the manager role) with their budget for the year."""
    from servicechain.org.models import Membership

    managers = (
        Membership.objects.filter(organization=organization, role=Role.MANAGER)
        .select_related("user", "unit")
        .order_by("user__last_name", "user__username")
    )
    return [
        {"membership": m, "status": budget_status(organization, m.user, year=year)}
        for m in managers
    ]


def bonus_candidates(viewer: Viewer) -> list[Employee]:
    if not predicates.is_manager(viewer):
        return []
    today = timezone.localdate()
    return list(
        viewer.managed_employees()
        .filter(active_q(today))
        .select_related("unit")
        .order_by("last_name", "first_name")
    )


# --------------------------------------------------------------------------- achievements


def badges(organization: Organization) -> QuerySet[Badge]:
    return Badge.objects.filter(organization=organization).annotate(earned=Count("awards"))


def achievement_rules(organization: Organization) -> QuerySet[AchievementRule]:
    return AchievementRule.objects.filter(organization=organization).select_related("badge")


def last_run(organization: Organization) -> AchievementRun | None:
    return AchievementRun.objects.filter(organization=organization).first()


def award_of(viewer: Viewer, award_id) -> Award:
    """An award with its evidence: for the person, their managers, HR and admins."""
    try:
        award = Award.objects.select_related("badge", "employee", "employee__unit", "rule").get(
            organization=viewer.organization, pk=int(award_id)
        )
    except (Award.DoesNotExist, TypeError, ValueError):
        raise Http404("No such award.") from None
    me = viewer.employee
    if not (
        (me is not None and me.pk == award.employee_id)
        or viewer.manages(award.employee)
        or viewer.role in (Role.ADMIN, Role.HR_ANALYST)
    ):
        raise Http404("No such award.")
    return award


def recent_awards(organization: Organization, *, limit: int = 10) -> list[Award]:
    return list(
        Award.objects.filter(organization=organization)
        .select_related("badge", "employee")
        .order_by("-awarded_at", "-pk")[:limit]
    )


# --------------------------------------------------------------------------- moderation


def open_reports(organization: Organization) -> QuerySet[Report]:
    return (
        Report.objects.filter(kudos__organization=organization, status=Report.Status.OPEN)
        .select_related("kudos", "kudos__giver", "reporter")
        .order_by("created_at")
    )


def recent_reports(organization: Organization, *, limit: int = 20) -> QuerySet[Report]:
    return (
        Report.objects.filter(kudos__organization=organization)
        .exclude(status=Report.Status.OPEN)
        .select_related("kudos", "reporter", "resolved_by")
        .order_by("-resolved_at")[:limit]
    )
