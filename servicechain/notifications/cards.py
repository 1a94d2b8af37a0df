"""Home card: survey results that became ready for the person's units lately (from the
notifications `notify_results_ready` sent them, read or not)."""

from __future__ import annotations

from servicechain.org.context import Persona
from servicechain.org.home import register_card

from . import selectors
from .events import RESULTS_READY

RECENT_DAYS = 30


def results_ready(persona: Persona) -> dict | None:
    scope = persona.scope
    recent = selectors.recent(
        scope.user, scope.organization, event=RESULTS_READY.key, days=RECENT_DAYS
    )
    return {"notifications": recent} if recent else None


register_card(
    "results_ready",
    template="notifications/cards/results_ready.html",
    build=results_ready,
    order=15,
)
