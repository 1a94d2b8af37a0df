"""Privacy rights from the CLI and the admin: export a person's data, erase a person, and
apply the retention policy. Each is audited."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from servicechain.contactcentre.models import Agent, MoveRequest
from servicechain.insights import services as insights_services
from servicechain.insights.models import PlanTask, ProgressUpdate
from servicechain.notifications import services as notification_services
from servicechain.notifications.models import Notification
from servicechain.org import services
from servicechain.org.models import (
    AuditEvent,
    Customer,
    Employee,
    Interaction,
    Membership,
    RetentionPolicy,
    Transaction,
)
from servicechain.surveys import services as survey_services
from servicechain.surveys.models import CustomerResponse, Invitation, Response, UnitScore
from tests.contactcentre.helpers import (
    DAY,
    agent_login,
    lead_login,
    make_agent,
    make_centre,
    publish_day,
)
from tests.factories import (
    CustomerFactory,
    InteractionFactory,
    TransactionFactory,
    UserFactory,
    member,
)
from tests.surveys.helpers import add_responses, build_org, close_wave, open_wave

pytestmark = pytest.mark.django_db


@pytest.fixture
def erin():
    """A North A employee with a login, an answered census (closed, published), a task on a
    plan, a progress note, a notification, work she served and a customer she owns."""
    org, units = build_org()
    me = units["north_a"].employees.order_by("pk").first()
    me.email = "erin.example@acme.example"
    me.first_name, me.last_name = "Erin", "Example"
    me.save()
    user = UserFactory(username="erin", email="erin@acme.example", first_name="Erin")
    services.membership_grant(user=user, organization=org, role="employee", unit=units["north_a"])
    me.user = user
    me.save(update_fields=["user"])
    manager = member(org, "manager", units["north"], username="nora")
    wave = open_wave(org, units["root"], name="Autumn census")
    survey_services.invitation_send(wave=wave, seed=1)
    Invitation.objects.filter(wave=wave, employee=me).update(responded=True)
    add_responses(wave, units["north_a"], 6, comment="Erin's very own words")
    add_responses(wave, units["south_a"], 7)
    close_wave(wave)
    plan = insights_services.action_plan_create(
        organization=org,
        unit=units["north_a"],
        driver="teamwork",
        title="Weekly huddle",
        owner=manager,
        due_date=timezone.localdate() + dt.timedelta(days=30),
        tasks=[{"title": "Book the room", "assignee": me}],
        actor=manager,
    )
    insights_services.progress_update_add(plan=plan, note="Room booked for Mondays.", actor=user)
    notification_services.notify(
        recipients=[user],
        event="surveys.survey_opened",
        title="A survey is open for you",
        organization=org,
    )
    customer = CustomerFactory(organization=org, owner=me)
    InteractionFactory(unit=units["north_a"], employee=me, customer=customer, external_id="I-1")
    TransactionFactory(organization=org, customer=customer, employee=me, amount=Decimal("19.99"))
    return org, units, me, user, wave


def manage(*args) -> str:
    """Run `servicechain manage <args>` (the same Django command) and return its output."""
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def export_of(tmp_path, *extra) -> dict:
    out = tmp_path / "export.json"
    manage("privacy_export", "--org", "acme", "--out", str(out), *extra)
    return json.loads(out.read_text())


# --------------------------------------------------------------------------- export


def test_export_holds_the_persons_data_and_no_answers(erin, tmp_path):
    org, units, me, user, wave = erin

    data = export_of(tmp_path, "--employee", me.external_id)

    assert data["employee"]["email"] == "erin.example@acme.example"
    assert data["employee"]["unit"]["name"] == "North A"
    assert data["login"]["username"] == "erin" and "password" not in json.dumps(data["login"])
    assert data["roles"] == [{"role": "employee", "unit": "North A"}]
    [invitation] = data["survey_invitations"]
    assert invitation["wave"] == "Autumn census" and invitation["responded"] is True
    assert invitation["sent_at"] is not None
    assert data["action_plans"]["tasks_assigned"][0]["title"] == "Book the room"
    assert data["action_plans"]["progress_notes"][0]["note"] == "Room booked for Mondays."
    titles = {n["title"] for n in data["notifications"]["inbox"]}
    assert titles == {"Survey open for you: Autumn census", "A survey is open for you"}
    assert data["interactions_served"][0]["external_id"] == "I-1"
    assert data["transactions"][0]["amount"] == "19.99"
    assert len(data["customers_owned"]) == 1
    mine = {(e["action"], e["role"]) for e in data["audit_events"]}
    assert ("insights.progress_update.add", "actor") in mine
    assert data["contact_centre"] == {"agent": None, "teams_led": []}
    text = json.dumps(data)
    assert "Erin's very own words" not in text, "answers are not the person's: no link"
    assert "ENG1" not in text and "token" not in text
    assert "confidential response has no link" in data["not_included"][0]


def test_export_is_audited_without_naming_the_person(erin, tmp_path):
    org, units, me, user, wave = erin

    export_of(tmp_path, "--employee", me.external_id)

    event = AuditEvent.objects.get(action="privacy.export")
    assert event.target_type == "Employee" and event.target_id == str(me.pk)
    assert me.external_id not in json.dumps(event.detail)


def test_export_of_an_unknown_person_fails_in_one_line(erin):
    with pytest.raises(CommandError, match="^No employee 'NOPE' in organisation 'acme'.$"):
        manage("privacy_export", "--org", "acme", "--employee", "NOPE")
    assert not AuditEvent.objects.filter(action="privacy.export").exists()


def test_export_of_an_agent_holds_their_contact_centre_data(client):
    team = make_centre()
    user, agent = agent_login(team, "alex")
    colleagues = [make_agent(team) for _ in range(5)]
    publish_day(team, [agent, *colleagues])
    from servicechain.contactcentre import services as cc_services

    cc_services.lunch_move_request(agent=agent, day=DAY, position=0, to_start=4, actor=user)

    data = services.employee_export(employee=agent.employee)

    centre = data["contact_centre"]
    assert centre["agent"]["team"] == team.name
    assert centre["published_shifts"][0]["start"] == "09:00"
    assert centre["published_shifts"][0]["breaks"][0]["kind"] == "lunch"
    assert centre["move_requests"][0]["as"] == "requester"


# --------------------------------------------------------------------------- erase


def erase(external_id: str, *extra) -> str:
    return manage("privacy_erase", "--org", "acme", "--employee", external_id, *extra)


def test_erasure_removes_login_and_personal_fields(erin, client):
    org, units, me, user, wave = erin
    client.post("/accounts/login/", {"username": "erin", "password": "pass-word-123"})
    assert client.get("/o/acme/").status_code == 200

    out = erase(me.external_id, "--yes")

    me.refresh_from_db()
    user.refresh_from_db()
    assert me.external_id.startswith("erased-") and me.external_id in out
    assert (me.first_name, me.last_name, me.email, me.job_title) == ("", "", "", "")
    assert me.user is None and me.unit == units["north_a"]
    assert user.username == me.external_id and not user.is_active
    assert not user.has_usable_password() and (user.email, user.first_name) == ("", "")
    assert not Membership.objects.filter(user=user).exists()
    assert not Notification.objects.filter(recipient=user).exists()
    response = client.get("/o/acme/")
    assert response.status_code == 302, "the session ended with the login"
    client.post("/accounts/login/", {"username": "erin", "password": "pass-word-123"})
    assert client.get("/o/acme/").status_code == 302, "and no log-in starts another"


def test_erasure_keeps_aggregates_and_the_unlinkable_responses(erin):
    org, units, me, user, wave = erin
    cells_before = list(UnitScore.objects.values_list("unit", "scale", "n", "value"))
    responses_before = list(Response.objects.values_list("pk", "answers"))

    services.employee_erase(employee=me)

    assert Employee.objects.filter(unit=units["north_a"]).count() == 6, "headcount unchanged"
    assert list(UnitScore.objects.values_list("unit", "scale", "n", "value")) == cells_before
    assert list(Response.objects.values_list("pk", "answers")) == responses_before
    invitation = Invitation.objects.get(wave=wave, unit=units["north_a"], responded=True)
    assert invitation.employee is None, "the answered flag stays, without the person"
    interaction = Interaction.objects.get(external_id="I-1")
    assert interaction.employee is None and interaction.unit == units["north_a"]
    assert Transaction.objects.get().employee is None
    assert Customer.objects.get().owner is None
    assert PlanTask.objects.get().assignee is None
    assert ProgressUpdate.objects.get().author is None
    assert ProgressUpdate.objects.get().note == "Room booked for Mondays."


def test_erasure_leaves_a_tombstone_and_scrubs_the_name_from_the_audit_log(erin):
    org, units, me, user, wave = erin
    assert AuditEvent.objects.filter(detail__user="erin").exists()
    external_id = me.external_id

    report = services.employee_erase(employee=me)

    tombstone = AuditEvent.objects.get(action="privacy.erase")
    assert tombstone.detail["reference"] == report.reference
    assert tombstone.target_id == str(me.pk)
    log = json.dumps(list(AuditEvent.objects.values_list("detail", flat=True)))
    for name in ("erin", "Erin", external_id, "erin@acme.example"):
        assert f'"{name}"' not in log, name
    assert AuditEvent.objects.filter(detail__user=f"erased-{report.reference}").exists()


def test_erasure_needs_yes_and_refuses_twice(erin):
    org, units, me, user, wave = erin

    with pytest.raises(CommandError, match="run again with --yes"):
        erase(me.external_id)
    me.refresh_from_db()
    assert me.first_name == "Erin", "nothing changed"

    erase(me.external_id, "--yes")
    me.refresh_from_db()
    with pytest.raises(CommandError, match="has already been erased"):
        erase(me.external_id, "--yes")
    assert AuditEvent.objects.filter(action="privacy.erase").count() == 1


def test_a_login_shared_with_another_organisation_is_kept_without_this_role(erin):
    org, units, me, user, wave = erin
    other, other_units = build_org(slug="globex")
    services.membership_grant(
        user=user, organization=other, role="employee", unit=other_units["north_a"]
    )

    report = services.employee_erase(employee=me)

    user.refresh_from_db()
    assert report.login.startswith("kept")
    assert user.username == "erin" and user.is_active
    assert list(Membership.objects.filter(user=user).values_list("organization", flat=True)) == [
        other.pk
    ]


def test_erasing_an_agent_keeps_the_day_plans_and_drops_wishes_and_notes():
    team = make_centre()
    user, agent = agent_login(team, "alex")
    lead = lead_login(team, "lee")
    colleagues = [make_agent(team) for _ in range(5)]
    publish_day(team, [agent, *colleagues])
    from servicechain.contactcentre import services as cc_services

    Agent.objects.filter(pk=agent.pk).update(
        preferred_lunch_from=dt.time(12), preferred_lunch_to=dt.time(13)
    )
    move = cc_services.lunch_move_request(
        agent=agent, day=DAY, position=0, to_start=4, actor=user, note="Dentist at 10"
    )
    team.lead = agent.employee
    team.save(update_fields=["lead"])

    services.employee_erase(employee=agent.employee, actor=lead)

    agent.refresh_from_db()
    team.refresh_from_db()
    assert not agent.active and agent.lunch_wish is None
    assert agent.shifts.count() == 1, "the published day stays whole"
    assert MoveRequest.objects.get(pk=move.pk).note == ""
    assert team.lead is None
    assert AuditEvent.objects.get(action="privacy.erase").actor == lead


# --------------------------------------------------------------------------- admin


def test_admin_exports_a_person_as_json_and_audits_it(erin, admin_client):
    org, units, me, user, wave = erin

    response = admin_client.post(
        "/admin/org/employee/",
        {"action": "export_personal_data", "_selected_action": [me.pk]},
    )

    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    assert "attachment" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert data["employee"]["external_id"] == me.external_id
    event = AuditEvent.objects.get(action="privacy.export")
    assert event.actor.username == "admin"


def test_admin_erases_after_a_confirmation_page(erin, admin_client):
    org, units, me, user, wave = erin
    chosen = {"action": "erase_personal_data", "_selected_action": [me.pk]}

    confirm = admin_client.post("/admin/org/employee/", chosen)

    assert confirm.status_code == 200
    page = confirm.content.decode()
    assert "cannot be undone" in page and me.external_id in page
    me.refresh_from_db()
    assert me.first_name == "Erin", "nothing erased before confirming"

    done = admin_client.post("/admin/org/employee/", chosen | {"confirm": "yes"}, follow=True)

    me.refresh_from_db()
    assert me.external_id.startswith("erased-") and me.first_name == ""
    assert f"now {me.external_id}; login anonymised" in done.content.decode()
    assert AuditEvent.objects.get(action="privacy.erase").actor.username == "admin"


# --------------------------------------------------------------------------- retention


def comments_of(model) -> list[str]:
    return [a.get("COMMENT", "") for a in model.objects.values_list("answers", flat=True)]


@pytest.fixture
def aged(erin):
    """Erin's census closed 30 months ago, a newer one 2 months ago, and audit events of
    both ages; the policy keeps comments 24 months and audit events 12."""
    org, units, me, user, wave = erin
    now = timezone.now()
    type(wave).objects.filter(pk=wave.pk).update(
        opens_at=now - dt.timedelta(days=930), closes_at=now - dt.timedelta(days=915)
    )
    recent = open_wave(org, units["root"], name="Spring census")
    add_responses(recent, units["south_a"], 5, comment="Fresh words")
    close_wave(recent)
    old_event = services.audit_record(action="test.old", organization=org)
    AuditEvent.objects.filter(pk=old_event.pk).update(created_at=now - dt.timedelta(days=400))
    RetentionPolicy.objects.create(organization=org, comment_months=24, audit_months=12)
    return org, wave, recent


def test_retention_blanks_old_comments_and_deletes_old_audit_events(aged):
    org, old_wave, recent = aged
    scores_before = list(UnitScore.objects.values_list("unit", "scale", "n", "value"))

    out = manage("privacy_retention")

    assert "survey comments older than 24 months" in out and "6 blanked" in out
    assert "audit events older than 12 months" in out and "1 deleted" in out
    old = [
        a.get("COMMENT")
        for a in Response.objects.filter(wave=old_wave).values_list("answers", flat=True)
    ]
    assert old and set(old) <= {"", None}
    fresh = Response.objects.filter(wave=recent).values_list("answers", flat=True)
    assert {a["COMMENT"] for a in fresh} == {"Fresh words"}
    assert not AuditEvent.objects.filter(action="test.old").exists()
    assert list(UnitScore.objects.values_list("unit", "scale", "n", "value")) == scores_before
    assert AuditEvent.objects.filter(action="privacy.retention").exists()


def test_retention_dry_run_changes_nothing(aged):
    org, old_wave, recent = aged
    answers_before = list(Response.objects.values_list("pk", "answers"))
    events_before = AuditEvent.objects.count()

    out = manage("privacy_retention", "--dry-run")

    assert "6 would be blanked" in out and "1 would be deleted" in out
    assert "Dry run: nothing was changed." in out
    assert list(Response.objects.values_list("pk", "answers")) == answers_before
    assert AuditEvent.objects.count() == events_before


def test_retention_keeps_erasure_tombstones(aged):
    org, old_wave, recent = aged
    me = Employee.objects.get(user__username="erin")
    services.employee_erase(employee=me)
    AuditEvent.objects.filter(action="privacy.erase").update(
        created_at=timezone.now() - dt.timedelta(days=800)
    )

    services.retention_apply()

    assert AuditEvent.objects.filter(action="privacy.erase").count() == 1


def test_retention_blanks_customer_comments_of_old_customer_waves():
    org, units = build_org()
    instrument = survey_services.instrument_create(
        organization=org, name="CX", population="customer", template="customer_transactional"
    )
    wave = open_wave(org, units["root"], instrument=instrument, kind="customer", name="CX")
    for _ in range(3):
        interaction = InteractionFactory(unit=units["south_a"])
        CustomerResponse.objects.create(
            wave=wave,
            interaction=interaction,
            unit=units["south_a"],
            answers={"csat": 5, "CX_COMMENT": "Lovely staff"},
            submitted_at=interaction.started_at,
        )
    close_wave(wave)
    now = timezone.now()
    type(wave).objects.filter(pk=wave.pk).update(
        opens_at=now - dt.timedelta(days=230), closes_at=now - dt.timedelta(days=200)
    )
    RetentionPolicy.objects.create(organization=org, comment_months=6)

    assert "3 blanked" in manage("privacy_retention", "--org", "acme")
    answers = list(CustomerResponse.objects.values_list("answers", flat=True))
    assert [a["CX_COMMENT"] for a in answers] == ["", "", ""]
    assert [a["csat"] for a in answers] == [5, 5, 5], "scores stay"


def test_retention_of_incidents_is_applied_by_the_care_app(erin):
    org, units, me, user, wave = erin
    RetentionPolicy.objects.create(organization=org, incident_months=36)

    out = manage("privacy_retention")

    assert "acme · incidents older than 36 months" in out and "0 deleted" in out


def test_retention_without_policy_says_so():
    assert "No retention policy is set" in manage("privacy_retention")


def test_the_retention_policy_is_edited_in_the_admin(erin, admin_client):
    org, units, me, user, wave = erin
    page = admin_client.get(f"/admin/org/organization/{org.pk}/change/").content.decode()
    assert "retention_policy-0-comment_months" in page
    assert "retention_policy-0-incident_months" in page
    assert "retention_policy-0-audit_months" in page
