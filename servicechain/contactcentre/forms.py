"""Input validation for the contact-centre pages."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.formats import date_format

from .models import WEEKDAYS, Agent, Team, validate_shift_lengths

PLANNING_DAYS = 28  # how far ahead a planner picks the first day of a forecast or schedule


def _minutes(time: dt.time) -> int:
    return time.hour * 60 + time.minute


def clock_choices(
    start: dt.time = dt.time(0), end: dt.time | None = None, *, step: int = 15
) -> list[tuple[str, str]]:
    """24-hour clock times from ``start`` to ``end`` (both included; ``None`` or 00:00 as the
    end means midnight, written 00:00) every ``step`` minutes."""
    last = 24 * 60 if end is None or end == dt.time(0) else _minutes(end)
    return [
        (f"{m // 60 % 24:02d}:{m % 60:02d}",) * 2 for m in range(_minutes(start), last + 1, step)
    ]


class ClockSelect(forms.Select):
    """A time picked from 24-hour clock times ("13:30").

    Chromium draws ``<input type=time>`` in the browser's locale ("01:30 PM" under en-US)
    whatever the page's language; a list of times shows exactly what the rest of the app
    writes. A stored time off the list (say 08:07) is offered too, so editing never loses it.
    """

    def __init__(self, attrs=None, choices=(), *, blank: bool = False):
        super().__init__(attrs, choices)
        self.blank = blank

    def format_value(self, value):
        if isinstance(value, dt.time):
            value = value.strftime("%H:%M")
        return super().format_value(value)

    def optgroups(self, name, value, attrs=None):
        original = list(self.choices)
        known = {str(v) for v, _ in original}
        extra = [(v, v) for v in value if v and v not in known]
        self.choices = ([("", "none")] if self.blank else []) + original + extra
        try:
            return super().optgroups(name, value, attrs)
        finally:
            self.choices = original


def clock_field(label: str, *, required: bool = False, **options) -> forms.TimeField:
    return forms.TimeField(
        label=label,
        required=required,
        widget=ClockSelect(choices=clock_choices(), blank=not required),
        **options,
    )


def _centre_clock(form: forms.Form, team: Team, *names: str, until_close: bool = False) -> None:
    """Offer only the centre's opening hours, on the team's interval grid."""
    centre = team.centre
    choices = clock_choices(centre.opens_at, centre.closes_at, step=team.interval_minutes)
    if not until_close:
        choices = choices[:-1]
    for name in names:
        form.fields[name].widget.choices = choices


class DaySelect(forms.Select):
    """A day picked from the next weeks, written as on every page ("Mon 7 Dec 2026").

    Chromium writes ``<input type=date>`` in the browser's locale (12/07/2026 under
    en-US); a list reads the same for everybody. A day off the list is offered too."""

    def format_value(self, value):
        if isinstance(value, dt.date):
            value = value.isoformat()
        return super().format_value(value)

    def optgroups(self, name, value, attrs=None):
        known = {str(v) for v, _ in self.choices}
        extra = []
        for v in value:
            if v and v not in known:
                try:
                    extra.append((v, date_format(dt.date.fromisoformat(v))))
                except ValueError:
                    continue
        original = list(self.choices)
        self.choices = extra + original
        try:
            return super().optgroups(name, value, attrs)
        finally:
            self.choices = original


def day_choices(first: dt.date, days: int = PLANNING_DAYS) -> list[tuple[str, str]]:
    return [
        ((first + dt.timedelta(days=n)).isoformat(), date_format(first + dt.timedelta(days=n)))
        for n in range(days)
    ]


class DayForm(forms.Form):
    day = forms.DateField(required=False)


class MoveForm(forms.Form):
    """A proposed move: an activity (by position) to a new start, or a lunch swap."""

    day = forms.DateField()
    position = forms.IntegerField(min_value=0, max_value=10)
    to_start = forms.IntegerField(min_value=0, max_value=200, required=False)
    colleague = forms.IntegerField(min_value=1, required=False)
    note = forms.CharField(max_length=300, required=False)

    def clean(self):
        data = super().clean()
        if data.get("to_start") is None and not data.get("colleague"):
            raise forms.ValidationError("Pick a new time or a colleague to swap with.")
        return data


class AnswerForm(forms.Form):
    accept = forms.TypedChoiceField(
        choices=[("yes", "Yes"), ("no", "No")], coerce=lambda v: v == "yes"
    )


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("decline", "Decline")])
    note = forms.CharField(max_length=300, required=False)


class WishesForm(forms.Form):
    lunch_from = clock_field("Preferred lunch from")
    lunch_to = clock_field("Preferred lunch until")
    shift_start = clock_field("Preferred shift start")

    def __init__(self, *args, team: Team | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if team is not None:
            _centre_clock(self, team, "lunch_from", "shift_start")
            _centre_clock(self, team, "lunch_to", until_close=True)

    def clean(self):
        data = super().clean()
        if bool(data.get("lunch_from")) != bool(data.get("lunch_to")):
            raise forms.ValidationError("Give both ends of the lunch window, or neither.")
        return data


class UploadForm(forms.Form):
    file = forms.FileField(help_text="CSV or XLSX with interval_start, calls, aht_s.")
    dry_run = forms.BooleanField(required=False, label="Check only (write nothing)")


class _PlanningForm(forms.Form):
    """A run that starts on a day the planner picks from the coming weeks."""

    first_day = forms.DateField(label="First day", widget=DaySelect)

    def __init__(self, *args, today: dt.date, team: Team | None = None, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("first_day", today)
        super().__init__(*args, **kwargs)
        self.fields["first_day"].widget.choices = day_choices(today)
        if team is not None and "time_limit_s" in self.fields:
            self.fields["time_limit_s"].help_text = (
                f"Empty: the team's usual {team.schedule_time_limit_s:g} s. More time can "
                "find a better plan."
            )


class ForecastForm(_PlanningForm):
    horizon_days = forms.IntegerField(min_value=1, max_value=28, initial=7, label="Days")


class GenerateForm(_PlanningForm):
    days = forms.IntegerField(
        min_value=1, max_value=7, initial=1, label="Days (1 = a day, 7 = a week)"
    )
    time_limit_s = forms.FloatField(
        min_value=0.5,
        max_value=600,
        required=False,
        label="Time to improve each day's plan (seconds, optional)",
    )


class IntradayForm(forms.Form):
    time_limit_s = forms.FloatField(
        min_value=0.5,
        max_value=120,
        required=False,
        label="Time to improve the plan (seconds, optional)",
        help_text="Empty: a short default. More time can find a better arrangement.",
    )


class MinutesListField(forms.CharField):
    """Minutes separated by commas or spaces ("480, 510") as a list of whole numbers."""

    def to_python(self, value):
        text = super().to_python(value)
        if not text:
            return []
        parts = text.replace(",", " ").split()
        if not all(part.isdigit() for part in parts):
            raise forms.ValidationError(
                "Write shift lengths as whole minutes separated by commas, e.g. 480, 510."
            )
        return [int(part) for part in parts]

    def prepare_value(self, value):
        return ", ".join(str(m) for m in value) if isinstance(value, list) else value


def _agent_field(name: str, **options):
    """The model's own form field: its validators, choices and null rules come along."""
    return Agent._meta.get_field(name).formfield(**options)


