"""Models of the surveys app: items, instruments, waves, invitations, responses and drafts.

Confidentiality is a property of the schema, not of the code that reads it (see
docs/surveys.md). A confidential employee `Response` has no foreign key or column that
leads to an Employee or a User: it carries only the attributes frozen on the invitation
(unit, tenure band, job family), a random UUID key (so row ids do not betray the order of
submission) and no submission time. The invitation keeps only a SHA-256 hash of its link's
token and a `responded` flag. The response's `submission_key` is a *different* one-way hash
of the same token: only someone holding the token (the respondent) can compute both, so a
database copy cannot join a response to an invitation, yet the unique constraint on
`submission_key` still makes a second submit with the same link impossible.

Customer responses are not confidential in that sense: they link to the interaction they
rate, and through it to the customer, the employee who served and the unit.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from servicechain.org.models import Employee, Interaction, Organization, Unit

from .bank import ITEM_TYPES


class Population(models.TextChoices):
    EMPLOYEE = "employee", "Employees"
    CUSTOMER = "customer", "Customers"


ITEM_TYPE_CHOICES = [(t, t) for t in ITEM_TYPES]


class Item(models.Model):
    """An organisation's own survey item, with the same fields as an item of the bank."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="survey_items"
    )
    code = models.CharField(
        max_length=40, help_text="Unique code; also the column name in response exports."
    )
    scale = models.CharField(
        max_length=40, help_text="Scale code: a scale of the bank or a new one of your own."
    )
    text = models.TextField()
    type = models.CharField(max_length=10, choices=ITEM_TYPE_CHOICES)
    reverse = models.BooleanField(default=False, help_text="Agreeing means less of the scale.")
    population = models.CharField(max_length=10, choices=Population.choices)
    options = models.JSONField(
        default=list, blank=True, help_text='Choice items: [{"value": …, "label": …}, …]'
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "code"], name="item_code_unique")
        ]

    def __str__(self) -> str:
        return f"{self.code}: {self.text[:60]}"


