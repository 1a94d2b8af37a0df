"""Background jobs of the insights app (django-tasks; the database backend in production).

Every job is an `AnalysisRun`: the task only carries the run's id, and the run row holds the
progress a page polls and the result it renders, so a result outlives the task queue.
"""

from __future__ import annotations

import logging

from django.dispatch import receiver
from django.utils import timezone
from django_tasks import TaskResultStatus, task
from django_tasks.signals import task_finished

from .models import AnalysisRun

logger = logging.getLogger(__name__)

RUN_LOST = (
    "The background worker ended while this analysis ran; nothing of it was kept. Run it again."
)


@task()
def run_analysis(run_id: int) -> str:
    """Run a queued analysis (driver impact or linkage)."""
    return execute(run_id)


@receiver(task_finished)
def run_fail_if_left_unfinished(sender, task_result, **kwargs) -> None:
    """An analysis whose task failed before it could say so (its worker was killed mid-run,
    servicechain.worker) fails with a reason: its page never says "running" for ever."""
    if task_result.status != TaskResultStatus.FAILED:
        return
    if task_result.task.module_path != run_analysis.module_path:
        return
    from .services import analysis_fail

    analysis_fail(run_id=task_result.args[0], error=RUN_LOST)


def execute(run_id: int) -> str:
    """Run one analysis now, recording progress, result or error on its row."""
    from . import analysis, services

    run = AnalysisRun.objects.select_related("wave", "unit", "organization").get(pk=run_id)
    if run.finished:
        return run.status
    AnalysisRun.objects.filter(pk=run.pk).update(
        status=AnalysisRun.Status.RUNNING, started_at=timezone.now(), progress=1, message="Started"
    )

    def progress(percent: int, message: str) -> None:
        services.analysis_progress(run=run, progress=percent, message=message)

    try:
        replicates = services.bootstrap_replicates()
        if run.kind == AnalysisRun.Kind.DRIVER_IMPACT:
            result = analysis.driver_impact(
                wave=run.wave, unit=run.unit, replicates=replicates, progress=progress
            )
        elif run.kind == AnalysisRun.Kind.LINKAGE:
            result = analysis.linkage(
                organization=run.organization, replicates=replicates, progress=progress
            )
        else:
            raise ValueError(f"Unknown analysis kind {run.kind!r}")
    except Exception as exc:  # a failed analysis is reported on its page, not lost in a log
        logger.exception("Insights analysis %s failed", run.pk)
        AnalysisRun.objects.filter(pk=run.pk).update(
            status=AnalysisRun.Status.FAILED,
            error=f"{type(exc).__name__}: {exc}",
            message="Failed",
            finished_at=timezone.now(),
        )
        return AnalysisRun.Status.FAILED
    AnalysisRun.objects.filter(pk=run.pk).update(
        status=AnalysisRun.Status.DONE,
        result=result,
        progress=100,
        message="Done",
        finished_at=timezone.now(),
    )
    return AnalysisRun.Status.DONE
