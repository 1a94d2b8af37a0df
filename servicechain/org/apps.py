from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "servicechain.org"
    label = "org"
    verbose_name = "Organisation"

    def ready(self) -> None:
        from . import (
            cards,  # noqa: F401 - registers the home cards
            importers,  # noqa: F401 - registers the import kinds
            privacy,
        )

        # Every app's `privacy` module registers its part of a person's data.
        privacy.autodiscover()
