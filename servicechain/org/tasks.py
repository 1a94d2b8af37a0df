"""Background jobs of the organisation app (django-tasks; `servicechain manage task_worker`
runs them)."""

from __future__ import annotations

from django_tasks import task

from .models import Organization
from .services import retention_apply


@task()
def apply_retention(organization_slug: str | None = None) -> list[str]:
    """Apply the retention policies (of one organisation, or all) as a periodic task;
    returns the lines the command would print."""
    organization = None
    if organization_slug:
        organization = Organization.objects.get(slug=organization_slug)
    return [outcome.line() for outcome in retention_apply(organization=organization)]
