from django.contrib import admin

from . import services
from .models import Notification, Preference


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "recipient", "event", "title", "read_at", "email_status"]
    list_filter = ["event", "email_status", "organization"]
    search_fields = ["title", "recipient__username", "recipient__email"]
    readonly_fields = ["created_at", "emailed_at", "email_error", "email_attempts"]
    raw_id_fields = ["recipient", "actor"]
    actions = ["send_email_again"]

    @admin.action(description="Send the e-mail again (failed or still queued)")
    def send_email_again(self, request, queryset):
        ids = list(queryset.values_list("pk", flat=True))
        outcome = services.email_deliver(notification_ids=ids)
        self.message_user(request, f"Sent {outcome['sent']}, failed {outcome['failed']}.")


@admin.register(Preference)
class PreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "event", "email", "updated_at"]
    list_filter = ["event", "email"]
    raw_id_fields = ["user"]
