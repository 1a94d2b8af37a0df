"""Incentive plans, profit-share pools, payout runs and their lines (docs/rewards.md).

A plan is versioned: each `PlanVersion` applies from the start of a period (a change made
mid-period applies from the next one) and carries its eligibility, components and pool; a
line records the version that made it. A run goes preview → approved (by someone other than
who created it) → locked; a locked run and its lines never change — a later correction is a
clawback or top-up line of a later run, linked to the line it corrects.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django_fsm import FSMField, transition
from djmoney.models.fields import MoneyField

from servicechain.org.models import Employee, Organization, Unit


class Period(models.TextChoices):
    MONTH = "month", "Month"
    QUARTER = "quarter", "Quarter"


def period_start(kind: str, day: dt.date) -> dt.date:
    if kind == Period.QUARTER:
        return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    return dt.date(day.year, day.month, 1)


def period_after(kind: str, start: dt.date) -> dt.date:
    step = 3 if kind == Period.QUARTER else 1
    index = start.year * 12 + start.month - 1 + step
    return dt.date(index // 12, index % 12 + 1, 1)


def period_before(kind: str, start: dt.date) -> dt.date:
    step = 3 if kind == Period.QUARTER else 1
    index = start.year * 12 + start.month - 1 - step
    return dt.date(index // 12, index % 12 + 1, 1)


def period_label(kind: str, start: dt.date) -> str:
    if kind == Period.QUARTER:
        return f"{start.year}-Q{(start.month - 1) // 3 + 1}"
    return f"{start:%Y-%m}"


class Plan(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=120)
    period = models.CharField(max_length=10, choices=Period.choices, default=Period.MONTH)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="reward_plan_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


class PlanVersion(models.Model):
    """What a plan says from `effective_from` (a period start) until the next version."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveSmallIntegerField()
    effective_from = models.DateField(help_text="The first day of the period it applies from.")
    job_family = models.CharField(
        max_length=20,
        choices=Employee.JobFamily.choices,
        blank=True,
        help_text="Only employees of this job family (blank: every family).",
    )
    unit = models.ForeignKey(
        Unit,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Only employees in this unit's subtree (blank: the whole organisation).",
    )
    unit_kind = models.CharField(
        max_length=20,
        choices=Unit.Kind.choices,
        blank=True,
        help_text="Only employees of units of this kind, e.g. stores (blank: every kind).",
    )
    min_tenure_days = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["plan", "-effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="reward_version_number"),
            models.UniqueConstraint(fields=["plan", "effective_from"], name="reward_version_start"),
        ]

    def __str__(self) -> str:
        return f"{self.plan} v{self.number} (from {self.effective_from:%Y-%m-%d})"

    def clean(self) -> None:
        starts = self.effective_from and self.plan_id
        if starts and period_start(self.plan.period, self.effective_from) != self.effective_from:
            raise ValidationError(
                {"effective_from": "A version starts on the first day of a period."}
            )


class Metric(models.TextChoices):
    CSAT = "csat", "CSAT (% satisfied, 4–5 of 5)"
    NPS = "nps", "NPS (% promoters − % detractors)"
    EFFORT = "effort", "Ease (% finding it easy, 1–3 of 7)"
    REPEAT_RATE = "repeat_rate", "Repeat-business rate (%)"
    REPEAT_REVENUE = "repeat_revenue", "Revenue from repeat customers"


SURVEY_METRICS = {Metric.CSAT, Metric.NPS, Metric.EFFORT}


class Component(models.Model):
    class Scope(models.TextChoices):
        EMPLOYEE = "employee", "The employee's own customers"
        SERVED = "served", "The customers the employee served (repeat business)"
        UNIT = "unit", "The employee's unit (team component)"

    version = models.ForeignKey(PlanVersion, on_delete=models.CASCADE, related_name="components")
    name = models.CharField(max_length=120)
    metric = models.CharField(max_length=20, choices=Metric.choices)
    scope = models.CharField(max_length=10, choices=Scope.choices, default=Scope.EMPLOYEE)
    min_responses = models.PositiveIntegerField(
        default=10, help_text="Below this many customer responses the component pays nothing."
    )
    baseline_months = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        default=6,
        help_text="Pay on improvement over the mean of this many months before (blank: none).",
    )
    tiers = models.JSONField(
        default=list,
        blank=True,
        help_text='[{"threshold": 80, "amount": "50.00"}, …]: the highest tier crossed pays.',
    )
    rate = models.DecimalField(
        max_digits=12,
        decimal_places=4,
        null=True,
        blank=True,
        help_text="Linear: amount per point above the threshold.",
    )
    threshold = models.DecimalField(max_digits=14, decimal_places=4, default=Decimal("0"))
    floor = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    cap = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    weight = models.DecimalField(max_digits=6, decimal_places=3, default=Decimal("1"))

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name


