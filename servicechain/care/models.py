"""Care: customer-conduct incidents and the organisation's line, service recovery, the
empowerment allowance and wellbeing after incidents.

The line is `CarePolicy`, one row per organisation versioned by django-simple-history: each
saved version applies from its `effective_from`, and an incident records the version
(`policy_version`) whose rules proposed its outcome. An incident moves through a state
machine (django-fsm-2): reported → decided → appealed → reviewed. A sanction on the customer
(warning, behaviour agreement, exclusion) exists only once a manager confirmed the decision
(`Sanction.confirmed_by` is required), and the review of an appeal is by someone else (a
database constraint as well as the service's check).

Wellbeing records are private: a mood check-in is readable by the employee and, when they
share it, by the support person they chose; nobody else reads one (selectors enforce it,
tests/care/test_privacy.py checks every page and endpoint).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django_fsm import FSMField, FSMModelMixin, transition
from djmoney.models.fields import MoneyField
from simple_history.models import HistoricalRecords

from servicechain.org.models import Customer, Employee, Interaction, Organization, Unit

SEVERITY_MIN, SEVERITY_MAX = 1, 4
SEVERITY_LABELS = {
    1: "1 — disruptive or rude",
    2: "2 — abusive",
    3: "3 — threatening or harassing",
    4: "4 — violence or a threat to life",
}


class Category(models.TextChoices):
    UPSET = "upset", "Upset customer"
    ABUSIVE_LANGUAGE = "abusive_language", "Abusive language"
    HARASSMENT = "harassment", "Harassment"
    THREAT = "threat", "Threat"
    VIOLENCE = "violence", "Violence"


class Outcome(models.TextChoices):
    COACH = "coach", "Coach the employee to recover the customer"
    SUPERVISOR = "supervisor", "A supervisor takes over"
    END_CALL = "end_call", "The agent may end the call"
    WARNING = "warning", "Warning to the customer"
    AGREEMENT = "agreement", "Behaviour agreement with the customer"
    EXCLUSION = "exclusion", "Exclusion for a set period"
    REFER = "refer", "A person decides (exemption)"


SANCTIONS = (Outcome.WARNING, Outcome.AGREEMENT, Outcome.EXCLUSION)


def severity_validators():
    return [MinValueValidator(SEVERITY_MIN), MaxValueValidator(SEVERITY_MAX)]


def money_field(**kwargs) -> MoneyField:
    return MoneyField(max_digits=12, decimal_places=2, default_currency="GBP", **kwargs)


class CarePolicy(models.Model):
    """The organisation's line: outcomes by category × severity × repetition, exemptions,
    and the settings of wellbeing and the empowerment allowance (see docs/care.md)."""

    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, related_name="care_policy"
    )
    effective_from = models.DateField(help_text="First day this version applies.")
    rules = models.JSONField(
        default=list,
        help_text='Ordered list; the first that matches decides: {"category": "threat" or "*", '
        '"min_severity": 1-4, "min_repetition": 1+, "outcome": "exclusion", "months": 6}.',
    )
    exemptions = models.JSONField(
        default=list,
        blank=True,
        help_text='Customer flags that send a sanction to a person instead, e.g. ["vulnerable"].',
    )
    repeat_window_months = models.PositiveSmallIntegerField(
        default=12,
        validators=[MinValueValidator(1)],
        help_text="Earlier decided incidents of the same customer within this many months "
        "count as repetitions.",
    )
    review_months = models.PositiveSmallIntegerField(
        default=6,
        validators=[MinValueValidator(1), MaxValueValidator(24)],
        help_text="A confirmed sanction is reviewed this many months after confirmation "
        "(or when an exclusion ends, if sooner).",
    )
    wellbeing_severity = models.PositiveSmallIntegerField(
        default=3,
        validators=severity_validators(),
        help_text="At or above this severity the employee is offered a break or time off and "
        "their manager gets check-in tasks.",
    )
    first_checkin_hours = models.PositiveSmallIntegerField(default=72)
    second_checkin_days = models.PositiveSmallIntegerField(default=30)
    escalate_after_hours = models.PositiveSmallIntegerField(
        default=48, help_text="A check-in this long overdue goes to the manager's own manager."
    )
    allowance = money_field(
        default=Decimal("50.00"),
        help_text="Goodwill each employee may spend per calendar month without asking.",
    )
    history = HistoricalRecords(custom_model_name="CarePolicyVersion")

    class Meta:
        verbose_name_plural = "care policies"

    def __str__(self) -> str:
        return f"Care policy of {self.organization}"

    def clean(self) -> None:
        from .policy import clean_exemptions, clean_rules

        errors = {}
        try:
            self.rules = clean_rules(self.rules)
        except ValidationError as exc:
            errors["rules"] = exc.messages
        try:
            self.exemptions = clean_exemptions(self.exemptions)
        except ValidationError as exc:
            errors["exemptions"] = exc.messages
        if self.allowance is not None and self.allowance.amount < 0:
            errors["allowance"] = "The allowance cannot be negative."
        if errors:
            raise ValidationError(errors)


CarePolicyVersion = CarePolicy.history.model


class CustomerStanding(models.Model):
    """What the organisation knows that changes how the line applies to a customer."""

    customer = models.OneToOneField(
        Customer, on_delete=models.CASCADE, primary_key=True, related_name="care_standing"
    )
    vulnerable = models.BooleanField(
        default=False,
        help_text="Circumstances (illness, distress, disability) that send any sanction to a "
        "person to decide.",
    )
    note = models.CharField(max_length=300, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Standing of {self.customer}"

    def flags(self) -> list[str]:
        return ["vulnerable"] if self.vulnerable else []


class Incident(FSMModelMixin, models.Model):
    class State(models.TextChoices):
        REPORTED = "reported", "Reported — waiting for a decision"
        DECIDED = "decided", "Decided"
        APPEALED = "appealed", "Appealed — waiting for review"
        REVIEWED = "reviewed", "Reviewed"

    class ReviewResult(models.TextChoices):
        UPHELD = "upheld", "Upheld"
        LIFTED = "lifted", "Lifted"

    class Source(models.TextChoices):
        REPORT = "report", "Reported here"
        SEED = "seed", "Demo data"

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="incidents"
    )
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    employee = models.ForeignKey(
        Employee,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="care_incidents",
        help_text="The person on the receiving end (usually whoever reported it).",
    )
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    interaction = models.ForeignKey(
        Interaction, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="care_incidents"
    )
    category = models.CharField(max_length=20, choices=Category.choices)
    severity = models.PositiveSmallIntegerField(validators=severity_validators())
    description = models.TextField(max_length=4000)
    message_text = models.TextField(
        max_length=4000, blank=True, help_text="What the customer wrote or said, if recorded."
    )
    suggested_category = models.CharField(max_length=20, blank=True)
    suggested_severity = models.PositiveSmallIntegerField(null=True, blank=True)
    occurred_at = models.DateTimeField()
    created_at = models.DateTimeField()
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.REPORT)
    state = FSMField(default=State.REPORTED, choices=State.choices, protected=True)
    # What the line said when it was reported.
    policy_version = models.PositiveIntegerField(null=True, blank=True)
    repetition = models.PositiveSmallIntegerField(default=1)
    proposed_outcome = models.CharField(max_length=20, choices=Outcome.choices)
    proposed_months = models.PositiveSmallIntegerField(null=True, blank=True)
    exemption = models.CharField(max_length=40, blank=True)
    # The decision.
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=500, blank=True)
    # The customer's appeal (recorded by staff) and its review.
    appeal_text = models.TextField(max_length=2000, blank=True)
    appealed_at = models.DateTimeField(null=True, blank=True)
    appeal_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    review_result = models.CharField(max_length=10, choices=ReviewResult.choices, blank=True)
    review_note = models.CharField(max_length=500, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        indexes = [
            models.Index(fields=["organization", "state"], name="care_incident_state_idx"),
            models.Index(fields=["customer", "occurred_at"], name="care_incident_customer_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(severity__gte=SEVERITY_MIN) & Q(severity__lte=SEVERITY_MAX),
                name="care_incident_severity_1_4",
            ),
            # The person who confirmed a decision never reviews its appeal (NULLs pass).
            models.CheckConstraint(
                condition=~Q(reviewed_by=F("decided_by")), name="care_review_not_by_confirmer"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()} ({self.occurred_at:%Y-%m-%d})"

    @property
    def is_sanction(self) -> bool:
        return self.outcome in SANCTIONS

    # The transitions only move the state; services.py sets the fields, checks who may act
    # and writes the audit record, in one transaction.
    @transition(field=state, source=State.REPORTED, target=State.DECIDED)
    def decide(self) -> None:
        pass

    @transition(
        field=state,
        source=State.DECIDED,
        target=State.APPEALED,
        conditions=[lambda incident: incident.is_sanction],
    )
    def appeal(self) -> None:
        pass

    @transition(field=state, source=State.APPEALED, target=State.REVIEWED)
    def review(self) -> None:
        pass


class Sanction(models.Model):
    """A confirmed warning, behaviour agreement or exclusion of a customer."""

    incident = models.OneToOneField(Incident, on_delete=models.CASCADE, related_name="sanction")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="care_sanctions")
    kind = models.CharField(
        max_length=20, choices=[(o.value, o.label) for o in Outcome if o in SANCTIONS]
    )
    starts_on = models.DateField()
    ends_on = models.DateField(
        null=True, blank=True, help_text="Exclusions: the last day the customer is excluded."
    )
    review_on = models.DateField()
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = models.DateTimeField()
    lifted_on = models.DateField(null=True, blank=True)
    lifted_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=F("starts_on")),
                name="care_sanction_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} from {self.starts_on}"

    def in_force(self, on) -> bool:
        if self.lifted_on is not None and self.lifted_on <= on:
            return False
        return self.starts_on <= on and (self.ends_on is None or on <= self.ends_on)


class RecoveryCase(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="care_recovery_cases"
    )
    interaction = models.ForeignKey(
        Interaction, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    incident = models.ForeignKey(
        Incident, null=True, blank=True, on_delete=models.SET_NULL, related_name="recovery_cases"
    )
    owner = models.ForeignKey(
        Employee, null=True, on_delete=models.SET_NULL, related_name="care_recovery_cases"
    )
    problem = models.CharField(max_length=500)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    gesture = models.CharField(max_length=300, blank=True, help_text="What was done or given.")
    spend = models.ForeignKey(
        "GoodwillSpend", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    opened_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    followup = models.ForeignKey(
        "surveys.Invitation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The follow-up survey sent to the customer when the case closed.",
    )

    class Meta:
        ordering = ["-opened_at"]

    def __str__(self) -> str:
        return f"Recovery of {self.customer} ({self.get_status_display()})"


class GoodwillSpend(models.Model):
    class Kind(models.TextChoices):
        REFUND = "refund", "Refund"
        CREDIT = "credit", "Credit"
        UPGRADE = "upgrade", "Upgrade"
        GIFT = "gift", "Small gift"

    class Reason(models.TextChoices):
        DELAY = "delay", "Delay or waiting"
        FAULT = "fault", "Faulty product or service"
        OUR_MISTAKE = "our_mistake", "Our mistake"
        INCONVENIENCE = "inconvenience", "Inconvenience or distress"
        LOYALTY = "loyalty", "Thanks for loyalty"

    class Status(models.TextChoices):
        SPENT = "spent", "Spent within the allowance"
        PENDING = "pending", "Waiting for the manager"
        APPROVED = "approved", "Approved by the manager"
        DECLINED = "declined", "Declined by the manager"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    employee = models.ForeignKey(Employee, on_delete=models.PROTECT, related_name="goodwill")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    interaction = models.ForeignKey(Interaction, on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="care_goodwill")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    reason = models.CharField(max_length=20, choices=Reason.choices)
    note = models.CharField(max_length=300, blank=True)
    amount = money_field()
    status = models.CharField(max_length=10, choices=Status.choices)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["employee", "created_at"], name="care_goodwill_emp_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="care_goodwill_positive")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount}"


class CheckInTask(models.Model):
    """A manager's task to check in with someone after an incident (about 72 h, 1 month)."""

    class Kind(models.TextChoices):
        FIRST = "first", "About 72 hours after"
        SECOND = "second", "About a month after"

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="checkins")
    employee = models.ForeignKey(Employee, on_delete=models.CASCADE, related_name="+")
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    due_at = models.DateTimeField()
    done_at = models.DateTimeField(null=True, blank=True)
    escalated_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    escalated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_at"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "kind"], name="care_one_checkin_per_kind")
        ]

    def __str__(self) -> str:
        return f"Check in with {self.employee} ({self.get_kind_display()})"


