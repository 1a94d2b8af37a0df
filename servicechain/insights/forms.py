"""Forms of the insights pages: the action plan, and the filters every dashboard takes."""

from __future__ import annotations

from django import forms

from servicechain.surveys.bank import load_bank

from .models import ActionPlan
from .selectors import planners


def driver_choices() -> list[tuple[str, str]]:
    bank = load_bank()
    return [(code, bank.scales[code].name) for code in bank.drivers("employee")]


class OwnerChoice(forms.ModelChoiceField):
    def label_from_instance(self, user) -> str:
        return user.get_full_name() or user.get_username()


class ActionPlanForm(forms.ModelForm):
    class Meta:
        model = ActionPlan
        fields = ["unit", "driver", "title", "owner", "due_date", "actions", "status", "notes"]
        widgets = {
            "due_date": forms.DateInput(attrs={"type": "date"}),
            "actions": forms.Textarea(attrs={"rows": 5}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {"actions": "Actions (one per line)"}

    def __init__(self, *args, scope, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = scope.units().order_by("path")
        self.fields["unit"].label_from_instance = lambda u: f"{'· ' * u.depth}{u.name}"
        self.fields["driver"] = forms.ChoiceField(choices=driver_choices(), label="Driver")
        self.fields["owner"] = OwnerChoice(queryset=planners(scope.organization), label="Owner")
        if editing:
            # A plan's unit and driver are what the next wave's comparison is about.
            for name in ("unit", "driver"):
                self.fields[name].disabled = True
        else:
            del self.fields["status"]
