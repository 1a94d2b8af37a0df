"""Home card of the organisation app: what others (a manager first) can see about you."""

from __future__ import annotations

from .access import Role
from .context import Persona
from .home import register_card


def what_my_manager_sees(persona: Persona) -> dict | None:
    """Everyone has the card: the page describes whoever is signed in, in any role."""
    return {
        "min_n": persona.scope.organization.min_group_size,
        "employee": persona.is_a(Role.EMPLOYEE),
    }


register_card(
    "what_my_manager_sees",
    template="org/cards/what_my_manager_sees.html",
    build=what_my_manager_sees,
    order=60,
)
