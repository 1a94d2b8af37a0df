from django.apps import AppConfig


class ContactCentreConfig(AppConfig):
    name = "servicechain.contactcentre"
    label = "contactcentre"
    verbose_name = "Contact centre"

    def ready(self) -> None:
        from servicechain.org.context import register_section

        from . import importers  # noqa: F401 - registers the "volumes" import kind

        register_section("Contact centre", "contactcentre:home", None)
