"""Writes of the loyalty programme and its ledger: keyword-only, one transaction each, audited.

The ledger only grows (models.Entry). Purchases earn (PENDING, then CONFIRM when the return
window has passed; EARN straight away without a window); a redemption consumes the oldest
confirmed lots first; a return reverses what the returned part earned and, where the
programme says so, gives back the points redeemed on the purchase; points expire when an
account has been inactive for the months its rules said when it was last active. An entry
dated in a month whose liability statement is closed is booked on the first day of the first
open month instead, so a closed month never changes.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterable
from decimal import ROUND_FLOOR, Decimal, InvalidOperation

from django.conf import settings
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.utils import timezone
from djmoney.money import Money

from servicechain.org.models import Customer, Organization, Transaction
from servicechain.org.services import audit_record, refuse_nul

from . import rules_engine, selectors
from .models import (
    Account,
    CustomerEmail,
    Entry,
    LiabilityStatement,
    Programme,
    RepeatBusinessMonth,
    Return,
)

logger = logging.getLogger(__name__)

MONEY_FIELDS = ("visit_min_spend", "spend_unit", "point_value")
PROGRAMME_FIELDS = {
    "name",
    "points_per_visit",
    "points_per_spend_unit",
    "tier_basis",
    "tier_window",
    "tiers",
    "expiry_months",
    "warning_days",
    "last_chance_days",
    "return_window_days",
    "restore_redeemed_on_return",
    "reminder_lead_days",
    "at_risk_factor",
    *MONEY_FIELDS,
}
BATCH = 5000


# ----------------------------------------------------------------------------- programme


@transaction.atomic
def programme_save(
    *,
    organization: Organization,
    actor=None,
    effective_from: dt.date | None = None,
    today: dt.date | None = None,
    **fields,
) -> Programme:
    """Create the programme, or change it from the next period on (a new version).

    The first version may start on any first of a month (`effective_from`, e.g. to earn on
    past purchases); a change always starts on the first day of the month after `today`, so
    nothing already earned, pending or running towards expiry is judged by the new rules."""
    today = today or timezone.localdate()
    unknown = sorted(set(fields) - PROGRAMME_FIELDS)
    if unknown:
        raise ValidationError(f"Unknown programme setting(s): {', '.join(unknown)}.")
    programme = Programme.objects.select_for_update().filter(organization=organization).first()
    if programme is None:
        start = effective_from or today.replace(day=1)
        if start.day != 1:
            raise ValidationError("A programme starts on the first day of a month.")
        programme = Programme(organization=organization, effective_from=start)
        for field in MONEY_FIELDS:
            setattr(programme, field, Money(Decimal("0"), organization.currency))
        programme.spend_unit = Money(Decimal("1.00"), organization.currency)
        programme.point_value = Money(Decimal("0.01"), organization.currency)
    else:
        if effective_from is not None:
            raise ValidationError(
                "A change applies from the next period: the effective date is set for you."
            )
        programme.effective_from = rules_engine.next_period_start(today)
    for field, value in fields.items():
        if field in MONEY_FIELDS:
            value = Money(_amount(value, field), organization.currency)
        setattr(programme, field, value)
    programme.full_clean()
    if getattr(actor, "is_authenticated", False):
        programme._history_user = actor
    programme.save()
    audit_record(
        action="loyalty.programme_save",
        organization=organization,
        actor=actor,
        target=programme,
        detail={
            "effective_from": programme.effective_from.isoformat(),
            "changed": sorted(fields),
        },
    )
    return programme


def _amount(value, field: str) -> Decimal:
    if isinstance(value, Money):
        value = value.amount
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise ValidationError({field: f"{value!r} is not an amount."}) from None
    if not amount.is_finite():
        raise ValidationError({field: f"{value!r} is not an amount."})
    if abs(amount) >= MAX_AMOUNT:  # what a money column holds (14 digits, 2 after the point)
        raise ValidationError({field: f"{value!r} is too large an amount."})
    return amount


MAX_AMOUNT = Decimal(10) ** 12


# ----------------------------------------------------------------------------- booking


def _booking_start(organization: Organization) -> dt.datetime | None:
    """The first instant an entry may be dated (after the last closed month), or None."""
    month = selectors.first_open_month(organization)
    if month is None:
        return None
    return timezone.make_aware(dt.datetime.combine(month, dt.time.min))


def _bookable(moment: dt.datetime, start: dt.datetime | None) -> dt.datetime:
    return moment if start is None or moment >= start else start


# ----------------------------------------------------------------------------- earning


def ledger_earn(
    *,
    organization: Organization,
    transactions: Iterable[Transaction],
    now: dt.datetime | None = None,
) -> int:
    """Post what these purchases earn (each once: one already earned is skipped). Runs inside
    the caller's transaction (an import or `transaction_record`). Returns entries written."""
    now = now or timezone.now()
    history = selectors.versions(organization)
    purchases = [t for t in transactions if t.amount > 0]
    if not history or not purchases:
        return 0
    already = set(
        Entry.objects.filter(
            transaction_id__in=[t.pk for t in purchases],
            kind__in=(Entry.Kind.EARN, Entry.Kind.PENDING),
        ).values_list("transaction_id", flat=True)
    )
    start = _booking_start(organization)
    lots, confirm_at, activity = [], {}, {}
    for purchase in purchases:
        if purchase.pk in already:
            continue
        version = history.at(timezone.localdate(purchase.occurred_at))
        points = rules_engine.points_for(version, purchase.amount) if version else 0
        if points <= 0:
            continue
        window = version.return_window_days
        lot = Entry(
            organization_id=organization.pk,
            customer_id=purchase.customer_id,
            kind=Entry.Kind.PENDING if window else Entry.Kind.EARN,
            pending=bool(window),
            points=points,
            at=_bookable(purchase.occurred_at, start),
            transaction_id=purchase.pk,
            programme_version=version.history_id,
            spend=purchase.amount,
            created_at=now,
        )
        lots.append(lot)
        if window:
            confirm_at[id(lot)] = purchase.occurred_at + dt.timedelta(days=window)
        last = activity.get(purchase.customer_id)
        activity[purchase.customer_id] = (
            max(last, purchase.occurred_at) if last else purchase.occurred_at
        )
    Entry.objects.bulk_create(lots, batch_size=BATCH)
    confirms = [
        _confirm_entry(lot, moment, start, now)
        for lot in lots
        if (moment := confirm_at.get(id(lot))) is not None and moment <= now
    ]
    Entry.objects.bulk_create(confirms, batch_size=BATCH)
    _touch_accounts(organization, activity, history, now=now)
    return len(lots) + len(confirms)


