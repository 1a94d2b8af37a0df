"""Home cards of recognition: the person's allowance, balance and latest kudos, and for a
manager how many of their people nobody recognised in 60 days. Reads only."""

from __future__ import annotations

from servicechain.org.context import Persona
from servicechain.org.home import register_card

from . import predicates, selectors
from .access import viewer_of


def my_recognition(persona: Persona) -> dict | None:
    viewer = viewer_of(persona.scope)
    if viewer.employee is None:
        return None
    profile = selectors.profile(viewer, viewer.employee, limit=2)
    return {
        "employee": viewer.employee,
        "allowance_left": profile.allowance_left,
        "balance": profile.balance,
        "received": profile.received,
        "awards": profile.awards[:3],
        "show_points": selectors.settings_of(viewer.organization).show_points,
    }


def team_recognition(persona: Persona) -> dict | None:
    viewer = viewer_of(persona.scope)
    if not predicates.is_manager(viewer):
        return None
    people = selectors.unrecognised(viewer)
    return {"count": len(people), "people": people[:5], "unit": persona.scope.unit}


register_card(
    "my_recognition", template="recognition/cards/mine.html", build=my_recognition, order=35
)
register_card(
    "team_recognition", template="recognition/cards/team.html", build=team_recognition, order=36
)
