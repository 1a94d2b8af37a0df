"""Reminders as a command and a background task."""

import datetime as dt

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from servicechain.surveys.models import Invitation, Wave
from servicechain.surveys.tasks import send_reminders
from tests.surveys.helpers import build_org, open_wave, send_links

pytestmark = pytest.mark.django_db


@pytest.fixture
def mailed():
    org, units = build_org()
    wave = open_wave(org, units["north_a"])
    send_links(wave)
    Invitation.objects.filter(wave=wave).update(sent_at=timezone.now() - dt.timedelta(days=5))
    mail.outbox.clear()
    return wave


def test_command_reminds_non_respondents_and_closes_due_waves(mailed, capsys):
    org = mailed.organization
    due = open_wave(org, org.units.get(name="South A"), name="Ended")
    Wave.objects.filter(pk=due.pk).update(closes_at=timezone.now() - dt.timedelta(hours=1))
    call_command("survey_reminders")
    out = capsys.readouterr().out
    assert "Closed Ended." in out and f"{mailed.name}: 6 reminder(s) e-mailed." in out
    assert len(mail.outbox) == 6 and all(m.subject.startswith("Reminder: ") for m in mail.outbox)
    assert Wave.objects.get(pk=due.pk).status == Wave.Status.CLOSED


def test_running_again_the_same_day_mails_nobody_twice(mailed):
    call_command("survey_reminders")
    mail.outbox.clear()
    call_command("survey_reminders")
    assert mail.outbox == []


def test_reminders_run_as_a_background_task(mailed):
    result = send_reminders.enqueue(wave_id=mailed.pk)
    assert result.return_value["reminded"] == {mailed.name: 6}
