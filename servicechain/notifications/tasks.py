"""Background jobs of the notifications app (django-tasks; `servicechain manage task_worker`)."""

from __future__ import annotations

from django_tasks import task


@task()
def deliver_emails(notification_ids: list[int]) -> dict:
    """Send the e-mails of freshly written notifications (queued after their commit)."""
    from .services import email_deliver

    return email_deliver(notification_ids=notification_ids)


@task()
def notifications_due() -> dict:
    """The daily run of `servicechain manage notifications_due` as a background task."""
    from .services import action_plans_due_notify, emails_retry

    return {"plans": action_plans_due_notify(), "emails": emails_retry()}
