"""The inbox pages, under /o/<org>/notifications/: a person's own notifications only."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from servicechain.org.access import org_view

from . import selectors, services


@require_GET
@org_view()
def inbox(request, scope):
    notifications = selectors.inbox(request.user, scope.organization)
    page = Paginator(notifications, selectors.INBOX_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "notifications/inbox.html",
        {
            "scope": scope,
            "page": page,
            "unread": selectors.unread_count(request.user, scope.organization),
        },
    )


@require_GET
@org_view()
def open_notification(request, scope, pk: int):
    """Follow a notification's link, marking it read on the way."""
    notification = selectors.notification_of(request.user, scope.organization, pk)
    services.notification_mark_read(notification=notification, user=request.user)
    if notification.url and url_has_allowed_host_and_scheme(notification.url, allowed_hosts=None):
        return redirect(notification.url)
    return redirect("notifications:inbox", scope.organization.slug)


@require_POST
@org_view()
def mark_read(request, scope, pk: int):
    notification = selectors.notification_of(request.user, scope.organization, pk)
    services.notification_mark_read(notification=notification, user=request.user)
    return redirect("notifications:inbox", scope.organization.slug)


@require_POST
@org_view()
def mark_all_read(request, scope):
    count = services.notifications_mark_all_read(user=request.user, organization=scope.organization)
    messages.success(request, f"{count} notification{'' if count == 1 else 's'} marked as read.")
    return redirect("notifications:inbox", scope.organization.slug)


@org_view()
def preferences(request, scope):
    if request.method == "POST":
        choices = {
            row["event"]: f"email:{row['event']}" in request.POST
            for row in selectors.preferences(request.user)
        }
        try:
            services.preferences_update(user=request.user, email=choices)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, "Your e-mail choices are saved.")
        return redirect("notifications:preferences", scope.organization.slug)
    return render(
        request,
        "notifications/preferences.html",
        {
            "scope": scope,
            "rows": selectors.preferences(request.user),
            "address": services.email_address(request.user),
        },
    )
