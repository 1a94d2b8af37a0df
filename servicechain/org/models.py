"""The organisation: units in a tree, employees, customers, interactions and transactions.

The unit tree is stored as a materialised path (`path` = the ancestors' ids, then the unit's
own id, each as fixed-width base-36, each followed by a dot). A subtree is then one indexed
prefix query, which stays fast at tens of thousands of units, and ancestors are read straight
off the path with no recursion.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models

PATH_SEGMENT = 8  # base-36 digits per tree level: 36**8 ≈ 2.8e12 units


def encode_segment(pk: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = []
    while pk:
        pk, rem = divmod(pk, 36)
        out.append(digits[rem])
    return "".join(reversed(out)).rjust(PATH_SEGMENT, "0") + "."


def default_min_group_size() -> int:
    return settings.MIN_GROUP_SIZE


def validate_min_group_size(value: int) -> None:
    if value < 3:
        raise ValidationError(
            "The minimum reporting group size cannot be below 3: with two respondents each "
            "one could work out the other's answers."
        )


class Organization(models.Model):
    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=200)
    min_group_size = models.PositiveSmallIntegerField(
        default=default_min_group_size,
        validators=[validate_min_group_size],
        help_text="No survey result is shown for fewer respondents than this (at least 3).",
    )
    currency = models.CharField(
        max_length=3,
        default="GBP",
        validators=[RegexValidator(r"^[A-Z]{3}$", "Use a three-letter ISO 4217 code, e.g. GBP.")],
        help_text="ISO 4217 code of the amounts in transactions (GBP, EUR, USD, …).",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(min_group_size__gte=3), name="org_min_group_size_at_least_3"
            )
        ]

    def __str__(self) -> str:
        return self.name


class UnitQuerySet(models.QuerySet):
    def subtree(self, unit: Unit) -> UnitQuerySet:
        """The unit and all its descendants."""
        return self.filter(organization_id=unit.organization_id, path__startswith=unit.path)


class Unit(models.Model):
    class Kind(models.TextChoices):
        ORGANISATION = "organisation"
        REGION = "region"
        AREA = "area"
        STORE = "store"
        TEAM = "team"
        CONTACT_CENTRE = "contact_centre"
        DEPARTMENT = "department"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="units")
    external_id = models.CharField(max_length=100)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.TEAM)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    path = models.CharField(max_length=255, db_index=False, editable=False)
    depth = models.PositiveSmallIntegerField(default=0, editable=False)

    objects = UnitQuerySet.as_manager()

    class Meta:
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "external_id"], name="unit_external_id_unique"
            )
        ]
        indexes = [
            # varchar_pattern_ops lets PostgreSQL use the index for LIKE 'prefix%' whatever
            # the collation; other databases ignore opclasses.
            models.Index(fields=["path"], name="unit_path_idx", opclasses=["varchar_pattern_ops"])
        ]

    def __str__(self) -> str:
        return self.name

    def ancestor_ids(self) -> list[int]:
        """Ids of the ancestors, root first, read off the materialised path."""
        segments = [s for s in self.path.split(".") if s][:-1]
        return [int(s, 36) for s in segments]

    def is_within(self, other: Unit) -> bool:
        """True when this unit is `other` or one of its descendants."""
        return self.path.startswith(other.path)


class LeaveType(models.TextChoices):
    VOLUNTARY = "voluntary", "Voluntary"
    INVOLUNTARY = "involuntary", "Involuntary"


class LeaveReason(models.TextChoices):
    """Why someone left: the leaver survey's reasons (voluntary) and the employer's (involuntary)."""

    CAREER = "career", "Better career prospects elsewhere"
    PAY = "pay", "Pay or benefits"
    MANAGER = "manager", "Relationship with their manager"
    WORKLIFE = "worklife", "Hours, rota or workload"
    CUSTOMER_CONDUCT = "customer_conduct", "How customers treated them"
    RELOCATION = "relocation", "Moving away"
    PERSONAL = "personal", "Personal or family circumstances"
    STUDY_OR_RETIREMENT = "study_or_retirement", "Study or retirement"
    PERFORMANCE = "performance", "Performance"
    CONDUCT = "conduct", "Conduct"
    REDUNDANCY = "redundancy", "Redundancy"
    END_OF_CONTRACT = "end_of_contract", "End of a fixed-term contract"
    OTHER = "other", "Something else"


#: Which reasons go with which leave type ("other" with either).
LEAVE_REASONS_BY_TYPE = {
    LeaveType.VOLUNTARY: {
        "career",
        "pay",
        "manager",
        "worklife",
        "customer_conduct",
        "relocation",
        "personal",
        "study_or_retirement",
        "other",
    },
    LeaveType.INVOLUNTARY: {"performance", "conduct", "redundancy", "end_of_contract", "other"},
}


def leave_problems(*, leave_date, leave_type: str, leave_reason: str, regretted) -> dict:
    """What is wrong with a person's leave fields, by field (empty when nothing is).

    The one rule for the model, the admin and the employees import: only people who left
    have a leave type, reason or regretted flag; a reason must be one of its type's; and a
    regretted loss is a voluntary leaver the organisation wanted to keep.
    """
    problems = {}
    if leave_date is None:
        for field, value in (
            ("leave_type", leave_type),
            ("leave_reason", leave_reason),
            ("regretted", regretted),
        ):
            if value not in (None, ""):
                problems[field] = (
                    "is set but leave_date is empty; only people who left have a leave type, "
                    "reason or regretted flag"
                )
        return problems
    if leave_reason and not leave_type:
        problems["leave_type"] = "is empty; give it (voluntary or involuntary) with a leave_reason"
    elif leave_reason and leave_reason not in LEAVE_REASONS_BY_TYPE[leave_type]:
        other = next(t for t, reasons in LEAVE_REASONS_BY_TYPE.items() if leave_reason in reasons)
        problems["leave_reason"] = (
            f"{leave_reason!r} is a reason for {other.label.lower()} leaving but leave_type "
            f"is {leave_type!r}"
        )
    if regretted and leave_type != LeaveType.VOLUNTARY:
        problems["regretted"] = (
            "applies to voluntary leavers only (people the organisation wanted to keep); "
            f"leave_type is {leave_type or 'empty'!r}"
        )
    return problems


class Employee(models.Model):
    class JobFamily(models.TextChoices):
        FRONTLINE = "frontline"
        SPECIALIST = "specialist"
        MANAGER = "manager"
        SUPPORT = "support"

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="employees", db_index=False
    )
    external_id = models.CharField(max_length=100)
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="employees")
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    email = models.EmailField(blank=True)
    job_title = models.CharField(max_length=200, blank=True)
    job_family = models.CharField(
        max_length=20, choices=JobFamily.choices, default=JobFamily.FRONTLINE
    )
    is_manager = models.BooleanField(default=False)
    hire_date = models.DateField()
    leave_date = models.DateField(null=True, blank=True)
    leave_type = models.CharField(max_length=12, choices=LeaveType.choices, blank=True)
    leave_reason = models.CharField(max_length=20, choices=LeaveReason.choices, blank=True)
    regretted = models.BooleanField(
        null=True,
        blank=True,
        help_text="A voluntary leaver the organisation wanted to keep (a regretted loss); "
        "empty when not known or not a voluntary leaver.",
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="employee",
    )

    class Meta:
        ordering = ["last_name", "first_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "external_id"], name="employee_external_id_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(leave_date__isnull=True)
                | models.Q(leave_date__gte=models.F("hire_date")),
                name="employee_leaves_after_hire",
            ),
            models.CheckConstraint(
                condition=models.Q(leave_type="") | models.Q(leave_date__isnull=False),
                name="employee_leave_type_needs_leave_date",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name or self.external_id

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def clean(self) -> None:
        if self.leave_date and self.hire_date and self.leave_date < self.hire_date:
            raise ValidationError({"leave_date": "An employee cannot leave before being hired."})
        problems = leave_problems(
            leave_date=self.leave_date,
            leave_type=self.leave_type,
            leave_reason=self.leave_reason,
            regretted=self.regretted,
        )
        if problems:
            raise ValidationError(problems)
        if (
            self.unit_id
            and self.organization_id
            and self.unit.organization_id != self.organization_id
        ):
            raise ValidationError({"unit": "The unit belongs to another organisation."})


class Customer(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="customers", db_index=False
    )
    external_id = models.CharField(max_length=100)
    name = models.CharField(max_length=200, blank=True)
    email = models.EmailField(blank=True)
    owner = models.ForeignKey(
        Employee,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_customers",
        help_text="The employee who owns the relationship with this customer.",
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "external_id"], name="customer_external_id_unique"
            )
        ]

    def __str__(self) -> str:
        return self.name or self.external_id


class Interaction(models.Model):
    class Channel(models.TextChoices):
        PHONE = "phone"
        CHAT = "chat"
        EMAIL = "email"
        IN_PERSON = "in_person"

    # The organisation is the first column of the unique (organization, external_id) index,
    # and the unit the first of (unit, started_at): separate FK indexes would only slow imports.
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="interactions", db_index=False
    )
    external_id = models.CharField(max_length=100)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="interactions")
    employee = models.ForeignKey(
        Employee, null=True, blank=True, on_delete=models.SET_NULL, related_name="interactions"
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="interactions", db_index=False
    )
    channel = models.CharField(max_length=20, choices=Channel.choices)
    started_at = models.DateTimeField()
    duration_s = models.PositiveIntegerField(default=0)
    service_code = models.CharField(
        max_length=50, blank=True, help_text="The service this visit recorded (an asset's code)."
    )

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "external_id"], name="interaction_external_id_unique"
            )
        ]
        indexes = [
            models.Index(fields=["organization", "-started_at"], name="interaction_recent_idx"),
            models.Index(fields=["unit", "started_at"], name="interaction_unit_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.started_at:%Y-%m-%d %H:%M}"


class Transaction(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="transactions"
    )
    external_id = models.CharField(max_length=100)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="transactions")
    employee = models.ForeignKey(
        Employee, null=True, blank=True, on_delete=models.SET_NULL, related_name="transactions"
    )
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    occurred_at = models.DateTimeField()
    service_code = models.CharField(
        max_length=50, blank=True, help_text="The service this purchase paid for (an asset's code)."
    )

    class Meta:
        ordering = ["-occurred_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "external_id"], name="transaction_external_id_unique"
            )
        ]
        indexes = [
            models.Index(fields=["customer", "occurred_at"], name="transaction_customer_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.amount} on {self.occurred_at:%Y-%m-%d}"


class Membership(models.Model):
    """A person's role in an organisation. Deny by default: no membership, no access."""

    class Role(models.TextChoices):
        ADMIN = "admin", "Administrator"
        HR_ANALYST = "hr_analyst", "HR analyst"
        MANAGER = "manager", "Manager"
        EMPLOYEE = "employee", "Employee"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=20, choices=Role.choices)
    unit = models.ForeignKey(
        Unit,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text="Managers: the root of the subtree they may see. Employees: their own unit.",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "organization"], name="one_role_per_org"),
            models.CheckConstraint(
                condition=~models.Q(role__in=["manager", "employee"])
                | models.Q(unit__isnull=False),
                name="scoped_roles_need_a_unit",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} of {self.organization}"

    def clean(self) -> None:
        if self.role in (self.Role.MANAGER, self.Role.EMPLOYEE) and not self.unit_id:
            raise ValidationError({"unit": "Managers and employees are scoped to a unit."})
        if self.unit_id and self.unit.organization_id != self.organization_id:
            raise ValidationError({"unit": "The unit belongs to another organisation."})


