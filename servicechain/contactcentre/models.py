"""Models of the contact centre: teams and agents, volumes, forecasts, schedules, moves.

A *contact centre* belongs to a unit of kind ``contact_centre``. It has one or more *teams*,
each answering one queue with its own service-level target. Interval volumes (actuals),
forecasts with their per-interval requirements and published day schedules all belong to a
team. The day plan is stored as interval indices from the centre's opening time, which is
exactly what the staffing library works with; clock times and datetimes are derived.

Agents organise their own lunches: a *move request* records what an agent proposed, the
projected service level of every interval it touches (computed by
``servicechain.staffing.schedule.evaluate_move``) and what became of it.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from servicechain.org.models import Employee, Organization, Unit

INTERVAL_CHOICES = [(15, "15 minutes"), (30, "30 minutes")]
LUNCH_CHOICES = [(0, "No lunch"), (30, "30 minutes"), (60, "60 minutes")]
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def clock(value: dt.time | None) -> str | None:
    """``"HH:MM"`` of a time (the staffing library's clock format)."""
    return None if value is None else f"{value.hour:02d}:{value.minute:02d}"


def validate_time_zone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError(f"{value!r} is not a time zone; use e.g. Europe/London") from None


def validate_weekdays(value) -> None:
    if not isinstance(value, list) or not all(isinstance(d, int) and 0 <= d <= 6 for d in value):
        raise ValidationError(
            "Working days are a list of weekday numbers, Monday = 0 … Sunday = 6."
        )
    if len(set(value)) != len(value):
        raise ValidationError("A working day is listed twice.")


def validate_shift_lengths(value) -> None:
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(m, int) and 60 <= m <= 720 for m in value)
    ):
        raise ValidationError("Shift lengths are a list of minutes between 60 and 720, e.g. [510].")


