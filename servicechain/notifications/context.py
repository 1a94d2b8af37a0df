"""The bell in the page header: the member's unread count in the organisation they are in."""

from django.urls import reverse

from .selectors import unread_count


def bell(request) -> dict:
    scope = getattr(request, "scope", None)
    if scope is None or not request.user.is_authenticated:
        return {}
    return {
        "bell": {
            "unread": unread_count(request.user, scope.organization),
            "url": reverse("notifications:inbox", args=[scope.organization.slug]),
        }
    }
