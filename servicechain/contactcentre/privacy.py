"""The contact centre's part of a person's data (see `servicechain.org.privacy`): their agent
record (contract and wishes), their shifts, breaks and lunches in published plans, the
breaks they started, their lunch and break move requests, and the teams they are named
lead of.

Erasure keeps the day plans whole (past coverage and service levels stay as they were):
the agent is deactivated and keeps no wishes, their requests keep no notes, and they lead
no team any more; their name goes with the employee record (`employee_erase`).
"""

from __future__ import annotations

from django.db.models import Q

from servicechain.org.models import AuditEvent
from servicechain.org.privacy import Erasure, register_personal_data, when

from .models import Agent, BreakTaken, MoveRequest, Schedule, Shift, Team, clock


def _shift(shift: Shift) -> dict:
    schedule = shift.schedule
    return {
        "team": schedule.team.name,
        "day": when(schedule.day),
        "start": schedule.interval_clock(shift.start_interval),
        "end": schedule.interval_clock(shift.end_interval),
        "breaks": [
            {
                "kind": a.kind,
                "start": schedule.interval_clock(a.start_interval),
                "end": schedule.interval_clock(a.end_interval),
            }
            for a in shift.activities.all()
        ],
    }


def _move(move: MoveRequest, agent: Agent) -> dict:
    return {
        "day": when(move.day),
        "kind": move.kind,
        "as": "requester" if move.agent_id == agent.pk else "colleague",
        "status": move.status,
        "from": move.from_clock,
        "to": move.to_clock,
        "note": move.note if move.agent_id == agent.pk else "",
        "decision_note": move.decision_note,
        "created_at": when(move.created_at),
        "decided_at": when(move.decided_at),
    }


def _agent_record(agent: Agent) -> dict:
    return {
        "team": agent.team.name,
        "active": agent.active,
        "shift_lengths_minutes": agent.shift_lengths,
        "earliest_start": clock(agent.earliest_start),
        "latest_end": clock(agent.latest_end),
        "working_days": agent.working_days,
        "paid_breaks": agent.paid_breaks,
        "lunch_minutes": agent.lunch_minutes,
        "preferred_lunch": agent.lunch_wish,
        "preferred_shift_start": clock(agent.preferred_shift_start),
    }


def _contact_centre(employee, user) -> dict:
    led = list(Team.objects.filter(lead=employee).values_list("name", flat=True))
    agent = Agent.objects.filter(employee=employee).select_related("team").first()
    if agent is None:
        return {"agent": None, "teams_led": led}
    shifts = (
        Shift.objects.filter(agent=agent, schedule__status=Schedule.Status.PUBLISHED)
        .select_related("schedule__team__centre")
        .prefetch_related("activities")
        .order_by("schedule__day")
    )
    moves = (
        MoveRequest.objects.filter(Q(agent=agent) | Q(colleague=agent))
        .select_related("schedule")
        .order_by("created_at", "pk")
    )
    breaks = BreakTaken.objects.filter(agent=agent).order_by("day", "started_at")
    changes = AuditEvent.objects.filter(
        organization=employee.organization, target_type="Agent", target_id=str(agent.pk)
    ).order_by("created_at", "pk")
    return {
        "agent": _agent_record(agent),
        "published_shifts": [_shift(s) for s in shifts],
        "breaks_started": [
            {"day": when(b.day), "kind": b.kind, "started_at": when(b.started_at)} for b in breaks
        ],
        "move_requests": [_move(m, agent) for m in moves],
        "changes_to_agent_record": [
            {"created_at": when(e.created_at), "action": e.action, "detail": e.detail}
            for e in changes
        ],
        "teams_led": led,
    }


def _contact_centre_erase(erasure: Erasure) -> dict[str, int]:
    employee = erasure.employee
    agents = Agent.objects.filter(employee=employee).update(
        active=False, preferred_lunch_from=None, preferred_lunch_to=None, preferred_shift_start=None
    )
    notes = MoveRequest.objects.filter(agent__employee=employee).exclude(note="").update(note="")
    teams = Team.objects.filter(lead=employee).update(lead=None)
    return {
        "agent records deactivated": agents,
        "request notes blanked": notes,
        "teams without named lead": teams,
    }


register_personal_data(
    "contact_centre", export=_contact_centre, erase=_contact_centre_erase, order=60
)
