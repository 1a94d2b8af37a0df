from django.apps import AppConfig


class RewardsConfig(AppConfig):
    name = "servicechain.rewards"
    label = "rewards"
    verbose_name = "Rewards"

    def ready(self) -> None:
        from servicechain.org.access import Role
        from servicechain.org.context import register_section

        from . import cards, events  # noqa: F401 - home card, notification events

        register_section(
            "My pay statement",
            "rewards:statement",
            visible=_has_statement,
            group="act",
            order=45,
        )
        register_section(
            "Payout runs",
            "rewards:runs",
            (Role.ADMIN, Role.HR_ANALYST),
            group="act",
            order=46,
        )


def _has_statement(persona) -> bool:
    """Offered to people with lines in a locked run, and to those who see others' pay."""
    from .predicates import can_run_payouts, can_see_team_statements, employee_of
    from .selectors import has_locked_lines

    scope = persona.scope
    if can_run_payouts(scope) or can_see_team_statements(scope):
        return True
    employee = employee_of(scope)
    return employee is not None and has_locked_lines(employee)
