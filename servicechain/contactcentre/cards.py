"""Home cards of the contact centre: an agent's day, and for team leads the requests waiting
for them and today's projected service level (reads only, through `selectors`)."""

from __future__ import annotations

from servicechain.org.context import Persona
from servicechain.org.home import register_card

from . import access, selectors


def agent_day(persona: Persona) -> dict | None:
    if not persona.has("agent"):
        return None
    agent = access.agent_of(persona.scope)
    today = selectors.local_today(agent.team)
    view = selectors.agent_day(agent, today)
    upcoming = [d for d in selectors.upcoming_days(agent, today=today) if d > today]
    return {"view": view, "items": view.items(), "next_day": upcoming[0] if upcoming else None}


def lead_requests(persona: Persona) -> dict | None:
    if not persona.has("team_lead"):
        return None
    rows = []
    for team in access.led_teams(persona.scope):
        pending = selectors.pending_for_lead(team)
        rows.append({"team": team, "count": pending.count(), "requests": list(pending[:5])})
    return {"rows": rows, "total": sum(r["count"] for r in rows)}


def team_service_level(persona: Persona) -> dict | None:
    if not persona.has("team_lead"):
        return None
    rows = []
    for team in access.led_teams(persona.scope):
        today = selectors.local_today(team)
        schedule = selectors.published_schedule(team, today)
        rows.append(
            {
                "team": team,
                "day": today,
                "summary": selectors.schedule_summary(schedule) if schedule else None,
            }
        )
    return {"rows": rows}


register_card("agent_day", template="contactcentre/cards/agent_day.html", build=agent_day, order=0)
register_card(
    "lead_requests",
    template="contactcentre/cards/lead_requests.html",
    build=lead_requests,
    order=10,
)
register_card(
    "team_service_level",
    template="contactcentre/cards/team_service_level.html",
    build=team_service_level,
    order=12,
)