class AgentContractForm(forms.Form):
    """A planner's edit of one agent's contract and wishes.

    The form only reads the input; the rules (model validators, hours that fit the
    centre's day, shifts that hold their breaks) are applied by
    ``services.agent_contract_update``, which names the field it refuses.
    """

    shift_lengths = MinutesListField(
        label="Shift lengths (minutes)",
        validators=[validate_shift_lengths],
        help_text="On site, lunch included; several lengths are allowed, e.g. 480, 510.",
    )
    earliest_start = _agent_field(
        "earliest_start", label="Earliest start", widget=ClockSelect(choices=clock_choices())
    )
    latest_end = _agent_field(
        "latest_end",
        label="Latest end",
        widget=ClockSelect(choices=clock_choices()),
        help_text="00:00 means midnight.",
    )
    working_days = forms.TypedMultipleChoiceField(
        label="Working days",
        choices=list(enumerate(WEEKDAYS)),
        coerce=int,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "cc-weekdays"}),
        error_messages={"required": "Choose at least one working day."},
    )
    paid_breaks = _agent_field("paid_breaks", label="Paid breaks per shift")
    lunch_minutes = _agent_field("lunch_minutes", label="Lunch (unpaid)")
    start_step_minutes = _agent_field(
        "start_step_minutes",
        label="Shift starts every (minutes)",
        help_text="From the earliest start, on the team's interval grid.",
    )
    preferred_lunch_from = _agent_field(
        "preferred_lunch_from",
        label="Preferred lunch from",
        widget=ClockSelect(choices=clock_choices(), blank=True),
    )
    preferred_lunch_to = _agent_field(
        "preferred_lunch_to",
        label="Preferred lunch until",
        widget=ClockSelect(choices=clock_choices(), blank=True),
    )
    preferred_shift_start = _agent_field(
        "preferred_shift_start",
        label="Preferred shift start",
        widget=ClockSelect(choices=clock_choices(), blank=True),
    )

    @classmethod
    def of(cls, agent: Agent, data=None) -> AgentContractForm:
        names = Agent.CONTRACT_FIELDS + Agent.WISH_FIELDS
        form = cls(data, initial={name: getattr(agent, name) for name in names})
        _centre_clock(form, agent.team, "earliest_start", "preferred_lunch_from")
        _centre_clock(form, agent.team, "preferred_shift_start")
        _centre_clock(form, agent.team, "latest_end", "preferred_lunch_to", until_close=True)
        return form

    def contract_fields(self):
        return [self[name] for name in Agent.CONTRACT_FIELDS]

    def wish_fields(self):
        return [self[name] for name in Agent.WISH_FIELDS]
