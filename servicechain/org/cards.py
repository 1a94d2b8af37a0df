"""Home card of the organisation app: what an employee's manager can see of their answers."""

from __future__ import annotations

from .access import Role
from .context import Persona
from .home import register_card


def what_my_manager_sees(persona: Persona) -> dict | None:
    if not persona.is_a(Role.EMPLOYEE):
        return None
    return {"min_n": persona.scope.organization.min_group_size}


register_card(
    "what_my_manager_sees",
    template="org/cards/what_my_manager_sees.html",
    build=what_my_manager_sees,
    order=60,
)