class ContactCentre(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="contact_centres"
    )
    unit = models.OneToOneField(Unit, on_delete=models.PROTECT, related_name="contact_centre")
    name = models.CharField(max_length=200)
    time_zone = models.CharField(
        max_length=64, default="Europe/London", validators=[validate_time_zone]
    )
    opens_at = models.TimeField(default=dt.time(8, 0))
    closes_at = models.TimeField(
        default=dt.time(20, 0), help_text="Closing time; 00:00 means midnight (a 24-hour day)."
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    @property
    def open_minutes(self) -> int:
        opens = self.opens_at.hour * 60 + self.opens_at.minute
        closes = self.closes_at.hour * 60 + self.closes_at.minute or 24 * 60
        return closes - opens

    def clean(self) -> None:
        if self.unit_id and self.unit.kind != Unit.Kind.CONTACT_CENTRE:
            raise ValidationError({"unit": "A contact centre needs a unit of kind contact_centre."})
        if (
            self.unit_id
            and self.organization_id
            and self.unit.organization_id != self.organization_id
        ):
            raise ValidationError({"unit": "The unit belongs to another organisation."})
        if self.open_minutes <= 0:
            raise ValidationError({"closes_at": "The centre must close after it opens."})


class Team(models.Model):
    """A queue and the team of agents answering it, with its service-level target."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    centre = models.ForeignKey(ContactCentre, on_delete=models.CASCADE, related_name="teams")
    slug = models.SlugField(help_text="Short name used in addresses and import files.")
    name = models.CharField(max_length=200)
    lead = models.ForeignKey(
        Employee,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="led_contact_teams",
        help_text="The team lead shown to agents (approval rights come from their role).",
    )
    interval_minutes = models.PositiveSmallIntegerField(choices=INTERVAL_CHOICES, default=15)
    target_service_level = models.FloatField(
        default=0.8,
        validators=[MinValueValidator(0.5), MaxValueValidator(0.99)],
        help_text="Share of calls to answer within the threshold, e.g. 0.8 for 80/20.",
    )
    answer_within_s = models.PositiveSmallIntegerField(
        default=20, validators=[MinValueValidator(1), MaxValueValidator(600)]
    )
    max_occupancy = models.FloatField(
        null=True,
        blank=True,
        default=0.85,
        validators=[MinValueValidator(0.5), MaxValueValidator(1.0)],
    )
    shrinkage = models.FloatField(
        default=0.0,
        validators=[MinValueValidator(0.0), MaxValueValidator(0.6)],
        help_text="Absence, training and meetings; breaks and lunches are scheduled, not shrunk.",
    )
    break_minutes = models.PositiveSmallIntegerField(default=15)
    lunch_earliest_after = models.PositiveSmallIntegerField(
        default=150, help_text="Minutes after shift start a lunch may start at the earliest."
    )
    lunch_latest_after = models.PositiveSmallIntegerField(default=330)
    min_work_before_break = models.PositiveSmallIntegerField(default=60)
    min_work_after_break = models.PositiveSmallIntegerField(default=60)
    max_work_without_break = models.PositiveSmallIntegerField(null=True, blank=True, default=180)
    schedule_time_limit_s = models.FloatField(
        default=10.0, validators=[MinValueValidator(0.5), MaxValueValidator(600.0)]
    )

    class Meta:
        ordering = ["centre", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "slug"], name="cc_team_slug_unique"),
            models.CheckConstraint(
                condition=models.Q(interval_minutes__in=[15, 30]), name="cc_team_interval_15_30"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def unit(self) -> Unit:
        return self.centre.unit

    @property
    def intervals_per_day(self) -> int:
        return self.centre.open_minutes // self.interval_minutes

    def clean(self) -> None:
        if (
            self.centre_id
            and self.organization_id
            and self.centre.organization_id != self.organization_id
        ):
            raise ValidationError({"centre": "The centre belongs to another organisation."})
        for name in ("break_minutes", "lunch_earliest_after", "lunch_latest_after"):
            if getattr(self, name) % self.interval_minutes:
                raise ValidationError(
                    {name: f"Must be a multiple of {self.interval_minutes} minutes."}
                )
        if self.lunch_latest_after < self.lunch_earliest_after:
            raise ValidationError({"lunch_latest_after": "Must not be before the earliest lunch."})
        if self.centre_id and self.centre.open_minutes % self.interval_minutes:
            raise ValidationError(
                {"interval_minutes": "The centre's opening hours must be whole intervals."}
            )


class Agent(models.Model):
    """An employee who answers a team's calls, with their contract and wishes."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="agents")
    employee = models.OneToOneField(
        Employee, on_delete=models.CASCADE, related_name="contact_centre_agent"
    )
    active = models.BooleanField(default=True)
    shift_lengths = models.JSONField(
        default=list, validators=[validate_shift_lengths], help_text="Minutes on site, e.g. [510]."
    )
    earliest_start = models.TimeField(default=dt.time(8, 0))
    latest_end = models.TimeField(default=dt.time(20, 0), help_text="00:00 means midnight.")
    working_days = models.JSONField(default=list, validators=[validate_weekdays])
    paid_breaks = models.PositiveSmallIntegerField(default=2, validators=[MaxValueValidator(4)])
    lunch_minutes = models.PositiveSmallIntegerField(choices=LUNCH_CHOICES, default=30)
    start_step_minutes = models.PositiveSmallIntegerField(default=15)
    preferred_lunch_from = models.TimeField(null=True, blank=True)
    preferred_lunch_to = models.TimeField(null=True, blank=True)
    preferred_shift_start = models.TimeField(null=True, blank=True)

    # What a planner maintains in the app (team, employee and active are set-up, kept in
    # the admin); agents change only their own wishes.
    CONTRACT_FIELDS = (
        "shift_lengths",
        "earliest_start",
        "latest_end",
        "working_days",
        "paid_breaks",
        "lunch_minutes",
        "start_step_minutes",
    )
    WISH_FIELDS = ("preferred_lunch_from", "preferred_lunch_to", "preferred_shift_start")

    class Meta:
        ordering = ["employee__last_name", "employee__first_name"]

    def __str__(self) -> str:
        return str(self.employee)

    @property
    def code(self) -> str:
        """The id the staffing library knows this agent by."""
        return str(self.pk)

    @property
    def lunch_wish(self) -> tuple[str, str] | None:
        if self.preferred_lunch_from is None or self.preferred_lunch_to is None:
            return None
        return clock(self.preferred_lunch_from), clock(self.preferred_lunch_to)

    def clean(self) -> None:
        if not self.shift_lengths:
            self.shift_lengths = [510]
        if not self.working_days:
            self.working_days = [0, 1, 2, 3, 4]
        if (self.preferred_lunch_from is None) != (self.preferred_lunch_to is None):
            raise ValidationError(
                {"preferred_lunch_to": "Give both ends of the preferred lunch window, or neither."}
            )
        if self.preferred_lunch_from and self.preferred_lunch_to <= self.preferred_lunch_from:
            raise ValidationError({"preferred_lunch_to": "The window must end after it starts."})
        if (
            self.team_id
            and self.employee_id
            and self.employee.organization_id != self.team.organization_id
        ):
            raise ValidationError({"employee": "The employee belongs to another organisation."})


class IntervalVolume(models.Model):
    """Calls offered and their average handling time in one interval (ACD actuals)."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="volumes", db_index=False)
    interval_start = models.DateTimeField()
    calls = models.PositiveIntegerField()
    aht_s = models.FloatField(null=True, blank=True, help_text="Empty when no call was handled.")

    class Meta:
        ordering = ["team", "interval_start"]
        constraints = [
            models.UniqueConstraint(fields=["team", "interval_start"], name="cc_volume_unique"),
            models.CheckConstraint(
                condition=models.Q(aht_s__isnull=True) | models.Q(aht_s__gt=0),
                name="cc_volume_aht_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.interval_start:%Y-%m-%d %H:%M} {self.calls} calls"


class PlanningJob(models.Model):
    """A background forecast, schedule or intraday run, with its progress for the page."""

    class Kind(models.TextChoices):
        FORECAST = "forecast"
        SCHEDULE = "schedule"
        INTRADAY = "intraday"

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        FAILED = "failed"

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="jobs")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0, validators=[MaxValueValidator(100)])
    message = models.CharField(max_length=300, blank=True)
    parameters = models.JSONField(default=dict, blank=True)
    result = models.JSONField(default=dict, blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.status} ({self.progress}%)"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED)


class Forecast(models.Model):
    """A forecast of a team's calls and AHT per interval, and the requirements it implies."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="forecasts")
    first_day = models.DateField()
    horizon_days = models.PositiveSmallIntegerField()
    history_first_day = models.DateField()
    history_last_day = models.DateField()
    method = models.CharField(max_length=40)
    wape = models.FloatField(null=True, help_text="Mean back-test WAPE of the chosen method.")
    mape = models.FloatField(null=True)
    aht_wape = models.FloatField(null=True)
    backtest = models.JSONField(default=list, help_text="Mean errors per method, best first.")
    target_service_level = models.FloatField()
    answer_within_s = models.PositiveSmallIntegerField()
    max_occupancy = models.FloatField(null=True)
    shrinkage = models.FloatField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        get_latest_by = "created_at"

    def __str__(self) -> str:
        return f"{self.team} forecast from {self.first_day} ({self.method})"

    @property
    def last_day(self) -> dt.date:
        return self.first_day + dt.timedelta(days=self.horizon_days - 1)


class ForecastInterval(models.Model):
    """Forecast calls and AHT of one interval and the agents they need (Erlang C)."""

    forecast = models.ForeignKey(
        Forecast, on_delete=models.CASCADE, related_name="intervals", db_index=False
    )
    interval_start = models.DateTimeField()
    calls = models.FloatField()
    aht_s = models.FloatField()
    traffic_erlangs = models.FloatField()
    agents_on_phone = models.PositiveIntegerField(help_text="Answering agents needed.")
    required_agents = models.PositiveIntegerField(help_text="Scheduled heads after shrinkage.")
    service_level = models.FloatField(help_text="Projected with agents_on_phone answering.")

    class Meta:
        ordering = ["forecast", "interval_start"]
        constraints = [
            models.UniqueConstraint(
                fields=["forecast", "interval_start"], name="cc_forecast_interval_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.interval_start:%Y-%m-%d %H:%M} {self.calls:.1f} calls"


class Schedule(models.Model):
    """One team's plan for one day: shifts, breaks and lunches, and how it was solved."""

    class Status(models.TextChoices):
        DRAFT = "draft"
        PUBLISHED = "published"
        SUPERSEDED = "superseded"

    class Kind(models.TextChoices):
        PLAN = "plan"
        INTRADAY = "intraday"

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="schedules")
    day = models.DateField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.PLAN)
    forecast = models.ForeignKey(Forecast, null=True, blank=True, on_delete=models.SET_NULL)
    based_on = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="revisions"
    )
    day_start = models.TimeField(help_text="Clock time of interval 0 (the centre's opening).")
    interval_minutes = models.PositiveSmallIntegerField(choices=INTERVAL_CHOICES)
    target_service_level = models.FloatField()
    answer_within_s = models.PositiveSmallIntegerField()
    # The day as the solver saw it, one value per interval: kept so every later move is
    # judged against the same requirement and forecast the plan was made for.
    requirement = models.JSONField(default=list)
    calls = models.JSONField(default=list)
    aht_s = models.JSONField(default=list)
    coverage = models.JSONField(default=list, help_text="Per interval, kept current as moves land.")
    solver_status = models.CharField(max_length=20, blank=True)
    objective = models.FloatField(null=True)
    best_bound = models.FloatField(null=True)
    gap = models.FloatField(null=True)
    penalty_breakdown = models.JSONField(default=dict, blank=True)
    solve_seconds = models.FloatField(null=True)
    time_limit_s = models.FloatField(null=True)
    lunch_preferences_met = models.FloatField(null=True)
    now_interval = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Intraday: breaks before this interval were kept."
    )
    intraday_notes = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-day", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["team", "day"],
                condition=models.Q(status="published"),
                name="cc_one_published_schedule_per_day",
            )
        ]

    def __str__(self) -> str:
        return f"{self.team} {self.day} ({self.status})"

    @property
    def intervals(self) -> int:
        return len(self.requirement)

    def interval_clock(self, index: int) -> str:
        minutes = self.day_start.hour * 60 + self.day_start.minute + index * self.interval_minutes
        return f"{minutes // 60:02d}:{minutes % 60:02d}"

    def interval_datetime(self, index: int) -> dt.datetime:
        """Aware start of interval ``index`` on the centre's wall clock."""
        start = dt.datetime.combine(self.day, self.day_start, tzinfo=self.team.centre.zone)
        return start + dt.timedelta(minutes=index * self.interval_minutes)


