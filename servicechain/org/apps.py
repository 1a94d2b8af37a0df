from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "servicechain.org"
    label = "org"
    verbose_name = "Organisation"

    def ready(self) -> None:
        from . import importers  # noqa: F401 - registers the import kinds
