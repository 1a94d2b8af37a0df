"""Demo data of recognition, run by servicechain.demo after the organisation is seeded.

A lively year of kudos from ``simulate.recognition`` (a long tail of givers and receivers,
a few people nobody recognises), the organisation's five values, the starter badges and
their rules, then what the tour shows: the demo employee's and their team's goals (last
quarter's met and archived), a spot-bonus budget and a nomination by the demo manager, a
reported post for the admin, and one run of the achievement rules over the year's real
customer ratings. The five-star-month badge asks for 3 five-star ratings in a month here,
not the default 10: the demo's customers answer about once per employee a month.
"""

from __future__ import annotations

import datetime as dt
import time

import pandas as pd
from django.db import transaction
from django.utils import timezone

from servicechain.org.access import scope_for
from servicechain.org.models import Employee, Membership, Organization
from servicechain.simulate.recognition import RecognitionYear, simulate_recognition

from . import services
from .access import viewer_of
from .models import (
    AchievementRule,
    Badge,
    CompanyValue,
    Goal,
    Kudos,
    KudosRecipient,
    PointsEntry,
    Reaction,
    RecognitionSettings,
)

DEMO_VALUES = [
    (
        "customers-first",
        "Customers first",
        "We solve the customer's problem, not just the ticket, and follow through until it "
        "really is solved.",
    ),
    ("own-it", "Own it", "See what needs doing and do it; say what you will do, then do it."),
    (
        "better-together",
        "Better together",
        "Help colleagues, share what you know and cover for each other.",
    ),
    ("keep-it-simple", "Keep it simple", "Make things easier for customers and for each other."),
    ("care", "Care for each other", "Notice how people are doing and look after them."),
]
# The synthetic customers rate about once per employee a month and buy about monthly, so
# the demo asks for 3 five-star ratings in a month and a customer back 8 times (of a year).
DEMO_THRESHOLDS = {"csat_five_star_month": 3, "loyalty_returns": 8}
BATCH = 5000


def seed_demo(*, organization, synthetic=None, today=None, progress=lambda message: None) -> None:
    started = time.perf_counter()
    today = today or timezone.localdate()
    with transaction.atomic():
        values = values_install(organization)
        RecognitionSettings.objects.get_or_create(organization=organization)
        services.achievement_rules_install(organization=organization, thresholds=DEMO_THRESHOLDS)
        _loyal_customer_rule(organization)
        year = simulate_recognition(
            employee_frame(organization),
            start=today - dt.timedelta(days=365),
            end=today - dt.timedelta(days=1),
            values=list(values),
            seed=7,
            timezone=timezone.get_current_timezone_name(),
        )
        write_year(organization, year, values)
        _tour(organization, today)
    progress(f"  {len(year.kudos):>9,} kudos in the last year (recognition)")
    awarded = services.achievements_evaluate(organization=organization, today=today)
    progress(
        f"  {awarded:>9,} badges earned from ratings, tenure, goals and loyal customers "
        f"({time.perf_counter() - started:.1f} s)"
    )


def _loyal_customer_rule(organization: Organization) -> None:
    """The loyalty app's kind ("a customer you look after came back N times") as a demo rule;
    not a starter rule: on the large organisation it reads every purchase (about 45 s)."""
    from .achievements import KINDS

    if "loyalty_returns" not in KINDS:
        return
    badge, _ = Badge.objects.get_or_create(
        organization=organization,
        slug="loyal-customer",
        defaults={
            "name": "Loyal customer",
            "symbol": "🤝",
            "description": "A customer you look after came back again and again.",
        },
    )
    AchievementRule.objects.get_or_create(
        organization=organization,
        badge=badge,
        kind="loyalty_returns",
        defaults={"threshold": DEMO_THRESHOLDS["loyalty_returns"]},
    )


def values_install(organization: Organization) -> dict[str, CompanyValue]:
    out = {}
    for order, (slug, name, description) in enumerate(DEMO_VALUES):
        out[slug], _ = CompanyValue.objects.get_or_create(
            organization=organization,
            slug=slug,
            defaults={"name": name, "description": description, "order": order},
        )
    return out