class Shift(models.Model):
    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="shifts")
    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="shifts")
    start_interval = models.PositiveSmallIntegerField()
    end_interval = models.PositiveSmallIntegerField(help_text="Exclusive.")
    lunch_preference_met = models.BooleanField(null=True)
    start_preference_met = models.BooleanField(null=True)

    class Meta:
        ordering = ["schedule", "start_interval", "agent"]
        constraints = [
            models.UniqueConstraint(fields=["schedule", "agent"], name="cc_one_shift_per_agent"),
            models.CheckConstraint(
                condition=models.Q(end_interval__gt=models.F("start_interval")),
                name="cc_shift_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agent} {self.start_interval}-{self.end_interval}"


class Activity(models.Model):
    """A paid break or the lunch inside a shift; ``position`` is its place in shift order."""

    class Kind(models.TextChoices):
        BREAK = "break"
        LUNCH = "lunch"

    shift = models.ForeignKey(Shift, on_delete=models.CASCADE, related_name="activities")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    position = models.PositiveSmallIntegerField()
    start_interval = models.PositiveSmallIntegerField()
    end_interval = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["shift", "position"]
        verbose_name_plural = "activities"
        constraints = [
            models.UniqueConstraint(fields=["shift", "position"], name="cc_activity_position"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.start_interval}-{self.end_interval}"


class BreakTaken(models.Model):
    """An agent has started a break or lunch (intraday: it will not be moved again)."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="breaks_taken")
    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="breaks_taken")
    day = models.DateField()
    position = models.PositiveSmallIntegerField(help_text="Activity position in shift order.")
    kind = models.CharField(max_length=10, choices=Activity.Kind.choices)
    started_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["day", "started_at"]
        constraints = [
            models.UniqueConstraint(fields=["agent", "day", "position"], name="cc_break_taken_once")
        ]

    def __str__(self) -> str:
        return f"{self.agent} {self.kind} {self.started_at:%H:%M}"


class MoveRequest(models.Model):
    """An agent's proposal to move their lunch or a break, or to swap lunches with a colleague."""

    class Kind(models.TextChoices):
        LUNCH = "lunch", "Lunch move"
        BREAK = "break", "Break move"
        SWAP = "swap", "Lunch swap"

    class Status(models.TextChoices):
        AUTO_APPROVED = "auto_approved", "Approved automatically"
        PENDING_COLLEAGUE = "pending_colleague", "Waiting for colleague"
        PENDING_LEAD = "pending_lead", "Waiting for team lead"
        APPROVED = "approved", "Approved by team lead"
        DECLINED = "declined", "Declined"
        WITHDRAWN = "withdrawn", "Withdrawn"
        CANCELLED = "cancelled", "Cancelled (plan changed)"

    OPEN = (Status.PENDING_COLLEAGUE, Status.PENDING_LEAD)

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="move_requests")
    day = models.DateField()
    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="move_requests")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="move_requests")
    position = models.PositiveSmallIntegerField(help_text="Which activity (shift order).")
    from_start = models.PositiveSmallIntegerField()
    to_start = models.PositiveSmallIntegerField()
    colleague = models.ForeignKey(
        Agent, null=True, blank=True, on_delete=models.CASCADE, related_name="swap_requests"
    )
    colleague_from_start = models.PositiveSmallIntegerField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices)
    note = models.CharField(max_length=300, blank=True)
    # What the agent saw before confirming (and what the lead sees): Erlang C projections.
    stays_on_target = models.BooleanField()
    cost_change = models.FloatField()
    min_service_level_after = models.FloatField(null=True)
    intervals_below_target = models.PositiveSmallIntegerField(default=0)
    impact = models.JSONField(default=list)
    suggestions = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    colleague_answered_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["team", "status", "day"], name="cc_move_team_status")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} by {self.agent} ({self.get_status_display()})"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN

    @property
    def from_clock(self) -> str:
        return self.schedule.interval_clock(self.from_start)

    @property
    def to_clock(self) -> str:
        return self.schedule.interval_clock(self.to_start)

    @property
    def agent_minutes_short(self) -> int:
        """How many more agent-minutes the day would lack after the move than before it:
        the lead's plain measure of its cost (the planner's points weigh the same gaps by
        the service level they cost)."""
        extra = sum(
            max(0, row["required"] - row["scheduled_after"])
            - max(0, row["required"] - row["scheduled_before"])
            for row in self.impact or []
        )
        return max(0, extra) * self.schedule.interval_minutes
