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


def test_the_spread_is_the_gini_and_top_share_of_each_persons_kudos_zeros_included():
    org = build_org(team_size=6, min_n=3)
    for _ in range(4):
        give(org, "north0", ["north1"])
    give(org, "north0", ["north2"])
    spread = selectors.recognition_spread(org.viewer("hr"), unit_id=org.north.pk)
    row = spread.table[(spread.table["unit"] == org.north.pk)].iloc[-1]
    received = np.array([0, 4, 1, 0, 0, 0])  # north0..north5 this month
    assert not row["suppressed"] and row["people"] == 6 and row["kudos"] == 5
    assert row["gini"] == pytest.approx(gini(received))
    assert row["top_share"] == pytest.approx(top_share(received)) == pytest.approx(0.8)


def test_units_too_small_or_recoverable_by_subtraction_show_no_figures():
    org = build_org(team_size=6, min_n=5)
    for _ in range(3):
        EmployeeFactory(unit=org.south, hire_date=dt.date(2020, 1, 1))  # south: 9, north: 6
    give(org, "north0", ["north1", "south1"])
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
