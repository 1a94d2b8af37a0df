"""Home card of rewards: "your statement is ready" for an employee with lines in a locked run
they have not seen the latest of, and runs waiting for approval for HR and admins."""

from __future__ import annotations

from servicechain.org.context import Persona
from servicechain.org.home import register_card

from . import predicates, selectors


def rewards_card(persona: Persona) -> dict | None:
    scope = persona.scope
    employee = predicates.employee_of(scope)
    latest = selectors.locked_runs_of(employee)[:1] if employee is not None else []
    waiting = (
        selectors.runs(scope.organization).exclude(status="locked").count()
        if predicates.can_run_payouts(scope)
        else 0
    )
    if not latest and not waiting:
        return None
    return {"latest": latest[0] if latest else None, "waiting": waiting}


register_card("rewards", template="rewards/cards/rewards.html", build=rewards_card, order=14)
