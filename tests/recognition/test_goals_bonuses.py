"""Goals with key results and check-ins, closed quarters; spot bonuses within a manager's
Decimal budget, recorded for the rewards payout, audited."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from servicechain.org.models import AuditEvent
from servicechain.recognition import selectors, services
from servicechain.recognition.models import Goal, SpotBonus
from tests.recognition.helpers import build_org

pytestmark = pytest.mark.django_db


def goal_for(org, who="north0", **kwargs):
    arguments = {
        "year": 2026,
        "quarter": 3,
        "title": "Faster answers",
        "key_results": [
            {"title": "Answered in a day", "target": 90, "unit": "%"},
            {"title": "Open complaints", "start": 20, "target": 0},
        ],
        "employee": org.people[who],
    } | kwargs
    return services.goal_create(viewer=org.viewer(who), **arguments)


def test_a_check_in_moves_the_score_towards_targets_up_or_down():
    org = build_org()
    goal = goal_for(org)
    up, down = goal.key_results.order_by("order")
    check_in = services.goal_check_in(
        viewer=org.viewer("north0"),
        goal=goal,
        values={str(up.pk): 45, str(down.pk): 5},
        comment="Halfway",
    )
    assert check_in.score == Decimal("62.5")  # (0.5 + 0.75) / 2
    assert selectors.goal_score(goal) == Decimal("62.5")


def test_goals_are_seen_by_the_person_their_manager_and_for_team_goals_the_team():
    org = build_org()
    mine = goal_for(org)
    team = services.goal_create(
        viewer=org.viewer("boss"),
        team=org.north,
        year=2026,
        quarter=3,
        title="Team",
        key_results=[{"title": "NPS", "target": 50}],
    )
    assert selectors.goal_of(org.viewer("boss"), mine.pk) == mine
    assert selectors.goal_of(org.viewer("north1"), team.pk) == team
    with pytest.raises(Http404):
        selectors.goal_of(org.viewer("north1"), mine.pk)
    with pytest.raises(Http404):
        selectors.goal_of(org.viewer("south0"), team.pk)
    with pytest.raises(PermissionDenied):
        goal_for(org, who="north1", employee=org.people["north0"])


@pytest.mark.parametrize(
    ("key_results", "message"),
    [
        ([], "at least one key result"),
        ([{"title": "X", "target": 0}], "must differ from the start"),
    ],
)
def test_a_goal_without_a_measurable_key_result_is_refused(key_results, message):
    org = build_org()
    with pytest.raises(ValidationError, match=message):
        goal_for(org, key_results=key_results)
    assert not Goal.objects.exists()


def test_closing_a_quarter_archives_the_managers_goals_with_their_final_score():
    org = build_org()
    goal = goal_for(org)
    other = goal_for(org, quarter=4)
    assert services.goals_close_quarter(viewer=org.viewer("boss"), year=2026, quarter=3) == 1
    goal.refresh_from_db()
    other.refresh_from_db()
    assert goal.status == "archived" and goal.final_score == Decimal("0.0")
    assert other.status == "open"
    with pytest.raises(ValidationError, match="archived"):
        services.goal_check_in(viewer=org.viewer("north0"), goal=goal, values={}, comment="late")


def budget(org, amount="500.00"):
    return services.spot_bonus_budget_set(
        viewer=org.viewer("hr"), manager=org.users["boss"], year=2026, amount=amount
    )


def test_a_spot_bonus_stays_within_the_managers_budget_in_decimal(time_machine):
    time_machine.move_to("2026-05-04 10:00Z")
    org = build_org()
    budget(org)
    boss = org.viewer("boss")
    bonus = services.spot_bonus_nominate(
        viewer=boss, employee=org.people["north1"], amount="350.10", reason="Saved the day"
    )
    assert bonus.amount.amount == Decimal("350.10") and str(bonus.amount.currency) == "GBP"
    assert selectors.budget_status(org.organization, org.users["boss"]).left.amount == Decimal(
        "149.90"
    )
    with pytest.raises(ValidationError, match="149.90"):
        services.spot_bonus_nominate(
            viewer=boss, employee=org.people["north2"], amount="150", reason="x"
        )
    for amount in ("0", "-5", "1.001", "abc"):
        with pytest.raises(ValidationError):
            services.spot_bonus_nominate(
                viewer=boss, employee=org.people["north2"], amount=amount, reason="x"
            )
    assert SpotBonus.objects.count() == 1
    assert AuditEvent.objects.filter(action="recognition.spot_bonus_nominate").count() == 1
    assert AuditEvent.objects.filter(action="recognition.budget_change").count() == 1


def test_only_a_manager_of_the_person_nominates_and_without_a_budget_nobody_can():
    org = build_org()
    with pytest.raises(ValidationError, match="no spot-bonus budget"):
        services.spot_bonus_nominate(
            viewer=org.viewer("boss"), employee=org.people["north1"], amount="10", reason="x"
        )
    with pytest.raises(PermissionDenied):
        services.spot_bonus_nominate(
            viewer=org.viewer("north0"), employee=org.people["north1"], amount="10", reason="x"
        )
    with pytest.raises(PermissionDenied):
        services.spot_bonus_budget_set(
            viewer=org.viewer("boss"), manager=org.users["boss"], year=2026, amount="1000"
        )


def test_the_rewards_payout_takes_nominated_bonuses_and_marks_them_paid(time_machine):
    time_machine.move_to("2026-05-04 10:00Z")
    org = build_org()
    budget(org)
    bonus = services.spot_bonus_nominate(
        viewer=org.viewer("boss"), employee=org.people["north1"], amount="100", reason="Great"
    )
    assert list(selectors.spot_bonuses_awaiting_payout(org.organization)) == [bonus]
    services.spot_bonus_mark_paid(bonus=bonus, payout_reference="RUN-2026-05")
    assert not selectors.spot_bonuses_awaiting_payout(org.organization).exists()
    with pytest.raises(ValidationError):
        services.spot_bonus_mark_paid(bonus=bonus, payout_reference="again")
    assert AuditEvent.objects.filter(action="recognition.spot_bonus_paid").exists()


def test_cancelling_a_nomination_gives_the_budget_back(time_machine):
    time_machine.move_to("2026-05-04 10:00Z")
    org = build_org()
    budget(org, "100")
    bonus = services.spot_bonus_nominate(
        viewer=org.viewer("boss"), employee=org.people["north1"], amount="100", reason="Great"
    )
    services.spot_bonus_cancel(viewer=org.viewer("boss"), bonus=bonus, reason="Wrong person")
    assert selectors.budget_status(org.organization, org.users["boss"]).left.amount == Decimal(
        "100"
    )
