"""Home card of loyalty: the member's customers due for service this week and, for managers,
the account hand-overs waiting for them. Reads only."""

from __future__ import annotations

from django.utils import timezone

from servicechain.org.access import Role
from servicechain.org.context import Persona
from servicechain.org.home import register_card

from . import predicates, selectors

SHOWN = 5


def due_this_week(persona: Persona) -> dict | None:
    if not persona.is_a(Role.ADMIN, Role.MANAGER, Role.EMPLOYEE) or persona.has("agent"):
        return None
    scope = persona.scope
    due = selectors.due_this_week(scope, today=timezone.localdate())
    handovers = selectors.handovers(scope).count() if predicates.can_confirm_handovers(scope) else 0
    shown = list(due[:SHOWN])
    if not shown and not handovers:
        return None
    openable = predicates.openable_customer_ids(scope, [r.customer_id for r in shown])
    return {"due": shown, "handovers": handovers, "openable": openable}


register_card("loyalty_due", template="loyalty/cards/due.html", build=due_this_week, order=30)
