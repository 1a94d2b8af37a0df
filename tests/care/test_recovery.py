"""Service recovery: a case is owned, closed with a gesture, and the customer is invited to the
follow-up survey; recovery and repeat business by unit pass the anonymity gate. An excluded
customer served again is marked on that new interaction."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from servicechain.care import listeners, selectors, services
from servicechain.care.models import RecoveryCase
from servicechain.org.models import AuditEvent
from servicechain.surveys.models import CustomerResponse, Invitation
from tests.care.helpers import world
from tests.factories import CustomerFactory, TransactionFactory

pytestmark = pytest.mark.django_db


def open_case(w, customer=None):
    interaction = w.interaction_for(customer=customer)
    return services.recovery_open(
        scope=w.scope(w.clerk), interaction_id=interaction.pk, problem="Sofa delivered broken."
    )


def test_closing_a_case_invites_the_customer_to_the_follow_up_survey(
    django_capture_on_commit_callbacks,
):
    w = world()
    customer = CustomerFactory(organization=w.organization, email="pat@example.com", name="Pat")
    case = open_case(w, customer)
    with django_capture_on_commit_callbacks(execute=True):
        services.recovery_close(scope=w.scope(w.clerk), case=case, gesture="Refunded delivery")
    case.refresh_from_db()
    assert case.status == "closed" and case.gesture == "Refunded delivery"
    invitation = Invitation.objects.get(pk=case.followup_id)
    assert invitation.interaction == case.interaction and invitation.wave.name.startswith(
        "Service recovery follow-up"
    )
    assert invitation.wave.status == "open" and invitation.sent_at is not None
    assert [m.to for m in mail.outbox] == [["pat@example.com"]]
    assert AuditEvent.objects.filter(action="care.recovery.close").exists()


def test_only_the_owner_or_their_manager_closes_a_case_and_a_gesture_is_needed():
    w = world()
    case = open_case(w)
    with pytest.raises(PermissionDenied):
        services.recovery_close(scope=w.scope(w.colleague), case=case, gesture="x")
    with pytest.raises(PermissionDenied):
        services.recovery_close(scope=w.scope(w.outside_manager), case=case, gesture="x")
    with pytest.raises(ValidationError, match="what was done"):
        services.recovery_close(scope=w.scope(w.store_manager), case=case, gesture=" ")
    assert RecoveryCase.objects.get().status == "open"


def quarter_day(quarters_ago: int) -> dt.datetime:
    """The 10th day of the calendar quarter `quarters_ago` before the current one."""
    quarter = selectors.last_closed_quarter() - (quarters_ago - 1)
    return timezone.make_aware(quarter.start_time.to_pydatetime() + dt.timedelta(days=10), dt.UTC)


def closed_case(w, customer, *, scope_user=None, unit=None, employee=None):
    """A case closed in the quarter before the last closed one."""
    user = scope_user or w.clerk
    interaction = w.interaction_for(customer=customer, unit=unit, employee=employee)
    case = services.recovery_open(
        scope=w.scope(user), interaction_id=interaction.pk, problem="Sofa delivered broken."
    )
    services.recovery_close(scope=w.scope(user), case=case, gesture="Credit")
    RecoveryCase.objects.filter(pk=case.pk).update(closed_at=quarter_day(2))
    case.refresh_from_db()
    return case


def by_unit(scope) -> dict:
    services.figures_publish(organization=scope.organization)
    return {r["unit"].pk: r for r in selectors.recovery_by_unit(scope)["rows"]}


def store_with_six_cases(w):
    """Six cases of the store closed the quarter before last; their customers answered the
    follow-up last quarter (4 satisfied) and 3 of them bought again within 90 days."""
    for n in range(6):
        customer = CustomerFactory(organization=w.organization)
        case = closed_case(w, customer)
        CustomerResponse.objects.create(
            wave=case.followup.wave,
            interaction=case.interaction,
            unit=w.store,
            answers={"csat": 5 if n < 4 else 2},
            submitted_at=quarter_day(1),
        )
        if n < 3:
            TransactionFactory(
                organization=w.organization,
                customer=customer,
                amount=Decimal("12.00"),
                occurred_at=case.closed_at + dt.timedelta(days=3),
            )


def test_recovery_and_return_rates_by_unit_are_those_of_the_last_closed_quarter():
    """Follow-up answers submitted in the last closed quarter, and purchases within 90 days
    by the customers whose cases closed the quarter before."""
    w = world()
    store_with_six_cases(w)
    store = by_unit(w.scope(w.store_manager))[w.store.pk]
    assert not store["suppressed"] and store["answered"] == 6
    assert store["recovered"] == pytest.approx(4 / 6) and store["returned"] == pytest.approx(0.5)


def test_a_unit_with_too_few_customers_is_withheld_and_cannot_be_subtracted_out():
    w = world()
    store_with_six_cases(w)
    for _ in range(2):  # another store with two cases
        closed_case(
            w,
            CustomerFactory(organization=w.organization),
            scope_user=w.region_manager,
            unit=w.other_store,
            employee=w.colleague_employee,
        )
    rows = by_unit(w.scope(w.region_manager))
    assert rows[w.other_store.pk]["returned_suppressed"]
    assert (
        rows[w.other_store.pk]["returned"] is None and rows[w.other_store.pk]["customers"] is None
    )
    region = rows[w.region.pk]
    assert not region["returned_suppressed"] and region["customers"] == 8
    # What the shown stores leave of the region is 0 or at least min_n.
    shown = sum(
        rows[u.pk]["customers"]
        for u in (w.store, w.other_store)
        if not rows[u.pk]["returned_suppressed"]
    )
    left = region["customers"] - shown
    assert left == 0 or left >= w.organization.min_group_size


def test_an_excluded_customer_served_again_is_marked_on_the_new_interaction():
    w = world()
    incident = services.incident_report(
        scope=w.scope(w.clerk),
        category="violence",
        severity=4,
        description="He punched me.",
        interaction_id=w.interaction.pk,
    )
    services.incident_decide(scope=w.scope(w.store_manager), incident=incident)
    again = w.interaction_for(customer=w.customer)
    listeners.excluded_customers_served(
        organization=w.organization, external_ids=[again.external_id]
    )
    event = AuditEvent.objects.get(action="care.excluded_customer_served")
    assert event.target_id == str(again.pk) and event.detail["interaction"] == again.external_id
    contacts = selectors.my_recent_interactions(w.scope(w.clerk))
    flagged = {c.interaction.pk: c.excluded_until for c in contacts}
    assert flagged[again.pk] == incident.sanction.ends_on