def _confirm_entry(lot: Entry, moment: dt.datetime, start, now: dt.datetime, points=None) -> Entry:
    return Entry(
        organization_id=lot.organization_id,
        customer_id=lot.customer_id,
        kind=Entry.Kind.CONFIRM,
        points=points if points is not None else lot.points,
        at=_bookable(moment, start),
        transaction_id=lot.transaction_id,
        lot_id=lot.pk,
        programme_version=lot.programme_version,
        created_at=now,
    )


def _touch_accounts(organization, activity: dict[int, dt.datetime], history, *, now) -> None:
    """Enrol the customers who are new and move each account's last activity (and with it the
    expiry date, under the rules in force then). Points already past their expiry date expire
    first: new activity never revives them."""
    if not activity:
        return
    Account.objects.bulk_create(
        [
            Account(customer_id=c, organization_id=organization.pk, enrolled_at=moment)
            for c, moment in activity.items()
        ],
        ignore_conflicts=True,
        batch_size=BATCH,
    )
    ids = list(activity)
    for start in range(0, len(ids), BATCH):
        accounts = list(Account.objects.filter(pk__in=ids[start : start + BATCH]))
        lapsed = [
            a.pk for a in accounts if a.expires_at is not None and a.expires_at <= activity[a.pk]
        ]
        if lapsed:
            _expire(Account.objects.filter(pk__in=lapsed), now=now)
            accounts = list(Account.objects.filter(pk__in=ids[start : start + BATCH]))
        for account in accounts:
            moment = activity[account.pk]
            if account.last_activity_at is not None and account.last_activity_at >= moment:
                continue
            account.last_activity_at = moment
            account.expires_at = rules_engine.expires_at(
                history.at(timezone.localdate(moment)), moment
            )
        Account.objects.bulk_update(accounts, ["last_activity_at", "expires_at"])


