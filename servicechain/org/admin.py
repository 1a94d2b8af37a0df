import json

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.template.response import TemplateResponse

from . import services
from .models import (
    AuditEvent,
    Customer,
    Employee,
    Interaction,
    Membership,
    Organization,
    RetentionPolicy,
    Transaction,
    Unit,
)


class RetentionPolicyInline(admin.StackedInline):
    model = RetentionPolicy
    can_delete = False
    extra = 1
    max_num = 1
    verbose_name = "retention policy"
    verbose_name_plural = "retention policy (applied by `servicechain manage privacy_retention`)"


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "min_group_size", "created_at")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [RetentionPolicyInline]


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ("name", "external_id", "kind", "depth", "organization")
    list_filter = ("organization", "kind", "depth")
    search_fields = ("name", "external_id")
    raw_id_fields = ("parent",)
    readonly_fields = ("path", "depth")


@admin.register(Employee)
class EmployeeAdmin(admin.ModelAdmin):
    list_display = ("full_name", "external_id", "unit", "job_title", "hire_date", "leave_date")
    list_filter = ("organization", "job_family", "is_manager", "leave_type", "regretted")
    search_fields = ("first_name", "last_name", "external_id", "email")
    raw_id_fields = ("unit", "user")
    actions = ["export_personal_data", "erase_personal_data"]

    @admin.action(description="Export personal data (JSON)", permissions=["change"])
    def export_personal_data(self, request, queryset):
        """Download each selected person's data (docs/privacy.md); each export is audited."""
        people = queryset.select_related("organization", "unit", "user")
        data = [services.employee_export(employee=e, actor=request.user) for e in people]
        name = f"personal-data-{people[0].external_id}" if len(data) == 1 else "personal-data"
        response = HttpResponse(
            json.dumps(data[0] if len(data) == 1 else data, cls=DjangoJSONEncoder, indent=2),
            content_type="application/json",
        )
        response["Content-Disposition"] = f'attachment; filename="{name}.json"'
        return response

    @admin.action(description="Erase personal data…", permissions=["delete"])
    def erase_personal_data(self, request, queryset):
        """Erase the selected people after a confirmation page (it cannot be undone)."""
        people = list(queryset.select_related("organization", "unit"))
        if request.POST.get("confirm") != "yes":
            context = {
                **self.admin_site.each_context(request),
                "title": "Erase personal data",
                "opts": self.model._meta,
                "people": people,
                "action_checkbox_name": ACTION_CHECKBOX_NAME,
            }
            return TemplateResponse(request, "admin/org/employee/erase_confirmation.html", context)
        for person in people:
            label = person.external_id
            try:
                report = services.employee_erase(employee=person, actor=request.user)
            except ValidationError as exc:
                self.message_user(request, f"{label}: {' '.join(exc.messages)}", messages.ERROR)
                continue
            self.message_user(
                request,
                f"Erased {label}: now erased-{report.reference}; login {report.login}.",
                messages.SUCCESS,
            )
        return None


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ("name", "external_id", "owner", "organization")
    list_filter = ("organization",)
    search_fields = ("name", "external_id", "email")
    raw_id_fields = ("owner",)


@admin.register(Interaction)
class InteractionAdmin(admin.ModelAdmin):
    list_display = ("external_id", "channel", "started_at", "customer", "employee", "unit")
    list_filter = ("organization", "channel")
    search_fields = ("external_id",)
    raw_id_fields = ("customer", "employee", "unit")
    date_hierarchy = "started_at"


@admin.register(Transaction)
class TransactionAdmin(admin.ModelAdmin):
    list_display = ("external_id", "amount", "occurred_at", "customer", "employee")
    list_filter = ("organization",)
    search_fields = ("external_id",)
    raw_id_fields = ("customer", "employee")
    date_hierarchy = "occurred_at"


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "organization", "role", "unit")
    list_filter = ("organization", "role")
    raw_id_fields = ("user", "unit")


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("created_at", "action", "actor", "organization", "target_type", "target_id")
    list_filter = ("organization", "action")
    readonly_fields = [f.name for f in AuditEvent._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
