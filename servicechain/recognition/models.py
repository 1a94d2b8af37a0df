"""Recognition: kudos tied to the organisation's values, the points ledger, spot bonuses,
quarterly goals and achievements (badges earned by rules over real outcomes).

Two balances live in one append-only ledger (`PointsEntry`): what a person gives comes out
of a monthly allowance (`GIVEN` entries, negative, counted only in their month: the
allowance resets on the 1st and nothing rolls over), and what they receive is theirs for
good (`RECEIVED`, positive) until it is exported for redemption (`REDEEMED`, negative).
Entries are never changed or deleted; a correction is a new entry.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from djmoney.models.fields import MoneyField

from servicechain.org.models import Employee, Organization, Unit

MAX_MESSAGE = 2000
MAX_COMMENT = 1000


class RecognitionSettings(models.Model):
    """An organisation's recognition choices (admin-editable)."""

    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, related_name="recognition_settings"
    )
    monthly_allowance = models.PositiveIntegerField(
        default=100,
        validators=[MaxValueValidator(100_000)],
        help_text="Points each person may give in a calendar month. It resets on the 1st; "
        "what is left does not roll over. 0 turns points off.",
    )
    show_points = models.BooleanField(
        default=True,
        help_text="Show point amounts on posts. Off: the message carries the recognition and "
        "amounts are seen only by the person in their own balance.",
    )

    class Meta:
        verbose_name = "recognition settings"
        verbose_name_plural = "recognition settings"

    def __str__(self) -> str:
        return f"Recognition settings of {self.organization}"


class CompanyValue(models.Model):
    """One of the organisation's values; every kudos is tagged with at least one."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="company_values"
    )
    name = models.CharField(max_length=80)
    slug = models.SlugField(max_length=80, help_text="The hashtag: #customers-first")
    description = models.TextField(help_text="What living this value looks like.")
    active = models.BooleanField(default=True, help_text="Inactive values cannot be chosen.")
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "slug"], name="value_slug_unique")
        ]

    def __str__(self) -> str:
        return self.name


class Kudos(models.Model):
    """A post recognising one or more colleagues, or a whole team (every member credited)."""

    class Visibility(models.TextChoices):
        ORGANISATION = "organisation", "Everyone in the organisation"
        TEAM = "team", "The team only"
        PRIVATE = "private", "Only the people recognised"

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    giver = models.ForeignKey(Employee, on_delete=models.PROTECT, related_name="kudos_given")
    team = models.ForeignKey(
        Unit,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Set when a whole team was recognised: each member is credited.",
    )
    message = models.TextField(max_length=MAX_MESSAGE)
    values = models.ManyToManyField(CompanyValue, related_name="kudos")
    visibility = models.CharField(
        max_length=20, choices=Visibility.choices, default=Visibility.ORGANISATION
    )
    points_each = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    # Shown in feeds: not hidden, and at least one recipient has not made theirs private.
    listed = models.BooleanField(default=True)
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    hidden_reason = models.TextField(blank=True)

    class Meta:
        verbose_name_plural = "kudos"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["organization", "-created_at", "-id"],
                condition=Q(visibility="organisation", listed=True),
                name="kudos_feed_idx",
            ),
            models.Index(fields=["giver", "-created_at"], name="kudos_giver_idx"),
        ]

    def __str__(self) -> str:
        return f"Kudos {self.pk} from {self.giver}"

    @property
    def hidden(self) -> bool:
        return self.hidden_at is not None


class KudosRecipient(models.Model):
    """A person credited by a kudos (a team kudos has one row per member, exactly once)."""

    kudos = models.ForeignKey(Kudos, on_delete=models.CASCADE, related_name="recipients")
    employee = models.ForeignKey(Employee, on_delete=models.PROTECT, related_name="kudos_received")
    unit = models.ForeignKey(
        Unit,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        help_text="The person's unit when recognised: whose team sees a team-only kudos.",
    )
    points = models.PositiveIntegerField(default=0)
    private = models.BooleanField(
        default=False,
        help_text="The recipient made theirs private: only they and the giver see it.",
    )
    hidden = models.BooleanField(default=False, help_text="The kudos was hidden by an admin.")
    created_at = models.DateTimeField(help_text="The kudos' time (kept here for fast reads).")

    class Meta:
        ordering = ["kudos", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["kudos", "employee"], name="kudos_credits_once")
        ]
        indexes = [
            models.Index(fields=["employee", "-created_at"], name="kudos_recipient_idx"),
            models.Index(fields=["unit", "-created_at"], name="kudos_recipient_unit_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.employee} in kudos {self.kudos_id}"


class Reaction(models.Model):
    class Kind(models.TextChoices):
        APPLAUSE = "applause", "👏 Applause"
        HEART = "heart", "❤️ Love it"
        CELEBRATE = "celebrate", "🎉 Celebrate"

    kudos = models.ForeignKey(Kudos, on_delete=models.CASCADE, related_name="reactions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kudos", "user", "kind"], name="reaction_once")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on kudos {self.kudos_id}"


class Comment(models.Model):
    kudos = models.ForeignKey(Kudos, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField(max_length=MAX_COMMENT)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"Comment on kudos {self.kudos_id}"


class Report(models.Model):
    """Someone reported a post to the admins."""

    class Status(models.TextChoices):
        OPEN = "open", "Waiting for an admin"
        HIDDEN = "hidden", "Post hidden"
        DISMISSED = "dismissed", "Dismissed"

    kudos = models.ForeignKey(Kudos, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(max_length=MAX_COMMENT)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Report on kudos {self.kudos_id} ({self.get_status_display()})"


class Redemption(models.Model):
    """One export of received points for redemption (a catalogue or payroll): the balances
    exported become `REDEEMED` ledger entries, so nothing is exported twice."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    minimum_points = models.PositiveIntegerField(default=1)
    people = models.PositiveIntegerField(default=0)
    points = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Redemption {self.pk} of {self.points} points"


