"""Operators' admin: values, settings, badges and their rules are edited here (rules are
data). Ledger entries, bonuses, budgets and awards are read-only: they change only through
the services, which audit them."""

from django.contrib import admin

from . import services
from .achievements import KINDS, describe_rule
from .models import (
    AchievementRule,
    AchievementRun,
    Award,
    Badge,
    CompanyValue,
    Goal,
    Kudos,
    PointsEntry,
    RecognitionSettings,
    Report,
    SpotBonus,
    SpotBonusBudget,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CompanyValue)
class CompanyValueAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "organization", "active", "order"]
    list_filter = ["organization", "active"]
    prepopulated_fields = {"slug": ("name",)}


@admin.register(RecognitionSettings)
class RecognitionSettingsAdmin(admin.ModelAdmin):
    list_display = ["organization", "monthly_allowance", "show_points"]

    def save_model(self, request, obj, form, change):
        services.recognition_settings_update(
            organization=obj.organization,
            monthly_allowance=obj.monthly_allowance,
            show_points=obj.show_points,
            actor=request.user,
        )


@admin.register(Badge)
class BadgeAdmin(admin.ModelAdmin):
    list_display = ["symbol", "name", "slug", "organization"]
    list_filter = ["organization"]
    prepopulated_fields = {"slug": ("name",)}


@admin.register(AchievementRule)
class AchievementRuleAdmin(admin.ModelAdmin):
    list_display = ["badge", "kind", "threshold", "meaning", "active", "organization"]
    list_filter = ["organization", "active", "kind"]
    list_editable = ["threshold", "active"]
    actions = ["run_now"]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        kinds = "; ".join(f"{key} ({kind.label})" for key, kind in sorted(KINDS.items()))
        form.base_fields["kind"].help_text = f"One of: {kinds}."
        return form

    @admin.display(description="Earned for")
    def meaning(self, rule):
        return describe_rule(rule)

    @admin.action(description="Run the rules of these organisations now (background task)")
    def run_now(self, request, queryset):
        organizations = {rule.organization for rule in queryset.select_related("organization")}
        for organization in organizations:
            services.achievements_request(organization=organization, actor=request.user)
        self.message_user(request, f"Queued {len(organizations)} run(s).")


@admin.register(AchievementRun)
class AchievementRunAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "organization", "status", "awarded", "finished_at"]
    list_filter = ["organization", "status"]


@admin.register(Award)
class AwardAdmin(ReadOnlyAdmin):
    list_display = ["awarded_at", "badge", "employee", "evidence_key", "awarded_by"]
    list_filter = ["organization", "badge"]
    search_fields = ["employee__last_name", "employee__external_id", "evidence_key"]


@admin.register(Kudos)
class KudosAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "giver", "visibility", "points_each", "listed", "hidden_at"]
    list_filter = ["organization", "visibility", "listed"]
    search_fields = ["message", "giver__last_name"]


@admin.register(Report)
class ReportAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kudos", "reporter", "status", "resolved_at"]
    list_filter = ["status"]


@admin.register(PointsEntry)
class PointsEntryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "employee", "kind", "points", "kudos", "redemption"]
    list_filter = ["organization", "kind"]
    search_fields = ["employee__last_name", "employee__external_id"]


@admin.register(SpotBonusBudget)
class SpotBonusBudgetAdmin(ReadOnlyAdmin):
    list_display = ["manager", "year", "amount", "organization", "updated_at"]
    list_filter = ["organization", "year"]


@admin.register(SpotBonus)
class SpotBonusAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "employee", "amount", "status", "manager", "payout_reference"]
    list_filter = ["organization", "status"]


@admin.register(Goal)
class GoalAdmin(ReadOnlyAdmin):
    list_display = ["title", "year", "quarter", "employee", "team", "status", "final_score"]
    list_filter = ["organization", "status", "year", "quarter"]
