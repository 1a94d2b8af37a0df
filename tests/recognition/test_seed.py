"""The demo seeder writes what the services would: the ledger matches the credits, no giver
spends more than the allowance in a month, and the tour's goals, bonus and report exist."""

import datetime as dt

import pytest
from django.db.models import Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from servicechain.org.models import Transaction
from servicechain.recognition import seed
from servicechain.recognition.models import (
    Award,
    Goal,
    KudosRecipient,
    PointsEntry,
    Report,
    SpotBonus,
)
from tests.factories import CustomerFactory, EmployeeFactory
from tests.recognition.helpers import build_org

pytestmark = pytest.mark.django_db


def test_the_seeded_year_is_consistent_with_the_services_rules():
    org = build_org(team_size=6)
    for _ in range(20):
        EmployeeFactory(unit=org.north, hire_date=dt.date(2019, 5, 1))
    loyal = CustomerFactory(organization=org.organization, owner=org.people["north1"])
    for n in range(9):  # the demo's "Loyal customer": back 8 times
        Transaction.objects.create(
            organization=org.organization,
            customer=loyal,
            external_id=f"loyal-{n}",
            amount="20.00",
            occurred_at=timezone.make_aware(dt.datetime(2026, 2 + n, 3, 12)),
        )
    printed = []
    seed.seed_demo(
        organization=org.organization, today=dt.date(2026, 12, 7), progress=printed.append
    )
    assert "kudos in the last year" in printed[0]
    credited = KudosRecipient.objects.filter(kudos__points_each__gt=0).aggregate(
        total=Sum("points")
    )["total"]
    received = PointsEntry.objects.filter(kind="received").aggregate(total=Sum("points"))["total"]
    given = PointsEntry.objects.filter(kind="given").aggregate(total=Sum("points"))["total"]
    assert credited == received == -given
    monthly = (
        PointsEntry.objects.filter(kind="given")
        .annotate(month=TruncMonth("created_at"))
        .values("employee", "month")
        .annotate(spent=Sum("points"))
    )
    assert min(row["spent"] for row in monthly) >= -100
    assert Goal.objects.filter(status="archived", final_score=100).exists()
    assert Goal.objects.filter(team=org.people["north0"].unit).exists()
    assert SpotBonus.objects.filter(status="nominated").count() == 1
    assert Report.objects.filter(status="open").count() == 1
    assert Award.objects.filter(badge__slug="goal-met", employee=org.people["north0"]).exists()
    (loyal_award,) = Award.objects.filter(badge__slug="loyal-customer")
    assert loyal_award.employee == org.people["north1"]
    assert loyal_award.evidence_key == f"returns:{loyal.pk}" and len(loyal_award.evidence) == 9
