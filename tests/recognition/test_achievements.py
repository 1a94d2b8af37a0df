"""Badges earned from real outcomes: each rule kind finds its evidence, awards it once, links
to it and tells the person; thresholds are data; a manager awards by hand."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from servicechain.notifications.models import Notification
from servicechain.org.models import AuditEvent
from servicechain.recognition import services
from servicechain.recognition.achievements import KINDS, Candidate, register_rule_kind
from servicechain.recognition.models import AchievementRule, Award, Badge
from tests.factories import CustomerFactory
from tests.recognition.helpers import build_org, customer_wave, rate

pytestmark = pytest.mark.django_db


def starter(org, **thresholds):
    services.achievement_rules_install(organization=org.organization, thresholds=thresholds)


def awards(org, slug):
    return Award.objects.filter(badge__organization=org.organization, badge__slug=slug)


def test_a_five_star_month_is_earned_once_with_the_ratings_as_evidence():
    org = build_org()
    starter(org, csat_five_star_month=3)
    wave = customer_wave(org)
    anna = org.people["north0"]
    now = timezone.now()
    for hours in (1, 2, 3):
        rate(org, wave, anna, now - dt.timedelta(hours=hours), 5)
    rate(org, wave, org.people["north1"], now, 5)  # one rating is not a five-star month
    assert services.achievements_evaluate(organization=org.organization) >= 1
    (award,) = awards(org, "five-star-month")
    assert award.employee == anna and len(award.evidence) == 3
    assert all(item["label"] == "Rated 5 of 5" for item in award.evidence)
    assert (
        Notification.objects.filter(
            recipient=org.users["north0"], event="recognition.badge_earned"
        ).count()
        == 1
    )
    services.achievements_evaluate(organization=org.organization)
    assert awards(org, "five-star-month").count() == 1
    assert (
        Notification.objects.filter(
            event="recognition.badge_earned", recipient=org.users["north0"]
        ).count()
        == 1
    )


def test_the_first_customer_recovered_after_a_complaint_credits_whoever_won_them_back():
    org = build_org()
    starter(org)
    wave = customer_wave(org)
    now = timezone.now()
    customer = rate(org, wave, org.people["north0"], now - dt.timedelta(days=10), 1)
    rate(org, wave, org.people["north1"], now - dt.timedelta(days=3), 5, customer=customer)
    happy = CustomerFactory(organization=org.organization)
    rate(org, wave, org.people["south0"], now - dt.timedelta(days=2), 5, customer=happy)
    services.achievements_evaluate(organization=org.organization)
    (award,) = awards(org, "customer-recovered")
    assert award.employee == org.people["north1"]
    assert [item["label"] for item in award.evidence] == [
        "Complaint (rated 1-2 of 5)",
        "Same customer, rated 4-5 of 5",
    ]


def test_tenure_milestones_follow_the_hire_date_and_old_ones_are_awarded_quietly():
    org = build_org()  # everyone hired 6 Jan 2020
    starter(org)
    services.achievements_evaluate(organization=org.organization)
    assert awards(org, "one-year").count() == 7 and awards(org, "five-years").count() == 7
    assert not Notification.objects.filter(event="recognition.badge_earned").exists()


def test_a_goal_closed_in_full_earns_goal_met_for_each_member_of_a_team_goal():
    org = build_org()
    starter(org)
    boss = org.viewer("boss")
    goal = services.goal_create(
        viewer=boss,
        team=org.north,
        year=2026,
        quarter=1,
        title="Calls",
        key_results=[{"title": "Calls", "target": 10}],
    )
    services.goal_check_in(viewer=boss, goal=goal, values={str(goal.key_results.get().pk): 12})
    services.goals_close_quarter(viewer=boss, year=2026, quarter=1)
    services.achievements_evaluate(organization=org.organization)
    credited = set(awards(org, "goal-met").values_list("employee__first_name", flat=True))
    assert credited == {"North0", "North1", "North2"}
    assert all(a.evidence_url.endswith(f"/goals/{goal.pk}/") for a in awards(org, "goal-met"))


def test_a_threshold_is_data_an_admin_changes_without_code():
    org = build_org()
    starter(org, csat_five_star_month=3)
    wave = customer_wave(org)
    for hours in (1, 2):
        rate(org, wave, org.people["north0"], timezone.now() - dt.timedelta(hours=hours), 5)
    services.achievements_evaluate(organization=org.organization)
    assert not awards(org, "five-star-month").exists()
    AchievementRule.objects.filter(kind="csat_five_star_month").update(threshold=2)
    services.achievements_evaluate(organization=org.organization)
    assert awards(org, "five-star-month").get().threshold == 2


def test_another_app_adds_a_rule_kind_without_touching_recognition():
    org = build_org()
    badge = Badge.objects.create(
        organization=org.organization, name="Loyal", slug="loyal", description="…"
    )
    target = org.people["south1"]
    register_rule_kind(
        "test_loyalty_returns",
        label="Loyal customer",
        describe=lambda t: f"a customer came back {t} times",
        find=lambda organization, threshold, today: [
            Candidate(employee_id=target.pk, key="customer:42", occurred_at=timezone.now())
        ],
        explain=lambda organization, threshold, new: {
            (c.employee_id, c.key): [{"label": "Came back", "when": "", "detail": "3 visits"}]
            for c in new
        },
        default_threshold=3,
    )
    try:
        AchievementRule.objects.create(
            organization=org.organization, badge=badge, kind="test_loyalty_returns", threshold=3
        )
        assert services.achievements_evaluate(organization=org.organization) == 1
        assert services.achievements_evaluate(organization=org.organization) == 0
        assert Award.objects.get(badge=badge).employee == target
    finally:
        KINDS.pop("test_loyalty_returns")


def test_a_manager_awards_a_badge_by_hand_to_their_people_only():
    org = build_org()
    starter(org)
    badge = Badge.objects.get(organization=org.organization, slug="above-and-beyond")
    award = services.award_grant(
        viewer=org.viewer("boss"),
        badge=badge,
        employee=org.people["south2"],
        reason="Ran the food bank drive",
    )
    assert award.awarded_by == org.users["boss"]
    assert AuditEvent.objects.filter(
        action="recognition.award_by_hand", target_id=str(award.pk)
    ).exists()
    with pytest.raises(PermissionDenied):
        services.award_grant(
            viewer=org.viewer("north0"), badge=badge, employee=org.people["north1"], reason="Mates"
        )


def test_a_customer_who_came_back_three_times_earns_their_owner_a_badge_once():
    """The loyalty app's rule kind: the owner of an account whose customer made a fourth
    visit, once per customer, with the visits as evidence; nobody for a third visit."""
    from servicechain.org.models import Transaction

    org = build_org()
    kind = KINDS["loyalty_returns"]  # registered by the loyalty app, not by recognition
    assert kind.default_threshold == 3
    badge = Badge.objects.create(organization=org.organization, slug="loyal-customer", name="Loyal")
    AchievementRule.objects.create(
        organization=org.organization, badge=badge, kind="loyalty_returns", threshold=3
    )
    owner, other = org.people["north0"], org.people["north1"]
    loyal = CustomerFactory(organization=org.organization, owner=owner, name="Loyal Lou")
    twice = CustomerFactory(organization=org.organization, owner=other)
    start = timezone.now() - dt.timedelta(days=40)
    for customer, visits in ((loyal, 5), (twice, 3)):
        for n in range(visits):
            Transaction.objects.create(
                organization=org.organization,
                customer=customer,
                external_id=f"{customer.pk}-{n}",
                amount="12.00",
                occurred_at=start + dt.timedelta(days=7 * n),
            )
    assert services.achievements_evaluate(organization=org.organization) >= 1
    (award,) = awards(org, "loyal-customer")
    assert award.employee == owner and award.evidence_key == f"returns:{loyal.pk}"
    assert award.occurred_at == start + dt.timedelta(days=21)  # the fourth visit
    assert [item["label"] for item in award.evidence] == [
        "First visit",
        "Came back (1)",
        "Came back (2)",
        "Came back (3)",
    ]
    assert "Loyal Lou" in award.evidence[0]["detail"]
    services.achievements_evaluate(organization=org.organization)
    assert awards(org, "loyal-customer").count() == 1
