"""Forms of the insights pages: making an action plan, and the plan page's one Save."""

from __future__ import annotations

import copy
import datetime as dt

from django import forms
from django.db.models import Q
from django.utils import timezone

from servicechain.org.models import Employee
from servicechain.surveys.bank import load_bank

from .models import ActionPlan
from .selectors import plan_assignees, plan_suggestions, planners, suggested_tasks

# An <input type=date> shows and sends only ISO dates, whatever the page's language.
ISO_DATE = "%Y-%m-%d"
DEFAULT_PLAN_WEEKS = 12


def date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format=ISO_DATE)


def driver_choices() -> list[tuple[str, str]]:
    bank = load_bank()
    return [(code, bank.scales[code].name) for code in bank.drivers("employee")]


def person_name(user) -> str:
    return user.get_full_name() or user.get_username()


class OwnerChoice(forms.ModelChoiceField):
    def label_from_instance(self, user) -> str:
        return person_name(user)


class AssigneeChoice(forms.ModelChoiceField):
    def label_from_instance(self, employee) -> str:
        role = employee.job_title or ("manager" if employee.is_manager else "")
        where = f"{role}, {employee.unit.name}" if role else employee.unit.name
        return f"{employee.full_name or employee.external_id} ({where})"


PLAN_WIDGETS = {
    "due_date": date_input(),
    "goal": forms.Textarea(attrs={"rows": 2}),
    "notes": forms.Textarea(attrs={"rows": 2}),
}
PLAN_LABELS = {
    "goal": "Goal",
    "shared_with_team": "Share with the team (employees of the unit can read this plan)",
}


