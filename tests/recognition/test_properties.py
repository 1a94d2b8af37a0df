"""Properties of recognition (hypothesis, real database): the allowance is never overspent,
received points are exactly the ledger's entries, a team kudos credits every member exactly
once, and an achievement rule never awards the same evidence twice."""

import datetime as dt
import itertools

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from servicechain.recognition import selectors, services
from servicechain.recognition.models import AchievementRule, Award, Badge, PointsEntry
from tests.factories import EmployeeFactory
from tests.recognition.helpers import build_org, customer_wave, rate

pytestmark = pytest.mark.django_db
SETTINGS = settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
_names = itertools.count()


@SETTINGS
@given(
    allowance=st.integers(0, 60),
    gifts=st.lists(st.tuples(st.integers(0, 40), st.integers(1, 3)), min_size=1, max_size=8),
)
def test_a_giver_never_spends_more_than_the_allowance_left(allowance, gifts):
    org = build_org(allowance=allowance, team_size=4)
    giver = org.people["north0"]
    colleagues = [org.people[n] for n in ("north1", "north2", "north3")]
    spent = 0
    for points, how_many in gifts:
        left = selectors.allowance_left(giver)
        entries = PointsEntry.objects.count()
        try:
            services.kudos_give(
                giver=giver,
                message="Thanks",
                values=["own-it"],
                recipients=colleagues[:how_many],
                points=points,
            )
        except ValidationError:
            assert points * how_many > left  # refused only for want of points
            assert PointsEntry.objects.count() == entries  # and nothing was written
            continue
        spent += points * how_many
        assert points * how_many <= left
        assert selectors.allowance_left(giver) == left - points * how_many
    assert 0 <= selectors.allowance_left(giver) == allowance - spent


@SETTINGS
@given(gifts=st.lists(st.tuples(st.integers(0, 3), st.integers(0, 5)), min_size=1, max_size=10))
def test_received_points_are_the_sum_of_ledger_entries(gifts):
    org = build_org(allowance=10_000, team_size=3)
    people = [org.people[n] for n in ("north0", "north1", "north2", "south0")]
    expected = {p.pk: 0 for p in people}
    for giver_index, points in gifts:
        giver = people[giver_index]
        recipients = [p for p in people if p.pk != giver.pk][: 1 + points % 3]
        services.kudos_give(
            giver=giver, message="Thanks", values=["together"], recipients=recipients, points=points
        )
        for p in recipients:
            expected[p.pk] += points
    for person in people:
        ledger = (
            PointsEntry.objects.filter(
                employee=person, kind__in=["received", "redeemed"]
            ).aggregate(total=Sum("points"))["total"]
            or 0
        )
        assert selectors.points_balance(person) == ledger == expected[person.pk]
        assert selectors.points_received(person) == expected[person.pk]


@SETTINGS
@given(
    team_size=st.integers(1, 6),
    giver_in_team=st.booleans(),
    named=st.sets(st.integers(0, 5), max_size=4),
)
def test_a_team_kudos_credits_every_member_exactly_once(team_size, giver_in_team, named):
    org = build_org(team_size=0)
    team = org.south
    members = [EmployeeFactory(unit=team) for _ in range(team_size)]
    giver = members[0] if giver_in_team else org.people["boss"]
    explicit = [members[i] for i in named if i < team_size and members[i].pk != giver.pk]
    if team_size == 1 and giver_in_team:
        with pytest.raises(ValidationError, match="nobody of its own"):
            services.kudos_give(giver=giver, message="Team!", values=["together"], team=team)
        return
    kudos = services.kudos_give(
        giver=giver, message="Team!", values=["together"], team=team, recipients=explicit, points=1
    )
    credited = list(kudos.recipients.values_list("employee_id", flat=True))
    expected = {m.pk for m in members} - {giver.pk}
    assert sorted(credited) == sorted(expected)  # each member once, the giver never
    assert PointsEntry.objects.filter(kudos=kudos, kind="received").count() == len(expected)


@SETTINGS
@given(
    threshold=st.integers(1, 4),
    ratings=st.lists(
        st.tuples(st.integers(0, 2), st.integers(0, 2), st.integers(1, 5)), max_size=25
    ),
)
def test_an_achievement_rule_is_idempotent(threshold, ratings):
    org = build_org(team_size=3)
    wave = customer_wave(org)
    badge = Badge.objects.create(
        organization=org.organization, name="Five", slug=f"five-{next(_names)}", description="5s"
    )
    AchievementRule.objects.create(
        organization=org.organization, badge=badge, kind="csat_five_star_month", threshold=threshold
    )
    people = [org.people[n] for n in ("north0", "north1", "north2")]
    months = [timezone.now() - dt.timedelta(days=d) for d in (95, 65, 35)]
    fives: dict[tuple[int, str], int] = {}
    for who, month, csat in ratings:
        rate(org, wave, people[who], months[month], csat)
        key = (people[who].pk, f"csat5:{timezone.localtime(months[month]):%Y-%m}")
        if csat == 5:
            fives[key] = fives.get(key, 0) + 1
    first = services.achievements_evaluate(organization=org.organization)
    awarded = set(Award.objects.filter(badge=badge).values_list("employee_id", "evidence_key"))
    expected = {key for key, n in fives.items() if n >= threshold}
    assert awarded == expected and first == len(expected)
    assert services.achievements_evaluate(organization=org.organization) == 0
    assert (
        set(Award.objects.filter(badge=badge).values_list("employee_id", "evidence_key")) == awarded
    )
