"""The loyalty programme, its append-only points ledger, account ownership and service reminders.

The programme is one row per organisation, versioned by django-simple-history: every save
is a new historical version whose `effective_from` is the first day of the period after the
change, so a change applies from the next period and never to what already happened. An
entry records the version (`programme_version`) whose rules made it.

The ledger is append-only: an entry is never changed or deleted, a correction is a new
entry. Points move through *lots*: an EARN or CONFIRM entry is a lot of confirmed points, a
PENDING entry a lot still inside the return window. Every debit (REDEEM, EXPIRE, REVERSE)
names the lot it takes from, so a lot's remaining points are its own points plus its debits,
and "oldest first" is an ordering of lots. Balance = Σ points of the entries that are not
pending = confirmed earned − redeemed − expired (docs/loyalty.md, "The ledger").
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from djmoney.models.fields import MoneyField
from simple_history.models import HistoricalRecords

from servicechain.org.models import Customer, Employee, Interaction, Organization, Transaction, Unit

# The currencies a programme can be kept in (ISO 4217; labels are the codes so the schema does
# not follow the locale data of whichever Babel is installed).
CURRENCIES = [
    "AED",
    "AUD",
    "BRL",
    "CAD",
    "CHF",
    "CNY",
    "CZK",
    "DKK",
    "EUR",
    "GBP",
    "HKD",
    "HUF",
    "IDR",
    "ILS",
    "INR",
    "JPY",
    "KRW",
    "MXN",
    "MYR",
    "NOK",
    "NZD",
    "PHP",
    "PLN",
    "SAR",
    "SEK",
    "SGD",
    "THB",
    "TRY",
    "TWD",
    "USD",
    "ZAR",
]
CURRENCY_CHOICES = [(code, code) for code in CURRENCIES]


def money_field(**kwargs) -> MoneyField:
    return MoneyField(default_currency="GBP", currency_choices=CURRENCY_CHOICES, **kwargs)


class Programme(models.Model):
    """An organisation's loyalty rules; each saved version applies from its `effective_from`."""

    class TierBasis(models.TextChoices):
        POINTS = "points", "Points earned"
        SPEND = "spend", "Spend"

    class TierWindow(models.TextChoices):
        LIFETIME = "lifetime", "Lifetime"
        CALENDAR_YEAR = "calendar_year", "Calendar year"

    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, related_name="loyalty_programme"
    )
    name = models.CharField(max_length=200, default="Loyalty")
    effective_from = models.DateField(
        help_text="First day this version applies (always the start of a month after the change)."
    )
    points_per_visit = models.PositiveIntegerField(
        default=10, help_text="Points for a visit (a purchase) of at least the minimum spend."
    )
    visit_min_spend = money_field(max_digits=12, decimal_places=2)
    points_per_spend_unit = models.PositiveIntegerField(default=1)
    spend_unit = money_field(
        max_digits=12,
        decimal_places=2,
        help_text="Points are earned per whole unit of spend (e.g. 1 point per £1.00).",
    )
    point_value = money_field(
        max_digits=12,
        decimal_places=4,
        help_text="What one point is worth when redeemed (used for the liability too).",
    )
    tier_basis = models.CharField(max_length=10, choices=TierBasis.choices, default="points")
    tier_window = models.CharField(max_length=15, choices=TierWindow.choices, default="lifetime")
    tiers = models.JSONField(
        default=list,
        blank=True,
        help_text='Ascending list of {"name", "threshold", "benefits"}; the first threshold '
        "is usually 0.",
    )
    expiry_months = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="Points expire after this many months without a purchase or redemption. "
        "Empty: never.",
    )
    warning_days = models.PositiveSmallIntegerField(default=30)
    last_chance_days = models.PositiveSmallIntegerField(default=7)
    return_window_days = models.PositiveSmallIntegerField(
        default=30, help_text="Points stay pending this many days after a purchase."
    )
    restore_redeemed_on_return = models.BooleanField(
        default=True,
        help_text="A returned purchase gives back the points redeemed on it.",
    )
    reminder_lead_days = models.PositiveSmallIntegerField(
        default=14, help_text="A service reminder is raised this many days before it is due."
    )
    at_risk_factor = models.DecimalField(
        max_digits=4,
        decimal_places=1,
        default=Decimal("2.0"),
        validators=[MinValueValidator(Decimal("1.0"))],
        help_text="A customer is at risk when their gap since the last visit exceeds this "
        "many times their usual gap between visits.",
    )
    history = HistoricalRecords(custom_model_name="ProgrammeVersion")

    def __str__(self) -> str:
        return f"{self.name} ({self.organization})"

    def clean(self) -> None:
        errors = {}
        if self.spend_unit is not None and self.spend_unit.amount <= 0:
            errors["spend_unit"] = "The spend unit must be above zero."
        for field in ("visit_min_spend", "spend_unit", "point_value"):
            money = getattr(self, field)
            if money is not None and money.amount < 0:
                errors[field] = "Cannot be negative."
            if money is not None and str(money.currency) != self.organization.currency:
                errors[field] = (
                    f"Amounts are in the organisation's currency, {self.organization.currency}."
                )
        if self.organization.currency not in CURRENCIES:
            errors["organization"] = (
                f"{self.organization.currency} is not yet a programme currency; use one of "
                f"{', '.join(CURRENCIES)}."
            )
        try:
            self.tiers = clean_tiers(self.tiers)
        except ValidationError as exc:
            errors["tiers"] = exc.messages
        if errors:
            raise ValidationError(errors)