class Instrument(models.Model):
    """A questionnaire: bank items and custom items in the order they are asked."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="instruments"
    )
    name = models.CharField(max_length=200)
    population = models.CharField(max_length=10, choices=Population.choices)
    description = models.TextField(blank=True)
    template = models.CharField(
        max_length=40, blank=True, help_text="The bank instrument it was composed from, if any."
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_instruments",
        help_text="Told when a scale of this instrument measures unreliably.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="instrument_name_unique")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def template_name(self) -> str:
        """The bank template it started from, as people read it ("" when it started empty)."""
        if not self.template:
            return ""
        from .bank import load_bank

        return load_bank().instrument_names.get(self.template, self.template.replace("_", " "))


class InstrumentItem(models.Model):
    """One question of an instrument: a bank item (by code) or a custom item."""

    instrument = models.ForeignKey(Instrument, on_delete=models.CASCADE, related_name="entries")
    order = models.PositiveIntegerField()
    bank_code = models.CharField(max_length=40, blank=True)
    item = models.ForeignKey(Item, null=True, blank=True, on_delete=models.PROTECT)
    required = models.BooleanField(default=False)

    class Meta:
        ordering = ["instrument", "order"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(bank_code="") & Q(item__isnull=False))
                | (~Q(bank_code="") & Q(item__isnull=True)),
                name="instrument_item_bank_xor_custom",
            ),
            models.UniqueConstraint(
                fields=["instrument", "bank_code"],
                condition=~Q(bank_code=""),
                name="instrument_bank_item_once",
            ),
            models.UniqueConstraint(
                fields=["instrument", "item"],
                condition=Q(item__isnull=False),
                name="instrument_custom_item_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order}. {self.code}"

    @property
    def code(self) -> str:
        return self.bank_code or self.item.code


class Wave(models.Model):
    """One run of an instrument for an audience between two dates."""

    class Kind(models.TextChoices):
        CENSUS = "census", "Census (everyone in the audience)"
        PULSE = "pulse", "Pulse (a random sample)"
        CUSTOMER = "customer", "Customer (one invitation per interaction)"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    class Cadence(models.TextChoices):
        NONE = "none", "One-off"
        MONTHLY = "monthly", "Monthly"
        QUARTERLY = "quarterly", "Quarterly"
        HALF_YEARLY = "half_yearly", "Every six months"
        YEARLY = "yearly", "Yearly"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="waves")
    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="waves")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.CENSUS)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    audience_unit = models.ForeignKey(
        Unit,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Everyone in this unit and the units below it is in the audience.",
    )
    sample_fraction = models.FloatField(
        default=1.0, help_text="Pulses and customer waves: the share of the audience invited."
    )
    cadence = models.CharField(max_length=12, choices=Cadence.choices, default=Cadence.NONE)
    opens_at = models.DateTimeField()
    closes_at = models.DateTimeField()
    opens_automatically = models.BooleanField(
        default=False,
        help_text="A draft kept for its planned start: the reminder run opens it then.",
    )
    reminder_after_days = models.PositiveSmallIntegerField(
        default=3, help_text="Remind non-respondents when their last e-mail is this old."
    )
    previous = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="next_waves"
    )
    drawn_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="When invitations were last drawn; later sends draw only from newcomers.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-opens_at", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="wave_name_unique"),
            models.CheckConstraint(
                condition=Q(closes_at__gt=models.F("opens_at")), name="wave_closes_after_opening"
            ),
            models.CheckConstraint(
                condition=Q(sample_fraction__gt=0) & Q(sample_fraction__lte=1),
                name="wave_sample_fraction_in_0_1",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def population(self) -> str:
        return Population.CUSTOMER if self.kind == self.Kind.CUSTOMER else Population.EMPLOYEE

    def clean(self) -> None:
        errors = {}
        if self.opens_at and self.closes_at and self.closes_at <= self.opens_at:
            errors["closes_at"] = "The wave must close after it opens."
        if not 0 < (self.sample_fraction or 0) <= 1:
            errors["sample_fraction"] = "The sample fraction must be above 0 and at most 1."
        if self.kind == self.Kind.CENSUS and self.sample_fraction != 1:
            errors["sample_fraction"] = "A census invites everyone: use a pulse to sample."
        if self.instrument_id and self.instrument.population != self.population:
            errors["instrument"] = (
                f"This {self.get_kind_display().split(' (')[0].lower()} wave needs an instrument "
                f"for {self.population}s; {self.instrument.name!r} is for "
                f"{self.instrument.population}s."
            )
        if self.audience_unit_id and self.audience_unit.organization_id != self.organization_id:
            errors["audience_unit"] = "The unit belongs to another organisation."
        if errors:
            raise ValidationError(errors)


class Invitation(models.Model):
    """A person's (or an interaction's) invitation to a wave.

    Holds the SHA-256 hash of the link's token, never the token. Keeps no per-person
    timestamp of anything the respondent does: `sent_at` and `last_reminded_at` are the
    times of a mailing (the same for everyone in it), and there is no "answered at".
    """

    # Indexes are kept to what queries use: every index is work on each submission's update.
    # The (wave, unit) index serves look-ups by wave; the token hash is unique through a
    # constraint (a unique=True CharField would add a useless LIKE index on PostgreSQL).
    wave = models.ForeignKey(
        Wave, on_delete=models.CASCADE, related_name="invitations", db_index=False
    )
    token_hash = models.CharField(max_length=64)
    employee = models.ForeignKey(
        Employee, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    interaction = models.ForeignKey(
        Interaction, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # Attributes frozen when the invitation is created; a response copies these, not the person.
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    tenure_band = models.CharField(max_length=10, blank=True)
    job_family = models.CharField(max_length=20, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_reminded_at = models.DateTimeField(null=True, blank=True)
    reminder_count = models.PositiveSmallIntegerField(default=0)
    responded = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["wave", "employee"],
                condition=Q(employee__isnull=False),
                name="invitation_one_per_employee",
            ),
            models.UniqueConstraint(
                fields=["wave", "interaction"],
                condition=Q(interaction__isnull=False),
                name="invitation_one_per_interaction",
            ),
            models.UniqueConstraint(fields=["token_hash"], name="invitation_token_hash_unique"),
        ]
        indexes = [models.Index(fields=["wave", "unit"], name="invitation_wave_unit_idx")]

    def __str__(self) -> str:
        return f"Invitation {self.pk} to {self.wave_id}"


class Response(models.Model):
    """A confidential employee response: answers plus frozen attributes, nothing personal.

    No foreign key to Employee, User or Invitation, no submission time, and a random
    primary key. `submission_key` = SHA-256("servicechain/response/" + token) makes a
    second submit with the same link fail at the database; it cannot be computed from the
    invitation's token hash.
    """

    class Source(models.TextChoices):
        WEB = "web", "Survey link"
        IMPORT = "import", "Imported file"
        SEED = "seed", "Demo data"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # (wave, unit) below serves look-ups by wave.
    wave = models.ForeignKey(
        Wave, on_delete=models.CASCADE, related_name="responses", db_index=False
    )
    submission_key = models.CharField(max_length=64, blank=True)
    external_id = models.CharField(
        max_length=100, blank=True, help_text="Imported responses: the other tool's response id."
    )
    # Every query of responses is by wave (the (wave, unit) index); a unit-only index would
    # be written on each submission to serve only the rare check when a unit is deleted.
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+", db_index=False)
    tenure_band = models.CharField(max_length=10, blank=True)
    job_family = models.CharField(max_length=20, blank=True)
    answers = models.JSONField(default=dict, help_text="Item code -> answer (text items too).")
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.WEB)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["submission_key"],
                condition=~Q(submission_key=""),
                name="response_submitted_once",
            ),
            models.UniqueConstraint(
                fields=["wave", "external_id"],
                condition=~Q(external_id=""),
                name="response_external_id_unique",
            ),
        ]
        indexes = [models.Index(fields=["wave", "unit"], name="response_wave_unit_idx")]

    def __str__(self) -> str:
        return f"Response {self.pk}"


class CustomerResponse(models.Model):
    """A customer's answers about one interaction (linked: not a confidential survey)."""

    class Source(models.TextChoices):
        WEB = "web", "Survey link"
        IMPORT = "import", "Imported file"
        SEED = "seed", "Demo data"

    wave = models.ForeignKey(Wave, on_delete=models.CASCADE, related_name="customer_responses")
    interaction = models.ForeignKey(
        Interaction, on_delete=models.CASCADE, related_name="survey_responses"
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="+", help_text="The unit that served."
    )
    answers = models.JSONField(default=dict, help_text="Item code -> answer (text items too).")
    submitted_at = models.DateTimeField()
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.WEB)
    external_id = models.CharField(max_length=100, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["wave", "interaction"], name="customer_response_once_per_interaction"
            )
        ]
        indexes = [models.Index(fields=["wave", "unit"], name="cx_response_wave_unit_idx")]

    def __str__(self) -> str:
        return f"Customer response {self.pk}"


