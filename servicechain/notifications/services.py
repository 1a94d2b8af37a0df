"""Writes of the notifications app.

`notify` is the one way anything is notified: every app calls it where the thing happens,
inside that service's transaction, so the inbox item exists exactly when the thing does.
E-mails go out after the commit through a background task (`tasks.deliver_emails`), so a
slow or failing mail server never holds a request open and never loses the inbox item; the
outcome is recorded on each notification and `servicechain manage notifications_due`
retries failures.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.template.loader import render_to_string, select_template
from django.urls import reverse
from django.utils import timezone

from servicechain.org.models import Membership, Organization, Unit

from .events import EVENTS, PLAN_DUE, RESULTS_READY, get_event
from .models import Notification, Preference

logger = logging.getLogger(__name__)

MAX_EMAIL_ATTEMPTS = 3
DUE_SOON_DAYS = 7


# --------------------------------------------------------------------------- notify


@transaction.atomic
def notify(
    *,
    recipients: Iterable,
    event: str,
    title: str,
    body: str = "",
    url: str = "",
    organization: Organization,
    actor=None,
    key: str = "",
) -> list[Notification]:
    """Put a notification in each recipient's inbox and queue its e-mail where wanted.

    Only members of `organization` receive it (anyone else is skipped, never told), and not
    the `actor` whose own act it reports. With a `key`, a recipient gets it at most once per
    event and key, so callers that run repeatedly (a daily check) stay quiet. `url` is a
    path on this site (the inbox links there); put nothing secret in title or body: they
    are e-mailed and shown in the inbox.
    """
    definition = get_event(event)
    title = " ".join((title or "").split())[:200]
    if not title:
        raise ValueError("A notification needs a title.")
    if url and (not url.startswith("/") or url.startswith("//")):
        raise ValueError(f"A notification links to a path on this site, not {url!r}.")
    users = _recipients(organization, recipients, actor)
    if key:
        already = set(
            Notification.objects.filter(
                recipient_id__in=[u.pk for u in users], event=event, key=key
            ).values_list("recipient_id", flat=True)
        )
        users = [u for u in users if u.pk not in already]
    if not users:
        return []
    wanted = _email_wanted(users, definition.key, default=definition.email)
    now = timezone.now()
    rows = [
        Notification(
            organization=organization,
            recipient=user,
            event=event,
            title=title,
            body=body[:2000],
            url=url,
            actor=actor if getattr(actor, "is_authenticated", False) else None,
            key=key[:200],
            created_at=now,
            email_status=_email_status(user, wanted[user.pk]),
        )
        for user in users
    ]
    Notification.objects.bulk_create(rows)
    queued = [n.pk for n in rows if n.email_status == Notification.Email.QUEUED]
    if queued:
        transaction.on_commit(lambda: _enqueue_emails(queued))
    return rows


def _recipients(organization: Organization, recipients: Iterable, actor) -> list:
    ids = {getattr(r, "pk", r) for r in recipients if r is not None}
    if getattr(actor, "is_authenticated", False):
        ids.discard(actor.pk)
    members = Membership.objects.filter(
        organization=organization, user_id__in=ids, user__is_active=True
    ).values_list("user_id", flat=True)
    return list(
        get_user_model().objects.filter(pk__in=members).select_related("employee").order_by("pk")
    )


def _email_wanted(users: list, event: str, *, default: bool) -> dict[int, bool]:
    chosen = dict(
        Preference.objects.filter(user__in=users, event=event).values_list("user_id", "email")
    )
    return {user.pk: chosen.get(user.pk, default) for user in users}


def email_address(user) -> str:
    """The person's login e-mail, else their employee record's."""
    employee = getattr(user, "employee", None)
    return user.email or (employee.email if employee is not None else "")


def _email_status(user, wanted: bool) -> str:
    if not wanted:
        return Notification.Email.NOT_WANTED
    if not email_address(user):
        return Notification.Email.NO_ADDRESS
    return Notification.Email.QUEUED


def _enqueue_emails(notification_ids: list[int]) -> None:
    from .tasks import deliver_emails  # tasks import services

    try:
        deliver_emails.enqueue(notification_ids)
    except Exception:  # the inbox items are committed; the retry command sends these later
        logger.exception("Could not queue %d notification e-mails", len(notification_ids))


# --------------------------------------------------------------------------- e-mail


def email_deliver(*, notification_ids: list[int]) -> dict[str, int]:
    """Send the e-mails of these notifications (those still queued or failed) and record how
    each went. One failure does not stop the others."""
    pending = list(
        Notification.objects.filter(
            pk__in=notification_ids,
            email_status__in=(Notification.Email.QUEUED, Notification.Email.FAILED),
            email_attempts__lt=MAX_EMAIL_ATTEMPTS,
        ).select_related("recipient__employee", "organization")
    )
    outcome = {"sent": 0, "failed": 0}
    if not pending:
        return outcome
    try:
        connection = mail.get_connection(fail_silently=False)
        connection.open()
    except Exception as exc:
        for notification in pending:
            _record_email(notification, error=exc)
        outcome["failed"] = len(pending)
        return outcome
    try:
        for notification in pending:
            try:
                connection.send_messages([email_message(notification)])
            except Exception as exc:
                _record_email(notification, error=exc)
                outcome["failed"] += 1
            else:
                _record_email(notification)
                outcome["sent"] += 1
    finally:
        connection.close()
    return outcome


def _record_email(notification: Notification, *, error: Exception | None = None) -> None:
    notification.email_attempts += 1
    if error is None:
        notification.email_status = Notification.Email.SENT
        notification.emailed_at = timezone.now()
        notification.email_error = ""
    else:
        logger.warning("Notification e-mail %s failed: %s", notification.pk, error)
        notification.email_status = Notification.Email.FAILED
        notification.email_error = f"{type(error).__name__}: {error}"[:300]
    notification.save(update_fields=["email_attempts", "email_status", "emailed_at", "email_error"])


def site_link(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path if path else ""


def email_message(notification: Notification) -> mail.EmailMessage:
    """The plain-text e-mail of a notification, from `notifications/email/<event>.txt` when an
    app provides one, else the general template."""
    recipient = notification.recipient
    slug = notification.organization.slug
    context = {
        "notification": notification,
        "name": recipient.first_name or recipient.get_username(),
        "organization": notification.organization,
        "link": site_link(notification.url),
        "inbox_link": site_link(reverse("notifications:inbox", args=[slug])),
        "preferences_link": site_link(reverse("notifications:preferences", args=[slug])),
        "event": EVENTS.get(notification.event),
    }
    template = select_template(
        [f"notifications/email/{notification.event}.txt", "notifications/email/notification.txt"]
    )
    subject = render_to_string("notifications/email/subject.txt", context).strip()
    return mail.EmailMessage(
        " ".join(subject.split()),
        template.render(context),
        settings.DEFAULT_FROM_EMAIL,
        [email_address(recipient)],
    )


def emails_retry(*, older_than: dt.timedelta = dt.timedelta(minutes=10)) -> dict[str, int]:
    """Send again what failed, or what was queued long ago and never went (a lost task)."""
    cutoff = timezone.now() - older_than
    ids = list(
        Notification.objects.filter(
            email_status__in=(Notification.Email.QUEUED, Notification.Email.FAILED),
            email_attempts__lt=MAX_EMAIL_ATTEMPTS,
            created_at__lte=cutoff,
        ).values_list("pk", flat=True)
    )
    return email_deliver(notification_ids=ids)


# --------------------------------------------------------------------------- the inbox


@transaction.atomic
def notification_mark_read(*, notification: Notification, user) -> Notification:
    if notification.recipient_id != user.pk:
        raise PermissionDenied("This is someone else's notification.")
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


@transaction.atomic
def notifications_mark_all_read(*, user, organization: Organization) -> int:
    return Notification.objects.filter(
        recipient=user, organization=organization, read_at__isnull=True
    ).update(read_at=timezone.now())


@transaction.atomic
def preferences_update(*, user, email: dict[str, bool]) -> None:
    """Set, per event key, whether the person wants it by e-mail. Unknown keys change nothing."""
    unknown = sorted(set(email) - set(EVENTS))
    if unknown:
        raise ValidationError(f"Unknown notification event(s): {', '.join(unknown)}.")
    for event, wanted in email.items():
        Preference.objects.update_or_create(user=user, event=event, defaults={"email": wanted})


# --------------------------------------------------------------------------- events computed here


def notify_results_ready(*, wave) -> list[Notification]:
    """Tell HR, admins and each manager whose units show results that a wave's results are
    published.

    "Shows results" is read from the published, gated cells themselves (the same cells every
    results page reads): a manager is told when at least one unit of their subtree is shown,
    so nobody is sent to a page where everything is withheld. Nothing is sent before the
    results are published (a large wave is told when its background publication is done).
    """
    from servicechain.org.access import Role
    from servicechain.surveys.models import UnitScore
    from servicechain.surveys.selectors import published_results

    organization = wave.organization
    results = published_results(wave)
    if not results.ready:
        return []
    shown = list(
        UnitScore.objects.filter(
            snapshot=results.snapshot, dimension="", category="", scale="", suppressed=False
        ).values_list("unit_id", flat=True)
    )
    if not shown:
        return []
    paths = list(Unit.objects.filter(pk__in=shown).values_list("path", flat=True))
    recipients = [
        m.user_id
        for m in Membership.objects.filter(organization=organization).select_related("unit")
        if m.role in (Role.ADMIN, Role.HR_ANALYST)
        or (m.role == Role.MANAGER and any(p.startswith(m.unit.path) for p in paths))
    ]
    return notify(
        recipients=recipients,
        event=RESULTS_READY.key,
        title=f"Results of “{wave.name}” are ready",
        body=(
            "You can read them for the units you look after. Groups with fewer than "
            f"{organization.min_group_size} answers stay withheld, so nobody can be singled out."
        ),
        url=reverse("surveys:results", args=[organization.slug, wave.pk]),
        organization=organization,
        key=f"wave:{wave.pk}",
    )


def action_plans_due_notify(*, today: dt.date | None = None) -> int:
    """Tell each open plan's owner once when it falls due within a week and once when it is
    overdue (again if its due date moves). Returns how many notifications were sent."""
    from servicechain.insights.models import ActionPlan

    today = today or timezone.localdate()
    plans = (
        ActionPlan.objects.exclude(status__in=(ActionPlan.Status.DONE, ActionPlan.Status.CANCELLED))
        .filter(due_date__lte=today + dt.timedelta(days=DUE_SOON_DAYS))
        .select_related("organization", "unit", "owner")
        .order_by("pk")
    )
    sent = 0
    for plan in plans:
        overdue = plan.due_date < today
        when = f"{plan.due_date:%a} {plan.due_date.day} {plan.due_date:%b %Y}"
        sent += len(
            notify(
                recipients=[plan.owner],
                event=PLAN_DUE.key,
                title=f"Action plan {'overdue' if overdue else 'due'}: {plan.title}",
                body=f"{plan.unit.name} · {plan.driver_name} · due {when} · "
                f"{plan.get_status_display()}",
                url=reverse("insights:plan", args=[plan.organization.slug, plan.pk]),
                organization=plan.organization,
                key=f"plan:{plan.pk}:{'overdue' if overdue else 'due'}:{plan.due_date}",
            )
        )
    return sent
