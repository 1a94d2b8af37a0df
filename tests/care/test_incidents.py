"""Reporting, deciding, appealing and reviewing: a sanction exists only once a manager
confirmed it, is reviewed by someone else, every step is audited, and bad input is refused
with a clear message and changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from servicechain.care import selectors, services
from servicechain.care.models import (
    CheckInTask,
    Incident,
    RecoveryCase,
    Sanction,
    WellbeingOffer,
)
from servicechain.notifications.models import Notification
from servicechain.org.models import AuditEvent
from tests.care.helpers import world

pytestmark = pytest.mark.django_db


def report(w, user=None, **fields):
    values = {
        "category": "threat",
        "severity": 3,
        "description": "He said he would wait for me in the car park.",
        "interaction_id": w.interaction.pk,
    } | fields
    return services.incident_report(scope=w.scope(user or w.clerk), **values)


def counts():
    return (Incident.objects.count(), Sanction.objects.count(), AuditEvent.objects.count())


def test_a_report_reads_the_line_and_tells_the_managers_of_the_unit():
    w = world()
    incident = report(w)
    assert incident.state == Incident.State.REPORTED
    assert incident.proposed_outcome == "exclusion" and incident.proposed_months == 6
    assert incident.customer == w.customer and incident.unit == w.store
    assert incident.suggested_category == "threat"
    told = set(
        Notification.objects.filter(event="care.report_received").values_list(
            "recipient", flat=True
        )
    )
    assert told == {w.store_manager.pk}
    assert not Sanction.objects.exists()


def test_a_serious_report_offers_a_break_and_plans_check_ins_at_72_hours_and_a_month():
    w = world()
    before = timezone.now()
    incident = report(w)
    assert WellbeingOffer.objects.get(incident=incident).kind == "time_off"
    tasks = {t.kind: t for t in CheckInTask.objects.filter(incident=incident)}
    assert tasks["first"].manager == w.store_manager
    hours = (tasks["first"].due_at - before).total_seconds() / 3600
    assert 71.9 < hours < 72.1
    assert 29.9 < (tasks["second"].due_at - before).days + 1 <= 31


def test_a_minor_report_offers_nothing():
    w = world()
    incident = report(w, category="upset", severity=1, description="Angry about the refund.")
    assert not WellbeingOffer.objects.filter(incident=incident).exists()
    assert not CheckInTask.objects.filter(incident=incident).exists()


def test_the_manager_confirms_an_exclusion_which_then_flags_the_customer():
    w = world()
    incident = report(w)
    services.incident_decide(scope=w.scope(w.store_manager), incident=incident)
    incident.refresh_from_db()
    sanction = incident.sanction
    assert incident.state == Incident.State.DECIDED and incident.decided_by == w.store_manager
    assert sanction.kind == "exclusion" and sanction.confirmed_by == w.store_manager
    today = timezone.localdate()
    assert sanction.starts_on == today and sanction.ends_on > today + dt.timedelta(days=170)
    assert sanction.review_on <= sanction.ends_on
    standing = selectors.standing_of(w.customer)
    assert standing.excluded and standing.excluded_until == sanction.ends_on
    assert selectors.excluded_customers([w.customer.pk]) == {w.customer.pk: sanction.ends_on}
    decided = Notification.objects.get(event="care.decision", recipient=w.clerk)
    assert "exclusion" in decided.title.lower()


def test_no_sanction_takes_effect_before_a_manager_confirms_it():
    w = world()
    report(w)
    assert not selectors.standing_of(w.customer).excluded
    with pytest.raises(PermissionDenied):
        services.incident_decide(scope=w.scope(w.clerk), incident=Incident.objects.get())
    with pytest.raises(PermissionDenied):
        services.incident_decide(scope=w.scope(w.hr), incident=Incident.objects.get())
    assert not Sanction.objects.exists()
    assert not selectors.standing_of(w.customer).excluded


def test_a_manager_outside_the_subtree_cannot_decide_and_nothing_changes():
    w = world()
    incident = report(w)
    before = counts()
    with pytest.raises(PermissionDenied):
        services.incident_decide(scope=w.scope(w.outside_manager), incident=incident)
    assert counts() == before
    assert Incident.objects.get().state == Incident.State.REPORTED


def test_the_person_it_happened_to_cannot_confirm_it_even_as_a_manager():
    w = world()
    incident = services.incident_report(
        scope=w.scope(w.store_manager),
        category="violence",
        severity=4,
        description="He pushed me into the shelves.",
    )
    with pytest.raises(PermissionDenied):
        services.incident_decide(scope=w.scope(w.store_manager), incident=incident)
    services.incident_decide(
        scope=w.scope(w.region_manager),
        incident=incident,
        outcome="supervisor",
        note="No customer known.",
    )


def test_deciding_differently_from_the_line_needs_a_reason():
    w = world()
    incident = report(w)
    with pytest.raises(ValidationError, match="Say why"):
        services.incident_decide(
            scope=w.scope(w.store_manager), incident=incident, outcome="warning"
        )
    assert Incident.objects.get().state == Incident.State.REPORTED
    services.incident_decide(
        scope=w.scope(w.store_manager), incident=incident, outcome="warning", note="First time."
    )
    assert Sanction.objects.get().kind == "warning" and Sanction.objects.get().ends_on is None


def test_the_confirmer_cannot_review_the_appeal_someone_else_does():
    w = world()
    incident = report(w)
    services.incident_decide(scope=w.scope(w.store_manager), incident=incident)
    services.incident_appeal(scope=w.scope(w.store_manager), incident=incident, text="I was upset.")
    with pytest.raises(PermissionDenied, match="someone else"):
        services.incident_review(
            scope=w.scope(w.store_manager), incident=incident, result="lifted", note="Fine."
        )
    assert Incident.objects.get().state == Incident.State.APPEALED
    services.incident_review(
        scope=w.scope(w.region_manager), incident=incident, result="lifted", note="Apologised."
    )
    incident.refresh_from_db()
    assert incident.state == Incident.State.REVIEWED and incident.reviewed_by == w.region_manager
    assert incident.sanction.lifted_on == timezone.localdate()
    assert not selectors.standing_of(w.customer).excluded


def test_the_database_refuses_a_review_by_the_confirmer_too():
    from django.db import IntegrityError, transaction

    w = world()
    incident = report(w)
    services.incident_decide(scope=w.scope(w.store_manager), incident=incident)
    with pytest.raises(IntegrityError), transaction.atomic():
        Incident.objects.filter(pk=incident.pk).update(reviewed_by=w.store_manager)


def test_only_a_decided_sanction_can_be_appealed():
    w = world()
    incident = report(w, category="upset", severity=1, description="Angry about a refund.")
    with pytest.raises(ValidationError):
        services.incident_appeal(scope=w.scope(w.store_manager), incident=incident, text="No.")
    services.incident_decide(scope=w.scope(w.store_manager), incident=incident)
    with pytest.raises(ValidationError, match="Only a decided sanction"):
        services.incident_appeal(scope=w.scope(w.store_manager), incident=incident, text="No.")


def test_coaching_opens_a_recovery_case_owned_by_the_employee():
    w = world()
    incident = report(w, category="upset", severity=1, description="Angry about a late refund.")
    services.incident_decide(scope=w.scope(w.store_manager), incident=incident)
    case = RecoveryCase.objects.get()
    assert case.owner == w.clerk_employee and case.customer == w.customer


def test_every_sanction_appeal_and_review_is_in_the_audit_log():
    w = world()
    incident = report(w)
    services.incident_decide(scope=w.scope(w.store_manager), incident=incident)
    services.incident_appeal(scope=w.scope(w.region_manager), incident=incident, text="Sorry.")
    services.incident_review(
        scope=w.scope(w.admin), incident=incident, result="upheld", note="Threats are threats."
    )
    actions = {
        (e.action, e.actor_id)
        for e in AuditEvent.objects.filter(organization=w.organization, action__startswith="care.")
    }
    assert ("care.incident.report", w.clerk.pk) in actions
    assert ("care.incident.decide", w.store_manager.pk) in actions
    assert ("care.sanction.confirm", w.store_manager.pk) in actions
    assert ("care.incident.appeal", w.region_manager.pk) in actions
    assert ("care.incident.review", w.admin.pk) in actions


def test_repeated_incidents_climb_the_ladder():
    w = world()
    for expected in ("warning", "agreement", "exclusion"):
        interaction = w.interaction_for(customer=w.customer)
        incident = report(
            w,
            category="harassment",
            severity=2,
            description="Asked for my number again.",
            interaction_id=interaction.pk,
        )
        assert incident.proposed_outcome == expected
        services.incident_decide(scope=w.scope(w.store_manager), incident=incident)


def test_a_vulnerable_customer_goes_to_a_person():
    w = world()
    services.customer_flag_update(
        scope=w.scope(w.store_manager), customer=w.customer, vulnerable=True
    )
    incident = report(w)
    assert incident.proposed_outcome == "refer" and incident.exemption == "vulnerable"
    assert AuditEvent.objects.filter(action="care.customer.flag").exists()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"severity": 7}, "Severity must be 1-4, not 7"),
        ({"severity": "high"}, "Severity is a whole number"),
        ({"category": "rude"}, "Unknown category"),
        ({"description": "  "}, "what happened"),
        ({"interaction_id": 987654}, "no interaction 987654"),
        ({"interaction_id": "abc"}, "not an interaction id"),
    ],
)
def test_bad_reports_are_refused_with_a_clear_message_and_nothing_is_written(fields, message):
    w = world()
    before = counts()
    with pytest.raises(ValidationError, match=message):
        report(w, **fields)
    assert counts() == before


def test_an_interaction_of_another_organisation_is_unknown():
    w = world()
    other = world("other")
    with pytest.raises(ValidationError, match="no interaction"):
        report(w, interaction_id=other.interaction.pk)


def test_an_employee_cannot_report_on_a_colleagues_interaction_in_another_unit():
    w = world()
    elsewhere = w.interaction_for(unit=w.other_store, employee=w.colleague_employee)
    with pytest.raises(ValidationError, match="that you served or manage"):
        report(w, interaction_id=elsewhere.pk)


def test_overdue_check_ins_are_told_and_escalated_once():
    w = world()
    incident = report(w)
    task = CheckInTask.objects.get(incident=incident, kind="first")
    later = task.due_at + dt.timedelta(hours=49)
    result = services.checkins_due(now=later)
    assert result == {"told": 1, "escalated": 1}
    task.refresh_from_db()
    assert task.escalated_to == w.region_manager
    assert services.checkins_due(now=later) == {"told": 0, "escalated": 0}
    assert Notification.objects.filter(
        event="care.checkin_due", recipient=w.region_manager
    ).exists()
    services.checkin_done(scope=w.scope(w.region_manager), task_id=task.pk)
    assert CheckInTask.objects.get(pk=task.pk).done_at is not None


def test_the_care_due_command_tells_and_escalates(capsys):
    import time_machine
    from django.core.management import call_command

    w = world()
    incident = report(w)
    task = CheckInTask.objects.get(incident=incident, kind="first")
    with time_machine.travel(task.due_at + dt.timedelta(hours=50), tick=False):
        call_command("care_due")
    assert "1 manager(s) told, 1 escalated" in capsys.readouterr().out
