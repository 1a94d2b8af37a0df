from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "servicechain.insights"
    label = "insights"
    verbose_name = "Insights"

    def ready(self) -> None:
        from servicechain.org.access import Role
        from servicechain.org.context import register_section

        analysts = (Role.ADMIN, Role.HR_ANALYST)
        register_section("Engagement", "insights:engagement", None)
        register_section("Driver impact", "insights:drivers", None)
        register_section("Customers", "insights:customers", None)
        register_section("Linkage", "insights:linkage", analysts)
        register_section("Comments", "insights:comments", None)
        register_section("Action plans", "insights:plans", None)

        from servicechain.surveys.signals import responses_changed

        responses_changed.connect(_mark_stale, dispatch_uid="insights.results_mark_stale")


def _mark_stale(sender, wave, **kwargs) -> None:
    # Imports that only replace responses keep the count; the signal is what catches them.
    from .services import results_mark_stale

    results_mark_stale(wave=wave)
