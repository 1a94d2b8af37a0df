from django.apps import AppConfig


class RecognitionConfig(AppConfig):
    name = "servicechain.recognition"
    label = "recognition"
    verbose_name = "Recognition"

    def ready(self) -> None:
        from servicechain.org.access import Role
        from servicechain.org.context import register_section

        from . import (
            achievements,  # noqa: F401 - registers the built-in achievement rule kinds
            cards,  # noqa: F401 - registers the home cards
            events,  # noqa: F401 - registers the notification events
        )
        from .predicates import sees_fairness

        register_section("Recognition", "recognition:feed", group="act", order=20)
        register_section(
            "Goals", "recognition:goals", (Role.MANAGER, Role.EMPLOYEE), group="act", order=25
        )
        register_section(
            "Recognition spread",
            "recognition:fairness",
            (Role.ADMIN, Role.HR_ANALYST, Role.MANAGER),
            visible=sees_fairness,
            group="understand",
            order=70,
        )
