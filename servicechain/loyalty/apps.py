from django.apps import AppConfig


class LoyaltyConfig(AppConfig):
    name = "servicechain.loyalty"
    label = "loyalty"
    verbose_name = "Loyalty"

    def ready(self) -> None:
        from servicechain.org.access import Role
        from servicechain.org.context import register_section
        from servicechain.org.imports import register_listener

        from . import cards, importers, ownership, services, signals  # noqa: F401 - home card, import kind, signals

        register_listener("transactions", services.ledger_earn_imported)
        register_listener("employees", ownership.leavers_imported)
        register_section(
            "Customers due",
            "loyalty:lists",
            (Role.ADMIN, Role.MANAGER, Role.EMPLOYEE),
            visible=_not_an_agent,
            group="act",
            order=30,
        )
        register_section(
            "Loyalty programme",
            "loyalty:programme",
            (Role.ADMIN, Role.HR_ANALYST, Role.MANAGER),
            group="understand",
            order=58,
        )


def _not_an_agent(persona) -> bool:
    # Contact-centre agents serve callers, not an account book of their own.
    return not (persona.has("agent") and persona.is_a("employee"))
