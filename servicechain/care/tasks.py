"""Background jobs of the care app (django-tasks; `servicechain manage task_worker`)."""

from __future__ import annotations

from django_tasks import task


@task()
def care_due() -> dict:
    """The run of `servicechain manage care_due` as a background task."""
    from .services import checkins_due

    return checkins_due()
