"""Home card of care: what waits for the person — a break offered after an incident, check-ins
to do, decisions and appeals, goodwill to approve — and their own reports' status."""

from __future__ import annotations

from servicechain.org.context import Persona
from servicechain.org.home import register_card

from . import predicates, selectors


def care_card(persona: Persona) -> dict | None:
    scope = persona.scope
    employee = predicates.employee_of(scope)
    context = {
        "offer": selectors.open_offer(employee),
        "tasks": list(selectors.checkin_tasks(scope.user, scope.organization)[:5]),
        "waiting": selectors.waiting_for_decision(scope).count(),
        "appeals": selectors.appeals_to_review(scope).count(),
        "spends": selectors.spends_waiting(scope).count(),
        "reports": selectors.my_reports(scope, limit=3),
    }
    if not any(context.values()):
        return None
    return context


register_card("care", template="care/cards/care.html", build=care_card, order=12)