class PointsEntry(models.Model):
    """The append-only points ledger (see the module docstring)."""

    class Kind(models.TextChoices):
        GIVEN = "given", "Given from the monthly allowance"
        RECEIVED = "received", "Received"
        REDEEMED = "redeemed", "Exported for redemption"

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    employee = models.ForeignKey(Employee, on_delete=models.PROTECT, related_name="points")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    points = models.IntegerField()
    kudos = models.ForeignKey(
        Kudos, null=True, blank=True, on_delete=models.PROTECT, related_name="points"
    )
    redemption = models.ForeignKey(
        Redemption, null=True, blank=True, on_delete=models.PROTECT, related_name="entries"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "points entries"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="received", points__gt=0)
                | Q(kind__in=["given", "redeemed"], points__lt=0),
                name="points_sign_by_kind",
            )
        ]
        indexes = [
            models.Index(fields=["employee", "kind", "created_at"], name="points_employee_idx")
        ]

    def __str__(self) -> str:
        return f"{self.points:+d} {self.kind} for {self.employee_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError("The points ledger is append-only: add a new entry instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("The points ledger is append-only: entries are never deleted.")


class SpotBonusBudget(models.Model):
    """What a manager may nominate in spot bonuses in a calendar year."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="spot_bonus_budgets"
    )
    year = models.PositiveSmallIntegerField(validators=[MinValueValidator(2000)])
    amount = MoneyField(max_digits=12, decimal_places=2, default_currency="GBP")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "manager", "year"], name="one_budget_per_manager_year"
            )
        ]

    def __str__(self) -> str:
        return f"{self.manager} {self.year}: {self.amount}"


class SpotBonus(models.Model):
    """A manager's nomination of someone for a bonus for extraordinary service.

    Recorded here with its reason; the payout is the rewards app's: it takes the bonuses
    that are `NOMINATED` and marks each `PAID` (or `CANCELLED`) through
    `services.spot_bonus_mark_paid` (docs/recognition.md, "Hand-over to rewards").
    """

    class Status(models.TextChoices):
        NOMINATED = "nominated", "Waiting for payout"
        PAID = "paid", "Paid"
        CANCELLED = "cancelled", "Cancelled"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    employee = models.ForeignKey(Employee, on_delete=models.PROTECT, related_name="spot_bonuses")
    amount = MoneyField(max_digits=12, decimal_places=2, default_currency="GBP")
    reason = models.TextField(max_length=MAX_MESSAGE)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NOMINATED)
    created_at = models.DateTimeField(default=timezone.now)
    paid_at = models.DateTimeField(null=True, blank=True)
    payout_reference = models.CharField(max_length=100, blank=True)
    cancelled_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "spot bonuses"
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="spot_bonus_positive")
        ]
        indexes = [models.Index(fields=["organization", "status"], name="spot_bonus_status_idx")]

    def __str__(self) -> str:
        return f"Spot bonus {self.amount} for {self.employee}"


class Goal(models.Model):
    """A quarterly goal of a person or a team, measured by its key results."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ARCHIVED = "archived", "Archived"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField(validators=[MinValueValidator(2000)])
    quarter = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(4)]
    )
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, max_length=MAX_MESSAGE)
    employee = models.ForeignKey(
        Employee, null=True, blank=True, on_delete=models.CASCADE, related_name="goals"
    )
    team = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    final_score = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-year", "-quarter", "title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(employee__isnull=False, team__isnull=True)
                | Q(employee__isnull=True, team__isnull=False),
                name="goal_of_a_person_or_a_team",
            )
        ]
        indexes = [
            models.Index(fields=["organization", "year", "quarter"], name="goal_quarter_idx")
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def quarter_label(self) -> str:
        return f"{self.year} Q{self.quarter}"


class KeyResult(models.Model):
    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="key_results")
    title = models.CharField(max_length=200)
    start = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    target = models.DecimalField(max_digits=14, decimal_places=2)
    current = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    unit = models.CharField(max_length=30, blank=True, help_text="%, calls, customers, …")
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(target=models.F("start")), name="key_result_target_differs"
            )
        ]

    def __str__(self) -> str:
        return self.title