# simple-history's record of every saved version (a module attribute, so it can be imported).
ProgrammeVersion = Programme.history.model


def clean_tiers(tiers) -> list[dict]:
    """Tiers as a list of {"name", "threshold" (str of a number ≥ 0), "benefits"}, ascending."""
    if not isinstance(tiers, list):
        raise ValidationError("Tiers are a list of {name, threshold, benefits}.")
    out = []
    for number, tier in enumerate(tiers, start=1):
        if not isinstance(tier, dict) or not str(tier.get("name", "")).strip():
            raise ValidationError(f"Tier {number} needs a name.")
        try:
            threshold = Decimal(str(tier.get("threshold", "0")))
        except Exception:
            raise ValidationError(f"Tier {number}'s threshold is not a number.") from None
        if not threshold.is_finite() or threshold < 0:
            raise ValidationError(f"Tier {number}'s threshold must be a number ≥ 0.")
        out.append(
            {
                "name": str(tier["name"]).strip()[:50],
                "threshold": str(threshold),
                "benefits": str(tier.get("benefits", "")).strip()[:300],
            }
        )
    thresholds = [Decimal(t["threshold"]) for t in out]
    if thresholds != sorted(thresholds) or len(set(thresholds)) != len(thresholds):
        raise ValidationError("Tier thresholds must rise from one tier to the next.")
    return out


class Account(models.Model):
    """A customer's membership: e-mail consent, the unit owning the account when no employee
    does, and when the points expire (last activity + the expiry months then in force)."""

    customer = models.OneToOneField(
        Customer, on_delete=models.CASCADE, primary_key=True, related_name="loyalty_account"
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="loyalty_accounts"
    )
    enrolled_at = models.DateTimeField()
    email_opt_in = models.BooleanField(
        default=False, help_text="The customer agreed to points and service e-mails."
    )
    owner_unit = models.ForeignKey(
        Unit,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="owned_loyalty_accounts",
        help_text="Owning unit when no employee owns the account.",
    )
    last_activity_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True, db_index=True)

    def __str__(self) -> str:
        return f"Loyalty account of {self.customer}"


