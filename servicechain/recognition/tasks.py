"""Background jobs of recognition (django-tasks; `servicechain manage task_worker` runs them)."""

from __future__ import annotations

import logging

from django.utils import timezone
from django_tasks import task

from .models import AchievementRun

logger = logging.getLogger(__name__)


@task()
def run_achievements(run_id: int) -> str:
    """Evaluate every active achievement rule of the run's organisation."""
    return execute(run_id)


def execute(run_id: int) -> str:
    """Run one evaluation now, recording how many badges it awarded (or the error)."""
    from .services import achievements_evaluate

    run = AchievementRun.objects.select_related("organization").get(pk=run_id)
    if run.status in (AchievementRun.Status.DONE, AchievementRun.Status.FAILED):
        return run.status
    AchievementRun.objects.filter(pk=run.pk).update(status=AchievementRun.Status.RUNNING)
    try:
        awarded = achievements_evaluate(organization=run.organization, run=run)
    except Exception as exc:  # a failed run is reported on the achievements page
        logger.exception("Achievements run %s failed", run.pk)
        AchievementRun.objects.filter(pk=run.pk).update(
            status=AchievementRun.Status.FAILED,
            error=f"{type(exc).__name__}: {exc}",
            finished_at=timezone.now(),
        )
        return AchievementRun.Status.FAILED
    AchievementRun.objects.filter(pk=run.pk).update(
        status=AchievementRun.Status.DONE, awarded=awarded, finished_at=timezone.now()
    )
    return AchievementRun.Status.DONE


@task()
def recognition_daily() -> dict:
    """The daily run (`servicechain manage recognition_daily`): every organisation's
    achievement rules and the managers' weekly nudges."""
    from .management.commands.recognition_daily import run_daily

    return run_daily()
