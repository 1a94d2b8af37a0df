"""The event registry: every kind of notification, its label and whether it is e-mailed by default.

A notification is always shown in the person's inbox; whether it is also e-mailed is their
choice per event (`Preference`), falling back to the event's default here. An app adds its
own events with `register_event` in its `AppConfig.ready()` and then calls
`services.notify(event=...)` where the thing happens (see docs/notifications.md).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Event:
    key: str
    label: str  # what the person is told about, as they would say it ("my request was decided")
    email: bool  # e-mailed unless the person turns it off
    description: str = ""


EVENTS: dict[str, Event] = {}


def register_event(key: str, label: str, *, email: bool, description: str = "") -> Event:
    """Add an event (idempotent for the same key and label; a clash of keys is an error)."""
    event = Event(key=key, label=label, email=email, description=description)
    existing = EVENTS.get(key)
    if existing is not None and existing != event:
        raise ValueError(f"Notification event {key!r} is already registered as {existing.label!r}.")
    EVENTS[key] = event
    return event


def get_event(key: str) -> Event:
    try:
        return EVENTS[key]
    except KeyError:
        known = ", ".join(sorted(EVENTS)) or "none"
        raise LookupError(f"Unknown notification event {key!r}; registered: {known}.") from None


# The events of the apps that exist today. Keys are "<app>.<what happened>".
MOVE_WAITING = register_event(
    "contactcentre.move_waiting",
    "A lunch or break move waits for my decision (team leads)",
    email=True,
    description="An agent's move would take service below target, so it needs the team lead.",
)
MOVE_DECIDED = register_event(
    "contactcentre.move_decided",
    "My lunch or break request was decided",
    email=True,
    description="The team lead approved or declined it, or it was cancelled because the plan changed.",
)
SWAP_ASKED = register_event(
    "contactcentre.swap_asked",
    "A colleague asks to swap lunches with me",
    email=True,
    description="Agree or say no on your day's page; the swap happens only if you agree.",
)
SURVEY_OPENED = register_event(
    "surveys.survey_opened",
    "A survey is open for me",
    # The survey's own invitation e-mail carries the personal link; a second e-mail would
    # only repeat it, so this one is in the inbox unless the person asks for it.
    email=False,
    description="You were invited to answer a survey; answer it from the Surveys page.",
)
RESULTS_READY = register_event(
    "surveys.results_ready",
    "New survey results for my units",
    email=True,
    description="A wave closed and its results can be read for units you look after.",
)
PLAN_DUE = register_event(
    "insights.plan_due",
    "An action plan I own is due soon or overdue",
    email=True,
    description="Sent once when a plan is due within 7 days and once when it becomes overdue.",
)
