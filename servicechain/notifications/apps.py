from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "servicechain.notifications"
    label = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from . import cards  # noqa: F401 - registers the "new results" home card
