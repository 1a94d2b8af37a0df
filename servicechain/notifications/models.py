"""An in-app inbox per person and organisation, and each person's e-mail choices per event.

A notification is written in the same transaction as the thing it reports, so it is never
lost; its e-mail is sent afterwards by a background task, and the outcome (sent, failed
with the error, not wanted, no address) is recorded on the row.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from servicechain.org.models import Organization


class Notification(models.Model):
    class Email(models.TextChoices):
        NOT_WANTED = "", "Not e-mailed"
        NO_ADDRESS = "no_address", "No e-mail address"
        QUEUED = "queued", "Queued"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="notifications", db_index=False
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    event = models.CharField(max_length=60)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=500, blank=True, help_text="A path on this site.")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    key = models.CharField(
        max_length=200,
        blank=True,
        help_text="Sent at most once per recipient, event and key (e.g. a plan and its state).",
    )
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    email_status = models.CharField(max_length=12, choices=Email.choices, blank=True)
    email_attempts = models.PositiveSmallIntegerField(default=0)
    emailed_at = models.DateTimeField(null=True, blank=True)
    email_error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(
                fields=["organization", "recipient", "read_at"], name="notification_inbox_idx"
            ),
            models.Index(fields=["email_status"], name="notification_email_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "event", "key"],
                condition=~models.Q(key=""),
                name="notification_once_per_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.recipient} · {self.title}"

    @property
    def is_unread(self) -> bool:
        return self.read_at is None


class Preference(models.Model):
    """Whether a person wants an event by e-mail (the inbox always has it)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    event = models.CharField(max_length=60)
    email = models.BooleanField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "event"], name="notification_preference_once")
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.event}: e-mail {'on' if self.email else 'off'}"
