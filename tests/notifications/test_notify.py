"""`notify`: one service puts a notification in each member's inbox and queues its e-mail."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail

from servicechain.notifications import services
from servicechain.notifications.events import MOVE_DECIDED, PLAN_DUE, SURVEY_OPENED
from servicechain.notifications.models import Notification, Preference
from tests.factories import OrganizationFactory, UserFactory, make_unit, member

pytestmark = pytest.mark.django_db


@pytest.fixture
def org():
    organization = OrganizationFactory(slug="acme", name="Acme")
    make_unit(organization, "Acme", kind="organisation")
    return organization


def with_email(user, address):
    user.email = address
    user.save(update_fields=["email"])
    return user


def send(org, recipients, **extra):
    options = {
        "event": PLAN_DUE.key,
        "title": "Action plan due: Buddy shifts",
        "body": "North · Teamwork · due Mon 4 Jan",
        "url": "/o/acme/insights/plans/1/",
    } | extra
    return services.notify(recipients=recipients, organization=org, **options)


def test_members_get_it_in_their_inbox_and_nobody_else(org):
    alice = member(org, "hr_analyst")
    stranger = UserFactory()  # no membership here
    elsewhere = member(OrganizationFactory(slug="rival"), "admin")

    sent = send(org, [alice, stranger, elsewhere, None])

    assert [n.recipient for n in sent] == [alice]
    assert list(Notification.objects.values_list("recipient__username", flat=True)) == [
        alice.username
    ]


def test_the_person_whose_act_it_reports_is_not_told(org):
    lead, agent = member(org, "manager", make_unit(org, "Team")), member(org, "hr_analyst")
    sent = send(org, [lead, agent], event=MOVE_DECIDED.key, actor=lead)
    assert [n.recipient for n in sent] == [agent]
    assert sent[0].actor == lead


def test_with_a_key_each_person_is_told_once(org):
    alice = member(org, "hr_analyst")
    assert len(send(org, [alice], key="plan:1:due")) == 1
    assert send(org, [alice], key="plan:1:due") == []
    assert len(send(org, [alice], key="plan:1:overdue")) == 1
    assert Notification.objects.count() == 2


@pytest.mark.parametrize(
    "extra,problem",
    [
        ({"event": "no.such_event"}, LookupError),
        ({"url": "https://elsewhere.example/"}, ValueError),
        ({"url": "//elsewhere.example/path"}, ValueError),
        ({"title": "   "}, ValueError),
    ],
)
def test_bad_calls_are_refused_and_write_nothing(org, extra, problem):
    alice = member(org, "hr_analyst")
    with pytest.raises(problem):
        send(org, [alice], **extra)
    assert not Notification.objects.exists()


def test_the_email_goes_out_after_the_commit_built_from_the_template(
    org, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "http://demo.example:8123"
    alice = with_email(member(org, "hr_analyst"), "alice@acme.example")

    with django_capture_on_commit_callbacks(execute=True):
        send(org, [alice])
        assert mail.outbox == [], "nothing is mailed before the notification is committed"

    (message,) = mail.outbox
    assert message.to == ["alice@acme.example"]
    assert message.subject == "Action plan due: Buddy shifts · Acme"
    assert "North · Teamwork · due Mon 4 Jan" in message.body
    assert "http://demo.example:8123/o/acme/insights/plans/1/" in message.body
    assert "http://demo.example:8123/o/acme/notifications/preferences/" in message.body
    notification = Notification.objects.get()
    assert notification.email_status == Notification.Email.SENT
    assert notification.emailed_at is not None


def test_an_event_whose_email_the_person_turned_off_stays_in_the_inbox_only(
    org, django_capture_on_commit_callbacks
):
    alice = with_email(member(org, "hr_analyst"), "alice@acme.example")
    services.preferences_update(user=alice, email={PLAN_DUE.key: False})

    with django_capture_on_commit_callbacks(execute=True):
        send(org, [alice])

    assert mail.outbox == []
    assert Notification.objects.get().email_status == Notification.Email.NOT_WANTED


def test_an_event_off_by_default_is_mailed_when_the_person_asks_for_it(
    org, django_capture_on_commit_callbacks
):
    alice = with_email(member(org, "employee", make_unit(org, "Shop")), "alice@acme.example")
    bob = with_email(member(org, "employee", make_unit(org, "Depot")), "bob@acme.example")
    services.preferences_update(user=bob, email={SURVEY_OPENED.key: True})

    with django_capture_on_commit_callbacks(execute=True):
        send(org, [alice, bob], event=SURVEY_OPENED.key, title="Survey open for you")

    assert [m.to for m in mail.outbox] == [["bob@acme.example"]]


def test_someone_without_an_address_is_recorded_as_such(org, django_capture_on_commit_callbacks):
    alice = member(org, "hr_analyst")
    with django_capture_on_commit_callbacks(execute=True):
        send(org, [alice])
    assert mail.outbox == []
    assert Notification.objects.get().email_status == Notification.Email.NO_ADDRESS


def test_a_mail_server_that_is_down_loses_no_notification_and_the_retry_sends_it(
    org, settings, django_capture_on_commit_callbacks
):
    alice = with_email(member(org, "hr_analyst"), "alice@acme.example")
    # A real SMTP backend aimed at a closed port: the connection is refused.
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 1, 2

    with django_capture_on_commit_callbacks(execute=True):
        send(org, [alice])

    notification = Notification.objects.get()
    assert notification.email_status == Notification.Email.FAILED
    assert "Connection" in notification.email_error or "refused" in notification.email_error
    assert notification.read_at is None, "still in the inbox"

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    outcome = services.emails_retry(older_than=dt.timedelta(0))

    assert outcome == {"sent": 1, "failed": 0}
    assert [m.to for m in mail.outbox] == [["alice@acme.example"]]
    notification.refresh_from_db()
    assert (notification.email_status, notification.email_attempts) == ("sent", 2)


def test_preferences_refuse_unknown_events_and_change_nothing(org):
    alice = member(org, "hr_analyst")
    with pytest.raises(Exception, match="Unknown notification event"):
        services.preferences_update(user=alice, email={PLAN_DUE.key: False, "nope": True})
    assert not Preference.objects.exists()
