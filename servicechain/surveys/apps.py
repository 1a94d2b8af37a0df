from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "servicechain.surveys"
    label = "surveys"
    verbose_name = "Surveys"

    def ready(self) -> None:
        from servicechain.org.access import Role
        from servicechain.org.context import register_section

        from . import (
            cards,  # noqa: F401 - registers the home cards
            importers,  # noqa: F401 - registers the "responses" import kind
        )

        register_section("Surveys", "surveys:waves", group="listen", order=30)
        register_section(
            "Instruments",
            "surveys:instruments",
            (Role.ADMIN, Role.HR_ANALYST),
            group="listen",
            order=35,
        )
