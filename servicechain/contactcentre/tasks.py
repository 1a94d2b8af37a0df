"""Background jobs of the contact centre (django-tasks): forecasts, schedules, intraday.

The task only hands over to ``services.planning_job_run``, which records progress and the
outcome on the :class:`~servicechain.contactcentre.models.PlanningJob` the page polls.
"""

from django_tasks import task


@task()
def run_planning_job(job_id: int) -> int:
    from .services import planning_job_run

    return planning_job_run(job_id=job_id).pk