class ProfitSharePool(models.Model):
    class Basis(models.TextChoices):
        REVENUE = "revenue", "A share of revenue"
        GROWTH = "growth", "A share of revenue growth over the previous period"
        FIXED = "fixed", "A fixed amount"

    class Split(models.TextChoices):
        HOURS = "hours", "By hours worked"
        ROLE_WEIGHT = "role_weight", "By a weight per role"
        EQUAL = "equal", "Equally"

    version = models.OneToOneField(PlanVersion, on_delete=models.CASCADE, related_name="pool")
    basis = models.CharField(max_length=10, choices=Basis.choices)
    share = models.DecimalField(
        max_digits=6, decimal_places=4, default=Decimal("0"), help_text="0.02 = 2 %."
    )
    fixed_amount = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"))
    unit = models.ForeignKey(
        Unit,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Whose revenue (blank: the organisation's).",
    )
    split = models.CharField(max_length=12, choices=Split.choices, default=Split.EQUAL)
    role_weights = models.JSONField(default=dict, blank=True, help_text='{"frontline": 1, …}')

    def __str__(self) -> str:
        return f"Pool of {self.version}"


class PayoutRun(models.Model):
    class Status(models.TextChoices):
        PREVIEW = "preview", "Preview"
        APPROVED = "approved", "Approved"
        LOCKED = "locked", "Locked"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    period = models.CharField(max_length=10, choices=Period.choices)
    period_start = models.DateField()
    status = FSMField(default=Status.PREVIEW, choices=Status.choices, protected=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    locked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    computed_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    locked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-period_start", "period"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "period", "period_start"], name="reward_one_run_per_period"
            )
        ]

    def __str__(self) -> str:
        return f"Payout run {self.label}"

    @property
    def label(self) -> str:
        return period_label(self.period, self.period_start)

    @property
    def period_end(self) -> dt.date:
        return period_after(self.period, self.period_start) - dt.timedelta(days=1)

    @property
    def reference(self) -> str:
        return f"rewards-run-{self.pk}-{self.label}"

    @transition(field=status, source=Status.PREVIEW, target=Status.APPROVED)
    def approve(self) -> None:
        pass

    @transition(field=status, source=Status.APPROVED, target=Status.LOCKED)
    def lock(self) -> None:
        pass


class PayoutLine(models.Model):
    class Kind(models.TextChoices):
        COMPONENT = "component", "Plan component"
        POOL = "pool", "Profit share"
        SPOT_BONUS = "spot_bonus", "Spot bonus"
        CLAWBACK = "clawback", "Clawback"
        TOP_UP = "top_up", "Top-up"

    run = models.ForeignKey(PayoutRun, on_delete=models.CASCADE, related_name="lines")
    employee = models.ForeignKey(Employee, on_delete=models.PROTECT, related_name="payout_lines")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    plan_version = models.ForeignKey(
        PlanVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    component = models.ForeignKey(
        Component, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    pool = models.ForeignKey(
        ProfitSharePool, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    spot_bonus = models.ForeignKey(
        "recognition.SpotBonus", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    corrects = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="corrections"
    )
    label = models.CharField(max_length=200, help_text="What the line is for, as people read it.")
    metrics = models.JSONField(default=dict, blank=True)
    thresholds = models.JSONField(default=list, blank=True)
    reason = models.TextField()
    amount = MoneyField(max_digits=14, decimal_places=2, default_currency="GBP")
    withheld = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"))
    released = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"))

    class Meta:
        ordering = ["employee__last_name", "employee__first_name", "pk"]
        indexes = [models.Index(fields=["run", "employee"], name="reward_line_run_employee")]

    def __str__(self) -> str:
        return f"{self.label}: {self.amount}"


class WithheldBalance(models.Model):
    """Pay above a component's cap, kept for the person and released under later caps."""

    employee = models.ForeignKey(Employee, on_delete=models.CASCADE, related_name="+")
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="+")
    component_name = models.CharField(max_length=120)
    amount = models.DecimalField(
        max_digits=14, decimal_places=2, default=Decimal("0"), validators=[MinValueValidator(0)]
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["employee", "plan", "component_name"], name="reward_one_balance"
            )
        ]

    def __str__(self) -> str:
        return f"{self.employee} {self.component_name}: {self.amount}"


class GamingFlag(models.Model):
    """A pattern suggesting survey begging or steering, for HR to review before approval.
    A flag never changes pay."""

    class Kind(models.TextChoices):
        RESPONSE_RATE = "response_rate", "Response rate far above the unit's"
        TOP_SCORES = "top_scores", "Share of top scores far above the unit's"
        ASKED_FOR_SCORE = "asked_for_score", "Customers say they were asked for a score"

    run = models.ForeignKey(PayoutRun, on_delete=models.CASCADE, related_name="flags")
    employee = models.ForeignKey(Employee, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    detail = models.CharField(max_length=300)
    score = models.FloatField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["employee__last_name", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["run", "employee", "kind"], name="reward_one_flag")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.employee}"