class Entry(models.Model):
    """One line of the append-only ledger (see the module docstring)."""

    class Kind(models.TextChoices):
        EARN = "earn", "Earned"
        PENDING = "pending", "Pending"
        CONFIRM = "confirm", "Confirmed"
        REDEEM = "redeem", "Redeemed"
        EXPIRE = "expire", "Expired"
        REVERSE = "reverse", "Reversed"

    id = models.BigAutoField(primary_key=True)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, db_index=False)
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="loyalty_entries", db_index=False
    )
    kind = models.CharField(max_length=8, choices=Kind.choices)
    points = models.IntegerField()
    pending = models.BooleanField(default=False)
    at = models.DateTimeField(help_text="When the entry takes effect.")
    transaction = models.ForeignKey(
        Transaction, null=True, blank=True, on_delete=models.SET_NULL, db_index=False
    )
    lot = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="debits",
        db_index=False,
    )
    reverses = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversals",
        db_index=False,
    )
    programme_version = models.PositiveIntegerField(null=True, blank=True)
    spend = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    reference = models.CharField(max_length=100, blank=True)
    note = models.CharField(max_length=200, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        db_index=False,
    )
    created_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "entries"
        indexes = [
            # A balance is an index-only sum over the customer's entries.
            models.Index(
                fields=["customer", "at"],
                include=["points", "pending", "kind"],
                name="loyalty_entry_customer_idx",
            ),
            models.Index(
                fields=["lot"], name="loyalty_entry_lot_idx", condition=models.Q(lot__isnull=False)
            ),
            models.Index(
                fields=["transaction"],
                name="loyalty_entry_txn_idx",
                condition=models.Q(transaction__isnull=False),
            ),
            models.Index(fields=["organization", "kind", "at"], name="loyalty_entry_org_kind_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(kind__in=["earn", "pending", "confirm"])
                | models.Q(points__gt=0),
                name="loyalty_entry_credit_positive",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind__in=["redeem", "expire"]) | models.Q(points__lt=0),
                name="loyalty_entry_debit_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.points:+d} on {self.at:%Y-%m-%d}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValidationError("Ledger entries are append-only: post a correcting entry.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("Ledger entries are append-only: post a correcting entry.")


class Return(models.Model):
    """A return or refund of (part of) a purchase; it reverses the points the part earned."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, db_index=False)
    external_id = models.CharField(max_length=100)
    transaction = models.ForeignKey(
        Transaction, on_delete=models.CASCADE, related_name="loyalty_returns"
    )
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    occurred_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "external_id"], name="loyalty_return_external_id_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="loyalty_return_amount_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"Return {self.external_id} of {self.amount}"


class Handover(models.Model):
    """A departed owner's account moved to a successor, listed for the manager to confirm."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Awaiting confirmation"
        CONFIRMED = "confirmed", "Confirmed"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, db_index=False)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="handovers")
    from_employee = models.ForeignKey(
        Employee, on_delete=models.PROTECT, related_name="handovers_from"
    )
    to_employee = models.ForeignKey(
        Employee, null=True, blank=True, on_delete=models.PROTECT, related_name="handovers_to"
    )
    to_unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="handovers")
    rule = models.CharField(max_length=200)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PROPOSED)
    created_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["organization", "status"], name="loyalty_handover_idx")]

    def __str__(self) -> str:
        return f"{self.customer} from {self.from_employee}"


