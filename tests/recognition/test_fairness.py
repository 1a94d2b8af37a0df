"""Fairness, not popularity: a manager sees who in their team nobody recognised in 60 days
and how kudos are spread (top 10 % share, Gini), per unit and month, through the anonymity
gate; HR sees the same by unit; employees do not; managers are nudged once a week."""

import datetime as dt

import numpy as np
import pytest
from django.utils import timezone

from servicechain.analytics.concentration import gini, top_share
from servicechain.notifications.models import Notification
from servicechain.recognition import selectors, services
from servicechain.recognition.models import Kudos, KudosRecipient
from tests.factories import EmployeeFactory
from tests.recognition.helpers import build_org

pytestmark = pytest.mark.django_db


def give(org, giver, to, days_ago=0):
    kudos = services.kudos_give(
        giver=org.people[giver],
        message="Thanks",
        values=["own-it"],
        recipients=[org.people[n] for n in to],
    )
    if days_ago:
        when = timezone.now() - dt.timedelta(days=days_ago)
        Kudos.objects.filter(pk=kudos.pk).update(created_at=when)
        KudosRecipient.objects.filter(kudos=kudos).update(created_at=when)
    return kudos


def test_the_manager_sees_who_nobody_recognised_in_60_days_never_first():
    org = build_org()
    give(org, "north0", ["north1"], days_ago=5)
    give(org, "north0", ["north2"], days_ago=70)
    names = [row["employee"].first_name for row in selectors.unrecognised(org.viewer("boss"))]
    assert "North1" not in names and names.index("North2") == len(names) - 1
    assert set(names) == {"North0", "North2", "South0", "South1", "South2"}
    assert selectors.unrecognised(org.viewer("north0")) == []  # an employee sees no list


def test_a_hidden_post_is_no_recognition():
    org = build_org()
    kudos = give(org, "north0", ["north1"])
    services.kudos_hide(viewer=org.viewer("admin"), kudos=kudos, reason="Offensive")
    names = [row["employee"].first_name for row in selectors.unrecognised(org.viewer("boss"))]
    assert "North1" in names


def last_month_days() -> int:
    """Days ago that fall in last month."""
    today = timezone.localdate()
    return today.day + 10


def test_the_spread_is_the_gini_and_top_share_of_each_persons_kudos_zeros_included():
    org = build_org(team_size=6, min_n=3)
    days = last_month_days()
    for _ in range(4):
        give(org, "north0", ["north1"], days_ago=days)
    give(org, "north0", ["north2"], days_ago=days)
    give(org, "north0", ["north3"], days_ago=days)
    spread = selectors.recognition_spread(org.viewer("hr"), unit_id=org.north.pk)
    row = spread.table[(spread.table["unit"] == org.north.pk)].iloc[-1]
    received = np.array([0, 4, 1, 1, 0, 0])  # north0..north5 last month
    assert not row["suppressed"] and row["people"] == 6 and row["kudos"] == 6
    assert row["gini"] == pytest.approx(gini(received))
    # the top 10 % of 6 is one person (north1: 4 of 6): a figure about one person
    assert np.isnan(row["top_share"])
    cells = selectors.spread_cells_ungated(org.organization, [org.north], spread.months)
    assert cells.iloc[-1]["top_share"] == pytest.approx(top_share(received))


def test_units_too_small_or_recoverable_by_subtraction_show_no_figures():
    org = build_org(team_size=6, min_n=5)
    for _ in range(3):
        EmployeeFactory(unit=org.south, hire_date=dt.date(2020, 1, 1))  # south: 9, north: 6
    give(org, "north0", ["north1", "south1"], days_ago=last_month_days())
    spread = selectors.recognition_spread(org.viewer("hr"))
    month = spread.table[spread.table["month"] == spread.months[-1]].set_index("unit")
    shown = month[~month["suppressed"]]
    assert (shown["people"] >= 5).all()
    # the root's own people (the manager) would be root − north − south = 1: one more is withheld
    assert month["suppressed"].sum() >= 1
    if not month.loc[org.root.pk, "suppressed"]:
        children = [u for u in (org.north.pk, org.south.pk) if not month.loc[u, "suppressed"]]
        rest = month.loc[org.root.pk, "people"] - sum(month.loc[u, "people"] for u in children)
        assert rest == 0 or rest >= 5
    for row in spread.latest():
        if row["suppressed"]:
            assert row["gini"] is None and row["kudos"] is None and row["month_people"] is None


