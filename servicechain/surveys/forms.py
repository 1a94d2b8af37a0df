"""Turning questions into an accessible form and a posted form back into answers."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone

from servicechain.org.selectors import subtree_headcounts

from .bank import ANSWER_TYPE_NAMES, load_bank
from .models import Instrument, Item, Population, Wave
from .questions import Question


def answers_from_post(questions: tuple[Question, ...], data) -> dict[str, Any]:
    """Raw answers keyed by item code from a posted form (validation happens in services)."""
    answers = {}
    for question in questions:
        value = data.get(question.code)
        if value is not None and str(value).strip() != "":
            answers[question.code] = value
    return answers


def _options(question: Question) -> list[tuple[str, str]]:
    item = question.item
    if item.type == "choice":
        return list(item.options)
    if item.type == "text":
        return []
    labels = load_bank().response_types.get(item.type, {}).get("labels", {})
    return [(str(v), labels.get(str(v), "")) for v in range(item.min_value, item.max_value + 1)]


def _hint(question: Question) -> str:
    """The end points in words, for scales whose every point is not labelled (0-10, 1-7)."""
    if question.item.type not in ("nps11", "effort7"):
        return ""
    labels = load_bank().response_types[question.item.type]["labels"]
    low, high = str(question.item.min_value), str(question.item.max_value)
    return f"{low} = {labels.get(low, '')} · {high} = {labels.get(high, '')}"


def form_sections(
    questions: tuple[Question, ...], answers: dict[str, Any], errors: dict[str, str]
) -> list[dict]:
    """Questions grouped into consecutive sections by scale, ready for the template."""
    bank = load_bank()
    sections: list[dict] = []
    for question in questions:
        item = question.item
        scale = item.scale
        if not sections or sections[-1]["scale"] != scale:
            title = bank.scales[scale].name if scale in bank.scales else scale.replace("_", " ")
            sections.append({"scale": scale, "title": title, "questions": []})
        selected = answers.get(question.code)
        sections[-1]["questions"].append(
            {
                "code": question.code,
                "number": question.number,
                "text": item.text,
                "type": item.type,
                "required": question.required,
                "options": _options(question),
                "selected": "" if selected is None else str(selected),
                "error": errors.get(question.code),
                "scale_class": "scale-wide" if item.type == "nps11" else "",
                "hint": _hint(question),
            }
        )
    return sections


# --------------------------------------------------------------------------- staff forms


class InstrumentForm(forms.Form):
    name = forms.CharField(max_length=200)
    population = forms.ChoiceField(choices=Population.choices)
    template = forms.ChoiceField(required=False)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bank = load_bank()
        self.fields["template"].choices = [("", "Start empty")] + [
            (name, bank.instrument_names[name]) for name in bank.instruments
        ]


class ItemForm(forms.Form):
    code = forms.CharField(max_length=40, help_text="e.g. SAFE1")
    scale = forms.CharField(max_length=40, help_text="A bank scale code or a new one")
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))
    type = forms.ChoiceField(
        label="Answer",
        choices=[
            (code, ANSWER_TYPE_NAMES.get(code, code))
            for code, _ in Item._meta.get_field("type").choices
        ],
    )
    reverse = forms.BooleanField(required=False)
    options = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Choice items: one option per line, as value=label",
    )

    def clean_options(self) -> list[dict]:
        options = []
        for line in self.cleaned_data["options"].splitlines():
            if not line.strip():
                continue
            value, _, label = line.partition("=")
            options.append({"value": value.strip(), "label": (label or value).strip()})
        return options


# Date-time inputs take and give ISO values (YYYY-MM-DDTHH:MM), whatever the locale.
DATETIME_LOCAL = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
WAVE_DAYS_OPEN = 14


class AudienceField(forms.ModelChoiceField):
    """Units as an indented tree, each with how many people it and its units hold."""

    def __init__(self, *args, headcounts: dict[int, int] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.headcounts = headcounts or {}

    def label_from_instance(self, unit) -> str:
        people = self.headcounts.get(unit.pk, 0)
        indent = "\u00a0\u00a0\u00a0" * unit.depth
        return f"{indent}{unit.name} — {people} {'person' if people == 1 else 'people'}"


def default_wave_dates(now: dt.datetime | None = None) -> tuple[dt.datetime, dt.datetime]:
    """Tomorrow 09:00 to 17:00 two weeks later, on the organisation's clock."""
    today = timezone.localtime(now).date()
    zone = timezone.get_current_timezone()
    opens = dt.datetime.combine(today + dt.timedelta(days=1), dt.time(9, 0), tzinfo=zone)
    closes = dt.datetime.combine(
        opens.date() + dt.timedelta(days=WAVE_DAYS_OPEN), dt.time(17, 0), tzinfo=zone
    )
    return opens, closes


class WaveForm(forms.Form):
    name = forms.CharField(max_length=200)
    instrument = forms.ModelChoiceField(queryset=Instrument.objects.none())
    kind = forms.ChoiceField(choices=Wave.Kind.choices, initial=Wave.Kind.CENSUS)
    audience_unit = AudienceField(
        queryset=None,
        label="Audience (unit and below)",
        help_text="Everyone employed in the unit and the units below it; the count is today's.",
    )
    opens_at = forms.DateTimeField(label="Opens", widget=DATETIME_LOCAL)
    closes_at = forms.DateTimeField(label="Closes", widget=DATETIME_LOCAL)
    sample_fraction = forms.FloatField(
        min_value=0.01,
        max_value=1.0,
        initial=1.0,
        required=False,
        help_text="Pulses and customer waves: the share of the audience invited (0.01–1)",
    )
    cadence = forms.ChoiceField(choices=Wave.Cadence.choices)
    reminder_after_days = forms.IntegerField(min_value=1, max_value=60, initial=3)

    def __init__(self, *args, scope, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["instrument"].queryset = Instrument.objects.filter(
            organization=scope.organization
        )
        self.fields["audience_unit"].queryset = scope.units().order_by("path")
        self.fields["audience_unit"].headcounts = subtree_headcounts(scope)
        opens, closes = default_wave_dates()
        self.fields["opens_at"].initial = opens
        self.fields["closes_at"].initial = closes

    def clean_sample_fraction(self) -> float:
        # A census invites everyone: a fraction typed before switching kind does not count.
        if self.cleaned_data.get("kind") == Wave.Kind.CENSUS:
            return 1.0
        value = self.cleaned_data.get("sample_fraction")
        return 1.0 if value is None else value


class ImportForm(forms.Form):
    file = forms.FileField(help_text="CSV or XLSX export: one row per response")
    mapping = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text='JSON object from column names to item codes, e.g. {"Q1": "ENG1"}',
    )
    dry_run = forms.BooleanField(required=False, label="Check only (write nothing)")
