"""The ledger: earning, pending and confirming, redemption oldest first, returns, expiry, and
bad input refused with nothing changed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError

from servicechain.loyalty import selectors, services
from servicechain.loyalty.models import Entry, Return
from servicechain.org.models import AuditEvent

from .helpers import buy, moment, shop

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 3, 2)


@pytest.fixture(autouse=True)
def clock():
    """Purchases happen "now": the clock stands at noon on DAY (purchases later in a test
    are dated ahead of it, as a till would stamp them)."""
    with time_machine.travel(moment(DAY), tick=False):
        yield


def kinds(customer) -> list[tuple[str, int]]:
    return list(
        Entry.objects.filter(customer=customer).order_by("pk").values_list("kind", "points")
    )


def test_a_purchase_earns_visit_and_spend_points():
    _, _, _, customer = shop()
    buy(customer, "42.50", moment(DAY))
    assert kinds(customer) == [("earn", 10 + 42)]
    assert selectors.balance(customer) == 52


def test_a_purchase_below_the_minimum_spend_earns_spend_points_only():
    _, _, _, customer = shop()
    buy(customer, "4.99", moment(DAY))
    assert selectors.balance(customer) == 4


def test_points_stay_pending_through_the_return_window_then_confirm():
    organization, _, _, customer = shop(return_window_days=30)
    buy(customer, "20.00", moment(DAY))
    assert selectors.balance(customer) == 0
    assert selectors.pending_points(customer) == 30

    assert (
        services.ledger_confirm_due(
            organization=organization, now=moment(DAY + dt.timedelta(days=29))
        )
        == 0
    )
    assert (
        services.ledger_confirm_due(
            organization=organization, now=moment(DAY + dt.timedelta(days=30))
        )
        == 1
    )
    assert selectors.balance(customer) == 30
    assert selectors.pending_points(customer) == 0


def test_redemption_takes_the_oldest_lot_first():
    _, _, _, customer = shop()
    first = buy(customer, "10.00", moment(DAY))
    second = buy(customer, "10.00", moment(DAY + dt.timedelta(days=3)))
    services.redemption_create(customer=customer, points=25, now=moment(DAY + dt.timedelta(days=4)))
    lots = {lot["transaction_id"]: lot["remaining"] for lot in selectors.lots(customer)}
    assert lots == {first.pk: 0, second.pk: 15}
    assert selectors.balance(customer) == 15


def test_redeeming_more_than_the_balance_is_refused_and_changes_nothing():
    _, _, _, customer = shop()
    buy(customer, "10.00", moment(DAY))
    before = Entry.objects.count()
    with pytest.raises(ValidationError, match="Cannot redeem 21 points"):
        services.redemption_create(customer=customer, points=21)
    with pytest.raises(ValidationError, match="above zero"):
        services.redemption_create(customer=customer, points=-5)
    assert Entry.objects.count() == before
    assert selectors.balance(customer) == 20


def test_a_full_return_reverses_every_point_it_earned_even_after_confirmation():
    organization, _, _, customer = shop(return_window_days=14)
    purchase = buy(customer, "30.00", moment(DAY))
    services.ledger_confirm_due(organization=organization, now=moment(DAY + dt.timedelta(days=20)))
    services.return_record(
        organization=organization, purchase=purchase, amount="30.00", external_id="R1"
    )
    assert selectors.balance(customer) == 0
    assert selectors.ledger_totals(customer) == {"confirmed_earned": 0, "redeemed": 0, "expired": 0}


def test_a_partial_return_below_the_minimum_spend_takes_the_visit_points_too():
    organization, _, _, customer = shop(return_window_days=30)
    purchase = buy(customer, "8.00", moment(DAY))  # 10 visit + 8 spend, pending
    services.return_record(
        organization=organization, purchase=purchase, amount="4.00", external_id="R1"
    )
    assert selectors.pending_points(customer) == 4  # 4.00 kept: below the 5.00 visit minimum


def test_returning_a_purchase_redeemed_on_gives_those_points_back():
    organization, _, _, customer = shop()
    earlier = buy(customer, "50.00", moment(DAY))  # 60 points
    later = buy(customer, "10.00", moment(DAY + dt.timedelta(days=1)))  # 20 points
    services.redemption_create(customer=customer, points=40, purchase=later)
    services.return_record(
        organization=organization, purchase=later, amount="10.00", external_id="R1"
    )
    # 80 earned − 20 reversed, and the 40 redeemed on the returned purchase come back.
    assert selectors.balance(customer) == 60
    assert earlier.pk


def test_bad_returns_are_refused_and_change_nothing():
    organization, _, _, customer = shop()
    purchase = buy(customer, "10.00", moment(DAY))
    for amount, message in (("0", "above zero"), ("-3", "above zero"), ("10.01", "Cannot return")):
        with pytest.raises(ValidationError, match=message):
            services.return_record(
                organization=organization, purchase=purchase, amount=amount, external_id="R"
            )
    assert Return.objects.count() == 0
    assert selectors.balance(customer) == 20


def test_inactive_points_expire_and_new_activity_does_not_revive_them():
    organization, _, _, customer = shop(expiry_months=6)
    buy(customer, "10.00", moment(DAY))
    assert services.expiry_run(now=moment(dt.date(2026, 9, 1)), organization=organization) == 0
    assert services.expiry_run(now=moment(dt.date(2026, 9, 3)), organization=organization) == 1
    assert selectors.balance(customer) == 0
    assert selectors.ledger_totals(customer)["expired"] == 20


def test_every_ledger_act_is_audited():
    organization, _, _, customer = shop()
    purchase = buy(customer, "10.00", moment(DAY))
    services.redemption_create(customer=customer, points=5)
    services.return_record(
        organization=organization, purchase=purchase, amount="1.00", external_id="R1"
    )
    actions = set(
        AuditEvent.objects.filter(organization=organization).values_list("action", flat=True)
    )
    assert {"loyalty.transaction_record", "loyalty.redeem", "loyalty.return"} <= actions


def test_entries_cannot_be_changed_or_deleted():
    _, _, _, customer = shop()
    buy(customer, "10.00", moment(DAY))
    entry = Entry.objects.get(customer=customer)
    entry.points = 999
    with pytest.raises(ValidationError, match="append-only"):
        entry.save()
    with pytest.raises(ValidationError, match="append-only"):
        entry.delete()
    assert Entry.objects.get(pk=entry.pk).points == 20


def test_a_money_amount_keeps_the_cents():
    _, _, _, customer = shop(spend_unit="0.50")
    buy(customer, "0.99", moment(DAY))
    assert selectors.balance(customer) == 1
    assert Decimal("0.99") == customer.transactions.get().amount