def test_a_manager_reads_their_subtree_and_hr_any_unit_but_employees_none():
    org = build_org()
    assert selectors.recognition_spread(org.viewer("boss")).focus == org.root
    assert selectors.recognition_spread(org.viewer("hr"), unit_id=org.south.pk).focus == org.south
    with pytest.raises(Exception, match="No such page"):
        selectors.recognition_spread(org.viewer("north0"))


def test_managers_are_nudged_about_unrecognised_people_at_most_once_a_week():
    org = build_org()
    today = timezone.localdate()
    assert services.unrecognised_nudges_send(organization=org.organization, today=today) == 1
    assert services.unrecognised_nudges_send(organization=org.organization, today=today) == 0
    nudge = Notification.objects.get(
        recipient=org.users["boss"], event="recognition.unrecognised_nudge"
    )
    assert nudge.title.startswith("6 people in Root")


def test_every_month_of_the_spread_matches_a_count_person_by_person():
    """Past months too, with a leaver and a new starter: each month's people are those
    employed in it, and each person's kudos are those received in that local month."""
    from servicechain.analytics.concentration import gini, top_share

    org = build_org(team_size=6, min_n=3)
    today = dt.date(2026, 7, 15)  # June is the last closed month
    tz = timezone.get_current_timezone()

    def at(day: dt.date, hour: int = 12):
        return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)), tz)

    starter = EmployeeFactory(unit=org.north, hire_date=dt.date(2026, 5, 20))
    plan = [  # (recipient, when)
        ("north1", at(dt.date(2026, 3, 1), 0)),
        ("north1", at(dt.date(2026, 3, 31), 23)),
        ("north5", at(dt.date(2026, 4, 9))),
        ("north2", at(dt.date(2026, 4, 30), 23)),
        ("north1", at(dt.date(2026, 5, 2))),
        ("north3", at(dt.date(2026, 6, 1), 0)),
    ]
    for name, when in plan:
        kudos = give(org, "north0", [name])
        Kudos.objects.filter(pk=kudos.pk).update(created_at=when)
        KudosRecipient.objects.filter(kudos=kudos).update(created_at=when)
    kudos = services.kudos_give(
        giver=org.people["north0"], message="Welcome", values=["own-it"], recipients=[starter]
    )
    KudosRecipient.objects.filter(kudos=kudos).update(created_at=at(dt.date(2026, 6, 3)))
    left = org.people["north5"]
    left.leave_date = dt.date(2026, 4, 10)  # employed in April, not in May
    left.save(update_fields=["leave_date"])
    spread = selectors.recognition_spread(
        org.viewer("hr"), unit_id=org.north.pk, today=today, months=4
    )
    assert spread.months == [dt.date(2026, m, 1) for m in (3, 4, 5, 6)]
    # one or two people recognised a month: the gate withholds them all; the figures before
    # the gate are checked here
    assert spread.table["suppressed"].all()
    cells = selectors.spread_cells_ungated(org.organization, [org.north], spread.months)
    people = [org.people[f"north{n}"] for n in range(6)] + [starter]
    received = {}
    for r in KudosRecipient.objects.filter(employee__unit=org.north):
        key = (r.employee_id, r.created_at.astimezone(tz).month)
        received[key] = received.get(key, 0) + 1
    table = cells.set_index("month")
    for first in spread.months:
        last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
        employed = [
            p
            for p in people
            if p.hire_date <= last and (p.leave_date is None or p.leave_date >= first)
        ]
        x = np.array([received.get((p.pk, first.month), 0) for p in employed], dtype=float)
        row = table.loc[first]
        assert row["people"] == len(employed), first
        assert row["kudos"] == x.sum(), first
        assert row["recognised"] == (x > 0).sum(), first
        assert row["gini"] == pytest.approx(gini(x)), first
        assert row["top_share"] == pytest.approx(top_share(x, 0.1)), first
    assert [table.loc[m, "kudos"] for m in spread.months] == [2, 2, 1, 2]
    assert [table.loc[m, "people"] for m in spread.months] == [
        6,
        6,
        6,
        6,
    ]  # May: north5 gone, the starter in