class Asset(models.Model):
    """A product a customer owns that needs servicing by time or usage, whichever comes first."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, db_index=False)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="assets")
    name = models.CharField(max_length=200)
    service_code = models.CharField(
        max_length=50,
        blank=True,
        help_text="The product code of its service (e.g. BOILER-SVC): a purchase or visit "
        "carrying it records the service.",
    )
    interval_days = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1)]
    )
    interval_usage = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1)]
    )
    usage_unit = models.CharField(max_length=20, blank=True, help_text="km, hours, cycles, …")
    usage_per_day = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Expected usage a day, to date a usage-based service.",
    )
    last_service_on = models.DateField()
    usage_at_last_service = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if not self.interval_days and not self.interval_usage:
            raise ValidationError("Give a service interval in days, in usage, or both.")
        if self.interval_usage and not self.usage_per_day:
            raise ValidationError({"usage_per_day": "A usage interval needs the usage per day."})


class Reminder(models.Model):
    """A service due on an asset, assigned to the account's owner; closed by a recorded
    service. A decline keeps it open (shown again at the next visit) and stops its e-mails."""

    class Status(models.TextChoices):
        OPEN = "open", "Due"
        DONE = "done", "Done"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, db_index=False)
    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="reminders")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="reminders")
    due_on = models.DateField()
    reason = models.CharField(max_length=10, choices=[("time", "time"), ("usage", "usage")])
    owner = models.ForeignKey(
        Employee, null=True, blank=True, on_delete=models.SET_NULL, related_name="reminders"
    )
    owner_unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.PROTECT)
    status = models.CharField(max_length=5, choices=Status.choices, default=Status.OPEN)
    emails_sent = models.PositiveSmallIntegerField(default=0)
    declined_on = models.DateField(null=True, blank=True)
    declined_note = models.CharField(max_length=300, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by_transaction = models.ForeignKey(
        Transaction, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_by_interaction = models.ForeignKey(
        Interaction, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["due_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["asset"],
                condition=models.Q(status="open"),
                name="loyalty_one_open_reminder_per_asset",
            ),
            models.CheckConstraint(
                condition=models.Q(emails_sent__lte=2), name="loyalty_reminder_two_emails_at_most"
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "status", "due_on"], name="loyalty_due_idx")
        ]

    def __str__(self) -> str:
        return f"{self.asset} due {self.due_on}"


class CustomerEmail(models.Model):
    """An e-mail to a customer (points expiry, service reminder); one per kind and key."""

    class Kind(models.TextChoices):
        EXPIRY_WARNING = "expiry_warning", "Points expiry warning"
        EXPIRY_LAST_CHANCE = "expiry_last_chance", "Points expiry last chance"
        SERVICE_REMINDER = "service_reminder", "Service reminder"

    class Status(models.TextChoices):
        QUEUED = "queued"
        SENT = "sent"
        FAILED = "failed"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, db_index=False)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="loyalty_emails")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    key = models.CharField(max_length=100)
    reminder = models.ForeignKey(Reminder, null=True, blank=True, on_delete=models.CASCADE)
    context = models.JSONField(default=dict)
    status = models.CharField(max_length=6, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "kind", "key"], name="loyalty_customer_email_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.customer}"


class LiabilityStatement(models.Model):
    """A closed month's points liability (IFRS 15): immutable once written."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, db_index=False)
    month = models.DateField(help_text="First day of the month.")
    outstanding_points = models.BigIntegerField()
    pending_points = models.BigIntegerField()
    redeemed_points = models.BigIntegerField(default=0, help_text="Points redeemed in the month.")
    expired_points = models.BigIntegerField(default=0, help_text="Points expired in the month.")
    point_value = models.DecimalField(max_digits=12, decimal_places=4)
    currency = models.CharField(max_length=3)
    redemption_rate = models.DecimalField(max_digits=5, decimal_places=4)
    liability = models.DecimalField(max_digits=16, decimal_places=2)
    closed_at = models.DateTimeField()
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        ordering = ["month"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "month"], name="loyalty_one_statement_per_month"
            )
        ]

    def __str__(self) -> str:
        return f"Liability {self.month:%Y-%m}: {self.liability} {self.currency}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValidationError("A closed month's liability statement cannot change.")
        super().save(*args, **kwargs)


class RepeatBusinessMonth(models.Model):
    """A finished month of repeat business by one grouping (owning unit, owning employee,
    serving employee), published once — the first time the figures are read after the month
    ends (`services.repeat_business_publish`) — and never recomputed: a purchase posted late
    or a customer handed over to another store waits, so two readings never differ by one
    customer's purchases. Holds the month's figures per group before the gate (the gate
    runs on them when they are read) and the organisation's buyers that month and the one
    before."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    grouping = models.CharField(max_length=10)
    period = models.IntegerField(help_text="year·12 + month − 1")
    groups = models.JSONField(default=list)
    buyers = models.IntegerField()
    previous_buyers = models.IntegerField()
    repeaters = models.IntegerField(
        null=True, help_text="The organisation's buyers of this month who bought the month before."
    )
    published_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "grouping", "period"], name="loyalty_repeat_month_once"
            )
        ]

    def __str__(self) -> str:
        return f"Repeat business by {self.grouping}, {self.period // 12}-{self.period % 12 + 1:02d}"
