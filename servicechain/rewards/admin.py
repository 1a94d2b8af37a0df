from django.contrib import admin

from .models import Component, GamingFlag, PayoutLine, PayoutRun, Plan, PlanVersion, WithheldBalance


class ComponentInline(admin.TabularInline):
    model = Component
    extra = 0


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ["name", "organization", "period"]
    list_filter = ["organization", "period"]


@admin.register(PlanVersion)
class PlanVersionAdmin(admin.ModelAdmin):
    list_display = ["plan", "number", "effective_from", "job_family", "unit"]
    inlines = [ComponentInline]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Runs, lines and balances change only through the services (audited, two people)."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(PayoutRun)
class PayoutRunAdmin(ReadOnlyAdmin):
    list_display = ["organization", "period", "period_start", "status", "created_by", "approved_by"]
    list_filter = ["status", "period"]


@admin.register(PayoutLine)
class PayoutLineAdmin(ReadOnlyAdmin):
    list_display = ["run", "employee", "kind", "label", "amount"]
    list_filter = ["kind"]


@admin.register(WithheldBalance)
class WithheldBalanceAdmin(ReadOnlyAdmin):
    list_display = ["employee", "plan", "component_name", "amount"]


@admin.register(GamingFlag)
class GamingFlagAdmin(ReadOnlyAdmin):
    list_display = ["run", "employee", "kind", "reviewed_at"]
