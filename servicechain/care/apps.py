from django.apps import AppConfig


class CareConfig(AppConfig):
    name = "servicechain.care"
    label = "care"
    verbose_name = "Care"

    def ready(self) -> None:
        from servicechain.org.access import Role
        from servicechain.org.context import register_section
        from servicechain.org.imports import register_listener

        from . import cards, events, listeners  # noqa: F401 - home card, notification events

        register_listener("interactions", listeners.excluded_customers_served)
        register_section("Care", "care:home", group="act", order=40)
        register_section(
            "Care figures",
            "care:figures",
            (Role.ADMIN, Role.HR_ANALYST, Role.MANAGER),
            group="understand",
            order=65,
        )
