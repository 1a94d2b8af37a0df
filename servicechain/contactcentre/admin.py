from django import forms
from django.contrib import admin

from . import dayplan
from .models import (
    Activity,
    Agent,
    BreakTaken,
    ContactCentre,
    Forecast,
    MoveRequest,
    PlanningJob,
    Schedule,
    Shift,
    Team,
)


@admin.register(ContactCentre)
class ContactCentreAdmin(admin.ModelAdmin):
    list_display = ["name", "organization", "unit", "time_zone", "opens_at", "closes_at"]
    list_filter = ["organization"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "centre", "interval_minutes", "target_service_level"]
    list_filter = ["centre"]


class AgentAdminForm(forms.ModelForm):
    """The admin's agent form refuses what the scheduler could not plan, as the app does.

    After the model's own validation, the contract goes through the same check as a
    planner's change in the app (``dayplan.contract_errors``), so no contract reaches a
    schedule run that the solver would have to reject.
    """

    class Meta:
        model = Agent
        fields = ["team", "employee", "active", *Agent.CONTRACT_FIELDS, *Agent.WISH_FIELDS]

    def _post_clean(self):
        super()._post_clean()  # builds the instance from the form and runs full_clean
        if self.errors or self.instance.team_id is None:
            return
        for field, message in dayplan.contract_errors(self.instance, self.instance.team).items():
            self.add_error(field if field in self.fields else None, message)


@admin.register(Agent)
class AgentAdmin(admin.ModelAdmin):
    form = AgentAdminForm
    list_display = ["employee", "team", "active", "lunch_minutes", "preferred_lunch_from"]
    list_filter = ["team", "active"]
    raw_id_fields = ["employee"]


@admin.register(Forecast)
class ForecastAdmin(admin.ModelAdmin):
    list_display = ["team", "first_day", "horizon_days", "method", "wape", "created_at"]
    list_filter = ["team", "method"]


class ActivityInline(admin.TabularInline):
    model = Activity
    extra = 0


@admin.register(Shift)
class ShiftAdmin(admin.ModelAdmin):
    list_display = ["agent", "schedule", "start_interval", "end_interval"]
    inlines = [ActivityInline]
    raw_id_fields = ["schedule", "agent"]


@admin.register(Schedule)
class ScheduleAdmin(admin.ModelAdmin):
    list_display = ["team", "day", "status", "kind", "solver_status", "gap", "created_at"]
    list_filter = ["team", "status", "kind"]
    readonly_fields = ["coverage", "penalty_breakdown"]


@admin.register(MoveRequest)
class MoveRequestAdmin(admin.ModelAdmin):
    list_display = ["agent", "kind", "day", "status", "stays_on_target", "created_at"]
    list_filter = ["team", "status", "kind"]
    raw_id_fields = ["agent", "colleague", "schedule"]


@admin.register(PlanningJob)
class PlanningJobAdmin(admin.ModelAdmin):
    list_display = ["team", "kind", "status", "progress", "created_at"]
    list_filter = ["kind", "status"]


@admin.register(BreakTaken)
class BreakTakenAdmin(admin.ModelAdmin):
    list_display = ["agent", "day", "kind", "position", "started_at"]
    raw_id_fields = ["agent"]
