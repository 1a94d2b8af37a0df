"""Writes of service reminders: raise them ahead of the due date for the account's owner,
e-mail customers who agreed (at most two e-mails per due service: when raised, and on the
due date), close them when a purchase or an interaction records the service, keep a decline.
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from servicechain.org.models import Customer, Employee, Interaction, Organization, Transaction
from servicechain.org.services import audit_record

from . import rules_engine, selectors, services
from .models import Account, Asset, CustomerEmail, Reminder

MAX_REMINDER_EMAILS = 2
#: the largest reading an asset's usage column holds (a PositiveIntegerField)
MAX_USAGE = 2_147_483_647


@transaction.atomic
def asset_create(
    *,
    customer: Customer,
    name: str,
    last_service_on: dt.date,
    interval_days: int | None = None,
    interval_usage: int | None = None,
    usage_unit: str = "",
    usage_per_day=None,
    usage_at_last_service: int = 0,
    actor=None,
) -> Asset:
    asset = Asset(
        organization_id=customer.organization_id,
        customer=customer,
        name=name,
        last_service_on=last_service_on,
        interval_days=interval_days,
        interval_usage=interval_usage,
        usage_unit=usage_unit,
        usage_per_day=usage_per_day,
        usage_at_last_service=usage_at_last_service,
    )
    asset.full_clean()
    asset.save()
    audit_record(
        action="loyalty.asset_create",
        organization=customer.organization,
        actor=actor,
        target=asset,
        detail={"customer": customer.external_id, "name": name},
    )
    return asset


def _owner_of(customer: Customer) -> tuple[int | None, int | None]:
    account = Account.objects.filter(customer=customer).first()
    if customer.owner_id is not None:
        return customer.owner_id, customer.owner.unit_id
    return None, account.owner_unit_id if account else None


@transaction.atomic
def reminders_refresh(*, organization: Organization, today: dt.date | None = None) -> int:
    """Raise a reminder for each asset whose service falls due within the lead time (and has
    no open reminder), assigned to the account's owner. Returns reminders raised."""
    today = today or timezone.localdate()
    version = selectors.version_at(organization, today)
    lead = dt.timedelta(days=version.reminder_lead_days if version else 14)
    open_assets = Reminder.objects.filter(
        organization=organization, status=Reminder.Status.OPEN
    ).values("asset_id")
    assets = (
        Asset.objects.filter(organization=organization)
        .exclude(pk__in=open_assets)
        .select_related("customer__owner")
    )
    now = timezone.now()
    raised = []
    for asset in assets.iterator(chunk_size=2000):
        due_on, reason = rules_engine.service_due(asset)
        if due_on - lead > today:
            continue
        owner_id, unit_id = _owner_of(asset.customer)
        raised.append(
            Reminder(
                organization=organization,
                asset=asset,
                customer_id=asset.customer_id,
                due_on=due_on,
                reason=reason,
                owner_id=owner_id,
                owner_unit_id=unit_id,
                created_at=now,
            )
        )
    Reminder.objects.bulk_create(raised)
    return len(raised)


def reminder_emails_queue(*, organization: Organization, today: dt.date | None = None) -> int:
    """E-mail opted-in customers about open, undeclined reminders: once when raised, once more
    on the due date; never a third time."""
    today = today or timezone.localdate()
    reminders = (
        Reminder.objects.filter(
            organization=organization,
            status=Reminder.Status.OPEN,
            declined_on__isnull=True,
            emails_sent__lt=MAX_REMINDER_EMAILS,
            customer__loyalty_account__email_opt_in=True,
        )
        .exclude(customer__email="")
        .select_related("asset")
    )
    now = timezone.now()
    emails, counted = [], []
    for reminder in reminders:
        if reminder.emails_sent == 1 and reminder.due_on > today:
            continue  # the second e-mail goes on the due date
        number = reminder.emails_sent + 1
        emails.append(
            CustomerEmail(
                organization=organization,
                customer_id=reminder.customer_id,
                kind=CustomerEmail.Kind.SERVICE_REMINDER,
                key=f"reminder:{reminder.pk}:{number}",
                reminder=reminder,
                context={"asset": reminder.asset.name, "due_on": reminder.due_on.isoformat()},
                created_at=now,
            )
        )
        counted.append(reminder.pk)
    with transaction.atomic():
        queued = services.customer_emails_queue(emails)
        for pk in counted:
            Reminder.objects.filter(pk=pk, emails_sent__lt=MAX_REMINDER_EMAILS).update(
                emails_sent=F("emails_sent") + 1
            )
    return queued


@transaction.atomic
def service_record(
    *,
    reminder: Reminder,
    employee: Employee | None = None,
    purchase: Transaction | None = None,
    interaction: Interaction | None = None,
    usage: int | None = None,
    when: dt.datetime | None = None,
    actor=None,
) -> Reminder:
    """Close a reminder with the service done: by the given purchase or interaction, or a new
    in-person interaction by `employee`. The asset's service clock restarts."""
    reminder = (
        Reminder.objects.select_for_update().select_related("asset", "customer").get(pk=reminder.pk)
    )
    if reminder.status != Reminder.Status.OPEN:
        raise ValidationError("This service is already recorded.")
    if usage is not None and (isinstance(usage, bool) or not 0 <= usage <= MAX_USAGE):
        raise ValidationError({"usage": f"Usage is a whole number from 0 to {MAX_USAGE:,}."})
    for record, what in ((purchase, "purchase"), (interaction, "interaction")):
        if record is not None and record.customer_id != reminder.customer_id:
            raise ValidationError({what: f"That {what} is another customer's."})
    when = when or timezone.now()
    if purchase is None and interaction is None:
        if employee is None:
            raise ValidationError("Say who did the service, or give the purchase or interaction.")
        interaction = Interaction.objects.create(
            organization_id=reminder.organization_id,
            external_id=f"service-{reminder.pk}-{secrets.token_hex(4)}",
            customer=reminder.customer,
            employee=employee,
            unit=employee.unit,
            channel=Interaction.Channel.IN_PERSON,
            started_at=when,
        )
    done_on = timezone.localdate(
        purchase.occurred_at if purchase else interaction.started_at if interaction else when
    )
    asset = reminder.asset
    asset.usage_at_last_service = (
        usage if usage is not None else rules_engine.usage_on(asset, done_on)
    )
    asset.last_service_on = done_on
    asset.save(update_fields=["usage_at_last_service", "last_service_on"])
    reminder.status = Reminder.Status.DONE
    reminder.closed_at = when
    reminder.closed_by_transaction = purchase
    reminder.closed_by_interaction = interaction
    reminder.save()
    audit_record(
        action="loyalty.service_record",
        organization=reminder.customer.organization,
        actor=actor,
        target=reminder,
        detail={"asset": asset.name, "on": done_on.isoformat()},
    )
    return reminder


@transaction.atomic
def reminder_decline(*, reminder: Reminder, note: str = "", actor=None) -> Reminder:
    """The customer declined the work: kept open and shown again at the next visit, no more
    e-mails about it."""
    services.refuse_nul(note=note)
    reminder = Reminder.objects.select_for_update().get(pk=reminder.pk)
    if reminder.status != Reminder.Status.OPEN:
        raise ValidationError("This service is already recorded.")
    reminder.declined_on = timezone.localdate()
    reminder.declined_note = " ".join(note.split())[:300]
    reminder.save(update_fields=["declined_on", "declined_note"])
    audit_record(
        action="loyalty.reminder_decline",
        organization=reminder.customer.organization,
        actor=actor,
        target=reminder,
        detail={"note": reminder.declined_note},
    )
    return reminder
