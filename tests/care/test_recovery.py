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


def test_recovery_and_return_rates_by_unit_are_shown_only_for_enough_customers():
    w = world()
    for n in range(6):
        customer = CustomerFactory(organization=w.organization)
        case = open_case(w, customer)
        services.recovery_close(scope=w.scope(w.clerk), case=case, gesture="Credit")
        case.refresh_from_db()
        CustomerResponse.objects.create(
            wave=case.followup.wave,
            interaction=case.interaction,
            unit=w.store,
            answers={"csat": 5 if n < 4 else 2},
            submitted_at=timezone.now(),
        )
        if n < 3:
            TransactionFactory(
                organization=w.organization,
                customer=customer,
                amount=Decimal("12.00"),
                occurred_at=case.closed_at + dt.timedelta(days=3),
            )
    rows = {r["unit"].pk: r for r in selectors.recovery_by_unit(w.scope(w.store_manager))}
    store = rows[w.store.pk]
    assert not store["suppressed"] and store["answered"] == 6
    assert store["recovered"] == pytest.approx(4 / 6) and store["returned"] == pytest.approx(0.5)
    # Another store with two cases is withheld, and the gate withholds what would let anyone
    # subtract it out: what the shown stores leave of the region is 0 or at least min_n.
    for _ in range(2):
        case = services.recovery_open(
            scope=w.scope(w.region_manager),
            interaction_id=w.interaction_for(unit=w.other_store, employee=w.colleague_employee).pk,
            problem="Late.",
        )
        services.recovery_close(scope=w.scope(w.region_manager), case=case, gesture="Sorry")
    rows = {r["unit"].pk: r for r in selectors.recovery_by_unit(w.scope(w.region_manager))}
    assert rows[w.other_store.pk]["returned_suppressed"]
    assert (
        rows[w.other_store.pk]["returned"] is None and rows[w.other_store.pk]["customers"] is None
    )
    region = rows[w.region.pk]
    assert not region["returned_suppressed"] and region["customers"] == 8
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
