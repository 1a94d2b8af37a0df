from django.contrib import admin

from .models import (
    AuditEvent,
    Customer,
    Employee,
    Interaction,
    Membership,
    Organization,
    Transaction,
    Unit,
)


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "min_group_size", "created_at")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}


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
    list_filter = ("organization", "job_family", "is_manager")
    search_fields = ("first_name", "last_name", "external_id", "email")
    raw_id_fields = ("unit", "user")


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
