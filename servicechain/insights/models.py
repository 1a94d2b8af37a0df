"""Models of the insights app: analysis runs, comment themes, plans.

Nothing here holds a respondent's identity. Survey results are read from the surveys app's
published, gated cells (`surveys.models.UnitScore`); comments are read (themes, sentiment)
when shown and never stored here.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from djmoney.models.fields import MoneyField

from servicechain.org.models import Employee, Organization, Unit
from servicechain.surveys.models import Wave


class AnalysisRun(models.Model):
    """A driver-impact or linkage analysis: queued, run in the background, stored with progress."""

    class Kind(models.TextChoices):
        DRIVER_IMPACT = "driver_impact", "Driver impact"
        LINKAGE = "linkage", "Linkage"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="analysis_runs"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    wave = models.ForeignKey(
        Wave, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    fingerprint = models.CharField(
        max_length=64, help_text="What the inputs were; a different one means re-run."
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0, help_text="Per cent done.")
    message = models.CharField(max_length=200, blank=True)
    result = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["organization", "kind", "wave", "unit", "-created_at"],
                name="analysisrun_lookup_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.pk} ({self.status})"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)


class ActionPlan(models.Model):
    """A manager's plan to improve one driver in one unit, followed up at the next wave.

    The work is in its tasks (`PlanTask`) and its story in its progress updates
    (`ProgressUpdate`). Shared with the team, the employees of the unit may read it.
    """

    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        IN_PROGRESS = "in_progress", "In progress"
        DONE = "done", "Done"
        CANCELLED = "cancelled", "Cancelled"

    OPEN_STATUSES = (Status.PLANNED, Status.IN_PROGRESS)

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="action_plans"
    )
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="action_plans")
    driver = models.CharField(
        max_length=40, help_text="Scale code of the driver, e.g. recognition."
    )
    wave = models.ForeignKey(
        Wave,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The wave whose results prompted the plan.",
    )
    title = models.CharField(max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_action_plans"
    )
    due_date = models.DateField()
    goal = models.TextField(
        blank=True,
        help_text="What should be different by the due date, and how the team will know.",
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PLANNED)
    notes = models.TextField(blank=True)
    shared_with_team = models.BooleanField(
        default=False,
        help_text="Employees of the unit (and of the units below it) may read the plan.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_date", "pk"]
        indexes = [models.Index(fields=["organization", "driver"], name="actionplan_driver_idx")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def overdue(self) -> bool:
        return self.is_open and self.due_date < timezone.localdate()

    @property
    def driver_name(self) -> str:
        from servicechain.surveys.bank import load_bank

        scales = load_bank().scales
        return scales[self.driver].name if self.driver in scales else self.driver

    def clean(self) -> None:
        errors = {}
        if (
            self.unit_id
            and self.organization_id
            and self.unit.organization_id != self.organization_id
        ):
            errors["unit"] = "The unit belongs to another organisation."
        if (
            self.wave_id
            and self.organization_id
            and self.wave.organization_id != self.organization_id
        ):
            errors["wave"] = "The wave belongs to another organisation."
        if errors:
            raise ValidationError(errors)


class PlanTask(models.Model):
    """One thing to do in an action plan: who does it, by when, and whether it is done.

    `assignee` is a member of the plan unit's team (see `selectors.plan_assignees`); none
    means the plan's owner. `suggestion` is the action-library code it was taken from, if any.
    """

    plan = models.ForeignKey(ActionPlan, on_delete=models.CASCADE, related_name="tasks")
    title = models.CharField(max_length=200)
    assignee = models.ForeignKey(
        Employee, null=True, blank=True, on_delete=models.SET_NULL, related_name="plan_tasks"
    )
    due_date = models.DateField()
    done = models.BooleanField(default=False)
    done_at = models.DateTimeField(null=True, blank=True)
    suggestion = models.CharField(max_length=60, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_date", "pk"]

    def __str__(self) -> str:
        return self.title

    @property
    def overdue(self) -> bool:
        return not self.done and self.plan.is_open and self.due_date < timezone.localdate()

    @property
    def suggested_action(self):
        """The action-library entry the task was taken from (its "how"), or None."""
        from servicechain.surveys.action_library import load_action_library

        entry = load_action_library().get(self.plan.driver)
        if not self.suggestion or entry is None:
            return None
        return next((a for a in entry.actions if a.code == self.suggestion), None)


class ProgressUpdate(models.Model):
    """A dated note on how a plan is going, and who wrote it."""

    plan = models.ForeignKey(ActionPlan, on_delete=models.CASCADE, related_name="progress_updates")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.plan}: {self.note[:40]}"


class TurnoverCost(models.Model):
    """What replacing one leaver of a job family costs an organisation: the inputs of the
    retention cost calculator (docs/insights.md, Retention; defaults with their sources in
    `retention.costs.DEFAULT_COSTS`). Amounts are in the organisation's currency."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="turnover_costs"
    )
    job_family = models.CharField(max_length=20, choices=Employee.JobFamily.choices)
    annual_salary = MoneyField(max_digits=12, decimal_places=2, default_currency="GBP")
    recruiting = MoneyField(
        max_digits=12,
        decimal_places=2,
        default_currency="GBP",
        help_text="Advertising, agency fees and interviewing time per hire.",
    )
    onboarding = MoneyField(
        max_digits=12,
        decimal_places=2,
        default_currency="GBP",
        help_text="Induction, HR administration and equipment per hire.",
    )
    training = MoneyField(
        max_digits=12, decimal_places=2, default_currency="GBP", help_text="Initial training."
    )
    months_to_productivity = models.DecimalField(
        max_digits=4,
        decimal_places=1,
        validators=[MinValueValidator(0), MaxValueValidator(36)],
        help_text="Months a new hire takes to reach full output.",
    )
    vacancy_days = models.PositiveSmallIntegerField(
        validators=[MaxValueValidator(365)], help_text="Days the post stays empty."
    )
    vacancy_cost_per_day = MoneyField(
        max_digits=12,
        decimal_places=2,
        default_currency="GBP",
        help_text="Cover (overtime, agency) and lost sales per day the post is empty.",
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "job_family"], name="turnover_cost_one_per_family"
            )
        ]

    def __str__(self) -> str:
        return f"Turnover cost of {self.job_family} in {self.organization}"


class RetentionPublication(models.Model):
    """The employment records retention figures are computed from, frozen once for each
    closed month (the first time a retention page is read after it closes) and never
    recomputed: a leaver recorded late, or a corrected leave type, waits for the next
    month's publication, so two readings of a page never differ by one person's record
    (a manager saw a late leaver's type and regretted flag move a leave-type rate).

    Holds, per person, only what the figures read (row id, unit, job family, manager flag,
    hire and leave dates, leave type, reason code, regretted) — no name — as `data.spells`
    gives it.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    month = models.DateField(help_text="First day of the last closed month the figures run to.")
    spells = models.JSONField(help_text="data.spells' rows, dates as ISO text.")
    published_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "month"], name="retention_publication_once"
            )
        ]

    def __str__(self) -> str:
        return f"Retention figures of {self.organization} to {self.month:%B %Y}"
