"""Background jobs of loyalty (django-tasks; `servicechain manage task_worker`)."""

from __future__ import annotations

from django_tasks import task


@task()
def deliver_customer_emails(ids: list[int]) -> dict:
    """Send customer e-mails stored by a service (queued after its commit)."""
    from .services import customer_emails_deliver

    return customer_emails_deliver(ids=ids)


@task()
def loyalty_nightly() -> dict:
    """The nightly run of `servicechain manage loyalty_nightly` as a background task."""
    from .nightly import nightly_run

    return nightly_run()