class WellbeingOffer(models.Model):
    """A break or time off offered at once after a serious incident."""

    class Kind(models.TextChoices):
        BREAK = "break", "A break now"
        TIME_OFF = "time_off", "Time off"

    class Status(models.TextChoices):
        OFFERED = "offered", "Offered"
        TAKEN = "taken", "Taken"
        DECLINED = "declined", "Declined"

    incident = models.OneToOneField(Incident, on_delete=models.CASCADE, related_name="offer")
    employee = models.ForeignKey(Employee, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OFFERED)
    move_request = models.ForeignKey(
        "contactcentre.MoveRequest",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Contact centre: the break placed through the day plan.",
    )
    created_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.employee}"


class SupportPerson(models.Model):
    """Whom an employee chose to receive their "ask for support" requests and shared check-ins."""

    employee = models.OneToOneField(
        Employee, on_delete=models.CASCADE, primary_key=True, related_name="care_support"
    )
    supporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    chosen_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Support person of {self.employee}"


class MoodCheckIn(models.Model):
    """How someone feels, in their own words. Private: see the module docstring."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    employee = models.ForeignKey(Employee, on_delete=models.CASCADE, related_name="mood_checkins")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    mood = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(5)])
    note = models.CharField(max_length=1000, blank=True)
    shared_with = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(mood__gte=1) & Q(mood__lte=5), name="care_mood_1_5")
        ]

    def __str__(self) -> str:
        return f"Mood check-in {self.pk}"


class SupportRequest(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    employee = models.ForeignKey(Employee, on_delete=models.CASCADE, related_name="+")
    supporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    message = models.CharField(max_length=1000, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Support request {self.pk}"


class CareMonthFigures(models.Model):
    """A closed month's incident and mood figures by unit for the whole organisation, gated,
    published once after the month ends and never recomputed: a later check-in, a late
    report or an erasure cannot move a figure someone has read (docs/care.md, "Care
    figures"). `incidents` and `mood` are lists of `{unit, suppressed, people, value}`."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    month = models.DateField(help_text="The first day of the month.")
    incidents = models.JSONField(default=list)
    mood = models.JSONField(default=list)
    published_at = models.DateTimeField()

    class Meta:
        ordering = ["organization", "month"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "month"], name="care_month_figures_once"
            ),
            models.CheckConstraint(condition=Q(month__day=1), name="care_month_figures_first_day"),
        ]

    def __str__(self) -> str:
        return f"Care figures {self.month:%Y-%m}"


