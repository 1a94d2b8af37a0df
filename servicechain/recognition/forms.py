"""Forms of the recognition pages: they parse what a person typed; the services decide
what is allowed (one set of rules for the pages and the API)."""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError

from . import selectors, services
from .access import Viewer
from .models import MAX_MESSAGE, Kudos

QUARTER = re.compile(r"(?P<year>\d{4})\s*-?\s*Q(?P<quarter>[1-4])", re.IGNORECASE)


def quarter_of(value: str | None) -> tuple[int, int]:
    """A quarter someone asked for ('2026-Q3', '2026Q3', '2026 q3') as (2026, 3). Unlike the
    lists' lenient reading (anything else shows the current quarter), a write — setting a
    goal, closing a quarter — refuses anything else: taking it for the current quarter would
    file or archive goals nobody meant to."""
    text = (value or "").strip()
    match = QUARTER.fullmatch(text)
    if match is None or not 2000 <= int(match["year"]) <= 2100:
        message = f"Give the quarter as YYYY-Qn with n from 1 to 4, e.g. 2026-Q3, not {text!r}."
        raise ValidationError({"quarter": message})
    return int(match["year"]), int(match["quarter"])


class GiveKudosForm(forms.Form):
    message = forms.CharField(
        label="Message",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=MAX_MESSAGE,
        help_text="Say what they did and why it mattered: specific thanks land best.",
    )
    values = forms.MultipleChoiceField(
        label="Values", widget=forms.CheckboxSelectMultiple, required=False
    )
    team = forms.ChoiceField(label="Or recognise a whole team", required=False)
    points = forms.IntegerField(label="Points for each person", required=False, initial=0)
    visibility = forms.ChoiceField(
        label="Who sees it", choices=Kudos.Visibility.choices, initial=Kudos.Visibility.ORGANISATION
    )

    def __init__(self, *args, viewer: Viewer, **kwargs):
        super().__init__(*args, **kwargs)
        self.viewer = viewer
        self.fields["values"].choices = [
            (v.slug, v.name) for v in selectors.active_values(viewer.organization)
        ]
        self.value_descriptions = {
            v.slug: v.description for v in selectors.active_values(viewer.organization)
        }
        self.fields["team"].choices = [("", "— no team —")] + [
            (str(u.pk), u.name) for u in selectors.recognisable_teams(viewer)
        ]
        self.chosen: list = []

    def clean(self):
        data = super().clean()
        chosen = []
        for raw in self.data.getlist("recipients") if hasattr(self.data, "getlist") else []:
            try:
                chosen.append(services.active_employee(self.viewer.organization, raw))
            except ValidationError as error:
                self.add_error(None, error.message_dict["recipients"][0])
        self.chosen = chosen
        team = data.get("team")
        data["team_unit"] = (
            selectors.recognisable_teams(self.viewer).filter(pk=team).first() if team else None
        )
        return data

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "message": data["message"],
            "values": data.get("values") or [],
            "recipients": self.chosen,
            "team": data.get("team_unit"),
            "points": data.get("points") or 0,
            "visibility": data["visibility"],
        }


class GoalForm(forms.Form):
    owner = forms.ChoiceField(label="Whose goal")
    quarter = forms.ChoiceField(label="Quarter")
    title = forms.CharField(label="Goal", max_length=200)
    description = forms.CharField(
        label="Why it matters", widget=forms.Textarea(attrs={"rows": 2}), required=False
    )

    ROWS = 3

    def __init__(self, *args, viewer: Viewer, quarters: list[tuple[int, int]], **kwargs):
        super().__init__(*args, **kwargs)
        self.viewer = viewer
        people, teams = selectors.goal_owners(viewer)
        self.people = {str(p.pk): p for p in people}
        self.teams = {str(t.pk): t for t in teams}
        me = viewer.employee
        self.fields["owner"].choices = [
            (f"person:{p.pk}", "Me" if me and p.pk == me.pk else p.full_name) for p in people
        ] + [(f"team:{t.pk}", f"Team: {t.name}") for t in teams]
        self.fields["quarter"].choices = [(f"{y}-Q{q}", f"{y} Q{q}") for y, q in quarters]
        for n in range(1, self.ROWS + 1):
            required = n == 1
            self.fields[f"kr{n}_title"] = forms.CharField(
                label=f"Key result {n}", max_length=200, required=required
            )
            self.fields[f"kr{n}_target"] = forms.DecimalField(
                label="Target", required=required, max_digits=14, decimal_places=2
            )
            self.fields[f"kr{n}_unit"] = forms.CharField(
                label="Unit", max_length=30, required=False
            )

    def key_result_rows(self):
        return [
            (self[f"kr{n}_title"], self[f"kr{n}_target"], self[f"kr{n}_unit"])
            for n in range(1, self.ROWS + 1)
        ]

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        kind, _, pk = data["owner"].partition(":")
        year, quarter = selectors.parse_quarter(data["quarter"])
        return {
            "employee": self.people.get(pk) if kind == "person" else None,
            "team": self.teams.get(pk) if kind == "team" else None,
            "year": year,
            "quarter": quarter,
            "title": data["title"],
            "description": data.get("description", ""),
            "key_results": [
                {
                    "title": data.get(f"kr{n}_title") or "",
                    "target": data.get(f"kr{n}_target"),
                    "unit": data.get(f"kr{n}_unit") or "",
                }
                for n in range(1, self.ROWS + 1)
                if data.get(f"kr{n}_title") or data.get(f"kr{n}_target") is not None
            ],
        }
