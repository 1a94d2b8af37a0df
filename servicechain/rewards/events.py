"""The rewards app's notifications (docs/notifications.md)."""

from servicechain.notifications.events import register_event

STATEMENT_READY = register_event(
    "rewards.statement_ready",
    "My pay statement is ready",
    email=True,
    description="A payout run was locked: your lines, and why each one is what it is.",
)
