from django.contrib import admin

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


@admin.register(Agent)
class AgentAdmin(admin.ModelAdmin):
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