class RecoveryQuarterFigures(models.Model):
    """A closed quarter's service-recovery figures by unit for the whole organisation, gated,
    published once after the quarter ends and never recomputed (docs/care.md, "Care
    figures"): `recovered` over the follow-up answers submitted in the quarter, `returned`
    over the cases closed in the quarter before (whose 90 days have all passed). Lists of
    `{unit, suppressed, people, value}`."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    quarter = models.DateField(help_text="The first day of the quarter.")
    recovered = models.JSONField(default=list)
    returned = models.JSONField(default=list)
    published_at = models.DateTimeField()

    class Meta:
        ordering = ["organization", "quarter"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "quarter"], name="care_recovery_quarter_once"
            ),
        ]

    def __str__(self) -> str:
        return f"Recovery figures from {self.quarter:%Y-%m}"


class GoodwillQuarterFigures(models.Model):
    """A quarter's goodwill figures by kind and unit for the whole organisation, gated,
    published once after the quarter that follows it ends (every gesture's 30 and 90 days
    have passed) and never recomputed (docs/care.md, "Care figures"): `{kind: {given,
    satisfied, returned_30, returned_90}}`, each a list of `{unit, suppressed, people,
    value}`."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    quarter = models.DateField(help_text="The first day of the quarter the gestures were made.")
    figures = models.JSONField(default=dict)
    published_at = models.DateTimeField()

    class Meta:
        ordering = ["organization", "quarter"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "quarter"], name="care_goodwill_quarter_once"
            ),
        ]

    def __str__(self) -> str:
        return f"Goodwill figures from {self.quarter:%Y-%m}"