def employee_frame(organization: Organization) -> pd.DataFrame:
    return pd.DataFrame(
        list(
            Employee.objects.filter(organization=organization).values_list(
                "pk", "unit_id", "hire_date", "leave_date", "first_name"
            )
        ),
        columns=["employee", "unit", "hire_date", "leave_date", "first_name"],
    )


def write_year(
    organization: Organization, year: RecognitionYear, values: dict[str, CompanyValue]
) -> dict[int, int]:
    """Write simulated kudos with their recipients, values, reactions and ledger entries
    (what `services.kudos_give` would have written, in bulk). Returns kudos number → pk."""
    rows = year.kudos
    created = []
    for start in range(0, len(rows), BATCH):
        part = rows.iloc[start : start + BATCH]
        created += Kudos.objects.bulk_create(
            [
                Kudos(
                    organization=organization,
                    giver_id=int(r.giver),
                    team_id=None if pd.isna(r.team) else int(r.team),
                    message=r.message,
                    visibility=r.visibility,
                    points_each=int(r.points_each),
                    created_at=r.created_at.to_pydatetime(),
                )
                for r in part.itertuples()
            ]
        )
    pk = dict(zip(rows["kudos"], (k.pk for k in created), strict=True))
    when = dict(zip(rows["kudos"], rows["created_at"], strict=True))
    points = dict(zip(rows["kudos"], rows["points_each"], strict=True))
    recipients = year.recipients
    KudosRecipient.objects.bulk_create(
        (
            KudosRecipient(
                kudos_id=pk[r.kudos],
                employee_id=int(r.employee),
                unit_id=int(r.unit),
                points=int(points[r.kudos]),
                created_at=when[r.kudos].to_pydatetime(),
            )
            for r in recipients.itertuples()
        ),
        batch_size=BATCH,
    )
    through = Kudos.values.through
    through.objects.bulk_create(
        (
            through(kudos_id=pk[r.kudos], companyvalue_id=values[r.value].pk)
            for r in year.values.itertuples()
        ),
        batch_size=BATCH,
    )
    _ledger(organization, rows, recipients, pk)
    _reactions(year.reactions, pk, when)
    return pk


def _ledger(organization, rows: pd.DataFrame, recipients: pd.DataFrame, pk: dict) -> None:
    paid = rows[rows["points_each"] > 0]
    if paid.empty:
        return
    credited = recipients[recipients["kudos"].isin(paid["kudos"])]
    per_kudos = credited.groupby("kudos").size()
    when = dict(zip(paid["kudos"], paid["created_at"], strict=True))
    points = dict(zip(paid["kudos"], paid["points_each"], strict=True))
    given = (
        PointsEntry(
            organization=organization,
            employee_id=int(r.giver),
            kind=PointsEntry.Kind.GIVEN,
            points=-int(r.points_each) * int(per_kudos.get(r.kudos, 0)),
            kudos_id=pk[r.kudos],
            created_at=r.created_at.to_pydatetime(),
        )
        for r in paid.itertuples()
        if per_kudos.get(r.kudos, 0)
    )
    received = (
        PointsEntry(
            organization=organization,
            employee_id=int(r.employee),
            kind=PointsEntry.Kind.RECEIVED,
            points=int(points[r.kudos]),
            kudos_id=pk[r.kudos],
            created_at=when[r.kudos].to_pydatetime(),
        )
        for r in credited.itertuples()
    )
    PointsEntry.objects.bulk_create(given, batch_size=BATCH)
    PointsEntry.objects.bulk_create(received, batch_size=BATCH)


def _reactions(reactions: pd.DataFrame, pk: dict, when: dict) -> None:
    """Reactions of the people who have a login (the demo's other people have none)."""
    users = dict(
        Employee.objects.filter(pk__in=set(reactions["employee"]), user__isnull=False).values_list(
            "pk", "user_id"
        )
    )
    Reaction.objects.bulk_create(
        (
            Reaction(
                kudos_id=pk[r.kudos],
                user_id=users[r.employee],
                kind=r.kind,
                created_at=when[r.kudos].to_pydatetime() + dt.timedelta(hours=1),
            )
            for r in reactions.itertuples()
            if r.employee in users
        ),
        batch_size=BATCH,
        ignore_conflicts=True,
    )


