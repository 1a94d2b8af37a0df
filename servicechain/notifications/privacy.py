"""The notifications app's part of a person's data (see `servicechain.org.privacy`): their
inbox in the organisation and their e-mail choices. Erasure deletes the inbox (nobody else
reads it) and, when the whole login goes, the choices; notifications the person caused for
others lose their sender."""

from __future__ import annotations

from servicechain.org.privacy import Erasure, register_personal_data, when

from .models import Notification, Preference


def _inbox(employee, user) -> dict:
    if user is None:
        return {"inbox": [], "email_choices": {}}
    inbox = Notification.objects.filter(recipient=user, organization=employee.organization)
    return {
        "inbox": [
            {
                "created_at": when(n.created_at),
                "event": n.event,
                "title": n.title,
                "body": n.body,
                "url": n.url,
                "read_at": when(n.read_at),
                "email_status": n.email_status,
                "emailed_at": when(n.emailed_at),
            }
            for n in inbox.order_by("created_at", "pk")
        ],
        "email_choices": dict(
            Preference.objects.filter(user=user).values_list("event", "email").order_by("event")
        ),
    }


def _inbox_erase(erasure: Erasure) -> dict[str, int]:
    if erasure.user is None:
        return {}
    organization = erasure.organization
    deleted, _ = Notification.objects.filter(
        recipient=erasure.user, organization=organization
    ).delete()
    sent = Notification.objects.filter(actor=erasure.user, organization=organization).update(
        actor=None
    )
    choices = 0
    if erasure.whole_account:
        choices, _ = Preference.objects.filter(user=erasure.user).delete()
    return {
        "notifications deleted": deleted,
        "notifications without sender": sent,
        "e-mail choices deleted": choices,
    }


register_personal_data("notifications", export=_inbox, erase=_inbox_erase, order=50)