class CheckIn(models.Model):
    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="check_ins")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    comment = models.TextField(blank=True, max_length=MAX_COMMENT)
    score = models.DecimalField(max_digits=5, decimal_places=1, help_text="Progress after it, %.")
    values = models.JSONField(default=dict, help_text="Key result id -> current value.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Check-in on {self.goal_id}"


class Badge(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=80)
    slug = models.SlugField(max_length=80)
    description = models.TextField()
    symbol = models.CharField(max_length=8, default="🏅", help_text="An emoji shown with it.")

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "slug"], name="badge_slug_unique")
        ]

    def __str__(self) -> str:
        return self.name


class AchievementRule(models.Model):
    """A badge earned automatically: a rule kind (`achievements.KINDS`) and its threshold.

    Rules are data: an admin changes a threshold or switches a rule off without a code
    change. A change applies to later runs; badges already awarded stay.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    badge = models.ForeignKey(Badge, on_delete=models.CASCADE, related_name="rules")
    kind = models.CharField(max_length=40)
    threshold = models.PositiveIntegerField(
        validators=[MinValueValidator(1)],
        help_text="What the kind counts: 5-star answers in a month, customers recovered, "
        "years of service, % of a goal met.",
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["badge__name", "threshold"]

    def __str__(self) -> str:
        return f"{self.badge}: {self.kind} ≥ {self.threshold}"

    def describe(self) -> str:
        """What earns the badge, in words ("10 five-star customer ratings in one month")."""
        from .achievements import describe_rule

        return describe_rule(self)

    def clean(self) -> None:
        from .achievements import KINDS

        if self.kind not in KINDS:
            known = ", ".join(sorted(KINDS))
            raise ValidationError({"kind": f"Unknown rule kind {self.kind!r}; use one of {known}."})
        if (
            self.badge_id
            and self.organization_id
            and self.badge.organization_id != self.organization_id
        ):
            raise ValidationError({"badge": "The badge belongs to another organisation."})


class AchievementRun(models.Model):
    """One evaluation of every active rule of an organisation (a background task)."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    awarded = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Achievements run {self.pk} ({self.status})"


class Award(models.Model):
    """A badge earned by someone: by a rule (with its evidence) or by hand (with a reason).

    A rule never awards the same badge twice for the same evidence: `evidence_key` names the
    evidence ("csat5:2026-03", "tenure:5y", "goal:41") and is unique per badge and person.
    """

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    badge = models.ForeignKey(Badge, on_delete=models.PROTECT, related_name="awards")
    employee = models.ForeignKey(Employee, on_delete=models.CASCADE, related_name="awards")
    rule = models.ForeignKey(
        AchievementRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="awards"
    )
    run = models.ForeignKey(
        AchievementRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="awards"
    )
    evidence_key = models.CharField(max_length=200, blank=True)
    evidence = models.JSONField(
        default=list, blank=True, help_text="What earned it: a list of {label, when, detail}."
    )
    evidence_url = models.CharField(max_length=300, blank=True)
    threshold = models.PositiveIntegerField(null=True, blank=True)
    awarded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(blank=True, max_length=MAX_MESSAGE)
    occurred_at = models.DateTimeField(help_text="When the evidence happened.")
    awarded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-awarded_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["badge", "employee", "evidence_key"],
                condition=~Q(evidence_key=""),
                name="award_once_per_evidence",
            )
        ]
        indexes = [models.Index(fields=["employee", "-awarded_at"], name="award_employee_idx")]

    def __str__(self) -> str:
        return f"{self.badge} for {self.employee}"


class RecognitionMonth(models.Model):
    """A closed month of recognition published for the spread: once (the first time the
    spread is read after the month closes, `services.spread_publish`) and never recomputed.
    Its `RecognitionMonthPerson` rows are what the spread reads of the month. Read live, an
    erasure (its posts hidden), a hidden post or a transfer moved closed months by one
    person's kudos — a private kudos included (docs/recognition.md, "Fairness")."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    month = models.DateField(help_text="The month's first day.")
    published_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "month"], name="recognition_month_once")
        ]

    def __str__(self) -> str:
        return f"Recognition of {self.month:%B %Y}"


class RecognitionMonthPerson(models.Model):
    """One person employed in a published month: their unit's path then, the kudos they
    received in it, whether they were employed on its last day and whether anyone recognised
    them in the 60 days to it. No name; the employee id only joins nothing shown."""

    published = models.ForeignKey(RecognitionMonth, on_delete=models.CASCADE, related_name="people")
    employee_id = models.BigIntegerField()
    unit_path = models.CharField(max_length=255)
    received = models.PositiveIntegerField()
    on_last_day = models.BooleanField()
    recognised_60 = models.BooleanField()

    class Meta:
        indexes = [
            models.Index(fields=["published", "unit_path"], name="recognition_month_path_idx")
        ]

    def __str__(self) -> str:
        return f"{self.published}: {self.received} kudos"