@transaction.atomic
def transaction_record(
    *,
    organization: Organization,
    customer: Customer,
    external_id: str,
    amount: Decimal,
    occurred_at: dt.datetime,
    employee=None,
    service_code: str = "",
    actor=None,
) -> tuple[Transaction, int]:
    """Record a purchase (the API's way in) and what it earns, in one transaction; with a
    `service_code`, the customer's asset of that code is serviced (its reminder closes)."""
    amount = _amount(amount, "amount")
    if amount <= 0:
        raise ValidationError(
            {"amount": "A purchase is above zero; record a return for money given back."}
        )
    if amount != amount.quantize(Decimal("0.01")):
        raise ValidationError({"amount": "Use at most two decimal places."})
    if customer.organization_id != organization.pk:
        raise ValidationError({"customer": "The customer belongs to another organisation."})
    if employee is not None and employee.organization_id != organization.pk:
        raise ValidationError({"employee": "The employee belongs to another organisation."})
    refuse_nul(external_id=external_id, service_code=service_code)
    if Transaction.objects.filter(organization=organization, external_id=external_id).exists():
        raise ValidationError({"external_id": f"A transaction {external_id!r} already exists."})
    purchase = Transaction(
        organization=organization,
        external_id=external_id,
        customer=customer,
        employee=employee,
        amount=amount,
        occurred_at=occurred_at,
        service_code=service_code.strip(),
    )
    purchase.full_clean()
    purchase.save()
    written = ledger_earn(organization=organization, transactions=[purchase])
    _services_recorded(organization=organization, transactions=[purchase], actor=actor)
    audit_record(
        action="loyalty.transaction_record",
        organization=organization,
        actor=actor,
        target=purchase,
        detail={"amount": str(amount), "entries": written},
    )
    return purchase, written


def ledger_earn_imported(*, organization: Organization, external_ids: list[str]) -> None:
    """Import listener: the purchases of a `transactions` import batch earn, and those with a
    service code record that service (read once for both)."""
    purchases = list(
        Transaction.objects.filter(organization=organization, external_id__in=external_ids).only(
            "pk", "external_id", "customer_id", "amount", "occurred_at", "service_code"
        )
    )
    ledger_earn(organization=organization, transactions=purchases)
    _services_recorded(
        organization=organization, transactions=[p for p in purchases if p.service_code]
    )


def _services_recorded(**records) -> int:
    # reminders.py builds on this module (e-mails, refusals), so it is imported when called.
    from .reminders import services_recorded

    return services_recorded(**records)


# ----------------------------------------------------------------------------- confirming


def _remaining():
    """A lot's remaining points: its own plus its debits (a confirmation is not a debit)."""
    debits = (
        Entry.objects.filter(lot=OuterRef("pk"))
        .exclude(kind=Entry.Kind.CONFIRM)
        .order_by()
        .values("lot")
        .annotate(total=Sum("points"))
        .values("total")
    )
    return F("points") + Coalesce(Subquery(debits), 0)


