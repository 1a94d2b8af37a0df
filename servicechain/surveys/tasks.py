"""Background jobs of the surveys app (django-tasks; `servicechain manage task_worker` runs them)."""

from __future__ import annotations

from django.utils import timezone
from django_tasks import task

from . import services
from .models import Wave


def reminders_run(*, organization_slug: str | None = None, wave_id: int | None = None) -> dict:
    """Open waves kept for their planned start once it has come, close waves past their
    closing time, then remind non-respondents of the open ones.

    Each wave reminds only invitees last e-mailed at least its `reminder_after_days` ago, so
    running this daily (or hourly) never mails anyone more often than that.
    """
    now = timezone.now()
    opened = services.waves_open_due(now=now)
    closed = services.waves_close_due(now=now)
    waves = Wave.objects.filter(status=Wave.Status.OPEN, closes_at__gt=now, opens_at__lte=now)
    if organization_slug:
        waves = waves.filter(organization__slug=organization_slug)
    if wave_id:
        waves = waves.filter(pk=wave_id)
    reminded = {wave.name: services.invitation_remind(wave=wave, now=now).emailed for wave in waves}
    return {
        "opened": [w.name for w in opened],
        "closed": [w.name for w in closed],
        "reminded": reminded,
    }


@task()
def send_reminders(organization_slug: str | None = None, wave_id: int | None = None) -> dict:
    """The reminder run as a background task."""
    return reminders_run(organization_slug=organization_slug, wave_id=wave_id)


@task()
def publish_results(wave_id: int) -> int:
    """Gate a large closed wave's results in the background; returns the cells' snapshot id."""
    wave = Wave.objects.select_related("organization").get(pk=wave_id)
    snapshot = services.results_publish(wave=wave)
    services.notify_results_ready(wave=wave)  # notify() keys on the wave: told once
    return snapshot.pk
