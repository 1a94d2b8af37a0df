"""Background jobs of the contact centre (django-tasks): forecasts, schedules, intraday.

The task only hands over to ``services.planning_job_run``, which records progress and the
outcome on the :class:`~servicechain.contactcentre.models.PlanningJob` the page polls.
"""

from django.dispatch import receiver
from django_tasks import TaskResultStatus, task
from django_tasks.signals import task_finished

JOB_LOST = (
    "Stopped: the background worker ended while this job ran, and nothing of it was kept. "
    "Start it again."
)


@task()
def run_planning_job(job_id: int) -> int:
    from .services import planning_job_run

    return planning_job_run(job_id=job_id).pk


@receiver(task_finished)
def job_fail_if_left_unfinished(sender, task_result, **kwargs) -> None:
    """A job whose task failed before the job could say so (its worker was killed mid-run,
    servicechain.worker) fails with a reason: its page never says "running" for ever."""
    if task_result.status != TaskResultStatus.FAILED:
        return
    if task_result.task.module_path != run_planning_job.module_path:
        return
    from .services import planning_job_fail

    planning_job_fail(job_id=task_result.args[0], message=JOB_LOST)
