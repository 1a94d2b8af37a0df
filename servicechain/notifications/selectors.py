"""Reads of the notifications app: a person's own inbox, never anyone else's."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from .events import EVENTS
from .models import Notification, Preference

INBOX_PAGE = 50


def inbox(user, organization, *, unread_only: bool = False) -> QuerySet[Notification]:
    notifications = Notification.objects.filter(recipient=user, organization=organization)
    if unread_only:
        notifications = notifications.filter(read_at__isnull=True)
    return notifications.select_related("actor").order_by("-created_at", "-pk")


def unread_count(user, organization) -> int:
    return Notification.objects.filter(
        recipient=user, organization=organization, read_at__isnull=True
    ).count()


def notification_of(user, organization, notification_id) -> Notification:
    """The person's own notification, else 404 (another person's looks like none at all)."""
    try:
        return inbox(user, organization).get(pk=notification_id)
    except (Notification.DoesNotExist, ValueError, TypeError):
        raise Http404("No such notification.") from None


def recent(user, organization, *, event: str, days: int = 30) -> list[Notification]:
    """The person's notifications of one event in the last `days`, newest first."""
    since = timezone.now() - dt.timedelta(days=days)
    return list(inbox(user, organization).filter(event=event, created_at__gte=since)[:10])


def preferences(user) -> list[dict]:
    """Every event with whether this person gets it by e-mail (their choice, else the default)."""
    chosen = dict(Preference.objects.filter(user=user).values_list("event", "email"))
    return [
        {
            "event": event.key,
            "label": event.label,
            "description": event.description,
            "email": chosen.get(event.key, event.email),
            "default": event.email,
        }
        for event in sorted(EVENTS.values(), key=lambda e: e.label)
    ]
