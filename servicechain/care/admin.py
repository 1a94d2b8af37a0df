"""Operators' admin: the line (versioned; every save is a new version, kept with its author),
and read-only views of incidents and sanctions (decisions are made on the care pages, where
they are checked and audited)."""

from __future__ import annotations

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from servicechain.org.services import audit_record

from .models import CarePolicy, CustomerStanding, GoodwillSpend, Incident, RecoveryCase, Sanction


@admin.register(CarePolicy)
class CarePolicyAdmin(SimpleHistoryAdmin):
    list_display = ("organization", "effective_from", "wellbeing_severity", "allowance")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        audit_record(
            action="care.policy.update",
            organization=obj.organization,
            actor=request.user,
            target=obj,
            detail={"effective_from": str(obj.effective_from), "fields": form.changed_data},
        )


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Incident)
class IncidentAdmin(ReadOnly):
    list_display = (
        "occurred_at",
        "organization",
        "unit",
        "category",
        "severity",
        "state",
        "outcome",
    )
    list_filter = ("state", "category", "severity")


@admin.register(Sanction)
class SanctionAdmin(ReadOnly):
    list_display = ("customer", "kind", "starts_on", "ends_on", "review_on", "lifted_on")


@admin.register(RecoveryCase)
class RecoveryCaseAdmin(ReadOnly):
    list_display = ("opened_at", "customer", "owner", "status")


@admin.register(GoodwillSpend)
class GoodwillSpendAdmin(ReadOnly):
    list_display = ("created_at", "employee", "customer", "kind", "amount", "status")


@admin.register(CustomerStanding)
class CustomerStandingAdmin(ReadOnly):
    list_display = ("customer", "vulnerable", "updated_at")
