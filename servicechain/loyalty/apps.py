from django.apps import AppConfig


class LoyaltyConfig(AppConfig):
    name = "servicechain.loyalty"
    label = "loyalty"
    verbose_name = "Loyalty"

    def ready(self) -> None:
        from servicechain.org.access import Role
        from servicechain.org.context import register_section
        from servicechain.org.imports import register_listener

        from . import cards, importers, ownership, reminders, services, signals  # noqa: F401 - home card, import kind, signals
        from .achievements import register as register_badge_kind

        register_badge_kind()  # recognition's "a customer you look after came back N times"
        register_listener("transactions", services.ledger_earn_imported)
        register_listener("interactions", reminders.services_recorded_imported)
        register_listener("employees", ownership.leavers_imported)
        register_section(
            "Customers due",
            "loyalty:lists",
            (Role.ADMIN, Role.MANAGER, Role.EMPLOYEE),
            visible=_keeps_customers,
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


def _keeps_customers(persona) -> bool:
    """Offered to people with an account book: an employee who owns customers (not a
    contact-centre agent, who serves callers), a manager or admin whose units own some."""
    from servicechain.org.models import Customer

    from .selectors import customers_in_scope

    if persona.is_a("employee"):
        if persona.has("agent"):
            return False
        employee = getattr(persona.scope.user, "employee", None)
        return employee is not None and Customer.objects.filter(owner=employee).exists()
    return customers_in_scope(persona.scope).exists()
