from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "servicechain.insights"
    label = "insights"
    verbose_name = "Insights"

    def ready(self) -> None:
        from servicechain.org.access import Role
        from servicechain.org.context import register_section

        from . import cards  # noqa: F401 - registers the home cards
        from .retention import cards as retention_cards  # noqa: F401

        analysts = (Role.ADMIN, Role.HR_ANALYST)
        # Employees may still open every page the role matrix allows; the header offers
        # them what they can use (their results, comments, their manager's plans), and
        # agents, whose home is their day, only their results.
        deciders = (Role.ADMIN, Role.HR_ANALYST, Role.MANAGER)
        register_section("Engagement", "insights:engagement", group="understand", order=40)
        register_section("Driver impact", "insights:drivers", deciders, order=45)
        register_section("Comments", "insights:comments", visible=_not_an_agent, order=50)
        register_section("Customers", "insights:customers", deciders, order=55)
        register_section("Retention", "insights:retention", deciders, order=58)
        register_section("Linkage", "insights:linkage", analysts, order=60)
        register_section(
            "Action plans", "insights:plans", visible=_not_an_agent, group="act", order=10
        )


def _not_an_agent(persona) -> bool:
    return not (persona.has("agent") and persona.is_a("employee"))
