"""Operators' admin: the programme (versioned; saving goes through `programme_save`, so a
change applies from the next period), and read-only views of the ledger and its records."""

from __future__ import annotations

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from . import services
from .models import Account, Asset, Entry, Handover, LiabilityStatement, Programme, Reminder

EDITABLE = sorted(services.PROGRAMME_FIELDS)


@admin.register(Programme)
class ProgrammeAdmin(SimpleHistoryAdmin):
    list_display = ("organization", "name", "effective_from", "points_per_visit", "expiry_months")
    readonly_fields = ("effective_from",)

    def save_model(self, request, obj, form, change):
        # A new programme starts this month; a change applies from the next one.
        fields = {name: form.cleaned_data[name] for name in form.changed_data if name in EDITABLE}
        services.programme_save(organization=obj.organization, actor=request.user, **fields)


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Entry)
class EntryAdmin(ReadOnly):
    list_display = ("at", "customer", "kind", "points", "pending")
    list_filter = ("kind",)
    raw_id_fields = ("customer", "transaction", "lot", "reverses")


@admin.register(LiabilityStatement)
class LiabilityStatementAdmin(ReadOnly):
    list_display = ("organization", "month", "outstanding_points", "liability", "currency")


@admin.register(Handover)
class HandoverAdmin(ReadOnly):
    list_display = ("customer", "from_employee", "to_employee", "to_unit", "status")


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ("customer", "email_opt_in", "last_activity_at", "expires_at")
    fields = ("email_opt_in",)
    search_fields = ("customer__name", "customer__external_id")

    def has_add_permission(self, request):
        return False


@admin.register(Asset)
class AssetAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "service_code",
        "customer",
        "last_service_on",
        "interval_days",
        "interval_usage",
    )
    raw_id_fields = ("customer",)
    search_fields = ("name", "service_code", "customer__external_id")


@admin.register(Reminder)
class ReminderAdmin(ReadOnly):
    list_display = ("asset", "customer", "due_on", "status", "owner", "emails_sent")
