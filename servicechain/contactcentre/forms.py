"""Input validation for the contact-centre pages."""

from __future__ import annotations

from django import forms

from .models import WEEKDAYS, Agent, validate_shift_lengths

TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


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
    lunch_from = forms.TimeField(required=False, label="Preferred lunch from", widget=TIME)
    lunch_to = forms.TimeField(required=False, label="Preferred lunch until", widget=TIME)
    shift_start = forms.TimeField(required=False, label="Preferred shift start", widget=TIME)

    def clean(self):
        data = super().clean()
        if bool(data.get("lunch_from")) != bool(data.get("lunch_to")):
            raise forms.ValidationError("Give both ends of the lunch window, or neither.")
        return data


class UploadForm(forms.Form):
    file = forms.FileField(help_text="CSV or XLSX with interval_start, calls, aht_s.")
    dry_run = forms.BooleanField(required=False, label="Check only (write nothing)")


DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ForecastForm(forms.Form):
    first_day = forms.DateField(label="First day", widget=DATE)
    horizon_days = forms.IntegerField(min_value=1, max_value=28, initial=7, label="Days")


class GenerateForm(forms.Form):
    first_day = forms.DateField(label="First day", widget=DATE)
    days = forms.IntegerField(
        min_value=1, max_value=7, initial=1, label="Days (1 = a day, 7 = a week)"
    )
    time_limit_s = forms.FloatField(
        min_value=0.5, max_value=600, required=False, label="Solver time limit per day (s)"
    )


class IntradayForm(forms.Form):
    time_limit_s = forms.FloatField(min_value=0.5, max_value=120, required=False)


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
    earliest_start = _agent_field("earliest_start", label="Earliest start", widget=TIME)
    latest_end = _agent_field(
        "latest_end", label="Latest end", widget=TIME, help_text="00:00 means midnight."
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
        "preferred_lunch_from", label="Preferred lunch from", widget=TIME
    )
    preferred_lunch_to = _agent_field(
        "preferred_lunch_to", label="Preferred lunch until", widget=TIME
    )
    preferred_shift_start = _agent_field(
        "preferred_shift_start", label="Preferred shift start", widget=TIME
    )

    @classmethod
    def of(cls, agent: Agent, data=None) -> AgentContractForm:
        names = Agent.CONTRACT_FIELDS + Agent.WISH_FIELDS
        return cls(data, initial={name: getattr(agent, name) for name in names})

    def contract_fields(self):
        return [self[name] for name in Agent.CONTRACT_FIELDS]

    def wish_fields(self):
        return [self[name] for name in Agent.WISH_FIELDS]