class Draft(models.Model):
    """Answers saved as a respondent goes, keyed by a third one-way hash of the link's token.

    Deleted when the response is submitted and when the wave closes.
    """

    key = models.CharField(max_length=64, primary_key=True)
    wave = models.ForeignKey(Wave, on_delete=models.CASCADE, related_name="+")
    answers = models.JSONField(default=dict)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Draft {self.key[:8]}…"


class WaveSnapshot(models.Model):
    """The published, gated results of one wave: built once when the wave closes.

    Results of a wave are published once, when it closes, and never again from other
    answers: two readings of the same cells over time could otherwise be subtracted to
    isolate one respondent (docs/surveys.md, "Published once, at close"). The unit tree is
    frozen with the snapshot (`tree`), so a later reorganisation cannot move people between
    published cells either. A rebuild (the organisation raised its minimum group size) uses
    the same responses and the frozen tree, and keeps every cell withheld that was withheld.
    """

    class State(models.TextChoices):
        BUILDING = "building", "Being prepared"
        READY = "ready", "Published"

    wave = models.OneToOneField(Wave, on_delete=models.CASCADE, related_name="results_snapshot")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    state = models.CharField(max_length=10, choices=State.choices, default=State.BUILDING)
    responses = models.PositiveIntegerField(default=0, help_text="Responses of the wave.")
    tree = models.JSONField(
        default=list, help_text="[[unit id, parent id, path], …]: the unit tree at publication."
    )
    min_group_size = models.PositiveSmallIntegerField()
    scales = models.JSONField(default=list, help_text="[[code, name], …] in display order.")
    categories = models.JSONField(
        default=dict, help_text="Breakdown dimension -> categories present in the wave."
    )
    published_at = models.DateTimeField(null=True, blank=True)
    build_seconds = models.FloatField(default=0.0)

    def __str__(self) -> str:
        return f"Results of {self.wave}"

    @property
    def ready(self) -> bool:
        return self.state == self.State.READY


class UnitScore(models.Model):
    """One gated cell: a scale's result for a unit's subtree, optionally within a category.

    `scale` "" is the row of respondents (its `n`). `dimension`/`category` "" mean all
    respondents; otherwise the cell covers only respondents of that tenure band, job family
    (or, for customer waves, month). A suppressed cell stores no value and no `n`; `reason`
    says why ("min_n": the group itself is too small, "complementary": showing it would
    reveal a small group by subtraction).
    """

    class Reason(models.TextChoices):
        SHOWN = "", "Shown"
        MIN_N = "min_n", "Fewer responses than the minimum group size"
        COMPLEMENTARY = "complementary", "Withheld so a small group cannot be worked out"

    snapshot = models.ForeignKey(WaveSnapshot, on_delete=models.CASCADE, related_name="cells")
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+", db_index=False)
    dimension = models.CharField(max_length=20, blank=True)
    category = models.CharField(max_length=20, blank=True)
    scale = models.CharField(max_length=40, blank=True)
    n = models.PositiveIntegerField(null=True)
    value = models.FloatField(null=True)
    lower = models.FloatField(null=True)
    upper = models.FloatField(null=True)
    se = models.FloatField(null=True, help_text="Standard error (for differences between waves).")
    suppressed = models.BooleanField(default=False)
    reason = models.CharField(max_length=15, choices=Reason.choices, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["snapshot", "dimension", "category", "unit"], name="result_cell_lookup_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id}/{self.scale or 'respondents'}: {self.value}"