class ActionPlanForm(forms.ModelForm):
    """A new plan for one driver in one unit, with the library's suggested actions to keep
    or drop and any other tasks of the manager's own."""

    suggestions = forms.MultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Suggested actions to take on as tasks",
        error_messages={
            "invalid_choice": "The suggestions shown were for another driver; "
            "pick again from the ones for this driver."
        },
    )
    other_tasks = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Other tasks (one per line)",
    )

    class Meta:
        model = ActionPlan
        fields = ["unit", "driver", "title", "goal", "owner", "due_date", "shared_with_team"]
        widgets = PLAN_WIDGETS
        labels = PLAN_LABELS

    def __init__(self, *args, scope, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = scope.units().order_by("path")
        self.fields["unit"].label_from_instance = lambda u: u.name
        # A blank first choice: otherwise the browser shows the first driver as chosen while
        # the suggested actions still ask for one.
        choices = [("", "Choose a driver…"), *driver_choices()]
        self.fields["driver"] = forms.ChoiceField(choices=choices, label="Driver")
        self.fields["owner"] = OwnerChoice(queryset=planners(scope.organization), label="Owner")
        self.library = plan_suggestions(self["driver"].value() or "")
        actions = self.library.actions if self.library else ()
        self.fields["suggestions"].choices = [(a.code, a.title) for a in actions]
        if not self.is_bound:
            self.initial.setdefault("suggestions", [a.code for a in actions])
            self.initial.setdefault(
                "due_date", timezone.localdate() + dt.timedelta(weeks=DEFAULT_PLAN_WEEKS)
            )

    def suggested_actions(self) -> list:
        """The library's actions for the chosen driver, for the template to describe."""
        return list(self.library.actions) if self.library else []

    def tasks(self) -> list[dict]:
        """Tasks for `action_plan_create`: the kept suggestions, then the manager's own lines."""
        data = self.cleaned_data
        kept = suggested_tasks(data["driver"], data["suggestions"], due_date=data["due_date"])
        lines = [line.strip() for line in data.get("other_tasks", "").splitlines()]
        return kept + [{"title": line} for line in lines if line]

    def plan_fields(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k in self.Meta.fields}


class PlanForm(forms.ModelForm):
    """The plan's own fields on its page (its unit and driver stay what the plan is about)."""

    class Meta:
        model = ActionPlan
        fields = ["title", "goal", "owner", "due_date", "status", "shared_with_team", "notes"]
        widgets = PLAN_WIDGETS
        labels = PLAN_LABELS

    def __init__(self, *args, scope, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"] = OwnerChoice(queryset=planners(scope.organization), label="Owner")


class TaskForm(forms.Form):
    """One row of the plan's task list; the last, blank row adds a task."""

    task_id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    title = forms.CharField(max_length=200, required=False, label="Task")
    assignee = AssigneeChoice(queryset=Employee.objects.none(), required=False, label="Owner")
    due_date = forms.DateField(required=False, widget=date_input(), label="Due")
    done = forms.BooleanField(required=False, label="Done")
    remove = forms.BooleanField(required=False, label="Remove")

    def __init__(self, *args, plan: ActionPlan, **kwargs):
        super().__init__(*args, **kwargs)
        # Whoever holds a task now stays choosable, even if they have since moved on.
        current = self.initial.get("assignee")
        team = plan_assignees(plan).values("pk")
        field = self.fields["assignee"]
        field.queryset = (
            Employee.objects.filter(Q(pk__in=team) | Q(pk=current))
            .select_related("unit")
            .order_by("last_name", "first_name", "pk")
        )
        field.empty_label = f"{person_name(plan.owner)} (plan owner)"

    def clean(self):
        data = super().clean()
        if not data.get("task_id") and self.has_changed() and not data.get("title"):
            self.add_error("title", "Give the new task a title (or leave the row empty).")
        if data.get("task_id") and not data.get("title") and not data.get("remove"):
            self.add_error("title", "A task needs a title; tick Remove to drop it.")
        return data

    def entry(self) -> dict | None:
        """The row as `action_plan_save` takes it, or None for an untouched blank row."""
        data = self.cleaned_data
        if not data.get("task_id") and not self.has_changed():
            return None
        return {
            "id": data.get("task_id"),
            "remove": bool(data.get("remove")),
            "title": data.get("title", ""),
            "assignee": data.get("assignee"),
            "due_date": data.get("due_date"),
            "done": bool(data.get("done")),
        }


TaskFormSet = forms.formset_factory(TaskForm, extra=1)


class ProgressForm(forms.Form):
    note = forms.CharField(
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Progress update: what happened, what comes next (optional)",
    )


class PlanPageForm:
    """The plan page's one Save: the plan's fields, every task row and a progress update.

    The plan form edits a copy of the plan, so when the Save is refused the page still
    describes the plan as saved, not as posted.
    """

    def __init__(self, data, *, plan: ActionPlan, tasks: list, scope):
        self.plan = PlanForm(data, instance=copy.copy(plan), scope=scope)
        initial = [
            {
                "task_id": t.pk,
                "title": t.title,
                "assignee": t.assignee_id,
                "due_date": t.due_date,
                "done": t.done,
            }
            for t in tasks
        ]
        self.tasks = TaskFormSet(data, initial=initial, prefix="tasks", form_kwargs={"plan": plan})
        self.progress = ProgressForm(data, prefix="progress")
        self.task_list = tasks

    def rows(self) -> list[tuple]:
        """(task, its form) per row, paired by the row's task id; (None, form) adds a task."""
        by_id = {str(t.pk): t for t in self.task_list}
        return [(by_id.get(str(form["task_id"].value())), form) for form in self.tasks.forms]

    def is_valid(self) -> bool:
        return all([self.plan.is_valid(), self.tasks.is_valid(), self.progress.is_valid()])

    def service_arguments(self) -> dict:
        entries = [form.entry() for form in self.tasks.forms]
        return {
            "changes": self.plan.cleaned_data,
            "tasks": [e for e in entries if e is not None],
            "progress_note": self.progress.cleaned_data["note"],
        }

    def add_error(self, error) -> None:
        """A service's refusal, shown on the plan's field it names or above the form."""
        for field, messages in getattr(error, "message_dict", {None: error.messages}).items():
            target = field if field in self.plan.fields else None
            self.plan.add_error(target, " ".join(messages))