class AuditEvent(models.Model):
    """An append-only record of a sensitive act (exports, role changes, imports, overrides)."""

    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.CASCADE, related_name="audit_events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    action = models.CharField(max_length=100)
    target_type = models.CharField(max_length=100, blank=True)
    target_id = models.CharField(max_length=100, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action}"


class RetentionPolicy(models.Model):
    """How long an organisation keeps what ages out of use (see docs/privacy.md).

    Each period is in months; empty keeps that kind of data for good. `servicechain manage
    privacy_retention` (or the `retention_apply` task) applies every organisation's policy
    through the rules the apps register in their `privacy.py` module: survey comments
    (surveys), audit events (org), incidents (the care app, when it is installed: the field
    is here so a policy can be set before it is).
    """

    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, related_name="retention_policy"
    )
    comment_months = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="Blank the free-text answers of survey waves (employee and customer) that "
        "closed more than this many months ago, a whole wave at a time. Empty: keep.",
    )
    incident_months = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="Delete customer-conduct incidents closed more than this many months ago "
        "(applied by the care app once it is installed). Empty: keep.",
    )
    audit_months = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="Delete audit events older than this many months (erasure tombstones are "
        "kept: they hold no personal data and prove the erasure). Empty: keep.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "retention policies"

    def __str__(self) -> str:
        return f"Retention policy of {self.organization}"
