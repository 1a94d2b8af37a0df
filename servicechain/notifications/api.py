"""JSON API of the notifications app: a person's own inbox and e-mail choices.

Deny by default like every endpoint: anonymous 401, non-members 404; a notification of
someone else is 404, as if it did not exist.
"""

from __future__ import annotations

import datetime as dt

from ninja import Router, Schema
from pydantic import Field

from servicechain.org.access import scope_for

from . import selectors, services

router = Router(tags=["notifications"])


class NotificationOut(Schema):
    id: int
    event: str
    title: str
    body: str
    url: str
    created_at: dt.datetime
    read_at: dt.datetime | None
    unread: bool


class InboxOut(Schema):
    unread: int
    notifications: list[NotificationOut]


class MarkedOut(Schema):
    marked: int


class PreferenceOut(Schema):
    event: str
    label: str
    email: bool
    default: bool


class PreferencesIn(Schema):
    email: dict[str, bool] = Field(description="Event key → whether to e-mail it.")


class ErrorOut(Schema):
    detail: str


def _out(notification) -> dict:
    return {
        "id": notification.pk,
        "event": notification.event,
        "title": notification.title,
        "body": notification.body,
        "url": notification.url,
        "created_at": notification.created_at,
        "read_at": notification.read_at,
        "unread": notification.read_at is None,
    }


@router.get("/orgs/{org}/notifications", response=InboxOut, summary="My notifications")
def inbox(request, org: str, unread: bool = False, limit: int = 50):
    scope = scope_for(request.user, org)
    limit = max(1, min(limit, 200))
    items = selectors.inbox(request.user, scope.organization, unread_only=unread)[:limit]
    return {
        "unread": selectors.unread_count(request.user, scope.organization),
        "notifications": [_out(n) for n in items],
    }


@router.post(
    "/orgs/{org}/notifications/read-all",
    response=MarkedOut,
    summary="Mark all my notifications read",
)
def read_all(request, org: str):
    scope = scope_for(request.user, org)
    marked = services.notifications_mark_all_read(
        user=request.user, organization=scope.organization
    )
    return {"marked": marked}


@router.post(
    "/orgs/{org}/notifications/{notification_id}/read",
    response={200: NotificationOut, 404: ErrorOut},
    summary="Mark one of my notifications read",
)
def read(request, org: str, notification_id: int):
    scope = scope_for(request.user, org)
    notification = selectors.notification_of(request.user, scope.organization, notification_id)
    return _out(services.notification_mark_read(notification=notification, user=request.user))


@router.get(
    "/orgs/{org}/notifications/preferences",
    response=list[PreferenceOut],
    summary="Which notifications I get by e-mail",
)
def preferences(request, org: str):
    scope_for(request.user, org)
    return selectors.preferences(request.user)


@router.put(
    "/orgs/{org}/notifications/preferences",
    response={200: list[PreferenceOut], 422: ErrorOut},
    summary="Choose which notifications I get by e-mail (the inbox always has them)",
)
def preferences_update(request, org: str, payload: PreferencesIn):
    scope_for(request.user, org)
    services.preferences_update(user=request.user, email=payload.email)
    return selectors.preferences(request.user)
