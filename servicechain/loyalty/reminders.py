"""Writes of service reminders: raise them ahead of the due date for the account's owner,
e-mail customers who agreed (at most two e-mails per due service: when raised, and on the
due date), close them when a purchase or an interaction records the service, keep a decline.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from servicechain.org.models import Customer, Employee, Interaction, Organization, Transaction
from servicechain.org.services import audit_record, audit_records

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
    service_code: str = "",
    actor=None,
) -> Asset:
    services.refuse_nul(name=name, service_code=service_code)
    asset = Asset(
        organization_id=customer.organization_id,
        customer=customer,
        name=name,
        service_code=service_code.strip(),
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
            service_code=reminder.asset.service_code,
        )
    done_on = timezone.localdate(
        purchase.occurred_at if purchase else interaction.started_at if interaction else when
    )
    asset = reminder.asset
    _restart_clock(asset, done_on=done_on, usage=usage)
    asset.save(update_fields=["usage_at_last_service", "last_service_on"])
    _close(reminder, when=when, purchase=purchase, interaction=interaction)
    reminder.save()
    audit_record(
        action="loyalty.service_record",
        organization=reminder.customer.organization,
        actor=actor,
        target=reminder,
        detail={"asset": asset.name, "on": done_on.isoformat()},
    )
    return reminder


def _restart_clock(asset: Asset, *, done_on: dt.date, usage: int | None = None) -> None:
    """The asset was serviced on `done_on`: its clock restarts there, at the reading given or
    the usage projected to that day (unsaved)."""
    asset.usage_at_last_service = (
        usage if usage is not None else rules_engine.usage_on(asset, done_on)
    )
    asset.last_service_on = done_on


def _close(
    reminder: Reminder,
    *,
    when: dt.datetime,
    purchase: Transaction | None,
    interaction: Interaction | None,
) -> None:
    """The reminder is done, by the purchase or interaction that recorded the service (unsaved)."""
    reminder.status = Reminder.Status.DONE
    reminder.closed_at = when
    reminder.closed_by_transaction = purchase
    reminder.closed_by_interaction = interaction


@dataclass(frozen=True)
class _Done:
    """The latest record of one service (a customer's service code) in a batch."""

    on: dt.date
    purchase: Transaction | None = None
    interaction: Interaction | None = None

    @property
    def record(self) -> str:
        if self.purchase is not None:
            return f"transaction {self.purchase.external_id}"
        return f"interaction {self.interaction.external_id}"


def _latest_services(
    transactions: Iterable[Transaction], interactions: Iterable[Interaction]
) -> dict[tuple[int, str], _Done]:
    """(customer, service code) → its latest record among those carrying a code."""
    latest: dict[tuple[int, str], _Done] = {}
    records = [(p, _Done(timezone.localdate(p.occurred_at), purchase=p)) for p in transactions] + [
        (i, _Done(timezone.localdate(i.started_at), interaction=i)) for i in interactions
    ]
    for record, done in records:
        if not record.service_code:
            continue
        key = (record.customer_id, record.service_code)
        if key not in latest or done.on > latest[key].on:
            latest[key] = done
    return latest


def services_recorded(
    *,
    organization: Organization,
    transactions: Iterable[Transaction] = (),
    interactions: Iterable[Interaction] = (),
    actor=None,
) -> int:
    """The services these purchases and visits record, by their `service_code`: each asset of
    the record's customer with that code was serviced on the record's day. An open reminder
    on it closes as `service_record` closes one (by that purchase or interaction, audited); the
    asset's service clock restarts on that day, reminder or not (a service done early). A
    record dated no later than the asset's last service changes nothing, so one imported late
    never winds the clock back; a code that matches none of the customer's assets is no error.

    Runs inside the caller's transaction (an import batch or `transaction_record`): two reads,
    two batched updates and one insert of audit entries for the whole batch, nothing for
    records without a code. Returns the assets serviced.
    """
    latest = _latest_services(transactions, interactions)
    if not latest:
        return 0
    customers = {customer for customer, _ in latest}
    codes = {code for _, code in latest}
    # Reminders are locked before their assets, the order `service_record` takes them in.
    open_reminders = {
        r.asset_id: r
        for r in Reminder.objects.select_for_update(of=("self",)).filter(
            organization=organization,
            status=Reminder.Status.OPEN,
            customer_id__in=customers,
            asset__service_code__in=codes,
        )
    }
    assets = Asset.objects.select_for_update().filter(
        organization=organization, customer_id__in=customers, service_code__in=codes
    )
    now = timezone.now()
    serviced, closed, audited = [], [], []
    for asset in assets.order_by("pk"):
        done = latest.get((asset.customer_id, asset.service_code))
        if done is None or done.on <= asset.last_service_on:
            continue
        _restart_clock(asset, done_on=done.on)
        serviced.append(asset)
        reminder = open_reminders.get(asset.pk)
        if reminder is not None:
            _close(reminder, when=now, purchase=done.purchase, interaction=done.interaction)
            closed.append(reminder)
        detail = {"asset": asset.name, "on": done.on.isoformat(), "by": done.record}
        audited.append((reminder if reminder is not None else asset, detail))
    _update_each(Asset, serviced, ["usage_at_last_service", "last_service_on"])
    _update_each(
        Reminder, closed, ["status", "closed_at", "closed_by_transaction", "closed_by_interaction"]
    )
    audit_records(
        action="loyalty.service_record", organization=organization, actor=actor, events=audited
    )
    return len(serviced)


def _update_each(model, objects: list, fields: list[str]) -> None:
    """Save `fields` of each object: one parameterised UPDATE by primary key, run as one
    executemany (psycopg pipelines it; SQLite runs it in-process). Django's bulk_update builds a
    CASE expression per row and field, which took 85% of the time of an import batch."""
    if not objects:
        return
    quote = connection.ops.quote_name
    columns = [model._meta.get_field(name) for name in fields]
    assignments = ", ".join(f"{quote(column.column)} = %s" for column in columns)
    # Table and column names come from the model, quoted by the backend; values are parameters.
    sql = (
        f"UPDATE {quote(model._meta.db_table)} SET {assignments} "  # nosec B608
        f"WHERE {quote(model._meta.pk.column)} = %s"
    )
    params = [
        [column.get_db_prep_save(getattr(obj, column.attname), connection) for column in columns]
        + [obj.pk]
        for obj in objects
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def services_recorded_imported(*, organization: Organization, external_ids: list[str]) -> None:
    """Import listener: the visits of an `interactions` import batch that carry a service
    code record that service."""
    visits = (
        Interaction.objects.filter(organization=organization, external_id__in=external_ids)
        .exclude(service_code="")
        .only("pk", "external_id", "customer_id", "started_at", "service_code")
    )
    services_recorded(organization=organization, interactions=visits)


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
