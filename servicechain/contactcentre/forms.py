"""Input validation for the contact-centre pages."""

from __future__ import annotations

from django import forms

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