@transaction.atomic
def ledger_confirm_due(*, organization: Organization, now: dt.datetime | None = None) -> int:
    """Confirm the pending lots whose return window has passed (what is left of them after
    returns). Returns the number of confirmations."""
    now = now or timezone.now()
    history = selectors.versions(organization)
    start = _booking_start(organization)
    confirmed = Entry.objects.filter(kind=Entry.Kind.CONFIRM, lot=OuterRef("pk"))
    written = 0
    for version in history.versions:
        window = dt.timedelta(days=version.return_window_days)
        due = (
            Entry.objects.filter(
                organization=organization,
                kind=Entry.Kind.PENDING,
                programme_version=version.history_id,
                at__lte=now - window,
            )
            .exclude(Exists(confirmed))
            .annotate(remaining=_remaining())
            .filter(remaining__gt=0)
        )
        rows = [
            _confirm_entry(lot, lot.at + window, start, now, points=lot.remaining)
            for lot in due.iterator(chunk_size=BATCH)
        ]
        Entry.objects.bulk_create(rows, batch_size=BATCH)
        written += len(rows)
    return written


# ----------------------------------------------------------------------------- redeeming


def _points(value, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError({"points": f"{what} a whole number of points."})
    if value <= 0:
        raise ValidationError({"points": f"{what} a number of points above zero."})
    return value


def _lock_account(customer: Customer) -> Account:
    account = Account.objects.select_for_update().filter(customer=customer).first()
    if account is None:
        raise ValidationError(f"{customer} has no loyalty account yet (no purchase has earned).")
    return account


def _debit_oldest_first(
    *,
    customer: Customer,
    points: int,
    kind: str,
    at: dt.datetime,
    now: dt.datetime,
    first_lot: int | None = None,
    **fields,
) -> list[Entry]:
    """Debit `points` from the customer's confirmed lots, oldest first (`first_lot` before
    the others). Returns the entries (unsaved), and what no lot covers as one more entry."""
    lots = [lot for lot in selectors.lots(customer) if lot["remaining"] > 0]
    lots.sort(key=lambda lot: lot["pk"] != first_lot)  # stable: oldest first otherwise
    rows, left = [], points
    for lot in lots:
        if left == 0:
            break
        take = min(left, lot["remaining"])
        rows.append(
            Entry(
                organization_id=customer.organization_id,
                customer_id=customer.pk,
                kind=kind,
                points=-take,
                at=at,
                lot_id=lot["pk"],
                created_at=now,
                **fields,
            )
        )
        left -= take
    if left:
        rows.append(
            Entry(
                organization_id=customer.organization_id,
                customer_id=customer.pk,
                kind=kind,
                points=-left,
                at=at,
                created_at=now,
                **fields,
            )
        )
    return rows


@transaction.atomic
def redemption_create(
    *,
    customer: Customer,
    points: int,
    reference: str = "",
    purchase: Transaction | None = None,
    actor=None,
    now: dt.datetime | None = None,
) -> list[Entry]:
    """Redeem points, oldest confirmed lots first; never pending or expired points."""
    now = now or timezone.now()
    points = _points(points, "Redeem")
    refuse_nul(reference=reference)
    account = _lock_account(customer)
    if account.expires_at is not None and account.expires_at <= now:
        _expire(Account.objects.filter(pk=account.pk), now=now)
    if purchase is not None and purchase.customer_id != customer.pk:
        raise ValidationError({"transaction": "That purchase is another customer's."})
    available = min(
        selectors.balance(customer),
        sum(lot["remaining"] for lot in selectors.lots(customer) if lot["remaining"] > 0),
    )
    if points > available:
        raise ValidationError(
            {"points": f"Cannot redeem {points:,} points: {customer} has {available:,} to spend."}
        )
    start = _booking_start(customer.organization)
    rows = _debit_oldest_first(
        customer=customer,
        points=points,
        kind=Entry.Kind.REDEEM,
        at=_bookable(now, start),
        now=now,
        reference=reference[:100],
        transaction_id=purchase.pk if purchase else None,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
    )
    Entry.objects.bulk_create(rows)
    history = selectors.versions(customer.organization)
    _touch_accounts(customer.organization, {customer.pk: now}, history, now=now)
    audit_record(
        action="loyalty.redeem",
        organization=customer.organization,
        actor=actor,
        target=customer,
        detail={"points": points, "reference": reference[:100]},
    )
    return rows


# ----------------------------------------------------------------------------- returns


@transaction.atomic
def return_record(
    *,
    organization: Organization,
    purchase: Transaction,
    amount,
    external_id: str,
    occurred_at: dt.datetime | None = None,
    actor=None,
    now: dt.datetime | None = None,
) -> tuple[Return, list[Entry]]:
    """Record a return or refund of (part of) a purchase and reverse what that part earned:
    the points the purchase earned less what the amount kept would earn (so a return below the
    visit's minimum spend takes the visit points too). Pending points are reversed in their
    lot; confirmed ones from the purchase's own lot first, then the oldest. Points redeemed on
    the purchase come back in proportion when the programme says so."""
    now = now or timezone.now()
    amount = _amount(amount, "amount")
    if amount <= 0:
        raise ValidationError({"amount": "A return gives back an amount above zero."})
    if purchase.organization_id != organization.pk:
        raise ValidationError({"transaction": "That purchase belongs to another organisation."})
    purchase = Transaction.objects.select_for_update().get(pk=purchase.pk)
    refuse_nul(external_id=external_id)
    if Return.objects.filter(organization=organization, external_id=external_id).exists():
        raise ValidationError({"external_id": f"A return {external_id!r} is already recorded."})
    returned = Return.objects.filter(transaction=purchase).aggregate(t=Sum("amount"))["t"] or 0
    kept_before = purchase.amount - returned
    if amount > kept_before:
        raise ValidationError(
            {"amount": f"Cannot return {amount}: {kept_before} of the purchase is left to return."}
        )
    record = Return(
        organization=organization,
        external_id=external_id,
        transaction=purchase,
        amount=amount,
        occurred_at=occurred_at or now,
    )
    record.full_clean()
    record.save()
    at = _bookable(record.occurred_at, _booking_start(organization))
    rows = _reverse_earning(purchase, kept_before, kept_before - amount, at=at, now=now)
    rows += _restore_redeemed(purchase, kept_after=kept_before - amount, at=at, now=now)
    Entry.objects.bulk_create(rows)
    audit_record(
        action="loyalty.return",
        organization=organization,
        actor=actor,
        target=purchase,
        detail={
            "return": external_id,
            "amount": str(amount),
            "points": sum(r.points for r in rows),
        },
    )
    return record, rows


def _reverse_earning(purchase, kept_before, kept_after, *, at, now) -> list[Entry]:
    lot = (
        Entry.objects.filter(transaction=purchase, kind__in=(Entry.Kind.PENDING, Entry.Kind.EARN))
        .order_by("pk")
        .first()
    )
    if lot is None:
        return []
    version = selectors.versions(purchase.organization).by_id[lot.programme_version]
    points = rules_engine.points_for(version, kept_before) - rules_engine.points_for(
        version, kept_after
    )
    if points <= 0:
        return []
    confirmation = Entry.objects.filter(kind=Entry.Kind.CONFIRM, lot=lot).first()
    if lot.kind == Entry.Kind.PENDING and confirmation is None:
        return [
            Entry(
                organization_id=lot.organization_id,
                customer_id=lot.customer_id,
                kind=Entry.Kind.REVERSE,
                points=-points,
                pending=True,
                at=at,
                transaction_id=purchase.pk,
                lot_id=lot.pk,
                reverses_id=lot.pk,
                created_at=now,
            )
        ]
    credit = confirmation or lot
    return _debit_oldest_first(
        customer=purchase.customer,
        points=points,
        kind=Entry.Kind.REVERSE,
        at=at,
        now=now,
        first_lot=credit.pk,
        transaction_id=purchase.pk,
        reverses_id=credit.pk,
    )


def _restore_redeemed(purchase, *, kept_after, at, now) -> list[Entry]:
    history = selectors.versions(purchase.organization)
    version = history.at(timezone.localdate(purchase.occurred_at))
    if version is None or not version.restore_redeemed_on_return:
        return []
    redemptions = list(
        Entry.objects.filter(transaction=purchase, kind=Entry.Kind.REDEEM).order_by("pk")
    )
    rows = []
    share = (purchase.amount - kept_after) / purchase.amount
    for redemption in redemptions:
        restored = Entry.objects.filter(reverses=redemption).aggregate(t=Sum("points"))["t"] or 0
        due = int((Decimal(-redemption.points) * share).to_integral_value(rounding=ROUND_FLOOR))
        if due - restored > 0:
            rows.append(
                Entry(
                    organization_id=redemption.organization_id,
                    customer_id=redemption.customer_id,
                    kind=Entry.Kind.REVERSE,
                    points=due - restored,
                    at=at,
                    transaction_id=purchase.pk,
                    lot_id=redemption.lot_id,
                    reverses_id=redemption.pk,
                    created_at=now,
                )
            )
    return rows


# ----------------------------------------------------------------------------- expiry


def _expire(accounts, *, now: dt.datetime) -> int:
    """Expire every remaining confirmed point of these accounts, dated their expiry, and stop
    their clocks (new activity starts them again). One set-based pass over the lots."""
    customers = accounts.values("customer_id")
    expiry = Account.objects.filter(pk=OuterRef("customer_id")).values("expires_at")
    lots = (
        Entry.objects.filter(customer_id__in=customers, kind__in=selectors.CREDITS)
        .annotate(remaining=_remaining(), expires=Subquery(expiry))
        .filter(remaining__gt=0)
        .values_list("pk", "organization_id", "customer_id", "remaining", "expires")
    )
    written = 0
    batch = []
    for pk, organization_id, customer_id, remaining, expires in lots.iterator(chunk_size=BATCH):
        batch.append(
            Entry(
                organization_id=organization_id,
                customer_id=customer_id,
                kind=Entry.Kind.EXPIRE,
                points=-remaining,
                at=expires or now,
                lot_id=pk,
                created_at=now,
            )
        )
        if len(batch) >= BATCH:
            written += len(Entry.objects.bulk_create(batch))
            batch = []
    written += len(Entry.objects.bulk_create(batch))
    Account.objects.filter(pk__in=customers).update(expires_at=None)
    return written


@transaction.atomic
def expiry_run(*, now: dt.datetime | None = None, organization: Organization | None = None) -> int:
    """The nightly expiry: accounts past their expiry date lose their remaining points."""
    now = now or timezone.now()
    accounts = Account.objects.filter(expires_at__lte=now)
    if organization is not None:
        accounts = accounts.filter(organization=organization)
    return _expire(accounts, now=now)


def expiry_warnings_queue(*, organization: Organization, now: dt.datetime | None = None) -> int:
    """Queue the "warning" and "last chance" e-mails of opted-in members whose points expire
    soon (once each per expiry date). Returns e-mails queued."""
    now = now or timezone.now()
    version = selectors.version_at(organization, timezone.localdate(now))
    if version is None:
        return 0
    queued = 0
    for kind, days in (
        (CustomerEmail.Kind.EXPIRY_LAST_CHANCE, version.last_chance_days),
        (CustomerEmail.Kind.EXPIRY_WARNING, version.warning_days),
    ):
        accounts = Account.objects.filter(
            organization=organization,
            email_opt_in=True,
            expires_at__gt=now,
            expires_at__lte=now + dt.timedelta(days=days),
        ).exclude(customer__email="")
        emails = []
        for account in accounts.select_related("customer"):
            points = selectors.balance(account.customer_id)
            if points <= 0:
                continue
            emails.append(
                CustomerEmail(
                    organization=organization,
                    customer_id=account.pk,
                    kind=kind,
                    key=f"expiry:{account.expires_at:%Y-%m-%d}",
                    context={
                        "points": points,
                        "expires_on": timezone.localdate(account.expires_at).isoformat(),
                    },
                    created_at=now,
                )
            )
        queued += customer_emails_queue(emails)
    return queued


# ----------------------------------------------------------------------------- customer e-mail


def customer_emails_queue(emails: list[CustomerEmail]) -> int:
    """Store these e-mails (each kind and key at most once per customer) and send them from
    the background after the commit. Returns how many were new."""
    if not emails:
        return 0
    keys = {(e.customer_id, e.kind, e.key) for e in emails}
    existing = set(
        CustomerEmail.objects.filter(
            customer_id__in={c for c, _, _ in keys}, kind__in={k for _, k, _ in keys}
        ).values_list("customer_id", "kind", "key")
    )
    fresh = [e for e in emails if (e.customer_id, e.kind, e.key) not in existing]
    CustomerEmail.objects.bulk_create(fresh, ignore_conflicts=True)
    ids = list(
        CustomerEmail.objects.filter(status=CustomerEmail.Status.QUEUED, attempts=0)
        .filter(Q(customer_id__in=[e.customer_id for e in fresh]))
        .values_list("pk", flat=True)
    )
    if ids:
        transaction.on_commit(lambda: _enqueue(ids))
    return len(fresh)


def _enqueue(ids: list[int]) -> None:
    from .tasks import deliver_customer_emails  # tasks import services

    try:
        deliver_customer_emails.enqueue(ids)
    except Exception:  # stored as queued: the nightly run sends them
        logger.exception("Could not queue %d customer e-mails", len(ids))


def customer_emails_deliver(*, ids: list[int]) -> dict[str, int]:
    """Send queued customer e-mails through Django's e-mail backend, to customers who still
    agree to them; one failure does not stop the others."""
    outcome = {"sent": 0, "failed": 0, "skipped": 0}
    pending = CustomerEmail.objects.filter(
        pk__in=ids,
        status__in=(CustomerEmail.Status.QUEUED, CustomerEmail.Status.FAILED),
        attempts__lt=3,
    ).select_related("customer__loyalty_account", "organization", "reminder__asset")
    for email in pending:
        account = getattr(email.customer, "loyalty_account", None)
        if account is None or not account.email_opt_in or not email.customer.email:
            CustomerEmail.objects.filter(pk=email.pk).update(
                status=CustomerEmail.Status.FAILED, attempts=3, error="no consent or no address"
            )
            outcome["skipped"] += 1
            continue
        try:
            customer_email_message(email).send()
        except Exception as exc:
            CustomerEmail.objects.filter(pk=email.pk).update(
                status=CustomerEmail.Status.FAILED,
                attempts=F("attempts") + 1,
                error=f"{type(exc).__name__}: {exc}"[:300],
            )
            outcome["failed"] += 1
        else:
            CustomerEmail.objects.filter(pk=email.pk).update(
                status=CustomerEmail.Status.SENT, attempts=F("attempts") + 1, sent_at=timezone.now()
            )
            outcome["sent"] += 1
    return outcome


def customer_email_message(email: CustomerEmail) -> mail.EmailMessage:
    context = {
        "email": email,
        "customer": email.customer,
        "organization": email.organization,
        "reminder": email.reminder,
        **email.context,
    }
    subject = render_to_string(f"loyalty/email/{email.kind}_subject.txt", context)
    body = render_to_string(f"loyalty/email/{email.kind}.txt", context)
    return mail.EmailMessage(
        " ".join(subject.split()), body, settings.DEFAULT_FROM_EMAIL, [email.customer.email]
    )


# ----------------------------------------------------------------------------- liability


@transaction.atomic
def liability_close(
    *, organization: Organization, month: dt.date, actor=None, today: dt.date | None = None
) -> LiabilityStatement:
    """Close every open month up to a finished `month`: each month's liability statement is
    written once and never changes (it also keeps the month's redeemed and expired points, the
    history of the redemption rate); entries dated in a closed month afterwards are booked in
    the first open month. Returns `month`'s statement."""
    today = today or timezone.localdate()
    if month.day != 1:
        raise ValidationError({"month": "Give the first day of the month to close."})
    if rules_engine.next_period_start(month) > today:
        raise ValidationError({"month": f"{month:%B %Y} has not ended yet."})
    if LiabilityStatement.objects.filter(organization=organization, month=month).exists():
        raise ValidationError({"month": f"{month:%B %Y} is already closed."})
    opened = selectors.first_open_month(organization)
    if opened is not None and month < opened:
        raise ValidationError({"month": f"{month:%B %Y} lies before a closed month."})
    rows = [
        row for row in selectors.liability_report(organization, through=month) if not row["closed"]
    ]
    version = selectors.version_at(organization, month)
    if not rows:  # nothing was ever earned: an empty statement
        rows = [
            {
                "month": month,
                "outstanding_points": 0,
                "pending_points": 0,
                "redeemed_points": 0,
                "expired_points": 0,
                "point_value": version.point_value.amount if version else Decimal(0),
                "redemption_rate": selectors.DEFAULT_REDEMPTION_RATE,
                "liability": Decimal("0.00"),
            }
        ]
    now = timezone.now()
    closer = actor if getattr(actor, "is_authenticated", False) else None
    statements = LiabilityStatement.objects.bulk_create(
        [
            LiabilityStatement(
                organization=organization,
                month=row["month"],
                outstanding_points=row["outstanding_points"],
                pending_points=row["pending_points"],
                redeemed_points=row["redeemed_points"],
                expired_points=row["expired_points"],
                point_value=row["point_value"],
                currency=organization.currency,
                redemption_rate=row["redemption_rate"],
                liability=row["liability"],
                closed_at=now,
                closed_by=closer,
            )
            for row in rows
        ]
    )
    statement = statements[-1]
    audit_record(
        action="loyalty.liability_close",
        organization=organization,
        actor=actor,
        target=statement,
        detail={
            "months": [s.month.isoformat() for s in statements],
            "liability": str(statement.liability),
        },
    )
    return statement


def repeat_business_publish(
    *, organization: Organization, by: str, today: dt.date | None = None
) -> int:
    """Publish every finished month of repeat business by `by` not published yet, once
    (`RepeatBusinessMonth`); a published month is never recomputed. Returns how many
    months were published. The repeat-business API calls it before reading."""
    today = today or timezone.localdate()
    end = selectors.last_closed_month_end(today)
    have = set(
        RepeatBusinessMonth.objects.filter(organization=organization, grouping=by).values_list(
            "period", flat=True
        )
    )
    last = end.year * 12 + end.month - 1
    if have and max(have) >= last:
        return 0
    frame, buyers, before, repeaters = selectors.repeat_business_months(
        organization, by=by, end=end
    )
    periods = set(frame["period"].astype(int)) | set(buyers)
    if not periods:
        return 0
    columns = [c for c in frame.columns if c != "period"]
    months = []
    for period in range(min(periods), last + 1):
        if period in have:
            continue
        rows = frame[frame["period"] == period][columns]
        months.append(
            RepeatBusinessMonth(
                organization=organization,
                grouping=by,
                period=period,
                groups=json.loads(rows.to_json(orient="records")),
                buyers=int(buyers.get(period, 0)),
                previous_buyers=int(before.get(period, buyers.get(period - 1, 0))),
                repeaters=int(repeaters.get(period, 0)),
            )
        )
    RepeatBusinessMonth.objects.bulk_create(months, ignore_conflicts=True)
    return len(months)
