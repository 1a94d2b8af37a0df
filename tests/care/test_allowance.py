"""The goodwill allowance: spent without asking within the month's allowance, above it only
with the manager's one-click approval; Decimal money; bad input changes nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from servicechain.care import selectors, services
from servicechain.care.models import GoodwillSpend
from servicechain.notifications.models import Notification
from servicechain.org.models import AuditEvent
from tests.care.helpers import world

pytestmark = pytest.mark.django_db


def spend(w, amount, user=None, **fields):
    values = {
        "interaction_id": w.interaction.pk,
        "kind": "credit",
        "reason": "delay",
        "amount": amount,
    } | fields
    return services.goodwill_spend(scope=w.scope(user or w.clerk), **values)


def test_spending_within_the_allowance_needs_nobody_and_counts_in_decimal():
    w = world()
    first = spend(w, "19.99")
    second = spend(w, Decimal("30.01"))
    assert first.status == second.status == GoodwillSpend.Status.SPENT
    state = selectors.allowance_state(w.clerk_employee)
    assert state["spent"].amount == Decimal("50.00")
    assert state["remaining"].amount == Decimal("0.00")
    assert first.amount.amount == Decimal("19.99") and str(first.amount.currency) == "GBP"
    assert first.interaction == w.interaction and first.customer == w.customer


def test_spending_over_the_allowance_without_asking_is_refused_and_writes_nothing():
    w = world()
    spend(w, "45")
    before = (GoodwillSpend.objects.count(), AuditEvent.objects.count())
    with pytest.raises(ValidationError, match="more than the £5.00 left"):
        spend(w, "10")
    assert (GoodwillSpend.objects.count(), AuditEvent.objects.count()) == before


def test_above_the_allowance_the_manager_approves_in_one_click():
    w = world()
    request = spend(w, "120.00", ask_manager=True)
    assert request.status == GoodwillSpend.Status.PENDING
    assert Notification.objects.filter(
        event="care.goodwill_waiting", recipient=w.store_manager
    ).exists()
    assert list(selectors.spends_waiting(w.scope(w.store_manager))) == [request]
    services.goodwill_decide(scope=w.scope(w.store_manager), spend=request, approve=True)
    request.refresh_from_db()
    assert request.status == GoodwillSpend.Status.APPROVED and request.decided_by == w.store_manager
    assert AuditEvent.objects.filter(action="care.goodwill.approve", actor=w.store_manager).exists()
    assert Notification.objects.filter(event="care.goodwill_decided", recipient=w.clerk).exists()
    # Approved spending is on the manager's authority: the allowance is untouched.
    assert selectors.allowance_state(w.clerk_employee)["remaining"].amount == Decimal("50.00")


def test_a_manager_outside_the_subtree_cannot_approve():
    w = world()
    request = spend(w, "120.00", ask_manager=True)
    with pytest.raises(PermissionDenied):
        services.goodwill_decide(scope=w.scope(w.outside_manager), spend=request, approve=True)
    assert GoodwillSpend.objects.get().status == GoodwillSpend.Status.PENDING
    assert list(selectors.spends_waiting(w.scope(w.outside_manager))) == []


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"amount": "-5"}, "above zero"),
        ({"amount": "lots"}, "not an amount"),
        ({"amount": "NaN"}, "above zero|not an amount"),
        ({"kind": "cash"}, "Choose one of"),
        ({"reason": ""}, "Choose one of"),
        ({"interaction_id": 999999}, "no interaction"),
    ],
)
def test_bad_spending_is_refused_and_writes_nothing(fields, message):
    w = world()
    amount = fields.pop("amount", "10")
    with pytest.raises(ValidationError, match=message):
        spend(w, amount, **fields)
    assert not GoodwillSpend.objects.exists()


def test_people_without_an_employee_record_have_no_allowance():
    w = world()
    with pytest.raises(PermissionDenied):
        spend(w, "5", user=w.hr)