# --------------------------------------------------------------------------- the tour


def _login(organization, role: str):
    membership = (
        Membership.objects.filter(organization=organization, role=role)
        .select_related("user")
        .first()
    )
    return membership.user if membership else None


def _tour(organization, today: dt.date) -> None:
    """Goals, a bonus and a report around the demo logins, made through the services."""
    manager, employee_user, admin = (
        _login(organization, role) for role in ("manager", "employee", "admin")
    )
    if not (manager and employee_user and admin):
        return
    boss = viewer_of(scope_for(manager, organization.slug))
    me = viewer_of(scope_for(employee_user, organization.slug))
    if me.employee is None:
        return
    _goals(boss, me, today)
    _bonus(organization, boss, me, admin)
    _report(organization, me)


def _quarter_before(today: dt.date) -> tuple[int, int]:
    quarter = (today.month - 1) // 3 + 1
    return (today.year, quarter - 1) if quarter > 1 else (today.year - 1, 4)


def _goals(boss, me, today: dt.date) -> None:
    year, quarter = today.year, (today.month - 1) // 3 + 1
    last_year, last_quarter = _quarter_before(today)
    earlier = services.goal_create(
        viewer=me,
        employee=me.employee,
        year=last_year,
        quarter=last_quarter,
        title="Know every regular by name",
        key_results=[
            {"title": "Regular customers greeted by name", "target": 30, "unit": "customers"}
        ],
    )
    services.goal_check_in(
        viewer=me,
        goal=earlier,
        values={str(earlier.key_results.get().pk): 30},
        comment="Thirty regulars now, and two of them asked for me by name.",
    )
    services.goals_close_quarter(viewer=boss, year=last_year, quarter=last_quarter)
    mine = services.goal_create(
        viewer=me,
        employee=me.employee,
        year=year,
        quarter=quarter,
        title="More five-star service",
        description="Customers who leave happier than they came.",
        key_results=[
            {"title": "Five-star ratings a month", "start": 1, "target": 4, "unit": "ratings"},
            {"title": "Complaints called back within a day", "target": 100, "unit": "%"},
        ],
    )
    first, second = mine.key_results.order_by("order")
    services.goal_check_in(
        viewer=me,
        goal=mine,
        values={str(first.pk): 2, str(second.pk): 80},
        comment="Call-backs are now on the handover sheet.",
    )
    services.goal_create(
        viewer=boss,
        team=me.employee.unit,
        year=year,
        quarter=quarter,
        title="Nobody waits more than five minutes",
        key_results=[
            {"title": "Customers served within 5 minutes", "start": 70, "target": 95, "unit": "%"}
        ],
    )
    Goal.objects.filter(organization=boss.organization).update(created_by=boss.user)


def _bonus(organization, boss, me, admin) -> None:
    hr = viewer_of(scope_for(admin, organization.slug))
    services.spot_bonus_budget_set(
        viewer=hr, manager=boss.user, year=timezone.localdate().year, amount="1500.00"
    )
    candidates = list(
        boss.managed_employees().exclude(pk=me.employee.pk).filter(leave_date__isnull=True)[:1]
    )
    for person in candidates:
        services.spot_bonus_nominate(
            viewer=boss,
            employee=person,
            amount="150.00",
            reason="Stayed after closing to help a customer whose car would not start, and "
            "drove them to the station.",
        )


def _report(organization, me) -> None:
    post = (
        Kudos.objects.filter(organization=organization, visibility="organisation", listed=True)
        .exclude(giver=me.employee)
        .order_by("-created_at")
        .first()
    )
    if post is not None:
        services.kudos_report(
            viewer=me,
            kudos=post,
            reason="It describes a customer's complaint in detail; should that be public?",
        )
